//! Seeded, deterministic generators of realistic MessagePack data, shared by the tests, the
//! benchmarks and the command-line tool.
//!
//! - [`listing`]: object-listing dumps in the wire format AIStore writes with tinylib/msgp:
//!   pages of `{UUID, ContinuationToken, Entries, Flags}`, each entry a map with `n` first and
//!   the other keys (`cs`, `a`, `v`, `t`, `m`, `s`, `c`, `f`) only when non-empty/non-zero, `s`
//!   and `c` in the signed integer formats.
//! - [`messages`]: NATS-style messages with a raw `audio` bin and a `ts` timestamp.
//! - [`numeric`]: token-dense arrays of integers and floats.
//!
//! The same seed always gives the same bytes.

use alloc::string::String;
use alloc::vec::Vec;

use crate::token::Timestamp;
use crate::write::{IntMode, Writer};

/// A small, fast, seeded pseudo-random generator (SplitMix64). Not for cryptography.
///
/// # Examples
///
/// ```
/// use msgskim::gen::Rng;
/// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = msgskim::gen::Rng::new(1);
    /// ```
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// The next 64 random bits.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = msgskim::gen::Rng::new(1);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = msgskim::gen::Rng::new(1);
    /// assert!(r.below(10) < 10);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n.max(1) as u128) >> 64) as u64
    }

    /// True with probability `percent`/100.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = msgskim::gen::Rng::new(1);
    /// assert!(r.chance(100));
    /// ```
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Fills `buf` with random bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = [0u8; 5];
    /// msgskim::gen::Rng::new(1).fill(&mut b);
    /// ```
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const DIRS: &[&str] = &[
    "data",
    "logs",
    "images",
    "train",
    "eval",
    "shard",
    "archive",
    "tmp",
    "models",
    "audio",
    "video",
    "raw",
    "processed",
    "v2",
    "2024",
    "2025",
    "backup",
    "users",
    "cache",
    "exports",
];
const WORDS: &[&str] = &[
    "report", "frame", "batch", "chunk", "sample", "record", "object", "part", "segment", "index",
    "snapshot", "blob", "tile", "clip",
];
const EXTS: &[&str] = &[
    ".tar", ".jpg", ".json", ".parquet", ".wav", ".log", ".bin", ".tgz",
];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const HEX: &[u8; 16] = b"0123456789abcdef";

/// What a listing page holds, and how a dump is cut into pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListingConfig {
    /// The seed: the same seed gives the same bytes.
    pub seed: u64,
    /// Entries in the whole dump.
    pub entries: usize,
    /// Entries per page (AIStore pages hold up to 10,000).
    pub page_size: usize,
}

impl Default for ListingConfig {
    fn default() -> Self {
        ListingConfig {
            seed: 1,
            entries: 10_000,
            page_size: 10_000,
        }
    }
}

/// One object name: a nested path, median about 34 bytes; about one in 2,000 is longer than
/// 255 bytes.
fn object_name(rng: &mut Rng, serial: usize, out: &mut String) {
    out.clear();
    let depth = 1 + rng.below(3) as usize;
    for _ in 0..depth {
        out.push_str(DIRS[rng.below(DIRS.len() as u64) as usize]);
        out.push('/');
    }
    if rng.below(2000) == 0 {
        // A very long name: deeply nested generated directories.
        while out.len() < 260 + rng.below(200) as usize {
            out.push_str(DIRS[rng.below(DIRS.len() as u64) as usize]);
            out.push_str("-deep/");
        }
    }
    out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    out.push('-');
    push_num(out, serial as u64, 8);
    out.push_str(EXTS[rng.below(EXTS.len() as u64) as usize]);
}

fn push_num(out: &mut String, v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut v = v;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let len = (digits.len() - i).max(width);
    for &d in &digits[digits.len() - len..] {
        out.push(d as char);
    }
}

fn push_hex(out: &mut String, rng: &mut Rng, n: usize) {
    for _ in 0..n {
        out.push(HEX[rng.below(16) as usize] as char);
    }
}

fn atime(rng: &mut Rng, out: &mut String) {
    out.clear();
    push_num(out, 1 + rng.below(28), 2);
    out.push(' ');
    out.push_str(MONTHS[rng.below(12) as usize]);
    out.push(' ');
    push_num(out, 20 + rng.below(6), 2);
    out.push(' ');
    push_num(out, rng.below(24), 2);
    out.push(':');
    push_num(out, rng.below(60), 2);
    out.push_str(" UTC");
}

fn uuid(rng: &mut Rng, out: &mut String) {
    out.clear();
    for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_hex(out, rng, n);
    }
}

/// A generator of listing entries, shared by [`listing`] and [`listing_page`].
struct EntryGen {
    rng: Rng,
    name: String,
    scratch: String,
    serial: usize,
}

impl EntryGen {
    fn entry(&mut self, w: &mut Writer<Vec<u8>>) {
        let rng = &mut self.rng;
        object_name(rng, self.serial, &mut self.name);
        self.serial += 1;
        let has_cs = rng.chance(90);
        let has_a = rng.chance(50);
        let has_v = rng.chance(30);
        let has_t = rng.chance(10);
        let has_m = rng.chance(5);
        let size: i64 = match rng.below(100) {
            0..=1 => 0,
            2..=40 => rng.below(4096) as i64,
            41..=90 => rng.below(64 << 20) as i64,
            _ => rng.below(1 << 40) as i64,
        };
        let copies: i64 = if rng.chance(40) {
            1 + rng.below(3) as i64
        } else {
            0
        };
        let flags: u64 = if rng.chance(60) {
            rng.below(1 << 12)
        } else {
            0
        };
        let n = 1 + [
            has_cs,
            has_a,
            has_v,
            has_t,
            has_m,
            size != 0,
            copies != 0,
            flags != 0,
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        let _ = w.map_len(n as u32);
        let _ = w.str("n");
        let _ = w.str(&self.name);
        let s = &mut self.scratch;
        if has_cs {
            s.clear();
            push_hex(s, rng, 16);
            let _ = w.str("cs");
            let _ = w.str(s);
        }
        if has_a {
            atime(rng, s);
            let _ = w.str("a");
            let _ = w.str(s);
        }
        if has_v {
            s.clear();
            push_num(s, 1 + rng.below(20), 1);
            let _ = w.str("v");
            let _ = w.str(s);
        }
        if has_t {
            s.clear();
            s.push_str("t[");
            push_hex(s, rng, 8);
            s.push_str("]:mp[/ais/mp");
            push_num(s, rng.below(8), 1);
            s.push_str(", nvme");
            push_num(s, rng.below(4), 1);
            s.push(']');
            let _ = w.str("t");
            let _ = w.str(s);
        }
        if has_m {
            s.clear();
            s.push_str("owner=team-");
            push_num(s, rng.below(50), 2);
            let _ = w.str("m");
            let _ = w.str(s);
        }
        if size != 0 {
            let _ = w.str("s");
            let _ = w.int(size);
        }
        if copies != 0 {
            let _ = w.str("c");
            let _ = w.int(copies);
        }
        if flags != 0 {
            let _ = w.str("f");
            let _ = w.uint(flags);
        }
    }
}

/// Appends one listing page of `entries` entries to `w`; `last` marks the final page (its
/// `ContinuationToken` is empty).
fn listing_page(g: &mut EntryGen, w: &mut Writer<Vec<u8>>, entries: usize, last: bool) {
    let _ = w.map_len(4);
    let _ = w.str("UUID");
    uuid(&mut g.rng, &mut g.scratch);
    let _ = w.str(&g.scratch);
    // Write the entries into the page first to know the last name.
    let mut body = Writer::with_mode(Vec::new(), IntMode::GoCompatible);
    for _ in 0..entries {
        g.entry(&mut body);
    }
    let _ = w.str("ContinuationToken");
    if last {
        let _ = w.str("");
    } else {
        let name = core::mem::take(&mut g.name);
        let _ = w.str(&name);
        g.name = name;
    }
    let _ = w.str("Entries");
    let _ = w.array_len(entries as u32);
    let _ = w.raw(&body.into_inner());
    let _ = w.str("Flags");
    let _ = w.uint(if last { 0 } else { 1 });
}

/// A listing dump: `cfg.entries` entries cut into pages of `cfg.page_size`, back to back.
///
/// # Examples
///
/// ```
/// use msgskim::gen::{listing, ListingConfig};
/// let dump = listing(ListingConfig { seed: 3, entries: 250, page_size: 100 });
/// assert!(msgskim::validate(&dump).is_ok());
/// assert_eq!(dump, listing(ListingConfig { seed: 3, entries: 250, page_size: 100 }));
/// ```
#[must_use]
pub fn listing(cfg: ListingConfig) -> Vec<u8> {
    let mut w = Writer::with_mode(Vec::new(), IntMode::GoCompatible);
    let mut g = EntryGen {
        rng: Rng::new(cfg.seed),
        name: String::new(),
        scratch: String::new(),
        serial: 0,
    };
    let page = cfg.page_size.max(1);
    let mut left = cfg.entries;
    loop {
        let n = left.min(page);
        left -= n;
        listing_page(&mut g, &mut w, n, left == 0);
        if left == 0 {
            break;
        }
    }
    w.into_inner()
}

/// A listing dump of at least `bytes` bytes (whole pages of 10,000 entries, the last page cut
/// short to stop near the target).
///
/// # Examples
///
/// ```
/// let dump = msgskim::gen::listing_of_size(7, 200_000);
/// assert!(dump.len() >= 200_000);
/// assert!(msgskim::validate(&dump).is_ok());
/// ```
#[must_use]
pub fn listing_of_size(seed: u64, bytes: usize) -> Vec<u8> {
    // About 90 bytes per entry; generate a little more than needed.
    let entries = bytes / 80 + 1;
    let mut out = listing(ListingConfig {
        seed,
        entries,
        page_size: 10_000,
    });
    while out.len() < bytes {
        out = listing(ListingConfig {
            seed,
            entries: entries + (bytes - out.len()) / 50 + 1,
            page_size: 10_000,
        });
    }
    out
}

/// `count` NATS-style messages back to back: maps of `user_id` (str), `audio` (bin of
/// 1 B to 64 KiB, mostly small), `premium` (bool) and `ts` (a timestamp, in each of the three
/// wire forms in turn).
///
/// # Examples
///
/// ```
/// let msgs = msgskim::gen::messages(1, 10);
/// assert!(msgskim::validate(&msgs).is_ok());
/// ```
#[must_use]
pub fn messages(seed: u64, count: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut w = Writer::new(Vec::new());
    let mut s = String::new();
    let mut audio = Vec::new();
    for i in 0..count {
        let _ = w.map_len(4);
        let _ = w.str("user_id");
        s.clear();
        s.push_str("user-");
        push_num(&mut s, rng.below(1_000_000), 6);
        let _ = w.str(&s);
        let _ = w.str("audio");
        // Log-uniform length between 1 B and 64 KiB.
        let bits = rng.below(17);
        let len = (1usize << bits).min(65_536) + rng.below(1 << bits) as usize;
        audio.resize(len.clamp(1, 65_536), 0);
        rng.fill(&mut audio);
        let _ = w.bin(&audio);
        let _ = w.str("premium");
        let _ = w.bool(rng.chance(30));
        let _ = w.str("ts");
        let base = 1_700_000_000 + rng.below(100_000_000) as i64;
        let ts = match i % 3 {
            0 => Timestamp::new(base, 0),
            1 => Timestamp::new(base, rng.below(1_000_000_000) as u32),
            _ => Timestamp::new(-base, rng.below(1_000_000_000) as u32),
        };
        if let Some(ts) = ts {
            let _ = w.timestamp(ts);
        }
    }
    w.into_inner()
}

/// `count` arrays of 1,000 numbers each: small and negative fixints, 8- to 64-bit integers of
/// both signs, float 32 and float 64, in random order.
///
/// # Examples
///
/// ```
/// let nums = msgskim::gen::numeric(1, 2);
/// assert!(msgskim::validate(&nums).is_ok());
/// ```
#[must_use]
pub fn numeric(seed: u64, count: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut w = Writer::new(Vec::new());
    for _ in 0..count {
        let _ = w.array_len(1000);
        for _ in 0..1000 {
            let _ = match rng.below(10) {
                0..=2 => w.uint(rng.below(128)),
                3 => w.int(-(rng.below(32) as i64) - 1),
                4 => w.uint(rng.below(1 << 16)),
                5 => w.int(-(rng.below(1 << 31) as i64)),
                6 => w.uint(rng.next_u64()),
                7 => w.int(rng.next_u64() as i64),
                8 => w.f32(rng.below(1 << 24) as f32 / 1024.0),
                _ => w.f64(f64::from_bits(rng.next_u64() >> 2)),
            };
        }
    }
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Token, Tokenizer};

    #[test]
    fn listing_shape() {
        let dump = listing(ListingConfig {
            seed: 9,
            entries: 30_000,
            page_size: 10_000,
        });
        let mut keys = alloc::collections::BTreeMap::new();
        let mut name_lens = Vec::new();
        let mut long = 0;
        let mut t = Tokenizer::new(&dump);
        let mut tops = 0;
        let (mut left, mut key, mut last_key) = (0u64, true, Vec::new());
        while let Some(tok) = t.next_token().unwrap() {
            if t.depth() == 0 {
                tops += 1;
            }
            if left > 0 {
                left -= 1;
                if key {
                    let Token::Str(s) = tok else {
                        panic!("key {tok:?}")
                    };
                    last_key = s.as_bytes().to_vec();
                    *keys.entry(last_key.clone()).or_insert(0) += 1;
                } else {
                    match (&last_key[..], tok) {
                        (b"n", Token::Str(s)) => {
                            name_lens.push(s.len());
                            long += usize::from(s.len() > 255);
                        }
                        (b"s" | b"c", Token::Int(v)) => assert!(v > 127),
                        (b"s" | b"c", Token::UInt(v)) => assert!((1..128).contains(&v)),
                        (b"f", Token::UInt(v)) => assert!(v > 0),
                        (b"s" | b"c" | b"f", other) => panic!("{other:?}"),
                        (_, Token::Str(_)) => {}
                        (k, other) => panic!("{k:?}: {other:?}"),
                    }
                }
                key = !key;
            } else if let (Token::Map(n), 3) = (tok, t.depth()) {
                left = 2 * n as u64;
                key = true;
            }
        }
        assert_eq!(tops, 3);
        assert_eq!(name_lens.len(), 30_000);
        name_lens.sort_unstable();
        let median = name_lens[name_lens.len() / 2];
        assert!((28..=40).contains(&median), "median name {median}");
        assert!(long >= 1, "some names longer than 255 bytes");
        assert_eq!(keys[&b"n".to_vec()], 30_000);
    }
}
