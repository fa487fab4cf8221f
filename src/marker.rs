//! The lead-byte table: the only place in the crate that knows what the first byte of a
//! MessagePack token means.
//!
//! Each of the 256 entries says which family the byte belongs to, how many header bytes follow
//! it, and either the value carried inline (fixint, fixstr length, fixarray/fixmap count, fixext
//! data length, bool) or nothing.

/// The family of a lead byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Family {
    /// `0x00..=0x7f`: the value is `imm`.
    PosFixInt,
    /// `0xe0..=0xff`: the value is `imm as i8`.
    NegFixInt,
    /// `0xc0`.
    Nil,
    /// `0xc2` / `0xc3`: the value is `imm != 0`.
    Bool,
    /// `0xc1`: never valid.
    Reserved,
    /// `0xcc..=0xcf`: a big-endian unsigned integer of `extra` bytes follows.
    UInt,
    /// `0xd0..=0xd3`: a big-endian two's complement integer of `extra` bytes follows.
    Int,
    /// `0xca`.
    F32,
    /// `0xcb`.
    F64,
    /// `0xa0..=0xbf`: a str of `imm` bytes.
    FixStr,
    /// `0xd9..=0xdb`: a str whose length is a big-endian integer of `extra` bytes.
    Str,
    /// `0xc4..=0xc6`: a bin whose length is a big-endian integer of `extra` bytes.
    Bin,
    /// `0xd4..=0xd8`: an ext with type byte (`extra` = 1) and `imm` data bytes.
    FixExt,
    /// `0xc7..=0xc9`: an ext whose length is `extra - 1` bytes, then a type byte.
    Ext,
    /// `0x90..=0x9f`: an array of `imm` elements.
    FixArray,
    /// `0xdc`/`0xdd`: an array whose count is a big-endian integer of `extra` bytes.
    Array,
    /// `0x80..=0x8f`: a map of `imm` pairs.
    FixMap,
    /// `0xde`/`0xdf`: a map whose count is a big-endian integer of `extra` bytes.
    Map,
}

/// One entry of the lead-byte table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lead {
    /// The family of the byte.
    pub family: Family,
    /// How many header bytes follow the lead byte (length field, type byte, scalar value).
    pub extra: u8,
    /// The inline value, for families that carry one.
    pub imm: u8,
    /// The width in bytes of the big-endian value field right after the lead byte (scalar,
    /// length or count); 0 when the value is `imm`.
    pub width: u8,
    /// 1 when the value is a payload length (str, bin, ext), else 0.
    pub payload: u8,
    /// Nested values per unit of the value: 1 for arrays, 2 for maps, else 0.
    pub nested: u8,
}

const fn lead(family: Family, extra: u8, imm: u8) -> Lead {
    use Family::*;
    let width = match family {
        UInt | Int | F32 | F64 | Str | Bin | Array | Map => extra,
        Ext => extra - 1,
        _ => 0,
    };
    let payload = matches!(family, FixStr | Str | Bin | FixExt | Ext) as u8;
    let nested = match family {
        FixArray | Array => 1,
        FixMap | Map => 2,
        _ => 0,
    };
    Lead {
        family,
        extra,
        imm,
        width,
        payload,
        nested,
    }
}

/// Classifies one lead byte. Used only to build [`LEAD`]; the tests compare it against a plain
/// `match` written from the specification.
const fn classify(b: u8) -> Lead {
    use Family::*;
    match b {
        0x00..=0x7f => lead(PosFixInt, 0, b),
        0x80..=0x8f => lead(FixMap, 0, b & 0x0f),
        0x90..=0x9f => lead(FixArray, 0, b & 0x0f),
        0xa0..=0xbf => lead(FixStr, 0, b & 0x1f),
        0xc0 => lead(Nil, 0, 0),
        0xc1 => lead(Reserved, 0, 0),
        0xc2 => lead(Bool, 0, 0),
        0xc3 => lead(Bool, 0, 1),
        0xc4 => lead(Bin, 1, 0),
        0xc5 => lead(Bin, 2, 0),
        0xc6 => lead(Bin, 4, 0),
        0xc7 => lead(Ext, 2, 0),
        0xc8 => lead(Ext, 3, 0),
        0xc9 => lead(Ext, 5, 0),
        0xca => lead(F32, 4, 0),
        0xcb => lead(F64, 8, 0),
        0xcc => lead(UInt, 1, 0),
        0xcd => lead(UInt, 2, 0),
        0xce => lead(UInt, 4, 0),
        0xcf => lead(UInt, 8, 0),
        0xd0 => lead(Int, 1, 0),
        0xd1 => lead(Int, 2, 0),
        0xd2 => lead(Int, 4, 0),
        0xd3 => lead(Int, 8, 0),
        0xd4 => lead(FixExt, 1, 1),
        0xd5 => lead(FixExt, 1, 2),
        0xd6 => lead(FixExt, 1, 4),
        0xd7 => lead(FixExt, 1, 8),
        0xd8 => lead(FixExt, 1, 16),
        0xd9 => lead(Str, 1, 0),
        0xda => lead(Str, 2, 0),
        0xdb => lead(Str, 4, 0),
        0xdc => lead(Array, 2, 0),
        0xdd => lead(Array, 4, 0),
        0xde => lead(Map, 2, 0),
        0xdf => lead(Map, 4, 0),
        0xe0..=0xff => lead(NegFixInt, 0, b),
    }
}

const fn build() -> [Lead; 256] {
    let mut t = [lead(Family::Reserved, 0, 0); 256];
    let mut i = 0;
    while i < 256 {
        t[i] = classify(i as u8);
        i += 1;
    }
    t
}

/// The lead-byte table, built at compile time.
pub static LEAD: [Lead; 256] = build();

/// For each lead byte, the total size of the token's header (lead byte included).
///
/// Fast paths that only need to step over headers read this instead of [`LEAD`].
pub static HEADER_LEN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = 1 + LEAD[i].extra;
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's format table, written out independently of `classify`:
    /// (first byte, last byte, family, bytes after the lead byte).
    const SPEC: &[(u8, u8, Family, u8)] = &[
        (0x00, 0x7f, Family::PosFixInt, 0),
        (0x80, 0x8f, Family::FixMap, 0),
        (0x90, 0x9f, Family::FixArray, 0),
        (0xa0, 0xbf, Family::FixStr, 0),
        (0xc0, 0xc0, Family::Nil, 0),
        (0xc1, 0xc1, Family::Reserved, 0),
        (0xc2, 0xc3, Family::Bool, 0),
        (0xc4, 0xc4, Family::Bin, 1),
        (0xc5, 0xc5, Family::Bin, 2),
        (0xc6, 0xc6, Family::Bin, 4),
        (0xc7, 0xc7, Family::Ext, 2),
        (0xc8, 0xc8, Family::Ext, 3),
        (0xc9, 0xc9, Family::Ext, 5),
        (0xca, 0xca, Family::F32, 4),
        (0xcb, 0xcb, Family::F64, 8),
        (0xcc, 0xcc, Family::UInt, 1),
        (0xcd, 0xcd, Family::UInt, 2),
        (0xce, 0xce, Family::UInt, 4),
        (0xcf, 0xcf, Family::UInt, 8),
        (0xd0, 0xd0, Family::Int, 1),
        (0xd1, 0xd1, Family::Int, 2),
        (0xd2, 0xd2, Family::Int, 4),
        (0xd3, 0xd3, Family::Int, 8),
        (0xd4, 0xd8, Family::FixExt, 1),
        (0xd9, 0xd9, Family::Str, 1),
        (0xda, 0xda, Family::Str, 2),
        (0xdb, 0xdb, Family::Str, 4),
        (0xdc, 0xdc, Family::Array, 2),
        (0xdd, 0xdd, Family::Array, 4),
        (0xde, 0xde, Family::Map, 2),
        (0xdf, 0xdf, Family::Map, 4),
        (0xe0, 0xff, Family::NegFixInt, 0),
    ];

    #[test]
    fn table_matches_spec_for_all_256_bytes() {
        let mut seen = [false; 256];
        for &(lo, hi, fam, extra) in SPEC {
            for b in lo..=hi {
                let l = LEAD[b as usize];
                assert_eq!(l.family, fam, "family of {b:#04x}");
                assert_eq!(l.extra, extra, "extra of {b:#04x}");
                assert_eq!(HEADER_LEN[b as usize], 1 + extra, "header of {b:#04x}");
                assert!(!seen[b as usize], "{b:#04x} listed twice");
                seen[b as usize] = true;
                let imm = match fam {
                    Family::PosFixInt | Family::NegFixInt => b,
                    Family::FixMap | Family::FixArray => b & 0x0f,
                    Family::FixStr => b & 0x1f,
                    Family::Bool => u8::from(b == 0xc3),
                    Family::FixExt => 1 << (b - 0xd4),
                    _ => 0,
                };
                assert_eq!(l.imm, imm, "imm of {b:#04x}");
                let (width, payload, nested) = match fam {
                    Family::FixStr | Family::FixExt => (0, 1, 0),
                    Family::Str | Family::Bin => (extra, 1, 0),
                    Family::Ext => (extra - 1, 1, 0),
                    Family::FixArray => (0, 0, 1),
                    Family::Array => (extra, 0, 1),
                    Family::FixMap => (0, 0, 2),
                    Family::Map => (extra, 0, 2),
                    Family::UInt | Family::Int | Family::F32 | Family::F64 => (extra, 0, 0),
                    _ => (0, 0, 0),
                };
                assert_eq!(
                    (l.width, l.payload, l.nested),
                    (width, payload, nested),
                    "width/payload/nested of {b:#04x}"
                );
            }
        }
        assert!(seen.iter().all(|&s| s), "every byte covered");
    }
}
