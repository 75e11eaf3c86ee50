//! Reading one AWS INI file (`~/.aws/config` or `~/.aws/credentials`) into sections.
//!
//! `rust-ini` does the tokenising. On top of it we apply the rules of botocore's reader (Python's
//! `configparser` plus `_parse_nested`), because the AWS CLI is the reference for what a file means:
//! keys are case-insensitive, values are taken verbatim (no quotes, escapes or inline comments),
//! and an indented block under an empty key (`s3 =` / `  max_concurrent_requests = 10`) is a
//! nested sub-section. Repeated sections are merged, later keys winning.

use std::collections::BTreeMap;

/// A value in a section: a plain string, or a nested block of `key = value` lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Nested(BTreeMap<String, String>),
}

/// One `[header]` with its entries (keys lower-cased, in file order, merged across repeats).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub header: String,
    pub entries: BTreeMap<String, Value>,
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
    /// Byte range of the text between the brackets, trimmed.
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

/// Finds the section headers of a file without parsing the bodies. Every start of awsenv pays
/// for this, so it must stay cheap on a config of 10,000 profiles: it jumps from `[` to `[`
/// (memchr) and allocates nothing per section. Bodies are parsed only for the sections a
/// command needs ([`parse_span`]). Checked here: header lines are well formed, and nothing but
/// comments comes before the first one.
pub fn index(text: &str) -> Result<Vec<Span>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut spans: Vec<Span> = Vec::new();
    // Line counting is incremental: newlines between the last header and this one.
    let (mut counted_to, mut line) = (0usize, 1usize);
    for pos in memchr::memchr_iter(b'[', bytes) {
        let line_start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |i| i + 1);
        // Only a `[` that starts its line (after blanks) opens a section.
        if !bytes[line_start..pos]
            .iter()
            .all(|b| *b == b' ' || *b == b'\t')
        {
            continue;
        }
        if line_start < counted_to {
            continue; // A second `[` on a header line already seen.
        }
        line += bytes[counted_to..line_start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = line_start;
        let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let t = text[pos..line_end].trim_end();
        let inner = t
            .strip_suffix(']')
            .map(|h| &h[1..])
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| SyntaxError {
                line,
                message: "a section header must look like [name]".into(),
            })?;
        let lead = inner.len() - inner.trim_start().len();
        let from = pos + 1 + lead;
        let header = from..from + inner.trim().len();
        match spans.last_mut() {
            Some(last) => last.end = line_start,
            None => {
                if let Some(bad) = text[..line_start]
                    .lines()
                    .position(|l| !is_comment_or_blank(l))
                {
                    return Err(SyntaxError {
                        line: bad + 1,
                        message: "a setting appears before any [section] header".into(),
                    });
                }
            }
        }
        spans.push(Span {
            header,
            start: line_start,
            end: text.len(),
            line,
        });
    }
    if spans.is_empty() {
        if let Some(bad) = text.lines().position(|l| !is_comment_or_blank(l)) {
            return Err(SyntaxError {
                line: bad + 1,
                message: "a setting appears before any [section] header".into(),
            });
        }
    }
    Ok(spans)
}

/// Parses one section found by [`index`]; line numbers are the file's.
pub fn parse_span(text: &str, span: &Span) -> Result<Section, SyntaxError> {
    let shift = |mut e: SyntaxError| {
        e.line += span.line - 1;
        e
    };
    let mut sections = parse(&text[span.start..span.end]).map_err(shift)?;
    Ok(sections.pop().unwrap_or_else(|| Section {
        header: span.header(text).to_string(),
        entries: BTreeMap::new(),
    }))
}

pub fn parse(text: &str) -> Result<Vec<Section>, SyntaxError> {
    check_lines(text)?;
    // rust-ini joins a line ending in `\` with the next one, even with escapes off; botocore has
    // no such rule (a secret may end in a backslash). A space after it keeps the lines apart and
    // is trimmed off the value like any trailing blank.
    let text: std::borrow::Cow<'_, str> = if text.contains("\\\n") {
        text.replace("\\\n", "\\ \n").into()
    } else {
        text.into()
    };
    let text = text.as_ref();
    let opt = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: false,
        // Keeps the indentation of nested keys so we can attach them to their parent key.
        enabled_preserve_key_leading_whitespace: true,
    };
    let parsed = ini::Ini::load_from_str_opt(text, opt).map_err(|e| SyntaxError {
        line: e.line + 1,
        message: e.msg.to_string(),
    })?;

    let mut order: Vec<String> = Vec::new();
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    for (header, props) in parsed.iter() {
        let Some(header) = header else {
            if props.is_empty() {
                continue;
            }
            return Err(SyntaxError {
                line: first_content_line(text),
                message: "a setting appears before any [section] header".into(),
            });
        };
        let header = header.trim().to_string();
        let section = sections.entry(header.clone()).or_insert_with(|| {
            order.push(header.clone());
            Section {
                header: header.clone(),
                entries: BTreeMap::new(),
            }
        });
        let mut parent: Option<String> = None;
        for (raw_key, value) in props.iter() {
            let indented = raw_key.starts_with([' ', '\t']);
            let key = raw_key.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            if indented {
                match parent.as_ref().and_then(|p| section.entries.get_mut(p)) {
                    Some(Value::Nested(map)) => {
                        map.insert(key, value);
                    }
                    _ => {
                        return Err(SyntaxError {
                            line: locate_key(text, &header, raw_key.trim()).unwrap_or(0),
                            message: format!(
                                "indented setting `{}` does not follow a key with an empty value",
                                raw_key.trim()
                            ),
                        })
                    }
                }
                continue;
            }
            if value.is_empty() {
                // Possibly the start of a nested block; a plain empty value if nothing follows.
                section
                    .entries
                    .insert(key.clone(), Value::Nested(BTreeMap::new()));
                parent = Some(key);
            } else {
                section.entries.insert(key, Value::Str(value));
                parent = None;
            }
        }
    }
    // An empty key with no nested lines under it is an empty string, as in botocore.
    for s in sections.values_mut() {
        for v in s.entries.values_mut() {
            if matches!(v, Value::Nested(m) if m.is_empty()) {
                *v = Value::Str(String::new());
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|h| sections.remove(&h))
        .collect())
}

/// Every line must be blank, a comment, a `[section]`, or hold a `=`/`:` delimiter (an indented
/// line is a nested setting). rust-ini would otherwise read a stray word as the start of a key
/// that runs into the next line; checking first also gives the right line number.
fn check_lines(text: &str) -> Result<(), SyntaxError> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let ok = is_comment_or_blank(line)
            || (t.starts_with('[') && t.ends_with(']') && t.len() > 2)
            || t.find(['=', ':']).is_some_and(|p| p > 0);
        if !ok {
            let message = if t.starts_with('[') {
                "a section header must look like [name]".to_string()
            } else {
                // The line itself is not quoted: it may be a secret missing its `=`.
                "expected `key = value`, a [section] or a comment".to_string()
            };
            return Err(SyntaxError {
                line: i + 1,
                message,
            });
        }
    }
    Ok(())
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t.starts_with(';')
}

fn first_content_line(text: &str) -> usize {
    text.lines()
        .position(|l| !is_comment_or_blank(l))
        .map_or(1, |i| i + 1)
}

/// The 1-based line of `[header]` in `text`. Used only to point error messages at the file.
pub fn locate_section(text: &str, header: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim();
            t.starts_with('[') && t.ends_with(']') && t[1..t.len() - 1].trim() == header
        })
        .map(|i| i + 1)
}

/// The 1-based line of `key` inside `[header]` (the last one, as the last one wins).
pub fn locate_key(text: &str, header: &str, key: &str) -> Option<usize> {
    let mut in_section = false;
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            in_section = t[1..t.len() - 1].trim() == header;
            continue;
        }
        if !in_section || is_comment_or_blank(line) {
            continue;
        }
        if let Some(pos) = t.find(['=', ':']) {
            if t[..pos].trim().eq_ignore_ascii_case(key) {
                found = Some(i + 1);
            }
        }
    }
    found
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
        assert_eq!(
            get(&s, "default", "region"),
            Some(&Value::Str("eu-west-1".into()))
        );
        assert_eq!(
            get(&s, "profile  dev", "aws_access_key_id"),
            Some(&Value::Str("AKIA1".into()))
        );
        assert_eq!(
            get(&s, "profile  dev", "output"),
            Some(&Value::Str("json".into()))
        );
        assert_eq!(
            get(&s, "profile  dev", "role_session_name"),
            Some(&Value::Str("a # not a comment".into()))
        );
        let Some(Value::Nested(m)) = get(&s, "profile  dev", "s3") else {
            panic!("s3 should be nested")
        };
        assert_eq!(m.get("max_concurrent_requests").unwrap(), "10");
        assert_eq!(m.get("addressing_style").unwrap(), "path");
    }

    #[test]
    fn a_trailing_backslash_is_part_of_the_value() {
        let s = parse("[a]\nsecret = ab\\\nregion = x\\y\n").unwrap();
        assert_eq!(get(&s, "a", "secret"), Some(&Value::Str("ab\\".into())));
        assert_eq!(get(&s, "a", "region"), Some(&Value::Str("x\\y".into())));
    }

    #[test]
    fn key_before_section_is_an_error_with_line() {
        let err = parse("\n# c\nregion = x\n[default]\n").unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn garbage_line_is_an_error_with_line() {
        let err = parse("[default]\nregion = x\nthis is not a setting\n").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
    }

    #[test]
    fn index_then_parse_spans() {
        let text =
            "# c\n[default]\nregion = x\n\n[profile a]\nsource_profile = b\n  bad indented\n";
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
        // An error inside a span is reported with the file's line number.
        assert_eq!(parse_span(text, &spans[1]).unwrap_err().line, 7);
        assert_eq!(index("[ok]\n[broken\n").unwrap_err().line, 2);
        assert_eq!(index("\nregion = x\n[default]\n").unwrap_err().line, 2);
        assert_eq!(index("# only a comment\nregion = x\n").unwrap_err().line, 2);
        // `[` inside values and indented headers.
        let text = "[a]\nx = [not a header]\n  [ b ]\ny = 1\n";
        let spans = index(text).unwrap();
        assert_eq!(
            spans
                .iter()
                .map(|s| (s.header(text), s.line))
                .collect::<Vec<_>>(),
            [("a", 1), ("b", 3)]
        );
    }

    #[test]
    fn locate() {
        let text = "[default]\nregion=x\n\n[profile a]\nsource_profile = b\n";
        assert_eq!(locate_section(text, "profile a"), Some(4));
        assert_eq!(locate_key(text, "profile a", "source_profile"), Some(5));
        assert_eq!(locate_key(text, "default", "source_profile"), None);
    }
}
