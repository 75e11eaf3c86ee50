//! The shell integration (issue 3) in real interactive bash, zsh and fish under tmux: `cd` around
//! marked trees as a person would and check what `aws` would see in the shell's environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{self, aws_vars, awsenv_vars, bin, sh_quote, Clock, Home, Sh, Term};

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
    let wrapper = counting_wrapper(home);
    let (b, w) = (
        sh_quote(&bin().display().to_string()),
        sh_quote(&wrapper.display().to_string()),
    );
    match shell {
        Sh::Fish => format!("{b} init fish | source\nset -g __awsenv_bin {w}\n"),
        Sh::Bash => format!("eval \"$({b} init bash)\"\n__awsenv_bin={w}\n"),
        Sh::Zsh => format!("eval \"$({b} init zsh)\"\n__awsenv_bin={w}\n"),
        // nushell sources a file (README: `awsenv init nu | save -f ~/.awsenv.nu`) whose
        // binary is a constant; elvish evaluates the init text. Both get the wrapper's path.
        Sh::Nu | Sh::Elvish => {
            let text = home.run(&["init", shell.flag()]).success().stdout;
            let (from, to) = match shell {
                Sh::Nu => (
                    format!("{:?}", bin().display().to_string()),
                    format!("{:?}", wrapper.display().to_string()),
                ),
                _ => (b, w),
            };
            assert!(text.contains(&from), "{text}");
            let file = home.path().join(format!(".awsenv.{}", shell.flag()));
            std::fs::write(&file, text.replacen(&from, &to, 1)).unwrap();
            match shell {
                Sh::Nu => format!("source {:?}\n", file.display().to_string()),
                _ => format!("eval (slurp < {})\n", sh_quote(&file.display().to_string())),
            }
        }
        Sh::Dash => unreachable!(),
    }
}

/// A wrapper around the binary that counts the hook's calls in `$AWSENV_TEST_OUT/hook-calls`.
pub(crate) fn counting_wrapper(home: &Home) -> PathBuf {
    home.script(
        "awsenv-counting",
        &format!(
            "#!/bin/sh\ncase \"$1\" in hook) echo call >> \"$AWSENV_TEST_OUT/hook-calls\";; esac\nexec {} \"$@\"\n",
            sh_quote(&bin().display().to_string())
        ),
    )
}

pub(crate) fn hook_calls(t: &Term) -> usize {
    std::fs::read_to_string(t.out_dir().join("hook-calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn start(home: &Home, shell: Sh) -> Term {
    Term::shell(home, shell, &rc(home, shell), home.path())
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
    walk_with(shell, |home| start(home, shell));
}

/// The walk in the shell that `start` opens in the home it is given (loading the integration
/// with the binary behind [`counting_wrapper`]).
/// `shell`: the syntax of the test's own commands (xonsh and tcsh take bash's forms).
pub(crate) fn walk_with(shell: Sh, start: impl FnOnce(&Home) -> Term) {
    let home = home();
    allow(&home, "prod/team-dev");
    allow(&home, "broken");
    allow(&home, WEIRD_DIR);
    let t = start(&home);

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
    assert_eq!(t.count(&notice), 1, "{}", t.screen());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    // Moving within the tree: no second notice.
    t.run("cd sub");
    t.run("cd ..");
    assert_eq!(t.count(&notice), 1, "{}", t.screen());

    // `awsenv allow` loads it at once.
    t.run("awsenv allow");
    let env = t.env();
    assert_profile(&env, "prod", "AKIAPROD", Some("eu-west-1"));
    // What the hook saved (the hand-set keys) stays in the shell: no child sees it.
    assert!(
        !env.keys()
            .any(|k| k.to_lowercase().contains("awsenv_saved")),
        "{env:#?}"
    );
    assert!(t.screen().contains("awsenv: prod\n"), "{}", t.screen());
    t.run("awsenv status");
    let from = format!(
        "profile: prod (from {})\nexpires: never (long-term keys)\nregion: eu-west-1\n",
        home.path().join("w/prod/.awsprofile").display()
    );
    assert!(t.screen().contains(&from), "{}", t.screen());

    // Within the tree: unchanged, and a prompt without a cd starts no process.
    t.run("cd sub/deeper");
    let inside = t.env();
    assert_profile(&inside, "prod", "AKIAPROD", Some("eu-west-1"));
    // What the hook saved (the hand-set keys) stays in the shell: children never see it.
    assert!(
        inside
            .keys()
            .all(|k| !k.eq_ignore_ascii_case("__awsenv_saved")),
        "{inside:?}"
    );
    assert!(
        inside.values().all(|v| !v.contains("minesecret")),
        "{inside:?}"
    );
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
        t.screen().contains("profile: dev (set by hand; the marker"),
        "{}",
        t.screen()
    );
    t.run("cd ~");
    assert_eq!(awsenv_vars(&t.env()), before);

    // An edited marker after allow: unloaded at the next cd, with a notice.
    t.run("cd w/prod");
    assert_profile(&t.env(), "prod", "AKIAPROD", Some("eu-west-1"));
    marker(&home, "prod", "prod\nregion = us-west-2\n");
    t.run("cd sub");
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    assert_eq!(t.count(&notice), 2, "{}", t.screen());
    t.run("cd ~");

    // A cloned marker (same content, other path) is not allowed.
    let clone_notice = format!(
        "{} is not allowed",
        home.path().join("w/clone/.awsprofile").display()
    );
    t.run("cd w/clone/src");
    assert_eq!(t.count(&clone_notice), 1, "{}", t.screen());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    // Denied: quiet from now on, at every entry.
    t.run("awsenv deny");
    t.run("cd ~");
    t.run("cd w/clone");
    assert_eq!(t.count(&clone_notice), 1, "{}", t.screen());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    t.run("cd ~");

    // An allowed marker naming an unknown profile: one clear error, the environment untouched,
    // not retried at every cd inside.
    t.run("cd w/broken");
    let err = format!(
        "awsenv: {}: profile `nope` is not in",
        home.path().join("w/broken/.awsprofile").display()
    );
    assert_eq!(t.count(&err), 1, "{}", t.screen());
    assert_eq!(aws_vars(&t.env()), aws_vars(&before));
    t.run("cd sub");
    assert_eq!(t.count(&err), 1, "{}", t.screen());
    t.run("cd ~");

    // A path with spaces, quotes, `$(…)` and unicode, naming a profile and holding a secret
    // with the same: loaded byte for byte, nothing run.
    t.run(match shell {
        Sh::Nu => "cd (glob w/it* | first)",
        _ => "cd w/it*",
    });
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

    // `awsenv unset` clears every credential; the hook keeps its (secret-free) state so the tree
    // stays unloaded until the shell leaves it (audit item 6), and leaving puts back what the
    // shell had before the tree, as after any change by hand.
    t.run("cd w/prod/team-dev");
    t.run("awsenv unset");
    let env = t.env();
    assert_eq!(aws_vars(&env), aws_vars(&fresh));
    assert!(env.contains_key("__AWSENV_STATE"), "{env:?}");
    t.run("cd ~");
    assert_eq!(awsenv_vars(&t.env()), before);
    // Nothing was printed on the terminal that is not ours or the shell's.
    let pane = t.screen();
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

#[test]
fn nu_walk() {
    walk(Sh::Nu);
}

#[test]
fn elvish_walk() {
    walk(Sh::Elvish);
}

// ---------------------------------------------------------------------------------------------
// Living with the user's own prompt hooks.

/// The user's hooks stay, sourcing twice installs nothing twice, `$?` reaches the user's hook
/// and the next command even when the hook ran the program.
fn keeps_user_hooks(shell: Sh, user_rc: &str, check: &str) {
    let home = home();
    allow(&home, "prod");
    let rc = format!("{user_rc}\n{}\n{}", rc(&home, shell), rc(&home, shell));
    let t = Term::shell(&home, shell, &rc, home.path());
    // Exactly one awsenv hook, the user's still there.
    t.run(check);
    let pane = t.screen();
    assert!(pane.contains("hooks-ok"), "{pane}");

    let calls = hook_calls(&t);
    t.run("cd w/prod; false");
    assert_eq!(hook_calls(&t), calls + 1, "one call per directory change");
    assert_eq!(t.env()["AWSENV_PROFILE"], "prod");
    // The user's own prompt hook saw the failing status, after awsenv's hook ran the program.
    t.run("cd sub; false");
    let seen = std::fs::read_to_string(t.out_dir().join("user-hook")).unwrap();
    assert_eq!(seen.lines().last(), Some("1"), "{seen}");
    t.run("false");
    assert_eq!(t.status(), "1");
    t.run("true");
    assert_eq!(t.status(), "0");
}

#[test]
fn bash_keeps_prompt_command_as_a_string() {
    keeps_user_hooks(
        Sh::Bash,
        "user_hook() { echo $? >> \"$AWSENV_TEST_OUT/user-hook\"; }\n\
         PROMPT_COMMAND=\"user_hook;$PROMPT_COMMAND\"",
        "[[ $PROMPT_COMMAND == '__awsenv_hook;user_hook;__t_prompt' ]] && echo hooks-ok",
    );
}

#[test]
fn bash_keeps_prompt_command_as_an_array() {
    keeps_user_hooks(
        Sh::Bash,
        "user_hook() { echo $? >> \"$AWSENV_TEST_OUT/user-hook\"; }\n\
         PROMPT_COMMAND=(user_hook __t_prompt)",
        "[[ ${PROMPT_COMMAND[*]} == '__awsenv_hook user_hook __t_prompt' ]] && echo hooks-ok",
    );
}

#[test]
fn zsh_keeps_precmd_and_chpwd_functions() {
    keeps_user_hooks(
        Sh::Zsh,
        "user_hook() { echo $? >> \"$AWSENV_TEST_OUT/user-hook\"; }\n\
         user_chpwd() { :; }\n\
         precmd_functions=(user_hook $precmd_functions)\n\
         chpwd_functions=(user_chpwd)",
        "[[ \"$precmd_functions\" == '__awsenv_hook user_hook __t_prompt' && \"$chpwd_functions\" == '__awsenv_hook user_chpwd' ]] && echo hooks-ok",
    );
}

#[test]
fn fish_keeps_other_event_handlers() {
    keeps_user_hooks(
        Sh::Fish,
        "function user_hook --on-event fish_prompt; echo $status >> $AWSENV_TEST_OUT/user-hook; end",
        "test (count (functions --handlers-type variable | string match -r '__awsenv_hook')) = 1; \
         and test (count (functions --handlers-type generic | string match -r '__awsenv_hook|user_hook')) = 2; \
         and echo hooks-ok",
    );
}

// ---------------------------------------------------------------------------------------------
// MFA at a prompt hook, Ctrl-C, and refreshing credentials near expiry.

const MFA_ROLE: &str = "\
[profile mfa]
role_arn = arn:aws:iam::555555555555:role/admin
source_profile = mine
mfa_serial = arn:aws:iam::111111111111:mfa/alice
role_session_name = alice
region = us-east-1
";

/// Ctrl-C at the MFA prompt: the terminal works as before, nothing changed, no second prompt
/// until the next cd; then a code loads the role (checked against moto with the AWS CLI).
fn ctrl_c_at_mfa(shell: Sh) {
    ctrl_c_at_mfa_with(shell, |home| start(home, shell), true);
}

/// `hooks_survive`: false for tcsh, where Ctrl-C ends the whole `precmd` alias, the harness's
/// prompt counter after the hook with it; the test then presses Enter for a counted prompt.
pub(crate) fn ctrl_c_at_mfa_with(
    shell: Sh,
    start: impl FnOnce(&Home) -> Term,
    hooks_survive: bool,
) {
    let mut home = home();
    home.set("AWS_ENDPOINT_URL_STS", &support::Moto::shared().url);
    home.config(MFA_ROLE);
    std::fs::create_dir_all(home.path().join("w/mfa/sub")).unwrap();
    marker(&home, "mfa", "mfa\n");
    allow(&home, "mfa");
    let t = start(&home);
    t.run("awsenv use mine");
    let before = aws_vars(&t.env());

    let seen = t.prompts();
    t.type_line("cd w/mfa");
    t.wait_for("MFA code for mfa (arn:aws:iam::111111111111:mfa/alice): ");
    t.keys(&["C-c"]);
    t.wait_for("awsenv: cancelled; mfa not loaded");
    if hooks_survive {
        t.wait_prompt(seen);
    } else {
        t.enter();
    }
    // The terminal is usable: echo, line editing and Ctrl-C are on for the next command.
    t.run(match shell {
        Sh::Nu => "^stty -a | save -f ($env.AWSENV_TEST_OUT | path join stty)",
        Sh::Elvish => "stty -a > $E:AWSENV_TEST_OUT/stty",
        _ => "stty -a > $AWSENV_TEST_OUT/stty",
    });
    let stty = std::fs::read_to_string(t.out_dir().join("stty")).unwrap();
    for flag in [" echo ", " icanon ", " isig "] {
        assert!(
            stty.replace('\n', " ").contains(flag),
            "{flag} is off:\n{stty}"
        );
    }
    assert_eq!(aws_vars(&t.env()), before);
    // No new prompt at the next prompts.
    t.enter();
    t.enter();
    assert_eq!(t.count("MFA code for mfa"), 1, "{}", t.screen());

    // The next directory change asks again; a code loads the role.
    let seen = t.prompts();
    t.type_line("cd sub");
    t.wait_until("the second MFA prompt", || {
        (t.count("MFA code for mfa") >= 2).then_some(())
    });
    t.type_line("123456");
    t.wait_prompt(seen);
    let env = t.env();
    assert_eq!(env["AWSENV_PROFILE"], "mfa");
    assert_eq!(
        home.identity_of(&env),
        "arn:aws:sts::555555555555:assumed-role/admin/alice"
    );
    assert!(
        t.screen().contains("awsenv: mfa (expires "),
        "{}",
        t.screen()
    );
}

#[test]
fn bash_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa(Sh::Bash);
}

#[test]
fn zsh_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa(Sh::Zsh);
}

#[test]
fn nu_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa(Sh::Nu);
}

#[test]
fn elvish_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa(Sh::Elvish);
}

#[test]
fn fish_ctrl_c_at_mfa_prompt() {
    ctrl_c_at_mfa(Sh::Fish);
}

/// A credential_process handing out credentials that expire 5 minutes and `LEFT` seconds from
/// now, numbered by call; it fails while `$HOME/fail` exists.
const SHORT_LIVED: &str = r#"#!/bin/sh
n=$(( $(cat "$HOME/calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$HOME/calls"
if [ -e "$HOME/fail" ]; then echo "issuer is down" >&2; exit 1; fi
exp=$(date -u -d "+303 seconds" +%Y-%m-%dT%H:%M:%SZ)
printf '{"Version":1,"AccessKeyId":"ASIASHORT%s","SecretAccessKey":"s","SessionToken":"t","Expiration":"%s"}\n' "$n" "$exp"
"#;

pub(crate) fn short_lived_home() -> Home {
    let home = home();
    let process = home.script("short.sh", SHORT_LIVED);
    home.config(&format!(
        "[profile short]\ncredential_process = {}\n",
        process.display()
    ));
    std::fs::create_dir_all(home.path().join("w/short/sub")).unwrap();
    marker(&home, "short", "short\n");
    allow(&home, "short");
    home
}

pub(crate) fn process_calls(home: &Home) -> usize {
    std::fs::read_to_string(home.path().join("calls"))
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(0)
}

/// How a test lets the loaded credentials age `secs` seconds, then shows a prompt: the shell's
/// clock and awsenv's are moved on ([`Clock`]). libfaketime does not reach bash's
/// `$EPOCHSECONDS` here, nor nushell's clock (the npm package's binary is static): those two
/// wait for real.
struct Aging {
    shell: Sh,
    clock: Option<Clock>,
}

impl Aging {
    fn for_shell(shell: Sh, home: &mut Home) -> Aging {
        Aging {
            shell,
            clock: (!matches!(shell, Sh::Bash | Sh::Nu)).then(|| Clock::on(home)),
        }
    }

    fn pass(&self, t: &Term, secs: u32) {
        match &self.clock {
            Some(c) => {
                c.advance(i64::from(secs));
                t.enter();
            }
            // nushell's own `sleep` takes a duration.
            None if self.shell == Sh::Nu => t.run(&format!("^sleep {secs}")),
            None => t.run(&format!("sleep {secs}")),
        }
    }
}

/// bash and zsh have a builtin clock: the first prompt after the refresh time refreshes; a failed
/// refresh is reported once and not retried at every prompt, only at the next cd.
fn refresh_near_expiry(shell: Sh) {
    refresh_near_expiry_with(shell, |home| start(home, shell));
}

/// `shell`: the syntax of the test's own commands and how time passes for it (xonsh takes
/// bash's: a real `sleep`).
pub(crate) fn refresh_near_expiry_with(shell: Sh, start: impl FnOnce(&Home) -> Term) {
    let mut home = short_lived_home();
    let aging = Aging::for_shell(shell, &mut home);
    let t = start(&home);
    t.run("cd w/short");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT1");
    // Prompts before the refresh time start nothing.
    t.enter();
    assert_eq!(process_calls(&home), 1);

    aging.pass(&t, 4);
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT2");
    assert_eq!(
        t.count("awsenv: refreshed short (expires "),
        1,
        "{}",
        t.screen()
    );

    std::fs::write(home.path().join("fail"), "").unwrap();
    aging.pass(&t, 4);
    let failed = "awsenv: cannot refresh short:";
    assert_eq!(t.count(failed), 1, "{}", t.screen());
    let calls = process_calls(&home);
    aging.pass(&t, 4);
    t.enter();
    assert_eq!(
        t.count(failed),
        1,
        "asked again at a prompt: {}",
        t.screen()
    );
    assert_eq!(process_calls(&home), calls);
    // Still the credentials it had.
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT2");

    // The next directory change tries again.
    std::fs::remove_file(home.path().join("fail")).unwrap();
    t.run("cd sub");
    assert_eq!(process_calls(&home), calls + 1);
    assert!(t.env()["AWS_ACCESS_KEY_ID"].starts_with("ASIASHORT"));
    assert_ne!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT2");
}

#[test]
fn bash_refreshes_near_expiry() {
    refresh_near_expiry(Sh::Bash);
}

#[test]
fn zsh_refreshes_near_expiry() {
    refresh_near_expiry(Sh::Zsh);
}

#[test]
fn nu_refreshes_near_expiry() {
    refresh_near_expiry(Sh::Nu);
}

#[test]
fn fish_refreshes_at_the_next_cd() {
    refreshes_at_the_next_cd(Sh::Fish);
}

#[test]
fn elvish_refreshes_at_the_next_cd() {
    refreshes_at_the_next_cd(Sh::Elvish);
}

/// fish and elvish have no clock builtin.
fn refreshes_at_the_next_cd(shell: Sh) {
    let mut home = short_lived_home();
    let aging = Aging::for_shell(shell, &mut home);
    let t = start(&home, shell);
    t.run("cd w/short");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT1");
    aging.pass(&t, 4);
    // No clock builtin: a plain prompt starts nothing…
    assert_eq!(process_calls(&home), 1);
    // …and the next directory change refreshes.
    t.run("cd sub");
    assert_eq!(t.env()["AWS_ACCESS_KEY_ID"], "ASIASHORT2");
    assert_eq!(
        t.count("awsenv: refreshed short (expires "),
        1,
        "{}",
        t.screen()
    );
}

/// nushell and elvish: the user's prompt hook stays, and loading the integration twice leaves
/// one awsenv hook, which starts the program once per directory change.
fn keeps_user_hooks_once(shell: Sh, user_rc: &str, check: &str) {
    let home = home();
    allow(&home, "prod");
    let rc = format!("{user_rc}\n{}\n{}", rc(&home, shell), rc(&home, shell));
    let t = Term::shell(&home, shell, &rc, home.path());
    t.run(check);
    let pane = t.screen();
    assert!(pane.contains("hooks-ok"), "{pane}");
    let calls = hook_calls(&t);
    t.run("cd w/prod");
    assert_eq!(hook_calls(&t), calls + 1, "one call per directory change");
    assert_eq!(t.env()["AWSENV_PROFILE"], "prod");
    let before = std::fs::read_to_string(t.out_dir().join("user-hook")).unwrap();
    t.enter();
    let after = std::fs::read_to_string(t.out_dir().join("user-hook")).unwrap();
    assert_eq!(after.lines().count(), before.lines().count() + 1);
}

#[test]
fn nu_keeps_other_pre_prompt_hooks() {
    keeps_user_hooks_once(
        Sh::Nu,
        "$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt | append {|| \"x\\n\" | save -a ($env.AWSENV_TEST_OUT | path join user-hook) })",
        "if ($env.config.hooks.pre_prompt | length) == 3 and ($env.config.hooks.pre_prompt | each {|h| view source $h } | where {|s| $s =~ '__awsenv_hook' } | length) == 1 { print hooks-ok }",
    );
}

#[test]
fn elvish_keeps_other_before_readline_hooks() {
    keeps_user_hooks_once(
        Sh::Elvish,
        "set edit:before-readline = [$@edit:before-readline { echo x >> $E:AWSENV_TEST_OUT/user-hook }]",
        "if (== 3 (count $edit:before-readline)) { echo hooks-ok }",
    );
}
