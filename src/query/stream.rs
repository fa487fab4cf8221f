//! A compiled query over input that arrives in pieces, resuming anywhere, even in the middle
//! of one top-level value.
//!
//! The evaluation state is the slice evaluator's (a fixed stack of open containers and the
//! automaton state of the value at hand) plus what a cut can interrupt: a count of values
//! still to skip, the payload bytes of a cut str, bin or ext still to discard, or, for a value
//! that is itself a match, how far its end has been looked for. Every step reads what it needs
//! from the buffer and commits only when the bytes were all there; a step that runs out waits
//! for the next chunk and is taken again, from its start, when it comes. Only two things are
//! ever kept across chunks: the bytes of one step cut short (a token header, a map key), and a
//! matched value until its last byte arrives.
//!
//! Most values are whole in the bytes at hand: those go through the slice walk (and its loop
//! for records), their matches gathered and reported only once the walk has ended well. A
//! value that is cut, bad, or has many matches is read step by step instead, which reports the
//! same matches in the same order up to the cut or the error.

use alloc::vec::Vec;
use arrayvec::ArrayVec;

use super::eval::{
    array_done, first_only, map_done, read_key, skip_many, walk_records, walk_value, Event, Frame,
    Sink,
};
use super::trie::{Dfa, DEAD, MAX_PATH_STEPS, ROOT};
use super::{Match, Query, Rows};
use crate::error::{Error, ErrorKind};
use crate::head::decode_head;
use crate::marker::{Family, LEAD};
use crate::raw::RawValue;
use crate::skip::skip_value;
use crate::stream::StreamConfig;

/// What comes after a skip.
#[derive(Clone, Copy, Debug)]
enum Then {
    /// The next child of the innermost open container (or the next top-level value).
    Next,
    /// The value at the position is under this state.
    Value(u32),
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Read the next child of the innermost open container (or the next top-level value).
    Between,
    /// The value at the position is under `state` (not dead).
    Value { state: u32 },
    /// The value at the position is to be entered (its terminals, if any, were reported).
    Enter { state: u32 },
    /// `pending` values from the position are skipped, then `then`.
    Skip { pending: u64, then: Then },
    /// `left` payload bytes of the token at the absolute offset `token` are still to come and
    /// are dropped as they arrive; then `pending` more values are skipped, then `then`.
    Discard {
        left: u64,
        token: u64,
        pending: u64,
        then: Then,
    },
    /// The value at the position, under `state`, is a match and is held until it ends: the
    /// tokens of its first `scanned` bytes were read, `pending` values remain.
    Hold {
        state: u32,
        scanned: usize,
        pending: u64,
    },
}

/// The resumable evaluation state. Positions are indexes into the bytes of the current call,
/// whose first byte is at the absolute offset `abs`; nothing positional survives a call except
/// absolute offsets and lengths.
#[derive(Clone, Debug)]
struct Cursor {
    stack: ArrayVec<Frame, MAX_PATH_STEPS>,
    phase: Phase,
    /// The events of a value read by the slice walk (at most [`GATHER_MAX`]).
    gathered: Vec<Event>,
}

/// The most events (matches, row starts and ends) one value read by the slice walk may give;
/// past it, the value is read step by step instead (its events are held until the walk says
/// that it is whole).
const GATHER_MAX: usize = 64;

/// The sink of the slice walk over a value that may be cut: its matches are kept until the
/// walk ends well.
struct Gather<'v> {
    out: &'v mut Vec<Event>,
    over: bool,
}

impl Sink for Gather<'_> {
    #[inline(always)]
    fn event(&mut self, e: Event) {
        if self.out.len() < GATHER_MAX {
            self.out.push(e);
        } else {
            self.over = true;
        }
    }
}

/// The sink of the slice walk over a value known to be whole: every event straight on.
struct Direct<'b, 'f, F> {
    buf: &'b [u8],
    abs: u64,
    f: &'f mut F,
}

impl<F: FnMut(&[u8], u64, Event)> Sink for Direct<'_, '_, F> {
    #[inline(always)]
    fn event(&mut self, e: Event) {
        (self.f)(self.buf, self.abs, e);
    }
}

/// Whether `e`, met on the bytes received so far, only means that more bytes are needed.
#[inline(always)]
fn waits(e: &Error, eof: bool) -> bool {
    !eof && matches!(e.kind(), ErrorKind::Truncated { .. })
}

/// Steps over whole tokens from `p` while `pending` values remain, with one pending counter:
/// returns where it stopped, the values still pending, and, when it stopped at a token whose
/// header is whole but whose payload runs past the end of `buf`, the end that token needs. A
/// header cut short stops it too; any other error is returned (its offset made absolute).
fn whole_tokens(
    buf: &[u8],
    abs: u64,
    mut p: usize,
    mut pending: u64,
) -> Result<(usize, u64, Option<usize>), Error> {
    while pending > 0 {
        let h = match decode_head(buf, p) {
            Ok(h) => h,
            Err(e) => {
                let e = e.at(p);
                if !waits(&e, false) {
                    return Err(shifted(e, abs));
                }
                break;
            }
        };
        let end = p + h.len + h.payload_len();
        if end > buf.len() {
            // Only a str, bin or ext can be cut here: a container's header is all of it.
            return Ok((p, pending, Some(end)));
        }
        pending = (pending - 1).saturating_add(h.children());
        p = end;
    }
    Ok((p, pending, None))
}

/// `e`, found at an index of bytes whose first byte is at absolute offset `abs`.
#[cold]
fn shifted(e: Error, abs: u64) -> Error {
    Error::new(e.offset() + abs, e.kind())
}

/// Whether the key at the head of `buf` is one [`read_key`] compares (a str or an integer),
/// rather than one it skips whole. `None` when there is no byte yet.
#[inline(always)]
fn compared_key(lead: Option<&u8>) -> Option<bool> {
    let b = *lead?;
    Some(matches!(
        LEAD[b as usize].family,
        Family::FixStr
            | Family::Str
            | Family::PosFixInt
            | Family::UInt
            | Family::NegFixInt
            | Family::Int
    ))
}

impl Cursor {
    fn new() -> Self {
        Cursor {
            stack: ArrayVec::new(),
            phase: Phase::Between,
            gathered: Vec::with_capacity(GATHER_MAX),
        }
    }

    /// Runs over `buf` (whose first byte is at absolute offset `abs`) as far as it can and
    /// returns how many of its bytes were used; the rest must be offered again, with more
    /// bytes behind them, at the next call. With `eof`, `buf` is the end of the input: the
    /// run either ends between top-level values or fails.
    #[allow(clippy::too_many_lines)]
    fn run<F: FnMut(&[u8], u64, Event)>(
        &mut self,
        dfa: &Dfa,
        buf: &[u8],
        abs: u64,
        eof: bool,
        f: &mut F,
    ) -> Result<usize, Error> {
        let mut pos = 0usize;
        loop {
            match self.phase {
                Phase::Between => {
                    let Some(top) = self.stack.last_mut() else {
                        if pos >= buf.len() {
                            return Ok(pos);
                        }
                        self.phase = Phase::Value { state: ROOT };
                        continue;
                    };
                    if top.left == 0 {
                        self.stack.pop();
                        continue;
                    }
                    let st = &dfa.states[top.state as usize];
                    if top.is_map {
                        if map_done(st, top.seen) {
                            let pending = 2 * u64::from(top.left);
                            top.left = 0;
                            self.phase = Phase::Skip {
                                pending,
                                then: Then::Next,
                            };
                            continue;
                        }
                        if compared_key(buf.get(pos)) == Some(false) {
                            // A key that is neither a str nor an integer (which only `.*`
                            // takes) is skipped like any value, so that a large one is not
                            // held.
                            top.left -= 1;
                            let t = first_only(st, &mut top.seen, st.other_key, 0);
                            self.phase = if t == DEAD {
                                Phase::Skip {
                                    pending: 2,
                                    then: Then::Next,
                                }
                            } else {
                                Phase::Skip {
                                    pending: 1,
                                    then: Then::Value(t),
                                }
                            };
                            continue;
                        }
                        let (t, bit, next) = match read_key(st, buf, pos) {
                            Ok(k) => k,
                            Err(e) if waits(&e, eof) => return Ok(pos),
                            Err(e) => return Err(shifted(e, abs)),
                        };
                        top.left -= 1;
                        pos = next;
                        let t = first_only(st, &mut top.seen, t, bit);
                        self.phase = if t == DEAD {
                            Phase::Skip {
                                pending: 1,
                                then: Then::Next,
                            }
                        } else {
                            Phase::Value { state: t }
                        };
                    } else {
                        let i = top.len - top.left;
                        if array_done(st, i) {
                            let pending = u64::from(top.left);
                            top.left = 0;
                            self.phase = Phase::Skip {
                                pending,
                                then: Then::Next,
                            };
                            continue;
                        }
                        top.left -= 1;
                        let t = st.elem_target(i, top.len);
                        if t != DEAD && st.front.is_empty() && st.back.is_empty() {
                            if let Some(ek) = &dfa.states[t as usize].entry_keys {
                                // A record: the slice walk's loop for records, one at a time.
                                let whole = self.whole(buf, abs, f, |g| {
                                    walk_records(dfa, buf, t, ek, pos, 1, g)
                                });
                                if let Some(end) = whole {
                                    pos = end;
                                    continue;
                                }
                            }
                        }
                        self.phase = if t == DEAD {
                            Phase::Skip {
                                pending: 1,
                                then: Then::Next,
                            }
                        } else {
                            Phase::Value { state: t }
                        };
                    }
                }
                Phase::Value { state } => {
                    let st = &dfa.states[state as usize];
                    if st.terminals.is_empty() && !st.row {
                        // A value that is whole in `buf` goes through the slice walk; one that is
                        // cut (or bad, or with many matches) is entered step by step.
                        self.phase = match self
                            .whole(buf, abs, f, |g| walk_value(dfa, buf, state, pos, g))
                        {
                            Some(end) => {
                                pos = end;
                                Phase::Between
                            }
                            None => Phase::Enter { state },
                        };
                        continue;
                    }
                    match skip_value(buf, pos) {
                        Ok(end) => pos = self.matched(dfa, state, buf, abs, pos, end, f)?,
                        Err(e) if waits(&e, eof) => {
                            self.phase = Phase::Hold {
                                state,
                                scanned: 0,
                                pending: 1,
                            };
                        }
                        Err(e) => return Err(shifted(e, abs)),
                    }
                }
                Phase::Hold {
                    state,
                    scanned,
                    pending,
                } => {
                    if eof {
                        // The whole value is in `buf`: the slice skip gives its error.
                        match skip_value(buf, pos) {
                            Ok(end) => pos = self.matched(dfa, state, buf, abs, pos, end, f)?,
                            Err(e) => return Err(shifted(e, abs)),
                        }
                        continue;
                    }
                    // The held value's bytes stay: a cut token is read again, whole, later.
                    let (p, pending, _) = whole_tokens(buf, abs, pos + scanned, pending)?;
                    if pending > 0 {
                        self.phase = Phase::Hold {
                            state,
                            scanned: p - pos,
                            pending,
                        };
                        return Ok(pos);
                    }
                    pos = self.matched(dfa, state, buf, abs, pos, p, f)?;
                }
                Phase::Enter { state } => {
                    let st = &dfa.states[state as usize];
                    let h = match decode_head(buf, pos) {
                        Ok(h) => h,
                        Err(e) => {
                            let e = e.at(pos);
                            if waits(&e, eof) {
                                return Ok(pos);
                            }
                            return Err(shifted(e, abs));
                        }
                    };
                    let is_map = match h.family() {
                        Family::FixMap | Family::Map if st.wants_map => true,
                        Family::FixArray | Family::Array if st.wants_array => false,
                        _ => {
                            // Nothing inside is needed (or the type fits no step).
                            self.phase = Phase::Skip {
                                pending: 1,
                                then: Then::Next,
                            };
                            continue;
                        }
                    };
                    let count = h.value() as u32;
                    let open = Frame {
                        state,
                        left: count,
                        len: count,
                        is_map,
                        // Records are read by `whole` here, not through this flag.
                        records: false,
                        seen: 0,
                    };
                    // The automaton is at most MAX_PATH_STEPS deep, so this cannot fail;
                    // stay total anyway.
                    if self.stack.try_push(open).is_err() {
                        return Err(Error::new(
                            abs + pos as u64,
                            ErrorKind::DepthLimit {
                                limit: MAX_PATH_STEPS,
                            },
                        ));
                    }
                    pos += h.len;
                    self.phase = Phase::Between;
                }
                Phase::Skip { pending, then } => {
                    if pending > 0 {
                        match skip_many(buf, pos, pending) {
                            Ok(end) => pos = end,
                            Err(e) if waits(&e, eof) => {
                                // Cut somewhere: go token by token up to the cut and
                                // keep nothing of what was skipped.
                                return self.skip_tokens(buf, abs, pos, pending, then);
                            }
                            Err(e) => return Err(shifted(e, abs)),
                        }
                    }
                    self.phase = match then {
                        Then::Next => Phase::Between,
                        Then::Value(state) => Phase::Value { state },
                    };
                }
                Phase::Discard {
                    left,
                    token,
                    pending,
                    then,
                } => {
                    let avail = (buf.len() - pos) as u64;
                    if avail < left {
                        if eof {
                            return Err(Error::new(
                                token,
                                ErrorKind::Truncated {
                                    needed: (left - avail) as usize,
                                },
                            ));
                        }
                        self.phase = Phase::Discard {
                            left: left - avail,
                            token,
                            pending,
                            then,
                        };
                        return Ok(buf.len());
                    }
                    pos += left as usize;
                    self.phase = Phase::Skip { pending, then };
                }
            }
        }
    }

    /// Runs `walk`, a slice walk over one value of `buf`, gathering its matches; when it ends
    /// well (the value is whole in `buf`, sound, and has few matches), reports them and
    /// returns the end of the value. Otherwise nothing is reported: the caller reads the value
    /// step by step, which gives the same matches up to the cut or the error.
    #[inline]
    fn whole<F: FnMut(&[u8], u64, Event)>(
        &mut self,
        buf: &[u8],
        abs: u64,
        f: &mut F,
        walk: impl FnOnce(&mut Gather<'_>) -> Result<usize, Error>,
    ) -> Option<usize> {
        self.gathered.clear();
        let mut g = Gather {
            out: &mut self.gathered,
            over: false,
        };
        let end = walk(&mut g).ok().filter(|_| !g.over)?;
        for &e in &self.gathered {
            f(buf, abs, e);
        }
        Some(end)
    }

    /// Skips tokens from `pos` while they are whole in `buf`, knowing that the `pending`
    /// values do not all end in it; returns how many bytes were used, the state saying where
    /// to go on.
    #[cold]
    #[inline(never)]
    fn skip_tokens(
        &mut self,
        buf: &[u8],
        abs: u64,
        pos: usize,
        pending: u64,
        then: Then,
    ) -> Result<usize, Error> {
        let (pos, pending, cut) = whole_tokens(buf, abs, pos, pending)?;
        if let Some(end) = cut {
            // A cut str, bin or ext holds no values: it is done with, and its payload is
            // dropped as it comes.
            self.phase = Phase::Discard {
                left: (end - buf.len()) as u64,
                token: abs + pos as u64,
                pending: pending - 1,
                then,
            };
            return Ok(buf.len());
        }
        self.phase = Phase::Skip { pending, then };
        Ok(pos)
    }

    /// The value `start..end` of `buf` is under `state`, which has terminals or is a row:
    /// reports its matches (a row: the row, through the slice walk of the whole value) and
    /// returns where the evaluation goes on.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn matched<F: FnMut(&[u8], u64, Event)>(
        &mut self,
        dfa: &Dfa,
        state: u32,
        buf: &[u8],
        abs: u64,
        start: usize,
        end: usize,
        f: &mut F,
    ) -> Result<usize, Error> {
        let st = &dfa.states[state as usize];
        if st.row {
            let mut direct = Direct { buf, abs, f };
            walk_value(dfa, &buf[..end], state, start, &mut direct).map_err(|e| shifted(e, abs))?;
            self.phase = Phase::Between;
            return Ok(end);
        }
        for &path in st.terminals.iter() {
            f(buf, abs, Event::Match { path, start, end });
        }
        if st.is_leaf() {
            self.phase = Phase::Between;
            Ok(end)
        } else {
            self.phase = Phase::Enter { state };
            Ok(start)
        }
    }
}

/// A [`Query`] evaluated over input that arrives in chunks of any size, resuming wherever a
/// chunk ends, even in the middle of a top-level value: one huge document read off a socket
/// is queried as it comes, without being held.
///
/// Feed every chunk with [`feed`](Self::feed), which calls back with each match as soon as
/// its last byte has arrived, then call [`finish`](Self::finish) at the end of the input. The
/// matches (path, absolute offset in the stream, bytes) and the errors (kind and absolute
/// offset) are exactly those of [`Query::for_each`] over all the chunks concatenated,
/// however the input is cut.
///
/// # Memory
///
/// Subtrees that no path needs are skipped as they pass, with a count of values still to
/// skip and of payload bytes still to drop: a 100 MB bin or a long array that no path enters
/// costs nothing to hold. Between chunks the internal buffer keeps only what a cut
/// interrupted: one token header or map key, or a value that is itself a match, which is
/// held until its end arrives so that it can be handed out whole. While a chunk is read, the
/// buffer holds those kept bytes and the chunk. The held bytes are bounded by
/// [`max_buffer`](Self::with_max_buffer) (default
/// [`StreamConfig::DEFAULT_MAX_BUFFER`]): past it the evaluation fails with
/// [`ErrorKind::BufferLimit`] rather than grow.
///
/// A match is a [`Match`] borrowed from the chunk or from the internal buffer for the time of
/// the callback; there is no owned zero-copy form (the buffer is reused), so keep a match with
/// `m.bytes().to_vec()` or `bytes::Bytes::copy_from_slice(m.bytes())`: one copy of that value.
///
/// # Examples
///
/// ```
/// use msgskim::query::Query;
///
/// // One listing page of 1000 entries, arriving 1 KiB at a time.
/// let page = msgskim::gen::listing(msgskim::gen::ListingConfig { seed: 1, entries: 1000, page_size: 1000 });
/// let q = Query::many([".Entries[*].n", ".Flags"])?;
/// let mut qs = q.stream();
/// let (mut names, mut flags) = (0, None);
/// for chunk in page.chunks(1024) {
///     qs.feed(chunk, |m| match m.path() {
///         0 => names += 1,
///         _ => flags = Some(m.offset()),
///     })?;
/// }
/// qs.finish()?;
/// assert_eq!(names, 1000);
/// // Offsets count from the start of the stream, as over the whole slice.
/// assert_eq!(flags, q.matches(&page).nth(1000).transpose()?.map(|m| m.offset()));
/// # Ok::<(), msgskim::Error>(())
/// ```
///
/// Input that stops inside a value is an error at [`finish`](Self::finish), with the offset
/// and kind that the slice evaluation gives:
///
/// ```
/// use msgskim::{query::Query, ErrorKind};
///
/// // {"a": [1, 2, 3]}, cut after the 2.
/// let q = Query::new(".a[*]")?;
/// let mut qs = q.stream();
/// let mut got = Vec::new();
/// qs.feed(b"\x81\xa1a\x93\x01\x02", |m| got.push(m.bytes()[0]))?;
/// assert_eq!(got, [1, 2]);
/// let err = qs.finish().unwrap_err();
/// assert_eq!((err.offset(), err.kind()), (6, ErrorKind::Truncated { needed: 1 }));
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct QueryStream<'q> {
    query: &'q Query,
    inner: Resumer,
}

/// The buffer and the evaluation state behind [`QueryStream`] and [`RowStream`].
#[derive(Clone, Debug)]
struct Resumer {
    cursor: Cursor,
    /// Kept bytes; those before `start` are used and wait to be dropped.
    buf: Vec<u8>,
    start: usize,
    /// The absolute offset of `buf[start]`.
    base: u64,
    max_buffer: usize,
    failed: Option<Error>,
}

impl Resumer {
    fn new(max_buffer: usize) -> Self {
        Resumer {
            cursor: Cursor::new(),
            buf: Vec::new(),
            start: 0,
            base: 0,
            max_buffer,
            failed: None,
        }
    }

    fn feed<F: FnMut(&[u8], u64, Event)>(
        &mut self,
        dfa: &Dfa,
        chunk: &[u8],
        f: &mut F,
    ) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = if self.start == self.buf.len() {
            // Nothing kept: read the chunk where it is and keep what is left of it.
            self.buf.clear();
            self.start = 0;
            match self.cursor.run(dfa, chunk, self.base, false, f) {
                Ok(used) => {
                    self.base += used as u64;
                    let rest = &chunk[used..];
                    if rest.len() > self.max_buffer {
                        Err(self.over_limit())
                    } else {
                        self.buf.extend_from_slice(rest);
                        Ok(())
                    }
                }
                Err(e) => Err(e),
            }
        } else {
            self.buf.extend_from_slice(chunk);
            match self
                .cursor
                .run(dfa, &self.buf[self.start..], self.base, false, f)
            {
                Ok(used) => {
                    self.start += used;
                    self.base += used as u64;
                    self.compact();
                    if self.buf.len() - self.start > self.max_buffer {
                        Err(self.over_limit())
                    } else {
                        Ok(())
                    }
                }
                Err(e) => Err(e),
            }
        };
        r.map_err(|e| self.fail(e))
    }

    fn finish(&mut self, dfa: &Dfa) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = self.cursor.run(
            dfa,
            &self.buf[self.start..],
            self.base,
            true,
            &mut |_: &[u8], _: u64, _: Event| {
                // At the end of the input, nothing that waited can complete.
                debug_assert!(false, "an event at the end of the input");
            },
        );
        match r {
            Ok(used) => {
                self.start += used;
                self.base += used as u64;
                self.compact();
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Drops used bytes when they are at least as many as the kept ones, so that each kept
    /// byte is moved a bounded number of times in all.
    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= self.buf.len() - self.start {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    #[cold]
    fn over_limit(&self) -> Error {
        Error::new(
            self.base,
            ErrorKind::BufferLimit {
                limit: self.max_buffer,
            },
        )
    }

    #[cold]
    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        e
    }
}

impl Query {
    /// A resumable evaluation of this query over input fed in chunks (see [`QueryStream`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new("[1]")?;
    /// let mut qs = q.stream();
    /// let mut got = Vec::new();
    /// for byte in [0x92, 0x01, 0xa2, b'h', b'i'] {
    ///     qs.feed(&[byte], |m| got.push((m.offset(), m.value().as_str().map(str::to_owned))))?;
    /// }
    /// qs.finish()?;
    /// assert_eq!(got, [(2, Some("hi".to_owned()))]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn stream(&self) -> QueryStream<'_> {
        QueryStream::new(self)
    }
}

impl<'q> QueryStream<'q> {
    /// A resumable evaluation of `query`, with the default buffer limit
    /// ([`StreamConfig::DEFAULT_MAX_BUFFER`]); the same as [`Query::stream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::query::{Query, QueryStream};
    /// let q = Query::new(".")?;
    /// let qs = QueryStream::new(&q);
    /// assert_eq!(qs.position(), 0);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn new(query: &'q Query) -> Self {
        Self::with_max_buffer(query, StreamConfig::DEFAULT_MAX_BUFFER)
    }

    /// A resumable evaluation of `query` that holds at most `max_buffer` bytes of input
    /// between two chunks (the meaning of [`StreamConfig::max_buffer`]): a matched value
    /// longer than that, or a map key or token header that would need more, is an
    /// [`ErrorKind::BufferLimit`] error.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{query::{Query, QueryStream}, ErrorKind};
    ///
    /// // {"big": bin of 100 bytes}: the match cannot be held in 64 bytes.
    /// let mut doc = b"\x81\xa3big\xc4\x64".to_vec();
    /// doc.extend([0u8; 100]);
    /// let q = Query::new(".big")?;
    /// let mut qs = QueryStream::with_max_buffer(&q, 64);
    /// let err = doc.chunks(16).try_for_each(|c| qs.feed(c, |_| ())).unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (5, ErrorKind::BufferLimit { limit: 64 }));
    ///
    /// // Skipped, the same bin costs nothing to hold.
    /// let q = Query::new(".other")?;
    /// let mut qs = QueryStream::with_max_buffer(&q, 64);
    /// doc.chunks(16).try_for_each(|c| qs.feed(c, |_| ()))?;
    /// qs.finish()?;
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_buffer(query: &'q Query, max_buffer: usize) -> Self {
        QueryStream {
            query,
            inner: Resumer::new(max_buffer),
        }
    }

    /// The query being evaluated.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".a")?;
    /// assert_eq!(q.stream().query().paths()[0].to_string(), ".a");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn query(&self) -> &'q Query {
        self.query
    }

    /// Reads `chunk`, the next bytes of the input, and calls `f` with every match that it
    /// completes, in document order. A match borrows the chunk or the internal buffer for the
    /// time of the call.
    ///
    /// # Errors
    ///
    /// The first error of the input, as [`Query::for_each`] finds it (its offset counted from
    /// the start of the stream); `f` has seen every match before it. A truncation is not an
    /// error here: the evaluation waits for more bytes (see [`finish`](Self::finish)).
    /// [`ErrorKind::BufferLimit`] when more than the buffer limit would have to be held. After
    /// an error, every call returns it again.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".*")?;
    /// let mut qs = q.stream();
    /// let mut n = 0;
    /// // {"a": 1, "b": 2}, cut inside the second key.
    /// qs.feed(b"\x82\xa1a\x01\xa1", |_| n += 1)?;
    /// assert_eq!(n, 1);
    /// qs.feed(b"b\x02", |_| n += 1)?;
    /// assert_eq!(n, 2);
    /// qs.finish()?;
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn feed<F: FnMut(Match<'_>)>(&mut self, chunk: &[u8], mut f: F) -> Result<(), Error> {
        self.inner.feed(
            &self.query.dfa,
            chunk,
            &mut |buf: &[u8], abs: u64, e: Event| {
                if let Event::Match { path, start, end } = e {
                    f(Match {
                        path: path as usize,
                        value: value(buf, abs, start, end),
                    });
                }
            },
        )
    }

    /// Ends the input: checks that it stopped between two top-level values.
    ///
    /// # Errors
    ///
    /// The error that [`Query::for_each`] gives over the whole input when it ends inside a
    /// value ([`ErrorKind::Truncated`] with the offset of the token cut short), or the error
    /// met earlier.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{query::Query, ErrorKind};
    /// let q = Query::new("[0]")?;
    /// let mut qs = q.stream();
    /// qs.feed(&[0x92, 0x01], |_| ())?;
    /// let err = qs.finish().unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (2, ErrorKind::Truncated { needed: 1 }));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn finish(&mut self) -> Result<(), Error> {
        self.inner.finish(&self.query.dfa)
    }

    /// The absolute offset of the first byte not used yet: where the next step starts.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".")?;
    /// let mut qs = q.stream();
    /// qs.feed(&[0xc0, 0x92, 0x01], |_| ())?; // nil, then [1, ... cut
    /// assert_eq!(qs.position(), 1); // the array is a match: held from its start
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn position(&self) -> u64 {
        self.inner.base
    }

    /// The number of bytes in the internal buffer now: those kept for the next chunk (and
    /// used ones not yet dropped, at most as many as are kept).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = msgskim::query::Query::new(".x")?;
    /// let mut qs = q.stream();
    /// // {"y": bin of 1000 bytes, ...}: the bin is skipped as it passes.
    /// let mut doc = b"\x82\xa1y\xc5\x03\xe8".to_vec();
    /// doc.extend([7u8; 1000]);
    /// doc.extend(b"\xa1x\x2a");
    /// let mut got = Vec::new();
    /// for chunk in doc.chunks(10) {
    ///     qs.feed(chunk, |m| got.push(m.bytes()[0]))?;
    ///     assert!(qs.buffered() < 10);
    /// }
    /// qs.finish()?;
    /// assert_eq!(got, [0x2a]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.inner.buf.len()
    }
}

/// The value `start..end` of `buf`, whose first byte is at absolute offset `abs`.
#[inline(always)]
fn value(buf: &[u8], abs: u64, start: usize, end: usize) -> RawValue<'_> {
    // The offset of a value is a `usize` like a slice index; a stream longer than the address
    // space (on a 32-bit target) wraps it.
    RawValue::from_checked(&buf[start..end], (abs + start as u64) as usize)
}

/// A [`Rows`] projection evaluated over input that arrives in chunks of any size, resuming
/// wherever a chunk ends, like [`QueryStream`]: each row comes out as soon as the last byte
/// of its row value has arrived.
///
/// The rows and errors are exactly those of [`Rows::for_each`] over all the chunks
/// concatenated. Subtrees outside the rows that no field needs pass without being held; each
/// row value (a listing entry, say) is held until it ends, so that all its fields can be
/// handed out together, and the buffer limit bounds it as it bounds a matched value.
///
/// # Examples
///
/// ```
/// use msgskim::query::Rows;
///
/// // One listing page of 300 entries, arriving 100 bytes at a time.
/// let page = msgskim::gen::listing(msgskim::gen::ListingConfig { seed: 3, entries: 300, page_size: 300 });
/// let rows = Rows::new(".Entries[*]", [".n", ".s"])?;
/// let mut rs = rows.stream();
/// let (mut count, mut sized) = (0, 0);
/// for chunk in page.chunks(100) {
///     rs.feed(chunk, |[name, size]| {
///         assert!(name.and_then(|n| n.as_str()).is_some());
///         sized += usize::from(size.is_some());
///         count += 1;
///     })?;
/// }
/// rs.finish()?;
/// assert_eq!(count, 300);
/// let mut want = 0;
/// rows.for_each(&page, |[_, s]| want += usize::from(s.is_some()))?;
/// assert_eq!(sized, want);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RowStream<'r, const N: usize> {
    rows: &'r Rows<N>,
    inner: Resumer,
}

impl<const N: usize> Rows<N> {
    /// A resumable evaluation of this projection over input fed in chunks (see
    /// [`RowStream`]), with the default buffer limit
    /// ([`StreamConfig::DEFAULT_MAX_BUFFER`]).
    ///
    /// # Examples
    ///
    /// ```
    /// // [{"a": 1}, {"a": 2}], one byte at a time.
    /// let rows = msgskim::query::Rows::new("[*]", [".a"])?;
    /// let mut rs = rows.stream();
    /// let mut got = Vec::new();
    /// for byte in b"\x92\x81\xa1a\x01\x81\xa1a\x02" {
    ///     rs.feed(&[*byte], |[a]| got.push(a.and_then(|v| v.as_i64())))?;
    /// }
    /// rs.finish()?;
    /// assert_eq!(got, [Some(1), Some(2)]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn stream(&self) -> RowStream<'_, N> {
        RowStream::with_max_buffer(self, StreamConfig::DEFAULT_MAX_BUFFER)
    }
}

impl<'r, const N: usize> RowStream<'r, N> {
    /// A resumable evaluation of `rows` that holds at most `max_buffer` bytes between two
    /// chunks (see [`QueryStream::with_max_buffer`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{query::{Rows, RowStream}, ErrorKind};
    /// // [{"a": bin of 100 bytes}]: the row cannot be held in 64 bytes.
    /// let mut doc = b"\x91\x81\xa1a\xc4\x64".to_vec();
    /// doc.extend([0u8; 100]);
    /// let rows = Rows::new("[*]", [".a"])?;
    /// let mut rs = RowStream::with_max_buffer(&rows, 64);
    /// let err = doc.chunks(16).try_for_each(|c| rs.feed(c, |_| ())).unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (1, ErrorKind::BufferLimit { limit: 64 }));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn with_max_buffer(rows: &'r Rows<N>, max_buffer: usize) -> Self {
        RowStream {
            rows,
            inner: Resumer::new(max_buffer),
        }
    }

    /// Reads `chunk`, the next bytes of the input, and calls `f` with every row that it
    /// completes, in document order; the values borrow the chunk or the internal buffer for
    /// the time of the call.
    ///
    /// # Errors
    ///
    /// As [`QueryStream::feed`]: the first error of the input as [`Rows::for_each`] finds it
    /// (offsets from the start of the stream), [`ErrorKind::BufferLimit`] past the buffer
    /// limit; a truncation waits for more bytes. After an error, every call returns it again.
    ///
    /// # Examples
    ///
    /// ```
    /// let rows = msgskim::query::Rows::new("[*]", [".a", ".b"])?;
    /// let mut rs = rows.stream();
    /// let mut n = 0;
    /// // [{"a": 1, "b": 2}, {"a": 3}], cut inside the second row.
    /// rs.feed(b"\x92\x82\xa1a\x01\xa1b\x02\x81\xa1", |_| n += 1)?;
    /// assert_eq!(n, 1);
    /// rs.feed(b"a\x03", |[a, b]| {
    ///     assert_eq!((a.and_then(|v| v.as_i64()), b), (Some(3), None));
    ///     n += 1;
    /// })?;
    /// rs.finish()?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn feed<F>(&mut self, chunk: &[u8], mut f: F) -> Result<(), Error>
    where
        F: FnMut([Option<RawValue<'_>>; N]),
    {
        // A row is read whole within one call over one buffer (row values are held), so
        // positions stay valid from its start to its end.
        let mut row: [Option<(usize, usize)>; N] = [None; N];
        self.inner.feed(
            &self.rows.dfa,
            chunk,
            &mut |buf: &[u8], abs: u64, e: Event| match e {
                Event::Match { path, start, end } => {
                    if let Some(slot @ None) = row.get_mut(path as usize) {
                        *slot = Some((start, end));
                    }
                }
                Event::RowStart(_) => row = [None; N],
                Event::RowEnd => f(row.map(|r| r.map(|(start, end)| value(buf, abs, start, end)))),
            },
        )
    }

    /// Ends the input: checks that it stopped between two top-level values.
    ///
    /// # Errors
    ///
    /// As [`QueryStream::finish`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rows = msgskim::query::Rows::new("[*]", ["."])?;
    /// let mut rs = rows.stream();
    /// rs.feed(&[0x92, 0x01], |_| ())?;
    /// assert!(rs.finish().unwrap_err().is_truncated());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn finish(&mut self) -> Result<(), Error> {
        self.inner.finish(&self.rows.dfa)
    }

    /// The absolute offset of the first byte not used yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let rows = msgskim::query::Rows::new("[*]", ["."])?;
    /// let mut rs = rows.stream();
    /// rs.feed(&[0x92, 0x01, 0x92], |_| ())?; // [1, [ ... cut
    /// assert_eq!(rs.position(), 2); // the second row is held from its start
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn position(&self) -> u64 {
        self.inner.base
    }

    /// The number of bytes in the internal buffer now (see [`QueryStream::buffered`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rows = msgskim::query::Rows::new("[*]", ["."])?;
    /// let mut rs = rows.stream();
    /// rs.feed(&[0x92, 0x01, 0x92], |_| ())?;
    /// assert_eq!(rs.buffered(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.inner.buf.len()
    }
}
