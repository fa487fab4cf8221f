//! Raw values: the exact bytes of one complete MessagePack value, read lazily.
//!
//! A [`RawValue`] is a checked slice plus the offset where it sits in the buffer it came
//! from. Nothing is decoded until an accessor asks: [`RawValue::get`] walks a map's keys and
//! skips every value it passes over, [`RawValue::index`] skips the elements before the one
//! wanted, and the scalar accessors decode one header.

use core::fmt;

use crate::error::{Error, ErrorKind};
use crate::head::{decode_head, decode_window, padded, Head, Header};
use crate::marker::{Family, HEADER_LEN, LEAD};
use crate::skip::skip_value;
use crate::token::{Ext, Str, Timestamp, Token};
use crate::tokenizer::{Limits, Tokenizer};

/// What kind of value a [`RawValue`] holds.
///
/// # Examples
///
/// ```
/// use msgskim::{RawValue, ValueKind};
/// assert_eq!(RawValue::new(&[0x91, 0x01])?.kind(), ValueKind::Array);
/// assert_eq!(RawValue::new(&[0xd6, 0xff, 0, 0, 0, 1])?.kind(), ValueKind::Timestamp);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool,
    /// An integer, in any format.
    Int,
    /// A float 32 or float 64.
    Float,
    /// A str.
    Str,
    /// A bin.
    Bin,
    /// A well-formed Timestamp extension (type -1).
    Timestamp,
    /// Any other ext (including a malformed type -1 ext).
    Ext,
    /// An array.
    Array,
    /// A map.
    Map,
}

impl ValueKind {
    /// The kind's name, as used in error messages (`"integer"`, `"map"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::ValueKind::Int.name(), "integer");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ValueKind::Nil => "nil",
            ValueKind::Bool => "bool",
            ValueKind::Int => "integer",
            ValueKind::Float => "float",
            ValueKind::Str => "str",
            ValueKind::Bin => "bin",
            ValueKind::Timestamp => "timestamp",
            ValueKind::Ext => "ext",
            ValueKind::Array => "array",
            ValueKind::Map => "map",
        }
    }
}

/// The exact bytes of one complete MessagePack value, with lazy accessors.
///
/// A `RawValue` is built by checking that its bytes hold exactly one structurally complete
/// value (headers, declared lengths, the reserved byte; see [`skip_value`]). It remembers the
/// [`offset`](RawValue::offset) where it sits in the buffer it was cut from, so values handed
/// out from a large dump still say where they are, and so do errors about them.
///
/// Accessors decode only what they are asked for: `get` and `index` skip everything they pass
/// over without decoding it, and scalar accessors read a single header. Nothing allocates.
///
/// # Examples
///
/// ```
/// use msgskim::RawValue;
///
/// // {"n": "a.txt", "s": 300, "tags": ["x", "y"]}
/// let bytes = b"\x83\xa1n\xa5a.txt\xa1s\xd1\x01\x2c\xa4tags\x92\xa1x\xa1y";
/// let v = RawValue::new(bytes)?;
/// assert_eq!(v.get("n").and_then(|n| n.as_str()), Some("a.txt"));
/// assert_eq!(v.get("s").and_then(|s| s.as_i64()), Some(300));
/// let tags = v.get("tags").unwrap();
/// assert_eq!(tags.index(1).and_then(|t| t.as_str()), Some("y"));
/// assert_eq!(tags.offset(), 19);
/// assert_eq!(tags.as_bytes(), b"\x92\xa1x\xa1y");
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawValue<'a> {
    bytes: &'a [u8],
    offset: usize,
}

/// For each lead byte of a fixstr or a str 8: `header | base << 8 | mask << 16`, the str's
/// length being `base + (mask & the byte after the lead byte)`; 0 for every other lead byte.
/// Derived from [`LEAD`] and [`HEADER_LEN`].
static SHORT_STR: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        let l = &LEAD[b];
        let hdr = HEADER_LEN[b] as u32;
        if matches!(l.family, Family::FixStr) {
            t[b] = hdr | (l.imm as u32) << 8;
        } else if matches!(l.family, Family::Str) && l.width == 1 {
            t[b] = hdr | 0xff << 16;
        }
        b += 1;
    }
    t
};

impl<'a> RawValue<'a> {
    /// Checks that `bytes` hold exactly one complete value and wraps them (offset 0).
    ///
    /// # Errors
    ///
    /// Any error of [`skip_value`] (truncation, the reserved byte), or
    /// [`ErrorKind::TrailingBytes`] at the end of the value when bytes follow it.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, RawValue};
    /// assert!(RawValue::new(&[0x92, 0x01, 0x02]).is_ok());
    /// assert!(RawValue::new(&[0x92, 0x01]).unwrap_err().is_truncated());
    /// let e = RawValue::new(&[0x01, 0x02]).unwrap_err();
    /// assert_eq!((e.offset(), e.kind()), (1, ErrorKind::TrailingBytes));
    /// ```
    pub fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        let end = skip_value(bytes, 0)?;
        if end != bytes.len() {
            return Err(Error::new(end as u64, ErrorKind::TrailingBytes));
        }
        Ok(RawValue { bytes, offset: 0 })
    }

    /// The value that starts at `buf[pos]`, whatever follows it. Its
    /// [`offset`](RawValue::offset) is `pos`, and errors carry offsets into `buf`.
    ///
    /// Use [`end`](RawValue::end) to step to the next value of a buffer holding many.
    ///
    /// # Errors
    ///
    /// Any error of [`skip_value`], with its offset into `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// let buf = [0x01, 0x92, 0xa1, b'a', 0xc0, 0xc3];
    /// let v = RawValue::at(&buf, 1)?;
    /// assert_eq!((v.offset(), v.end()), (1, 5));
    /// assert_eq!(v.index(0).unwrap().offset(), 2);
    /// let next = RawValue::at(&buf, v.end())?;
    /// assert_eq!(next.as_bool(), Some(true));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    pub fn at(buf: &'a [u8], pos: usize) -> Result<Self, Error> {
        let end = skip_value(buf, pos)?;
        Ok(RawValue {
            bytes: &buf[pos..end],
            offset: pos,
        })
    }

    /// Wraps bytes that a caller has already checked to be exactly one complete value.
    ///
    /// Not unsafe: on bytes that are not one complete value the accessors return `None` (or
    /// stop early) rather than misbehave. Readers inside the crate use it to hand out values
    /// they skipped themselves without checking them twice.
    #[inline]
    #[allow(dead_code)]
    pub(crate) const fn from_checked(bytes: &'a [u8], offset: usize) -> Self {
        RawValue { bytes, offset }
    }

    /// The value's encoding: exactly the bytes it occupies in the input.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::at(&[0xc0, 0xa2, b'h', b'i'], 1)?;
    /// assert_eq!(v.as_bytes(), b"\xa2hi");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The offset of the value's first byte in the buffer it was cut from.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::RawValue::at(&[0xc0, 0xc0], 1)?.offset(), 1);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The offset just past the value's last byte in the buffer it was cut from.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::RawValue::at(&[0xc0, 0xcd, 1, 0], 1)?.end(), 4);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    #[must_use]
    pub const fn end(&self) -> usize {
        self.offset + self.bytes.len()
    }

    #[inline]
    fn header(&self) -> Option<Header> {
        if let Some(w) = self.bytes.first_chunk::<9>() {
            return decode_window(w).ok();
        }
        // A value of fewer than nine bytes (every scalar but float 64 and 64-bit integers):
        // all of it, padded. Inline, where the head decoder's own path for the last bytes of
        // a buffer is kept out of line.
        let h = decode_window(&padded(self.bytes)).ok()?;
        (h.len <= self.bytes.len()).then_some(h)
    }

    #[inline]
    fn payload(&self, h: &Header) -> Option<&'a [u8]> {
        self.bytes.get(h.len..h.len + h.payload_len())
    }

    /// What kind of value this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{RawValue, ValueKind};
    /// assert_eq!(RawValue::new(&[0xcb, 0, 0, 0, 0, 0, 0, 0, 0])?.kind(), ValueKind::Float);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn kind(&self) -> ValueKind {
        let Some(h) = self.header() else {
            // Only reachable for unchecked bytes; report the least committal kind.
            return ValueKind::Nil;
        };
        match h.head() {
            Head::Nil => ValueKind::Nil,
            Head::Bool(_) => ValueKind::Bool,
            Head::UInt(_) | Head::Int(_) => ValueKind::Int,
            Head::F32(_) | Head::F64(_) => ValueKind::Float,
            Head::Str(_) => ValueKind::Str,
            Head::Bin(_) => ValueKind::Bin,
            Head::Ext { .. } => {
                if self.as_timestamp().is_some() {
                    ValueKind::Timestamp
                } else {
                    ValueKind::Ext
                }
            }
            Head::Array(_) => ValueKind::Array,
            Head::Map(_) => ValueKind::Map,
        }
    }

    /// The name of the value's type (`"nil"`, `"integer"`, `"str"`, `"map"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::RawValue::new(&[0x80])?.type_name(), "map");
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        self.kind().name()
    }

    /// True for `nil`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::RawValue::new(&[0xc0])?.is_nil());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline]
    #[must_use]
    pub fn is_nil(&self) -> bool {
        self.bytes.first() == Some(&0xc0)
    }

    /// The value's first token: the whole value for a scalar, the header with its count for
    /// an array or map. A type -1 ext comes back as [`Token::Timestamp`] when well-formed and
    /// as [`Token::Ext`] otherwise. Str payloads are not checked for UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{RawValue, Token};
    /// assert_eq!(RawValue::new(&[0x92, 0x01, 0x02])?.token(), Some(Token::Array(2)));
    /// assert_eq!(RawValue::new(&[0xd0, 0xfe])?.token(), Some(Token::Int(-2)));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn token(&self) -> Option<Token<'a>> {
        let h = self.header()?;
        Some(match h.head() {
            Head::Nil => Token::Nil,
            Head::Bool(b) => Token::Bool(b),
            Head::UInt(v) => Token::UInt(v),
            Head::Int(v) => Token::Int(v),
            Head::F32(v) => Token::F32(v),
            Head::F64(v) => Token::F64(v),
            Head::Str(_) => Token::Str(Str::new(self.payload(&h)?)),
            Head::Bin(_) => Token::Bin(self.payload(&h)?),
            Head::Ext { ty, .. } => {
                let ext = Ext {
                    ty,
                    data: self.payload(&h)?,
                };
                match ext.timestamp() {
                    Some(Ok(ts)) => Token::Timestamp(ts),
                    _ => Token::Ext(ext),
                }
            }
            Head::Array(n) => Token::Array(n),
            Head::Map(n) => Token::Map(n),
        })
    }

    /// A [`Tokenizer`] over the value's bytes (default [`Limits`]). Its positions and error
    /// offsets count from the start of the value; add [`offset`](RawValue::offset) for
    /// offsets into the original buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{RawValue, Token};
    /// let v = RawValue::new(&[0x92, 0x01, 0xc0])?;
    /// let toks = v.tokens().collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(toks, [Token::Array(2), Token::UInt(1), Token::Nil]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn tokens(&self) -> Tokenizer<'a> {
        Tokenizer::new(self.bytes)
    }

    /// A [`Tokenizer`] over the value's bytes with the given limits and options.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Limits, RawValue};
    /// let v = RawValue::new(&[0xa1, 0xff])?;
    /// let strict = Limits { check_utf8: true, ..Limits::default() };
    /// assert!(v.tokens_with_limits(strict).next().unwrap().is_err());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn tokens_with_limits(&self, limits: Limits) -> Tokenizer<'a> {
        Tokenizer::with_limits(self.bytes, limits)
    }

    /// The value as `bool`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::RawValue::new(&[0xc2])?.as_bool(), Some(false));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.header()?.head() {
            Head::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as `i64`, if it is an integer (in any format) that fits.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// assert_eq!(RawValue::new(&[0xcc, 0xff])?.as_i64(), Some(255));
    /// assert_eq!(RawValue::new(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])?.as_i64(), None);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.header()?.head() {
            Head::Int(v) => Some(v),
            Head::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as `u64`, if it is a non-negative integer (in any format).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// assert_eq!(RawValue::new(&[0xd0, 0x05])?.as_u64(), Some(5));
    /// assert_eq!(RawValue::new(&[0xff])?.as_u64(), None);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self.header()?.head() {
            Head::UInt(v) => Some(v),
            Head::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as `f64`: floats as written (float 32 widened), integers converted (possibly
    /// rounding).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// assert_eq!(RawValue::new(&[0xca, 0x3f, 0x00, 0x00, 0x00])?.as_f64(), Some(0.5));
    /// assert_eq!(RawValue::new(&[0x07])?.as_f64(), Some(7.0));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self.header()?.head() {
            Head::F32(v) => Some(v as f64),
            Head::F64(v) => Some(v),
            Head::UInt(v) => Some(v as f64),
            Head::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    /// The str payload as `&str`, if this is a str holding valid UTF-8 (checked now).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// assert_eq!(RawValue::new(b"\xa2hi")?.as_str(), Some("hi"));
    /// assert_eq!(RawValue::new(b"\xa1\xff")?.as_str(), None);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_raw_str()?.to_str().ok()
    }

    /// The str payload as raw bytes (no UTF-8 check), if this is a str.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(b"\xa1\xff")?;
    /// assert_eq!(v.as_raw_str().map(|s| s.as_bytes()), Some(&b"\xff"[..]));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[inline(always)]
    #[must_use]
    pub fn as_raw_str(&self) -> Option<Str<'a>> {
        // Most strs are fixstrs or str 8s: read their length without decoding the header, and
        // without a branch on which of the two it is (names in a listing are either, at
        // random).
        if let [b, rest @ ..] = self.bytes {
            let e = SHORT_STR[*b as usize];
            if e != 0 {
                let next = u32::from(rest.first().copied().unwrap_or(0));
                let start = (e & 0xff) as usize;
                let len = ((e >> 8 & 0xff) + (next & e >> 16)) as usize;
                return self.bytes.get(start..start + len).map(Str::new);
            }
        }
        self.as_raw_str_slow()
    }

    #[inline(never)]
    fn as_raw_str_slow(&self) -> Option<Str<'a>> {
        let h = self.header()?;
        match h.head() {
            Head::Str(_) => Some(Str::new(self.payload(&h)?)),
            _ => None,
        }
    }

    /// The bin payload, if this is a bin. (For the value's own encoding, see
    /// [`as_bytes`](RawValue::as_bytes).)
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(&[0xc4, 0x02, 0xde, 0xad])?;
    /// assert_eq!(v.as_bin(), Some(&[0xde, 0xad][..]));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_bin(&self) -> Option<&'a [u8]> {
        let h = self.header()?;
        match h.head() {
            Head::Bin(_) => self.payload(&h),
            _ => None,
        }
    }

    /// The ext type and payload, if this is an ext (timestamps included).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(&[0xd4, 0x07, 0x2a])?;
    /// assert_eq!(v.as_ext(), Some(msgskim::Ext { ty: 7, data: &[0x2a] }));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_ext(&self) -> Option<Ext<'a>> {
        let h = self.header()?;
        match h.head() {
            Head::Ext { ty, .. } => Some(Ext {
                ty,
                data: self.payload(&h)?,
            }),
            _ => None,
        }
    }

    /// The value as a [`Timestamp`], if it is a well-formed Timestamp extension (type -1).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(&[0xd6, 0xff, 0x00, 0x00, 0x00, 0x2a])?;
    /// assert_eq!(v.as_timestamp().map(|t| t.seconds()), Some(42));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn as_timestamp(&self) -> Option<Timestamp> {
        self.as_ext()?.timestamp()?.ok()
    }

    /// The number of elements of an array, or of key/value pairs of a map.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::RawValue;
    /// assert_eq!(RawValue::new(&[0x81, 0x01, 0x02])?.len(), Some(1));
    /// assert_eq!(RawValue::new(&[0x01])?.len(), None);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Option<u32> {
        match self.header()?.head() {
            Head::Array(n) | Head::Map(n) => Some(n),
            _ => None,
        }
    }

    /// The elements of an array, as raw values; `None` if this is not an array.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(&[0x93, 0x01, 0x02, 0x03])?;
    /// let sum: i64 = v.iter().unwrap().filter_map(|e| e.as_i64()).sum();
    /// assert_eq!(sum, 6);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn iter(&self) -> Option<Elements<'a>> {
        let h = self.header()?;
        match h.head() {
            Head::Array(n) => Some(Elements {
                buf: self.bytes,
                base: self.offset,
                pos: h.len,
                left: n,
            }),
            _ => None,
        }
    }

    /// The key/value pairs of a map, as raw values; `None` if this is not a map.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(b"\x82\xa1a\x01\xa1b\x02")?;
    /// let keys: Vec<&str> = v.entries().unwrap().filter_map(|(k, _)| k.as_str()).collect();
    /// assert_eq!(keys, ["a", "b"]);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn entries(&self) -> Option<Entries<'a>> {
        let h = self.header()?;
        match h.head() {
            Head::Map(n) => Some(Entries {
                inner: Elements {
                    buf: self.bytes,
                    base: self.offset,
                    pos: h.len,
                    left: n,
                },
            }),
            _ => None,
        }
    }

    /// The element at index `i` of an array; `None` if this is not an array or `i` is out of
    /// range. The elements before it are skipped, not decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(b"\x92\xa1a\xa1b")?;
    /// assert_eq!(v.index(1).and_then(|e| e.as_str()), Some("b"));
    /// assert!(v.index(2).is_none());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn index(&self, i: usize) -> Option<RawValue<'a>> {
        let h = self.header()?;
        let Head::Array(n) = h.head() else {
            return None;
        };
        if i >= n as usize {
            return None;
        }
        let mut pos = h.len;
        for _ in 0..i {
            pos = skip_value(self.bytes, pos).ok()?;
        }
        self.child(pos)
    }

    #[inline]
    fn child(&self, pos: usize) -> Option<RawValue<'a>> {
        let end = skip_value(self.bytes, pos).ok()?;
        Some(RawValue {
            bytes: &self.bytes[pos..end],
            offset: self.offset + pos,
        })
    }

    /// Walks a map's keys; for the first whose `matches` says yes, returns its value.
    #[inline]
    fn find(&self, mut matches: impl FnMut(&Header, &[u8]) -> bool) -> Option<RawValue<'a>> {
        let h = self.header()?;
        let Head::Map(n) = h.head() else {
            return None;
        };
        let buf = self.bytes;
        let mut pos = h.len;
        for _ in 0..n {
            let k = decode_head(buf, pos).ok()?;
            let key_end = match k.head() {
                Head::Array(_) | Head::Map(_) => skip_value(buf, pos).ok()?,
                _ => pos + k.len + k.payload_len(),
            };
            if matches(&k, buf.get(pos + k.len..key_end)?) {
                return self.child(key_end);
            }
            pos = skip_value(buf, key_end).ok()?;
        }
        None
    }

    /// The value of the first entry of a map whose key is the str `key` (compared byte for
    /// byte, no UTF-8 check); `None` if this is not a map or no key matches. Keys of other
    /// types are passed over, and so are all values before the match, undecoded.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(b"\x82\xa1n\xa3a/b\xa1s\x05")?;
    /// assert_eq!(v.get("s").and_then(|s| s.as_u64()), Some(5));
    /// assert!(v.get("x").is_none());
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn get(&self, key: &str) -> Option<RawValue<'a>> {
        self.get_raw_str(key.as_bytes())
    }

    /// Like [`get`](RawValue::get), with the key given as raw bytes (for keys that are not
    /// valid UTF-8).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = msgskim::RawValue::new(b"\x81\xa1\xff\xc3")?;
    /// assert_eq!(v.get_raw_str(b"\xff").and_then(|x| x.as_bool()), Some(true));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn get_raw_str(&self, key: &[u8]) -> Option<RawValue<'a>> {
        self.find(|h, payload| matches!(h.head(), Head::Str(_)) && payload == key)
    }

    /// The value of the first entry of a map whose key is the integer `key` (in any integer
    /// format); `None` if this is not a map or no key matches.
    ///
    /// # Examples
    ///
    /// ```
    /// // {1: "one", -1: "minus one"}
    /// let v = msgskim::RawValue::new(b"\x82\x01\xa3one\xff\xa9minus one")?;
    /// assert_eq!(v.get_int(-1).and_then(|x| x.as_str()), Some("minus one"));
    /// assert_eq!(v.get_int(1).and_then(|x| x.as_str()), Some("one"));
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    #[must_use]
    pub fn get_int(&self, key: i64) -> Option<RawValue<'a>> {
        self.find(|h, _| match h.head() {
            Head::Int(v) => v == key,
            Head::UInt(v) => i64::try_from(v) == Ok(key),
            _ => false,
        })
    }
}

impl fmt::Debug for RawValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawValue")
            .field("offset", &self.offset)
            .field("kind", &self.kind())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl<'a> TryFrom<&'a [u8]> for RawValue<'a> {
    type Error = Error;

    /// Same as [`RawValue::new`].
    fn try_from(bytes: &'a [u8]) -> Result<Self, Error> {
        RawValue::new(bytes)
    }
}

/// The elements of an array [`RawValue`], in order; from [`RawValue::iter`].
///
/// # Examples
///
/// ```
/// let v = msgskim::RawValue::new(&[0x92, 0xc0, 0xc3])?;
/// let offsets: Vec<usize> = v.iter().unwrap().map(|e| e.offset()).collect();
/// assert_eq!(offsets, [1, 2]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    buf: &'a [u8],
    base: usize,
    pos: usize,
    left: u32,
}

impl<'a> Iterator for Elements<'a> {
    type Item = RawValue<'a>;

    #[inline]
    fn next(&mut self) -> Option<RawValue<'a>> {
        if self.left == 0 {
            return None;
        }
        let start = self.pos;
        let Ok(end) = skip_value(self.buf, start) else {
            // Only unchecked bytes get here: stop rather than yield garbage.
            self.left = 0;
            return None;
        };
        self.left -= 1;
        self.pos = end;
        Some(RawValue {
            bytes: &self.buf[start..end],
            offset: self.base + start,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

impl core::iter::FusedIterator for Elements<'_> {}

/// The key/value pairs of a map [`RawValue`], in order; from [`RawValue::entries`].
///
/// # Examples
///
/// ```
/// let v = msgskim::RawValue::new(b"\x81\xa1k\x07")?;
/// let (k, val) = v.entries().unwrap().next().unwrap();
/// assert_eq!((k.as_str(), val.as_u64()), (Some("k"), Some(7)));
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    inner: Elements<'a>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (RawValue<'a>, RawValue<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let it = &mut self.inner;
        if it.left == 0 {
            return None;
        }
        let start = it.pos;
        let pair = skip_value(it.buf, start).and_then(|mid| Ok((mid, skip_value(it.buf, mid)?)));
        let Ok((mid, end)) = pair else {
            it.left = 0;
            return None;
        };
        it.left -= 1;
        it.pos = end;
        Some((
            RawValue {
                bytes: &it.buf[start..mid],
                offset: it.base + start,
            },
            RawValue {
                bytes: &it.buf[mid..end],
                offset: it.base + mid,
            },
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl core::iter::FusedIterator for Entries<'_> {}

/// The top-level values of a buffer holding one or more, as raw values; from
/// [`RawValue::all`]. After an error it yields nothing more.
///
/// # Examples
///
/// ```
/// let buf = [0x01, 0x91, 0x02, 0xc0];
/// let kinds: Vec<_> = msgskim::RawValue::all(&buf)
///     .map(|v| v.map(|v| v.type_name()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(kinds, ["integer", "array", "nil"]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RawValues<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> RawValue<'a> {
    /// Iterates over the top-level values of `buf` (a dump of pages back to back, a file of
    /// concatenated messages), each checked as it is reached.
    ///
    /// # Examples
    ///
    /// ```
    /// let n = msgskim::RawValue::all(&[0xc0, 0xc0, 0xc0]).count();
    /// assert_eq!(n, 3);
    /// ```
    #[must_use]
    pub fn all(buf: &'a [u8]) -> RawValues<'a> {
        RawValues { buf, pos: 0 }
    }
}

impl<'a> Iterator for RawValues<'a> {
    type Item = Result<RawValue<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let r = RawValue::at(self.buf, self.pos);
        self.pos = match &r {
            Ok(v) => v.end(),
            Err(_) => self.buf.len(),
        };
        Some(r)
    }
}

impl core::iter::FusedIterator for RawValues<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table-driven fast path of `as_raw_str` gives what decoding the header does, for
    /// every lead byte, a range of bytes after it and every cut of the value.
    #[test]
    fn short_str_fast_path_is_the_decoders() {
        let mut strs = 0;
        for b in 0..=255u8 {
            for n in [0u8, 1, 2, 5, 31, 32, 100, 255] {
                let mut buf = [0x61u8; 300];
                buf[0] = b;
                buf[1] = n;
                for len in 1..buf.len() {
                    let v = RawValue {
                        bytes: &buf[..len],
                        offset: 0,
                    };
                    let got = v.as_raw_str().map(|s| s.as_bytes());
                    assert_eq!(
                        got,
                        v.as_raw_str_slow().map(|s| s.as_bytes()),
                        "{b:#04x} {n} cut at {len}"
                    );
                    strs += usize::from(got.is_some());
                }
            }
        }
        assert!(strs > 10_000, "{strs}");
    }
}
