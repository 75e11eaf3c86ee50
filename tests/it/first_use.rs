//! What a new user meets first: the README's prompt snippets (starship for real; powerlevel10k's
//! and tide's functions run in real zsh and fish), `AWS_ACCOUNT_ID` beside the keys, `awsenv
//! add` echoing the access key id (not the secret) as it is typed, and a wait for another run's
//! lock said on stderr.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::support::{self, eval_in, Home, Sh, Term};

/// The fenced block after `<!-- prompt:NAME -->` in the README.
fn readme_snippet(name: &str) -> String {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let marker = format!("<!-- prompt:{name} -->");
    let after = &readme[readme.find(&marker).expect("the README has the snippet") + marker.len()..];
    let body = &after[after.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

/// A profile name a prompt must show as text, never run or expand.
const HOSTILE: &str = "p$(touch${IFS}PWNED)`id`%F{red}%~'\"\\x";

/// `starship prompt` (the real binary) with the README's configuration and `vars`.
fn starship(home: &Home, vars: &[(&str, &str)]) -> String {
    let config = home.path().join("starship.toml");
    // Only the snippet's module, so the test reads what the snippet adds.
    std::fs::write(
        &config,
        format!("format = \"$env_var\"\n{}", readme_snippet("starship")),
    )
    .unwrap();
    let mut c = Command::new(support::venv_bin("starship"));
    c.arg("prompt");
    home.isolate(&mut c);
    c.env("STARSHIP_CONFIG", &config).envs(vars.iter().copied());
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the escape sequences of the colours.
    let text = String::from_utf8(out.stdout).unwrap();
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(ch);
        }
    }
    plain
}

#[test]
fn starship_shows_the_profile_from_the_readme_snippet() {
    let home = Home::new();
    assert_eq!(
        starship(&home, &[("AWSENV_PROFILE", "prod")]).trim(),
        "aws:prod"
    );
    assert_eq!(starship(&home, &[]).trim(), "", "no profile, no segment");
    let shown = starship(&home, &[("AWSENV_PROFILE", HOSTILE)]);
    assert!(shown.contains(HOSTILE), "{shown}");
    assert!(!home.path().join("PWNED").exists());
}

#[test]
fn powerlevel10k_segment_from_the_readme_runs_in_zsh() {
    // p10k itself is not packaged anywhere this machine can install from: its documented
    // interface (`p10k segment -f COLOR -t TEXT`, TEXT then prompt-expanded) is recorded by a
    // function of that name, and the text goes through zsh's own prompt expansion, as p10k does.
    let home = Home::new();
    let script = format!(
        r#"setopt prompt_subst
p10k() {{ [[ $1 == segment ]] || return 1; shift; zparseopts -D f:=fg t:=text; print -r -- "fg=${{fg[2]}} shown=${{(%)text[2]}}"; }}
{snippet}
print -r -- "elements=${{POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS[1]}}"
prompt_awsenv
AWSENV_PROFILE=prod prompt_awsenv
AWSENV_PROFILE=$HOSTILE prompt_awsenv
"#,
        snippet = readme_snippet("p10k")
    );
    let mut c = Command::new(support::require("zsh"));
    c.args(["--no-rcs", "-c", &script]);
    home.isolate(&mut c);
    c.env("HOSTILE", HOSTILE)
        .env("POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS", "");
    let out = support::Run::from(c.output().unwrap());
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        format!("elements=awsenv\nfg=208 shown=aws:prod\nfg=208 shown=aws:{HOSTILE}\n")
    );
    assert!(!home.path().join("PWNED").exists());
}

#[test]
fn tide_item_from_the_readme_runs_in_fish() {
    // tide is not packaged either: its item interface (`_tide_print_item NAME TEXT…`, which
    // prints TEXT in the item's colours) is recorded by a function of that name.
    let home = Home::new();
    let script = format!(
        "function _tide_print_item; printf 'item=%s text=%s\\n' $argv; end\n{}\n\
         _tide_item_awsenv\nset -gx AWSENV_PROFILE prod; _tide_item_awsenv\n\
         set -gx AWSENV_PROFILE $HOSTILE; _tide_item_awsenv\n",
        readme_snippet("tide")
    );
    let mut c = Command::new(support::require("fish"));
    c.args(["--no-config", "--private", "-c", &script]);
    home.isolate(&mut c);
    c.env("HOSTILE", HOSTILE);
    let out = support::Run::from(c.output().unwrap());
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        format!("item=awsenv text=aws:prod\nitem=awsenv text=aws:{HOSTILE}\n")
    );
    assert!(!home.path().join("PWNED").exists());
}

fn use_in(
    home: &Home,
    profile: &str,
    start: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let out = home.run(&["use", profile, "--shell", "bash"]).success();
    let mut env = home.env.clone();
    env.extend(start.clone());
    let (after, run) = eval_in(Sh::Bash, &out.stdout, &env, home.path());
    assert!(run.ok() && run.stderr.is_empty(), "{}", run.stderr);
    after
}

#[test]
fn the_account_of_a_role_is_exported_and_removed_with_the_profile() {
    let home = Home::with_moto();
    home.config(
        "[profile user]\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = arn:aws:iam::555555555555:role/admin\nsource_profile = user\n",
    )
    .credentials("[user]\naws_access_key_id = AKIAUSERACCOUNT01\naws_secret_access_key = s\n");
    let env = use_in(&home, "admin", &BTreeMap::new());
    assert_eq!(
        env.get("AWS_ACCOUNT_ID").map(String::as_str),
        Some("555555555555")
    );
    // The SDKs' view agrees: the identity is in that account.
    assert!(home.identity_of(&env).contains(":555555555555:"), "{env:?}");

    // Keys of a user: the account is not known, and a leftover one is removed.
    let stale: BTreeMap<String, String> =
        [("AWS_ACCOUNT_ID".to_string(), "999999999999".to_string())].into();
    let env = use_in(&home, "user", &stale);
    assert_eq!(env.get("AWS_ACCOUNT_ID"), None);

    // `unset` removes it with the rest.
    let loaded = use_in(&home, "admin", &BTreeMap::new());
    let out = home.run(&["unset", "--shell", "bash"]).success();
    let (after, _) = eval_in(Sh::Bash, &out.stdout, &loaded, home.path());
    assert_eq!(after.get("AWS_ACCOUNT_ID"), None);
}

#[test]
fn add_echoes_the_key_id_as_typed_and_hides_the_secret() {
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "file")
        .set("AWSENV_FILE_PASSPHRASE", "correct horse battery staple");
    let bin = support::bin().display().to_string();
    let t = Term::start(&["bash", "--noprofile", "--norc"], &home.env, home.path());
    t.type_line("PS1='$ '");
    t.type_line(&format!("'{bin}' add typed"));
    t.wait_for("Access Key ID:");
    t.type_line("AKIATYPEDEXAMPLE0001");
    let screen = t.wait_for("Secret Access Key:");
    assert!(
        screen.contains("Access Key ID: AKIATYPEDEXAMPLE0001"),
        "the key id is echoed:\n{screen}"
    );
    t.type_line("typedsecretvalue");
    let screen = t.wait_for("stored the keys of profile `typed`");
    assert!(!screen.contains("typedsecretvalue"), "{screen}");
    let out = home.run(&["export", "typed", "--format", "env"]).success();
    assert!(out.stdout.contains("AKIATYPEDEXAMPLE0001") && out.stdout.contains("typedsecretvalue"));
}

#[test]
fn a_run_waiting_for_another_runs_lock_says_so() {
    let mut home = Home::new();
    home.set("AWSENV_BACKEND", "file")
        .set("AWSENV_FILE_PASSPHRASE", "correct horse battery staple")
        .set("AWS_ACCESS_KEY_ID", "AKIALOCKEDEXAMPLE001")
        .set("AWS_SECRET_ACCESS_KEY", "lockedsecret");
    let store = home.path().join(".local/share/awsenv/file");
    std::fs::create_dir_all(&store).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for d in [store.parent().unwrap(), &store] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
    // util-linux flock(1) holds the same flock(2) lock until its stdin closes.
    let mut holder = Command::new(support::require("flock"))
        .arg("-o")
        .arg(store.join("index.lock"))
        .args(["sh", "-c", "echo held; read _"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut held = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut held)
        .unwrap();
    assert_eq!(held, "held\n");

    // Should the run wait silently, the lock is let go after a minute so that the test fails
    // on the missing message instead of hanging.
    let holder_pid = holder.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        let _ = Command::new("kill").arg(&holder_pid).status();
    });
    let mut add = home.awsenv(&["add", "locked", "--env"]);
    add.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut add = add.spawn().unwrap();
    let mut stderr = BufReader::new(add.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(
        first.starts_with("awsenv: waiting for another awsenv run to release ")
            && first.contains("index.lock"),
        "{first}"
    );
    // Released: the waiting run goes on and stores the keys.
    holder.stdin.take().unwrap().write_all(b"\n").unwrap();
    holder.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(add.wait().unwrap().success(), "{rest}");
    assert!(
        rest.contains("stored the keys of profile `locked`"),
        "{rest}"
    );
}

/// botocore's account id for `profile` (`Session.get_credentials().get_frozen_credentials()`).
fn botocore_account(home: &Home, profile: &str) -> String {
    let code = "import boto3,sys\nc=boto3.Session(profile_name=sys.argv[1]).get_credentials().get_frozen_credentials()\nprint(c.account_id or '')";
    let out = std::process::Command::new(crate::support::venv_bin("python"))
        .args(["-c", code, profile])
        .envs(&home.env)
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn every_source_that_names_an_account_sets_it_as_botocore_does() {
    let home = Home::with_moto();
    let process = home.script(
        "creds.sh",
        "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS0001\",\"SecretAccessKey\":\"s\",\"AccountId\":\"222222222222\"}'\n",
    );
    home.config(&format!(
        "[profile static]\naws_account_id = 999999999999\n\
         [profile process]\ncredential_process = {}\n\
         [profile user]\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = arn:aws:iam::555555555555:role/admin\nsource_profile = static\nregion = eu-west-1\n",
        process.display()
    ))
    .credentials(
        "[static]\naws_access_key_id = AKIASTATIC000001\naws_secret_access_key = s\naws_account_id = 111111111111\n\
         [user]\naws_access_key_id = AKIAUSER00000001\naws_secret_access_key = s\n",
    );
    // Beside the keys, in their file (the config file's, for keys in the credentials file,
    // does not count).
    for (profile, want) in [
        ("static", Some("111111111111")),
        ("process", Some("222222222222")),
        // A role: the account of the ARN STS returned (not the source's aws_account_id).
        ("admin", Some("555555555555")),
        // Nothing says it: absent.
        ("user", None),
    ] {
        let env = use_in(&home, profile, &BTreeMap::new());
        assert_eq!(
            env.get("AWS_ACCOUNT_ID").map(String::as_str),
            want,
            "{profile}"
        );
        assert_eq!(
            botocore_account(&home, profile),
            want.unwrap_or_default(),
            "botocore, {profile}"
        );
    }
}
