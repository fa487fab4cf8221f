//! Inputs the fuzz targets stopped on, kept as tests so the behaviour they pinned down stays.
//! Each test says which target found the input and what was wrong.

use msgskim::{skip_value, validate, Error, ErrorKind, Limits, Tokenizer};

/// `skip` target, input `81 a1 6b`: a map whose only key is present and whose value is not.
/// The target wrongly expected skipping from the key to fail; the key is a complete value of
/// its own and skipping it ends at the end of the input. The whole map is cut short there.
#[test]
fn key_of_a_map_cut_after_it_is_a_complete_value() {
    let b = [0x81, 0xa1, b'k'];
    assert_eq!(skip_value(&b, 1), Ok(3));
    let cut = Error::new(3, ErrorKind::Truncated { needed: 1 });
    assert_eq!(skip_value(&b, 0), Err(cut));
    assert_eq!(validate(&b), Err(cut));
}

/// `tokenizer` target, input `c6 ff ff ff ff 00` (after its config byte): a bin 32 claiming
/// 2^32-1 bytes. The target ran out of memory padding the input out to the claim to check
/// `needed`; the tokenizer itself reports the shortfall without allocating (see
/// tests/adversarial_alloc.rs).
#[test]
fn bin32_claiming_four_gib_reports_what_is_missing() {
    let b = [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00];
    let e = Tokenizer::with_limits(&b, Limits::default())
        .next_token()
        .unwrap_err();
    assert_eq!(e.offset(), 0);
    assert_eq!(
        e.kind(),
        ErrorKind::Truncated {
            needed: u32::MAX as usize + 5 - b.len()
        }
    );
}
