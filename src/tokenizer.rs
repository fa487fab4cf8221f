//! The pull tokenizer over a borrowed slice, and the resumable state machine behind it.

use arrayvec::ArrayVec;

use crate::error::{Error, ErrorKind};
use crate::head::{decode_head, Head, HeadError};
use crate::token::{Ext, Str, Token};

/// The most levels of nesting any reader can track (the capacity of its fixed depth stack).
/// [`Limits::max_depth`] values above it are treated as this.
pub const MAX_DEPTH: usize = 1024;

/// Limits and options for readers.
///
/// The defaults suit untrusted input: nesting is bounded, nothing else is, because slice readers
/// never allocate what the input claims.
///
/// # Examples
///
/// ```
/// use msgskim::{ErrorKind, Limits, Tokenizer};
///
/// let limits = Limits { max_depth: 2, ..Limits::default() };
/// let deep = [0x91, 0x91, 0x91, 0xc0];
/// let err = Tokenizer::with_limits(&deep, limits).find_map(Result::err).unwrap();
/// assert_eq!(err.kind(), ErrorKind::DepthLimit { limit: 2 });
/// assert_eq!(err.offset(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most containers that may be open at once. Default 256; capped at [`MAX_DEPTH`].
    pub max_depth: usize,
    /// The longest str/bin/ext payload accepted. Default: unlimited.
    pub max_payload_len: u64,
    /// The most elements (pairs, for maps) one container may declare. Default: unlimited.
    pub max_container_len: u64,
    /// Check that every str is valid UTF-8, as an error with the offset of the first bad byte.
    /// Default: off (old-spec "raw" strings and real dumps hold arbitrary bytes).
    pub check_utf8: bool,
    /// Turn type -1 exts into [`Token::Timestamp`], rejecting malformed ones. Default: on.
    /// When off they come out as [`Token::Ext`], unchecked.
    pub decode_timestamps: bool,
}

impl Limits {
    /// The default depth limit.
    pub const DEFAULT_MAX_DEPTH: usize = 256;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_payload_len: u64::MAX,
            max_container_len: u64::MAX,
            check_utf8: false,
            decode_timestamps: true,
        }
    }
}

/// The tokenizer's whole state, independent of the buffer: a position and a fixed-capacity
/// stack of the number of values still to come in each open container.
///
/// [`State::next_in`] never changes the state when it returns a truncation error, so a
/// resumable reader calls it again, with the same state and a longer buffer, after more input
/// arrives.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pos: usize,
    stack: ArrayVec<u64, MAX_DEPTH>,
    max_depth: usize,
    limits: Limits,
}

impl State {
    pub(crate) fn new(limits: Limits) -> Self {
        State {
            pos: 0,
            stack: ArrayVec::new(),
            max_depth: limits.max_depth.min(MAX_DEPTH),
            limits,
        }
    }

    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Moves the position back by `n` bytes, after the owner dropped `n` consumed bytes from
    /// the front of its buffer.
    #[inline]
    #[allow(dead_code)]
    pub(crate) fn rebase(&mut self, n: usize) {
        self.pos -= n;
    }

    #[cold]
    fn truncated(pos: usize, needed: usize) -> Error {
        Error::new(pos as u64, ErrorKind::Truncated { needed })
    }

    /// The next token of `buf`, from the current position.
    ///
    /// `Ok(None)` means the buffer ends exactly between two top-level values.
    #[inline]
    pub(crate) fn next_in<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Token<'b>>, Error> {
        let pos = self.pos;
        if pos >= buf.len() {
            return if self.stack.is_empty() {
                Ok(None)
            } else {
                Err(Self::truncated(pos, 1))
            };
        }
        let h = match decode_head(buf, pos) {
            Ok(h) => h,
            Err(HeadError::Incomplete { needed }) => {
                return Err(Self::truncated(pos, needed.get()))
            }
            Err(HeadError::Reserved) => {
                return Err(Error::new(pos as u64, ErrorKind::ReservedByte));
            }
        };
        let start = pos + h.len;
        let mut end = start;
        let token = match h.head {
            Head::Nil => Token::Nil,
            Head::Bool(b) => Token::Bool(b),
            Head::UInt(v) => Token::UInt(v),
            Head::Int(v) => Token::Int(v),
            Head::F32(v) => Token::F32(v),
            Head::F64(v) => Token::F64(v),
            Head::Str(n) => {
                let p = self.payload(buf, pos, start, n)?;
                end += p.len();
                if self.limits.check_utf8 {
                    if let Err(e) = core::str::from_utf8(p) {
                        return Err(Error::new(
                            (start + e.valid_up_to()) as u64,
                            ErrorKind::InvalidUtf8,
                        ));
                    }
                }
                Token::Str(Str::new(p))
            }
            Head::Bin(n) => {
                let p = self.payload(buf, pos, start, n)?;
                end += p.len();
                Token::Bin(p)
            }
            Head::Ext { ty, len } => {
                let data = self.payload(buf, pos, start, len)?;
                end += data.len();
                let ext = Ext { ty, data };
                match ext.timestamp() {
                    Some(ts) if self.limits.decode_timestamps => match ts {
                        Ok(ts) => Token::Timestamp(ts),
                        Err(e) => {
                            return Err(Error::new(pos as u64, ErrorKind::InvalidTimestamp(e)));
                        }
                    },
                    _ => Token::Ext(ext),
                }
            }
            Head::Array(n) => Token::Array(n),
            Head::Map(n) => Token::Map(n),
        };
        let children = h.head.children();
        if matches!(token, Token::Array(_) | Token::Map(_)) {
            self.check_container(pos, &h.head)?;
        }
        if let Some(top) = self.stack.last_mut() {
            *top -= 1;
        }
        if children > 0 {
            // check_container made sure there is room.
            self.stack.push(children);
        } else {
            self.close_finished();
        }
        self.pos = end;
        Ok(Some(token))
    }

    #[inline]
    fn close_finished(&mut self) {
        while let Some(&0) = self.stack.last() {
            self.stack.pop();
        }
    }

    #[inline]
    fn payload<'b>(
        &self,
        buf: &'b [u8],
        pos: usize,
        start: usize,
        n: u32,
    ) -> Result<&'b [u8], Error> {
        let n = n as usize;
        if n as u64 > self.limits.max_payload_len {
            return Err(Error::new(
                pos as u64,
                ErrorKind::LengthLimit {
                    len: n as u64,
                    limit: self.limits.max_payload_len,
                },
            ));
        }
        match buf.get(start..start + n) {
            Some(p) => Ok(p),
            None => Err(Self::truncated(pos, start + n - buf.len())),
        }
    }

    #[inline]
    fn check_container(&self, pos: usize, head: &Head) -> Result<(), Error> {
        if self.stack.len() >= self.max_depth {
            return Err(Error::new(
                pos as u64,
                ErrorKind::DepthLimit {
                    limit: self.max_depth,
                },
            ));
        }
        let n = match *head {
            Head::Array(n) | Head::Map(n) => n as u64,
            _ => 0,
        };
        if n > self.limits.max_container_len {
            return Err(Error::new(
                pos as u64,
                ErrorKind::ContainerLimit {
                    len: n,
                    limit: self.limits.max_container_len,
                },
            ));
        }
        Ok(())
    }
}

/// A pull tokenizer over a borrowed slice holding one or more concatenated top-level values.
///
/// Each call to [`next_token`](Tokenizer::next_token) (or [`Iterator::next`]) returns one
/// [`Token`] whose payloads borrow from the slice. Nesting is tracked in a fixed-capacity stack,
/// so tokenizing allocates nothing and deep input is an error, never a stack overflow.
/// After an error the iterator yields nothing more.
///
/// # Examples
///
/// ```
/// use msgskim::{Token, Tokenizer};
///
/// // {"Entries": [{"n": "a/b"}]}
/// let bytes = b"\x81\xa7Entries\x91\x81\xa1n\xa3a/b";
/// let mut names = Vec::new();
/// let mut tok = Tokenizer::new(bytes);
/// while let Some(t) = tok.next_token()? {
///     if let Token::Str(s) = t {
///         names.push(s.to_str().unwrap());
///     }
/// }
/// assert_eq!(names, ["Entries", "n", "a/b"]);
/// assert!(tok.is_at_boundary());
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tokenizer<'a> {
    buf: &'a [u8],
    state: State,
    failed: bool,
}

impl<'a> Tokenizer<'a> {
    /// A tokenizer over `buf` with the default [`Limits`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0xc0]);
    /// assert_eq!(t.next_token().unwrap(), Some(msgskim::Token::Nil));
    /// ```
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_limits(buf, Limits::default())
    }

    /// A tokenizer over `buf` with the given limits and options.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, Limits, Tokenizer};
    /// let limits = Limits { check_utf8: true, ..Limits::default() };
    /// let err = Tokenizer::with_limits(&[0xa2, b'a', 0xff], limits).next_token().unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (2, ErrorKind::InvalidUtf8));
    /// ```
    #[must_use]
    pub fn with_limits(buf: &'a [u8], limits: Limits) -> Self {
        Tokenizer {
            buf,
            state: State::new(limits),
            failed: false,
        }
    }

    /// The next token, `Ok(None)` at the end of the input.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Truncated`] when the input ends inside a value (the offset is that of the
    /// token that is cut short, or the end of the input when a container lacks elements),
    /// [`ErrorKind::ReservedByte`] for `0xc1`, [`ErrorKind::DepthLimit`],
    /// [`ErrorKind::InvalidTimestamp`], and the limits set in [`Limits`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0x92, 0x01]);
    /// assert!(t.next_token().unwrap().is_some());
    /// assert!(t.next_token().unwrap().is_some());
    /// assert!(t.next_token().unwrap_err().is_truncated());
    /// ```
    #[inline]
    pub fn next_token(&mut self) -> Result<Option<Token<'a>>, Error> {
        if self.failed {
            return Ok(None);
        }
        let r = self.state.next_in(self.buf);
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// The byte offset just past the last token returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0xcd, 0x01, 0x00, 0xc0]);
    /// t.next_token().unwrap();
    /// assert_eq!(t.position(), 3);
    /// ```
    #[must_use]
    pub fn position(&self) -> usize {
        self.state.pos()
    }

    /// How many containers are open.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0x91, 0x91, 0x01]);
    /// t.next_token().unwrap();
    /// t.next_token().unwrap();
    /// assert_eq!(t.depth(), 2);
    /// t.next_token().unwrap();
    /// assert_eq!(t.depth(), 0);
    /// ```
    #[must_use]
    pub fn depth(&self) -> usize {
        self.state.depth()
    }

    /// True between top-level values: the last token completed a top-level value (or none has
    /// been read yet).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0x91, 0x01, 0x02]);
    /// t.next_token().unwrap();
    /// assert!(!t.is_at_boundary());
    /// t.next_token().unwrap();
    /// assert!(t.is_at_boundary());
    /// ```
    #[must_use]
    pub fn is_at_boundary(&self) -> bool {
        self.state.depth() == 0
    }

    /// The input not yet tokenized.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = msgskim::Tokenizer::new(&[0x01, 0x02]);
    /// t.next_token().unwrap();
    /// assert_eq!(t.remaining(), &[0x02]);
    /// ```
    #[must_use]
    pub fn remaining(&self) -> &'a [u8] {
        &self.buf[self.state.pos().min(self.buf.len())..]
    }

    /// The whole input slice.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Tokenizer::new(&[0xc0]).input(), &[0xc0]);
    /// ```
    #[must_use]
    pub fn input(&self) -> &'a [u8] {
        self.buf
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Result<Token<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_token().transpose()
    }
}

impl core::iter::FusedIterator for Tokenizer<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_leaves_state_unchanged() {
        let full = [0x92, 0xd9, 0x03, b'a', b'b', b'c', 0x01];
        let mut st = State::new(Limits::default());
        assert_eq!(st.next_in(&full[..3]).unwrap(), Some(Token::Array(2)));
        let before = (st.pos(), st.depth());
        for cut in 1..6 {
            let e = st.next_in(&full[..cut]).unwrap_err();
            assert!(e.is_truncated());
            assert_eq!((st.pos(), st.depth()), before);
        }
        assert_eq!(
            st.next_in(&full).unwrap(),
            Some(Token::Str(Str::new(b"abc")))
        );
        assert_eq!(st.next_in(&full).unwrap(), Some(Token::UInt(1)));
        assert_eq!(st.depth(), 0);
        assert_eq!(st.next_in(&full).unwrap(), None);
    }

    #[test]
    fn map_counts_pairs() {
        let b = [0x81, 0x01, 0x91, 0x02, 0x03];
        let toks: Vec<_> = Tokenizer::new(&b).map(Result::unwrap).collect();
        assert_eq!(toks.len(), 5);
    }
}
