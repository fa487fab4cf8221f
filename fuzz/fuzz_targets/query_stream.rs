//! A compiled query resumed over chunks (`Query::stream`) against the same query over the
//! whole slice (`Query::for_each`).
//!
//! The input starts with configuration bytes: two bytes whose bits pick paths from a small
//! list (none, some or all of them), a buffer limit byte (0: no limit, else 16 bytes per unit),
//! a count of chunk sizes and the sizes (0 feeds an empty chunk); the rest is the document.
//! Without a limit, the matches (path, absolute offset, bytes) and the error (kind and offset)
//! must be exactly the slice's, and a truncation must come out of `finish` only. With a limit,
//! the stream may instead stop with `BufferLimit`, after a prefix of the slice's matches; the
//! bytes held between chunks never exceed the limit. A row projection (row path and two
//! fields picked by the same bytes) is checked the same way, `Rows::stream` against
//! `Rows::for_each`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::query::{Query, QueryStream, RowStream, Rows};
use msgskim::{Error, ErrorKind};

const PATHS: &[&str] = &[
    ".",
    ".Entries[*].n",
    ".Entries[*].s",
    ".Flags",
    ".*",
    "[*]",
    "[0]",
    "[-1]",
    ".a",
    ".a[*].b",
    "{1}",
    ".*.*",
    ".Entries[-1]",
    "[*].*",
    ".n",
    "[1][\"\"]",
];

const ROW_PATHS: &[&str] = &[".Entries[*]", "[*]", ".*", "[0]", ".", ".a[*]"];
const FIELDS: &[&str] = &[".n", ".s", ".", ".a", "[0]", ".*", ".b[-1]"];

type Found = (Vec<(usize, usize, Vec<u8>)>, Option<Error>);

fn run(data: &[u8]) -> Option<()> {
    let (&[m0, m1, limit, n], rest) = data.split_first_chunk::<4>()?;
    let n = usize::from(n % 8);
    let (sizes, doc) = rest.split_at_checked(n)?;
    let mask = u16::from_le_bytes([m0, m1]);
    let texts: Vec<&str> = (0..16)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| PATHS[i])
        .collect();
    let q = Query::many(&texts).expect("the paths compile");
    // Chunk sizes cycle; a 1 at the end makes sure the input is used up.
    let sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s)).chain([1]).collect();
    let max_buffer = if limit == 0 {
        usize::MAX
    } else {
        usize::from(limit) * 16
    };

    let mut want: Found = (Vec::new(), None);
    want.1 = q
        .for_each(doc, |m| {
            want.0.push((m.path(), m.offset(), m.bytes().to_vec()))
        })
        .err();

    let mut qs = QueryStream::with_max_buffer(&q, max_buffer);
    let mut got: Found = (Vec::new(), None);
    let mut fed = 0;
    let mut i = 0;
    let biggest = sizes.iter().copied().max().unwrap_or(1);
    while fed < doc.len() {
        let k = sizes[i % sizes.len()].min(doc.len() - fed);
        i += 1;
        let r = qs.feed(&doc[fed..fed + k], |m| {
            assert_eq!(m.value().as_bytes(), m.bytes());
            got.0.push((m.path(), m.offset(), m.bytes().to_vec()))
        });
        fed += k;
        if let Err(e) = r {
            assert!(!e.is_truncated(), "feed gave {e}");
            assert_eq!(qs.finish(), Err(e), "the error stays");
            got.1 = Some(e);
            break;
        }
        if max_buffer != usize::MAX {
            // What is kept (plus used bytes not yet dropped, never more than the kept ones).
            assert!(
                qs.buffered() <= 2 * max_buffer.max(biggest),
                "{}",
                qs.buffered()
            );
        }
    }
    if got.1.is_none() {
        got.1 = qs.finish().err();
        if got.1.is_none() {
            assert_eq!(qs.position(), doc.len() as u64);
        }
    }

    match got.1.map(|e| e.kind()) {
        Some(ErrorKind::BufferLimit { limit }) => {
            assert_eq!(limit, max_buffer);
            assert!(want.0.starts_with(&got.0), "{got:?} vs {want:?}");
        }
        _ => assert_eq!(got, want, "chunks {sizes:?}, paths {texts:?}"),
    }

    // A row projection picked by the same bytes, the same way.
    let row = ROW_PATHS[usize::from(m0) % ROW_PATHS.len()];
    let fields = [
        FIELDS[usize::from(m1) % FIELDS.len()],
        FIELDS[usize::from(m1 >> 4) % FIELDS.len()],
    ];
    let rows = Rows::new(row, fields).expect("the paths compile");
    let owned = |r: [Option<msgskim::RawValue<'_>>; 2]| {
        r.map(|v| v.map(|v| (v.offset(), v.as_bytes().to_vec())))
    };
    let mut want = (Vec::new(), None);
    want.1 = rows.for_each(doc, |r| want.0.push(owned(r))).err();
    let mut rs = RowStream::with_max_buffer(&rows, max_buffer);
    let mut got = (Vec::new(), None);
    let (mut fed, mut i) = (0, 0);
    while fed < doc.len() {
        let k = sizes[i % sizes.len()].min(doc.len() - fed);
        i += 1;
        let r = rs.feed(&doc[fed..fed + k], |r| got.0.push(owned(r)));
        fed += k;
        if let Err(e) = r {
            assert!(!e.is_truncated(), "feed gave {e}");
            got.1 = Some(e);
            break;
        }
    }
    if got.1.is_none() {
        got.1 = rs.finish().err();
    }
    match got.1.map(|e| e.kind()) {
        Some(ErrorKind::BufferLimit { .. }) => assert!(want.0.starts_with(&got.0)),
        _ => assert_eq!(got, want, "chunks {sizes:?}, rows {row} {fields:?}"),
    }
    Some(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
