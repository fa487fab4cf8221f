//! The path parser: text to [`Step`]s, with errors that point at a column.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::error::{Error, ErrorKind};

/// One step of a [`Path`]: how to go from a value to the value(s) inside it.
///
/// # Examples
///
/// ```
/// use msgskim::query::{Path, Step};
///
/// let p = Path::parse(r#".Entries[*].n"#)?;
/// assert_eq!(
///     p.steps(),
///     &[Step::Key("Entries".into()), Step::EveryElement, Step::Key("n".into())]
/// );
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// The value of the map entry whose key is the str with these bytes (`.key`, `["key"]`).
    Key(String),
    /// The value of the map entry whose key is this integer (`{N}`), however the integer is
    /// encoded (signed or unsigned formats, any width).
    IntKey(i128),
    /// An array element (`[N]`); a negative index counts from the end, `-1` being the last.
    Index(i64),
    /// Every element of an array (`[*]`).
    EveryElement,
    /// Every value of a map, whatever its key (`.*`).
    EveryValue,
}

/// A parsed path: a sequence of [`Step`]s from a top-level value. The empty sequence is the
/// root (`.`).
///
/// # Examples
///
/// ```
/// use msgskim::query::Path;
///
/// let p = Path::parse(r#".config["max conn"][-1]{7}"#)?;
/// assert_eq!(p.steps().len(), 4);
/// assert_eq!(p.to_string(), r#".config["max conn"][-1]{7}"#);
/// assert!(Path::parse(".").unwrap().steps().is_empty());
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Path {
    steps: Vec<Step>,
}

impl Path {
    /// Parses a path written in the [path language](crate::query#the-path-language).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPath`] with the 1-based column (in characters) of the first
    /// character that does not fit the grammar; the error's offset is the same position in
    /// bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{query::Path, ErrorKind};
    ///
    /// let err = Path::parse(".a[x]").unwrap_err();
    /// match err.kind() {
    ///     ErrorKind::InvalidPath { column, .. } => assert_eq!(column, 4),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn parse(text: &str) -> Result<Path, Error> {
        Parser { text, pos: 0 }.path().map_err(|(at, reason)| {
            let column = text[..at].chars().count() + 1;
            Error::new(
                at as u64,
                ErrorKind::InvalidPath {
                    path: 0,
                    column,
                    reason,
                },
            )
        })
    }

    /// A path from steps built in code.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::{Path, Step};
    /// let p = Path::from_steps(vec![Step::Key("a b".into()), Step::Index(-1)]);
    /// assert_eq!(p.to_string(), r#"["a b"][-1]"#);
    /// ```
    #[must_use]
    pub fn from_steps(steps: Vec<Step>) -> Path {
        Path { steps }
    }

    /// The steps, outermost first.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = msgskim::query::Path::parse(".a.b")?;
    /// assert_eq!(p.steps().len(), 2);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// This path followed by the steps of `rest`.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::Path;
    /// let p = Path::parse(".Entries[*]")?.join(&Path::parse(".n")?);
    /// assert_eq!(p.to_string(), ".Entries[*].n");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn join(&self, rest: &Path) -> Path {
        let mut steps = self.steps.clone();
        steps.extend_from_slice(&rest.steps);
        Path { steps }
    }
}

impl core::str::FromStr for Path {
    type Err = Error;

    fn from_str(s: &str) -> Result<Path, Error> {
        Path::parse(s)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@') || !c.is_ascii()
}

/// Writes `key` as a JSON string literal.
fn write_json_str(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in key.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// The canonical text of a path: `.name` for keys made only of name characters, `["..."]`
/// for other keys; parsing it gives the same path back.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str(".");
        }
        for s in &self.steps {
            match s {
                Step::Key(k) if !k.is_empty() && k.chars().all(is_name_char) => write!(f, ".{k}")?,
                Step::Key(k) => {
                    f.write_str("[")?;
                    write_json_str(f, k)?;
                    f.write_str("]")?
                }
                Step::IntKey(n) => write!(f, "{{{n}}}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
                Step::EveryElement => f.write_str("[*]")?,
                Step::EveryValue => f.write_str(".*")?,
            }
        }
        Ok(())
    }
}

type PResult<T> = Result<T, (usize, &'static str)>;

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn expect(&mut self, want: char, reason: &'static str) -> PResult<()> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err((self.pos, reason))
        }
    }

    fn path(mut self) -> PResult<Path> {
        let mut steps = Vec::new();
        match self.peek() {
            None => return Err((0, "empty path; the root is written `.`")),
            Some('.') if self.text.len() == 1 => return Ok(Path { steps }),
            Some('.' | '[' | '{') => {}
            Some(_) => return Err((0, "a path starts with `.`, `[` or `{`")),
        }
        while let Some(c) = self.peek() {
            match c {
                '.' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('*') => {
                            self.pos += 1;
                            steps.push(Step::EveryValue);
                        }
                        Some('[' | '{') => {}
                        Some(c) if is_name_char(c) => {
                            let start = self.pos;
                            while self.peek().is_some_and(is_name_char) {
                                self.bump();
                            }
                            steps.push(Step::Key(self.text[start..self.pos].into()));
                        }
                        _ => {
                            return Err((
                                self.pos,
                                "expected a key name, `*`, `[` or `{` after `.`",
                            ))
                        }
                    }
                }
                '[' => {
                    self.pos += 1;
                    let step = match self.peek() {
                        Some('*') => {
                            self.pos += 1;
                            Step::EveryElement
                        }
                        Some('"') => Step::Key(self.json_string()?),
                        Some('-' | '0'..='9') => {
                            let at = self.pos;
                            let n = self.integer()?;
                            Step::Index(
                                i64::try_from(n).map_err(|_| (at, "array index out of range"))?,
                            )
                        }
                        _ => {
                            return Err((
                                self.pos,
                                "expected an index, `*` or a quoted key after `[`",
                            ))
                        }
                    };
                    self.expect(']', "expected `]`")?;
                    steps.push(step);
                }
                '{' => {
                    self.pos += 1;
                    let at = self.pos;
                    if !matches!(self.peek(), Some('-' | '0'..='9')) {
                        return Err((at, "expected an integer map key after `{`"));
                    }
                    let n = self.integer()?;
                    if n < i128::from(i64::MIN) || n > i128::from(u64::MAX) {
                        return Err((at, "integer map key out of the MessagePack range"));
                    }
                    self.expect('}', "expected `}`")?;
                    steps.push(Step::IntKey(n));
                }
                _ => return Err((self.pos, "expected `.`, `[` or `{`")),
            }
        }
        Ok(Path { steps })
    }

    /// `-?[0-9]+`, as an i128 (wide enough for every msgpack integer; longer numbers are
    /// rejected).
    fn integer(&mut self) -> PResult<i128> {
        let start = self.pos;
        let neg = self.peek() == Some('-');
        if neg {
            self.pos += 1;
        }
        let digits = self.pos;
        let mut n: i128 = 0;
        while let Some(c @ '0'..='9') = self.peek() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(i128::from(c as u8 - b'0')))
                .filter(|&n| n <= i128::from(u64::MAX) + 1)
                .ok_or((start, "number out of range"))?;
            self.pos += 1;
        }
        if self.pos == digits {
            return Err((self.pos, "expected a digit"));
        }
        Ok(if neg { -n } else { n })
    }

    /// A JSON string literal starting at the opening quote.
    fn json_string(&mut self) -> PResult<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err((at, "unterminated string: expected `\"`")),
                Some('"') => return Ok(out),
                Some('\\') => {
                    let c = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => self.unicode_escape(at)?,
                        _ => return Err((at, "invalid escape in string")),
                    };
                    out.push(c);
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err((at, "control character in string: use an escape"))
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> PResult<u32> {
        let at = self.pos;
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or((at, "expected four hex digits after `\\u`"))?;
        self.pos += 4;
        u32::from_str_radix(h, 16).map_err(|_| (at, "expected four hex digits after `\\u`"))
    }

    /// After `\u`: one code point, or a surrogate pair written as two escapes.
    fn unicode_escape(&mut self, at: usize) -> PResult<char> {
        let hi = self.hex4()?;
        let cp = match hi {
            0xd800..=0xdbff => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err((at, "unpaired surrogate in `\\u` escape"));
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&lo) {
                    return Err((at, "unpaired surrogate in `\\u` escape"));
                }
                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
            }
            0xdc00..=0xdfff => return Err((at, "unpaired surrogate in `\\u` escape")),
            cp => cp,
        };
        char::from_u32(cp).ok_or((at, "invalid code point in `\\u` escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn steps(s: &str) -> Vec<Step> {
        Path::parse(s).unwrap().steps
    }

    fn col(s: &str) -> usize {
        match Path::parse(s).unwrap_err().kind() {
            ErrorKind::InvalidPath { column, .. } => column,
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn forms() {
        use Step::*;
        assert_eq!(steps("."), vec![]);
        assert_eq!(steps(".a"), vec![Key("a".into())]);
        assert_eq!(
            steps(".a.b-c_d$@"),
            vec![Key("a".into()), Key("b-c_d$@".into())]
        );
        assert_eq!(steps(".2024"), vec![Key("2024".into())]);
        assert_eq!(steps(".ключ"), vec![Key("ключ".into())]);
        assert_eq!(steps(r#"["a b"]"#), vec![Key("a b".into())]);
        assert_eq!(steps(r#".["a b"]"#), vec![Key("a b".into())]);
        assert_eq!(
            steps(r#"["\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]"#),
            vec![Key("\"\\/\u{8}\u{c}\n\r\té😀".into())]
        );
        assert_eq!(steps(r#"[""]"#), vec![Key("".into())]);
        assert_eq!(steps("[0][-1][12]"), vec![Index(0), Index(-1), Index(12)]);
        assert_eq!(
            steps(".a[*].*"),
            vec![Key("a".into()), EveryElement, EveryValue]
        );
        assert_eq!(steps(".[*]"), vec![EveryElement]);
        assert_eq!(
            steps("{7}.{-3}{18446744073709551615}{-9223372036854775808}"),
            vec![
                IntKey(7),
                IntKey(-3),
                IntKey(u64::MAX.into()),
                IntKey(i64::MIN.into())
            ]
        );
    }

    #[test]
    fn error_columns() {
        assert_eq!(col(""), 1);
        assert_eq!(col("a"), 1);
        assert_eq!(col(".."), 2);
        assert_eq!(col(".a."), 4);
        assert_eq!(col(".a[x]"), 4);
        assert_eq!(col(".a[1"), 5);
        assert_eq!(col(".a[-]"), 5);
        assert_eq!(col(".é[x]"), 4);
        assert_eq!(col(r#".a["b"#), 6);
        assert_eq!(col(r#".a["b\q"]"#), 6);
        assert_eq!(col(r#"["\ud800"]"#), 3);
        assert_eq!(col(r#"["\u12"]"#), 5);
        assert_eq!(col("{x}"), 2);
        assert_eq!(col("{18446744073709551616}"), 2);
        assert_eq!(col("{-9223372036854775809}"), 2);
        assert_eq!(col("[9223372036854775808]"), 2);
        assert_eq!(col(".a b"), 3);
        assert_eq!(col(" .a"), 1);
        assert_eq!(col(".a[*"), 5);
        assert_eq!(col(".*x"), 3);
        assert_eq!(col("[\"a\nb\"]"), 4);
        let e = Path::parse(".a[x]").unwrap_err();
        assert_eq!(e.offset(), 3);
        assert_eq!(
            e.to_string(),
            "invalid path at column 4: expected an index, `*` or a quoted key after `[`"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            ".",
            ".a",
            r#"["a b"]"#,
            r#"[""]"#,
            r#"["\"\\\n\u0001"]"#,
            ".a[*].*[3][-2]{-5}{5}",
            ".é",
        ] {
            let p = Path::parse(s).unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!(Path::parse(&p.to_string()).unwrap(), p);
        }
        // Non-canonical input prints canonically.
        assert_eq!(Path::parse(r#".["ab"]"#).unwrap().to_string(), ".ab");
    }
}
