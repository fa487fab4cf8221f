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
    /// Header bytes read so far (test builds only), for the linearity tests.
    #[cfg(test)]
    pub(crate) examined: u64,
}

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
            #[cfg(test)]
            examined: 0,
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
        let len = buf.len();
        let fast_end = len.saturating_sub(SLACK);
        let mut pos = self.pos;
        let mut left = self.left.max(1);
        loop {
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
                        return Ok(Scanned::End(pos));
                    }
                    continue;
                }
                let h = &buf[pos + 1..pos + 5];
                field = (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) >> m.shift) as u64;
            } else {
                let Some(&b) = buf.get(pos) else {
                    return Ok(self.wait(pos, left, pos + 1));
                };
                m = MOVE[b as usize];
                #[cfg(test)]
                {
                    self.examined += (len - pos).min(m.hdr as usize) as u64;
                }
                if m.kind != RESERVED && len - pos < m.hdr as usize {
                    return Ok(self.wait(pos, left, pos + m.hdr as usize));
                }
                let mut f = [0u8; 4];
                let n = (len - pos - 1).min(4);
                f[..n].copy_from_slice(&buf[pos + 1..pos + 1 + n]);
                field = (u32::from_be_bytes(f) >> m.shift) as u64;
                if m.kind == SCALAR {
                    let end = pos + m.adv as usize;
                    if end > len {
                        return Ok(self.wait(pos, left, end));
                    }
                    pos = end;
                    left -= 1;
                    if left == 0 && self.settle(&mut left) {
                        return Ok(Scanned::End(pos));
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
                            return Ok(Scanned::End(pos));
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
                        return Ok(self.wait(pos, left, end));
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
                        return Ok(Scanned::End(pos));
                    }
                }
                _ => return Err(reserved(buf, pos)),
            }
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
        let mut r = Resume::new(limits);
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
}
