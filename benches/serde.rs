//! A listing page decoded through serde into borrowing structs: msgskim's `Deserializer`
//! against `rmp_serde::from_slice`, same types, same bytes, same group.
//!
//! Run: `cargo bench --features serde --bench serde`
//!
//! With `SERDE_BENCH_ONCE=msgskim` (or `rmp_serde`) in the environment the binary decodes the
//! page 20 times with that decoder and exits, for instruction counts under
//! `valgrind --tool=callgrind`.
//!
//! With `SERDE_BENCH_INTERLEAVED=N` it decodes the page N times with each decoder, taking turns,
//! and prints the minimum and median time of each and their ratios: on a machine shared with
//! other work, turns of a few milliseconds see the same load, and the minimum is the run that
//! was least disturbed.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use msgskim::gen::{listing, ListingConfig};
use serde::Deserialize;

/// One listing entry as AIStore writes it; absent keys take their defaults.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry<'a> {
    n: &'a str,
    cs: &'a str,
    a: &'a str,
    v: &'a str,
    t: &'a str,
    m: &'a str,
    s: i64,
    c: i16,
    f: u16,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Page<'a> {
    UUID: &'a str,
    ContinuationToken: &'a str,
    #[serde(borrow)]
    Entries: Vec<Entry<'a>>,
    Flags: u64,
}

const ENTRIES: usize = 10_000;

/// Sums what a caller would use, so nothing is optimised away and both sides are checked.
fn check(page: &Page<'_>) -> (usize, i64) {
    assert_eq!(page.Entries.len(), ENTRIES);
    assert!(!page.UUID.is_empty());
    assert_eq!(page.Flags, 0);
    assert!(page.ContinuationToken.is_empty());
    let names: usize = page.Entries.iter().map(|e| e.n.len()).sum();
    let size: i64 = page.Entries.iter().map(|e| e.s).sum();
    (names, size)
}

fn page() -> Vec<u8> {
    listing(ListingConfig {
        seed: 1,
        entries: ENTRIES,
        page_size: ENTRIES,
    })
}

fn bench(c: &mut Criterion) {
    let page = page();
    let expect = check(&rmp_serde::from_slice::<Page>(&page).unwrap());
    assert_eq!(
        check(&msgskim::serde::from_slice::<Page>(&page).unwrap()),
        expect
    );

    let mut g = c.benchmark_group("serde_listing_page");
    g.throughput(Throughput::Bytes(page.len() as u64));
    g.bench_function("msgskim", |b| {
        b.iter(|| {
            let p: Page = msgskim::serde::from_slice(black_box(&page)).unwrap();
            assert_eq!(check(&p), expect);
        })
    });
    g.bench_function("rmp_serde", |b| {
        b.iter(|| {
            let p: Page = rmp_serde::from_slice(black_box(&page)).unwrap();
            assert_eq!(check(&p), expect);
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}

/// Decodes the page `rounds` times with each decoder, alternately, and prints the minimum and
/// median of each.
fn interleaved(rounds: usize) {
    use std::time::Instant;
    let page = page();
    let expect = check(&rmp_serde::from_slice::<Page>(&page).unwrap());
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let p: Page = msgskim::serde::from_slice(black_box(&page)).unwrap();
        assert_eq!(check(&p), expect);
        drop(p);
        ours.push(t.elapsed());
        let t = Instant::now();
        let p: Page = rmp_serde::from_slice(black_box(&page)).unwrap();
        assert_eq!(check(&p), expect);
        drop(p);
        theirs.push(t.elapsed());
    }
    ours.sort();
    theirs.sort();
    let (om, tm) = (ours[0], theirs[0]);
    let (omed, tmed) = (ours[rounds / 2], theirs[rounds / 2]);
    println!("{rounds} rounds, {} bytes a page", page.len());
    println!("msgskim   min {om:?} median {omed:?}");
    println!("rmp_serde min {tm:?} median {tmed:?}");
    println!(
        "ratio (rmp_serde / msgskim): min {:.2}x, median {:.2}x",
        tm.as_secs_f64() / om.as_secs_f64(),
        tmed.as_secs_f64() / omed.as_secs_f64()
    );
}

fn main() {
    if let Ok(n) = std::env::var("SERDE_BENCH_INTERLEAVED") {
        let rounds = n
            .parse::<usize>()
            .ok()
            .filter(|&r| r > 0)
            .expect("SERDE_BENCH_INTERLEAVED: a number of rounds above 0");
        interleaved(rounds);
        return;
    }
    if let Ok(which) = std::env::var("SERDE_BENCH_ONCE") {
        let page = page();
        let mut total = (0, 0);
        for _ in 0..20 {
            let p: Page = match which.as_str() {
                "msgskim" => msgskim::serde::from_slice(black_box(&page)).unwrap(),
                "rmp_serde" => rmp_serde::from_slice(black_box(&page)).unwrap(),
                other => panic!("SERDE_BENCH_ONCE={other}: expected msgskim or rmp_serde"),
            };
            let (n, s) = check(&p);
            total = (total.0 + n, total.1 + s);
        }
        println!("{which}: {} name bytes, {} size total", total.0, total.1);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
