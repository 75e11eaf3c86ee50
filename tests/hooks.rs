//! The shell integration (issue 3) in real interactive bash, zsh and fish under tmux: `cd` around
//! marked trees as a person would and check what `aws` would see in the shell's environment.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{aws_vars, awsenv_vars, bin, sh_quote, Home, Sh, Tmux};

const KEYS: &str = r#"[mine]
aws_access_key_id = AKIAMINE
aws_secret_access_key = minesecret
[prod]
aws_access_key_id = AKIAPROD
aws_secret_access_key = prodsecret
[dev]
aws_access_key_id = AKIADEV
aws_secret_access_key = devsecret
[o'brien $(touch pwned) ü]
aws_access_key_id = AKIAWEIRD
aws_secret_access_key = s'$(touch pwned)`touch pwned`;"x\y
"#;
const WEIRD_PROFILE: &str = "o'brien $(touch pwned) ü";
const WEIRD_SECRET: &str = "s'$(touch pwned)`touch pwned`;\"x\\y";
// Ends in a backslash: in fish a POSIX-quoted value would swallow its closing quote.
const WEIRD_DIR: &str = "it's a \"dir\" $(touch pwned) ü\\";

/// A home with the profiles above, and a tree of marked directories under `w/`.
fn home() -> Home {
    let mut home = Home::new();
    // No STS anywhere: static keys must not need one.
    home.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    home.credentials(KEYS);
    let w = home.path().join("w");
    for d in [
        "prod/sub/deeper",
        "prod/team-dev",
        "clone/src",
        "broken/sub",
        WEIRD_DIR,
    ] {
        std::fs::create_dir_all(w.join(d)).unwrap();
    }
    marker(
        &home,
        "prod",
        "# billing, production\nprod\nregion = eu-west-1\n",
    );
    marker(&home, "prod/team-dev", "dev\n");
    marker(&home, "clone", "prod\n");
    marker(&home, "broken", "nope\n");
    marker(
        &home,
        WEIRD_DIR,
        &format!("{WEIRD_PROFILE}\nregion = ap-south-1\n"),
    );
    home
}

fn marker(home: &Home, dir: &str, text: &str) -> PathBuf {
    let p = home.path().join("w").join(dir).join(".awsprofile");
    std::fs::write(&p, text).unwrap();
    p
}

fn allow(home: &Home, dir: &str) {
    let d = home.path().join("w").join(dir).display().to_string();
    home.run(&["allow", &d]).success();
}

/// The rc text that loads the integration the way the README says, then points it at a wrapper
/// that counts the hook's calls (so a test can prove a prompt started no process).
fn rc(home: &Home, shell: Sh) -> String {
    let wrapper = home.script(
        "awsenv-counting",
        &format!(
            "#!/bin/sh\ncase \"$1\" in hook) echo call >> \"$AWSENV_TEST_OUT/hook-calls\";; esac\nexec {} \"$@\"\n",
            sh_quote(&bin().display().to_string())
        ),
    );
    let (b, w) = (
        sh_quote(&bin().display().to_string()),
        sh_quote(&wrapper.display().to_string()),
    );
    match shell {
        Sh::Fish => format!("{b} init fish | source\nset -g __awsenv_bin {w}\n"),
        Sh::Bash => format!("eval \"$({b} init bash)\"\n__awsenv_bin={w}\n"),
        Sh::Zsh => format!("eval \"$({b} init zsh)\"\n__awsenv_bin={w}\n"),
        Sh::Dash => unreachable!(),
    }
}

fn hook_calls(t: &Tmux) -> usize {
    std::fs::read_to_string(t.out_dir().join("hook-calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn start(home: &Home, shell: Sh) -> Tmux {
    Tmux::start(home, shell, &rc(home, shell), home.path(), &[])
}

#[track_caller]
fn assert_profile(env: &BTreeMap<String, String>, profile: &str, key: &str, region: Option<&str>) {
    assert_eq!(
        env.get("AWSENV_PROFILE").map(String::as_str),
        Some(profile),
        "{env:#?}"
    );
    assert_eq!(env["AWS_ACCESS_KEY_ID"], key);
    assert_eq!(env.get("AWS_REGION").map(String::as_str), region);
    assert_eq!(env.get("AWS_DEFAULT_REGION").map(String::as_str), region);
}

/// Every scenario of the issue's Tests section, in one shell.
fn walk(shell: Sh) {
    let home = home();
    allow(&home, "prod/team-dev");
    allow(&home, "broken");
    allow(&home, WEIRD_DIR);
    let t = start(&home, shell);

    let fresh = awsenv_vars(&t.env());
    // A profile set by hand before any marker: this is what must come back.
    t.run("awsenv use mine");
    let before = awsenv_vars(&t.env());
    assert_profile(&before, "mine", "AKIAMINE", None);

    // An unallowed marker: one notice naming the file and the command, nothing loaded.
    let notice = format!(
        "{} is not allowed (it loads profile `prod`); run `awsenv allow` to trust it",
        home.path().join("w/prod/.awsprofile").display()
    );
    t.run("cd w/prod");
    assert_eq!(t.count(&notice), 1, "{}", t.pane());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    // Moving within the tree: no second notice.
    t.run("cd sub");
    t.run("cd ..");
    assert_eq!(t.count(&notice), 1, "{}", t.pane());

    // `awsenv allow` loads it at once.
    t.run("awsenv allow");
    assert_profile(&t.env(), "prod", "AKIAPROD", Some("eu-west-1"));
    assert!(t.pane().contains("awsenv: prod\n"), "{}", t.pane());

    // Within the tree: unchanged, and a prompt without a cd starts no process.
    t.run("cd sub/deeper");
    let inside = t.env();
    assert_profile(&inside, "prod", "AKIAPROD", Some("eu-west-1"));
    let calls = hook_calls(&t);
    for _ in 0..3 {
        t.run("true");
    }
    t.enter();
    assert_eq!(
        hook_calls(&t),
        calls,
        "a prompt without a cd called the program"
    );

    // A nested tree with another marker switches; its profile has no region, so none is left.
    t.run("cd ../../team-dev");
    assert_profile(&t.env(), "dev", "AKIADEV", None);
    // Back up: the outer marker again.
    t.run("cd ..");
    assert_profile(&t.env(), "prod", "AKIAPROD", Some("eu-west-1"));

    // Leaving restores exactly what the shell had, and the hook leaves no state behind.
    t.run("cd ~");
    assert_eq!(awsenv_vars(&t.env()), before);

    // A profile set by hand inside a marked tree wins until the shell leaves that tree.
    t.run("cd w/prod/sub");
    assert_profile(&t.env(), "prod", "AKIAPROD", Some("eu-west-1"));
    t.run("awsenv use dev");
    t.run("cd deeper");
    t.run("cd ../../team-dev");
    assert_eq!(t.env()["AWSENV_PROFILE"], "dev");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "AKIADEV");
    t.run("awsenv status");
    assert!(
        t.pane().contains("profile: dev (set by hand; the marker"),
        "{}",
        t.pane()
    );
    t.run("cd ~");
    assert_eq!(awsenv_vars(&t.env()), before);

    // An edited marker after allow: unloaded at the next cd, with a notice.
    t.run("cd w/prod");
    assert_profile(&t.env(), "prod", "AKIAPROD", Some("eu-west-1"));
    marker(&home, "prod", "prod\nregion = us-west-2\n");
    t.run("cd sub");
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    assert_eq!(t.count(&notice), 2, "{}", t.pane());
    t.run("cd ~");

    // A cloned marker (same content, other path) is not allowed.
    t.run("cd w/clone/src");
    assert!(t.pane().contains(&format!(
        "{} is not allowed",
        home.path().join("w/clone/.awsprofile").display()
    )));
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    t.run("cd ~");

    // An allowed marker naming an unknown profile: one clear error, the environment untouched,
    // not retried at every cd inside.
    t.run("cd w/broken");
    let err = format!(
        "awsenv: {}: profile `nope` is not in",
        home.path().join("w/broken/.awsprofile").display()
    );
    assert_eq!(t.count(&err), 1, "{}", t.pane());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    t.run("cd sub");
    assert_eq!(t.count(&err), 1, "{}", t.pane());
    t.run("cd ~");

    // A path with spaces, quotes, `$(…)` and unicode, naming a profile and holding a secret
    // with the same: loaded byte for byte, nothing run.
    t.run("cd w/it*");
    let env = t.env();
    assert_profile(&env, WEIRD_PROFILE, "AKIAWEIRD", Some("ap-south-1"));
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], WEIRD_SECRET);
    assert_eq!(
        env["PWD"],
        home.path().join("w").join(WEIRD_DIR).display().to_string()
    );
    t.run("cd ~");
    assert_eq!(awsenv_vars(&t.env()), before);
    assert_no_pwned(&home);

    // `awsenv unset` clears everything, the hook's state included.
    t.run("cd w/prod/team-dev");
    t.run("awsenv unset");
    assert_eq!(awsenv_vars(&t.env()), fresh);
    // Nothing was printed on the terminal that is not ours or the shell's.
    let pane = t.pane();
    assert!(!pane.contains("command not found"), "{pane}");
    assert!(!pane.contains("rror"), "{pane}");
}

fn assert_no_pwned(home: &Home) {
    let found: Vec<_> = walkdir(home.path())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "pwned"))
        .collect();
    assert!(found.is_empty(), "code ran: {found:?}");
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walkdir(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn bash_walk() {
    walk(Sh::Bash);
}

#[test]
fn zsh_walk() {
    walk(Sh::Zsh);
}

#[test]
fn fish_walk() {
    walk(Sh::Fish);
}
