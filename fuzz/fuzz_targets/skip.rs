//! `skip_value` against the tokenizer: from every offset where the tokenizer starts a token,
//! skipping one value must end exactly where the tokenizer finishes that value, or fail with
//! exactly the tokenizer's error.
//!
//! The fast table-driven kernel behind `skip_value` is also checked against the plain reference
//! loop (`skip_value_reference`) from every token start and from arbitrary offsets: same answer,
//! same error.
//!
//! Allowed difference: skipping keeps one counter and no stack, so it has no depth limit. When
//! the tokenizer (at its deepest setting, `MAX_DEPTH`) stops at the depth limit, skip may go on;
//! then only "no panic, and an answer inside the input" is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{skip_value, skip_value_reference, ErrorKind, Tokenizer};
use msgskim_fuzz::structural;

fuzz_target!(|input: &[u8]| {
    // Offsets where tokens start, with the tokenizer's depth there; the last one may be the
    // token that failed.
    let mut starts = Vec::new();
    let mut tok = Tokenizer::with_limits(input, structural());
    let mut end_err = None;
    loop {
        let (pos, depth) = (tok.position(), tok.depth());
        match tok.next_token() {
            Ok(Some(_)) => starts.push((pos, depth)),
            Ok(None) => break,
            Err(e) => {
                // The failing token's start (the end of the input, when a container lacks
                // elements) still ends the values before it.
                end_err = Some(e);
                starts.push((pos, depth));
                break;
            }
        }
    }
    let complete = starts.len() - usize::from(end_err.is_some());
    // At most about 256 starting points, so deep inputs stay linear-ish.
    let step = (complete / 256).max(1);
    for (k, &(pos, depth)) in starts[..complete].iter().enumerate().step_by(step) {
        // The value starting at `pos` ends at the next token start at the same depth or
        // shallower; with none, at the end of the input if the tokens ran out cleanly.
        let got = skip_value(input, pos);
        assert_eq!(
            got,
            skip_value_reference(input, pos),
            "kernel vs reference from {pos}"
        );
        let end = starts[k + 1..]
            .iter()
            .find(|&&(_, d)| d <= depth)
            .map(|&(p, _)| p)
            .or(if end_err.is_none() {
                Some(input.len())
            } else {
                None
            });
        match (got, end, end_err) {
            (Ok(e), Some(want), _) => assert_eq!(e, want, "skip from {pos}"),
            (Err(se), Some(want), _) => {
                panic!("skip from {pos} failed ({se:?}) but the value ends at {want}")
            }
            (Ok(e), None, Some(err)) => {
                // The tokenizer failed inside this value: skip may only succeed past the depth
                // limit.
                assert!(
                    matches!(err.kind(), ErrorKind::DepthLimit { .. }),
                    "skip from {pos} gave {e}, tokenizer failed with {err:?}"
                );
                assert!(e <= input.len() && e > pos);
            }
            (Err(se), None, Some(err)) => {
                if matches!(err.kind(), ErrorKind::DepthLimit { .. }) {
                    // Past the depth limit the tokenizer saw nothing: skip's error is its own.
                    assert!(se.offset() >= err.offset());
                } else {
                    assert_eq!(se, err, "skip from {pos}");
                }
            }
            (_, None, None) => unreachable!(),
        }
    }
    // From the failing token itself.
    if let Some(err) = end_err {
        let pos = tok.position();
        if pos < input.len() && !matches!(err.kind(), ErrorKind::DepthLimit { .. }) {
            assert_eq!(skip_value(input, pos), Err(err));
        }
    }
    // From any offset at all: an answer, never a panic, never past the end.
    for pos in [
        0,
        input.len() / 2,
        input.len().saturating_sub(1),
        input.len(),
        input.len() + 1,
    ] {
        let got = skip_value(input, pos);
        assert_eq!(
            got,
            skip_value_reference(input, pos),
            "kernel vs reference from {pos}"
        );
        if let Ok(e) = got {
            assert!(e > pos && e <= input.len());
        }
    }
});
