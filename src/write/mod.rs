//! The writer: every value in its smallest form (or, as an option, the integer forms Go's
//! tinylib/msgp writes).

use crate::error::{Error, ErrorKind};
use crate::token::Timestamp;

/// Where a [`Writer`] puts its bytes.
pub trait Sink {
    /// Appends `bytes`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BufferFull`] when a fixed-size sink has no room.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A fixed caller-provided buffer as a sink; overflow is [`ErrorKind::BufferFull`].
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
            None => Err(Error::new(self.len as u64, ErrorKind::BufferFull)),
        }
    }
}

/// How integers are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IntMode {
    /// The smallest form that holds the value, signed or not (what rmpv and msgpack-c write).
    #[default]
    Smallest,
    /// Signed Rust types use positive fixint up to 127 and then the signed formats (int 16,
    /// 32, 64), as Go's tinylib/msgp does; unsigned types use the unsigned formats.
    GoCompatible,
}

/// A MessagePack writer over a [`Sink`].
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
        Writer {
            sink,
            mode: IntMode::Smallest,
        }
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
        Writer { sink, mode }
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

    /// Gives the sink back.
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

    #[inline]
    fn put(&mut self, b: &[u8]) -> Result<(), Error> {
        self.sink.put(b)
    }

    #[inline]
    fn marker_be<const N: usize>(&mut self, marker: u8, v: [u8; N]) -> Result<(), Error> {
        let mut tmp = [0u8; 9];
        tmp[0] = marker;
        tmp[1..=N].copy_from_slice(&v);
        self.put(&tmp[..=N])
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
    pub fn nil(&mut self) -> Result<(), Error> {
        self.put(&[0xc0])
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
    pub fn bool(&mut self, v: bool) -> Result<(), Error> {
        self.put(&[if v { 0xc3 } else { 0xc2 }])
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
    pub fn uint(&mut self, v: u64) -> Result<(), Error> {
        if v < 128 {
            self.put(&[v as u8])
        } else if v <= u8::MAX as u64 {
            self.put(&[0xcc, v as u8])
        } else if v <= u16::MAX as u64 {
            self.marker_be(0xcd, (v as u16).to_be_bytes())
        } else if v <= u32::MAX as u64 {
            self.marker_be(0xce, (v as u32).to_be_bytes())
        } else {
            self.marker_be(0xcf, v.to_be_bytes())
        }
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
    pub fn int(&mut self, v: i64) -> Result<(), Error> {
        if v >= 0 {
            return match self.mode {
                IntMode::Smallest => self.uint(v as u64),
                IntMode::GoCompatible => {
                    if v < 128 {
                        self.put(&[v as u8])
                    } else if v <= i16::MAX as i64 {
                        self.marker_be(0xd1, (v as i16).to_be_bytes())
                    } else if v <= i32::MAX as i64 {
                        self.marker_be(0xd2, (v as i32).to_be_bytes())
                    } else {
                        self.marker_be(0xd3, v.to_be_bytes())
                    }
                }
            };
        }
        if v >= -32 {
            self.put(&[v as u8])
        } else if v >= i8::MIN as i64 {
            self.put(&[0xd0, v as u8])
        } else if v >= i16::MIN as i64 {
            self.marker_be(0xd1, (v as i16).to_be_bytes())
        } else if v >= i32::MIN as i64 {
            self.marker_be(0xd2, (v as i32).to_be_bytes())
        } else {
            self.marker_be(0xd3, v.to_be_bytes())
        }
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
    pub fn f32(&mut self, v: f32) -> Result<(), Error> {
        self.marker_be(0xca, v.to_bits().to_be_bytes())
    }

    /// Writes a float 64.
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
    pub fn f64(&mut self, v: f64) -> Result<(), Error> {
        self.marker_be(0xcb, v.to_bits().to_be_bytes())
    }

    fn len_header(
        &mut self,
        v: u32,
        fix: Option<(u8, u32)>,
        m8: Option<u8>,
        m16: u8,
        m32: u8,
    ) -> Result<(), Error> {
        if let Some((base, max)) = fix {
            if v <= max {
                return self.put(&[base | v as u8]);
            }
        }
        if let Some(m8) = m8 {
            if v <= u8::MAX as u32 {
                return self.put(&[m8, v as u8]);
            }
        }
        if v <= u16::MAX as u32 {
            self.marker_be(m16, (v as u16).to_be_bytes())
        } else {
            self.marker_be(m32, v.to_be_bytes())
        }
    }

    fn checked_len(&self, len: usize) -> Result<u32, Error> {
        u32::try_from(len).map_err(|_| {
            Error::new(
                0,
                ErrorKind::LengthLimit {
                    len: len as u64,
                    limit: u32::MAX as u64,
                },
            )
        })
    }

    /// Writes a str header for `len` bytes.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.str_len(32).unwrap();
    /// assert_eq!(w.into_inner(), [0xd9, 32]);
    /// ```
    pub fn str_len(&mut self, len: u32) -> Result<(), Error> {
        self.len_header(len, Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb)
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
    pub fn str_bytes(&mut self, v: &[u8]) -> Result<(), Error> {
        let n = self.checked_len(v.len())?;
        self.str_len(n)?;
        self.put(v)
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
    pub fn bin(&mut self, v: &[u8]) -> Result<(), Error> {
        let n = self.checked_len(v.len())?;
        self.len_header(n, None, Some(0xc4), 0xc5, 0xc6)?;
        self.put(v)
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
    pub fn ext(&mut self, ty: i8, data: &[u8]) -> Result<(), Error> {
        let n = self.checked_len(data.len())?;
        let t = ty as u8;
        match n {
            1 => self.put(&[0xd4, t])?,
            2 => self.put(&[0xd5, t])?,
            4 => self.put(&[0xd6, t])?,
            8 => self.put(&[0xd7, t])?,
            16 => self.put(&[0xd8, t])?,
            _ if n <= u8::MAX as u32 => self.put(&[0xc7, n as u8, t])?,
            _ if n <= u16::MAX as u32 => {
                let l = (n as u16).to_be_bytes();
                self.put(&[0xc8, l[0], l[1], t])?
            }
            _ => {
                let l = n.to_be_bytes();
                self.put(&[0xc9, l[0], l[1], l[2], l[3], t])?
            }
        }
        self.put(data)
    }

    /// Writes a Timestamp in the smallest of its three forms.
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
    pub fn timestamp(&mut self, t: Timestamp) -> Result<(), Error> {
        let (s, ns) = (t.seconds(), t.nanoseconds());
        if (0..1 << 34).contains(&s) {
            if ns == 0 && s <= u32::MAX as i64 {
                self.ext(-1, &(s as u32).to_be_bytes())
            } else {
                self.ext(-1, &(((ns as u64) << 34) | s as u64).to_be_bytes())
            }
        } else {
            let mut d = [0u8; 12];
            d[..4].copy_from_slice(&ns.to_be_bytes());
            d[4..].copy_from_slice(&s.to_be_bytes());
            self.ext(-1, &d)
        }
    }

    /// Writes an array header for `len` elements.
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
    pub fn array_len(&mut self, len: u32) -> Result<(), Error> {
        self.len_header(len, Some((0x90, 15)), None, 0xdc, 0xdd)
    }

    /// Writes a map header for `len` pairs.
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
    pub fn map_len(&mut self, len: u32) -> Result<(), Error> {
        self.len_header(len, Some((0x80, 15)), None, 0xde, 0xdf)
    }

    /// Writes bytes that already are MessagePack, as they are.
    ///
    /// # Errors
    ///
    /// Whatever the sink reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = msgskim::write::Writer::new(Vec::new());
    /// w.raw(&[0x91, 0x01]).unwrap();
    /// assert_eq!(w.into_inner(), [0x91, 0x01]);
    /// ```
    pub fn raw(&mut self, msgpack: &[u8]) -> Result<(), Error> {
        self.put(msgpack)
    }
}
