//! Splitting a line into words as botocore does on POSIX systems: Python's `shlex.split(s)`
//! (posix mode, whitespace splitting, and no comments — so `#` is an ordinary character, unlike
//! in the `shlex` crate, which drops `# …` as a comment). Used for `credential_process`,
//! `mfa_process` and for `[profile "a name"]` headers.
//!
//! The rules, from CPython's `shlex.read_token`: words are separated by space, tab, `\r`, `\n`;
//! outside quotes `\` takes the next character literally; inside `'…'` nothing is special;
//! inside `"…"` a `\` escapes only `"` and `\` (otherwise both characters are kept); an empty
//! quoted word is a word. A trailing `\` or an unclosed quote is an error (`None`).

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

#[cfg(test)]
mod tests {
    use super::split;

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
