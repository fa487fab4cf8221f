//! The gather output: [`Gather`], its pieces ([`Chunks`]), its [`bytes::Buf`] view
//! ([`GatherBuf`]), and the borrowing methods of a [`Writer`] over it.

use alloc::vec::Vec;
use core::borrow::BorrowMut;

use bytes::{Buf, Bytes};

use super::{count_values, PatchSink, Sink, Writer, BIN, HEAD_MAX, STR};
use crate::error::{Error, ErrorKind};
use crate::raw::RawValue;

/// A referenced payload: borrowed for the gather's lifetime, or shared.
#[derive(Clone, Debug)]
enum Payload<'a> {
    Borrowed(&'a [u8]),
    Shared(Bytes),
}

impl Payload<'_> {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(b) => b,
            Payload::Shared(b) => b,
        }
    }
}

/// One referenced payload and where it goes in the stream.
#[derive(Clone, Debug)]
struct Part<'a> {
    /// The index in the owned buffer before which the payload goes.
    at: usize,
    /// The referenced bytes in this part and all before it.
    ext_end: usize,
    data: Payload<'a>,
}

/// The writer's output as owned bytes (headers and small values) with large payloads
/// referenced in between: the same byte stream as the `Vec<u8>` writer makes, in pieces, for
/// vectored writes (feature `alloc`; the `std::io` parts need `std`).
///
/// A [`Writer`] over a `Gather` writes every value as over any other sink, copying it into
/// the owned buffer (the [`Sink`] methods cannot keep a borrow). The `*_ref` methods
/// ([`Writer::bin_ref`], [`Writer::str_ref`], [`Writer::ext_ref`], [`Writer::raw_ref`],
/// [`Writer::raw_value_ref`], [`Writer::payload_ref`]) take a payload borrowed for the
/// gather's lifetime `'a`, and the `*_shared` methods ([`Writer::bin_shared`] and so on) a
/// [`bytes::Bytes`]: for those the header goes into the owned buffer and the payload is only
/// referenced, if it is at least [`Gather::threshold`] bytes long (shorter ones are copied,
/// since a separate piece costs more than a short copy). They work on `Writer<Gather<'a>>` and
/// `Writer<&mut Gather<'a>>` alike, with the same element counting as the copying methods.
///
/// Hand the output to the operating system with [`Gather::write_to`] (vectored writes), to
/// tokio or anything else that takes a [`bytes::Buf`] with [`Gather::cursor`], walk it with
/// [`Gather::chunks`], or flatten it with [`Gather::to_vec`] (which makes the copy the gather
/// avoids: a caller who needs one contiguous buffer gains nothing). [`Gather::clear`] empties
/// it for the next output and keeps its buffers.
///
/// It is a [`PatchSink`], so containers of unknown length work: their headers are always in
/// the owned buffer (a header is never referenced), positions count the referenced bytes
/// too, and closing a [`Deferred::Compact`](super::Deferred::Compact) container moves only
/// the owned bytes after its header, never a referenced payload.
///
/// # Examples
///
/// ```
/// use msgskim::write::{Gather, Writer};
///
/// let audio = vec![7u8; 4096];
/// let mut out = Gather::new();
/// let mut w = Writer::new(&mut out);
/// w.map_len(1)?;
/// w.str("audio")?;
/// w.bin_ref(&audio)?; // referenced, not copied
/// w.finish()?;
///
/// let mut sent = Vec::new(); // a socket, say
/// out.write_to(&mut sent)?;
/// assert_eq!(sent.len(), out.len());
/// assert_eq!(&sent[..10], &[0x81, 0xa5, b'a', b'u', b'd', b'i', b'o', 0xc5, 0x10, 0x00]);
/// # Ok::<(), msgskim::Error>(())
/// ```
///
/// Containers of unknown length, and the pieces:
///
/// ```
/// use msgskim::write::{Deferred, Gather, Writer};
///
/// let frames: Vec<Vec<u8>> = vec![vec![1; 1000], vec![2; 3], vec![3; 2000]];
/// let mut w = Writer::new(Gather::new());
/// w.array_with(Deferred::Compact, |w| frames.iter().try_for_each(|f| w.bin_ref(f)))?;
/// let out = w.finish()?;
///
/// // The same bytes as the Vec writer, with two payloads referenced.
/// let mut v = Writer::new(Vec::new());
/// v.array_with(Deferred::Compact, |w| frames.iter().try_for_each(|f| w.bin(f)))?;
/// assert_eq!(out.to_vec(), v.finish()?);
/// assert_eq!(out.referenced(), 2);
/// assert_eq!(out.chunks().count(), 4); // header, frame, header + small frame + header, frame
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Gather<'a> {
    buf: Vec<u8>,
    parts: Vec<Part<'a>>,
    /// The referenced bytes: `parts.last().ext_end`, or 0.
    ext: usize,
    threshold: usize,
}

impl Default for Gather<'_> {
    /// The same as [`Gather::new`].
    fn default() -> Self {
        Gather::new()
    }
}

/// How many slices [`Gather::write_to`] hands the writer at once.
#[cfg(feature = "std")]
const IO_WINDOW: usize = 128;

impl<'a> Gather<'a> {
    /// The default [`Gather::threshold`]: payloads shorter than this many bytes are copied.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::Gather;
    /// assert_eq!(Gather::new().threshold(), Gather::DEFAULT_THRESHOLD);
    /// ```
    pub const DEFAULT_THRESHOLD: usize = 256;

    /// An empty gather with the default threshold. Nothing is allocated until something is
    /// written.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = msgskim::write::Gather::new();
    /// assert!(g.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Gather::with_threshold(Self::DEFAULT_THRESHOLD)
    }

    /// An empty gather that references payloads of at least `threshold` bytes and copies
    /// shorter ones: `0` references every non-empty payload passed to a borrowing method,
    /// `usize::MAX` none.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut g = Gather::with_threshold(0);
    /// Writer::new(&mut g).bin_ref(b"xy")?;
    /// assert_eq!(g.referenced(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn with_threshold(threshold: usize) -> Self {
        Gather {
            buf: Vec::new(),
            parts: Vec::new(),
            ext: 0,
            threshold,
        }
    }

    /// The shortest payload that is referenced rather than copied (an empty one never is).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::write::Gather::with_threshold(64).threshold(), 64);
    /// ```
    #[must_use]
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Changes the threshold for the payloads written from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = msgskim::write::Gather::new();
    /// g.set_threshold(1024);
    /// assert_eq!(g.threshold(), 1024);
    /// ```
    pub fn set_threshold(&mut self, threshold: usize) {
        self.threshold = threshold;
    }

    /// The length of the byte stream: owned and referenced bytes together.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [0u8; 1000];
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bin_ref(&data)?;
    /// assert_eq!(g.len(), 3 + 1000);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        // Both parts are at most `isize::MAX` (see `push_part`): no overflow.
        self.buf.len() + self.ext
    }

    /// Whether nothing was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut g = Gather::new();
    /// assert!(g.is_empty());
    /// Writer::new(&mut g).nil()?;
    /// assert!(!g.is_empty());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of bytes held in the owned buffer (the rest is referenced).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [0u8; 1000];
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bin_ref(&data)?;
    /// assert_eq!(g.owned_len(), 3);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn owned_len(&self) -> usize {
        self.buf.len()
    }

    /// The number of payloads referenced rather than copied.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let (big, small) = ([1u8; 600], [2u8; 6]);
    /// let mut g = Gather::new();
    /// let mut w = Writer::new(&mut g);
    /// w.bin_ref(&big)?;
    /// w.bin_ref(&small)?; // under the threshold: copied
    /// assert_eq!(g.referenced(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn referenced(&self) -> usize {
        self.parts.len()
    }

    /// Empties the gather, keeping its allocations for the next output (the threshold stays).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).str("first")?;
    /// g.clear();
    /// Writer::new(&mut g).str("second")?;
    /// assert_eq!(g.to_vec(), b"\xa6second");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.buf.clear();
        self.parts.clear();
        self.ext = 0;
    }

    /// The stream's pieces in order, owned and referenced, leaving out empty ones.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [9u8; 700];
    /// let mut g = Gather::new();
    /// let mut w = Writer::new(&mut g);
    /// w.bin_ref(&data)?;
    /// w.nil()?;
    /// let pieces: Vec<&[u8]> = g.chunks().collect();
    /// assert_eq!(pieces, [&[0xc5, 0x02, 0xbc][..], &data[..], &[0xc0][..]]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn chunks(&self) -> Chunks<'_, 'a> {
        Chunks { gather: self, i: 0 }
    }

    /// Appends the whole stream to `out` (one copy of every piece).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bool(true)?;
    /// let mut out = vec![0x91];
    /// g.extend_into(&mut out);
    /// assert_eq!(out, [0x91, 0xc3]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn extend_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.len());
        for c in self.chunks() {
            out.extend_from_slice(c);
        }
    }

    /// The whole stream in one new `Vec<u8>`: what the `Vec` writer would have written.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut g = Gather::with_threshold(0);
    /// Writer::new(&mut g).str_ref("hi")?;
    /// assert_eq!(g.to_vec(), [0xa2, b'h', b'i']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.extend_into(&mut out);
        out
    }

    /// A [`bytes::Buf`] over the whole stream, from its start: for
    /// `tokio::io::AsyncWriteExt::write_all_buf` and anything else that takes a `Buf`. Its
    /// `chunks_vectored` hands out many pieces at once (feature `std`).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Buf;
    /// use msgskim::write::{Gather, Writer};
    /// let data = [5u8; 600];
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bin_ref(&data)?;
    /// let mut cur = g.cursor();
    /// assert_eq!(cur.remaining(), 603);
    /// assert_eq!(cur.chunk(), [0xc5, 0x02, 0x58]);
    /// cur.advance(4);
    /// assert_eq!(cur.chunk().len(), 599);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn cursor(&self) -> GatherBuf<'_, 'a> {
        let mut c = GatherBuf {
            gather: self,
            i: 0,
            off: 0,
            left: self.len(),
        };
        c.settle();
        c
    }

    /// The stream's pieces as [`std::io::IoSlice`]s, for a `write_vectored` of one's own
    /// (feature `std`). [`Gather::write_to`] does the loop that a vectored write needs.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [1u8; 800];
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bin_ref(&data)?;
    /// let slices = g.io_slices();
    /// assert_eq!(slices.len(), 2);
    /// assert_eq!(slices[1].len(), 800);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[must_use]
    pub fn io_slices(&self) -> Vec<std::io::IoSlice<'_>> {
        self.chunks().map(std::io::IoSlice::new).collect()
    }

    /// Writes the whole stream to `w` with vectored writes (up to 128 pieces a call), going
    /// on after partial writes and [`std::io::ErrorKind::Interrupted`] until all of it is
    /// written (feature `std`). Give it the socket or file itself: buffering the pieces in a
    /// `BufWriter` would copy them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] with the writer's error kind and the offset of the first byte not
    /// written: any error but `Interrupted`; [`std::io::ErrorKind::WriteZero`] when the writer
    /// accepts nothing; [`std::io::ErrorKind::InvalidData`] when it claims to have written
    /// more than it was given.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [3u8; 1000];
    /// let mut g = Gather::new();
    /// let mut w = Writer::new(&mut g);
    /// w.array_len(2)?;
    /// w.bin_ref(&data)?;
    /// w.str("end")?;
    /// let mut out = std::io::Cursor::new(Vec::new());
    /// g.write_to(&mut out)?;
    /// assert_eq!(out.into_inner(), g.to_vec());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn write_to<W: std::io::Write + ?Sized>(&self, w: &mut W) -> Result<(), Error> {
        use std::io::{ErrorKind as Io, IoSlice};
        let mut cur = self.cursor();
        let mut window = [IoSlice::new(&[]); IO_WINDOW];
        while cur.left > 0 {
            let n = cur.fill_io(&mut window);
            let offered: usize = window[..n].iter().map(|s| s.len()).sum();
            let fail = |kind| Error::new((self.len() - cur.left) as u64, ErrorKind::Io(kind));
            match w.write_vectored(&window[..n]) {
                Ok(0) => return Err(fail(Io::WriteZero)),
                Ok(k) if k > offered => return Err(fail(Io::InvalidData)),
                Ok(k) => cur.advance(k),
                Err(e) if e.kind() == Io::Interrupted => {}
                Err(e) => return Err(fail(e.kind())),
            }
        }
        Ok(())
    }

    /// The number of pieces, empty ones included: an owned run before each referenced
    /// payload, the payloads, and the owned run after the last one.
    #[inline]
    fn piece_count(&self) -> usize {
        2 * self.parts.len() + 1
    }

    /// Piece `i` (`i < piece_count()`): even pieces are owned runs, odd ones payloads.
    #[inline]
    fn piece(&self, i: usize) -> &[u8] {
        let k = i / 2;
        if i % 2 == 1 {
            return self.parts.get(k).map_or(&[][..], |p| p.data.as_slice());
        }
        let start = match k.checked_sub(1) {
            Some(prev) => self.parts.get(prev).map_or(0, |p| p.at),
            None => 0,
        };
        let end = self.parts.get(k).map_or(self.buf.len(), |p| p.at);
        self.buf.get(start..end).unwrap_or(&[])
    }

    /// Writes `head[..head_len]` and then `body`: referenced if it is at least the threshold
    /// long and not empty, otherwise copied.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferFull`] if the stream would grow past `isize::MAX` bytes (only
    /// possible by referencing the same payloads over and over); then nothing is written.
    #[inline]
    fn push_part(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: Payload<'a>,
    ) -> Result<(), Error> {
        let head_len = head_len.min(HEAD_MAX);
        let n = body.as_slice().len();
        if n < self.threshold || n == 0 {
            return self.buf.put_value(head, head_len, body.as_slice());
        }
        // Keep the whole stream within `isize::MAX`, so that `len()` cannot overflow and the
        // stream can be flattened into one `Vec`.
        let total = self
            .len()
            .checked_add(head_len)
            .and_then(|t| t.checked_add(n));
        if total.map_or(true, |t| t > isize::MAX as usize) {
            return Err(Error::new(self.len() as u64, ErrorKind::BufferFull));
        }
        self.buf.extend_from_slice(&head[..head_len]);
        self.ext += n;
        self.parts.push(Part {
            at: self.buf.len(),
            ext_end: self.ext,
            data: body,
        });
        Ok(())
    }

    /// The owned-buffer index of stream position `pos`, and the index of the first part after
    /// it; `None` if `pos..pos + len` is not a run of owned bytes.
    fn owned_range(&self, pos: usize, len: usize) -> Option<(usize, usize)> {
        // Parts that end at or before `pos` come before it.
        let k = self.parts.partition_point(|p| p.at + p.ext_end <= pos);
        let before = k.checked_sub(1).map_or(0, |j| self.parts[j].ext_end);
        let own = pos.checked_sub(before)?;
        let end = own.checked_add(len)?;
        // The next payload goes in at or after the range's end (one at `own` itself would put
        // `pos` inside that payload).
        let next_at = self.parts.get(k).map_or(self.buf.len(), |p| p.at);
        (end <= next_at && end <= self.buf.len()).then_some((own, k))
    }
}

impl Sink for Gather<'_> {
    // Everything written through the sink is owned: the `Vec` sink's own code.

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.buf.put(bytes)
    }

    #[inline]
    fn put_u8(&mut self, byte: u8) -> Result<(), Error> {
        self.buf.put_u8(byte)
    }

    #[inline(always)]
    fn put_head(&mut self, head: &[u8; HEAD_MAX], head_len: usize) -> Result<(), Error> {
        self.buf.put_head(head, head_len)
    }

    #[inline(always)]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        self.buf.put_value(head, head_len, body)
    }

    /// The stream position: owned and referenced bytes so far.
    #[inline]
    fn position(&self) -> u64 {
        self.len() as u64
    }
}

/// Patching works on the owned bytes, at stream positions (referenced bytes counted).
impl PatchSink for Gather<'_> {
    /// # Panics
    ///
    /// If `pos..pos + bytes.len()` is not a run of written owned bytes (the writer only
    /// patches its container headers, which always are).
    fn patch(&mut self, pos: usize, bytes: &[u8]) {
        let Some((own, _)) = self.owned_range(pos, bytes.len()) else {
            panic!("patch of {} bytes at {pos}: not owned bytes", bytes.len());
        };
        self.buf[own..own + bytes.len()].copy_from_slice(bytes);
    }

    /// # Panics
    ///
    /// If `pos..pos + gap` is not a run of written owned bytes.
    fn close_gap(&mut self, pos: usize, gap: usize) {
        let Some((own, k)) = self.owned_range(pos, gap) else {
            panic!("gap of {gap} bytes at {pos}: not owned bytes");
        };
        let len = self.buf.len();
        self.buf.copy_within(own + gap..len, own);
        self.buf.truncate(len - gap);
        for p in &mut self.parts[k..] {
            p.at -= gap;
        }
    }
}

/// The pieces of a [`Gather`] in order, empty ones left out: [`Gather::chunks`].
///
/// # Examples
///
/// ```
/// use msgskim::write::{Gather, Writer};
/// let mut g = Gather::new();
/// Writer::new(&mut g).uint(1)?;
/// assert_eq!(g.chunks().collect::<Vec<_>>(), [&[1u8][..]]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Chunks<'g, 'a> {
    gather: &'g Gather<'a>,
    i: usize,
}

impl<'g> Iterator for Chunks<'g, '_> {
    type Item = &'g [u8];

    fn next(&mut self) -> Option<&'g [u8]> {
        while self.i < self.gather.piece_count() {
            let c = self.gather.piece(self.i);
            self.i += 1;
            if !c.is_empty() {
                return Some(c);
            }
        }
        None
    }
}

/// A [`bytes::Buf`] over a [`Gather`]'s stream: [`Gather::cursor`].
///
/// `advance` past the end stops at the end (no panic).
///
/// # Examples
///
/// ```
/// use bytes::Buf;
/// use msgskim::write::{Gather, Writer};
/// let data = [8u8; 1000];
/// let mut g = Gather::new();
/// let mut w = Writer::new(&mut g);
/// w.array_len(2)?;
/// w.bin_ref(&data)?;
/// w.nil()?;
/// let mut cur = g.cursor();
/// let mut out = Vec::new();
/// while cur.has_remaining() {
///     let n = cur.chunk().len().min(100);
///     out.extend_from_slice(&cur.chunk()[..n]);
///     cur.advance(n);
/// }
/// assert_eq!(out, g.to_vec());
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GatherBuf<'g, 'a> {
    gather: &'g Gather<'a>,
    /// The current piece, always a non-empty one while bytes are left.
    i: usize,
    /// The offset in it.
    off: usize,
    /// Bytes left in the stream.
    left: usize,
}

impl<'g> GatherBuf<'g, '_> {
    /// Moves past finished and empty pieces.
    #[inline]
    fn settle(&mut self) {
        while self.i < self.gather.piece_count() && self.off >= self.gather.piece(self.i).len() {
            self.i += 1;
            self.off = 0;
        }
    }

    /// Fills `dst` with the pieces from the current position on; returns how many.
    #[cfg(feature = "std")]
    fn fill_io<'s>(&self, dst: &mut [std::io::IoSlice<'s>]) -> usize
    where
        'g: 's,
    {
        let g: &'g Gather<'_> = self.gather;
        let (mut i, mut off, mut n) = (self.i, self.off, 0);
        while n < dst.len() && i < g.piece_count() {
            let piece = g.piece(i).get(off..).unwrap_or(&[]);
            if !piece.is_empty() {
                dst[n] = std::io::IoSlice::new(piece);
                n += 1;
            }
            i += 1;
            off = 0;
        }
        n
    }
}

impl Buf for GatherBuf<'_, '_> {
    #[inline]
    fn remaining(&self) -> usize {
        self.left
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        if self.left == 0 {
            return &[];
        }
        self.gather.piece(self.i).get(self.off..).unwrap_or(&[])
    }

    fn advance(&mut self, cnt: usize) {
        let mut cnt = cnt.min(self.left);
        self.left -= cnt;
        while cnt > 0 && self.i < self.gather.piece_count() {
            let rest = self.gather.piece(self.i).len().saturating_sub(self.off);
            if cnt < rest {
                self.off += cnt;
                break;
            }
            cnt -= rest;
            self.i += 1;
            self.off = 0;
        }
        self.settle();
    }

    #[cfg(feature = "std")]
    fn chunks_vectored<'s>(&'s self, dst: &mut [std::io::IoSlice<'s>]) -> usize {
        self.fill_io(dst)
    }

    /// A run of bytes within one shared payload (written with a `*_shared` method) comes
    /// out as a slice of that [`Bytes`], without a copy; any other run is copied.
    ///
    /// # Panics
    ///
    /// If `len` is more than [`Buf::remaining`], as for every `Buf`.
    fn copy_to_bytes(&mut self, len: usize) -> Bytes {
        if self.i % 2 == 1 {
            if let Some(Part {
                data: Payload::Shared(b),
                ..
            }) = self.gather.parts.get(self.i / 2)
            {
                if len <= b.len().saturating_sub(self.off) {
                    let out = b.slice(self.off..self.off + len);
                    self.advance(len);
                    return out;
                }
            }
        }
        assert!(
            len <= self.left,
            "copy_to_bytes of {len} bytes with {} left",
            self.left
        );
        let mut out = bytes::BytesMut::with_capacity(len);
        while out.len() < len {
            let c = self.chunk();
            let k = c.len().min(len - out.len());
            if k == 0 {
                break; // cannot happen: `len <= left`, and a cursor with bytes left has a chunk
            }
            out.extend_from_slice(&c[..k]);
            self.advance(k);
        }
        out.freeze()
    }
}

/// The borrowing methods of a writer over a [`Gather`] (or `&mut Gather`): payloads of at
/// least [`Gather::threshold`] bytes are referenced, not copied; the header logic and the
/// element counting are the same as for [`Writer::bin`] and its siblings.
impl<'a, G: Sink + BorrowMut<Gather<'a>>> Writer<G> {
    #[inline]
    fn emit_part(
        &mut self,
        head: [u8; HEAD_MAX],
        head_len: usize,
        body: Payload<'a>,
    ) -> Result<(), Error> {
        self.sink.borrow_mut().push_part(&head, head_len, body)
    }

    fn bin_part(&mut self, body: Payload<'a>) -> Result<(), Error> {
        let len = self.checked_len(body.as_slice().len())?;
        self.tick();
        let (h, n) = Self::len_head(len, BIN);
        self.emit_part(h, n, body)
    }

    fn str_part(&mut self, body: Payload<'a>) -> Result<(), Error> {
        let len = self.checked_len(body.as_slice().len())?;
        self.tick();
        let (h, n) = Self::len_head(len, STR);
        self.emit_part(h, n, body)
    }

    fn ext_part(&mut self, ty: i8, body: Payload<'a>) -> Result<(), Error> {
        let len = self.checked_len(body.as_slice().len())?;
        self.tick();
        let (h, n) = Self::ext_head(ty, len);
        self.emit_part(h, n, body)
    }

    fn raw_part(&mut self, body: Payload<'a>) -> Result<(), Error> {
        let n = count_values(body.as_slice())?;
        self.ticks(n);
        self.emit_part([0; HEAD_MAX], 0, body)
    }

    /// Writes a bin whose payload is referenced, not copied (copied if shorter than the
    /// threshold): the same bytes as [`Writer::bin`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LengthLimit`] past 4 GiB; [`ErrorKind::BufferFull`] if the stream would
    /// pass `isize::MAX` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let audio = vec![0u8; 64 * 1024];
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).bin_ref(&audio)?;
    /// assert_eq!((g.len(), g.owned_len()), (5 + 65536, 5));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn bin_ref(&mut self, v: &'a [u8]) -> Result<(), Error> {
        self.bin_part(Payload::Borrowed(v))
    }

    /// Writes a bin whose payload is a shared [`Bytes`], kept (a reference count) rather than
    /// copied when it is at least the threshold long: the same bytes as [`Writer::bin`].
    ///
    /// # Errors
    ///
    /// As [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let frame = bytes::Bytes::from(vec![1u8; 1000]);
    /// let mut w = Writer::new(Gather::new());
    /// w.bin_shared(frame.clone())?;
    /// assert_eq!(w.get_ref().chunks().nth(1), Some(&frame[..]));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn bin_shared(&mut self, v: Bytes) -> Result<(), Error> {
        self.bin_part(Payload::Shared(v))
    }

    /// Writes a str whose bytes are referenced, not copied: the same bytes as
    /// [`Writer::str`].
    ///
    /// # Errors
    ///
    /// As [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let text = "x".repeat(600);
    /// let mut g = Gather::new();
    /// Writer::new(&mut g).str_ref(&text)?;
    /// assert_eq!(g.owned_len(), 3); // str 16 header
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn str_ref(&mut self, v: &'a str) -> Result<(), Error> {
        self.str_part(Payload::Borrowed(v.as_bytes()))
    }

    /// Writes a str from shared bytes, which (as for [`Writer::str_bytes`]) need not be
    /// UTF-8.
    ///
    /// # Errors
    ///
    /// As [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut w = Writer::new(Gather::with_threshold(0));
    /// w.str_shared(bytes::Bytes::from_static(b"ok"))?;
    /// assert_eq!(w.into_inner().to_vec(), [0xa2, b'o', b'k']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn str_shared(&mut self, v: Bytes) -> Result<(), Error> {
        self.str_part(Payload::Shared(v))
    }

    /// Writes an ext whose data is referenced, not copied: the same bytes as
    /// [`Writer::ext`].
    ///
    /// # Errors
    ///
    /// As [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let data = [4u8; 16];
    /// let mut g = Gather::with_threshold(16);
    /// Writer::new(&mut g).ext_ref(9, &data)?;
    /// assert_eq!(g.chunks().next(), Some(&[0xd8, 9][..])); // fixext 16
    /// assert_eq!(g.referenced(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn ext_ref(&mut self, ty: i8, data: &'a [u8]) -> Result<(), Error> {
        self.ext_part(ty, Payload::Borrowed(data))
    }

    /// Writes an ext whose data is a shared [`Bytes`].
    ///
    /// # Errors
    ///
    /// As [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut w = Writer::new(Gather::new());
    /// w.ext_shared(3, bytes::Bytes::from_static(&[1, 2]))?;
    /// assert_eq!(w.into_inner().to_vec(), [0xd5, 3, 1, 2]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn ext_shared(&mut self, ty: i8, data: Bytes) -> Result<(), Error> {
        self.ext_part(ty, Payload::Shared(data))
    }

    /// Splices bytes that already are MessagePack (one or more complete values), referenced
    /// rather than copied: as [`Writer::raw`], which walks them once to count the values and
    /// check that they are complete.
    ///
    /// # Errors
    ///
    /// Whatever [`crate::skip_value`] finds, with the offset within `msgpack` (then nothing
    /// is written); [`ErrorKind::BufferFull`] as for [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let cached = msgskim::msgpack!([1, 2, 3])?;
    /// let mut g = Gather::with_threshold(0);
    /// let mut w = Writer::new(&mut g);
    /// w.array_len(2)?;
    /// w.raw_ref(&cached)?;
    /// w.nil()?;
    /// w.finish()?;
    /// assert_eq!(g.to_vec(), [0x92, 0x93, 1, 2, 3, 0xc0]);
    /// assert!(Writer::new(Gather::new()).raw_ref(&[0x92]).is_err());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn raw_ref(&mut self, msgpack: &'a [u8]) -> Result<(), Error> {
        self.raw_part(Payload::Borrowed(msgpack))
    }

    /// Splices shared bytes that already are MessagePack, as [`Writer::raw_ref`].
    ///
    /// # Errors
    ///
    /// As [`Writer::raw_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut w = Writer::new(Gather::new());
    /// w.raw_shared(bytes::Bytes::from_static(&[0xc3, 0xc2]))?;
    /// assert_eq!(w.finish()?.to_vec(), [0xc3, 0xc2]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn raw_shared(&mut self, msgpack: Bytes) -> Result<(), Error> {
        self.raw_part(Payload::Shared(msgpack))
    }

    /// Splices a [`RawValue`] (one complete value, not walked again), referenced rather than
    /// copied: as [`Writer::raw_value`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferFull`] as for [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{write::{Gather, Writer}, RawValue};
    /// let doc = RawValue::new(b"\x81\xa4tags\x92\xa1x\xa1y")?;
    /// let mut g = Gather::with_threshold(0);
    /// let mut w = Writer::new(&mut g);
    /// w.map_len(1)?;
    /// w.str("t")?;
    /// w.raw_value_ref(doc.get("tags").unwrap())?;
    /// w.finish()?;
    /// assert_eq!(g.to_vec(), b"\x81\xa1t\x92\xa1x\xa1y");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn raw_value_ref(&mut self, value: RawValue<'a>) -> Result<(), Error> {
        self.tick();
        self.emit_part([0; HEAD_MAX], 0, Payload::Borrowed(value.as_bytes()))
    }

    /// Writes bytes of the str, bin or ext whose header was just written (with
    /// [`Writer::str_len`], [`Writer::bin_len`] or [`Writer::ext_len`]), referenced rather
    /// than copied: as [`Writer::payload`], not counted as a value and not checked against
    /// the declared length.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferFull`] as for [`Writer::bin_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let (a, b) = ([1u8; 700], [2u8; 700]);
    /// let mut g = Gather::new();
    /// let mut w = Writer::new(&mut g);
    /// w.bin_len(1400)?;
    /// w.payload_ref(&a)?;
    /// w.payload_ref(&b)?;
    /// assert_eq!((g.len(), g.referenced()), (1403, 2));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn payload_ref(&mut self, bytes: &'a [u8]) -> Result<(), Error> {
        self.emit_part([0; HEAD_MAX], 0, Payload::Borrowed(bytes))
    }

    /// Writes shared payload bytes after a header, as [`Writer::payload_ref`].
    ///
    /// # Errors
    ///
    /// As [`Writer::payload_ref`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Gather, Writer};
    /// let mut w = Writer::new(Gather::new());
    /// w.str_len(2)?;
    /// w.payload_shared(bytes::Bytes::from_static(b"hi"))?;
    /// assert_eq!(w.into_inner().to_vec(), [0xa2, b'h', b'i']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn payload_shared(&mut self, bytes: Bytes) -> Result<(), Error> {
        self.emit_part([0; HEAD_MAX], 0, Payload::Shared(bytes))
    }
}
