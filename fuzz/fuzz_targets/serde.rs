//! The serde `Deserializer` against rmp-serde, and `deserialize_any` against the tokenizer.
//!
//! 1. A typed struct (strings, bytes, integers of several widths, options, a vec, an enum of
//!    every variant shape, a recursive child) is read from the input by msgskim and by
//!    rmp-serde 1.3: both succeed with the same value, or both fail.
//! 2. `deserialize_any` into a plain value tree must give what the tokenizer decodes for the
//!    first value, ext values presented as `(type, bytes)`.
//!
//! Allowed differences (each a deliberate choice):
//!
//! - **0xc1.** msgskim rejects the reserved byte wherever it is, even in skipped fields;
//!   rmp-serde reads it as nil in places. When msgskim fails with `ReservedByte`, rmp-serde may
//!   succeed.
//! - **Depth.** msgskim counts every array, map, enum wrapper, `Some` and newtype against its
//!   limit (256 by default); rmp-serde has its own limit (1024 recursion steps). Either side's
//!   depth error excuses the other's success.
//! - **Skipped fields.** msgskim skips unknown fields with `skip_value` (structure only);
//!   rmp-serde decodes them, so both fail on a cut and msgskim also on 0xc1 there.
//! - **Timestamps.** Only exts are involved; neither checks type -1 in a skipped field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::ErrorKind;
use msgskim_fuzz::{decode_all, V};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, PartialEq, serde::Deserialize)]
enum Kind {
    Unit,
    New(u16),
    Tuple(i8, bool),
    Struct { x: i32, y: Option<String> },
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Entry {
    n: String,
    #[serde(default)]
    s: i64,
    #[serde(default)]
    c: Option<u8>,
    #[serde(default, with = "serde_bytes")]
    b: Vec<u8>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    child: Option<Box<Entry>>,
    #[serde(default)]
    pair: Option<(u32, i16)>,
}

/// Any value, through `deserialize_any`.
struct AnyV(V);

impl<'de> Deserialize<'de> for AnyV {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor).map(AnyV)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = V;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any msgpack value")
    }
    fn visit_unit<E>(self) -> Result<V, E> {
        Ok(V::Nil)
    }
    fn visit_none<E>(self) -> Result<V, E> {
        Ok(V::Nil)
    }
    fn visit_bool<E>(self, v: bool) -> Result<V, E> {
        Ok(V::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<V, E> {
        Ok(V::Int(v as i128))
    }
    fn visit_u64<E>(self, v: u64) -> Result<V, E> {
        Ok(V::Int(v as i128))
    }
    fn visit_i128<E>(self, v: i128) -> Result<V, E> {
        Ok(V::Int(v))
    }
    fn visit_f32<E>(self, v: f32) -> Result<V, E> {
        Ok(V::F32(v.to_bits()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<V, E> {
        Ok(V::F64(v.to_bits()))
    }
    fn visit_str<E>(self, v: &str) -> Result<V, E> {
        Ok(V::Str(v.as_bytes().to_vec()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<V, E> {
        // A str that is not UTF-8 comes as bytes; so does a bin. Marked as bytes here and
        // matched against either below.
        Ok(V::Bin(v.to_vec()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<V, A::Error> {
        let mut items = Vec::new();
        while let Some(AnyV(v)) = a.next_element()? {
            items.push(v);
        }
        Ok(V::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<V, A::Error> {
        let mut pairs = Vec::new();
        while let Some((AnyV(k), AnyV(v))) = a.next_entry()? {
            pairs.push((k, v));
        }
        Ok(V::Map(pairs))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V, D::Error> {
        // An ext: `(type, bytes)`.
        let (ty, data): (i8, serde_bytes::ByteBuf) = Deserialize::deserialize(d)?;
        Ok(V::Ext(ty, data.into_vec()))
    }
}

/// The tokenizer's value as `deserialize_any` presents it: invalid-UTF-8 strs as bytes.
fn as_serde_sees(v: &V) -> V {
    match v {
        V::Str(s) if std::str::from_utf8(s).is_err() => V::Bin(s.clone()),
        V::Array(items) => V::Array(items.iter().map(as_serde_sees).collect()),
        V::Map(pairs) => V::Map(
            pairs
                .iter()
                .map(|(k, v)| (as_serde_sees(k), as_serde_sees(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fuzz_target!(|input: &[u8]| {
    // 1. Typed, against rmp-serde.
    let mut de = msgskim::serde::Deserializer::from_slice(input);
    let ours = Entry::deserialize(&mut de);
    let mut rd = rmp_serde::Deserializer::from_read_ref(input);
    let theirs = Entry::deserialize(&mut rd);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (Err(e), Ok(b)) => {
            let excused = matches!(
                e.kind(),
                ErrorKind::ReservedByte | ErrorKind::DepthLimit { .. }
            );
            assert!(excused, "msgskim failed ({e}) where rmp-serde read {b:?}");
        }
        (Ok(a), Err(e)) => {
            let excused = matches!(e, rmp_serde::decode::Error::DepthLimitExceeded);
            assert!(excused, "rmp-serde failed ({e}) where msgskim read {a:?}");
        }
    }

    // 2. deserialize_any against the tokenizer (default limits, timestamps as exts: serde
    //    presents every ext as (type, bytes)).
    let limits = msgskim::Limits {
        decode_timestamps: false,
        ..msgskim::Limits::default()
    };
    let mut de = msgskim::serde::Deserializer::with_limits(input, limits);
    let any = AnyV::deserialize(&mut de).map(|a| a.0);
    let full = decode_all(input, limits);
    match (any, full.values.first()) {
        (Ok(v), Some(want)) => {
            assert_eq!(v, as_serde_sees(want));
            assert_eq!(de.position(), full.ends[0]);
        }
        (Err(e), None) => match full.error {
            Some(t) => assert_eq!(e.offset(), t.offset(), "{e} vs {t}"),
            // No value at all: an empty input.
            None => assert!(input.is_empty() && e.is_truncated(), "{e}"),
        },
        (Ok(v), None) => panic!(
            "deserialize_any read {v:?}; the tokenizer failed: {:?}",
            full.error
        ),
        (Err(e), Some(want)) => panic!("deserialize_any failed ({e}); the tokenizer read {want:?}"),
    }
});
