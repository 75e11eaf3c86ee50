//! A block of the config file that awsenv owns, between two marker comments, and nothing else:
//! `awsenv sso profiles --write` replaces the block of its sso-session and keeps every other
//! byte of the file as it was. Pure text in, text out; the caller writes the file.

use std::collections::BTreeSet;

/// The first line of the block for `id`.
pub fn begin(id: &str) -> String {
    format!("# BEGIN awsenv generated profiles for sso-session {id} (edits inside are replaced)")
}

/// The last line of the block for `id`.
pub fn end(id: &str) -> String {
    format!("# END awsenv generated profiles for sso-session {id}")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockError {
    #[error("line {0} opens an awsenv block that is never closed; fix or remove it by hand")]
    Unclosed(usize),
    #[error("the awsenv block for this sso-session appears more than once; keep one by hand")]
    Twice,
}

/// Byte range of the block's lines (markers and their line ends included), if present.
fn find(text: &str, id: &str) -> Result<Option<(usize, usize)>, BlockError> {
    let (b, e) = (begin(id), end(id));
    let mut found = None;
    let mut open: Option<(usize, usize)> = None;
    let mut at = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']).trim();
        if bare == b {
            if open.is_some() || found.is_some() {
                return Err(BlockError::Twice);
            }
            open = Some((at, n + 1));
        } else if bare == e {
            if let Some((start, _)) = open.take() {
                found = Some((start, at + line.len()));
            }
        }
        at += line.len();
    }
    match open {
        Some((_, line)) => Err(BlockError::Unclosed(line)),
        None => Ok(found),
    }
}

/// `text` with the block for `id` holding `body` (sections, each line ending in `\n`): in
/// place when the block exists, else appended after a blank line.
pub fn replace(text: &str, id: &str, body: &str) -> Result<String, BlockError> {
    let block = format!("{}\n{body}{}\n", begin(id), end(id));
    Ok(match find(text, id)? {
        Some((start, stop)) => format!("{}{block}{}", &text[..start], &text[stop..]),
        None if text.is_empty() => block,
        None if text.ends_with("\n\n") => format!("{text}{block}"),
        None if text.ends_with('\n') => format!("{text}\n{block}"),
        None => format!("{text}\n\n{block}"),
    })
}

/// The profile names of the sections outside the block for `id` (the user's own).
pub fn names_outside(text: &str, id: &str) -> Result<BTreeSet<String>, BlockError> {
    let outside = match find(text, id)? {
        Some((start, stop)) => format!("{}{}", &text[..start], &text[stop..]),
        None => text.to_string(),
    };
    Ok(outside
        .lines()
        .filter_map(|l| {
            let h = l.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            if h == "default" {
                return Some(h.to_string());
            }
            let name = h.strip_prefix("profile")?;
            name.starts_with(char::is_whitespace)
                .then(|| name.trim().trim_matches(['"', '\'']).to_string())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_its_block() {
        let user = "# mine\n[profile a]\nregion = x\r\n\n";
        let first = replace(user, "corp", "[profile g]\n").unwrap();
        assert!(first.starts_with(user), "{first}");
        let again = replace(&first, "corp", "[profile g]\n").unwrap();
        assert_eq!(again, first);
        let with_tail = format!("{first}[profile after]\nk = v");
        let changed = replace(&with_tail, "corp", "[profile h]\n").unwrap();
        assert_eq!(
            changed,
            format!(
                "{user}{}\n[profile h]\n{}\n[profile after]\nk = v",
                begin("corp"),
                end("corp")
            )
        );
        // Another session's block is another block.
        let two = replace(&changed, "other", "[profile o]\n").unwrap();
        assert!(two.contains("[profile h]") && two.ends_with(&format!("{}\n", end("other"))));
        assert_eq!(
            names_outside(&two, "corp").unwrap(),
            ["a", "after", "o"].map(String::from).into()
        );
        assert_eq!(
            replace(&format!("{}\n[profile x]\n", begin("corp")), "corp", ""),
            Err(BlockError::Unclosed(1))
        );
        // No newline at the end of the user's file.
        assert_eq!(
            replace("[default]", "c", "").unwrap(),
            format!("[default]\n\n{}\n{}\n", begin("c"), end("c"))
        );
    }
}
