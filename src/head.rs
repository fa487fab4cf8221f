//! The head decoder: one token's header, decoded from `(buf, pos)`, pure and atomic.
//!
//! Every reader in the crate (tokenizer, skip, validate, raw values, queries, the stream
//! decoder) calls [`decode_head`]; none of them looks at lead bytes on its own.

use core::num::NonZeroUsize;

use crate::error::{Error, ErrorKind};
use crate::marker::{Family, Lead, LEAD};

/// The decoded header of one token.
///
/// For `Str`, `Bin` and `Ext` the payload (the declared number of bytes) follows the header
/// and is *not* checked to be present: that is the caller's business, because a resumable
/// reader and a slice reader treat a missing payload differently.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Head {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// A positive fixint or an unsigned integer format.
    UInt(u64),
    /// A negative fixint or a signed integer format (which may hold a non-negative value).
    Int(i64),
    /// A float 32.
    F32(f32),
    /// A float 64.
    F64(f64),
    /// A str header with its payload length.
    Str(u32),
    /// A bin header with its payload length.
    Bin(u32),
    /// An ext header: type and payload length.
    Ext {
        /// The application-defined (or, negative, predefined) type.
        ty: i8,
        /// The payload length.
        len: u32,
    },
    /// An array header with its element count.
    Array(u32),
    /// A map header with its pair count.
    Map(u32),
}

impl Head {
    /// The number of payload bytes that follow the header (non-zero for str, bin, ext only).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::Head;
    /// assert_eq!(Head::Str(3).payload_len(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub const fn payload_len(&self) -> usize {
        match *self {
            Head::Str(n) | Head::Bin(n) | Head::Ext { len: n, .. } => n as usize,
            _ => 0,
        }
    }

    /// The number of values nested directly inside (elements of an array, keys plus values of
    /// a map); zero for everything else.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::Head;
    /// assert_eq!(Head::Map(2).children(), 4);
    /// ```
    #[inline]
    #[must_use]
    pub const fn children(&self) -> u64 {
        match *self {
            Head::Array(n) => n as u64,
            Head::Map(n) => 2 * n as u64,
            _ => 0,
        }
    }
}

/// A decoded header: the lead byte's table entry, the raw bytes after it, and its length.
///
/// Hot loops read [`value`](Header::value), [`payload_len`](Header::payload_len) and
/// [`children`](Header::children), which are branch-free table arithmetic; code that wants the
/// meaning spelled out calls [`head`](Header::head).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Header {
    /// The lead byte's entry in the table.
    pub lead: &'static Lead,
    /// How many bytes the header occupies, lead byte included.
    pub len: usize,
    /// The 8 bytes after the lead byte, big-endian (zero-padded at the end of a buffer).
    body: u64,
}

impl Header {
    /// The family of the token.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{head::decode_head, marker::Family};
    /// assert_eq!(decode_head(&[0xd9, 1, b'x'], 0).unwrap().family(), Family::Str);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn family(&self) -> Family {
        self.lead.family
    }

    /// The header's value field, unsigned: the integer of an unsigned format, the bits of a
    /// float, a str/bin/ext payload length, an array/map count, or the inline value of a fix
    /// format. For signed formats use [`int`](Header::int).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::decode_head;
    /// assert_eq!(decode_head(&[0xdc, 0x01, 0x00], 0).unwrap().value(), 256);
    /// assert_eq!(decode_head(&[0x93], 0).unwrap().value(), 3);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn value(&self) -> u64 {
        let w = self.lead.width as u32;
        if w == 0 {
            self.lead.imm as u64
        } else {
            self.body >> (64 - 8 * w)
        }
    }

    /// The value of a signed format (int 8..64, negative fixint), sign-extended.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::decode_head;
    /// assert_eq!(decode_head(&[0xd1, 0xff, 0x00], 0).unwrap().int(), -256);
    /// assert_eq!(decode_head(&[0xe0], 0).unwrap().int(), -32);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn int(&self) -> i64 {
        let w = self.lead.width as u32;
        if w == 0 {
            self.lead.imm as i8 as i64
        } else {
            (self.body as i64) >> (64 - 8 * w)
        }
    }

    /// The ext type byte (meaningful for ext and fixext only).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::decode_head;
    /// assert_eq!(decode_head(&[0xc7, 0, 0xff], 0).unwrap().ext_type(), -1);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn ext_type(&self) -> i8 {
        // The type byte is the last header byte for ext and fixext alike.
        let e = self.lead.extra as u32;
        if e == 0 {
            0
        } else {
            (self.body >> (64 - 8 * e)) as u8 as i8
        }
    }

    /// The number of payload bytes that follow the header (non-zero for str, bin, ext only).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::decode_head;
    /// let h = decode_head(&[0xa3, b'a', b'b', b'c'], 0).unwrap();
    /// assert_eq!(h.payload_len(), 3);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn payload_len(&self) -> usize {
        (self.value() * self.lead.payload as u64) as usize
    }

    /// The number of values nested directly inside (elements of an array, keys plus values of
    /// a map); zero for everything else.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::decode_head;
    /// assert_eq!(decode_head(&[0x82], 0).unwrap().children(), 4);
    /// ```
    #[inline(always)]
    #[must_use]
    pub const fn children(&self) -> u64 {
        self.value() * self.lead.nested as u64
    }

    /// What the header says, spelled out.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::head::{decode_head, Head};
    /// assert_eq!(decode_head(&[0xcd, 0x01, 0x00], 0).unwrap().head(), Head::UInt(256));
    /// ```
    #[inline(always)]
    #[must_use]
    pub fn head(&self) -> Head {
        let v = self.value();
        match self.lead.family {
            Family::PosFixInt | Family::UInt => Head::UInt(v),
            Family::NegFixInt | Family::Int => Head::Int(self.int()),
            Family::Nil | Family::Reserved => Head::Nil,
            Family::Bool => Head::Bool(v != 0),
            Family::F32 => Head::F32(f32::from_bits(v as u32)),
            Family::F64 => Head::F64(f64::from_bits(v)),
            Family::FixStr | Family::Str => Head::Str(v as u32),
            Family::Bin => Head::Bin(v as u32),
            Family::FixExt | Family::Ext => Head::Ext {
                ty: self.ext_type(),
                len: v as u32,
            },
            Family::FixArray | Family::Array => Head::Array(v as u32),
            Family::FixMap | Family::Map => Head::Map(v as u32),
        }
    }
}

/// Why a header could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    /// The buffer ends inside the header: at least `needed` more bytes are required.
    Incomplete {
        /// The least number of further bytes that could complete the header.
        needed: NonZeroUsize,
    },
    /// The lead byte is the reserved `0xc1`.
    Reserved,
}

impl HeadError {
    /// The crate's error for a header that could not be decoded at byte `pos`: a truncation
    /// needing at least `needed` more bytes, or the reserved byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{head::decode_head, ErrorKind};
    /// let e = decode_head(&[0xcd, 0x01], 0).unwrap_err().at(0);
    /// assert_eq!(e.kind(), ErrorKind::Truncated { needed: 1 });
    /// ```
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn at(self, pos: usize) -> Error {
        let kind = match self {
            HeadError::Incomplete { needed } => ErrorKind::Truncated {
                needed: needed.get(),
            },
            HeadError::Reserved => ErrorKind::ReservedByte,
        };
        Error::new(pos as u64, kind)
    }
}

/// Decodes a header from a window of the 9 bytes starting at the lead byte (the longest
/// header is 9 bytes). Bytes past the header are ignored, so the caller may pad with zeros.
///
/// Every multi-byte field is read later as the top bytes of one big-endian `u64` of bytes
/// 1..9: one load and one shift instead of a branch per width.
#[inline(always)]
pub(crate) fn decode_window(w: &[u8; 9]) -> Result<Header, HeadError> {
    let lead = &LEAD[w[0] as usize];
    if matches!(lead.family, Family::Reserved) {
        return Err(HeadError::Reserved);
    }
    Ok(Header {
        lead,
        len: 1 + lead.extra as usize,
        body: u64::from_be_bytes([w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]]),
    })
}

/// Decodes the header of the token that starts at `buf[pos]`.
///
/// Pure: it reads only `buf[pos..pos + header length]` and keeps no state, so a caller that
/// gets [`HeadError::Incomplete`] can call again with a longer buffer and the same `pos`.
///
/// # Errors
///
/// [`HeadError::Incomplete`] when `buf` ends inside the header (including `pos >= buf.len()`),
/// [`HeadError::Reserved`] for the byte `0xc1`.
///
/// # Examples
///
/// ```
/// use msgskim::head::{decode_head, Head, HeadError};
///
/// let h = decode_head(&[0xcd, 0x01, 0x00], 0).unwrap();
/// assert_eq!((h.head(), h.len), (Head::UInt(256), 3));
///
/// match decode_head(&[0xcd, 0x01], 0) {
///     Err(HeadError::Incomplete { needed }) => assert_eq!(needed.get(), 1),
///     other => panic!("{other:?}"),
/// }
/// ```
#[inline(always)]
pub fn decode_head(buf: &[u8], pos: usize) -> Result<Header, HeadError> {
    match buf.get(pos..pos.wrapping_add(9)) {
        Some(&[a, b, c, d, e, f, g, h, i]) => decode_window(&[a, b, c, d, e, f, g, h, i]),
        _ => decode_tail(buf, pos),
    }
}

/// The last few bytes of a buffer: pad a copy with zeros, then check the header fits.
#[cold]
#[inline(never)]
fn decode_tail(buf: &[u8], pos: usize) -> Result<Header, HeadError> {
    let rest = buf.get(pos..).unwrap_or(&[]);
    let Some(&lead) = rest.first() else {
        return Err(HeadError::Incomplete {
            needed: NonZeroUsize::MIN,
        });
    };
    let len = 1 + LEAD[lead as usize].extra as usize;
    if rest.len() < len && lead != 0xc1 {
        return Err(HeadError::Incomplete {
            // len > rest.len() here, so the difference is at least 1.
            needed: NonZeroUsize::new(len - rest.len()).unwrap_or(NonZeroUsize::MIN),
        });
    }
    decode_window(&padded(rest))
}

/// The first nine bytes of `bytes`, padded with zeros: a window for [`decode_window`] where
/// fewer than nine bytes are left. A fixed trip count, unrolled: no call to `memcpy` and no
/// store-to-load stall.
#[inline(always)]
pub(crate) fn padded(bytes: &[u8]) -> [u8; 9] {
    let mut w = [0u8; 9];
    for (i, d) in w.iter_mut().enumerate() {
        *d = bytes.get(i).copied().unwrap_or(0);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lead_byte_incomplete_then_complete() {
        for b in 0u8..=255 {
            let mut buf = [0u8; 9];
            buf[0] = b;
            let full = decode_head(&buf, 0);
            if b == 0xc1 {
                assert_eq!(full, Err(HeadError::Reserved));
                continue;
            }
            let h = full.unwrap();
            for cut in 0..h.len {
                match decode_head(&buf[..cut], 0) {
                    Err(HeadError::Incomplete { needed }) => {
                        // With no byte at all, the lead byte is the only thing known to be needed.
                        let want = if cut == 0 { 1 } else { h.len - cut };
                        assert_eq!(needed.get(), want, "{b:#04x} cut at {cut}")
                    }
                    other => panic!("{b:#04x} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn widths_and_signs() {
        assert_eq!(decode_head(&[0xff], 0).unwrap().head(), Head::Int(-1));
        assert_eq!(decode_head(&[0xe0], 0).unwrap().head(), Head::Int(-32));
        assert_eq!(
            decode_head(&[0xd0, 0x80], 0).unwrap().head(),
            Head::Int(-128)
        );
        assert_eq!(
            decode_head(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0)
                .unwrap()
                .head(),
            Head::UInt(u64::MAX)
        );
        let h = decode_head(&[0xc8, 0x01, 0x00, 0xfe], 0).unwrap();
        assert_eq!((h.head(), h.len), (Head::Ext { ty: -2, len: 256 }, 4));
        assert_eq!((h.payload_len(), h.children()), (256, 0));
        // Every lead byte: head() agrees with value()/int()/payload_len()/children().
        for b in 0u8..=255 {
            if b == 0xc1 {
                continue;
            }
            let buf = [b, 0x81, 2, 3, 4, 5, 6, 7, 8];
            let h = decode_head(&buf, 0).unwrap();
            assert_eq!(h.head().payload_len(), h.payload_len(), "{b:#04x}");
            assert_eq!(h.head().children(), h.children(), "{b:#04x}");
        }
        assert_eq!(
            decode_head(&[0xdb, 0xff, 0xff, 0xff, 0xff], 0)
                .unwrap()
                .head(),
            Head::Str(u32::MAX)
        );
    }
}
