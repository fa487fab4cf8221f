//! The serde deserializer against rmp-serde: everything rmp-serde writes (structs as arrays
//! with `to_vec`, as maps with `to_vec_named`) decodes to the value that was written, strings
//! and bytes borrowed from the input; bad input gives errors with offsets.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use msgskim::gen::{listing, ListingConfig};
use msgskim::serde::{from_slice, Deserializer};
use msgskim::{ErrorKind, Limits};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

/// Serializes `v` both ways with rmp-serde and checks msgskim decodes each back to `v`, and
/// decodes it as rmp-serde does.
fn round_trip<T>(v: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    for (how, bytes) in [
        ("to_vec", rmp_serde::to_vec(v).unwrap()),
        ("to_vec_named", rmp_serde::to_vec_named(v).unwrap()),
    ] {
        let ours: T = from_slice(&bytes).unwrap_or_else(|e| panic!("{how} {v:?}: {e}"));
        assert_eq!(&ours, v, "{how}");
        let theirs: T = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(ours, theirs, "{how}");
    }
}

fn inside(buf: &[u8], p: &[u8]) -> bool {
    let r = buf.as_ptr_range();
    r.contains(&p.as_ptr()) && p.as_ptr_range().end <= r.end
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Scalars {
    b: bool,
    i8_: i8,
    i16_: i16,
    i32_: i32,
    i64_: i64,
    u8_: u8,
    u16_: u16,
    u32_: u32,
    u64_: u64,
    f32_: f32,
    f64_: f64,
    ch: char,
    s: String,
    i128_: i128,
    u128_: u128,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Pair(u16, String);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u32, u32),
    Poly {
        points: Vec<(i32, i32)>,
        closed: bool,
    },
    Nested(Box<Shape>),
    Unit(Unit),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Everything {
    scalars: Scalars,
    unit: (),
    unit_struct: Unit,
    newtype: Meters,
    tuple_struct: Pair,
    tuple: (u8, String, Option<bool>),
    none: Option<u32>,
    some: Option<String>,
    some_struct: Option<Pair>,
    vec: Vec<i64>,
    nested: Vec<Vec<u8>>,
    map: BTreeMap<String, u32>,
    int_keys: HashMap<u64, String>,
    shapes: Vec<Shape>,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    array: [u16; 4],
}

fn everything(seed: u64) -> Everything {
    let mut r = msgskim::gen::Rng::new(seed);
    Everything {
        scalars: Scalars {
            b: r.chance(50),
            i8_: r.next_u64() as i8,
            i16_: r.next_u64() as i16,
            i32_: r.next_u64() as i32,
            i64_: r.next_u64() as i64,
            u8_: r.next_u64() as u8,
            u16_: r.next_u64() as u16,
            u32_: r.next_u64() as u32,
            u64_: r.next_u64(),
            f32_: r.below(1 << 20) as f32 / 7.0,
            f64_: f64::from_bits(r.next_u64() >> 2),
            ch: char::from_u32(r.below(0xd000) as u32).unwrap_or('x'),
            s: "naïve ☃ ".repeat(r.below(40) as usize),
            i128_: ((r.next_u64() as i128) << 64 | r.next_u64() as i128).wrapping_neg(),
            u128_: (r.next_u64() as u128) << 64 | r.next_u64() as u128,
        },
        unit: (),
        unit_struct: Unit,
        newtype: Meters(r.below(1000) as f64 + 0.25),
        tuple_struct: Pair(r.next_u64() as u16, "pair".into()),
        tuple: (7, "t".repeat(r.below(300) as usize), Some(r.chance(50))),
        none: None,
        some: Some("s".repeat(r.below(70_000) as usize)),
        some_struct: Some(Pair(1, String::new())),
        vec: (0..r.below(40))
            .map(|_| r.next_u64() as i64 >> r.below(64))
            .collect(),
        nested: vec![vec![], vec![1, 2, 3], vec![255; 20]],
        map: (0..r.below(20))
            .map(|i| (format!("key{i}"), r.next_u64() as u32))
            .collect(),
        int_keys: (0..r.below(10))
            .map(|i| (i * 1000, format!("v{i}")))
            .collect(),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(1.5),
            Shape::Rect(3, 4),
            Shape::Poly {
                points: vec![(0, 0), (-1, 5), (i32::MIN, i32::MAX)],
                closed: true,
            },
            Shape::Nested(Box::new(Shape::Nested(Box::new(Shape::Empty)))),
            Shape::Unit(Unit),
        ],
        bytes: (0..r.below(300)).map(|_| r.next_u64() as u8).collect(),
        array: [1, 2, 3, u16::MAX],
    }
}

#[test]
fn broad_round_trip_both_struct_forms() {
    for seed in 0..50 {
        round_trip(&everything(seed));
    }
    round_trip(&Shape::Empty);
    round_trip(&Unit);
    round_trip(&());
    round_trip(&Some(5u8));
    round_trip(&None::<u8>);
    round_trip(&(1u8, -2i64, 3.5f32));
    round_trip(&vec![Some(1u8), None]);
    round_trip(&i128::MIN);
    round_trip(&u128::MAX);
    round_trip(&u64::MAX);
    round_trip(&i64::MIN);
    round_trip(&f32::MAX);
    round_trip(&f64::NEG_INFINITY);
}

/// rmp-serde 1.3's enum shapes, checked on its own output: a unit variant is the variant name
/// as a str; the others are a one-entry map from the name to the content.
#[test]
fn enum_representation_is_rmp_serdes() {
    assert_eq!(rmp_serde::to_vec(&Shape::Empty).unwrap(), b"\xa5Empty");
    assert_eq!(
        rmp_serde::to_vec(&Shape::Circle(0.5)).unwrap(),
        b"\x81\xa6Circle\xcb\x3f\xe0\0\0\0\0\0\0"
    );
    assert_eq!(
        rmp_serde::to_vec(&Shape::Rect(1, 2)).unwrap(),
        b"\x81\xa4Rect\x92\x01\x02"
    );
    let poly = Shape::Poly {
        points: vec![],
        closed: false,
    };
    assert_eq!(
        rmp_serde::to_vec(&poly).unwrap(),
        b"\x81\xa4Poly\x92\x90\xc2"
    );
    assert_eq!(
        rmp_serde::to_vec_named(&poly).unwrap(),
        b"\x81\xa4Poly\x82\xa6points\x90\xa6closed\xc2"
    );
    // A unit struct is an empty array; a unit is nil.
    assert_eq!(rmp_serde::to_vec(&Unit).unwrap(), b"\x90");
    assert_eq!(rmp_serde::to_vec(&()).unwrap(), b"\xc0");
    for bytes in [&b"\xa5Empty"[..], b"\x00"] {
        assert_eq!(from_slice::<Shape>(bytes).unwrap(), Shape::Empty);
    }
    // Variants by index, as some writers do.
    assert_eq!(
        from_slice::<Shape>(b"\x81\x02\x92\x01\x02").unwrap(),
        Shape::Rect(1, 2)
    );
    // A unit variant in map form holds nil.
    assert_eq!(
        from_slice::<Shape>(b"\x81\xa5Empty\xc0").unwrap(),
        Shape::Empty
    );

    let e = from_slice::<Shape>(b"\x82\xa5Empty\xc0\xa5Empty\xc0").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Custom, 0));
    let e = from_slice::<Shape>(b"\x91\xa5Empty").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Custom, 0));
    let e = from_slice::<Shape>(b"\xa4Nope").unwrap_err();
    assert!(
        e.message().unwrap().contains("unknown variant `Nope`"),
        "{e}"
    );
    let e = from_slice::<Shape>(b"\xa6Circle").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Custom);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
enum Tagged {
    A { x: u8 },
    B { name: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Num(u64),
    Text(String),
    List(Vec<u8>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Flat {
    id: u32,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

#[test]
fn self_describing_shapes_via_deserialize_any() {
    // These go through serde's buffered content, which needs maps: only `to_vec_named`.
    for v in [Tagged::A { x: 3 }, Tagged::B { name: "b".into() }] {
        let bytes = rmp_serde::to_vec_named(&v).unwrap();
        assert_eq!(from_slice::<Tagged>(&bytes).unwrap(), v);
    }
    for v in [
        Untagged::Num(5),
        Untagged::Text("t".into()),
        Untagged::List(vec![1, 2]),
    ] {
        let bytes = rmp_serde::to_vec_named(&v).unwrap();
        assert_eq!(from_slice::<Untagged>(&bytes).unwrap(), v);
    }
    let f = Flat {
        id: 9,
        rest: [("a".to_string(), "x".to_string())].into(),
    };
    let bytes = rmp_serde::to_vec_named(&f).unwrap();
    assert_eq!(from_slice::<Flat>(&bytes).unwrap(), f);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Borrowed<'a> {
    s: &'a str,
    #[serde(borrow)]
    cow: Cow<'a, str>,
    #[serde(with = "serde_bytes")]
    raw: &'a [u8],
    #[serde(borrow)]
    list: Vec<&'a str>,
    #[serde(borrow)]
    opt: Option<&'a str>,
}

#[test]
fn strings_and_bytes_are_borrowed() {
    let v = Borrowed {
        s: "hello",
        cow: Cow::Borrowed("a cow"),
        raw: &[0, 1, 2, 255],
        list: vec!["x", "yz", ""],
        opt: Some("o"),
    };
    for bytes in [
        rmp_serde::to_vec(&v).unwrap(),
        rmp_serde::to_vec_named(&v).unwrap(),
    ] {
        let got: Borrowed = from_slice(&bytes).unwrap();
        assert_eq!(got, v);
        assert!(inside(&bytes, got.s.as_bytes()));
        assert!(matches!(got.cow, Cow::Borrowed(c) if inside(&bytes, c.as_bytes())));
        assert!(inside(&bytes, got.raw));
        assert!(got.list.iter().all(|s| inside(&bytes, s.as_bytes())));
        assert!(inside(&bytes, got.opt.unwrap().as_bytes()));
    }
}

/// A listing entry as AIStore writes it (tinylib/msgp): every key but `n` omitted when empty.
#[derive(Serialize, Deserialize, Debug, PartialEq, Default, Clone)]
#[serde(default)]
struct Entry<'a> {
    n: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    cs: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    a: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    v: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    t: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    m: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    s: i64,
    #[serde(skip_serializing_if = "is_zero")]
    c: i16,
    #[serde(skip_serializing_if = "is_zero")]
    f: u16,
}

fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[allow(non_snake_case)]
struct Page<'a> {
    UUID: &'a str,
    ContinuationToken: &'a str,
    #[serde(borrow)]
    Entries: Vec<Entry<'a>>,
    Flags: u64,
}

/// The same entry with every field present, for the array form (`to_vec` writes all fields;
/// `skip_serializing_if` would shift the positions).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct FullEntry<'a> {
    n: &'a str,
    cs: &'a str,
    a: &'a str,
    v: &'a str,
    t: &'a str,
    m: &'a str,
    s: i64,
    c: i16,
    f: u16,
}

#[allow(non_snake_case)]
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct FullPage<'a> {
    UUID: &'a str,
    ContinuationToken: &'a str,
    #[serde(borrow)]
    Entries: Vec<FullEntry<'a>>,
    Flags: u64,
}

#[test]
fn listing_pages_decode_borrowed_and_match_rmp_serde() {
    let dump = listing(ListingConfig {
        seed: 5,
        entries: 12_345,
        page_size: 5_000,
    });
    let pages: Vec<Page> = Deserializer::from_slice(&dump)
        .into_iter::<Page>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.iter().map(|p| p.Entries.len()).sum::<usize>(), 12_345);
    assert_eq!(pages.last().unwrap().Flags, 0);
    assert!(pages.last().unwrap().ContinuationToken.is_empty());
    assert_eq!(
        pages[0].ContinuationToken,
        pages[0].Entries.last().unwrap().n
    );

    // Page by page, rmp-serde reads the same values from the same bytes.
    let mut at = 0;
    for page in &pages {
        let end = msgskim::skip_value(&dump, at).unwrap();
        let theirs: Page = rmp_serde::from_slice(&dump[at..end]).unwrap();
        assert_eq!(&theirs, page);
        at = end;
    }
    assert_eq!(at, dump.len());

    // Every string points into the dump.
    let mut seen = 0;
    for p in &pages {
        assert!(inside(&dump, p.UUID.as_bytes()));
        for e in &p.Entries {
            for s in [e.n, e.cs, e.a, e.v, e.t, e.m] {
                if !s.is_empty() {
                    assert!(inside(&dump, s.as_bytes()));
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 30_000);

    // Written again by rmp-serde, in both struct forms.
    for page in &pages {
        round_trip_borrowed(page);
        let full = FullPage {
            UUID: page.UUID,
            ContinuationToken: page.ContinuationToken,
            Entries: page
                .Entries
                .iter()
                .map(|e| FullEntry {
                    n: e.n,
                    cs: e.cs,
                    a: e.a,
                    v: e.v,
                    t: e.t,
                    m: e.m,
                    s: e.s,
                    c: e.c,
                    f: e.f,
                })
                .collect(),
            Flags: page.Flags,
        };
        let array = rmp_serde::to_vec(&full).unwrap();
        assert_eq!(array[0], 0x94, "a page written as an array of 4");
        let back: FullPage = from_slice(&array).unwrap();
        assert_eq!(back, full);
        let named = rmp_serde::to_vec_named(&full).unwrap();
        let back: FullPage = from_slice(&named).unwrap();
        assert_eq!(back, full);
    }
}

fn round_trip_borrowed(page: &Page<'_>) {
    let named = rmp_serde::to_vec_named(page).unwrap();
    let back: Page = from_slice(&named).unwrap();
    assert_eq!(&back, page);
}

#[test]
fn invalid_utf8_is_an_error_for_str_and_raw_bytes_for_bytes() {
    // ["ok", "a\xffb"]
    let buf = b"\x92\xa2ok\xa3a\xffb";
    let e = from_slice::<Vec<&str>>(buf).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidUtf8, 6));
    let e = from_slice::<Vec<String>>(buf).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidUtf8, 6));
    let e = from_slice::<Vec<Cow<str>>>(buf).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::InvalidUtf8, 6));

    #[derive(Deserialize)]
    struct Raw<'a>(&'a [u8], #[serde(with = "serde_bytes")] &'a [u8]);
    let raw: Raw = from_slice(buf).unwrap();
    assert_eq!((raw.0, raw.1), (&b"ok"[..], &b"a\xffb"[..]));
    assert!(inside(buf, raw.1));
    let owned: Vec<serde_bytes::ByteBuf> = from_slice(buf).unwrap();
    assert_eq!(owned[1].as_ref(), b"a\xffb");
}

/// A self-describing value, recursive through `deserialize_any`, like serde_value or rmpv.
#[derive(Debug, PartialEq)]
enum Value {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Nil)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.into()))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
                Ok(Value::Bytes(v.into()))
            }
            fn visit_newtype_struct<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = a.next_entry()? {
                    out.push(kv);
                }
                Ok(Value::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Debug)]
struct Tree {
    #[allow(dead_code)]
    children: Vec<Tree>,
}

#[derive(Deserialize, Debug)]
struct Node(#[allow(dead_code)] Option<Box<Node>>);

#[test]
fn deep_input_hits_the_depth_limit_not_the_stack() {
    // 100,000 nested one-element arrays.
    let mut deep = vec![0x91u8; 100_000];
    deep.push(0xc0);
    let limit = Limits::DEFAULT_MAX_DEPTH;

    let e = from_slice::<Value>(&deep).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit { limit });
    assert_eq!(e.offset(), limit as u64);

    // A struct written as an array whose only field is a list of itself: two levels a byte.
    let e = from_slice::<Tree>(&deep).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit { limit });

    // Same with maps: {"": {"": ...}}
    let mut deep_maps = Vec::new();
    for _ in 0..100_000 {
        deep_maps.extend_from_slice(b"\x81\xa0");
    }
    deep_maps.push(0xc0);
    let e = from_slice::<Value>(&deep_maps).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit { limit });
    assert_eq!(e.offset(), 2 * limit as u64);

    // A type that recurses without reading a byte is stopped too.
    let e = from_slice::<Node>(&[0x01]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DepthLimit { limit });

    // Skipping has no recursion: ignoring the whole thing works at any depth.
    from_slice::<IgnoredAny>(&deep).unwrap();
    from_slice::<IgnoredAny>(&deep_maps).unwrap();

    // Within the limit it decodes.
    let mut ok = vec![0x91u8; limit - 1];
    ok.push(0x07);
    let mut v = from_slice::<Value>(&ok).unwrap();
    for _ in 0..limit - 1 {
        let Value::Array(mut a) = v else { panic!() };
        v = a.pop().unwrap();
    }
    assert_eq!(v, Value::Int(7));

    let small = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let e = Vec::<Vec<Vec<Vec<u8>>>>::deserialize(&mut Deserializer::with_limits(&deep, small))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::DepthLimit { limit: 3 }, 3)
    );
}

#[test]
fn value_through_deserialize_any_matches_the_input() {
    let msgs = msgskim::gen::messages(3, 20);
    let values: Vec<Value> = Deserializer::from_slice(&msgs)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(values.len(), 20);
    let rmpv_values: Vec<rmpv::Value> = {
        let mut r = &msgs[..];
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(rmpv::decode::read_value(&mut r).unwrap());
        }
        out
    };
    for (ours, theirs) in values.iter().zip(&rmpv_values) {
        let Value::Map(ours) = ours else { panic!() };
        let theirs = theirs.as_map().unwrap();
        assert_eq!(ours.len(), theirs.len());
        for ((k, v), (tk, tv)) in ours.iter().zip(theirs) {
            assert_eq!(k, &Value::Str(tk.as_str().unwrap().into()));
            match (v, tv) {
                (Value::Str(s), rmpv::Value::String(t)) => assert_eq!(Some(&s[..]), t.as_str()),
                (Value::Bytes(b), rmpv::Value::Binary(t)) => assert_eq!(b, t),
                (Value::Bool(b), rmpv::Value::Boolean(t)) => assert_eq!(b, t),
                // An ext is handed over as (type, data).
                (Value::Array(a), rmpv::Value::Ext(ty, data)) => {
                    assert_eq!(a[0], Value::Int((*ty).into()));
                    assert_eq!(a[1], Value::Bytes(data.clone()));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename = "_ExtStruct")]
struct ExtValue((i8, serde_bytes::ByteBuf));

#[test]
fn ext_values_as_rmp_serde_writes_them() {
    let v = ExtValue((42, serde_bytes::ByteBuf::from(vec![1, 2, 3])));
    let bytes = rmp_serde::to_vec(&v).unwrap();
    assert_eq!(bytes, b"\xc7\x03\x2a\x01\x02\x03");
    assert_eq!(from_slice::<ExtValue>(&bytes).unwrap(), v);
    let e = from_slice::<ExtValue>(b"\x01").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Custom, 0));
}

#[derive(Deserialize, Debug, PartialEq)]
struct Small<'a> {
    n: &'a str,
    s: i64,
}

#[test]
fn unknown_fields_are_skipped() {
    // {"x": [1, {"deep": [nil]}], "n": "a", "big": bin8(200), "s": 5}
    let mut buf = b"\x84\xa1x\x92\x01\x81\xa4deep\x91\xc0\xa1n\xa1a\xa3big\xc4\xc8".to_vec();
    buf.extend_from_slice(&[7u8; 200]);
    buf.extend_from_slice(b"\xa1s\x05");
    assert_eq!(from_slice::<Small>(&buf).unwrap(), Small { n: "a", s: 5 });
    // A truncated unknown value is reported where it is cut.
    let e = from_slice::<Small>(&buf[..buf.len() - 10]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated { needed: 7 });
    assert_eq!(e.offset(), 21);
}

#[test]
fn errors_carry_offsets() {
    let cases: &[(&[u8], ErrorKind, u64)] = &[
        (b"", ErrorKind::Truncated { needed: 1 }, 0),
        (b"\x92\xa1n", ErrorKind::Truncated { needed: 1 }, 3),
        (b"\x92\xa1n\xc1", ErrorKind::ReservedByte, 3),
        (b"\x92\xa1n\xd1\x01", ErrorKind::Truncated { needed: 1 }, 3),
        (b"\x92\xa1n\x05\xc0", ErrorKind::TrailingBytes, 4),
        // Too many elements for the struct.
        (b"\x93\xa1n\x05\x06", ErrorKind::Custom, 0),
        // Too few.
        (b"\x91\xa1n", ErrorKind::Custom, 0),
        // Wrong type in a field: the offset is the value's.
        (b"\x82\xa1n\xa1a\xa1s\xa1x", ErrorKind::Custom, 7),
        // A missing field: the map's offset.
        (b"\x81\xa1n\xa1a", ErrorKind::Custom, 0),
        // Declared lengths with nothing behind them.
        (
            b"\xdd\xff\xff\xff\xff",
            ErrorKind::Truncated { needed: 1 },
            5,
        ),
        (
            b"\x92\xdb\xff\xff\xff\xff",
            ErrorKind::Truncated {
                needed: u32::MAX as usize,
            },
            1,
        ),
    ];
    for &(buf, kind, offset) in cases {
        let e = from_slice::<Small>(buf).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{buf:x?}: {e}");
        assert!(e.to_string().contains(&format!("at byte {offset}")), "{e}");
    }
    let e = from_slice::<Small>(b"\x82\xa1n\xa1a\xa1s\xa1x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid type: string \"x\", expected i64 at byte 7"
    );
    let e = from_slice::<u8>(b"\xcd\x01\x00").unwrap_err();
    assert_eq!(e.offset(), 0);
    // Conversion to the crate's error keeps offset and kind.
    let core: msgskim::Error = from_slice::<u8>(b"\xc1").unwrap_err().into();
    assert_eq!((core.offset(), core.kind()), (0, ErrorKind::ReservedByte));
}

#[test]
fn huge_declared_lengths_allocate_nothing_big() {
    // Vec<u64> from an array32 that claims 4 billion elements and holds 3.
    let buf = b"\xdd\xff\xff\xff\xff\x01\x02\x03";
    let e = from_slice::<Vec<u64>>(buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Truncated { needed: 1 });
    assert_eq!(e.offset(), 8);
    let e = from_slice::<HashMap<u8, u8>>(b"\xdf\xff\xff\xff\xff\x01").unwrap_err();
    assert!(e.is_truncated());
    // (the counting allocator in tests/serde_alloc.rs bounds what was allocated)
}

#[test]
fn limits_apply() {
    let limits = Limits {
        max_payload_len: 3,
        max_container_len: 2,
        ..Limits::default()
    };
    let e = <&str>::deserialize(&mut Deserializer::with_limits(b"\xa4abcd", limits)).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::LengthLimit { len: 4, limit: 3 }, 0)
    );
    let e = Vec::<u8>::deserialize(&mut Deserializer::with_limits(b"\x93\x01\x02\x03", limits))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::ContainerLimit { len: 3, limit: 2 }, 0)
    );
    let ok = Vec::<&str>::deserialize(&mut Deserializer::with_limits(b"\x92\xa1a\xa3abc", limits));
    assert_eq!(ok.unwrap(), ["a", "abc"]);
}

#[test]
fn stream_of_values_stops_at_the_first_error() {
    let buf = b"\x01\x02\xcc\xff\xa1x\x03";
    let mut it = Deserializer::from_slice(buf).into_iter::<u8>();
    assert_eq!(it.next().unwrap().unwrap(), 1);
    assert_eq!(it.next().unwrap().unwrap(), 2);
    assert_eq!(it.next().unwrap().unwrap(), 255);
    assert_eq!(it.byte_offset(), 4);
    let e = it.next().unwrap().unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Custom, 4));
    assert!(it.next().is_none());

    let all: Vec<u32> = Deserializer::from_slice(b"\x01\x02\x03")
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all, [1, 2, 3]);
    assert_eq!(Deserializer::from_slice(b"").into_iter::<u8>().count(), 0);
}

#[test]
fn from_read_decodes_owned_values() {
    let v = everything(77);
    let bytes = rmp_serde::to_vec(&v).unwrap();
    let back: Everything = msgskim::serde::from_read(&bytes[..]).unwrap();
    assert_eq!(back, v);
    let e = msgskim::serde::from_read::<_, Everything>(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(e.is_truncated());
}

#[test]
fn ints_in_any_width_fit_any_target_that_holds_them() {
    // Go writes sizes in the signed formats; unsigned targets take them when non-negative.
    assert_eq!(from_slice::<u64>(b"\xd1\x01\x00").unwrap(), 256);
    assert_eq!(from_slice::<i16>(b"\xcc\xff").unwrap(), 255);
    assert_eq!(from_slice::<f64>(b"\x05").unwrap(), 5.0);
    assert_eq!(from_slice::<f32>(b"\xcb\x3f\xe0\0\0\0\0\0\0").unwrap(), 0.5);
    let e = from_slice::<u8>(b"\xff").unwrap_err();
    assert_eq!(
        e.message(),
        Some("invalid value: integer `-1`, expected u8")
    );
    assert_eq!(
        from_slice::<i128>(b"\xd3\x80\0\0\0\0\0\0\0").unwrap(),
        i64::MIN as i128
    );
    // Vec<u8> and [u8; N] from a bin, as rmp-serde reads them.
    assert_eq!(from_slice::<Vec<u8>>(b"\xc4\x02\x07\x08").unwrap(), [7, 8]);
    assert_eq!(from_slice::<[u8; 2]>(b"\xc4\x02\x07\x08").unwrap(), [7, 8]);
    assert!(from_slice::<[u8; 3]>(b"\xc4\x02\x07\x08").is_err());
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn from_read_takes_the_first_value_whatever_the_chunking() {
    let v = everything(78);
    let mut bytes = rmp_serde::to_vec_named(&v).unwrap();
    let first_len = bytes.len();
    bytes.extend_from_slice(&rmp_serde::to_vec(&everything(79)).unwrap());
    for step in [1, 7, 4096, usize::MAX] {
        let back: Everything = msgskim::serde::from_read(Trickle { data: &bytes, step }).unwrap();
        assert_eq!(back, v, "step {step}");
    }
    // Cut inside the first value: truncation at the value's start.
    let e = msgskim::serde::from_read::<_, Everything>(&bytes[..first_len - 3]).unwrap_err();
    assert!(e.is_truncated());
    assert_eq!(e.offset(), 0);
    let e = msgskim::serde::from_read::<_, u8>(&b""[..]).unwrap_err();
    assert!(e.is_truncated());
    // Errors inside the value are offsets from the start of the reader.
    let e = msgskim::serde::from_read::<_, (u8, u8)>(&b"\x92\x01\xa1x"[..]).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Custom, 2));
}

/// A reader that gives `ok` bytes, then fails.
struct Failing<'a> {
    ok: &'a [u8],
}

impl std::io::Read for Failing<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.ok.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "gone",
            ));
        }
        let n = out.len().min(self.ok.len());
        out[..n].copy_from_slice(&self.ok[..n]);
        self.ok = &self.ok[n..];
        Ok(n)
    }
}

#[test]
fn from_read_reports_io_errors_with_the_bytes_read() {
    let e = msgskim::serde::from_read::<_, (u8, u8)>(Failing { ok: b"\x92\x01" }).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::Io(std::io::ErrorKind::ConnectionReset), 2)
    );
}

/// Every integer format with the bit patterns at the edges of its range, decoded into every
/// integer type: once as the last bytes of the input (where the deserializer takes its general
/// path) and once followed by more than 8 bytes (its inline path). Both must give what
/// rmp-serde gives, value or error.
#[test]
fn integers_of_every_format_near_and_far_from_the_end() {
    let mut encodings: Vec<Vec<u8>> = [0x00u8, 0x01, 0x7f, 0xe0, 0xf0, 0xff]
        .iter()
        .map(|&b| vec![b])
        .collect();
    let bodies: [[u8; 8]; 6] = [
        [0x00; 8],
        [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
        [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
        [0xff; 8],
        [0x00, 0x80, 0x00, 0xff, 0x00, 0x00, 0x00, 0x01],
    ];
    for (marker, width) in [
        (0xccu8, 1usize),
        (0xcd, 2),
        (0xce, 4),
        (0xcf, 8),
        (0xd0, 1),
        (0xd1, 2),
        (0xd2, 4),
        (0xd3, 8),
    ] {
        for body in &bodies {
            let mut e = vec![marker];
            e.extend_from_slice(&body[..width]);
            encodings.push(e);
        }
    }
    macro_rules! check {
        ($($t:ty)*) => {$(
            for e in &encodings {
                let ours = from_slice::<$t>(e).ok();
                assert_eq!(ours, rmp_serde::from_slice::<$t>(e).ok(), "{} {e:x?} at the end", stringify!($t));
                // [int, "a str of 14 bytes"]: the integer has more than 8 bytes after it.
                let mut far = vec![0x92];
                far.extend_from_slice(e);
                far.push(0xae);
                far.extend_from_slice(b"padding string");
                let ours_far = from_slice::<($t, &str)>(&far).ok().map(|(v, _)| v);
                let theirs_far = rmp_serde::from_slice::<($t, &str)>(&far).ok().map(|(v, _)| v);
                assert_eq!(ours_far, theirs_far, "{} {e:x?} followed by more", stringify!($t));
                assert_eq!(ours_far, ours, "{} {e:x?}: the two paths differ", stringify!($t));
            }
        )*};
    }
    check!(u8 u16 u32 u64 i8 i16 i32 i64);
}
