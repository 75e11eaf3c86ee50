//! The audit's findings that need another local user (issue 11): a throwaway account made with
//! `useradd` for each test (removed after, even on panic), acting through `setpriv`, while the
//! tests themselves run as the victim.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::security::{dir, in_shell, keys_home, q, run_in, SHELLS};
use crate::support::{self, Home, Run};

/// A local user of its own, deleted when dropped.
pub struct OtherUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl OtherUser {
    pub fn new() -> OtherUser {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "awsenvt{}x{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        // Parallel tests contend for /etc/passwd's lock: useradd then fails; try again.
        let mut last = String::new();
        for _ in 0..100 {
            let out = Command::new(support::require("useradd"))
                .args(["-M", "-N", "-d", "/nonexistent", "-s", "/bin/sh", &name])
                .output()
                .expect("useradd (the tests run as root: `bash tests/setup.sh` says so)");
            if out.status.success() {
                let id = |flag: &str| -> u32 {
                    let out = Command::new("id").args([flag, &name]).output().unwrap();
                    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
                };
                return OtherUser {
                    uid: id("-u"),
                    gid: id("-g"),
                    name,
                };
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("useradd {name} failed: {last}");
    }

    /// `program ARGS` run as this user (no supplementary groups).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(support::require("setpriv"));
        c.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--clear-groups")
            .arg(program);
        c
    }

    pub fn run(&self, program: &str, args: &[&str]) -> Run {
        Run::from(self.command(program).args(args).output().unwrap())
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        for _ in 0..100 {
            let ok = Command::new(support::require("userdel"))
                .arg(&self.name)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("could not remove the test user {}", self.name);
    }
}

/// Lets other users reach the home (its directory is 0700), as in the report's setup.
fn open_to_others(h: &Home) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(h.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// 3: another user's marker (a huge sparse one in a shared sticky directory, or a small one in a
/// directory of their own) is ignored with one notice, never offered to `allow`, never read.
#[test]
fn markers_of_other_users_are_ignored_with_one_notice() {
    let h = keys_home();
    open_to_others(&h);
    let other = OtherUser::new();
    let shared = dir(&h, "shared");
    std::fs::set_permissions(
        &shared,
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let build = dir(&h, "shared/build");
    let sparse = shared.join(".awsprofile").display().to_string();
    other.run("truncate", &["-s", "300M", &sparse]).success();

    let theirs = dir(&h, "theirs");
    std::os::unix::fs::chown(&theirs, Some(other.uid), Some(other.gid)).unwrap();
    let marker = theirs.join(".awsprofile").display().to_string();
    other
        .run("sh", &["-c", "printf 'prod\\n' > \"$1\"", "sh", &marker])
        .success();
    let src = dir(&h, "theirs/src");

    for shell in SHELLS {
        let why = format!("owned by another user (uid {})", other.uid);
        for d in [&build, &src] {
            let run = in_shell(
                &h,
                shell,
                h.path(),
                &format!("go {}\necho \"[$AWSENV_PROFILE]\"", q(d)),
            );
            assert_eq!(run.stdout, "[]\n", "{shell:?}: {}", run.stderr);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{shell:?}: {}", run.stderr);
            assert!(
                lines[0].starts_with("awsenv: ignoring ")
                    && lines[0].contains(&why)
                    && !lines[0].contains("awsenv allow"),
                "{shell:?}: {}",
                run.stderr
            );
        }
    }
    let line = run_in(&h, &src, &["allow"]).clean_failure();
    assert!(line.contains("owned by another user"), "{line}");
    let status = run_in(&h, &src, &["status"]).success().stdout;
    assert!(
        status.contains("marker: ignoring ") && status.contains("owned by another user"),
        "{status}"
    );
}

/// 4: the one-time sign-in redirect is answered only to the user running `awsenv login`; another
/// user who reads the link from the browser's argv and fetches it first gets a 403, and the
/// user's browser still gets the redirect.
#[test]
fn the_sign_in_redirect_is_refused_to_other_users() {
    let fed = support::federation_endpoint(&[]);
    let mut h = Home::new();
    h.set("AWS_ENDPOINT_URL_SIGNIN", fed.url());
    h.credentials(
        "[temp]\naws_access_key_id = ASIATEMPEXAMPLE00001\naws_secret_access_key = X\naws_session_token = Y\n",
    );
    let other = OtherUser::new();
    let attacker_log = h.path().join("attacker.log");
    let browser_log = h.path().join("browser.log");
    let curl = support::require("curl").display().to_string();
    // The watcher wins the race: it fetches the link before the browser does.
    let browser = h.script(
        "browser",
        &format!(
            "#!/bin/sh\n\
             {setpriv} --reuid={uid} --regid={gid} --clear-groups {curl} -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \"$1\" > {alog}.tmp\n\
             mv {alog}.tmp {alog}\n\
             {curl} -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \"$1\" > {blog}.tmp\n\
             mv {blog}.tmp {blog}\n",
            setpriv = support::require("setpriv").display(),
            uid = other.uid,
            gid = other.gid,
            alog = support::sh_quote(&attacker_log.display().to_string()),
            blog = support::sh_quote(&browser_log.display().to_string()),
        ),
    );
    h.set("BROWSER", browser.to_str().unwrap());
    // --browser: this machine may be a container, where awsenv would start none by itself.
    let run = h
        .run(&["login", "--insecure-endpoint", "temp", "--browser"])
        .success();
    assert!(
        run.stderr
            .contains(&format!("refused the sign-in link to uid {}", other.uid))
            && run.stderr.contains("opened the AWS console for `temp`"),
        "{}",
        run.stderr
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !browser_log.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let attacker = std::fs::read_to_string(&attacker_log).unwrap();
    assert_eq!(attacker.trim(), "403", "the other user got: {attacker}");
    let browser = std::fs::read_to_string(&browser_log).unwrap();
    assert!(
        browser.starts_with("302 ") && browser.contains("SigninToken"),
        "the user's browser got: {browser}"
    );
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// `awsenv ARGS` under umask 000, so that only awsenv's own modes protect what it creates.
fn run_umask0(h: &Home, args: &[&str]) -> Run {
    let mut c = Command::new(support::require("sh"));
    c.args(["-c", "umask 000; exec \"$0\" \"$@\""])
        .arg(support::bin())
        .args(args);
    h.isolate(&mut c);
    Run::from(c.output().unwrap())
}

/// 10: the session cache under a location another user can reach: entries (and directories)
/// that are not the user's own, or that others can write, are never used; every directory
/// awsenv creates is 0700, parents included.
#[test]
fn the_session_cache_uses_only_the_users_own_private_entries() {
    let mut h = Home::with_moto();
    open_to_others(&h);
    let other = OtherUser::new();
    let shared = dir(&h, "shared");
    std::fs::set_permissions(
        &shared,
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let cache = shared.join("cache");
    h.set("XDG_CACHE_HOME", cache.to_str().unwrap());
    h.credentials("[base]\naws_access_key_id = AKIABASE000000000001\naws_secret_access_key = s\n");
    h.config(
        "[profile role]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = base\nregion = us-east-1\n",
    );
    let key_of = |run: &Run| -> String {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix("export AWS_ACCESS_KEY_ID="))
            .unwrap_or_else(|| panic!("no key in {}", run.stdout))
            .trim_end_matches(';')
            .to_string()
    };
    let first = run_umask0(&h, &["use", "--shell", "bash", "role"]).success();
    let real_key = key_of(&first);
    let sessions = cache.join("awsenv/sessions");
    for d in [&cache, &cache.join("awsenv"), &sessions] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    let entry = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    assert_eq!(mode(&entry), 0o600);
    // The cache answers the second call (nothing planted yet).
    assert_eq!(
        key_of(&h.run(&["use", "--shell", "bash", "role"]).success()),
        real_key
    );

    // The other user pre-creates the cache directory, world-writable, with an entry under the
    // key awsenv computes, holding keys of theirs.
    let planted = std::fs::read_to_string(&entry)
        .unwrap()
        .replace(&real_key, "ASIAATTACKERKEY00001");
    let name = entry.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::remove_dir_all(&cache).unwrap();
    other
        .run(
            "sh",
            &[
                "-c",
                "umask 000; mkdir -p \"$1\" && printf %s \"$2\" > \"$1/$3\"",
                "sh",
                sessions.to_str().unwrap(),
                &planted,
                &name,
            ],
        )
        .success();
    let run = h.run(&["use", "--shell", "bash", "role"]).success();
    let key = key_of(&run);
    assert!(
        key != "ASIAATTACKERKEY00001" && key.starts_with("ASIA"),
        "{key}"
    );
    assert!(
        run.stderr.contains("not using the cached session")
            && run.stderr.contains("belongs to another user"),
        "{}",
        run.stderr
    );

    // The user's own entry, made writable by others: not used, and replaced by a private one.
    std::fs::remove_dir_all(&cache).unwrap();
    let first = h.run(&["use", "--shell", "bash", "role"]).success();
    let entry = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&entry)
        .unwrap()
        .replace(&key_of(&first), "ASIAATTACKERKEY00002");
    std::fs::write(&entry, text).unwrap();
    std::fs::set_permissions(&entry, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let run = h.run(&["use", "--shell", "bash", "role"]).success();
    assert_ne!(key_of(&run), "ASIAATTACKERKEY00002");
    assert!(
        run.stderr.contains("can be written by others"),
        "{}",
        run.stderr
    );
    assert_eq!(mode(&entry), 0o600);
}

/// 10: the trust store and the file store under a location another user controls are not
/// trusted: a planted allow entry allows nothing, and stored keys there are not read.
#[test]
fn the_trust_store_and_file_store_trust_only_the_users_own_files() {
    let mut h = crate::security::keys_home();
    open_to_others(&h);
    let other = OtherUser::new();
    let shared = dir(&h, "shared");
    std::fs::set_permissions(
        &shared,
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .unwrap();
    let data = shared.join("data");
    h.set("XDG_DATA_HOME", data.to_str().unwrap())
        .set("AWSENV_BACKEND", "file")
        .set("AWSENV_FILE_PASSPHRASE", "pw");
    let repo = dir(&h, "repo");
    std::fs::write(repo.join(".awsprofile"), "prod\n").unwrap();
    run_umask0(&h, &["allow", repo.to_str().unwrap()]).success();
    let mut c = h.awsenv(&["add", "stored", "--env"]);
    c.env("AWS_ACCESS_KEY_ID", "AKIASTORED0000000001")
        .env("AWS_SECRET_ACCESS_KEY", "stored-secret");
    Run::from(c.output().unwrap()).success();
    assert_eq!(mode(&data), 0o700);
    let loads = |h: &Home| {
        in_shell(
            h,
            crate::support::Sh::Bash,
            h.path(),
            &format!("go {}\necho \"[$AWSENV_PROFILE]\"", q(&repo)),
        )
    };
    assert_eq!(loads(&h).stdout, "[prod]\n");
    let run = h.run(&["use", "--shell", "bash", "stored"]).success();
    assert!(
        run.stdout.contains("AKIASTORED0000000001"),
        "{}",
        run.stdout
    );

    // As if the other user had made these directories and files: same names, their owner.
    let st = Command::new("chown")
        .args(["-R", &format!("{}:{}", other.uid, other.gid)])
        .arg(&data)
        .status()
        .unwrap();
    assert!(st.success());
    let run = loads(&h);
    assert_eq!(run.stdout, "[]\n", "{}", run.stderr);
    assert!(run.stderr.contains("is not allowed"), "{}", run.stderr);
    let line = h.run(&["use", "--shell", "bash", "stored"]).clean_failure();
    assert!(line.contains("belongs to another user"), "{line}");
    let line = h.run(&["allow", repo.to_str().unwrap()]).clean_failure();
    assert!(line.contains("belongs to another user"), "{line}");
}
