//! Tokenizing a slice makes no heap allocation: proved with a counting global allocator.

mod counting;

use msgskim::gen::{listing, messages, numeric, ListingConfig};
use msgskim::{Token, Tokenizer};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Tokenizes `buf` fully, returning (tokens, payload bytes) and the allocations made meanwhile.
fn tokenize_counting(buf: &[u8]) -> ((usize, usize), usize) {
    let before = counting::allocations();
    let mut tokens = 0;
    let mut payload = 0;
    let mut t = Tokenizer::new(buf);
    while let Some(tok) = t.next_token().unwrap() {
        tokens += 1;
        payload += match tok {
            Token::Str(s) => s.len(),
            Token::Bin(b) => b.len(),
            Token::Ext(e) => e.data.len(),
            _ => 0,
        };
    }
    let after = counting::allocations();
    ((tokens, payload), after - before)
}

#[test]
fn tokenizing_allocates_nothing() {
    let data = [
        listing(ListingConfig {
            seed: 1,
            entries: 20_000,
            page_size: 10_000,
        }),
        messages(1, 200),
        numeric(1, 50),
    ];
    for buf in &data {
        let ((tokens, _), allocs) = tokenize_counting(buf);
        assert!(tokens > 1_000, "{tokens} tokens");
        assert_eq!(allocs, 0, "allocations while tokenizing {tokens} tokens");
        let before = counting::allocations();
        msgskim::validate(buf).unwrap();
        assert_eq!(
            counting::allocations() - before,
            0,
            "allocations in validate"
        );
    }
    // The counter does count: a deliberate allocation is seen.
    let before = counting::allocations();
    let v = std::hint::black_box(vec![1u8; 64]);
    assert!(counting::allocations() > before);
    drop(v);
}
