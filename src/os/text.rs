//! Text for messages: whatever a message quotes from outside (a directory name, a profile name,
//! an error from a file) is shown inert, on one line.

use std::path::Path;

/// A path for a message: control characters (a hostile directory name) are escaped.
pub fn shown(path: &Path) -> String {
    inert(&path.display().to_string())
}

/// `s` with control characters escaped (`\u{1b}`, `\n`), so that it cannot move the cursor,
/// recolour the terminal or start a new line.
pub fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_inert(&mut out, s);
    out
}

/// [`inert`] appended to `out`. `list` calls it for every cell of every profile, so text without
/// a control character is copied as it is.
pub fn push_inert(out: &mut String, s: &str) {
    // Control characters are U+0000–U+001F, U+007F and U+0080–U+009F; the last are encoded as
    // 0xC2 followed by a byte, so text without those bytes has none (a byte loop, not a decode).
    if !s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// `s` with its line breaks folded into spaces.
pub fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_inert_and_one_line() {
        assert_eq!(
            shown(Path::new("/w/a\u{1b}[31mred\nx")),
            "/w/a\\u{1b}[31mred\\nx"
        );
        assert_eq!(one_line("a\nb\r\nc"), "a b  c");
        for (text, expected) in [
            ("plain é ü", "plain é ü"),
            ("a\u{7f}b", "a\\u{7f}b"),
            ("a\u{85}b\u{a0}", "a\\u{85}b\u{a0}"),
            ("\u{9f}", "\\u{9f}"),
        ] {
            let mut out = String::new();
            push_inert(&mut out, text);
            assert_eq!(out, expected);
        }
    }
}
