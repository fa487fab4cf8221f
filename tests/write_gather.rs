//! The gather output: random values written with payloads referenced (borrowed or shared) give
//! exactly the bytes the `Vec<u8>` writer gives, at every threshold, through every way of
//! reading the output back (pieces, `io::Write` with partial and interrupted writes, the
//! `bytes::Buf` cursor); `clear()` reuses the buffers; errors come back with offsets.

use std::io::{self, IoSlice, Write};

use bytes::{Buf, Bytes};
use msgskim::gen::Rng;
use msgskim::write::{Deferred, Gather, Open, PatchSink, Sink, Writer};
use msgskim::{ErrorKind, RawValue, Timestamp};

/// One step of a program of writer calls.
#[derive(Clone, Debug)]
enum Op {
    Nil,
    Bool(bool),
    UInt(u64),
    Int(i64),
    F64(f64),
    Ts(Timestamp),
    Str(String),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    /// A header and its payload in two pieces.
    BinPieces(Vec<u8>, Vec<u8>),
    /// One or more complete values, spliced.
    Raw(Vec<u8>),
    /// One complete value, spliced as a `RawValue`.
    RawValue(Vec<u8>),
    Array(u32),
    Map(u32),
    Begin(bool, Deferred),
    End,
}

/// A payload length: mostly around the header-form and threshold boundaries, sometimes up to
/// 70,000 bytes.
fn length(r: &mut Rng) -> usize {
    const EDGES: [usize; 14] = [
        0, 1, 15, 16, 31, 32, 255, 256, 511, 512, 513, 1024, 65_535, 65_536,
    ];
    match r.below(8) {
        0 | 1 => EDGES[r.below(EDGES.len() as u64) as usize],
        2 => r.below(70_000) as usize,
        _ => 1 << r.below(11) as usize | r.below(64) as usize,
    }
}

fn payload(r: &mut Rng) -> Vec<u8> {
    let mut v = vec![0; length(r)];
    r.fill(&mut v);
    v
}

fn text(r: &mut Rng) -> String {
    (0..length(r))
        .map(|_| char::from(b'a' + r.below(26) as u8))
        .collect()
}

/// A complete value of a few bytes or more, as MessagePack.
fn raw_value(r: &mut Rng) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    w.array_len(3).unwrap();
    w.str("raw").unwrap();
    w.bin(&payload(r)).unwrap();
    w.int(-(r.below(1000) as i64)).unwrap();
    w.into_inner()
}

/// One value's ops (two values spliced by one `Raw` at the top level), nesting at most
/// `depth` more levels.
fn value(r: &mut Rng, depth: u32, top: bool, ops: &mut Vec<Op>) {
    let kind = if depth == 0 { r.below(12) } else { r.below(16) };
    let op = match kind {
        0 => Op::Nil,
        1 => Op::Bool(r.chance(50)),
        2 => Op::UInt(r.next_u64() >> r.below(64)),
        3 => Op::Int((r.next_u64() as i64) >> r.below(64)),
        4 => Op::F64(f64::from_bits(r.next_u64())),
        5 => Op::Ts(
            Timestamp::new(
                r.next_u64() as i64 >> r.below(40),
                r.below(1_000_000_000) as u32,
            )
            .unwrap(),
        ),
        6 => Op::Str(text(r)),
        7 | 8 => Op::Bin(payload(r)),
        9 => {
            let ty = (r.below(128) as i8).max(0);
            Op::Ext(ty, payload(r))
        }
        10 => Op::BinPieces(payload(r), payload(r)),
        11 => {
            if top && r.chance(50) {
                let mut two = raw_value(r);
                two.extend(raw_value(r));
                Op::Raw(two)
            } else {
                Op::RawValue(raw_value(r))
            }
        }
        _ => {
            let map = r.chance(50);
            let n = r.below(6) as u32;
            let how = match r.below(3) {
                0 => Some(Deferred::Patch),
                1 => Some(Deferred::Compact),
                _ => None,
            };
            ops.push(match (how, map) {
                (Some(how), _) => Op::Begin(map, how),
                (None, true) => Op::Map(n),
                (None, false) => Op::Array(n),
            });
            for _ in 0..if map { 2 * n } else { n } {
                value(r, depth - 1, false, ops);
            }
            if how.is_some() {
                ops.push(Op::End);
            }
            return;
        }
    };
    ops.push(op);
}

fn program(seed: u64) -> Vec<Op> {
    let mut r = Rng::new(seed);
    let mut ops = Vec::new();
    for _ in 0..1 + r.below(12) {
        value(&mut r, 3, true, &mut ops);
    }
    ops
}

/// Writes one op with the copying methods; the same for every sink.
fn write_copied<S: PatchSink>(w: &mut Writer<S>, op: &Op, open: &mut Vec<Open>) {
    match op {
        Op::Nil => w.nil(),
        Op::Bool(b) => w.bool(*b),
        Op::UInt(v) => w.uint(*v),
        Op::Int(v) => w.int(*v),
        Op::F64(v) => w.f64(*v),
        Op::Ts(t) => w.timestamp(*t),
        Op::Str(s) => w.str(s),
        Op::Bin(b) => w.bin(b),
        Op::Ext(ty, d) => w.ext(*ty, d),
        Op::BinPieces(a, b) => w
            .bin_len((a.len() + b.len()) as u32)
            .and_then(|()| w.payload(a))
            .and_then(|()| w.payload(b)),
        Op::Raw(m) => w.raw(m),
        Op::RawValue(m) => w.raw_value(RawValue::new(m).unwrap()),
        Op::Array(n) => w.array_len(*n),
        Op::Map(n) => w.map_len(*n),
        Op::Begin(map, how) => {
            let o = if *map {
                w.begin_map(*how)
            } else {
                w.begin_array(*how)
            };
            open.push(o.unwrap());
            Ok(())
        }
        Op::End => w.end(open.pop().unwrap()),
    }
    .unwrap();
}

/// How the payloads go into the gather.
#[derive(Clone, Copy, Debug)]
enum Via {
    Borrowed,
    Shared,
    /// Each payload borrowed, shared or copied, at random.
    Mixed(u64),
}

/// Writes `ops` into `w` with payloads referenced as `via` says.
fn write_gathered<'a>(w: &mut Writer<&mut Gather<'a>>, ops: &'a [Op], via: Via) {
    let mut open = Vec::new();
    let mut r = Rng::new(match via {
        Via::Mixed(seed) => seed,
        _ => 0,
    });
    for op in ops {
        let how = match via {
            Via::Borrowed => 0,
            Via::Shared => 1,
            Via::Mixed(_) => r.below(3),
        };
        let shared = |b: &[u8]| Bytes::copy_from_slice(b);
        let done = match (op, how) {
            (_, 2) => {
                write_copied(w, op, &mut open);
                Ok(())
            }
            (Op::Str(s), 0) => w.str_ref(s),
            (Op::Str(s), _) => w.str_shared(shared(s.as_bytes())),
            (Op::Bin(b), 0) => w.bin_ref(b),
            (Op::Bin(b), _) => w.bin_shared(shared(b)),
            (Op::Ext(ty, d), 0) => w.ext_ref(*ty, d),
            (Op::Ext(ty, d), _) => w.ext_shared(*ty, shared(d)),
            (Op::BinPieces(a, b), how) => {
                w.bin_len((a.len() + b.len()) as u32).unwrap();
                if how == 0 {
                    w.payload_ref(a).and_then(|()| w.payload_ref(b))
                } else {
                    w.payload_shared(shared(a))
                        .and_then(|()| w.payload_shared(shared(b)))
                }
            }
            (Op::Raw(m), 0) => w.raw_ref(m),
            (Op::Raw(m), _) => w.raw_shared(shared(m)),
            (Op::RawValue(m), _) => w.raw_value_ref(RawValue::new(m).unwrap()),
            _ => {
                write_copied(w, op, &mut open);
                Ok(())
            }
        };
        done.unwrap();
        assert_eq!(w.get_ref().position(), w.get_ref().len() as u64);
    }
    assert!(open.is_empty());
}

fn vec_output(ops: &[Op]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let mut open = Vec::new();
    for op in ops {
        write_copied(&mut w, op, &mut open);
    }
    w.finish().unwrap()
}

/// Every way of reading the gather back gives `want`.
fn check_output(g: &Gather<'_>, want: &[u8], what: &str) {
    assert_eq!(g.len(), want.len(), "{what}: len");
    assert_eq!(g.is_empty(), want.is_empty());
    assert_eq!(g.to_vec(), want, "{what}: to_vec");
    let mut joined = vec![0xee];
    g.extend_into(&mut joined);
    assert_eq!(&joined[1..], want, "{what}: extend_into");
    assert!(g.chunks().all(|c| !c.is_empty()));
    assert_eq!(
        g.chunks().collect::<Vec<_>>().concat(),
        want,
        "{what}: chunks"
    );
    let slices = g.io_slices();
    assert_eq!(
        slices.iter().map(|s| &s[..]).collect::<Vec<_>>().concat(),
        want
    );
    let mut out = Vec::new();
    g.write_to(&mut out).unwrap();
    assert_eq!(out, want, "{what}: write_to");
    let mut cur = g.cursor();
    assert_eq!(cur.remaining(), want.len());
    let mut copied = vec![0; want.len()];
    cur.copy_to_slice(&mut copied);
    assert_eq!(copied, want, "{what}: Buf");
    assert!(!cur.has_remaining() && cur.chunk().is_empty());
}

#[test]
fn random_values_give_the_vec_writers_bytes_at_every_threshold() {
    let mut referenced_some = 0;
    for seed in 0..60 {
        let ops = program(seed);
        let want = vec_output(&ops);
        let thresholds = [
            0,
            1,
            32,
            Gather::DEFAULT_THRESHOLD,
            70_000,
            usize::MAX,
            Rng::new(seed).below(2000) as usize,
        ];
        for t in thresholds {
            for via in [Via::Borrowed, Via::Shared, Via::Mixed(seed)] {
                let mut g = Gather::with_threshold(t);
                let mut w = Writer::new(&mut g);
                write_gathered(&mut w, &ops, via);
                w.finish().unwrap();
                check_output(&g, &want, &format!("seed {seed} threshold {t} {via:?}"));
                if t == usize::MAX {
                    assert_eq!(g.referenced(), 0);
                    assert_eq!(g.owned_len(), want.len());
                }
                referenced_some += usize::from(g.referenced() > 0);
            }
        }
    }
    // The programs do reference payloads (not everything was copied).
    assert!(referenced_some > 500, "{referenced_some}");
}

#[test]
fn a_writer_owning_its_gather_and_the_copying_sink_methods() {
    let big = vec![0x5a; 3000];
    let mut w = Writer::new(Gather::new());
    w.array_len(3).unwrap();
    w.bin(&big).unwrap(); // copied: the plain method
    w.bin_ref(&big).unwrap(); // referenced
    w.ext(1, &big[..16]).unwrap();
    let g = w.finish().unwrap();
    assert_eq!(g.referenced(), 1);
    assert_eq!(g.owned_len(), 1 + 3 + 3000 + 3 + 2 + 16);

    let mut v = Writer::new(Vec::new());
    v.array_len(3).unwrap();
    v.bin(&big).unwrap();
    v.bin(&big).unwrap();
    v.ext(1, &big[..16]).unwrap();
    check_output(&g, &v.finish().unwrap(), "owned gather");

    // The Sink methods, called directly, copy too.
    let mut g = Gather::with_threshold(0);
    g.put(&[0x92]).unwrap();
    g.put_u8(0xc0).unwrap();
    g.put_value(&[0xa1, 0, 0, 0, 0, 0, 0, 0, 0], 1, b"x")
        .unwrap();
    assert_eq!(g.referenced(), 0);
    assert_eq!(g.to_vec(), [0x92, 0xc0, 0xa1, b'x']);
}

#[test]
fn counting_for_containers_of_unknown_length_sees_referenced_values() {
    let frames: Vec<Vec<u8>> = (0..40).map(|i| vec![i as u8; 100 * i]).collect();
    for how in [Deferred::Compact, Deferred::Patch] {
        let mut g = Gather::with_threshold(64);
        let mut w = Writer::new(&mut g);
        let outer = w.begin_map(how).unwrap();
        for (i, f) in frames.iter().enumerate() {
            w.uint(i as u64).unwrap();
            let inner = w.begin_array(how).unwrap();
            w.bin_ref(f).unwrap();
            w.str_shared(Bytes::from(vec![b'q'; i * 7])).unwrap();
            w.end(inner).unwrap();
        }
        w.end(outer).unwrap();
        w.finish().unwrap();

        let mut v = Writer::new(Vec::new());
        let outer = v.begin_map(how).unwrap();
        for (i, f) in frames.iter().enumerate() {
            v.uint(i as u64).unwrap();
            let inner = v.begin_array(how).unwrap();
            v.bin(f).unwrap();
            v.str_bytes(&vec![b'q'; i * 7]).unwrap();
            v.end(inner).unwrap();
        }
        v.end(outer).unwrap();
        check_output(&g, &v.finish().unwrap(), &format!("{how:?}"));
        assert!(g.referenced() > 60);
    }

    // A known-length container must get its elements, referenced or not.
    let data = [1u8; 1000];
    let mut g = Gather::new();
    let mut w = Writer::new(&mut g);
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.array_len(2).unwrap();
    w.bin_ref(&data).unwrap();
    assert_eq!(w.end(a).unwrap_err().kind(), ErrorKind::UnbalancedContainer);
}

#[test]
fn clear_reuses_the_buffers() {
    let data: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; 600 + i]).collect();
    fn write<'a>(g: &mut Gather<'a>, data: &'a [Vec<u8>]) {
        let mut w = Writer::new(g);
        w.array_len(data.len() as u32).unwrap();
        for d in data {
            w.bin_ref(d).unwrap();
        }
    }
    let mut g = Gather::new();
    write(&mut g, &data);
    let first = g.chunks().next().unwrap().as_ptr();
    let full = g.to_vec();
    g.clear();
    assert!(g.is_empty() && g.referenced() == 0 && g.owned_len() == 0);
    assert_eq!(g.chunks().count(), 0);
    assert_eq!(g.to_vec(), b"");
    write(&mut g, &data[..20]);
    // The owned buffer is the same allocation.
    assert_eq!(g.chunks().next().unwrap().as_ptr(), first);
    assert_eq!(g.referenced(), 20);
    let mut want = vec![0xdc, 0, 20];
    for d in &data[..20] {
        want.extend([0xc5, 0x02, (600 + d[0] as usize - 512) as u8]);
        want.extend(d);
    }
    check_output(&g, &want, "after clear");
    g.clear();
    write(&mut g, &data);
    check_output(&g, &full, "again");
}

/// Takes at most `max` bytes a call (across slices, when vectored), and fails every third
/// call with `Interrupted`.
struct Trickle {
    max: usize,
    calls: usize,
    vectored: bool,
    out: Vec<u8>,
}

impl Write for Trickle {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(b)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(self.max - n);
            self.out.extend_from_slice(&b[..take]);
            n += take;
            if n == self.max || !self.vectored {
                break;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_to_goes_on_after_partial_and_interrupted_writes() {
    for seed in 100..115 {
        let ops = program(seed);
        let want = vec_output(&ops);
        let mut g = Gather::with_threshold(seed as usize % 3 * 40);
        write_gathered(&mut Writer::new(&mut g), &ops, Via::Mixed(seed));
        for max in [1, 2, 3, 7, 64, 5000] {
            for vectored in [false, true] {
                let mut t = Trickle {
                    max,
                    calls: 0,
                    vectored,
                    out: Vec::new(),
                };
                g.write_to(&mut t).unwrap();
                assert_eq!(t.out, want, "seed {seed} max {max} vectored {vectored}");
                if max == 1 {
                    assert!(t.calls > want.len());
                }
            }
        }
    }
}

/// Fails with `kind` once `left` bytes have been taken (`Ok(0)` for `WriteZero`), or claims to
/// have written `lie` bytes more than it did.
struct Failing {
    left: usize,
    kind: io::ErrorKind,
    lie: usize,
}

impl Write for Failing {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return match self.kind {
                io::ErrorKind::WriteZero => Ok(0),
                kind => Err(kind.into()),
            };
        }
        let n = b.len().min(self.left);
        self.left -= n;
        Ok(n + self.lie)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_to_reports_io_errors_at_the_first_byte_not_written() {
    let data = [7u8; 1000];
    let mut g = Gather::new();
    let mut w = Writer::new(&mut g);
    w.array_len(3).unwrap();
    w.bin_ref(&data).unwrap();
    w.str("tail").unwrap();
    w.bin_ref(&data).unwrap();
    assert_eq!(g.len(), 1 + 1003 + 5 + 1003);
    for left in [0, 1, 4, 500, 1004, 1009, 2011] {
        for kind in [io::ErrorKind::BrokenPipe, io::ErrorKind::WriteZero] {
            let mut f = Failing { left, kind, lie: 0 };
            let r = g.write_to(&mut f);
            if left >= g.len() {
                assert!(r.is_ok());
                continue;
            }
            let e = r.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Io(kind));
            assert_eq!(e.offset(), left as u64);
        }
    }
    let mut f = Failing {
        left: usize::MAX,
        kind: io::ErrorKind::Other,
        lie: 1 << 20,
    };
    let e = g.write_to(&mut f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io(io::ErrorKind::InvalidData));
    assert_eq!(e.offset(), 0);
}

#[test]
fn the_buf_cursor_advances_across_piece_boundaries() {
    let ops = program(7);
    let want = vec_output(&ops);
    let mut g = Gather::with_threshold(16);
    write_gathered(&mut Writer::new(&mut g), &ops, Via::Borrowed);
    assert!(g.referenced() > 3);
    // Steps of every size from 1 to 40 and some large ones, checking `chunk` each time.
    for step in (1..=40).chain([255, 256, 1000, 65_537]) {
        let mut cur = g.cursor();
        let mut pos = 0;
        while cur.has_remaining() {
            let c = cur.chunk();
            assert!(!c.is_empty());
            assert_eq!(c, &want[pos..pos + c.len()], "step {step} at {pos}");
            let n = step.min(cur.remaining());
            cur.advance(n);
            pos += n;
            assert_eq!(cur.remaining(), want.len() - pos);
        }
        assert_eq!(pos, want.len());
    }
    // chunks_vectored with room for a few slices at a time, from mid-piece positions.
    for room in 1..5 {
        let mut cur = g.cursor();
        cur.advance(3);
        let mut got = want[..3].to_vec();
        while cur.has_remaining() {
            let mut dst = [IoSlice::new(&[]); 4];
            let n = cur.chunks_vectored(&mut dst[..room]);
            assert!(n >= 1 && n <= room);
            let taken: usize = dst[..n].iter().map(|s| s.len()).sum();
            for s in &dst[..n] {
                assert!(!s.is_empty());
                got.extend_from_slice(s);
            }
            // Advance by one byte less than offered (when possible), to land mid-piece.
            let adv = if taken > 1 { taken - 1 } else { taken };
            got.truncate(got.len() - (taken - adv));
            cur.advance(adv);
        }
        assert_eq!(got, want, "room {room}");
    }
    // Advancing past the end stops there.
    let mut cur = g.cursor();
    cur.advance(want.len() + 10);
    assert_eq!(cur.remaining(), 0);
    assert!(cur.chunk().is_empty());
    let mut dst = [IoSlice::new(&[])];
    assert_eq!(cur.chunks_vectored(&mut dst), 0);
    // An empty gather's cursor.
    let empty = Gather::new();
    assert_eq!(empty.cursor().remaining(), 0);
    assert!(empty.cursor().chunk().is_empty());
}

#[test]
fn empty_payloads_are_never_referenced() {
    let mut g = Gather::with_threshold(0);
    let mut w = Writer::new(&mut g);
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.bin_ref(&[]).unwrap();
    w.str_ref("").unwrap();
    w.ext_shared(5, Bytes::new()).unwrap();
    w.payload_ref(&[]).unwrap();
    w.bin_ref(&[9]).unwrap();
    w.end(a).unwrap();
    w.finish().unwrap();
    assert_eq!(g.referenced(), 1);
    let want = [0x94, 0xc4, 0, 0xa0, 0xc7, 0, 5, 0xc4, 1, 9];
    check_output(&g, &want, "empty payloads");
    assert_eq!(g.chunks().collect::<Vec<_>>(), [&want[..9], &[9][..]]);
}

#[test]
fn errors_from_the_borrowing_methods() {
    let mut w = Writer::new(Gather::new());
    w.array_len(1).unwrap();
    let e = w.raw_ref(&[0x92, 0x01]).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Truncated { .. }));
    assert_eq!(w.get_ref().len(), 1, "nothing written");
    let e = w.raw_shared(Bytes::from_static(&[0xc1])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ReservedByte);
    w.raw_ref(&[0xc0]).unwrap();
    assert_eq!(w.finish().unwrap().to_vec(), [0x91, 0xc0]);
}

#[test]
#[should_panic(expected = "not owned bytes")]
fn patching_a_referenced_payload_panics() {
    let data = [1u8; 1000];
    let mut g = Gather::new();
    Writer::new(&mut g).bin_ref(&data).unwrap();
    // Bytes 3.. are the referenced payload, which cannot be changed.
    g.patch(10, &[0]);
}

#[test]
fn patching_owned_bytes_between_payloads() {
    let data = [1u8; 1000];
    let mut g = Gather::new();
    let mut w = Writer::new(&mut g);
    w.bin_ref(&data).unwrap();
    w.str("abcd").unwrap();
    w.bin_ref(&data).unwrap();
    // The str sits at 1003..1008, between the payloads.
    g.patch(1004, b"xy");
    g.close_gap(1006, 2);
    let mut want = vec![0xc5, 0x03, 0xe8];
    want.extend(data);
    want.extend([0xa4, b'x', b'y']);
    want.extend([0xc5, 0x03, 0xe8]);
    want.extend(data);
    check_output(&g, &want, "patched");
}

/// tokio's `write_all_buf` sends the cursor: over an in-memory pipe with a small buffer (one
/// `chunk` a write, many partial writes) and over TCP (vectored writes).
#[tokio::test]
async fn tokio_write_all_buf_sends_the_gather() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let ops: Vec<Op> = (21..31).flat_map(program).collect();
    let want = vec_output(&ops);
    let mut g = Gather::with_threshold(64);
    write_gathered(&mut Writer::new(&mut g), &ops, Via::Mixed(21));
    assert!(g.referenced() > 5, "{}", g.referenced());

    let (mut tx, mut rx) = tokio::io::duplex(100);
    let send = async {
        let mut cur = g.cursor();
        tx.write_all_buf(&mut cur).await.unwrap();
        assert_eq!(cur.remaining(), 0);
        drop(tx);
    };
    let mut got = Vec::new();
    let recv = rx.read_to_end(&mut got);
    let ((), n) = tokio::join!(send, recv);
    assert_eq!(n.unwrap(), want.len());
    assert_eq!(got, want);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let send = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all_buf(&mut g.cursor()).await.unwrap();
        s.shutdown().await.unwrap();
    };
    let recv = async {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        got
    };
    let ((), got) = tokio::join!(send, recv);
    assert_eq!(got, want);
}

/// `copy_to_bytes` hands out a run inside a shared payload as a slice of that payload (the
/// same memory), and copies runs that are owned or cross a piece boundary; either way the
/// bytes are the stream's.
#[test]
fn copy_to_bytes_slices_shared_payloads() {
    let audio = Bytes::from((0..1000u32).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    let mut g = Gather::new();
    let mut w = Writer::new(&mut g);
    w.array_len(2).unwrap();
    w.bin_shared(audio.clone()).unwrap();
    w.str("tail").unwrap();
    let flat = g.to_vec();
    let head = flat.len() - audio.len() - 5; // array header and bin 16 header
    assert_eq!(head, 4);

    let mut cur = g.cursor();
    // The headers: owned, copied.
    let first = cur.copy_to_bytes(head);
    assert_eq!(&first[..], &flat[..head]);
    // Within the payload: the payload's own memory.
    let mid = cur.copy_to_bytes(600);
    assert_eq!(&mid[..], &audio[..600]);
    assert_eq!(mid.as_ptr(), audio.as_ptr());
    let mid2 = cur.copy_to_bytes(100);
    assert_eq!(mid2.as_ptr(), audio[600..].as_ptr());
    // Across the payload's end into the owned tail: copied, and still the stream's bytes.
    let rest = cur.remaining();
    let last = cur.copy_to_bytes(rest);
    assert_eq!(&last[..], &flat[head + 700..]);
    assert_ne!(last.as_ptr(), audio[700..].as_ptr());
    assert_eq!(cur.remaining(), 0);
}
