//! The pull tokenizer over a borrowed slice, and the resumable state machine behind it.

use arrayvec::ArrayVec;

use crate::error::{Error, ErrorKind};
use crate::head::{decode_head, Head, HeadError};
use crate::marker::{Family, LEAD};
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

/// The body of [`State::next_in`] and [`State::step`]: one copy of the state machine's step,
/// under the two inlining hints.
macro_rules! state_step {
    ($s:expr, $buf:expr) => {{
        let buf = $buf;
        let pos = $s.pos;
        #[cfg(test)]
        $s.count_head(buf, pos);
        // Fast path for the shape that dominates listings and most documents: a fixstr, whose
        // whole header is its lead byte and whose length is the table's inline value. It costs
        // token-dense numeric data a few instructions per token (see perf-notes.md).
        if let Some(&b) = buf.get(pos) {
            let lead = &LEAD[b as usize];
            if matches!(lead.family, Family::FixStr) && $s.str_cap >= 31 {
                let start = pos + 1;
                if let Some(p) = buf.get(start..start + lead.imm as usize) {
                    $s.pos = start + p.len();
                    $s.value_done();
                    return Ok(Some(Token::Str(Str::new(p))));
                }
            }
        }
        let h = match decode_head(buf, pos) {
            Ok(h) => h,
            Err(e) => return $s.no_head(e, pos, buf.len()),
        };
        let start = pos + h.len;
        let v = h.value();
        let token = match h.family() {
            Family::PosFixInt | Family::UInt => Token::UInt(v),
            Family::NegFixInt | Family::Int => Token::Int(h.int()),
            Family::Nil | Family::Reserved => Token::Nil,
            Family::Bool => Token::Bool(v != 0),
            Family::F32 => Token::F32(f32::from_bits(v as u32)),
            Family::F64 => Token::F64(f64::from_bits(v)),
            Family::FixStr | Family::Str => {
                // One compare covers both the length limit and UTF-8 checking: `str_cap` is 0
                // when strings are to be checked (an empty string needs no check).
                let p = if v > $s.str_cap {
                    $s.checked_str(buf, pos, start, v)?
                } else {
                    $s.payload(buf, pos, start, v)?
                };
                $s.pos = start + p.len();
                $s.value_done();
                return Ok(Some(Token::Str(Str::new(p))));
            }
            Family::Bin => {
                let p = $s.payload(buf, pos, start, v)?;
                $s.pos = start + p.len();
                $s.value_done();
                return Ok(Some(Token::Bin(p)));
            }
            Family::FixExt | Family::Ext => {
                let data = $s.payload(buf, pos, start, v)?;
                let ext = Ext {
                    ty: h.ext_type(),
                    data,
                };
                #[cfg(test)]
                if ext.ty == -1 && $s.limits.decode_timestamps {
                    $s.examined += data.len() as u64;
                }
                let token = match ext.timestamp() {
                    Some(ts) if $s.limits.decode_timestamps => match ts {
                        Ok(ts) => Token::Timestamp(ts),
                        Err(e) => {
                            return Err(Error::new(pos as u64, ErrorKind::InvalidTimestamp(e)));
                        }
                    },
                    _ => Token::Ext(ext),
                };
                $s.pos = start + data.len();
                $s.value_done();
                return Ok(Some(token));
            }
            Family::FixArray | Family::Array => {
                $s.open(pos, v, v)?;
                $s.pos = start;
                return Ok(Some(Token::Array(v as u32)));
            }
            Family::FixMap | Family::Map => {
                $s.open(pos, v, 2 * v)?;
                $s.pos = start;
                return Ok(Some(Token::Map(v as u32)));
            }
        };
        $s.pos = start;
        $s.value_done();
        Ok(Some(token))
    }};
}

/// The tokenizer's whole state, independent of the buffer: a position, the number of values
/// still to come in the innermost open container, and a fixed-capacity stack of those counts
/// for the containers around it.
///
/// Between top-level values the count is `u64::MAX` (an endless sequence), so every token
/// simply decrements it, without first asking whether a container is open.
///
/// [`State::next_in`] never changes the state when it returns a truncation error, so a
/// resumable reader calls it again, with the same state and a longer buffer, after more input
/// arrives.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pos: usize,
    /// Values still to come in the innermost open container (`u64::MAX` at the top level).
    left: u64,
    /// The `left` counts of the enclosing containers.
    stack: ArrayVec<u64, MAX_DEPTH>,
    max_depth: usize,
    /// The longest str taken without a closer look: `max_payload_len`, or 0 when UTF-8 is
    /// checked.
    str_cap: u64,
    limits: Limits,
    /// Bytes read by `next_in` and `take_long_payload` so far (test builds only): lets the
    /// stream tests prove that total work over any chunking is linear in the input.
    #[cfg(test)]
    pub(crate) examined: u64,
}

/// A str/bin/ext whose header [`State::take_long_payload`] consumed without its payload.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
pub(crate) struct LongPayload {
    /// The header.
    pub(crate) head: Head,
    /// Buffer index of the first payload byte.
    pub(crate) start: usize,
    /// Payload length.
    pub(crate) len: usize,
}

const TOP: u64 = u64::MAX;

impl State {
    pub(crate) fn new(limits: Limits) -> Self {
        State {
            pos: 0,
            left: TOP,
            stack: ArrayVec::new(),
            max_depth: limits.max_depth.min(MAX_DEPTH),
            str_cap: if limits.check_utf8 {
                0
            } else {
                limits.max_payload_len
            },
            limits,
            #[cfg(test)]
            examined: 0,
        }
    }

    /// Counts the bytes of a header that `decode_head` reads at `pos` (test builds only).
    #[cfg(test)]
    fn count_head(&mut self, buf: &[u8], pos: usize) {
        if let Some(&b) = buf.get(pos) {
            let want = crate::marker::HEADER_LEN[b as usize] as usize;
            self.examined += want.min(buf.len() - pos) as u64;
        }
    }

    /// For a resumable reader: when the token at the current position is a str, bin or ext
    /// whose payload is longer than `threshold`, consumes its header alone, as if the whole
    /// value had been read, and moves the position past the payload (possibly beyond the end
    /// of `buf`); the caller hands the payload out in pieces. Otherwise (a shorter payload,
    /// another kind, a timestamp to be decoded) returns `Ok(None)` and changes nothing.
    ///
    /// Like `next_in`, the state is unchanged when this returns an error.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn take_long_payload(
        &mut self,
        buf: &[u8],
        threshold: usize,
    ) -> Result<Option<LongPayload>, Error> {
        let pos = self.pos;
        if pos >= buf.len() {
            return Ok(None);
        }
        #[cfg(test)]
        self.count_head(buf, pos);
        let h = match decode_head(buf, pos) {
            Ok(h) => h,
            Err(e) => return Err(e.at(pos)),
        };
        let long = match h.family() {
            Family::FixStr | Family::Str | Family::Bin => true,
            Family::FixExt | Family::Ext => !(h.ext_type() == -1 && self.limits.decode_timestamps),
            _ => false,
        };
        let n = h.value();
        if !long || n <= threshold as u64 {
            return Ok(None);
        }
        if n > self.limits.max_payload_len {
            return Err(self.length_error(pos, n as usize));
        }
        let start = pos + h.len;
        let Some(end) = start.checked_add(n as usize) else {
            return Err(self.length_error(pos, n as usize));
        };
        self.value_done();
        self.pos = end;
        Ok(Some(LongPayload {
            head: h.head(),
            start,
            len: n as usize,
        }))
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
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn rebase(&mut self, n: usize) {
        self.pos -= n;
    }

    /// Puts the state past any buffer with nothing open, so that `next_in` only ever
    /// returns `Ok(None)` again.
    pub(crate) fn stop(&mut self) {
        self.pos = usize::MAX;
        self.left = TOP;
        self.stack.clear();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.pos == usize::MAX
    }

    #[cold]
    fn truncated(pos: usize, needed: usize) -> Error {
        Error::new(pos as u64, ErrorKind::Truncated { needed })
    }

    /// The str payload at `start`, when a limit or UTF-8 checking applies.
    #[inline(never)]
    fn checked_str<'b>(
        &mut self,
        buf: &'b [u8],
        pos: usize,
        start: usize,
        n: u64,
    ) -> Result<&'b [u8], Error> {
        let p = self.payload(buf, pos, start, n)?;
        if self.limits.check_utf8 {
            #[cfg(test)]
            {
                self.examined += p.len() as u64;
            }
            check_utf8(p, start)?;
        }
        Ok(p)
    }

    /// No header could be read at `pos`: the clean end between top-level values, or an error.
    #[cold]
    #[inline(never)]
    fn no_head<'b>(
        &self,
        e: HeadError,
        pos: usize,
        len: usize,
    ) -> Result<Option<Token<'b>>, Error> {
        if pos >= len && self.stack.is_empty() {
            return Ok(None);
        }
        Err(e.at(pos))
    }

    /// The next token of `buf`, from the current position.
    ///
    /// `Ok(None)` means the buffer ends exactly between two top-level values.
    #[inline]
    pub(crate) fn next_in<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Token<'b>>, Error> {
        state_step!(self, buf)
    }

    /// [`next_in`](Self::next_in), always inlined: for a reader's loop that must have the
    /// step in its body whatever else the compiler inlines into that loop. (`next_in` keeps
    /// the plain hint: forcing it into the slice tokenizer's callers changes their code,
    /// for better or worse depending on the caller; see perf-notes.md.)
    #[inline(always)]
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn step<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Token<'b>>, Error> {
        state_step!(self, buf)
    }

    /// Counts one complete value against the innermost container, closing every container
    /// it completes.
    #[inline(always)]
    fn value_done(&mut self) {
        self.left -= 1;
        if self.left == 0 {
            self.close_finished();
        }
    }

    #[inline(never)]
    fn close_finished(&mut self) {
        while self.left == 0 {
            match self.stack.pop() {
                Some(outer) => self.left = outer,
                None => {
                    self.left = TOP;
                    break;
                }
            }
        }
    }

    /// A container header with `n` elements (`children` values) starts at `pos`.
    #[inline(always)]
    fn open(&mut self, pos: usize, n: u64, children: u64) -> Result<(), Error> {
        if self.stack.len() >= self.max_depth || n > self.limits.max_container_len {
            return Err(self.container_error(pos, n));
        }
        if children == 0 {
            self.value_done();
        } else {
            // The container itself takes one place in its parent; it is complete when its
            // children are.
            self.stack.push(self.left - 1);
            self.left = children;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn container_error(&self, pos: usize, n: u64) -> Error {
        let kind = if self.stack.len() >= self.max_depth {
            ErrorKind::DepthLimit {
                limit: self.max_depth,
            }
        } else {
            ErrorKind::ContainerLimit {
                len: n,
                limit: self.limits.max_container_len,
            }
        };
        Error::new(pos as u64, kind)
    }

    #[inline(always)]
    fn payload<'b>(
        &self,
        buf: &'b [u8],
        pos: usize,
        start: usize,
        n: u64,
    ) -> Result<&'b [u8], Error> {
        let n = n as usize;
        if n as u64 > self.limits.max_payload_len {
            return Err(self.length_error(pos, n));
        }
        match buf.get(start..start + n) {
            Some(p) => Ok(p),
            None => Err(Self::truncated(pos, start + n - buf.len())),
        }
    }

    #[cold]
    #[inline(never)]
    fn length_error(&self, pos: usize, n: usize) -> Error {
        Error::new(
            pos as u64,
            ErrorKind::LengthLimit {
                len: n as u64,
                limit: self.limits.max_payload_len,
            },
        )
    }
}

#[cold]
#[inline(never)]
fn utf8_error(start: usize, e: core::str::Utf8Error) -> Error {
    Error::new((start + e.valid_up_to()) as u64, ErrorKind::InvalidUtf8)
}

#[inline]
fn check_utf8(p: &[u8], start: usize) -> Result<(), Error> {
    match core::str::from_utf8(p) {
        Ok(_) => Ok(()),
        Err(e) => Err(utf8_error(start, e)),
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
    /// The position where an error stopped the tokenizer (`position()` keeps reporting it).
    stopped_at: usize,
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
            stopped_at: 0,
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
        let r = self.state.next_in(self.buf);
        if r.is_err() {
            self.stop();
        }
        r
    }

    /// After an error: remember where, and make every later call return `Ok(None)`.
    #[cold]
    #[inline(never)]
    fn stop(&mut self) {
        self.stopped_at = self.state.pos();
        self.state.stop();
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
        if self.state.is_stopped() {
            self.stopped_at
        } else {
            self.state.pos()
        }
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
        &self.buf[self.position().min(self.buf.len())..]
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
