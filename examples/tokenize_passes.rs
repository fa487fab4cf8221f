//! One tokenizing pass over generated data, by msgskim or by rmpv, for instruction counting
//! under callgrind (the data generation is excluded with `--toggle-collect`):
//!
//! ```sh
//! cargo build --release --example tokenize_passes
//! valgrind --tool=callgrind --toggle-collect='tokenize_passes::pass_*' \
//!     target/release/examples/tokenize_passes listing msgskim
//! ```
//!
//! Arguments: `listing|numeric` and `msgskim|rmpv`. Prints the bytes, the tokens (or values)
//! and the check sum, so both passes can be seen to do their job.

use std::hint::black_box;

use msgskim::{Token, Tokenizer};

#[inline(never)]
fn pass_msgskim(buf: &[u8]) -> (usize, usize) {
    let mut t = Tokenizer::new(buf);
    let (mut tokens, mut payload) = (0, 0);
    while let Some(tok) = t.next_token().expect("valid data") {
        tokens += 1;
        if let Token::Str(s) = tok {
            payload += s.len();
        }
    }
    (tokens, payload)
}

#[inline(never)]
fn pass_rmpv(buf: &[u8]) -> (usize, usize) {
    let mut rd = buf;
    let mut values = 0;
    while !rd.is_empty() {
        black_box(rmpv::decode::read_value_ref(&mut rd).expect("valid data"));
        values += 1;
    }
    (values, 0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = args.get(1).map_or("listing", String::as_str);
    let who = args.get(2).map_or("msgskim", String::as_str);
    let buf = match data {
        "numeric" => msgskim::gen::numeric(1, 1_000),
        _ => msgskim::gen::listing_of_size(1, 4 << 20),
    };
    let (n, sum) = match who {
        "rmpv" => pass_rmpv(&buf),
        _ => pass_msgskim(&buf),
    };
    println!(
        "{data} {who}: {} bytes, {n} tokens/values, {sum} str bytes",
        buf.len()
    );
}
