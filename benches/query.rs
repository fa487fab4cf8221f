//! Path queries over a generated listing dump, four tasks, each with its peers in the same
//! group: rmp-serde (`from_slice`-style borrowing structs that ignore other fields), rmpv
//! (`read_value_ref` of each page, then a lookup) and, for name extraction, a hand-written
//! unchecked msgpuck loop in C.
//!
//! - `cargo bench --bench query`: criterion, on a 128 MB dump (`MSGSKIM_QUERY_MB` to change).
//!   Name extraction also runs resumed over 64 KiB chunks (`msgskim_stream_64k`).
//! - `MSGSKIM_QUERY_ONESHOT_MB=1100 cargo bench --bench query`: timed runs of every task and
//!   peer on a dump of that size, in rounds (each task and peer once per round), the best of
//!   `MSGSKIM_QUERY_RUNS` rounds (default 3), no criterion; `MSGSKIM_QUERY_ONLY=names` runs one
//!   task, `MSGSKIM_QUERY_ONLY=names/msgskim,names/msgpuck_unchecked` some of its peers;
//!   `MSGSKIM_QUERY_CPU=1` times the thread's CPU time instead of wall time.
//! - `MSGSKIM_QUERY_PREFILTER_MB=128 cargo bench --bench query`: what a `memchr::memmem`
//!   prefilter would cost and save on the listing shapes.
//! - `MSGSKIM_QUERY_TASK=names/msgskim cargo bench --bench query`: run one task once on the
//!   dump, for `valgrind --tool=callgrind --toggle-collect='query::run_*'`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use msgskim::gen::listing_of_size;
use msgskim::query::{Query, Rows};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// The tasks, as msgskim users write them. Every task returns a checksum that all peers must
// agree on: (values found, sum of their lengths or values).

type Answer = (u64, u64);

#[inline(never)]
fn run_names_msgskim(q: &Query, buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    q.for_each(buf, |m| {
        if let Some(s) = m.value().as_raw_str() {
            n += 1;
            bytes += s.as_bytes().len() as u64;
        }
    })
    .expect("valid dump");
    (n, bytes)
}

/// The same with the iterator form, [`Query::matches`].
#[inline(never)]
fn run_names_msgskim_iter(q: &Query, buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    for m in q.matches(buf) {
        if let Some(s) = m.expect("valid dump").value().as_raw_str() {
            n += 1;
            bytes += s.as_bytes().len() as u64;
        }
    }
    (n, bytes)
}

/// Name extraction as a reader of a socket would run it: the dump arrives in 64 KiB chunks
/// and the query resumes wherever a chunk ends (`Query::stream`), inside pages included.
#[inline(never)]
fn run_names_msgskim_stream(q: &Query, buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    let mut qs = q.stream();
    for chunk in buf.chunks(64 << 10) {
        qs.feed(chunk, |m| {
            if let Some(s) = m.value().as_raw_str() {
                n += 1;
                bytes += s.as_bytes().len() as u64;
            }
        })
        .expect("valid dump");
    }
    qs.finish().expect("valid dump");
    (n, bytes)
}

#[inline(never)]
fn run_rows_msgskim(rows: &Rows<2>, buf: &[u8]) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    rows.for_each(buf, |[name, size]| {
        if let Some(s) = name.and_then(|v| v.as_raw_str()) {
            n += 1;
            sum = sum.wrapping_add(s.as_bytes().len() as u64);
        }
        sum = sum.wrapping_add(size.and_then(|v| v.as_i64()).unwrap_or(0) as u64);
    })
    .expect("valid dump");
    (n, sum)
}

#[inline(never)]
fn run_token_msgskim(q: &Query, buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    q.for_each(buf, |m| {
        if let Some(s) = m.value().as_raw_str() {
            n += 1;
            bytes += s.as_bytes().len() as u64;
        }
    })
    .expect("valid dump");
    (n, bytes)
}

#[inline(never)]
fn run_flags_msgskim(q: &Query, buf: &[u8]) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    q.for_each(buf, |m| {
        n += 1;
        sum += m.value().as_u64().unwrap_or(0);
    })
    .expect("valid dump");
    (n, sum)
}

// rmp-serde: borrowing structs that name only the fields the task needs.

#[derive(Deserialize)]
struct NamePage<'a> {
    #[serde(borrow, rename = "Entries")]
    entries: Vec<NameEntry<'a>>,
}

#[derive(Deserialize)]
struct NameEntry<'a> {
    #[serde(borrow)]
    n: &'a str,
}

#[derive(Deserialize)]
struct RowPage<'a> {
    #[serde(borrow, rename = "Entries")]
    entries: Vec<RowEntry<'a>>,
}

#[derive(Deserialize)]
struct RowEntry<'a> {
    #[serde(borrow)]
    n: &'a str,
    #[serde(default)]
    s: i64,
}

#[derive(Deserialize)]
struct TokenPage<'a> {
    #[serde(borrow, rename = "ContinuationToken")]
    token: &'a str,
}

#[derive(Deserialize)]
struct FlagsPage {
    #[serde(rename = "Flags")]
    flags: u64,
}

/// Deserializes `pages` pages of `buf` one after the other.
fn serde_pages<'a, T: Deserialize<'a>>(buf: &'a [u8], pages: usize, mut f: impl FnMut(T)) {
    let mut de = rmp_serde::Deserializer::from_read_ref(buf);
    for _ in 0..pages {
        f(T::deserialize(&mut de).expect("valid dump"));
    }
}

#[inline(never)]
fn run_names_rmp_serde(buf: &[u8], pages: usize) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    serde_pages(buf, pages, |p: NamePage<'_>| {
        for e in p.entries {
            n += 1;
            bytes += e.n.len() as u64;
        }
    });
    (n, bytes)
}

#[inline(never)]
fn run_rows_rmp_serde(buf: &[u8], pages: usize) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    serde_pages(buf, pages, |p: RowPage<'_>| {
        for e in p.entries {
            n += 1;
            sum = sum.wrapping_add(e.n.len() as u64).wrapping_add(e.s as u64);
        }
    });
    (n, sum)
}

#[inline(never)]
fn run_token_rmp_serde(buf: &[u8], pages: usize) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    serde_pages(buf, pages, |p: TokenPage<'_>| {
        n += 1;
        bytes += p.token.len() as u64;
    });
    (n, bytes)
}

#[inline(never)]
fn run_flags_rmp_serde(buf: &[u8], pages: usize) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    serde_pages(buf, pages, |p: FlagsPage| {
        n += 1;
        sum += p.flags;
    });
    (n, sum)
}

// rmpv: decode each page to a borrowed tree, then look the fields up.

fn rmpv_pages<'a>(buf: &'a [u8], mut f: impl FnMut(&rmpv::ValueRef<'a>)) {
    let mut rd = buf;
    while !rd.is_empty() {
        let v = rmpv::decode::read_value_ref(&mut rd).expect("valid dump");
        f(&v);
    }
}

fn rmpv_get<'v, 'a>(v: &'v rmpv::ValueRef<'a>, key: &str) -> Option<&'v rmpv::ValueRef<'a>> {
    match v {
        rmpv::ValueRef::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| matches!(k, rmpv::ValueRef::String(s) if s.as_bytes() == key.as_bytes()))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn rmpv_str_len(v: Option<&rmpv::ValueRef<'_>>) -> Option<u64> {
    match v {
        Some(rmpv::ValueRef::String(s)) => Some(s.as_bytes().len() as u64),
        _ => None,
    }
}

#[inline(never)]
fn run_names_rmpv(buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    rmpv_pages(buf, |p| {
        if let Some(rmpv::ValueRef::Array(es)) = rmpv_get(p, "Entries") {
            for e in es {
                if let Some(l) = rmpv_str_len(rmpv_get(e, "n")) {
                    n += 1;
                    bytes += l;
                }
            }
        }
    });
    (n, bytes)
}

#[inline(never)]
fn run_rows_rmpv(buf: &[u8]) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    rmpv_pages(buf, |p| {
        if let Some(rmpv::ValueRef::Array(es)) = rmpv_get(p, "Entries") {
            for e in es {
                if let Some(l) = rmpv_str_len(rmpv_get(e, "n")) {
                    n += 1;
                    sum = sum.wrapping_add(l);
                }
                let s = match rmpv_get(e, "s") {
                    Some(rmpv::ValueRef::Integer(i)) => i.as_i64().unwrap_or(0),
                    _ => 0,
                };
                sum = sum.wrapping_add(s as u64);
            }
        }
    });
    (n, sum)
}

#[inline(never)]
fn run_token_rmpv(buf: &[u8]) -> Answer {
    let (mut n, mut bytes) = (0u64, 0u64);
    rmpv_pages(buf, |p| {
        if let Some(l) = rmpv_str_len(rmpv_get(p, "ContinuationToken")) {
            n += 1;
            bytes += l;
        }
    });
    (n, bytes)
}

#[inline(never)]
fn run_flags_rmpv(buf: &[u8]) -> Answer {
    let (mut n, mut sum) = (0u64, 0u64);
    rmpv_pages(buf, |p| {
        if let Some(rmpv::ValueRef::Integer(i)) = rmpv_get(p, "Flags") {
            n += 1;
            sum += i.as_u64().unwrap_or(0);
        }
    });
    (n, sum)
}

#[inline(never)]
fn run_names_msgpuck(c: &msgskim_bench_peers::Checked<'_>) -> Answer {
    c.mp_listing_names()
}

// ---------------------------------------------------------------------------------------

struct Setup {
    dump: Vec<u8>,
    pages: usize,
    names: Query,
    rows: Rows<2>,
    token: Query,
    flags: Query,
}

impl Setup {
    fn new(mb: usize) -> Setup {
        let dump = listing_of_size(1, mb << 20);
        let pages = msgskim::RawValue::all(&dump).count();
        Setup {
            dump,
            pages,
            names: Query::new(".Entries[*].n").unwrap(),
            rows: Rows::new(".Entries[*]", [".n", ".s"]).unwrap(),
            token: Query::new(".ContinuationToken").unwrap(),
            flags: Query::new(".Flags").unwrap(),
        }
    }

    /// Every task with every peer that does it: (task, peer, run).
    #[allow(clippy::type_complexity)]
    fn runs(&self) -> Vec<(&'static str, &'static str, Box<dyn Fn() -> Answer + '_>)> {
        let d = &self.dump[..];
        let p = self.pages;
        let mut v: Vec<(&'static str, &'static str, Box<dyn Fn() -> Answer + '_>)> = vec![
            (
                "names",
                "msgskim",
                Box::new(move || run_names_msgskim(&self.names, black_box(d))),
            ),
            (
                "names",
                "msgskim_iter",
                Box::new(move || run_names_msgskim_iter(&self.names, black_box(d))),
            ),
            (
                "names",
                "msgskim_stream_64k",
                Box::new(move || run_names_msgskim_stream(&self.names, black_box(d))),
            ),
            (
                "names",
                "rmp_serde",
                Box::new(move || run_names_rmp_serde(black_box(d), p)),
            ),
            (
                "names",
                "rmpv",
                Box::new(move || run_names_rmpv(black_box(d))),
            ),
            (
                "rows",
                "msgskim",
                Box::new(move || run_rows_msgskim(&self.rows, black_box(d))),
            ),
            (
                "rows",
                "rmp_serde",
                Box::new(move || run_rows_rmp_serde(black_box(d), p)),
            ),
            (
                "rows",
                "rmpv",
                Box::new(move || run_rows_rmpv(black_box(d))),
            ),
            (
                "token",
                "msgskim",
                Box::new(move || run_token_msgskim(&self.token, black_box(d))),
            ),
            (
                "token",
                "rmp_serde",
                Box::new(move || run_token_rmp_serde(black_box(d), p)),
            ),
            (
                "token",
                "rmpv",
                Box::new(move || run_token_rmpv(black_box(d))),
            ),
            (
                "flags",
                "msgskim",
                Box::new(move || run_flags_msgskim(&self.flags, black_box(d))),
            ),
            (
                "flags",
                "rmp_serde",
                Box::new(move || run_flags_rmp_serde(black_box(d), p)),
            ),
            (
                "flags",
                "rmpv",
                Box::new(move || run_flags_rmpv(black_box(d))),
            ),
        ];
        match msgskim_bench_peers::Checked::new(d) {
            Some(c) => v.insert(
                5,
                (
                    "names",
                    "msgpuck_unchecked",
                    Box::new(move || run_names_msgpuck(&c)),
                ),
            ),
            None => eprintln!(
                "msgpuck peer missing: {}",
                msgskim_bench_peers::missing().join(", ")
            ),
        }
        v
    }

    /// The answer every peer must give, from a full rmpv decode.
    fn check(&self, task: &str, got: Answer) {
        let want = match task {
            "names" => run_names_rmpv(&self.dump),
            "rows" => run_rows_rmpv(&self.dump),
            "token" => run_token_rmpv(&self.dump),
            _ => run_flags_rmpv(&self.dump),
        };
        assert_eq!(got, want, "{task}");
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn benches(c: &mut Criterion) {
    let mb = env_usize("MSGSKIM_QUERY_MB").unwrap_or(128);
    let s = Setup::new(mb);
    let runs = s.runs();
    let mut wanted: Vec<(&str, Answer)> = Vec::new();
    for (task, peer, f) in &runs {
        let a = f();
        if *peer == "rmpv" {
            s.check(task, a);
        }
        match wanted.iter().find(|(t, _)| t == task) {
            Some((_, w)) => assert_eq!(a, *w, "{task}/{peer}"),
            None => wanted.push((task, a)),
        }
    }
    for task in ["names", "rows", "token", "flags"] {
        let mut g = c.benchmark_group(format!("query/{task}_{mb}MB"));
        g.throughput(Throughput::Bytes(s.dump.len() as u64));
        g.sample_size(10);
        g.warm_up_time(std::time::Duration::from_secs(1));
        g.measurement_time(std::time::Duration::from_secs(4));
        let want = wanted.iter().find(|(t, _)| *t == task).unwrap().1;
        for (_, peer, f) in runs.iter().filter(|(t, _, _)| *t == task) {
            g.bench_function(*peer, |b| b.iter(|| assert_eq!(f(), want)));
        }
        g.finish();
    }
}

/// One timed pass per task and peer on a large dump (best of a few runs).
fn one_shot(mb: usize) {
    let t = Instant::now();
    let s = Setup::new(mb);
    let len = s.dump.len();
    let entries = run_names_rmpv(&s.dump).0;
    eprintln!(
        "dump: {len} bytes, {} pages, {entries} entries, generated in {:.1?}",
        s.pages,
        t.elapsed()
    );
    let start = Instant::now();
    let runs_n = env_usize("MSGSKIM_QUERY_RUNS").unwrap_or(3);
    let only = std::env::var("MSGSKIM_QUERY_ONLY").ok();
    let runs: Vec<_> = s
        .runs()
        .into_iter()
        .filter(|(task, peer, _)| {
            only.as_deref().map_or(true, |o| {
                o.split(',')
                    .any(|w| w == *task || w.split_once('/') == Some((task, peer)))
            })
        })
        .collect();
    // Round by round, every task and peer once per round, so that a burst of load from
    // elsewhere falls on all of them; the best round of each is kept.
    let cpu = std::env::var_os("MSGSKIM_QUERY_CPU").is_some();
    let now = || {
        if cpu {
            msgskim_bench_peers::thread_cpu_time()
        } else {
            start.elapsed()
        }
    };
    let mut best = vec![f64::MAX; runs.len()];
    let mut answers = vec![(0, 0); runs.len()];
    for _ in 0..runs_n {
        for (i, (_, _, f)) in runs.iter().enumerate() {
            let t = now();
            answers[i] = f();
            best[i] = best[i].min((now() - t).as_secs_f64());
        }
    }
    let mut first: Vec<(&str, Answer)> = Vec::new();
    for (i, (task, peer, _)) in runs.iter().enumerate() {
        let (best, answer) = (best[i], answers[i]);
        match first.iter().find(|(t, _)| t == task) {
            Some((_, w)) => assert_eq!(answer, *w, "{task}/{peer}"),
            None => first.push((task, answer)),
        }
        println!(
            "{task:6} {peer:18} {:8.3} s  {:6.2} GB/s  {:6.2} ns/entry  answer {answer:?}",
            best,
            len as f64 / best / 1e9,
            best * 1e9 / entries as f64
        );
    }
}

/// One task once, for instruction counts under callgrind.
fn single(task: &str, mb: usize) {
    let s = Setup::new(mb);
    let (t, p) = task.split_once('/').expect("task/peer");
    let runs = s.runs();
    let (_, _, f) = runs
        .iter()
        .find(|(rt, rp, _)| *rt == t && *rp == p)
        .expect("known task/peer");
    let a = f();
    println!(
        "{task}: {a:?} over {} bytes, {} pages",
        s.dump.len(),
        s.pages
    );
}

/// The `memchr::memmem` prefilter question, measured: how long finding a key's bytes takes
/// (present keys: the first occurrence; an absent key: the whole buffer) against walking the
/// dump with a query for that key.
fn prefilter(mb: usize) {
    let s = Setup::new(mb);
    let d = &s.dump[..];
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        let mut r = 0;
        for _ in 0..3 {
            let t = Instant::now();
            r = f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        (best, r)
    };
    for (path, key) in [
        (".Entries[*].n", &b"n"[..]),
        (".ContinuationToken", b"ContinuationToken"),
        (".Flags", b"Flags"),
        (".Entries[*].xattr", b"xattr"),
    ] {
        let q = Query::new(path).unwrap();
        let (walk, matches) = time(&|| {
            let mut n = 0;
            q.for_each(black_box(d), |_| n += 1).unwrap();
            n
        });
        let finder = memchr::memmem::Finder::new(key);
        let (find, at) = time(&|| finder.find(black_box(d)).unwrap_or(usize::MAX));
        // Per page, as a stream user would prefilter each frame before querying it.
        let pages: Vec<(usize, usize)> = msgskim::RawValue::all(d)
            .map(|v| v.unwrap())
            .map(|v| (v.offset(), v.end()))
            .collect();
        let (per_page, hit_pages) = time(&|| {
            pages
                .iter()
                .filter(|&&(a, b)| finder.find(black_box(&d[a..b])).is_some())
                .count()
        });
        println!(
            "{path:22} walk {walk:8.4} s ({matches} matches)  memmem whole {find:10.6} s (first at {at})  memmem per page {per_page:8.4} s ({hit_pages}/{} pages hit)",
            pages.len()
        );
    }
}

criterion_group!(query, benches);

fn main() {
    if let Some(mb) = env_usize("MSGSKIM_QUERY_ONESHOT_MB") {
        return one_shot(mb);
    }
    if let Some(mb) = env_usize("MSGSKIM_QUERY_PREFILTER_MB") {
        return prefilter(mb);
    }
    if let Ok(task) = std::env::var("MSGSKIM_QUERY_TASK") {
        return single(&task, env_usize("MSGSKIM_QUERY_MB").unwrap_or(16));
    }
    query();
    Criterion::default().configure_from_args().final_summary();
}
