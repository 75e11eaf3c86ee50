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

/// Whether `text`, made of `lines` lines each ended by `\n`, has no control character but
/// those line ends: [`push_inert`]'s test for a whole piece of output at once. `list` writes
/// thousands of names; one pass over the piece, which the compiler makes wide, costs less than a
/// test per name, and a piece that fails it is written again name by name.
pub fn lines_are_inert(text: &str, lines: usize) -> bool {
    let (mut newlines, mut other) = (0usize, 0u8);
    // A count per chunk fits in a byte: sums of bytes are what vector units add.
    for chunk in text.as_bytes().chunks(128) {
        let mut n = 0u8;
        for &b in chunk {
            n += u8::from(b == b'\n');
            other |= u8::from((b < 0x20 && b != b'\n') | (b == 0x7f) | (b == 0xc2));
        }
        newlines += usize::from(n);
    }
    other == 0 && newlines == lines
}

/// `s` with its line breaks folded into spaces.
pub fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The piece test is sound against [`push_inert`]: a piece that passes is one that escaping
    /// each of its lines would not change, and a line break inside a line is caught by the count.
    #[test]
    fn a_piece_is_inert_when_each_line_is() {
        let mut passed = 0;
        let lines = [
            "role-1",
            "é ü",
            "a\u{7f}b",
            "a\u{85}b",
            "\u{a0}",
            "x\ny",
            "\u{1b}[2J",
            "",
        ];
        for a in lines {
            for b in lines {
                let piece = format!("{a}\n{b}\n");
                let mut escaped = String::new();
                for line in [a, b] {
                    push_inert(&mut escaped, line);
                    escaped.push('\n');
                }
                // Like push_inert's own test, it sends every character whose first byte is
                // 0xC2 (U+0080–U+00BF) the slow way, which escapes only the controls among them.
                let inert = lines_are_inert(&piece, 2);
                assert!(!inert || escaped == piece, "{piece:?}");
                passed += usize::from(inert);
            }
        }
        // role-1, é ü and the empty line, in pairs.
        assert_eq!(passed, 9);
        // Long enough to span chunks.
        let long = "p\n".repeat(1000);
        assert!(lines_are_inert(&long, 1000));
        assert!(!lines_are_inert(&long, 999));
        assert!(!lines_are_inert(&format!("{long}\u{9b}\n"), 1001));
    }

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
