//! `RawValue` accessors against a full decode of the same bytes by `rmpv`, on generated data.

use msgskim::gen::{self, ListingConfig};
use msgskim::{ErrorKind, RawValue, Timestamp, Token, ValueKind};
use rmpv::Value;

/// Checks `raw` against `full` recursively: kind, every scalar accessor, every child by
/// iteration, by index and by key.
fn agree(raw: RawValue<'_>, full: &Value) {
    match full {
        Value::Nil => {
            assert!(raw.is_nil());
            assert_eq!(raw.kind(), ValueKind::Nil);
        }
        Value::Boolean(b) => assert_eq!(raw.as_bool(), Some(*b)),
        Value::Integer(i) => {
            assert_eq!(raw.kind(), ValueKind::Int);
            assert_eq!(raw.as_i64(), i.as_i64());
            assert_eq!(raw.as_u64(), i.as_u64());
            assert_eq!(raw.as_f64(), i.as_f64());
        }
        Value::F32(f) => {
            assert_eq!(raw.kind(), ValueKind::Float);
            assert_eq!(raw.as_f64().map(f64::to_bits), Some((*f as f64).to_bits()));
            assert_eq!(raw.token(), Some(Token::F32(*f)));
        }
        Value::F64(f) => {
            assert_eq!(raw.as_f64().map(f64::to_bits), Some(f.to_bits()));
        }
        Value::String(s) => {
            assert_eq!(raw.kind(), ValueKind::Str);
            assert_eq!(raw.as_raw_str().map(|s| s.as_bytes()), Some(s.as_bytes()));
            assert_eq!(raw.as_str(), s.as_str());
            assert_eq!(raw.as_bin(), None);
        }
        Value::Binary(b) => {
            assert_eq!(raw.kind(), ValueKind::Bin);
            assert_eq!(raw.as_bin(), Some(&b[..]));
            assert_eq!(raw.as_str(), None);
        }
        Value::Ext(ty, data) => {
            let ext = raw.as_ext().expect("ext");
            assert_eq!((ext.ty, ext.data), (*ty, &data[..]));
            let ts = if *ty == -1 {
                Timestamp::from_ext_data(data).ok()
            } else {
                None
            };
            assert_eq!(raw.as_timestamp(), ts);
            let want = if ts.is_some() {
                ValueKind::Timestamp
            } else {
                ValueKind::Ext
            };
            assert_eq!(raw.kind(), want);
        }
        Value::Array(items) => {
            assert_eq!(raw.kind(), ValueKind::Array);
            assert_eq!(raw.len(), Some(items.len() as u32));
            let elems: Vec<RawValue<'_>> = raw.iter().expect("array").collect();
            assert_eq!(elems.len(), items.len());
            let mut expect_offset = raw.offset() + (raw.as_bytes().len() - tail_len(&elems));
            for (i, (e, item)) in elems.iter().zip(items).enumerate() {
                assert_eq!(e.offset(), expect_offset, "element {i} offset");
                expect_offset = e.end();
                // Spot-check index() on a few positions; it re-skips from the start.
                if i < 3 || i + 1 == items.len() {
                    assert_eq!(raw.index(i), Some(*e));
                }
                agree(*e, item);
            }
            assert_eq!(expect_offset, raw.end());
            assert!(raw.index(items.len()).is_none());
            assert!(raw.entries().is_none());
            assert!(raw.get("n").is_none());
        }
        Value::Map(pairs) => {
            assert_eq!(raw.kind(), ValueKind::Map);
            assert_eq!(raw.len(), Some(pairs.len() as u32));
            let entries: Vec<_> = raw.entries().expect("map").collect();
            assert_eq!(entries.len(), pairs.len());
            for (i, ((k, v), (fk, fv))) in entries.iter().zip(pairs).enumerate() {
                agree(*k, fk);
                agree(*v, fv);
                // get() finds the first entry with an equal key.
                let first = pairs.iter().position(|(k2, _)| k2 == fk).unwrap();
                if let Value::String(s) = fk {
                    let got = raw.get_raw_str(s.as_bytes()).expect("key found");
                    assert_eq!(got, entries[first].1, "get of key {i}");
                }
                if let Some(n) = fk.as_i64() {
                    assert_eq!(raw.get_int(n), Some(entries[first].1));
                }
            }
            assert!(raw.get("no such key, surely").is_none());
            assert!(raw.iter().is_none());
            assert!(raw.index(0).is_none());
        }
    }
}

/// Bytes taken by the elements (so that the header length is the rest).
fn tail_len(elems: &[RawValue<'_>]) -> usize {
    elems.iter().map(|e| e.as_bytes().len()).sum()
}

fn check_buffer(buf: &[u8]) -> usize {
    let mut rd = buf;
    let mut n = 0;
    let mut raws = RawValue::all(buf);
    while !rd.is_empty() {
        let full = rmpv::decode::read_value(&mut rd).expect("rmpv decodes generated data");
        let raw = raws.next().expect("as many raw values").expect("valid");
        assert_eq!(raw.end(), buf.len() - rd.len());
        agree(raw, &full);
        n += 1;
    }
    assert!(raws.next().is_none());
    n
}

#[test]
fn listing_agrees_with_full_decode() {
    let dump = gen::listing(ListingConfig {
        seed: 11,
        entries: 3_000,
        page_size: 700,
    });
    assert_eq!(check_buffer(&dump), 5);
}

#[test]
fn messages_agree_with_full_decode() {
    assert_eq!(check_buffer(&gen::messages(5, 60)), 60);
}

#[test]
fn numeric_agrees_with_full_decode() {
    assert_eq!(check_buffer(&gen::numeric(8, 3)), 3);
}

#[test]
fn listing_query_by_path() {
    let dump = gen::listing(ListingConfig {
        seed: 2,
        entries: 500,
        page_size: 200,
    });
    let mut names = 0;
    let mut pages = 0;
    for page in RawValue::all(&dump) {
        let page = page.unwrap();
        pages += 1;
        let entries = page.get("Entries").unwrap();
        let flags = page.get("Flags").unwrap().as_u64().unwrap();
        let tok = page.get("ContinuationToken").unwrap().as_str().unwrap();
        let mut last = "";
        for e in entries.iter().unwrap() {
            last = e.get("n").unwrap().as_str().unwrap();
            names += 1;
        }
        assert_eq!(flags == 0, tok.is_empty());
        if flags != 0 {
            assert_eq!(tok, last);
        }
    }
    assert_eq!((pages, names), (3, 500));
}

#[test]
fn offsets_into_a_big_buffer() {
    // Three pages back to back: values handed out from the third carry offsets into the dump.
    let dump = gen::listing(ListingConfig {
        seed: 4,
        entries: 30,
        page_size: 10,
    });
    let third = RawValue::all(&dump).nth(2).unwrap().unwrap();
    let e = third.get("Entries").unwrap().index(9).unwrap();
    let n = e.get("n").unwrap();
    assert_eq!(&dump[n.offset()..n.end()], n.as_bytes());
    assert_eq!(RawValue::at(&dump, n.offset()).unwrap(), n);
    assert_eq!(third.end(), dump.len());
}

#[test]
fn constructors_report_errors_with_offsets() {
    let e = RawValue::new(&[]).unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (0, ErrorKind::Truncated { needed: 1 })
    );
    let e = RawValue::new(&[0x92, 0x01, 0xc1]).unwrap_err();
    assert_eq!((e.offset(), e.kind()), (2, ErrorKind::ReservedByte));
    let e = RawValue::at(&[0xc0, 0xc0, 0xa3, b'a'], 2).unwrap_err();
    assert_eq!(
        (e.offset(), e.kind()),
        (2, ErrorKind::Truncated { needed: 2 })
    );
    let e = RawValue::try_from(&[0xc0, 0xc0][..]).unwrap_err();
    assert_eq!((e.offset(), e.kind()), (1, ErrorKind::TrailingBytes));
    let errs: Vec<_> = RawValue::all(&[0x01, 0x92, 0x01]).collect();
    assert_eq!(errs.len(), 2);
    assert!(errs[1].unwrap_err().is_truncated());
}

#[test]
fn tokens_and_token() {
    let v = RawValue::new(b"\x82\xa1a\x91\xc3\xa1b\xd6\xff\x00\x00\x00\x01").unwrap();
    let toks: Vec<Token<'_>> = v.tokens().map(Result::unwrap).collect();
    assert_eq!(toks.len(), 6);
    assert_eq!(toks[0], Token::Map(2));
    assert_eq!(v.token(), Some(Token::Map(2)));
    let ts = v.get("b").unwrap();
    assert_eq!(
        ts.token(),
        Some(Token::Timestamp(Timestamp::new(1, 0).unwrap()))
    );
    assert_eq!(ts.type_name(), "timestamp");
    // A malformed type -1 ext is still a complete value, of kind ext.
    let bad = RawValue::new(&[0xd5, 0xff, 0x00, 0x00]).unwrap();
    assert_eq!(bad.kind(), ValueKind::Ext);
    assert!(bad.as_timestamp().is_none());
    assert!(matches!(bad.token(), Some(Token::Ext(_))));
}

#[test]
fn non_str_and_nested_keys_are_passed_over() {
    // {[1]: 1, 2: 2, "k": 3, {}: 4}
    let v = RawValue::new(b"\x84\x91\x01\x01\x02\x02\xa1k\x03\x80\x04").unwrap();
    assert_eq!(v.get("k").and_then(|x| x.as_i64()), Some(3));
    assert_eq!(v.get_int(2).and_then(|x| x.as_i64()), Some(2));
    assert!(v.get_int(1).is_none());
    let keys: Vec<_> = v.entries().unwrap().map(|(k, _)| k.kind()).collect();
    assert_eq!(
        keys,
        [
            ValueKind::Array,
            ValueKind::Int,
            ValueKind::Str,
            ValueKind::Map
        ]
    );
}
