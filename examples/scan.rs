//! Tokenizes a MessagePack file and prints what it holds: top-level values, tokens by type,
//! payload bytes, and the throughput of the pass.
//!
//! `cargo run --release --example scan -- tests/data/sample-listing.msgpack`

use std::time::Instant;

use msgskim::{Token, Tokenizer};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/data/sample-listing.msgpack".into());
    let buf = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("scan: cannot read {path}: {e}");
            std::process::exit(3);
        }
    };
    let started = Instant::now();
    let mut t = Tokenizer::new(&buf);
    let mut by_type = [0usize; 8];
    let (mut tops, mut payload) = (0usize, 0usize);
    loop {
        match t.next_token() {
            Ok(Some(tok)) => {
                let slot = match tok {
                    Token::Nil | Token::Bool(_) => 0,
                    Token::UInt(_) | Token::Int(_) => 1,
                    Token::F32(_) | Token::F64(_) => 2,
                    Token::Str(s) => {
                        payload += s.len();
                        3
                    }
                    Token::Bin(b) => {
                        payload += b.len();
                        4
                    }
                    Token::Ext(e) => {
                        payload += e.data.len();
                        5
                    }
                    Token::Timestamp(_) => 5,
                    Token::Array(_) => 6,
                    Token::Map(_) => 7,
                };
                by_type[slot] += 1;
                if t.is_at_boundary() {
                    tops += 1;
                }
            }
            Ok(None) => break,
            Err(e) => {
                eprintln!("scan: {path}: {e}");
                std::process::exit(1);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let tokens: usize = by_type.iter().sum();
    println!(
        "{path}: {} bytes, {tops} top-level values, {tokens} tokens",
        buf.len()
    );
    for (name, n) in [
        "nil/bool",
        "int",
        "float",
        "str",
        "bin",
        "ext/timestamp",
        "array",
        "map",
    ]
    .iter()
    .zip(by_type)
    {
        println!("  {name:>14}: {n}");
    }
    println!("  payload bytes : {payload}");
    println!(
        "tokenized in {:.3} ms ({:.0} MB/s)",
        secs * 1e3,
        buf.len() as f64 / secs.max(1e-9) / 1e6
    );
}
