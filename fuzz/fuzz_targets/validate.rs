//! `validate` against the tokenizer over the whole input: valid exactly when the tokenizer
//! (structural limits) reaches the end between values, with the same error otherwise.
//!
//! `validate_with` under every combination of its checks must give the error a tokenizer with
//! the same checks gives (the same offset and kind), or none when it reads to the end.
//!
//! Allowed difference: validate has no depth limit (it skips with one counter). When the
//! tokenizer stops at the depth limit, validate may accept the input, or fail later on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{validate, validate_with, ErrorKind, Limits, ValidateOptions};
use msgskim_fuzz::{decode_all, structural};

fuzz_target!(|input: &[u8]| {
    let v = validate(input);
    let d = decode_all(input, structural());
    match (v, d.error) {
        (Ok(()), None) => assert_eq!(d.ends.last().copied().unwrap_or(0), input.len()),
        (r, Some(err)) if matches!(err.kind(), ErrorKind::DepthLimit { .. }) => {
            if let Err(e) = r {
                assert!(e.offset() >= err.offset());
            }
        }
        (Err(e), Some(err)) => assert_eq!(e, err),
        (r, err) => panic!("validate: {r:?}, tokenizer: {err:?}"),
    }
    for utf8 in [false, true] {
        for ts in [false, true] {
            for depth in [None, Some(0), Some(3), Some(Limits::DEFAULT_MAX_DEPTH)] {
                let opts = ValidateOptions {
                    check_utf8: utf8,
                    check_timestamps: ts,
                    max_depth: depth,
                };
                let limits = Limits {
                    max_depth: depth.unwrap_or(msgskim::MAX_DEPTH),
                    check_utf8: utf8,
                    decode_timestamps: ts,
                    ..Limits::default()
                };
                let want = decode_all(input, limits).error;
                let got = validate_with(input, &opts);
                match (got, want) {
                    // Without a depth limit, validate_with may read on where the tokenizer
                    // reaches MAX_DEPTH.
                    (r, Some(w))
                        if depth.is_none() && matches!(w.kind(), ErrorKind::DepthLimit { .. }) =>
                    {
                        if let Err(e) = r {
                            assert!(e.offset() >= w.offset(), "{opts:?}: {e:?} vs {w:?}");
                        }
                    }
                    (r, w) => assert_eq!(r.err(), w, "{opts:?}"),
                }
            }
        }
    }
    // A prefix that ends on a value boundary is valid; one that ends inside a value is cut short.
    // (A sample of at most 16 of each, to keep the run linear.)
    for &end in d.ends.iter().step_by((d.ends.len() / 16).max(1)) {
        assert_eq!(validate(&input[..end]), Ok(()));
    }
    if d.error.is_none() {
        let step = (input.len() / 16).max(1);
        for cut in (1..input.len()).step_by(step) {
            if d.ends.binary_search(&cut).is_err() {
                let e = validate(&input[..cut]).expect_err("a cut inside a value");
                assert!(e.is_truncated(), "{e:?}");
            }
        }
    }
});
