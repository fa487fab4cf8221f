//! Writes seed corpora for the fuzz targets: every encoding of the conformance suite, small
//! documents from `msgskim::gen`, and a few hostile shapes (deep nesting, huge declared
//! lengths, bad timestamps, a map cut after a key).
//!
//! Usage: `seeds [CORPUS_DIR] [TARGET...]` (default: `corpus` beside this package, and every
//! target). Targets whose input starts with configuration bytes get each seed under a few
//! configurations.

use std::fs;
use std::path::PathBuf;

use msgskim::gen;
use msgskim::write::Writer;

const TARGETS: &[&str] = &[
    "tokenizer",
    "skip",
    "validate",
    "writer_roundtrip",
    "rmpv_diff",
    "raw_value",
    "stream",
    "query",
    "serde",
    "rows",
    "query_stream",
];

/// Targets whose input starts with configuration bytes rather than MessagePack: each seed is
/// written once under each of these prefixes.
const PREFIXES: &[(&str, &[&[u8]])] = &[
    ("tokenizer", &[&[0x00], &[0x22], &[0x30], &[0x3d]]),
    // stream: mode and limits, buffer limit, chunking threshold, number of chunk sizes, sizes.
    (
        "stream",
        &[
            &[0x00, 0, 5, 0],
            &[0x01, 0, 0, 0],
            &[0x60, 0, 4, 2, 3, 7],
            &[0x61, 0, 9, 3, 1, 64, 2],
            &[0x81, 40, 0, 1, 5],
            // Tokens read in place (`feed_events`): the high bit of the third byte.
            &[0x00, 0, 0x85, 0],
            &[0x60, 0, 0x84, 2, 3, 7],
        ],
    ),
    // query: no parser text, then one or two short paths of keys, indices and wildcards.
    (
        "query",
        &[
            &[0, 0, 1, 0, 1],
            &[0, 1, 2, 8, 0, 2],
            &[0, 2, 1, 9, 8, 1, 6],
        ],
    ),
    // query_stream: path bits (two bytes), buffer limit, number of chunk sizes, sizes.
    (
        "query_stream",
        &[
            &[0x02, 0x00, 0, 1, 1],
            &[0x0e, 0x10, 0, 2, 3, 7],
            &[0x31, 0x00, 0, 3, 1, 64, 2],
            &[0xf1, 0x00, 2, 1, 16],
            &[0x00, 0x8f, 1, 0],
        ],
    ),
];

/// Seeds longer than this are left out: libFuzzer grows its length cap to the longest seed,
/// and short inputs run faster.
const MAX_SEED: usize = 8 * 1024;

fn conformance() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/msgpack-test-suite.json"
    );
    let Ok(text) = fs::read_to_string(path) else {
        eprintln!("seeds: no conformance suite at {path}; generated seeds only");
        return Vec::new();
    };
    // Every string in a "msgpack": [ ... ] array is one encoding, as dash-separated hex.
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\"msgpack\"") {
        rest = &rest[i + 9..];
        let Some(close) = rest.find(']') else { break };
        let list = &rest[..close];
        for hex in list.split('"').skip(1).step_by(2) {
            let bytes: Option<Vec<u8>> = hex
                .split('-')
                .filter(|h| !h.is_empty())
                .map(|h| u8::from_str_radix(h, 16).ok())
                .collect();
            if let Some(b) = bytes {
                out.push(b);
            }
        }
        rest = &rest[close..];
    }
    out
}

fn generated() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for seed in 1..4 {
        out.push(gen::listing(gen::ListingConfig {
            seed,
            entries: 3,
            page_size: 2,
        }));
    }
    for seed in 1..40 {
        let m = gen::messages(seed, 1);
        if m.len() <= MAX_SEED / 4 {
            out.push(m);
        }
    }
    let nums = gen::numeric(1, 1);
    out.push(nums[..nums.len().min(MAX_SEED)].to_vec());
    // Every truncation family: a listing page cut at a few points.
    let page = gen::listing(gen::ListingConfig {
        seed: 9,
        entries: 4,
        page_size: 4,
    });
    for cut in [1, 7, page.len() / 3, page.len() / 2, page.len() - 1] {
        out.push(page[..cut].to_vec());
    }
    out
}

fn hostile() -> Vec<Vec<u8>> {
    let mut out = vec![
        // Declared lengths far beyond the input.
        vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
        vec![0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],
        vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00],
        vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
        vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0],
        // Timestamps: bad nanoseconds (64- and 96-bit), bad lengths.
        vec![0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x00, 0x00, 0x00],
        vec![
            0xc7, 0x0c, 0xff, 0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        vec![0xd5, 0xff, 0x00, 0x00],
        vec![0xc7, 0x05, 0xff, 0, 0, 0, 0, 0],
        // A map with a key and no value; the reserved byte; invalid UTF-8.
        vec![0x81, 0xa1, b'k'],
        vec![0x92, 0xc1, 0xc0],
        vec![0xa2, 0xc3, 0x28],
    ];
    // Nesting deeper than any limit, arrays and maps.
    let mut deep = vec![0x91; 1100];
    deep.push(0xc0);
    out.push(deep);
    let mut deep_map = Vec::new();
    for _ in 0..600 {
        deep_map.extend_from_slice(&[0x81, 0x00]);
    }
    deep_map.push(0xc0);
    out.push(deep_map);
    // Many tiny tokens.
    let mut w = Writer::new(Vec::new());
    let _ = w.array_len(2000);
    for i in 0..2000u64 {
        let _ = w.uint(i % 128);
    }
    out.push(w.into_inner());
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")));
    let mut targets: Vec<String> = args.collect();
    if targets.is_empty() {
        targets = TARGETS.iter().map(|s| s.to_string()).collect();
    }
    let mut seeds = conformance();
    let n_conf = seeds.len();
    seeds.extend(generated());
    seeds.extend(hostile());
    seeds.retain(|s| s.len() <= MAX_SEED);

    for target in &targets {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("create corpus dir");
        let prefixes: &[&[u8]] = PREFIXES
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, p)| *p)
            .unwrap_or(&[]);
        let mut n = 0;
        for (i, s) in seeds.iter().enumerate() {
            if prefixes.is_empty() {
                fs::write(dir.join(format!("seed-{i:04}")), s).expect("write seed");
                n += 1;
            } else {
                for (j, p) in prefixes.iter().enumerate() {
                    let mut b = p.to_vec();
                    b.extend_from_slice(s);
                    fs::write(dir.join(format!("seed-{i:04}-{j}")), b).expect("write seed");
                    n += 1;
                }
            }
        }
        println!("{target}: {n} seeds ({n_conf} encodings from the conformance suite)");
    }
}
