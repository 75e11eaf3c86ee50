//! The security audit's findings (`../shared/SECURITY-AUDIT.md`, issue 11), each reproduced as
//! the report ran it: real bash, zsh and fish loading the integration, and the binary itself.
//! The findings that need a second local user are in `security_users.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, bin, sh_quote, Home, Run, Sh};

pub const SHELLS: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

/// Runs `body` in a non-interactive `shell` that loaded `awsenv init` the README's way. `go DIR`
/// changes directory as a person at a prompt would (bash runs its prompt hook after the `cd`;
/// zsh's chpwd and fish's PWD handler run by themselves). Lines of `body` are plain commands
/// that all three shells read alike.
pub fn in_shell(h: &Home, shell: Sh, cwd: &Path, body: &str) -> Run {
    let b = sh_quote(&bin().display().to_string());
    let (program, script) = match shell {
        Sh::Bash => (
            "bash",
            format!(
                "eval \"$({b} init bash)\"\ngo() {{ cd \"$1\" && __awsenv_hook; }}\n__awsenv_hook\n{body}\n"
            ),
        ),
        Sh::Zsh => (
            "zsh",
            format!("autoload -Uz compinit && compinit -u -D\neval \"$({b} init zsh)\"\ngo() {{ cd \"$1\" }}\n__awsenv_hook\n{body}\n"),
        ),
        Sh::Fish => (
            "fish",
            format!(
                "{b} init fish | source\nfunction go; cd $argv[1]; end\n__awsenv_hook\n{body}\n"
            ),
        ),
        Sh::Dash | Sh::Nu | Sh::Elvish => unreachable!("not one of SHELLS"),
    };
    let mut c = Command::new(support::require(program));
    match shell {
        Sh::Bash => c.args(["--norc", "--noprofile", "-c", &script]),
        Sh::Zsh => c.args(["--no-rcs", "-c", &script]),
        _ => c.args(["--no-config", "-c", &script]),
    };
    h.isolate(&mut c);
    c.current_dir(cwd).env("PWD", cwd);
    Run::from(c.output().unwrap())
}

/// A home with static keys for `prod`, `dev` and `prod-admin`, and no STS to reach.
pub fn keys_home() -> Home {
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    h.credentials(
        "[prod]\naws_access_key_id = AKIAPRODEXAMPLE00001\naws_secret_access_key = s\n\
         [dev]\naws_access_key_id = AKIADEVEXAMPLE000001\naws_secret_access_key = d\n\
         [prod-admin]\naws_access_key_id = AKIAPRODADMIN0000001\naws_secret_access_key = P\n",
    );
    h
}

/// Creates `rel` under the home (with parents) and returns it.
pub fn dir(h: &Home, rel: &str) -> PathBuf {
    let d = h.path().join(rel);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn q(p: &Path) -> String {
    sh_quote(&p.display().to_string())
}

/// `awsenv ARGS` run in `cwd`.
pub fn run_in(h: &Home, cwd: &Path, args: &[&str]) -> Run {
    let mut c = h.awsenv(args);
    c.current_dir(cwd).env("PWD", cwd);
    Run::from(c.output().unwrap())
}

/// 2: a `.awsprofile` that is a symlink to a marker the user allowed is a marker of its own: not
/// allowed, and `deny` in the clone denies the clone's marker, never the real one.
#[test]
fn a_symlinked_marker_does_not_inherit_the_trust_of_its_target() {
    let h = keys_home();
    let real = dir(&h, "work/prod");
    std::fs::write(real.join(".awsprofile"), "prod\n").unwrap();
    h.run(&["allow", &real.display().to_string()]).success();
    let relative = dir(&h, "src/evil-repo");
    std::os::unix::fs::symlink("../../work/prod/.awsprofile", relative.join(".awsprofile"))
        .unwrap();
    let absolute = dir(&h, "src/evil-abs");
    std::os::unix::fs::symlink(real.join(".awsprofile"), absolute.join(".awsprofile")).unwrap();

    for shell in SHELLS {
        for clone in [&relative, &absolute] {
            let run = in_shell(
                &h,
                shell,
                h.path(),
                &format!(
                    "go {}\necho \"[$AWSENV_PROFILE][$AWS_ACCESS_KEY_ID]\"\ngo {}\necho \"[$AWSENV_PROFILE]\"",
                    q(clone),
                    q(&real)
                ),
            );
            assert_eq!(
                run.stdout.lines().collect::<Vec<_>>(),
                ["[][]", "[prod]"],
                "{shell:?} {}: {}",
                clone.display(),
                run.stderr
            );
            assert!(
                run.stderr
                    .contains("is not allowed (it loads profile `prod`)"),
                "{shell:?}: {}",
                run.stderr
            );
        }
    }
    // `deny` in the clone: the clone's marker is denied, the user's own stays allowed.
    run_in(&h, &relative, &["deny"]).success();
    let status = run_in(&h, &relative, &["status"]).success().stdout;
    assert!(
        status.contains("evil-repo/.awsprofile (profile `prod`), denied"),
        "{status}"
    );
    let status = run_in(&h, &real, &["status"]).success().stdout;
    assert!(
        status.contains("work/prod/.awsprofile (profile `prod`), allowed"),
        "{status}"
    );
    // And the clone can be allowed by its own path.
    run_in(&h, &relative, &["allow"]).success();
    let status = run_in(&h, &relative, &["status"]).success().stdout;
    assert!(
        status.contains("evil-repo/.awsprofile (profile `prod`), allowed"),
        "{status}"
    );
}

/// 3: a marker is read from the opened file, at most 64 KiB of it: a huge sparse file is refused
/// without being read, and so is a file in a directory that other users can write to.
#[test]
fn a_huge_marker_or_one_in_a_world_writable_directory_is_refused_in_one_line() {
    let h = keys_home();
    let big = dir(&h, "big/sub");
    let f = std::fs::File::create(h.path().join("big/.awsprofile")).unwrap();
    f.set_len(200 << 20).unwrap(); // sparse: 200 MiB of NULs, no blocks on disk
    let run = run_in(&h, &big, &["hook", "bash"]).success();
    assert!(
        run.stderr.contains("larger than 64 KiB") && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
    // `allow` and `status` refuse it the same way.
    let line = run_in(&h, &big, &["allow"]).clean_failure();
    assert!(line.contains("larger than 64 KiB"), "{line}");

    // A marker the user owns, in a directory everyone can write to (a shared scratch area):
    // someone else could have put it there.
    let shared = dir(&h, "shared");
    std::fs::set_permissions(
        &shared,
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    std::fs::write(shared.join(".awsprofile"), "prod\n").unwrap();
    let build = dir(&h, "shared/build");
    for shell in SHELLS {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!("go {}\necho \"[$AWSENV_PROFILE]\"", q(&build)),
        );
        assert_eq!(run.stdout, "[]\n", "{shell:?}: {}", run.stderr);
        let notices: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(notices.len(), 1, "{shell:?}: {}", run.stderr);
        assert!(
            notices[0].contains("is writable by other users") && !notices[0].contains("allow"),
            "{shell:?}: {}",
            run.stderr
        );
    }
    let line = run_in(&h, &build, &["allow"]).clean_failure();
    assert!(line.contains("writable by other users"), "{line}");
}

/// 6: `awsenv unset` inside a marked tree keeps the tree unloaded while the shell moves inside
/// it; leaving the tree puts back what the shell had before entering it.
#[test]
fn unset_inside_a_marked_tree_stays_unset_until_the_tree_is_left() {
    let h = keys_home();
    let repo = dir(&h, "repo/src/deeper");
    let root = h.path().join("repo");
    std::fs::write(root.join(".awsprofile"), "prod\n").unwrap();
    h.run(&["allow", &root.display().to_string()]).success();
    for shell in SHELLS {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "awsenv use prod-admin\ngo {root}\necho \"[$AWSENV_PROFILE]\"\nawsenv unset\n\
                 echo \"[$AWSENV_PROFILE]\"\ngo {src}\necho \"[$AWSENV_PROFILE][$AWS_ACCESS_KEY_ID]\"\n\
                 go {deeper}\necho \"[$AWSENV_PROFILE]\"\ngo {home}\necho \"[$AWSENV_PROFILE]\"",
                root = q(&root),
                src = q(&root.join("src")),
                deeper = q(&repo),
                home = q(h.path()),
            ),
        );
        assert_eq!(
            run.stdout.lines().collect::<Vec<_>>(),
            ["[prod]", "[]", "[][]", "[]", "[prod-admin]"],
            "{shell:?}: {}",
            run.stderr
        );
    }
}

/// 11: values that start with `=` (zsh's `=cmd` expansion) or `~` come back byte for byte from
/// `use` in every shell, and a name with no such command does not abort the script halfway.
#[test]
fn values_starting_with_equals_or_tilde_are_quoted() {
    let h = Home::new();
    h.credentials(
        "[=ls]\naws_access_key_id = AKIAEXAMPLE000000001\naws_secret_access_key = =ls\n\
         [=nosuchcmd]\naws_access_key_id = AKIAEXAMPLE000000002\naws_secret_access_key = ~root\n\
         [~root]\naws_access_key_id = AKIAEXAMPLE000000003\naws_secret_access_key = =nosuchcmd:~root\n",
    );
    for sh in Sh::POSIX_AND_FISH {
        for (profile, key, secret) in [
            ("=ls", "AKIAEXAMPLE000000001", "=ls"),
            ("=nosuchcmd", "AKIAEXAMPLE000000002", "~root"),
            ("~root", "AKIAEXAMPLE000000003", "=nosuchcmd:~root"),
        ] {
            let script = h
                .run(&["use", profile, "--shell", sh.flag()])
                .success()
                .stdout;
            let (env, run) = support::eval_in(sh, &script, &h.env, h.path());
            assert!(
                run.ok() && run.stderr.is_empty(),
                "{sh:?} {profile}: {}",
                run.stderr
            );
            assert_eq!(env["AWSENV_PROFILE"], profile, "{sh:?}");
            assert_eq!(env["AWS_ACCESS_KEY_ID"], key, "{sh:?}");
            assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret, "{sh:?}");
        }
    }
}

/// 12: TAB inside `"…"` in an interactive bash inserts a name with `!` so that history expansion
/// leaves it alone when the line runs.
#[test]
fn bash_completion_in_double_quotes_keeps_bangs() {
    let mut h = Home::new();
    h.with_awsenv_on_path();
    h.credentials(
        "[bang!!]\naws_access_key_id = AKIA0000000000000001\naws_secret_access_key = x\n\
         [a!b\"c]\naws_access_key_id = AKIA0000000000000002\naws_secret_access_key = x\n",
    );
    let rc = h.path().join("bashrc");
    let completion = h.run(&["completions", "bash"]).success().stdout;
    std::fs::write(h.path().join("completion.bash"), completion).unwrap();
    std::fs::write(
        &rc,
        "PS1='READY> '\nbind 'set bell-style none'\nsource ~/completion.bash\n\
         show() { printf '%s[%s]\\n' \"$1\" \"${@: -1}\"; }\n",
    )
    .unwrap();
    let t = support::Term::start(
        &[
            support::require("bash").to_str().unwrap(),
            "--noprofile",
            "--rcfile",
            rc.to_str().unwrap(),
            "-i",
        ],
        &h.env,
        h.path(),
    );
    t.wait_line(|l| l.starts_with("READY>"));
    // A previous command for `!!` to expand to.
    t.type_line("echo \"x\"; echo INJECTED");
    for (i, (typed, want)) in [("awsenv use \"ba", "bang!!"), ("awsenv use \"a", "a!b\"c")]
        .into_iter()
        .enumerate()
    {
        t.type_text(typed);
        t.keys(&["Tab"]);
        t.keys(&["C-a"]);
        t.type_text(&format!("show B{i} "));
        t.keys(&["Enter"]);
        let open = format!("B{i}[");
        let line = t.wait_line(|l| l.starts_with(&open));
        assert_eq!(&line[open.len()..line.len() - 1], want, "typed {typed:?}");
    }
}

/// 13: credentials that come back with less life than the refresh margin are not fetched again
/// at every prompt or `cd` inside the tree (the credential_process could prompt each time).
#[test]
fn short_lived_credentials_are_not_fetched_at_every_prompt() {
    let h = Home::new();
    let count = h.path().join("cp.count");
    let cp = h.script(
        "cp.sh",
        &format!(
            "#!/bin/sh\necho run >> {}\n\
             echo \"{{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"ASIAX\\\",\\\"SecretAccessKey\\\":\\\"S\\\",\\\"SessionToken\\\":\\\"T\\\",\\\"Expiration\\\":\\\"$(date -u -d '+120 seconds' +%Y-%m-%dT%H:%M:%SZ)\\\"}}\"\n",
            sh_quote(&count.display().to_string())
        ),
    );
    h.config(&format!(
        "[profile short]\ncredential_process = {}\n",
        cp.display()
    ));
    let m = dir(&h, "m/sub");
    let root = h.path().join("m");
    std::fs::write(root.join(".awsprofile"), "short\n").unwrap();
    h.run(&["allow", &root.display().to_string()]).success();
    for shell in SHELLS {
        let _ = std::fs::remove_file(&count);
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "go {root}\n__awsenv_hook\n__awsenv_hook\ngo {sub}\n__awsenv_hook\ngo {root}\n\
                 __awsenv_hook\necho \"[$AWSENV_PROFILE][$AWS_ACCESS_KEY_ID]\"",
                root = q(&root),
                sub = q(&m),
            ),
        );
        assert_eq!(run.stdout, "[short][ASIAX]\n", "{shell:?}: {}", run.stderr);
        let runs = std::fs::read_to_string(&count).unwrap().lines().count();
        assert_eq!(runs, 1, "{shell:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("refreshed"),
            "{shell:?}: {}",
            run.stderr
        );
    }
}

/// 18 (bash's refresh test): a `__AWSENV_REFRESH_AT` with a leading zero is not a number the
/// prompt hook chokes on at every prompt.
#[test]
fn bash_hook_ignores_a_refresh_time_with_a_leading_zero() {
    let h = Home::new();
    for value in ["08", "0999", "00"] {
        let run = in_shell(
            &h,
            Sh::Bash,
            h.path(),
            &format!("export __AWSENV_REFRESH_AT={value}\n__awsenv_hook\n__awsenv_hook\necho done"),
        );
        assert_eq!(run.stdout, "done\n", "{value}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{value}");
    }
}

/// 16: a `_AWSENV_COMPLETE` leaked into the environment answers nothing unless the call has the
/// completion shims' shape (`awsenv -- …`): `use` prints its script and `exec` runs its command.
#[test]
fn a_leaked_completion_variable_changes_no_command() {
    let h = keys_home();
    for shell in ["zsh", "bash", "fish", "nonsense"] {
        let mut c = h.awsenv(&["exec", "dev", "--", "sh", "-c", "echo RAN; exit 7"]);
        c.env("_AWSENV_COMPLETE", shell);
        let run = Run::from(c.output().unwrap());
        assert_eq!(run.stdout, "RAN\n", "{shell}: {}", run.stderr);
        assert_eq!(run.status.code(), Some(7), "{shell}");
        let mut c = h.awsenv(&["use", "--shell", "bash", "dev"]);
        c.env("_AWSENV_COMPLETE", shell);
        let run = Run::from(c.output().unwrap()).success();
        assert!(
            run.stdout
                .contains("export AWS_ACCESS_KEY_ID=AKIADEVEXAMPLE000001;"),
            "{shell}: {}",
            run.stdout
        );
    }
    // The shims' own call still gets its answer.
    let mut c = h.awsenv(&["--", "awsenv", "use", "pro"]);
    c.env("_AWSENV_COMPLETE", "fish");
    let run = Run::from(c.output().unwrap()).success();
    assert!(
        run.stdout.lines().any(|l| l.starts_with("prod")),
        "{}",
        run.stdout
    );
}

/// 17: `exec` exits as shells do when its command never ran: 127 for no such command, 126 for
/// one that cannot be executed; the command's own status passes through.
#[test]
fn exec_exits_127_or_126_when_the_command_cannot_run() {
    let h = keys_home();
    let not_exec = h.path().join("not-executable");
    std::fs::write(&not_exec, "#!/bin/sh\necho no\n").unwrap();
    for (cmd, code) in [
        ("/nonexistent/cmd", 127),
        ("no-such-command-awsenv", 127),
        (not_exec.to_str().unwrap(), 126),
        (h.path().to_str().unwrap(), 126),
    ] {
        let run = h.run(&["exec", "dev", "--", cmd]);
        assert_eq!(run.status.code(), Some(code), "{cmd}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("awsenv: cannot run"),
            "{}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
    let run = h.run(&["exec", "dev", "--", "sh", "-c", "exit 1"]);
    assert_eq!(run.status.code(), Some(1));
}

/// 8: a marker under a directory whose name is not UTF-8: one line on stderr, no panic, nothing
/// claimed loaded, and the shell's state stays usable (a later marker still loads).
#[test]
fn a_marker_under_a_non_utf8_directory_is_one_line_and_no_panic() {
    use std::os::unix::ffi::OsStrExt;
    let h = keys_home();
    let repo = dir(&h, "repo");
    let bad = repo.join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join(".awsprofile"), "dev\n").unwrap();
    let good = dir(&h, "good");
    std::fs::write(good.join(".awsprofile"), "prod\n").unwrap();
    h.run(&["allow", good.to_str().unwrap()]).success();
    let mut c = h.awsenv(&["allow"]);
    c.current_dir(&bad);
    Run::from(c.output().unwrap()).success();
    for shell in SHELLS {
        let enter = match shell {
            Sh::Fish => "go (printf 'bad\\377name')",
            _ => "go \"$(printf 'bad\\377name')\"",
        };
        let run = in_shell(
            &h,
            shell,
            &repo,
            &format!(
                "{enter}\necho \"[$AWSENV_PROFILE]\"\ngo {good}\necho \"[$AWSENV_PROFILE]\"",
                good = q(&good)
            ),
        );
        assert_eq!(run.stdout, "[]\n[prod]\n", "{shell:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{shell:?}: {}", run.stderr);
        assert!(
            lines[0].contains("is not UTF-8"),
            "{shell:?}: {}",
            run.stderr
        );
        assert_eq!(lines[1], "awsenv: prod", "{shell:?}");
    }
}

/// No ESC or BEL byte in `text`: terminal control characters arrive escaped.
#[track_caller]
fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}']),
        "{what} let a control character through: {text:?}"
    );
}

/// 7: terminal control characters from directory names (an invalid or unreadable marker) and
/// from profile names are escaped in the hook's notices, `allow`, `status`, `list`,
/// `list --long`, "did you mean" suggestions and completion answers.
#[test]
fn terminal_escapes_from_names_reach_no_terminal() {
    let mut h = keys_home();
    h.with_awsenv_on_path();
    let title = dir(&h, "x\u{1b}]0;OWNED-TITLE\u{7}\u{1b}[2J");
    std::fs::write(title.join(".awsprofile"), "dev\nrole_arn = x\n").unwrap();
    let red = dir(&h, "y\u{1b}[31mRED");
    std::os::unix::fs::symlink("/proc/self/mem", red.join(".awsprofile")).unwrap();
    for d in [&title, &red] {
        for shell in SHELLS {
            let run = in_shell(&h, shell, h.path(), &format!("go {}\necho done", q(d)));
            assert_eq!(run.stdout, "done\n", "{shell:?}: {}", run.stderr);
            assert!(run.stderr.contains("\\u{1b}"), "{shell:?}: {}", run.stderr);
            assert_inert(&format!("{shell:?} hook"), &run.stderr);
        }
        let run = run_in(&h, d, &["status"]);
        assert_inert("status", &format!("{}{}", run.stdout, run.stderr));
        let run = run_in(&h, d, &["allow"]);
        assert!(!run.ok());
        assert_inert("allow", &run.stderr);
    }

    // A home of its own: `prod` here is only the hostile name.
    let h = Home::new();
    h.credentials("[dev]\naws_access_key_id = AKIADEVEXAMPLE000001\naws_secret_access_key = d\n");
    h.config("[profile prod\u{1b}]0;TITLE\u{7}\u{1b}[2J]\nregion = eu-west-1\n");
    let list = h.run(&["list"]).success().stdout;
    assert!(list.contains("prod\\u{1b}]0;TITLE\\u{7}"), "{list}");
    assert_inert("list", &list);
    let long = h.run(&["list", "--long"]).success().stdout;
    assert_inert("list --long", &long);
    let line = h.run(&["use", "--shell", "bash", "prod"]).clean_failure();
    assert!(line.contains("prod\\u{1b}"), "no suggestion: {line}");
    assert_inert("the suggestion", &line);
    for shell in ["bash", "zsh", "fish"] {
        let mut c = h.awsenv(&["--", "awsenv", "use", "pro"]);
        c.env("_AWSENV_COMPLETE", shell)
            .env("_AWSENV_COMPLETE_INDEX", "2")
            .env("__LINE__", "awsenv use pro");
        let run = Run::from(c.output().unwrap());
        assert_inert(&format!("{shell} completion"), &run.stdout);
    }
    // The fish answer still lists the other names.
    let mut c = h.awsenv(&["--", "awsenv", "use", ""]);
    c.env("_AWSENV_COMPLETE", "fish");
    let run = Run::from(c.output().unwrap()).success();
    assert!(
        run.stdout.lines().any(|l| l.starts_with("dev")),
        "{}",
        run.stdout
    );
}

/// A deny beats an allow of the same tree. `deny` drops the allow entry of the content it sees,
/// so an allow of an earlier content is still on disk: when the marker comes back to that
/// content, it stays denied. Run from nested directories, as the README has it (the nearest
/// marker upward is the one allowed, denied and obeyed); a nested marker of its own is not
/// touched by a deny of the tree around it. The other order: a later `allow` lifts a deny.
#[test]
fn a_deny_beats_an_allow_of_the_same_tree() {
    let h = keys_home();
    let app = dir(&h, "work/app");
    let deep = dir(&h, "work/app/src/deep");
    let src = h.path().join("work/app/src");
    let team = dir(&h, "work/app/team");
    let marker = app.join(".awsprofile");
    std::fs::write(&marker, "prod\n").unwrap();
    std::fs::write(team.join(".awsprofile"), "dev\n").unwrap();
    run_in(&h, &team, &["allow"]).success();

    // allow, then deny (of an edited marker), then the content allowed comes back.
    run_in(&h, &deep, &["allow"]).success();
    std::fs::write(&marker, "prod-admin\n").unwrap();
    run_in(&h, &src, &["deny"]).success();
    std::fs::write(&marker, "prod\n").unwrap();
    let status = run_in(&h, &deep, &["status"]).success().stdout;
    assert!(
        status.contains("work/app/.awsprofile (profile `prod`), denied"),
        "{status}"
    );
    let profiles = |shell| {
        let run = in_shell(
            &h,
            shell,
            h.path(),
            &format!(
                "go {}\necho \"[$AWSENV_PROFILE]\"\ngo {}\necho \"[$AWSENV_PROFILE]\"\ngo {}\necho \"[$AWSENV_PROFILE]\"",
                q(&deep),
                q(&team),
                q(&app)
            ),
        );
        assert!(run.ok(), "{shell:?}: {}", run.stderr);
        run.stdout.lines().map(str::to_string).collect::<Vec<_>>()
    };
    for shell in SHELLS {
        assert_eq!(profiles(shell), ["[]", "[dev]", "[]"], "{shell:?}");
    }

    // deny, then allow: the allow lifts the deny.
    run_in(&h, &deep, &["allow"]).success();
    let status = run_in(&h, &src, &["status"]).success().stdout;
    assert!(
        status.contains("work/app/.awsprofile (profile `prod`), allowed"),
        "{status}"
    );
    assert_eq!(profiles(Sh::Bash), ["[prod]", "[dev]", "[prod]"]);
}
