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
    std::fs::set_permissions(&shared, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
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
            let run = in_shell(&h, shell, h.path(), &format!("go {}\necho \"[$AWSENV_PROFILE]\"", q(d)));
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
    let run = h.run(&["login", "temp"]).success();
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
