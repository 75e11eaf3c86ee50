//! The shell integration files themselves: linted and parsed by each shell, and the scripts the
//! binary prints for them (init, hook) checked the same way. PowerShell cannot be installed here,
//! so its files and output are parsed with tree-sitter-powershell and checked exactly.

use std::process::Command;

use crate::support::{bin, repo, require, run_with_stdin, venv_bin, Home, Run};

fn init(shell: &str) -> String {
    Home::new().run(&["init", shell]).success().stdout
}

/// Runs `program args…` with `text` in a temporary file as the last argument.
fn check_file(program: &str, args: &[&str], text: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("script");
    std::fs::write(&f, text).unwrap();
    Run::from(
        Command::new(require(program))
            .args(args)
            .arg(&f)
            .output()
            .unwrap(),
    )
}

#[track_caller]
fn assert_clean(what: &str, r: Run) {
    assert!(
        r.ok() && r.stderr.is_empty(),
        "{what}: {:?}\n{}{}",
        r.status,
        r.stdout,
        r.stderr
    );
}

#[test]
fn bash_file_passes_shellcheck_and_bash() {
    let file = repo().join("shell/awsenv.bash");
    let text = std::fs::read_to_string(&file).unwrap();
    for args in [&["--shell=bash"][..], &["--shell=bash", "--enable=all"][..]] {
        assert_clean(
            &format!("shellcheck {args:?}"),
            check_file("shellcheck", args, &text),
        );
        assert_clean(
            &format!("shellcheck {args:?} of init output"),
            check_file("shellcheck", args, &init("bash")),
        );
    }
    assert_clean("bash -n", check_file("bash", &["-n"], &text));
    assert_clean("bash -n init", check_file("bash", &["-n"], &init("bash")));
}

#[test]
fn zsh_file_parses() {
    let text = std::fs::read_to_string(repo().join("shell/awsenv.zsh")).unwrap();
    assert_clean("zsh -n", check_file("zsh", &["-n"], &text));
    assert_clean("zsh -n init", check_file("zsh", &["-n"], &init("zsh")));
}

#[test]
fn fish_file_parses() {
    let text = std::fs::read_to_string(repo().join("shell/awsenv.fish")).unwrap();
    assert_clean(
        "fish --no-execute",
        check_file("fish", &["--no-execute"], &text),
    );
    assert_clean(
        "fish --no-execute init",
        check_file("fish", &["--no-execute"], &init("fish")),
    );
}

#[test]
fn the_checkers_catch_broken_scripts() {
    // Each check above can fail: a broken line in each language is reported.
    assert!(!check_file("bash", &["-n"], "if true; then\n").ok());
    assert!(!check_file("zsh", &["-n"], "if true; then\n").ok());
    assert!(!check_file("fish", &["--no-execute"], "if true\n").ok());
    assert!(!check_file("shellcheck", &["--shell=bash"], "echo $1\n").ok());
    assert!(ps_errors("$env:A = 'it's';").contains("ERROR"));
}

/// Parses PowerShell with tree-sitter; returns the ERROR/MISSING nodes found (empty: clean).
fn ps_errors(text: &str) -> String {
    const PY: &str = r#"
import sys
import tree_sitter_powershell as tsp
from tree_sitter import Language, Parser
src = sys.stdin.buffer.read()
tree = Parser(Language(tsp.language())).parse(src)
bad = []
def walk(n):
    if n.type == "ERROR" or n.is_missing:
        bad.append("%s at %s: %r" % ("MISSING" if n.is_missing else "ERROR", n.start_point, src[n.start_byte:n.end_byte][:80]))
    for c in n.children:
        walk(c)
walk(tree.root_node)
print("\n".join(bad))
"#;
    let mut c = Command::new(venv_bin("python"));
    c.args(["-c", PY]);
    let r = run_with_stdin(c, Some(text));
    assert!(r.ok(), "tree-sitter: {}", r.stderr);
    r.stdout.trim().to_string()
}

#[test]
fn powershell_file_and_init_output_parse() {
    let text = std::fs::read_to_string(repo().join("shell/awsenv.ps1")).unwrap();
    assert_eq!(ps_errors(&text), "", "shell/awsenv.ps1");
    let out = init("powershell");
    assert_eq!(ps_errors(&out), "", "init powershell:\n{out}");
    // The only difference is the line naming the binary, with the path single-quoted, and the
    // tab completion script after it (completions/awsenv.ps1, generated from the CLI).
    let exe = bin().display().to_string();
    let completion = std::fs::read_to_string(repo().join("completions/awsenv.ps1")).unwrap();
    assert_eq!(
        out,
        format!(
            "{}\n{completion}",
            text.replace(
                "$global:__awsenv_bin = 'awsenv'",
                &format!("$global:__awsenv_bin = '{}'", exe.replace('\'', "''"))
            )
        )
    );
}

#[test]
fn powershell_hook_output_parses_and_is_exact() {
    let home = Home::new();
    home.credentials(
        "[it's ‘q’ $x]\naws_access_key_id = AKIAPS\naws_secret_access_key = a'b`c$(d)‘e’\n",
    );
    // A directory named with quotes PowerShell treats as quotes, holding an allowed marker.
    let dir = home.path().join("w ’x’ 'y'");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".awsprofile"), "it's ‘q’ $x\nregion = eu-west-1\n").unwrap();
    home.run(&["allow", &dir.display().to_string()]).success();

    // Nothing here, nothing remembered: nothing to do.
    let out = home.run(&["hook", "powershell"]).success();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    // A state left by a marker that no longer applies is cleared.
    let mut c = home.awsenv(&["hook", "powershell"]);
    c.env(
        "__AWSENV_STATE",
        r#"{"reported":{"marker":"/x/.awsprofile","digest":"d","why":"failed"}}"#,
    )
    .env("__AWSENV_REFRESH_AT", "5");
    let out = Run::from(c.output().unwrap()).success();
    assert_eq!(
        out.stdout,
        "Remove-Item -LiteralPath 'Env:__AWSENV_REFRESH_AT' -ErrorAction SilentlyContinue;\n\
         Remove-Item -LiteralPath 'Env:__AWSENV_STATE' -ErrorAction SilentlyContinue;\n"
    );

    let mut c = home.awsenv(&["hook", "powershell"]);
    c.current_dir(&dir).env("PWD", &dir);
    let out = Run::from(c.output().unwrap()).success();
    assert_eq!(ps_errors(&out.stdout), "", "{}", out.stdout);
    assert_eq!(out.stderr, "awsenv: it's ‘q’ $x\n");
    // The difference from the environment it runs in (which holds nothing of awsenv's): no
    // removals of variables that are not there.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..lines.len() - 1],
        [
            "$env:AWS_ACCESS_KEY_ID = 'AKIAPS';",
            "$env:AWS_SECRET_ACCESS_KEY = 'a''b`c$(d)‘‘e’’';",
            "$env:AWS_REGION = 'eu-west-1';",
            "$env:AWS_DEFAULT_REGION = 'eu-west-1';",
            "$env:AWSENV_PROFILE = 'it''s ‘‘q’’ $x';",
        ]
    );
    let last = lines.last().unwrap();
    assert!(last.starts_with("$env:__AWSENV_STATE = '{"), "{last}");
    assert!(last.ends_with("}';"), "{last}");
    // The state names the marker with the directory's quotes doubled.
    assert!(last.contains("w ’’x’’ ''y''"), "{last}");
}

#[test]
fn init_rejects_posix_sh_cleanly() {
    let err = Home::new().run(&["init", "sh"]).clean_failure();
    assert!(
        err.contains("bash, zsh, fish, powershell, nu, elvish, xonsh or tcsh"),
        "{err}"
    );
}

/// `nu-check` of a file: "true" or "false" on stdout.
fn nu_check(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("script.nu");
    std::fs::write(&f, text).unwrap();
    let r = Run::from(
        Command::new(crate::support::Sh::Nu.path())
            .args(["--no-config-file", "-c", "nu-check $env.F"])
            .env("F", &f)
            .output()
            .unwrap(),
    );
    assert!(r.ok(), "nu-check: {}", r.stderr);
    r.stdout.trim().to_string()
}

#[test]
fn nu_file_and_init_output_parse() {
    let text = std::fs::read_to_string(repo().join("shell/awsenv.nu")).unwrap();
    // The integration refers to the completer, which `init` appends.
    assert_eq!(nu_check(&init("nu")), "true");
    assert_eq!(
        nu_check(
            &format!(
                "{text}\n{}",
                Home::new().run(&["completions", "nu"]).success().stdout
            )
            .replace(
                "@complete __awsenv_complete\nextern \"awsenv\" [...args]\n",
                ""
            )
        ),
        "true"
    );
    assert_eq!(nu_check("def f [] { let x = (\n"), "false");
}

/// elvish compiles the file; outside its editor only the `edit:` names are unknown.
#[test]
fn elvish_init_output_compiles() {
    let check = |text: &str| {
        let r = check_file("elvish", &["-compileonly"], text);
        let unknown: Vec<String> = r
            .stderr
            .lines()
            .filter(|l| l.contains("not found") || l.contains("cannot find"))
            .map(String::from)
            .collect();
        (r, unknown)
    };
    let (r, unknown) = check(&init("elvish"));
    assert!(!unknown.is_empty(), "{}", r.stderr);
    assert!(unknown.iter().all(|l| l.contains("edit:")), "{}", r.stderr);
    assert!(!r.stderr.contains("parse error"), "{}", r.stderr);
    let (r, unknown) = check("fn f { put $nosuchvar }\n");
    assert!(!r.ok() && unknown.iter().any(|l| !l.contains("edit:")));
}
