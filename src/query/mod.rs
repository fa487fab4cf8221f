//! Lazy path queries: pull fields out of large documents in one pass, without decoding
//! anything no path needs.
//!
//! A [`Query`] compiles one or many paths into a single deterministic trie. Evaluating it
//! walks the input once: it enters only the maps and arrays some path goes through, compares
//! map keys without decoding them into anything, and hands every other value to
//! [`skip_value`](crate::skip_value). Matches come back in document order as borrowed slices
//! of the input, tagged with the number of the path that matched. Evaluating a compiled query
//! over a slice allocates nothing.
//!
//! A path applies to every top-level value of the input, so a dump made of many pages back
//! to back is queried as a whole.
//!
//! # The path language
//!
//! | form | selects | example |
//! |---|---|---|
//! | `.` | the top-level value itself (the root) | `.` |
//! | `.name` | the value of the map entry whose str key is `name` | `.config.limits` |
//! | `["any key"]` | the same, for any key, written as a JSON string (all JSON escapes, `\uXXXX` with surrogate pairs) | `.["max conn"]`, `["tab\there"]` |
//! | `{N}` | the value of the map entry whose key is the integer `N`, in any integer format | `{7}`, `.ids{-1}` |
//! | `[N]` | element `N` of an array, from 0; a negative `N` counts from the end (`-1` is the last) | `.Entries[0]`, `[-1]` |
//! | `[*]` | every element of an array | `.Entries[*].n` |
//! | `.*` | every value of a map, whatever its key | `.meta.*` |
//!
//! A `name` is one or more ASCII letters, digits, `_`, `-`, `$`, `@`, or any non-ASCII
//! character; so `.2024` is the str key `"2024"`, and the integer key 2024 is `{2024}`. Other
//! keys (spaces, dots, brackets, the empty key) use the quoted form. A `.` before `[` or `{`
//! is optional: `.a.[0]` and `.a[0]` are the same path.
//!
//! ```text
//! path     = "." | step+
//! step     = "." name | ".*" | "."? "[" selector "]" | "."? "{" integer "}"
//! selector = integer | "*" | json-string
//! name     = name-char+
//! integer  = "-"? digit+
//! ```
//!
//! There is no whitespace in a path. A path that does not fit the grammar is rejected with
//! [`ErrorKind::InvalidPath`], which gives the column of the
//! first character that does not fit.
//!
//! # What matches
//!
//! - A step that does not fit the value is no match, not an error: a missing key, an index
//!   past the end, a key step on an array, an index step on a map or on a scalar.
//! - A key step matches str keys byte for byte (no UTF-8 check, no normalisation); an integer
//!   key step matches unsigned and signed integer keys of equal value. `.*` matches the value
//!   of every entry, whatever the type of its key.
//! - When a map holds the same key twice, a key step takes the first entry (`.*` takes
//!   both). This lets the evaluator skip the rest of a map in one go once every key it looks
//!   for has been seen.
//! - A value matched by several paths is reported once per path, in the order of the paths;
//!   a value is reported before any value inside it.
//! - Malformed input stops the evaluation with an [`Error`] carrying the byte offset. Only the
//!   parts that are walked are checked: a skipped subtree is checked for structure (headers,
//!   lengths) by the skip layer, and nothing is decoded.
//!
//! # Streams
//!
//! Over input that arrives in pieces, [`Query::stream`] gives a [`QueryStream`]: feed it
//! chunks of any size (one byte at a time included) and it calls back with each match as soon
//! as the match's last byte has arrived, resuming wherever a chunk ends, even in the middle
//! of one top-level value. The matches, their offsets (counted from the start of the stream)
//! and any error are those of [`Query::for_each`] over the whole input. A subtree that no
//! path needs passes without being held (a count of values still to skip and of payload bytes
//! still to drop), so one huge document off a socket costs about one chunk of memory; only a
//! value that is itself a match is held until it ends, up to a buffer limit.
//!
//! ```
//! use msgskim::query::Query;
//!
//! // One page of 500 entries, arriving in chunks of 100 bytes.
//! let page = msgskim::gen::listing(msgskim::gen::ListingConfig { seed: 1, entries: 500, page_size: 500 });
//! let q = Query::new(".Entries[*].n")?;
//! let mut qs = q.stream();
//! let mut names = 0;
//! for chunk in page.chunks(100) {
//!     qs.feed(chunk, |m| {
//!         assert!(m.value().as_str().is_some());
//!         names += 1;
//!     })?;
//!     assert!(qs.buffered() < 400); // a chunk and a cut name at most
//! }
//! qs.finish()?; // the input must not stop inside a value
//! assert_eq!(names, 500);
//! # Ok::<(), msgskim::Error>(())
//! ```
//!
//! When each top-level value is small (a dump of many pages), a
//! [`StreamDecoder`](crate::StreamDecoder) can instead cut the input into whole values and
//! the query run over each [`Frame`](crate::Frame), whose bytes can be kept without a copy:
//!
//! ```
//! use msgskim::{query::Query, StreamDecoder};
//!
//! let dump = msgskim::gen::listing(msgskim::gen::ListingConfig { seed: 1, entries: 30, page_size: 10 });
//! let q = Query::new(".Entries[*].n")?;
//! let mut dec = StreamDecoder::new();
//! let mut names = 0;
//! for chunk in dump.chunks(100) {
//!     dec.feed(chunk)?;
//!     while let Some(page) = dec.next_frame()? {
//!         q.for_each(&page, |_| names += 1)?;
//!     }
//! }
//! assert_eq!(names, 30);
//! # Ok::<(), msgskim::Error>(())
//! ```
//!
//! A [`Rows`] projection resumes the same way ([`Rows::stream`] gives a [`RowStream`]), each
//! row held until its row value ends.
//!
//! # On demand
//!
//! Code that does not want a path string walks a [`RawValue`] lazily, in the same spirit:
//!
//! ```
//! use msgskim::RawValue;
//!
//! let dump = msgskim::gen::listing(msgskim::gen::ListingConfig { seed: 1, entries: 5, page_size: 5 });
//! let page = RawValue::at(&dump, 0)?;
//! let names: Vec<&str> = page
//!     .get("Entries")
//!     .and_then(|e| e.iter())
//!     .into_iter()
//!     .flatten()
//!     .filter_map(|entry| entry.get("n")?.as_str())
//!     .collect();
//! assert_eq!(names.len(), 5);
//! # Ok::<(), msgskim::Error>(())
//! ```
//!
//! # Examples
//!
//! ```
//! use msgskim::query::Query;
//!
//! // Two pages of a listing dump, back to back.
//! let dump = msgskim::gen::listing(msgskim::gen::ListingConfig {
//!     seed: 1,
//!     entries: 15,
//!     page_size: 10,
//! });
//! let q = Query::many([".Entries[*].n", ".Flags"])?;
//! let mut names = 0;
//! let mut flags = Vec::new();
//! for m in q.matches(&dump) {
//!     let m = m?;
//!     match m.path() {
//!         0 => names += 1,
//!         _ => flags.push(m.bytes()[0]),
//!     }
//! }
//! assert_eq!(names, 15);
//! assert_eq!(flags, [0x01, 0x00]); // the last page has Flags 0
//! # Ok::<(), msgskim::Error>(())
//! ```

mod eval;
mod parse;
mod stream;
mod trie;

use alloc::vec::Vec;
use core::iter::FusedIterator;

pub use parse::{Path, Step};
pub use stream::{QueryStream, RowStream};
pub use trie::MAX_PATH_STEPS;

use crate::error::{Error, ErrorKind};
use crate::raw::RawValue;
use eval::{Event, Machine, Sink};
use trie::{compile, Dfa};

/// One or many compiled paths, evaluated together in one pass.
///
/// Compiling allocates; evaluating over a slice does not.
///
/// # Examples
///
/// ```
/// use msgskim::query::Query;
///
/// // {"config": {"limits": {"max_conn": 100}}}
/// let doc = b"\x81\xa6config\x81\xa6limits\x81\xa8max_conn\x64";
/// let q = Query::new(".config.limits.max_conn")?;
/// let m = q.first(doc)?.expect("present");
/// assert_eq!(m.bytes(), &[100]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    dfa: Dfa,
    paths: Vec<Path>,
}

impl Query {
    /// Compiles one path.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPath`] when the path does not parse (with its column) or is longer
    /// than [`MAX_PATH_STEPS`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::query::Query::new(".a[0]").is_ok());
    /// assert!(msgskim::query::Query::new(".a[").is_err());
    /// ```
    pub fn new(path: &str) -> Result<Query, Error> {
        Query::many([path])
    }

    /// Compiles several paths into one query; a match's [`Match::path`] is the position of
    /// its path in `paths`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPath`], whose `path` field says which path is at fault.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{query::Query, ErrorKind};
    ///
    /// assert!(Query::many([".a", ".b[*]"]).is_ok());
    /// match Query::many([".a", ".b["]).unwrap_err().kind() {
    ///     ErrorKind::InvalidPath { path, column, .. } => assert_eq!((path, column), (1, 4)),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn many<I, S>(paths: I) -> Result<Query, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parsed = Vec::new();
        for (i, p) in paths.into_iter().enumerate() {
            let path = Path::parse(p.as_ref()).map_err(|e| match e.kind() {
                ErrorKind::InvalidPath { column, reason, .. } => Error::new(
                    e.offset(),
                    ErrorKind::InvalidPath {
                        path: i,
                        column,
                        reason,
                    },
                ),
                _ => e,
            })?;
            parsed.push(path);
        }
        Query::from_paths(parsed)
    }

    /// Compiles paths built in code (see [`Path::from_steps`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPath`] when a path is longer than [`MAX_PATH_STEPS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::{Path, Query, Step};
    /// let q = Query::from_paths(vec![Path::from_steps(vec![Step::IntKey(1)])])?;
    /// assert_eq!(q.paths()[0].to_string(), "{1}");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn from_paths(paths: Vec<Path>) -> Result<Query, Error> {
        let dfa = compile(&paths, None)?;
        Ok(Query { dfa, paths })
    }

    /// The compiled paths, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::many([".a", r#"["b c"]"#])?;
    /// assert_eq!(q.paths()[1].to_string(), r#"["b c"]"#);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Every match in `buf` (one or more top-level values), in document order.
    ///
    /// The iterator yields an `Err` at the first malformed value it has to read and then
    /// ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::Query;
    /// // [1, 2, 3] then [4]
    /// let buf = [0x93, 1, 2, 3, 0x91, 4];
    /// let q = Query::new("[-1]")?;
    /// let last: Vec<u8> = q.matches(&buf).map(|m| m.map(|m| m.bytes()[0])).collect::<Result<_, _>>()?;
    /// assert_eq!(last, [3, 4]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn matches<'q, 'a>(&'q self, buf: &'a [u8]) -> Matches<'q, 'a> {
        Matches {
            dfa: &self.dfa,
            buf,
            machine: Machine::new(),
        }
    }

    /// Calls `f` with every match in `buf`, in document order.
    ///
    /// # Errors
    ///
    /// The first error met in the parts of `buf` that had to be read; `f` has seen every
    /// match before it.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".*")?;
    /// let mut n = 0;
    /// q.for_each(b"\x82\xa1a\x01\xa1b\x02", |_| n += 1)?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn for_each<'a>(&self, buf: &'a [u8], mut f: impl FnMut(Match<'a>)) -> Result<(), Error> {
        eval::walk(&self.dfa, buf, &mut EachMatch { buf, f: &mut f })
    }

    /// The first match in `buf`, if any; the evaluation stops there.
    ///
    /// # Errors
    ///
    /// An error met before the first match.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".b")?;
    /// assert_eq!(q.first(b"\x82\xa1a\x01\xa1b\x02")?.map(|m| m.bytes()), Some(&[2u8][..]));
    /// assert!(q.first(b"\x90")?.is_none());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn first<'a>(&self, buf: &'a [u8]) -> Result<Option<Match<'a>>, Error> {
        self.matches(buf).next().transpose()
    }
}

/// One match: the number of the path that matched and the value, a [`RawValue`] borrowed
/// from the input (nothing is copied).
///
/// # Examples
///
/// ```
/// let q = msgskim::query::Query::new("[1]")?;
/// let m = q.first(&[0x92, 0x01, 0xa2, b'h', b'i'])?.unwrap();
/// assert_eq!((m.path(), m.offset(), m.bytes()), (0, 2, &b"\xa2hi"[..]));
/// assert_eq!(m.value().as_str(), Some("hi"));
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    path: usize,
    value: RawValue<'a>,
}

#[inline(always)]
fn raw(buf: &[u8], start: usize, end: usize) -> RawValue<'_> {
    // The evaluator found `start..end` with `skip_value`: one complete value.
    RawValue::from_checked(&buf[start..end], start)
}

impl<'a> Match<'a> {
    #[inline(always)]
    fn new(path: u32, buf: &'a [u8], start: usize, end: usize) -> Self {
        Match {
            path: path as usize,
            value: raw(buf, start, end),
        }
    }

    /// The matched value, borrowed from the input.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".s")?;
    /// let m = q.first(b"\x81\xa1s\xd1\x01\x00")?.unwrap();
    /// assert_eq!(m.value().as_i64(), Some(256));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn value(&self) -> RawValue<'a> {
        self.value
    }

    /// The position of the matching path in the query (or of the field in a row).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::many([".x", "."])?;
    /// assert_eq!(q.first(&[0xc0])?.unwrap().path(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn path(&self) -> usize {
        self.path
    }

    /// The byte offset of the value in the input.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new("[0]")?;
    /// assert_eq!(q.first(&[0x91, 0x07])?.unwrap().offset(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn offset(&self) -> usize {
        self.value.offset()
    }

    /// The exact bytes of the matched value (one complete MessagePack value).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".")?;
    /// assert_eq!(q.first(&[0x91, 0x07])?.unwrap().bytes(), &[0x91, 0x07]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        self.value.as_bytes()
    }
}

/// The matches of a [`Query`] over a slice, in document order (see [`Query::matches`]).
///
/// # Examples
///
/// ```
/// let q = msgskim::query::Query::new("[*]")?;
/// assert_eq!(q.matches(&[0x92, 0x01, 0x02]).count(), 2);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Matches<'q, 'a> {
    dfa: &'q Dfa,
    buf: &'a [u8],
    machine: Machine,
}

impl Matches<'_, '_> {
    /// The offset up to which the input has been read.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new("[0]")?;
    /// let mut it = q.matches(&[0x92, 0x01, 0x02]);
    /// it.next();
    /// assert_eq!(it.position(), 2);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn position(&self) -> usize {
        self.machine.pos()
    }
}

impl<'a> Iterator for Matches<'_, 'a> {
    type Item = Result<Match<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.machine.next_event(self.dfa, self.buf) {
                Ok(Some(Event::Match { path, start, end })) => {
                    return Some(Ok(Match::new(path, self.buf, start, end)))
                }
                Ok(Some(_)) => {}
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl FusedIterator for Matches<'_, '_> {}

/// A row projection: for every value matched by a row path, the values of `N` fields inside
/// it, compiled together and read in one pass.
///
/// A field that is missing in a row (or a row that is not even a map) gives `None`; when a
/// field matches more than once inside a row, the first match is kept. With no fields
/// (`N = 0`) there is nothing to report, and no rows come back.
///
/// # Examples
///
/// ```
/// use msgskim::query::Rows;
///
/// let dump = msgskim::gen::listing(msgskim::gen::ListingConfig {
///     seed: 2,
///     entries: 100,
///     page_size: 40,
/// });
/// let rows = Rows::new(".Entries[*]", [".n", ".s"])?;
/// let mut count = 0;
/// for row in rows.rows(&dump) {
///     let [name, size] = row?;
///     assert!(name.and_then(|n| n.as_str()).is_some());
///     // `s` is left out of entries of size 0.
///     assert!(size.map_or(true, |s| s.as_i64().is_some()));
///     count += 1;
/// }
/// assert_eq!(count, 100);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Rows<const N: usize> {
    dfa: Dfa,
}

impl<const N: usize> Rows<N> {
    /// Compiles a row path and `N` field paths relative to it (`"."` is the row itself).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPath`]: `path` 0 is the row path, `path` `i + 1` the field `i`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::query::Rows::new("[*]", [".id", ".tags[0]"]).is_ok());
    /// ```
    pub fn new(row: &str, fields: [&str; N]) -> Result<Self, Error> {
        let q = Query::many(core::iter::once(row).chain(fields))?;
        let (row, fields) = q.paths.split_first().unwrap_or((&q.paths[0], &[]));
        let full: Vec<Path> = fields.iter().map(|f| row.join(f)).collect();
        let dfa = compile(&full, Some(row.steps().len()))?;
        Ok(Rows { dfa })
    }

    /// Every row in `buf`, in document order.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::Rows;
    /// // [{"a": 1}, {"b": 2}]
    /// let buf = b"\x92\x81\xa1a\x01\x81\xa1b\x02";
    /// let rows = Rows::new("[*]", [".a", ".b"])?;
    /// let got: Vec<[bool; 2]> = rows
    ///     .rows(buf)
    ///     .map(|r| r.map(|r| r.map(|f| f.is_some())))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(got, [[true, false], [false, true]]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn rows<'q, 'a>(&'q self, buf: &'a [u8]) -> RowIter<'q, 'a, N> {
        RowIter {
            dfa: &self.dfa,
            buf,
            machine: Machine::new(),
        }
    }
}

impl<const N: usize> Rows<N> {
    /// Calls `f` with every row in `buf`, in document order (faster than [`Rows::rows`]).
    ///
    /// # Errors
    ///
    /// The first error met in the parts of `buf` that had to be read; `f` has seen every
    /// complete row before it.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::Rows;
    /// // [{"a": 1, "b": 2}, {"a": 3}]
    /// let buf = b"\x92\x82\xa1a\x01\xa1b\x02\x81\xa1a\x03";
    /// let rows = Rows::new("[*]", [".a", ".b"])?;
    /// let mut sum = 0;
    /// rows.for_each(buf, |[a, b]| {
    ///     sum += a.and_then(|v| v.as_i64()).unwrap_or(0) * 10 + b.and_then(|v| v.as_i64()).unwrap_or(0)
    /// })?;
    /// assert_eq!(sum, 12 + 30);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn for_each<'a>(
        &self,
        buf: &'a [u8],
        mut f: impl FnMut([Option<RawValue<'a>>; N]),
    ) -> Result<(), Error> {
        eval::walk(
            &self.dfa,
            buf,
            &mut EachRow {
                buf,
                row: [None; N],
                f: &mut f,
            },
        )
    }
}

/// The sink of [`Query::for_each`]: every match to the user's callback.
struct EachMatch<'a, 'f, G> {
    buf: &'a [u8],
    f: &'f mut G,
}

impl<'a, G: FnMut(Match<'a>)> Sink for EachMatch<'a, '_, G> {
    #[inline(always)]
    fn event(&mut self, ev: Event) {
        if let Event::Match { path, start, end } = ev {
            (self.f)(Match::new(path, self.buf, start, end));
        }
    }
}

/// The sink of [`Rows::for_each`]: the first match of each field, a row at each row end.
struct EachRow<'a, 'f, G, const N: usize> {
    buf: &'a [u8],
    row: [Option<RawValue<'a>>; N],
    f: &'f mut G,
}

impl<'a, G: FnMut([Option<RawValue<'a>>; N]), const N: usize> Sink for EachRow<'a, '_, G, N> {
    #[inline(always)]
    fn event(&mut self, ev: Event) {
        match ev {
            Event::Match { path, start, end } => {
                if let Some(slot @ None) = self.row.get_mut(path as usize) {
                    *slot = Some(raw(self.buf, start, end));
                }
            }
            Event::RowStart(_) => self.row = [None; N],
            Event::RowEnd => (self.f)(self.row),
        }
    }
}

/// The rows of a [`Rows`] projection over a slice (see [`Rows::rows`]).
///
/// # Examples
///
/// ```
/// let rows = msgskim::query::Rows::new("[*]", ["."])?;
/// assert_eq!(rows.rows(&[0x92, 0x01, 0x02]).count(), 2);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RowIter<'q, 'a, const N: usize> {
    dfa: &'q Dfa,
    buf: &'a [u8],
    machine: Machine,
}

impl<'a, const N: usize> Iterator for RowIter<'_, 'a, N> {
    type Item = Result<[Option<RawValue<'a>>; N], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut row = [None; N];
        loop {
            match self.machine.next_event(self.dfa, self.buf) {
                Ok(Some(Event::Match { path, start, end })) => {
                    if let Some(slot @ None) = row.get_mut(path as usize) {
                        *slot = Some(raw(self.buf, start, end));
                    }
                }
                Ok(Some(Event::RowStart(_))) => row = [None; N],
                Ok(Some(Event::RowEnd)) => return Some(Ok(row)),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<const N: usize> FusedIterator for RowIter<'_, '_, N> {}
