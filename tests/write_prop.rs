//! Property tests of the writer: random values written (with containers of known and of
//! unknown length, in both integer modes) read back the same through the tokenizer, and in
//! smallest-form mode the bytes are identical to rmpv's encoder.

use msgskim::write::{Deferred, IntMode, Sink, Writer};
use msgskim::{Ext, Str, Timestamp, Token, Tokenizer};
use proptest::prelude::*;
use rmpv::Value;

/// A value as the test builds it.
#[derive(Clone, Debug)]
enum V {
    Nil,
    Bool(bool),
    UInt(u64),
    Int(i64),
    F32(f32),
    F64(f64),
    Str(Vec<u8>),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    Ts(Timestamp),
    /// Elements, and how the header is written: `None` = length up front.
    Array(Vec<V>, Option<Deferred>),
    Map(Vec<(V, V)>, Option<Deferred>),
}

fn how() -> impl Strategy<Value = Option<Deferred>> {
    prop_oneof![
        Just(None),
        Just(Some(Deferred::Compact)),
        Just(Some(Deferred::Patch))
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        -40i64..140,
        any::<i16>().prop_map(i64::from),
        any::<i32>().prop_map(i64::from),
        any::<i64>(),
    ]
}

fn uint() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        any::<u16>().prop_map(u64::from),
        any::<u32>().prop_map(u64::from),
        any::<u64>(),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => (proptest::sample::select(vec![15usize, 16, 17, 31, 32, 255, 256]), any::<u8>())
            .prop_map(|(n, b)| vec![b; n]),
        1 => (250usize..300).prop_map(|n| vec![b'z'; n]),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    let secs = prop_oneof![
        0i64..(1 << 32),
        (1i64 << 32)..(1 << 34),
        any::<i64>(),
        -100i64..100,
    ];
    let nanos = prop_oneof![Just(0u32), 0u32..1_000_000_000];
    (secs, nanos).prop_map(|(s, n)| Timestamp::new(s, n).unwrap())
}

fn leaf() -> impl Strategy<Value = V> {
    prop_oneof![
        Just(V::Nil),
        any::<bool>().prop_map(V::Bool),
        uint().prop_map(V::UInt),
        int().prop_map(V::Int),
        any::<f32>().prop_map(V::F32),
        any::<f64>().prop_map(V::F64),
        bytes().prop_map(V::Str),
        bytes().prop_map(V::Bin),
        // Type -1 is the timestamp: written through `timestamp` below, not as a raw ext.
        (any::<i8>().prop_filter("not -1", |t| *t != -1), bytes()).prop_map(|(t, d)| V::Ext(t, d)),
        timestamp().prop_map(V::Ts),
    ]
}

fn value() -> impl Strategy<Value = V> {
    leaf().prop_recursive(4, 96, 20, |inner| {
        prop_oneof![
            (proptest::collection::vec(inner.clone(), 0..20), how())
                .prop_map(|(v, h)| V::Array(v, h)),
            (
                proptest::collection::vec((inner.clone(), inner), 0..10),
                how()
            )
                .prop_map(|(v, h)| V::Map(v, h)),
        ]
    })
}

fn write<S: msgskim::write::PatchSink>(w: &mut Writer<S>, v: &V) -> Result<(), msgskim::Error> {
    match v {
        V::Nil => w.nil(),
        V::Bool(b) => w.bool(*b),
        V::UInt(u) => w.uint(*u),
        V::Int(i) => w.int(*i),
        V::F32(f) => w.f32(*f),
        V::F64(f) => w.f64(*f),
        V::Str(s) => w.str_bytes(s),
        V::Bin(b) => w.bin(b),
        V::Ext(t, d) => w.ext(*t, d),
        V::Ts(t) => w.timestamp(*t),
        V::Array(items, how) => match how {
            None => {
                w.array_len(items.len() as u32)?;
                items.iter().try_for_each(|i| write(w, i))
            }
            Some(how) => {
                let open = w.begin_array(*how)?;
                items.iter().try_for_each(|i| write(w, i))?;
                w.end(open)
            }
        },
        V::Map(pairs, how) => {
            let body = |w: &mut Writer<S>| {
                pairs.iter().try_for_each(|(k, v)| {
                    write(w, k)?;
                    write(w, v)
                })
            };
            match how {
                None => {
                    w.map_len(pairs.len() as u32)?;
                    body(w)
                }
                Some(how) => {
                    let open = w.begin_map(*how)?;
                    body(w)?;
                    w.end(open)
                }
            }
        }
    }
}

/// What the tokenizer must give back for `v`, in order.
fn expect<'a>(v: &'a V, mode: IntMode, out: &mut Vec<Token<'a>>) {
    out.push(match v {
        V::Nil => Token::Nil,
        V::Bool(b) => Token::Bool(*b),
        V::UInt(u) => Token::UInt(*u),
        V::Int(i) if *i >= 0 && (mode == IntMode::Smallest || *i < 128) => Token::UInt(*i as u64),
        V::Int(i) => Token::Int(*i),
        V::F32(f) => Token::F32(*f),
        V::F64(f) => Token::F64(*f),
        V::Str(s) => Token::Str(Str::new(s)),
        V::Bin(b) => Token::Bin(b),
        V::Ext(t, d) => Token::Ext(Ext { ty: *t, data: d }),
        V::Ts(t) => Token::Timestamp(*t),
        V::Array(items, _) => {
            out.push(Token::Array(items.len() as u32));
            items.iter().for_each(|i| expect(i, mode, out));
            return;
        }
        V::Map(pairs, _) => {
            out.push(Token::Map(pairs.len() as u32));
            for (k, v) in pairs {
                expect(k, mode, out);
                expect(v, mode, out);
            }
            return;
        }
    });
}

/// Token equality with floats compared by bits (NaN == NaN).
fn same(a: &Token<'_>, b: &Token<'_>) -> bool {
    match (a, b) {
        (Token::F32(x), Token::F32(y)) => x.to_bits() == y.to_bits(),
        (Token::F64(x), Token::F64(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

fn has_deferred(v: &V) -> bool {
    match v {
        V::Array(items, how) => how.is_some() || items.iter().any(has_deferred),
        V::Map(pairs, how) => {
            how.is_some()
                || pairs
                    .iter()
                    .any(|(k, v)| has_deferred(k) || has_deferred(v))
        }
        _ => false,
    }
}

fn strip_deferred(v: &V) -> V {
    match v {
        V::Array(items, _) => V::Array(items.iter().map(strip_deferred).collect(), None),
        V::Map(pairs, _) => V::Map(
            pairs
                .iter()
                .map(|(k, v)| (strip_deferred(k), strip_deferred(v)))
                .collect(),
            None,
        ),
        other => other.clone(),
    }
}

fn uses_patch(v: &V) -> bool {
    match v {
        V::Array(items, how) => *how == Some(Deferred::Patch) || items.iter().any(uses_patch),
        V::Map(pairs, how) => {
            *how == Some(Deferred::Patch)
                || pairs.iter().any(|(k, v)| uses_patch(k) || uses_patch(v))
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_through_the_tokenizer(v in value(), go in any::<bool>()) {
        let mode = if go { IntMode::GoCompatible } else { IntMode::Smallest };
        let mut w = Writer::with_mode(Vec::new(), mode);
        write(&mut w, &v).unwrap();
        let out = w.finish().unwrap();
        let got: Vec<Token<'_>> = Tokenizer::new(&out).collect::<Result<_, _>>().unwrap();
        let mut want = Vec::new();
        expect(&v, mode, &mut want);
        prop_assert_eq!(got.len(), want.len());
        for (g, e) in got.iter().zip(&want) {
            prop_assert!(same(g, e), "{:?} != {:?}", g, e);
        }
        prop_assert_eq!(msgskim::skip_value(&out, 0), Ok(out.len()));

        // Compaction gives exactly the bytes of writing every length up front.
        if has_deferred(&v) && !uses_patch(&v) {
            let mut known = Writer::with_mode(Vec::new(), mode);
            write(&mut known, &strip_deferred(&v)).unwrap();
            prop_assert_eq!(&out, &known.finish().unwrap());
        }

        // The same value into a caller's buffer of exactly the right size (plus the room a
        // deferred header needs while open) gives the same bytes; one byte less fails cleanly.
        if !has_deferred(&v) {
            let mut buf = vec![0u8; out.len()];
            let mut w = Writer::with_mode(msgskim::write::SliceSink::new(&mut buf), mode);
            write(&mut w, &v).unwrap();
            prop_assert_eq!(w.get_ref().written(), &out[..]);
            let mut buf = vec![0u8; out.len() - 1];
            let mut w = Writer::with_mode(msgskim::write::SliceSink::new(&mut buf), mode);
            let err = write(&mut w, &v).unwrap_err();
            prop_assert_eq!(err.kind(), msgskim::ErrorKind::BufferFull);
        }
    }
}

// ---- identity with rmpv ----

fn rmpv_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Boolean),
        uint().prop_map(Value::from),
        int().prop_map(Value::from),
        any::<f32>().prop_map(Value::F32),
        any::<f64>().prop_map(Value::F64),
        ".{0,40}".prop_map(Value::from),
        (250usize..300).prop_map(|n| Value::from("y".repeat(n))),
        bytes().prop_map(Value::Binary),
        (any::<i8>(), bytes()).prop_map(|(t, d)| Value::Ext(t, d)),
    ];
    leaf.prop_recursive(4, 96, 20, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..20).prop_map(Value::Array),
            proptest::collection::vec((inner.clone(), inner), 0..18).prop_map(Value::Map),
        ]
    })
}

/// Writes an rmpv value with msgskim; containers with `deferred` open with unknown length.
fn write_rmpv<S: msgskim::write::PatchSink>(
    w: &mut Writer<S>,
    v: &Value,
    deferred: bool,
) -> Result<(), msgskim::Error> {
    match v {
        Value::Nil => w.nil(),
        Value::Boolean(b) => w.bool(*b),
        Value::Integer(i) => match i.as_u64() {
            Some(u) => w.uint(u),
            None => w.int(i.as_i64().unwrap()),
        },
        Value::F32(f) => w.f32(*f),
        Value::F64(f) => w.f64(*f),
        Value::String(s) => w.str_bytes(s.as_bytes()),
        Value::Binary(b) => w.bin(b),
        Value::Ext(t, d) => w.ext(*t, d),
        Value::Array(items) => {
            if deferred {
                let open = w.begin_array(Deferred::Compact)?;
                items.iter().try_for_each(|i| write_rmpv(w, i, deferred))?;
                w.end(open)
            } else {
                w.array_len(items.len() as u32)?;
                items.iter().try_for_each(|i| write_rmpv(w, i, deferred))
            }
        }
        Value::Map(pairs) => {
            let open = if deferred {
                Some(w.begin_map(Deferred::Compact)?)
            } else {
                w.map_len(pairs.len() as u32)?;
                None
            };
            for (k, v) in pairs {
                write_rmpv(w, k, deferred)?;
                write_rmpv(w, v, deferred)?;
            }
            open.map_or(Ok(()), |o| w.end(o))
        }
    }
}

/// Writes an rmpv value through msgskim's `Token`s (the re-encoding path).
fn write_tokens<S: Sink>(w: &mut Writer<S>, v: &Value) -> Result<(), msgskim::Error> {
    let t = match v {
        Value::Nil => Token::Nil,
        Value::Boolean(b) => Token::Bool(*b),
        Value::Integer(i) => match i.as_u64() {
            Some(u) => Token::UInt(u),
            None => Token::Int(i.as_i64().unwrap()),
        },
        Value::F32(f) => Token::F32(*f),
        Value::F64(f) => Token::F64(*f),
        Value::String(s) => Token::Str(Str::new(s.as_bytes())),
        Value::Binary(b) => Token::Bin(b),
        Value::Ext(t, d) => Token::Ext(Ext { ty: *t, data: d }),
        Value::Array(items) => {
            w.token(&Token::Array(items.len() as u32))?;
            return items.iter().try_for_each(|i| write_tokens(w, i));
        }
        Value::Map(pairs) => {
            w.token(&Token::Map(pairs.len() as u32))?;
            return pairs.iter().try_for_each(|(k, v)| {
                write_tokens(w, k)?;
                write_tokens(w, v)
            });
        }
    };
    w.token(&t)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn bytes_identical_to_rmpv(v in rmpv_value()) {
        let mut want = Vec::new();
        rmpv::encode::write_value(&mut want, &v).unwrap();
        for deferred in [false, true] {
            let mut w = Writer::new(Vec::new());
            write_rmpv(&mut w, &v, deferred).unwrap();
            prop_assert_eq!(&w.finish().unwrap(), &want, "deferred: {}", deferred);
        }
        let mut w = Writer::new(Vec::new());
        write_tokens(&mut w, &v).unwrap();
        prop_assert_eq!(&w.finish().unwrap(), &want);
    }
}
