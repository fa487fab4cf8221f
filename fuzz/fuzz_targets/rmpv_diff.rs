//! rmpv against msgskim on the same bytes: top-level value by value, both must decode the same
//! value ending at the same offset, or both must fail.
//!
//! Allowed differences, each a deliberate choice on one side:
//!
//! 1. **0xc1.** The spec says the byte is never used; msgskim rejects it (`ReservedByte`), rmpv
//!    reads it as nil. When msgskim reports `ReservedByte`, the byte at its offset must be 0xc1,
//!    and rmpv must have succeeded or failed — nothing more is compared for that value.
//! 2. **Timestamps.** msgskim checks the Timestamp extension (type -1: 4, 8 or 12 data bytes,
//!    nanoseconds <= 999,999,999) by default; rmpv hands every ext back unchecked. Values are
//!    compared with msgskim's timestamp decoding off; then msgskim's default run must give the
//!    same values with every type -1 ext decoded, failing with `InvalidTimestamp` exactly when
//!    one of them is malformed.
//! 3. **Depth.** msgskim (here at its deepest setting, `MAX_DEPTH` = 1024 open containers)
//!    counts open containers; rmpv counts recursion steps (about two per level, and more for a
//!    str/bin/ext) against its own limit of 1024. When either side reports its depth limit,
//!    that value is not compared.
//! 4. **Invalid UTF-8.** Both hand back the bytes of a str (rmpv keeps them beside the UTF-8
//!    error), so strings are compared as bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{ErrorKind, Limits};
use msgskim_fuzz::{decode_all, structural, with_timestamps, V};
use rmpv::Value;

fn from_rmpv(v: &Value) -> V {
    match v {
        Value::Nil => V::Nil,
        Value::Boolean(b) => V::Bool(*b),
        Value::Integer(i) => V::Int(match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => u as i128,
            (None, Some(s)) => s as i128,
            (None, None) => unreachable!("an rmpv integer is a u64 or an i64"),
        }),
        Value::F32(f) => V::F32(f.to_bits()),
        Value::F64(f) => V::F64(f.to_bits()),
        Value::String(s) => V::Str(s.as_bytes().to_vec()),
        Value::Binary(b) => V::Bin(b.clone()),
        Value::Ext(ty, d) => V::Ext(*ty, d.clone()),
        Value::Array(items) => V::Array(items.iter().map(from_rmpv).collect()),
        Value::Map(pairs) => V::Map(
            pairs
                .iter()
                .map(|(k, v)| (from_rmpv(k), from_rmpv(v)))
                .collect(),
        ),
    }
}

fuzz_target!(|input: &[u8]| {
    let ours = decode_all(input, structural());

    // rmpv, one top-level value at a time, from where the previous one ended.
    let mut rest = input;
    let mut i = 0;
    loop {
        if rest.is_empty() {
            // Both ran out of input between values.
            assert_eq!(ours.values.len(), i);
            assert_eq!(ours.error, None);
            break;
        }
        let start = input.len() - rest.len();
        let theirs = rmpv::decode::read_value(&mut rest);
        let end = input.len() - rest.len();
        match (ours.values.get(i), theirs) {
            (Some(v), Ok(t)) => {
                assert_eq!(*v, from_rmpv(&t), "value {i} at {start}");
                assert_eq!(ours.ends[i], end, "value {i} at {start}");
            }
            (Some(v), Err(e)) => {
                // rmpv may only fail on a value msgskim read when it ran into its depth limit.
                assert!(
                    matches!(e, rmpv::decode::Error::DepthLimitExceeded),
                    "value {i} at {start}: msgskim read {v:?}, rmpv failed: {e}"
                );
                break;
            }
            (None, theirs) => {
                let err = ours.error.expect("msgskim stopped early without an error");
                match err.kind() {
                    ErrorKind::ReservedByte => assert_eq!(input[err.offset() as usize], 0xc1),
                    ErrorKind::DepthLimit { .. } => {}
                    ErrorKind::Truncated { .. } => {
                        assert!(theirs.is_err(), "value {i} at {start}: rmpv read {theirs:?} from a truncated value ({err:?})")
                    }
                    other => panic!("structural decoding failed with {other:?}"),
                }
                break;
            }
        }
        i += 1;
    }

    // Difference 2: the default run decodes timestamps, and only that.
    let defaults = Limits {
        max_depth: msgskim::MAX_DEPTH,
        ..Limits::default()
    };
    let with_ts = decode_all(input, defaults);
    for (k, v) in ours.values.iter().enumerate() {
        match with_timestamps(v) {
            Some(tv) => {
                assert_eq!(with_ts.values.get(k), Some(&tv), "value {k}");
                assert_eq!(with_ts.ends[k], ours.ends[k]);
            }
            None => {
                assert_eq!(with_ts.values.len(), k, "value {k} has a bad timestamp");
                let e = with_ts.error.expect("a bad timestamp is an error");
                assert!(matches!(e.kind(), ErrorKind::InvalidTimestamp(_)), "{e:?}");
                return;
            }
        }
    }
    assert_eq!(with_ts.values.len(), ours.values.len());
    if with_ts.error != ours.error {
        // A bad timestamp in the value where the structural run failed, before its error.
        let (e, s) = (
            with_ts.error.expect("an error"),
            ours.error.expect("an error"),
        );
        assert!(
            matches!(e.kind(), ErrorKind::InvalidTimestamp(_)),
            "{e:?} vs {s:?}"
        );
        assert!(e.offset() < s.offset());
    }
});
