//! Instruction counts (callgrind, through iai-callgrind) for skip and validate on 1 MiB of each
//! dataset, with msgpuck and the rmp skip loop on the same bytes. Divide the `Instructions`
//! figure by the dataset size printed in the benchmark's id for instructions per byte.
//!
//! Needs valgrind and `iai-callgrind-runner` at the same version as the `iai-callgrind`
//! dev-dependency: `cargo install iai-callgrind-runner --version 0.16.1`, then
//! `cargo bench --bench iai`.

use std::hint::black_box;

use iai_callgrind::{library_benchmark, library_benchmark_group, main};
use msgskim::{gen, skip_value, validate, validate_with, ValidateOptions};
use msgskim_bench_peers as peers;

const SIZE: usize = 1 << 20;

/// One MiB (or a little more) of a dataset, leaked so that msgpuck's checked wrapper can hold
/// it for the benchmark's lifetime.
fn data(name: &str) -> &'static [u8] {
    let buf = match name {
        "listing" => gen::listing_of_size(1, SIZE),
        "numeric" => {
            let per = gen::numeric(2, 4).len() / 4;
            gen::numeric(2, SIZE / per + 1)
        }
        "text" => text(),
        _ => {
            let mut n = 64;
            loop {
                let m = gen::messages(3, n);
                if m.len() >= SIZE {
                    break m;
                }
                n += n / 4;
            }
        }
    };
    Box::leak(buf.into_boxed_slice())
}

/// One MiB of str values of 200 B to 4 KiB of mixed-script text (for UTF-8 checking; the other
/// datasets hold ASCII only): words picked by the crate's seeded generator.
fn text() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "naïve",
        "Größe",
        "東京",
        "данные",
        "café",
        "λόγος",
        "data",
        "ü",
    ];
    let mut rng = gen::Rng::new(4);
    let mut w = msgskim::write::Writer::new(Vec::new());
    let mut s = String::new();
    while w.get_ref().len() < SIZE {
        s.clear();
        let len = 200 + rng.below(4 << 10) as usize;
        while s.len() < len {
            s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
            s.push(' ');
        }
        w.str(&s).expect("Vec sink");
    }
    w.into_inner()
}

fn checked(name: &str) -> Option<peers::Checked<'static>> {
    let c = peers::Checked::new(data(name));
    if c.is_none() {
        eprintln!("msgpuck peer missing: {}", peers::missing().join(", "));
    }
    c
}

fn skip_all(buf: &[u8]) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while pos < buf.len() {
        pos = skip_value(buf, pos).expect("valid input");
        n += 1;
    }
    n
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = data)]
#[bench::numeric(args = ("numeric"), setup = data)]
#[bench::messages(args = ("messages"), setup = data)]
fn msgskim_skip(buf: &'static [u8]) -> usize {
    black_box(skip_all(buf))
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = data)]
#[bench::numeric(args = ("numeric"), setup = data)]
#[bench::messages(args = ("messages"), setup = data)]
fn msgskim_validate(buf: &'static [u8]) -> bool {
    black_box(validate(buf).is_ok())
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = data)]
#[bench::numeric(args = ("numeric"), setup = data)]
#[bench::messages(args = ("messages"), setup = data)]
#[bench::text(args = ("text"), setup = data)]
fn msgskim_validate_utf8(buf: &'static [u8]) -> bool {
    let opts = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    black_box(validate_with(buf, &opts).is_ok())
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = checked)]
#[bench::numeric(args = ("numeric"), setup = checked)]
#[bench::messages(args = ("messages"), setup = checked)]
fn msgpuck_mp_next(c: Option<peers::Checked<'static>>) -> usize {
    black_box(c.map_or(0, |c| c.mp_next_count()))
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = data)]
#[bench::numeric(args = ("numeric"), setup = data)]
#[bench::messages(args = ("messages"), setup = data)]
fn msgpuck_mp_check(buf: &'static [u8]) -> Option<Result<usize, usize>> {
    black_box(peers::mp_check_count(buf))
}

#[library_benchmark]
#[bench::listing(args = ("listing"), setup = data)]
#[bench::numeric(args = ("numeric"), setup = data)]
#[bench::messages(args = ("messages"), setup = data)]
fn rmp_skip_loop(buf: &'static [u8]) -> Option<usize> {
    black_box(peers::rmp_skip_all(buf))
}

library_benchmark_group!(
    name = skip;
    benchmarks = msgskim_skip, msgskim_validate, msgskim_validate_utf8, msgpuck_mp_next,
        msgpuck_mp_check, rmp_skip_loop
);

main!(library_benchmark_groups = skip);
