//! Tokenizer behaviour on valid, truncated, reserved, deep and old-spec input, and a
//! differential check against rmpv.

mod common;

use common::{from_rmpv, read_all, read_value, Value};
use msgskim::gen::{listing, messages, numeric, ListingConfig};
use msgskim::{ErrorKind, Limits, Str, Token, Tokenizer};
use proptest::prelude::*;

/// Token start offsets and ends of a whole valid document.
fn spans(buf: &[u8]) -> Vec<(usize, usize, Token<'_>)> {
    let mut t = Tokenizer::new(buf);
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(tok) = t.next_token().unwrap() {
        out.push((start, t.position(), tok));
        start = t.position();
    }
    out
}

fn sample_docs() -> Vec<Vec<u8>> {
    let mut docs = vec![
        listing(ListingConfig {
            seed: 11,
            entries: 40,
            page_size: 40,
        }),
        // One message of each timestamp form.
        messages(5, 3),
        numeric(2, 1)[..].to_vec(),
    ];
    // Split the multi-message buffer into single top-level values.
    let msgs = docs.remove(1);
    let mut pos = 0;
    while pos < msgs.len() {
        let end = msgskim::skip_value(&msgs, pos).unwrap();
        docs.push(msgs[pos..end].to_vec());
        pos = end;
    }
    docs
}

#[test]
fn truncation_at_every_offset_reports_the_cut_token() {
    let mut cuts = 0;
    for doc in sample_docs() {
        let full = spans(&doc);
        for k in 1..doc.len() {
            let cut = &doc[..k];
            let mut t = Tokenizer::new(cut);
            let mut n = 0;
            let err = loop {
                match t.next_token() {
                    Ok(Some(tok)) => {
                        assert_eq!(tok, full[n].2, "token {n} before cut {k}");
                        n += 1;
                    }
                    Ok(None) => panic!("cut at {k} of {} ended cleanly", doc.len()),
                    Err(e) => break e,
                }
            };
            let (start, end, _) = full[n];
            assert_eq!(err.offset(), start as u64, "cut at {k}");
            let ErrorKind::Truncated { needed } = err.kind() else {
                panic!("cut at {k}: {err}")
            };
            assert!(
                needed >= 1 && needed <= end.max(k + 1) - k,
                "cut at {k}: needed {needed}"
            );
            if k > start {
                let header = msgskim::head::decode_head(&doc, start).unwrap().len;
                if k >= start + header {
                    assert_eq!(needed, end - k, "payload cut at {k}");
                } else {
                    assert_eq!(needed, start + header - k, "header cut at {k}");
                }
            }
            // The same error from skip and validate.
            assert_eq!(
                msgskim::skip_value(cut, 0).unwrap_err(),
                err,
                "skip, cut at {k}"
            );
            assert_eq!(
                msgskim::validate(cut).unwrap_err(),
                err,
                "validate, cut at {k}"
            );
            cuts += 1;
        }
    }
    assert!(cuts > 5_000, "{cuts} cuts");
}

#[test]
fn reserved_byte_anywhere_is_rejected() {
    let doc = listing(ListingConfig {
        seed: 3,
        entries: 5,
        page_size: 5,
    });
    let full = spans(&doc);
    // Putting 0xc1 where a token starts must give ReservedByte at exactly that offset.
    for &(start, _, _) in &full {
        let mut bad = doc.clone();
        bad[start] = 0xc1;
        let err = Tokenizer::new(&bad)
            .find_map(Result::err)
            .expect("an error");
        assert_eq!(
            (err.offset(), err.kind()),
            (start as u64, ErrorKind::ReservedByte)
        );
    }
    // Anywhere else 0xc1 is payload or header data: never a panic, and any error is in range.
    for i in 0..doc.len() {
        let mut bad = doc.clone();
        bad[i] = 0xc1;
        for r in Tokenizer::new(&bad) {
            if let Err(e) = r {
                assert!(e.offset() <= bad.len() as u64);
            }
        }
    }
    assert_eq!(
        Tokenizer::new(&[0xc1]).next_token().unwrap_err().kind(),
        ErrorKind::ReservedByte
    );
}

#[test]
fn deep_nesting_is_a_depth_error() {
    for lead in [0x91u8, 0x81] {
        let mut buf = vec![lead; 100_000];
        if lead == 0x81 {
            // {0: {0: ...}}: a key before every nested map.
            buf = [0x81u8, 0x00].repeat(100_000);
        }
        buf.push(0xc0);
        let err = Tokenizer::new(&buf).find_map(Result::err).unwrap();
        assert_eq!(err.kind(), ErrorKind::DepthLimit { limit: 256 });
        let step = if lead == 0x81 { 2 } else { 1 };
        assert_eq!(err.offset(), 256 * step);
    }
    // Exactly at the limit is fine.
    let mut ok = vec![0x91u8; 256];
    ok.push(0xc0);
    assert_eq!(Tokenizer::new(&ok).count(), 257);
    assert!(Tokenizer::new(&ok).all(|r| r.is_ok()));
    // A configured limit above the capacity is capped.
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let mut deep = vec![0x91u8; 5000];
    deep.push(0xc0);
    let err = Tokenizer::with_limits(&deep, limits)
        .find_map(Result::err)
        .unwrap();
    assert_eq!(
        err.kind(),
        ErrorKind::DepthLimit {
            limit: msgskim::MAX_DEPTH
        }
    );
}

#[test]
fn old_spec_raw_strings_decode() {
    // The old spec had only "raw": fixraw/raw16/raw32 (today's fixstr/str16/str32), holding
    // any bytes, and no str8 or bin.
    let mut buf = vec![0xa3, 0xff, 0xfe, 0x00];
    buf.extend([0xda, 0x00, 0x02, 0xc3, 0x28]);
    buf.extend([0xdb, 0x00, 0x00, 0x00, 0x01, 0x80]);
    let toks: Vec<_> = Tokenizer::new(&buf).map(Result::unwrap).collect();
    assert_eq!(
        toks,
        [
            Token::Str(Str::new(&[0xff, 0xfe, 0x00])),
            Token::Str(Str::new(&[0xc3, 0x28])),
            Token::Str(Str::new(&[0x80])),
        ]
    );
    assert!(toks.iter().all(|t| t.as_str().is_none()));
    // Asking for UTF-8 checking reports the first bad byte.
    let limits = Limits {
        check_utf8: true,
        ..Limits::default()
    };
    let err = Tokenizer::with_limits(&buf, limits)
        .next_token()
        .unwrap_err();
    assert_eq!((err.offset(), err.kind()), (1, ErrorKind::InvalidUtf8));
}

#[test]
fn timestamps_are_checked() {
    use msgskim::{Timestamp, TimestampError};
    // 32-bit, 64-bit with nanoseconds, 96-bit negative.
    let ok64 = ((999_999_999u64 << 34) | 1).to_be_bytes();
    let mut buf = vec![0xd6, 0xff, 0, 0, 0, 9, 0xd7, 0xff];
    buf.extend(ok64);
    buf.extend([0xc7, 12, 0xff, 0, 0, 0, 5]);
    buf.extend((-3i64).to_be_bytes());
    let toks: Vec<_> = Tokenizer::new(&buf).map(Result::unwrap).collect();
    assert_eq!(
        toks,
        [
            Token::Timestamp(Timestamp::new(9, 0).unwrap()),
            Token::Timestamp(Timestamp::new(1, 999_999_999).unwrap()),
            Token::Timestamp(Timestamp::new(-3, 5).unwrap()),
        ]
    );
    // Nanoseconds too large, in the 64- and 96-bit forms.
    let bad64 = [
        [0xd7, 0xff].as_slice(),
        &((1_000_000_000u64 << 34).to_be_bytes()),
    ]
    .concat();
    let e = Tokenizer::new(&bad64).next_token().unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::InvalidTimestamp(TimestampError::Nanoseconds(1_000_000_000))
    );
    let mut bad96 = vec![0x90, 0xc7, 12, 0xff];
    bad96.extend(u32::MAX.to_be_bytes());
    bad96.extend(0i64.to_be_bytes());
    let e = Tokenizer::new(&bad96).find_map(Result::err).unwrap();
    assert_eq!(e.offset(), 1);
    assert!(e.to_string().contains("nanoseconds"));
    // Wrong lengths.
    for len in [0usize, 1, 2, 3, 5, 16] {
        let mut w = msgskim::write::Writer::new(Vec::new());
        w.ext(-1, &vec![0; len]).unwrap();
        let b = w.into_inner();
        let e = Tokenizer::new(&b).next_token().unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidTimestamp(TimestampError::Length(len as u32)),
            "length {len}"
        );
        // The raw ext stays available on request.
        let raw = Limits {
            decode_timestamps: false,
            ..Limits::default()
        };
        let t = Tokenizer::with_limits(&b, raw)
            .next_token()
            .unwrap()
            .unwrap();
        assert!(matches!(t, Token::Ext(e) if e.ty == -1 && e.data.len() == len));
    }
}

#[test]
fn concatenated_values_and_boundaries() {
    let dump = listing(ListingConfig {
        seed: 4,
        entries: 25,
        page_size: 10,
    });
    let values = read_all(&dump).unwrap();
    assert_eq!(values.len(), 3);
    for page in &values {
        let Value::Map(pairs) = page else { panic!() };
        let keys: Vec<_> = pairs.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            keys,
            ["UUID", "ContinuationToken", "Entries", "Flags"]
                .map(|k| Value::Str(k.as_bytes().to_vec()))
        );
    }
}

fn rmpv_value() -> impl Strategy<Value = rmpv::Value> {
    use rmpv::Value as R;
    let leaf = prop_oneof![
        Just(R::Nil),
        any::<bool>().prop_map(R::Boolean),
        any::<u64>().prop_map(R::from),
        any::<i64>().prop_map(R::from),
        any::<i8>().prop_map(R::from),
        any::<f32>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(R::F32),
        any::<f64>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(R::F64),
        ".{0,40}".prop_map(R::from),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(R::Binary),
        (1i8..100, proptest::collection::vec(any::<u8>(), 0..20)).prop_map(|(t, d)| R::Ext(t, d)),
    ];
    leaf.prop_recursive(5, 64, 20, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..20).prop_map(R::Array),
            proptest::collection::vec((inner.clone(), inner), 0..20).prop_map(R::Map),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rmpv_encoded_values_tokenize_the_same(vals in proptest::collection::vec(rmpv_value(), 1..4)) {
        let mut buf = Vec::new();
        for v in &vals {
            rmpv::encode::write_value(&mut buf, v).unwrap();
        }
        let mut t = Tokenizer::new(&buf);
        for v in &vals {
            let got = read_value(&mut t).unwrap().unwrap();
            prop_assert_eq!(got, from_rmpv(v));
        }
        prop_assert_eq!(t.next_token().unwrap(), None);
        prop_assert_eq!(msgskim::validate(&buf), Ok(()));
    }
}

#[test]
fn an_error_ends_the_token_stream() {
    let buf = [0x92, 0x01, 0xc1, 0x02];
    let mut t = Tokenizer::new(&buf);
    assert_eq!(t.next_token().unwrap(), Some(Token::Array(2)));
    assert_eq!(t.next_token().unwrap(), Some(Token::UInt(1)));
    assert_eq!(t.next_token().unwrap_err().kind(), ErrorKind::ReservedByte);
    assert_eq!(t.position(), 2);
    assert_eq!(t.remaining(), &[0xc1, 0x02]);
    assert_eq!(t.next_token().unwrap(), None);
    assert_eq!(t.next(), None);
    assert_eq!(t.position(), 2);
}
