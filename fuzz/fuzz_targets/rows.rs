//! Record-shaped documents through every query reader: `Rows::for_each` and `Query::for_each`
//! (which take a dedicated loop for arrays of small maps read for a few short keys) against
//! `Rows::rows` and `Query::matches` (the general evaluation), on valid and damaged input.
//!
//! Random bytes almost never look like an array of maps with short str keys, so the input
//! drives a builder instead: one or two top-level values, each a listing-like page
//! (`{"Entries": [...], "Flags": n}`) or a bare array of records; records are mostly maps of
//! keys drawn from a small set (some repeated, some not str, some longer than a fixstr) over
//! values of every family and size class, sometimes something else entirely. Then a few bytes
//! may be overwritten or the end cut off. Both ways of reading must give the same rows, matches
//! and first error, and every value handed out must be a complete value inside the input.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use msgskim::query::{Path, Query, Rows};
use msgskim::write::Writer;
use msgskim::RawValue;

const KEYS: &[&str] = &["n", "s", "cs", "a", "", "Entries", "nn", "m"];
const ROW_PATHS: &[&str] = &[".Entries[*]", "[*]", ".Entries[1]", ".*", ".Entries[-1]"];
const FIELDS: &[&str] = &[".n", ".s", ".cs", ".a", ".", ".n[0]", ".m.n", ".nn", ".{1}"];

fn scalar(u: &mut Unstructured<'_>, w: &mut Writer<Vec<u8>>) -> Result<()> {
    let _ = match u.int_in_range(0..=11)? {
        0 => w.nil(),
        1 => w.bool(u.arbitrary()?),
        2 => w.uint(u64::from(u.arbitrary::<u8>()?) >> u.int_in_range(0..=7)?),
        3 => w.uint(u.arbitrary::<u64>()? >> u.int_in_range(0..=63)?),
        4 => w.int(u.arbitrary::<i64>()? >> u.int_in_range(0..=63)?),
        5 => w.f64(u.arbitrary()?),
        6 => w.f32(u.arbitrary()?),
        7 => {
            let n = u.int_in_range(0..=40)?;
            w.str_bytes(u.bytes(n.min(u.len()))?)
        }
        8 => {
            // Past the fixstr and str 8 forms now and then.
            let n = [31usize, 32, 255, 256, 300][u.choose_index(5)?];
            w.str(&"x".repeat(n))
        }
        9 => {
            let n = u.int_in_range(0..=20)?;
            w.bin(u.bytes(n.min(u.len()))?)
        }
        10 => {
            let n = u.int_in_range(0..=17)?;
            w.ext(u.int_in_range(0..=5)?, u.bytes(n.min(u.len()))?)
        }
        _ => w.str(KEYS[u.choose_index(KEYS.len())?]),
    };
    Ok(())
}

fn value(u: &mut Unstructured<'_>, w: &mut Writer<Vec<u8>>, depth: u32) -> Result<()> {
    if depth < 2 && u.ratio(1, 6)? {
        let n = u.int_in_range(0..=3)?;
        if u.arbitrary()? {
            let _ = w.array_len(n);
            for _ in 0..n {
                value(u, w, depth + 1)?;
            }
        } else {
            let _ = w.map_len(n);
            for _ in 0..n {
                key(u, w)?;
                value(u, w, depth + 1)?;
            }
        }
        return Ok(());
    }
    scalar(u, w)
}

fn key(u: &mut Unstructured<'_>, w: &mut Writer<Vec<u8>>) -> Result<()> {
    let _ = match u.int_in_range(0..=9)? {
        0 => w.uint(u.int_in_range(0..=2)?),
        1 => w.str("a key longer than thirty-one bytes"),
        _ => w.str(KEYS[u.choose_index(KEYS.len())?]),
    };
    Ok(())
}

fn record(u: &mut Unstructured<'_>, w: &mut Writer<Vec<u8>>) -> Result<()> {
    if u.ratio(1, 12)? {
        return value(u, w, 0);
    }
    // Mostly fixmaps; sometimes a map 16 (more than 15 pairs).
    let pairs = if u.ratio(1, 10)? {
        u.int_in_range(16..=18)?
    } else {
        u.int_in_range(0..=9)?
    };
    let _ = w.map_len(pairs);
    for _ in 0..pairs {
        key(u, w)?;
        value(u, w, 1)?;
    }
    Ok(())
}

fn document(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    for _ in 0..u.int_in_range(1..=2)? {
        let n = u.int_in_range(0..=20)?;
        let page = u.arbitrary::<bool>()?;
        if page {
            let _ = w.map_len(2);
            let _ = w.str("Entries");
        }
        let _ = w.array_len(n);
        for _ in 0..n {
            record(u, &mut w)?;
        }
        if page {
            let _ = w.str("Flags");
            let _ = w.uint(u.arbitrary::<u8>()?.into());
        }
    }
    let mut doc = w.into_inner();
    // Damage: overwrite a few bytes, or cut the end off.
    for _ in 0..u.int_in_range(0..=2)? {
        if doc.is_empty() {
            break;
        }
        let at = u.choose_index(doc.len())?;
        doc[at] = u.arbitrary()?;
    }
    if u.ratio(1, 4)? {
        let keep = u.int_in_range(0..=doc.len())?;
        doc.truncate(keep);
    }
    Ok(doc)
}

fn offset(doc: &[u8], v: &RawValue<'_>) -> usize {
    v.as_bytes().as_ptr() as usize - doc.as_ptr() as usize
}

type Row = [Option<(usize, Vec<u8>)>; 3];

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let row_path = ROW_PATHS[u.choose_index(ROW_PATHS.len())?];
    let fields = [
        FIELDS[u.choose_index(FIELDS.len())?],
        FIELDS[u.choose_index(FIELDS.len())?],
        FIELDS[u.choose_index(FIELDS.len())?],
    ];
    let doc = document(&mut u)?;
    let doc = doc.as_slice();
    let check = |v: &RawValue<'_>| {
        let off = offset(doc, v);
        assert!(off + v.as_bytes().len() <= doc.len());
        assert!(RawValue::new(v.as_bytes()).is_ok(), "a complete value");
        (off, v.as_bytes().to_vec())
    };

    // Rows: the iterator against the callback.
    let rows = Rows::new(row_path, fields).expect("the paths parse");
    let mut by_iter: Vec<Row> = Vec::new();
    let mut iter_err = None;
    for r in rows.rows(doc) {
        match r {
            Ok(r) => by_iter.push(r.map(|f| f.as_ref().map(check))),
            Err(e) => {
                iter_err = Some(e);
                break;
            }
        }
    }
    let mut by_each: Vec<Row> = Vec::new();
    let each_err = rows
        .for_each(doc, |r| by_each.push(r.map(|f| f.as_ref().map(check))))
        .err();
    assert_eq!(by_each, by_iter, "rows of {row_path} {fields:?}");
    assert_eq!(each_err, iter_err, "row error of {row_path} {fields:?}");

    // The same paths as one query: the iterator against the callback.
    let row = Path::parse(row_path).expect("the row path parses");
    let full: Vec<Path> = fields
        .iter()
        .map(|f| row.join(&Path::parse(f).expect("the field paths parse")))
        .collect();
    let q = Query::from_paths(full.clone()).expect("short paths compile");
    let mut by_matches = Vec::new();
    let mut matches_err = None;
    for m in q.matches(doc) {
        match m {
            Ok(m) => by_matches.push((m.path(), check(&m.value()))),
            Err(e) => {
                matches_err = Some(e);
                break;
            }
        }
    }
    let mut by_each = Vec::new();
    let each_err = q
        .for_each(doc, |m| by_each.push((m.path(), check(&m.value()))))
        .err();
    assert_eq!(by_each, by_matches, "matches of {full:?}");
    assert_eq!(each_err, matches_err, "match error of {full:?}");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
