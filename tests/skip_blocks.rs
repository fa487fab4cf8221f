//! Skipping across the blocks of the block-wise kernel (128 bytes each, walked after 16 plain
//! steps): every kind of token placed at every offset around block boundaries, tokens that
//! straddle blocks, tokens that need the plain step at a block's end, buffers shorter than a
//! block, and corruption and truncation at each of those places. `skip_value` must agree with
//! the reference loop (end offset or exact first error) and, on valid data, with the tokenizer.

use msgskim::gen::Rng;
use msgskim::write::Writer;
use msgskim::{
    skip_value, skip_value_plain, skip_value_reference, validate, validate_with, Limits, Tokenizer,
    ValidateOptions,
};

/// One long array: `pad` single-byte fixints (to move everything after them by one byte per
/// `pad`), then tokens of every shape the kernel treats differently: self-sized scalars, fixstr
/// of every length, str8/bin8/ext8 whose size does or does not fit a byte, fixext, nested
/// fixmap/fixarray, and tokens sized by more than two bytes (str16, bin16, array16, map16,
/// bin32) that take the plain step.
fn shapes(pad: usize) -> Vec<u8> {
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut one = |f: &dyn Fn(&mut Writer<Vec<u8>>)| {
        let mut w = Writer::new(Vec::new());
        f(&mut w);
        items.push(w.into_inner());
    };
    for _ in 0..pad {
        one(&|w| {
            let _ = w.uint(7);
        });
    }
    for round in 0..3usize {
        one(&|w| {
            let _ = w.nil();
            let _ = w.bool(true);
            let _ = w.int(-5);
        });
        for v in [200u64, 60_000, 1 << 31, 1 << 40] {
            one(&|w| {
                let _ = w.uint(v);
                let _ = w.int(-(v as i64) / 2);
            });
        }
        one(&|w| {
            let _ = w.f32(1.5);
            let _ = w.f64(2.5);
        });
        for len in (0..32).step_by(1 + round) {
            one(&|w| {
                let _ = w.str(&"x".repeat(len));
            });
        }
        // str8/bin8 sizes around the largest end a block entry can hold, and past it.
        for len in [32usize, 100, 200, 250, 251, 252, 253, 254, 255] {
            one(&|w| {
                let _ = w.str(&"y".repeat(len));
                let _ = w.bin(&vec![0xc1u8; len]);
            });
        }
        for len in [1usize, 2, 4, 8, 16, 3, 17, 250, 255] {
            one(&|w| {
                let _ = w.ext(5, &vec![0xdeu8; len]);
            });
        }
        one(&|w| {
            let _ = w.map_len(2);
            let _ = w.str("k");
            let _ = w.array_len(3);
            let _ = w.uint(1);
            let _ = w.nil();
            let _ = w.str("v");
            let _ = w.str("w");
            let _ = w.map_len(0);
        });
        for n in [15u64, 20] {
            one(&|w| {
                let _ = w.array_len(n as u32);
                for i in 0..n {
                    let _ = w.uint(i * 1000);
                }
            });
        }
        one(&|w| {
            let _ = w.map_len(17);
            for i in 0..17 {
                let _ = w.uint(i);
                let _ = w.bool(false);
            }
        });
        one(&|w| {
            let _ = w.str(&"z".repeat(300 + 40 * round));
            let _ = w.bin(&vec![0x91u8; 70_000 * (round == 2) as usize + 400]);
        });
    }
    // Each item above may hold several values: count them with the tokenizer.
    let body: Vec<u8> = items.concat();
    let mut n = 0;
    let mut pos = 0;
    while pos < body.len() {
        pos = tokenizer_end(&body[pos..]) + pos;
        n += 1;
    }
    let mut w = Writer::new(Vec::new());
    let _ = w.array_len(n);
    let _ = w.raw(&body);
    w.into_inner()
}

/// The end of the one value at the start of `buf`, as the tokenizer sees it.
fn tokenizer_end(buf: &[u8]) -> usize {
    let mut t = Tokenizer::new(buf);
    loop {
        t.next_token().expect("valid").expect("a whole value");
        if t.is_at_boundary() {
            return t.position();
        }
    }
}

#[test]
fn every_shape_at_every_offset_around_block_boundaries() {
    for pad in 0..300 {
        let buf = shapes(pad);
        let end = buf.len();
        assert_eq!(tokenizer_end(&buf), end, "pad {pad}");
        assert_eq!(skip_value(&buf, 0), Ok(end), "pad {pad}");
        assert_eq!(skip_value_reference(&buf, 0), Ok(end), "pad {pad}");
        // Followed by more bytes, and followed by exactly a block's worth of nothing.
        let mut more = buf.clone();
        more.extend_from_slice(&[0xc0; 300]);
        assert_eq!(skip_value(&more, 0), Ok(end), "pad {pad}");
        assert!(validate(&more).is_ok());
    }
}

#[test]
fn every_start_offset_agrees_with_the_reference_loop() {
    // From every byte: real token starts, and starts inside payloads and headers.
    for pad in [0, 1, 37, 127, 128, 129] {
        let buf = shapes(pad);
        for pos in 0..buf.len().min(6_000) {
            let got = skip_value(&buf, pos);
            assert_eq!(got, skip_value_reference(&buf, pos), "pad {pad} at {pos}");
            assert_eq!(got, skip_value_plain(&buf, pos), "pad {pad} at {pos}");
        }
    }
}

#[test]
fn corruption_near_block_boundaries_gives_the_first_error() {
    let mut rng = Rng::new(21);
    for pad in [0, 127, 200] {
        let mut bad = shapes(pad);
        // Every byte of the first few blocks after the plain steps, and random ones after.
        let near = 0..bad.len().min(700);
        let far: Vec<usize> = (0..100)
            .map(|_| rng.below(bad.len() as u64) as usize)
            .collect();
        for at in near.chain(far) {
            let was = bad[at];
            for v in [0xc1u8, 0xdc, 0xdb, 0x9f, 0xd9, 0xc5] {
                bad[at] = v;
                assert_eq!(
                    skip_value(&bad, 0),
                    skip_value_reference(&bad, 0),
                    "pad {pad}: byte {at} set to {v:#04x}"
                );
            }
            bad[at] = was;
        }
    }
}

#[test]
fn every_truncation_gives_the_first_error() {
    // Includes every buffer shorter than one and two blocks.
    for pad in [0, 3, 130] {
        let buf = shapes(pad);
        for cut in 0..buf.len().min(5_000) {
            let got = skip_value(&buf[..cut], 0);
            assert_eq!(
                got,
                skip_value_reference(&buf[..cut], 0),
                "pad {pad} cut {cut}"
            );
            assert!(got.is_err(), "pad {pad} cut {cut}");
        }
    }
}

#[test]
fn random_long_values_agree_with_the_reference_loop() {
    // Long arrays of random small tokens, flipped bytes here and there.
    let mut rng = Rng::new(22);
    for round in 0..200 {
        let mut w = Writer::new(Vec::new());
        let n = 20 + rng.below(400) as u32;
        let _ = w.array_len(n);
        for _ in 0..n {
            let bits = rng.below(63);
            let _ = match rng.below(8) {
                0 => w.uint(rng.below(1 << bits)),
                1 => w.int(-(rng.below(1 << bits) as i64)),
                2 => w.str(&"s".repeat(rng.below(40) as usize)),
                3 => w.bin(&vec![0xa5; rng.below(300) as usize]),
                4 => w.f64(0.25),
                5 => w.array_len(0),
                6 => w.map_len(0),
                _ => w.nil(),
            };
        }
        let mut buf = w.into_inner();
        let flips = round % 4;
        for _ in 0..flips {
            let at = rng.below(buf.len() as u64) as usize;
            buf[at] = rng.next_u64() as u8;
        }
        assert_eq!(
            skip_value(&buf, 0),
            skip_value_reference(&buf, 0),
            "round {round}"
        );
        if flips == 0 {
            assert_eq!(skip_value(&buf, 0), Ok(buf.len()));
        }
    }
}

/// One long array of strs around every length the UTF-8 checking walk treats differently
/// (fixstr, str8 up to 31 bytes and past it, str16), ASCII and not, after `pad` fixints and
/// between ints, so that they fall at every offset of a block.
fn texts(pad: usize) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let lens = [0usize, 1, 5, 15, 16, 30, 31, 32, 33, 60, 200, 255, 256, 300];
    let n = pad + 3 * lens.len() * 2;
    let _ = w.array_len(n as u32);
    for _ in 0..pad {
        let _ = w.uint(7);
    }
    for round in 0..3 {
        for &len in &lens {
            let mut s = String::new();
            while s.len() < len {
                // Two-byte, three-byte and four-byte characters, and ASCII.
                s.push_str(["é", "€", "𝄞", "a"][(s.len() + round) % 4]);
            }
            while s.len() > len {
                s.pop();
            }
            while s.len() < len {
                s.push('a');
            }
            let _ = w.str(&s);
            let _ = w.uint(1000 * len as u64);
        }
    }
    w.into_inner()
}

/// What the tokenizer says of the whole buffer, checking UTF-8.
fn utf8_verdict(buf: &[u8]) -> Result<(), msgskim::Error> {
    let mut t = Tokenizer::with_limits(
        buf,
        Limits {
            check_utf8: true,
            decode_timestamps: false,
            ..Limits::default()
        },
    );
    while t.next_token()?.is_some() {}
    Ok(())
}

#[test]
fn utf8_checks_around_block_boundaries() {
    let opts = ValidateOptions {
        check_utf8: true,
        ..ValidateOptions::default()
    };
    let mut errors = 0;
    for pad in 0..160 {
        let buf = texts(pad);
        assert_eq!(validate_with(&buf, &opts), Ok(()), "pad {pad}");
        // Invalid bytes put into the strs near the first blocks: a stray continuation byte, a
        // lead byte without its continuation, a byte that is never UTF-8.
        let mut bad = buf.clone();
        for at in (pad + 20..bad.len().min(pad + 700)).step_by(7) {
            let was = bad[at];
            for v in [0x80u8, 0xc3, 0xff] {
                bad[at] = v;
                let got = validate_with(&bad, &opts);
                assert_eq!(
                    got,
                    utf8_verdict(&bad),
                    "pad {pad}: byte {at} set to {v:#04x}"
                );
                errors += got.is_err() as usize;
            }
            bad[at] = was;
        }
    }
    assert!(errors > 10_000, "{errors}");
}
