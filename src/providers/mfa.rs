//! Getting an MFA code: `--mfa-token`, else the profile's `mfa_process`, else a prompt on the
//! terminal (`/dev/tty`, never stdout, so `eval "$(awsenv use p)"` still works).

use std::cell::RefCell;

use anyhow::{anyhow, bail, Result};

use crate::config::keys;
use crate::plan::Mfa;

/// Hands out MFA codes. A code given on the command line is used once: a second device (or a
/// second call) asks again.
pub struct CodeSource {
    given: RefCell<Option<String>>,
}

impl CodeSource {
    pub fn new(given: Option<String>) -> CodeSource {
        CodeSource {
            given: RefCell::new(given),
        }
    }

    pub fn code_for(&self, mfa: &Mfa) -> Result<String> {
        let code = if let Some(code) = self.given.borrow_mut().take() {
            code
        } else if let Some(process) = &mfa.process {
            let out = super::command::run(&mfa.profile, keys::MFA_PROCESS, process)?;
            String::from_utf8_lossy(&out).into_owned()
        } else {
            prompt(mfa)?
        };
        let code = code.trim().to_string();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            bail!(
                "profile `{}`: the MFA code for {} must be 6 digits",
                mfa.profile,
                mfa.serial
            );
        }
        Ok(code)
    }
}

fn prompt(mfa: &Mfa) -> Result<String> {
    // Ctrl-C at the prompt must give the terminal back with echo on (rpassword reads it raw).
    crate::os::interrupt::guard(format!(
        "\nawsenv: cancelled: no MFA code for profile `{}`\n",
        mfa.profile
    ));
    rpassword::prompt_password(format!("MFA code for {} ({}): ", mfa.profile, mfa.serial))
        .map_err(|e| {
            anyhow!(
                "profile `{}` needs an MFA code for {} and there is no terminal to ask on ({e}); pass --mfa-token or set mfa_process",
                mfa.profile,
                mfa.serial
            )
        })
}
