//! MessagePack to JSON, one token at a time, with the fixed mapping documented in `--help`.
//!
//! Nesting is tracked in an explicit stack, so any depth the tokenizer accepts converts without
//! recursion. Output goes into a buffer that the caller drains between values (and, for big
//! values, whenever [`JsonWriter::pending`] grows large and no map key is being captured).

use std::fmt::Write as _;

use msgskim::{Error, ErrorKind, Token};

/// One open container.
struct Frame {
    map: bool,
    /// Items (for maps: keys and values) in the container.
    total: u64,
    /// Items still to come.
    left: u64,
    /// Where the JSON text of a non-str key being captured starts in the buffer.
    key_start: Option<usize>,
}

/// Turns a sequence of tokens into JSON text.
pub struct JsonWriter {
    pretty: bool,
    strict: bool,
    frames: Vec<Frame>,
    /// How many frames are capturing a non-str key (capture output is always compact).
    capturing: usize,
    buf: Vec<u8>,
    /// The length of `buf` at the end of the last complete top-level value.
    boundary: usize,
    /// Values are parts of a larger line: no line end after each, and the caller marks
    /// boundaries.
    inline: bool,
}

impl JsonWriter {
    /// A writer; `pretty` indents by two spaces, `strict` makes invalid UTF-8 an error.
    pub fn new(pretty: bool, strict: bool) -> Self {
        JsonWriter {
            pretty,
            strict,
            frames: Vec::new(),
            capturing: 0,
            buf: Vec::with_capacity(1 << 16),
            boundary: 0,
            inline: false,
        }
    }

    /// With `inline`, top-level values get no line end and do not mark a boundary: the caller
    /// lays out the line with [`push_raw`](Self::push_raw) and calls
    /// [`mark_boundary`](Self::mark_boundary).
    pub fn set_inline(&mut self, inline: bool) {
        self.inline = inline;
    }

    /// Appends bytes as they are (between values only).
    pub fn push_raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Marks the end of the output so far as complete.
    pub fn mark_boundary(&mut self) {
        self.boundary = self.buf.len();
    }

    /// The JSON written so far and not yet taken.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// True when the pending output may be flushed (no map key is being captured).
    pub fn can_flush(&self) -> bool {
        self.capturing == 0
    }

    /// The pending output up to the end of the last complete top-level value.
    pub fn complete(&self) -> &[u8] {
        &self.buf[..self.boundary]
    }

    /// Forgets the pending output (after the caller wrote it out).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.boundary = 0;
    }

    /// True between top-level values.
    #[cfg(test)]
    pub fn at_boundary(&self) -> bool {
        self.frames.is_empty()
    }

    fn layout(&self) -> bool {
        self.pretty && self.capturing == 0
    }

    fn newline_indent(&mut self, depth: usize) {
        self.buf.push(b'\n');
        self.buf.resize(self.buf.len() + 2 * depth, b' ');
    }

    /// Writes one token; `offset` is its byte offset in the input, for errors.
    ///
    /// # Errors
    ///
    /// With `strict`, [`ErrorKind::InvalidUtf8`] for a str that is not UTF-8 and
    /// [`ErrorKind::InvalidTimestamp`] for a malformed type -1 ext.
    pub fn token(&mut self, tok: Token<'_>, offset: u64) -> Result<(), Error> {
        let layout = self.layout();
        let depth = self.frames.len();
        if let Some(f) = self.frames.last_mut() {
            let idx = f.total - f.left;
            let is_key = f.map && idx % 2 == 0;
            let is_value = f.map && !is_key;
            if !is_value {
                if idx > 0 {
                    self.buf.push(b',');
                }
                if layout {
                    self.newline_indent(depth);
                }
            }
            if is_key {
                if let Token::Str(s) = tok {
                    self.string(s.as_bytes(), offset)?;
                    return self.end_item();
                }
                // Capture the key's JSON text, compactly, to write it as a string.
                let f = self.frames.last_mut().expect("a frame");
                f.key_start = Some(self.buf.len());
                self.capturing += 1;
            }
        }
        match tok {
            Token::Nil => self.buf.extend_from_slice(b"null"),
            Token::Bool(b) => self
                .buf
                .extend_from_slice(if b { b"true" } else { b"false" }),
            Token::UInt(v) => push_u64(&mut self.buf, v),
            Token::Int(v) => {
                if v < 0 {
                    self.buf.push(b'-');
                }
                push_u64(&mut self.buf, v.unsigned_abs());
            }
            Token::F32(v) => float(&mut self.buf, f64::from(v), f64::from(v)),
            Token::F64(v) => float(&mut self.buf, v, v),
            Token::Str(s) => self.string(s.as_bytes(), offset)?,
            Token::Bin(b) => {
                self.buf.extend_from_slice(b"{\"$bin\":\"");
                base64(&mut self.buf, b);
                self.buf.extend_from_slice(b"\"}");
            }
            Token::Ext(e) => match (e.ty, e.timestamp()) {
                (_, Some(Ok(t))) => self.timestamp(t),
                (_, Some(Err(t))) if self.strict => {
                    return Err(Error::new(offset, ErrorKind::InvalidTimestamp(t)));
                }
                (ty, _) => {
                    self.buf.extend_from_slice(b"{\"$ext\":{\"type\":");
                    push_display(&mut self.buf, ty);
                    self.buf.extend_from_slice(b",\"data\":\"");
                    base64(&mut self.buf, e.data);
                    self.buf.extend_from_slice(b"\"}}");
                }
            },
            Token::Timestamp(t) => self.timestamp(t),
            Token::Array(n) | Token::Map(n) => {
                let map = matches!(tok, Token::Map(_));
                self.buf.push(if map { b'{' } else { b'[' });
                if n > 0 {
                    let total = if map { 2 * u64::from(n) } else { u64::from(n) };
                    self.frames.push(Frame {
                        map,
                        total,
                        left: total,
                        key_start: None,
                    });
                    return Ok(());
                }
                self.buf.push(if map { b'}' } else { b']' });
            }
            // Token is non-exhaustive in spirit: anything new is written as null rather
            // than breaking the stream.
            #[allow(unreachable_patterns)]
            _ => self.buf.extend_from_slice(b"null"),
        }
        self.end_item()
    }

    fn timestamp(&mut self, t: msgskim::Timestamp) {
        self.buf.extend_from_slice(b"{\"$timestamp\":{\"seconds\":");
        push_display(&mut self.buf, t.seconds());
        self.buf.extend_from_slice(b",\"nanoseconds\":");
        push_display(&mut self.buf, t.nanoseconds());
        self.buf.extend_from_slice(b"}}");
    }

    /// Called after an item (scalar or whole container) is complete.
    fn end_item(&mut self) -> Result<(), Error> {
        loop {
            let Some(f) = self.frames.last_mut() else {
                if !self.inline {
                    self.buf.push(b'\n');
                    self.boundary = self.buf.len();
                }
                return Ok(());
            };
            let idx = f.total - f.left;
            f.left -= 1;
            if f.map && idx % 2 == 0 {
                if let Some(start) = f.key_start.take() {
                    self.capturing -= 1;
                    let text = self.buf.split_off(start);
                    // The captured text is valid UTF-8: it is JSON this writer produced.
                    self.string(&text, 0)?;
                }
                self.buf.push(b':');
                if self.layout() {
                    self.buf.push(b' ');
                }
                return Ok(());
            }
            if f.left > 0 {
                return Ok(());
            }
            let map = f.map;
            self.frames.pop();
            if self.layout() {
                self.newline_indent(self.frames.len());
            }
            self.buf.push(if map { b'}' } else { b']' });
        }
    }

    /// Writes a JSON string from str bytes, replacing invalid UTF-8 with U+FFFD (or failing,
    /// when strict).
    fn string(&mut self, bytes: &[u8], offset: u64) -> Result<(), Error> {
        self.buf.reserve(bytes.len() + 2);
        self.buf.push(b'"');
        if let Ok(s) = core::str::from_utf8(bytes) {
            escape(&mut self.buf, s.as_bytes());
            self.buf.push(b'"');
            return Ok(());
        }
        let mut at = 0usize;
        for chunk in bytes.utf8_chunks() {
            escape(&mut self.buf, chunk.valid().as_bytes());
            at += chunk.valid().len();
            if !chunk.invalid().is_empty() {
                if self.strict {
                    return Err(Error::new(offset + at as u64, ErrorKind::InvalidUtf8));
                }
                self.buf.extend_from_slice("\u{fffd}".as_bytes());
                at += chunk.invalid().len();
            }
        }
        self.buf.push(b'"');
        Ok(())
    }
}

/// Appends the decimal digits of `v`.
fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

fn push_display(buf: &mut Vec<u8>, v: impl std::fmt::Display) {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    let _ = write!(W(buf), "{v}");
}

fn push_exp(buf: &mut Vec<u8>, v: impl std::fmt::LowerExp) {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    let _ = write!(W(buf), "{v:e}");
}

/// Writes a float (`wide`: its value, exactly, as `f64`; `v`: what to print) in the shortest
/// form that reads back as the same `f64`: NaN and the infinities as strings; magnitudes from
/// 1e-5 up to 1e16 in plain decimal with `.0` added to integral values, so a float stays a
/// float; others in exponent form (`1e300`, `1.5e-7`). A float 32 is widened to `f64` first, so
/// a JSON reader gets its exact value (`0.1f32` prints as `0.10000000149011612`).
fn float<F: std::fmt::Display + std::fmt::LowerExp>(buf: &mut Vec<u8>, wide: f64, v: F) {
    if wide.is_nan() {
        buf.extend_from_slice(b"\"NaN\"");
    } else if wide.is_infinite() {
        buf.extend_from_slice(if wide > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else if wide == 0.0 || (1e-5..1e16).contains(&wide.abs()) {
        let start = buf.len();
        push_display(buf, v);
        if !buf[start..].contains(&b'.') {
            buf.extend_from_slice(b".0");
        }
    } else {
        push_exp(buf, v);
    }
}

/// Which bytes JSON strings must escape: the control characters, `"` and `\\`.
const ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` with JSON escapes (`s` is valid UTF-8).
fn escape(buf: &mut Vec<u8>, s: &[u8]) {
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if !ESCAPED[usize::from(b)] {
            continue;
        }
        buf.extend_from_slice(&s[run..i]);
        run = i + 1;
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 15)]);
                continue;
            }
        };
        buf.extend_from_slice(esc);
    }
    buf.extend_from_slice(&s[run..]);
}

/// Appends standard base64 (RFC 4648, with padding).
pub fn base64(buf: &mut Vec<u8>, data: &[u8]) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        buf.extend_from_slice(&[
            A[(n >> 18) as usize & 63],
            A[(n >> 12) as usize & 63],
            A[(n >> 6) as usize & 63],
            A[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            buf.extend_from_slice(&[A[(n >> 18) as usize & 63], A[(n >> 12) as usize & 63]]);
            buf.extend_from_slice(b"==");
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            buf.extend_from_slice(&[
                A[(n >> 18) as usize & 63],
                A[(n >> 12) as usize & 63],
                A[(n >> 6) as usize & 63],
            ]);
            buf.push(b'=');
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &[u8], pretty: bool) -> String {
        let mut w = JsonWriter::new(pretty, false);
        let mut t = msgskim::Tokenizer::new(bytes);
        loop {
            let off = t.position() as u64;
            match t.next_token().unwrap() {
                Some(tok) => w.token(tok, off).unwrap(),
                None => break,
            }
        }
        assert!(w.at_boundary());
        String::from_utf8(w.pending().to_vec()).unwrap()
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut b = Vec::new();
            base64(&mut b, i.as_bytes());
            assert_eq!(b, o.as_bytes());
        }
    }

    #[test]
    fn integers_print_like_display() {
        let mut w = msgskim::write::Writer::new(Vec::new());
        let us = [
            0,
            1,
            9,
            10,
            99,
            100,
            12345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ];
        let is = [-1, -9, -10, -128, -32769, i64::MIN + 1, i64::MIN];
        for v in us {
            w.uint(v).unwrap();
        }
        for v in is {
            w.int(v).unwrap();
        }
        let want: Vec<String> = us
            .iter()
            .map(u64::to_string)
            .chain(is.iter().map(i64::to_string))
            .collect();
        assert_eq!(
            json(&w.into_inner(), false).lines().collect::<Vec<_>>(),
            want
        );
    }

    #[test]
    fn floats() {
        let mut w = msgskim::write::Writer::new(Vec::new());
        for v in [
            1.0,
            -0.0,
            0.1,
            1e15,
            1e16,
            1.5e-7,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            w.f64(v).unwrap();
        }
        w.f32(0.1).unwrap();
        w.f64(f64::NAN).unwrap();
        w.f64(f64::NEG_INFINITY).unwrap();
        let out = json(&w.into_inner(), false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "1.0",
                "-0.0",
                "0.1",
                "1000000000000000.0",
                "1e16",
                "1.5e-7",
                "1e300",
                "1.7976931348623157e308",
                "2.2250738585072014e-308",
                "0.10000000149011612",
                "\"NaN\"",
                "\"-Infinity\"",
            ]
        );
    }

    #[test]
    fn non_str_keys_and_nesting() {
        // {1: [], [nil, {2: true}]: {}, "k\n": "v"}
        let bytes = b"\x83\x01\x90\x92\xc0\x81\x02\xc3\x80\xa2k\n\xa1v";
        assert_eq!(
            json(bytes, false),
            "{\"1\":[],\"[null,{\\\"2\\\":true}]\":{},\"k\\n\":\"v\"}\n"
        );
        assert_eq!(
            json(bytes, true),
            "{\n  \"1\": [],\n  \"[null,{\\\"2\\\":true}]\": {},\n  \"k\\n\": \"v\"\n}\n"
        );
    }

    #[test]
    fn lossy_and_control() {
        assert_eq!(json(b"\xa3a\xffb", false), "\"a\u{fffd}b\"\n");
        assert_eq!(json(b"\xa2\x01\x1f", false), "\"\\u0001\\u001f\"\n");
        let mut w = JsonWriter::new(false, true);
        let e = w.token(msgskim::Token::Str(msgskim::Str::new(b"ab\xff")), 10);
        assert_eq!(e.unwrap_err().offset(), 12);
    }
}
