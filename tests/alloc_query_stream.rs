//! A query resumed over chunks owns one buffer; once that buffer has grown to what the input
//! needs, feeding more chunks and reporting more matches allocates nothing. A counting global
//! allocator (one per test binary, hence this file of its own) proves it.

mod counting;

use msgskim::gen::{listing, ListingConfig};
use msgskim::query::Query;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

#[test]
fn matches_allocate_nothing_in_steady_state() {
    // One page of 20,000 entries: a single top-level value, resumed inside at every chunk.
    let page = listing(ListingConfig {
        seed: 12,
        entries: 20_000,
        page_size: 20_000,
    });
    let q = Query::many([".Entries[*].n", ".Entries[*].s", ".Flags"]).unwrap();
    let mut qs = q.stream();
    let chunk = 4096;
    let (warm, rest) = page.split_at(page.len() / 10);

    let mut matches = 0usize;
    for c in warm.chunks(chunk) {
        qs.feed(c, |_| matches += 1).unwrap();
    }
    let before = counting::allocations();
    let warm_matches = matches;
    for c in rest.chunks(chunk) {
        qs.feed(c, |m| {
            matches += 1;
            std::hint::black_box(m.bytes());
        })
        .unwrap();
    }
    qs.finish().unwrap();
    let after = counting::allocations();

    assert_eq!(after - before, 0, "allocations while feeding");
    // The counter does see allocations.
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(counting::allocations() > after);
    drop(probe);
    assert!(matches - warm_matches > 30_000, "{matches}");
}
