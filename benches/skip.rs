//! Skip and validate throughput on listing, numeric and message data (and `skip_plain`, the
//! kernel without blocks), with the peers measured in the same group: msgpuck (`mp_next`, `mp_check`), a skip loop on rmp's low-level
//! `rmp::decode` API, `rmpv::decode::read_value_ref`, and a `memchr` scan of the same buffer.
//!
//! The message group also times `memory/chase_values`: a chain of dependent loads, one per
//! message, at the offsets where the messages start, in a buffer of the same size. Every reader
//! must see a message's header before it knows where the next one starts, so this chain is
//! what memory latency alone costs any of them.
//!
//! `MSGSKIM_BENCH_MB` sets the size of each dataset (default 100), `MSGSKIM_BENCH_SECS` the
//! measurement time per benchmark (default 5). `MSGSKIM_BENCH_QUICK=1` drops the slow rmpv peer
//! and the reference loop. `MSGSKIM_BENCH_CPU=1` measures the CPU time of the benchmark thread
//! instead of wall time (Linux): time spent waiting for a core on a loaded machine is not
//! counted.
//!
//! `MSGSKIM_BENCH_ONESHOT=N` skips criterion: for each dataset it runs N rounds, each timing one
//! pass of every reader in turn (thread CPU time), and prints the best pass of each and the
//! ratios against msgpuck. Readers taking turns in one process see the same machine state,
//! which makes A/B comparisons steadier on a busy machine than separate criterion groups.
//! `MSGSKIM_BENCH_ONLY=skip,mp_next,...` restricts the readers (names as printed).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkGroup, Criterion, Throughput};
use msgskim::{
    gen, skip_value, skip_value_plain, skip_value_reference, validate, validate_with,
    ValidateOptions,
};
use msgskim_bench_peers as peers;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The three datasets, each at least `bytes` long.
fn datasets(bytes: usize) -> Vec<(&'static str, Vec<u8>)> {
    let listing = gen::listing_of_size(1, bytes);
    // Sizes per item from a small sample, then enough items to pass `bytes`.
    let per_array = gen::numeric(2, 10).len() / 10;
    let numeric = gen::numeric(2, bytes / per_array + 1);
    let per_msg = gen::messages(3, 2000).len() / 2000;
    let mut messages = gen::messages(3, bytes / per_msg + 1);
    let mut n = bytes / per_msg + 1;
    while messages.len() < bytes {
        n += n / 10 + 1;
        messages = gen::messages(3, n);
    }
    vec![
        ("listing", listing),
        ("numeric", numeric),
        ("messages", messages),
    ]
}

/// Skips every top-level value with `skip_value`; returns the count.
fn msgskim_skip_all(buf: &[u8]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < buf.len() {
        pos = skip_value(buf, pos).expect("valid input");
        n += 1;
    }
    n
}

fn msgskim_reference_all(buf: &[u8]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < buf.len() {
        pos = skip_value_reference(buf, pos).expect("valid input");
        n += 1;
    }
    n
}

/// `skip_value` without the block-wise kernel (one step-table lookup per token).
fn msgskim_plain_all(buf: &[u8]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < buf.len() {
        pos = skip_value_plain(buf, pos).expect("valid input");
        n += 1;
    }
    n
}

/// One `u32` per four bytes of `buf`: at the slot of each top-level value's start, the slot of
/// the next value's start (`u32::MAX` after the last). The slots sit at the same offsets as the
/// values' first bytes, so a chase through them touches the same lines and pages.
fn chase_links(buf: &[u8]) -> Vec<u32> {
    let mut links = vec![0u32; buf.len() / 4 + 1];
    let mut pos = 0;
    while pos < buf.len() {
        let end = skip_value(buf, pos).expect("valid input");
        links[pos / 4] = if end < buf.len() {
            u32::try_from(end / 4).expect("buffer under 16 GiB")
        } else {
            u32::MAX
        };
        pos = end;
    }
    links
}

/// Follows [`chase_links`] from the first value; returns the number of values visited.
fn chase(links: &[u32]) -> usize {
    let mut i = 0;
    let mut n = 1;
    loop {
        let next = links[i];
        if next == u32::MAX {
            return n;
        }
        i = next as usize;
        n += 1;
    }
}

fn rmpv_all(buf: &[u8]) -> usize {
    let mut rd = buf;
    let mut n = 0;
    while !rd.is_empty() {
        black_box(rmpv::decode::read_value_ref(&mut rd).expect("valid input"));
        n += 1;
    }
    n
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), reported like wall time.
struct CpuTime;

static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        msgskim_bench_peers::thread_cpu_time()
    }
    fn end(&self, start: Duration) -> Duration {
        msgskim_bench_peers::thread_cpu_time().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn group<M: Measurement>(c: &mut Criterion<M>, name: &str, buf: &[u8]) {
    let quick = std::env::var_os("MSGSKIM_BENCH_QUICK").is_some();
    let secs = env_usize("MSGSKIM_BENCH_SECS", 5) as u64;
    let values = msgskim_reference_all(buf);
    assert_eq!(peers::rmp_skip_all(buf), Some(values), "rmp loop disagrees");
    eprintln!("skip/{name}: {values} top-level values");
    // A byte that is rare in every dataset, counted once to check the scan.
    let needle = 0xc1;
    let needles = buf.iter().filter(|&&b| b == needle).count();

    let mut g: BenchmarkGroup<'_, M> = c.benchmark_group(format!("skip/{name}"));
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(secs));

    g.bench_function("msgskim/skip", |b| {
        b.iter(|| assert_eq!(msgskim_skip_all(black_box(buf)), values))
    });
    g.bench_function("msgskim/skip_plain", |b| {
        b.iter(|| assert_eq!(msgskim_plain_all(black_box(buf)), values))
    });
    g.bench_function("msgskim/validate", |b| {
        b.iter(|| assert!(validate(black_box(buf)).is_ok()))
    });
    let utf8 = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    g.bench_function("msgskim/validate_utf8", |b| {
        b.iter(|| assert!(validate_with(black_box(buf), &utf8).is_ok()))
    });
    if !quick {
        g.bench_function("msgskim/validate_strict", |b| {
            b.iter(|| assert!(validate_with(black_box(buf), &ValidateOptions::strict()).is_ok()))
        });
        g.bench_function("msgskim/skip_reference", |b| {
            b.iter(|| assert_eq!(msgskim_reference_all(black_box(buf)), values))
        });
    }
    match peers::Checked::new(buf) {
        Some(checked) => {
            assert_eq!(checked.mp_next_count(), values);
            g.bench_function("msgpuck/mp_next", |b| {
                b.iter(|| assert_eq!(black_box(checked).mp_next_count(), values))
            });
            g.bench_function("msgpuck/mp_check", |b| {
                b.iter(|| assert_eq!(peers::mp_check_count(black_box(buf)), Some(Ok(values))))
            });
        }
        None => eprintln!(
            "skip/{name}: msgpuck peer missing ({})",
            peers::missing().join(", ")
        ),
    }
    g.bench_function("rmp/skip_loop", |b| {
        b.iter(|| assert_eq!(peers::rmp_skip_all(black_box(buf)), Some(values)))
    });
    if !quick {
        g.bench_function("rmpv/read_value_ref", |b| {
            b.iter(|| assert_eq!(rmpv_all(black_box(buf)), values))
        });
    }
    if name == "messages" {
        let links = chase_links(buf);
        assert_eq!(chase(&links), values);
        g.bench_function("memory/chase_values", |b| {
            b.iter(|| assert_eq!(chase(black_box(&links)), values))
        });
    }
    g.bench_function("memchr/scan", |b| {
        b.iter(|| assert_eq!(memchr::memchr_iter(needle, black_box(buf)).count(), needles))
    });
    g.finish();
}

fn benches<M: Measurement>(c: &mut Criterion<M>) {
    let mb = env_usize("MSGSKIM_BENCH_MB", 100);
    let only = std::env::var("MSGSKIM_BENCH_DATA").ok();
    for (name, buf) in datasets(mb << 20) {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        eprintln!("skip/{name}: {} bytes", buf.len());
        group(c, name, &buf);
    }
}

/// A reader for [`oneshot`]: its name and one pass over the buffer, returning the value count.
type Reader<'a> = (&'static str, Box<dyn Fn(&[u8]) -> usize + 'a>);

/// See `MSGSKIM_BENCH_ONESHOT` at the top of this file.
fn oneshot(rounds: usize) {
    let mb = env_usize("MSGSKIM_BENCH_MB", 100);
    let data = std::env::var("MSGSKIM_BENCH_DATA").ok();
    let only = std::env::var("MSGSKIM_BENCH_ONLY").ok();
    let utf8 = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    for (name, buf) in datasets(mb << 20) {
        if data.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let values = msgskim_reference_all(&buf);
        let checked = peers::Checked::new(&buf);
        let mut readers: Vec<Reader<'_>> = vec![
            ("skip", Box::new(msgskim_skip_all)),
            ("skip_plain", Box::new(msgskim_plain_all)),
            (
                "validate",
                Box::new(move |b| {
                    validate(b).expect("valid input");
                    values
                }),
            ),
            (
                "validate_utf8",
                Box::new(move |b| {
                    validate_with(b, &utf8).expect("valid input");
                    values
                }),
            ),
            (
                "rmp_loop",
                Box::new(|b| peers::rmp_skip_all(b).expect("valid input")),
            ),
        ];
        if let Some(c) = checked {
            readers.push(("mp_next", Box::new(move |_| c.mp_next_count())));
            readers.push((
                "mp_check",
                Box::new(|b| {
                    peers::mp_check_count(b)
                        .expect("msgpuck")
                        .expect("valid input")
                }),
            ));
        }
        if name == "messages" {
            let links = chase_links(&buf);
            readers.push(("chase_values", Box::new(move |_| chase(&links))));
        }
        readers.retain(|(r, _)| {
            only.as_deref()
                .map_or(true, |o| o.split(',').any(|x| x == *r))
        });
        let mut best = vec![Duration::MAX; readers.len()];
        for _ in 0..rounds {
            for ((_, f), b) in readers.iter().zip(&mut best) {
                let t0 = peers::thread_cpu_time();
                assert_eq!(f(black_box(&buf)), values);
                *b = (*b).min(peers::thread_cpu_time().saturating_sub(t0));
            }
        }
        let of = |r: &str| {
            readers
                .iter()
                .position(|(n, _)| *n == r)
                .map(|i| best[i].as_secs_f64())
        };
        for ((r, _), b) in readers.iter().zip(&best) {
            let t = b.as_secs_f64();
            let vs = |p: &str| of(p).map_or(String::new(), |x| format!("  {p}/this {:.3}x", x / t));
            println!(
                "{name:<9} {r:<14} {:>10.4} ms {}{}",
                t * 1e3,
                vs("mp_next"),
                vs("mp_check")
            );
        }
    }
}

fn main() {
    if let Some(n) = std::env::var("MSGSKIM_BENCH_ONESHOT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        oneshot(n);
        return;
    }
    if std::env::var_os("MSGSKIM_BENCH_CPU").is_some() {
        let mut c = Criterion::default()
            .with_measurement(CpuTime)
            .configure_from_args();
        benches(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().configure_from_args();
        benches(&mut c);
        c.final_summary();
    }
}
