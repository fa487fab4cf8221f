//! The borrowing serde `Deserializer` over a slice, and the iterator over concatenated values.

use core::marker::PhantomData;

use ::serde::de::{
    self, value::BorrowedBytesDeserializer, value::I8Deserializer, value::SeqDeserializer,
    DeserializeSeed, Unexpected, Visitor,
};
use ::serde::Deserialize;

use super::Error;
use crate::error::ErrorKind;
use crate::head::{decode_head, Head};
use crate::marker::{Family, Lead, LEAD};
use crate::skip::skip_value;
use crate::tokenizer::{Limits, MAX_DEPTH};

/// The newtype-struct name under which rmp-serde (and this deserializer) hand an ext value to a
/// `Deserialize` impl, as the pair `(type: i8, data: &[u8])`.
///
/// A type declared as `#[serde(rename = "_ExtStruct")] struct Ext((i8, serde_bytes::ByteBuf))`
/// decodes any ext; [`deserialize_any`](::serde::Deserializer::deserialize_any) presents an ext
/// the same way.
///
/// # Examples
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// #[serde(rename = "_ExtStruct")]
/// struct Ext<'a>(#[serde(borrow)] (i8, &'a [u8]));
///
/// assert_eq!(msgskim::serde::EXT_STRUCT_NAME, "_ExtStruct");
/// let e: Ext = msgskim::serde::from_slice(&[0xd4, 0x05, 0xaa])?;
/// assert_eq!(e, Ext((5, &[0xaa])));
/// # Ok::<(), msgskim::serde::Error>(())
/// ```
pub const EXT_STRUCT_NAME: &str = "_ExtStruct";

/// A serde deserializer that reads MessagePack from a slice and borrows from it.
///
/// `&'de str`, `&'de [u8]` and `Cow` fields marked `#[serde(borrow)]` point into the input; nothing
/// is copied. What it accepts is what rmp-serde writes:
///
/// - structs as maps (`to_vec_named`) **and** as arrays (`to_vec`, rmp-serde's default);
/// - enums as the variant name (or index) for unit variants, and as a one-entry map
///   `{variant: value}` for newtype, tuple and struct variants;
/// - `None` as nil, `Some(v)` as `v`; unit as nil; unit structs as nil or `[]`;
/// - newtypes as their content; tuples as arrays; `i128`/`u128` as integers or 16-byte bins;
/// - a `&str` target gets an error with the offset of the first bad byte for a str that is not
///   UTF-8, while `&[u8]`/`serde_bytes` targets get the raw bytes of a str or bin.
///
/// `IgnoredAny` (unknown map keys, skipped fields) is skipped by [`skip_value`](crate::skip_value)
/// in one pass without recursion. Size hints never exceed what the remaining input could hold,
/// so a declared length of four billion elements allocates nothing. Nesting is bounded by
/// [`Limits::max_depth`]: every array, map, enum wrapper, `Some` and newtype counts a level,
/// and going deeper is an [`ErrorKind::DepthLimit`] error, never a stack overflow. The
/// default limit of 256 levels fits in the 2 MiB stack of a spawned thread; raise it only
/// together with the stack.
///
/// # Examples
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Entry<'a> {
///     n: &'a str,
///     #[serde(default)]
///     s: i64,
/// }
///
/// // {"n": "a/b.txt", "s": 300} then [“c.txt”, 7] (a struct written as an array)
/// let buf = b"\x82\xa1n\xa7a/b.txt\xa1s\xd1\x01\x2c\x92\xa5c.txt\x07";
/// let mut de = msgskim::serde::Deserializer::from_slice(buf);
/// let first = Entry::deserialize(&mut de)?;
/// let second = Entry::deserialize(&mut de)?;
/// de.end()?;
/// assert_eq!(first, Entry { n: "a/b.txt", s: 300 });
/// assert_eq!(second, Entry { n: "c.txt", s: 7 });
/// # Ok::<(), msgskim::serde::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Deserializer<'de> {
    buf: &'de [u8],
    pos: usize,
    depth_left: usize,
    max_depth: usize,
    limits: Limits,
}

/// True when every byte of `p` is below 0x80.
///
/// Built for the short strings of keys and names. Up to 64 bytes it ORs together a fixed
/// number of words for each size class, the first half of them from the start of the string
/// and the second half from its end (they overlap when the string is shorter than the class),
/// so there is neither a loop nor a byte-by-byte tail, and no early exit (a non-ASCII string is
/// rare and takes the full UTF-8 check anyway). Longer strings go to the standard check.
#[inline(always)]
fn all_ascii(p: &[u8]) -> bool {
    const HIGH: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;
    let n = p.len();
    // Keys are mostly one to three bytes: that class is tested first.
    if n < 4 {
        // The first, the middle and the last byte cover them all.
        return match p {
            [] => true,
            [a, ..] => (a | p[n / 2] | p[n - 1]) < 0x80,
        };
    }
    if n >= 16 {
        if n > 64 {
            return p.is_ascii();
        }
        let acc = if n >= 32 {
            let (Some(a), Some(b)) = (p.first_chunk::<32>(), p.last_chunk::<32>()) else {
                return false;
            };
            or16(a) | or16(b)
        } else {
            let (Some(a), Some(b)) = (p.first_chunk::<16>(), p.last_chunk::<16>()) else {
                return false;
            };
            u128::from_ne_bytes(*a) | u128::from_ne_bytes(*b)
        };
        acc & HIGH == 0
    } else if n >= 8 {
        let (Some(a), Some(b)) = (p.first_chunk::<8>(), p.last_chunk::<8>()) else {
            return false;
        };
        (u64::from_ne_bytes(*a) | u64::from_ne_bytes(*b)) & HIGH as u64 == 0
    } else {
        let (Some(a), Some(b)) = (p.first_chunk::<4>(), p.last_chunk::<4>()) else {
            return false;
        };
        (u32::from_ne_bytes(*a) | u32::from_ne_bytes(*b)) & HIGH as u32 == 0
    }
}

/// The two 16-byte halves of `w` ORed together.
#[inline(always)]
fn or16(w: &[u8; 32]) -> u128 {
    let (a, b) = w.split_at(16);
    let (Ok(a), Ok(b)) = (<[u8; 16]>::try_from(a), <[u8; 16]>::try_from(b)) else {
        return u128::MAX;
    };
    u128::from_ne_bytes(a) | u128::from_ne_bytes(b)
}

/// `p` as `&str` when it is all ASCII, without a second look at the bytes.
#[inline(always)]
fn ascii_str(p: &[u8]) -> Option<&str> {
    if all_ascii(p) {
        // SAFETY: every byte is below 0x80, and a sequence of ASCII bytes is valid UTF-8.
        Some(unsafe { core::str::from_utf8_unchecked(p) })
    } else {
        None
    }
}

/// `p` as `&str` if it is valid UTF-8, with a fast path for the all-ASCII strings that make up
/// most keys and names: the standard check is an out-of-line call whose set-up costs more than
/// the check itself for a string of a few dozen bytes.
#[inline(always)]
fn utf8(p: &[u8]) -> Result<&str, core::str::Utf8Error> {
    match ascii_str(p) {
        Some(s) => Ok(s),
        None => core::str::from_utf8(p),
    }
}

/// The safe twin of [`utf8`], which the tests compare it against.
#[cfg(test)]
fn utf8_checked(p: &[u8]) -> Result<&str, core::str::Utf8Error> {
    core::str::from_utf8(p)
}

#[cold]
fn located(e: Error, pos: usize) -> Error {
    e.locate(pos)
}

impl<'de> Deserializer<'de> {
    /// A deserializer over `buf` with the default [`Limits`].
    ///
    /// # Examples
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut de = msgskim::serde::Deserializer::from_slice(&[0x2a]);
    /// assert_eq!(u32::deserialize(&mut de)?, 42);
    /// # Ok::<(), msgskim::serde::Error>(())
    /// ```
    #[must_use]
    pub fn from_slice(buf: &'de [u8]) -> Self {
        Self::with_limits(buf, Limits::default())
    }

    /// A deserializer over `buf` with the given limits. `max_depth` (capped at
    /// [`MAX_DEPTH`]), `max_payload_len` and `max_container_len` apply; `check_utf8` and
    /// `decode_timestamps` do not (UTF-8 is checked exactly when the target is a string, and
    /// exts are handed over as [`EXT_STRUCT_NAME`] pairs).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{ErrorKind, Limits};
    /// let limits = Limits { max_depth: 1, ..Limits::default() };
    /// let err = msgskim::serde::Deserializer::with_limits(&[0x91, 0x91, 0x01], limits);
    /// let err = <Vec<Vec<u8>> as serde::Deserialize>::deserialize(&mut { err }).unwrap_err();
    /// assert_eq!((err.offset(), err.kind()), (1, ErrorKind::DepthLimit { limit: 1 }));
    /// ```
    #[must_use]
    pub fn with_limits(buf: &'de [u8], limits: Limits) -> Self {
        let max_depth = limits.max_depth.min(MAX_DEPTH);
        Deserializer {
            buf,
            pos: 0,
            depth_left: max_depth,
            max_depth,
            limits,
        }
    }

    /// The byte offset just past the last value read.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut de = msgskim::serde::Deserializer::from_slice(&[0xcd, 0x01, 0x00, 0xc0]);
    /// u16::deserialize(&mut de)?;
    /// assert_eq!(de.position(), 3);
    /// # Ok::<(), msgskim::serde::Error>(())
    /// ```
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The input not yet read.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut de = msgskim::serde::Deserializer::from_slice(&[0x01, 0x02]);
    /// u8::deserialize(&mut de)?;
    /// assert_eq!(de.remaining(), &[0x02]);
    /// # Ok::<(), msgskim::serde::Error>(())
    /// ```
    #[must_use]
    pub fn remaining(&self) -> &'de [u8] {
        &self.buf[self.pos.min(self.buf.len())..]
    }

    /// Checks that the whole input has been read.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrailingBytes`] at the first unread byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut de = msgskim::serde::Deserializer::from_slice(&[0x01, 0x02]);
    /// u8::deserialize(&mut de)?;
    /// assert_eq!(de.end().unwrap_err().offset(), 1);
    /// # Ok::<(), msgskim::serde::Error>(())
    /// ```
    pub fn end(&self) -> Result<(), Error> {
        if self.pos < self.buf.len() {
            Err(Error::at(self.pos, ErrorKind::TrailingBytes))
        } else {
            Ok(())
        }
    }

    /// Turns the deserializer into an iterator over the concatenated values that remain, each
    /// decoded as a `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let de = msgskim::serde::Deserializer::from_slice(&[0x01, 0xa1, b'x', 0x03]);
    /// let mut it = de.into_iter::<serde::de::IgnoredAny>();
    /// assert_eq!(it.by_ref().count(), 3);
    /// assert_eq!(it.byte_offset(), 4);
    /// ```
    #[must_use]
    #[allow(clippy::should_implement_trait)] // the name serde_json's users know; generic in T
    pub fn into_iter<T: Deserialize<'de>>(self) -> StreamDeserializer<'de, T> {
        StreamDeserializer {
            de: self,
            failed: false,
            output: PhantomData,
        }
    }

    /// The bytes of a fixstr or str8 at the current position and the offset just past them,
    /// without moving; `None` for anything else, or a str that is cut short or over the
    /// payload limit, which the general path then reports.
    ///
    /// Keys and most values are fixstr or str8: their length is the lead byte's inline value
    /// (or the one byte after the lead) in the lead-byte table, with no header window to decode.
    #[inline(always)]
    fn short_str(&self) -> Option<(&'de [u8], usize)> {
        let start = self.pos;
        let lead = &LEAD[*self.buf.get(start)? as usize];
        let (n, from) = match lead.family {
            Family::FixStr => (lead.imm as usize, start + 1),
            Family::Str if lead.width == 1 => (*self.buf.get(start + 1)? as usize, start + 2),
            _ => return None,
        };
        if n as u64 > self.limits.max_payload_len {
            return None;
        }
        let p = self.buf.get(from..)?.get(..n)?;
        Some((p, from + n))
    }

    /// An integer at the current position, moving past it; `None` (without moving) for
    /// anything that is not an integer, or an 8- to 64-bit integer within 8 bytes of the end
    /// of the input (the general path reads those). Fixints come straight from the lead-byte
    /// table; the others are the top `width` bytes of the 8 bytes after the lead.
    #[inline(always)]
    fn int(&mut self) -> Option<Int> {
        let start = self.pos;
        let lead = &LEAD[*self.buf.get(start)? as usize];
        let v = match lead.family {
            Family::PosFixInt => Int::U(lead.imm as u64),
            Family::NegFixInt => Int::I(lead.imm as i8 as i64),
            Family::UInt => {
                let (raw, shift) = self.int_body(start, lead)?;
                return Some(Int::U(raw.wrapping_shr(shift)));
            }
            Family::Int => {
                let (raw, shift) = self.int_body(start, lead)?;
                return Some(Int::I((raw as i64).wrapping_shr(shift)));
            }
            _ => return None,
        };
        self.pos = start + 1;
        Some(v)
    }

    /// The 8 bytes after the lead byte of an integer as one big-endian `u64`, and the shift
    /// that leaves its `width` top bytes; moves past the integer.
    #[inline(always)]
    fn int_body(&mut self, start: usize, lead: &Lead) -> Option<(u64, u32)> {
        let body = self.buf.get(start + 1..)?.first_chunk::<8>()?;
        // `width` is 1, 2, 4 or 8 for integers, so the shift is 56, 48, 32 or 0.
        let width = lead.width as u32;
        self.pos = start + 1 + width as usize;
        Some((u64::from_be_bytes(*body), 64 - 8 * width))
    }

    /// Decodes the header at the current position and moves past it.
    #[inline(always)]
    fn next_head(&mut self) -> Result<(Head, usize), Error> {
        let start = self.pos;
        match decode_head(self.buf, start) {
            Ok(h) => {
                self.pos = start + h.len;
                Ok((h.head(), start))
            }
            Err(e) => Err(Error::from(e.at(start))),
        }
    }

    /// The `n` payload bytes after the header of the token at `start`.
    #[inline(always)]
    fn payload(&mut self, n: u32, start: usize) -> Result<&'de [u8], Error> {
        let n = n as usize;
        if n as u64 > self.limits.max_payload_len {
            return Err(self.length_limit(n, start));
        }
        let from = self.pos;
        let have = self.buf.len() - from;
        if n <= have {
            self.pos = from + n;
            Ok(&self.buf[from..from + n])
        } else {
            Err(Error::at(start, ErrorKind::Truncated { needed: n - have }))
        }
    }

    #[cold]
    fn length_limit(&self, n: usize, start: usize) -> Error {
        Error::at(
            start,
            ErrorKind::LengthLimit {
                len: n as u64,
                limit: self.limits.max_payload_len,
            },
        )
    }

    /// The payload of a str as `&str`, or an [`ErrorKind::InvalidUtf8`] error at the first bad
    /// byte.
    #[inline(always)]
    fn str_payload(&mut self, n: u32, start: usize) -> Result<&'de str, Error> {
        let p = self.payload(n, start)?;
        match utf8(p) {
            Ok(s) => Ok(s),
            Err(e) => Err(Error::at(
                self.pos - p.len() + e.valid_up_to(),
                ErrorKind::InvalidUtf8,
            )),
        }
    }

    #[inline(always)]
    fn enter(&mut self, start: usize) -> Result<(), Error> {
        if self.depth_left == 0 {
            return Err(Error::at(
                start,
                ErrorKind::DepthLimit {
                    limit: self.max_depth,
                },
            ));
        }
        self.depth_left -= 1;
        Ok(())
    }

    #[inline(always)]
    fn leave(&mut self) {
        self.depth_left += 1;
    }

    #[inline(always)]
    fn check_container(&self, n: u32, start: usize) -> Result<(), Error> {
        if n as u64 > self.limits.max_container_len {
            return Err(Error::at(
                start,
                ErrorKind::ContainerLimit {
                    len: n as u64,
                    limit: self.limits.max_container_len,
                },
            ));
        }
        Ok(())
    }

    /// Hands the token whose header was just read to `visitor` as whatever it is.
    #[inline]
    fn visit_head<V: Visitor<'de>>(
        &mut self,
        head: Head,
        start: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let r = match head {
            Head::Nil => visitor.visit_unit(),
            Head::Bool(b) => visitor.visit_bool(b),
            Head::UInt(v) => visitor.visit_u64(v),
            Head::Int(v) => visitor.visit_i64(v),
            Head::F32(v) => visitor.visit_f32(v),
            Head::F64(v) => visitor.visit_f64(v),
            Head::Str(n) => {
                let p = self.payload(n, start)?;
                match utf8(p) {
                    Ok(s) => visitor.visit_borrowed_str(s),
                    // Old-spec raw strings hold any bytes: a visitor that takes bytes gets them.
                    Err(e) => {
                        let at = self.pos - p.len() + e.valid_up_to();
                        visitor
                            .visit_borrowed_bytes::<Error>(p)
                            .map_err(|_| Error::at(at, ErrorKind::InvalidUtf8))
                    }
                }
            }
            Head::Bin(n) => {
                let p = self.payload(n, start)?;
                visitor.visit_borrowed_bytes(p)
            }
            Head::Ext { ty, len } => {
                let data = self.payload(len, start)?;
                visitor.visit_newtype_struct(ExtDeserializer { ty, data })
            }
            Head::Array(n) => return self.visit_array(n, start, visitor),
            Head::Map(n) => return self.visit_map(n, start, visitor),
        };
        match r {
            Ok(v) => Ok(v),
            Err(e) => Err(located(e, start)),
        }
    }

    #[inline]
    fn visit_array<V: Visitor<'de>>(
        &mut self,
        n: u32,
        start: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.check_container(n, start)?;
        self.enter(start)?;
        let mut seq = SeqAccess { de: self, left: n };
        let r = visitor.visit_seq(&mut seq);
        let left = seq.left;
        self.leave();
        match r {
            Ok(v) if left == 0 => Ok(v),
            Ok(_) => Err(unread(n, left, "elements", start)),
            Err(e) => Err(located(e, start)),
        }
    }

    #[inline]
    fn visit_map<V: Visitor<'de>>(
        &mut self,
        n: u32,
        start: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.check_container(n, start)?;
        self.enter(start)?;
        let mut map = MapAccess { de: self, left: n };
        let r = visitor.visit_map(&mut map);
        let left = map.left;
        self.leave();
        match r {
            Ok(v) if left == 0 => Ok(v),
            Ok(_) => Err(unread(n, left, "entries", start)),
            Err(e) => Err(located(e, start)),
        }
    }

    /// A fixstr or str8 of ASCII bytes at the current position, moving past it; `None`
    /// (without moving) for anything else.
    ///
    /// Not generic and out of line on purpose: the result comes back in two registers, and
    /// what is left of `deserialize_str` around the call is small enough for serde's
    /// `<&str as Deserialize>::deserialize` to be inlined into a derived visitor, which saves
    /// more than the call costs.
    #[inline(never)]
    fn short_ascii(&mut self) -> Option<&'de str> {
        let (p, end) = self.short_str()?;
        let s = ascii_str(p)?;
        self.pos = end;
        Some(s)
    }

    /// [`Deserializer::int`] out of line, for the same reason as
    /// [`Deserializer::short_ascii`]: the integer comes back in registers and the integer
    /// methods stay small enough to be inlined into the caller.
    #[inline(never)]
    fn take_int(&mut self) -> Option<Int> {
        self.int()
    }

    /// Moves past the value at the current position with [`skip_value`].
    ///
    /// Out of line: the skip kernel is large, and inlined into a derived visitor (whose
    /// unknown-field arm ignores a value) it made the visitor's own loop slower.
    #[inline(never)]
    fn skip(&mut self) -> Result<(), Error> {
        self.pos = skip_value(self.buf, self.pos)?;
        Ok(())
    }

    /// [`deserialize_any`](de::Deserializer::deserialize_any) out of line: the general path
    /// behind the inline fast paths, kept apart so that they stay small enough to inline.
    #[inline(never)]
    fn any_slow<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        self.visit_head(head, start, visitor)
    }

    /// A str of any length and content, or another type, for a string target.
    #[inline(never)]
    fn str_slow<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        match head {
            Head::Str(n) => {
                let s = self.str_payload(n, start)?;
                visitor.visit_borrowed_str(s).map_err(|e| located(e, start))
            }
            other => self.visit_head(other, start, visitor),
        }
    }

    /// An identifier that is not a short ASCII str: a longer str, a str that is not UTF-8
    /// (handed over as bytes, for the visitor to judge), or an index.
    #[inline(never)]
    fn identifier_slow<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        match head {
            Head::Str(n) => {
                let p = self.payload(n, start)?;
                let r = match utf8(p) {
                    Ok(s) => visitor.visit_borrowed_str(s),
                    Err(_) => visitor.visit_borrowed_bytes(p),
                };
                r.map_err(|e| located(e, start))
            }
            other => self.visit_head(other, start, visitor),
        }
    }

    /// A bin handed to a sequence visitor, one `u8` per byte (how rmp-serde reads a `Vec<u8>`
    /// or `[u8; N]` from a bin).
    fn visit_bin_as_seq<V: Visitor<'de>>(
        &mut self,
        n: u32,
        start: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let p = self.payload(n, start)?;
        let mut seq = SeqDeserializer::new(p.iter().copied());
        let v = visitor.visit_seq(&mut seq).map_err(|e| located(e, start))?;
        seq.end().map_err(|e| located(e, start))?;
        Ok(v)
    }
}

/// An integer as written: unsigned or signed format.
enum Int {
    U(u64),
    I(i64),
}

#[cold]
fn unread(n: u32, left: u32, what: &str, start: usize) -> Error {
    <Error as de::Error>::custom(format_args!(
        "{left} of {n} {what} left unread: the type takes fewer"
    ))
    .locate(start)
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

macro_rules! forward_to_int {
    ($($method:ident)*) => {
        $(
            /// Fixints and 8- to 64-bit integers through an inline fast path; anything
            /// else (a float, a wrong type, a cut-short header) goes to the general path.
            #[inline(always)]
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                let start = self.pos;
                let r = match self.take_int() {
                    Some(Int::U(v)) => visitor.visit_u64(v),
                    Some(Int::I(v)) => visitor.visit_i64(v),
                    None => return self.any_slow(visitor),
                };
                r.map_err(|e| located(e, start))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        self.visit_head(head, start, visitor)
    }

    forward_to_any! {
        deserialize_bool deserialize_f32 deserialize_f64 deserialize_unit deserialize_map
    }

    forward_to_int! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
    }

    /// A fixstr or str8 of ASCII bytes (what keys and variant names almost always are) is
    /// handed over inline; the rest goes out of line.
    #[inline(always)]
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Some((p, end)) = self.short_str() {
            if let Some(s) = ascii_str(p) {
                let start = self.pos;
                self.pos = end;
                return visitor.visit_borrowed_str(s).map_err(|e| located(e, start));
            }
        }
        self.identifier_slow(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        let r = match head {
            Head::UInt(v) => visitor.visit_i128(v as i128),
            Head::Int(v) => visitor.visit_i128(v as i128),
            Head::Bin(16) => {
                let p = self.payload(16, start)?;
                let mut b = [0u8; 16];
                b.copy_from_slice(p);
                visitor.visit_i128(i128::from_be_bytes(b))
            }
            other => return self.visit_head(other, start, visitor),
        };
        r.map_err(|e| located(e, start))
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        let r = match head {
            Head::UInt(v) => visitor.visit_u128(v as u128),
            Head::Bin(16) => {
                let p = self.payload(16, start)?;
                let mut b = [0u8; 16];
                b.copy_from_slice(p);
                visitor.visit_u128(u128::from_be_bytes(b))
            }
            other => return self.visit_head(other, start, visitor),
        };
        r.map_err(|e| located(e, start))
    }

    #[inline]
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    /// A fixstr or str8 of ASCII bytes through an inline fast path; longer strings,
    /// other bytes and other types out of line.
    #[inline(always)]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.pos;
        match self.short_ascii() {
            Some(s) => visitor.visit_borrowed_str(s).map_err(|e| located(e, start)),
            None => self.str_slow(visitor),
        }
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        match head {
            Head::Bin(n) | Head::Str(n) => {
                let p = self.payload(n, start)?;
                visitor
                    .visit_borrowed_bytes(p)
                    .map_err(|e| located(e, start))
            }
            other => self.visit_head(other, start, visitor),
        }
    }

    #[inline]
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.pos;
        let r = match decode_head(self.buf, start) {
            Ok(h) if h.family() == Family::Nil => {
                self.pos = start + h.len;
                visitor.visit_none()
            }
            Ok(_) => {
                self.enter(start)?;
                let r = visitor.visit_some(&mut *self);
                self.leave();
                r
            }
            Err(e) => return Err(Error::from(e.at(start))),
        };
        r.map_err(|e| located(e, start))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // rmp-serde writes a unit struct as `[]`; nil is accepted too.
        let (head, start) = self.next_head()?;
        match head {
            Head::Nil | Head::Array(0) => visitor.visit_unit().map_err(|e| located(e, start)),
            other => self.visit_head(other, start, visitor),
        }
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let start = self.pos;
        if name == EXT_STRUCT_NAME {
            let (head, start) = self.next_head()?;
            return match head {
                Head::Ext { ty, len } => {
                    let data = self.payload(len, start)?;
                    visitor
                        .visit_newtype_struct(ExtDeserializer { ty, data })
                        .map_err(|e| located(e, start))
                }
                other => Err(located(
                    de::Error::invalid_type(unexpected(other), &"an ext value"),
                    start,
                )),
            };
        }
        self.enter(start)?;
        let r = visitor.visit_newtype_struct(&mut *self);
        self.leave();
        r.map_err(|e| located(e, start))
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        match head {
            Head::Array(n) => self.visit_array(n, start, visitor),
            Head::Bin(n) => self.visit_bin_as_seq(n, start, visitor),
            other => self.visit_head(other, start, visitor),
        }
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A map (`to_vec_named`) or an array of the fields in order (`to_vec`). Structs of up
        // to 15 fields come as a fixmap or fixarray, whose count is in the lead byte.
        let start = self.pos;
        if let Some(&b) = self.buf.get(start) {
            let lead = &LEAD[b as usize];
            match lead.family {
                Family::FixMap => {
                    self.pos = start + 1;
                    return self.visit_map(lead.imm as u32, start, visitor);
                }
                Family::FixArray => {
                    self.pos = start + 1;
                    return self.visit_array(lead.imm as u32, start, visitor);
                }
                _ => {}
            }
        }
        self.any_slow(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (head, start) = self.next_head()?;
        let r = match head {
            // `{variant: value}` for newtype, tuple and struct variants.
            Head::Map(1) => {
                self.enter(start)?;
                let r = visitor.visit_enum(VariantAccess { de: &mut *self });
                self.leave();
                r
            }
            Head::Map(n) => {
                return Err(located(
                    de::Error::invalid_length(n as usize, &"a map of one entry for an enum"),
                    start,
                ))
            }
            // A unit variant by name (or index): read the token again as the identifier.
            Head::Str(_) | Head::UInt(_) | Head::Int(_) | Head::Bin(_) => {
                self.pos = start;
                visitor.visit_enum(UnitVariantAccess { de: &mut *self })
            }
            other => return self.visit_head(other, start, visitor),
        };
        r.map_err(|e| located(e, start))
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.pos;
        self.skip()?;
        visitor.visit_unit().map_err(|e| located(e, start))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        false
    }
}

/// What serde should call a token in "invalid type" messages.
fn unexpected(head: Head) -> Unexpected<'static> {
    match head {
        Head::Nil => Unexpected::Unit,
        Head::Bool(b) => Unexpected::Bool(b),
        Head::UInt(v) => Unexpected::Unsigned(v),
        Head::Int(v) => Unexpected::Signed(v),
        Head::F32(v) => Unexpected::Float(v as f64),
        Head::F64(v) => Unexpected::Float(v),
        Head::Str(_) => Unexpected::Other("a string"),
        Head::Bin(_) => Unexpected::Other("a bin"),
        Head::Ext { .. } => Unexpected::Other("an ext"),
        Head::Array(_) => Unexpected::Seq,
        Head::Map(_) => Unexpected::Map,
    }
}

struct SeqAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: u32,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        // Every element takes at least one byte: never promise more than the input can hold.
        Some((self.left as usize).min(self.de.buf.len() - self.de.pos))
    }
}

struct MapAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: u32,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        // Every entry takes at least two bytes.
        Some((self.left as usize).min((self.de.buf.len() - self.de.pos) / 2))
    }
}

/// `{variant: value}`: the key names the variant, the value holds its content.
struct VariantAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for VariantAccess<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    #[inline]
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let v = seed.deserialize(&mut *self.de)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        let (head, start) = self.de.next_head()?;
        match head {
            Head::Nil => Ok(()),
            other => Err(located(
                de::Error::invalid_type(unexpected(other), &"nil for a unit variant"),
                start,
            )),
        }
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_tuple(&mut *self.de, len, visitor)
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(&mut *self.de, "", fields, visitor)
    }
}

/// A unit variant written as its name or index alone.
struct UnitVariantAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for UnitVariantAccess<'_, 'de> {
    type Error = Error;
    type Variant = Self;

    #[inline]
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let v = seed.deserialize(&mut *self.de)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariantAccess<'_, 'de> {
    type Error = Error;

    #[inline]
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"a newtype variant (a map of one entry)",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"a tuple variant (a map of one entry)",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"a struct variant (a map of one entry)",
        ))
    }
}

/// An ext presented as the sequence `(type: i8, data: &[u8])`.
struct ExtDeserializer<'de> {
    ty: i8,
    data: &'de [u8],
}

impl<'de> de::Deserializer<'de> for ExtDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(ExtSeq {
            ty: self.ty,
            data: self.data,
            next: 0,
        })
    }

    ::serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

struct ExtSeq<'de> {
    ty: i8,
    data: &'de [u8],
    next: u8,
}

impl<'de> de::SeqAccess<'de> for ExtSeq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.next += 1;
        match self.next {
            1 => seed.deserialize(I8Deserializer::new(self.ty)).map(Some),
            2 => seed
                .deserialize(BorrowedBytesDeserializer::new(self.data))
                .map(Some),
            _ => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(2usize.saturating_sub(self.next as usize))
    }
}

/// An iterator over concatenated MessagePack values, each decoded as a `T`, borrowing from the
/// input; made by [`Deserializer::into_iter`].
///
/// It stops at the end of the input, and after the first error (which it yields).
///
/// # Examples
///
/// ```
/// use msgskim::serde::Deserializer;
///
/// // "a" "bc" "\xff" : the third is not UTF-8.
/// let buf = b"\xa1a\xa2bc\xa1\xff";
/// let got: Vec<_> = Deserializer::from_slice(buf).into_iter::<&str>().collect();
/// assert_eq!(got[0].as_ref().unwrap(), &"a");
/// assert_eq!(got[1].as_ref().unwrap(), &"bc");
/// assert_eq!(got[2].as_ref().unwrap_err().offset(), 6);
/// assert_eq!(got.len(), 3);
/// ```
#[derive(Debug)]
pub struct StreamDeserializer<'de, T> {
    de: Deserializer<'de>,
    failed: bool,
    output: PhantomData<fn() -> T>,
}

impl<'de, T> StreamDeserializer<'de, T> {
    /// The byte offset just past the last value yielded: where the next one starts.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut it = msgskim::serde::Deserializer::from_slice(&[0x01, 0x02]).into_iter::<u8>();
    /// it.next();
    /// assert_eq!(it.byte_offset(), 1);
    /// ```
    #[must_use]
    pub fn byte_offset(&self) -> usize {
        self.de.pos
    }
}

impl<'de, T: Deserialize<'de>> Iterator for StreamDeserializer<'de, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.de.pos >= self.de.buf.len() {
            return None;
        }
        let start = self.de.pos;
        match T::deserialize(&mut self.de) {
            Ok(v) => Some(Ok(v)),
            Err(e) => {
                self.failed = true;
                Some(Err(e.locate(start)))
            }
        }
    }
}

impl<'de, T: Deserialize<'de>> core::iter::FusedIterator for StreamDeserializer<'de, T> {}

/// Decodes one `T` from `buf`, borrowing strings and bytes from it; `buf` must hold exactly
/// that one value.
///
/// The drop-in for `rmp_serde::from_slice`, with one difference: bytes after the value are an
/// error here ([`Deserializer`] reads a value and leaves the rest, and
/// [`Deserializer::into_iter`] reads them all).
///
/// # Errors
///
/// Wire-format errors ([`ErrorKind::Truncated`], [`ErrorKind::ReservedByte`],
/// [`ErrorKind::InvalidUtf8`] for a `&str` target, [`ErrorKind::DepthLimit`], ...) and
/// [`ErrorKind::Custom`] errors from the type, each with the byte offset;
/// [`ErrorKind::TrailingBytes`] when bytes remain.
///
/// # Examples
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Page<'a> {
///     #[serde(rename = "UUID")]
///     uuid: &'a str,
///     #[serde(rename = "Entries")]
///     entries: Vec<&'a str>,
/// }
///
/// let buf = b"\x82\xa4UUID\xa2u1\xa7Entries\x92\xa1a\xa1b";
/// let page: Page = msgskim::serde::from_slice(buf)?;
/// assert_eq!((page.uuid, page.entries), ("u1", vec!["a", "b"]));
/// // The strings point into `buf`.
/// assert!(buf.as_ptr_range().contains(&page.uuid.as_ptr()));
/// # Ok::<(), msgskim::serde::Error>(())
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(buf: &'de [u8]) -> Result<T, Error> {
    let mut de = Deserializer::from_slice(buf);
    let v = T::deserialize(&mut de).map_err(|e| e.locate(0))?;
    de.end()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::Rng;

    #[test]
    fn utf8_fast_path_agrees_with_the_standard_check() {
        let mut rng = Rng::new(11);
        let pieces: [&[u8]; 8] = [
            b"a",
            b"Z/",
            "é".as_bytes(),
            "☃".as_bytes(),
            "𝄞".as_bytes(),
            b"\xff",
            b"\xc3",
            b"\x80",
        ];
        let mut buf = alloc::vec::Vec::new();
        for _ in 0..20_000 {
            buf.clear();
            let len = rng.below(70);
            for _ in 0..len {
                // Mostly ASCII, sometimes multi-byte or broken.
                let i = if rng.chance(90) {
                    rng.below(2)
                } else {
                    rng.below(8)
                };
                buf.extend_from_slice(pieces[i as usize]);
            }
            assert_eq!(utf8(&buf), utf8_checked(&buf), "{buf:x?}");
        }
        for b in 0..=255u8 {
            assert_eq!(utf8(&[b]), utf8_checked(&[b]));
        }
    }

    #[test]
    fn ascii_check_sees_a_high_byte_anywhere() {
        // Every length the word path handles and beyond, one byte >= 0x80 at every position:
        // the overlapping reads must not miss any of them.
        for len in 0..=80usize {
            let clean: alloc::vec::Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(all_ascii(&clean), "len {len}");
            assert_eq!(ascii_str(&clean), utf8_checked(&clean).ok());
            for at in 0..len {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut dirty = clean.clone();
                    dirty[at] = high;
                    assert!(!all_ascii(&dirty), "len {len}, byte {high:#x} at {at}");
                    assert_eq!(ascii_str(&dirty), None);
                }
            }
        }
    }
}
