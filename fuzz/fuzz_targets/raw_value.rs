//! `RawValue` accessors against a full decode.
//!
//! Each top-level value of the input is taken with `RawValue::all`, then rebuilt using only
//! the raw accessors (`kind`, `token`, `as_*`, `iter`, `entries`, `len`) and compared with what
//! the tokenizer decodes from the same bytes. `index(i)` must be the i-th element of `iter()`,
//! `get(k)` the first entry whose key is the str `k`, `get_int(k)` the first whose key is the
//! integer `k`, and every child's `offset`/`as_bytes` must point at its own bytes in the input.
//!
//! Allowed difference: a `RawValue` is checked with `skip_value`, which has no depth limit.
//! Values deeper than the tokenizer's `MAX_DEPTH` are not compared (only walked).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{RawValue, Token, ValueKind};
use msgskim_fuzz::{decode_all, scalar, structural, timestamps_where_valid, V};

/// Rebuilds a value from raw accessors only. `budget` bounds the work on wide or deep input.
fn rebuild(input: &[u8], r: RawValue<'_>, depth: usize, budget: &mut usize) -> Option<V> {
    assert_eq!(&input[r.offset()..r.end()], r.as_bytes());
    if *budget == 0 || depth > msgskim::MAX_DEPTH {
        return None;
    }
    *budget -= 1;
    let kind = r.kind();
    let tok = r.token().expect("a checked value has a first token");
    // Scalar accessors agree with the token.
    assert_eq!(
        r.as_bool(),
        if let Token::Bool(b) = tok {
            Some(b)
        } else {
            None
        }
    );
    assert_eq!(r.as_i64(), tok.as_i64());
    assert_eq!(r.as_u64(), tok.as_u64());
    assert_eq!(r.as_f64().map(f64::to_bits), tok.as_f64().map(f64::to_bits));
    assert_eq!(r.as_str(), tok.as_str());
    assert_eq!(r.is_nil(), tok == Token::Nil);
    assert_eq!(r.type_name(), kind.name());
    match tok {
        Token::Array(n) => {
            assert_eq!(kind, ValueKind::Array);
            assert_eq!(r.len(), Some(n));
            let items: Vec<_> = r.iter().expect("an array").collect();
            assert_eq!(
                items.len(),
                n as usize,
                "a checked array has all its elements"
            );
            let mut at = r.offset() + r.as_bytes().len()
                - items.iter().map(|c| c.as_bytes().len()).sum::<usize>();
            for (i, c) in items.iter().enumerate() {
                assert_eq!(
                    c.offset(),
                    at,
                    "element {i} is where the previous one ended"
                );
                at = c.end();
                if i < 8 || i + 1 == items.len() {
                    assert_eq!(r.index(i), Some(*c));
                }
            }
            assert_eq!(at, r.end());
            assert_eq!(r.index(n as usize), None);
            assert!(r.entries().is_none() && r.get("n").is_none());
            let mut out = Vec::new();
            for c in items {
                out.push(rebuild(input, c, depth + 1, budget)?);
            }
            Some(V::Array(out))
        }
        Token::Map(n) => {
            assert_eq!(kind, ValueKind::Map);
            assert_eq!(r.len(), Some(n));
            let pairs: Vec<_> = r.entries().expect("a map").collect();
            assert_eq!(pairs.len(), n as usize);
            assert!(r.iter().is_none() && r.index(0).is_none());
            for (k, v) in &pairs {
                assert_eq!(k.end(), v.offset());
                // Lookups find the first entry with an equal key.
                if let Some(s) = k.as_raw_str() {
                    let first = pairs
                        .iter()
                        .find(|(k2, _)| k2.as_raw_str() == Some(s))
                        .map(|p| p.1);
                    assert_eq!(r.get_raw_str(s.as_bytes()), first);
                    if let Ok(s) = s.to_str() {
                        assert_eq!(r.get(s), first);
                    }
                }
                if let Some(i) = k.as_i64() {
                    let first = pairs
                        .iter()
                        .find(|(k2, _)| k2.as_i64() == Some(i))
                        .map(|p| p.1);
                    assert_eq!(r.get_int(i), first);
                }
            }
            let mut out = Vec::new();
            for (k, v) in pairs {
                out.push((
                    rebuild(input, k, depth + 1, budget)?,
                    rebuild(input, v, depth + 1, budget)?,
                ));
            }
            Some(V::Map(out))
        }
        other => {
            assert!(r.iter().is_none() && r.entries().is_none() && r.len().is_none());
            match other {
                Token::Timestamp(ts) => {
                    assert_eq!(kind, ValueKind::Timestamp);
                    assert_eq!(r.as_timestamp(), Some(ts));
                }
                Token::Ext(e) => {
                    assert_eq!(kind, ValueKind::Ext);
                    assert_eq!(r.as_ext(), Some(e));
                    assert_eq!(r.as_timestamp(), None);
                }
                Token::Bin(b) => assert_eq!(r.as_bin(), Some(b)),
                Token::Str(s) => assert_eq!(r.as_raw_str(), Some(s)),
                _ => {}
            }
            scalar(&other)
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let full = decode_all(input, structural());
    let mut budget = 20_000;
    let mut at = 0;
    for (i, r) in RawValue::all(input).enumerate() {
        let Ok(r) = r else {
            // RawValue stops exactly where the value is broken, like skip_value.
            assert!(full.values.len() <= i && full.error.is_some());
            break;
        };
        assert_eq!(r.offset(), at);
        at = r.end();
        assert_eq!(RawValue::at(input, r.offset()), Ok(r));
        assert_eq!(
            RawValue::new(r.as_bytes()).map(|v| v.as_bytes()),
            Ok(r.as_bytes())
        );
        let rebuilt = rebuild(input, r, 0, &mut budget);
        if let (Some(rebuilt), Some(want)) = (rebuilt, full.values.get(i)) {
            // The raw accessors decode timestamps; the structural run does not.
            let want = timestamps_where_valid(want);
            assert_eq!(rebuilt, want, "value {i}");
            assert_eq!(full.ends[i], r.end());
        }
    }
});
