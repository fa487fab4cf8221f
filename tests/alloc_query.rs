//! Evaluating a compiled query over a slice allocates nothing: a counting global allocator
//! (one per test binary, hence this file of its own) proves it.

mod counting;

use msgskim::gen::{listing, ListingConfig};
use msgskim::query::{Query, Rows};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

#[test]
fn evaluating_a_compiled_query_allocates_nothing() {
    let dump = listing(ListingConfig {
        seed: 11,
        entries: 25_000,
        page_size: 10_000,
    });
    let q = Query::many([
        ".Entries[*].n",
        ".Entries[-1].s",
        ".ContinuationToken",
        ".Flags",
        ".*",
        "{1}",
    ])
    .unwrap();
    let rows = Rows::new(".Entries[*]", [".n", ".s", ".cs"]).unwrap();

    let before = counting::allocations();
    let mut matches = 0usize;
    let mut name_bytes = 0usize;
    for m in q.matches(&dump) {
        let m = m.unwrap();
        matches += 1;
        if m.path() == 0 {
            name_bytes += m.bytes().len();
        }
    }
    let mut again = 0usize;
    q.for_each(&dump, |_| again += 1).unwrap();
    let first = q.first(&dump).unwrap().map(|m| m.offset());
    let mut with_size = 0usize;
    let mut row_count = 0usize;
    for r in rows.rows(&dump) {
        let [n, s, _cs] = r.unwrap();
        assert!(n.is_some());
        with_size += usize::from(s.is_some());
        row_count += 1;
    }
    let after = counting::allocations();

    assert_eq!(after - before, 0, "allocations while evaluating");
    // The counter does see allocations.
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(counting::allocations() > after);
    drop(probe);
    // 25,000 names, one last size per page (3 pages, all non-empty sizes are likely but not
    // certain), the token, flags and 4 top-level values per page for `.*`.
    assert!(matches >= 25_000 + 3 * (1 + 1 + 4), "{matches}");
    assert_eq!(matches, again);
    assert!(name_bytes > 25_000 * 20);
    assert!(first.is_some());
    assert_eq!(row_count, 25_000);
    assert!(with_size > 20_000 && with_size < 25_000, "{with_size}");
}
