//! The Windows build (`x86_64-pc-windows-gnu`) run under Wine (see `support::wine`): profiles
//! found in `%USERPROFILE%\.aws`, PowerShell and cmd.exe scripts that give back every value
//! exactly (or a clear refusal where cmd.exe cannot hold one), `exec` of a Windows program, and
//! long-term keys kept in Wine's Credential Manager.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::wine::{envdump, parse_envdump, windows_path, Wine};
use crate::support::{self, run_with_stdin, venv_bin, Home, Run};

/// Values that break naive quoting in PowerShell, cmd.exe or a Windows command line: quotes
/// (the curly ones PowerShell also takes as quotes), `$()`, backticks, `%VAR%`, `!VAR!`, `^`,
/// newlines, CR, tab, non-ASCII and a character outside the BMP (two UTF-16 units on Windows).
const HOSTILE_SECRET: &str = "it's $(New-Item pwned) `whoami`; %PATH% !PATH! ^& | <x> \"q\"\r\nline2 \u{2018}curly\u{2019} \u{201A}\u{201B} é 日本 🔑 \\ end\\";
const HOSTILE_TOKEN: &str = "'; New-Item pwned2; '\t\u{2019}\u{2019}' %% '' ending'";
const HOSTILE_REGION: &str = "x'; New-Item pwned3; '";
const HOSTILE_PROFILE: &str = "we'ird $(x) ; é name";

/// One test's own files, kept apart from the shared prefix's: a temporary directory that
/// awsenv.exe reaches as `Z:\…`, its config, credentials, caches and settings in it.
struct Place {
    home: Home,
}

impl Place {
    fn new() -> Place {
        Place { home: Home::new() }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn win(&self, rel: &str) -> String {
        windows_path(&self.path().join(rel))
    }

    /// `awsenv.exe ARGS` with this place's files, from this directory.
    fn awsenv(&self, args: &[&str]) -> Command {
        let mut c = Wine::shared().awsenv(args);
        c.current_dir(self.path())
            .env("AWS_CONFIG_FILE", self.win(".aws\\config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.win(".aws\\credentials"))
            .env("XDG_CACHE_HOME", self.win(".cache"))
            .env("XDG_CONFIG_HOME", self.win(".config"))
            .env("XDG_DATA_HOME", self.win(".local\\share"));
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.awsenv(args).output().unwrap())
    }

    /// A profile whose credential_process, a batch file named by its Windows path, prints
    /// `json` from a file it is given by its Windows path too: as botocore splits the line on
    /// Windows, each `\` is part of a path, not an escape.
    fn process_profile(&self, profile: &str, json: &serde_json::Value, region: Option<&str>) {
        // ASCII JSON (non-ASCII as \u escapes): cmd.exe's `type` then passes it on unchanged
        // whatever the console's code page, and the values still hold any character.
        std::fs::write(self.path().join("creds.json"), ascii_json(json)).unwrap();
        std::fs::write(self.path().join("proc.cmd"), "@type \"%~1\"\r\n").unwrap();
        let region = region
            .map(|r| format!("region = {r}\n"))
            .unwrap_or_default();
        self.home.config(&format!(
            "[profile \"{profile}\"]\ncredential_process = {} {}\n{region}",
            self.win("proc.cmd"),
            self.win("creds.json")
        ));
    }
}

/// JSON with every non-ASCII character written as `\uXXXX` (UTF-16 units, as JSON says).
fn ascii_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn hostile_json() -> serde_json::Value {
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": "ASIAHOSTILE",
        "SecretAccessKey": HOSTILE_SECRET,
        "SessionToken": HOSTILE_TOKEN,
        "Expiration": "2099-01-01T00:00:00Z",
    })
}

fn hostile_expected() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("AWS_ACCESS_KEY_ID", "ASIAHOSTILE"),
        ("AWS_SECRET_ACCESS_KEY", HOSTILE_SECRET),
        ("AWS_SESSION_TOKEN", HOSTILE_TOKEN),
        ("AWS_SECURITY_TOKEN", HOSTILE_TOKEN),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z"),
        ("AWS_REGION", HOSTILE_REGION),
        ("AWS_DEFAULT_REGION", HOSTILE_REGION),
        ("AWSENV_PROFILE", HOSTILE_PROFILE),
    ])
}

/// Runs the PowerShell checker (tree-sitter parse + PowerShell's quoting rules) on `script`.
fn powershell_eval(dir: &Path, script: &[u8]) -> serde_json::Value {
    let file = dir.join("script.ps1");
    std::fs::write(&file, script).unwrap();
    let out = Run::from(
        Command::new(venv_bin("python"))
            .arg(support::repo().join("tests/fixtures/ps_check.py"))
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(out.ok(), "PowerShell check failed: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn list_finds_the_profiles_in_userprofile() {
    let wine = Wine::shared();
    // The one test that uses the default places: no AWS_CONFIG_FILE, no HOME (Wine keeps the
    // Unix one from Windows programs), so awsenv.exe must find %USERPROFILE%\.aws itself.
    let aws = wine.profile_dir.join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = eu-west-1\n[profile win-dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = win-keys\n[profile \"win spaced\"]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[win-keys]\naws_access_key_id = AKIAWINKEYS000000000\naws_secret_access_key = x\n",
    )
    .unwrap();
    let out = Run::from(wine.awsenv(&["list"]).output().unwrap()).success();
    // The same files read by the Linux build: the platforms agree.
    let home = Home::new();
    std::fs::copy(aws.join("config"), home.path().join(".aws/config")).unwrap();
    std::fs::copy(
        aws.join("credentials"),
        home.path().join(".aws/credentials"),
    )
    .unwrap();
    let linux = home.run(&["list"]).success();
    assert_eq!(out.stdout, linux.stdout);
    let mut names: Vec<&str> = out.stdout.lines().collect();
    names.sort();
    assert_eq!(names, ["default", "win spaced", "win-dev", "win-keys"]);
}

#[test]
fn powershell_from_use_gives_back_every_value_exactly() {
    let place = Place::new();
    place.process_profile(HOSTILE_PROFILE, &hostile_json(), Some(HOSTILE_REGION));
    let out = place
        .awsenv(&["use", HOSTILE_PROFILE, "--shell", "powershell"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = powershell_eval(place.path(), &out.stdout);
    for (k, v) in hostile_expected() {
        assert_eq!(result["set"][k].as_str(), Some(v), "PowerShell: {k}");
    }
    assert!(!place.path().join("pwned").exists());
}

#[test]
fn use_and_unset_speak_powershell_on_windows_by_default() {
    // README: `awsenv use prod | Out-String | Invoke-Expression`, no --shell.
    let place = Place::new();
    place.home.credentials(
        "[plain]\naws_access_key_id = AKIAPLAINWINDOWS0001\naws_secret_access_key = it's/plain\n",
    );
    let used = place.run(&["use", "plain"]).success();
    let result = powershell_eval(place.path(), used.stdout.as_bytes());
    assert_eq!(result["set"]["AWS_ACCESS_KEY_ID"], "AKIAPLAINWINDOWS0001");
    assert_eq!(result["set"]["AWS_SECRET_ACCESS_KEY"], "it's/plain");
    let unset = place.run(&["unset"]).success();
    let result = powershell_eval(place.path(), unset.stdout.as_bytes());
    assert!(result["unset"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "AWS_SECRET_ACCESS_KEY"));
}

/// `export --format windows-cmd` saved as a .cmd file and run by Wine's cmd.exe, which then
/// runs `envdump.exe`: the environment cmd.exe made from the script, exactly.
fn run_cmd_script(place: &Place, script: &str) -> BTreeMap<String, String> {
    let dump = place.path().join("env.bin");
    let file = place.path().join("creds.cmd");
    let text = format!(
        "{script}\r\n\"{}\" 0 > \"{}\"\r\n",
        windows_path(&envdump()),
        windows_path(&dump)
    );
    std::fs::write(&file, text).unwrap();
    let wine = Wine::shared();
    let mut c = wine.command("cmd.exe");
    c.arg("/c")
        .arg(windows_path(&file))
        .current_dir(place.path());
    let run = Run::from(c.output().unwrap());
    assert!(run.ok(), "cmd.exe failed: {}", run.stderr);
    parse_envdump(&std::fs::read(&dump).unwrap())
}

#[test]
fn windows_cmd_export_runs_in_cmd_exactly() {
    let place = Place::new();
    // Every printable ASCII character cmd.exe can hold in `set NAME=value`, blanks included
    // (a trailing one too: cmd keeps it, and so must the value).
    let secret = "a;b,c=d (e) 'q' $(y) `x` ~+/=@#*?[]{}\\ end\tof ";
    let token = "=starts with = and ends with \\";
    place.process_profile(
        "cmdprof",
        &serde_json::json!({
            "Version": 1,
            "AccessKeyId": "ASIACMD",
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": "2099-01-01T00:00:00Z",
        }),
        None,
    );
    let out = place
        .run(&["export", "cmdprof", "--format", "windows-cmd"])
        .success();
    let env = run_cmd_script(&place, &out.stdout);
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIACMD");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret);
    assert_eq!(env["AWS_SESSION_TOKEN"], token);
    assert_eq!(env["AWS_CREDENTIAL_EXPIRATION"], "2099-01-01T00:00:00Z");
}

#[test]
fn windows_cmd_export_refuses_what_cmd_would_change() {
    let place = Place::new();
    // What the refusal guards against, seen in cmd.exe itself: it reads a script in the
    // console's code page, so UTF-8 text comes back as other characters.
    let env = run_cmd_script(&place, "set AWS_X=caf\u{e9}");
    assert_ne!(env["AWS_X"], "caf\u{e9}", "cmd.exe kept non-ASCII: {env:?}");

    for (what, value) in [
        ("non-ASCII", "caf\u{e9}"),
        ("a variable", "%PATH%"),
        ("delayed expansion", "!PATH!"),
        ("a quote", "a\"b"),
        ("a newline", "a\nb"),
    ] {
        place.process_profile(
            "refused",
            &serde_json::json!({
                "Version": 1,
                "AccessKeyId": "ASIAREFUSED",
                "SecretAccessKey": format!("s3cret {value}"),
            }),
            None,
        );
        let run = place.run(&["export", "refused", "--format", "windows-cmd"]);
        let line = run.clean_failure();
        assert!(
            line.contains("profile `refused`")
                && line.contains("AWS_SECRET_ACCESS_KEY")
                && line.contains("cmd.exe"),
            "{what}: {line}"
        );
        assert!(
            !line.contains("s3cret"),
            "{what}: the secret leaked: {line}"
        );
    }
}

#[test]
fn exec_gives_a_windows_child_the_credentials_and_passes_its_status_back() {
    let place = Place::new();
    place.process_profile(HOSTILE_PROFILE, &hostile_json(), Some(HOSTILE_REGION));
    let child = windows_path(&envdump());
    let mut c = place.awsenv(&["exec", HOSTILE_PROFILE, "--", &child, "7"]);
    c.env("AWS_PROFILE", "stale");
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = parse_envdump(&out.stdout);
    for (k, v) in hostile_expected() {
        assert_eq!(env.get(k).map(String::as_str), Some(v), "exec: {k}");
    }
    assert!(
        !env.contains_key("AWS_PROFILE"),
        "a stale AWS_PROFILE stays"
    );
}

#[test]
fn exec_without_a_command_starts_comspec() {
    let place = Place::new();
    place.process_profile(
        "shellprof",
        &serde_json::json!({
            "Version": 1,
            "AccessKeyId": "ASIASHELL",
            "SecretAccessKey": "shell-secret",
        }),
        None,
    );
    // cmd.exe reads its commands from stdin here, as it would from the keyboard. (Wine's
    // cmd.exe ends with 0 after `exit 4` typed at its prompt, unlike Windows': the exit status
    // is shown passed back by the test above.)
    let dump = place.path().join("env.bin");
    let typed = format!(
        "\"{}\" 0 > \"{}\"\r\nexit\r\n",
        windows_path(&envdump()),
        windows_path(&dump)
    );
    let run = run_with_stdin(place.awsenv(&["exec", "shellprof"]), Some(&typed));
    assert!(run.ok(), "{}", run.stderr);
    assert!(run.stdout.contains("Microsoft Windows"), "{}", run.stdout);
    let env = parse_envdump(&std::fs::read(&dump).unwrap());
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIASHELL");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "shell-secret");
}

#[test]
fn add_env_keeps_the_keys_in_the_credential_manager() {
    let place = Place::new();
    // No profile at all in the files: whatever `use` gives back comes from the store.
    place.home.config("[default]\nregion = eu-west-1\n");
    let id = "AKIAWINESTORE0000001";
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY'%!^EXAMPLE";
    let mut add = place.awsenv(&["add", "wine-stored", "--env"]);
    add.env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    let added = Run::from(add.output().unwrap()).success();
    assert!(added.stderr.contains("wine-stored"), "{}", added.stderr);

    // The item is in Wine's Credential Manager (kept in the prefix's registry)…
    let wine = Wine::shared();
    let mut reg = wine.command("reg.exe");
    reg.args(["query", "HKCU\\Software\\Wine\\Credential Manager", "/s"]);
    let reg = Run::from(reg.output().unwrap()).success();
    assert!(reg.stdout.contains("wine-stored"), "{}", reg.stdout);
    assert!(!reg.stdout.contains(secret), "stored in plain text");
    // …and in none of the files awsenv.exe was given.
    for entry in walk(place.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in {}",
            entry.display()
        );
    }

    let used = place
        .run(&["use", "wine-stored", "--shell", "powershell"])
        .success();
    let result = powershell_eval(place.path(), used.stdout.as_bytes());
    assert_eq!(result["set"]["AWS_ACCESS_KEY_ID"], id);
    assert_eq!(result["set"]["AWS_SECRET_ACCESS_KEY"], secret);

    // Removed from the store, the profile has no keys left anywhere.
    place.run(&["remove", "wine-stored", "--force"]).success();
    let line = place
        .run(&["use", "wine-stored", "--shell", "powershell"])
        .clean_failure();
    assert!(line.contains("wine-stored"), "{line}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files
}
