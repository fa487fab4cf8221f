//! Skipping, validating and reading raw values allocate nothing: proved with a counting global
//! allocator (one per test binary, so this file holds only these tests).

mod counting;

use counting::counting;

use msgskim::gen::{listing, messages, numeric, ListingConfig};
use msgskim::{skip_value, validate, validate_with, RawValue, ValidateOptions};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Runs `f` and returns its result with the number of allocations made meanwhile.

// One test function, so that no other test thread allocates while this one counts.
#[test]
fn skip_validate_and_raw_values_allocate_nothing() {
    let bufs = [
        listing(ListingConfig {
            seed: 1,
            entries: 5_000,
            page_size: 1_000,
        }),
        messages(2, 50),
        numeric(3, 5),
    ];
    let utf8 = ValidateOptions {
        check_utf8: true,
        check_timestamps: true,
        max_depth: None,
    };
    for buf in &bufs {
        let buf = &buf[..];
        let (values, n) = counting(|| {
            let mut pos = 0;
            let mut values = 0;
            while pos < buf.len() {
                pos = skip_value(buf, pos).unwrap();
                values += 1;
            }
            values
        });
        assert!(values > 0);
        assert_eq!(n, 0, "allocations in skip_value");
        assert_eq!(counting(|| validate(buf).unwrap()).1, 0, "validate");
        assert_eq!(counting(|| validate_with(buf, &utf8).unwrap()).1, 0, "utf8");
        let strict = ValidateOptions::strict();
        assert_eq!(
            counting(|| validate_with(buf, &strict).unwrap()).1,
            0,
            "strict"
        );
        // Errors allocate nothing either.
        let cut = &buf[..buf.len() - 1];
        assert_eq!(counting(|| validate(cut).unwrap_err()).1, 0, "error path");
    }

    // Raw values over a listing: walk every page, entry and name.
    let dump = &bufs[0][..];
    let ((names, bytes), n) = counting(|| {
        let mut names = 0usize;
        let mut bytes = 0usize;
        for page in RawValue::all(dump) {
            let page = page.unwrap();
            for e in page.get("Entries").unwrap().iter().unwrap() {
                let name = e.get("n").unwrap().as_str().unwrap();
                names += 1;
                bytes += name.len();
                if let Some((k, v)) = e.entries().unwrap().last() {
                    bytes += k.as_bytes().len() + usize::from(v.is_nil());
                }
            }
            bytes += page.get("Flags").and_then(|f| f.as_u64()).unwrap() as usize;
        }
        (names, bytes)
    });
    assert_eq!(names, 5_000);
    assert!(bytes > 5_000);
    assert_eq!(n, 0, "allocations reading raw values");

    // The counter does count: a deliberate allocation is seen.
    let (v, n) = counting(|| vec![1u8; 10]);
    assert_eq!(v.len(), 10);
    assert!(n >= 1);
}
