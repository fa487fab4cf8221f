//! Allocation accounting for the serde deserializer, with a counting global allocator (one per
//! test binary, so this file stands alone): borrowing structs decode without allocating, and a
//! declared length never sizes an allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use msgskim::gen::{listing, ListingConfig};
use serde::Deserialize;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// The counters are global: tests that read them run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes) made while running `f`.
fn counted<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let (a, b) = (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    let r = f();
    (
        r,
        ALLOCS.load(Ordering::SeqCst) - a,
        BYTES.load(Ordering::SeqCst) - b,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry<'a> {
    n: &'a str,
    cs: &'a str,
    a: &'a str,
    v: &'a str,
    t: &'a str,
    m: &'a str,
    s: i64,
    c: i16,
    f: u16,
}

#[test]
fn borrowing_entries_decode_without_allocating() {
    let _g = SERIAL.lock().unwrap();
    let dump = listing(ListingConfig {
        seed: 2,
        entries: 3_000,
        page_size: 3_000,
    });
    // The entries array starts after UUID and ContinuationToken: find it with the tokenizer.
    let mut tok = msgskim::Tokenizer::new(&dump);
    let mut at = 0;
    while let Some(t) = tok.next_token().unwrap() {
        if let msgskim::Token::Array(n) = t {
            assert_eq!(n, 3_000);
            at = tok.position();
            break;
        }
    }
    let mut bounds = Vec::with_capacity(3_000);
    for _ in 0..3_000 {
        let end = msgskim::skip_value(&dump, at).unwrap();
        bounds.push((at, end));
        at = end;
    }
    let (sum, allocs, _) = counted(|| {
        let mut sum = 0i64;
        for &(a, b) in &bounds {
            let e: Entry = msgskim::serde::from_slice(&dump[a..b]).unwrap();
            sum += e.s + e.n.len() as i64 + e.c as i64 + e.f as i64;
            sum += (e.cs.len() + e.a.len() + e.v.len() + e.t.len() + e.m.len()) as i64;
        }
        sum
    });
    assert!(sum > 0);
    assert_eq!(allocs, 0);
}

#[test]
fn declared_lengths_do_not_size_allocations() {
    let _g = SERIAL.lock().unwrap();
    // An array32 claiming 4,294,967,295 u64s, three present.
    let (r, _, bytes) =
        counted(|| msgskim::serde::from_slice::<Vec<u64>>(b"\xdd\xff\xff\xff\xff\x01\x02\x03"));
    assert!(r.unwrap_err().is_truncated());
    assert!(bytes < 1024, "{bytes} bytes allocated");
    // A map32 claiming as many pairs.
    let (r, _, bytes) = counted(|| {
        msgskim::serde::from_slice::<std::collections::HashMap<u8, u8>>(
            b"\xdf\xff\xff\xff\xff\x01\x02",
        )
    });
    assert!(r.unwrap_err().is_truncated());
    assert!(bytes < 1024, "{bytes} bytes allocated");
    // A str32 claiming 4 GiB into a String.
    let (r, _, bytes) =
        counted(|| msgskim::serde::from_slice::<String>(b"\xdb\xff\xff\xff\xffabc"));
    assert!(r.unwrap_err().is_truncated());
    assert!(bytes < 1024, "{bytes} bytes allocated");
}
