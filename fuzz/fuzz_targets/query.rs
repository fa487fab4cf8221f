//! Path queries, compiled and evaluated, against a plain recursive evaluation over raw values.
//!
//! The input gives zero to four paths (steps drawn from keys and indices likely to occur in
//! small documents) and a document. The compiled query's matches must be exactly those of a
//! naive evaluator that follows each path through `RawValue` accessors on every top-level
//! value, in document order (path order for the same value), with the same bytes and offsets.
//! As documented, a key step takes only the first entry with its key; `.*` takes every entry.
//! Each path also goes through its text form: `Path::parse(path.to_string())` must give the
//! path back, and `Query::many` on the texts must compile to the same query. Arbitrary text is
//! thrown at the parser too, which must either fail with a column inside the text or give a
//! path that prints and re-parses to itself.
//!
//! Allowed difference: on input that is malformed somewhere, the query walks only what its
//! paths need (and skips the rest structurally), so matches found before the error are
//! checked for being real values, and the error must be the first structural error of the
//! input (the one `RawValue::all` reports).
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use msgskim::query::{Path, Query, Step};
use msgskim::{ErrorKind, RawValue};

const KEYS: &[&str] = &["", "a", "b", "n", "s", "k", "Entries", "Flags", "\u{e9}"];

fn step(u: &mut Unstructured<'_>) -> Result<Step> {
    Ok(match u.int_in_range(0..=9)? {
        0..=2 => Step::Key(KEYS[u.choose_index(KEYS.len())?].to_string()),
        3 => {
            let n = u.int_in_range(0..=3)?;
            Step::Key(String::from_utf8_lossy(u.bytes(n)?).into_owned())
        }
        4 => Step::IntKey(u.int_in_range(-3..=3)?),
        5 => Step::IntKey(u.arbitrary::<i64>()? as i128),
        6 => Step::Index(u.int_in_range(-3..=3)?),
        7 => Step::Index(u.arbitrary()?),
        8 => Step::EveryElement,
        _ => Step::EveryValue,
    })
}

/// Every value `steps` selects from `v`, in document order, by plain recursion.
fn eval<'a>(v: RawValue<'a>, steps: &[Step], out: &mut Vec<RawValue<'a>>) {
    let Some((first, rest)) = steps.split_first() else {
        out.push(v);
        return;
    };
    match first {
        // A key step takes the first entry with its key.
        Step::Key(k) => {
            let mut entries = v.entries().into_iter().flatten();
            if let Some((_, val)) = entries
                .find(|(key, _)| key.as_raw_str().map(|s| s.as_bytes()) == Some(k.as_bytes()))
            {
                eval(val, rest, out);
            }
        }
        Step::IntKey(k) => {
            let mut entries = v.entries().into_iter().flatten();
            if let Some((_, val)) =
                entries.find(|(key, _)| key.token().and_then(|t| t.as_i128()) == Some(*k))
            {
                eval(val, rest, out);
            }
        }
        Step::Index(i) => {
            if let Some(len) = v.len().filter(|_| v.iter().is_some()) {
                let len = len as i64;
                let i = if *i < 0 { len + *i } else { *i };
                if (0..len).contains(&i) {
                    eval(v.index(i as usize).expect("in range"), rest, out);
                }
            }
        }
        Step::EveryElement => {
            for e in v.iter().into_iter().flatten() {
                eval(e, rest, out);
            }
        }
        Step::EveryValue => {
            for (_, val) in v.entries().into_iter().flatten() {
                eval(val, rest, out);
            }
        }
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);

    // The parser on arbitrary text.
    let text_len = u.int_in_range(0..=12)?;
    let text = String::from_utf8_lossy(u.bytes(text_len.min(u.len()))?).into_owned();
    match Path::parse(&text) {
        Ok(p) => assert_eq!(
            Path::parse(&p.to_string()),
            Ok(p.clone()),
            "{text:?} printed as {p}"
        ),
        Err(e) => match e.kind() {
            ErrorKind::InvalidPath { column, .. } => {
                assert!(
                    column >= 1 && column <= text.chars().count() + 1,
                    "{text:?}: {e}"
                );
                assert!(e.offset() as usize <= text.len());
            }
            other => panic!("{text:?}: {other:?}"),
        },
    }

    let n_paths = u.int_in_range(0..=4)?;
    let mut paths = Vec::new();
    for _ in 0..n_paths {
        let n_steps = u.int_in_range(0..=4)?;
        let steps = (0..n_steps)
            .map(|_| step(&mut u))
            .collect::<Result<Vec<_>>>()?;
        paths.push(Path::from_steps(steps));
    }
    let doc = u.take_rest();

    // Text round trip, and compiling from text.
    let texts: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    for (p, t) in paths.iter().zip(&texts) {
        assert_eq!(Path::parse(t).as_ref(), Ok(p), "{t}");
    }
    let q = Query::from_paths(paths.clone()).expect("short paths compile");
    let q2 = Query::many(&texts).expect("printed paths compile");
    assert_eq!(q2.paths(), q.paths());

    // The reference: each path through raw accessors, value by value.
    let mut want = Vec::new();
    let mut first_error = None;
    for v in RawValue::all(doc) {
        let v = match v {
            Ok(v) => v,
            Err(e) => {
                first_error = Some(e);
                break;
            }
        };
        let mut found = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let mut out = Vec::new();
            eval(v, p.steps(), &mut out);
            found.extend(out.into_iter().map(|m| (m.offset(), i, m.as_bytes())));
        }
        found.sort_by_key(|&(off, i, _)| (off, i));
        want.extend(found);
    }

    let got: Vec<_> = q.matches(doc).collect();
    let mut got_ok = Vec::new();
    let mut got_err = None;
    for m in got {
        match m {
            Ok(m) => {
                assert!(got_err.is_none(), "a match after an error");
                got_ok.push((m.offset(), m.path(), m.bytes()));
                assert_eq!(m.value().as_bytes(), m.bytes());
                assert_eq!(&doc[m.offset()..m.offset() + m.bytes().len()], m.bytes());
            }
            Err(e) => got_err = Some(e),
        }
    }
    // Same answers through for_each and the second query.
    let mut each = Vec::new();
    let r = q2.for_each(doc, |m| each.push((m.offset(), m.path(), m.bytes())));
    assert_eq!(each, got_ok);
    assert_eq!(r.err(), got_err);

    match first_error {
        None => {
            assert_eq!(got_err, None);
            assert_eq!(got_ok, want);
        }
        Some(e) => {
            assert_eq!(
                got_err,
                Some(e),
                "the query stops at the first structural error"
            );
            // Matches in the complete values are the reference's; later ones are real values
            // inside the broken one, before its error.
            assert!(got_ok.starts_with(&want), "{got_ok:?} vs {want:?}");
            for &(off, _, bytes) in &got_ok[want.len()..] {
                assert!(RawValue::new(bytes).is_ok());
                assert!(off + bytes.len() <= e.offset() as usize);
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
