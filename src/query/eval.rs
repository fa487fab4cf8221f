//! The evaluator: one pass over a slice, driving the head decoder directly, entering only
//! the containers some path needs and handing every other value to the skip layer.

use arrayvec::ArrayVec;

use super::trie::{Dfa, EntryKey, EntryKeys, State, DEAD, MAX_PATH_STEPS, ROOT};
use crate::error::{Error, ErrorKind};
use crate::head::decode_head;
use crate::marker::{Family, HEADER_LEN, LEAD};
use crate::scan;
use crate::skip::skip_value;

/// What the evaluator reports, in document order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Path `path` matched the value at `buf[start..end]`.
    Match { path: u32, start: usize, end: usize },
    /// A value under a row state begins at this offset.
    RowStart(usize),
    /// The row that began last ends.
    RowEnd,
}

/// Receives the callback walk's events. Implementors mark [`Sink::event`]
/// `#[inline(always)]`, so that what is done with a match is compiled into the walk's loops
/// rather than called.
pub(crate) trait Sink {
    /// One event, in document order.
    fn event(&mut self, e: Event);
}

/// An open container the evaluation goes through (the [`Machine`]'s and the resumable
/// evaluator's stack entries).
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub(super) state: u32,
    /// Children (map pairs or array elements) not read yet.
    pub(super) left: u32,
    /// The array's length (unused for maps).
    pub(super) len: u32,
    pub(super) is_map: bool,
    /// An array whose elements the [`Machine`] reads with [`record`] where they are fixmaps
    /// (the shape [`walk_records`] takes).
    pub(super) records: bool,
    /// The key literals seen so far in this map.
    pub(super) seen: u64,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Read the next child of the innermost open container (or the next top-level value).
    Between,
    /// The value at `pos` is under `state` (not dead).
    Value { state: u32, row_started: bool },
    /// Reporting the terminals of `state` for the value `start..end`; `next` is the index
    /// of the next terminal to report.
    Terminals {
        state: u32,
        start: usize,
        end: usize,
        next: u32,
    },
    /// The value at `pos` is to be entered (its terminals, if any, were reported).
    Enter { state: u32 },
    /// Stopped after an error.
    Done,
}

#[cold]
fn truncated(pos: usize, end: usize, len: usize) -> Error {
    Error::new(pos as u64, ErrorKind::Truncated { needed: end - len })
}

/// Reads the map key at `pos`: the state of its value, the bit of the key literal it matched
/// (0 for none) and the offset past the key.
#[inline(always)]
pub(super) fn read_key(st: &State, buf: &[u8], pos: usize) -> Result<(u32, u64, usize), Error> {
    // Most keys are fixstr: their length is in the lead byte's table entry.
    if let Some(&b) = buf.get(pos) {
        let lead = &LEAD[b as usize];
        if lead.family == Family::FixStr {
            let start = pos + 1;
            let end = start + lead.imm as usize;
            let Some(key) = buf.get(start..end) else {
                return Err(truncated(pos, end, buf.len()));
            };
            let (t, bit) = st.key_target(key);
            return Ok((t, bit, end));
        }
    }
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    let start = pos + h.len;
    match h.family() {
        Family::FixStr | Family::Str => {
            let end = start + h.payload_len();
            let Some(key) = buf.get(start..end) else {
                return Err(truncated(pos, end, buf.len()));
            };
            let (t, bit) = st.key_target(key);
            Ok((t, bit, end))
        }
        Family::PosFixInt | Family::UInt => {
            let (t, bit) = st.int_target(i128::from(h.value()));
            Ok((t, bit, start))
        }
        Family::NegFixInt | Family::Int => {
            let (t, bit) = st.int_target(i128::from(h.int()));
            Ok((t, bit, start))
        }
        _ => Ok((st.other_key, 0, skip_value(buf, pos)?)),
    }
}

/// For each lead byte, the size of a token that the lead byte alone sizes and that holds no
/// values (scalars, fixstr, fixext, empty fixarray and fixmap); 0 for any other. Read off the
/// skip kernel's step table, which is derived from [`LEAD`](crate::marker::LEAD).
static LEAF_SIZE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let s = scan::step(b);
        t[b] = if s.kind == scan::FIXED && s.kids == 0 {
            s.adv
        } else {
            0
        };
        b += 1;
    }
    t
};

/// For each lead byte, the header length of a str, bin or ext whose payload length is one
/// byte after the lead byte (str 8, bin 8, ext 8); 0 for any other. Derived from [`LEAD`] and
/// [`HEADER_LEN`].
static LEN8_HEADER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let l = &LEAD[b];
        if l.payload == 1 && l.width == 1 {
            t[b] = HEADER_LEN[b];
        }
        b += 1;
    }
    t
};

/// The end of the value at `pos`: a scalar, a short str (or an empty container) straight
/// from its header, anything else through [`skip_value`]. Same errors as [`skip_value`].
#[inline(always)]
fn value_end(buf: &[u8], pos: usize) -> Result<usize, Error> {
    // Written out rather than through `leaf_size`: this form runs 0.8% fewer instructions on
    // name extraction (callgrind).
    if let Some(&b) = buf.get(pos) {
        let size = LEAF_SIZE[b as usize] as usize;
        if size != 0 {
            if pos + size <= buf.len() {
                return Ok(pos + size);
            }
        } else {
            let hdr = LEN8_HEADER[b as usize] as usize;
            if hdr != 0 {
                if let Some(&n) = buf.get(pos + 1) {
                    let end = pos + hdr + n as usize;
                    if end <= buf.len() {
                        return Ok(end);
                    }
                }
            }
        }
    }
    value_end_slow(buf, pos)
}

/// The size of the leaf at `p` (a scalar, fixstr, str 8 or bin 8) from its lead byte and, for
/// the 8-bit lengths, the byte after it; `None` for anything else or past the end of `buf`.
#[inline(always)]
fn leaf_size(buf: &[u8], p: usize) -> Option<usize> {
    let b = *buf.get(p)?;
    let size = LEAF_SIZE[b as usize] as usize;
    if size != 0 {
        return Some(size);
    }
    let hdr = LEN8_HEADER[b as usize] as usize;
    if hdr == 0 {
        return None;
    }
    Some(hdr + *buf.get(p + 1)? as usize)
}

#[inline(never)]
fn value_end_slow(buf: &[u8], pos: usize) -> Result<usize, Error> {
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    if h.children() != 0 {
        return skip_value(buf, pos);
    }
    let end = pos + h.len + h.payload_len();
    if end > buf.len() {
        return Err(truncated(pos, end, buf.len()));
    }
    Ok(end)
}

/// Skips `n` consecutive values from `pos` with the skip layer's kernel (block-wise where
/// the CPU allows, as [`skip_value`]), in one run of its loop; when the kernel has a doubt,
/// value by value with [`skip_value`] for the exact error.
#[inline]
pub(super) fn skip_many(buf: &[u8], pos: usize, n: u64) -> Result<usize, Error> {
    match scan::skip_structure(buf, pos, n) {
        Ok(end) => Ok(end),
        Err(_) => skip_each(buf, pos, n),
    }
}

/// The most bytes a token sized by [`LEAF_SIZE`] or [`LEN8_HEADER`] takes, plus one.
const LEAF_MAX: usize = {
    let mut max = 0;
    let mut b = 0;
    while b < 256 {
        let size = if LEN8_HEADER[b] != 0 {
            LEN8_HEADER[b] as usize + 255
        } else {
            LEAF_SIZE[b] as usize
        };
        if size > max {
            max = size;
        }
        b += 1;
    }
    max + 1
};

/// For each lead byte of a value that two bytes size (scalars, fixstr, fixext, empty
/// containers, str 8, bin 8, ext 8): `[base, mask]`, the size being
/// `base + (mask & the byte after the lead byte)`; `[0, 0]` for every other lead byte. Read
/// off [`LEAF_SIZE`] and [`LEN8_HEADER`]. No branch on the kind of value.
static LEAF2: [[u8; 256]; 2] = {
    let mut t = [[0u8; 256]; 2];
    let mut b = 0;
    while b < 256 {
        if LEAF_SIZE[b] != 0 {
            t[0][b] = LEAF_SIZE[b];
        } else if LEN8_HEADER[b] != 0 {
            t[0][b] = LEN8_HEADER[b];
            t[1][b] = 0xff;
        }
        b += 1;
    }
    t
};

/// The size of a value from its lead byte `b` and the byte after it `n`, by [`LEAF2`]; 0 when
/// those two bytes do not size it.
#[inline(always)]
fn leaf2_size(b: u8, n: u8) -> usize {
    // Two lookups side by side: the mask applies as soon as it is loaded, and the base is
    // added to the position meanwhile.
    usize::from(LEAF2[0][usize::from(b)]) + usize::from(n & LEAF2[1][usize::from(b)])
}

/// [`value_end`], without a branch on the kind of value for those [`LEAF2`] sizes (a name is a
/// fixstr or a str 8 at random: a branch on it would be mispredicted half the time).
#[inline(always)]
fn leaf_end(buf: &[u8], pos: usize) -> Result<usize, Error> {
    if let Some(&[b, n]) = buf.get(pos..pos.wrapping_add(2)) {
        let end = pos + leaf2_size(b, n);
        if end != pos && end <= buf.len() {
            return Ok(end);
        }
    }
    value_end(buf, pos)
}

/// The lead byte of the empty fixstr; the fixstr of `k` bytes is `FIXSTR_0 + k` for every
/// `k` a fixstr can hold. Found in [`LEAD`]; the build fails unless that form holds.
const FIXSTR_0: u8 = {
    let mut b = 0;
    while !(matches!(LEAD[b].family, Family::FixStr) && LEAD[b].imm == 0) {
        b += 1;
    }
    let mut k = 0;
    while b + k < 256 && matches!(LEAD[b + k].family, Family::FixStr) {
        assert!(LEAD[b + k].imm as usize == k && HEADER_LEN[b + k] == 1);
        k += 1;
    }
    assert!(k == FIXSTR_COUNT as usize);
    b as u8
};

/// How many lengths a fixstr can have (0 to 31 bytes).
const FIXSTR_COUNT: u8 = {
    let mut n = 0;
    let mut b = 0;
    while b < 256 {
        n += matches!(LEAD[b].family, Family::FixStr) as u8;
        b += 1;
    }
    n
};

/// The most bytes a pair that [`skip_fixstr_pairs`] steps over takes, plus one.
const PAIR_MAX: usize = FIXSTR_COUNT as usize + LEAF_MAX;

/// Skips up to `left` map pairs from `p` whose key is a fixstr and whose value [`LEAF_SIZE`]
/// sizes; returns where it stopped and the pairs left, for [`skip_leaves`] to finish. The
/// caller makes sure that `left` such pairs cannot reach the end of the buffer.
///
/// A key's size comes from its lead byte by arithmetic, not from a table: of the two steps of
/// a pair, only the value's waits for a table lookup.
#[inline(always)]
fn skip_fixstr_pairs(buf: &[u8], mut p: usize, mut left: u64) -> (usize, u64) {
    while left > 0 {
        let Some(&key) = buf.get(p) else { break };
        let k = key.wrapping_sub(FIXSTR_0);
        if k >= FIXSTR_COUNT {
            break;
        }
        let v = p + 1 + usize::from(k);
        let Some(&b) = buf.get(v) else { break };
        let size = LEAF_SIZE[usize::from(b)];
        if size == 0 {
            break;
        }
        p = v + usize::from(size);
        left -= 1;
    }
    (p, left)
}

/// The size of a map pair whose key is a fixstr of one (`[0]`) or two (`[1]`) bytes and whose
/// value has lead byte `b`, key included: `[k][b]` is `2 + k + ` [`LEAF_SIZE`]`[b]`, or 0 where
/// [`LEAF_SIZE`] is 0.
static SHORT_PAIR: [[u8; 256]; 2] = {
    let mut t = [[0u8; 256]; 2];
    let mut b = 0;
    while b < 256 {
        if LEAF_SIZE[b] != 0 {
            t[0][b] = 2 + LEAF_SIZE[b];
            t[1][b] = 3 + LEAF_SIZE[b];
        }
        b += 1;
    }
    t
};

/// `a` when `k` is 0, else `b`, as one conditional move, with both `a` and `b` computed before
/// it. The compiler turns a plain select of two table lookups into a select of the address
/// and one lookup, which puts the choice in front of the lookup on the chain from one pair to
/// the next; this keeps it behind. Measured in perf-notes.md (query section).
#[inline(always)]
fn pick(k: u8, a: usize, b: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let out: usize;
        // SAFETY: a test and a conditional move between registers: no memory is read or
        // written, the stack is not touched, and only the flags are clobbered (which `asm!`
        // assumes unless told otherwise).
        unsafe {
            core::arch::asm!(
                "test {k}, {k}",
                "cmovne {a}, {b}",
                k = in(reg_byte) k,
                a = inout(reg) a => out,
                b = in(reg) b,
                options(pure, nomem, nostack),
            );
        }
        out
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        pick_twin(k, a, b)
    }
}

/// The safe twin of [`pick`], which the tests compare it against.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn pick_twin(k: u8, a: usize, b: usize) -> usize {
    if k == 0 {
        a
    } else {
        b
    }
}

/// [`skip_fixstr_pairs`] for keys of one or two bytes (what records mostly hold), with both
/// possible pairs sized at once: the value after a one-byte key starts at `p + 2`, after a
/// two-byte key at `p + 3`, and the key's length picks one of the two sizes without a branch.
/// A step then waits for one load, one table lookup and a conditional move. Same contract as
/// [`skip_fixstr_pairs`].
#[inline(always)]
fn skip_short_pairs(buf: &[u8], p: usize, left: u64) -> (usize, u64) {
    skip_short_pairs_but(buf, p, left, &[])
}

/// [`skip_short_pairs`] that also stops before a pair whose key is one of `stop` (compared as
/// in [`record_entry`], one masked eight-byte load per literal, beside the chain).
#[inline(always)]
fn skip_short_pairs_but(
    buf: &[u8],
    mut p: usize,
    mut left: u64,
    stop: &[EntryKey],
) -> (usize, u64) {
    while left > 0 {
        let Some(&[key, _, b1, b2]) = buf.get(p..p.wrapping_add(4)) else {
            break;
        };
        if !stop.is_empty() {
            let Some(w) = buf.get(p..p.wrapping_add(8)) else {
                break;
            };
            let word = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            if stop.iter().any(|k| word & k.mask == k.word) {
                break;
            }
        }
        let k = key.wrapping_sub(FIXSTR_0 + 1);
        if k > 1 {
            break;
        }
        // Both ends, then the key's length picks one, by a conditional move rather than a
        // branch (the key lengths of a record follow no pattern). The key is known long
        // before the sizes are: the move is the only step after the lookups.
        let one = p + usize::from(SHORT_PAIR[0][usize::from(b1)]);
        let two = p + usize::from(SHORT_PAIR[1][usize::from(b2)]);
        let next = pick(k, one, two);
        if next == p {
            break;
        }
        p = next;
        left -= 1;
    }
    (p, left)
}

/// Whether `left` pairs from `p`, each at most [`PAIR_MAX`] bytes, end before the end of
/// `buf`: then the pair steps need not check where each one ends.
#[inline(always)]
fn pairs_fit(buf: &[u8], p: usize, left: u64) -> bool {
    left.saturating_mul(PAIR_MAX as u64) < (buf.len() - p.min(buf.len())) as u64
}

/// Skips `left` map pairs from `p`: [`skip_leaves`] of `2 * left` values, the same result
/// and errors, with pairs of a fixstr key and a leaf value read a pair at a step where the
/// pairs cannot reach the end of the buffer.
#[inline(always)]
fn skip_pairs(buf: &[u8], mut p: usize, mut left: u64) -> Result<usize, Error> {
    if pairs_fit(buf, p, left) {
        (p, left) = skip_short_pairs(buf, p, left);
        (p, left) = skip_fixstr_pairs(buf, p, left);
    }
    if left == 0 {
        return Ok(p);
    }
    skip_leaves(buf, p, 2 * left)
}

/// Skips `n` consecutive values from `p` like [`skip_many`], reading leaves (scalars, fixstr,
/// str 8, bin 8: the rest of a flat record) with a table lookup each; at the first other value
/// (a container, a longer payload, a bad byte, the end of the buffer) the rest goes to
/// [`skip_many`] from that value on, so the result and any error are [`skip_many`]'s.
#[inline(always)]
fn skip_leaves(buf: &[u8], mut p: usize, mut n: u64) -> Result<usize, Error> {
    // A leaf takes at most `LEAF_MAX` bytes: when `n` of them cannot reach the end of the
    // buffer, no token needs its end checked.
    if n.saturating_mul(LEAF_MAX as u64) < (buf.len() - p.min(buf.len())) as u64 {
        while n > 0 {
            let Some(size) = leaf_size(buf, p) else { break };
            p += size;
            n -= 1;
        }
    }
    while n > 0 {
        let Some(size) = leaf_size(buf, p) else { break };
        if p + size > buf.len() {
            break;
        }
        p += size;
        n -= 1;
    }
    if n == 0 {
        return Ok(p);
    }
    skip_many(buf, p, n)
}

#[cold]
#[inline(never)]
fn skip_each(buf: &[u8], mut pos: usize, n: u64) -> Result<usize, Error> {
    for _ in 0..n {
        pos = skip_value(buf, pos)?;
    }
    Ok(pos)
}

/// A key literal of `st` was seen twice in one map: the second entry only gets the wildcard
/// state. Returns the state of the value.
#[inline(always)]
pub(super) fn first_only(st: &State, seen: &mut u64, t: u32, bit: u64) -> u32 {
    if *seen & bit != 0 {
        st.other_key
    } else {
        *seen |= bit;
        t
    }
}

/// True when nothing more in the map can match: every key literal was seen and there is no
/// wildcard.
#[inline(always)]
pub(super) fn map_done(st: &State, seen: u64) -> bool {
    seen == st.all_keys && st.other_key == DEAD
}

/// True when no element from `i` on can match (only front indexes, all passed).
#[inline(always)]
pub(super) fn array_done(st: &State, i: u32) -> bool {
    u64::from(i) >= st.dead_from
}

/// Evaluates every top-level value of `buf`, calling `f` with each event: the recursive
/// twin of [`Machine`] (the recursion is at most [`MAX_PATH_STEPS`] deep: it follows the
/// automaton, not the document).
pub(crate) fn walk<F: Sink>(dfa: &Dfa, buf: &[u8], f: &mut F) -> Result<(), Error> {
    let mut pos = 0;
    while pos < buf.len() {
        pos = walk_value(dfa, buf, ROOT, pos, f)?;
    }
    Ok(())
}

/// A child value under state `t`: values that are matched whole or skipped (the common case)
/// are handled here without a recursive call.
#[inline(always)]
fn walk_child<F: Sink>(
    dfa: &Dfa,
    buf: &[u8],
    t: u32,
    pos: usize,
    f: &mut F,
) -> Result<usize, Error> {
    let ts = &dfa.states[t as usize];
    if ts.is_leaf() {
        let end = value_end(buf, pos)?;
        for &path in ts.terminals.iter() {
            f.event(Event::Match {
                path,
                start: pos,
                end,
            });
        }
        Ok(end)
    } else {
        walk_value(dfa, buf, t, pos, f)
    }
}

pub(super) fn walk_value<F: Sink>(
    dfa: &Dfa,
    buf: &[u8],
    state: u32,
    pos: usize,
    f: &mut F,
) -> Result<usize, Error> {
    let st = &dfa.states[state as usize];
    if st.row {
        f.event(Event::RowStart(pos));
    }
    if !st.terminals.is_empty() {
        let end = skip_value(buf, pos)?;
        for &path in st.terminals.iter() {
            f.event(Event::Match {
                path,
                start: pos,
                end,
            });
        }
        if st.is_leaf() {
            return Ok(end);
        }
    }
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    let mut p = pos + h.len;
    match h.family() {
        Family::FixMap | Family::Map if st.wants_map => {
            let mut left = h.value();
            let mut seen = 0u64;
            while left > 0 {
                if map_done(st, seen) {
                    p = skip_many(buf, p, 2 * left)?;
                    break;
                }
                left -= 1;
                let (t, bit, next) = read_key(st, buf, p)?;
                let t = first_only(st, &mut seen, t, bit);
                p = walk_child(dfa, buf, t, next, f)?;
            }
        }
        Family::FixArray | Family::Array if st.wants_array => {
            let len = h.value() as u32;
            let each = st.elem[0];
            if st.front.is_empty() && st.back.is_empty() {
                if let Some(ek) = &dfa.states[each as usize].entry_keys {
                    p = walk_records(dfa, buf, each, ek, p, len, f)?;
                    if st.row {
                        f.event(Event::RowEnd);
                    }
                    return Ok(p);
                }
            }
            for i in 0..len {
                if array_done(st, i) {
                    p = skip_many(buf, p, u64::from(len - i))?;
                    break;
                }
                let t = st.elem_target(i, len);
                p = walk_child(dfa, buf, t, p, f)?;
            }
        }
        _ => p = skip_value(buf, pos)?,
    }
    if st.row {
        f.event(Event::RowEnd);
    }
    Ok(p)
}

/// `[*]` over an array of `len` elements from `p`, whose elements are under state `each`,
/// which has the [`EntryKeys`] shape: the specialised loop. A fixmap element is read here,
/// pair by pair, with the key compared as one masked load; anything else (a bigger map, a
/// non-map, a key that is not a fixstr, the last bytes of the buffer) goes through the
/// generic steps, so the events and errors are exactly those of the generic walk.
///
/// Kept out of line: inside the (large, recursive) generic walk the compiler does not inline
/// the user's callback into this loop; on its own it does, and name extraction takes about a
/// sixth less time.
#[inline(never)]
pub(super) fn walk_records<F: Sink>(
    dfa: &Dfa,
    buf: &[u8],
    each: u32,
    ek: &EntryKeys,
    mut p: usize,
    len: u32,
    f: &mut F,
) -> Result<usize, Error> {
    let st = &dfa.states[each as usize];
    for _ in 0..len {
        p = match fixmap_pairs(buf, p) {
            Some(pairs) => record(dfa, st, ek, buf, p, pairs, f)?,
            None => walk_value(dfa, buf, each, p, f)?,
        };
    }
    Ok(p)
}

/// The pair count of the fixmap at `p`, if a fixmap starts there.
#[inline(always)]
fn fixmap_pairs(buf: &[u8], p: usize) -> Option<u8> {
    match buf.get(p) {
        Some(&b) if LEAD[b as usize].family == Family::FixMap => Some(LEAD[b as usize].imm),
        _ => None,
    }
}

/// One element of a `[*]` under an [`EntryKeys`] state `st`: the fixmap of `pairs` pairs at
/// `p`, read pair by pair with the key compared as one masked load; returns the offset past
/// it. The events and errors are those of the generic walk of that element.
#[inline(always)]
fn record<F: Sink>(
    dfa: &Dfa,
    st: &State,
    ek: &EntryKeys,
    buf: &[u8],
    mut p: usize,
    pairs: u8,
    f: &mut F,
) -> Result<usize, Error> {
    let all = (1u64 << ek.count) - 1;
    if st.row {
        f.event(Event::RowStart(p));
    }
    p += 1;
    let mut left = u64::from(pairs);
    let mut seen = 0u64;
    while left > 0 {
        if seen == all {
            p = skip_pairs(buf, p, left)?;
            break;
        }
        left -= 1;
        p = record_entry(dfa, st, ek, buf, p, &mut seen, f)?;
        // Pairs that are none of the literals (the record's other fields, before the next
        // wanted one) a pair at a step.
        if seen != all && left > 0 && pairs_fit(buf, p, left) {
            (p, left) = skip_short_pairs_but(buf, p, left, ek.keys());
        }
    }
    if st.row {
        f.event(Event::RowEnd);
    }
    Ok(p)
}

/// One key and value of a map under an [`EntryKeys`] state; returns the offset past the
/// value.
#[inline(always)]
fn record_entry<F: Sink>(
    dfa: &Dfa,
    st: &State,
    ek: &EntryKeys,
    buf: &[u8],
    p: usize,
    seen: &mut u64,
    f: &mut F,
) -> Result<usize, Error> {
    if let Some(word) = buf.get(p..p + 8) {
        let word = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let lead = &LEAD[(word & 0xff) as usize];
        if lead.family == Family::FixStr {
            for (i, k) in ek.keys().iter().enumerate() {
                if word & k.mask == k.word {
                    let v = p + k.len as usize;
                    let bit = 1u64 << i;
                    if *seen & bit != 0 {
                        // A key step takes the first entry of its key.
                        return leaf_end(buf, v);
                    }
                    *seen |= bit;
                    let end = leaf_end(buf, v)?;
                    if k.path != EntryKey::PATHS {
                        f.event(Event::Match {
                            path: k.path,
                            start: v,
                            end,
                        });
                        return Ok(end);
                    }
                    for &path in dfa.states[k.target as usize].terminals.iter() {
                        f.event(Event::Match {
                            path,
                            start: v,
                            end,
                        });
                    }
                    return Ok(end);
                }
            }
            // A fixstr key that is none of the literals.
            let v = p + HEADER_LEN[(word & 0xff) as usize] as usize + lead.imm as usize;
            if v > buf.len() {
                return Err(truncated(p, v, buf.len()));
            }
            return leaf_end(buf, v);
        }
    }
    let (t, bit, next) = read_key(st, buf, p)?;
    let t = first_only(st, seen, t, bit);
    walk_child(dfa, buf, t, next, f)
}

/// The evaluation state: plain data, no allocation (the stack is bounded by the longest path).
#[derive(Clone, Debug)]
pub(crate) struct Machine {
    pos: usize,
    stack: ArrayVec<Frame, MAX_PATH_STEPS>,
    phase: Phase,
    /// The events of the last record read whole by [`record`], from `queue[head]` on not
    /// handed out yet.
    queue: ArrayVec<Event, QUEUE>,
    head: usize,
    /// The error that ended that record, handed out after its events.
    queued_error: Option<Error>,
}

/// The most events one record can give: its row's start and end, and the terminals of its
/// key literals. Arrays of records whose state could give more take the generic steps.
const QUEUE: usize = 16;

/// An event sink that queues the events of one record.
struct Queue<'m>(&'m mut ArrayVec<Event, QUEUE>);

impl Sink for Queue<'_> {
    #[inline(always)]
    fn event(&mut self, e: Event) {
        // `records_fit` made room for every event a record can give.
        let _ = self.0.try_push(e);
    }
}

/// Whether the elements under state `each` are records that [`record`] can read inside the
/// [`Machine`]: the [`EntryKeys`] shape, and no more events per record than [`QUEUE`].
fn records_fit(dfa: &Dfa, each: u32) -> bool {
    let st = &dfa.states[each as usize];
    st.entry_keys.as_ref().is_some_and(|ek| {
        let terminals: usize = ek
            .keys()
            .iter()
            .map(|k| dfa.states[k.target as usize].terminals.len())
            .sum();
        terminals + 2 <= QUEUE
    })
}

impl Machine {
    pub(crate) fn new() -> Self {
        Machine {
            pos: 0,
            stack: ArrayVec::new(),
            phase: Phase::Between,
            queue: ArrayVec::new(),
            head: 0,
            queued_error: None,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next event, or `None` at the end of `buf`.
    #[inline]
    pub(crate) fn next_event(&mut self, dfa: &Dfa, buf: &[u8]) -> Result<Option<Event>, Error> {
        match self.run(dfa, buf) {
            Ok(e) => Ok(e),
            Err(e) => {
                self.phase = Phase::Done;
                Err(e)
            }
        }
    }

    fn run(&mut self, dfa: &Dfa, buf: &[u8]) -> Result<Option<Event>, Error> {
        if let Some(&e) = self.queue.get(self.head) {
            self.head += 1;
            return Ok(Some(e));
        }
        if let Some(e) = self.queued_error.take() {
            return Err(e);
        }
        loop {
            match self.phase {
                Phase::Between => {
                    let Some(top) = self.stack.last_mut() else {
                        if self.pos >= buf.len() {
                            return Ok(None);
                        }
                        self.phase = Phase::Value {
                            state: ROOT,
                            row_started: false,
                        };
                        continue;
                    };
                    let st = &dfa.states[top.state as usize];
                    let mut target = DEAD;
                    if top.is_map {
                        while top.left > 0 {
                            if map_done(st, top.seen) {
                                self.pos = skip_many(buf, self.pos, 2 * u64::from(top.left))?;
                                top.left = 0;
                                break;
                            }
                            top.left -= 1;
                            let (t, bit, next) = read_key(st, buf, self.pos)?;
                            self.pos = next;
                            let t = first_only(st, &mut top.seen, t, bit);
                            if t != DEAD {
                                target = t;
                                break;
                            }
                            self.pos = skip_value(buf, self.pos)?;
                        }
                    } else {
                        while top.left > 0 {
                            let i = top.len - top.left;
                            if array_done(st, i) {
                                self.pos = skip_many(buf, self.pos, u64::from(top.left))?;
                                top.left = 0;
                                break;
                            }
                            if top.records {
                                let est = &dfa.states[st.elem[0] as usize];
                                if let (Some(ek), Some(pairs)) =
                                    (&est.entry_keys, fixmap_pairs(buf, self.pos))
                                {
                                    // A whole record, its events queued.
                                    top.left -= 1;
                                    self.queue.clear();
                                    self.head = 0;
                                    let mut q = Queue(&mut self.queue);
                                    match record(dfa, est, ek, buf, self.pos, pairs, &mut q) {
                                        Ok(end) => self.pos = end,
                                        Err(e) => self.queued_error = Some(e),
                                    }
                                    if !self.queue.is_empty() {
                                        self.head = 1;
                                        return Ok(Some(self.queue[0]));
                                    }
                                    if let Some(e) = self.queued_error.take() {
                                        return Err(e);
                                    }
                                    continue;
                                }
                            }
                            top.left -= 1;
                            let t = st.elem_target(i, top.len);
                            if t != DEAD {
                                target = t;
                                break;
                            }
                            self.pos = skip_value(buf, self.pos)?;
                        }
                    }
                    if target != DEAD {
                        self.phase = Phase::Value {
                            state: target,
                            row_started: false,
                        };
                    } else {
                        // All children read: close the container.
                        let done = self.stack.pop();
                        if done.is_some_and(|f| dfa.states[f.state as usize].row) {
                            return Ok(Some(Event::RowEnd));
                        }
                    }
                }
                Phase::Value { state, row_started } => {
                    let st = &dfa.states[state as usize];
                    if st.row && !row_started {
                        self.phase = Phase::Value {
                            state,
                            row_started: true,
                        };
                        return Ok(Some(Event::RowStart(self.pos)));
                    }
                    if st.terminals.is_empty() {
                        self.phase = Phase::Enter { state };
                        continue;
                    }
                    let start = self.pos;
                    let end = skip_value(buf, start)?;
                    if st.is_leaf() {
                        self.pos = end;
                    }
                    self.phase = Phase::Terminals {
                        state,
                        start,
                        end,
                        next: 0,
                    };
                }
                Phase::Terminals {
                    state,
                    start,
                    end,
                    next,
                } => {
                    let st = &dfa.states[state as usize];
                    if let Some(&path) = st.terminals.get(next as usize) {
                        self.phase = Phase::Terminals {
                            state,
                            start,
                            end,
                            next: next + 1,
                        };
                        return Ok(Some(Event::Match { path, start, end }));
                    }
                    self.phase = if st.is_leaf() {
                        Phase::Between
                    } else {
                        Phase::Enter { state }
                    };
                }
                Phase::Enter { state } => {
                    let st = &dfa.states[state as usize];
                    let pos = self.pos;
                    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
                    let (count, is_map) = match h.family() {
                        Family::FixMap | Family::Map if st.wants_map => (h.value() as u32, true),
                        Family::FixArray | Family::Array if st.wants_array => {
                            (h.value() as u32, false)
                        }
                        _ => {
                            // Nothing inside is needed (or the type does not fit any step).
                            self.pos = skip_value(buf, pos)?;
                            self.phase = Phase::Between;
                            if st.row {
                                return Ok(Some(Event::RowEnd));
                            }
                            continue;
                        }
                    };
                    self.pos = pos + h.len;
                    // The automaton is at most MAX_PATH_STEPS deep, so this cannot fail;
                    // stay total anyway.
                    if self
                        .stack
                        .try_push(Frame {
                            state,
                            left: count,
                            len: count,
                            is_map,
                            records: !is_map
                                && st.front.is_empty()
                                && st.back.is_empty()
                                && records_fit(dfa, st.elem[0]),
                            seen: 0,
                        })
                        .is_err()
                    {
                        return Err(Error::new(
                            pos as u64,
                            ErrorKind::DepthLimit {
                                limit: MAX_PATH_STEPS,
                            },
                        ));
                    }
                    self.phase = Phase::Between;
                }
                Phase::Done => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse::Path;
    use crate::query::trie::compile;
    use alloc::vec::Vec;

    #[test]
    fn leaf_sizes_agree_with_the_head_decoder() {
        // Nine bytes after the lead byte, all 0x00: a length field read from them is 0, so a
        // lead byte that needs one is told apart from one that sizes its token alone by
        // trying again with 0x01 there.
        for b in 0..=255u8 {
            let zeros = [b, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let ones = [b, 1, 1, 1, 1, 1, 1, 1, 1, 1];
            let want = match (decode_head(&zeros, 0), decode_head(&ones, 0)) {
                (Ok(h0), Ok(h1))
                    if h0.children() == 0
                        && h1.children() == 0
                        && h0.payload_len() == h1.payload_len() =>
                {
                    h0.len + h0.payload_len()
                }
                _ => 0,
            };
            assert_eq!(LEAF_SIZE[b as usize] as usize, want, "lead byte {b:#04x}");
        }
    }

    /// The branch-free end of a value is [`value_end`]'s, result and error, for every lead
    /// byte, a range of bytes after it, and every length of buffer that cuts it.
    #[test]
    fn leaf_end_is_value_end() {
        let mut sized = 0;
        for b in 0..=255u8 {
            for n in [0u8, 1, 2, 7, 31, 100, 200, 254, 255] {
                let mut buf = alloc::vec![0x11u8; 300];
                buf[0] = b;
                buf[1] = n;
                for len in 0..buf.len() {
                    let cut = &buf[..len];
                    let want = value_end(cut, 0);
                    assert_eq!(leaf_end(cut, 0), want, "{b:#04x} {n} cut at {len}");
                    if len >= 2 && leaf2_size(b, n) != 0 {
                        sized += 1;
                    }
                }
            }
        }
        assert!(sized > 100_000, "{sized}");
    }

    /// Skipping pairs a pair at a step ends where skipping their values one by one does, or
    /// fails where it does, from every position of a listing, intact and damaged, and of
    /// random bytes laced with short keys.
    #[test]
    fn pick_agrees_with_its_twin() {
        for k in 0..=255u8 {
            for (a, b) in [(0, 1), (7, 7), (usize::MAX, 3), (12_345, usize::MAX / 3)] {
                assert_eq!(pick(k, a, b), pick_twin(k, a, b), "{k} {a} {b}");
            }
        }
    }

    #[test]
    fn pair_steps_are_value_steps() {
        let dump = crate::gen::listing(crate::gen::ListingConfig {
            seed: 8,
            entries: 40,
            page_size: 40,
        });
        let mut bufs = alloc::vec![dump.clone()];
        let mut rng = crate::gen::Rng::new(5);
        for _ in 0..8 {
            let mut d = dump.clone();
            for _ in 0..30 {
                let i = rng.below(d.len() as u64) as usize;
                d[i] = rng.next_u64() as u8;
            }
            bufs.push(d);
        }
        let mut noise = alloc::vec![0u8; 4000];
        rng.fill(&mut noise);
        for _ in 0..1500 {
            let i = rng.below(noise.len() as u64) as usize;
            noise[i] = FIXSTR_0 + rng.below(4) as u8;
        }
        bufs.push(noise);
        let mut paired = 0;
        for buf in &bufs {
            for p in 0..buf.len() {
                for left in [1, 2, 3, 5, 9] {
                    let want = skip_leaves(buf, p, 2 * left);
                    assert_eq!(skip_pairs(buf, p, left), want, "at {p}, {left} pairs");
                    paired += usize::from(skip_short_pairs(buf, p, left).1 < left);
                }
            }
        }
        assert!(paired > 5_000, "{paired}");
    }

    fn events(paths: &[&str], buf: &[u8]) -> Vec<Event> {
        let ps: Vec<Path> = paths.iter().map(|p| Path::parse(p).unwrap()).collect();
        let dfa = compile(&ps, None).unwrap();
        let mut m = Machine::new();
        let mut out = Vec::new();
        while let Some(e) = m.next_event(&dfa, buf).unwrap() {
            out.push(e);
        }
        out
    }

    struct Collect(Vec<Event>);

    impl Sink for Collect {
        fn event(&mut self, e: Event) {
            self.0.push(e);
        }
    }

    type Run = (Vec<Event>, Option<Error>);

    /// The callback walk with the specialised loop, and without it (every state's
    /// `entry_keys` cleared); the machine with the specialised loop must agree with the
    /// latter.
    fn walk_both(dfa: &Dfa, buf: &[u8]) -> (Run, Run) {
        let mut fast = Collect(Vec::new());
        let fast_err = walk(dfa, buf, &mut fast).err();
        let mut generic = dfa.clone();
        let mut states = generic.states.to_vec();
        for st in &mut states {
            st.entry_keys = None;
        }
        generic.states = states.into();
        let mut slow = Collect(Vec::new());
        let slow_err = walk(&generic, buf, &mut slow).err();
        // The machine (the iterators) reads records a whole one at a time too.
        let mut m = Machine::new();
        let mut events = Vec::new();
        let err = loop {
            match m.next_event(dfa, buf) {
                Ok(Some(e)) => events.push(e),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        assert_eq!((&events, &err), (&slow.0, &slow_err), "the machine");
        ((fast.0, fast_err), (slow.0, slow_err))
    }

    fn compiled(paths: &[&str], row_len: Option<usize>) -> Dfa {
        let ps: Vec<Path> = paths.iter().map(|p| Path::parse(p).unwrap()).collect();
        compile(&ps, row_len).unwrap()
    }

    #[test]
    fn record_shape_is_recognised_only_where_it_applies() {
        let has = |paths: &[&str], row: Option<usize>| {
            compiled(paths, row)
                .states
                .iter()
                .any(|s| s.entry_keys.is_some())
        };
        assert!(has(&[".Entries[*].n"], None));
        assert!(has(&[".Entries[*].n", ".Entries[*].s", ".Flags"], None));
        assert!(has(&[".Entries[*].n", ".Entries[*].s"], Some(2)));
        assert!(has(&["[*].abcdefg"], None));
        // A key of 8 bytes does not fit the one-word compare.
        assert!(!has(&["[*].abcdefgh"], None));
        // A wildcard key, an integer key, a nested step or five keys: the generic walk.
        assert!(!has(&["[*].n", "[*].*"], None));
        assert!(!has(&["[*].n", "[*]{1}"], None));
        assert!(!has(&["[*].n[0]"], None));
        assert!(!has(&["[*].a", "[*].b", "[*].c", "[*].d", "[*].e"], None));
        assert!(!has(&["[*].n", "[*]"], None));
    }

    #[test]
    fn record_loop_gives_the_generic_events_and_errors() {
        let dump = crate::gen::listing(crate::gen::ListingConfig {
            seed: 4,
            entries: 12,
            page_size: 5,
        });
        let cases = [
            (compiled(&[".Entries[*].n"], None), "names"),
            (
                compiled(&[".Entries[*].s", ".Entries[*].n", ".Flags"], None),
                "two keys",
            ),
            (
                compiled(&[".Entries[*].n", ".Entries[*].s"], Some(2)),
                "rows",
            ),
        ];
        // {"Entries": [{"a long key": 1, "n": "x", "s": 2, "n": 3}, {"cs": [1]}]}, to put
        // keys that are not literals and duplicates at every distance from the end.
        let mut records = alloc::vec![0x81, 0xa7];
        records.extend_from_slice(b"Entries");
        records.extend_from_slice(b"\x92\x84\xaaa long key\x01\xa1n\xa1x\xa1s\x02\xa1n\x03");
        records.extend_from_slice(b"\x81\xa2cs\x91\x01");
        let mut rng = crate::gen::Rng::new(12);
        let mut errors = 0;
        for (dfa, what) in &cases {
            let (fast, slow) = walk_both(dfa, &records);
            assert!(fast.1.is_none() && !fast.0.is_empty(), "{what}");
            assert_eq!(fast, slow, "{what}");
            for cut in 0..records.len() {
                let (fast, slow) = walk_both(dfa, &records[..cut]);
                assert_eq!(fast, slow, "{what}, records cut at {cut}");
                errors += usize::from(fast.1.is_some());
            }
            let (fast, slow) = walk_both(dfa, &dump);
            assert!(fast.1.is_none() && fast.0.len() >= 12, "{what}");
            assert_eq!(fast, slow, "{what}");
            for cut in 0..dump.len() {
                let (fast, slow) = walk_both(dfa, &dump[..cut]);
                assert_eq!(fast, slow, "{what}, cut at {cut}");
                errors += usize::from(fast.1.is_some());
            }
            for _ in 0..300 {
                let mut d = dump.clone();
                let i = rng.below(d.len() as u64) as usize;
                d[i] = rng.next_u64() as u8;
                let (fast, slow) = walk_both(dfa, &d);
                assert_eq!(fast, slow, "{what}, byte {i} set to {:#04x}", d[i]);
            }
        }
        assert!(errors > dump.len(), "{errors}");
    }

    /// Long record arrays, where the pair steps run (they need the pairs left to be unable to
    /// reach the end of the buffer): the specialised loop still gives the generic walk's
    /// events and errors, intact, cut and damaged.
    #[test]
    fn record_loop_with_pair_steps_gives_the_generic_events_and_errors() {
        let dump = crate::gen::listing(crate::gen::ListingConfig {
            seed: 6,
            entries: 120,
            page_size: 60,
        });
        let cases = [
            compiled(&[".Entries[*].n"], None),
            compiled(&[".Entries[*].n", ".Entries[*].s"], Some(2)),
            compiled(&[".Entries[*].s", ".Entries[*].cs"], None),
        ];
        // {"Entries": [...]} of 200 records whose literals come after other keys, more than
        // once, and after values the pair steps do not size:
        // {"cs": "x", "a": 1, "s": 2, "v": "yz", "n": "x", "s": 3, "t": "<40 bytes>", "n": 4}
        let mut records = alloc::vec![0x81, 0xa7];
        records.extend_from_slice(b"Entries");
        records.extend_from_slice(&[0xdc, 0, 200]);
        for _ in 0..200 {
            records.extend_from_slice(b"\x88\xa2cs\xa1x\xa1a\x01\xa1s\x02\xa1v\xa2yz");
            records.extend_from_slice(b"\xa1n\xa1x\xa1s\x03\xa1t\xd9\x28");
            records.extend_from_slice(&[b'-'; 40]);
            records.extend_from_slice(b"\xa1n\x04");
        }
        let mut rng = crate::gen::Rng::new(13);
        let mut errors = 0;
        for dfa in &cases {
            let (fast, slow) = walk_both(dfa, &records);
            assert!(fast.1.is_none() && fast.0.len() >= 200);
            assert_eq!(fast, slow);
            for cut in (0..records.len()).step_by(5) {
                let (fast, slow) = walk_both(dfa, &records[..cut]);
                assert_eq!(fast, slow, "records cut at {cut}");
            }
            for _ in 0..200 {
                let mut d = records.clone();
                let i = rng.below(d.len() as u64) as usize;
                d[i] = rng.next_u64() as u8;
                let (fast, slow) = walk_both(dfa, &d);
                assert_eq!(fast, slow, "records, byte {i} set to {:#04x}", d[i]);
            }
            let (fast, slow) = walk_both(dfa, &dump);
            assert!(fast.1.is_none() && fast.0.len() >= 120);
            assert_eq!(fast, slow);
            for cut in (0..dump.len()).step_by(7) {
                let (fast, slow) = walk_both(dfa, &dump[..cut]);
                assert_eq!(fast, slow, "cut at {cut}");
                errors += usize::from(fast.1.is_some());
            }
            for _ in 0..400 {
                let mut d = dump.clone();
                for _ in 0..3 {
                    let i = rng.below(d.len() as u64) as usize;
                    d[i] = rng.next_u64() as u8;
                }
                let (fast, slow) = walk_both(dfa, &d);
                assert_eq!(fast, slow);
                errors += usize::from(fast.1.is_some());
            }
        }
        assert!(errors > 1000, "{errors}");
    }

    #[test]
    fn nested_and_outer_matches_in_document_order() {
        // {"a": {"b": 1}, "c": [2, 3]}
        let buf = [
            0x82, 0xa1, b'a', 0x81, 0xa1, b'b', 0x01, 0xa1, b'c', 0x92, 0x02, 0x03,
        ];
        let ev = events(&[".a.b", ".a", ".c[-1]", "."], &buf);
        assert_eq!(
            ev,
            [
                Event::Match {
                    path: 3,
                    start: 0,
                    end: 12
                },
                Event::Match {
                    path: 1,
                    start: 3,
                    end: 7
                },
                Event::Match {
                    path: 0,
                    start: 6,
                    end: 7
                },
                Event::Match {
                    path: 2,
                    start: 11,
                    end: 12
                },
            ]
        );
    }
}
