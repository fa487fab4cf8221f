//! Fast paths for skipping: a step table derived from the lead-byte table, and a skip kernel
//! that only answers "this value ends at N" or "something is wrong here".
//!
//! The kernel never decides *what* is wrong. On any doubt (a bad byte, a length running past
//! the end, a str that is not UTF-8) it gives up, and the caller re-reads the value with the
//! plain reference loop in [`crate::skip`], which finds the exact error and its offset. Valid
//! input, the common case, is read once, by the fast path only.

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod arms;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod block;

use crate::marker::{Family, HEADER_LEN, LEAD};
use crate::token::Timestamp;

#[cfg(feature = "alloc")]
mod resume;
#[cfg(feature = "alloc")]
pub(crate) use resume::{Resume, Scanned};

/// How to step over a token, by lead byte. Derived from [`LEAD`] and [`HEADER_LEN`] at compile
/// time; it holds no format knowledge of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
pub(crate) struct Step {
    /// Bytes to advance: the whole token when the lead byte alone sizes it (scalars, fixstr,
    /// fixext, fixarray/fixmap headers), the header otherwise.
    pub(crate) adv: u8,
    /// Values that follow inline: fixarray n, fixmap 2n.
    pub(crate) kids: u8,
    /// [`FIXED`], [`PAYLOAD`], [`ARRAY`], [`MAP`] or [`BAD`].
    pub(crate) kind: u8,
    /// Right shift that turns the big-endian `u32` after the lead byte into the length or
    /// count field (24 for one byte, 16 for two, 0 for four).
    pub(crate) shift: u8,
    /// The header length (lead byte included): where a str/bin/ext payload starts.
    pub(crate) hdr: u8,
    /// [`STR`] or [`EXT`] for tokens whose payload a checking validator must look at.
    pub(crate) check: u8,
}

/// Sized by the lead byte alone.
pub(crate) const FIXED: u8 = 0;
/// A payload whose length is in the header.
pub(crate) const PAYLOAD: u8 = 1;
/// An array whose count is in the header.
pub(crate) const ARRAY: u8 = 2;
/// A map whose count (of pairs) is in the header.
pub(crate) const MAP: u8 = 3;
/// Never valid.
pub(crate) const BAD: u8 = 4;

/// A str: checked for UTF-8 when asked.
pub(crate) const STR: u8 = 1;
/// An ext: a type -1 one is checked as a timestamp when asked.
pub(crate) const EXT: u8 = 2;

/// The step for lead byte `b` (what [`STEP`] holds), usable in constant tables of other layers.
pub(crate) const fn step(b: usize) -> Step {
    let l = LEAD[b];
    let hdr = HEADER_LEN[b];
    let width_shift = match l.extra {
        1 => 24,
        2 => 16,
        _ => 0,
    };
    let (adv, kids, kind, shift, check) = match l.family {
        Family::PosFixInt
        | Family::NegFixInt
        | Family::Nil
        | Family::Bool
        | Family::UInt
        | Family::Int
        | Family::F32
        | Family::F64 => (hdr, 0, FIXED, 0, 0),
        Family::FixStr => (hdr + l.imm, 0, FIXED, 0, STR),
        Family::FixExt => (hdr + l.imm, 0, FIXED, 0, EXT),
        Family::FixArray => (hdr, l.imm, FIXED, 0, 0),
        Family::FixMap => (hdr, 2 * l.imm, FIXED, 0, 0),
        Family::Str => (hdr, 0, PAYLOAD, width_shift, STR),
        Family::Bin => (hdr, 0, PAYLOAD, width_shift, 0),
        // The length field is `extra - 1` bytes (the type byte follows it).
        Family::Ext => (
            hdr,
            0,
            PAYLOAD,
            match l.extra - 1 {
                1 => 24,
                2 => 16,
                _ => 0,
            },
            EXT,
        ),
        Family::Array => (hdr, 0, ARRAY, width_shift, 0),
        Family::Map => (hdr, 0, MAP, width_shift, 0),
        Family::Reserved => (1, 0, BAD, 0, 0),
    };
    Step {
        adv,
        kids,
        kind,
        shift,
        hdr,
        check,
    }
}

/// The step table.
pub(crate) static STEP: [Step; 256] = {
    let mut t = [step(0); 256];
    let mut i = 0;
    while i < 256 {
        t[i] = step(i);
        i += 1;
    }
    t
};

/// What a checking kernel looks at besides structure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Checks {
    pub(crate) utf8: bool,
    pub(crate) timestamps: bool,
}

/// Something is wrong in the value being skipped; the reference loop will say what and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Doubt;

/// Bytes that must be readable at a token for the kernel's unchecked-width header read: the
/// lead byte and a four-byte field.
const ZONE: usize = 5;

#[inline(always)]
fn utf8_ok(p: &[u8]) -> bool {
    #[cfg(feature = "simdutf8")]
    {
        simdutf8::basic::from_utf8(p).is_ok()
    }
    #[cfg(not(feature = "simdutf8"))]
    {
        core::str::from_utf8(p).is_ok()
    }
}

#[cold]
#[inline(never)]
fn check_payload(buf: &[u8], pos: usize, s: Step, end: usize, checks: Checks) -> bool {
    let Some(p) = buf.get(pos + s.hdr as usize..end) else {
        return false;
    };
    match s.check {
        STR if checks.utf8 => utf8_ok(p),
        EXT if checks.timestamps => {
            // The type byte is the last header byte.
            let ty = buf[pos + s.hdr as usize - 1] as i8;
            ty != Timestamp::EXT_TYPE || Timestamp::from_ext_data(p).is_ok()
        }
        _ => true,
    }
}

/// Skips values from `pos` until `pending` values are done, structure only; returns the end
/// offset. Block-wise ([`block`]) where that is available, else [`skip`].
#[inline(always)]
pub(crate) fn skip_structure(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        block::skip(buf, pos, pending)
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        skip::<false>(buf, pos, pending, Checks::default())
    }
}

/// Skips values from `pos` until `pending` values are done, structure and UTF-8 of every str;
/// returns the end offset. Block-wise ([`block`]) where that is available, else [`skip`].
#[inline(always)]
pub(crate) fn skip_utf8(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        block::skip_utf8(buf, pos, pending)
    }
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    {
        let checks = Checks {
            utf8: true,
            timestamps: false,
        };
        skip::<true>(buf, pos, pending, checks)
    }
}

/// Skips values from `pos` until `pending` values are done; returns the end offset.
///
/// `CHECK` turns on the payload checks in `checks` (a separate instantiation, so the
/// structure-only kernel carries no trace of them).
#[inline(always)]
pub(crate) fn skip<const CHECK: bool>(
    buf: &[u8],
    mut pos: usize,
    mut pending: u64,
    checks: Checks,
) -> Result<usize, Doubt> {
    while pending != 0 {
        let Some(h) = buf.get(pos..pos + ZONE) else {
            return skip_tail::<CHECK>(buf, pos, pending, checks);
        };
        let s = STEP[h[0] as usize];
        if s.kind == FIXED {
            let end = pos + s.adv as usize;
            if CHECK && s.check != 0 && !check_small(buf, pos, s, end, checks) {
                return Err(Doubt);
            }
            pos = end;
            pending = pending + s.kids as u64 - 1;
            continue;
        }
        let field = (u32::from_be_bytes([h[1], h[2], h[3], h[4]]) >> s.shift) as u64;
        match s.kind {
            PAYLOAD => {
                let end = pos + s.adv as usize + field as usize;
                if CHECK && s.check != 0 && !check_small(buf, pos, s, end, checks) {
                    return Err(Doubt);
                }
                pos = end;
                pending -= 1;
            }
            ARRAY | MAP => {
                pos += s.adv as usize;
                pending = pending - 1 + (field << (s.kind - ARRAY));
                // Every pending value takes at least a byte: more than the bytes left can
                // never complete (and this keeps the counter far from overflow).
                if pending > (buf.len().saturating_sub(pos)) as u64 {
                    return Err(Doubt);
                }
            }
            _ => return Err(Doubt),
        }
    }
    if pos > buf.len() {
        return Err(Doubt);
    }
    Ok(pos)
}

#[inline(always)]
fn check_small(buf: &[u8], pos: usize, s: Step, end: usize, checks: Checks) -> bool {
    match s.check {
        // ASCII strings (keys, names, hex digests) are the common case: test them inline.
        STR if checks.utf8 => match buf.get(pos + s.hdr as usize..end) {
            Some(p) => p.is_ascii() || utf8_ok(p),
            None => false,
        },
        STR => true,
        _ => check_payload(buf, pos, s, end, checks),
    }
}

/// The last few bytes of the buffer, where the kernel cannot read a whole header zone: a
/// bounds-checked step at a time.
#[cold]
#[inline(never)]
fn skip_tail<const CHECK: bool>(
    buf: &[u8],
    mut pos: usize,
    mut pending: u64,
    checks: Checks,
) -> Result<usize, Doubt> {
    while pending != 0 {
        let have = buf.get(pos..).ok_or(Doubt)?;
        let s = STEP[*have.first().ok_or(Doubt)? as usize];
        if s.kind == BAD || have.len() < s.hdr as usize {
            return Err(Doubt);
        }
        let mut f = [0u8; ZONE - 1];
        let n = (have.len() - 1).min(ZONE - 1);
        f[..n].copy_from_slice(&have[1..=n]);
        let field = (u32::from_be_bytes(f) >> s.shift) as u64;
        let (end, kids) = match s.kind {
            FIXED => (pos + s.adv as usize, s.kids as u64),
            PAYLOAD => (pos + s.adv as usize + field as usize, 0),
            _ => (pos + s.adv as usize, field << (s.kind - ARRAY)),
        };
        if end > buf.len() {
            return Err(Doubt);
        }
        if CHECK && s.check != 0 && !check_payload(buf, pos, s, end, checks) {
            return Err(Doubt);
        }
        pending = pending - 1 + kids;
        pos = end;
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::decode_head;

    /// The step table agrees with the head decoder on every lead byte: header length, whole
    /// size of self-sized tokens, inline children, and the width of length/count fields.
    #[test]
    fn step_table_agrees_with_head_decoder() {
        for b in 0..=255u8 {
            let s = STEP[b as usize];
            // A header whose length/count field reads as 0x01020304 (truncated to its width).
            let mut buf = [b, 1, 2, 3, 4, 5, 6, 7, 8];
            if b == 0xc1 {
                assert_eq!(s.kind, BAD);
                continue;
            }
            let h = decode_head(&buf, 0).unwrap();
            assert_eq!(s.hdr as usize, h.len, "{b:#04x}");
            let field = (u32::from_be_bytes([1, 2, 3, 4]) >> s.shift) as u64;
            match s.kind {
                FIXED => {
                    assert_eq!(s.adv as usize, h.len + h.payload_len(), "{b:#04x}");
                    assert_eq!(s.kids as u64, h.children(), "{b:#04x}");
                }
                PAYLOAD => assert_eq!(field, h.payload_len() as u64, "{b:#04x}"),
                ARRAY | MAP => {
                    assert_eq!(field << (s.kind - ARRAY), h.children(), "{b:#04x}")
                }
                _ => panic!("{b:#04x}"),
            }
            buf[1] = 0;
            let _ = buf;
        }
    }
}
