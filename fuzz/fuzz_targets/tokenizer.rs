//! The pull tokenizer on arbitrary bytes, under limits chosen by the first input byte.
//!
//! Checks, besides "no panic": positions only move forward and stay inside the input, depth
//! never exceeds the limit, an `Ok(None)` only comes at the very end between values, every
//! error points inside the input and says something true about it (0xc1 really is there, a
//! truncation really runs past the end), nothing comes after an error, and a run under limits
//! yields a prefix of the tokens of a run without them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{ErrorKind, Limits, Token, Tokenizer};
use msgskim_fuzz::structural;

fn limits_from(cfg: u8) -> Limits {
    Limits {
        max_depth: match cfg & 3 {
            0 => Limits::DEFAULT_MAX_DEPTH,
            1 => 2,
            2 => msgskim::MAX_DEPTH,
            _ => usize::MAX, // capped at MAX_DEPTH
        },
        max_payload_len: if cfg & 4 != 0 { 8 } else { u64::MAX },
        max_container_len: if cfg & 8 != 0 { 3 } else { u64::MAX },
        check_utf8: cfg & 16 != 0,
        decode_timestamps: cfg & 32 != 0,
    }
}

fn same_token(limited: &Token<'_>, full: &Token<'_>) -> bool {
    match (limited, full) {
        // The structural run leaves timestamps as exts.
        (Token::Timestamp(ts), Token::Ext(e)) => e.timestamp() == Some(Ok(*ts)),
        (Token::F32(a), Token::F32(b)) => a.to_bits() == b.to_bits(),
        (Token::F64(a), Token::F64(b)) => a.to_bits() == b.to_bits(),
        _ => limited == full,
    }
}

/// The result the tokenizer gives for token `i` of `input`.
fn nth(input: &[u8], limits: Limits, i: usize) -> Result<Option<Token<'_>>, msgskim::Error> {
    let mut t = Tokenizer::with_limits(input, limits);
    for _ in 0..i {
        t.next_token().expect("the same tokens as before");
    }
    t.next_token()
}

/// `needed` is honest: one byte fewer still leaves token `i` cut short at the same offset, and
/// that many more bytes (then as many as asked for next, for a header followed by a payload)
/// complete it.
fn check_needed(input: &[u8], limits: Limits, i: usize, at: usize, needed: usize) {
    assert!(needed >= 1);
    if needed > 1 << 16 {
        // A claimed length far past the input: padding it out is the test's allocation, not
        // the reader's; the adversarial tests cover these claims.
        return;
    }
    let mut padded = input.to_vec();
    padded.resize(input.len() + needed - 1, 0);
    let e = nth(&padded, limits, i).expect_err("one byte fewer than needed is still too few");
    assert!(e.is_truncated() && e.offset() as usize == at, "{e:?}");
    let mut more = needed;
    for _ in 0..2 {
        padded.resize(padded.len() + more, 0);
        match nth(&padded, limits, i) {
            Err(e) if e.is_truncated() && e.offset() as usize == at => {
                let ErrorKind::Truncated { needed } = e.kind() else {
                    unreachable!()
                };
                if needed > 1 << 16 {
                    return;
                }
                more = needed;
            }
            _ => return,
        }
    }
    panic!("token {i} at {at} still cut short after padding");
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, input)) = data.split_first() else {
        return;
    };
    let limits = limits_from(cfg);
    let depth_limit = limits.max_depth.min(msgskim::MAX_DEPTH);

    let full: Vec<_> = Tokenizer::with_limits(input, structural()).collect();

    let mut tok = Tokenizer::with_limits(input, limits);
    let mut last = 0usize;
    let mut i = 0usize;
    loop {
        match tok.next_token() {
            Ok(Some(t)) => {
                let pos = tok.position();
                assert!(pos > last && pos <= input.len(), "position {last} -> {pos}");
                assert!(tok.depth() <= depth_limit);
                assert_eq!(tok.remaining(), &input[pos..]);
                match t {
                    Token::Str(s) if limits.check_utf8 => assert!(s.to_str().is_ok()),
                    Token::Timestamp(ts) => {
                        assert!(limits.decode_timestamps);
                        assert!(ts.nanoseconds() <= 999_999_999);
                    }
                    Token::Ext(e) if limits.decode_timestamps => {
                        assert_ne!(e.ty, msgskim::Timestamp::EXT_TYPE)
                    }
                    _ => {}
                }
                // Same token as the run without limits.
                match full.get(i) {
                    Some(Ok(f)) => assert!(same_token(&t, f), "token {i}: {t:?} vs {f:?}"),
                    other => panic!("token {i}: {t:?} under limits, {other:?} without"),
                }
                last = pos;
                i += 1;
            }
            Ok(None) => {
                assert_eq!(last, input.len());
                assert!(tok.is_at_boundary());
                assert_eq!(full.len(), i, "the run without limits saw more");
                break;
            }
            Err(e) => {
                let at = e.offset() as usize;
                assert!(at >= last && at <= input.len(), "{e:?} after {last}");
                match e.kind() {
                    ErrorKind::ReservedByte => assert_eq!(input[at], 0xc1),
                    ErrorKind::Truncated { needed } => check_needed(input, limits, i, at, needed),
                    ErrorKind::DepthLimit { limit } => assert_eq!(limit, depth_limit),
                    ErrorKind::LengthLimit { len, limit } => assert!(len > limit),
                    ErrorKind::ContainerLimit { len, limit } => assert!(len > limit),
                    ErrorKind::InvalidUtf8 => assert!(limits.check_utf8),
                    ErrorKind::InvalidTimestamp(_) => assert!(limits.decode_timestamps),
                    other => panic!("unexpected error kind {other:?}"),
                }
                // Structural errors are the same with or without limits.
                if matches!(
                    e.kind(),
                    ErrorKind::ReservedByte | ErrorKind::Truncated { .. }
                ) {
                    assert_eq!(full.get(i), Some(&Err(e)));
                }
                // Fused after an error.
                assert_eq!(tok.next_token(), Ok(None));
                break;
            }
        }
    }
});
