//! Tokenizing a slice makes no heap allocation: proved with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use msgskim::gen::{listing, messages, numeric, ListingConfig};
use msgskim::{Token, Tokenizer};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Tokenizes `buf` fully, returning (tokens, payload bytes) and the allocations made meanwhile.
fn tokenize_counting(buf: &[u8]) -> ((usize, usize), usize) {
    let before = ALLOCS.load(Ordering::SeqCst);
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
    let after = ALLOCS.load(Ordering::SeqCst);
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
        let before = ALLOCS.load(Ordering::SeqCst);
        msgskim::validate(buf).unwrap();
        assert_eq!(
            ALLOCS.load(Ordering::SeqCst) - before,
            0,
            "allocations in validate"
        );
    }
    // The counter does count: a deliberate allocation is seen.
    let before = ALLOCS.load(Ordering::SeqCst);
    let v = std::hint::black_box(vec![1u8; 64]);
    assert!(ALLOCS.load(Ordering::SeqCst) > before);
    drop(v);
}
