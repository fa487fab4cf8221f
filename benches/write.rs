//! Encoding the listing and message data with msgskim's `Writer` and with rmp's encoder, the
//! same logical values in the same group, into a reused `Vec<u8>`. Both encoders must produce
//! the same bytes as the generator (checked before timing, and the length inside the loop).
//!
//! The messages group also times msgskim's gather output (`Gather`, audio payloads referenced
//! instead of copied), reused and cleared each iteration: once building it, once building it
//! and handing it to `std::io::sink()` with `Gather::write_to`. Its flattened bytes are checked
//! against the data before timing. `GATHER_THRESHOLD=N` sets its threshold (default
//! `Gather::DEFAULT_THRESHOLD`). `GATHER_SOCKET=1` (Unix) adds two lines that send each
//! encoded output over a Unix socket drained by another thread: msgskim's `Vec` output with
//! `write_all`, and the gather output with `write_to`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use msgskim::gen::{listing, messages, ListingConfig};
use msgskim::write::{Gather, IntMode, Writer};
use msgskim::{Timestamp, Token, Tokenizer};

/// One listing entry, as a Go or Rust program would hold it.
#[derive(Default)]
struct Entry {
    name: String,
    checksum: String,
    atime: String,
    version: String,
    location: String,
    custom: String,
    size: i64,
    copies: i16,
    flags: u16,
}

struct Page {
    uuid: String,
    token: String,
    entries: Vec<Entry>,
    flags: u64,
}

struct Message {
    user_id: String,
    audio: Vec<u8>,
    premium: bool,
    ts: Timestamp,
}

fn str_of(t: Token<'_>) -> String {
    t.as_str().expect("str").to_owned()
}

fn decode_listing(buf: &[u8]) -> Vec<Page> {
    let mut t = Tokenizer::new(buf);
    let mut pages = Vec::new();
    while t.position() < buf.len() {
        let mut next = || t.next_token().unwrap().unwrap();
        assert_eq!(next(), Token::Map(4));
        assert_eq!(next().as_str(), Some("UUID"));
        let uuid = str_of(next());
        assert_eq!(next().as_str(), Some("ContinuationToken"));
        let token = str_of(next());
        assert_eq!(next().as_str(), Some("Entries"));
        let Token::Array(n) = next() else { panic!() };
        let mut entries = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let Token::Map(k) = next() else { panic!() };
            let mut e = Entry::default();
            for _ in 0..k {
                let key = next();
                let v = next();
                match key.as_str().unwrap() {
                    "n" => e.name = str_of(v),
                    "cs" => e.checksum = str_of(v),
                    "a" => e.atime = str_of(v),
                    "v" => e.version = str_of(v),
                    "t" => e.location = str_of(v),
                    "m" => e.custom = str_of(v),
                    "s" => e.size = v.as_i64().unwrap(),
                    "c" => e.copies = v.as_i64().unwrap() as i16,
                    "f" => e.flags = v.as_u64().unwrap() as u16,
                    other => panic!("key {other}"),
                }
            }
            entries.push(e);
        }
        assert_eq!(next().as_str(), Some("Flags"));
        let flags = next().as_u64().unwrap();
        pages.push(Page {
            uuid,
            token,
            entries,
            flags,
        });
    }
    pages
}

fn decode_messages(buf: &[u8]) -> Vec<Message> {
    let mut t = Tokenizer::new(buf);
    let mut out = Vec::new();
    while let Some(tok) = t.next_token().unwrap() {
        assert_eq!(tok, Token::Map(4));
        let mut next = || t.next_token().unwrap().unwrap();
        assert_eq!(next().as_str(), Some("user_id"));
        let user_id = str_of(next());
        assert_eq!(next().as_str(), Some("audio"));
        let Token::Bin(audio) = next() else { panic!() };
        assert_eq!(next().as_str(), Some("premium"));
        let Token::Bool(premium) = next() else {
            panic!()
        };
        assert_eq!(next().as_str(), Some("ts"));
        let Token::Timestamp(ts) = next() else {
            panic!()
        };
        out.push(Message {
            user_id,
            audio: audio.to_vec(),
            premium,
            ts,
        });
    }
    out
}

fn entry_len(e: &Entry) -> u32 {
    1 + [
        !e.checksum.is_empty(),
        !e.atime.is_empty(),
        !e.version.is_empty(),
        !e.location.is_empty(),
        !e.custom.is_empty(),
        e.size != 0,
        e.copies != 0,
        e.flags != 0,
    ]
    .iter()
    .filter(|&&b| b)
    .count() as u32
}

// ---- msgskim ----

fn listing_msgskim(pages: &[Page], out: &mut Vec<u8>) {
    let mut w = Writer::with_mode(out, IntMode::GoCompatible);
    for p in pages {
        w.map_len(4).unwrap();
        w.str("UUID").unwrap();
        w.str(&p.uuid).unwrap();
        w.str("ContinuationToken").unwrap();
        w.str(&p.token).unwrap();
        w.str("Entries").unwrap();
        w.array_len(p.entries.len() as u32).unwrap();
        for e in &p.entries {
            w.map_len(entry_len(e)).unwrap();
            w.str("n").unwrap();
            w.str(&e.name).unwrap();
            if !e.checksum.is_empty() {
                w.str("cs").unwrap();
                w.str(&e.checksum).unwrap();
            }
            if !e.atime.is_empty() {
                w.str("a").unwrap();
                w.str(&e.atime).unwrap();
            }
            if !e.version.is_empty() {
                w.str("v").unwrap();
                w.str(&e.version).unwrap();
            }
            if !e.location.is_empty() {
                w.str("t").unwrap();
                w.str(&e.location).unwrap();
            }
            if !e.custom.is_empty() {
                w.str("m").unwrap();
                w.str(&e.custom).unwrap();
            }
            if e.size != 0 {
                w.str("s").unwrap();
                w.int(e.size).unwrap();
            }
            if e.copies != 0 {
                w.str("c").unwrap();
                w.int(e.copies.into()).unwrap();
            }
            if e.flags != 0 {
                w.str("f").unwrap();
                w.uint(e.flags.into()).unwrap();
            }
        }
        w.str("Flags").unwrap();
        w.uint(p.flags).unwrap();
    }
}

/// The messages with msgskim's `Writer` over `$out`, the audio written with `$bin` (`bin`
/// copies it, `bin_ref` references it in a gather output).
macro_rules! msgskim_messages {
    ($msgs:expr, $out:expr, $bin:ident) => {{
        let mut w = Writer::new($out);
        for m in $msgs {
            w.map_len(4).unwrap();
            w.str("user_id").unwrap();
            w.str(&m.user_id).unwrap();
            w.str("audio").unwrap();
            w.$bin(&m.audio).unwrap();
            w.str("premium").unwrap();
            w.bool(m.premium).unwrap();
            w.str("ts").unwrap();
            w.timestamp(m.ts).unwrap();
        }
    }};
}

fn messages_msgskim(msgs: &[Message], out: &mut Vec<u8>) {
    msgskim_messages!(msgs, out, bin)
}

/// The messages into a gather output: the audio payloads are referenced, not copied.
fn messages_gather<'v>(msgs: &'v [Message], out: &mut Gather<'v>) {
    msgskim_messages!(msgs, out, bin_ref)
}

// ---- rmp ----

/// Go's tinylib/msgp integer forms with rmp's primitives.
macro_rules! rmp_go_int {
    ($out:expr, $v:expr) => {{
        let v: i64 = $v;
        if (0..128).contains(&v) {
            write_pfix($out, v as u8).unwrap();
        } else if v >= 0 {
            if v <= i16::MAX as i64 {
                write_i16($out, v as i16).unwrap();
            } else if v <= i32::MAX as i64 {
                write_i32($out, v as i32).unwrap();
            } else {
                write_i64($out, v).unwrap();
            }
        } else {
            write_sint($out, v).unwrap();
        }
    }};
}

/// The listing with `rmp::encode` into `$out`: a `Vec<u8>` (through `std::io::Write`) or
/// rmp's own `ByteBuf`. A macro rather than a generic function, so that each peer is compiled
/// as plain code for its buffer type.
macro_rules! rmp_listing {
    ($pages:expr, $out:expr) => {{
        use rmp::encode::*;
        let out = $out;
        for p in $pages {
            write_map_len(out, 4).unwrap();
            write_str(out, "UUID").unwrap();
            write_str(out, &p.uuid).unwrap();
            write_str(out, "ContinuationToken").unwrap();
            write_str(out, &p.token).unwrap();
            write_str(out, "Entries").unwrap();
            write_array_len(out, p.entries.len() as u32).unwrap();
            for e in &p.entries {
                write_map_len(out, entry_len(e)).unwrap();
                write_str(out, "n").unwrap();
                write_str(out, &e.name).unwrap();
                if !e.checksum.is_empty() {
                    write_str(out, "cs").unwrap();
                    write_str(out, &e.checksum).unwrap();
                }
                if !e.atime.is_empty() {
                    write_str(out, "a").unwrap();
                    write_str(out, &e.atime).unwrap();
                }
                if !e.version.is_empty() {
                    write_str(out, "v").unwrap();
                    write_str(out, &e.version).unwrap();
                }
                if !e.location.is_empty() {
                    write_str(out, "t").unwrap();
                    write_str(out, &e.location).unwrap();
                }
                if !e.custom.is_empty() {
                    write_str(out, "m").unwrap();
                    write_str(out, &e.custom).unwrap();
                }
                if e.size != 0 {
                    write_str(out, "s").unwrap();
                    rmp_go_int!(out, e.size);
                }
                if e.copies != 0 {
                    write_str(out, "c").unwrap();
                    rmp_go_int!(out, e.copies.into());
                }
                if e.flags != 0 {
                    write_str(out, "f").unwrap();
                    write_uint(out, e.flags.into()).unwrap();
                }
            }
            write_str(out, "Flags").unwrap();
            write_uint(out, p.flags).unwrap();
        }
    }};
}

fn listing_rmp(pages: &[Page], out: &mut Vec<u8>) {
    rmp_listing!(pages, out)
}

/// The same with rmp's `ByteBuf`, its infallible `Vec` wrapper (the reused `Vec` is moved in
/// and out, which costs nothing).
fn listing_rmp_bytebuf(pages: &[Page], out: &mut Vec<u8>) {
    let mut buf = rmp::encode::ByteBuf::from_vec(std::mem::take(out));
    rmp_listing!(pages, &mut buf);
    *out = buf.into_vec();
}

/// A Timestamp in the smallest of its forms, with rmp's ext header.
macro_rules! rmp_timestamp {
    ($out:expr, $t:expr) => {{
        let t: Timestamp = $t;
        let (s, ns) = (t.seconds(), t.nanoseconds());
        if (0..1 << 34).contains(&s) {
            if ns == 0 && s <= u32::MAX as i64 {
                write_ext_meta($out, 4, -1).unwrap();
                $out.write_bytes(&(s as u32).to_be_bytes()).unwrap();
            } else {
                write_ext_meta($out, 8, -1).unwrap();
                $out.write_bytes(&(((ns as u64) << 34) | s as u64).to_be_bytes())
                    .unwrap();
            }
        } else {
            write_ext_meta($out, 12, -1).unwrap();
            $out.write_bytes(&ns.to_be_bytes()).unwrap();
            $out.write_bytes(&s.to_be_bytes()).unwrap();
        }
    }};
}

/// The messages with `rmp::encode` into `$out`, as [`rmp_listing`].
macro_rules! rmp_messages {
    ($msgs:expr, $out:expr) => {{
        use rmp::encode::*;
        let out = $out;
        for m in $msgs {
            write_map_len(out, 4).unwrap();
            write_str(out, "user_id").unwrap();
            write_str(out, &m.user_id).unwrap();
            write_str(out, "audio").unwrap();
            write_bin(out, &m.audio).unwrap();
            write_str(out, "premium").unwrap();
            write_bool(out, m.premium).unwrap();
            write_str(out, "ts").unwrap();
            rmp_timestamp!(out, m.ts);
        }
    }};
}

fn messages_rmp(msgs: &[Message], out: &mut Vec<u8>) {
    rmp_messages!(msgs, out)
}

fn messages_rmp_bytebuf(msgs: &[Message], out: &mut Vec<u8>) {
    let mut buf = rmp::encode::ByteBuf::from_vec(std::mem::take(out));
    rmp_messages!(msgs, &mut buf);
    *out = buf.into_vec();
}

type Enc<T> = fn(&[T], &mut Vec<u8>);

/// Where a gather encoder's output goes after it is built.
#[derive(Clone, Copy)]
enum Out {
    /// Nowhere: only the build is timed.
    Kept,
    /// `write_to(std::io::sink())`.
    IoSink,
    /// `write_to` a Unix socket ([`socket`]).
    Socket,
}

/// An encoder into a gather output, and where its output goes.
type GatherEnc<T> = (&'static str, for<'v> fn(&'v [T], &mut Gather<'v>), Out);

/// One end of a Unix socket pair whose other end a thread reads and discards.
#[cfg(unix)]
fn socket() -> &'static std::os::unix::net::UnixStream {
    use std::io::Read;
    static SOCKET: std::sync::OnceLock<std::os::unix::net::UnixStream> = std::sync::OnceLock::new();
    SOCKET.get_or_init(|| {
        let (tx, mut rx) = std::os::unix::net::UnixStream::pair().unwrap();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            while rx.read(&mut buf).is_ok_and(|n| n > 0) {}
        });
        tx
    })
}

/// msgskim's `Vec` output, then sent over the socket.
#[cfg(unix)]
fn messages_msgskim_socket(msgs: &[Message], out: &mut Vec<u8>) {
    use std::io::Write;
    messages_msgskim(msgs, out);
    socket().write_all(out).unwrap();
}

fn gather_threshold() -> usize {
    std::env::var("GATHER_THRESHOLD").map_or(Gather::DEFAULT_THRESHOLD, |t| {
        t.parse().expect("GATHER_THRESHOLD=bytes")
    })
}

/// Encodes `values` with each gather encoder once and checks the flattened output.
fn check_gather<'v, T>(
    name: &str,
    data: &[u8],
    values: &'v [T],
    gathers: &[GatherEnc<T>],
) -> Gather<'v> {
    let mut out = Gather::with_threshold(gather_threshold());
    for &(who, f, _) in gathers {
        out.clear();
        f(values, &mut out);
        assert!(out.to_vec() == data, "{who} reproduces the {name} bytes");
    }
    out
}

/// One iteration of a gather encoder: clear, encode, check the length, maybe write out.
#[inline(always)]
fn run_gather<'v, T>(out: &mut Gather<'v>, values: &'v [T], (_, f, io): GatherEnc<T>, len: usize) {
    out.clear();
    f(black_box(values), out);
    assert_eq!(out.len(), len);
    match io {
        Out::Kept => {}
        Out::IoSink => out.write_to(&mut std::io::sink()).unwrap(),
        #[cfg(unix)]
        Out::Socket => out.write_to(&mut socket()).unwrap(),
        #[cfg(not(unix))]
        Out::Socket => unreachable!("GATHER_SOCKET is for Unix"),
    }
}

/// Not an encoder: only the audio payloads appended to `out`, the copy every encoder into a
/// `Vec` makes, for the floor line of the alternating measurement.
fn copy_audio(msgs: &[Message], out: &mut Vec<u8>) {
    for m in msgs {
        out.extend_from_slice(&m.audio);
    }
}

/// Not an encoder: the listing walk alone, the part of every encoder's time that is the
/// bench's own (the same fields read and the same `if`s on them, and each string's first and
/// last byte touched), for the floor line of the alternating measurement. Writes nothing.
fn walk_listing(pages: &[Page], _out: &mut Vec<u8>) {
    fn touch(s: &str) -> u64 {
        let b = s.as_bytes();
        b.len() as u64 + u64::from(b[0]) + u64::from(b[b.len() - 1])
    }
    let mut sum = 0u64;
    for p in pages {
        sum += touch(&p.uuid) + p.token.len() as u64 + p.entries.len() as u64;
        for e in &p.entries {
            sum += u64::from(entry_len(e)) + touch(&e.name);
            for s in [&e.checksum, &e.atime, &e.version, &e.location, &e.custom] {
                if !s.is_empty() {
                    sum += touch(s);
                }
            }
            if e.size != 0 {
                sum += e.size as u64;
            }
            if e.copies != 0 {
                sum += e.copies as u64;
            }
            if e.flags != 0 {
                sum += u64::from(e.flags);
            }
        }
        sum += p.flags;
    }
    black_box(sum);
}

/// Encodes `values` with each encoder once and checks that each reproduces `data`.
fn check<T>(name: &str, data: &[u8], values: &[T], encoders: &[(&str, Enc<T>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &(who, f) in encoders {
        out.clear();
        f(values, &mut out);
        assert!(out == data, "{who} reproduces the {name} bytes");
    }
    out
}

fn group<T>(
    c: &mut Criterion,
    name: &str,
    data: &[u8],
    values: &[T],
    encoders: &[(&str, Enc<T>)],
    gathers: &[GatherEnc<T>],
) {
    let mut out = check(name, data, values, encoders);
    let mut gout = check_gather(name, data, values, gathers);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(data.len() as u64));
    for &(who, f) in encoders {
        g.bench_function(who, |b| {
            b.iter(|| {
                out.clear();
                f(black_box(values), &mut out);
                assert_eq!(out.len(), data.len());
            })
        });
    }
    for &enc in gathers {
        g.bench_function(enc.0, |b| {
            b.iter(|| run_gather(&mut gout, values, enc, data.len()))
        });
    }
    g.finish();
}

/// The machine-load-tolerant measurement: `rounds` rounds, each timing one encode with every
/// encoder in turn, so that all of them see the same background load; prints each encoder's
/// fastest and median round and the peers' ratios to the first encoder (msgskim).
///
/// `floor`, if given, is timed in the same rounds: a loop that is not an encoder (its output is
/// not the data; it must write the given number of bytes) and marks how fast any encoder could
/// be, such as copying the message payloads alone.
fn alternate<T>(
    name: &str,
    data: &[u8],
    values: &[T],
    encoders: &[(&str, Enc<T>)],
    gathers: &[GatherEnc<T>],
    rounds: usize,
    floor: Option<(&str, Enc<T>, usize)>,
) {
    let mut out = check(name, data, values, encoders);
    let mut gout = check_gather(name, data, values, gathers);
    let timed = encoders.len() + gathers.len();
    let mut times = vec![Vec::with_capacity(rounds); timed + 1];
    for _ in 0..rounds {
        for (&(_, f), t) in encoders.iter().zip(&mut times) {
            let start = Instant::now();
            out.clear();
            f(black_box(values), &mut out);
            t.push(start.elapsed().as_secs_f64() * 1e6);
            assert_eq!(out.len(), data.len());
        }
        for (&enc, t) in gathers.iter().zip(&mut times[encoders.len()..]) {
            let start = Instant::now();
            run_gather(&mut gout, values, enc, data.len());
            t.push(start.elapsed().as_secs_f64() * 1e6);
        }
        if let Some((_, f, len)) = floor {
            let start = Instant::now();
            out.clear();
            f(black_box(values), &mut out);
            times[timed].push(start.elapsed().as_secs_f64() * 1e6);
            assert_eq!(out.len(), len);
        }
    }
    if floor.is_none() {
        times.pop();
    }
    let stats: Vec<(f64, f64)> = times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            (t[0], t[t.len() / 2])
        })
        .collect();
    let names = encoders
        .iter()
        .map(|e| e.0)
        .chain(gathers.iter().map(|g| g.0))
        .chain(floor.map(|f| f.0));
    for (who, &(min, med)) in names.zip(&stats) {
        let (fast, mid) = (min / stats[0].0, med / stats[0].1);
        println!(
            "{name}/{who}: fastest {min:.1} µs, median {med:.1} µs; vs msgskim {fast:.2}x, {mid:.2}x"
        );
    }
}

struct Data {
    dump: Vec<u8>,
    pages: Vec<Page>,
    msgs: Vec<u8>,
    decoded: Vec<Message>,
}

impl Data {
    fn new() -> Data {
        let dump = listing(ListingConfig {
            seed: 1,
            entries: 20_000,
            page_size: 10_000,
        });
        let pages = decode_listing(&dump);
        let msgs = messages(1, 300);
        let decoded = decode_messages(&msgs);
        Data {
            dump,
            pages,
            msgs,
            decoded,
        }
    }
}

const LISTING: &[(&str, Enc<Page>)] = &[
    ("msgskim", listing_msgskim),
    ("rmp", listing_rmp),
    ("rmp-bytebuf", listing_rmp_bytebuf),
];

const MESSAGES: &[(&str, Enc<Message>)] = &[
    ("msgskim", messages_msgskim),
    ("rmp", messages_rmp),
    ("rmp-bytebuf", messages_rmp_bytebuf),
];

const MESSAGES_GATHER: &[GatherEnc<Message>] = &[
    ("msgskim-gather", messages_gather, Out::Kept),
    ("msgskim-gather+write_to", messages_gather, Out::IoSink),
];

/// The messages' encoders, with the socket lines if `GATHER_SOCKET` is set.
#[allow(clippy::type_complexity)]
fn messages_encoders() -> (Vec<(&'static str, Enc<Message>)>, Vec<GatherEnc<Message>>) {
    let (mut vecs, mut gathers) = (MESSAGES.to_vec(), MESSAGES_GATHER.to_vec());
    #[cfg(unix)]
    if std::env::var_os("GATHER_SOCKET").is_some() {
        vecs.push(("msgskim+socket", messages_msgskim_socket));
        gathers.push(("msgskim-gather+socket", messages_gather, Out::Socket));
    }
    (vecs, gathers)
}

/// `cargo bench --bench write` runs criterion; with `WRITE_ALTERNATE=ROUNDS` set it runs
/// [`alternate`] instead (the listing for ROUNDS rounds, the messages for four times as many).
fn main() {
    let d = Data::new();
    let (vecs, gathers) = messages_encoders();
    if let Ok(rounds) = std::env::var("WRITE_ALTERNATE") {
        let rounds: usize = rounds.parse().expect("WRITE_ALTERNATE=number of rounds");
        let walk = ("floor: the walk alone", walk_listing as Enc<Page>, 0);
        alternate(
            "write/listing",
            &d.dump,
            &d.pages,
            LISTING,
            &[],
            rounds,
            Some(walk),
        );
        let bins = d.decoded.iter().map(|m| m.audio.len()).sum();
        let floor = ("floor: audio bytes only", copy_audio as Enc<Message>, bins);
        alternate(
            "write/messages",
            &d.msgs,
            &d.decoded,
            &vecs,
            &gathers,
            4 * rounds,
            Some(floor),
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    group(&mut c, "write/listing", &d.dump, &d.pages, LISTING, &[]);
    group(
        &mut c,
        "write/messages",
        &d.msgs,
        &d.decoded,
        &vecs,
        &gathers,
    );
    c.final_summary();
}
