//! Block-wise skipping: where every byte of a block would end a token, computed up front with
//! vector instructions, so that the walk from one token to the next is a single load.
//!
//! The plain kernel's step is a chain of dependent operations per token: load the lead byte,
//! look it up in the step table, add the size to the position; each token waits for the one
//! before it. Here, for a block of [`BLOCK`] bytes, the end that a token *would* have if it
//! started at each byte is computed for all bytes at once, whatever the real token boundaries
//! are (AVX2: 32 bytes per instruction, five 16-entry byte shuffles per 32 bytes). The walk then
//! reads `off = nxt[off]`. The next block is computed before the current one is walked, so
//! that work does not wait for the walk and runs beside it.
//!
//! Lead bytes whose size needs more than the byte after them (str16, bin32, array16, ...),
//! tokens ending past the reach of a byte, and bytes that are never valid get a sentinel: the
//! walk takes one step of the plain kernel there. Values of a few tokens (a message around a
//! long bin) end before a block pays for itself, so the first [`WARM_UP`] tokens take steps
//! without blocks: in [`skip`], before the AVX2 code is entered, by calls through the
//! per-lead-byte functions of [`super::skip_arms`]; with UTF-8 checks, plain steps.
//!
//! The per-byte ends come from 16-entry tables indexed by the high nibble of the lead byte, by
//! its low nibble within the 0xc0 and 0xd0 rows, and the byte after it. The rows are derived
//! from the step table; the tests check the scalar twin [`lane`] against the step table for
//! every pair of bytes, and the vector code against [`lane`].
//!
//! Checking UTF-8 ([`skip_utf8`]), the fill also records per byte how many bytes after it a
//! str starting there holds ([`Block::cov`]: fixstr, and str8 up to 31 bytes). Each step
//! then tests the 32 bytes after the lead byte for high bits under that mask, beside the
//! chain: ASCII strs and tokens that are not strs pass without a branch taken, and only a str
//! with a high byte (or a longer str8) is checked on its own.

use super::{Checks, Doubt, Step, ARRAY, FIXED, MAP, PAYLOAD, STEP, STR, ZONE};

/// Tokens stepped over one by one before the first block is computed.
const WARM_UP: usize = 16;

/// Bytes per block.
pub(crate) const BLOCK: usize = 128;

/// What is known about a token that would start at each byte of a block.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Block {
    /// Where the token ends (its offset in the block plus its size); 0 or 255 for "take the
    /// plain step".
    pub(crate) nxt: [u8; BLOCK],
    /// Values that follow it inline (fixarray n, fixmap 2n), 0 for everything else.
    pub(crate) kids: [u8; BLOCK],
    /// For a str sized here, the bytes after the lead byte that must be UTF-8: the payload of
    /// a fixstr, the length byte and payload of a str8 of at most 31 bytes (the length byte
    /// is ASCII then), [`LONG`] for a longer str8; 0 for everything else. Filled only for
    /// UTF-8 checking.
    pub(crate) cov: [u8; BLOCK],
}

/// [`Block::cov`] of a str8 longer than 31 bytes: one more than the 32 bytes the walk tests at
/// once, so that the bit past them, which the walk sets, sends the str to be checked on its
/// own.
pub(crate) const LONG: u8 = 33;

impl Block {
    pub(crate) const fn new() -> Self {
        Block {
            nxt: [0; BLOCK],
            kids: [0; BLOCK],
            cov: [0; BLOCK],
        }
    }
}

/// `true` when an end from [`lane`] means "take the plain step".
#[inline(always)]
pub(crate) fn sentinel(a: u8) -> bool {
    a.wrapping_sub(1) >= 254
}

/// The per-high-nibble tables of the rows outside 0xc0..=0xdf, read off the step table. In each
/// such row a token's end and children follow from the lead byte `b` (low nibble `lo`) as
/// `adv = by_hi + (b & fixstr)` and `kids = (lo + (lo & kids_twice)) & kids`; the fill works
/// out every lane with those two formulas. The masks are picked from the few forms the vector
/// code can compute, and the build fails if a row of the step table fits none of them.
struct Nibbles {
    /// Size by high nibble (fixints, fixmap/fixarray headers: 1; fixstr rows: 1 plus the
    /// masked bits); 0 for the 0xc0 and 0xd0 rows.
    by_hi: [u8; 16],
    /// Mask of the lead byte's bits that add to the size: the fixstr length.
    fixstr: [u8; 16],
    /// All ones where children are twice the low nibble (fixmap).
    kids_twice: [u8; 16],
    /// All ones where the lead byte holds children at all (fixmap, fixarray).
    kids: [u8; 16],
}

const fn nibbles() -> Nibbles {
    let mut t = Nibbles {
        by_hi: [0; 16],
        fixstr: [0; 16],
        kids_twice: [0; 16],
        kids: [0; 16],
    };
    let mut hi = 0;
    while hi < 16 {
        if hi == 0xc || hi == 0xd {
            hi += 1;
            continue;
        }
        let b0 = hi << 4;
        // The size mask: none, or the five low bits (fixstr).
        let masks = [0x00u8, 0x1f];
        let mut found = false;
        let mut m = 0;
        while m < masks.len() && !found {
            let mask = masks[m];
            let by = STEP[b0].adv - (b0 as u8 & mask);
            let mut ok = true;
            let mut lo = 0;
            while lo < 16 {
                let s = STEP[b0 | lo];
                ok &= s.kind == FIXED && s.adv == by + ((b0 | lo) as u8 & mask);
                lo += 1;
            }
            if ok {
                t.by_hi[hi] = by;
                t.fixstr[hi] = mask;
                found = true;
            }
            m += 1;
        }
        assert!(found, "a lead-byte row the block fill cannot size");
        // The children: none, the low nibble (fixarray), twice it (fixmap).
        let forms = [(0x00u8, 0x00u8), (0x00, 0xff), (0xff, 0xff)];
        found = false;
        let mut f = 0;
        while f < forms.len() && !found {
            let (twice, mask) = forms[f];
            let mut ok = true;
            let mut lo = 0;
            while lo < 16 {
                let l = lo as u8;
                ok &= STEP[b0 | lo].kids == (l + (l & twice)) & mask;
                lo += 1;
            }
            if ok {
                t.kids_twice[hi] = twice;
                t.kids[hi] = mask;
                found = true;
            }
            f += 1;
        }
        assert!(
            found,
            "a lead-byte row whose children the block fill cannot count"
        );
        hi += 1;
    }
    t
}

const NIBBLES: Nibbles = nibbles();
/// See [`Nibbles::by_hi`].
const BY_HI: [u8; 16] = NIBBLES.by_hi;
/// See [`Nibbles::fixstr`].
const FIXSTR: [u8; 16] = NIBBLES.fixstr;
/// See [`Nibbles::kids_twice`].
const KIDS_TWICE: [u8; 16] = NIBBLES.kids_twice;
/// See [`Nibbles::kids`].
const KIDS: [u8; 16] = NIBBLES.kids;

/// The 0xc0..=0xdf rows, by low nibble, from the step table: the whole size of tokens sized by
/// the lead byte, the header length of those with a one-byte length field, 0 otherwise.
const fn row(hi: usize) -> ([u8; 16], [u8; 16]) {
    let mut size = [0u8; 16];
    let mut len8 = [0u8; 16];
    let mut lo = 0;
    while lo < 16 {
        let s = STEP[hi << 4 | lo];
        if s.kind == FIXED && s.kids == 0 {
            size[lo] = s.adv;
        } else if s.kind == PAYLOAD && s.shift == 24 {
            size[lo] = s.adv;
            len8[lo] = 0xff;
        }
        lo += 1;
    }
    (size, len8)
}
const ROW_C: ([u8; 16], [u8; 16]) = row(0xc);
const ROW_D: ([u8; 16], [u8; 16]) = row(0xd);

/// By high nibble: the lead byte's bits that give a str's length (fixstr), from the step table.
const STR_FIX: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut hi = 0;
    while hi < 16 {
        if STEP[hi << 4].check == STR && STEP[hi << 4].kind == FIXED {
            t[hi] = FIXSTR[hi];
        }
        hi += 1;
    }
    t
};

/// By low nibble within the 0xd0 row: all ones for a str with a one-byte length (str8). The
/// 0xc0 row holds no str.
const STR8_D: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut lo = 0;
    while lo < 16 {
        let s = STEP[0xd0 | lo];
        assert!(STEP[0xc0 | lo].check != STR, "a str in the 0xc0 row");
        if s.check == STR && s.kind == PAYLOAD && s.shift == 24 {
            t[lo] = 0xff;
        }
        lo += 1;
    }
    t
};

/// Index into a 0xc0 row table (or 0x80 and up, which a byte shuffle reads as 0): the low
/// nibble for 0xc0..=0xcf, and a byte with the top bit set for everything else.
#[cfg(test)]
fn index_c(b: u8) -> u8 {
    b.wrapping_add(0x40).saturating_add(0x70)
}

/// The same for the 0xd0 row.
#[cfg(test)]
fn index_d(b: u8) -> u8 {
    b.wrapping_add(0x30).saturating_add(0x70)
}

/// A byte shuffle's table lookup: 0 when the index's top bit is set, else the entry for its
/// low nibble.
#[cfg(test)]
fn shuffle(t: &[u8; 16], i: u8) -> u8 {
    if i & 0x80 != 0 {
        0
    } else {
        t[(i & 0x0f) as usize]
    }
}

/// For a token whose lead byte `b` sits at offset `i` of a block, followed by `n`: the offset
/// where it ends and its inline children. The end is a value that [`sentinel`] flags when the
/// size takes more than these two bytes, the end does not fit a byte, or `b` is never valid.
///
/// The scalar twin of the vector code, step for step.
#[cfg(test)]
pub(crate) fn lane(i: u8, b: u8, n: u8) -> (u8, u8) {
    let lo = b & 0x0f;
    let hi = b >> 4;
    let ic = index_c(b);
    let id = index_d(b);
    let mut adv = BY_HI[hi as usize] + (b & FIXSTR[hi as usize]);
    adv += shuffle(&ROW_C.0, ic) | shuffle(&ROW_D.0, id);
    let len = shuffle(&ROW_C.1, ic) | shuffle(&ROW_D.1, id);
    adv = adv.saturating_add(n & len);
    let kids = (lo + (lo & KIDS_TWICE[hi as usize])) & KIDS[hi as usize];
    let nxt = if adv == 0 { 0 } else { i.saturating_add(adv) };
    (nxt, kids)
}

/// [`Block::cov`] for lead byte `b` followed by `n`. The scalar twin of the vector code.
#[cfg(test)]
pub(crate) fn cover(b: u8, n: u8) -> u8 {
    let fix = b & STR_FIX[(b >> 4) as usize];
    let str8 = shuffle(&STR8_D, index_d(b));
    fix | (str8 & n.saturating_add(1).min(LONG))
}

/// Fills `blk` for the block that starts at `win[0]` (`win` holds one byte more, the one after
/// the block's last byte): [`lane`] and [`cover`] for every byte.
#[cfg(test)]
pub(crate) fn fill(blk: &mut Block, win: &[u8; BLOCK + 1]) {
    for i in 0..BLOCK {
        let (a, k) = lane(i as u8, win[i], win[i + 1]);
        blk.nxt[i] = a;
        blk.kids[i] = k;
        blk.cov[i] = cover(win[i], win[i + 1]);
    }
}

pub(crate) mod avx2 {
    use super::*;
    use core::arch::x86_64::*;

    const IOTA: [u8; 32] = {
        let mut t = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            t[i] = i as u8;
            i += 1;
        }
        t
    };

    #[inline(always)]
    fn table(t: &[u8; 16]) -> __m256i {
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(t);
        b[16..].copy_from_slice(t);
        // SAFETY: `b` is 32 readable bytes; unaligned load.
        unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
    }

    /// The tables of [`lane`] in vector registers.
    #[derive(Clone, Copy)]
    pub(crate) struct Tables {
        by_hi: __m256i,
        fixstr: __m256i,
        kids_twice: __m256i,
        kids: __m256i,
        size_c: __m256i,
        size_d: __m256i,
        len_c: __m256i,
        len_d: __m256i,
        str_fix: __m256i,
        str8_d: __m256i,
        iota: __m256i,
    }

    impl Tables {
        #[inline(always)]
        pub(crate) fn new() -> Self {
            Tables {
                by_hi: table(&BY_HI),
                fixstr: table(&FIXSTR),
                kids_twice: table(&KIDS_TWICE),
                kids: table(&KIDS),
                size_c: table(&ROW_C.0),
                size_d: table(&ROW_D.0),
                len_c: table(&ROW_C.1),
                len_d: table(&ROW_D.1),
                str_fix: table(&STR_FIX),
                str8_d: table(&STR8_D),
                // SAFETY: 32 readable bytes; unaligned load.
                iota: unsafe { _mm256_loadu_si256(IOTA.as_ptr().cast()) },
            }
        }
    }

    /// [`lane`] for the 32 bytes at `p`, followed by their next bytes at `p + 1`; stores into
    /// `adv` and `kids`, and with `COV` [`cover`] into `cov`.
    ///
    /// # Safety
    ///
    /// AVX2 must be available, and 33 bytes readable from `p`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn fill32<const COV: bool>(
        t: &Tables,
        i: u8,
        p: *const u8,
        adv: *mut u8,
        kids: *mut u8,
        cov: *mut u8,
    ) {
        // SAFETY: the caller guarantees AVX2 and 33 readable bytes at `p`; `adv`, `kids` and
        // `cov` point into arrays with 32 bytes left.
        unsafe {
            let v = _mm256_loadu_si256(p.cast());
            let n = _mm256_loadu_si256(p.add(1).cast());
            let nib = _mm256_set1_epi8(0x0f);
            let lo = _mm256_and_si256(v, nib);
            let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
            let ic = _mm256_adds_epu8(
                _mm256_add_epi8(v, _mm256_set1_epi8(0x40)),
                _mm256_set1_epi8(0x70),
            );
            let id = _mm256_adds_epu8(
                _mm256_add_epi8(v, _mm256_set1_epi8(0x30)),
                _mm256_set1_epi8(0x70),
            );
            let mut a = _mm256_add_epi8(
                _mm256_shuffle_epi8(t.by_hi, hi),
                _mm256_and_si256(v, _mm256_shuffle_epi8(t.fixstr, hi)),
            );
            a = _mm256_add_epi8(
                a,
                _mm256_or_si256(
                    _mm256_shuffle_epi8(t.size_c, ic),
                    _mm256_shuffle_epi8(t.size_d, id),
                ),
            );
            let len = _mm256_or_si256(
                _mm256_shuffle_epi8(t.len_c, ic),
                _mm256_shuffle_epi8(t.len_d, id),
            );
            a = _mm256_adds_epu8(a, _mm256_and_si256(n, len));
            let k = _mm256_and_si256(
                _mm256_add_epi8(
                    lo,
                    _mm256_and_si256(lo, _mm256_shuffle_epi8(t.kids_twice, hi)),
                ),
                _mm256_shuffle_epi8(t.kids, hi),
            );
            let idx = _mm256_add_epi8(t.iota, _mm256_set1_epi8(i as i8));
            let a = _mm256_andnot_si256(
                _mm256_cmpeq_epi8(a, _mm256_setzero_si256()),
                _mm256_adds_epu8(idx, a),
            );
            _mm256_storeu_si256(adv.cast(), a);
            _mm256_storeu_si256(kids.cast(), k);
            if COV {
                let fix = _mm256_and_si256(v, _mm256_shuffle_epi8(t.str_fix, hi));
                let str8 = _mm256_shuffle_epi8(t.str8_d, id);
                let len = _mm256_min_epu8(
                    _mm256_adds_epu8(n, _mm256_set1_epi8(1)),
                    _mm256_set1_epi8(LONG as i8),
                );
                let c = _mm256_or_si256(fix, _mm256_and_si256(str8, len));
                _mm256_storeu_si256(cov.cast(), c);
            }
        }
    }

    /// [`fill`] with AVX2; [`Block::cov`] only with `COV`.
    ///
    /// # Safety
    ///
    /// AVX2 must be available.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) unsafe fn fill<const COV: bool>(t: &Tables, blk: &mut Block, win: &[u8; BLOCK + 1]) {
        let mut i = 0;
        while i < BLOCK {
            // SAFETY: AVX2 per the caller; `win` has `BLOCK + 1` bytes, so 33 from `i`, and
            // `blk`'s arrays have `BLOCK - i >= 32` bytes from `i`.
            unsafe {
                fill32::<COV>(
                    t,
                    i as u8,
                    win.as_ptr().add(i),
                    blk.nxt.as_mut_ptr().add(i),
                    blk.kids.as_mut_ptr().add(i),
                    blk.cov.as_mut_ptr().add(i),
                )
            };
            i += 32;
        }
    }

    /// [`super::skip`] with AVX2 block fills.
    ///
    /// # Safety
    ///
    /// AVX2 must be available.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn skip(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
        let t = Tables::new();
        // SAFETY: AVX2 per the caller.
        super::walk_impl::<false, false>(
            buf,
            pos,
            pending,
            |blk, win| unsafe { fill::<false>(&t, blk, win) },
            |_| 0,
        )
    }

    /// The high bits of the 32 bytes of `w` (bit `i` for `w[i] >= 0x80`).
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) fn high(w: &[u8; 32]) -> u32 {
        // SAFETY: `w` is 32 readable bytes; unaligned load.
        let v = unsafe { _mm256_loadu_si256(w.as_ptr().cast()) };
        _mm256_movemask_epi8(v) as u32
    }

    /// [`super::skip_utf8`] with AVX2 block fills.
    ///
    /// # Safety
    ///
    /// AVX2 must be available.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn skip_utf8(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
        let t = Tables::new();
        // SAFETY: AVX2 per the caller.
        super::walk_impl::<true, true>(
            buf,
            pos,
            pending,
            |blk, win| unsafe { fill::<true>(&t, blk, win) },
            |w| high(w),
        )
    }
}

/// The high bits of the 32 bytes of `w`: the scalar twin of [`avx2::high`].
#[cfg(test)]
pub(crate) fn high(w: &[u8; 32]) -> u32 {
    w.iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | (((b >> 7) as u32) << i))
}

/// One step of the plain kernel at `pos`, where a whole header zone `h` is readable.
#[inline(always)]
fn plain_step(h: &[u8], pos: usize, pending: u64, len: usize) -> Result<(usize, u64), Doubt> {
    let s: Step = STEP[h[0] as usize];
    if s.kind == FIXED {
        return Ok((pos + s.adv as usize, pending + s.kids as u64 - 1));
    }
    let field = (u32::from_be_bytes([h[1], h[2], h[3], h[4]]) >> s.shift) as u64;
    match s.kind {
        PAYLOAD => Ok((pos + s.adv as usize + field as usize, pending - 1)),
        ARRAY | MAP => {
            let pos = pos + s.adv as usize;
            let pending = pending - 1 + (field << (s.kind - ARRAY));
            // As in the plain kernel: more pending values than bytes left never completes.
            if pending > (len.saturating_sub(pos)) as u64 {
                return Err(Doubt);
            }
            Ok((pos, pending))
        }
        _ => Err(Doubt),
    }
}

/// [`plain_step`], and with `UTF8` the UTF-8 check of a str's payload.
#[inline(always)]
fn checked_step<const UTF8: bool>(
    buf: &[u8],
    h: &[u8],
    pos: usize,
    pending: u64,
) -> Result<(usize, u64), Doubt> {
    let (end, pending) = plain_step(h, pos, pending, buf.len())?;
    if UTF8 {
        let s = STEP[h[0] as usize];
        if s.check == STR && !str_ok(buf, pos + s.hdr as usize, end) {
            return Err(Doubt);
        }
    }
    Ok((end, pending))
}

/// Whether `buf[from..to]` is there and is UTF-8.
#[inline(always)]
fn str_ok(buf: &[u8], from: usize, to: usize) -> bool {
    buf.get(from..to)
        .is_some_and(|p| p.is_ascii() || super::utf8_ok(p))
}

/// The structure walk's step at a sentinel: one step of the plain kernel at `p`, `None` where
/// no whole header zone is left. Out of line and marked cold, so that the walk's loop is laid
/// out for the common case: straight-line code with one taken branch, back, per token.
#[cold]
#[inline(never)]
fn sentinel_step(buf: &[u8], p: usize, pending: u64) -> Result<Option<(usize, u64)>, Doubt> {
    let Some(h) = buf.get(p..p + ZONE) else {
        return Ok(None);
    };
    checked_step::<false>(buf, h, p, pending).map(Some)
}

/// The checks of the plain kernel that finishes a walk.
const fn tail_checks(utf8: bool) -> Checks {
    Checks {
        utf8,
        timestamps: false,
    }
}

/// Skips values from `pos` until `pending` values are done, block by block while two whole
/// blocks (and a byte) are left; the plain kernel does the rest.
#[cfg(test)]
#[inline(always)]
pub(crate) fn walk(
    buf: &[u8],
    pos: usize,
    pending: u64,
    fill: impl FnMut(&mut Block, &[u8; BLOCK + 1]),
) -> Result<usize, Doubt> {
    walk_impl::<false, true>(buf, pos, pending, fill, |_| 0)
}

/// [`walk`] that also checks that every str is UTF-8. `fill` must fill [`Block::cov`];
/// `high(w)` gives the high bits of 32 bytes (bit `i` set for `w[i] >= 0x80`).
///
/// Per token, the 32 bytes after the lead byte are tested for high bits under the mask of
/// [`Block::cov`]: nothing for tokens that are not strs, and for ASCII strs no bit is set.
/// Only a str with a high byte (or a str8 longer than 31 bytes) is checked on its own.
#[cfg(test)]
#[inline(always)]
pub(crate) fn walk_utf8(
    buf: &[u8],
    pos: usize,
    pending: u64,
    fill: impl FnMut(&mut Block, &[u8; BLOCK + 1]),
    high: impl Fn(&[u8; 32]) -> u32,
) -> Result<usize, Doubt> {
    walk_impl::<true, true>(buf, pos, pending, fill, high)
}

/// The walk. With `WARM`, the first [`WARM_UP`] tokens take plain steps (small values, a
/// message of a few fields around a long bin, end before blocks pay for themselves); without,
/// the caller took them ([`skip`] does, before it enters the AVX2 code).
#[inline(always)]
fn walk_impl<const UTF8: bool, const WARM: bool>(
    buf: &[u8],
    mut pos: usize,
    mut pending: u64,
    mut fill: impl FnMut(&mut Block, &[u8; BLOCK + 1]),
    high: impl Fn(&[u8; 32]) -> u32,
) -> Result<usize, Doubt> {
    for _ in 0..if WARM { WARM_UP } else { 0 } {
        if pending == 0 {
            return super::skip::<UTF8>(buf, pos, pending, tail_checks(UTF8));
        }
        let Some(h) = buf.get(pos..pos + ZONE) else {
            return super::skip::<UTF8>(buf, pos, pending, tail_checks(UTF8));
        };
        (pos, pending) = checked_step::<UTF8>(buf, h, pos, pending)?;
    }
    let mut blocks = [Block::new(); 2];
    let mut cur = 0;
    let mut base = pos;
    let window = |at: usize| -> Option<&[u8; BLOCK + 1]> {
        buf.get(at..at + BLOCK + 1)
            .map(|w| w.try_into().expect("BLOCK + 1 bytes"))
    };
    let Some(w) = window(base) else {
        return super::skip::<UTF8>(buf, pos, pending, tail_checks(UTF8));
    };
    fill(&mut blocks[0], w);
    'blocks: while pending != 0 {
        // Compute the next block before walking this one: it does not depend on the walk.
        let Some(next) = window(base + BLOCK) else {
            break;
        };
        fill(&mut blocks[cur ^ 1], next);
        let blk = &blocks[cur];
        // This block and the next, and a byte: `next` is in `buf`.
        let span: &[u8; 2 * BLOCK + 1] = buf[base..base + 2 * BLOCK + 1]
            .try_into()
            .expect("2 * BLOCK + 1 bytes");
        let mut off = pos - base;
        while off < BLOCK {
            let a = blk.nxt[off];
            if !sentinel(a) {
                if UTF8 {
                    // The 32 bytes after the lead byte, under the mask of the str's bytes (none
                    // for other tokens); bit 32 stands for "longer than that".
                    let w = span[off + 1..off + 33].try_into().expect("32 bytes");
                    let c = blk.cov[off];
                    let m = (u64::from(high(w)) | 1 << 32) & ((1u64 << c) - 1);
                    if m != 0 {
                        let p = base + off;
                        let from = p + STEP[buf[p] as usize].hdr as usize;
                        if !str_ok(buf, from, base + a as usize) {
                            return Err(Doubt);
                        }
                    }
                }
                pending = pending + blk.kids[off] as u64 - 1;
                off = a as usize;
                if pending == 0 {
                    pos = base + off;
                    break 'blocks;
                }
            } else {
                let p = base + off;
                let step = if UTF8 {
                    buf.get(p..p + ZONE)
                        .map(|h| checked_step::<UTF8>(buf, h, p, pending))
                        .transpose()?
                } else {
                    sentinel_step(buf, p, pending)?
                };
                let Some((np, npending)) = step else {
                    pos = p;
                    break 'blocks;
                };
                pending = npending;
                off = np - base;
                if pending == 0 {
                    pos = np;
                    break 'blocks;
                }
            }
        }
        pos = base + off;
        if off < 2 * BLOCK {
            base += BLOCK;
            cur ^= 1;
        } else {
            // Jumped past the next block too: start again where the walk landed.
            base = pos;
            let Some(w) = window(base) else {
                break;
            };
            fill(&mut blocks[cur], w);
        }
    }
    super::skip::<UTF8>(buf, pos, pending, tail_checks(UTF8))
}

/// Skips values from `pos` until `pending` values are done; returns the end offset. Block-wise
/// where the CPU has AVX2, the plain kernel elsewhere.
#[inline(always)]
pub(crate) fn skip(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
    // The warm-up before the AVX2 code is entered: a value of a few tokens never pays for
    // the feature test, the call or the tables.
    let (pos, pending) = match super::arms::skip_arms(buf, pos, pending, WARM_UP) {
        super::arms::Warm::Done(r) => return r,
        super::arms::Warm::Go(pos, pending) => (pos, pending),
    };
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected.
        return unsafe { avx2::skip(buf, pos, pending) };
    }
    super::skip::<false>(buf, pos, pending, Checks::default())
}

/// [`skip`] that also checks that every str is UTF-8.
#[inline(always)]
pub(crate) fn skip_utf8(buf: &[u8], pos: usize, pending: u64) -> Result<usize, Doubt> {
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected.
        return unsafe { avx2::skip_utf8(buf, pos, pending) };
    }
    super::skip::<true>(buf, pos, pending, tail_checks(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{self, Rng};
    use crate::head::decode_head;

    /// For every lead byte and every byte after it, [`lane`] gives either the exact end and
    /// children (the head decoder's sizes) or a sentinel, and a sentinel only where it must:
    /// a size that needs more than two bytes, an end past 254, or a byte that is never valid.
    #[test]
    fn lane_agrees_with_head_decoder() {
        for i in [0u8, 1, 63, 100, 127] {
            for b in 0..=255u8 {
                for n in 0..=255u8 {
                    let (nxt, kids) = lane(i, b, n);
                    let buf = [b, n, 0, 0, 0, 0, 0, 0, 0];
                    let Ok(h) = decode_head(&buf, 0) else {
                        assert!(sentinel(nxt), "{b:#04x}");
                        continue;
                    };
                    // Sized by these two bytes: by the lead byte alone, or by a one-byte length.
                    let s = STEP[b as usize];
                    let two = s.kind == FIXED || (s.kind == PAYLOAD && s.shift == 24);
                    let end = i as usize + h.len + h.payload_len();
                    if sentinel(nxt) {
                        assert!(!two || end >= 255, "{i} {b:#04x} {n:#04x}");
                        continue;
                    }
                    assert!(two, "{b:#04x} {n:#04x}");
                    assert_eq!(nxt as usize, end, "{i} {b:#04x} {n:#04x}");
                    assert_eq!(kids as u64, h.children(), "{b:#04x}");
                }
            }
        }
    }

    /// Windows holding every lead byte at every offset, and random ones.
    fn windows() -> Vec<[u8; BLOCK + 1]> {
        let mut out = Vec::new();
        for shift in 0..BLOCK {
            let mut w = [0u8; BLOCK + 1];
            for (j, x) in w.iter_mut().enumerate() {
                *x = (j * 7 + shift * 3) as u8;
            }
            out.push(w);
        }
        let mut rng = Rng::new(11);
        for _ in 0..2000 {
            let mut w = [0u8; BLOCK + 1];
            rng.fill(&mut w);
            out.push(w);
        }
        out
    }

    /// The AVX2 fill computes exactly what the scalar twin does.
    #[test]
    fn avx2_fill_matches_scalar_twin() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this CPU: the vector fill cannot run here");
            return;
        }
        let t = avx2::Tables::new();
        for w in windows() {
            let mut a = Block::new();
            let mut b = Block::new();
            fill(&mut a, &w);
            // SAFETY: AVX2 was detected above.
            unsafe { avx2::fill::<true>(&t, &mut b, &w) };
            assert_eq!(a.nxt, b.nxt, "{w:?}");
            assert_eq!(a.kids, b.kids, "{w:?}");
            assert_eq!(a.cov, b.cov, "{w:?}");
            let mut c = Block::new();
            // SAFETY: as above.
            unsafe { avx2::fill::<false>(&t, &mut c, &w) };
            assert_eq!((a.nxt, a.kids), (c.nxt, c.kids), "{w:?}");
            for at in 0..BLOCK - 32 {
                let x: &[u8; 32] = w[at..at + 32].try_into().unwrap();
                // SAFETY: as above.
                assert_eq!(high(x), unsafe { avx2::high(x) }, "{x:?}");
            }
        }
    }

    /// The block walk, with the scalar fill, ends where the plain kernel does (or doubts where
    /// it does) from every start offset of long generated values, intact and corrupted.
    #[test]
    fn walk_agrees_with_plain_kernel() {
        let mut bufs = vec![
            gen::listing(gen::ListingConfig {
                seed: 5,
                entries: 40,
                page_size: 40,
            }),
            gen::numeric(6, 1),
        ];
        let mut rng = Rng::new(12);
        for k in 0..40 {
            let mut b = bufs[k % 2].clone();
            for _ in 0..1 + k % 3 {
                let at = rng.below(b.len() as u64) as usize;
                b[at] = rng.next_u64() as u8;
            }
            bufs.push(b);
        }
        for buf in &bufs {
            for pos in 0..buf.len() {
                for pending in [1, 3] {
                    let plain = super::super::skip::<false>(buf, pos, pending, Default::default());
                    assert_eq!(walk(buf, pos, pending, fill), plain, "at {pos}");
                    // Blocks from the first token on, as after the warm-up of [`skip`].
                    let cold = walk_impl::<false, false>(buf, pos, pending, fill, |_| 0);
                    assert_eq!(cold, plain, "at {pos}, no warm-up");
                }
            }
        }
    }

    /// For every lead byte and every byte after it, [`cover`] gives the bytes after the lead
    /// byte to check for a str sized by these two bytes (fixstr payload; str8 length byte and
    /// payload up to 31 bytes), [`LONG`] for a longer str8, and 0 for everything else.
    #[test]
    fn cover_agrees_with_head_decoder() {
        use crate::head::Head;
        for b in 0..=255u8 {
            for n in 0..=255u8 {
                let buf = [b, n, 0, 0, 0, 0, 0, 0, 0];
                let want = match decode_head(&buf, 0).map(|h| (h.head(), h.len)) {
                    Ok((Head::Str(len), 1)) => len as u8,
                    Ok((Head::Str(len), 2)) if len <= 31 => len as u8 + 1,
                    Ok((Head::Str(_), 2)) => LONG,
                    _ => 0,
                };
                assert_eq!(cover(b, n), want, "{b:#04x} {n:#04x}");
            }
        }
    }

    /// Buffers of strs of every length class, ASCII and not, with invalid UTF-8 put in here
    /// and there, plus generated listings.
    fn text_buffers() -> Vec<Vec<u8>> {
        let mut rng = Rng::new(13);
        let mut out = vec![gen::listing(gen::ListingConfig {
            seed: 7,
            entries: 30,
            page_size: 30,
        })];
        for round in 0..12 {
            let mut w = crate::write::Writer::new(Vec::new());
            let n = 60 + rng.below(100) as u32;
            let _ = w.array_len(n);
            for _ in 0..n {
                let len = match rng.below(4) {
                    0 => rng.below(8),
                    1 => rng.below(32),
                    2 => 28 + rng.below(8),
                    _ => rng.below(300),
                } as usize;
                let mut s = String::new();
                while s.len() < len {
                    s.push(if rng.chance(10 * (round % 3)) {
                        'é'
                    } else {
                        'k'
                    });
                }
                let _ = match rng.below(5) {
                    0 => w.uint(rng.below(1 << 20)),
                    1 => w
                        .map_len(1)
                        .and_then(|_| w.str("k"))
                        .and_then(|_| w.str(&s)),
                    _ => w.str(&s),
                };
            }
            let mut buf = w.into_inner();
            for _ in 0..round % 4 {
                let at = rng.below(buf.len() as u64) as usize;
                buf[at] = [0xff, 0xc3, 0x80, 0xe9][rng.below(4) as usize];
            }
            out.push(buf);
        }
        out
    }

    /// The UTF-8 checking walk, with the scalar fill, ends where the checking plain kernel
    /// does (or doubts where it does) from every start offset, on valid and invalid text.
    #[test]
    fn utf8_walk_agrees_with_checking_kernel() {
        let checks = tail_checks(true);
        let mut doubts = 0;
        for buf in text_buffers() {
            for pos in 0..buf.len() {
                for pending in [1, 3] {
                    let plain = super::super::skip::<true>(&buf, pos, pending, checks);
                    let got = walk_utf8(&buf, pos, pending, fill, high);
                    assert_eq!(got, plain, "at {pos}");
                    doubts += got.is_err() as usize;
                }
            }
        }
        assert!(doubts > 100, "{doubts}");
    }
}
