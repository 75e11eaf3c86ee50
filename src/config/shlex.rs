//! Splitting a line into words as botocore does on POSIX systems: Python's `shlex.split(s)`
//! (posix mode, whitespace splitting, and no comments — so `#` is an ordinary character, unlike
//! in the `shlex` crate, which drops `# …` as a comment). Used for `credential_process`,
//! `mfa_process` and for `[profile "a name"]` headers.
//!
//! The rules, from CPython's `shlex.read_token`: words are separated by space, tab, `\r`, `\n`;
//! outside quotes `\` takes the next character literally; inside `'…'` nothing is special;
//! inside `"…"` a `\` escapes only `"` and `\` (otherwise both characters are kept); an empty
//! quoted word is a word. A trailing `\` or an unclosed quote is an error (`None`).
//!
//! On Windows botocore splits `credential_process` and `mfa_process` by other rules (below:
//! [`split_windows`]); section headers it splits with `shlex.split` everywhere.

pub fn split(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word is open (it may be empty when it started with quotes).
    let mut open = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if open {
                    words.push(std::mem::take(&mut word));
                    open = false;
                }
            }
            '\\' => {
                word.push(chars.next()?);
                open = true;
            }
            '\'' => {
                open = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                open = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\') => word.push(c),
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            c => {
                word.push(c);
                open = true;
            }
        }
    }
    if open {
        words.push(word);
    }
    Some(words)
}

/// Splits a command line as botocore does on Windows (`compat_shell_split`), by the Microsoft C
/// runtime's rules: words are separated by space and tab outside double quotes; `"` is the only
/// quote, and it toggles quoting; `\` is an ordinary character (so `C:\tools\x.exe` stays a
/// path) except in a run of them just before a `"`: there each pair stands for one `\`, and an
/// odd one left over makes the `"` a literal character. A word may be empty (`""`). An unclosed
/// quote is an error (`None`).
#[cfg(any(windows, test))]
pub fn split_windows(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word is open (it may be empty when it is only quotes).
    let mut open = false;
    let mut quoted = false;
    // Backslashes seen and not yet written: what they mean depends on what follows them.
    let mut backslashes = 0;
    for c in line.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                open = true;
            }
            '"' => {
                word.extend(std::iter::repeat_n('\\', backslashes / 2));
                if backslashes % 2 == 1 {
                    word.push('"');
                } else {
                    quoted = !quoted;
                }
                backslashes = 0;
                open = true;
            }
            c => {
                word.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                if (c == ' ' || c == '\t') && !quoted {
                    if open {
                        words.push(std::mem::take(&mut word));
                        open = false;
                    }
                } else {
                    word.push(c);
                    open = true;
                }
            }
        }
    }
    if quoted {
        return None;
    }
    word.extend(std::iter::repeat_n('\\', backslashes));
    if open {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::{split, split_windows};

    /// Each case was checked against botocore 1.44's `compat_shell_split(line, "win32")`.
    #[test]
    fn as_botocore_splits_on_windows() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            (
                r"C:\tools\cred.exe --x",
                Some(&[r"C:\tools\cred.exe", "--x"]),
            ),
            (
                r#""C:\Program Files\t.exe" a"b c"d"#,
                Some(&[r"C:\Program Files\t.exe", "ab cd"]),
            ),
            (
                r"C:\Program Files\t.exe",
                Some(&[r"C:\Program", r"Files\t.exe"]),
            ),
            (r#"a\\\"b c"#, Some(&[r#"a\"b"#, "c"])),
            (r#"a\\"b c" d"#, Some(&[r"a\b c", "d"])),
            (
                r"\\server\share\x.exe end\",
                Some(&[r"\\server\share\x.exe", r"end\"]),
            ),
            (r#""" x """#, Some(&["", "x", ""])),
            ("a\tb  c\nd 'e f'", Some(&["a", "b", "c\nd", "'e", "f'"])),
            ("  ", Some(&[])),
            (r#"tool "open"#, None),
        ];
        for (line, want) in cases {
            let got = split_windows(line);
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{line:?}");
        }
    }

    #[test]
    fn as_python_shlex_split() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("cmd # comment", Some(&["cmd", "#", "comment"])),
            ("a#b '#c'", Some(&["a#b", "#c"])),
            (
                r#"/bin/tool --name "a b" 'c d' e\ f"#,
                Some(&["/bin/tool", "--name", "a b", "c d", "e f"]),
            ),
            (r#""a\"b\\c\d" '\x'"#, Some(&[r#"a"b\c\d"#, r"\x"])),
            ("'' x\"\"y", Some(&["", "xy"])),
            ("  ", Some(&[])),
            ("a\nb", Some(&["a", "b"])),
            ("tool 'unbalanced", None),
            ("tool \\", None),
            ("\"open", None),
        ];
        for (line, want) in cases {
            let got = split(line);
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{line:?}");
        }
    }
}
