//! The writer: exact bytes for every form and boundary, every sink, containers of unknown
//! length, error kinds and offsets, and the `msgpack!` literal.

use msgskim::write::{
    Bin, BufMutSink, Deferred, IntMode, IoSink, PatchSink, Sink, SliceSink, Writer,
};
use msgskim::{msgpack, write_msgpack, ErrorKind, Timestamp, Token, Tokenizer};

fn tokens(buf: &[u8]) -> Vec<Token<'_>> {
    Tokenizer::new(buf).collect::<Result<_, _>>().unwrap()
}

fn one<F: FnOnce(&mut Writer<Vec<u8>>) -> Result<(), msgskim::Error>>(
    mode: IntMode,
    f: F,
) -> Vec<u8> {
    let mut w = Writer::with_mode(Vec::new(), mode);
    f(&mut w).unwrap();
    w.finish().unwrap()
}

#[test]
fn unsigned_forms_at_every_boundary() {
    let cases: &[(u64, &[u8])] = &[
        (0, &[0x00]),
        (127, &[0x7f]),
        (128, &[0xcc, 0x80]),
        (255, &[0xcc, 0xff]),
        (256, &[0xcd, 0x01, 0x00]),
        (65535, &[0xcd, 0xff, 0xff]),
        (65536, &[0xce, 0, 1, 0, 0]),
        (u32::MAX as u64, &[0xce, 0xff, 0xff, 0xff, 0xff]),
        (1 << 32, &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
        (
            u64::MAX,
            &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    for &(v, want) in cases {
        for mode in [IntMode::Smallest, IntMode::GoCompatible] {
            assert_eq!(one(mode, |w| w.uint(v)), want, "uint {v} {mode:?}");
        }
    }
}

#[test]
fn signed_forms_in_both_modes() {
    // (value, smallest form, Go tinylib/msgp form)
    let cases: &[(i64, &[u8], &[u8])] = &[
        (0, &[0x00], &[0x00]),
        (127, &[0x7f], &[0x7f]),
        (128, &[0xcc, 0x80], &[0xd1, 0x00, 0x80]),
        (255, &[0xcc, 0xff], &[0xd1, 0x00, 0xff]),
        (256, &[0xcd, 0x01, 0x00], &[0xd1, 0x01, 0x00]),
        (32767, &[0xcd, 0x7f, 0xff], &[0xd1, 0x7f, 0xff]),
        (32768, &[0xcd, 0x80, 0x00], &[0xd2, 0, 0, 0x80, 0]),
        (65536, &[0xce, 0, 1, 0, 0], &[0xd2, 0, 1, 0, 0]),
        (
            i32::MAX as i64,
            &[0xce, 0x7f, 0xff, 0xff, 0xff],
            &[0xd2, 0x7f, 0xff, 0xff, 0xff],
        ),
        (
            1 << 31,
            &[0xce, 0x80, 0, 0, 0],
            &[0xd3, 0, 0, 0, 0, 0x80, 0, 0, 0],
        ),
        (
            1 << 32,
            &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0],
            &[0xd3, 0, 0, 0, 1, 0, 0, 0, 0],
        ),
        (-1, &[0xff], &[0xff]),
        (-32, &[0xe0], &[0xe0]),
        (-33, &[0xd0, 0xdf], &[0xd0, 0xdf]),
        (-128, &[0xd0, 0x80], &[0xd0, 0x80]),
        (-129, &[0xd1, 0xff, 0x7f], &[0xd1, 0xff, 0x7f]),
        (-32768, &[0xd1, 0x80, 0x00], &[0xd1, 0x80, 0x00]),
        (
            -32769,
            &[0xd2, 0xff, 0xff, 0x7f, 0xff],
            &[0xd2, 0xff, 0xff, 0x7f, 0xff],
        ),
        (
            i32::MIN as i64,
            &[0xd2, 0x80, 0, 0, 0],
            &[0xd2, 0x80, 0, 0, 0],
        ),
        (
            i32::MIN as i64 - 1,
            &[0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
            &[0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
        ),
        (
            i64::MIN,
            &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
            &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
        ),
        (
            i64::MAX,
            &[0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    for &(v, small, go) in cases {
        assert_eq!(
            one(IntMode::Smallest, |w| w.int(v)),
            small,
            "int {v} smallest"
        );
        assert_eq!(one(IntMode::GoCompatible, |w| w.int(v)), go, "int {v} go");
        // Both read back as the same number.
        for bytes in [small, go] {
            assert_eq!(tokens(bytes)[0].as_i128(), Some(v as i128));
        }
    }
}

#[test]
fn length_prefixed_forms_at_every_boundary() {
    let payload = vec![b'x'; 70_000];
    // (len, str header, bin header)
    let cases: &[(usize, &[u8], &[u8])] = &[
        (0, &[0xa0], &[0xc4, 0]),
        (31, &[0xbf], &[0xc4, 31]),
        (32, &[0xd9, 32], &[0xc4, 32]),
        (255, &[0xd9, 255], &[0xc4, 255]),
        (256, &[0xda, 1, 0], &[0xc5, 1, 0]),
        (65535, &[0xda, 0xff, 0xff], &[0xc5, 0xff, 0xff]),
        (65536, &[0xdb, 0, 1, 0, 0], &[0xc6, 0, 1, 0, 0]),
    ];
    for &(len, sh, bh) in cases {
        let body = &payload[..len];
        let s = one(IntMode::Smallest, |w| w.str_bytes(body));
        assert_eq!(&s[..sh.len()], sh, "str {len}");
        assert_eq!(&s[sh.len()..], body);
        let b = one(IntMode::Smallest, |w| w.bin(body));
        assert_eq!(&b[..bh.len()], bh, "bin {len}");
        assert_eq!(&b[bh.len()..], body);
        // The header-only forms write the same header.
        assert_eq!(one(IntMode::Smallest, |w| w.str_len(len as u32)), sh);
        assert_eq!(one(IntMode::Smallest, |w| w.bin_len(len as u32)), bh);
    }
    // (len, array header, map header)
    let cases: &[(u32, &[u8], &[u8])] = &[
        (0, &[0x90], &[0x80]),
        (15, &[0x9f], &[0x8f]),
        (16, &[0xdc, 0, 16], &[0xde, 0, 16]),
        (65535, &[0xdc, 0xff, 0xff], &[0xde, 0xff, 0xff]),
        (65536, &[0xdd, 0, 1, 0, 0], &[0xdf, 0, 1, 0, 0]),
        (
            u32::MAX,
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xdf, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    for &(len, ah, mh) in cases {
        let mut w = Writer::new(Vec::new());
        w.array_len(len).unwrap();
        assert_eq!(w.into_inner(), ah);
        let mut w = Writer::new(Vec::new());
        w.map_len(len).unwrap();
        assert_eq!(w.into_inner(), mh);
    }
}

#[test]
fn ext_forms() {
    let data = vec![7u8; 70_000];
    let cases: &[(usize, &[u8])] = &[
        (0, &[0xc7, 0, 5]),
        (1, &[0xd4, 5]),
        (2, &[0xd5, 5]),
        (3, &[0xc7, 3, 5]),
        (4, &[0xd6, 5]),
        (8, &[0xd7, 5]),
        (16, &[0xd8, 5]),
        (17, &[0xc7, 17, 5]),
        (255, &[0xc7, 255, 5]),
        (256, &[0xc8, 1, 0, 5]),
        (65535, &[0xc8, 0xff, 0xff, 5]),
        (65536, &[0xc9, 0, 1, 0, 0, 5]),
    ];
    for &(len, h) in cases {
        let out = one(IntMode::Smallest, |w| w.ext(5, &data[..len]));
        assert_eq!(&out[..h.len()], h, "ext {len}");
        assert_eq!(out.len(), h.len() + len);
        assert_eq!(one(IntMode::Smallest, |w| w.ext_len(5, len as u32)), h);
    }
    assert_eq!(
        one(IntMode::Smallest, |w| w.ext(-128, &[1])),
        [0xd4, 0x80, 1]
    );
}

#[test]
fn floats_keep_their_width() {
    assert_eq!(
        one(IntMode::Smallest, |w| w.f32(1.0)),
        [0xca, 0x3f, 0x80, 0, 0]
    );
    assert_eq!(
        one(IntMode::Smallest, |w| w.f64(1.0)),
        [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]
    );
    let nan = one(IntMode::Smallest, |w| w.f64(f64::NAN));
    assert!(matches!(tokens(&nan)[0], Token::F64(v) if v.is_nan()));
}

#[test]
fn timestamps_take_the_smallest_of_three_forms() {
    // (seconds, nanoseconds, expected total length: 6 = 32-bit, 10 = 64-bit, 15 = 96-bit)
    let cases: &[(i64, u32, usize)] = &[
        (0, 0, 6),
        (1, 0, 6),
        (u32::MAX as i64, 0, 6),
        (u32::MAX as i64 + 1, 0, 10),
        (0, 1, 10),
        (1, 999_999_999, 10),
        ((1 << 34) - 1, 0, 10),
        ((1 << 34) - 1, 999_999_999, 10),
        (1 << 34, 0, 15),
        (-1, 0, 15),
        (-1, 999_999_999, 15),
        (i64::MIN, 0, 15),
        (i64::MAX, 999_999_999, 15),
        (-62_167_219_200, 0, 15),
    ];
    for &(s, ns, len) in cases {
        let t = Timestamp::new(s, ns).unwrap();
        let out = one(IntMode::Smallest, |w| w.timestamp(t));
        assert_eq!(out.len(), len, "{s}.{ns}");
        let head: &[u8] = match len {
            6 => &[0xd6, 0xff],
            10 => &[0xd7, 0xff],
            _ => &[0xc7, 12, 0xff],
        };
        assert_eq!(&out[..head.len()], head);
        assert_eq!(tokens(&out), [Token::Timestamp(t)], "{s}.{ns} reads back");
    }
}

/// A sequence of values touching every writer method, written to a sink.
fn sample<S: Sink>(w: &mut Writer<S>) -> Result<(), msgskim::Error> {
    w.array_len(12)?;
    w.nil()?;
    w.bool(true)?;
    w.uint(300)?;
    w.int(-70_000)?;
    w.f32(1.5)?;
    w.f64(-2.25)?;
    w.str("name")?;
    w.bin(&[0; 40])?;
    w.ext(3, &[1, 2, 3, 4])?;
    w.timestamp(Timestamp::new(1_700_000_000, 5).unwrap())?;
    w.map_len(1)?;
    w.str_len(2)?;
    w.payload(b"ok")?;
    w.raw(&[0x92, 0xc0, 0xc2])?;
    w.raw(&[0xa1, b'z'])
}

#[test]
fn every_sink_writes_the_same_bytes() {
    let mut w = Writer::new(Vec::new());
    sample(&mut w).unwrap();
    let want = w.finish().unwrap();
    assert_eq!(want.len(), 97);
    let toks = tokens(&want);
    assert_eq!(toks[0], Token::Array(12));
    assert_eq!(toks[11], Token::Map(1));
    assert_eq!(toks[12].as_str(), Some("ok"));
    assert_eq!(toks.len(), 17);

    let mut bm = bytes::BytesMut::new();
    sample(&mut Writer::new(&mut bm)).unwrap();
    assert_eq!(&bm[..], &want[..]);

    let mut buf = [0u8; 200];
    let mut w = Writer::new(SliceSink::new(&mut buf));
    sample(&mut w).unwrap();
    assert_eq!(w.get_ref().written(), &want[..]);
    assert_eq!(w.get_ref().remaining(), 103);

    let mut buf = [0u8; 97];
    let mut w = Writer::new(BufMutSink::new(&mut buf[..]));
    sample(&mut w).unwrap();
    assert_eq!(w.get_ref().position(), 97);
    assert_eq!(&buf[..], &want[..]);

    let mut w = Writer::new(BufMutSink::new(bytes::BytesMut::new()));
    sample(&mut w).unwrap();
    assert_eq!(&w.into_inner().into_inner()[..], &want[..]);

    let mut w = Writer::new(IoSink::new(std::io::BufWriter::new(Vec::new())));
    sample(&mut w).unwrap();
    assert_eq!(w.get_ref().position(), 97);
    let io = w.into_inner().into_inner().into_inner().unwrap();
    assert_eq!(io, want);

    // A Vec that already holds bytes: positions count from its start.
    let mut v = vec![0xc0; 3];
    sample(&mut Writer::new(&mut v)).unwrap();
    assert_eq!(&v[3..], &want[..]);
}

#[test]
fn fixed_buffers_report_full_at_the_value_that_does_not_fit() {
    let mut w = Writer::new(Vec::new());
    sample(&mut w).unwrap();
    let want = w.into_inner();
    // Every buffer size short of the whole: an error, never a panic; the bytes written
    // before it are a prefix of the full output, and the offset is where they stop.
    for size in 0..want.len() {
        let mut buf = vec![0u8; size];
        let mut w = Writer::new(SliceSink::new(&mut buf));
        let err = sample(&mut w).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferFull);
        let written = w.get_ref().written();
        assert_eq!(err.offset(), written.len() as u64, "size {size}");
        assert!(want.starts_with(written));

        let mut buf = vec![0u8; size];
        let mut w = Writer::new(BufMutSink::new(&mut buf[..]));
        let err = sample(&mut w).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferFull);
        let pos = w.get_ref().position() as usize;
        assert_eq!(err.offset(), pos as u64);
        assert!(want.starts_with(&buf[..pos]));
    }
}

struct FailAfter {
    left: usize,
    out: Vec<u8>,
}

impl std::io::Write for FailAfter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "closed",
            ));
        }
        let n = b.len().min(self.left);
        self.left -= n;
        self.out.extend_from_slice(&b[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn io_errors_come_back_with_their_kind() {
    let mut w = Writer::new(IoSink::new(FailAfter {
        left: 7,
        out: Vec::new(),
    }));
    w.str("abc").unwrap(); // 4 bytes
    let err = w.str("defg").unwrap_err(); // 5 bytes: 3 get through, then the pipe breaks
                                          // The offset is where the value that could not be written starts.
    assert_eq!(err.kind(), ErrorKind::Io(std::io::ErrorKind::BrokenPipe));
    assert_eq!(err.offset(), 4);
    assert!(err.to_string().contains("I/O error at byte 4"));
}

/// The known-length encoding of `[0, 1, ..., n-1]` (map: `{0: 0, 1: 1, ...}`).
fn known(n: u32, map: bool) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    if map {
        w.map_len(n).unwrap();
    } else {
        w.array_len(n).unwrap();
    }
    for i in 0..n {
        w.uint(i.into()).unwrap();
        if map {
            w.uint(i.into()).unwrap();
        }
    }
    w.finish().unwrap()
}

fn deferred<S: PatchSink>(
    w: &mut Writer<S>,
    n: u32,
    map: bool,
    how: Deferred,
) -> Result<(), msgskim::Error> {
    let open = if map {
        w.begin_map(how)?
    } else {
        w.begin_array(how)?
    };
    for i in 0..n {
        w.uint(i.into())?;
        if map {
            w.uint(i.into())?;
        }
    }
    w.end(open)
}

#[test]
fn unknown_length_containers_across_the_header_boundaries() {
    for n in [
        0u32, 1, 14, 15, 16, 17, 255, 256, 65_534, 65_535, 65_536, 65_537,
    ] {
        for map in [false, true] {
            let want = known(n, map);
            // Compaction gives exactly the known-length bytes.
            let mut w = Writer::new(Vec::new());
            deferred(&mut w, n, map, Deferred::Compact).unwrap();
            assert!(w.finish().unwrap() == want, "compact n={n} map={map}");
            // Patching keeps the 5-byte header: same contents after it.
            let mut w = Writer::new(Vec::new());
            deferred(&mut w, n, map, Deferred::Patch).unwrap();
            let got = w.finish().unwrap();
            let mut head = vec![if map { 0xdf } else { 0xdd }];
            head.extend_from_slice(&n.to_be_bytes());
            assert_eq!(got[..5], head[..], "patch n={n} map={map}");
            let skip = want.len() - (got.len() - 5);
            assert!(got[5..] == want[skip..], "patch body n={n} map={map}");
            assert_eq!(msgskim::validate(&got), Ok(()));
        }
    }
}

#[test]
fn unknown_length_containers_in_other_patchable_sinks() {
    for n in [15u32, 16, 65_536] {
        let want = known(n, false);
        let header = if n <= 15 {
            1
        } else if n <= 65_535 {
            3
        } else {
            5
        };
        let need = want.len() - header + 5; // the reserved 5-byte header
        let mut bm = bytes::BytesMut::new();
        deferred(&mut Writer::new(&mut bm), n, false, Deferred::Compact).unwrap();
        assert!(bm[..] == want[..]);

        let mut buf = vec![0u8; need];
        let mut w = Writer::new(SliceSink::new(&mut buf));
        deferred(&mut w, n, false, Deferred::Compact).unwrap();
        assert!(w.get_ref().written() == &want[..]);

        // One byte short of the reserve: the last element does not fit.
        let mut buf = vec![0u8; need - 1];
        let mut w = Writer::new(SliceSink::new(&mut buf));
        let err = deferred(&mut w, n, false, Deferred::Compact).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferFull);
    }
}

#[test]
fn nested_unknown_length_containers() {
    // {"a": [1, [], {"x": [2, 3]}], "b": [...20 items...], "c": nil} built every way.
    for how in [Deferred::Compact, Deferred::Patch] {
        let mut w = Writer::new(Vec::new());
        let top = w.begin_map(how).unwrap();
        w.str("a").unwrap();
        let a = w.begin_array(how).unwrap();
        w.uint(1).unwrap();
        let empty = w.begin_array(how).unwrap();
        w.end(empty).unwrap();
        w.map_len(1).unwrap(); // a known-length map inside
        w.str("x").unwrap();
        let x = w.begin_array(how).unwrap();
        w.uint(2).unwrap();
        w.array_len(0).unwrap();
        w.end(x).unwrap();
        assert_eq!(w.depth(), 2);
        w.end(a).unwrap();
        w.str("b").unwrap();
        w.array_with(how, |w| (0..20).try_for_each(|i| w.uint(i)))
            .unwrap();
        w.str("c").unwrap();
        w.nil().unwrap();
        w.end(top).unwrap();
        assert_eq!(w.depth(), 0);
        let out = w.finish().unwrap();

        let want = msgpack!({
            "a": [1, [], {"x": [2, []]}],
            "b": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
            "c": nil
        })
        .unwrap();
        match how {
            Deferred::Compact => assert_eq!(out, want),
            Deferred::Patch => {
                // Same tokens, wider headers: 5 containers of 5 bytes instead of 1 or 3.
                assert_eq!(tokens(&out), tokens(&want));
                assert_eq!(out.len(), want.len() + 4 * 4 + 2);
            }
        }
    }
}

#[test]
fn deep_nesting_needs_no_stack() {
    let mut w = Writer::new(Vec::new());
    let mut open = Vec::new();
    for _ in 0..5000 {
        open.push(w.begin_array(Deferred::Compact).unwrap());
    }
    w.nil().unwrap();
    while let Some(o) = open.pop() {
        w.end(o).unwrap();
    }
    let out = w.finish().unwrap();
    assert_eq!(out.len(), 5001);
    assert!(out[..5000].iter().all(|&b| b == 0x91));
    assert_eq!(msgskim::validate(&out), Ok(()));
}

#[test]
fn closing_out_of_order_is_an_error() {
    let mut w = Writer::new(Vec::new());
    w.nil().unwrap();
    let outer = w.begin_array(Deferred::Compact).unwrap();
    let inner = w.begin_map(Deferred::Compact).unwrap();
    let err = w.end(outer).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnbalancedContainer);
    assert_eq!(err.offset(), 1, "points at the outer container's header");
    // The writer is still consistent: close properly.
    w.end(inner).unwrap();
    assert!(
        w.finish().is_err(),
        "outer is still open and its handle is gone"
    );

    // A handle from another writer does not close this one's container.
    let mut a = Writer::new(Vec::new());
    let mut b = Writer::new(Vec::new());
    b.nil().unwrap();
    let from_b = b.begin_array(Deferred::Patch).unwrap();
    let _from_a = a.begin_array(Deferred::Patch).unwrap();
    assert_eq!(
        a.end(from_b).unwrap_err().kind(),
        ErrorKind::UnbalancedContainer
    );
}

#[test]
fn odd_map_items_are_an_error() {
    for how in [Deferred::Compact, Deferred::Patch] {
        let mut w = Writer::new(Vec::new());
        let m = w.begin_map(how).unwrap();
        w.str("a").unwrap();
        w.uint(1).unwrap();
        w.str("b").unwrap();
        let err = w.end(m).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OddMapItems);
        assert_eq!(err.offset(), 10, "the end of the output");
        assert!(err.to_string().contains("map with a key but no value"));
    }
}

#[test]
fn unfinished_known_length_contents_are_an_error() {
    let mut w = Writer::new(Vec::new());
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.array_len(3).unwrap();
    w.uint(1).unwrap();
    assert_eq!(w.end(a).unwrap_err().kind(), ErrorKind::UnbalancedContainer);

    // Known-length containers are counted as one element with all they hold.
    let mut w = Writer::new(Vec::new());
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.map_len(2).unwrap();
    w.str("k").unwrap();
    w.array_len(2).unwrap();
    w.nil().unwrap();
    w.nil().unwrap();
    w.str("j").unwrap();
    w.bin(b"").unwrap();
    w.str("after").unwrap();
    w.end(a).unwrap();
    let out = w.finish().unwrap();
    assert_eq!(tokens(&out)[0], Token::Array(2));

    // Spliced raw values count one each, with everything inside them.
    let inner = msgpack!([{"a": [1, 2, 3]}, "x", [nil]]).unwrap();
    let mut w = Writer::new(Vec::new());
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.raw(&inner[1..]).unwrap(); // three values, without the outer header
    w.uint(9).unwrap();
    w.end(a).unwrap();
    assert_eq!(tokens(&w.finish().unwrap())[0], Token::Array(4));

    // finish() checks the top level too.
    let mut w = Writer::new(Vec::new());
    w.map_len(1).unwrap();
    w.str("k").unwrap();
    assert_eq!(
        w.finish().unwrap_err().kind(),
        ErrorKind::UnbalancedContainer
    );
}

#[test]
fn raw_rejects_incomplete_bytes_and_writes_nothing() {
    let mut w = Writer::new(Vec::new());
    w.nil().unwrap();
    let err = w.raw(&[0xc0, 0x93, 0x01]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 1 });
    assert_eq!(err.offset(), 3, "offset within the spliced bytes");
    let err = w.raw(&[0xc1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReservedByte);
    assert_eq!(w.into_inner(), [0xc0]);
}

#[test]
fn tokens_re_encode_to_the_smallest_forms() {
    // Wasteful input: uint64 5, str8 "ab", map16 {int32 -1: array32 []}, a 96-bit timestamp
    // that fits the 32-bit form.
    let input = [
        0x94, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5, 0xd9, 2, b'a', b'b', 0xde, 0, 1, 0xd2, 0xff, 0xff,
        0xff, 0xff, 0xdd, 0, 0, 0, 0, 0xc7, 12, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
    ];
    let mut w = Writer::new(Vec::new());
    for t in Tokenizer::new(&input) {
        w.token(&t.unwrap()).unwrap();
    }
    let out = w.finish().unwrap();
    assert_eq!(
        out,
        [0x94, 0x05, 0xa2, b'a', b'b', 0x81, 0xff, 0x90, 0xd6, 0xff, 0, 0, 0, 9]
    );
}

#[test]
fn encode_impls() {
    use std::collections::{BTreeMap, HashMap};
    let mut w = Writer::with_mode(Vec::new(), IntMode::GoCompatible);
    w.encode(&200i16).unwrap();
    w.encode(&200u16).unwrap();
    w.encode(&'é').unwrap();
    w.encode(&()).unwrap();
    w.encode(&Some("x")).unwrap();
    w.encode(&None::<u8>).unwrap();
    w.encode(&vec![1u8, 2]).unwrap();
    w.encode(&Bin(&[1, 2])).unwrap();
    w.encode(&BTreeMap::from([(1u8, "one"), (2, "two")]))
        .unwrap();
    w.encode(&HashMap::from([("k".to_string(), vec![true])]))
        .unwrap();
    w.encode(&Box::new(-1i64)).unwrap();
    w.encode(&String::from("s")).unwrap();
    let out = w.finish().unwrap();
    let want: &[u8] = &[
        0xd1, 0, 200, // i16 in Go mode
        0xcc, 200, // u16
        0xa2, 0xc3, 0xa9, // 'é'
        0xc0, 0xa1, b'x', 0xc0, // (), Some("x"), None
        0x92, 1, 2, // Vec<u8> as an array
        0xc4, 2, 1, 2, // Bin
        0x82, 1, 0xa3, b'o', b'n', b'e', 2, 0xa3, b't', b'w', b'o', // BTreeMap
        0x81, 0xa1, b'k', 0x91, 0xc3, // HashMap
        0xff, 0xa1, b's',
    ];
    assert_eq!(out, want);
}

#[test]
fn the_literal_macro() {
    let name = String::from("photos/cat.jpg");
    let size: i64 = 70_000;
    let tags: Vec<&str> = vec!["a", "b"];
    let out = msgpack!({
        "n": name,
        "s": size,
        "tags": [1, 2, nil],
        "list": tags,
        "nested": {"deep": [[], {}, [nil, true, -1]], 7: "int key", nil: false},
        "bin": Bin(b"\x00\x01"),
        "ts": Timestamp::new(1, 0).unwrap(),
        "expr": size / 1000 + 1,
        "opt": Some(1.5f32),
        "idx": [10, 20][1],
    })
    .unwrap();

    let mut w = Writer::new(Vec::new());
    w.map_len(10).unwrap();
    w.str("n").unwrap();
    w.str(&name).unwrap();
    w.str("s").unwrap();
    w.int(size).unwrap();
    w.str("tags").unwrap();
    w.array_len(3).unwrap();
    w.uint(1).unwrap();
    w.uint(2).unwrap();
    w.nil().unwrap();
    w.str("list").unwrap();
    w.array_len(2).unwrap();
    w.str("a").unwrap();
    w.str("b").unwrap();
    w.str("nested").unwrap();
    w.map_len(3).unwrap();
    w.str("deep").unwrap();
    w.array_len(3).unwrap();
    w.array_len(0).unwrap();
    w.map_len(0).unwrap();
    w.array_len(3).unwrap();
    w.nil().unwrap();
    w.bool(true).unwrap();
    w.int(-1).unwrap();
    w.uint(7).unwrap();
    w.str("int key").unwrap();
    w.nil().unwrap();
    w.bool(false).unwrap();
    w.str("bin").unwrap();
    w.bin(&[0, 1]).unwrap();
    w.str("ts").unwrap();
    w.timestamp(Timestamp::new(1, 0).unwrap()).unwrap();
    w.str("expr").unwrap();
    w.int(71).unwrap();
    w.str("opt").unwrap();
    w.f32(1.5).unwrap();
    w.str("idx").unwrap();
    w.uint(20).unwrap();
    assert_eq!(out, w.finish().unwrap());

    // Scalars, empty containers, trailing commas.
    assert_eq!(msgpack!(nil).unwrap(), [0xc0]);
    assert_eq!(msgpack!([]).unwrap(), [0x90]);
    assert_eq!(msgpack!({}).unwrap(), [0x80]);
    assert_eq!(msgpack!([1, 2,]).unwrap(), [0x92, 1, 2]);
    assert_eq!(msgpack!({"a": 1,}).unwrap(), [0x81, 0xa1, b'a', 1]);
    assert_eq!(msgpack!(-5).unwrap(), [0xfb]);
    // Sixteen elements take an array 16 header.
    let sixteen = msgpack!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]).unwrap();
    assert_eq!(sixteen[..3], [0xdc, 0, 16]);
}

#[test]
fn the_literal_macro_without_a_heap() {
    let mut buf = [0u8; 32];
    let mut w = Writer::with_mode(SliceSink::new(&mut buf), IntMode::GoCompatible);
    let id = 200i32;
    write_msgpack!(&mut w, {"id": id, "ok": [true, nil]}).unwrap();
    write_msgpack!(&mut w, 1).unwrap();
    let out = w.into_inner().into_written();
    assert_eq!(&out[..], b"\x82\xa2id\xd1\x00\xc8\xa2ok\x92\xc3\xc0\x01");

    // Overflow stops at the failing value with BufferFull.
    let mut tiny = [0u8; 5];
    let mut w = Writer::new(SliceSink::new(&mut tiny));
    let err = write_msgpack!(&mut w, ["abc", "def"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferFull);
    assert_eq!(err.offset(), 5);
}

#[test]
fn raw_values_are_spliced_as_they_are() {
    use msgskim::RawValue;
    // A page with wasteful forms inside: they must come through untouched.
    let page = b"\x82\xa1n\xd9\x03abc\xa4tags\xdc\x00\x02\xcd\x00\x01\xc0";
    let doc = RawValue::new(page).unwrap();
    let name = doc.get("n").unwrap();
    let tags = doc.get("tags").unwrap();

    let out = msgpack!({"name": name, "tags": [tags, tags], "whole": doc}).unwrap();
    let mut want = b"\x83\xa4name\xd9\x03abc\xa4tags\x92".to_vec();
    want.extend_from_slice(tags.as_bytes());
    want.extend_from_slice(tags.as_bytes());
    want.extend_from_slice(b"\xa5whole");
    want.extend_from_slice(page);
    assert_eq!(out, want);

    // Counted as one element inside a container of unknown length.
    let mut w = Writer::new(Vec::new());
    let a = w.begin_array(Deferred::Compact).unwrap();
    w.raw_value(doc).unwrap();
    w.raw_value(tags).unwrap();
    w.end(a).unwrap();
    let out = w.finish().unwrap();
    assert_eq!(out[0], 0x92);
    assert_eq!(&out[1..1 + page.len()], page);
}

#[test]
fn long_literals_fit_the_default_recursion_limit() {
    // 160 simple elements and 64 simple entries, with compound ones mixed in.
    let x = 3i64;
    let out = msgpack!([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
        47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68,
        69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
        91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
        110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,
        127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143,
        144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, x + 1, -x, nil, [x, -1],
        {
            "a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5, "g": 6, "h": 7, "i": 8, "j": 9,
            "k": 10, "l": 11, "m": 12, "n": 13, "o": 14, "p": 15, "q": 16, "r": 17, "s": 18,
            "t": 19, "u": 20, "v": 21, "w": 22, "x": 23, "y": 24, "z": 25, "A": 26, "B": 27,
            "C": 28, "D": 29, "E": 30, "F": 31, "G": 32, "H": 33, "I": 34, "J": 35, "K": 36,
            "L": 37, "M": 38, "N": 39, "O": 40, "P": 41, "Q": 42, "R": 43, "S": 44, "T": 45,
            "U": 46, "V": 47, "W": 48, "X": 49, "Y": 50, "Z": 51, "0": 52, "1": 53, "2": 54,
            "3": 55, "4": 56, "5": 57, "6": 58, "7": 59, "8": 60, "sum": x + x, "neg": -x
        }
    ])
    .unwrap();
    let mut w = Writer::new(Vec::new());
    w.array_len(161).unwrap();
    (0..156).for_each(|i| w.uint(i).unwrap());
    w.int(4).unwrap();
    w.int(-3).unwrap();
    w.nil().unwrap();
    w.array_len(2).unwrap();
    w.int(3).unwrap();
    w.int(-1).unwrap();
    w.map_len(63).unwrap();
    let keys = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678";
    for (i, k) in keys.chars().enumerate() {
        w.encode(&k).unwrap();
        w.uint(i as u64).unwrap();
    }
    w.str("sum").unwrap();
    w.int(6).unwrap();
    w.str("neg").unwrap();
    w.int(-3).unwrap();
    assert_eq!(out, w.finish().unwrap());
}
