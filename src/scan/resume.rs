//! A resumable variant of the skip kernel: finds where a top-level value ends in bytes that
//! arrive in pieces, and keeps what it needs to go on exactly where the bytes ran out.
//!
//! The stream decoder's frames run it. Its state is the position of the next token, the
//! number of values still to come in the innermost open container, and that number for each
//! enclosing container (their count is the depth, checked against the depth limit). It steps
//! with a table derived from the kernel's [`STEP`]
//! table and enforces the same limits as the tokenizer, with the same errors at the same
//! offsets: depth, container length, payload length, the reserved byte and (when asked)
//! timestamps. It reads each header once when the bytes are there, and a token cut short is
//! read again only when its caller has waited for the bytes it lacked, so the total work
//! over any chunking is linear in the input.

use arrayvec::ArrayVec;

#[cfg(all(feature = "std", target_arch = "x86_64"))]
use super::block::{sentinel, Block, BLOCK};
use super::{Step, ARRAY, EXT, FIXED, MAP, PAYLOAD, STEP};
use crate::error::{Error, ErrorKind};
use crate::head::decode_head;
use crate::marker::{Family, LEAD};
use crate::token::Timestamp;
use crate::tokenizer::{Limits, MAX_DEPTH};

/// A token sized by its lead byte and nothing to check: scalars, fixstr.
const SCALAR: u8 = 0;
/// fixarray / fixmap (even empty ones count against the depth limit).
const FIXCONT: u8 = 1;
/// fixext: checked when it is a timestamp.
const FIXEXT: u8 = 2;
/// str / bin with a length field.
const STRBIN: u8 = 3;
/// ext with a length field.
const EXTLEN: u8 = 4;
/// array / map with a count field.
const COUNTED: u8 = 5;
/// 0xc1.
const RESERVED: u8 = 6;

/// How the resumable scan steps over a token, by lead byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
struct Move {
    /// As [`Step::adv`].
    adv: u8,
    /// As [`Step::kids`].
    kids: u8,
    /// One of the kinds above.
    kind: u8,
    /// As [`Step::shift`].
    shift: u8,
    /// As [`Step::hdr`].
    hdr: u8,
    /// For a container: 1 when it is a map (children are twice its count).
    map: u8,
}

const fn refine(b: usize, s: Step) -> Move {
    let family = LEAD[b].family;
    let kind = match s.kind {
        FIXED if matches!(family, Family::FixArray | Family::FixMap) => FIXCONT,
        FIXED if s.check == EXT => FIXEXT,
        FIXED => SCALAR,
        PAYLOAD if s.check == EXT => EXTLEN,
        PAYLOAD => STRBIN,
        ARRAY | MAP => COUNTED,
        _ => RESERVED,
    };
    Move {
        adv: s.adv,
        kids: s.kids,
        kind,
        shift: s.shift,
        hdr: s.hdr,
        map: (s.kind == MAP || matches!(family, Family::FixMap)) as u8,
    }
}

/// The step table with the kinds this scan tells apart.
static MOVE: [Move; 256] = {
    let mut t = [refine(0, STEP[0]); 256];
    let mut i = 0;
    while i < 256 {
        t[i] = refine(i, STEP[i]);
        i += 1;
    }
    t
};

/// Bytes that must follow a token's position for the scan to take it without bounds checks:
/// the longest self-sized token (a fixstr of 31 bytes and its lead byte) and the longest
/// header both fit.
const SLACK: usize = 32;

/// Where a scan stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// The value is complete; it ends just before this index.
    End(usize),
    /// The token at the scan position is cut short: nothing can be done before the buffer
    /// holds `until` bytes.
    Wait {
        /// The smallest buffer length at which the next call can make progress.
        until: usize,
    },
}

/// The state of a resumable scan over one top-level value that starts at `buf[0]`.
#[derive(Clone, Debug)]
pub(crate) struct Resume {
    /// Index of the next token to read.
    pos: usize,
    /// Values still to come in the innermost open container (with none open: 1 for the
    /// top-level value itself); 0 before the value starts.
    left: u64,
    /// `left` of each enclosing container, innermost last: its length is the depth.
    outer: ArrayVec<u64, MAX_DEPTH>,
    max_depth: usize,
    max_payload_len: u64,
    max_container_len: u64,
    timestamps: bool,
    /// Long runs of bytes are walked block-wise ([`Resume::walk`]): AVX2 is there and the
    /// limits cannot be met by a token the blocks size.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    blocks: bool,
    /// Test builds: walk blocks filled by the scalar twin of the vector fill.
    #[cfg(all(test, feature = "std", target_arch = "x86_64"))]
    pub(crate) scalar_fill: bool,
    /// Header bytes read so far (test builds only), for the linearity tests.
    #[cfg(test)]
    pub(crate) examined: u64,
    /// Tokens taken by the block walk (test builds only).
    #[cfg(test)]
    pub(crate) walked: u64,
}

/// Where a block walk stopped.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
enum Walked {
    /// The top-level value ends just before this index (the state is reset).
    End(usize),
    /// The token at `pos` is one the blocks do not take (or the blocks ran out): the plain
    /// loop goes on from there.
    At { pos: usize, left: u64 },
}

/// Bytes a block walk needs from a token's position: the block it is in and the next one,
/// and the byte after that.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
const WALK_MIN: usize = 2 * BLOCK + 1;

/// Lead bytes of exts the blocks size (fixext, ext 8): with timestamps on, the plain loop
/// takes them, to check a type -1 one.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
static EXT_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = MOVE[i].kind == FIXEXT || MOVE[i].kind == EXTLEN;
        i += 1;
    }
    t
};

impl Resume {
    /// Whether this scan can enforce `limits` exactly as the tokenizer does. It does not
    /// check UTF-8, and it takes fixstr, fixext, fixarray and fixmap without looking at
    /// their lengths, so limits below those are left to the tokenizer.
    pub(crate) fn fits(limits: &Limits) -> bool {
        !limits.check_utf8 && limits.max_payload_len >= 31 && limits.max_container_len >= 15
    }

    pub(crate) fn new(limits: &Limits) -> Self {
        Resume {
            pos: 0,
            left: 0,
            outer: ArrayVec::new(),
            max_depth: limits.max_depth.min(MAX_DEPTH),
            max_payload_len: limits.max_payload_len,
            max_container_len: limits.max_container_len,
            timestamps: limits.decode_timestamps,
            // A str 8, bin 8 or ext 8 the blocks step over can hold 255 bytes.
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            blocks: limits.max_payload_len >= 255 && std::is_x86_feature_detected!("avx2"),
            #[cfg(all(test, feature = "std", target_arch = "x86_64"))]
            scalar_fill: false,
            #[cfg(test)]
            examined: 0,
            #[cfg(test)]
            walked: 0,
        }
    }

    /// Forgets the value under way: the next scan starts a new one at `buf[0]`.
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.left = 0;
        self.outer.clear();
    }

    /// Index of the next token to read (0 before the value starts).
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Containers open in the value under way.
    #[inline]
    pub(crate) fn depth(&self) -> usize {
        self.outer.len()
    }

    /// Scans on from where the last call stopped, over `buf`, whose first byte is the start
    /// of the value (and which holds at least the bytes the last call saw). After
    /// [`Scanned::End`] call [`reset`](Self::reset) before the next value.
    ///
    /// # Errors
    ///
    /// The tokenizer's errors other than truncation, at offsets relative to `buf[0]`:
    /// [`ErrorKind::ReservedByte`], [`ErrorKind::DepthLimit`], [`ErrorKind::ContainerLimit`],
    /// [`ErrorKind::LengthLimit`], [`ErrorKind::InvalidTimestamp`]. The state is not
    /// meaningful after an error.
    #[inline]
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<Scanned, Error> {
        let mut pos = self.pos;
        let mut left = self.left.max(1);
        loop {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            // At the depth limit even an empty container is an error: the plain loop reads
            // everything there.
            if self.blocks
                && buf.len() >= WALK_MIN
                && pos <= buf.len() - WALK_MIN
                && self.outer.len() < self.max_depth
            {
                (pos, left) = match self.walk_blocks(buf, pos, left) {
                    Walked::End(end) => return Ok(Scanned::End(end)),
                    Walked::At { pos, left } => (pos, left),
                };
                // One token the blocks do not take, then blocks again.
                match self.plain::<true>(buf, pos, left)? {
                    Ok(s) => return Ok(s),
                    Err(at) => (pos, left) = at,
                }
                continue;
            }
            match self.plain::<false>(buf, pos, left)? {
                Ok(s) => return Ok(s),
                // Only after one token when asked for (`ONE`).
                Err(at) => (pos, left) = at,
            }
        }
    }

    /// The token-by-token loop of [`scan`](Self::scan), from `pos` with `left` values to go
    /// in the innermost container: `Ok(Ok(_))` where the scan ends or waits; with `ONE`,
    /// `Ok(Err((pos, left)))` after one token.
    #[inline(always)]
    fn plain<const ONE: bool>(
        &mut self,
        buf: &[u8],
        mut pos: usize,
        mut left: u64,
    ) -> Result<Result<Scanned, (usize, u64)>, Error> {
        let len = buf.len();
        let fast_end = len.saturating_sub(SLACK);
        let first = pos;
        loop {
            if ONE && pos != first {
                return Ok(Err((pos, left)));
            }
            let m;
            let field: u64;
            if pos < fast_end {
                m = MOVE[buf[pos] as usize];
                #[cfg(test)]
                {
                    self.examined += m.hdr as u64;
                }
                if m.kind == SCALAR {
                    pos += m.adv as usize;
                    left -= 1;
                    if left == 0 && self.settle(&mut left) {
                        return Ok(Ok(Scanned::End(pos)));
                    }
                    continue;
                }
                let h = &buf[pos + 1..pos + 5];
                field = (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) >> m.shift) as u64;
            } else {
                let Some(&b) = buf.get(pos) else {
                    return Ok(Ok(self.wait(pos, left, pos + 1)));
                };
                m = MOVE[b as usize];
                #[cfg(test)]
                {
                    self.examined += (len - pos).min(m.hdr as usize) as u64;
                }
                if m.kind != RESERVED && len - pos < m.hdr as usize {
                    return Ok(Ok(self.wait(pos, left, pos + m.hdr as usize)));
                }
                let mut f = [0u8; 4];
                let n = (len - pos - 1).min(4);
                f[..n].copy_from_slice(&buf[pos + 1..pos + 1 + n]);
                field = (u32::from_be_bytes(f) >> m.shift) as u64;
                if m.kind == SCALAR {
                    let end = pos + m.adv as usize;
                    if end > len {
                        return Ok(Ok(self.wait(pos, left, end)));
                    }
                    pos = end;
                    left -= 1;
                    if left == 0 && self.settle(&mut left) {
                        return Ok(Ok(Scanned::End(pos)));
                    }
                    continue;
                }
            }
            match m.kind {
                FIXCONT | COUNTED => {
                    let n = if m.kind == FIXCONT {
                        (m.kids >> m.map) as u64
                    } else {
                        field
                    };
                    if self.outer.len() >= self.max_depth || n > self.max_container_len {
                        return Err(self.container_error(pos, n));
                    }
                    pos += m.hdr as usize;
                    if n == 0 {
                        left -= 1;
                        if left == 0 && self.settle(&mut left) {
                            return Ok(Ok(Scanned::End(pos)));
                        }
                    } else {
                        // Cannot fail: the depth was checked against a limit of at most
                        // MAX_DEPTH.
                        if self.outer.try_push(left - 1).is_err() {
                            return Err(self.container_error(pos, n));
                        }
                        // At most 2 * u32::MAX: no overflow.
                        left = n << m.map;
                    }
                }
                FIXEXT | STRBIN | EXTLEN => {
                    let (start, n) = if m.kind == FIXEXT {
                        (pos + m.hdr as usize, (m.adv - m.hdr) as u64)
                    } else {
                        if field > self.max_payload_len {
                            return Err(length_error(pos, field, self.max_payload_len));
                        }
                        (pos + m.hdr as usize, field)
                    };
                    let end = start + n as usize;
                    if end > len {
                        return Ok(Ok(self.wait(pos, left, end)));
                    }
                    // The type byte is the last header byte.
                    if m.kind != STRBIN
                        && self.timestamps
                        && buf[start - 1] as i8 == Timestamp::EXT_TYPE
                    {
                        #[cfg(test)]
                        {
                            self.examined += n;
                        }
                        if let Err(e) = Timestamp::from_ext_data(&buf[start..end]) {
                            return Err(Error::new(pos as u64, ErrorKind::InvalidTimestamp(e)));
                        }
                    }
                    pos = end;
                    left -= 1;
                    if left == 0 && self.settle(&mut left) {
                        return Ok(Ok(Scanned::End(pos)));
                    }
                }
                _ => return Err(reserved(buf, pos)),
            }
        }
    }

    /// Walks the value block by block from `pos` (at least [`WALK_MIN`] bytes before the end
    /// of `buf`), as long as every token is one the blocks size exactly and the limits cannot
    /// refuse: see [`Resume::walk`].
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[inline(never)]
    fn walk_blocks(&mut self, buf: &[u8], pos: usize, left: u64) -> Walked {
        #[cfg(test)]
        if self.scalar_fill {
            return if self.timestamps {
                self.walk::<true>(buf, pos, left, super::block::fill)
            } else {
                self.walk::<false>(buf, pos, left, super::block::fill)
            };
        }
        // SAFETY: `blocks` is only set where AVX2 was detected.
        unsafe { self.walk_avx2(buf, pos, left) }
    }

    /// [`Resume::walk`] with the AVX2 block fill.
    ///
    /// # Safety
    ///
    /// AVX2 must be available.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    unsafe fn walk_avx2(&mut self, buf: &[u8], pos: usize, left: u64) -> Walked {
        let t = super::block::avx2::Tables::new();
        // SAFETY: AVX2 per the caller.
        let fill = |blk: &mut Block, win: &[u8; BLOCK + 1]| unsafe {
            super::block::avx2::fill::<false>(&t, blk, win)
        };
        if self.timestamps {
            self.walk::<true>(buf, pos, left, fill)
        } else {
            self.walk::<false>(buf, pos, left, fill)
        }
    }

    /// The block walk. The skip kernel's blocks give, for every byte, where a token starting
    /// there would end and how many values follow it inline (a fixarray's or fixmap's), or
    /// a sentinel where the lead byte and the byte after it do not size the token. Going from
    /// token to token is then one load (`off = nxt[off]`) instead of the plain loop's chain
    /// of lead byte, table entry and size; the counts are kept as in the plain loop, beside
    /// that chain.
    ///
    /// The walk takes only tokens whose limits cannot be met here: fix-width containers
    /// (at most 15 elements, within [`Resume::fits`]), as long as the depth after them stays
    /// below the limit; payloads of at most 255 bytes (`blocks` requires a payload limit of
    /// at least that). Every other token (a sentinel: longer headers, the reserved byte,
    /// payloads reaching past the next block; an ext while timestamps are checked; a
    /// container at the depth limit) stops the walk at its position, where the plain loop
    /// reads it with every check, and so does the end of the bytes two blocks ahead.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[inline(always)]
    fn walk<const TIMESTAMPS: bool>(
        &mut self,
        buf: &[u8],
        mut pos: usize,
        mut left: u64,
        mut fill: impl FnMut(&mut Block, &[u8; BLOCK + 1]),
    ) -> Walked {
        let window = |at: usize| -> Option<&[u8; BLOCK + 1]> {
            buf.get(at..at.checked_add(BLOCK + 1)?)
                .and_then(|w| w.try_into().ok())
        };
        let mut blocks = [Block::new(); 2];
        let mut cur = 0;
        let mut base = pos;
        let Some(w) = window(base) else {
            return Walked::At { pos, left };
        };
        fill(&mut blocks[0], w);
        // The bytes of each block, for the lead bytes (indexed below `BLOCK`: no bounds check).
        let mut wins = [w, w];
        loop {
            // The next block is filled before this one is walked: it does not wait for the
            // walk.
            let Some(next) = window(base + BLOCK) else {
                return Walked::At { pos, left };
            };
            fill(&mut blocks[cur ^ 1], next);
            wins[cur ^ 1] = next;
            let blk = &blocks[cur];
            let win = wins[cur];
            let mut off = pos - base;
            while off < BLOCK {
                let a = blk.nxt[off];
                let at = base + off;
                if sentinel(a) || (TIMESTAMPS && EXT_LEAD[win[off] as usize]) {
                    return Walked::At { pos: at, left };
                }
                #[cfg(test)]
                {
                    self.examined += MOVE[buf[at] as usize].hdr as u64;
                    self.walked += 1;
                }
                let kids = blk.kids[off];
                if kids != 0 {
                    // The depth after it stays below the limit (and so within the stack).
                    if self.outer.len() + 1 >= self.max_depth
                        || self.outer.try_push(left - 1).is_err()
                    {
                        return Walked::At { pos: at, left };
                    }
                    left = kids as u64;
                } else {
                    left -= 1;
                    if left == 0 && self.settle(&mut left) {
                        return Walked::End(base + a as usize);
                    }
                }
                // A sentinel marks every end past the byte range: `a` is within this block
                // or the next.
                off = a as usize;
            }
            pos = base + off;
            base += BLOCK;
            cur ^= 1;
        }
    }

    /// Saves the position and counts, to go on from the token at `pos` later.
    #[inline]
    fn wait(&mut self, pos: usize, left: u64, until: usize) -> Scanned {
        self.pos = pos;
        self.left = left;
        Scanned::Wait { until }
    }

    /// The innermost container (or the top-level value) is complete: closes every
    /// enclosing container it completes. True when the top-level value is complete.
    #[inline(always)]
    fn settle(&mut self, left: &mut u64) -> bool {
        loop {
            match self.outer.pop() {
                None => {
                    self.pos = 0;
                    self.left = 0;
                    return true;
                }
                Some(l) => {
                    *left = l;
                    if l != 0 {
                        return false;
                    }
                }
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn container_error(&self, pos: usize, n: u64) -> Error {
        let kind = if self.outer.len() >= self.max_depth {
            ErrorKind::DepthLimit {
                limit: self.max_depth,
            }
        } else {
            ErrorKind::ContainerLimit {
                len: n,
                limit: self.max_container_len,
            }
        };
        Error::new(pos as u64, kind)
    }
}

#[cold]
#[inline(never)]
fn length_error(pos: usize, len: u64, limit: u64) -> Error {
    Error::new(pos as u64, ErrorKind::LengthLimit { len, limit })
}

/// The error for the reserved lead byte at `pos`, as the head decoder reports it.
#[cold]
#[inline(never)]
fn reserved(buf: &[u8], pos: usize) -> Error {
    match decode_head(buf, pos) {
        Err(e) => e.at(pos),
        Ok(_) => Error::new(pos as u64, ErrorKind::ReservedByte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::Tokenizer;

    /// Every lead byte: the refined table keeps the kernel's sizes and tells containers,
    /// fixext and ext apart as the lead-byte table does.
    #[test]
    fn move_table_follows_the_step_table() {
        for b in 0..256 {
            let (m, s, f) = (MOVE[b], STEP[b], LEAD[b].family);
            assert_eq!(
                (m.adv, m.kids, m.shift, m.hdr),
                (s.adv, s.kids, s.shift, s.hdr)
            );
            let want = match f {
                Family::FixArray | Family::FixMap => FIXCONT,
                Family::Array | Family::Map => COUNTED,
                Family::FixExt => FIXEXT,
                Family::Ext => EXTLEN,
                Family::Str | Family::Bin => STRBIN,
                Family::Reserved => RESERVED,
                _ => SCALAR,
            };
            assert_eq!(m.kind, want, "{b:#04x}");
            assert_eq!(
                m.map == 1,
                matches!(f, Family::FixMap | Family::Map),
                "{b:#04x}"
            );
        }
    }

    /// Scans `data` handing it over in pieces cut at `cuts`, as a stream decoder would: the
    /// ends of the values, or the first error with its absolute offset.
    fn ends(data: &[u8], cuts: &[usize], limits: &Limits) -> Result<Vec<usize>, Error> {
        ends_with(data, cuts, Resume::new(limits))
    }

    /// [`ends`] with a given scan state.
    fn ends_with(data: &[u8], cuts: &[usize], r: Resume) -> Result<Vec<usize>, Error> {
        ends_walked(data, cuts, r).0
    }

    /// [`ends_with`], and the tokens the block walk took.
    fn ends_walked(data: &[u8], cuts: &[usize], mut r: Resume) -> (Result<Vec<usize>, Error>, u64) {
        let got = ends_in(data, cuts, &mut r);
        (got, r.walked)
    }

    fn ends_in(data: &[u8], cuts: &[usize], r: &mut Resume) -> Result<Vec<usize>, Error> {
        let mut start = 0;
        let mut out = Vec::new();
        let mut avail_iter = cuts.iter().copied().chain([data.len()]);
        let mut avail = avail_iter.next().unwrap_or(data.len());
        loop {
            match r
                .scan(&data[start..avail])
                .map_err(|e| e.shifted(start as u64))?
            {
                Scanned::End(n) => {
                    r.reset();
                    start += n;
                    out.push(start);
                    if start == data.len() {
                        return Ok(out);
                    }
                }
                Scanned::Wait { until } => {
                    assert!(start + until > avail);
                    match avail_iter.next() {
                        Some(a) => avail = a.max(avail),
                        None => return Ok(out),
                    }
                }
            }
        }
    }

    /// What the tokenizer says about the same bytes: the ends of the top-level values, or
    /// its first error other than truncation.
    fn tokenizer_ends(data: &[u8], limits: &Limits) -> Result<Vec<usize>, Error> {
        let mut t = Tokenizer::with_limits(data, *limits);
        let mut out = Vec::new();
        loop {
            match t.next_token() {
                Ok(Some(_)) if t.is_at_boundary() => out.push(t.position()),
                Ok(Some(_)) => {}
                Ok(None) => return Ok(out),
                Err(e) if e.is_truncated() => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    #[test]
    fn agrees_with_the_tokenizer_on_generated_streams_in_any_pieces() {
        let limits = Limits::default();
        let mut all = crate::gen::listing_of_size(5, 20_000);
        all.extend(crate::gen::messages(6, 30));
        all.extend(crate::gen::numeric(7, 5));
        let pages = crate::gen::listing(crate::gen::ListingConfig {
            seed: 8,
            entries: 250,
            page_size: 40,
        });
        for data in [pages, all] {
            let want = tokenizer_ends(&data, &limits).unwrap();
            assert!(want.len() > 1);
            assert_eq!(ends(&data, &[], &limits).unwrap(), want);
            for step in [1, 2, 3, 7, 31, 32, 33, 100, 4096] {
                let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
                assert_eq!(ends(&data, &cuts, &limits).unwrap(), want, "step {step}");
            }
        }
    }

    #[test]
    fn limits_and_bad_bytes_match_the_tokenizer_at_every_cut() {
        let deep: Vec<u8> = [0x91u8; 5].iter().chain(&[0x90, 0xc0]).copied().collect();
        let mut big_str = vec![0xda, 0x01, 0x00];
        big_str.extend([b'x'; 256]);
        let cases: Vec<(Vec<u8>, Limits)> = vec![
            (
                deep.clone(),
                Limits {
                    max_depth: 5,
                    ..Limits::default()
                },
            ),
            (
                deep.clone(),
                Limits {
                    max_depth: 6,
                    ..Limits::default()
                },
            ),
            (
                deep,
                Limits {
                    max_depth: 4,
                    ..Limits::default()
                },
            ),
            (vec![0x92, 0x01, 0xc1, 0x02], Limits::default()),
            (
                vec![0xdc, 0x00, 0x20, 0x01],
                Limits {
                    max_container_len: 31,
                    ..Limits::default()
                },
            ),
            (
                vec![0x81, 0x01, 0xdf, 0, 0, 0, 40],
                Limits {
                    max_container_len: 39,
                    ..Limits::default()
                },
            ),
            (
                big_str.clone(),
                Limits {
                    max_payload_len: 255,
                    ..Limits::default()
                },
            ),
            (
                big_str,
                Limits {
                    max_payload_len: 256,
                    ..Limits::default()
                },
            ),
            // A timestamp with 1e9 nanoseconds, a fixext4 of type -1 that is fine, a fixext2
            // of type -1 (no timestamp has that size), an ext8 of 12 bytes that is fine.
            (
                vec![0x91, 0xd7, 0xff, 0xee, 0x6b, 0x28, 0, 0, 0, 0, 0],
                Limits::default(),
            ),
            (
                vec![0xd6, 0xff, 1, 2, 3, 4, 0xd5, 0xff, 0, 0],
                Limits::default(),
            ),
            (
                [0xc7, 12, 0xff].iter().chain(&[0u8; 12]).copied().collect(),
                Limits::default(),
            ),
            (
                vec![0xd5, 0xff, 0, 0],
                Limits {
                    decode_timestamps: false,
                    ..Limits::default()
                },
            ),
        ];
        for (data, limits) in cases {
            let want = tokenizer_ends(&data, &limits);
            for cut in 0..=data.len() {
                assert_eq!(ends(&data, &[cut], &limits), want, "{data:x?} cut at {cut}");
            }
            let ones: Vec<usize> = (1..data.len()).collect();
            assert_eq!(ends(&data, &ones, &limits), want, "{data:x?} byte by byte");
        }
    }

    /// Long values holding what the block walk must hand to the plain loop: nesting up to
    /// and past the depth limit (empty containers at the limit too), timestamps valid and
    /// not, ext 8 of type -1, long headers, and lots of small tokens around them so that
    /// the walk runs between them.
    fn walk_cases() -> Vec<(Vec<u8>, Limits)> {
        let filler = |n: usize| -> Vec<u8> {
            let mut v = Vec::new();
            for i in 0..n {
                // A small map: {"k": i, "name": "abc..."}
                v.extend([0x82, 0xa1, b'k', (i % 128) as u8, 0xa4]);
                v.extend(b"name");
                v.extend([0xd9, 40]);
                v.extend([b'x'; 40]);
            }
            v
        };
        let wrap = |items: &[&[u8]], count: usize| -> Vec<u8> {
            let mut v = vec![0xdc];
            v.extend((count as u16).to_be_bytes());
            for it in items {
                v.extend(*it);
            }
            v
        };
        let mut cases = Vec::new();
        for depth in [38usize, 39, 40, 41] {
            for empty in [0x90u8, 0x80, 0xc0] {
                let mut nest = vec![0x91; depth];
                nest.push(empty);
                let data = wrap(&[&filler(20), &nest, &filler(20)], 41);
                let limits = Limits {
                    max_depth: 40,
                    ..Limits::default()
                };
                cases.push((data, limits));
            }
        }
        let ts_ok = [0xd6, 0xff, 0, 0, 0, 1];
        let ts_bad = [0xd7, 0xff, 0xee, 0x6b, 0x28, 0, 0, 0, 0, 0];
        let mut ext8 = vec![0xc7, 12, 0xff];
        ext8.extend([0u8; 12]);
        let mut ext8_bad = vec![0xc7, 5, 0xff];
        ext8_bad.extend([0u8; 5]);
        let mut long = vec![0xda, 0x01, 0x00];
        long.extend([b'y'; 256]);
        let map16 = [0xde, 0x00, 0x01, 0xa1, b'z', 0xc3];
        for mid in [
            &ts_ok[..],
            &ts_bad,
            &ext8,
            &ext8_bad,
            &long,
            &map16,
            &[0xc1],
        ] {
            let data = wrap(&[&filler(20), mid, &filler(20)], 41);
            for timestamps in [true, false] {
                let limits = Limits {
                    decode_timestamps: timestamps,
                    ..Limits::default()
                };
                cases.push((data.clone(), limits));
            }
        }
        let mut all = crate::gen::listing_of_size(5, 20_000);
        all.extend(crate::gen::messages(6, 30));
        all.extend(crate::gen::numeric(7, 5));
        cases.push((all.clone(), Limits::default()));
        // Payloads the blocks could size, under a payload limit they cannot check.
        let limits = Limits {
            max_payload_len: 39,
            ..Limits::default()
        };
        cases.push((wrap(&[&filler(50)], 50), limits));
        cases
    }

    /// The block walk, with the AVX2 fill and with its scalar twin, ends values and stops at
    /// errors exactly where the plain loop and the tokenizer do, however the bytes arrive.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[test]
    fn block_walk_agrees_with_the_plain_loop() {
        let avx2 = std::is_x86_feature_detected!("avx2");
        if !avx2 {
            eprintln!("no AVX2 on this CPU: the block walk runs with the scalar fill only");
        }
        let mut walked_somewhere = 0;
        for (data, limits) in walk_cases() {
            let want = tokenizer_ends(&data, &limits);
            let plain = || {
                let mut r = Resume::new(&limits);
                r.blocks = false;
                r
            };
            let scalar = || {
                let mut r = Resume::new(&limits);
                r.blocks = limits.max_payload_len >= 255;
                r.scalar_fill = true;
                r
            };
            for step in [0usize, 1, 5, 64, 300, 4096] {
                let cuts: Vec<usize> = if step == 0 {
                    Vec::new()
                } else {
                    (step..data.len()).step_by(step).collect()
                };
                assert_eq!(ends_with(&data, &cuts, plain()), want, "plain, step {step}");
                let (got, walked) = ends_walked(&data, &cuts, scalar());
                assert_eq!(got, want, "scalar fill, step {step}, {limits:?}");
                walked_somewhere += walked;
                if limits.max_payload_len < 255 {
                    assert_eq!(walked, 0);
                } else if step == 0 {
                    // Whole: the filler around each case is walked.
                    assert!(walked > 50, "{walked} tokens walked, {limits:?}");
                }
                if avx2 {
                    let (got, walked_avx2) = ends_walked(&data, &cuts, Resume::new(&limits));
                    assert_eq!(got, want, "AVX2 fill, step {step}, {limits:?}");
                    assert_eq!(walked_avx2, walked);
                }
            }
        }
        assert!(
            walked_somewhere > 10_000,
            "{walked_somewhere} tokens walked"
        );
    }
}
