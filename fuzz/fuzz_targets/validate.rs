//! `validate` against the tokenizer over the whole input: valid exactly when the tokenizer
//! (structural limits) reaches the end between values, with the same error otherwise.
//!
//! Allowed difference: validate has no depth limit (it skips with one counter). When the
//! tokenizer stops at the depth limit, validate may accept the input, or fail later on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{validate, ErrorKind};
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
