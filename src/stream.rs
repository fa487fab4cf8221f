//! Resumable decoding of MessagePack that arrives in pieces: [`StreamDecoder`].
//!
//! Bytes come in through [`StreamDecoder::feed`], [`StreamDecoder::read_from`] or
//! [`StreamDecoder::spare`] in any chunking. Values come out as soon as their last byte is in,
//! either token by token ([`StreamDecoder::next_token`], borrowing from the decoder's buffer)
//! or as whole top-level values ([`StreamDecoder::next_frame`], a zero-copy [`Bytes`] split off
//! the buffer). The decoder keeps its scan state and position between calls, so no byte is
//! scanned twice however the input is cut, and a value that is still incomplete is not looked
//! at again until enough bytes have arrived to possibly finish the token it stopped at.
//!
//! Frames are found by a resumable skip scan that enforces the limits without decoding tokens,
//! the fastest way to take whole values off a socket. For tokens,
//! [`StreamDecoder::for_each_event`] is the fastest (one call per feed),
//! [`StreamDecoder::events`] an iterator whose items outlive each step, and
//! [`StreamDecoder::next_token`] one call per token.

use core::ops::Deref;

use bytes::buf::Limit;
use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, ErrorKind};
use crate::head::Head;
use crate::scan::{Resume, Scanned};
use crate::token::Token;
use crate::tokenizer::{Limits, State, Tokenizer};

/// The loop of [`Reader::each`], written out where it is used: the compiler then inlines the
/// state machine's step into it (through a function, even one always inlined, it did not).
macro_rules! each_event {
    ($r:expr, $buf:expr, $f:expr) => {{
        let r: &mut Reader = $r;
        let buf = $buf;
        loop {
            if r.hold {
                match r.next_token_slow(buf)? {
                    Some(event) => {
                        $f(event, r.depth());
                        continue;
                    }
                    None => break Ok(()),
                }
            }
            // As `token_here`, with the state machine's step inlined into the loop.
            let pos = r.core.state.pos();
            if r.core.state.depth() == 0 {
                r.value_start = r.core.base() + pos as u64;
            }
            match r.core.state.step(buf) {
                // Without `hold` no frame is partly scanned: the depth is the tokenizer's.
                Ok(Some(tok)) => $f(Event::Token(tok), r.core.state.depth()),
                Ok(None) => break Ok(()),
                Err(e) => {
                    let stopped = token_stopped(
                        &mut r.core,
                        &mut r.chunk,
                        &mut r.hold,
                        &r.config,
                        buf,
                        pos,
                        e,
                    )?;
                    match stopped {
                        Some(event) => $f(event, r.depth()),
                        None => break Ok(()),
                    }
                }
            }
        }
    }};
}

/// Limits and sizes of a [`StreamDecoder`] (and of the tokio codec).
///
/// The defaults follow msgpack-python's `Unpacker`: at most 100 MiB is buffered, and no str,
/// bin or ext, and no array or map, may declare more than that many bytes or elements, since a
/// value that large could never be held. Nesting is limited to
/// [`Limits::DEFAULT_MAX_DEPTH`]. A declared length is only ever compared with these limits;
/// buffer space is reserved for bytes that arrive, never for bytes a header promises.
///
/// # Examples
///
/// ```
/// use msgskim::{Limits, StreamConfig, StreamDecoder};
///
/// let config = StreamConfig {
///     max_buffer: 1 << 20,
///     limits: Limits { max_depth: 32, ..StreamConfig::default().limits },
///     ..StreamConfig::default()
/// };
/// let dec = StreamDecoder::with_config(config);
/// assert_eq!(dec.config().max_buffer, 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// Depth, payload and container limits, UTF-8 checking and timestamp decoding, as for the
    /// slice [`Tokenizer`]. Defaults: depth 256, payloads and containers up to
    /// [`DEFAULT_MAX_BUFFER`](Self::DEFAULT_MAX_BUFFER) bytes / elements.
    pub limits: Limits,
    /// The most bytes held at once: [`feed`](StreamDecoder::feed) refuses data that would
    /// take the unread bytes past it, and a value (for frames) or a token (for tokens) that
    /// provably needs more is an [`ErrorKind::BufferLimit`] error as soon as its header says
    /// so. Default [`DEFAULT_MAX_BUFFER`](Self::DEFAULT_MAX_BUFFER).
    pub max_buffer: usize,
    /// Str, bin and ext payloads longer than this come out of
    /// [`next_token`](StreamDecoder::next_token) in pieces ([`Event::PayloadStart`], then
    /// [`Event::PayloadChunk`]s, then [`Event::PayloadEnd`]), so they never have to be held
    /// whole. Frames are always whole. Default
    /// [`DEFAULT_CHUNK_THRESHOLD`](Self::DEFAULT_CHUNK_THRESHOLD).
    pub chunk_threshold: usize,
    /// The most bytes one [`read_from`](StreamDecoder::read_from) asks for, and the most the
    /// tokio codec asks its reader to make room for. Default
    /// [`DEFAULT_READ_SIZE`](Self::DEFAULT_READ_SIZE).
    pub read_size: usize,
}

impl StreamConfig {
    /// Default buffer limit: 100 MiB, as msgpack-python's `Unpacker(max_buffer_size=...)`.
    pub const DEFAULT_MAX_BUFFER: usize = 100 * 1024 * 1024;
    /// Default chunking threshold for payloads read as tokens: 1 MiB.
    pub const DEFAULT_CHUNK_THRESHOLD: usize = 1024 * 1024;
    /// Default read size: 64 KiB.
    pub const DEFAULT_READ_SIZE: usize = 64 * 1024;
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            limits: Limits {
                max_payload_len: Self::DEFAULT_MAX_BUFFER as u64,
                max_container_len: Self::DEFAULT_MAX_BUFFER as u64,
                ..Limits::default()
            },
            max_buffer: Self::DEFAULT_MAX_BUFFER,
            chunk_threshold: Self::DEFAULT_CHUNK_THRESHOLD,
            read_size: Self::DEFAULT_READ_SIZE,
        }
    }
}

/// What [`StreamDecoder::next_token`] yields: a token, or a piece of a long payload.
///
/// # Examples
///
/// ```
/// use msgskim::{Event, PayloadKind, StreamConfig, StreamDecoder, Token};
///
/// let config = StreamConfig { chunk_threshold: 4, ..StreamConfig::default() };
/// let mut dec = StreamDecoder::with_config(config);
/// dec.feed(&[0x92, 0x01, 0xc4, 0x06, 1, 2, 3])?; // [1, bin of 6 bytes (3 so far)
/// assert_eq!(dec.next_token()?, Some(Event::Token(Token::Array(2))));
/// assert_eq!(dec.next_token()?, Some(Event::Token(Token::UInt(1))));
/// assert_eq!(dec.next_token()?, Some(Event::PayloadStart { kind: PayloadKind::Bin, len: 6 }));
/// assert_eq!(dec.next_token()?, Some(Event::PayloadChunk(&[1, 2, 3])));
/// assert_eq!(dec.next_token()?, None);
/// dec.feed(&[4, 5, 6])?;
/// assert_eq!(dec.next_token()?, Some(Event::PayloadChunk(&[4, 5, 6])));
/// assert_eq!(dec.next_token()?, Some(Event::PayloadEnd));
/// assert_eq!(dec.next_token()?, None);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event<'a> {
    /// A whole token, payloads borrowed from the decoder's buffer.
    Token(Token<'a>),
    /// The header of a str, bin or ext longer than
    /// [`StreamConfig::chunk_threshold`]; its payload follows as chunks.
    PayloadStart {
        /// Which kind of payload.
        kind: PayloadKind,
        /// The declared payload length.
        len: usize,
    },
    /// The next bytes of the payload announced by [`Event::PayloadStart`] (never empty).
    PayloadChunk(&'a [u8]),
    /// The payload announced by [`Event::PayloadStart`] is complete.
    PayloadEnd,
}

/// The kind of a payload delivered in pieces.
///
/// # Examples
///
/// ```
/// use msgskim::PayloadKind;
/// assert_ne!(PayloadKind::Ext(1), PayloadKind::Bin);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// A str (checked as UTF-8 piece by piece when [`Limits::check_utf8`] is on).
    Str,
    /// A bin.
    Bin,
    /// An ext of the given type.
    Ext(i8),
}

/// One complete top-level value, sharing the decoder's buffer.
///
/// Dereferences to the value's bytes. Tokenize it with [`Frame::tokens`]; turn a payload
/// borrowed from it back into a shared, owned [`Bytes`] with [`Frame::slice_ref`] (no copy).
///
/// # Examples
///
/// ```
/// use msgskim::{StreamDecoder, Token};
///
/// let mut dec = StreamDecoder::new();
/// dec.feed(b"\x01\x81\xa1k\xc4\x02hi")?;
/// assert_eq!(&dec.next_frame()?.unwrap()[..], b"\x01");
/// let frame = dec.next_frame()?.unwrap();
/// assert_eq!(frame.offset(), 1);
/// let bin = frame.tokens().find_map(|t| match t {
///     Ok(Token::Bin(b)) => Some(b),
///     _ => None,
/// });
/// let owned = frame.slice_ref(bin.unwrap()).unwrap();
/// assert_eq!(&owned[..], b"hi");
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    bytes: Bytes,
    offset: u64,
}

impl Frame {
    /// The absolute stream offset of the value's first byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0xc0, 0xc3])?;
    /// dec.next_frame()?;
    /// assert_eq!(dec.next_frame()?.unwrap().offset(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The value's bytes as a shared [`Bytes`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0xc0])?;
    /// assert_eq!(dec.next_frame()?.unwrap().as_bytes().len(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The value's bytes, giving up the offset.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0xc0])?;
    /// let b: bytes::Bytes = dec.next_frame()?.unwrap().into_bytes();
    /// assert_eq!(&b[..], &[0xc0]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// A tokenizer over the value, with default [`Limits`]. The frame was already checked
    /// with the decoder's limits, so this yields no error unless its limits are stricter.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x92, 0x01, 0x02])?;
    /// assert_eq!(dec.next_frame()?.unwrap().tokens().count(), 3);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn tokens(&self) -> Tokenizer<'_> {
        Tokenizer::new(&self.bytes)
    }

    /// A shared [`Bytes`] of `subset`, which must lie inside this frame (a payload borrowed
    /// from [`Frame::tokens`], say); `None` otherwise. No bytes are copied.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(b"\xa3abc")?;
    /// let f = dec.next_frame()?.unwrap();
    /// assert_eq!(&f.slice_ref(&f[1..]).unwrap()[..], b"abc");
    /// assert!(f.slice_ref(b"abc").is_none());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn slice_ref(&self, subset: &[u8]) -> Option<Bytes> {
        let outer = self.bytes.as_ptr_range();
        let inner = subset.as_ptr_range();
        if subset.is_empty() {
            return Some(Bytes::new());
        }
        (outer.start <= inner.start && inner.end <= outer.end).then(|| self.bytes.slice_ref(subset))
    }
}

impl Deref for Frame {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl From<Frame> for Bytes {
    fn from(f: Frame) -> Bytes {
        f.bytes
    }
}

/// The frame scanner shared by [`StreamDecoder`] and the tokio codec: the tokenizer state over
/// a `BytesMut` whose first byte is the start of the value being scanned.
///
/// Frames are found by the resumable skip scan ([`Resume`]) when it can enforce the limits
/// (everything but UTF-8 checking and limits below the sizes of fix-width tokens), by the
/// tokenizer's state machine otherwise. Only one of the two is ever under way: the scan
/// between values is at position 0, the state machine is while a frame is being scanned.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    state: State,
    scan: Resume,
    /// Frames use `scan` rather than `state`.
    lean: bool,
    /// Absolute stream offset of `buf[0]`.
    base: u64,
    /// Do not call the state machine again until the buffer holds this many bytes: the token
    /// it stopped at cannot be complete before.
    wait_until: usize,
    max_buffer: usize,
    failed: Option<Error>,
}

impl Core {
    pub(crate) fn new(config: &StreamConfig) -> Self {
        Core {
            state: State::new(config.limits),
            scan: Resume::new(&config.limits),
            lean: Resume::fits(&config.limits),
            base: 0,
            wait_until: 0,
            max_buffer: config.max_buffer,
            failed: None,
        }
    }

    /// Bytes still needed before a call can make progress (at least 1).
    pub(crate) fn needed(&self, len: usize) -> usize {
        self.wait_until.saturating_sub(len).max(1)
    }

    /// Absolute offset of `buf[0]`.
    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    #[inline]
    pub(crate) fn failed(&self) -> Option<Error> {
        self.failed
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        e
    }

    /// Drops the first `n` bytes of `buf`, which the caller has finished with.
    fn discard(&mut self, buf: &mut BytesMut, n: usize) {
        let n = n.min(buf.len()).min(self.state.pos());
        buf.advance(n);
        self.shift(n);
    }

    /// Moves the positions back by `n` (at most the state's position): the buffer they refer
    /// to now starts `n` bytes later.
    #[inline]
    fn shift(&mut self, n: usize) {
        self.state.rebase(n);
        self.base += n as u64;
        self.wait_until = self.wait_until.saturating_sub(n);
    }

    /// Whether part of a frame has been scanned (`buf[0]` is its first byte).
    #[inline]
    fn frame_started(&self) -> bool {
        self.state.pos() > 0 || self.scan.pos() > 0
    }

    /// Forgets a partly scanned frame, to read it again from its start as tokens.
    fn restart(&mut self, limits: Limits) {
        self.state = State::new(limits);
        self.scan.reset();
        self.wait_until = 0;
    }

    /// Deals with an error of the state machine at a token that starts at `buf[from]`:
    /// truncation means wait (unless the value provably needs more than the buffer limit),
    /// anything else is final.
    fn stop(&mut self, len: usize, from: usize, e: Error) -> Result<(), Error> {
        match e.kind() {
            ErrorKind::Truncated { needed } => {
                let until = len.saturating_add(needed);
                if until.saturating_sub(from) > self.max_buffer {
                    let at = self.base + from as u64;
                    let limit = self.max_buffer;
                    return Err(self.fail(Error::new(at, ErrorKind::BufferLimit { limit })));
                }
                self.wait_until = until;
                Ok(())
            }
            _ => Err(self.fail(e.shifted(self.base))),
        }
    }

    /// The next complete top-level value at the front of `buf`, split off it; `Ok(None)` when
    /// more bytes are needed.
    pub(crate) fn next_frame(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if buf.len() < self.wait_until {
            return Ok(None);
        }
        let end = if self.lean {
            match self.scan.scan(buf) {
                Ok(Scanned::End(end)) => {
                    self.scan.reset();
                    end
                }
                Ok(Scanned::Wait { until }) => {
                    if until > self.max_buffer {
                        let limit = self.max_buffer;
                        let e = Error::new(self.base, ErrorKind::BufferLimit { limit });
                        return Err(self.fail(e));
                    }
                    self.wait_until = until;
                    return Ok(None);
                }
                Err(e) => return Err(self.fail(e.shifted(self.base))),
            }
        } else {
            let Some(end) = self.scan(buf)? else {
                return Ok(None);
            };
            self.state.rebase(end);
            end
        };
        let offset = self.base;
        let bytes = buf.split_to(end).freeze();
        self.base += end as u64;
        self.wait_until = 0;
        Ok(Some(Frame { bytes, offset }))
    }

    /// Scans on to the end of the top-level value that starts at `buf[0]`.
    #[inline]
    fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, Error> {
        loop {
            match self.state.next_in(buf) {
                Ok(Some(_)) => {
                    if self.state.depth() == 0 {
                        return Ok(Some(self.state.pos()));
                    }
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.stop(buf.len(), 0, e)?;
                    return Ok(None);
                }
            }
        }
    }

    /// Checks how the input ends, without consuming: `Ok` when the bytes of `buf` from the
    /// current position hold only complete values; otherwise the error that reading them
    /// would end in, a truncation being reported at the start of the value it cuts short.
    /// `value_start` is the absolute offset where the value open at the current position began.
    fn check_end(&self, buf: &[u8], value_start: u64) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut state = self.state.clone();
        let mut start = value_start;
        loop {
            if state.depth() == 0 {
                start = self.base + state.pos() as u64;
            }
            match state.next_in(buf) {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(match e.kind() {
                        ErrorKind::Truncated { .. } => Error::new(start, e.kind()),
                        _ => e.shifted(self.base),
                    });
                }
            }
        }
    }
}

/// How the value under way is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Between values (tokens of the last one may still sit before the scan position).
    Idle,
    /// Part of a frame has been scanned; `buf[0]` is its first byte.
    Frames,
    /// Tokens of an unfinished value have been handed out.
    Tokens,
}

/// A long payload being handed out in pieces.
#[derive(Clone, Debug)]
struct Chunk {
    /// Buffer index of the next payload byte to hand out.
    next: usize,
    /// Payload bytes not yet handed out.
    remaining: usize,
    /// For a str when UTF-8 checking is on.
    utf8: Option<Utf8Pieces>,
}

/// UTF-8 validation of a str that arrives in pieces: a character cut between two pieces is
/// carried over (at most 3 bytes).
#[derive(Clone, Debug, Default)]
struct Utf8Pieces {
    carry: [u8; 4],
    len: usize,
    /// Absolute offset of `carry[0]`.
    at: u64,
}

impl Utf8Pieces {
    /// Checks the next piece, which starts at absolute offset `at`; the error is the offset
    /// of the first byte of the first invalid sequence.
    fn check(&mut self, mut piece: &[u8], mut at: u64) -> Result<(), u64> {
        if self.len > 0 {
            let width = match self.carry[0] {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            while self.len < width {
                let Some((&b, rest)) = piece.split_first() else {
                    return Ok(());
                };
                self.carry[self.len] = b;
                self.len += 1;
                piece = rest;
                at += 1;
                // A byte that cannot continue the character makes it invalid now, not when
                // the rest of its width arrives (which may be never).
                if let Err(e) = core::str::from_utf8(&self.carry[..self.len]) {
                    if e.error_len().is_some() {
                        return Err(self.at);
                    }
                }
            }
            if core::str::from_utf8(&self.carry[..width]).is_err() {
                return Err(self.at);
            }
            self.len = 0;
        }
        match core::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(at + e.valid_up_to() as u64),
            Err(e) => {
                let tail = &piece[e.valid_up_to()..];
                self.carry[..tail.len()].copy_from_slice(tail);
                self.len = tail.len();
                self.at = at + e.valid_up_to() as u64;
                Ok(())
            }
        }
    }

    /// At the end of the str: a character still cut short is invalid.
    fn finish(&self) -> Result<(), u64> {
        if self.len > 0 {
            Err(self.at)
        } else {
            Ok(())
        }
    }
}

/// A resumable MessagePack decoder that owns its input buffer.
///
/// Feed it bytes as they arrive ([`feed`](Self::feed), [`read_from`](Self::read_from), or
/// your own I/O into [`spare`](Self::spare)); take out tokens with
/// [`next_token`](Self::next_token) or whole values with [`next_frame`](Self::next_frame).
/// Both return `Ok(None)` when they need more input. Tokens borrow from the buffer; frames
/// are split off it as [`Bytes`] without copying.
///
/// The tokenizer's state (position, open containers) and the scan offset are kept between
/// calls, so every byte is examined once however the input is chunked, and a token cut short
/// is retried only once enough bytes for it may have arrived. Bytes already handed out are
/// dropped from the front of the buffer when new input comes in.
///
/// Errors carry absolute offsets in the stream. After an error, every call returns it again.
/// At the end of the input, [`finish`](Self::finish) tells a clean end from a value cut short.
///
/// Reading a value with both methods at once is not possible: once tokens of a value have
/// been taken, [`next_frame`](Self::next_frame) refuses it until the value is complete; a
/// value partly scanned by `next_frame` is simply read again from its start by `next_token`.
///
/// # Examples
///
/// ```
/// use msgskim::{StreamDecoder, Token};
///
/// let stream = b"\x82\xa1a\x01\xa1b\x02\x93\x01\x02\x03";
/// let mut dec = StreamDecoder::new();
/// let mut frames = Vec::new();
/// for piece in stream.chunks(3) {
///     dec.feed(piece)?;
///     while let Some(frame) = dec.next_frame()? {
///         frames.push(frame);
///     }
/// }
/// dec.finish()?;
/// assert_eq!(frames.len(), 2);
/// assert_eq!(frames[1].offset(), 7);
/// assert_eq!(frames[1].tokens().next(), Some(Ok(Token::Array(3))));
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StreamDecoder {
    buf: BytesMut,
    r: Reader,
    /// Bytes returned by the last `read_from`.
    #[cfg(feature = "std")]
    last_read: usize,
}

/// Everything a [`StreamDecoder`] keeps besides its buffer: what reading tokens needs, so
/// that an [`Events`] iterator can borrow the buffer and this at once.
#[derive(Clone, Debug)]
struct Reader {
    core: Core,
    config: StreamConfig,
    /// Part of a frame has been scanned by `next_frame`; `buf[0]` is its first byte.
    frames_partial: bool,
    /// `next_token` must take its slow path: a failure, a partly scanned frame, a chunked
    /// payload or a wait for more bytes may be pending, or the buffer may hold more than
    /// `chunk_threshold` bytes (so that a complete token's payload may need chunking). When it
    /// is false, none of these needs a look.
    hold: bool,
    chunk: Option<Chunk>,
    /// Absolute offset where the value open in token mode began (valid only in token mode).
    value_start: u64,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    /// A decoder with the default [`StreamConfig`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dec = msgskim::StreamDecoder::new();
    /// assert!(dec.buffer().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_config(StreamConfig::default())
    }

    /// A decoder with the given limits and sizes.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{StreamConfig, StreamDecoder};
    /// let dec = StreamDecoder::with_config(StreamConfig { read_size: 4096, ..Default::default() });
    /// assert_eq!(dec.config().read_size, 4096);
    /// ```
    #[must_use]
    pub fn with_config(config: StreamConfig) -> Self {
        StreamDecoder {
            buf: BytesMut::new(),
            r: Reader {
                core: Core::new(&config),
                config,
                frames_partial: false,
                hold: false,
                chunk: None,
                value_start: 0,
            },
            #[cfg(feature = "std")]
            last_read: config.read_size,
        }
    }

    /// The configuration in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{StreamConfig, StreamDecoder};
    /// assert_eq!(StreamDecoder::new().config(), &StreamConfig::default());
    /// ```
    #[must_use]
    pub fn config(&self) -> &StreamConfig {
        &self.r.config
    }

    /// Every byte the decoder holds: from [`buffer_offset`](Self::buffer_offset) to the last
    /// byte received. Tokens and payload chunks borrow from here.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Event, StreamDecoder, Token};
    /// let mut dec = StreamDecoder::new();
    /// dec.feed(b"\xa2hi")?;
    /// let Some(Event::Token(Token::Str(s))) = dec.next_token()? else { panic!() };
    /// let p = s.as_bytes().as_ptr();
    /// assert!(dec.buffer().as_ptr_range().contains(&p));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The absolute stream offset of the first byte of [`buffer`](Self::buffer).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x01, 0x02])?;
    /// dec.next_frame()?;
    /// assert_eq!(dec.buffer_offset(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn buffer_offset(&self) -> u64 {
        self.r.core.base()
    }

    /// The absolute stream offset of the next byte not yet handed out (as a token, a piece or
    /// part of a frame) or scanned.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x92, 0xcd, 0x01])?;
    /// dec.next_token()?;
    /// assert_eq!(dec.position(), 1);
    /// assert_eq!(dec.next_token()?, None); // the uint16 is cut short
    /// assert_eq!(dec.position(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn position(&self) -> u64 {
        self.r.position()
    }

    /// How many containers are open in the value being read.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x91, 0x91])?;
    /// dec.next_token()?;
    /// dec.next_token()?;
    /// assert_eq!(dec.depth(), 2);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn depth(&self) -> usize {
        self.r.depth()
    }

    /// At least how many more bytes must arrive before the next call can make progress
    /// (1 when nothing more is known).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0xc5, 0x01, 0x00, 0xaa])?; // bin16 of 256 bytes, 1 present
    /// assert!(dec.next_frame()?.is_none());
    /// assert_eq!(dec.needed(), 255);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn needed(&self) -> usize {
        match &self.r.chunk {
            Some(_) => 1,
            None => self.r.core.needed(self.buf.len()),
        }
    }

    /// How the value under way is being read.
    #[inline]
    fn mode(&self) -> Mode {
        if self.r.frames_partial {
            Mode::Frames
        } else if self.r.chunk.is_some() || self.r.core.state.depth() > 0 {
            Mode::Tokens
        } else {
            Mode::Idle
        }
    }

    /// After the buffer grew: once it is longer than the chunking threshold, `next_token`
    /// must look at the length of each payload.
    #[inline]
    fn note_growth(&mut self) {
        if self.buf.len() > self.r.config.chunk_threshold {
            self.r.hold = true;
        }
    }

    /// Drops bytes that have been handed out, so that new input reuses their room.
    fn compact(&mut self) {
        let keep = match self.mode() {
            Mode::Frames => 0,
            Mode::Idle | Mode::Tokens => match &self.r.chunk {
                Some(c) => c.next,
                None => self.r.core.state.pos(),
            },
        };
        let keep = keep.min(self.buf.len());
        if keep > 0 {
            self.r.core.discard(&mut self.buf, keep);
            if let Some(c) = &mut self.r.chunk {
                c.next -= keep;
            }
        }
    }

    /// The unread bytes held, after dropping what has been handed out.
    fn unread(&self) -> usize {
        match self.mode() {
            Mode::Frames => self.buf.len(),
            Mode::Idle | Mode::Tokens => {
                let at = self
                    .r
                    .chunk
                    .as_ref()
                    .map_or(self.r.core.state.pos(), |c| c.next);
                self.buf.len().saturating_sub(at)
            }
        }
    }

    fn buffer_limit(&self) -> Error {
        Error::new(
            self.position(),
            ErrorKind::BufferLimit {
                limit: self.r.config.max_buffer,
            },
        )
    }

    /// Appends `data` to the buffer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferLimit`] (at the offset of the first unread byte) when the unread
    /// bytes would exceed [`StreamConfig::max_buffer`]; nothing is appended then, so read
    /// values out and feed again.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, StreamConfig, StreamDecoder};
    /// let mut dec = StreamDecoder::with_config(StreamConfig { max_buffer: 4, ..Default::default() });
    /// dec.feed(&[1, 2, 3])?;
    /// let err = dec.feed(&[4, 5]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::BufferLimit { limit: 4 });
    /// while dec.next_frame()?.is_some() {}
    /// dec.feed(&[4, 5])?;
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.unread().saturating_add(data.len()) > self.r.config.max_buffer {
            return Err(self.buffer_limit());
        }
        self.compact();
        self.buf.extend_from_slice(data);
        self.note_growth();
        Ok(())
    }

    /// Room at the end of the buffer for your own I/O: at least `additional` bytes are
    /// reserved (fewer if the buffer limit allows fewer), and the returned [`BufMut`] accepts
    /// up to the buffer limit. Bytes written through it are appended to the input, with no
    /// copy. Works with tokio's `AsyncReadExt::read_buf`.
    ///
    /// The [`BufMut`] also gives `get_mut()` access to the buffer itself: only append to it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferLimit`] when the unread bytes already fill the buffer limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BufMut;
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.spare(16)?.put_slice(&[0x92, 0x01, 0x02]);
    /// assert_eq!(dec.next_frame()?.unwrap().len(), 3);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn spare(&mut self, additional: usize) -> Result<Limit<&mut BytesMut>, Error> {
        let room = self.r.config.max_buffer.saturating_sub(self.unread());
        if room == 0 {
            return Err(self.buffer_limit());
        }
        self.compact();
        self.buf.reserve(additional.min(room));
        // Whatever is written through the returned `BufMut` is not seen here.
        self.r.hold = true;
        Ok((&mut self.buf).limit(room))
    }

    /// Reads once from `reader` straight into the buffer's free space (no intermediate
    /// copy), at most [`StreamConfig::read_size`] bytes. Returns the number of bytes read;
    /// 0 means the reader is at its end (call [`finish`](Self::finish) then).
    ///
    /// The space a read may fill is zeroed first (`std::io::Read` needs initialized memory);
    /// its size follows what the last reads returned, between 4 KiB and `read_size`, so
    /// small reads do not pay for clearing a large window.
    ///
    /// # Errors
    ///
    /// The reader's error, or an [`std::io::ErrorKind::InvalidData`] error wrapping
    /// [`ErrorKind::BufferLimit`] when the unread bytes already fill the buffer limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut input: &[u8] = &[0x93, 0x01, 0x02, 0x03];
    /// let mut dec = msgskim::StreamDecoder::new();
    /// while dec.read_from(&mut input)? > 0 {
    ///     while let Some(frame) = dec.next_frame()? {
    ///         assert_eq!(frame.len(), 4);
    ///     }
    /// }
    /// dec.finish()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn read_from<R: std::io::Read + ?Sized>(
        &mut self,
        reader: &mut R,
    ) -> std::io::Result<usize> {
        let room = self.r.config.max_buffer.saturating_sub(self.unread());
        if room == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                self.buffer_limit(),
            ));
        }
        self.compact();
        let want = self.read_window().min(room);
        let len = self.buf.len();
        self.buf.resize(len + want, 0);
        let r = reader.read(&mut self.buf[len..]);
        let n = match &r {
            Ok(n) => (*n).min(want),
            Err(_) => 0,
        };
        self.buf.truncate(len + n);
        self.note_growth();
        self.last_read = n;
        r.map(|_| n)
    }

    /// How much room one `read_from` offers: twice what the last read returned, between
    /// 4 KiB and `read_size`.
    #[cfg(feature = "std")]
    fn read_window(&self) -> usize {
        let max = self.r.config.read_size.max(1);
        self.last_read.saturating_mul(2).clamp(4096.min(max), max)
    }

    /// The next token, or the next piece of a long payload; `Ok(None)` when more input is
    /// needed (or none is left).
    ///
    /// Str, bin and ext payloads up to [`StreamConfig::chunk_threshold`] bytes come whole,
    /// borrowed from the buffer; longer ones come as [`Event::PayloadStart`], one or more
    /// [`Event::PayloadChunk`]s (each as much as has arrived) and [`Event::PayloadEnd`], so
    /// the decoder never holds more of them than one read.
    ///
    /// # Errors
    ///
    /// Everything the slice [`Tokenizer`] reports except truncation, at absolute offsets;
    /// [`ErrorKind::BufferLimit`] at the offset of a token that needs more than
    /// [`StreamConfig::max_buffer`] bytes; [`ErrorKind::InvalidUtf8`] inside a chunked str when
    /// UTF-8 checking is on.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Event, StreamDecoder, Token};
    /// let mut dec = StreamDecoder::new();
    /// dec.feed(&[0x92, 0xa3, b'a'])?;
    /// assert_eq!(dec.next_token()?, Some(Event::Token(Token::Array(2))));
    /// assert_eq!(dec.next_token()?, None);
    /// dec.feed(b"bc\xc3")?;
    /// assert_eq!(dec.next_token()?.unwrap(), Event::Token(Token::Str(msgskim::Str::new(b"abc"))));
    /// assert_eq!(dec.next_token()?, Some(Event::Token(Token::Bool(true))));
    /// assert_eq!(dec.next_token()?, None);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn next_token(&mut self) -> Result<Option<Event<'_>>, Error> {
        self.r.next_token(&self.buf)
    }

    /// Calls `f` with every event [`next_token`](Self::next_token) would return one by one
    /// until more input is needed, and with the depth after it (as [`depth`](Self::depth):
    /// 0 after a token that completes a top-level value). The fastest way to take tokens out:
    /// the tokenizer's step runs in one loop with your code, with nothing between tokens.
    /// Events borrow the buffer for as long as the decoder is borrowed, so `f` may keep them.
    ///
    /// # Errors
    ///
    /// Those of [`next_token`](Self::next_token); `f` has seen every event before the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Event, StreamDecoder, Token};
    /// let mut dec = StreamDecoder::new();
    /// let (mut names, mut values) = (Vec::new(), 0);
    /// for piece in [&b"\x92\xa1a\xa2b"[..], b"c\xa1d"] {
    ///     dec.feed(piece)?;
    ///     dec.for_each_event(|event, depth| {
    ///         if let Event::Token(Token::Str(s)) = event {
    ///             names.push(s.to_str().unwrap().to_owned());
    ///         }
    ///         if depth == 0 {
    ///             values += 1;
    ///         }
    ///     })?;
    /// }
    /// assert_eq!((names, values), (vec!["a".to_owned(), "bc".into(), "d".into()], 2));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    // Not inlined into the caller: as a function of its own, with the caller's `f` inlined
    // into it, it gets the state machine's step inlined too (one call per feed instead of
    // one per token; measured in perf-notes.md).
    #[inline(never)]
    pub fn for_each_event<'a, F>(&'a mut self, mut f: F) -> Result<(), Error>
    where
        F: FnMut(Event<'a>, usize),
    {
        let StreamDecoder { buf, r, .. } = self;
        let buf: &'a BytesMut = buf;
        r.each(buf, &mut f)
    }

    /// Feeds `chunk` and calls `f` with every event that completes, and the depth after it,
    /// as [`feed`](Self::feed) followed by [`for_each_event`](Self::for_each_event) would,
    /// but without copying `chunk` into the decoder: tokens are read where they lie in
    /// `chunk` and borrow from it. Only the bytes of a token cut short at the end of `chunk`
    /// are kept (at most one token; a payload over [`StreamConfig::chunk_threshold`] is
    /// handed out in pieces as it arrives instead), and the next call completes that token
    /// with the bytes it lacks before reading its chunk in place again.
    ///
    /// This suits a reader that fills one buffer of its own over and over (from a socket,
    /// say): events live only for the call of `f` that receives them, so the buffer can be
    /// reused as soon as this returns. Limits, offsets, depths and errors are those of the
    /// other ways of taking tokens; bytes fed earlier with [`feed`](Self::feed) are read
    /// first, and the decoder can go on with any other method afterwards.
    ///
    /// # Errors
    ///
    /// Those of [`next_token`](Self::next_token); `f` has seen every event before the error.
    /// [`ErrorKind::BufferLimit`] when the token cut at the end of `chunk` needs more than
    /// [`StreamConfig::max_buffer`] bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Event, StreamDecoder, Token};
    ///
    /// // ["ab", "cd"] and 7, arriving through one reused 4-byte buffer.
    /// let mut input: &[u8] = b"\x92\xa2ab\xa2cd\x07";
    /// let mut chunk = [0u8; 4];
    /// let mut dec = StreamDecoder::new();
    /// let (mut strs, mut values) = (Vec::new(), 0);
    /// while !input.is_empty() {
    ///     let n = input.len().min(chunk.len());
    ///     chunk[..n].copy_from_slice(&input[..n]);
    ///     input = &input[n..];
    ///     dec.feed_events(&chunk[..n], |event, depth| {
    ///         if let Event::Token(Token::Str(s)) = event {
    ///             strs.push(s.to_str().unwrap().to_owned()); // copied: `chunk` is reused
    ///         }
    ///         if depth == 0 {
    ///             values += 1;
    ///         }
    ///     })?;
    /// }
    /// dec.finish()?;
    /// assert_eq!((strs, values), (vec!["ab".to_owned(), "cd".into()], 2));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline(never)]
    pub fn feed_events<F>(&mut self, chunk: &[u8], mut f: F) -> Result<(), Error>
    where
        F: FnMut(Event<'_>, usize),
    {
        if let Some(e) = self.r.core.failed() {
            return Err(e);
        }
        let mut rest = chunk;
        // Bytes held from before come first. When a token is cut at their end, only the
        // bytes it lacks are added from `chunk` (known from its header: at most three
        // rounds), then it is read from the buffer.
        while !self.r.consumed(self.buf.len()) {
            self.r.each_outlined(&self.buf, &mut f)?;
            if self.r.consumed(self.buf.len()) {
                break;
            }
            if rest.is_empty() {
                return Ok(());
            }
            let k = self.needed().min(rest.len());
            self.compact();
            self.buf.extend_from_slice(&rest[..k]);
            self.note_growth();
            rest = &rest[k..];
        }
        // Everything held has been handed out: drop it, and read the rest of `chunk` in
        // place, as if it were the buffer (its first byte at the buffer's offset).
        self.compact();
        debug_assert!(self.buf.is_empty());
        if rest.len() > self.r.config.chunk_threshold {
            self.r.hold = true;
        }
        let result = each_event!(&mut self.r, rest, f);
        // Keep what is not handed out yet: the bytes of a token cut at the end.
        let keep = self.r.unread_from().min(rest.len());
        self.r.shift(keep);
        if result.is_ok() {
            self.buf.extend_from_slice(&rest[keep..]);
            self.note_growth();
        }
        result
    }

    /// The events [`next_token`](Self::next_token) would return one by one until more input
    /// is needed, as an iterator that borrows the decoder. Its items borrow the buffer for as
    /// long as the iterator lives, so they can be kept while more are read (collected into a
    /// `Vec`, say), and it keeps the buffer in hand between items. It ends where
    /// `next_token` would return `Ok(None)`, or after yielding an error (which the decoder
    /// keeps returning).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Event, StreamDecoder, Token};
    /// let mut dec = StreamDecoder::new();
    /// dec.feed(&[0x92, 0xa2, b'h', b'i', 0x93, 0x01])?; // ["hi", [1, ... so far
    /// let got: Vec<Event<'_>> = dec.events().collect::<Result<_, _>>()?;
    /// assert_eq!(got.len(), 4);
    /// assert_eq!(got[1], Event::Token(Token::Str(msgskim::Str::new(b"hi"))));
    ///
    /// dec.feed(&[0x02, 0x03, 0xc0])?; // 2, 3]] and then nil
    /// let mut events = dec.events();
    /// let mut values = 0;
    /// while let Some(event) = events.next() {
    ///     event?;
    ///     if events.depth() == 0 {
    ///         values += 1;
    ///     }
    /// }
    /// assert_eq!(values, 2); // the rest of the first value, and a second one
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn events(&mut self) -> Events<'_> {
        Events {
            buf: &self.buf,
            r: &mut self.r,
            done: false,
        }
    }

    /// The next complete top-level value, split off the buffer as a zero-copy [`Frame`];
    /// `Ok(None)` when more input is needed (or none is left).
    ///
    /// A value arriving over many calls is scanned once: each call continues from where
    /// the last one stopped.
    ///
    /// # Errors
    ///
    /// Everything the slice [`Tokenizer`] reports except truncation, at absolute offsets;
    /// [`ErrorKind::BufferLimit`] at the value's offset as soon as it provably needs more
    /// than [`StreamConfig::max_buffer`] bytes; [`ErrorKind::UnexpectedType`] (not lasting)
    /// when tokens of the current value have already been taken with
    /// [`next_token`](Self::next_token).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x92, 0x01])?;
    /// assert!(dec.next_frame()?.is_none());
    /// dec.feed(&[0x02, 0xc0])?;
    /// assert_eq!(&dec.next_frame()?.unwrap()[..], &[0x92, 0x01, 0x02]);
    /// assert_eq!(&dec.next_frame()?.unwrap()[..], &[0xc0]);
    /// assert!(dec.next_frame()?.is_none());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if let Some(e) = self.r.core.failed() {
            return Err(e);
        }
        match self.mode() {
            Mode::Tokens => {
                return Err(Error::new(
                    self.r.value_start,
                    ErrorKind::UnexpectedType {
                        expected: "the start of a value",
                        found: "a value partly read as tokens",
                    },
                ));
            }
            Mode::Idle => {
                let pos = self.r.core.state.pos();
                if pos > 0 {
                    self.r.core.discard(&mut self.buf, pos);
                }
            }
            Mode::Frames => {}
        }
        let r = self.r.core.next_frame(&mut self.buf);
        self.r.frames_partial = self.r.core.frame_started();
        self.r.hold = true;
        r
    }

    /// Says how the input ends, once no more will come: `Ok(())` when every byte received
    /// belongs to a complete value (values not read yet can still be taken out); otherwise
    /// the error reading on would end in. A value cut short is an [`ErrorKind::Truncated`]
    /// error at the absolute offset of the start of that top-level value, with at least how
    /// many bytes it lacks. Nothing is consumed.
    ///
    /// # Errors
    ///
    /// As described: truncation, or the error already returned, or one that reading the
    /// remaining bytes would meet.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, StreamDecoder};
    /// let mut dec = StreamDecoder::new();
    /// dec.feed(&[0xc0, 0x93, 0x01])?;
    /// assert!(dec.next_frame()?.is_some());
    /// assert!(dec.next_frame()?.is_none());
    /// let err = dec.finish().unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (1, ErrorKind::Truncated { needed: 1 }));
    ///
    /// let mut clean = StreamDecoder::new();
    /// clean.feed(&[0xc0])?;
    /// clean.finish()?;
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn finish(&self) -> Result<(), Error> {
        if let Some(e) = self.r.core.failed() {
            return Err(e);
        }
        let base = self.r.core.base();
        let value_start = match self.mode() {
            Mode::Frames => base,
            Mode::Tokens => self.r.value_start,
            Mode::Idle => base + self.r.core.state.pos() as u64,
        };
        if let Some(c) = &self.r.chunk {
            let avail = self.buf.len().saturating_sub(c.next);
            if avail < c.remaining {
                return Err(Error::new(
                    value_start,
                    ErrorKind::Truncated {
                        needed: c.remaining - avail,
                    },
                ));
            }
        }
        self.r.core.check_end(&self.buf, value_start)
    }
}

impl Reader {
    /// Calls `f` with every event available in `buf` (the decoder's buffer, or a chunk read
    /// in place with the state's positions relative to it) until more input is needed.
    #[inline(always)]
    fn each<'b, F>(&mut self, buf: &'b [u8], f: &mut F) -> Result<(), Error>
    where
        F: FnMut(Event<'b>, usize),
    {
        each_event!(self, buf, f)
    }

    /// [`each`](Self::each) as a function of its own, for the few tokens of a buffer that
    /// holds at most what a chunk left behind.
    #[inline(never)]
    fn each_outlined<F>(&mut self, buf: &[u8], f: &mut F) -> Result<(), Error>
    where
        F: FnMut(Event<'_>, usize),
    {
        self.each(buf, f)
    }

    /// Index (in the buffer the state's positions refer to) of the first byte not handed
    /// out yet; not meaningful while a frame is partly scanned.
    #[inline]
    fn unread_from(&self) -> usize {
        match &self.chunk {
            Some(c) => c.next,
            None => self.core.state.pos(),
        }
    }

    /// Whether every byte of a buffer of `len` bytes has been handed out (so that what
    /// comes next can be read from elsewhere).
    #[inline]
    fn consumed(&self, len: usize) -> bool {
        !self.frames_partial && self.unread_from() >= len
    }

    /// Moves the positions back by `n` after the first `n` bytes of the buffer they refer
    /// to were dropped (or never held); `n` must not exceed [`unread_from`](Self::unread_from).
    #[inline]
    fn shift(&mut self, n: usize) {
        self.core.shift(n);
        if let Some(c) = &mut self.chunk {
            c.next -= n;
        }
    }

    /// [`StreamDecoder::position`].
    #[inline]
    fn position(&self) -> u64 {
        let at = match &self.chunk {
            Some(c) => c.next,
            // One of the two is 0: the frame scan between values, the tokenizer while a
            // frame is scanned.
            None => self.core.state.pos() + self.core.scan.pos(),
        };
        self.core.base() + at as u64
    }

    /// [`StreamDecoder::depth`].
    #[inline]
    fn depth(&self) -> usize {
        // One of the two is 0 (see `position`).
        self.core.state.depth() + self.core.scan.depth()
    }

    /// [`StreamDecoder::next_token`] over the decoder's buffer `buf`.
    #[inline]
    fn next_token<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Event<'b>>, Error> {
        if self.hold {
            return self.next_token_slow(buf);
        }
        self.token_here(buf)
    }

    /// `next_token` when it has something other than a token to do first.
    #[cold]
    #[inline(never)]
    fn next_token_slow<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Event<'b>>, Error> {
        if let Some(e) = self.core.failed() {
            return Err(e);
        }
        if self.frames_partial {
            // Read the partly scanned frame again from its start, as tokens.
            self.core.restart(self.config.limits);
            self.frames_partial = false;
        }
        if self.chunk.is_some() {
            return self.next_piece(buf);
        }
        if buf.len() < self.core.wait_until {
            return Ok(None);
        }
        if buf.len() > self.config.chunk_threshold {
            return self.token_checked(buf);
        }
        self.hold = false;
        self.token_here(buf)
    }

    /// The token at the scan position, when nothing is pending and the buffer is no longer
    /// than the chunking threshold, so no complete token needs chunking.
    #[inline(always)]
    fn token_here<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Event<'b>>, Error> {
        let pos = self.core.state.pos();
        if self.core.state.depth() == 0 {
            self.value_start = self.core.base() + pos as u64;
        }
        match self.core.state.next_in(buf) {
            Ok(Some(tok)) => Ok(Some(Event::Token(tok))),
            Ok(None) => Ok(None),
            Err(e) => token_stopped(
                &mut self.core,
                &mut self.chunk,
                &mut self.hold,
                &self.config,
                buf,
                pos,
                e,
            ),
        }
    }

    /// The token at the scan position (not inside a chunked payload, not failed), in a
    /// buffer longer than the chunking threshold: a long payload is handed out in pieces.
    #[inline(never)]
    fn token_checked<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Event<'b>>, Error> {
        let pos = self.core.state.pos();
        if self.core.state.depth() == 0 {
            self.value_start = self.core.base() + pos as u64;
        }
        match self.core.state.next_in(buf) {
            Ok(Some(tok)) => {
                let len = match tok {
                    Token::Str(s) => s.len(),
                    Token::Bin(b) => b.len(),
                    Token::Ext(e) => e.data.len(),
                    _ => 0,
                };
                if len > self.config.chunk_threshold {
                    let kind = match tok {
                        Token::Str(_) => PayloadKind::Str,
                        Token::Ext(e) => PayloadKind::Ext(e.ty),
                        _ => PayloadKind::Bin,
                    };
                    self.chunk = Some(Chunk {
                        next: self.core.state.pos() - len,
                        remaining: len,
                        // Already checked whole by the state machine.
                        utf8: None,
                    });
                    self.hold = true;
                    return Ok(Some(Event::PayloadStart { kind, len }));
                }
                Ok(Some(Event::Token(tok)))
            }
            Ok(None) => Ok(None),
            Err(e) => token_stopped(
                &mut self.core,
                &mut self.chunk,
                &mut self.hold,
                &self.config,
                buf,
                pos,
                e,
            ),
        }
    }

    fn next_piece<'b>(&mut self, buf: &'b [u8]) -> Result<Option<Event<'b>>, Error> {
        let Some(c) = self.chunk.as_mut() else {
            return Ok(None);
        };
        let base = self.core.base();
        if c.remaining == 0 {
            if let Some(Err(at)) = c.utf8.as_ref().map(Utf8Pieces::finish) {
                return Err(self.core.fail(Error::new(at, ErrorKind::InvalidUtf8)));
            }
            self.chunk = None;
            return Ok(Some(Event::PayloadEnd));
        }
        let avail = buf.len().saturating_sub(c.next);
        if avail == 0 {
            return Ok(None);
        }
        let k = avail.min(c.remaining);
        let piece = &buf[c.next..c.next + k];
        if let Some(u) = c.utf8.as_mut() {
            if let Err(at) = u.check(piece, base + c.next as u64) {
                return Err(self.core.fail(Error::new(at, ErrorKind::InvalidUtf8)));
            }
        }
        c.next += k;
        c.remaining -= k;
        Ok(Some(Event::PayloadChunk(piece)))
    }
}

/// The events a [`StreamDecoder`] can hand out now: see [`StreamDecoder::events`].
///
/// # Examples
///
/// ```
/// let mut dec = msgskim::StreamDecoder::new();
/// dec.feed(&[0x91, 0xc0, 0x91])?;
/// let mut events = dec.events();
/// assert!(events.next().is_some());
/// assert_eq!((events.depth(), events.position()), (1, 1));
/// assert_eq!(events.count(), 2); // nil, then the second array's header
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Debug)]
pub struct Events<'a> {
    buf: &'a [u8],
    r: &'a mut Reader,
    done: bool,
}

impl Events<'_> {
    /// As [`StreamDecoder::depth`], after the last event yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0x91, 0x01])?;
    /// let mut events = dec.events();
    /// events.next();
    /// assert_eq!(events.depth(), 1);
    /// events.next();
    /// assert_eq!(events.depth(), 0);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn depth(&self) -> usize {
        self.r.depth()
    }

    /// As [`StreamDecoder::position`], after the last event yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut dec = msgskim::StreamDecoder::new();
    /// dec.feed(&[0xcd, 0x01, 0x00])?;
    /// let mut events = dec.events();
    /// events.next();
    /// assert_eq!(events.position(), 3);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn position(&self) -> u64 {
        self.r.position()
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.r.next_token(self.buf) {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Events<'_> {}

/// The state machine stopped at the token at `buf[pos]` in token mode: a long payload to
/// hand out in pieces, more input to wait for, or a final error.
#[cold]
#[inline(never)]
fn token_stopped(
    core: &mut Core,
    chunk: &mut Option<Chunk>,
    hold: &mut bool,
    config: &StreamConfig,
    buf: &[u8],
    pos: usize,
    e: Error,
) -> Result<Option<Event<'static>>, Error> {
    *hold = true;
    let threshold = config.chunk_threshold;
    if let ErrorKind::Truncated { needed } = e.kind() {
        if buf.len().saturating_sub(pos).saturating_add(needed) > threshold {
            match core.state.take_long_payload(buf, threshold) {
                Ok(Some(lp)) => {
                    let kind = match lp.head {
                        Head::Str(_) => PayloadKind::Str,
                        Head::Ext { ty, .. } => PayloadKind::Ext(ty),
                        _ => PayloadKind::Bin,
                    };
                    let check = kind == PayloadKind::Str && config.limits.check_utf8;
                    *chunk = Some(Chunk {
                        next: lp.start,
                        remaining: lp.len,
                        utf8: check.then(Utf8Pieces::default),
                    });
                    core.wait_until = 0;
                    return Ok(Some(Event::PayloadStart { kind, len: lp.len }));
                }
                Ok(None) => {}
                Err(e) => {
                    core.stop(buf.len(), pos, e)?;
                    return Ok(None);
                }
            }
        }
    }
    core.stop(buf.len(), pos, e)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen;

    /// Bytes the state machine read while `pieces` were fed and everything was taken out.
    /// How `examined` takes values out.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Take {
        Frames,
        NextToken,
        ForEach,
        FeedEvents,
    }

    fn examined(pieces: &[&[u8]], take: Take, chunk_threshold: usize) -> u64 {
        let config = StreamConfig {
            chunk_threshold,
            ..StreamConfig::default()
        };
        let mut dec = StreamDecoder::with_config(config);
        let (mut values, mut events) = (0, 0);
        for p in pieces {
            if take == Take::FeedEvents {
                dec.feed_events(p, |_, _| events += 1).unwrap();
                continue;
            }
            dec.feed(p).unwrap();
            match take {
                Take::NextToken => {
                    while dec.next_token().unwrap().is_some() {
                        events += 1;
                    }
                }
                Take::ForEach => dec.for_each_event(|_, _| events += 1).unwrap(),
                Take::FeedEvents => unreachable!(),
                Take::Frames => {
                    while dec.next_frame().unwrap().is_some() {
                        values += 1;
                    }
                }
            }
        }
        dec.finish().unwrap();
        assert!(values > 0 || events > 0);
        dec.r.core.state.examined + dec.r.core.scan.examined
    }

    #[test]
    fn total_work_is_linear_under_one_byte_feeding() {
        let mut w = crate::write::Writer::new(alloc::vec::Vec::new());
        w.array_len(3).unwrap();
        w.bin(&[1u8; 200_000]).unwrap();
        w.str_bytes(&[b'a'; 70_000]).unwrap();
        w.ext(4, &[2u8; 100_000]).unwrap();
        let blobs = w.into_inner();
        for data in [
            gen::listing_of_size(1, 200_000),
            gen::messages(2, 40),
            gen::numeric(3, 20),
            blobs,
        ] {
            let whole = examined(&[&data[..]], Take::Frames, usize::MAX);
            // Headers alone: a whole-buffer pass reads at most every byte once.
            assert!(whole <= data.len() as u64);
            let bytes: alloc::vec::Vec<&[u8]> = data.chunks(1).collect();
            for (take, threshold) in [
                (Take::Frames, usize::MAX),
                (Take::NextToken, usize::MAX),
                (Take::NextToken, 64),
                (Take::ForEach, usize::MAX),
                (Take::ForEach, 64),
                (Take::FeedEvents, usize::MAX),
                (Take::FeedEvents, 64),
            ] {
                let one = examined(&bytes, take, threshold);
                // A token cut short is looked at when its lead byte arrives, when its header
                // is complete and when its payload is: at most three header reads per token.
                assert!(
                    one <= 3 * whole,
                    "{} bytes, {take:?}: {one} examined one byte at a time, {whole} whole",
                    data.len()
                );
            }
        }
    }

    #[test]
    fn utf8_pieces_agree_with_whole_validation() {
        let text = "aé€😀z".as_bytes();
        let mut bad = text.to_vec();
        bad[4] = 0x41; // inside '€'
        for s in [text, &bad[..], &text[..text.len() - 3], b"\xed\xa0\x80x"] {
            let whole = core::str::from_utf8(s).map_err(|e| e.valid_up_to() as u64);
            for i in 0..=s.len() {
                for j in i..=s.len() {
                    let mut u = Utf8Pieces::default();
                    let got = u
                        .check(&s[..i], 0)
                        .and_then(|()| u.check(&s[i..j], i as u64))
                        .and_then(|()| u.check(&s[j..], j as u64))
                        .and_then(|()| u.finish());
                    assert_eq!(got, whole.map(|_| ()), "{s:x?} cut at {i}, {j}");
                }
            }
        }
    }
}
