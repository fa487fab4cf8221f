//! Writer -> tokenizer round trip.
//!
//! The input is a program: a sequence of values (scalars of every type at every size boundary,
//! nested arrays and maps) chosen from the fuzz bytes. Each value is written with the
//! [`Writer`]; then the tokenizer must read back exactly the tokens written, `skip_value` must
//! find every top-level value's end, and `validate` must accept the whole output.
//!
//! Containers are written with a known length, or opened with `begin_array`/`begin_map` and
//! closed with `end` (either deferred strategy: a patched 5-byte header, or the smallest header
//! with the contents moved down).
//!
//! Also checked: in the default integer mode every header is the smallest form (the bytes rmp's
//! encoder writes for the same value), and containers closed with `Deferred::Compact` give the
//! very bytes that writing their length up front gives; re-encoding the tokens read back with
//! `Writer::token` reproduces the output byte for byte; splicing each top-level value back in
//! with `Writer::raw_value` does too; a [`SliceSink`] of any size writes a prefix of the same
//! bytes, failing only with `BufferFull`; and a [`Gather`] with the str, bin and ext payloads
//! referenced, borrowed or as `Bytes` of their own (at a threshold picked from the input's
//! length), gives the same bytes, flattened, through `write_to` and taken apart through its
//! `Buf` cursor with `copy_to_bytes`.
#![no_main]

use arbitrary::{Result, Unstructured};
use bytes::{Buf, Bytes};
use libfuzzer_sys::fuzz_target;
use msgskim::write::{Deferred, Gather, IntMode, Open, PatchSink, SliceSink, Writer};
use msgskim::{ErrorKind, Limits, RawValue, Timestamp, Token, Tokenizer};
use msgskim_fuzz::{scalar, V};

/// One header or scalar, as the tokenizer should return it.
#[derive(Debug, PartialEq)]
enum Tok {
    Scalar(V),
    Array(u32),
    Map(u32),
}

enum Op {
    Nil,
    Bool(bool),
    UInt(u64),
    Int(i64),
    F32(f32),
    F64(f64),
    Str(Vec<u8>),
    StrUtf8(String),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    Ts(Timestamp),
    Array(u32),
    Map(u32),
    /// A container of unknown length, opened now; `n` is how many elements (pairs) follow.
    Begin {
        map: bool,
        how: Deferred,
        n: u32,
    },
    /// Closes the innermost `Begin`.
    End,
}

/// Integers near every format boundary, and anything else.
fn interesting_u64(u: &mut Unstructured<'_>) -> Result<u64> {
    const EDGES: [u64; 10] = [
        0,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        u32::MAX as u64,
        1 << 32,
        u64::MAX,
    ];
    Ok(match u.int_in_range(0..=3)? {
        0 => EDGES[u.choose_index(EDGES.len())?],
        1 => EDGES[u.choose_index(EDGES.len())?].wrapping_add(u.int_in_range(0..=2)?),
        _ => u.arbitrary()?,
    })
}

fn interesting_i64(u: &mut Unstructured<'_>) -> Result<i64> {
    const EDGES: [i64; 12] = [
        -1,
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        i32::MIN as i64,
        i32::MIN as i64 - 1,
        i64::MIN,
        127,
        i64::MAX,
    ];
    Ok(match u.int_in_range(0..=3)? {
        0 => EDGES[u.choose_index(EDGES.len())?],
        1 => EDGES[u.choose_index(EDGES.len())?].wrapping_sub(u.int_in_range(0..=2)?),
        _ => u.arbitrary()?,
    })
}

/// A payload length around the str8/str16/str32 boundaries, then bytes for it (from the input
/// while it lasts, a pattern after).
fn payload(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = match u.int_in_range(0..=15)? {
        0 => u.int_in_range(250..=260)?,
        1 if u.ratio(1, 512)? => u.int_in_range(65_530..=65_540)?,
        _ => u.int_in_range(0..=40)?,
    };
    let take = u.bytes(len.min(u.len()))?;
    let mut v = take.to_vec();
    v.extend((v.len()..len).map(|i| i as u8));
    Ok(v)
}

/// One value: its ops in write order, with `budget` bounding the total number of ops.
fn value(
    u: &mut Unstructured<'_>,
    depth: usize,
    budget: &mut usize,
    ops: &mut Vec<Op>,
) -> Result<()> {
    if *budget == 0 {
        ops.push(Op::Nil);
        return Ok(());
    }
    *budget -= 1;
    let kind = u.int_in_range(0..=13)?;
    let op = match kind {
        0 => Op::Nil,
        1 => Op::Bool(u.arbitrary()?),
        2 => Op::UInt(interesting_u64(u)?),
        3 => Op::Int(interesting_i64(u)?),
        4 => Op::F32(f32::from_bits(u.arbitrary()?)),
        5 => Op::F64(f64::from_bits(u.arbitrary()?)),
        6 => Op::Str(payload(u)?),
        7 => Op::StrUtf8(String::from_utf8_lossy(&payload(u)?).into_owned()),
        8 => Op::Bin(payload(u)?),
        9 => {
            // Type -1 is the timestamp; arbitrary data under it is another test's business.
            let ty = match u.arbitrary::<i8>()? {
                -1 => -2,
                t => t,
            };
            let data = match u.int_in_range(0..=2)? {
                0 => payload(u)?,
                _ => {
                    let n = [0usize, 1, 2, 3, 4, 8, 16, 17][u.choose_index(8)?];
                    let mut d = u.bytes(n.min(u.len()))?.to_vec();
                    d.resize(n, 0xee);
                    d
                }
            };
            Op::Ext(ty, data)
        }
        10 => {
            let secs = match u.int_in_range(0..=3)? {
                0 => u.int_in_range(0..=u32::MAX as i64)?,
                1 => u.int_in_range(0..=(1i64 << 34) - 1)?,
                2 => u.int_in_range((1i64 << 34) - 2..=(1i64 << 34) + 2)?,
                _ => u.arbitrary()?,
            };
            let nanos = if u.arbitrary()? {
                0
            } else {
                u.int_in_range(0..=999_999_999)?
            };
            Op::Ts(Timestamp::new(secs, nanos).expect("nanoseconds in range"))
        }
        11 | 12 if depth < 64 => {
            let n: u32 = match u.int_in_range(0..=31)? {
                0 => u.int_in_range(14..=17)?,
                1 if depth == 0 && u.ratio(1, 256)? => u.int_in_range(65_535..=65_536)?,
                _ => u.int_in_range(0..=4)?,
            };
            let map = kind == 12;
            let how = match u.int_in_range(0..=3)? {
                0 => Some(Deferred::Patch),
                1 => Some(Deferred::Compact),
                _ => None,
            };
            ops.push(match (how, map) {
                (Some(how), _) => Op::Begin { map, how, n },
                (None, true) => Op::Map(n),
                (None, false) => Op::Array(n),
            });
            let children = if map { 2 * n as usize } else { n as usize };
            for _ in 0..children {
                // Big containers hold nils once the input or the budget runs dry.
                if u.is_empty() || *budget == 0 {
                    ops.push(Op::Nil);
                } else {
                    value(u, depth + 1, budget, ops)?;
                }
            }
            if how.is_some() {
                ops.push(Op::End);
            }
            return Ok(());
        }
        _ => Op::UInt(u.int_in_range(0..=127)?),
    };
    ops.push(op);
    Ok(())
}

/// Writes one op; `open` holds the containers of unknown length opened so far. `known`
/// writes every container with its length up front instead.
fn write<S: PatchSink>(
    w: &mut Writer<S>,
    op: &Op,
    open: &mut Vec<Open>,
    known: bool,
) -> core::result::Result<(), msgskim::Error> {
    match op {
        Op::Nil => w.nil(),
        Op::Bool(b) => w.bool(*b),
        Op::UInt(v) => w.uint(*v),
        Op::Int(v) => w.int(*v),
        Op::F32(v) => w.f32(*v),
        Op::F64(v) => w.f64(*v),
        Op::Str(s) => w.str_bytes(s),
        Op::StrUtf8(s) => w.str(s),
        Op::Bin(b) => w.bin(b),
        Op::Ext(ty, d) => w.ext(*ty, d),
        Op::Ts(t) => w.timestamp(*t),
        Op::Array(n) => w.array_len(*n),
        Op::Map(n) => w.map_len(*n),
        Op::Begin { map, n, .. } if known => {
            if *map {
                w.map_len(*n)
            } else {
                w.array_len(*n)
            }
        }
        Op::Begin { map, how, .. } => {
            let o = if *map {
                w.begin_map(*how)?
            } else {
                w.begin_array(*how)?
            };
            open.push(o);
            Ok(())
        }
        Op::End if known => Ok(()),
        Op::End => w.end(open.pop().expect("an End closes a Begin")),
    }
}

/// Writes one op into a gather, referencing the payloads: borrowed from the op, or (with
/// `shared`) as `Bytes` of their own.
fn write_gather<'a>(
    w: &mut Writer<&mut Gather<'a>>,
    op: &'a Op,
    open: &mut Vec<Open>,
    shared: bool,
) -> core::result::Result<(), msgskim::Error> {
    match op {
        Op::StrUtf8(s) if shared => w.str_shared(Bytes::copy_from_slice(s.as_bytes())),
        Op::Bin(b) if shared => w.bin_shared(Bytes::copy_from_slice(b)),
        Op::Ext(ty, d) if shared => w.ext_shared(*ty, Bytes::copy_from_slice(d)),
        Op::StrUtf8(s) => w.str_ref(s),
        Op::Bin(b) => w.bin_ref(b),
        Op::Ext(ty, d) => w.ext_ref(*ty, d),
        _ => write(w, op, open, false),
    }
}

fn expected(op: &Op) -> Tok {
    Tok::Scalar(match op {
        Op::Nil => V::Nil,
        Op::Bool(b) => V::Bool(*b),
        Op::UInt(v) => V::Int(*v as i128),
        Op::Int(v) => V::Int(*v as i128),
        Op::F32(v) => V::F32(v.to_bits()),
        Op::F64(v) => V::F64(v.to_bits()),
        Op::Str(s) => V::Str(s.clone()),
        Op::StrUtf8(s) => V::Str(s.as_bytes().to_vec()),
        Op::Bin(b) => V::Bin(b.clone()),
        Op::Ext(ty, d) => V::Ext(*ty, d.clone()),
        Op::Ts(t) => V::Ts(t.seconds(), t.nanoseconds()),
        Op::Array(n) | Op::Begin { map: false, n, .. } => return Tok::Array(*n),
        Op::Map(n) | Op::Begin { map: true, n, .. } => return Tok::Map(*n),
        Op::End => unreachable!("End writes no token"),
    })
}

/// What rmp's encoder writes for the same op: the smallest form.
fn rmp_bytes(op: &Op) -> Option<Vec<u8>> {
    use rmp::encode as e;
    let mut out = Vec::new();
    let r = match op {
        Op::Nil => e::write_nil(&mut out).map_err(|_| ()),
        Op::Bool(b) => e::write_bool(&mut out, *b).map_err(|_| ()),
        Op::UInt(v) => e::write_uint(&mut out, *v).map(drop).map_err(|_| ()),
        Op::Int(v) => e::write_sint(&mut out, *v).map(drop).map_err(|_| ()),
        Op::F32(v) => e::write_f32(&mut out, *v).map_err(|_| ()),
        Op::F64(v) => e::write_f64(&mut out, *v).map_err(|_| ()),
        Op::Str(s) => e::write_str_len(&mut out, s.len() as u32)
            .map(|_| out.extend_from_slice(s))
            .map_err(|_| ()),
        Op::StrUtf8(s) => e::write_str(&mut out, s).map_err(|_| ()),
        Op::Bin(b) => e::write_bin(&mut out, b).map_err(|_| ()),
        Op::Ext(ty, d) => e::write_ext_meta(&mut out, d.len() as u32, *ty)
            .map(|_| out.extend_from_slice(d))
            .map_err(|_| ()),
        Op::Array(n) => e::write_array_len(&mut out, *n).map(drop).map_err(|_| ()),
        Op::Map(n) => e::write_map_len(&mut out, *n).map(drop).map_err(|_| ()),
        // rmp has no timestamp writer; checked by length below. Deferred headers are checked
        // against writing the length up front.
        Op::Ts(_) | Op::Begin { .. } | Op::End => return None,
    };
    r.ok().map(|()| out)
}

fn timestamp_len(t: &Timestamp) -> usize {
    let (s, ns) = (t.seconds(), t.nanoseconds());
    if ns == 0 && (0..=u32::MAX as i64).contains(&s) {
        6
    } else if (0..1i64 << 34).contains(&s) {
        10
    } else {
        15
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mode = if u.ratio(1, 4)? {
        IntMode::GoCompatible
    } else {
        IntMode::Smallest
    };
    let sink_cap = u.int_in_range(0..=300usize)?;

    // Top-level values until the input runs out.
    let mut ops = Vec::new();
    let mut value_ends = Vec::new(); // index into ops just past each top-level value
    let mut budget = 2_000usize;
    while !u.is_empty() && budget > 0 {
        value(&mut u, 0, &mut budget, &mut ops)?;
        value_ends.push(ops.len());
    }

    let mut w = Writer::with_mode(Vec::new(), mode);
    let mut open = Vec::new();
    let mut op_ends = Vec::with_capacity(ops.len()); // byte offset just past each op
    for op in &ops {
        let before = w.get_ref().len();
        write(&mut w, op, &mut open, false).expect("a Vec sink never fails");
        // (Closing a compacted container moves its contents down: the output can shrink.)
        let bytes = w.get_ref().get(before..).unwrap_or(&[]);
        if mode == IntMode::Smallest {
            if let Some(want) = rmp_bytes(op) {
                assert_eq!(bytes, &want[..], "not the smallest form");
            }
        }
        if let Op::Ts(t) = op {
            assert_eq!(
                bytes.len(),
                timestamp_len(t),
                "timestamp {t:?} not in its smallest form"
            );
        }
        op_ends.push(w.get_ref().len());
    }
    assert!(open.is_empty());
    assert_eq!(w.depth(), 0);
    let out = w.finish().expect("every container closed");
    let patched = ops.iter().any(|op| {
        matches!(
            op,
            Op::Begin {
                how: Deferred::Patch,
                ..
            }
        )
    });
    let compacted = ops.iter().any(|op| {
        matches!(
            op,
            Op::Begin {
                how: Deferred::Compact,
                ..
            }
        )
    });

    // Lengths up front: the same bytes, unless a header was patched into its 5-byte form.
    let mut known = Writer::with_mode(Vec::new(), mode);
    for op in &ops {
        write(&mut known, op, &mut open, true).expect("a Vec sink never fails");
    }
    let known = known.into_inner();
    if !patched {
        assert_eq!(
            out, known,
            "Deferred::Compact differs from the length written up front"
        );
    }

    // Read back, token by token. (Moving contents down at close shifts the offsets of
    // everything inside a compacted container, so per-op offsets are only known without one.)
    let limits = Limits {
        max_depth: msgskim::MAX_DEPTH,
        ..Limits::default()
    };
    let mut tok = Tokenizer::with_limits(&out, limits);
    let mut rewritten = Writer::with_mode(Vec::new(), mode);
    for (i, op) in ops.iter().enumerate() {
        if matches!(op, Op::End) {
            continue;
        }
        let t = tok
            .next_token()
            .expect("written bytes read back")
            .expect("a token per op");
        rewritten.token(&t).expect("a Vec sink never fails");
        let got = match t {
            Token::Array(n) => Tok::Array(n),
            Token::Map(n) => Tok::Map(n),
            other => Tok::Scalar(scalar(&other).expect("a scalar")),
        };
        assert_eq!(got, expected(op), "op {i}");
        if !compacted {
            assert_eq!(tok.position(), op_ends[i], "op {i} ends elsewhere");
        }
    }
    assert_eq!(tok.next_token(), Ok(None));
    // Re-encoding the tokens gives back the smallest forms: the output itself, when it was
    // written in them.
    if mode == IntMode::Smallest && !patched {
        assert_eq!(
            rewritten.into_inner(),
            out,
            "Writer::token changed the bytes"
        );
    }

    // Skip from each top-level value's start lands on the next one (top-level ends do not
    // move: a container is compacted before the value after it is written).
    let mut start = 0;
    let mut spliced = Writer::new(Vec::new());
    for &end_op in &value_ends {
        let end = op_ends[end_op - 1];
        assert_eq!(msgskim::skip_value(&out, start), Ok(end));
        spliced
            .raw_value(RawValue::new(&out[start..end]).expect("one whole value"))
            .expect("a Vec sink never fails");
        start = end;
    }
    assert_eq!(msgskim::validate(&out), Ok(()));
    assert_eq!(
        spliced.into_inner(),
        out,
        "raw_value splices values as they are"
    );

    // A gather output, payloads referenced from the ops: the same bytes.
    let threshold = [0, 1, 32, Gather::DEFAULT_THRESHOLD, usize::MAX][data.len() % 5];
    let mut g = Gather::with_threshold(threshold);
    let mut w = Writer::with_mode(&mut g, mode);
    for (i, op) in ops.iter().enumerate() {
        let shared = (data.len() + i) % 3 == 0;
        write_gather(&mut w, op, &mut open, shared).expect("a Gather never fails");
    }
    w.finish().expect("every container closed");
    assert_eq!(g.len(), out.len());
    assert_eq!(g.to_vec(), out, "the gather output differs");
    let mut sent = Vec::new();
    g.write_to(&mut sent).expect("a Vec takes everything");
    assert_eq!(sent, out, "write_to differs");
    // Its Buf cursor, taken apart in runs of a size set by the input.
    let mut cur = g.cursor();
    let mut taken = Vec::new();
    let step = 1 + data.len() % 97;
    while cur.remaining() > 0 {
        let run = cur.copy_to_bytes(step.min(cur.remaining()));
        taken.extend_from_slice(&run);
    }
    assert_eq!(taken, out, "the Buf cursor differs");

    // A fixed buffer: the same bytes as far as they fit, then BufferFull.
    let mut buf = vec![0u8; sink_cap];
    let mut w = Writer::with_mode(SliceSink::new(&mut buf), mode);
    let mut open = Vec::new();
    let mut full = false;
    for op in &ops {
        if let Err(e) = write(&mut w, op, &mut open, false) {
            assert_eq!(e.kind(), ErrorKind::BufferFull);
            full = true;
            break;
        }
    }
    let written = w.get_ref().written();
    if !full {
        assert_eq!(written, &out[..]);
    } else if !patched && !compacted {
        assert!(out.starts_with(written) && written.len() < out.len());
    }
    // (With containers still open, their reserved 5-byte headers are not final yet.)
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
