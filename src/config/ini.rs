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

use std::borrow::Cow;
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

/// Where one `[header]` and the lines under it are in a file. Offsets are 32-bit (a file is
/// at most 4 GiB, see `config::read`): there is one span per section, and on a config of 10,000
/// profiles the spans' size is fresh memory every run touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Byte range of the text between `[` and the last `]`, verbatim (as configparser keeps it).
    header: (u32, u32),
    /// Byte range of the header line and its body.
    start: u32,
    end: u32,
    /// 1-based line of the header.
    line: u32,
}

/// The largest file the index can describe.
pub const MAX_LEN: usize = u32::MAX as usize;

impl Span {
    fn new(header: std::ops::Range<usize>, start: usize, end: usize, line: usize) -> Span {
        let at = |n: usize| u32::try_from(n).expect("files are at most MAX_LEN bytes");
        Span {
            header: (at(header.start), at(header.end)),
            start: at(start),
            end: at(end),
            line: at(line),
        }
    }

    pub fn header<'t>(&self, text: &'t str) -> &'t str {
        &text[self.header.0 as usize..self.header.1 as usize]
    }

    /// The header line and the lines under it.
    pub fn body<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start as usize..self.end as usize]
    }

    pub fn line(&self) -> usize {
        self.line as usize
    }

    fn end_at(&mut self, end: usize) {
        self.end = u32::try_from(end).expect("files are at most MAX_LEN bytes");
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
    /// The state after a header line indented by `indent`.
    fn after_header(indent: usize) -> Reader {
        Reader {
            in_section: true,
            in_setting: false,
            indent,
        }
    }

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

/// Finds the section headers of a file. Every start of awsenv pays for this, so it does not read
/// every line: a header is a line whose first non-blank character is `[`, so only the lines that
/// hold a `[` are looked at ([`Headers`]). Checked here, for the whole file as botocore does:
/// nothing but comments and blank lines comes before the first header. Bodies are parsed only
/// for the sections a command needs ([`parse_span`]).
pub fn index(text: &str) -> Result<Vec<Span>, SyntaxError> {
    let mut headers = Headers::new(text);
    // Room for a section per 64 bytes, most files' lower bound: growing the array by doubling
    // would copy it and touch more fresh pages than it keeps (room never written costs nothing).
    // Up to 65,536 sections (1.3 MB), so that a huge file does not reserve gigabytes up front.
    let mut spans: Vec<Span> = Vec::with_capacity((text.len() / 64 + 1).min(1 << 16));
    while let Some((start, header)) = headers.next_header()? {
        if let Some(last) = spans.last_mut() {
            last.end_at(start);
        }
        spans.push(Span::new(header, start, text.len(), headers.line_of(start)));
    }
    Ok(spans)
}

/// The headers of a file, found by jumping from one `[` to the next. A `[` at the start of a line
/// is a header whenever the line is one (configparser continues a value only with a line indented
/// deeper than the key's, and nothing is shallower than column 0). Whether an indented `[` line
/// is a header or more of a value depends on the lines above it, so for those (and for the text
/// before the first header, which must be checked) the line-by-line [`Reader`] is run, from where
/// it last stopped, over every line since; as the lines it reads never begin with `[` (each such
/// line is met here first), it sees exactly what it would have seen reading the whole file.
struct Headers<'t> {
    text: &'t str,
    /// Where to look for the next `[`.
    at: usize,
    /// The reader's state at `read_to`, the start of a line.
    reader: Reader,
    read_to: usize,
    /// Line counting, from one header to the next: `line` is the 1-based line at `counted_to`.
    counted_to: usize,
    line: usize,
    /// Without a `\r` in the file, a line ends at each `\n` and counting is simpler.
    has_cr: bool,
}

impl<'t> Headers<'t> {
    fn new(text: &'t str) -> Headers<'t> {
        Headers {
            text,
            at: 0,
            reader: Reader::default(),
            read_to: 0,
            counted_to: 0,
            line: 1,
            has_cr: memchr::memchr(b'\r', text.as_bytes()).is_some(),
        }
    }

    /// The next header: the start of its line and the range of its name. At the end of the file,
    /// the check that nothing but comments came before the first header, if no header did.
    fn next_header(&mut self) -> Result<Option<(usize, std::ops::Range<usize>)>, SyntaxError> {
        let bytes = self.text.as_bytes();
        while let Some(i) = memchr::memchr(b'[', &bytes[self.at..]) {
            let open = self.at + i;
            let (start, end) = line_around(bytes, open);
            self.at = end;
            let header = if start == open && self.reader.in_section {
                header_range(self.text, open, end).inspect(|_| {
                    self.reader = Reader::after_header(0);
                    self.read_to = next_line(bytes, end);
                })
            } else if split_indent(&self.text[start..end]).1.len() == end - open {
                self.read_line(start, end)?
            } else {
                None
            };
            if let Some(header) = header {
                return Ok(Some((start, header)));
            }
        }
        if !self.reader.in_section {
            self.read_through(self.text.len())?;
        }
        Ok(None)
    }

    /// Runs the reader up to the line `start..end` and over it: the header it is, if it is one.
    fn read_line(
        &mut self,
        start: usize,
        end: usize,
    ) -> Result<Option<std::ops::Range<usize>>, SyntaxError> {
        self.read_through(start)?;
        let bytes = self.text.as_bytes();
        self.read_to = next_line(bytes, end);
        match self.reader.read(&self.text[start..end]) {
            Line::Header(h) => Ok(Some(offset_in(self.text, h))),
            Line::BeforeSection => Err(self.before_section(start)),
            _ => Ok(None),
        }
    }

    /// Runs the reader over the lines from where it stopped to `to` (a line start).
    fn read_through(&mut self, to: usize) -> Result<(), SyntaxError> {
        let from = self.read_to;
        for (at, line) in lines(&self.text[from..to]) {
            let read = self.reader.read(line);
            debug_assert!(!matches!(read, Line::Header(_)), "a `[` line was skipped");
            if read == Line::BeforeSection {
                return Err(self.before_section(from + at));
            }
        }
        self.read_to = to;
        Ok(())
    }

    fn before_section(&self, start: usize) -> SyntaxError {
        SyntaxError {
            line: line_count(&self.text[..start]) + 1,
            message: BEFORE_SECTION.into(),
        }
    }

    /// The 1-based line that starts at `start`, counted on from the last call (which must have
    /// been for an earlier line): counting costs the bytes between two headers, not the file.
    fn line_of(&mut self, start: usize) -> usize {
        let between = &self.text.as_bytes()[self.counted_to..start];
        self.line += line_ends(between, self.has_cr);
        self.counted_to = start;
        self.line
    }
}

/// The line around byte `at`: where it starts and where it ends (before its line break).
fn line_around(bytes: &[u8], at: usize) -> (usize, usize) {
    let start = match at.checked_sub(1).map(|before| bytes[before]) {
        None | Some(b'\n' | b'\r') => at,
        Some(_) => memchr::memrchr2(b'\n', b'\r', &bytes[..at]).map_or(0, |i| i + 1),
    };
    let end = memchr::memchr2(b'\n', b'\r', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    (start, end)
}

/// The start of the line after the one that ends (before its line break) at `end`.
fn next_line(bytes: &[u8], end: usize) -> usize {
    match bytes.get(end) {
        Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
        Some(_) => end + 1,
        None => end,
    }
}

/// The number of line breaks in `bytes` (`\r\n` is one), which must not end between a `\r` and a
/// `\n`. The stretch between two headers is too short for memchr's counting to pay for its setup;
/// sums of bytes over chunks that cannot overflow one are what the compiler makes wide.
fn line_ends(bytes: &[u8], has_cr: bool) -> usize {
    let count = |byte: u8| {
        let in_chunk = |chunk: &[u8]| chunk.iter().fold(0u8, |n, b| n + u8::from(*b == byte));
        bytes
            .chunks(128)
            .map(|c| usize::from(in_chunk(c)))
            .sum::<usize>()
    };
    let lf = count(b'\n');
    if !has_cr {
        return lf;
    }
    let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
    lf + count(b'\r') - crlf
}

/// The name of the header on a column-0 `[` line (`open..end`), as [`header_of`] finds it.
fn header_range(text: &str, open: usize, end: usize) -> Option<std::ops::Range<usize>> {
    header_of(strip_end(&text[open..end])).map(|h| offset_in(text, h))
}

/// Where `part`, a slice of `text`, is in it.
pub fn offset_in(text: &str, part: &str) -> std::ops::Range<usize> {
    let from = part.as_ptr() as usize - text.as_ptr() as usize;
    from..from + part.len()
}

/// [`index`] as it was, reading every line: the reference the fast one is tested against.
#[cfg(test)]
fn index_by_lines(text: &str) -> Result<Vec<Span>, SyntaxError> {
    let mut spans: Vec<Span> = Vec::new();
    let mut reader = Reader::default();
    for (n, (start, line)) in lines(text).enumerate() {
        match reader.read(line) {
            Line::Header(h) => {
                if let Some(last) = spans.last_mut() {
                    last.end_at(start);
                }
                spans.push(Span::new(offset_in(text, h), start, text.len(), n + 1));
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
    let mut sections = parse_from(span.body(text), span.line())?;
    Ok(sections.pop().unwrap_or_else(|| Section {
        header: span.header(text).to_string(),
        ..Section::default()
    }))
}

/// One setting of a section, as configparser ends it: the key lower-cased, the value, the line
/// of the key. A key already lower case and a value on one line are slices of the text, so a
/// profile is read without a string per setting ([`parse_span_settings`]).
pub struct Read<'t> {
    pub key: Cow<'t, str>,
    pub value: ReadValue<'t>,
    pub line: usize,
}

/// [`Value`], borrowed where it can be.
pub enum ReadValue<'t> {
    Str(Cow<'t, str>),
    Nested(BTreeMap<String, String>),
}

impl ReadValue<'_> {
    fn into_owned(self) -> Value {
        match self {
            ReadValue::Str(s) => Value::Str(s.into_owned()),
            ReadValue::Nested(m) => Value::Nested(m),
        }
    }
}

/// The settings of one section found by [`index`], in file order (a key set twice comes
/// twice, the later one winning), read by the same rules as [`parse_span`].
pub fn parse_span_settings<'t>(
    text: &'t str,
    span: &Span,
    mut each: impl FnMut(Read<'t>),
) -> Result<(), SyntaxError> {
    read_from(span.body(text), span.line(), |_| {}, &mut each)
}

/// Parses a whole file (the tests; awsenv parses the sections it needs).
#[cfg(test)]
pub fn parse(text: &str) -> Result<Vec<Section>, SyntaxError> {
    parse_from(text, 1)
}

/// One setting being read: its key, the line of the key, and its lines so far.
struct Pending<'t> {
    key: Cow<'t, str>,
    line: usize,
    /// The value on the key's line.
    first: &'t str,
    /// The lines after it, with their line numbers: most values have none, and then nothing is
    /// allocated or joined.
    more: Vec<(usize, &'t str)>,
}

impl Pending<'_> {
    fn parts(&self) -> impl Iterator<Item = (usize, &str)> {
        std::iter::once((self.line, self.first)).chain(self.more.iter().copied())
    }
}

fn parse_from(text: &str, first_line: usize) -> Result<Vec<Section>, SyntaxError> {
    // Both callbacks push to the list of sections: a cell lets them share it.
    let sections = std::cell::RefCell::new(Vec::<Section>::new());
    read_from(
        text,
        first_line,
        |h| {
            sections.borrow_mut().push(Section {
                header: h.to_string(),
                ..Section::default()
            })
        },
        |read| {
            if let Some(section) = sections.borrow_mut().last_mut() {
                section.lines.insert(read.key.to_string(), read.line);
                section
                    .entries
                    .insert(read.key.into_owned(), read.value.into_owned());
            }
        },
    )?;
    // Repeated sections are merged, later keys winning.
    let mut merged: Vec<Section> = Vec::new();
    for s in sections.into_inner() {
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

/// configparser's reading of `text`, line by line: each header and each finished setting, in
/// order, to the two callbacks. The one reader behind [`parse_span`] and [`parse_span_settings`].
fn read_from<'t>(
    text: &'t str,
    first_line: usize,
    mut header: impl FnMut(&'t str),
    mut setting: impl FnMut(Read<'t>),
) -> Result<(), SyntaxError> {
    let mut reader = Reader::default();
    let mut pending: Option<Pending<'t>> = None;
    let mut in_section = false;
    let mut end_setting = |pending: Option<Pending<'t>>, in_section| -> Result<(), SyntaxError> {
        match pending {
            Some(p) if in_section => {
                setting(finish(p)?);
                Ok(())
            }
            _ => Ok(()),
        }
    };
    for (n, (_, line)) in lines(text).enumerate() {
        let line_no = first_line + n;
        match reader.read(line) {
            Line::Comment => {}
            Line::Blank => {
                if let Some(p) = pending.as_mut() {
                    p.more.push((line_no, ""));
                }
            }
            Line::Continuation(v) => {
                if let Some(p) = pending.as_mut() {
                    p.more.push((line_no, v));
                }
            }
            Line::Header(h) => {
                end_setting(pending.take(), in_section)?;
                header(h);
                in_section = true;
            }
            Line::Setting(key, value) => {
                end_setting(pending.take(), in_section)?;
                pending = Some(Pending {
                    key: lower(strip_end(key)),
                    line: line_no,
                    first: strip(value),
                    more: Vec::new(),
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
    end_setting(pending.take(), in_section)
}

/// A key lower-cased as configparser's `optionxform` (`str.lower`); most keys already are.
fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(key.to_lowercase())
    }
}

/// A finished setting: configparser joins its lines with `\n` and strips the end; botocore
/// reads a value that starts with a newline as a nested block.
fn finish(p: Pending<'_>) -> Result<Read<'_>, SyntaxError> {
    let value = if p.more.is_empty() {
        // One line holds no line break: never nested.
        ReadValue::Str(Cow::Borrowed(p.first.trim_end_matches(is_space)))
    } else {
        let joined = p.parts().map(|(_, v)| v).collect::<Vec<_>>().join("\n");
        let joined = joined.trim_end_matches(is_space);
        if joined.starts_with('\n') {
            ReadValue::Nested(nested(&p)?)
        } else {
            ReadValue::Str(Cow::Owned(joined.to_string()))
        }
    };
    Ok(Read {
        key: p.key,
        value,
        line: p.line,
    })
}

/// botocore's `_parse_nested`: every non-blank line is `name = value` (only `=`), names and values
/// stripped, case kept.
fn nested(p: &Pending<'_>) -> Result<BTreeMap<String, String>, SyntaxError> {
    let mut map = BTreeMap::new();
    let lines = p
        .parts()
        .flat_map(|(n, part)| part.split(is_line_break).map(move |l| (n, l)));
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
                .map(|s| (s.header(text), s.line()))
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
                .map(|s| (s.header(text), s.line()))
                .collect::<Vec<_>>(),
            [("a", 1), (" b ", 3)]
        );
    }
    fn headers(text: &str) -> Vec<(&str, usize)> {
        let spans = index(text).unwrap();
        assert_eq!(Ok(spans.clone()), index_by_lines(text), "{text:?}");
        spans.iter().map(|s| (s.header(text), s.line())).collect()
    }

    #[test]
    fn indented_brackets_are_headers_unless_they_continue_a_value() {
        // Deeper than the key above: more of its value. As deep: a header.
        assert_eq!(headers("[a]\nx = 1\n  [b]\n"), [("a", 1)]);
        assert_eq!(headers("[a]\n  x = 1\n  [b]\n"), [("a", 1), ("b", 3)]);
        // After a header (no setting yet) or a comment-free blank, nothing continues.
        assert_eq!(headers("[a]\n  [b]\n"), [("a", 1), ("b", 2)]);
        assert_eq!(headers("  [a]\nx = 1\n\n   [b]\n"), [("a", 1)]);
        // An indented header sets the indentation the next line is compared with.
        assert_eq!(
            headers("[a]\n  [b]\n  x = 1\n    [c]\n  [d]\n"),
            [("a", 1), ("b", 2), ("d", 5)]
        );
        // A bad line (no `=`) keeps the setting above open; `= x` closes it.
        assert_eq!(headers("[a]\nx = 1\nbad\n  [b]\n"), [("a", 1)]);
        assert_eq!(headers("[a]\nx = 1\n= y\n  [b]\n"), [("a", 1), ("b", 4)]);
        // Unicode blanks indent too.
        assert_eq!(headers("[a]\nx = 1\n\u{a0}[b]\n"), [("a", 1)]);
        assert_eq!(headers("[a]\n\u{3000}[b]\n"), [("a", 1), ("b", 2)]);
    }

    #[test]
    fn brackets_that_are_not_headers() {
        assert_eq!(
            headers("[a]\nx = [b]\n# [c]\n; [d]\ny = 1 [e]\n[]\n[\n[f] [g]\n"),
            [("a", 1), ("f] [g", 8)]
        );
        // A column-0 `[` line that is no header still counts as a line of the section.
        let text = "[a]\nx = 1\n[\n  [b]\n";
        assert_eq!(headers(text), [("a", 1)]);
    }

    #[test]
    fn line_ends_and_the_last_line() {
        assert_eq!(
            headers("[a]\rx = 1\r[b]\r\r[c]"),
            [("a", 1), ("b", 3), ("c", 5)]
        );
        assert_eq!(
            headers("[a]\r\nx = 1\r\n\r\n[b]\r\n[c]\r"),
            [("a", 1), ("b", 4), ("c", 5)]
        );
        assert_eq!(headers("\n\r\n\r[a]"), [("a", 4)]);
        assert_eq!(headers("[a]\n[b]  "), [("a", 1), ("b", 2)]);
        assert_eq!(headers("[a]\n[b"), [("a", 1)]);
        assert!(headers("").is_empty());
        assert!(headers("# only\n\n").is_empty());
    }

    #[test]
    fn text_before_the_first_header() {
        // An indented first header is still the first header.
        assert_eq!(headers("# c\n  [a]\nx = 1\n"), [("a", 2)]);
        for (text, line) in [
            ("x = 1\n[a]\n", 1),
            ("# c\r\n\r\n[\n[a]\n", 3),
            ("# c\n  x [a]\n", 2),
            ("\u{feff}[a]\n", 1),
            ("# c\nno header at all", 2),
        ] {
            assert_eq!(index(text).unwrap_err().line, line, "{text:?}");
            assert_eq!(index_by_lines(text).unwrap_err().line, line, "{text:?}");
        }
    }

    /// Random files from the pieces that matter to headers, indexed both ways.
    #[test]
    fn index_agrees_with_reading_every_line() {
        const PIECES: &[&str] = &[
            "[a]",
            "[b] ; note",
            "  [c]",
            "\t[d]x",
            "    [e]",
            "[",
            "[]",
            "[ ]",
            "x = 1",
            "  y = 2",
            "    more",
            "k = [v]",
            "# [c]",
            "  ; c",
            "",
            "   ",
            "= z",
            "bad",
            "\u{a0}[f]",
            "\x0c[g]",
            "[h]]",
            "z: [q]",
            " [i] [j]",
        ];
        const ENDS: &[&str] = &["\n", "\r", "\r\n", "\n", "\n"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut with_errors = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            if next(4) > 0 {
                text.push_str("[top]\n");
            }
            for _ in 0..next(12) {
                text.push_str(PIECES[next(PIECES.len())]);
                text.push_str(ENDS[next(ENDS.len())]);
            }
            if next(3) == 0 {
                text.push_str(PIECES[next(PIECES.len())]);
            }
            let fast = index(&text);
            with_errors += usize::from(fast.is_err());
            assert_eq!(fast, index_by_lines(&text), "{text:?}");
        }
        // Both outcomes were exercised.
        assert!((100..19_000).contains(&with_errors), "{with_errors}");
    }
}
