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

/// `stream` target, input `60 00 04 02 03 07` + `1e f3 e3 81 b2 e3 82 89 26 e3 81 8c f3 00 00`:
/// with UTF-8 checking and long strs delivered in pieces, a str whose piece ended in the lead
/// byte `f3` and whose next piece began `00 00` was not reported invalid until a fourth byte
/// arrived, so a stream cut there ended as `Truncated` when fed in chunks of 3 and 7 bytes but
/// as `InvalidUtf8` when fed whole. Fixed in the stream decoder's piecewise UTF-8 check: a byte
/// that cannot continue the character is an error as soon as it arrives.
#[test]
fn piecewise_utf8_rejects_a_bad_continuation_as_soon_as_it_arrives() {
    use msgskim::{Event, StreamConfig, StreamDecoder};
    let doc = [
        0x1e, 0xf3, 0xe3, 0x81, 0xb2, 0xe3, 0x82, 0x89, 0x26, 0xe3, 0x81, 0x8c, 0xf3, 0x00, 0x00,
    ];
    let cfg = StreamConfig {
        limits: Limits {
            check_utf8: true,
            ..StreamConfig::default().limits
        },
        chunk_threshold: 4,
        ..StreamConfig::default()
    };
    let run = |chunks: &[usize]| {
        let mut dec = StreamDecoder::with_config(cfg);
        let mut at = 0;
        for &n in chunks {
            dec.feed(&doc[at..at + n]).unwrap();
            at += n;
            loop {
                match dec.next_token() {
                    Ok(Some(Event::PayloadChunk(c))) => assert!(!c.contains(&0)),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => return Err(e),
                }
            }
        }
        dec.finish()
    };
    // The str's payload starts at byte 5; `f3 00` at byte 12 is the first invalid sequence.
    let want = Err(Error::new(12, ErrorKind::InvalidUtf8));
    assert_eq!(run(&[15]), want);
    assert_eq!(run(&[3, 7, 3, 2]), want);
    assert_eq!(run(&[1; 15]), want);
}
