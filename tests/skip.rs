//! `skip_value`, `validate` and `validate_with` against the tokenizer: the same end offset for
//! every value of generated and random data, and the same first error (kind and offset) on
//! data with flipped bytes and on every truncation. The fast kernel is also compared with the
//! plain reference loop from every start offset of corrupted buffers.

use msgskim::gen::{self, ListingConfig, Rng};
use msgskim::write::Writer;
use msgskim::{
    skip_value, skip_value_reference, validate, validate_with, Error, Limits, Timestamp, Token,
    Tokenizer, ValidateOptions, MAX_DEPTH,
};

/// Writes one random value: every format family, nested up to `depth` levels, including
/// 16-bit container counts, str16/bin16 payloads, non-UTF-8 strs and malformed timestamps.
fn random_value(rng: &mut Rng, w: &mut Writer<Vec<u8>>, depth: u32) {
    let pick = if depth == 0 {
        rng.below(12)
    } else {
        rng.below(16)
    };
    let _ = match pick {
        0 => w.nil(),
        1 => w.bool(rng.chance(50)),
        2 => w.uint(rng.below(200)),
        3 => {
            let bits = 1 + rng.below(62);
            w.int(-(rng.below(1 << bits) as i64))
        }
        4 => w.uint(rng.next_u64() >> rng.below(64)),
        5 => w.f32(rng.below(1000) as f32 / 7.0),
        6 => w.f64(rng.below(1000) as f64 / 3.0),
        7 => {
            let len = match rng.below(10) {
                0 => 256 + rng.below(300) as usize,
                1..=3 => 32 + rng.below(200) as usize,
                _ => rng.below(32) as usize,
            };
            let mut s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            if rng.chance(10) && !s.is_empty() {
                let at = rng.below(s.len() as u64) as usize;
                s[at] = 0xc3; // a lead byte of a two-byte sequence, maybe not followed right
            }
            if rng.chance(10) {
                s.extend_from_slice("é€𝄞".as_bytes());
            }
            w.str_bytes(&s)
        }
        8 => {
            let cap = if rng.chance(10) { 400 } else { 40 };
            let mut b = vec![0u8; rng.below(cap) as usize];
            rng.fill(&mut b);
            w.bin(&b)
        }
        9 => {
            let mut d = vec![0u8; [1, 2, 4, 8, 16, 3, 20][rng.below(7) as usize]];
            rng.fill(&mut d);
            w.ext(rng.below(10) as i8, &d)
        }
        10 => {
            // Timestamps: valid in all three forms, and malformed ones.
            match rng.below(4) {
                0 => w.timestamp(Timestamp::new(rng.below(1 << 32) as i64, 0).unwrap()),
                1 => w.timestamp(Timestamp::new(rng.below(1 << 34) as i64, 5).unwrap()),
                2 => w.timestamp(Timestamp::new(-(rng.below(1 << 40) as i64), 7).unwrap()),
                _ => w.ext(-1, &[0xff; 8]), // nanoseconds over 999,999,999
            }
        }
        11 => w.str(""),
        12 | 13 => {
            let n = if rng.chance(10) {
                16 + rng.below(10)
            } else {
                rng.below(5)
            };
            let r = w.array_len(n as u32);
            for _ in 0..n {
                random_value(rng, w, depth - 1);
            }
            r
        }
        _ => {
            let n = if rng.chance(10) {
                16 + rng.below(4)
            } else {
                rng.below(4)
            };
            let r = w.map_len(n as u32);
            for _ in 0..n {
                random_value(rng, w, 0);
                random_value(rng, w, depth - 1);
            }
            r
        }
    };
}

fn random_buffer(seed: u64, values: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut w = Writer::new(Vec::new());
    for _ in 0..values {
        let depth = rng.below(5) as u32;
        random_value(&mut rng, &mut w, depth);
    }
    w.into_inner()
}

/// Tokenizer limits that check what `opts` checks (and no depth limit short of the cap).
fn limits_for(opts: &ValidateOptions) -> Limits {
    Limits {
        max_depth: opts.max_depth.unwrap_or(MAX_DEPTH),
        check_utf8: opts.check_utf8,
        decode_timestamps: opts.check_timestamps,
        ..Limits::default()
    }
}

/// The tokenizer's verdict on a whole buffer: Ok or its first error.
fn tokenizer_verdict(buf: &[u8], limits: Limits) -> Result<(), Error> {
    let mut t = Tokenizer::with_limits(buf, limits);
    while t.next_token()?.is_some() {}
    Ok(())
}

/// For every token of `buf`, the start offset and the end of the value it begins, computed
/// from the tokenizer's positions alone.
fn value_spans(buf: &[u8]) -> Vec<(usize, usize)> {
    let limits = Limits {
        max_depth: MAX_DEPTH,
        decode_timestamps: false,
        ..Limits::default()
    };
    let mut t = Tokenizer::with_limits(buf, limits);
    // (start, end_or_0, children left) for values still open.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut open: Vec<(usize, u64)> = Vec::new(); // (index into spans, children left)
    loop {
        let start = t.position();
        let Some(tok) = t.next_token().expect("valid input") else {
            break;
        };
        let end = t.position();
        let idx = spans.len();
        spans.push((start, 0));
        let children = match tok {
            Token::Array(n) => n as u64,
            Token::Map(n) => 2 * n as u64,
            _ => 0,
        };
        if children > 0 {
            open.push((idx, children));
            continue;
        }
        spans[idx].1 = end;
        // Close every container whose last child just ended.
        while let Some(top) = open.last_mut() {
            top.1 -= 1;
            if top.1 > 0 {
                break;
            }
            let (i, _) = open.pop().unwrap();
            spans[i].1 = end;
        }
    }
    assert!(open.is_empty());
    spans
}

fn check_spans(buf: &[u8]) -> usize {
    let spans = value_spans(buf);
    for &(start, end) in &spans {
        assert_eq!(skip_value(buf, start), Ok(end), "value at {start}");
    }
    assert_eq!(validate(buf), Ok(()));
    let all = ValidateOptions {
        check_utf8: false,
        check_timestamps: false,
        max_depth: None,
    };
    assert_eq!(validate_with(buf, &all), Ok(()));
    spans.len()
}

#[test]
fn end_offsets_agree_on_generated_data() {
    let listing = gen::listing(ListingConfig {
        seed: 5,
        entries: 2_500,
        page_size: 1_000,
    });
    assert!(check_spans(&listing) > 20_000);
    assert!(check_spans(&gen::messages(6, 80)) >= 80 * 9);
    assert!(check_spans(&gen::numeric(7, 4)) == 4 * 1001);
}

#[test]
fn end_offsets_agree_on_random_data() {
    let mut tokens = 0;
    for seed in 0..40 {
        tokens += check_spans(&random_buffer(seed, 30));
    }
    assert!(tokens > 1_000, "{tokens}");
}

/// Every kind of first error the validators can report, against the tokenizer.
fn check_first_error(buf: &[u8], what: &str) -> bool {
    let structure = ValidateOptions::default();
    let checked = ValidateOptions {
        check_utf8: true,
        check_timestamps: true,
        max_depth: None,
    };
    let strict = ValidateOptions::strict();
    let utf8 = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    let want = tokenizer_verdict(buf, limits_for(&structure));
    assert_eq!(
        validate_with(buf, &utf8),
        tokenizer_verdict(buf, limits_for(&utf8)),
        "{what}: utf8"
    );
    assert_eq!(validate(buf), want, "{what}: validate");
    assert_eq!(validate_with(buf, &structure), want, "{what}: structure");
    assert_eq!(
        validate_with(buf, &checked),
        tokenizer_verdict(buf, limits_for(&checked)),
        "{what}: utf8 + timestamps"
    );
    assert_eq!(
        validate_with(buf, &strict),
        tokenizer_verdict(buf, limits_for(&strict)),
        "{what}: strict"
    );
    want.is_err()
}

#[test]
fn first_error_agrees_under_byte_flips() {
    let mut rng = Rng::new(99);
    let sources = [
        gen::listing(ListingConfig {
            seed: 8,
            entries: 60,
            page_size: 25,
        }),
        gen::messages(9, 6),
        gen::numeric(10, 1),
        random_buffer(11, 40),
    ];
    let mut errors = 0;
    let mut cases = 0;
    for src in &sources {
        for _ in 0..300 {
            let mut buf = src.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(buf.len() as u64) as usize;
                buf[at] = match rng.below(4) {
                    0 => rng.below(256) as u8,
                    1 => buf[at] ^ (1 << rng.below(8)),
                    // Bytes that change structure most: reserved, container and length heads.
                    2 => [0xc1, 0xdc, 0xdd, 0xde, 0xdf, 0xd9, 0xda, 0xdb, 0xc6]
                        [rng.below(9) as usize],
                    _ => 0x80 | rng.below(0x40) as u8,
                };
            }
            cases += 1;
            if check_first_error(&buf, "flip") {
                errors += 1;
            }
        }
    }
    // The flips must actually produce errors, or the test checks little.
    assert!(errors > cases / 10, "{errors} errors in {cases} cases");
}

#[test]
fn first_error_agrees_on_every_truncation() {
    let sources = [
        gen::listing(ListingConfig {
            seed: 12,
            entries: 12,
            page_size: 5,
        }),
        gen::messages(13, 3),
        random_buffer(14, 12),
    ];
    for src in &sources {
        let short = &src[..src.len().min(6_000)];
        let mut errors = 0;
        for cut in 0..short.len() {
            if check_first_error(&short[..cut], "truncation") {
                errors += 1;
            }
        }
        assert!(errors > 0);
    }
}

#[test]
fn fast_kernel_matches_reference_from_every_offset() {
    // Starting mid-token gives arbitrary byte soup: the fast kernel and the reference loop
    // must agree on each start, success or error.
    let mut rng = Rng::new(3);
    let mut bufs = vec![random_buffer(21, 20), gen::messages(22, 2)];
    let mut noise = vec![0u8; 3_000];
    rng.fill(&mut noise);
    bufs.push(noise);
    let mut listing = gen::listing(ListingConfig {
        seed: 23,
        entries: 30,
        page_size: 30,
    });
    for _ in 0..20 {
        let at = rng.below(listing.len() as u64) as usize;
        listing[at] = rng.below(256) as u8;
    }
    bufs.push(listing);
    let mut ok = 0;
    let mut err = 0;
    for buf in &bufs {
        for start in 0..=buf.len() {
            let fast = skip_value(buf, start);
            assert_eq!(fast, skip_value_reference(buf, start), "start {start}");
            if fast.is_ok() {
                ok += 1;
            } else {
                err += 1;
            }
        }
    }
    assert!(ok > 1_000 && err > 1_000, "{ok} ok, {err} errors");
}

#[test]
fn huge_declared_counts_are_truncations_not_hangs() {
    // map32 claiming 2^32-1 pairs, array32 likewise, str32 claiming 4 GiB.
    for buf in [
        &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02][..],
        &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xdd, 0xff, 0xff, 0xff, 0xff][..],
        &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'][..],
    ] {
        let e = validate(buf).unwrap_err();
        assert!(e.is_truncated());
        assert_eq!(
            Err(e),
            tokenizer_verdict(buf, limits_for(&ValidateOptions::default()))
        );
    }
    // A reserved byte after a huge claim is reported where it is, as the tokenizer does.
    let buf = [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0xc1, 0x00, 0x00, 0x00];
    assert_eq!(validate(&buf).unwrap_err().offset(), 6);
}

#[test]
fn depth_limit_and_deep_nesting() {
    // 100,000 nested single-element arrays: skip needs no stack at all.
    let mut deep = vec![0x91u8; 100_000];
    deep.push(0xc0);
    assert_eq!(skip_value(&deep, 0), Ok(deep.len()));
    assert!(validate(&deep).is_ok());
    let opts = ValidateOptions {
        max_depth: Some(300),
        ..ValidateOptions::default()
    };
    let e = validate_with(&deep, &opts).unwrap_err();
    assert_eq!(e.offset(), 300);
    // Above the cap, the cap applies.
    let opts = ValidateOptions {
        max_depth: Some(usize::MAX),
        ..ValidateOptions::default()
    };
    assert_eq!(
        validate_with(&deep, &opts).unwrap_err().offset(),
        MAX_DEPTH as u64
    );
}

#[test]
fn utf8_errors_point_at_the_bad_byte() {
    let opts = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    // A long str8 with one bad byte deep inside, after valid multi-byte text.
    let mut s = "é".repeat(40).into_bytes();
    s[60] = 0xff; // the lead byte of the 31st "é"
    let mut w = Writer::new(Vec::new());
    w.array_len(2).unwrap();
    w.str("ok").unwrap();
    w.str_bytes(&s).unwrap();
    let buf = w.into_inner();
    let e = validate_with(&buf, &opts).unwrap_err();
    assert_eq!(e.offset(), (1 + 3 + 2 + 60) as u64);
    assert!(validate(&buf).is_ok());
}
