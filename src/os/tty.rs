//! Questions asked on the terminal itself (`/dev/tty`, `CONIN$`/`CONOUT$` on Windows), never on
//! stdin/stdout: those may be a pipe or the `eval "$(…)"` of a shell.

use std::io::{BufRead, BufReader, Write};

use anyhow::{anyhow, Result};

/// Asks a yes/no question; only `y`/`yes` is yes. `no_terminal` says what to do instead when
/// there is no terminal (e.g. "pass --force").
pub fn confirm(question: &str, no_terminal: &str) -> Result<bool> {
    let (mut input, mut output) = open().map_err(|e| {
        anyhow!("cannot ask \"{question}\" without a terminal ({e}); {no_terminal}")
    })?;
    write!(output, "{question} [y/N] ")?;
    output.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Asks for a value that is not secret (an access key id), echoed as it is typed so that a
/// typo can be seen.
pub fn visible(prompt: &str, no_terminal: &str) -> Result<String> {
    let what = prompt.trim_end_matches([':', ' ']);
    let (mut input, mut output) = open().map_err(|e| {
        anyhow!("cannot ask for the {what} without a terminal ({e}); {no_terminal}")
    })?;
    write!(output, "{prompt}")?;
    output.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Asks for a secret without echoing it.
pub fn secret(prompt: &str, no_terminal: &str) -> Result<String> {
    rpassword::prompt_password(prompt).map_err(|e| {
        anyhow!(
            "cannot ask for the {} without a terminal ({e}); {no_terminal}",
            prompt.trim_end_matches([':', ' '])
        )
    })
}

#[cfg(unix)]
fn open() -> std::io::Result<(BufReader<std::fs::File>, std::fs::File)> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    Ok((BufReader::new(tty.try_clone()?), tty))
}

#[cfg(windows)]
fn open() -> std::io::Result<(BufReader<std::fs::File>, std::fs::File)> {
    let input = std::fs::OpenOptions::new().read(true).open("CONIN$")?;
    let output = std::fs::OpenOptions::new().write(true).open("CONOUT$")?;
    Ok((BufReader::new(input), output))
}
