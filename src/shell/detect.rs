//! Which shell is asking: the parent process first (for `eval "$(awsenv use p)"` that is the
//! shell's own subshell), then `$SHELL`, then POSIX. On Windows, where the parent is not
//! looked at and `$SHELL` is only set by MSYS or Git Bash, the last resort is PowerShell: the
//! Windows shell `use` speaks (cmd.exe has only `export --format windows-cmd`).

use super::Shell;
use crate::os::env::{self, Env};

pub fn calling_shell(e: &Env) -> Shell {
    parent_process_name()
        .and_then(|n| from_program_name(&n))
        .or_else(|| e.get(env::SHELL).and_then(from_program_name))
        .unwrap_or(if cfg!(windows) {
            Shell::Powershell
        } else {
            Shell::Posix
        })
}

/// Maps `bash`, `-zsh`, `/usr/bin/fish`, `pwsh.exe`… to a shell.
pub fn from_program_name(program: &str) -> Option<Shell> {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let base = base.trim_start_matches('-');
    let base = base.strip_suffix(".exe").unwrap_or(base);
    match base {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        "pwsh" | "powershell" => Some(Shell::Powershell),
        "nu" => Some(Shell::Nu),
        "elvish" => Some(Shell::Elvish),
        "sh" | "dash" | "ksh" | "mksh" | "ash" | "busybox" => Some(Shell::Posix),
        // xonsh started by its own script (`python -m xonsh` shows as python: then `$SHELL`).
        "xonsh" => Some(Shell::Xonsh),
        "tcsh" | "csh" => Some(Shell::Tcsh),
        _ => None,
    }
}

#[cfg(target_os = "linux")]
fn parent_process_name() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some(comm.trim_end().to_string())
}

#[cfg(not(target_os = "linux"))]
fn parent_process_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names() {
        assert_eq!(from_program_name("-bash"), Some(Shell::Bash));
        assert_eq!(from_program_name("/usr/bin/zsh"), Some(Shell::Zsh));
        assert_eq!(from_program_name("C:\\pwsh.exe"), Some(Shell::Powershell));
        assert_eq!(from_program_name("python3"), None);
        assert_eq!(from_program_name("/usr/bin/nu"), Some(Shell::Nu));
        assert_eq!(from_program_name("elvish"), Some(Shell::Elvish));
        assert_eq!(from_program_name("/usr/bin/xonsh"), Some(Shell::Xonsh));
        assert_eq!(from_program_name("-tcsh"), Some(Shell::Tcsh));
        assert_eq!(from_program_name("csh"), Some(Shell::Tcsh));
    }
}
