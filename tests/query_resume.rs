//! A compiled query resumed anywhere in the input (`Query::stream`): over every chunking, the
//! matches (path, absolute offset, bytes) and the error (kind and offset) are those of the
//! slice evaluation of the whole input, and subtrees no path needs pass without being held.

use msgskim::gen::{listing, ListingConfig, Rng};
use msgskim::query::{Path, Query, QueryStream, Rows};
use msgskim::{Error, ErrorKind};

mod query_util;
use query_util::{random_step, INT_KEYS, KEYS};

type Found = (Vec<(usize, usize, Vec<u8>)>, Option<Error>);

/// The slice evaluation: `for_each`, checked against the iterator.
fn slice(q: &Query, doc: &[u8]) -> Found {
    let mut got = Vec::new();
    let err = q
        .for_each(doc, |m| {
            got.push((m.path(), m.offset(), m.bytes().to_vec()))
        })
        .err();
    let mut it = Vec::new();
    let mut it_err = None;
    for m in q.matches(doc) {
        match m {
            Ok(m) => it.push((m.path(), m.offset(), m.bytes().to_vec())),
            Err(e) => it_err = Some(e),
        }
    }
    assert_eq!((&it, it_err), (&got, err), "iterator and callback disagree");
    (got, err)
}

/// `doc` cut into chunks of the sizes `sizes` (cycled; 0 gives an empty chunk) until all of
/// it is given out.
fn chunks<'d>(doc: &'d [u8], sizes: &'d [usize]) -> impl Iterator<Item = &'d [u8]> + 'd {
    let mut fed = 0;
    sizes.iter().cycle().map_while(move |&size| {
        (fed < doc.len()).then(|| {
            let n = size.min(doc.len() - fed);
            fed += n;
            &doc[fed - n..fed]
        })
    })
}

/// The stream evaluation with chunks of the sizes `sizes` gives (cycled; 0 feeds an empty
/// chunk). A truncation never comes out of `feed`, only out of `finish`.
fn stream(q: &Query, doc: &[u8], sizes: &[usize], max_buffer: usize) -> Found {
    let mut qs = QueryStream::with_max_buffer(q, max_buffer);
    let mut got = Vec::new();
    for chunk in chunks(doc, sizes) {
        let r = qs.feed(chunk, |m| {
            assert_eq!(m.value().as_bytes(), m.bytes());
            got.push((m.path(), m.offset(), m.bytes().to_vec()))
        });
        if let Err(e) = r {
            assert!(!e.is_truncated(), "feed gave {e}");
            // The error stays.
            assert_eq!(qs.feed(&[0xc0], |_| panic!("match after an error")), Err(e));
            assert_eq!(qs.finish(), Err(e));
            return (got, Some(e));
        }
    }
    let err = qs.finish().err();
    if err.is_none() {
        assert_eq!(qs.position(), doc.len() as u64);
        assert_eq!(qs.buffered(), 0);
    }
    (got, err)
}

fn random_sizes(rng: &mut Rng, max: u64) -> Vec<usize> {
    (0..1 + rng.below(8))
        .map(|_| rng.below(max + 1) as usize)
        .chain([1])
        .collect()
}

// ---------------------------------------------------------------------------------------
// Random documents in random (not always smallest) encodings, and random paths over the
// keys and indexes they use.

fn len_header(rng: &mut Rng, out: &mut Vec<u8>, n: usize, fix: Option<(u8, usize)>, w: [u8; 3]) {
    if let Some((base, max)) = fix {
        if n <= max && rng.chance(60) {
            return out.push(base | n as u8);
        }
    }
    if w[0] != 0 && n <= 255 && rng.chance(50) {
        out.extend([w[0], n as u8]);
    } else if n <= 0xffff && rng.chance(50) {
        out.push(w[1]);
        out.extend((n as u16).to_be_bytes());
    } else {
        out.push(w[2]);
        out.extend((n as u32).to_be_bytes());
    }
}

fn str_value(rng: &mut Rng, s: &[u8], out: &mut Vec<u8>) {
    len_header(rng, out, s.len(), Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
    out.extend_from_slice(s);
}

fn int_value(rng: &mut Rng, i: i64, out: &mut Vec<u8>) {
    match rng.below(3) {
        0 if (-32..128).contains(&i) => out.push(i as u8),
        1 if i >= 0 => {
            out.push(0xcf);
            out.extend((i as u64).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend(i.to_be_bytes());
        }
    }
}

fn random_value(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
    if depth < 4 && rng.chance(45) {
        let n = rng.below(6) as usize;
        if rng.chance(50) {
            len_header(rng, out, n, Some((0x90, 15)), [0, 0xdc, 0xdd]);
            for _ in 0..n {
                random_value(rng, depth + 1, out);
            }
        } else {
            len_header(rng, out, n, Some((0x80, 15)), [0, 0xde, 0xdf]);
            for _ in 0..n {
                match rng.below(10) {
                    0..=5 => {
                        let k = KEYS[rng.below(KEYS.len() as u64) as usize];
                        str_value(rng, k.as_bytes(), out);
                    }
                    6..=8 => {
                        let k = INT_KEYS[rng.below(INT_KEYS.len() as u64) as usize];
                        int_value(rng, k, out);
                    }
                    _ => random_value(rng, 3, out),
                }
                random_value(rng, depth + 1, out);
            }
        }
        return;
    }
    match rng.below(9) {
        0 => out.push(0xc0),
        1 => out.push(0xc2 | rng.chance(50) as u8),
        2 => {
            let i = rng.below(1 << 40) as i64;
            int_value(rng, i, out)
        }
        3 => {
            let i = -(rng.below(1 << 40) as i64) - 1;
            int_value(rng, i, out)
        }
        4 => {
            out.push(0xcb);
            out.extend((rng.below(1000) as f64 / 8.0).to_be_bytes());
        }
        5 => {
            // Now and then a payload longer than a few chunks.
            let n = if rng.chance(10) {
                300
            } else {
                rng.below(5) as usize
            };
            len_header(rng, out, n, None, [0xc4, 0xc5, 0xc6]);
            out.extend(core::iter::repeat(7).take(n));
        }
        6 => {
            let n = 1 + rng.below(4) as usize;
            out.extend([0xc7, n as u8, 5]);
            out.extend(core::iter::repeat(1).take(n));
        }
        _ => {
            let k = KEYS[rng.below(KEYS.len() as u64) as usize];
            str_value(rng, k.as_bytes(), out);
        }
    }
}

fn random_doc(rng: &mut Rng) -> Vec<u8> {
    let mut doc = Vec::new();
    for _ in 0..1 + rng.below(3) {
        random_value(rng, 0, &mut doc);
    }
    doc
}

fn random_query(rng: &mut Rng) -> Query {
    let paths = (0..1 + rng.below(4))
        .map(|_| {
            let n = rng.below(5) as usize;
            Path::from_steps((0..n).map(|_| random_step(rng)).collect())
        })
        .collect();
    Query::from_paths(paths).unwrap()
}

/// Damage: a few random bytes, and sometimes a cut.
fn damage(rng: &mut Rng, doc: &[u8]) -> Vec<u8> {
    let mut d = doc.to_vec();
    for _ in 0..rng.below(3) {
        let i = rng.below(d.len() as u64) as usize;
        // The reserved byte often: the one error that is not a truncation.
        d[i] = if rng.chance(40) {
            0xc1
        } else {
            rng.next_u64() as u8
        };
    }
    if rng.chance(50) {
        d.truncate(rng.below(d.len() as u64 + 1) as usize);
    }
    d
}

#[test]
fn random_documents_paths_and_chunkings_give_the_slice_matches() {
    let mut rng = Rng::new(0x57_4ea3);
    let (mut matches, mut errors, mut truncations) = (0, 0, 0);
    for round in 0..4000 {
        let doc = random_doc(&mut rng);
        let q = random_query(&mut rng);
        let doc = if rng.chance(40) {
            damage(&mut rng, &doc)
        } else {
            doc
        };
        let want = slice(&q, &doc);
        for _ in 0..4 {
            let max = [1, 3, 17, 400][rng.below(4) as usize];
            let sizes = random_sizes(&mut rng, max);
            let got = stream(&q, &doc, &sizes, usize::MAX);
            assert_eq!(
                got,
                want,
                "round {round}, paths {:?}, chunks {sizes:?}, doc {doc:02x?}",
                q.paths()
            );
        }
        matches += want.0.len();
        errors += usize::from(want.1.is_some());
        truncations += usize::from(want.1.is_some_and(|e| e.is_truncated()));
    }
    // Not degenerate: plenty of matches, of errors, and of errors other than truncations.
    assert!(matches > 4000, "{matches}");
    assert!(
        errors > 500 && errors - truncations > 100,
        "{errors} {truncations}"
    );
}

#[test]
fn every_split_point_of_small_documents() {
    let mut rng = Rng::new(0x5b117);
    let mut checked = 0;
    for round in 0..300 {
        let doc = random_doc(&mut rng);
        let q = random_query(&mut rng);
        let doc = if round % 3 == 0 {
            damage(&mut rng, &doc)
        } else {
            doc
        };
        let want = slice(&q, &doc);
        for a in 0..=doc.len() {
            assert_eq!(stream(&q, &doc, &[a, usize::MAX], usize::MAX), want);
            // And every pair of cuts, for the shorter documents.
            if doc.len() <= 40 {
                for b in 0..=doc.len() - a {
                    assert_eq!(stream(&q, &doc, &[a, b, usize::MAX], usize::MAX), want);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn a_listing_fed_one_byte_at_a_time() {
    let dump = listing(ListingConfig {
        seed: 4,
        entries: 3_000,
        page_size: 1_200,
    });
    for paths in [
        vec![".Entries[*].n"],
        vec![
            ".Entries[*].n",
            ".Entries[*].s",
            ".Flags",
            ".ContinuationToken",
        ],
        vec![".Entries[-1]", ".Entries[1].*", "."],
        vec![".*"],
    ] {
        let q = Query::many(&paths).unwrap();
        let want = slice(&q, &dump);
        assert!(want.0.len() >= 3, "{paths:?}");
        assert_eq!(stream(&q, &dump, &[1], usize::MAX), want, "{paths:?}");
        assert_eq!(stream(&q, &dump, &[4096], usize::MAX), want, "{paths:?}");
    }
}

#[test]
fn truncation_is_reported_at_finish_with_the_slice_error() {
    // {"a": [1, "xyz", bin of 300]}, cut at every length.
    let mut doc = b"\x81\xa1a\x93\x01\xa3xyz\xc5\x01\x2c".to_vec();
    doc.extend([9u8; 300]);
    for paths in [vec![".a[*]"], vec![".b"], vec!["."], vec![".a[2]"]] {
        let q = Query::many(&paths).unwrap();
        for cut in 0..doc.len() {
            let d = &doc[..cut];
            let want = slice(&q, d);
            for size in [1, 5, 64] {
                let mut qs = q.stream();
                let mut got = Vec::new();
                for chunk in d.chunks(size) {
                    qs.feed(chunk, |m| {
                        got.push((m.path(), m.offset(), m.bytes().to_vec()))
                    })
                    .expect("a truncation waits for more input");
                }
                let err = qs.finish().err();
                assert_eq!((got, err), want, "{paths:?} cut at {cut}");
                if cut > 0 {
                    assert!(err.is_some_and(|e| e.is_truncated()));
                }
            }
        }
    }
    // One case spelled out: the bin is cut 100 bytes short.
    let q = Query::new(".a[2]").unwrap();
    let mut qs = q.stream();
    qs.feed(&doc[..doc.len() - 100], |_| panic!("not complete"))
        .unwrap();
    let err = qs.finish().unwrap_err();
    assert_eq!(
        (err.offset(), err.kind()),
        (9, ErrorKind::Truncated { needed: 100 })
    );
}

#[test]
fn corrupted_input_gives_the_slice_error_at_its_offset() {
    let dump = listing(ListingConfig {
        seed: 8,
        entries: 60,
        page_size: 25,
    });
    let q = Query::many([".Entries[*].n", ".Flags", ".*[-1].*", "{3}"]).unwrap();
    let mut rng = Rng::new(0xc0de);
    let mut other_errors = 0;
    for _ in 0..1500 {
        let d = damage(&mut rng, &dump);
        let want = slice(&q, &d);
        other_errors += usize::from(want.1.is_some_and(|e| !e.is_truncated()));
        let sizes = random_sizes(&mut rng, 300);
        assert_eq!(stream(&q, &d, &sizes, usize::MAX), want, "{sizes:?}");
    }
    assert!(other_errors > 20, "{other_errors}");
    // The reserved byte as a key, spelled out.
    let mut bad = dump.clone();
    bad[1] = 0xc1;
    let mut qs = q.stream();
    let err = bad
        .chunks(7)
        .try_for_each(|c| qs.feed(c, |_| ()))
        .unwrap_err();
    assert_eq!((err.offset(), err.kind()), (1, ErrorKind::ReservedByte));
}

// ---------------------------------------------------------------------------------------
// Memory.

/// `{"skip": bin of `bin` bytes, "list": [`n` small maps], "keep": 42, "tail": [1, 2]}`.
fn big_unneeded(bin: usize, n: usize) -> Vec<u8> {
    let mut doc = vec![0x84];
    doc.extend(b"\xa4skip\xc6");
    doc.extend((bin as u32).to_be_bytes());
    doc.extend(core::iter::repeat(0xab).take(bin));
    doc.extend(b"\xa4list\xdd");
    doc.extend((n as u32).to_be_bytes());
    for i in 0..n {
        doc.extend(b"\x82\xa1n\xa5entry\xa1s");
        doc.extend([0xce]);
        doc.extend((i as u32).to_be_bytes());
    }
    doc.extend(b"\xa4keep\x2a\xa4tail\x92\x01\x02");
    doc
}

#[test]
fn unneeded_subtrees_pass_without_being_held() {
    let doc = big_unneeded(24 << 20, 1_000_000);
    let q = Query::many([".keep", ".tail[-1]", ".list[0].n"]).unwrap();
    let want = slice(&q, &doc);
    assert_eq!(want.0.len(), 3);
    let mut qs = QueryStream::with_max_buffer(&q, 64 << 10);
    let mut got = Vec::new();
    let mut most = 0;
    for chunk in doc.chunks(4096) {
        qs.feed(chunk, |m| {
            got.push((m.path(), m.offset(), m.bytes().to_vec()))
        })
        .unwrap();
        most = most.max(qs.buffered());
    }
    qs.finish().unwrap();
    assert_eq!((got, None), want);
    // At most a chunk's worth of bytes is kept between chunks.
    assert!(most <= 4096, "{most}");
}

#[test]
fn a_held_match_is_bounded_by_the_buffer_limit() {
    let doc = big_unneeded(1 << 20, 10);
    // `.skip` is a match: the 1 MiB bin must be held, and 64 KiB is not enough.
    let q = Query::many([".keep", ".skip"]).unwrap();
    let mut qs = QueryStream::with_max_buffer(&q, 64 << 10);
    let mut most = 0;
    let err = doc
        .chunks(4096)
        .try_for_each(|c| {
            let r = qs.feed(c, |_| panic!("no match before the limit"));
            most = most.max(qs.buffered());
            r
        })
        .unwrap_err();
    assert_eq!(
        (err.offset(), err.kind()),
        (6, ErrorKind::BufferLimit { limit: 64 << 10 })
    );
    assert!(most <= (64 << 10) + 4096, "{most}");
    assert_eq!(qs.finish(), Err(err));
    // With room for it, the same match comes out whole, at its offset.
    let mut qs = QueryStream::with_max_buffer(&q, 2 << 20);
    let mut got = Vec::new();
    for c in doc.chunks(4096) {
        qs.feed(c, |m| got.push((m.path(), m.offset(), m.bytes().len())))
            .unwrap();
    }
    qs.finish().unwrap();
    assert_eq!(got[0], (1, 6, 5 + (1 << 20)));
    assert_eq!(got.len(), 2);
    // A long map key is held too (to be compared), and bounded the same way.
    let mut doc = b"\x81\xdb\x00\x01\x00\x00".to_vec();
    doc.extend(core::iter::repeat(b'k').take(1 << 16));
    doc.push(0xc0);
    let q = Query::new(".k").unwrap();
    let mut qs = QueryStream::with_max_buffer(&q, 1000);
    let err = doc
        .chunks(100)
        .try_for_each(|c| qs.feed(c, |_| ()))
        .unwrap_err();
    assert_eq!(
        (err.offset(), err.kind()),
        (1, ErrorKind::BufferLimit { limit: 1000 })
    );
}

// ---------------------------------------------------------------------------------------
// Row projections resumed the same way (`Rows::stream`).

type FoundRows<const N: usize> = (Vec<[Option<(usize, Vec<u8>)>; N]>, Option<Error>);

fn owned<const N: usize>(r: [Option<msgskim::RawValue<'_>>; N]) -> [Option<(usize, Vec<u8>)>; N] {
    r.map(|v| v.map(|v| (v.offset(), v.as_bytes().to_vec())))
}

fn slice_rows<const N: usize>(rows: &Rows<N>, doc: &[u8]) -> FoundRows<N> {
    let mut got = Vec::new();
    let err = rows.for_each(doc, |r| got.push(owned(r))).err();
    (got, err)
}

fn stream_rows<const N: usize>(rows: &Rows<N>, doc: &[u8], sizes: &[usize]) -> FoundRows<N> {
    let mut rs = rows.stream();
    let mut got = Vec::new();
    for chunk in chunks(doc, sizes) {
        let r = rs.feed(chunk, |r| got.push(owned(r)));
        if let Err(e) = r {
            assert!(!e.is_truncated(), "feed gave {e}");
            assert_eq!(rs.finish(), Err(e));
            return (got, Some(e));
        }
    }
    let err = rs.finish().err();
    if err.is_none() {
        assert_eq!(rs.buffered(), 0);
    }
    (got, err)
}

#[test]
fn random_rows_and_chunkings_give_the_slice_rows() {
    let mut rng = Rng::new(0x2025);
    let (mut rows_seen, mut errors) = (0, 0);
    for round in 0..3000 {
        let doc = random_doc(&mut rng);
        let doc = if rng.chance(30) {
            damage(&mut rng, &doc)
        } else {
            doc
        };
        let text = |rng: &mut Rng| {
            let n = rng.below(3) as usize;
            Path::from_steps((0..n).map(|_| random_step(rng)).collect()).to_string()
        };
        let row = {
            // At least one step, mostly a wildcard.
            let mut p = text(&mut rng);
            if p == "." || rng.chance(50) {
                p = if p == "." { String::new() } else { p };
                p.push_str(if rng.chance(50) { "[*]" } else { ".*" });
            }
            p
        };
        let (f0, f1) = (text(&mut rng), text(&mut rng));
        let rows = Rows::new(&row, [f0.as_str(), f1.as_str()]).unwrap();
        let want = slice_rows(&rows, &doc);
        for _ in 0..3 {
            let max = [1, 3, 17, 400][rng.below(4) as usize];
            let sizes = random_sizes(&mut rng, max);
            assert_eq!(
                stream_rows(&rows, &doc, &sizes),
                want,
                "round {round}, rows {row} [{f0}, {f1}], chunks {sizes:?}, doc {doc:02x?}"
            );
        }
        rows_seen += want.0.len();
        errors += usize::from(want.1.is_some());
    }
    assert!(rows_seen > 1000 && errors > 300, "{rows_seen} {errors}");
}

#[test]
fn listing_rows_fed_one_byte_at_a_time_and_damaged() {
    let dump = listing(ListingConfig {
        seed: 6,
        entries: 1_500,
        page_size: 600,
    });
    let rows = Rows::new(".Entries[*]", [".n", ".s", ".*"]).unwrap();
    let want = slice_rows(&rows, &dump);
    assert_eq!(want.0.len(), 1_500);
    for sizes in [&[1][..], &[7, 4096], &[65536]] {
        assert_eq!(stream_rows(&rows, &dump, sizes), want);
    }
    let mut rng = Rng::new(61);
    for _ in 0..300 {
        let d = damage(&mut rng, &dump);
        let sizes = random_sizes(&mut rng, 2000);
        assert_eq!(stream_rows(&rows, &d, &sizes), slice_rows(&rows, &d));
    }
}
