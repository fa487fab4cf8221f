//! Helpers shared by the integration tests: a small owned tree built from tokens, and the
//! conformance-suite loader.
#![allow(dead_code)]

use msgskim::{Error, Timestamp, Token, Tokenizer};

/// A fully decoded value, built from tokens, for comparisons.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i128),
    F32(f32),
    F64(f64),
    Str(Vec<u8>),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    Timestamp(Timestamp),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

/// Builds one value from the tokenizer, iteratively (deep input must not overflow the stack).
pub fn read_value(t: &mut Tokenizer<'_>) -> Result<Option<Value>, Error> {
    // Stack of (container under construction, remaining children, pending map key).
    enum Frame {
        Arr(Vec<Value>, u64),
        Map(Vec<(Value, Value)>, u64, Option<Value>),
    }
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let Some(tok) = t.next_token()? else {
            return Ok(None);
        };
        let mut v = match tok {
            Token::Nil => Value::Nil,
            Token::Bool(b) => Value::Bool(b),
            Token::UInt(u) => Value::Int(u as i128),
            Token::Int(i) => Value::Int(i as i128),
            Token::F32(f) => Value::F32(f),
            Token::F64(f) => Value::F64(f),
            Token::Str(s) => Value::Str(s.as_bytes().to_vec()),
            Token::Bin(b) => Value::Bin(b.to_vec()),
            Token::Ext(e) => Value::Ext(e.ty, e.data.to_vec()),
            Token::Timestamp(ts) => Value::Timestamp(ts),
            Token::Array(n) if n > 0 => {
                stack.push(Frame::Arr(Vec::new(), n as u64));
                continue;
            }
            Token::Map(n) if n > 0 => {
                stack.push(Frame::Map(Vec::new(), n as u64 * 2, None));
                continue;
            }
            Token::Array(_) => Value::Array(Vec::new()),
            Token::Map(_) => Value::Map(Vec::new()),
        };
        // Attach v to its parent, closing every container it completes.
        loop {
            match stack.last_mut() {
                None => return Ok(Some(v)),
                Some(Frame::Arr(items, left)) => {
                    items.push(v);
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    let Some(Frame::Arr(items, _)) = stack.pop() else {
                        unreachable!()
                    };
                    v = Value::Array(items);
                }
                Some(Frame::Map(items, left, key)) => {
                    match key.take() {
                        None => *key = Some(v),
                        Some(k) => items.push((k, v)),
                    }
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    let Some(Frame::Map(items, _, _)) = stack.pop() else {
                        unreachable!()
                    };
                    v = Value::Map(items);
                }
            }
        }
    }
}

/// Decodes every top-level value of `buf`.
pub fn read_all(buf: &[u8]) -> Result<Vec<Value>, Error> {
    let mut t = Tokenizer::new(buf);
    let mut out = Vec::new();
    while let Some(v) = read_value(&mut t)? {
        out.push(v);
    }
    Ok(out)
}

/// Converts an rmpv value to the test tree.
pub fn from_rmpv(v: &rmpv::Value) -> Value {
    use rmpv::Value as R;
    match v {
        R::Nil => Value::Nil,
        R::Boolean(b) => Value::Bool(*b),
        R::Integer(i) => Value::Int(
            i.as_i64()
                .map(i128::from)
                .or(i.as_u64().map(i128::from))
                .unwrap(),
        ),
        R::F32(f) => Value::F32(*f),
        R::F64(f) => Value::F64(*f),
        R::String(s) => Value::Str(s.as_bytes().to_vec()),
        R::Binary(b) => Value::Bin(b.clone()),
        R::Array(a) => Value::Array(a.iter().map(from_rmpv).collect()),
        R::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (from_rmpv(k), from_rmpv(v)))
                .collect(),
        ),
        R::Ext(ty, data) => match (msgskim::Ext { ty: *ty, data }).timestamp() {
            Some(Ok(ts)) => Value::Timestamp(ts),
            _ => Value::Ext(*ty, data.clone()),
        },
    }
}

/// The conformance suite's path.
pub const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/msgpack-test-suite.json"
);

/// Decodes the suite's `"c0-01"` hex notation.
pub fn hex(s: &str) -> Vec<u8> {
    s.split('-')
        .filter(|p| !p.is_empty())
        .map(|p| u8::from_str_radix(p, 16).expect("hex byte"))
        .collect()
}
