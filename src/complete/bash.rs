//! bash: the shim, and the answer as bash's readline needs it.
//!
//! Two things make bash different from the other shells:
//! - `COMP_WORDS` is the line cut at every `COMP_WORDBREAKS` character, which includes `@`, `:`
//!   and `=`; a profile `me@corp` arrives as three words. So the shim sends the line itself (up
//!   to the cursor) and awsenv splits it as bash would, quotes and backslashes included.
//! - readline replaces only the text after the last unquoted word-break character (or after an
//!   open quote) and inserts the reply verbatim. So each candidate is cut to that part and quoted
//!   for the context it lands in: after `'`, after `"`, or bare (backslashes).

use std::ffi::OsString;
use std::io::Write;

use super::Adapter;
use crate::os::env::{self, Env};
use crate::shell::Shell;

/// The line up to the cursor. Sent through the environment rather than argv: only the user can
/// read a process's environment, while anyone on the machine can read its argv.
const LINE_VAR: &str = env::COMP_LINE;
const WORDBREAKS_VAR: &str = env::COMP_WORDBREAKS;
/// bash's default, for a shim run without `COMP_WORDBREAKS`.
const DEFAULT_WORDBREAKS: &str = " \t\n\"'@><=;|&(:";

pub(crate) const ADAPTER: Adapter = Adapter {
    name: "bash",
    aliases: &[],
    template: include_str!("../../shell/complete/awsenv.bash"),
    shell: Shell::Bash,
    placeholders: &[("__LINE__", LINE_VAR), ("__WORDBREAKS__", WORDBREAKS_VAR)],
    complete,
};

fn complete(
    cmd: &mut clap::Command,
    _args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    let e = Env::from_process();
    let line = e.get(LINE_VAR).unwrap_or_default().to_string();
    // Set but empty: no word breaks at all.
    let breaks = match e.get(WORDBREAKS_VAR) {
        Some(b) => b.to_string(),
        None if e.is_set(WORDBREAKS_VAR) => String::new(),
        None => DEFAULT_WORDBREAKS.to_string(),
    };
    let split = split(&line, &breaks);
    let index = split.words.len() - 1;
    let args = split.words.iter().map(OsString::from).collect();
    let candidates = super::candidates(cmd, args, index, current_dir)?;
    super::answer(&candidates, buf, |value, _| split.reply(value))
}

/// Where the word under the cursor is being typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Bare,
    SingleQuoted,
    DoubleQuoted,
}

/// A command line split into words the way bash reads it, quotes removed.
#[derive(Debug, PartialEq, Eq)]
struct Split {
    /// The words; the last is the (possibly empty) word under the cursor.
    words: Vec<String>,
    /// How many bytes of the last word come before the part readline will replace.
    kept: usize,
    context: Context,
}

fn split(line: &str, breaks: &str) -> Split {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut context = Context::Bare;
    // `word.len()` after the last bare word-break character, and where the open quote started.
    let mut after_break = 0;
    let mut quote_start = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match context {
            Context::Bare => match c {
                ' ' | '\t' | '\n' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                    after_break = 0;
                }
                '\\' => {
                    in_word = true;
                    // An escaped character is never a word break for readline.
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                }
                '\'' | '"' => {
                    in_word = true;
                    quote_start = word.len();
                    context = if c == '\'' {
                        Context::SingleQuoted
                    } else {
                        Context::DoubleQuoted
                    };
                }
                _ => {
                    in_word = true;
                    // readline passes `$` and `@` (bash's `rl_special_prefixes`) on with the
                    // text after them, so the replaced part starts at them, not after.
                    if breaks.contains(c) {
                        after_break = word.len()
                            + if matches!(c, '$' | '@') {
                                0
                            } else {
                                c.len_utf8()
                            };
                    }
                    word.push(c);
                }
            },
            Context::SingleQuoted => match c {
                '\'' => context = Context::Bare,
                _ => word.push(c),
            },
            Context::DoubleQuoted => match c {
                '"' => context = Context::Bare,
                '\\' => match chars.peek() {
                    Some(&next @ ('$' | '`' | '"' | '\\')) => {
                        word.push(next);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                _ => word.push(c),
            },
        }
    }
    words.push(word);
    let kept = match context {
        Context::Bare => after_break,
        Context::SingleQuoted | Context::DoubleQuoted => quote_start,
    };
    Split {
        words,
        kept,
        context,
    }
}

impl Split {
    /// What to put in `COMPREPLY` for `candidate`: the part readline replaces, quoted for its
    /// context; `None` when the candidate does not continue what was typed before that part.
    fn reply(&self, candidate: &str) -> Option<String> {
        let current = self.words.last()?;
        let before = &current[..self.kept];
        let rest = candidate.strip_prefix(before)?;
        if rest.contains('\n') {
            return None;
        }
        Some(match self.context {
            Context::Bare => escape_bare(rest),
            // Close the quote, add an escaped quote, reopen: the quote stays open as typed.
            Context::SingleQuoted => rest.replace('\'', r"'\''"),
            Context::DoubleQuoted => {
                let mut out = String::with_capacity(rest.len());
                for c in rest.chars() {
                    if c == '!' {
                        // History expansion happens inside double quotes, and `\!` keeps its
                        // backslash there: close the quote, a single-quoted `!`, reopen.
                        out.push_str(r#""'!'""#);
                        continue;
                    }
                    if matches!(c, '$' | '`' | '"' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                if rest.ends_with('!') {
                    // Readline closes the quote only when the text before the cursor is not
                    // already a quote character: close the reopened quote here.
                    out.push('"');
                }
                out
            }
        })
    }
}

/// Backslash before every character bash would treat specially outside quotes. `@ : = , . / + -`
/// stay readable: they mean nothing to bash inside a word.
fn escape_bare(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let plain = c.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | '/' | ',' | '+' | '%' | '-' | '@' | ':' | '=')
            || (!c.is_ascii() && !c.is_control());
        if !plain {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(line: &str) -> Split {
        split(line, DEFAULT_WORDBREAKS)
    }

    #[test]
    fn splits_like_bash() {
        let sp = s("awsenv use 'my prof");
        assert_eq!(sp.words, ["awsenv", "use", "my prof"]);
        assert_eq!((sp.kept, sp.context), (0, Context::SingleQuoted));

        let sp = s("awsenv  use my\\ prof");
        assert_eq!(sp.words, ["awsenv", "use", "my prof"]);
        assert_eq!((sp.kept, sp.context), (0, Context::Bare));

        let sp = s("awsenv use ");
        assert_eq!(sp.words, ["awsenv", "use", ""]);

        let sp = s("awsenv exec \"a\\\"b\" --shell=ba");
        assert_eq!(sp.words, ["awsenv", "exec", "a\"b", "--shell=ba"]);
        assert_eq!(sp.kept, "--shell=".len());

        let sp = s("awsenv use me@co");
        assert_eq!(sp.words, ["awsenv", "use", "me@co"]);
        assert_eq!(sp.kept, 2, "readline replaces `@co`, the `@` included");
        assert_eq!(s("awsenv use a:b").kept, 2);

        // An escaped break character does not cut the word.
        assert_eq!(s("awsenv use me\\@co").kept, 0);
    }

    #[test]
    fn replies_fit_the_context() {
        assert_eq!(s("awsenv use my").reply("my prof").unwrap(), r"my\ prof");
        assert_eq!(s("awsenv use 'my").reply("my prof").unwrap(), "my prof");
        assert_eq!(s("awsenv use 'it").reply("it's").unwrap(), r"it'\''s");
        assert_eq!(
            s("awsenv use \"a").reply("a$`\"\\").unwrap(),
            r#"a\$\`\"\\"#
        );
        assert_eq!(s("awsenv use me@c").reply("me@corp").unwrap(), "@corp");
        assert_eq!(s("awsenv use a:b").reply("a:bc").unwrap(), "bc");
        assert_eq!(
            s("awsenv use x").reply("x;$(id)`").unwrap(),
            r"x\;\$\(id\)\`"
        );
        assert_eq!(s("awsenv use ").reply("~a#b!c*").unwrap(), r"\~a\#b\!c\*");
        assert_eq!(s("awsenv use me@c").reply("other"), None);
        assert_eq!(s("awsenv use 'my").reply("my'q").unwrap(), r"my'\''q");
    }
}
