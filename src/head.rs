//! The head decoder: one token's header, decoded from `(buf, pos)`, pure and atomic.
//!
//! Every reader in the crate (tokenizer, skip, validate, raw values, queries, the stream
//! decoder) calls [`decode_head`]; none of them looks at lead bytes on its own.

use core::num::NonZeroUsize;

use crate::marker::{Family, LEAD};

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
    /// use msgskim::head::decode_head;
    /// let h = decode_head(&[0xa3, b'a', b'b', b'c'], 0).unwrap();
    /// assert_eq!(h.head.payload_len(), 3);
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
    /// use msgskim::head::decode_head;
    /// assert_eq!(decode_head(&[0x82], 0).unwrap().head.children(), 4);
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

/// A decoded header and its length in bytes (lead byte included).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Header {
    /// What the header says.
    pub head: Head,
    /// How many bytes the header occupies, lead byte included.
    pub len: usize,
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

#[inline(always)]
fn be(p: &[u8]) -> u64 {
    match *p {
        [a] => a as u64,
        [a, b] => u16::from_be_bytes([a, b]) as u64,
        [a, b, c, d] => u32::from_be_bytes([a, b, c, d]) as u64,
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        // The table only holds widths 0, 1, 2, 4 and 8.
        _ => 0,
    }
}

#[inline(always)]
fn be_signed(p: &[u8]) -> i64 {
    match *p {
        [a] => a as i8 as i64,
        [a, b] => i16::from_be_bytes([a, b]) as i64,
        [a, b, c, d] => i32::from_be_bytes([a, b, c, d]) as i64,
        [a, b, c, d, e, f, g, h] => i64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

/// Decodes the header of the token that starts at `buf[pos]`.
///
/// Pure: it reads only `buf[pos..pos + header length]` and keeps no state, so a caller that
/// gets [`HeadError::Incomplete`] can call again with a longer buffer and the same `pos`.
///
/// # Errors
///
/// [`HeadError::Incomplete`] when `buf` ends inside the header (including `pos == buf.len()`),
/// [`HeadError::Reserved`] for the byte `0xc1`.
///
/// # Examples
///
/// ```
/// use msgskim::head::{decode_head, Head, HeadError};
///
/// let h = decode_head(&[0xcd, 0x01, 0x00], 0).unwrap();
/// assert_eq!((h.head, h.len), (Head::UInt(256), 3));
///
/// match decode_head(&[0xcd, 0x01], 0) {
///     Err(HeadError::Incomplete { needed }) => assert_eq!(needed.get(), 1),
///     other => panic!("{other:?}"),
/// }
/// ```
#[inline]
pub fn decode_head(buf: &[u8], pos: usize) -> Result<Header, HeadError> {
    let Some(&b) = buf.get(pos) else {
        return Err(HeadError::Incomplete {
            needed: NonZeroUsize::MIN,
        });
    };
    let lead = LEAD[b as usize];
    let extra = lead.extra as usize;
    let start = pos + 1;
    let Some(p) = buf.get(start..start + extra) else {
        let have = buf.len() - start;
        return Err(HeadError::Incomplete {
            // extra > have here, so the difference is at least 1.
            needed: NonZeroUsize::new(extra - have).unwrap_or(NonZeroUsize::MIN),
        });
    };
    let imm = lead.imm;
    let head = match lead.family {
        Family::PosFixInt => Head::UInt(imm as u64),
        Family::NegFixInt => Head::Int(imm as i8 as i64),
        Family::FixStr => Head::Str(imm as u32),
        Family::FixMap => Head::Map(imm as u32),
        Family::FixArray => Head::Array(imm as u32),
        Family::Nil => Head::Nil,
        Family::Bool => Head::Bool(imm != 0),
        Family::UInt => Head::UInt(be(p)),
        Family::Int => Head::Int(be_signed(p)),
        Family::F32 => Head::F32(f32::from_bits(be(p) as u32)),
        Family::F64 => Head::F64(f64::from_bits(be(p))),
        Family::Str => Head::Str(be(p) as u32),
        Family::Bin => Head::Bin(be(p) as u32),
        Family::Array => Head::Array(be(p) as u32),
        Family::Map => Head::Map(be(p) as u32),
        Family::FixExt => Head::Ext {
            ty: p[0] as i8,
            len: imm as u32,
        },
        Family::Ext => {
            let (len, ty) = p.split_at(extra - 1);
            Head::Ext {
                ty: ty[0] as i8,
                len: be(len) as u32,
            }
        }
        Family::Reserved => return Err(HeadError::Reserved),
    };
    Ok(Header {
        head,
        len: 1 + extra,
    })
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
        assert_eq!(decode_head(&[0xff], 0).unwrap().head, Head::Int(-1));
        assert_eq!(decode_head(&[0xe0], 0).unwrap().head, Head::Int(-32));
        assert_eq!(decode_head(&[0xd0, 0x80], 0).unwrap().head, Head::Int(-128));
        assert_eq!(
            decode_head(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0)
                .unwrap()
                .head,
            Head::UInt(u64::MAX)
        );
        assert_eq!(
            decode_head(&[0xc8, 0x01, 0x00, 0xfe], 0).unwrap(),
            Header {
                head: Head::Ext { ty: -2, len: 256 },
                len: 4
            }
        );
        assert_eq!(
            decode_head(&[0xdb, 0xff, 0xff, 0xff, 0xff], 0)
                .unwrap()
                .head,
            Head::Str(u32::MAX)
        );
    }
}
