//! Hostile input against every reader: nesting a million deep, the reserved byte at every
//! position, every truncation, malformed timestamps, a map cut after its key, millions of tiny
//! tokens, invalid UTF-8. Each must end in a clear error with the right offset (or the right
//! answer), never a panic or a stack overflow.

use msgskim::gen::{listing, messages, numeric, ListingConfig};
use msgskim::write::Writer;
use msgskim::{
    skip_value, validate, ErrorKind, Limits, RawValue, Str, TimestampError, Token, Tokenizer,
};

const DEEP: usize = 1_000_000;

fn deep_arrays(levels: usize, innermost: &[u8]) -> Vec<u8> {
    let mut b = vec![0x91; levels];
    b.extend_from_slice(innermost);
    b
}

fn deep_maps(levels: usize, innermost: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(2 * levels + innermost.len());
    for _ in 0..levels {
        b.extend_from_slice(&[0x81, 0xa0]);
    }
    b.extend_from_slice(innermost);
    b
}

/// Tokens and first error of a whole-input tokenizer run.
fn tokenize(buf: &[u8], limits: Limits) -> (Vec<Token<'_>>, Option<msgskim::Error>) {
    let mut t = Tokenizer::with_limits(buf, limits);
    let mut toks = Vec::new();
    loop {
        match t.next_token() {
            Ok(Some(tok)) => toks.push(tok),
            Ok(None) => return (toks, None),
            Err(e) => return (toks, Some(e)),
        }
    }
}

#[test]
fn million_deep_arrays_stop_at_the_depth_limit() {
    let b = deep_arrays(DEEP, &[0xc0]);
    for (limit, want) in [
        (Limits::DEFAULT_MAX_DEPTH, Limits::DEFAULT_MAX_DEPTH),
        (msgskim::MAX_DEPTH, msgskim::MAX_DEPTH),
        (usize::MAX, msgskim::MAX_DEPTH),
        (0, 0),
    ] {
        let limits = Limits {
            max_depth: limit,
            ..Limits::default()
        };
        let (toks, err) = tokenize(&b, limits);
        let e = err.expect("too deep");
        assert_eq!(e.kind(), ErrorKind::DepthLimit { limit: want });
        // Each fixarray header is one byte: the container that would open too deep starts at
        // byte `want`.
        assert_eq!(e.offset(), want as u64);
        assert_eq!(toks.len(), want);
    }
}

#[test]
fn million_deep_maps_stop_at_the_depth_limit() {
    let b = deep_maps(DEEP, &[0xc0]);
    let (toks, err) = tokenize(&b, Limits::default());
    let e = err.expect("too deep");
    assert_eq!(
        e.kind(),
        ErrorKind::DepthLimit {
            limit: Limits::DEFAULT_MAX_DEPTH
        }
    );
    assert_eq!(e.offset(), 2 * Limits::DEFAULT_MAX_DEPTH as u64);
    assert_eq!(toks.len(), 2 * Limits::DEFAULT_MAX_DEPTH);
}

#[test]
fn million_deep_values_skip_and_validate_without_a_stack() {
    for b in [deep_arrays(DEEP, &[0xc0]), deep_maps(DEEP, &[0xc0])] {
        assert_eq!(skip_value(&b, 0), Ok(b.len()));
        assert_eq!(validate(&b), Ok(()));
        let r = RawValue::new(&b).expect("structurally complete");
        assert_eq!(r.len(), Some(1));
        // Walk down a few levels lazily.
        let mut v = r;
        for _ in 0..3 {
            v = v.index(0).or_else(|| v.get("")).expect("one child");
        }
        assert_eq!(v.offset(), if b[0] == 0x91 { 3 } else { 6 });
        // Cut one byte short: the innermost value is missing.
        let cut = &b[..b.len() - 1];
        let e = skip_value(cut, 0).unwrap_err();
        assert_eq!(
            (e.offset(), e.kind()),
            (cut.len() as u64, ErrorKind::Truncated { needed: 1 })
        );
        assert_eq!(validate(cut), Err(e));
        assert_eq!(RawValue::new(cut).map(|_| ()), Err(e));
    }
}

/// Documents built by the crate's generators and writer, covering every type.
fn documents() -> Vec<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    w.array_len(12).unwrap();
    w.nil().unwrap();
    w.bool(true).unwrap();
    w.int(-40_000).unwrap();
    w.uint(u64::MAX).unwrap();
    w.f32(1.5).unwrap();
    w.f64(-0.25).unwrap();
    w.str("héllo").unwrap();
    w.bin(&[0, 1, 2, 0xc1]).unwrap();
    w.ext(7, &[1, 2, 3]).unwrap();
    w.timestamp(msgskim::Timestamp::new(-5, 7).unwrap())
        .unwrap();
    w.map_len(1).unwrap();
    w.uint(1).unwrap();
    w.array_len(0).unwrap();
    w.str(&"x".repeat(300)).unwrap();
    // A few messages small enough for the quadratic tests below.
    let msgs = (1..100)
        .map(|seed| messages(seed, 2))
        .find(|m| m.len() < 2_000)
        .expect("some seed gives short messages");
    vec![
        w.into_inner(),
        listing(ListingConfig {
            seed: 5,
            entries: 6,
            page_size: 4,
        }),
        msgs,
        numeric(3, 1),
    ]
}

/// (start, end, payload start) of every token of `buf`, read with structural limits, plus
/// the offsets where top-level values end.
fn token_spans(buf: &[u8]) -> (Vec<(usize, usize, usize)>, Vec<usize>) {
    let limits = Limits {
        max_depth: msgskim::MAX_DEPTH,
        decode_timestamps: false,
        ..Limits::default()
    };
    let mut t = Tokenizer::with_limits(buf, limits);
    let mut spans = Vec::new();
    let mut ends = Vec::new();
    loop {
        let start = t.position();
        match t.next_token() {
            Ok(Some(tok)) => {
                let end = t.position();
                let payload = match tok {
                    Token::Str(s) => s.len(),
                    Token::Bin(b) => b.len(),
                    Token::Ext(e) => e.data.len(),
                    _ => 0,
                };
                spans.push((start, end, end - payload));
                if t.is_at_boundary() {
                    ends.push(end);
                }
            }
            // Generated documents may be cut mid-value (taken as a prefix): stop there.
            Ok(None) | Err(_) => break,
        }
    }
    (spans, ends)
}

#[test]
fn reserved_byte_at_every_position() {
    for doc in documents() {
        let (spans, ends) = token_spans(&doc);
        assert_eq!(
            ends.last(),
            Some(&doc.len()),
            "generated documents are complete"
        );
        let first_end = ends[0];
        for p in 0..doc.len() {
            let mut b = doc.clone();
            b[p] = 0xc1;
            let span = spans.iter().find(|s| s.0 <= p && p < s.1).unwrap();
            let (toks, err) = tokenize(&b, Limits::default());
            let v = validate(&b);
            let s = skip_value(&b, 0);
            let raw = RawValue::all(&b).find_map(Result::err);
            if p == span.0 {
                // A lead byte: every reader stops right there.
                let want = msgskim::Error::new(p as u64, ErrorKind::ReservedByte);
                assert_eq!(err, Some(want), "at {p}");
                assert_eq!(v, Err(want), "at {p}");
                assert_eq!(raw, Some(want), "at {p}");
                if p < first_end {
                    assert_eq!(s, Err(want), "at {p}");
                }
                assert_eq!(toks.len(), spans.iter().filter(|x| x.0 < p).count());
            } else if p >= span.2 {
                // Inside a payload, 0xc1 is just data: the structure is unchanged.
                assert_eq!(v, Ok(()), "at {p}");
                assert_eq!(raw, None, "at {p}");
                if let Some(e) = err {
                    // Only a timestamp whose data changed may now be malformed.
                    assert!(matches!(e.kind(), ErrorKind::InvalidTimestamp(_)), "{e}");
                    assert_eq!(e.offset(), span.0 as u64);
                }
            } else {
                // Inside a header's length or value bytes: anything may follow, but no reader
                // may fail before that token.
                for e in [err, v.err(), s.err(), raw].into_iter().flatten() {
                    assert!(e.offset() >= span.0 as u64, "{e} at {p}");
                }
            }
        }
    }
}

#[test]
fn every_truncation() {
    for doc in documents() {
        let (spans, ends) = token_spans(&doc);
        assert_eq!(
            ends.last(),
            Some(&doc.len()),
            "generated documents are complete"
        );
        for cut in 0..doc.len() {
            let b = &doc[..cut];
            let (toks, err) = tokenize(b, Limits::default());
            // Exactly the tokens that end before the cut come out.
            assert_eq!(
                toks.len(),
                spans.iter().filter(|s| s.1 <= cut).count(),
                "cut at {cut}"
            );
            if cut == 0 || ends.contains(&cut) {
                assert_eq!(err, None, "cut at {cut}");
                assert_eq!(validate(b), Ok(()));
                continue;
            }
            let e = err.expect("cut short");
            assert!(e.is_truncated(), "cut at {cut}: {e}");
            let at = e.offset() as usize;
            // The error names the token that lost its end, or the end of the input when a
            // container lacks elements.
            assert!(
                at == cut || spans.iter().any(|s| s.0 == at && s.1 > cut),
                "cut at {cut}: {e}"
            );
            assert_eq!(validate(b), Err(e), "cut at {cut}");
            let start = ends.iter().copied().filter(|&x| x < cut).max().unwrap_or(0);
            assert_eq!(skip_value(b, start), Err(e), "cut at {cut}");
            assert_eq!(RawValue::at(b, start).map(|_| ()), Err(e), "cut at {cut}");
        }
    }
}

fn ts_error(b: &[u8]) -> Option<msgskim::Error> {
    tokenize(b, Limits::default()).1
}

#[test]
fn timestamps_with_invalid_nanoseconds() {
    // 64-bit form: nanoseconds in the top 30 bits.
    for ns in [1_000_000_000u64, (1 << 30) - 1] {
        let v = (ns << 34) | 1;
        let b = [&[0x91, 0xd7, 0xff][..], &v.to_be_bytes()].concat();
        let e = ts_error(&b).unwrap();
        assert_eq!(
            (e.offset(), e.kind()),
            (
                1,
                ErrorKind::InvalidTimestamp(TimestampError::Nanoseconds(ns as u32))
            )
        );
    }
    // 96-bit form: 12 data bytes, so ext 8 (ext 16 and ext 32 are valid wire forms too).
    for ns in [1_000_000_000u32, u32::MAX] {
        for head in [
            &[0xc7, 12, 0xff][..],
            &[0xc8, 0, 12, 0xff],
            &[0xc9, 0, 0, 0, 12, 0xff],
        ] {
            let b = [head, &ns.to_be_bytes(), &(-1i64).to_be_bytes()].concat();
            let e = ts_error(&b).unwrap();
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidTimestamp(TimestampError::Nanoseconds(ns))
            );
            assert_eq!(e.offset(), 0);
            // Structure is fine: skip and validate check structure only, and a raw value
            // reports it as a plain ext.
            assert_eq!(skip_value(&b, 0), Ok(b.len()));
            let r = RawValue::new(&b).unwrap();
            assert_eq!(r.as_timestamp(), None);
            assert_eq!(r.kind(), msgskim::ValueKind::Ext);
            // With timestamp decoding off it is an ext like any other.
            let limits = Limits {
                decode_timestamps: false,
                ..Limits::default()
            };
            assert!(matches!(
                tokenize(&b, limits),
                (t, None) if matches!(t[..], [Token::Ext(e)] if e.ty == -1 && e.data.len() == 12)
            ));
        }
    }
    // The largest valid value is accepted.
    let ok = [
        &[0xc7, 12, 0xff][..],
        &999_999_999u32.to_be_bytes(),
        &i64::MIN.to_be_bytes(),
    ]
    .concat();
    assert!(matches!(
        tokenize(&ok, Limits::default()),
        (t, None) if matches!(t[..], [Token::Timestamp(ts)] if ts.nanoseconds() == 999_999_999 && ts.seconds() == i64::MIN)
    ));
}

#[test]
fn timestamps_with_wrong_lengths() {
    for n in 0..=20u32 {
        if matches!(n, 4 | 8 | 12) {
            continue;
        }
        let data = vec![0u8; n as usize];
        let mut w = Writer::new(Vec::new());
        w.map_len(1).unwrap();
        w.str("ts").unwrap();
        w.ext(-1, &data).unwrap();
        let b = w.into_inner();
        let e = ts_error(&b).unwrap();
        assert_eq!(
            (e.offset(), e.kind()),
            (4, ErrorKind::InvalidTimestamp(TimestampError::Length(n))),
            "length {n}"
        );
        assert_eq!(validate(&b), Ok(()));
        let r = RawValue::new(&b).unwrap().get("ts").unwrap();
        assert_eq!(r.as_timestamp(), None);
        assert_eq!(
            r.as_ext().map(|e| (e.ty, e.data.len())),
            Some((-1, n as usize))
        );
    }
}

#[test]
fn map_with_odd_count_at_end_of_input() {
    // {"k": <missing>}, and a two-pair map with one and a half pairs.
    for (b, tokens) in [
        (&[0x81, 0xa1, b'k'][..], 2),
        (&[0x82, 0x01, 0x02, 0x03][..], 4),
        (&[0x91, 0x81, 0xc0][..], 3),
        (&[0xde, 0x00, 0x01, 0xa1, b'k'][..], 2),
    ] {
        let (toks, err) = tokenize(b, Limits::default());
        assert_eq!(toks.len(), tokens);
        let want = msgskim::Error::new(b.len() as u64, ErrorKind::Truncated { needed: 1 });
        assert_eq!(err, Some(want));
        assert_eq!(skip_value(b, 0), Err(want));
        assert_eq!(validate(b), Err(want));
        assert_eq!(RawValue::new(b).map(|_| ()), Err(want));
        assert!(want.to_string().contains("truncated"));
    }
}

#[test]
fn huge_numbers_of_tiny_tokens() {
    const N: usize = 4_000_000;
    // One array of N positive fixints, then N nils at top level.
    let mut b = vec![0xdd];
    b.extend_from_slice(&(N as u32).to_be_bytes());
    b.extend((0..N).map(|i| (i % 128) as u8));
    let array_end = b.len();
    b.extend(std::iter::repeat(0xc0).take(N));

    let mut t = Tokenizer::new(&b);
    let (mut count, mut sum) = (0usize, 0u64);
    while let Some(tok) = t.next_token().unwrap() {
        count += 1;
        if let Token::UInt(v) = tok {
            sum += v;
        }
    }
    assert_eq!(count, 1 + 2 * N);
    assert_eq!(sum, (0..N as u64).map(|i| i % 128).sum::<u64>());
    assert_eq!(skip_value(&b, 0), Ok(array_end));
    assert_eq!(validate(&b), Ok(()));
    assert_eq!(RawValue::all(&b).count(), 1 + N);
    assert_eq!(RawValue::at(&b, 0).unwrap().iter().unwrap().count(), N);
    // One element short: the error is at the end, after N - 1 elements.
    let short = &b[..array_end - 1];
    assert_eq!(
        validate(short),
        Err(msgskim::Error::new(
            short.len() as u64,
            ErrorKind::Truncated { needed: 1 }
        ))
    );
}

#[test]
fn invalid_utf8_under_to_str_and_check_utf8() {
    // (bytes of the str, offset of the first bad byte within them)
    let cases: [(&[u8], usize); 7] = [
        (&[0xc3, 0x28], 0),             // bad continuation
        (b"ok\xff", 2),                 // never valid
        (&[b'a', 0xe2, 0x82], 1),       // cut inside a 3-byte sequence
        (&[0xc0, 0xaf], 0),             // overlong
        (&[0xed, 0xa0, 0x80], 0),       // surrogate
        (&[0xf4, 0x90, 0x80, 0x80], 0), // above U+10FFFF
        (b"fine, then \x80", 11),       // stray continuation
    ];
    for (s, bad) in cases {
        let mut w = Writer::new(Vec::new());
        w.array_len(2).unwrap();
        w.str_bytes(s).unwrap();
        w.str("next").unwrap();
        let b = w.into_inner();
        // The array header, then the fixstr header: the payload starts at byte 2.
        assert!(s.len() < 32);
        let payload_start = 2;

        // Default: the bytes come back as they are; to_str reports where UTF-8 breaks.
        let (toks, err) = tokenize(&b, Limits::default());
        assert_eq!(err, None);
        let Token::Str(got) = toks[1] else {
            panic!("{toks:?}")
        };
        assert_eq!(got, Str::new(s));
        assert_eq!(got.to_str().unwrap_err().valid_up_to(), bad);
        assert_eq!(toks[1].as_str(), None);
        assert_eq!(toks[2].as_str(), Some("next"));
        let r = RawValue::new(&b).unwrap().index(0).unwrap();
        assert_eq!(r.as_str(), None);
        assert_eq!(r.as_raw_str(), Some(Str::new(s)));

        // With check_utf8 the tokenizer stops at the first bad byte.
        let limits = Limits {
            check_utf8: true,
            ..Limits::default()
        };
        let (toks, err) = tokenize(&b, limits);
        assert_eq!(toks.len(), 1);
        assert_eq!(
            err,
            Some(msgskim::Error::new(
                (payload_start + bad) as u64,
                ErrorKind::InvalidUtf8
            ))
        );
    }
}

#[test]
fn million_deep_values_through_the_stream_decoder() {
    use msgskim::{Event, StreamDecoder};
    for b in [deep_arrays(DEEP, &[0xc0]), deep_maps(DEEP, &[0xc0])] {
        let per_level = if b[0] == 0x91 { 1 } else { 2 };
        // Tokens: the depth limit, at the container that would open too deep, whatever the
        // chunking.
        for chunk in [b.len(), 4096, 7] {
            let mut dec = StreamDecoder::new();
            let mut tokens = 0;
            let err = 'feed: {
                for c in b.chunks(chunk) {
                    dec.feed(c).unwrap();
                    loop {
                        match dec.next_token() {
                            Ok(Some(Event::Token(_))) => tokens += 1,
                            Ok(Some(other)) => panic!("{other:?}"),
                            Ok(None) => break,
                            Err(e) => break 'feed e,
                        }
                    }
                }
                panic!("no error at a million levels");
            };
            let limit = Limits::DEFAULT_MAX_DEPTH;
            assert_eq!(err.kind(), ErrorKind::DepthLimit { limit });
            assert_eq!(err.offset(), (per_level * limit) as u64);
            assert_eq!(tokens, per_level * limit);
        }
        // Frames: the same limit applies to whole values.
        let mut dec = StreamDecoder::new();
        dec.feed(&b).unwrap();
        match dec.next_frame() {
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    ErrorKind::DepthLimit {
                        limit: Limits::DEFAULT_MAX_DEPTH
                    }
                );
                assert_eq!(e.offset(), (per_level * Limits::DEFAULT_MAX_DEPTH) as u64);
            }
            Ok(f) => panic!(
                "a frame {} bytes long past the depth limit",
                f.map_or(0, |f| f.len())
            ),
        }
    }
}

#[test]
fn million_deep_values_under_a_query() {
    use msgskim::query::Query;
    let arrays = deep_arrays(DEEP, &[0xc0]);
    let maps = deep_maps(DEEP, &[0xc0]);
    // Paths stop a few levels down; everything under them is skipped with one counter.
    let q = Query::many(["[0][0][0]", "[0][*]", "[1]"]).unwrap();
    let found: Vec<_> = q
        .matches(&arrays)
        .map(|m| m.map(|m| (m.path(), m.offset())))
        .collect();
    assert_eq!(found, [Ok((1, 2)), Ok((0, 3))]);
    let q = Query::many([r#"[""][""]"#, ".*.*.*", ".a"]).unwrap();
    let found: Vec<_> = q
        .matches(&maps)
        .map(|m| m.map(|m| (m.path(), m.offset())))
        .collect();
    assert_eq!(found, [Ok((0, 4)), Ok((1, 6))]);
    // Cut short at the bottom: the query reports the truncation at the end of the input.
    let cut = &arrays[..arrays.len() - 1];
    let last = q.matches(cut).last().unwrap();
    assert_eq!(
        last.map(|m| m.offset()),
        Err(msgskim::Error::new(
            cut.len() as u64,
            ErrorKind::Truncated { needed: 1 }
        ))
    );
}

#[cfg(feature = "serde")]
#[test]
fn million_deep_values_through_serde() {
    // Recursive types that fit the input: arrays in arrays, and maps of maps.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Arrays(Vec<Arrays>);
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Maps(std::collections::BTreeMap<String, Maps>);
    for b in [deep_arrays(DEEP, &[0xc0]), deep_maps(DEEP, &[0xc0])] {
        // Into a self-describing tree: the depth limit, not a stack overflow.
        let e = msgskim::serde::from_slice::<serde_json::Value>(&b).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::DepthLimit { .. }), "{e}");
        // A recursive type: the same.
        let e = if b[0] == 0x91 {
            msgskim::serde::from_slice::<Arrays>(&b).unwrap_err()
        } else {
            msgskim::serde::from_slice::<Maps>(&b).unwrap_err()
        };
        assert!(matches!(e.kind(), ErrorKind::DepthLimit { .. }), "{e}");
        // Ignored entirely (a unit struct reads nothing but skips the value): skip_value,
        // one counter.
        let v: serde::de::IgnoredAny = msgskim::serde::from_slice(&b).unwrap();
        let _ = v;
    }
}
