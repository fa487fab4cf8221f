//! The stream decoder against the whole-buffer tokenizer: every split point, random
//! chunkings, one byte at a time; its limits; how the input ends; error offsets.

mod stream_util;

use bytes::BufMut;
use msgskim::gen::{self, ListingConfig};
use msgskim::write::Writer;
use msgskim::{
    ErrorKind, Event, Limits, PayloadKind, StreamConfig, StreamDecoder, Timestamp, Token,
};
use stream_util::*;

/// One of every format, nested and at the top level.
fn every_format() -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    w.nil().unwrap();
    w.bool(true).unwrap();
    w.bool(false).unwrap();
    for v in [
        0u64,
        127,
        128,
        255,
        256,
        65_535,
        65_536,
        u32::MAX as u64 + 1,
        u64::MAX,
    ] {
        w.uint(v).unwrap();
    }
    for v in [
        -1i64,
        -32,
        -33,
        -129,
        -32_769,
        i32::MIN as i64 - 1,
        i64::MIN,
    ] {
        w.int(v).unwrap();
    }
    w.f32(1.5).unwrap();
    w.f64(-2.25e300).unwrap();
    w.array_len(3).unwrap();
    for n in [0usize, 31, 32] {
        w.str(&"x".repeat(n)).unwrap();
    }
    w.map_len(2).unwrap();
    w.str("long").unwrap();
    w.str_bytes(&[0xffu8; 300]).unwrap();
    w.str("bins").unwrap();
    w.array_len(2).unwrap();
    w.bin(&[7u8; 10]).unwrap();
    w.bin(&[9u8; 300]).unwrap();
    for n in [1usize, 2, 4, 8, 16, 3, 300] {
        w.ext(5, &vec![n as u8; n]).unwrap();
    }
    for ts in [
        Timestamp::new(1, 0),
        Timestamp::new(1 << 33, 5),
        Timestamp::new(-7, 999_999_999),
    ] {
        w.timestamp(ts.unwrap()).unwrap();
    }
    w.array_len(0).unwrap();
    w.map_len(0).unwrap();
    w.array_len(20).unwrap();
    for i in 0..20 {
        w.array_len(1).unwrap();
        w.map_len(1).unwrap();
        w.uint(i).unwrap();
        w.nil().unwrap();
    }
    w.map_len(17).unwrap();
    for i in 0..17 {
        w.uint(i).unwrap();
        w.int(-(i as i64)).unwrap();
    }
    w.into_inner()
}

/// Messages cut down to whole values of at most `max` bytes in all.
fn few_messages(seed: u64, max: usize) -> Vec<u8> {
    let all = gen::messages(seed, 40);
    let mut end = 0;
    for (off, bytes) in reference_frames(&all) {
        if off as usize + bytes.len() > max {
            continue;
        }
        if off as usize == end {
            end += bytes.len();
        }
    }
    all[..end].to_vec()
}

fn small_streams() -> Vec<Vec<u8>> {
    vec![
        every_format(),
        gen::listing(ListingConfig {
            seed: 3,
            entries: 14,
            page_size: 5,
        }),
        few_messages(5, 3000),
        gen::numeric(2, 1)[..].to_vec(),
    ]
}

fn no_chunks() -> StreamConfig {
    StreamConfig {
        chunk_threshold: usize::MAX,
        ..StreamConfig::default()
    }
}

fn small_chunks() -> StreamConfig {
    StreamConfig {
        chunk_threshold: 8,
        ..StreamConfig::default()
    }
}

#[test]
fn every_split_point_matches_whole_buffer() {
    for data in small_streams() {
        assert!(!data.is_empty());
        let limits = StreamConfig::default().limits;
        let want_tokens = reference_tokens(&data, limits).unwrap();
        let want_frames = reference_frames(&data);
        for i in 0..=data.len() {
            let pieces = [&data[..i], &data[i..]];
            assert_eq!(
                stream_tokens(pieces, no_chunks()).unwrap(),
                want_tokens,
                "tokens, split at {i}"
            );
            assert_eq!(
                stream_tokens(pieces, small_chunks()).unwrap(),
                want_tokens,
                "chunked tokens, split at {i}"
            );
            assert_eq!(
                stream_frames(pieces, no_chunks()).unwrap(),
                want_frames,
                "frames, split at {i}"
            );
        }
    }
}

#[test]
fn three_piece_splits_match_whole_buffer() {
    let mut rng = gen::Rng::new(11);
    for data in small_streams() {
        let want_tokens = reference_tokens(&data, Limits::default()).unwrap();
        let want_frames = reference_frames(&data);
        for _ in 0..300 {
            let a = rng.below(data.len() as u64 + 1) as usize;
            let b = a + rng.below((data.len() - a) as u64 + 1) as usize;
            let pieces = [&data[..a], &data[a..b], &data[b..]];
            assert_eq!(stream_tokens(pieces, small_chunks()).unwrap(), want_tokens);
            assert_eq!(stream_frames(pieces, no_chunks()).unwrap(), want_frames);
        }
    }
}

fn larger_streams() -> Vec<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    // str32 and bin32 need payloads of 64 KiB and more.
    w.str_bytes(&vec![b'a'; 70_000]).unwrap();
    w.bin(&vec![1u8; 66_000]).unwrap();
    w.ext(-3, &vec![2u8; 65_537]).unwrap();
    vec![
        gen::listing_of_size(9, 300_000),
        gen::messages(4, 40),
        gen::numeric(6, 30),
        w.into_inner(),
    ]
}

#[test]
fn random_chunkings_match_whole_buffer() {
    for (i, data) in larger_streams().iter().enumerate() {
        let want_tokens = reference_tokens(data, Limits::default()).unwrap();
        let want_frames = reference_frames(data);
        for (j, max) in [2usize, 7, 100, 4096, 70_000].into_iter().enumerate() {
            let pieces = random_pieces(data, (i * 10 + j) as u64, max);
            let chunked = StreamConfig {
                chunk_threshold: 1000,
                ..StreamConfig::default()
            };
            assert_eq!(
                stream_tokens(pieces.iter().copied(), chunked).unwrap(),
                want_tokens,
                "stream {i}, pieces up to {max}"
            );
            assert_eq!(
                stream_tokens(pieces.iter().copied(), no_chunks()).unwrap(),
                want_tokens
            );
            assert_eq!(
                stream_frames(pieces.iter().copied(), no_chunks()).unwrap(),
                want_frames
            );
        }
    }
}

/// The depth after each token of the whole-buffer tokenizer (no chunked payloads).
fn reference_depths(data: &[u8]) -> Vec<usize> {
    let mut t = msgskim::Tokenizer::new(data);
    let mut out = Vec::new();
    while t.next_token().unwrap().is_some() {
        out.push(t.depth());
    }
    out
}

#[test]
fn every_way_of_taking_tokens_gives_the_same_events_and_depths() {
    for (i, data) in larger_streams().iter().enumerate() {
        let want_tokens = reference_tokens(data, Limits::default()).unwrap();
        let want_depths = reference_depths(data);
        for (j, max) in [1usize, 2, 7, 100, 4096, 70_000].into_iter().enumerate() {
            let pieces = random_pieces(data, (i * 10 + j) as u64 + 500, max);
            let mut chunked_depths = None;
            for way in WAYS {
                let whole = stream_tokens_by(pieces.iter().copied(), no_chunks(), way).unwrap();
                assert_eq!(
                    whole.tokens, want_tokens,
                    "{way:?}, stream {i}, pieces up to {max}"
                );
                assert_eq!(
                    whole.depths, want_depths,
                    "{way:?}, stream {i}, pieces up to {max}"
                );
                let chunked = StreamConfig {
                    chunk_threshold: 1000,
                    ..StreamConfig::default()
                };
                let got = stream_tokens_by(pieces.iter().copied(), chunked, way).unwrap();
                assert_eq!(
                    got.tokens, want_tokens,
                    "{way:?} chunked, stream {i}, up to {max}"
                );
                // Pieces depend on the chunking; the depths after them must not depend on
                // the way they are taken.
                match &chunked_depths {
                    None => chunked_depths = Some((got.pieces, got.depths)),
                    Some(d) => assert_eq!(d, &(got.pieces, got.depths), "{way:?} chunked"),
                }
            }
        }
    }
}

#[test]
fn every_way_stops_at_the_same_error_with_the_same_events_before_it() {
    let mut data = gen::listing(ListingConfig {
        seed: 4,
        entries: 30,
        page_size: 10,
    });
    // The lead byte of the token in the middle of the stream.
    let mut starts = Vec::new();
    let mut t = msgskim::Tokenizer::new(&data);
    while {
        starts.push(t.position());
        t.next_token().unwrap().is_some()
    } {}
    let at = starts[starts.len() / 2];
    data[at] = 0xc1;
    let mut want = None;
    for way in WAYS {
        for max in [1usize, 5, 64, 4096] {
            let pieces = random_pieces(&data, max as u64, max);
            let mut dec = StreamDecoder::new();
            let mut sink = TokenSink::default();
            let mut err = None;
            for p in pieces {
                if let Err(e) = sink.feed_by(&mut dec, p, way) {
                    err = Some(e);
                    break;
                }
            }
            let err = err.expect("the reserved byte is an error");
            assert_eq!(
                (err.offset(), err.kind()),
                (at as u64, ErrorKind::ReservedByte)
            );
            // Every later call returns the same error.
            assert_eq!(dec.next_token().unwrap_err(), err);
            assert_eq!(dec.events().next().unwrap().unwrap_err(), err);
            assert_eq!(dec.for_each_event(|_, _| ()).unwrap_err(), err);
            assert_eq!(dec.feed_events(&[0xc0], |_, _| ()).unwrap_err(), err);
            let got = (sink.tokens, err);
            match &want {
                None => want = Some(got),
                Some(w) => assert_eq!(w, &got, "{way:?}, pieces up to {max}"),
            }
        }
    }
}

#[test]
fn one_byte_at_a_time_matches_whole_buffer() {
    for data in larger_streams() {
        let want_tokens = reference_tokens(&data, Limits::default()).unwrap();
        let want_frames = reference_frames(&data);
        assert_eq!(
            stream_tokens(data.chunks(1), StreamConfig::default()).unwrap(),
            want_tokens
        );
        assert_eq!(
            stream_frames(data.chunks(1), StreamConfig::default()).unwrap(),
            want_frames
        );
    }
}

#[test]
fn long_payloads_come_in_pieces_as_they_arrive() {
    let mut w = Writer::new(Vec::new());
    w.array_len(2).unwrap();
    w.bin(&[5u8; 1000]).unwrap();
    w.uint(1).unwrap();
    let data = w.into_inner();
    let config = StreamConfig {
        chunk_threshold: 100,
        ..StreamConfig::default()
    };
    let mut dec = StreamDecoder::with_config(config);
    dec.feed(&data[..50]).unwrap();
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::Token(Token::Array(2)))
    );
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::PayloadStart {
            kind: PayloadKind::Bin,
            len: 1000
        })
    );
    // bin16 header: 3 bytes, after the 1-byte array header.
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::PayloadChunk(&[5u8; 46][..]))
    );
    assert_eq!(dec.next_token().unwrap(), None);
    let mut got = 46;
    for piece in data[50..].chunks(200) {
        dec.feed(piece).unwrap();
        // The decoder never holds more than the piece just fed plus what was unread.
        assert!(dec.buffer().len() <= 200 + 1);
        while let Some(ev) = dec.next_token().unwrap() {
            match ev {
                Event::PayloadChunk(p) => got += p.len(),
                Event::PayloadEnd => assert_eq!(got, 1000),
                Event::Token(t) => assert_eq!(t, Token::UInt(1)),
                other => panic!("{other:?}"),
            }
        }
    }
    dec.finish().unwrap();
}

#[test]
fn chunked_str_utf8_errors_match_the_tokenizer() {
    let limits = Limits {
        check_utf8: true,
        ..StreamConfig::default().limits
    };
    let good = "añb€c😀d".repeat(6);
    let mut cases: Vec<Vec<u8>> = vec![good.as_bytes().to_vec()];
    for bad_at in [0usize, 2, 5, 9, 20, 44] {
        let mut b = good.as_bytes().to_vec();
        let i = bad_at.min(b.len() - 1);
        b[i] = 0xff;
        cases.push(b);
    }
    let mut cut = good.as_bytes().to_vec();
    cut.truncate(cut.len() - 2); // ends inside the 4-byte emoji
    cases.push(cut);
    let mut bad_cont = good.as_bytes().to_vec();
    bad_cont[2] = b'z'; // the continuation byte of 'ñ'
    cases.push(bad_cont);
    for s in cases {
        let mut w = Writer::new(Vec::new());
        w.array_len(1).unwrap();
        w.str_bytes(&s).unwrap();
        let data = w.into_inner();
        let want = reference_tokens(&data, limits);
        for i in 0..=data.len() {
            let config = StreamConfig {
                limits,
                chunk_threshold: 4,
                ..StreamConfig::default()
            };
            let mut dec = StreamDecoder::with_config(config);
            let mut sink = TokenSink::default();
            let mut r = Ok(());
            for p in [&data[..i], &data[i..]] {
                dec.feed(p).unwrap();
                r = r.and_then(|()| sink.drain(&mut dec));
            }
            match (&want, r) {
                (Ok(toks), Ok(())) => assert_eq!(&sink.tokens, toks),
                (Err(we), Err(ge)) => assert_eq!(we, &ge, "split at {i}"),
                (w, g) => panic!("split at {i}: want {w:?}, got {g:?}"),
            }
        }
    }
}

#[test]
fn finish_tells_clean_end_from_truncated_value() {
    let data = gen::messages(8, 5);
    let frames = reference_frames(&data);
    let (last_off, _) = frames[frames.len() - 1];
    // Clean: every value complete, read or not.
    let mut dec = StreamDecoder::new();
    dec.feed(&data).unwrap();
    dec.finish().unwrap();
    while dec.next_frame().unwrap().is_some() {}
    dec.finish().unwrap();
    // Cut anywhere inside the last value: truncation at its first byte.
    for cut in [last_off as usize + 1, data.len() - 1, data.len() - 10] {
        for tokens in [false, true] {
            let mut dec = StreamDecoder::new();
            for p in data[..cut].chunks(977) {
                dec.feed(p).unwrap();
                drain(&mut dec, tokens).unwrap();
            }
            let err = dec.finish().unwrap_err();
            assert!(err.is_truncated(), "{err}");
            assert_eq!(err.offset(), last_off, "cut at {cut}, tokens {tokens}");
        }
    }
    // A long payload still arriving is truncation too.
    let mut dec = StreamDecoder::with_config(StreamConfig {
        chunk_threshold: 10,
        ..StreamConfig::default()
    });
    dec.feed(&[0xc0, 0xc5, 0x01, 0x00, 1, 2, 3]).unwrap();
    while dec.next_token().unwrap().is_some() {}
    let err = dec.finish().unwrap_err();
    assert_eq!(
        (err.offset(), err.kind()),
        (1, ErrorKind::Truncated { needed: 253 })
    );
}

#[test]
fn errors_carry_absolute_offsets() {
    let data = gen::messages(3, 6);
    let n = data.len();
    let mut bad = data.clone();
    bad.extend_from_slice(&[0x92, 0x01, 0xc1]);
    for tokens in [false, true] {
        let mut dec = StreamDecoder::new();
        let mut err = None;
        for p in bad.chunks(1000) {
            dec.feed(p).unwrap();
            let r = drain(&mut dec, tokens);
            if let Err(e) = r {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("the reserved byte is an error");
        assert_eq!(err.kind(), ErrorKind::ReservedByte);
        assert_eq!(err.offset(), n as u64 + 2);
        // The error sticks.
        assert_eq!(dec.next_frame().unwrap_err(), err);
        assert_eq!(dec.next_token().unwrap_err(), err);
        assert_eq!(dec.finish().unwrap_err(), err);
    }
}

#[test]
fn buffer_limit() {
    let config = StreamConfig {
        max_buffer: 64,
        ..StreamConfig::default()
    };
    // feed refuses what would take the unread bytes past the limit, and keeps nothing of it.
    let mut dec = StreamDecoder::with_config(config);
    dec.feed(&[0xc0; 60]).unwrap();
    let e = dec.feed(&[0xc0; 5]).unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (0, ErrorKind::BufferLimit { limit: 64 })
    );
    for _ in 0..30 {
        assert!(dec.next_frame().unwrap().is_some());
    }
    dec.feed(&[0xc0; 5]).unwrap();
    assert_eq!(dec.buffer_offset(), 30);

    // A value whose header says it needs more than the limit fails at once, at its offset.
    let mut dec = StreamDecoder::with_config(config);
    dec.feed(&[0xc0, 0xc0, 0xc5, 0x01, 0x00]).unwrap();
    assert!(dec.next_frame().unwrap().is_some());
    assert!(dec.next_frame().unwrap().is_some());
    let e = dec.next_frame().unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (2, ErrorKind::BufferLimit { limit: 64 })
    );
    assert!(dec.buffer().len() < 64);

    // A frame that grows past the limit token by token fails too.
    let mut dec = StreamDecoder::with_config(config);
    dec.feed(&[0xdc, 0x01, 0x00]).unwrap();
    let mut err = None;
    for _ in 0..100 {
        if let Err(e) = dec.next_frame().and_then(|f| {
            assert!(f.is_none());
            dec.feed(&[0x01])
        }) {
            err = Some(e);
            break;
        }
    }
    let e = err.unwrap();
    assert_eq!(
        (e.offset(), e.kind()),
        (0, ErrorKind::BufferLimit { limit: 64 })
    );

    // As tokens, the same long array streams through in bounded memory.
    let mut dec = StreamDecoder::with_config(config);
    dec.feed(&[0xdc, 0x01, 0x00]).unwrap();
    let mut count = 0;
    for _ in 0..256 {
        dec.feed(&[0x01]).unwrap();
        while dec.next_token().unwrap().is_some() {
            count += 1;
        }
    }
    assert_eq!(count, 257);
    dec.finish().unwrap();

    // A token that needs more than the limit and is not chunked fails at its offset.
    let mut dec = StreamDecoder::with_config(StreamConfig {
        chunk_threshold: usize::MAX,
        ..config
    });
    dec.feed(&[0x91, 0xd9, 0xc8, b'a']).unwrap();
    assert!(dec.next_token().unwrap().is_some());
    let e = dec.next_token().unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (1, ErrorKind::BufferLimit { limit: 64 })
    );
}

#[test]
fn a_declared_length_never_drives_an_allocation() {
    // Headers claiming 4 GiB, with a few bytes behind them.
    for head in [
        &[0xc6u8, 0xff, 0xff, 0xff, 0xff][..],
        &[0xdb, 0xff, 0xff, 0xff, 0xff],
        &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
    ] {
        let config = StreamConfig {
            limits: Limits {
                max_payload_len: u64::MAX,
                ..StreamConfig::default().limits
            },
            ..StreamConfig::default()
        };
        let mut dec = StreamDecoder::with_config(config);
        dec.feed(head).unwrap();
        dec.feed(&[0u8; 100]).unwrap();
        let e = dec.next_frame().unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::BufferLimit {
                limit: StreamConfig::DEFAULT_MAX_BUFFER
            }
        );
        // As tokens it streams: pieces as bytes arrive, nothing reserved for the rest.
        let mut dec = StreamDecoder::with_config(config);
        dec.feed(head).unwrap();
        assert!(matches!(
            dec.next_token().unwrap(),
            Some(Event::PayloadStart {
                len: 0xffff_ffff,
                ..
            })
        ));
        for _ in 0..10 {
            dec.feed(&[0u8; 1000]).unwrap();
            assert!(matches!(
                dec.next_token().unwrap(),
                Some(Event::PayloadChunk(p)) if p.len() == 1000
            ));
            assert!(dec.next_token().unwrap().is_none());
        }
        let mut spare = dec.spare(10).unwrap();
        assert!(spare.get_mut().capacity() < 1 << 20);
        spare.put_u8(0);
    }
    // With the default limits the length itself is refused.
    let mut dec = StreamDecoder::new();
    dec.feed(&[0xc6, 0xff, 0xff, 0xff, 0xff]).unwrap();
    assert_eq!(
        dec.next_token().unwrap_err().kind(),
        ErrorKind::LengthLimit {
            len: u32::MAX as u64,
            limit: StreamConfig::DEFAULT_MAX_BUFFER as u64
        }
    );
}

#[test]
fn depth_payload_and_container_limits() {
    let config = StreamConfig {
        limits: Limits {
            max_depth: 3,
            max_payload_len: 10,
            max_container_len: 4,
            ..Limits::default()
        },
        ..StreamConfig::default()
    };
    let cases: [(&[u8], u64, ErrorKind); 4] = [
        (
            &[0xc0, 0x91, 0x91, 0x91, 0x91, 0xc0],
            4,
            ErrorKind::DepthLimit { limit: 3 },
        ),
        (
            &[0xc0, 0x91, 0xab],
            2,
            ErrorKind::LengthLimit { len: 11, limit: 10 },
        ),
        (
            &[0xc0, 0xc0, 0xdc, 0x00, 0x05],
            2,
            ErrorKind::ContainerLimit { len: 5, limit: 4 },
        ),
        (&[0x85], 0, ErrorKind::ContainerLimit { len: 5, limit: 4 }),
    ];
    for (data, off, kind) in cases {
        for tokens in [false, true] {
            let mut dec = StreamDecoder::with_config(config);
            let mut err = None;
            // One byte at a time: the error comes as soon as its header is complete.
            for &b in data {
                dec.feed(&[b]).unwrap();
                let r = drain(&mut dec, tokens);
                if let Err(e) = r {
                    err = Some(e);
                    break;
                }
            }
            let e = err.unwrap_or_else(|| panic!("{data:x?} gave no error"));
            assert_eq!(
                (e.offset(), e.kind()),
                (off, kind),
                "{data:x?} tokens {tokens}"
            );
        }
    }
    // The chunked path applies the payload limit as well.
    let mut dec = StreamDecoder::with_config(StreamConfig {
        chunk_threshold: 2,
        ..config
    });
    dec.feed(&[0xc4, 0x0b, 1]).unwrap();
    assert_eq!(
        dec.next_token().unwrap_err().kind(),
        ErrorKind::LengthLimit { len: 11, limit: 10 }
    );
}

#[test]
fn defaults_are_documented_values() {
    let c = StreamConfig::default();
    assert_eq!(c.max_buffer, 100 * 1024 * 1024);
    assert_eq!(c.limits.max_payload_len, c.max_buffer as u64);
    assert_eq!(c.limits.max_container_len, c.max_buffer as u64);
    assert_eq!(c.limits.max_depth, Limits::DEFAULT_MAX_DEPTH);
    assert_eq!(c.chunk_threshold, 1 << 20);
}

#[test]
fn frames_share_the_buffer_and_payloads_slice_it() {
    let data = gen::messages(12, 20);
    let mut dec = StreamDecoder::new();
    let mut n = 0;
    for p in data.chunks(5000) {
        dec.feed(p).unwrap();
        loop {
            let start = dec.buffer().as_ptr();
            let Some(frame) = dec.next_frame().unwrap() else {
                break;
            };
            // The frame is the front of the decoder's buffer, not a copy of it.
            assert_eq!(frame.as_ptr(), start);
            let audio = frame
                .tokens()
                .find_map(|t| match t.unwrap() {
                    Token::Bin(b) => Some(b),
                    _ => None,
                })
                .unwrap();
            let shared = frame.slice_ref(audio).unwrap();
            assert_eq!(shared.as_ptr(), audio.as_ptr());
            n += 1;
        }
    }
    assert_eq!(n, 20);
}

#[test]
fn switching_between_tokens_and_frames() {
    let data = [0x92, 0x01, 0x02, 0x91, 0xc0, 0xc3];
    let mut dec = StreamDecoder::new();
    dec.feed(&data[..2]).unwrap();
    // A frame partly scanned, then read as tokens from its start.
    assert!(dec.next_frame().unwrap().is_none());
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::Token(Token::Array(2)))
    );
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::Token(Token::UInt(1)))
    );
    // Tokens of an open value taken: frames refused until the value is done.
    let e = dec.next_frame().unwrap_err();
    assert_eq!(e.offset(), 0);
    assert!(matches!(e.kind(), ErrorKind::UnexpectedType { .. }));
    dec.feed(&data[2..]).unwrap();
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::Token(Token::UInt(2)))
    );
    let f = dec.next_frame().unwrap().unwrap();
    assert_eq!((f.offset(), &f[..]), (3, &[0x91, 0xc0][..]));
    assert_eq!(
        dec.next_token().unwrap(),
        Some(Event::Token(Token::Bool(true)))
    );
    assert_eq!(dec.next_token().unwrap(), None);
    dec.finish().unwrap();
}

#[test]
fn spare_and_read_from_match_feed() {
    let data = gen::listing_of_size(2, 100_000);
    let want = reference_frames(&data);
    // Through the BufMut of `spare`.
    let mut dec = StreamDecoder::new();
    let mut got = Vec::new();
    for p in random_pieces(&data, 5, 3000) {
        dec.spare(p.len()).unwrap().put_slice(p);
        while let Some(f) = dec.next_frame().unwrap() {
            got.push((f.offset(), f.to_vec()));
        }
    }
    dec.finish().unwrap();
    assert_eq!(got, want);
    // Through `read_from`, with a reader that returns odd amounts.
    struct Odd<'a>(&'a [u8], gen::Rng);
    impl std::io::Read for Odd<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (1 + self.1.below(5000) as usize)
                .min(buf.len())
                .min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut reader = Odd(&data, gen::Rng::new(3));
    let mut dec = StreamDecoder::new();
    let mut sink = TokenSink::default();
    while dec.read_from(&mut reader).unwrap() > 0 {
        sink.drain(&mut dec).unwrap();
    }
    dec.finish().unwrap();
    assert_eq!(
        sink.tokens,
        reference_tokens(&data, Limits::default()).unwrap()
    );
}

#[test]
fn conformance_suite_one_byte_at_a_time() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/msgpack-test-suite.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("conformance suite not found at {path}; skipped");
        return;
    };
    let mut cases = 0;
    let mut in_msgpack = false;
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        if line.starts_with("\"msgpack\"") {
            in_msgpack = true;
            continue;
        }
        if line.starts_with(']') {
            in_msgpack = false;
        }
        if !in_msgpack {
            continue;
        }
        let Some(hex) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else {
            continue;
        };
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            continue;
        }
        let bytes: Vec<u8> = hex
            .split('-')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        let want_tokens = reference_tokens(&bytes, Limits::default()).unwrap();
        assert_eq!(
            stream_tokens(bytes.chunks(1), small_chunks()).unwrap(),
            want_tokens
        );
        assert_eq!(
            stream_frames(bytes.chunks(1), no_chunks()).unwrap(),
            vec![(0, bytes.clone())]
        );
        cases += 1;
    }
    assert!(cases > 100, "only {cases} encodings found");
}

mod arbitrary_bytes {
    use super::*;
    use proptest::prelude::*;

    fn config() -> StreamConfig {
        StreamConfig {
            max_buffer: usize::MAX / 2,
            chunk_threshold: usize::MAX,
            ..StreamConfig::default()
        }
    }

    /// Bytes that are mostly msgpack-shaped: short headers, small lengths, some 0xc1.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                4 => 0u8..=0x7f,
                2 => 0x80u8..=0x9f,
                2 => 0xa0u8..=0xbf,
                3 => 0xc0u8..=0xdf,
                1 => 0xe0u8..=0xff,
                1 => Just(0u8),
            ],
            0..120,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any bytes in any chunking: the same tokens as the whole-buffer tokenizer, then the
        /// same error, or a truncation reported by `finish`.
        #[test]
        fn tokens_and_errors_match_the_tokenizer(data in bytes(), seed in 0u64..1000, max in 1usize..20) {
            let limits = config().limits;
            let mut want = Vec::new();
            let mut want_err = None;
            for t in msgskim::Tokenizer::with_limits(&data, limits) {
                match t {
                    Ok(t) => want.push(owned(&t)),
                    Err(e) => want_err = Some(e),
                }
            }
            let mut dec = StreamDecoder::with_config(config());
            let mut sink = TokenSink::default();
            let mut got_err = None;
            for p in random_pieces(&data, seed, max) {
                dec.feed(p).unwrap();
                if let Err(e) = sink.drain(&mut dec) {
                    got_err = Some(e);
                    break;
                }
            }
            prop_assert_eq!(&sink.tokens, &want);
            match (want_err, got_err) {
                (None, None) => prop_assert!(dec.finish().is_ok()),
                (Some(w), None) => {
                    prop_assert!(w.is_truncated());
                    let f = dec.finish().unwrap_err();
                    prop_assert!(f.is_truncated());
                    prop_assert!(f.offset() <= w.offset());
                }
                (Some(w), Some(g)) => prop_assert_eq!(w, g),
                (None, Some(g)) => prop_assert!(false, "stream error {:?} the tokenizer did not see", g),
            }
        }

        /// The same for frames: every complete value before the first error, then that error.
        #[test]
        fn frames_and_errors_match_the_tokenizer(data in bytes(), seed in 0u64..1000, max in 1usize..20) {
            let limits = config().limits;
            let mut want = Vec::new();
            let mut want_err = None;
            let mut tok = msgskim::Tokenizer::with_limits(&data, limits);
            let mut start = 0;
            loop {
                match tok.next_token() {
                    Ok(Some(_)) => {
                        if tok.is_at_boundary() {
                            want.push((start as u64, data[start..tok.position()].to_vec()));
                            start = tok.position();
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        want_err = Some(e);
                        break;
                    }
                }
            }
            let mut dec = StreamDecoder::with_config(config());
            let mut got = Vec::new();
            let mut got_err = None;
            'feed: for p in random_pieces(&data, seed, max) {
                dec.feed(p).unwrap();
                loop {
                    match dec.next_frame() {
                        Ok(Some(f)) => got.push((f.offset(), f.to_vec())),
                        Ok(None) => break,
                        Err(e) => {
                            got_err = Some(e);
                            break 'feed;
                        }
                    }
                }
            }
            prop_assert_eq!(&got, &want);
            match (want_err, got_err) {
                (None, None) => prop_assert!(dec.finish().is_ok()),
                (Some(w), None) => {
                    prop_assert!(w.is_truncated());
                    let f = dec.finish().unwrap_err();
                    prop_assert!(f.is_truncated());
                    prop_assert_eq!(f.offset(), start as u64);
                }
                (Some(w), Some(g)) => prop_assert_eq!(w, g),
                (None, Some(g)) => prop_assert!(false, "stream error {:?} the tokenizer did not see", g),
            }
        }
    }
}

/// `feed_events` at every split point and under small chunk thresholds gives the tokens of
/// the whole-buffer tokenizer, and after every call the decoder holds nothing but the start
/// of the token cut at the end of the piece.
#[test]
fn feed_events_matches_whole_buffer_and_keeps_only_the_cut_token() {
    for data in small_streams().into_iter().chain(larger_streams()) {
        let want = reference_tokens(&data, Limits::default()).unwrap();
        // The longest token (header and payload) in the data.
        let mut t = msgskim::Tokenizer::new(&data);
        let (mut longest, mut at) = (0, 0);
        while t.next_token().unwrap().is_some() {
            longest = longest.max(t.position() - at);
            at = t.position();
        }
        let mut cuts: Vec<Vec<&[u8]>> = Vec::new();
        if data.len() < 5000 {
            cuts.extend((0..=data.len()).map(|i| vec![&data[..i], &data[i..]]));
        }
        for max in [1usize, 3, 64, 4096] {
            cuts.push(random_pieces(&data, max as u64 + 77, max));
        }
        for pieces in cuts {
            for config in [no_chunks(), small_chunks()] {
                let mut dec = StreamDecoder::with_config(config);
                let mut sink = TokenSink::default();
                let mut fed = 0u64;
                for p in &pieces {
                    sink.feed_by(&mut dec, p, Way::FeedEvents).unwrap();
                    fed += p.len() as u64;
                    assert_eq!(dec.buffer_offset() + dec.buffer().len() as u64, fed);
                    assert_eq!(dec.position(), dec.buffer_offset());
                    assert!(dec.buffer().len() < longest, "{} held", dec.buffer().len());
                }
                dec.finish().unwrap();
                assert_eq!(sink.tokens, want);
            }
        }
    }
}

/// Pieces taken alternately with `feed_events` and with the buffered ways give the same
/// tokens and depths as the whole-buffer tokenizer: each way takes over where the last one
/// stopped, whatever it left in the buffer.
#[test]
fn feed_events_mixes_with_the_buffered_ways() {
    let mut rng = gen::Rng::new(41);
    for (i, data) in larger_streams().iter().enumerate() {
        let want_tokens = reference_tokens(data, Limits::default()).unwrap();
        let want_depths = reference_depths(data);
        for max in [1usize, 9, 300, 5000] {
            let pieces = random_pieces(data, i as u64 * 7 + max as u64, max);
            let mut dec = StreamDecoder::with_config(no_chunks());
            let mut sink = TokenSink::default();
            for p in pieces {
                let way = WAYS[rng.below(WAYS.len() as u64) as usize];
                sink.feed_by(&mut dec, p, way).unwrap();
            }
            dec.finish().unwrap();
            assert_eq!(sink.tokens, want_tokens, "stream {i}, pieces up to {max}");
            assert_eq!(sink.depths, want_depths, "stream {i}, pieces up to {max}");
        }
    }
    // A value partly scanned as a frame is read again from its start.
    let data = [0x93, 0x01, 0x02, 0x03, 0xc0];
    let mut dec = StreamDecoder::new();
    dec.feed(&data[..2]).unwrap();
    assert!(dec.next_frame().unwrap().is_none());
    let mut sink = TokenSink::default();
    sink.feed_by(&mut dec, &data[2..], Way::FeedEvents).unwrap();
    assert_eq!(
        sink.tokens,
        reference_tokens(&data, Limits::default()).unwrap()
    );
    assert_eq!(sink.depths, [1, 1, 1, 0, 0]);
}

/// Limits, UTF-8 checks of chunked strs, bad bytes and truncation through `feed_events`:
/// the same events and the same error (offset and kind) as `next_token` on the buffered
/// bytes, at every split point and one byte at a time.
#[test]
fn feed_events_errors_match_next_token() {
    let limits = Limits {
        max_depth: 3,
        max_payload_len: 40,
        max_container_len: 4,
        check_utf8: true,
        ..Limits::default()
    };
    let mut long_str = vec![0xb4];
    long_str.extend("añb€c😀".repeat(2).as_bytes());
    let mut bad_str = long_str.clone();
    bad_str[5] = 0xff;
    let cases: Vec<Vec<u8>> = vec![
        vec![0xc0, 0x91, 0x91, 0x91, 0x91, 0xc0],
        vec![0xc0, 0x91, 0xd9, 41],
        vec![0xc0, 0xc0, 0xdc, 0x00, 0x05],
        vec![0x92, 0x01, 0xc1],
        vec![0x91, 0xd7, 0xff, 0xee, 0x6b, 0x28, 0, 0, 0, 0, 0],
        [&[0x92][..], &long_str, &[0x07]].concat(),
        [&[0x92][..], &bad_str, &[0x07]].concat(),
        vec![0x92, 0xc4, 0x20, 1, 2],
    ];
    for data in cases {
        for threshold in [4, usize::MAX] {
            let config = StreamConfig {
                limits,
                chunk_threshold: threshold,
                ..StreamConfig::default()
            };
            let buffered = |pieces: &[&[u8]]| {
                let mut dec = StreamDecoder::with_config(config);
                let mut sink = TokenSink::default();
                let r = pieces
                    .iter()
                    .try_for_each(|p| sink.feed_by(&mut dec, p, Way::NextToken))
                    .and_then(|()| dec.finish());
                (sink.tokens, sink.pieces, r)
            };
            let in_place = |pieces: &[&[u8]]| {
                let mut dec = StreamDecoder::with_config(config);
                let mut sink = TokenSink::default();
                let r = pieces
                    .iter()
                    .try_for_each(|p| sink.feed_by(&mut dec, p, Way::FeedEvents))
                    .and_then(|()| dec.finish());
                (sink.tokens, sink.pieces, r)
            };
            let whole = buffered(&[&data]);
            assert_eq!(in_place(&[&data]), whole, "{data:x?}");
            for i in 0..=data.len() {
                let pieces = [&data[..i], &data[i..]];
                let (tokens, _, r) = in_place(&pieces);
                assert_eq!((&tokens, &r), (&whole.0, &whole.2), "{data:x?} cut at {i}");
                assert_eq!(in_place(&pieces), buffered(&pieces), "{data:x?} cut at {i}");
            }
            let ones: Vec<&[u8]> = data.chunks(1).collect();
            assert_eq!(in_place(&ones), buffered(&ones), "{data:x?} byte by byte");
            assert_eq!(in_place(&ones).2, whole.2, "{data:x?} byte by byte");
        }
    }
}

/// A token cut at the end of a piece that needs more than the buffer limit fails at its
/// offset; one that fits is completed from the next piece.
#[test]
fn feed_events_buffer_limit() {
    let config = StreamConfig {
        max_buffer: 64,
        chunk_threshold: usize::MAX,
        ..StreamConfig::default()
    };
    let mut dec = StreamDecoder::with_config(config);
    let mut n = 0;
    dec.feed_events(&[0x92, 0xc0, 0xd9, 60, b'a'], |_, _| n += 1)
        .unwrap();
    assert_eq!((n, dec.buffer().len()), (2, 3));
    dec.feed_events(&[b'b'; 59], |_, _| n += 1).unwrap();
    assert_eq!((n, dec.depth()), (3, 0));
    let e = dec
        .feed_events(&[0x91, 0xd9, 0xc8, b'a'], |_, _| n += 1)
        .unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (65, ErrorKind::BufferLimit { limit: 64 })
    );
    assert_eq!(n, 4);
}
