//! `msgskim stats`: what a file is made of.

use msgskim::{Limits, Token};

use crate::input::Input;
use crate::{drive, Fail, Out, TokenSink};

/// Token kinds in the order they are reported.
const KINDS: [&str; 12] = [
    "nil",
    "bool",
    "uint",
    "int",
    "float32",
    "float64",
    "str",
    "bin",
    "ext",
    "timestamp",
    "array",
    "map",
];

#[derive(Default)]
struct Stats {
    values: u64,
    bytes: u64,
    tokens: [u64; 12],
    max_depth: usize,
    str_bytes: u64,
    bin_bytes: u64,
    ext_bytes: u64,
    /// (elements, offset) of the largest array.
    largest_array: Option<(u32, u64)>,
    /// (pairs, offset) of the largest map.
    largest_map: Option<(u32, u64)>,
}

impl Stats {
    fn add(&mut self, tok: &Token<'_>, at: u64, depth: usize) {
        let kind = match *tok {
            Token::Nil => 0,
            Token::Bool(_) => 1,
            Token::UInt(_) => 2,
            Token::Int(_) => 3,
            Token::F32(_) => 4,
            Token::F64(_) => 5,
            Token::Str(s) => {
                self.str_bytes += s.len() as u64;
                6
            }
            Token::Bin(b) => {
                self.bin_bytes += b.len() as u64;
                7
            }
            Token::Ext(e) => {
                self.ext_bytes += e.data.len() as u64;
                8
            }
            Token::Timestamp(_) => 9,
            Token::Array(n) => {
                if self.largest_array.is_none_or_less(n) {
                    self.largest_array = Some((n, at));
                }
                10
            }
            Token::Map(n) => {
                if self.largest_map.is_none_or_less(n) {
                    self.largest_map = Some((n, at));
                }
                11
            }
            #[allow(unreachable_patterns)]
            _ => return,
        };
        self.tokens[kind] += 1;
        self.max_depth = self.max_depth.max(depth);
        if depth == 0 {
            self.values += 1;
        }
    }

    fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let total: u64 = self.tokens.iter().sum();
        let _ = writeln!(s, "values        {}", self.values);
        let _ = writeln!(s, "bytes         {}", self.bytes);
        let _ = writeln!(s, "max depth     {}", self.max_depth);
        let _ = writeln!(s, "tokens        {total}");
        for (k, n) in KINDS.iter().zip(self.tokens) {
            let _ = writeln!(s, "  {k:<11} {n}");
        }
        let _ = writeln!(s, "str bytes     {}", self.str_bytes);
        let _ = writeln!(s, "bin bytes     {}", self.bin_bytes);
        let _ = writeln!(s, "ext bytes     {}", self.ext_bytes);
        match self.largest_array {
            Some((n, at)) => {
                let _ = writeln!(s, "largest array {n} elements at byte {at}");
            }
            None => s.push_str("largest array none\n"),
        }
        match self.largest_map {
            Some((n, at)) => {
                let _ = writeln!(s, "largest map   {n} pairs at byte {at}");
            }
            None => s.push_str("largest map   none\n"),
        }
        s
    }

    fn json(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"values\":{},\"bytes\":{},\"max_depth\":{},\"tokens\":{{",
            self.values, self.bytes, self.max_depth
        );
        for (i, (k, n)) in KINDS.iter().zip(self.tokens).enumerate() {
            let _ = write!(s, "{}\"{k}\":{n}", if i > 0 { "," } else { "" });
        }
        let _ = write!(
            s,
            "}},\"str_bytes\":{},\"bin_bytes\":{},\"ext_bytes\":{}",
            self.str_bytes, self.bin_bytes, self.ext_bytes
        );
        for (name, l) in [
            ("largest_array", self.largest_array),
            ("largest_map", self.largest_map),
        ] {
            match l {
                Some((n, at)) => {
                    let _ = write!(s, ",\"{name}\":{{\"len\":{n},\"offset\":{at}}}");
                }
                None => {
                    let _ = write!(s, ",\"{name}\":null");
                }
            }
        }
        s.push_str("}\n");
        s
    }
}

trait NoneOrLess {
    fn is_none_or_less(&self, n: u32) -> bool;
}

impl NoneOrLess for Option<(u32, u64)> {
    fn is_none_or_less(&self, n: u32) -> bool {
        self.map_or(true, |(m, _)| n > m)
    }
}

impl TokenSink for Stats {
    #[inline]
    fn token(&mut self, tok: Token<'_>, at: u64, depth: usize) -> Result<(), Fail> {
        self.add(&tok, at, depth);
        Ok(())
    }
}

/// Runs `stats` on `file`.
///
/// # Errors
///
/// [`Fail::Data`] for invalid input, [`Fail::Io`] for I/O errors.
pub fn run(file: Option<&str>, limits: Limits, json: bool) -> Result<(), Fail> {
    let input = Input::open(file)?;
    let mut st = Stats::default();
    st.bytes = drive(input, limits, &mut st)?;
    let mut out = Out::new();
    out.write(if json { st.json() } else { st.text() }.as_bytes())?;
    out.flush()
}
