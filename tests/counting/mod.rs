//! A counting global allocator for the zero-allocation tests. A global allocator belongs to
//! one test binary, so each such test file declares
//! `#[global_allocator] static GLOBAL: counting::Counting = counting::Counting;`
//! and measures with [`allocations`] / [`counting`].
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to the system allocator and counts allocations and reallocations.
pub struct Counting;

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

/// Allocations and reallocations so far, in this process.
pub fn allocations() -> usize {
    ALLOCS.load(Ordering::SeqCst)
}

/// Runs `f` and returns its result with the allocations it made.
pub fn counting<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = allocations();
    let r = f();
    (r, allocations() - before)
}
