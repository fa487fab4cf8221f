//! Declared lengths are never trusted: a header that claims up to 2^32-1 bytes or elements with
//! almost nothing behind it must not make any reader allocate in proportion to the claim.
//!
//! A counting global allocator records, per thread, how many bytes are requested while each
//! reader runs on such input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use msgskim::{skip_value, validate, ErrorKind, Limits, RawValue, Token, Tokenizer};

struct Counting;

thread_local! {
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = BYTES.try_with(|b| b.set(b.get() + size));
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        note(new);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with (total bytes requested, largest single request).
fn counting<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    BYTES.with(|b| b.set(0));
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, BYTES.with(Cell::get), LARGEST.with(Cell::get))
}

/// Headers claiming huge lengths, each followed by `tail` bytes of filler: every str, bin, ext,
/// array and map width, with claims from just past the input up to 2^32-1.
fn lying_headers() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for claim in [300u32, 70_000, 1 << 24, u32::MAX - 1, u32::MAX] {
        let c32 = claim.to_be_bytes();
        let c16 = (claim.min(u16::MAX as u32) as u16).to_be_bytes();
        let c8 = claim.min(255) as u8;
        let mut heads: Vec<(&str, Vec<u8>)> = vec![
            ("str32", [&[0xdb][..], &c32].concat()),
            ("bin32", [&[0xc6][..], &c32].concat()),
            ("ext32", [&[0xc9][..], &c32, &[0x05]].concat()),
            ("ts ext32", [&[0xc9][..], &c32, &[0xff]].concat()),
            ("array32", [&[0xdd][..], &c32].concat()),
            ("map32", [&[0xdf][..], &c32].concat()),
            ("str16", [&[0xda][..], &c16].concat()),
            ("bin16", [&[0xc5][..], &c16].concat()),
            ("ext16", [&[0xc8][..], &c16, &[0x05]].concat()),
            ("array16", [&[0xdc][..], &c16].concat()),
            ("map16", [&[0xde][..], &c16].concat()),
            ("str8", vec![0xd9, c8]),
            ("bin8", vec![0xc4, c8]),
            ("ext8", vec![0xc7, c8, 0x05]),
        ];
        // The same claims nested inside containers, and several in a row.
        heads.push(("in array", [&[0x92, 0x01][..], &[0xdb], &c32].concat()));
        heads.push(("in map", [&[0x81, 0xa1, b'k'][..], &[0xdd], &c32].concat()));
        heads.push((
            "nested arrays",
            [&[0xdd][..], &c32, &[0xdd], &c32, &[0xdf], &c32].concat(),
        ));
        for (name, h) in heads {
            for tail in [0usize, 1, 10] {
                let mut b = h.clone();
                b.extend(std::iter::repeat(0xc0).take(tail));
                out.push((
                    format!("{name} claiming {claim} with {tail} bytes behind"),
                    b,
                ));
            }
        }
    }
    out
}

#[test]
fn tokenizer_allocates_nothing_for_lying_lengths() {
    for (name, b) in lying_headers() {
        for limits in [
            Limits::default(),
            Limits {
                check_utf8: true,
                max_depth: msgskim::MAX_DEPTH,
                ..Limits::default()
            },
        ] {
            let (r, bytes, _) = counting(|| {
                let mut t = Tokenizer::with_limits(&b, limits);
                let mut n = 0usize;
                loop {
                    match t.next_token() {
                        Ok(Some(_)) => n += 1,
                        Ok(None) => break Ok(n),
                        Err(e) => break Err(e),
                    }
                }
            });
            assert_eq!(bytes, 0, "{name}: tokenizer allocated {bytes} bytes");
            let e = r.expect_err(&name);
            assert!(e.is_truncated(), "{name}: {e}");
            assert!(e.offset() as usize <= b.len(), "{name}: {e}");
        }
    }
}

#[test]
fn skip_and_validate_allocate_nothing_for_lying_lengths() {
    for (name, b) in lying_headers() {
        let (r, bytes, _) = counting(|| skip_value(&b, 0));
        assert_eq!(bytes, 0, "{name}: skip_value allocated {bytes} bytes");
        assert!(r.expect_err(&name).is_truncated(), "{name}");
        let (r, bytes, _) = counting(|| validate(&b));
        assert_eq!(bytes, 0, "{name}: validate allocated {bytes} bytes");
        assert!(r.expect_err(&name).is_truncated(), "{name}");
    }
}

#[test]
fn raw_values_allocate_nothing_for_lying_lengths() {
    for (name, b) in lying_headers() {
        let (r, bytes, _) = counting(|| {
            (
                RawValue::new(&b).map(|v| v.len()),
                RawValue::at(&b, 0).map(|v| v.len()),
                RawValue::all(&b).filter(Result::is_err).count(),
            )
        });
        assert_eq!(bytes, 0, "{name}: RawValue allocated {bytes} bytes");
        assert!(r.0.expect_err(&name).is_truncated(), "{name}");
        assert!(r.1.expect_err(&name).is_truncated(), "{name}");
        assert_eq!(r.2, 1, "{name}");
    }
}

/// A real value whose children lie: a valid outer map holding a str that claims 2^32-1 bytes.
/// Lazy accessors on the outer value must fail (or return nothing) without allocating.
#[test]
fn raw_value_accessors_on_a_lying_child_allocate_nothing() {
    let mut b = vec![0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0xdb];
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(b"xyz");
    let ((outer, lone), bytes, _) = counting(|| {
        let outer = RawValue::new(&b).map(|_| ()).unwrap_err();
        // The first entry alone is a fine value; the second claims far more than there is.
        let lone = RawValue::at(&b, 4);
        (outer, lone)
    });
    assert_eq!(bytes, 0);
    assert!(outer.is_truncated());
    assert_eq!(lone.map(|v| v.as_bytes().len()), Ok(2));
}

#[test]
fn declared_lengths_within_limits_are_rejected_before_reading() {
    // With payload and container limits set, the claim itself is the error, at the header.
    let limits = Limits {
        max_payload_len: 1 << 20,
        max_container_len: 1 << 16,
        ..Limits::default()
    };
    for (name, b) in lying_headers() {
        let (r, bytes, _) = counting(|| Tokenizer::with_limits(&b, limits).find_map(Result::err));
        assert_eq!(bytes, 0, "{name}");
        let e = r.unwrap_or_else(|| panic!("{name}: no error"));
        match e.kind() {
            ErrorKind::LengthLimit { len, limit } | ErrorKind::ContainerLimit { len, limit } => {
                assert!(len > limit, "{name}: {e}")
            }
            ErrorKind::Truncated { .. } => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    let huge = [0xdb, 0xff, 0xff, 0xff, 0xff];
    let e = Tokenizer::with_limits(&huge, limits)
        .next_token()
        .unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (
            0,
            ErrorKind::LengthLimit {
                len: u32::MAX as u64,
                limit: 1 << 20
            }
        )
    );
}

/// The counter itself works: a test that could not fail would prove nothing.
#[test]
fn the_counter_sees_allocations() {
    let (v, bytes, largest) = counting(|| vec![0u8; 100_000]);
    assert_eq!(v.len(), 100_000);
    assert!(bytes >= 100_000 && largest >= 100_000);
    let (t, bytes, _) = counting(|| Tokenizer::new(&[0xa1, b'x']).collect::<Vec<_>>());
    assert_eq!(t, vec![Ok(Token::Str(msgskim::Str::new(b"x")))]);
    assert!(
        bytes > 0,
        "collecting into a Vec allocates, and the counter must see it"
    );
}

#[test]
fn stream_decoder_buffers_what_arrives_not_what_is_claimed() {
    use msgskim::{StreamConfig, StreamDecoder};
    for (name, b) in lying_headers() {
        for frames in [false, true] {
            let (r, bytes, largest) = counting(|| {
                let mut dec = StreamDecoder::new();
                let mut last = Ok(());
                // Byte by byte, then all at once: the decoder waits, and says at the end what
                // is missing.
                for chunk in b.chunks(1) {
                    dec.feed(chunk).unwrap();
                    let r = if frames {
                        dec.next_frame().map(|_| ())
                    } else {
                        loop {
                            match dec.next_token() {
                                Ok(Some(_)) => {}
                                Ok(None) => break Ok(()),
                                Err(e) => break Err(e),
                            }
                        }
                    };
                    if r.is_err() {
                        last = r;
                        break;
                    }
                }
                last.and_then(|()| dec.finish())
            });
            // The buffer grows with the bytes fed (a handful here), never with the claim.
            assert!(
                bytes < 64 * 1024 && largest < 16 * 1024,
                "{name} ({}): {bytes} bytes allocated, largest {largest}",
                if frames { "frames" } else { "tokens" }
            );
            let e = r.expect_err(&name);
            // Claims past the default limits (100 MiB) are refused at the header; smaller ones
            // are waited for, and `finish` reports them cut short.
            let limit = StreamConfig::DEFAULT_MAX_BUFFER as u64;
            let ok = match e.kind() {
                ErrorKind::Truncated { .. } => true,
                ErrorKind::LengthLimit { len, .. } | ErrorKind::ContainerLimit { len, .. } => {
                    len > limit
                }
                ErrorKind::BufferLimit { .. } => true,
                _ => false,
            };
            assert!(ok, "{name}: {e}");
        }
    }
}

#[test]
fn queries_allocate_nothing_for_lying_lengths() {
    use msgskim::query::Query;
    let q = Query::many([".", ".a", "[0]", "[*]", ".*", "[-1].k", "{1}"]).unwrap();
    for (name, b) in lying_headers() {
        let (r, bytes, _) = counting(|| {
            let mut n = 0;
            let r = q.for_each(&b, |_| n += 1);
            (r, n)
        });
        assert_eq!(bytes, 0, "{name}: query allocated {bytes} bytes");
        let e = r.0.expect_err(&name);
        assert!(e.is_truncated(), "{name}: {e}");
    }
}

/// Serde targets that would grow with a declared length: sequences, maps, strings, bytes.
#[cfg(feature = "serde")]
#[test]
fn serde_allocates_nothing_proportional_to_lying_lengths() {
    use std::collections::BTreeMap;
    for (name, b) in lying_headers() {
        let (r, bytes, largest) = counting(|| {
            let e1 = msgskim::serde::from_slice::<Vec<u64>>(&b).err();
            let e2 = msgskim::serde::from_slice::<BTreeMap<String, u8>>(&b).err();
            let e3 = msgskim::serde::from_slice::<String>(&b).err();
            let e4 = msgskim::serde::from_slice::<serde_bytes::ByteBuf>(&b).err();
            let e5 = msgskim::serde::from_slice::<(Vec<String>, u8)>(&b).err();
            [e1, e2, e3, e4, e5]
        });
        // Errors are boxed when they carry a message; nothing else may be allocated, and
        // nothing near the claim.
        assert!(
            bytes < 16 * 1024 && largest < 4 * 1024,
            "{name}: serde allocated {bytes} bytes, largest {largest}"
        );
        for e in r {
            assert!(e.is_some(), "{name}: a lying header decoded");
        }
    }
}
