//! Tokenizing throughput on listing and numeric data, side by side with rmpv's
//! `read_value_ref` on the same buffer and a memchr scan of it (the memory-speed yardstick).
//!
//! Run: `cargo bench --bench tokenize`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use msgskim::gen::{listing_of_size, numeric};
use msgskim::{Token, Tokenizer};

/// Tokens, top-level values and str/bin/ext payload bytes of `buf`: every token is looked at.
fn tokenize(buf: &[u8]) -> (usize, usize, usize) {
    let mut t = Tokenizer::new(buf);
    let (mut tokens, mut tops, mut payload) = (0, 0, 0);
    while let Some(tok) = t.next_token().expect("valid data") {
        tokens += 1;
        payload += match tok {
            Token::Str(s) => s.len(),
            Token::Bin(b) => b.len(),
            Token::Ext(e) => e.data.len(),
            _ => 0,
        };
        if t.is_at_boundary() {
            tops += 1;
        }
    }
    (tokens, tops, payload)
}

/// Top-level values of `buf`, each decoded to an `rmpv::ValueRef` tree.
fn rmpv_values(buf: &[u8]) -> usize {
    let mut rd = buf;
    let mut n = 0;
    while !rd.is_empty() {
        let v = rmpv::decode::read_value_ref(&mut rd).expect("valid data");
        black_box(&v);
        n += 1;
    }
    n
}

fn group(c: &mut Criterion, name: &str, buf: &[u8]) {
    let counts = tokenize(buf);
    let tops = counts.1;
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.sample_size(10);
    g.bench_function("msgskim_tokenize", |b| {
        b.iter(|| assert_eq!(tokenize(black_box(buf)), counts))
    });
    g.bench_function("rmpv_read_value_ref", |b| {
        b.iter(|| assert_eq!(rmpv_values(black_box(buf)), tops))
    });
    // 0xc1 is never a lead byte and rare inside values, so counting it reads the whole
    // buffer at close to memory speed.
    let rare = memchr::memchr_iter(0xc1, buf).count();
    g.bench_function("memchr_scan", |b| {
        b.iter(|| assert_eq!(memchr::memchr_iter(0xc1, black_box(buf)).count(), rare))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let listing = listing_of_size(1, 64 << 20);
    group(c, "tokenize/listing_64MB", &listing);
    drop(listing);
    let nums = numeric(1, 4_000);
    group(c, "tokenize/numeric", &nums);
}

criterion_group!(tokenize_benches, benches);
criterion_main!(tokenize_benches);
