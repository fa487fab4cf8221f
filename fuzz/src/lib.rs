//! Helpers shared by the fuzz targets: a plain value tree that every decoder under test (the
//! tokenizer, rmpv, later the stream decoder and queries) can be turned into, so that their
//! answers can be compared value by value.

use msgskim::{Error, Limits, Token, Tokenizer};

/// One decoded MessagePack value. Floats are kept as bits so that NaN compares equal to itself;
/// integers as `i128` so that `int 8 5` and `positive fixint 5` compare equal, as the spec says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i128),
    F32(u32),
    F64(u64),
    Str(Vec<u8>),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    Ts(i64, u32),
    Array(Vec<V>),
    Map(Vec<(V, V)>),
}

/// A container under construction: its items so far and how many it declared.
struct Open {
    map: bool,
    want: usize,
    items: Vec<V>,
}

impl Open {
    fn finish(self) -> V {
        if self.map {
            let mut it = self.items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            V::Map(pairs)
        } else {
            V::Array(self.items)
        }
    }
}

/// The scalar value of a token, or `None` for a container header.
pub fn scalar(t: &Token<'_>) -> Option<V> {
    Some(match *t {
        Token::Nil => V::Nil,
        Token::Bool(b) => V::Bool(b),
        Token::UInt(v) => V::Int(v as i128),
        Token::Int(v) => V::Int(v as i128),
        Token::F32(v) => V::F32(v.to_bits()),
        Token::F64(v) => V::F64(v.to_bits()),
        Token::Str(s) => V::Str(s.as_bytes().to_vec()),
        Token::Bin(b) => V::Bin(b.to_vec()),
        Token::Ext(e) => V::Ext(e.ty, e.data.to_vec()),
        Token::Timestamp(ts) => V::Ts(ts.seconds(), ts.nanoseconds()),
        Token::Array(_) | Token::Map(_) => return None,
    })
}

/// Feeds tokens in, gets whole values out; no recursion, so any depth the tokenizer allows is
/// fine.
#[derive(Default)]
pub struct Builder {
    stack: Vec<Open>,
}

impl Builder {
    /// Adds one token; returns a value when it completes a top-level one.
    pub fn push(&mut self, t: &Token<'_>) -> Option<V> {
        let mut done = match *t {
            Token::Array(n) => {
                self.stack.push(Open {
                    map: false,
                    want: n as usize,
                    items: Vec::new(),
                });
                None
            }
            Token::Map(n) => {
                self.stack.push(Open {
                    map: true,
                    want: 2 * n as usize,
                    items: Vec::new(),
                });
                None
            }
            _ => scalar(t),
        };
        // Close every container that is now full (including empty ones just opened).
        loop {
            match (done.take(), self.stack.last_mut()) {
                (Some(v), Some(top)) => top.items.push(v),
                (Some(v), None) => return Some(v),
                (None, _) => {}
            }
            match self.stack.last() {
                Some(top) if top.items.len() == top.want => {
                    done = Some(self.stack.pop().expect("just looked").finish());
                }
                _ => return None,
            }
        }
    }

    /// True when no container is open.
    pub fn is_idle(&self) -> bool {
        self.stack.is_empty()
    }
}

/// Everything a slice decodes to: the complete top-level values, the offset just past each,
/// and the error that stopped decoding, if any.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub values: Vec<V>,
    pub ends: Vec<usize>,
    pub error: Option<Error>,
}

/// Decodes all of `buf` with the tokenizer and `limits`.
pub fn decode_all(buf: &[u8], limits: Limits) -> Decoded {
    let mut tok = Tokenizer::with_limits(buf, limits);
    let mut b = Builder::default();
    let mut out = Decoded {
        values: Vec::new(),
        ends: Vec::new(),
        error: None,
    };
    loop {
        match tok.next_token() {
            Ok(Some(t)) => {
                if let Some(v) = b.push(&t) {
                    out.values.push(v);
                    out.ends.push(tok.position());
                }
            }
            Ok(None) => break,
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// Limits that only check structure: the deepest nesting the crate can track, no length
/// limits, no UTF-8 check, timestamps left as exts. What every reader must agree on.
pub fn structural() -> Limits {
    Limits {
        max_depth: msgskim::MAX_DEPTH,
        max_payload_len: u64::MAX,
        max_container_len: u64::MAX,
        check_utf8: false,
        decode_timestamps: false,
    }
}

/// The same value with every valid type -1 ext turned into a timestamp, as the tokenizer does
/// by default. `None` when some type -1 ext is malformed.
pub fn with_timestamps(v: &V) -> Option<V> {
    Some(match v {
        V::Ext(-1, d) => match msgskim::Timestamp::from_ext_data(d) {
            Ok(ts) => V::Ts(ts.seconds(), ts.nanoseconds()),
            Err(_) => return None,
        },
        V::Array(items) => V::Array(items.iter().map(with_timestamps).collect::<Option<_>>()?),
        V::Map(pairs) => V::Map(
            pairs
                .iter()
                .map(|(k, v)| Some((with_timestamps(k)?, with_timestamps(v)?)))
                .collect::<Option<_>>()?,
        ),
        other => other.clone(),
    })
}

/// The same value with every well-formed type -1 ext turned into a timestamp and malformed
/// ones left as exts: what `RawValue::token` gives.
pub fn timestamps_where_valid(v: &V) -> V {
    match v {
        V::Ext(-1, d) => match msgskim::Timestamp::from_ext_data(d) {
            Ok(ts) => V::Ts(ts.seconds(), ts.nanoseconds()),
            Err(_) => v.clone(),
        },
        V::Array(items) => V::Array(items.iter().map(timestamps_where_valid).collect()),
        V::Map(pairs) => V::Map(
            pairs
                .iter()
                .map(|(k, v)| (timestamps_where_valid(k), timestamps_where_valid(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Splits `len` bytes into chunks whose sizes come from `sizes` (cycled; 0 counts as 1).
pub fn chunk_ends(len: usize, sizes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < len {
        let s = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1) as usize;
        at = (at + s).min(len);
        ends.push(at);
        i += 1;
    }
    ends
}
