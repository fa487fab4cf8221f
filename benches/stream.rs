//! Resumable decoding throughput: the stream decoder fed the same data in 64 KiB, 4 KiB, 64 B
//! and 1 B chunks, next to whole-buffer tokenizing of that data and msgpack-c's streaming
//! `msgpack_unpacker` on the same chunking, all in the same group.
//!
//! Run: `cargo bench --bench stream`. It also writes the data to `target/bench-data/` and
//! then runs `benches/unpacker.py` (msgpack-python's `Unpacker.feed` on the same bytes and
//! chunks) with `$MSGSKIM_PYTHON` (default `python3`).
//!
//! For instruction counts, `STREAM_ONCE=reader,chunk,MiB[,passes]` runs one pass (or that
//! many) of one reader
//! (`whole`, `tokens`, `events`, `for_each`, `feed_events`, `frames`, `frames_read` (with
//! `read_from`) or `msgpackc`) over a listing of that size in function `pass`,
//! e.g. `STREAM_ONCE=frames,4096,2 valgrind --tool=callgrind --toggle-collect='stream::pass'
//! target/release/deps/stream-*`.

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use msgskim::gen::{listing_of_size, messages};
use msgskim::{Event, StreamDecoder, Token, Tokenizer};

/// Tokens, top-level values and payload bytes: what every reader here must produce.
type Counts = (usize, usize, usize);

fn payload_len(t: &Token<'_>) -> usize {
    match t {
        Token::Str(s) => s.len(),
        Token::Bin(b) => b.len(),
        Token::Ext(e) => e.data.len(),
        _ => 0,
    }
}

/// The whole buffer at once, with the slice tokenizer.
fn whole(buf: &[u8]) -> Counts {
    let mut t = Tokenizer::new(buf);
    let (mut tokens, mut tops, mut payload) = (0, 0, 0);
    while let Some(tok) = t.next_token().expect("valid data") {
        tokens += 1;
        payload += payload_len(&tok);
        if t.is_at_boundary() {
            tops += 1;
        }
    }
    (tokens, tops, payload)
}

/// Fed `chunk` bytes at a time, every token taken out as soon as it is complete.
fn stream_tokens(buf: &[u8], chunk: usize) -> Counts {
    let mut dec = StreamDecoder::new();
    let (mut tokens, mut tops, mut payload) = (0, 0, 0);
    for piece in buf.chunks(chunk) {
        dec.feed(piece).expect("within the buffer limit");
        loop {
            match dec.next_token().expect("valid data") {
                Some(Event::Token(tok)) => {
                    tokens += 1;
                    payload += payload_len(&tok);
                }
                Some(_) => unreachable!("no payload here exceeds the chunking threshold"),
                None => break,
            }
            if dec.depth() == 0 {
                tops += 1;
            }
        }
    }
    dec.finish().expect("clean end");
    (tokens, tops, payload)
}

/// As `stream_tokens`, taking the tokens of each feed with the `events()` iterator.
fn stream_events(buf: &[u8], chunk: usize) -> Counts {
    let mut dec = StreamDecoder::new();
    let (mut tokens, mut tops, mut payload) = (0, 0, 0);
    for piece in buf.chunks(chunk) {
        dec.feed(piece).expect("within the buffer limit");
        let mut events = dec.events();
        while let Some(event) = events.next() {
            match event.expect("valid data") {
                Event::Token(tok) => {
                    tokens += 1;
                    payload += payload_len(&tok);
                }
                _ => unreachable!("no payload here exceeds the chunking threshold"),
            }
            if events.depth() == 0 {
                tops += 1;
            }
        }
    }
    dec.finish().expect("clean end");
    (tokens, tops, payload)
}

/// Counts one event of a callback reader into `c`.
#[inline(always)]
fn tally(c: &mut Counts, ev: Event<'_>, depth: usize) {
    match ev {
        Event::Token(tok) => {
            c.0 += 1;
            c.2 += payload_len(&tok);
        }
        _ => unreachable!("no payload here exceeds the chunking threshold"),
    }
    if depth == 0 {
        c.1 += 1;
    }
}

/// As `stream_tokens`, taking the tokens of each feed with `for_each_event`.
fn stream_for_each(buf: &[u8], chunk: usize) -> Counts {
    let mut dec = StreamDecoder::new();
    let mut counts = (0, 0, 0);
    for piece in buf.chunks(chunk) {
        dec.feed(piece).expect("within the buffer limit");
        dec.for_each_event(|ev, depth| tally(&mut counts, ev, depth))
            .expect("valid data");
    }
    dec.finish().expect("clean end");
    counts
}

/// As `stream_for_each`, but each chunk is first copied into one reused buffer of `chunk`
/// bytes (standing in for a read from a socket into it, as `feed` and msgpack-c's
/// `reserve_buffer` copy) and read in place there with `feed_events`, not copied into the
/// decoder.
fn stream_feed_events(buf: &[u8], chunk: usize) -> Counts {
    let mut dec = StreamDecoder::new();
    let mut counts = (0, 0, 0);
    let mut read_buf = vec![0u8; chunk];
    for piece in buf.chunks(chunk) {
        let read = &mut read_buf[..piece.len()];
        read.copy_from_slice(piece);
        dec.feed_events(read, |ev, depth| tally(&mut counts, ev, depth))
            .expect("valid data");
    }
    dec.finish().expect("clean end");
    counts
}

/// Fed `chunk` bytes at a time, every top-level value split off as a frame when complete.
fn stream_frames(buf: &[u8], chunk: usize) -> usize {
    let mut dec = StreamDecoder::new();
    let mut frames = 0;
    for piece in buf.chunks(chunk) {
        dec.feed(piece).expect("within the buffer limit");
        while let Some(f) = dec.next_frame().expect("valid data") {
            black_box(&f);
            frames += 1;
        }
    }
    dec.finish().expect("clean end");
    frames
}

/// As `stream_frames`, the bytes read with `read_from` from a reader that hands out at most
/// `chunk` bytes per read (`read_size` = `chunk`), for the cost of the window it clears.
fn stream_frames_read(buf: &[u8], chunk: usize) -> usize {
    struct Pieces<'a>(&'a [u8], usize);
    impl std::io::Read for Pieces<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut dec = StreamDecoder::with_config(msgskim::StreamConfig {
        read_size: chunk,
        ..msgskim::StreamConfig::default()
    });
    let mut input = Pieces(buf, chunk);
    let mut frames = 0;
    while dec.read_from(&mut input).expect("reads from memory") > 0 {
        while let Some(f) = dec.next_frame().expect("valid data") {
            black_box(&f);
            frames += 1;
        }
    }
    dec.finish().expect("clean end");
    frames
}

fn save(name: &str, buf: &[u8]) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-data");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(format!("{dir}/{name}.msgpack"), buf);
}

fn group(c: &mut Criterion, name: &str, buf: &[u8], chunks: &[usize]) {
    let counts = whole(buf);
    let tops = counts.1;
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.sample_size(10);
    g.bench_function("whole_buffer_tokenize", |b| {
        b.iter(|| assert_eq!(whole(black_box(buf)), counts))
    });
    if !msgskim_bench_peers::msgpackc_available() {
        eprintln!(
            "msgpack-c peer not built: {:?}",
            msgskim_bench_peers::missing()
        );
    }
    for &chunk in chunks {
        g.bench_with_input(
            BenchmarkId::new("stream_tokens", chunk),
            &chunk,
            |b, &ch| b.iter(|| assert_eq!(stream_tokens(black_box(buf), ch), counts)),
        );
        g.bench_with_input(
            BenchmarkId::new("stream_events", chunk),
            &chunk,
            |b, &ch| b.iter(|| assert_eq!(stream_events(black_box(buf), ch), counts)),
        );
        g.bench_with_input(
            BenchmarkId::new("stream_for_each", chunk),
            &chunk,
            |b, &ch| b.iter(|| assert_eq!(stream_for_each(black_box(buf), ch), counts)),
        );
        g.bench_with_input(
            BenchmarkId::new("stream_feed_events", chunk),
            &chunk,
            |b, &ch| b.iter(|| assert_eq!(stream_feed_events(black_box(buf), ch), counts)),
        );
        g.bench_with_input(
            BenchmarkId::new("stream_frames", chunk),
            &chunk,
            |b, &ch| b.iter(|| assert_eq!(stream_frames(black_box(buf), ch), tops)),
        );
        if msgskim_bench_peers::msgpackc_available() {
            g.bench_with_input(
                BenchmarkId::new("msgpackc_unpacker", chunk),
                &chunk,
                |b, &ch| {
                    b.iter(|| {
                        let n = msgskim_bench_peers::msgpackc_unpack_chunks(black_box(buf), ch);
                        assert_eq!(n, Some(Ok(tops)))
                    })
                },
            );
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let listing = listing_of_size(1, 16 << 20);
    save("stream-listing", &listing);
    group(c, "stream/listing_16MB", &listing, &[65_536, 4096, 64]);
    let msgs = messages(1, 2000);
    save("stream-messages", &msgs);
    group(c, "stream/messages", &msgs, &[65_536, 4096, 64]);
    // One byte at a time, on two sizes: the same throughput on both means time linear in the
    // input.
    for (mb, name) in [
        (1usize, "stream_1B/listing_1MB"),
        (4, "stream_1B/listing_4MB"),
    ] {
        let small = &listing[..cut_at_value(&listing, mb << 20)];
        if mb == 1 {
            save("stream-listing-1MB", small);
        }
        group(c, name, small, &[1]);
    }
    python_unpacker();
}

/// Runs `benches/unpacker.py` on the files just written, so msgpack-python's numbers come from
/// the same run. The interpreter is `$MSGSKIM_PYTHON` (default `python3`); it needs msgpack.
fn python_unpacker() {
    let python = std::env::var("MSGSKIM_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/unpacker.py");
    match std::process::Command::new(&python).arg(script).status() {
        Ok(s) if s.success() => {}
        other => eprintln!("msgpack-python run skipped ({python} {script}: {other:?})"),
    }
}

/// The end of the last whole top-level value at or before `max` bytes (at least one value).
fn cut_at_value(buf: &[u8], max: usize) -> usize {
    let mut pos = 0;
    while pos < buf.len() {
        let end = msgskim::skip_value(buf, pos).expect("valid data");
        if end > max && pos > 0 {
            break;
        }
        pos = end;
    }
    pos
}

/// One pass of one reader, for instruction counting.
#[inline(never)]
fn pass(reader: &str, buf: &[u8], chunk: usize) -> usize {
    match reader {
        "whole" => whole(buf).0,
        "tokens" => stream_tokens(buf, chunk).0,
        "events" => stream_events(buf, chunk).0,
        "for_each" => stream_for_each(buf, chunk).0,
        "feed_events" => stream_feed_events(buf, chunk).0,
        "frames" => stream_frames(buf, chunk),
        "frames_read" => stream_frames_read(buf, chunk),
        "msgpackc" => msgskim_bench_peers::msgpackc_unpack_chunks(buf, chunk)
            .expect("msgpack-c peer built")
            .expect("valid data"),
        other => panic!("unknown reader {other}"),
    }
}

fn once(spec: &str) {
    let mut it = spec.split(',');
    let reader = it.next().unwrap_or("frames");
    let chunk: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(4096);
    let mib: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let passes: usize = it.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let listing = listing_of_size(1, mib << 20);
    let tokens = whole(&listing).0;
    let mut n = 0;
    for _ in 0..passes {
        n = pass(reader, black_box(&listing), chunk);
    }
    println!(
        "{reader} chunk {chunk}: {} bytes, {tokens} tokens, result {n}",
        listing.len()
    );
}

criterion_group!(stream_benches, benches);

fn main() {
    if let Ok(spec) = std::env::var("STREAM_ONCE") {
        once(&spec);
        return;
    }
    stream_benches();
    Criterion::default().configure_from_args().final_summary();
}
