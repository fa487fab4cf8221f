//! Path queries against a reference evaluator over fully decoded documents (rmpv), plus every
//! path form, no-match cases and malformed input.

use msgskim::gen::{listing, ListingConfig, Rng};
use msgskim::query::{Path, Query, Rows, Step};
use msgskim::ErrorKind;
use rmpv::Value;

mod query_util;
use query_util::{random_step, INT_KEYS, KEYS};

// ---------------------------------------------------------------------------------------
// Random documents, written with random (not always smallest) encodings.

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let container = depth < 4 && rng.chance(45);
    if container {
        let n = rng.below(5) as usize;
        if rng.chance(50) {
            Value::Array((0..n).map(|_| random_value(rng, depth + 1)).collect())
        } else {
            Value::Map(
                (0..n)
                    .map(|_| {
                        let k = match rng.below(10) {
                            0..=5 => Value::from(KEYS[rng.below(KEYS.len() as u64) as usize]),
                            6..=8 => {
                                Value::from(INT_KEYS[rng.below(INT_KEYS.len() as u64) as usize])
                            }
                            _ => random_value(rng, 3),
                        };
                        (k, random_value(rng, depth + 1))
                    })
                    .collect(),
            )
        }
    } else {
        match rng.below(9) {
            0 => Value::Nil,
            1 => Value::Boolean(rng.chance(50)),
            2 => Value::from(rng.below(1 << 40)),
            3 => Value::from(-(rng.below(1 << 40) as i64) - 1),
            4 => Value::F64(rng.below(1000) as f64 / 8.0),
            5 => Value::Binary(vec![7; rng.below(5) as usize]),
            6 => Value::Ext(5, vec![1; 1 + rng.below(4) as usize]),
            _ => Value::from(KEYS[rng.below(KEYS.len() as u64) as usize]),
        }
    }
}

/// Writes `v`, choosing at random among the wire forms that can hold it.
fn encode(rng: &mut Rng, v: &Value, out: &mut Vec<u8>) {
    fn len_header(
        rng: &mut Rng,
        out: &mut Vec<u8>,
        n: usize,
        fix: Option<(u8, usize)>,
        w8: Option<u8>,
        w16: u8,
        w32: u8,
    ) {
        match fix {
            Some((base, max)) if n <= max && rng.chance(60) => return out.push(base | n as u8),
            _ => {}
        }
        match w8 {
            Some(b) if n <= 255 && rng.chance(50) => out.extend([b, n as u8]),
            _ if n <= 0xffff && rng.chance(50) => {
                out.push(w16);
                out.extend((n as u16).to_be_bytes());
            }
            _ => {
                out.push(w32);
                out.extend((n as u32).to_be_bytes());
            }
        }
    }
    match v {
        Value::Nil => out.push(0xc0),
        Value::Boolean(b) => out.push(0xc2 | u8::from(*b)),
        Value::Integer(i) => {
            if let Some(u) = i.as_u64() {
                match rng.below(3) {
                    0 if u < 128 => out.push(u as u8),
                    1 if u <= i64::MAX as u64 => {
                        out.push(0xd3);
                        out.extend((u as i64).to_be_bytes());
                    }
                    _ => {
                        out.push(0xcf);
                        out.extend(u.to_be_bytes());
                    }
                }
            } else {
                let s = i.as_i64().unwrap();
                if s >= -32 && rng.chance(50) {
                    out.push(s as u8);
                } else if s >= i32::MIN as i64 && rng.chance(50) {
                    out.push(0xd2);
                    out.extend((s as i32).to_be_bytes());
                } else {
                    out.push(0xd3);
                    out.extend(s.to_be_bytes());
                }
            }
        }
        Value::F32(f) => {
            out.push(0xca);
            out.extend(f.to_be_bytes());
        }
        Value::F64(f) => {
            out.push(0xcb);
            out.extend(f.to_be_bytes());
        }
        Value::String(s) => {
            let b = s.as_bytes();
            len_header(rng, out, b.len(), Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb);
            out.extend_from_slice(b);
        }
        Value::Binary(b) => {
            len_header(rng, out, b.len(), None, Some(0xc4), 0xc5, 0xc6);
            out.extend_from_slice(b);
        }
        Value::Ext(ty, data) => {
            out.push(0xc7);
            out.push(data.len() as u8);
            out.push(*ty as u8);
            out.extend_from_slice(data);
        }
        Value::Array(items) => {
            len_header(rng, out, items.len(), Some((0x90, 15)), None, 0xdc, 0xdd);
            for it in items {
                encode(rng, it, out);
            }
        }
        Value::Map(pairs) => {
            len_header(rng, out, pairs.len(), Some((0x80, 15)), None, 0xde, 0xdf);
            for (k, v) in pairs {
                encode(rng, k, out);
                encode(rng, v, out);
            }
        }
    }
}

fn random_path(rng: &mut Rng) -> Path {
    let n = rng.below(5) as usize;
    Path::from_steps((0..n).map(|_| random_step(rng)).collect())
}

// ---------------------------------------------------------------------------------------
// The reference: walk the decoded tree in document (pre-)order and test every value's
// address against every path.

#[derive(Clone, Debug)]
enum Hop<'v> {
    Entry(&'v Value),
    Elem { i: usize, len: usize },
}

fn step_fits(step: &Step, hop: &Hop<'_>) -> bool {
    match (step, hop) {
        (Step::Key(k), Hop::Entry(Value::String(s))) => s.as_bytes() == k.as_bytes(),
        (Step::IntKey(n), Hop::Entry(Value::Integer(i))) => {
            i.as_i64().map(i128::from).or(i.as_u64().map(i128::from)) == Some(*n)
        }
        (Step::EveryValue, Hop::Entry(_)) => true,
        (Step::EveryElement, Hop::Elem { .. }) => true,
        (Step::Index(want), Hop::Elem { i, len }) => {
            if *want >= 0 {
                *want as usize == *i
            } else {
                want.unsigned_abs() as usize <= *len && len - want.unsigned_abs() as usize == *i
            }
        }
        _ => false,
    }
}

fn path_fits(path: &Path, addr: &[Hop<'_>]) -> bool {
    path.steps().len() == addr.len() && path.steps().iter().zip(addr).all(|(s, h)| step_fits(s, h))
}

/// A key step takes the first entry with its key: is the entry at `addr`'s last hop a later
/// duplicate of an earlier key of the same map (as far as `step` is concerned)?
fn shadowed(step: &Step, pairs: &[(Value, Value)], at: usize) -> bool {
    let fits = |k: &Value| step_fits(step, &Hop::Entry(k));
    match step {
        Step::Key(_) | Step::IntKey(_) => pairs[..at].iter().any(|(k, _)| fits(k)),
        _ => false,
    }
}

fn reference<'v>(
    v: &'v Value,
    addr: &mut Vec<Hop<'v>>,
    paths: &[Path],
    out: &mut Vec<(usize, &'v Value)>,
) {
    reference_in(v, addr, &mut Vec::new(), paths, out)
}

/// The entries of the map a hop went through, and the position of the entry taken.
type MapHop<'v> = Option<(&'v [(Value, Value)], usize)>;

/// `maps[i]` is the map and entry index of `addr[i]` when that hop is a map entry.
fn reference_in<'v>(
    v: &'v Value,
    addr: &mut Vec<Hop<'v>>,
    maps: &mut Vec<MapHop<'v>>,
    paths: &[Path],
    out: &mut Vec<(usize, &'v Value)>,
) {
    for (i, p) in paths.iter().enumerate() {
        let first = p
            .steps()
            .iter()
            .zip(maps.iter())
            .all(|(s, m)| m.map_or(true, |(pairs, at)| !shadowed(s, pairs, at)));
        if path_fits(p, addr) && first {
            out.push((i, v));
        }
    }
    match v {
        Value::Array(items) => {
            for (i, it) in items.iter().enumerate() {
                addr.push(Hop::Elem {
                    i,
                    len: items.len(),
                });
                maps.push(None);
                reference_in(it, addr, maps, paths, out);
                maps.pop();
                addr.pop();
            }
        }
        Value::Map(pairs) => {
            for (at, (k, it)) in pairs.iter().enumerate() {
                addr.push(Hop::Entry(k));
                maps.push(Some((pairs, at)));
                reference_in(it, addr, maps, paths, out);
                maps.pop();
                addr.pop();
            }
        }
        _ => {}
    }
}

fn decode_one(bytes: &[u8]) -> Value {
    let mut r = bytes;
    let v = rmpv::decode::read_value(&mut r).unwrap();
    assert!(r.is_empty(), "a match is exactly one value");
    v
}

fn run_query(paths: &[Path], doc: &[u8]) -> Vec<(usize, Value)> {
    let q = Query::from_paths(paths.to_vec()).unwrap();
    let got: Vec<(usize, Value)> = q
        .matches(doc)
        .map(|m| {
            let m = m.unwrap();
            assert_eq!(&doc[m.offset()..m.offset() + m.bytes().len()], m.bytes());
            (m.path(), decode_one(m.bytes()))
        })
        .collect();
    // for_each sees the same matches.
    let mut again = Vec::new();
    q.for_each(doc, |m| again.push((m.path(), decode_one(m.bytes()))))
        .unwrap();
    assert_eq!(got, again);
    got
}

#[test]
fn differential_random_documents_and_paths() {
    let mut rng = Rng::new(0x5eed);
    let mut total_matches = 0;
    for round in 0..3000 {
        let tops: Vec<Value> = (0..1 + rng.below(3))
            .map(|_| random_value(&mut rng, 0))
            .collect();
        let mut doc = Vec::new();
        for t in &tops {
            encode(&mut rng, t, &mut doc);
        }
        let paths: Vec<Path> = (0..1 + rng.below(4))
            .map(|_| random_path(&mut rng))
            .collect();
        // The text form parses back to the same path.
        for p in &paths {
            assert_eq!(&Path::parse(&p.to_string()).unwrap(), p, "{p}");
        }
        let mut want = Vec::new();
        for t in &tops {
            reference(t, &mut Vec::new(), &paths, &mut want);
        }
        let want: Vec<(usize, Value)> = want.into_iter().map(|(i, v)| (i, v.clone())).collect();
        let got = run_query(&paths, &doc);
        assert_eq!(got, want, "round {round}, paths {paths:?}, doc {tops:?}");
        total_matches += got.len();
    }
    // The generator is not degenerate: plenty of paths do match.
    assert!(total_matches > 3000, "{total_matches}");
}

#[test]
fn differential_rows() {
    let mut rng = Rng::new(77);
    let mut rows_seen = 0;
    for round in 0..2000 {
        let tops: Vec<Value> = (0..1 + rng.below(2))
            .map(|_| random_value(&mut rng, 0))
            .collect();
        let mut doc = Vec::new();
        for t in &tops {
            encode(&mut rng, t, &mut doc);
        }
        let row = random_path(&mut rng);
        let f: [Path; 2] = [random_path(&mut rng), random_path(&mut rng)];
        let rows = Rows::new(&row.to_string(), [&f[0].to_string(), &f[1].to_string()]).unwrap();
        let got: Vec<[Option<Value>; 2]> = rows
            .rows(&doc)
            .map(|r| r.unwrap().map(|m| m.map(|m| decode_one(m.as_bytes()))))
            .collect();
        let mut again = Vec::new();
        rows.for_each(&doc, |r| {
            again.push(r.map(|m| m.map(|m| decode_one(m.as_bytes()))))
        })
        .unwrap();
        assert_eq!(got, again);
        let mut row_values = Vec::new();
        for t in &tops {
            reference(
                t,
                &mut Vec::new(),
                std::slice::from_ref(&row),
                &mut row_values,
            );
        }
        let want: Vec<[Option<Value>; 2]> = row_values
            .iter()
            .map(|(_, rv)| {
                [0, 1].map(|i| {
                    let mut found = Vec::new();
                    reference(rv, &mut Vec::new(), std::slice::from_ref(&f[i]), &mut found);
                    found.first().map(|(_, v)| (*v).clone())
                })
            })
            .collect();
        assert_eq!(
            got, want,
            "round {round}: row {row} fields {} {}",
            f[0], f[1]
        );
        rows_seen += got.len();
    }
    assert!(rows_seen > 500, "{rows_seen}");
}

// ---------------------------------------------------------------------------------------
// Every path form, by hand.

/// `{"a": {"b c": [10, 20, 30]}, 7: "seven", -2: "minus two", "n": [{"x": 1}, {"y": 2}]}`
fn sample() -> Vec<u8> {
    let v = Value::Map(vec![
        (
            Value::from("a"),
            Value::Map(vec![(
                Value::from("b c"),
                Value::Array(vec![Value::from(10), Value::from(20), Value::from(30)]),
            )]),
        ),
        (Value::from(7), Value::from("seven")),
        (Value::from(-2), Value::from("minus two")),
        (
            Value::from("n"),
            Value::Array(vec![
                Value::Map(vec![(Value::from("x"), Value::from(1))]),
                Value::Map(vec![(Value::from("y"), Value::from(2))]),
            ]),
        ),
    ]);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &v).unwrap();
    out
}

fn values(path: &str, doc: &[u8]) -> Vec<Value> {
    Query::new(path)
        .unwrap()
        .matches(doc)
        .map(|m| decode_one(m.unwrap().bytes()))
        .collect()
}

#[test]
fn every_path_form() {
    let doc = sample();
    assert_eq!(values(".", &doc), [decode_one(&doc)]);
    assert_eq!(values(".a.[\"b c\"][0]", &doc), [Value::from(10)]);
    assert_eq!(values(r#".a["b\u0020c"][1]"#, &doc), [Value::from(20)]);
    assert_eq!(values(r#"["a"]["b c"][-1]"#, &doc), [Value::from(30)]);
    assert_eq!(values(r#".a["b c"][-3]"#, &doc), [Value::from(10)]);
    assert_eq!(values(r#".a["b c"][*]"#, &doc).len(), 3);
    assert_eq!(values("{7}", &doc), [Value::from("seven")]);
    assert_eq!(values(".{-2}", &doc), [Value::from("minus two")]);
    assert_eq!(values(".n[*].*", &doc), [Value::from(1), Value::from(2)]);
    assert_eq!(values(".*", &doc).len(), 4);
    assert_eq!(values(".n[1].y", &doc), [Value::from(2)]);
}

#[test]
fn empty_queries_match_nothing() {
    let doc = sample();
    let q = Query::many(Vec::<&str>::new()).unwrap();
    assert_eq!(q.matches(&doc).count(), 0);
    let mut n = 0;
    q.for_each(&doc, |_| n += 1).unwrap();
    assert_eq!(n, 0);
    let rows = Rows::<0>::new(".n[*]", []).unwrap();
    assert_eq!(rows.rows(&doc).count(), 0);
    // A path repeated is reported once per copy.
    let q = Query::many([".a", ".a"]).unwrap();
    let paths: Vec<usize> = q.matches(&doc).map(|m| m.unwrap().path()).collect();
    assert_eq!(paths, [0, 1]);
}

#[test]
fn no_match_is_not_an_error() {
    let doc = sample();
    for p in [
        ".missing",
        ".a.b",
        ".a[0]",           // an index into a map
        r#".a["b c"].x"#,  // a key into an array
        r#".a["b c"][3]"#, // past the end
        r#".a["b c"][-4]"#,
        ".n[*].x.y", // a key into an integer
        "{8}",
        "{-1}",
        ".7",     // the str key "7", not the integer key 7
        "[*]",    // the root is a map
        ".a.*.*", // into array elements with a map step
    ] {
        assert_eq!(values(p, &doc), Vec::<Value>::new(), "{p}");
    }
}

#[test]
fn every_top_level_value_of_a_stream() {
    let dump = listing(ListingConfig {
        seed: 4,
        entries: 2_500,
        page_size: 1_000,
    });
    let q = Query::many([
        ".Entries[*].n",
        ".ContinuationToken",
        ".Flags",
        ".Entries[-1].n",
    ])
    .unwrap();
    let mut per_path = [0usize; 4];
    let mut last_name = Vec::new();
    let mut tokens = Vec::new();
    for m in q.matches(&dump) {
        let m = m.unwrap();
        per_path[m.path()] += 1;
        match m.path() {
            1 => tokens.push(decode_one(m.bytes())),
            3 => last_name.push(decode_one(m.bytes())),
            _ => {}
        }
    }
    assert_eq!(per_path, [2_500, 3, 3, 3]);
    // The continuation token of a page is the last name of that page; empty on the last.
    assert_eq!(tokens[..2], last_name[..2]);
    assert_eq!(tokens[2], Value::from(""));
}

#[test]
fn rows_of_a_listing() {
    let dump = listing(ListingConfig {
        seed: 5,
        entries: 3_000,
        page_size: 1_000,
    });
    let rows = Rows::new(".Entries[*]", [".n", ".s"]).unwrap();
    let mut rmp_rows = Vec::new();
    let mut r = &dump[..];
    while !r.is_empty() {
        let page = rmpv::decode::read_value(&mut r).unwrap();
        for e in page["Entries"].as_array().unwrap() {
            rmp_rows.push([
                Some(e["n"].clone()),
                e.as_map()
                    .unwrap()
                    .iter()
                    .find(|(k, _)| k.as_str() == Some("s"))
                    .map(|(_, v)| v.clone()),
            ]);
        }
    }
    let got: Vec<[Option<Value>; 2]> = rows
        .rows(&dump)
        .map(|r| r.unwrap().map(|m| m.map(|m| decode_one(m.as_bytes()))))
        .collect();
    assert_eq!(got.len(), 3_000);
    assert_eq!(got, rmp_rows);
    assert!(
        got.iter().any(|r| r[1].is_none()),
        "some entries have no size"
    );
}

// ---------------------------------------------------------------------------------------
// Malformed input and bad paths.

#[test]
fn malformed_input_is_an_error_with_an_offset() {
    let doc = sample();
    let q = Query::many([".n[*].y", r#".a["b c"][-1]"#]).unwrap();
    let full: Vec<_> = q.matches(&doc).collect::<Result<_, _>>().unwrap();
    assert_eq!(full.len(), 2);
    for cut in 0..doc.len() {
        let res: Result<Vec<_>, _> = q.matches(&doc[..cut]).collect();
        if cut == 0 {
            assert!(res.unwrap().is_empty());
            continue;
        }
        let err = res.expect_err("a cut document is truncated");
        assert!(err.is_truncated(), "{err}");
        assert!(err.offset() as usize <= cut);
    }
    let mut bad = doc.clone();
    bad[1] = 0xc1; // the first key
    let err = q.matches(&bad).find_map(Result::err).unwrap();
    assert_eq!((err.offset(), err.kind()), (1, ErrorKind::ReservedByte));
}

#[test]
fn random_corruption_never_panics() {
    let dump = listing(ListingConfig {
        seed: 8,
        entries: 40,
        page_size: 15,
    });
    let q = Query::many([".Entries[*].n", ".Flags", ".*[-1].*", "{3}"]).unwrap();
    let rows = Rows::new(".Entries[*]", [".n", ".s", ".*"]).unwrap();
    let mut rng = Rng::new(99);
    let mut errors = 0;
    for _ in 0..3000 {
        let mut d = dump.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(d.len() as u64) as usize;
            d[i] = rng.next_u64() as u8;
        }
        let cut = rng.below(d.len() as u64 + 1) as usize;
        let d = &d[..cut];
        // The iterator and the callback walk agree, up to and including the error.
        let mut it_matches = Vec::new();
        let mut it_err = None;
        for m in q.matches(d) {
            match m {
                Ok(m) => it_matches.push(m),
                Err(e) => it_err = Some(e),
            }
        }
        let mut cb_matches = Vec::new();
        let cb_err = q.for_each(d, |m| cb_matches.push(m)).err();
        assert_eq!((&it_matches, it_err), (&cb_matches, cb_err));
        let mut it_rows = Vec::new();
        let mut it_row_err = None;
        for r in rows.rows(d) {
            match r {
                Ok(r) => it_rows.push(r),
                Err(e) => it_row_err = Some(e),
            }
        }
        let mut cb_rows = Vec::new();
        let cb_row_err = rows.for_each(d, |r| cb_rows.push(r)).err();
        assert_eq!((&it_rows, it_row_err), (&cb_rows, cb_row_err));
        let a: Result<Vec<_>, _> = q.matches(d).collect();
        let b: Result<Vec<_>, _> = rows.rows(d).collect();
        errors += usize::from(a.is_err()) + usize::from(b.is_err());
        if let Err(e) = a {
            assert!(e.offset() as usize <= d.len());
        }
        // Matches of a document that validates are whole values.
        if msgskim::validate(d).is_ok() {
            for m in q.matches(d) {
                assert_eq!(
                    msgskim::skip_value(m.unwrap().bytes(), 0).unwrap(),
                    m.unwrap().bytes().len()
                );
            }
        }
    }
    assert!(errors > 1000, "{errors}");
}

#[test]
fn path_errors_point_at_the_column() {
    for (p, col) in [
        ("", 1),
        ("Entries", 1),
        (".Entries[", 10),
        (".Entries[*", 11),
        (".Entries[*].", 13),
        (".a[\"x\\z\"]", 6),
        ("{1.5}", 3),
        (".a..b", 4),
    ] {
        match Query::new(p).unwrap_err().kind() {
            ErrorKind::InvalidPath { column, path, .. } => {
                assert_eq!((column, path), (col, 0), "{p:?}")
            }
            k => panic!("{p:?}: {k:?}"),
        }
    }
    let e = Query::many([".a", ".b", "[x]"]).unwrap_err();
    assert_eq!(e.to_string(), "invalid path (number 3 of the query) at column 2: expected an index, `*` or a quoted key after `[`");
}

// ---------------------------------------------------------------------------------------
// Arrays of records: `[*]` then a few short `.key` leaves is evaluated by a specialised loop
// in `for_each` (the iterator always takes the generic steps). Both must agree with each
// other and with the reference, on valid documents and on damaged ones, errors included.

const RECORD_KEYS: &[&str] = &["n", "s", "cs", "nn", "", "sizes", "name is long"];

fn random_record(rng: &mut Rng) -> Value {
    match rng.below(20) {
        // Now and then an element that is not a map at all.
        0 => random_value(rng, 3),
        1 => Value::Array(vec![Value::from("n"), Value::from(1)]),
        _ => {
            let n = rng.below(7) as usize;
            Value::Map(
                (0..n)
                    .map(|_| {
                        let k = match rng.below(12) {
                            0 => Value::from(1),
                            1 => Value::Nil,
                            _ => Value::from(
                                RECORD_KEYS[rng.below(RECORD_KEYS.len() as u64) as usize],
                            ),
                        };
                        (k, random_value(rng, 2))
                    })
                    .collect(),
            )
        }
    }
}

fn random_records_doc(rng: &mut Rng) -> (Vec<Value>, Vec<u8>) {
    let tops: Vec<Value> = (0..1 + rng.below(3))
        .map(|_| {
            let entries = Value::Array((0..rng.below(12)).map(|_| random_record(rng)).collect());
            let mut page = vec![(Value::from("Entries"), entries)];
            if rng.chance(30) {
                page.insert(0, (Value::from("UUID"), Value::from("x")));
            }
            Value::Map(page)
        })
        .collect();
    let mut doc = Vec::new();
    for t in &tops {
        encode(rng, t, &mut doc);
    }
    (tops, doc)
}

/// Record-shaped queries: each compiles to the specialised shape (one to four short keys,
/// all leaves), plus one that does not (`.*` at the record level) as a control.
fn record_queries() -> Vec<Vec<&'static str>> {
    vec![
        vec![".Entries[*].n"],
        vec![".Entries[*].n", ".Entries[*].s"],
        vec![
            ".Entries[*].s",
            ".Entries[*].n",
            ".Entries[*].cs",
            ".Entries[*].nn",
        ],
        vec![".Entries[*].n", ".Entries[*].n"],
        vec![".Entries[*][\"\"]", ".Entries[*].sizes"],
        vec![".Entries[*].n", ".Entries[*].*"],
    ]
}

/// The matches of `q` over `d` from the iterator and from `for_each`: (matches, error).
#[allow(clippy::type_complexity)]
fn both_ways<'a>(
    q: &Query,
    d: &'a [u8],
) -> (
    (Vec<msgskim::query::Match<'a>>, Option<msgskim::Error>),
    (Vec<msgskim::query::Match<'a>>, Option<msgskim::Error>),
) {
    let mut it = (Vec::new(), None);
    for m in q.matches(d) {
        match m {
            Ok(m) => it.0.push(m),
            Err(e) => it.1 = Some(e),
        }
    }
    let mut cb = Vec::new();
    let cb_err = q.for_each(d, |m| cb.push(m)).err();
    (it, (cb, cb_err))
}

#[test]
fn records_match_the_reference_both_ways() {
    let mut rng = Rng::new(0x2ec0);
    let mut total = 0;
    for round in 0..500 {
        let (tops, doc) = random_records_doc(&mut rng);
        for texts in record_queries() {
            let q = Query::many(texts.iter().copied()).unwrap();
            let mut want = Vec::new();
            for t in &tops {
                reference(t, &mut Vec::new(), q.paths(), &mut want);
            }
            let want: Vec<(usize, Value)> = want.into_iter().map(|(i, v)| (i, v.clone())).collect();
            let got = run_query(q.paths(), &doc);
            assert_eq!(got, want, "round {round}, {texts:?}, {tops:?}");
            total += got.len();
        }
        let rows = Rows::new(".Entries[*]", [".n", ".s", ".cs"]).unwrap();
        let it: Vec<_> = rows.rows(&doc).map(Result::unwrap).collect();
        let mut cb = Vec::new();
        rows.for_each(&doc, |r| cb.push(r)).unwrap();
        assert_eq!(it, cb, "round {round}");
    }
    assert!(total > 10_000, "{total}");
}

#[test]
fn records_damaged_agree_both_ways() {
    let mut rng = Rng::new(0xbad5);
    let queries: Vec<Query> = record_queries()
        .into_iter()
        .map(|t| Query::many(t).unwrap())
        .collect();
    let rows = Rows::new(".Entries[*]", [".n", ".s"]).unwrap();
    let mut errors = 0;
    let mut cuts = 0;
    for round in 0..40 {
        let (_, doc) = random_records_doc(&mut rng);
        let listing_doc = listing(ListingConfig {
            seed: round,
            entries: 1 + rng.below(6) as usize,
            page_size: 4,
        });
        for base in [doc, listing_doc] {
            // Every cut of the document, then a few random corruptions of it.
            let mut damaged: Vec<Vec<u8>> = (0..base.len()).map(|c| base[..c].to_vec()).collect();
            for _ in 0..8 {
                let mut d = base.clone();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(d.len() as u64) as usize;
                    d[i] = rng.next_u64() as u8;
                }
                damaged.push(d);
            }
            for d in &damaged {
                for q in &queries {
                    let (it, cb) = both_ways(q, d);
                    assert_eq!(it, cb, "round {round}, {:?}, {d:02x?}", q.paths());
                    errors += usize::from(cb.1.is_some());
                }
                let mut it_rows = Vec::new();
                let mut it_err = None;
                for r in rows.rows(d) {
                    match r {
                        Ok(r) => it_rows.push(r),
                        Err(e) => it_err = Some(e),
                    }
                }
                let mut cb_rows = Vec::new();
                let cb_err = rows.for_each(d, |r| cb_rows.push(r)).err();
                assert_eq!(
                    (it_rows, it_err),
                    (cb_rows, cb_err),
                    "round {round}, {d:02x?}"
                );
                cuts += 1;
            }
        }
    }
    assert!(
        errors > cuts,
        "{errors} errors over {cuts} damaged documents"
    );
}
