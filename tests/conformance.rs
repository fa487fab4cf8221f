//! Every case and every encoding of the language-neutral msgpack test suite decodes to the
//! expected value and consumes all of its bytes.

mod common;

use common::{hex, read_value, Value, SUITE};
use msgskim::{Timestamp, Tokenizer};
use serde_json::Value as Json;

/// Compares a decoded value with the suite's expectation for one case.
fn matches(got: &Value, key: &str, want: &Json) -> bool {
    match (key, got) {
        ("nil", Value::Nil) => want.is_null(),
        ("bool", Value::Bool(b)) => want.as_bool() == Some(*b),
        ("binary", Value::Bin(b)) => hex(want.as_str().unwrap()) == *b,
        ("string", Value::Str(s)) => want.as_str().unwrap().as_bytes() == &s[..],
        ("number", _) => number_eq(got, want),
        ("bignum", _) => {
            let w: i128 = want.as_str().unwrap().parse().unwrap();
            match *got {
                Value::Int(i) => i == w,
                // Bignums that fit a float exactly are also given as float32/float64.
                Value::F32(f) => f.fract() == 0.0 && f as f64 as i128 == w,
                Value::F64(f) => f.fract() == 0.0 && f as i128 == w,
                _ => false,
            }
        }
        ("timestamp", Value::Timestamp(ts)) => {
            let a = want.as_array().unwrap();
            let expect = Timestamp::new(a[0].as_i64().unwrap(), a[1].as_u64().unwrap() as u32);
            Some(*ts) == expect
        }
        ("ext", Value::Ext(ty, data)) => {
            let a = want.as_array().unwrap();
            a[0].as_i64() == Some(*ty as i64) && hex(a[1].as_str().unwrap()) == *data
        }
        ("array", Value::Array(items)) => {
            let w = want.as_array().unwrap();
            w.len() == items.len() && items.iter().zip(w).all(|(g, w)| matches(g, json_key(w), w))
        }
        ("map", Value::Map(pairs)) => {
            let w = want.as_object().unwrap();
            w.len() == pairs.len()
                && pairs.iter().zip(w).all(|((k, v), (wk, wv))| {
                    matches(k, "string", &Json::String(wk.clone())) && matches(v, json_key(wv), wv)
                })
        }
        _ => false,
    }
}

/// The kind of a nested JSON value inside an array or map case.
fn json_key(v: &Json) -> &'static str {
    match v {
        Json::Null => "nil",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "map",
    }
}

fn number_eq(got: &Value, want: &Json) -> bool {
    let w = want.as_f64().unwrap();
    match *got {
        Value::Int(i) => match (want.as_i64(), want.as_u64()) {
            (Some(x), _) => i == x as i128,
            (_, Some(x)) => i == x as i128,
            _ => false,
        },
        Value::F32(f) => f as f64 == w,
        Value::F64(f) => f == w,
        _ => false,
    }
}

#[test]
fn every_encoding_of_every_case_decodes() {
    let suite: serde_json::Map<String, Json> =
        serde_json::from_str(&std::fs::read_to_string(SUITE).expect("conformance suite")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (group, cases) in &suite {
        for case in cases.as_array().unwrap() {
            let obj = case.as_object().unwrap();
            // The value key: the first four bignum cases carry both `number` and `bignum`;
            // check them by `bignum`, which is exact.
            let key = [
                "bignum",
                "nil",
                "bool",
                "binary",
                "number",
                "string",
                "array",
                "map",
                "timestamp",
                "ext",
            ]
            .into_iter()
            .find(|k| obj.contains_key(*k))
            .expect("value key");
            let want = &obj[key];
            for enc in obj["msgpack"].as_array().unwrap() {
                let bytes = hex(enc.as_str().unwrap());
                let mut t = Tokenizer::new(&bytes);
                let got = read_value(&mut t);
                checked += 1;
                match got {
                    Ok(Some(v)) if t.position() == bytes.len() && matches(&v, key, want) => {}
                    other => failures.push(format!(
                        "{group} {key}={want} as {enc}: got {other:?} ending at {}",
                        t.position()
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 233, "encodings checked");
}

#[test]
fn every_encoding_skips_and_validates_to_its_end() {
    let suite: serde_json::Map<String, Json> =
        serde_json::from_str(&std::fs::read_to_string(SUITE).unwrap()).unwrap();
    let mut checked = 0;
    for cases in suite.values() {
        for case in cases.as_array().unwrap() {
            for enc in case["msgpack"].as_array().unwrap() {
                let bytes = hex(enc.as_str().unwrap());
                assert_eq!(msgskim::skip_value(&bytes, 0), Ok(bytes.len()), "{enc}");
                assert_eq!(msgskim::validate(&bytes), Ok(()), "{enc}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 233);
}
