//! Tab completion in real shells: the committed scripts in `completions/` are sourced into bash,
//! zsh and fish (interactive ones under tmux), and must offer the test config's profiles — and
//! only those — with names that need quoting inserted inertly. PowerShell cannot be installed
//! here: its script is parsed with tree-sitter-powershell and its answers are checked by parsing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, repo, require, venv_bin, Home, Run, Term};

/// The shells with a committed script, and its file name.
const SCRIPTS: [(&str, &str); 8] = [
    ("bash", "awsenv.bash"),
    ("zsh", "_awsenv"),
    ("fish", "awsenv.fish"),
    ("powershell", "awsenv.ps1"),
    ("elvish", "awsenv.elv"),
    ("nu", "awsenv.nu"),
    ("xonsh", "awsenv.xsh"),
    ("tcsh", "awsenv.tcsh"),
];

const REGENERATE: &str = "AWSENV_UPDATE_GENERATED=1 cargo test --test it generated";

/// Profiles whose names need care: spaces, dots, slashes, `@`, a quote, and two that would run
/// code if a shell evaluated them unquoted.
const CONFIG: &str = "\
[default]
region = us-east-1
[profile dev]
[profile \"my profile\"]
[profile me@corp]
[profile me@corp2]
[profile team/prod.admin]
[sso-session corp]
sso_region = us-east-1
[services local]
[preview]
x = 1
";
const CREDENTIALS: &str = "\
[it's]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
[$(touch pwned)]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
[`touch pwned`]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
";
const PROFILES: [&str; 9] = [
    "$(touch pwned)",
    "`touch pwned`",
    "default",
    "dev",
    "it's",
    "me@corp",
    "me@corp2",
    "my profile",
    "team/prod.admin",
];

/// A home whose files are at non-default paths (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE),
/// with a decoy profile at the default path that must never be offered.
fn home() -> Home {
    let mut home = Home::new();
    home.config("[profile decoy-from-default-path]\n");
    let dir = home.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), CONFIG).unwrap();
    std::fs::write(dir.join("credentials"), CREDENTIALS).unwrap();
    let config = dir.join("config").display().to_string();
    let credentials = dir.join("credentials").display().to_string();
    home.set("AWS_CONFIG_FILE", &config)
        .set("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .with_awsenv_on_path();
    home
}

fn script(file: &str) -> PathBuf {
    repo().join("completions").join(file)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[track_caller]
fn assert_nothing_ran(home: &Home) {
    assert!(
        !home.path().join("pwned").exists(),
        "a profile name was executed as code"
    );
}

// ---------------------------------------------------------------------------------------------
// The committed files

/// Reads the generated text `expected` against `path`; with AWSENV_UPDATE_GENERATED=1, writes it.
fn check_generated(path: &Path, expected: &str, stale: &mut Vec<String>) {
    if std::env::var_os("AWSENV_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
    } else if std::fs::read_to_string(path).ok().as_deref() != Some(expected) {
        stale.push(path.display().to_string());
    }
}

/// The files in `dir`, by name.
fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn generated_scripts_and_man_pages_are_current() {
    let home = Home::new();
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let out = home.run(&["completions", shell]).success();
        assert!(out.stderr.is_empty(), "{}", out.stderr);
        check_generated(&script(file), &out.stdout, &mut stale);
    }
    // One page per visible subcommand, as the CLI itself lists them.
    let subcommands = answers(&home, "fish", &["awsenv", "man", ""]);
    assert!(subcommands.contains(&"use".to_string()), "{subcommands:?}");
    let mut pages = vec![("awsenv.1".to_string(), home.run(&["man"]).success().stdout)];
    for sub in &subcommands {
        let page = home.run(&["man", sub]).success().stdout;
        assert!(page.contains(&format!("awsenv\\-{sub}")), "{page}");
        pages.push((format!("awsenv-{sub}.1"), page));
    }
    for (name, page) in &pages {
        check_generated(&repo().join("doc").join(name), page, &mut stale);
    }
    assert!(
        stale.is_empty(),
        "out of date with the CLI: {stale:?}\nregenerate with: {REGENERATE}"
    );
    let files: BTreeSet<String> = SCRIPTS.iter().map(|(_, f)| f.to_string()).collect();
    assert_eq!(file_names(&repo().join("completions")), files);
    let pages: BTreeSet<String> = pages.into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        file_names(&repo().join("doc")),
        pages,
        "doc/ holds a page for a subcommand that no longer exists; {REGENERATE}"
    );
}

#[test]
fn man_pages_render_without_warnings() {
    for page in file_names(&repo().join("doc")) {
        let out = Run::from(
            Command::new(require("groff"))
                .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
                .arg(repo().join("doc").join(&page))
                .output()
                .unwrap(),
        );
        assert!(out.ok() && out.stderr.is_empty(), "{page}: {}", out.stderr);
    }
}

#[test]
fn man_for_an_unknown_subcommand_fails_cleanly() {
    let err = Home::new().run(&["man", "nosuch"]).clean_failure();
    assert!(err.contains("nosuch") && err.contains("use"), "{err}");
}

#[test]
fn scripts_pass_the_shells_own_checks() {
    let run = |c: &mut Command| Run::from(c.output().unwrap());
    let out = run(Command::new(require("shellcheck"))
        .args(["--shell=bash", "--enable=all", "--severity=style"])
        .arg(script("awsenv.bash")));
    assert!(out.ok(), "shellcheck:\n{}{}", out.stdout, out.stderr);
    let out = run(Command::new(require("zsh"))
        .arg("-n")
        .arg(script("_awsenv")));
    assert!(out.ok() && out.stderr.is_empty(), "zsh -n: {}", out.stderr);
    let out = run(Command::new(require("fish"))
        .arg("--no-execute")
        .arg(script("awsenv.fish")));
    assert!(out.ok() && out.stderr.is_empty(), "fish -n: {}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// The protocol, asked directly (as the shims do)

/// Candidate values awsenv answers for `words` (the last is the word under the cursor) in the
/// answer format of `shell`'s shim: `value` or `value<TAB>help` per line.
fn answers(home: &Home, shell: &str, words: &[&str]) -> Vec<String> {
    let mut c = home.awsenv(&["--"]);
    c.args(words).env("_AWSENV_COMPLETE", shell);
    let out = Run::from(c.output().unwrap()).success();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    out.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn zsh_script_loaded_before_compinit_says_so() {
    let home = home();
    let run = |code: &str| {
        let mut c = Command::new(require("zsh"));
        c.args(["-f", "-c", code, "zsh"]).arg(script("_awsenv"));
        home.isolate(&mut c);
        Run::from(c.output().unwrap())
    };
    let out = run("source $1");
    assert!(
        out.ok() && out.stderr.contains("compinit"),
        "{}",
        out.stderr
    );
    let out =
        run("autoload -Uz compinit && compinit -u -D && source $1 && print -r -- $_comps[awsenv]");
    assert!(out.ok() && out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "_awsenv");
}

#[test]
fn a_broken_config_still_offers_its_names_quietly() {
    // A syntax error elsewhere in the file does not hide the names (the command itself reports
    // it with its line); an unreadable file gives no names. Neither prints anything on stderr.
    let mut home = home();
    home.config("[profile ok]\nthis line is not a setting\n[profile also-ok]\n");
    let broken = home.path().join(".aws/config").display().to_string();
    home.set("AWS_CONFIG_FILE", &broken);
    assert_eq!(
        answers(&home, "fish", &["awsenv", "use", ""]),
        ["$(touch pwned)", "`touch pwned`", "also-ok", "it's", "ok"]
    );
    let err = home.run(&["use", "ok"]).clean_failure();
    assert!(err.contains(&format!("{broken}:2")), "{err}");

    let unreadable = home.path().join(".aws").display().to_string();
    home.set("AWS_CONFIG_FILE", &unreadable);
    let offered = answers(&home, "fish", &["awsenv", "use", ""]);
    // No names; the flags are what is left to offer.
    assert!(offered.iter().all(|a| a.starts_with("--")), "{offered:?}");
    assert!(offered.contains(&"--region".to_string()), "{offered:?}");
}

#[test]
fn profile_names_are_read_live_from_the_files() {
    let home = home();
    assert_eq!(answers(&home, "fish", &["awsenv", "use", ""]), PROFILES);
    std::fs::write(
        home.path().join("elsewhere/config"),
        "[profile added-just-now]\n",
    )
    .unwrap();
    assert_eq!(
        answers(&home, "fish", &["awsenv", "exec", "a"]),
        ["added-just-now"]
    );
}

// ---------------------------------------------------------------------------------------------
// bash: the committed script sourced, the function called as readline calls it

/// Sources completions/awsenv.bash in bash and calls the completion function for `line` (cursor
/// at the end), as readline does; returns COMPREPLY.
fn bash_complete(home: &Home, line: &str) -> Vec<String> {
    let driver = r#"
        source "$1"
        COMP_LINE=$2
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        complete -p awsenv >/dev/null
        _awsenv_complete awsenv "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\0' "${COMPREPLY[@]}"
    "#;
    let mut c = Command::new(require("bash"));
    c.args(["--norc", "--noprofile", "-e", "-u", "-c", driver, "bash"])
        .arg(script("awsenv.bash"))
        .arg(line);
    home.isolate(&mut c);
    let out = Run::from(c.output().unwrap());
    assert!(out.ok() && out.stderr.is_empty(), "bash: {}", out.stderr);
    out.stdout
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// What bash reads back from `text` as one word: `eval`, as the shell will when the line runs.
fn bash_word(home: &Home, text: &str) -> String {
    let mut c = Command::new(require("bash"));
    c.args(["--norc", "--noprofile", "-c"])
        .arg(r#"eval "set -- $1"; [ $# = 1 ] && printf %s "$1""#)
        .arg("bash")
        .arg(text);
    home.isolate(&mut c);
    let out = Run::from(c.output().unwrap());
    assert!(out.ok(), "`{text}` is not one word to bash: {}", out.stderr);
    out.stdout
}

#[test]
fn bash_offers_exactly_the_profiles_and_quotes_them() {
    let home = home();
    // (line typed, text readline keeps before the reply, quote the user closes)
    let cases = [
        ("awsenv use ", "", "", &PROFILES[..]),
        ("awsenv exec ", "", "", &PROFILES[..]),
        ("awsenv export --format env ", "", "", &PROFILES[..]),
        (
            "awsenv use m",
            "",
            "",
            &["me@corp", "me@corp2", "my profile"][..],
        ),
        ("awsenv use my\\ p", "", "", &["my profile"][..]),
        ("awsenv use 'my", "'", "'", &["my profile"][..]),
        ("awsenv use \"my", "\"", "\"", &["my profile"][..]),
        ("awsenv use 'it", "'", "'", &["it's"][..]),
        ("awsenv use it", "", "", &["it's"][..]),
        // bash splits COMP_WORDS at `@`: readline replaces from the `@` on.
        ("awsenv use me@c", "me", "", &["me@corp", "me@corp2"][..]),
        ("awsenv use te", "", "", &["team/prod.admin"][..]),
        ("awsenv use \\$", "", "", &["$(touch pwned)"][..]),
        ("awsenv use \\`", "", "", &["`touch pwned`"][..]),
        (
            "awsenv --debug use --region eu-west-1 d",
            "",
            "",
            &["default", "dev"][..],
        ),
    ];
    for (line, kept, close, expected) in cases {
        let replies = bash_complete(&home, line);
        let words: BTreeSet<String> = replies
            .iter()
            .map(|r| bash_word(&home, &format!("{kept}{r}{close}")))
            .collect();
        assert_eq!(words, set(expected), "{line:?} gave {replies:?}");
    }
    assert_nothing_ran(&home);
}

#[test]
fn bash_offers_subcommands_and_values() {
    let home = home();
    let subcommands = [
        "use",
        "unset",
        "exec",
        "export",
        "list",
        "add",
        "remove",
        "clear",
        "rotate",
        "login",
        "sso",
        "completions",
        "man",
        "init",
        "allow",
        "deny",
        "status",
        "help",
    ];
    let cases = [
        ("awsenv ", &subcommands[..]),
        ("awsenv e", &["exec", "export"][..]),
        (
            "awsenv use --shell ",
            &[
                "bash",
                "zsh",
                "fish",
                "powershell",
                "posix",
                "nu",
                "elvish",
                "xonsh",
                "tcsh",
            ][..],
        ),
        ("awsenv unset --shell p", &["powershell", "posix"][..]),
        (
            "awsenv export --format ",
            &[
                "env",
                "env-no-export",
                "fish",
                "powershell",
                "nu",
                "elvish",
                "xonsh",
                "tcsh",
                "windows-cmd",
                "process",
            ][..],
        ),
        (
            "awsenv completions ",
            &[
                "bash",
                "zsh",
                "fish",
                "powershell",
                "elvish",
                "nu",
                "xonsh",
                "tcsh",
            ][..],
        ),
        ("awsenv man e", &["exec", "export"][..]),
        ("awsenv use --no-", &["--no-cache"][..]),
    ];
    for (line, expected) in cases {
        assert_eq!(
            BTreeSet::from_iter(bash_complete(&home, line)),
            set(expected),
            "{line:?}"
        );
    }
    // `--shell=f`: readline replaces after the `=`.
    assert_eq!(bash_complete(&home, "awsenv use --shell=f"), ["fish"]);
}

/// The long flags `awsenv ARGS --help` documents.
fn documented_flags(home: &Home, args: &[&str]) -> BTreeSet<String> {
    let mut full = args.to_vec();
    full.push("--help");
    let help = home.run(&full).success().stdout;
    help.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("-")
                .filter(|r| !r.starts_with('-'))
                .map_or(l, |r| r.split_once(", ").map_or(l, |(_, rest)| rest));
            let flag = l.strip_prefix("--")?;
            let name: String = flag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            Some(format!("--{name}"))
        })
        .collect()
}

#[test]
fn every_documented_flag_of_every_subcommand_completes() {
    let home = home();
    let subcommands: Vec<String> = bash_complete(&home, "awsenv ")
        .into_iter()
        .filter(|s| s != "help")
        .collect();
    assert!(subcommands.len() >= 7, "{subcommands:?}");
    for sub in std::iter::once(None).chain(subcommands.iter().map(Some)) {
        let args: Vec<&str> = sub.iter().map(|s| s.as_str()).collect();
        let documented = documented_flags(&home, &args);
        assert!(documented.contains("--help"), "{sub:?}: {documented:?}");
        let line = match sub {
            Some(s) => format!("awsenv {s} --"),
            None => "awsenv --".to_string(),
        };
        let offered = BTreeSet::from_iter(bash_complete(&home, &line));
        assert_eq!(offered, documented, "{line:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Interactive shells under tmux: real readline / zle / fish inserting the completion.

/// Types `typed`, presses TAB, then turns the line into `show TAG …` and runs it; `show` (defined
/// by the rc file) prints the last word as `TAG[word]`. Returns that word.
fn complete_and_show(tmux: &Term, tag: &str, typed: &str) -> String {
    tmux.type_text(typed);
    tmux.keys(&["Tab"]);
    tmux.keys(&["C-a"]);
    tmux.type_text(&format!("show {tag} "));
    tmux.keys(&["Enter"]);
    let open = format!("{tag}[");
    let line = tmux.wait_line(|l| l.starts_with(&open));
    line[open.len()..line.len() - 1].to_string()
}

/// (typed, word the shell must end up with)
const TYPED: [(&str, &str); 10] = [
    ("awsenv use my", "my profile"),
    ("awsenv use my\\ p", "my profile"),
    ("awsenv use 'my", "my profile"),
    ("awsenv use \"my", "my profile"),
    ("awsenv use it", "it's"),
    ("awsenv use me@corp2", "me@corp2"),
    ("awsenv use te", "team/prod.admin"),
    ("awsenv use \\$", "$(touch pwned)"),
    ("awsenv use \\`", "`touch pwned`"),
    ("awsenv exec --region eu-west-1 defa", "default"),
];

fn check_typed(tmux: &Term, home: &Home) {
    for (i, (typed, expected)) in TYPED.iter().enumerate() {
        let tag = format!("C{i}");
        let word = complete_and_show(tmux, &tag, typed);
        assert_eq!(&word, expected, "typed {typed:?}");
    }
    assert_nothing_ran(home);
}

#[test]
fn interactive_bash_inserts_names_inertly() {
    let home = home();
    let rc = home.path().join("bashrc");
    std::fs::write(
        &rc,
        format!(
            "PS1='READY> '\nbind 'set bell-style none'\nsource '{}'\nshow() {{ printf '%s[%s]\\n' \"$1\" \"${{@: -1}}\"; }}\n",
            script("awsenv.bash").display()
        ),
    )
    .unwrap();
    let tmux = Term::start(
        &[
            require("bash").to_str().unwrap(),
            "--noprofile",
            "--rcfile",
            rc.to_str().unwrap(),
            "-i",
        ],
        &home.env,
        home.path(),
    );
    tmux.wait_line(|l| l.starts_with("READY>"));
    check_typed(&tmux, &home);
    // bash's `@` word break: the part before it must survive a completion of the part after.
    assert_eq!(complete_and_show(&tmux, "AT", "awsenv use me@c"), "me@corp");
}

/// An interactive zsh with compinit in a clean ZDOTDIR. `compadd` is wrapped to record the
/// matches zsh accepts, so the listing can be read; `load` is how the script gets in.
fn zsh_session(home: &Home, load: &str) -> Term {
    let zdotdir = home.path().join("zdot");
    std::fs::create_dir_all(&zdotdir).unwrap();
    let matches = home.path().join("matches");
    std::fs::write(
        zdotdir.join(".zshrc"),
        format!(
            "PROMPT='READY> '\nunsetopt beep\n{load}\n\
             show() {{ printf '%s[%s]\\n' \"$1\" \"${{argv[-1]}}\"; }}\n\
             compadd() {{\n  local -a __hits\n  builtin compadd -O __hits \"$@\"\n  \
             (( ${{#__hits}} )) && print -rl -- $__hits >> '{}'\n  builtin compadd \"$@\"\n}}\n",
            matches.display()
        ),
    )
    .unwrap();
    let mut env = home.env.clone();
    env.insert("ZDOTDIR".into(), zdotdir.display().to_string());
    env.insert("TERM".into(), "xterm".into());
    let tmux = Term::start(&[require("zsh").to_str().unwrap(), "-i"], &env, home.path());
    tmux.wait_line(|l| l.starts_with("READY>"));
    tmux
}

/// The matches zsh offered at one TAB after `typed`; `tag` marks this listing's end on screen.
fn zsh_listing(tmux: &Term, home: &Home, tag: &str, typed: &str) -> BTreeSet<String> {
    let file = home.path().join("matches");
    let _ = std::fs::remove_file(&file);
    tmux.type_text(typed);
    tmux.keys(&["Tab"]);
    tmux.keys(&["C-u"]);
    tmux.type_text(&format!("show {tag} x"));
    tmux.keys(&["Enter"]);
    tmux.wait_line(|l| l.starts_with(&format!("{tag}[")));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    text.lines().map(String::from).collect()
}

#[test]
fn interactive_zsh_sourced_after_compinit() {
    let home = home();
    let load = format!(
        "autoload -Uz compinit && compinit -u -D\nsource '{}'",
        script("_awsenv").display()
    );
    let tmux = zsh_session(&home, &load);
    assert_eq!(
        zsh_listing(&tmux, &home, "L1", "awsenv use "),
        set(&PROFILES),
        "awsenv use <TAB>"
    );
    assert_eq!(
        zsh_listing(&tmux, &home, "L2", "awsenv use --shell "),
        set(&[
            "bash",
            "zsh",
            "fish",
            "powershell",
            "posix",
            "nu",
            "elvish",
            "xonsh",
            "tcsh"
        ])
    );
    check_typed(&tmux, &home);
}

#[test]
fn interactive_zsh_from_fpath() {
    let home = home();
    let load = format!(
        "fpath=('{}' $fpath)\nautoload -Uz compinit && compinit -u -D",
        repo().join("completions").display()
    );
    let tmux = zsh_session(&home, &load);
    assert_eq!(
        zsh_listing(&tmux, &home, "L1", "awsenv exec "),
        set(&PROFILES)
    );
    assert_eq!(complete_and_show(&tmux, "F", "awsenv use my"), "my profile");
    assert_nothing_ran(&home);
}

// ---------------------------------------------------------------------------------------------
// fish

/// `complete -C LINE` in fish with the committed script sourced: the candidate values.
fn fish_complete(home: &Home, line: &str) -> Vec<String> {
    let mut c = Command::new(require("fish"));
    c.args(["--no-config", "--private", "-c"])
        .arg("source $argv[1]; and complete -C $argv[2]")
        .arg(script("awsenv.fish"))
        .arg(line);
    home.isolate(&mut c);
    let out = Run::from(c.output().unwrap());
    assert!(out.ok() && out.stderr.is_empty(), "fish: {}", out.stderr);
    out.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn fish_offers_exactly_the_profiles() {
    let home = home();
    let cases = [
        ("awsenv use ", &PROFILES[..]),
        ("awsenv export ", &PROFILES[..]),
        ("awsenv use my\\ p", &["my profile"][..]),
        ("awsenv use 'my p", &["my profile"][..]),
        ("awsenv use \"my", &["my profile"][..]),
        ("awsenv use it\\'", &["it's"][..]),
        ("awsenv use me@", &["me@corp", "me@corp2"][..]),
        ("awsenv use team/", &["team/prod.admin"][..]),
        ("awsenv exec 'my profile' --re", &["--region"][..]),
        (
            "awsenv use --shell ",
            &[
                "bash",
                "zsh",
                "fish",
                "powershell",
                "posix",
                "nu",
                "elvish",
                "xonsh",
                "tcsh",
            ][..],
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(
            BTreeSet::from_iter(fish_complete(&home, line)),
            set(expected),
            "{line:?}"
        );
    }
    assert_nothing_ran(&home);
}

#[test]
fn interactive_fish_inserts_names_inertly() {
    let home = home();
    let conf = home.path().join("config.fish");
    std::fs::write(
        &conf,
        format!(
            "function fish_prompt; echo -n 'READY> '; end\nsource '{}'\n\
             function show; printf '%s[%s]\\n' $argv[1] $argv[-1]; end\n",
            script("awsenv.fish").display()
        ),
    )
    .unwrap();
    let tmux = Term::start(
        &[
            require("fish").to_str().unwrap(),
            "--no-config",
            "--private",
            "-C",
            &format!("source '{}'", conf.display()),
        ],
        &home.env,
        home.path(),
    );
    tmux.wait_line(|l| l.starts_with("READY>"));
    check_typed(&tmux, &home);
}

// ---------------------------------------------------------------------------------------------
// PowerShell (not installable here): parse the script and the answers with tree-sitter.

/// Parses each of `sources` as PowerShell; returns, per source, the error/missing nodes found
/// and the syntax trees of the elements of the first command.
fn parse_powershell(sources: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let program = r#"
import json, sys
import tree_sitter, tree_sitter_powershell
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
out = []
for src in json.load(sys.stdin):
    tree = parser.parse(src.encode())
    errors, elements = [], []
    def walk(n):
        if n.type == "ERROR" or n.is_missing:
            errors.append(f"{n.type} at {n.start_point}")
        for c in n.children:
            walk(c)
    walk(tree.root_node)
    def first(n, kind):
        if n.type == kind:
            return n
        for c in n.children:
            f = first(c, kind)
            if f:
                return f
    cmd = first(tree.root_node, "command")
    if cmd:
        for c in cmd.children:
            if c.type == "command_name":
                elements.append(str(c))
            elif c.type == "command_elements":
                elements += [str(e) for e in c.children if e.type != "command_argument_sep"]
    out.append([errors, elements])
json.dump(out, sys.stdout)
"#;
    let mut c = Command::new(venv_bin("python"));
    c.arg("-c").arg(program);
    let out = support::run_with_stdin(c, Some(&serde_json::to_string(sources).unwrap()));
    assert!(out.ok(), "tree-sitter: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn powershell_script_parses_and_answers_are_quoted() {
    let home = home();
    let text = std::fs::read_to_string(script("awsenv.ps1")).unwrap();
    let (_, code) = text.split_once("Register-ArgumentCompleter").unwrap();
    assert!(
        !code.contains("Invoke-Expression"),
        "nothing typed is evaluated"
    );
    let parsed = parse_powershell(&[text]);
    assert!(parsed[0].0.is_empty(), "awsenv.ps1: {:?}", parsed[0].0);

    // The answer for `awsenv use <TAB>` and `awsenv use 'my<TAB>`: the completion text of each
    // profile, pasted into a command, must parse as one argument with no error.
    for current in ["", "'my", "it"] {
        let mut c = home.awsenv(&["--", "awsenv", "use"]);
        c.env("_AWSENV_COMPLETE", "powershell")
            .env("_AWSENV_COMP_CURRENT", current);
        let out = Run::from(c.output().unwrap()).success();
        let lines: Vec<Vec<&str>> = out
            .stdout
            .lines()
            .map(|l| l.split('\t').collect())
            .collect();
        let listed: BTreeSet<String> = lines.iter().map(|f| f[1].to_string()).collect();
        let expected: BTreeSet<String> = PROFILES
            .iter()
            .filter(|p| p.starts_with(current.trim_start_matches('\'')))
            .map(|p| p.to_string())
            .collect();
        assert_eq!(listed, expected, "current {current:?}");
        assert!(lines.iter().all(|f| f.len() == 3 && !f[2].is_empty()));
        let commands: Vec<String> = lines
            .iter()
            .map(|f| format!("awsenv use {}", f[0]))
            .collect();
        for (command, (errors, elements)) in commands.iter().zip(parse_powershell(&commands)) {
            assert!(errors.is_empty(), "{command}: {errors:?}");
            assert_eq!(elements.len(), 3, "{command} parsed as {elements:?}");
            // A bare word or a verbatim ('…') string: nothing PowerShell would expand or run.
            let arg = &elements[2];
            let inert = arg == "(generic_token)"
                || arg == "(array_literal_expression (unary_expression (string_literal (verbatim_string_characters))))";
            assert!(inert, "{command}: the argument parses as {arg}");
        }
    }
}

#[test]
fn completions_without_a_shell_writes_for_the_calling_one() {
    let mut home = home();
    home.set("SHELL", "/bin/zsh");
    for (shell, file) in [
        ("bash", "awsenv.bash"),
        ("zsh", "_awsenv"),
        ("fish", "awsenv.fish"),
    ] {
        let mut c = Command::new(require(shell));
        c.arg("-c").arg("awsenv completions; true");
        home.isolate(&mut c);
        let out = Run::from(c.output().unwrap()).success();
        let expected = std::fs::read_to_string(script(file)).unwrap();
        assert_eq!(out.stdout, expected, "from {shell}");
    }
    // A plain POSIX shell has no completion: a clean error, nothing on stdout.
    let mut c = Command::new(require("dash"));
    c.arg("-c").arg("awsenv completions; exit $?");
    home.isolate(&mut c);
    let err = Run::from(c.output().unwrap()).clean_failure();
    assert!(err.contains("awsenv completions bash"), "{err}");
}
