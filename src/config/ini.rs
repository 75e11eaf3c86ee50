//! Reading one AWS INI file (`~/.aws/config` or `~/.aws/credentials`) into sections.
//!
//! The reference is botocore's reader: Python's `configparser.RawConfigParser` (its line rules,
//! step by step, in [`Reader`]) plus botocore's `_parse_nested` for a value that starts on the line
//! after its key (`s3 =` / `  max_concurrent_requests = 10`). So: lines end at `\n`, `\r\n` or
//! `\r`; a line whose stripped text starts with `#` or `;` is a comment at any indentation and ends
//! nothing; a header is `[` up to the last `]` on its line, anything after that ignored; a line
//! is part of the value above it only when it is indented deeper than that value's key (and a
//! blank line does not end a value); keys are lower-cased, values taken verbatim (no quotes,
//! escapes or inline comments), continued values joined with `\n`. Nested keys keep their case.
//!
//! Kept differences (README, "How a profile is resolved"): repeated sections and keys are merged,
//! later keys winning, where configparser rejects the file; and a bad line is an error for the
//! section that holds it, not for the whole file.
//!
//! Error messages never quote the file: any line may hold a secret. They name a key only when it
//! is one of the setting names awsenv knows ([`super::keys::is_known`]).

use std::collections::BTreeMap;

/// A value in a section: a plain string, or a nested block of `key = value` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Nested(BTreeMap<String, String>),
}

/// One `[header]` with its entries (keys lower-cased, merged across repeats), and the 1-based line
/// of each key's last assignment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub header: String,
    pub entries: BTreeMap<String, Value>,
    pub lines: BTreeMap<String, usize>,
}

/// A syntax error with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Where one `[header]` and the lines under it are in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Byte range of the text between `[` and the last `]`, verbatim (as configparser keeps it).
    pub header: std::ops::Range<usize>,
    /// Byte range of the header line and its body.
    pub start: usize,
    pub end: usize,
    /// 1-based line of the header.
    pub line: usize,
}

impl Span {
    pub fn header<'t>(&self, text: &'t str) -> &'t str {
        &text[self.header.clone()]
    }
}

const BEFORE_SECTION: &str = "a setting appears before any [section] header";
const BAD_LINE: &str = "expected `key = value`, a [section] or a comment";

/// Python's `str.isspace` (Rust's `char::is_whitespace` plus the four separator controls).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// A line's indentation in characters (what configparser compares) and the line without it.
/// Every line of every file goes through here at each start, so ASCII takes a byte loop.
fn split_indent(line: &str) -> (usize, &str) {
    let bytes = line.as_bytes();
    let ascii = bytes.iter().take_while(|b| is_ascii_space(**b)).count();
    if bytes.get(ascii).is_some_and(|b| !b.is_ascii()) {
        let rest = &line[ascii..];
        let more: Vec<char> = rest.chars().take_while(|c| is_space(*c)).collect();
        let len: usize = more.iter().map(|c| c.len_utf8()).sum();
        return (ascii + more.len(), &rest[len..]);
    }
    (ascii, &line[ascii..])
}

/// The end of a line without its trailing blanks.
fn strip_end(s: &str) -> &str {
    let trimmed = s.trim_end_matches(|c: char| c.is_ascii() && is_ascii_space(c as u8));
    if trimmed.as_bytes().last().is_some_and(|b| !b.is_ascii()) {
        return trimmed.trim_end_matches(is_space);
    }
    trimmed
}

/// The lines of `text` as Python's universal newlines cut them: `(byte offset, line)`, the line
/// without its `\n`, `\r\n` or `\r`.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        pos = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        Some((start, &text[start..end]))
    })
}

/// The number of lines in `text` (for the line of a byte offset: `line_count(&text[..at]) + 1`
/// when `at` starts a line).
pub fn line_count(text: &str) -> usize {
    lines(text).count()
}

/// What one line is, as configparser's `_read` decides it.
#[derive(Debug, PartialEq, Eq)]
enum Line<'t> {
    Comment,
    /// Blank: inside a value it adds an empty line to it.
    Blank,
    /// The text between `[` and the last `]`.
    Header(&'t str),
    /// `key = value` or `key: value`, the two sides as they are around the delimiter.
    Setting(&'t str, &'t str),
    /// More of the value above, stripped.
    Continuation(&'t str),
    /// Content before the first header.
    BeforeSection,
    /// Not a setting (no `=`/`:`, or nothing before it).
    Bad,
}

/// configparser's state between lines: in a section, after a setting, and the indentation of the
/// last line that was not a continuation.
#[derive(Default)]
struct Reader {
    in_section: bool,
    in_setting: bool,
    indent: usize,
}

impl Reader {
    fn read<'t>(&mut self, line: &'t str) -> Line<'t> {
        let (indent, rest) = split_indent(line);
        if rest.starts_with(['#', ';']) {
            return Line::Comment;
        }
        let value = strip_end(rest);
        if value.is_empty() {
            return Line::Blank;
        }
        if self.in_section && self.in_setting && indent > self.indent {
            return Line::Continuation(value);
        }
        self.indent = indent;
        if let Some(header) = header_of(value) {
            self.in_section = true;
            self.in_setting = false;
            return Line::Header(header);
        }
        if !self.in_section {
            return Line::BeforeSection;
        }
        match memchr::memchr2(b'=', b':', value.as_bytes()) {
            // configparser keeps going after a nameless `= x`, with no current setting. (The
            // value has no leading blanks, so a key is empty only when the line starts with
            // the delimiter.)
            Some(0) => {
                self.in_setting = false;
                Line::Bad
            }
            Some(at) => {
                self.in_setting = true;
                // Both sides are stripped by the caller that keeps them ([`parse_from`]).
                Line::Setting(&value[..at], &value[at + 1..])
            }
            None => Line::Bad,
        }
    }
}

/// configparser's `\[(?P<header>.+)\]` matched at the start of the stripped line.
fn header_of(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let last = memchr::memrchr(b']', rest.as_bytes())?;
    (last > 0).then(|| &rest[..last])
}

/// Finds the section headers of a file. Every start of awsenv pays for this, so it allocates
/// nothing per line; bodies are parsed only for the sections a command needs ([`parse_span`]).
/// Checked here, for the whole file as botocore does: nothing but comments and blank lines comes
/// before the first header.
pub fn index(text: &str) -> Result<Vec<Span>, SyntaxError> {
    let mut spans: Vec<Span> = Vec::new();
    let mut reader = Reader::default();
    for (n, (start, line)) in lines(text).enumerate() {
        match reader.read(line) {
            Line::Header(h) => {
                if let Some(last) = spans.last_mut() {
                    last.end = start;
                }
                let from = h.as_ptr() as usize - text.as_ptr() as usize;
                spans.push(Span {
                    header: from..from + h.len(),
                    start,
                    end: text.len(),
                    line: n + 1,
                });
            }
            Line::BeforeSection => {
                return Err(SyntaxError {
                    line: n + 1,
                    message: BEFORE_SECTION.into(),
                })
            }
            _ => {}
        }
    }
    Ok(spans)
}

/// Parses one section found by [`index`]; line numbers are the file's.
pub fn parse_span(text: &str, span: &Span) -> Result<Section, SyntaxError> {
    let mut sections = parse_from(&text[span.start..span.end], span.line)?;
    Ok(sections.pop().unwrap_or_else(|| Section {
        header: span.header(text).to_string(),
        ..Section::default()
    }))
}

/// Parses a whole file (the tests; awsenv parses the sections it needs).
#[cfg(test)]
pub fn parse(text: &str) -> Result<Vec<Section>, SyntaxError> {
    parse_from(text, 1)
}

/// One setting being read: its key, the line of the key, and its lines so far.
struct Pending<'t> {
    key: String,
    line: usize,
    /// The lines of the value with their line numbers, the key's line first.
    parts: Vec<(usize, &'t str)>,
}

fn parse_from(text: &str, first_line: usize) -> Result<Vec<Section>, SyntaxError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut reader = Reader::default();
    let mut pending: Option<Pending<'_>> = None;
    for (n, (_, line)) in lines(text).enumerate() {
        let line_no = first_line + n;
        match reader.read(line) {
            Line::Comment => {}
            Line::Blank => {
                if let Some(p) = pending.as_mut() {
                    p.parts.push((line_no, ""));
                }
            }
            Line::Continuation(v) => {
                if let Some(p) = pending.as_mut() {
                    p.parts.push((line_no, v));
                }
            }
            Line::Header(h) => {
                finish(&mut sections, pending.take())?;
                sections.push(Section {
                    header: h.to_string(),
                    ..Section::default()
                });
            }
            Line::Setting(key, value) => {
                finish(&mut sections, pending.take())?;
                pending = Some(Pending {
                    key: strip_end(key).to_lowercase(),
                    line: line_no,
                    parts: vec![(line_no, strip(value))],
                });
            }
            Line::BeforeSection => {
                return Err(SyntaxError {
                    line: line_no,
                    message: BEFORE_SECTION.into(),
                })
            }
            Line::Bad => {
                return Err(SyntaxError {
                    line: line_no,
                    message: BAD_LINE.into(),
                })
            }
        }
    }
    finish(&mut sections, pending.take())?;
    // Repeated sections are merged, later keys winning.
    let mut merged: Vec<Section> = Vec::new();
    for s in sections {
        match merged.iter_mut().find(|m| m.header == s.header) {
            Some(m) => {
                m.entries.extend(s.entries);
                m.lines.extend(s.lines);
            }
            None => merged.push(s),
        }
    }
    Ok(merged)
}

/// Stores a finished setting in the last section: configparser joins its lines with `\n` and
/// strips the end; botocore reads a value that starts with a newline as a nested block.
fn finish(sections: &mut [Section], pending: Option<Pending<'_>>) -> Result<(), SyntaxError> {
    let (Some(p), Some(section)) = (pending, sections.last_mut()) else {
        return Ok(());
    };
    let joined = p
        .parts
        .iter()
        .map(|(_, v)| *v)
        .collect::<Vec<_>>()
        .join("\n");
    let joined = joined.trim_end_matches(is_space);
    let value = if joined.starts_with('\n') {
        Value::Nested(nested(&p)?)
    } else {
        Value::Str(joined.to_string())
    };
    section.lines.insert(p.key.clone(), p.line);
    section.entries.insert(p.key, value);
    Ok(())
}

/// botocore's `_parse_nested`: every non-blank line is `name = value` (only `=`), names and values
/// stripped, case kept.
fn nested(p: &Pending<'_>) -> Result<BTreeMap<String, String>, SyntaxError> {
    let mut map = BTreeMap::new();
    let lines = p
        .parts
        .iter()
        .flat_map(|(n, part)| part.split(is_line_break).map(move |l| (*n, l)));
    for (line_no, line) in lines {
        let line = strip(line);
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            let parent = if super::keys::is_known(&p.key) {
                format!(" under `{} =`", p.key)
            } else {
                String::new()
            };
            return Err(SyntaxError {
                line: line_no,
                message: format!("an indented line{parent} is not `name = value`"),
            });
        };
        map.insert(strip(k).to_string(), strip(v).to_string());
    }
    Ok(map)
}

/// The line boundaries of Python's `str.splitlines` (within one configparser value).
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(sections: &'a [Section], header: &str, key: &str) -> Option<&'a Value> {
        sections
            .iter()
            .find(|s| s.header == header)
            .and_then(|s| s.entries.get(key))
    }

    fn str_of<'a>(sections: &'a [Section], header: &str, key: &str) -> Option<&'a str> {
        match get(sections, header, key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn botocore_rules() {
        let text = "# top comment\n\
            [default]\n\
            Region = us-east-1\n\
            \n\
            ; another comment\n\
            [profile  dev ]\n\
            aws_access_key_id=AKIA1\n\
            output : json\n\
            s3 =\n\
            \x20   max_concurrent_requests = 10\n\
            \x20   addressing_style = path\n\
            role_session_name = a # not a comment\n\
            [default]\n\
            region = eu-west-1\n";
        let s = parse(text).unwrap();
        assert_eq!(str_of(&s, "default", "region"), Some("eu-west-1"));
        assert_eq!(
            str_of(&s, "profile  dev ", "aws_access_key_id"),
            Some("AKIA1")
        );
        assert_eq!(str_of(&s, "profile  dev ", "output"), Some("json"));
        assert_eq!(
            str_of(&s, "profile  dev ", "role_session_name"),
            Some("a # not a comment")
        );
        let Some(Value::Nested(m)) = get(&s, "profile  dev ", "s3") else {
            panic!("s3 should be nested")
        };
        assert_eq!(m.get("max_concurrent_requests").unwrap(), "10");
        assert_eq!(m.get("addressing_style").unwrap(), "path");
    }

    #[test]
    fn headers_comments_and_indentation_as_configparser() {
        // Text after the last `]` is ignored; a second `]` is part of the name.
        let s = parse("[profile prod] # prod account\nregion = a\n[dev] ; note\nregion = b\n[x]]\nregion = c\n[tr\\]\nregion = d\n").unwrap();
        assert_eq!(str_of(&s, "profile prod", "region"), Some("a"));
        assert_eq!(str_of(&s, "dev", "region"), Some("b"));
        assert_eq!(str_of(&s, "x]", "region"), Some("c"));
        assert_eq!(str_of(&s, "tr\\", "region"), Some("d"));
        // Keys all indented alike, and an indented comment.
        let s = parse("[a]\n  region = x\n    # note\n  output = json\n").unwrap();
        assert_eq!(str_of(&s, "a", "region"), Some("x"));
        assert_eq!(str_of(&s, "a", "output"), Some("json"));
        // A comment (at any indentation) or a blank line does not end a nested block.
        let s = parse("[a]\ns3 =\n# note\n  region = x\n\n  b = c\nregion = y\n").unwrap();
        let Some(Value::Nested(m)) = get(&s, "a", "s3") else {
            panic!("nested")
        };
        assert_eq!(m.get("region").unwrap(), "x");
        assert_eq!(m.get("b").unwrap(), "c");
        assert_eq!(str_of(&s, "a", "region"), Some("y"));
        // A continued value is joined with a newline.
        let s = parse("[a]\ncredential_process = tool\n  --flag\n").unwrap();
        assert_eq!(str_of(&s, "a", "credential_process"), Some("tool\n--flag"));
        // `\r` alone ends a line, as in Python's universal newlines.
        let s = parse("[a]\rregion = x\r\n").unwrap();
        assert_eq!(str_of(&s, "a", "region"), Some("x"));
    }

    #[test]
    fn a_trailing_backslash_is_part_of_the_value() {
        let s = parse("[a]\nsecret = ab\\\nregion = x\\y\n").unwrap();
        assert_eq!(str_of(&s, "a", "secret"), Some("ab\\"));
        assert_eq!(str_of(&s, "a", "region"), Some("x\\y"));
    }

    #[test]
    fn errors_have_lines_and_never_quote_the_file() {
        let err = parse("\n# c\nregion = x\n[default]\n").unwrap_err();
        assert_eq!(err.line, 3);
        let err = parse("[default]\nregion = x\nthis is not a setting\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        let err = parse("[d]\nsecretkey =\n  SECRETPART\n").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (3, "an indented line is not `name = value`")
        );
        let err = parse("[d]\nsts =\n  endpoint_url = x\n\n  SECRET2\n").unwrap_err();
        assert_eq!(err.line, 5);
        assert!(!err.message.contains("SECRET"), "{err:?}");
        let err = parse("[d]\ns3 =\n  SECRET\n").unwrap_err();
        assert_eq!(
            err.message,
            "an indented line under `s3 =` is not `name = value`"
        );
    }

    #[test]
    fn index_then_parse_spans() {
        let text = "# c\n[default]\nregion = x\n\n[profile a]\nsource_profile = b\nbad line\n";
        let spans = index(text).unwrap();
        assert_eq!(
            spans
                .iter()
                .map(|s| (s.header(text), s.line))
                .collect::<Vec<_>>(),
            [("default", 2), ("profile a", 5)]
        );
        let d = parse_span(text, &spans[0]).unwrap();
        assert_eq!(d.entries.get("region"), Some(&Value::Str("x".into())));
        assert_eq!(d.lines.get("region"), Some(&3));
        // An error inside a span is reported with the file's line number.
        assert_eq!(parse_span(text, &spans[1]).unwrap_err().line, 7);
        assert_eq!(index("\nregion = x\n[default]\n").unwrap_err().line, 2);
        assert_eq!(index("# only a comment\nregion = x\n").unwrap_err().line, 2);
        // `[` inside values, indented headers, and a `[` line that continues a value.
        let text = "[a]\nx = [not a header]\n[ b ]\ny = 1\n  [c]\n";
        let spans = index(text).unwrap();
        assert_eq!(
            spans
                .iter()
                .map(|s| (s.header(text), s.line))
                .collect::<Vec<_>>(),
            [("a", 1), (" b ", 3)]
        );
    }
}
