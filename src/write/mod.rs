//! The writer: every value in its smallest form (or, as an option, the integer forms Go's
//! tinylib/msgp writes), containers of known and of unknown length, the Timestamp extension,
//! and spliced raw MessagePack.
//!
//! # Sinks
//!
//! A [`Writer`] writes to any [`Sink`]: `Vec<u8>` and [`bytes::BytesMut`] (feature `alloc`),
//! a caller's fixed buffer ([`SliceSink`], no heap needed; overflow is
//! [`ErrorKind::BufferFull`]), any [`bytes::BufMut`] ([`BufMutSink`]) and any
//! [`std::io::Write`] ([`IoSink`], feature `std`).
//!
//! A [`Gather`] (feature `alloc`) is a sink whose writer can also *reference* large payloads
//! instead of copying them ([`Writer::bin_ref`], [`Writer::bin_shared`] and their siblings):
//! headers and small values go into one owned buffer, and the output is handed over in pieces,
//! with vectored writes ([`Gather::write_to`]) or as a [`bytes::Buf`] ([`Gather::cursor`]).
//! The bytes are the same as the `Vec<u8>` writer's.
//!
//! # Containers of unknown length
//!
//! When the number of elements is not known up front, open the container with
//! [`Writer::begin_array`] or [`Writer::begin_map`], write the elements, and close it with
//! [`Writer::end`]. The writer counts the elements itself (a container of known length written
//! inside counts as one element, as does everything inside it). Two strategies
//! ([`Deferred`]):
//!
//! - [`Deferred::Patch`]: a 5-byte array 32 / map 32 header is written at once and its count
//!   filled in at close. Nothing moves, but the header is not the smallest form.
//! - [`Deferred::Compact`]: 5 bytes are reserved, and at close the smallest header is written
//!   and the contents moved down over the unused bytes (one `memmove`). The output is
//!   byte-identical to writing the length up front.
//!
//! Containers nest, and the writer keeps no stack for them: each [`Open`] handle remembers its
//! parent, so there is no depth limit and no allocation. Closing a container other than the
//! innermost open one is [`ErrorKind::UnbalancedContainer`], and so is closing one while a
//! container of known length inside it still lacks elements; closing a map with an odd number
//! of items is [`ErrorKind::OddMapItems`].
//!
//! Only sinks that can change what they already hold ([`PatchSink`]: `Vec<u8>`, `BytesMut`,
//! [`SliceSink`]) offer these methods; a stream cannot take back bytes it has passed on. To
//! send such values over an `io::Write`, build them in a `Vec<u8>` and write that.
//!
//! # Examples
//!
//! ```
//! use msgskim::write::{Deferred, Writer};
//!
//! let mut w = Writer::new(Vec::new());
//! let list = w.begin_array(Deferred::Compact)?;
//! for name in ["a", "b", "c"] {
//!     w.str(name)?;
//! }
//! w.end(list)?;
//! assert_eq!(w.finish()?, [0x93, 0xa1, b'a', 0xa1, b'b', 0xa1, b'c']);
//! # Ok::<(), msgskim::Error>(())
//! ```

mod encode;
#[cfg(feature = "alloc")]
mod gather;
mod macros;
mod sink;

pub use encode::{Bin, Encode};
#[cfg(feature = "alloc")]
pub use gather::{Chunks, Gather, GatherBuf};
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub use macros::__vec_writer;
#[cfg(feature = "std")]
pub use sink::IoSink;
pub use sink::{BufMutSink, PatchSink, Sink, SliceSink, HEAD_MAX};

use crate::error::{Error, ErrorKind};
use crate::raw::RawValue;
use crate::skip::skip_value;
use crate::token::{Timestamp, Token};

/// How integers are encoded.
///
/// # Examples
///
/// ```
/// use msgskim::write::{IntMode, Writer};
/// let mut w = Writer::with_mode(Vec::new(), IntMode::GoCompatible);
/// w.int(300)?;
/// w.uint(300)?;
/// assert_eq!(w.into_inner(), [0xd1, 0x01, 0x2c, 0xcd, 0x01, 0x2c]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IntMode {
    /// The smallest form that holds the value, signed or not (what rmpv and msgpack-c write).
    #[default]
    Smallest,
    /// Signed Rust types use positive fixint up to 127 and then the signed formats (int 16,
    /// 32, 64), as Go's tinylib/msgp does; unsigned types use the unsigned formats.
    GoCompatible,
}

/// How a container of unknown length gets its header (see the [module docs](self)).
///
/// # Examples
///
/// ```
/// use msgskim::write::{Deferred, Writer};
/// let mut w = Writer::new(Vec::new());
/// let a = w.begin_array(Deferred::Patch)?;
/// w.nil()?;
/// w.end(a)?;
/// assert_eq!(w.into_inner(), [0xdd, 0, 0, 0, 1, 0xc0]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deferred {
    /// A 5-byte array 32 / map 32 header, its count filled in at close; nothing moves.
    Patch,
    /// The smallest header, written at close by moving the contents down (one `memmove`).
    Compact,
}

/// An open container of unknown length: hand it back to [`Writer::end`] to close it.
///
/// # Examples
///
/// ```
/// use msgskim::write::{Deferred, Writer};
/// let mut w = Writer::new(Vec::new());
/// let m = w.begin_map(Deferred::Compact)?;
/// w.str("k")?;
/// w.bool(true)?;
/// w.end(m)?;
/// assert_eq!(w.into_inner(), [0x81, 0xa1, b'k', 0xc3]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Debug, PartialEq, Eq)]
#[must_use = "the container stays open until it is passed to Writer::end"]
pub struct Open {
    /// Where the reserved header starts.
    pos: usize,
    /// The enclosing open container's `pos`, or `NONE`.
    parent: usize,
    /// The enclosing level's counters, restored at close.
    count: u64,
    pending: u64,
    map: bool,
    how: Deferred,
}

const NONE: usize = usize::MAX;

/// The number of complete values in `msgpack`, or what [`skip_value`] finds wrong.
fn count_values(msgpack: &[u8]) -> Result<u64, Error> {
    let mut pos = 0;
    let mut n = 0u64;
    while pos < msgpack.len() {
        pos = skip_value(msgpack, pos)?;
        n += 1;
    }
    Ok(n)
}

/// A header from its first eight bytes (`lo`, little-endian: the marker is its low byte) and
/// its ninth.
///
/// Every header is built this way, and the in-memory sinks read it back the same way (a word
/// and a byte), so that once inlined the array is never in memory: built from single bytes
/// and read as a word, it went through the stack, and the wide read of narrower stores
/// stalled the store buffer.
#[inline(always)]
fn head_word(lo: u64, hi: u8) -> [u8; HEAD_MAX] {
    let mut h = [0u8; HEAD_MAX];
    h[..8].copy_from_slice(&lo.to_le_bytes());
    h[8] = hi;
    h
}

#[inline(always)]
fn head1(b: u8) -> [u8; HEAD_MAX] {
    head_word(u64::from(b), 0)
}

#[inline(always)]
fn head2(a: u8, b: u8) -> [u8; HEAD_MAX] {
    head_word(u64::from(a) | u64::from(b) << 8, 0)
}

/// A header of up to eight bytes.
#[inline(always)]
fn head_of<const N: usize>(bytes: [u8; N]) -> [u8; HEAD_MAX] {
    let mut lo = [0u8; 8];
    lo[..N].copy_from_slice(&bytes);
    head_word(u64::from_le_bytes(lo), 0)
}

/// A marker and `be`, a number's bytes in big-endian order, at the low end of a word.
#[inline(always)]
fn head_be(marker: u8, be: u64) -> [u8; HEAD_MAX] {
    head_word(u64::from(marker) | be << 8, (be >> 56) as u8)
}

/// One integer form, packed for [`int_form`]: the marker (0 for a fixint), a mask of the
/// value's low byte kept in the first byte (0xff for a fixint, else 0), the number of bytes
/// after the marker, and the left shift that puts them at the top of a `u64`.
const fn form(marker: u8, width: u32) -> u32 {
    let keep = if width == 0 { 0xff } else { 0 };
    marker as u32 | keep << 8 | width << 16 | ((64 - 8 * width) & 63) << 24
}

/// Integer forms by the number of leading zero bits of the value's magnitude (for a negative
/// `v`, of `!v`): `[class][leading zeros]`. Class 0: unsigned values and non-negative ones in
/// smallest-form mode; 1: non-negative signed values in Go mode; 2: negative values.
const INT_FORMS: [[u32; 65]; 3] = {
    let mut t = [[0u32; 65]; 3];
    let mut lz = 0;
    while lz <= 64 {
        t[0][lz] = match lz {
            57.. => form(0, 0),
            56 => form(0xcc, 1),
            48..=55 => form(0xcd, 2),
            32..=47 => form(0xce, 4),
            _ => form(0xcf, 8),
        };
        t[1][lz] = match lz {
            57.. => form(0, 0),
            49..=56 => form(0xd1, 2),
            33..=48 => form(0xd2, 4),
            _ => form(0xd3, 8),
        };
        t[2][lz] = match lz {
            59.. => form(0, 0),
            57..=58 => form(0xd0, 1),
            49..=56 => form(0xd1, 2),
            33..=48 => form(0xd2, 4),
            _ => form(0xd3, 8),
        };
        lz += 1;
    }
    t
};

/// The header of an integer in the form `INT_FORMS[class]` picks for it, without a branch on
/// the value: the marker (or the fixint itself) and then the value's bytes, big-endian, at the
/// top of the 8 bytes after it (those past the form's width are scratch).
#[inline(always)]
fn int_form(v: u64, magnitude: u64, class: usize) -> ([u8; HEAD_MAX], usize) {
    let f = INT_FORMS[class][magnitude.leading_zeros() as usize];
    let first = f as u8 | (v as u8 & (f >> 8) as u8);
    let h = head_be(first, (v << (f >> 24)).swap_bytes());
    (h, 1 + (f >> 16 & 0xff) as usize)
}

/// The header of a str of each length up to 255, as a little-endian word: a fixstr up to 31,
/// then str 8.
const STR8_HEADS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut n = 0;
    while n < 256 {
        t[n] = if n < 32 {
            0xa0 | n as u16
        } else {
            0xd9 | (n as u16) << 8
        };
        n += 1;
    }
    t
};

/// The header forms of one length-prefixed family.
#[derive(Clone, Copy)]
struct LenForms {
    /// Base marker and largest length of the fix form.
    fix: Option<(u8, u32)>,
    /// The 8-bit form's marker (str and bin have one; array and map do not).
    m8: Option<u8>,
    m16: u8,
    m32: u8,
}

const STR: LenForms = LenForms {
    fix: Some((0xa0, 31)),
    m8: Some(0xd9),
    m16: 0xda,
    m32: 0xdb,
};
const BIN: LenForms = LenForms {
    fix: None,
    m8: Some(0xc4),
    m16: 0xc5,
    m32: 0xc6,
};
const ARRAY: LenForms = LenForms {
    fix: Some((0x90, 15)),
    m8: None,
    m16: 0xdc,
    m32: 0xdd,
};
const MAP: LenForms = LenForms {
    fix: Some((0x80, 15)),
    m8: None,
    m16: 0xde,
    m32: 0xdf,
};

/// A MessagePack writer over a [`Sink`].
///
/// Every method writes one value (or one header) in its smallest form; see [`IntMode`] for
/// the Go-compatible integer forms. After an error the output may end inside a value: start
/// again rather than keep writing.
///
/// # Examples
///
/// ```
/// use msgskim::write::Writer;
/// let mut w = Writer::new(Vec::new());
/// w.map_len(1)?;
/// w.str("s")?;
/// w.int(256)?;
/// assert_eq!(w.into_inner(), [0x81, 0xa1, b's', 0xcd, 0x01, 0x00]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Debug)]
pub struct Writer<S> {
    sink: S,
    mode: IntMode,
    /// Values begun at the level of the innermost open container of unknown length (or at
    /// the top level).
    count: u64,
    /// Values still owed to containers of known length begun at that level.
    pending: u64,
    /// `pos` of the innermost open container of unknown length, or `NONE`.
    open: usize,
    depth: u32,
}

impl<S: Sink> Writer<S> {
    /// A writer in smallest-form mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = msgskim::write::Writer::new(Vec::new());
    /// assert!(w.into_inner().is_empty());
    /// ```
    pub fn new(sink: S) -> Self {
        Writer::with_mode(sink, IntMode::Smallest)
    }

    /// A writer with the given integer mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{IntMode, Writer};
    /// let mut w = Writer::with_mode(Vec::new(), IntMode::GoCompatible);
    /// w.int(200).unwrap();
    /// assert_eq!(w.into_inner(), [0xd1, 0x00, 0xc8]);
    /// ```
    pub fn with_mode(sink: S, mode: IntMode) -> Self {
        Writer {
            sink,
            mode,
            count: 0,
            pending: 0,
            open: NONE,
            depth: 0,
        }
    }

    /// The integer mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{IntMode, Writer};
    /// assert_eq!(Writer::new(Vec::new()).mode(), IntMode::Smallest);
    /// ```
    pub fn mode(&self) -> IntMode {
        self.mode
    }

    /// The sink.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = msgskim::write::Writer::new(Vec::<u8>::new());
    /// assert!(w.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.sink
    }

    /// The sink, mutably. Writing to it directly bypasses the writer's element counting.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::<u8>::new());
    /// w.get_mut().reserve(100);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Gives the sink back, whatever state the output is in.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.bool(true).unwrap();
    /// assert_eq!(w.into_inner(), [0xc3]);
    /// ```
    pub fn into_inner(self) -> S {
        self.sink
    }

    /// Gives the sink back after checking that the output is whole: no container of unknown
    /// length is open and every container of known length got all its elements.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnbalancedContainer`] otherwise, at the current output position.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.array_len(2)?;
    /// w.nil()?;
    /// assert!(w.finish().is_err()); // one element missing
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn finish(self) -> Result<S, Error> {
        if self.open != NONE || self.pending != 0 {
            return Err(self.error(ErrorKind::UnbalancedContainer));
        }
        Ok(self.sink)
    }

    /// The number of containers of unknown length open now.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Deferred, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// let a = w.begin_array(Deferred::Patch)?;
    /// assert_eq!(w.depth(), 1);
    /// w.end(a)?;
    /// assert_eq!(w.depth(), 0);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn depth(&self) -> u32 {
        self.depth
    }

    #[cold]
    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.sink.position(), kind)
    }

    /// Counts one value at the current level.
    #[inline(always)]
    fn tick(&mut self) {
        self.count += u64::from(self.pending == 0);
        self.pending = self.pending.saturating_sub(1);
    }

    /// Counts `n` consecutive complete values.
    #[inline]
    fn ticks(&mut self, n: u64) {
        let owed = n.min(self.pending);
        self.pending -= owed;
        self.count += n - owed;
    }

    /// Writes a value of `head[..n]` and `body`.
    #[inline(always)]
    fn emit(&mut self, head: [u8; HEAD_MAX], n: usize, body: &[u8]) -> Result<(), Error> {
        self.sink.put_value(&head, n, body)
    }

    /// Writes a scalar or a container header: `head[..n]`.
    #[inline(always)]
    fn emit_head(&mut self, head: [u8; HEAD_MAX], n: usize) -> Result<(), Error> {
        self.sink.put_head(&head, n)
    }

    /// Writes a one-byte value.
    #[inline(always)]
    fn emit1(&mut self, b: u8) -> Result<(), Error> {
        self.emit_head(head1(b), 1)
    }

    /// Writes a marker and a big-endian number.
    #[inline(always)]
    fn marker_be<const N: usize>(&mut self, marker: u8, v: [u8; N]) -> Result<(), Error> {
        let mut be = [0u8; 8];
        be[..N].copy_from_slice(&v);
        self.emit_head(head_be(marker, u64::from_le_bytes(be)), N + 1)
    }

    /// Writes `nil`.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.nil().unwrap();
    /// assert_eq!(w.into_inner(), [0xc0]);
    /// ```
    #[inline(always)]
    pub fn nil(&mut self) -> Result<(), Error> {
        self.tick();
        self.emit1(0xc0)
    }

    /// Writes a bool.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.bool(false).unwrap();
    /// assert_eq!(w.into_inner(), [0xc2]);
    /// ```
    #[inline(always)]
    pub fn bool(&mut self, v: bool) -> Result<(), Error> {
        self.tick();
        self.emit1(if v { 0xc3 } else { 0xc2 })
    }

    /// Writes an unsigned integer in its smallest unsigned form.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.uint(128).unwrap();
    /// assert_eq!(w.into_inner(), [0xcc, 0x80]);
    /// ```
    #[inline(always)]
    pub fn uint(&mut self, v: u64) -> Result<(), Error> {
        self.tick();
        self.put_uint(v)
    }

    #[inline(always)]
    fn put_uint(&mut self, v: u64) -> Result<(), Error> {
        let (h, n) = int_form(v, v, 0);
        self.emit_head(h, n)
    }

    /// Writes a signed integer: in smallest-form mode, the smallest form of any kind (unsigned
    /// for non-negative values); in Go-compatible mode, signed formats above 127.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.int(-33).unwrap();
    /// assert_eq!(w.into_inner(), [0xd0, 0xdf]);
    /// ```
    #[inline(always)]
    pub fn int(&mut self, v: i64) -> Result<(), Error> {
        self.tick();
        // The forms change with the value's sign and size from one value to the next (sizes
        // in a listing), so they are looked up rather than branched on.
        let class = if v < 0 {
            2
        } else {
            (self.mode == IntMode::GoCompatible) as usize
        };
        let (h, n) = int_form(v as u64, (v ^ (v >> 63)) as u64, class);
        self.emit_head(h, n)
    }

    /// Writes a float 32.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.f32(0.5).unwrap();
    /// assert_eq!(w.into_inner(), [0xca, 0x3f, 0, 0, 0]);
    /// ```
    #[inline(always)]
    pub fn f32(&mut self, v: f32) -> Result<(), Error> {
        self.tick();
        self.marker_be(0xca, v.to_bits().to_be_bytes())
    }

    /// Writes a float 64. (It stays a float 64 even when a float 32 would hold it exactly, as
    /// rmpv and msgpack-c do; call [`Writer::f32`] for the short form.)
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.f64(0.5).unwrap();
    /// assert_eq!(w.into_inner(), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
    /// ```
    #[inline(always)]
    pub fn f64(&mut self, v: f64) -> Result<(), Error> {
        self.tick();
        self.marker_be(0xcb, v.to_bits().to_be_bytes())
    }

    /// The smallest length header of a family.
    #[inline(always)]
    fn len_head(len: u32, forms: LenForms) -> ([u8; HEAD_MAX], usize) {
        if let Some((base, max)) = forms.fix {
            if len <= max {
                return (head1(base | len as u8), 1);
            }
        }
        if let Some(m8) = forms.m8 {
            if len <= u8::MAX as u32 {
                return (head2(m8, len as u8), 2);
            }
        }
        if len <= u16::MAX as u32 {
            let l = (len as u16).to_be_bytes();
            (head_of([forms.m16, l[0], l[1]]), 3)
        } else {
            let l = len.to_be_bytes();
            (head_of([forms.m32, l[0], l[1], l[2], l[3]]), 5)
        }
    }

    #[inline(always)]
    fn checked_len(&self, len: usize) -> Result<u32, Error> {
        match u32::try_from(len) {
            Ok(n) => Ok(n),
            Err(_) => Err(self.error(ErrorKind::LengthLimit {
                len: len as u64,
                limit: u32::MAX as u64,
            })),
        }
    }

    /// Writes a str header for `len` bytes; write the bytes next with [`Writer::payload`].
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.str_len(32)?;
    /// w.payload(&[b'x'; 32])?;
    /// assert_eq!(w.into_inner()[..3], [0xd9, 32, b'x']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn str_len(&mut self, len: u32) -> Result<(), Error> {
        self.tick();
        let (h, n) = Self::len_head(len, STR);
        self.emit_head(h, n)
    }

    /// Writes a str.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports; [`ErrorKind::LengthLimit`] past 4 GiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.str("hi").unwrap();
    /// assert_eq!(w.into_inner(), [0xa2, b'h', b'i']);
    /// ```
    #[inline(always)]
    pub fn str(&mut self, v: &str) -> Result<(), Error> {
        self.str_bytes(v.as_bytes())
    }

    /// Writes a str from raw bytes, which need not be UTF-8 (old-spec "raw" data).
    ///
    /// # Errors
    ///
    /// Whatever the sink reports; [`ErrorKind::LengthLimit`] past 4 GiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.str_bytes(b"\xff").unwrap();
    /// assert_eq!(w.into_inner(), [0xa1, 0xff]);
    /// ```
    #[inline(always)]
    pub fn str_bytes(&mut self, v: &[u8]) -> Result<(), Error> {
        // Fixstr and str 8 first: keys and nearly all values, and no length limit to check.
        // Values straddle 31 bytes from one to the next (object names), so the header comes
        // from a table rather than a branch.
        if v.len() <= u8::MAX as usize {
            self.tick();
            let n = v.len();
            let h = head_word(u64::from(STR8_HEADS[n]), 0);
            return self.emit(h, 1 + (n >= 32) as usize, v);
        }
        let len = self.checked_len(v.len())?;
        self.tick();
        let (h, n) = Self::len_head(len, STR);
        self.emit(h, n, v)
    }

    /// Writes a bin header for `len` bytes; write the bytes next with [`Writer::payload`].
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.bin_len(2)?;
    /// w.payload(&[7])?;
    /// w.payload(&[8])?;
    /// assert_eq!(w.into_inner(), [0xc4, 2, 7, 8]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn bin_len(&mut self, len: u32) -> Result<(), Error> {
        self.tick();
        let (h, n) = Self::len_head(len, BIN);
        self.emit_head(h, n)
    }

    /// Writes a bin.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports; [`ErrorKind::LengthLimit`] past 4 GiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.bin(&[1, 2]).unwrap();
    /// assert_eq!(w.into_inner(), [0xc4, 2, 1, 2]);
    /// ```
    #[inline(always)]
    pub fn bin(&mut self, v: &[u8]) -> Result<(), Error> {
        let len = self.checked_len(v.len())?;
        self.tick();
        let (h, n) = Self::len_head(len, BIN);
        self.emit(h, n, v)
    }

    #[inline(always)]
    fn ext_head(ty: i8, len: u32) -> ([u8; HEAD_MAX], usize) {
        let t = ty as u8;
        match len {
            1 => (head2(0xd4, t), 2),
            2 => (head2(0xd5, t), 2),
            4 => (head2(0xd6, t), 2),
            8 => (head2(0xd7, t), 2),
            16 => (head2(0xd8, t), 2),
            _ if len <= u8::MAX as u32 => (head_of([0xc7, len as u8, t]), 3),
            _ if len <= u16::MAX as u32 => {
                let l = (len as u16).to_be_bytes();
                (head_of([0xc8, l[0], l[1], t]), 4)
            }
            _ => {
                let l = len.to_be_bytes();
                (head_of([0xc9, l[0], l[1], l[2], l[3], t]), 6)
            }
        }
    }

    /// Writes an ext header for `len` data bytes of type `ty` (fixext where the length
    /// allows); write the data next with [`Writer::payload`].
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.ext_len(7, 3)?;
    /// w.payload(b"abc")?;
    /// assert_eq!(w.into_inner(), [0xc7, 3, 7, b'a', b'b', b'c']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn ext_len(&mut self, ty: i8, len: u32) -> Result<(), Error> {
        self.tick();
        let (h, n) = Self::ext_head(ty, len);
        self.emit_head(h, n)
    }

    /// Writes an ext (fixext where the length allows).
    ///
    /// # Errors
    ///
    /// Whatever the sink reports; [`ErrorKind::LengthLimit`] past 4 GiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.ext(5, &[0xaa]).unwrap();
    /// assert_eq!(w.into_inner(), [0xd4, 5, 0xaa]);
    /// ```
    #[inline(always)]
    pub fn ext(&mut self, ty: i8, data: &[u8]) -> Result<(), Error> {
        let len = self.checked_len(data.len())?;
        self.tick();
        let (h, n) = Self::ext_head(ty, len);
        self.emit(h, n, data)
    }

    /// Writes bytes that belong to the str, bin or ext whose header was just written with
    /// [`Writer::str_len`], [`Writer::bin_len`] or [`Writer::ext_len`]. They are not counted as
    /// a value, and the writer does not check that they add up to the declared length.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.str_len(2)?;
    /// w.payload(b"ok")?;
    /// assert_eq!(w.into_inner(), [0xa2, b'o', b'k']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn payload(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.emit([0; HEAD_MAX], 0, bytes)
    }

    /// Writes a Timestamp in the smallest of its three forms: 32-bit (seconds in
    /// `0..2^32`, no nanoseconds), 64-bit (seconds in `0..2^34`), or 96-bit.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{write::Writer, Timestamp};
    /// let mut w = Writer::new(Vec::new());
    /// w.timestamp(Timestamp::new(1, 0).unwrap()).unwrap();
    /// assert_eq!(w.into_inner(), [0xd6, 0xff, 0, 0, 0, 1]);
    /// ```
    #[inline(always)]
    pub fn timestamp(&mut self, t: Timestamp) -> Result<(), Error> {
        self.tick();
        let (s, ns) = (t.seconds(), t.nanoseconds());
        let ty = Timestamp::EXT_TYPE as u8;
        if s as u64 >> 34 == 0 {
            if ns == 0 && s as u64 >> 32 == 0 {
                let [a, b, c, d] = (s as u32).to_be_bytes();
                self.emit_head(head_of([0xd6, ty, a, b, c, d]), 6)
            } else {
                let v = ((ns as u64) << 34) | s as u64;
                self.emit(head2(0xd7, ty), 2, &v.to_be_bytes())
            }
        } else {
            let mut body = [0u8; 12];
            body[..4].copy_from_slice(&ns.to_be_bytes());
            body[4..].copy_from_slice(&s.to_be_bytes());
            self.emit(head_of([0xc7, 12, ty]), 3, &body)
        }
    }

    /// Writes an array header for `len` elements; write the elements next.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.array_len(16).unwrap();
    /// assert_eq!(w.into_inner(), [0xdc, 0, 16]);
    /// ```
    #[inline(always)]
    pub fn array_len(&mut self, len: u32) -> Result<(), Error> {
        self.tick();
        self.pending += len as u64;
        let (h, n) = Self::len_head(len, ARRAY);
        self.emit_head(h, n)
    }

    /// Writes a map header for `len` pairs; write keys and values next, alternating.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.map_len(1).unwrap();
    /// assert_eq!(w.into_inner(), [0x81]);
    /// ```
    #[inline(always)]
    pub fn map_len(&mut self, len: u32) -> Result<(), Error> {
        self.tick();
        self.pending += 2 * len as u64;
        let (h, n) = Self::len_head(len, MAP);
        self.emit_head(h, n)
    }

    /// Writes bytes that already are MessagePack (one or more complete values) as they are,
    /// so that subtrees can be spliced without decoding them. For one value already known to
    /// be complete, [`Writer::raw_value`] skips the walk.
    ///
    /// The bytes are walked once with [`crate::skip_value`] to count the values
    /// (the writer needs the count for containers of unknown length) and to make sure they
    /// are complete; nothing is decoded or copied besides the write itself.
    ///
    /// # Errors
    ///
    /// Whatever [`crate::skip_value`] finds (truncation, the reserved byte), with
    /// the offset within `msgpack`; then nothing is written. Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.array_len(3)?;
    /// w.raw(&[0x91, 0x01, 0xc0])?; // two values: [1] and nil
    /// w.nil()?;
    /// assert_eq!(w.finish()?, [0x93, 0x91, 0x01, 0xc0, 0xc0]);
    /// assert!(msgskim::write::Writer::new(Vec::new()).raw(&[0x92, 0x01]).is_err());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn raw(&mut self, msgpack: &[u8]) -> Result<(), Error> {
        let n = count_values(msgpack)?;
        self.ticks(n);
        self.emit([0; HEAD_MAX], 0, msgpack)
    }

    /// Writes a [`RawValue`]'s bytes as they are: a subtree spliced without decoding or
    /// re-checking it (a `RawValue` always holds exactly one complete value), counted as one
    /// element. Only the copy costs anything.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{write::Writer, RawValue};
    /// // Keep "tags" of one document and put it into another, untouched.
    /// let doc = RawValue::new(b"\x82\xa1n\xa1a\xa4tags\x92\xa1x\xa1y")?;
    /// let tags = doc.get("tags").unwrap();
    /// let mut w = Writer::new(Vec::new());
    /// w.map_len(1)?;
    /// w.str("t")?;
    /// w.raw_value(tags)?;
    /// assert_eq!(w.finish()?, b"\x81\xa1t\x92\xa1x\xa1y");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn raw_value(&mut self, value: RawValue<'_>) -> Result<(), Error> {
        self.tick();
        self.emit([0; HEAD_MAX], 0, value.as_bytes())
    }

    /// Writes one [`Token`]: a scalar in its smallest form (integers per the [`IntMode`]), or
    /// a container header whose elements must follow. Re-encoding a token stream this way
    /// normalizes it to the smallest forms.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports; [`ErrorKind::LengthLimit`] past 4 GiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{write::Writer, Tokenizer};
    /// // [uint16 1, int32 -1] in wasteful forms
    /// let input = [0x92, 0xcd, 0, 1, 0xd2, 0xff, 0xff, 0xff, 0xff];
    /// let mut w = Writer::new(Vec::new());
    /// for t in Tokenizer::new(&input) {
    ///     w.token(&t?)?;
    /// }
    /// assert_eq!(w.finish()?, [0x92, 0x01, 0xff]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn token(&mut self, t: &Token<'_>) -> Result<(), Error> {
        match *t {
            Token::Nil => self.nil(),
            Token::Bool(v) => self.bool(v),
            Token::UInt(v) => self.uint(v),
            Token::Int(v) => self.int(v),
            Token::F32(v) => self.f32(v),
            Token::F64(v) => self.f64(v),
            Token::Str(s) => self.str_bytes(s.as_bytes()),
            Token::Bin(b) => self.bin(b),
            Token::Ext(e) => self.ext(e.ty, e.data),
            Token::Timestamp(ts) => self.timestamp(ts),
            Token::Array(n) => self.array_len(n),
            Token::Map(n) => self.map_len(n),
        }
    }

    /// Writes any [`Encode`] value: Rust scalars, strings, options, slices, maps, tokens.
    ///
    /// # Errors
    ///
    /// Whatever writing the value reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.encode(&[Some(1u8), None])?;
    /// assert_eq!(w.into_inner(), [0x92, 0x01, 0xc0]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    pub fn encode<T: Encode + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.encode(self)
    }
}

impl<S: PatchSink> Writer<S> {
    fn begin(&mut self, map: bool, how: Deferred) -> Result<Open, Error> {
        let pos = usize::try_from(self.sink.position()).unwrap_or(NONE);
        self.sink
            .put(&[if map { 0xdf } else { 0xdd }, 0, 0, 0, 0])?;
        self.tick();
        let open = Open {
            pos,
            parent: self.open,
            count: self.count,
            pending: self.pending,
            map,
            how,
        };
        self.open = pos;
        self.count = 0;
        self.pending = 0;
        self.depth += 1;
        Ok(open)
    }

    /// Opens an array whose length is not known yet; write its elements, then close it with
    /// [`Writer::end`]. See the [module docs](self) for the strategies.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports (the header takes 5 bytes while the array is open).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Deferred, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// let outer = w.begin_array(Deferred::Compact)?;
    /// let inner = w.begin_array(Deferred::Compact)?;
    /// w.uint(1)?;
    /// w.end(inner)?;
    /// w.uint(2)?;
    /// w.end(outer)?;
    /// assert_eq!(w.into_inner(), [0x92, 0x91, 0x01, 0x02]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn begin_array(&mut self, how: Deferred) -> Result<Open, Error> {
        self.begin(false, how)
    }

    /// Opens a map whose length is not known yet; write keys and values, alternating, then
    /// close it with [`Writer::end`].
    ///
    /// # Errors
    ///
    /// Whatever the sink reports (the header takes 5 bytes while the map is open).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Deferred, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// let m = w.begin_map(Deferred::Patch)?;
    /// w.str("a")?;
    /// w.nil()?;
    /// w.end(m)?;
    /// assert_eq!(w.into_inner(), [0xdf, 0, 0, 0, 1, 0xa1, b'a', 0xc0]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn begin_map(&mut self, how: Deferred) -> Result<Open, Error> {
        self.begin(true, how)
    }

    /// Closes the innermost open container of unknown length, writing its header.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnbalancedContainer`] when `open` is not the innermost open container
    ///   (offset: its header), or when a container of known length inside it still lacks
    ///   elements (offset: the current position);
    /// - [`ErrorKind::OddMapItems`] for a map holding a key without a value;
    /// - [`ErrorKind::ContainerLimit`] past 2^32 - 1 elements.
    ///
    /// On error the container stays open and the output is not usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, write::{Deferred, Writer}};
    /// let mut w = Writer::new(Vec::new());
    /// let m = w.begin_map(Deferred::Compact)?;
    /// w.str("key without value")?;
    /// assert_eq!(w.end(m).unwrap_err().kind(), ErrorKind::OddMapItems);
    ///
    /// let mut w = Writer::new(Vec::new());
    /// let outer = w.begin_array(Deferred::Compact)?;
    /// let _inner = w.begin_array(Deferred::Compact)?;
    /// assert_eq!(w.end(outer).unwrap_err().kind(), ErrorKind::UnbalancedContainer);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn end(&mut self, open: Open) -> Result<(), Error> {
        if open.pos != self.open || open.pos == NONE {
            return Err(Error::new(open.pos as u64, ErrorKind::UnbalancedContainer));
        }
        if self.pending != 0 {
            return Err(self.error(ErrorKind::UnbalancedContainer));
        }
        let items = self.count;
        let len = if open.map {
            if items % 2 != 0 {
                return Err(self.error(ErrorKind::OddMapItems));
            }
            items / 2
        } else {
            items
        };
        let Ok(len) = u32::try_from(len) else {
            return Err(Error::new(
                open.pos as u64,
                ErrorKind::ContainerLimit {
                    len,
                    limit: u32::MAX as u64,
                },
            ));
        };
        match open.how {
            Deferred::Patch => self.sink.patch(open.pos + 1, &len.to_be_bytes()),
            Deferred::Compact => {
                let (h, n) = Self::len_head(len, if open.map { MAP } else { ARRAY });
                self.sink.patch(open.pos, &h[..n]);
                if n < 5 {
                    self.sink.close_gap(open.pos + n, 5 - n);
                }
            }
        }
        self.open = open.parent;
        self.count = open.count;
        self.pending = open.pending;
        self.depth -= 1;
        Ok(())
    }

    /// Writes an array of unknown length with `f` writing its elements: [`Writer::begin_array`],
    /// `f`, [`Writer::end`].
    ///
    /// # Errors
    ///
    /// Whatever `f` or [`Writer::end`] reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Deferred, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// w.array_with(Deferred::Compact, |w| (0..20u8).try_for_each(|i| w.uint(i.into())))?;
    /// assert_eq!(w.into_inner()[..4], [0xdc, 0, 20, 0]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn array_with<F>(&mut self, how: Deferred, f: F) -> Result<(), Error>
    where
        F: FnOnce(&mut Self) -> Result<(), Error>,
    {
        let open = self.begin_array(how)?;
        f(self)?;
        self.end(open)
    }

    /// Writes a map of unknown length with `f` writing its keys and values: see
    /// [`Writer::array_with`].
    ///
    /// # Errors
    ///
    /// Whatever `f` or [`Writer::end`] reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Deferred, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// w.map_with(Deferred::Compact, |w| {
    ///     w.str("x")?;
    ///     w.uint(1)
    /// })?;
    /// assert_eq!(w.into_inner(), [0x81, 0xa1, b'x', 0x01]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn map_with<F>(&mut self, how: Deferred, f: F) -> Result<(), Error>
    where
        F: FnOnce(&mut Self) -> Result<(), Error>,
    {
        let open = self.begin_map(how)?;
        f(self)?;
        self.end(open)
    }
}
