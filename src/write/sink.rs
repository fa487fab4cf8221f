//! Where a [`Writer`](super::Writer) puts its bytes: growable buffers, a caller's fixed buffer,
//! any [`bytes::BufMut`], any [`std::io::Write`].

use crate::error::{Error, ErrorKind};

/// The longest value header the writer hands a sink in one piece: a marker and a 64-bit
/// number.
pub const HEAD_MAX: usize = 9;

/// Where a [`Writer`](super::Writer) puts its bytes.
///
/// Implemented for `Vec<u8>` and [`bytes::BytesMut`] (feature `alloc`), for a caller's fixed
/// buffer ([`SliceSink`]), for any [`bytes::BufMut`] ([`BufMutSink`]), for any
/// [`std::io::Write`] ([`IoSink`], feature `std`), and for `&mut S` of any sink.
///
/// # Examples
///
/// ```
/// use msgskim::write::Sink;
/// let mut v = Vec::new();
/// v.put(&[0xc0]).unwrap();
/// assert_eq!(v.position(), 1);
/// ```
pub trait Sink {
    /// Appends `bytes`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferFull`] when a fixed-size sink has no room for all of `bytes` (then
    /// nothing is written); for an I/O sink, whatever the writer reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Sink, SliceSink};
    /// let mut buf = [0u8; 1];
    /// let mut s = SliceSink::new(&mut buf);
    /// s.put(&[1]).unwrap();
    /// assert!(s.put(&[2]).is_err());
    /// ```
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// Appends one byte.
    ///
    /// # Errors
    ///
    /// As [`Sink::put`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::Sink;
    /// let mut v = Vec::new();
    /// v.put_u8(0xc3).unwrap();
    /// assert_eq!(v, [0xc3]);
    /// ```
    #[inline]
    fn put_u8(&mut self, byte: u8) -> Result<(), Error> {
        self.put(&[byte])
    }

    /// Appends the first `head_len` bytes of `head`: a whole scalar or a container header
    /// (the bytes after `head_len` are scratch).
    ///
    /// # Errors
    ///
    /// As [`Sink::put`].
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::Sink;
    /// let mut v = Vec::new();
    /// v.put_head(&[0xcc, 200, 0, 0, 0, 0, 0, 0, 0], 2).unwrap();
    /// assert_eq!(v, [0xcc, 200]);
    /// ```
    #[inline]
    fn put_head(&mut self, head: &[u8; HEAD_MAX], head_len: usize) -> Result<(), Error> {
        self.put(&head[..head_len.min(HEAD_MAX)])
    }

    /// Appends one value: the first `head_len` bytes of `head` (a marker and what follows
    /// it; the bytes after `head_len` are scratch) and then `body` (a payload, possibly
    /// empty). Every write of the [`Writer`](super::Writer) goes through here, so an in-memory
    /// sink can make it one capacity check and fixed-size copies.
    ///
    /// # Errors
    ///
    /// As [`Sink::put`]; a fixed-size sink writes nothing when the whole value does not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::Sink;
    /// let mut v = Vec::new();
    /// v.put_value(&[0xa1, 0, 0, 0, 0, 0, 0, 0, 0], 1, b"x").unwrap();
    /// assert_eq!(v, [0xa1, b'x']);
    /// ```
    #[inline]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        self.put(&head[..head_len.min(HEAD_MAX)])?;
        self.put(body)
    }

    /// The number of bytes in the sink: the offset that errors report and where the next
    /// byte goes.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::Sink;
    /// let v = vec![1u8, 2, 3];
    /// assert_eq!(v.position(), 3);
    /// ```
    fn position(&self) -> u64;
}

/// A sink whose written bytes can be changed afterwards: what containers of unknown length
/// need ([`Writer::begin_array`](super::Writer::begin_array)).
///
/// In-memory sinks implement it (`Vec<u8>`, [`bytes::BytesMut`], [`SliceSink`]); a stream
/// ([`IoSink`], [`BufMutSink`]) cannot take back what it has passed on, so it does not. To
/// write containers of unknown length to a stream, build them in a `Vec<u8>` and write that.
///
/// Positions are indexes into the sink's contents, as [`Sink::position`] reports them.
///
/// # Examples
///
/// ```
/// use msgskim::write::PatchSink;
/// let mut v = vec![0u8, 0, 0, 7, 8];
/// v.patch(0, &[9]);
/// v.close_gap(1, 2);
/// assert_eq!(v, [9, 7, 8]);
/// ```
pub trait PatchSink: Sink {
    /// Overwrites the written bytes at `pos..pos + bytes.len()`.
    ///
    /// # Panics
    ///
    /// If that range was not written yet (the writer only patches bytes it wrote).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::PatchSink;
    /// let mut v = vec![0u8, 0];
    /// v.patch(1, &[5]);
    /// assert_eq!(v, [0, 5]);
    /// ```
    fn patch(&mut self, pos: usize, bytes: &[u8]);

    /// Removes the written bytes `pos..pos + gap` by moving everything after them down
    /// (one `memmove`).
    ///
    /// # Panics
    ///
    /// If that range was not written yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::PatchSink;
    /// let mut v = vec![1u8, 0, 0, 2];
    /// v.close_gap(1, 2);
    /// assert_eq!(v, [1, 2]);
    /// ```
    fn close_gap(&mut self, pos: usize, gap: usize);
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    #[inline]
    fn put_u8(&mut self, byte: u8) -> Result<(), Error> {
        self.push(byte);
        Ok(())
    }

    #[inline(always)]
    fn put_head(&mut self, head: &[u8; HEAD_MAX], head_len: usize) -> Result<(), Error> {
        vec_put_value::<true>(self, head, head_len, &[]);
        Ok(())
    }

    #[inline(always)]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        vec_put_value::<false>(self, head, head_len, body);
        Ok(())
    }

    #[inline]
    fn position(&self) -> u64 {
        self.len() as u64
    }
}

#[cfg(feature = "alloc")]
impl PatchSink for alloc::vec::Vec<u8> {
    fn patch(&mut self, pos: usize, bytes: &[u8]) {
        self[pos..pos + bytes.len()].copy_from_slice(bytes);
    }

    fn close_gap(&mut self, pos: usize, gap: usize) {
        let len = self.len();
        self.copy_within(pos + gap..len, pos);
        self.truncate(len - gap);
    }
}

/// Appends `head[..head_len]` and `body` to `v` after one capacity check for both.
///
/// The header is copied at a fixed size: its first eight bytes as one word (the body then
/// overwrites the scratch part), and the ninth when `head_len` is [`HEAD_MAX`] or, with
/// `NINTH`, always (for callers whose header length varies from value to value, where a test
/// would be mispredicted). Bodies of up to 64 bytes are copied with overlapping fixed-size
/// moves, so that the common short values make no `memcpy` call. The safe twin,
/// [`vec_put_value_safe`], writes the same bytes (a unit test compares them).
#[cfg(feature = "alloc")]
#[inline(always)]
pub(crate) fn vec_put_value<const NINTH: bool>(
    v: &mut alloc::vec::Vec<u8>,
    head: &[u8; HEAD_MAX],
    head_len: usize,
    body: &[u8],
) {
    let head_len = head_len.min(HEAD_MAX);
    let n = body.len();
    // Room for the whole head array, whatever `head_len` is: `n <= isize::MAX`, so the sum
    // does not overflow.
    v.reserve(HEAD_MAX + n);
    let len = v.len();
    // SAFETY: `reserve` made room for `HEAD_MAX + n` bytes after `len`, and
    // `head_len <= HEAD_MAX`, so every write below (at most `HEAD_MAX` bytes at `len`, `n`
    // bytes at `len + head_len`) stays inside the allocation. `head` and `body` are borrowed
    // while `v` is borrowed mutably, so they do not overlap it. The first `head_len` bytes
    // of the head copy (the word, and the ninth byte whenever `head_len` is 9) and all `n`
    // body bytes are initialized before `set_len` covers them.
    unsafe {
        let dst = v.as_mut_ptr().add(len);
        // The header as a word and a byte, the way the writer builds it (see `head_word`).
        let lo = u64::from_le_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]);
        core::ptr::write_unaligned(dst.cast::<u64>(), lo);
        // The ninth byte only for a 64-bit number: where the form is known once inlined (every
        // length-prefixed value), the test folds away; where it is not (numbers, `NINTH`),
        // the byte is stored without a test.
        if NINTH || head_len == HEAD_MAX {
            *dst.add(8) = head[8];
        }
        copy_short(body.as_ptr(), dst.add(head_len), n);
        v.set_len(len + head_len + n);
    }
}

/// Copies `n` bytes from `src` to `dst` without a call for up to 64 bytes: under 16 bytes
/// with two overlapping moves of 8 or 4 bytes or three single bytes, from 16 to 64 bytes with four
/// overlapping 16-byte moves (no branch on the length inside that range); longer ones with
/// `memcpy`.
///
/// # Safety
///
/// `src` must be readable and `dst` writable for `n` bytes, and the two ranges must not
/// overlap.
#[cfg(feature = "alloc")]
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use core::ptr::{read_unaligned, write_unaligned};
    // SAFETY: the caller guarantees `n` readable bytes at `src` and `n` writable ones at
    // `dst`, not overlapping. Every move of `size` bytes starts at an offset `o` with
    // `o + size <= n`: in the 16 to 64 arm, `mid <= n - 16` and `tail = n - 16 - mid`,
    // so `tail + 16 <= n - mid <= n`; in the others the second move
    // starts at `n - size` with `n >= size`, and for 1 to 3 bytes `n / 2 < n`.
    unsafe {
        if n < 16 {
            if n >= 8 {
                let a = read_unaligned(src.cast::<u64>());
                let b = read_unaligned(src.add(n - 8).cast::<u64>());
                write_unaligned(dst.cast::<u64>(), a);
                write_unaligned(dst.add(n - 8).cast::<u64>(), b);
            } else if n >= 4 {
                let a = read_unaligned(src.cast::<u32>());
                let b = read_unaligned(src.add(n - 4).cast::<u32>());
                write_unaligned(dst.cast::<u32>(), a);
                write_unaligned(dst.add(n - 4).cast::<u32>(), b);
            } else if n > 0 {
                // 1 to 3 bytes: first, middle and last, with no branch on which.
                let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
                *dst = a;
                *dst.add(n / 2) = b;
                *dst.add(n - 1) = c;
            }
        } else if n <= 64 {
            // [0, 16) and [n - 16, n), and for n > 32 also [16, 32) and [n - 32, n - 16).
            let mid = if n >= 32 { 16 } else { n - 16 };
            let tail = n - 16 - mid;
            let a = read_unaligned(src.cast::<u128>());
            let b = read_unaligned(src.add(mid).cast::<u128>());
            let c = read_unaligned(src.add(tail).cast::<u128>());
            let d = read_unaligned(src.add(n - 16).cast::<u128>());
            write_unaligned(dst.cast::<u128>(), a);
            write_unaligned(dst.add(mid).cast::<u128>(), b);
            write_unaligned(dst.add(tail).cast::<u128>(), c);
            write_unaligned(dst.add(n - 16).cast::<u128>(), d);
        } else {
            core::ptr::copy_nonoverlapping(src, dst, n);
        }
    }
}

/// The safe twin of [`vec_put_value`]: the same bytes, with a `memcpy` for each part.
#[cfg(feature = "alloc")]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn vec_put_value_safe(
    v: &mut alloc::vec::Vec<u8>,
    head: &[u8; HEAD_MAX],
    head_len: usize,
    body: &[u8],
) {
    let head = &head[..head_len.min(HEAD_MAX)];
    v.reserve(head.len() + body.len());
    v.extend_from_slice(head);
    v.extend_from_slice(body);
}

#[cfg(feature = "alloc")]
impl Sink for bytes::BytesMut {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    #[inline]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        let head = &head[..head_len.min(HEAD_MAX)];
        self.reserve(head.len() + body.len());
        self.extend_from_slice(head);
        self.extend_from_slice(body);
        Ok(())
    }

    #[inline]
    fn position(&self) -> u64 {
        self.len() as u64
    }
}

#[cfg(feature = "alloc")]
impl PatchSink for bytes::BytesMut {
    fn patch(&mut self, pos: usize, bytes: &[u8]) {
        self[pos..pos + bytes.len()].copy_from_slice(bytes);
    }

    fn close_gap(&mut self, pos: usize, gap: usize) {
        let len = self.len();
        self.copy_within(pos + gap..len, pos);
        self.truncate(len - gap);
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        (**self).put(bytes)
    }

    #[inline]
    fn put_u8(&mut self, byte: u8) -> Result<(), Error> {
        (**self).put_u8(byte)
    }

    #[inline(always)]
    fn put_head(&mut self, head: &[u8; HEAD_MAX], head_len: usize) -> Result<(), Error> {
        (**self).put_head(head, head_len)
    }

    #[inline(always)]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        (**self).put_value(head, head_len, body)
    }

    #[inline]
    fn position(&self) -> u64 {
        (**self).position()
    }
}

impl<S: PatchSink + ?Sized> PatchSink for &mut S {
    fn patch(&mut self, pos: usize, bytes: &[u8]) {
        (**self).patch(pos, bytes);
    }

    fn close_gap(&mut self, pos: usize, gap: usize) {
        (**self).close_gap(pos, gap);
    }
}

/// A caller's fixed buffer as a sink, for writing without a heap; overflow is
/// [`ErrorKind::BufferFull`].
///
/// # Examples
///
/// ```
/// use msgskim::write::{SliceSink, Writer};
/// let mut buf = [0u8; 2];
/// let mut w = Writer::new(SliceSink::new(&mut buf));
/// w.uint(300).unwrap_err(); // needs 3 bytes
/// ```
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// A sink writing into `buf` from its start.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 4];
    /// let s = msgskim::write::SliceSink::new(&mut buf);
    /// assert_eq!(s.written(), &[] as &[u8]);
    /// ```
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }

    /// The bytes written so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{SliceSink, Writer};
    /// let mut buf = [0u8; 4];
    /// let mut w = Writer::new(SliceSink::new(&mut buf));
    /// w.nil().unwrap();
    /// assert_eq!(w.get_ref().written(), &[0xc0]);
    /// ```
    #[must_use]
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The room left, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = [0u8; 4];
    /// assert_eq!(msgskim::write::SliceSink::new(&mut buf).remaining(), 4);
    /// ```
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Gives back the written part of the buffer, with the buffer's lifetime.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{SliceSink, Writer};
    /// let mut buf = [0u8; 4];
    /// let mut w = Writer::new(SliceSink::new(&mut buf));
    /// w.bool(true).unwrap();
    /// let out: &[u8] = w.into_inner().into_written();
    /// assert_eq!(out, [0xc3]);
    /// ```
    #[must_use]
    pub fn into_written(self) -> &'a mut [u8] {
        &mut self.buf[..self.len]
    }

    #[cold]
    fn full(&self) -> Error {
        Error::new(self.len as u64, ErrorKind::BufferFull)
    }
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
                Ok(())
            }
            None => Err(self.full()),
        }
    }

    #[inline]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        let head_len = head_len.min(HEAD_MAX);
        let end = self.len + head_len + body.len();
        if end > self.buf.len() {
            return Err(self.full());
        }
        // With room for the whole head array, copy it at a fixed size: the body then
        // overwrites the scratch part.
        match self.buf.get_mut(self.len..self.len + HEAD_MAX) {
            Some(dst) => dst.copy_from_slice(head),
            None => self.buf[self.len..self.len + head_len].copy_from_slice(&head[..head_len]),
        }
        self.buf[self.len + head_len..end].copy_from_slice(body);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn position(&self) -> u64 {
        self.len as u64
    }
}

impl PatchSink for SliceSink<'_> {
    fn patch(&mut self, pos: usize, bytes: &[u8]) {
        self.written_mut()[pos..pos + bytes.len()].copy_from_slice(bytes);
    }

    fn close_gap(&mut self, pos: usize, gap: usize) {
        let len = self.len;
        self.buf[..len].copy_within(pos + gap..len, pos);
        self.len = len - gap;
    }
}

impl SliceSink<'_> {
    fn written_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }
}

/// Any [`bytes::BufMut`] as a sink. Before each write it checks `remaining_mut()`, so a
/// buffer that cannot grow reports [`ErrorKind::BufferFull`] instead of panicking.
///
/// A `BufMut` is append-only, so containers of unknown length are not available on it; use
/// `Vec<u8>` or [`bytes::BytesMut`] directly for those (both are [`PatchSink`]s).
///
/// # Examples
///
/// ```
/// use msgskim::write::{BufMutSink, Writer};
/// let mut out = [0u8; 3];
/// let mut w = Writer::new(BufMutSink::new(&mut out[..]));
/// w.str("ab").unwrap();
/// assert!(w.nil().is_err()); // full
/// assert_eq!(out, [0xa2, b'a', b'b']);
/// ```
#[derive(Debug)]
pub struct BufMutSink<B> {
    buf: B,
    written: u64,
}

impl<B: bytes::BufMut> BufMutSink<B> {
    /// Wraps `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = msgskim::write::BufMutSink::new(Vec::<u8>::new());
    /// assert!(s.into_inner().is_empty());
    /// ```
    pub fn new(buf: B) -> Self {
        BufMutSink { buf, written: 0 }
    }

    /// The buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = msgskim::write::BufMutSink::new(Vec::<u8>::new());
    /// assert!(s.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &B {
        &self.buf
    }

    /// Gives the buffer back.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{BufMutSink, Writer};
    /// let mut w = Writer::new(BufMutSink::new(bytes::BytesMut::new()));
    /// w.nil().unwrap();
    /// assert_eq!(&w.into_inner().into_inner()[..], [0xc0]);
    /// ```
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B: bytes::BufMut> Sink for BufMutSink<B> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.buf.remaining_mut() < bytes.len() {
            return Err(Error::new(self.written, ErrorKind::BufferFull));
        }
        self.buf.put_slice(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    #[inline]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        let head = &head[..head_len.min(HEAD_MAX)];
        if self.buf.remaining_mut() < head.len() + body.len() {
            return Err(Error::new(self.written, ErrorKind::BufferFull));
        }
        self.put(head)?;
        self.put(body)
    }

    #[inline]
    fn position(&self) -> u64 {
        self.written
    }
}

/// Any [`std::io::Write`] as a sink (feature `std`). I/O failures come back as
/// [`ErrorKind::Io`] with the offset where the value that could not be written starts (part
/// of it may have reached the writer).
///
/// Every value makes one or two `write_all` calls, so give it a buffered writer
/// ([`std::io::BufWriter`]) rather than a raw file or socket. A stream cannot be patched, so
/// containers of unknown length are not available on it (see [`PatchSink`]).
///
/// # Examples
///
/// ```
/// use msgskim::write::{IoSink, Writer};
/// let mut out = std::io::Cursor::new(Vec::new());
/// let mut w = Writer::new(IoSink::new(&mut out));
/// w.array_len(1)?;
/// w.nil()?;
/// assert_eq!(out.into_inner(), [0x91, 0xc0]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoSink<W> {
    inner: W,
    written: u64,
}

#[cfg(feature = "std")]
impl<W: std::io::Write> IoSink<W> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = msgskim::write::IoSink::new(std::io::sink());
    /// let _inner: std::io::Sink = s.into_inner();
    /// ```
    pub fn new(inner: W) -> Self {
        IoSink { inner, written: 0 }
    }

    /// The writer.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = msgskim::write::IoSink::new(Vec::<u8>::new());
    /// assert!(s.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The writer, mutably (to flush it, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let mut s = msgskim::write::IoSink::new(std::io::BufWriter::new(Vec::new()));
    /// s.get_mut().flush().unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Gives the writer back.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = msgskim::write::IoSink::new(Vec::<u8>::new());
    /// assert!(s.into_inner().is_empty());
    /// ```
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(feature = "std")]
impl<W: std::io::Write> Sink for IoSink<W> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self.inner.write_all(bytes) {
            Ok(()) => {
                self.written += bytes.len() as u64;
                Ok(())
            }
            Err(e) => Err(Error::new(self.written, ErrorKind::Io(e.kind()))),
        }
    }

    #[inline]
    fn put_value(
        &mut self,
        head: &[u8; HEAD_MAX],
        head_len: usize,
        body: &[u8],
    ) -> Result<(), Error> {
        let start = self.written;
        self.put(&head[..head_len.min(HEAD_MAX)])
            .and_then(|()| self.put(body))
            .map_err(|e| Error::new(start, e.kind()))
    }

    #[inline]
    fn position(&self) -> u64 {
        self.written
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// The fixed-size copies write exactly what the plain appends write, with and without
    /// the ninth header byte stored unconditionally, for every header length, every body
    /// length around the move sizes, and buffers with no spare room as well as with some.
    #[test]
    fn vec_put_value_matches_its_safe_twin() {
        let source: Vec<u8> = (0..150u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let head: [u8; HEAD_MAX] = [0xd0, 1, 2, 3, 4, 5, 6, 7, 8];
        let fast_put = |ninth: bool, v: &mut Vec<u8>, head_len: usize, body: &[u8]| {
            if ninth {
                vec_put_value::<true>(v, &head, head_len, body)
            } else {
                vec_put_value::<false>(v, &head, head_len, body)
            }
        };
        for (prefix, ninth) in [0usize, 1, 7, 13]
            .into_iter()
            .flat_map(|p| [(p, false), (p, true)])
        {
            for head_len in 0..=HEAD_MAX + 1 {
                for n in 0..=140 {
                    let body = &source[n % 7..n % 7 + n];
                    let mut fast: Vec<u8> = alloc::vec![0xee; prefix];
                    let mut safe = fast.clone();
                    fast_put(ninth, &mut fast, head_len, body);
                    vec_put_value_safe(&mut safe, &head, head_len, body);
                    assert_eq!(fast, safe, "prefix {prefix} head {head_len} body {n}");
                    let want = prefix + head_len.min(HEAD_MAX) + n;
                    assert_eq!(fast.len(), want);
                    // And again onto a buffer that already holds a value.
                    fast_put(ninth, &mut fast, head_len, body);
                    vec_put_value_safe(&mut safe, &head, head_len, body);
                    assert_eq!(fast, safe);
                }
            }
        }
    }
}
