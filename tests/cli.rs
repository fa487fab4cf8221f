//! The `msgskim` command-line tool, run as a real process: every subcommand, the JSON mapping on
//! the conformance suite, chunked standard input, errors and exit codes.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use msgskim::gen::{self, ListingConfig};
use msgskim::{Token, Tokenizer};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_msgskim");
const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/msgpack-test-suite.json"
);
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/sample-listing.msgpack"
);

/// A fresh file path under cargo's scratch directory for integration tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The binary started with `args`, its standard streams all pipes.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the msgskim binary runs")
}

/// Runs msgskim with `args`, feeding `stdin` (all at once) to it.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(args);
    let mut sin = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The child may exit before reading everything (on errors): ignore a broken pipe.
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn hex(s: &str) -> Vec<u8> {
    s.split('-')
        .filter(|p| !p.is_empty())
        .map(|p| u8::from_str_radix(p, 16).unwrap())
        .collect()
}

fn unbase64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let s = s.as_bytes();
    assert_eq!(s.len() % 4, 0, "padded base64");
    let mut out = Vec::new();
    for q in s.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &c in q {
            n <<= 6;
            if c == b'=' {
                pad += 1;
            } else {
                assert_eq!(pad, 0, "padding only at the end");
                n |= A.iter().position(|&a| a == c).expect("base64 alphabet") as u32;
            }
        }
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

/// Checks one JSON output value against a conformance case's expected value.
fn check_case(kind: &str, want: &Value, case: &Value, enc: &[u8], got: &Value) {
    let ctx = format!("{kind} {want} from {enc:02x?}: got {got}");
    match kind {
        "nil" => assert!(got.is_null(), "{ctx}"),
        "bool" | "string" | "array" | "map" => assert_eq!(got, want, "{ctx}"),
        "binary" => {
            let b = got["$bin"].as_str().expect(&ctx);
            assert_eq!(got.as_object().unwrap().len(), 1, "{ctx}");
            assert_eq!(unbase64(b), hex(want.as_str().unwrap()), "{ctx}");
        }
        "number" | "bignum" => {
            let n = got.as_number().expect(&ctx);
            if matches!(enc[0], 0xca | 0xcb) {
                assert!(n.is_f64(), "a float stays a float: {ctx}");
                let exact = case["number"].as_f64().expect(&ctx);
                assert_eq!(n.as_f64(), Some(exact), "{ctx}");
            } else {
                assert!(!n.is_f64(), "an integer stays an integer: {ctx}");
                let got: i128 = n
                    .as_i64()
                    .map(i128::from)
                    .or(n.as_u64().map(i128::from))
                    .expect(&ctx);
                let exact: i128 = match case.get("bignum") {
                    Some(b) => b.as_str().unwrap().parse().unwrap(),
                    None => {
                        let w = case["number"].as_number().unwrap();
                        w.as_i64().map(i128::from).expect(&ctx)
                    }
                };
                assert_eq!(got, exact, "{ctx}");
            }
        }
        "timestamp" => {
            let t = &got["$timestamp"];
            assert_eq!(t["seconds"], want[0], "{ctx}");
            assert_eq!(t["nanoseconds"], want[1], "{ctx}");
            assert_eq!(t.as_object().unwrap().len(), 2, "{ctx}");
        }
        "ext" => {
            let e = &got["$ext"];
            assert_eq!(e["type"], want[0], "{ctx}");
            assert_eq!(
                unbase64(e["data"].as_str().expect(&ctx)),
                hex(want[1].as_str().unwrap()),
                "{ctx}"
            );
        }
        _ => panic!("unknown case kind {kind}"),
    }
}

/// Every encoding of every conformance case, as (kind, expected, case, bytes).
fn conformance() -> Vec<(String, Value, Value, Vec<u8>)> {
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(SUITE).unwrap()).unwrap();
    let mut all = Vec::new();
    for cases in suite.as_object().unwrap().values() {
        for case in cases.as_array().unwrap() {
            let obj = case.as_object().unwrap();
            let kind = ["nil", "bool", "binary", "bignum", "number"]
                .into_iter()
                .chain(["string", "array", "map", "timestamp", "ext"])
                .find(|k| obj.contains_key(*k))
                .expect("a known kind");
            for enc in case["msgpack"].as_array().unwrap() {
                all.push((
                    kind.to_string(),
                    case[kind].clone(),
                    case.clone(),
                    hex(enc.as_str().unwrap()),
                ));
            }
        }
    }
    all
}

#[test]
fn json_mapping_on_the_conformance_suite() {
    let cases = conformance();
    assert_eq!(cases.len(), 233, "every encoding of the suite");
    // All encodings back to back, as one stream: one JSON line each.
    let stream: Vec<u8> = cases.iter().flat_map(|c| c.3.clone()).collect();
    let file = write_file("conformance.msgpack", &stream);
    for args in [
        vec!["json", file.to_str().unwrap()],
        vec!["json"],
        vec!["json", "--strict", "-"],
    ] {
        let o = run(&args, &stream);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), cases.len(), "{args:?}");
        for ((kind, want, case, enc), line) in cases.iter().zip(&lines) {
            let got: Value = serde_json::from_str(line).expect(line);
            check_case(kind, want, case, enc, &got);
        }
    }
    // --pretty prints the same values.
    let o = run(&["json", "--pretty", file.to_str().unwrap()], b"");
    assert_eq!(code(&o), 0);
    let pretty = stdout(&o);
    let values: Vec<Value> = serde_json::Deserializer::from_str(&pretty)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(values.len(), cases.len());
    for ((kind, want, case, enc), got) in cases.iter().zip(&values) {
        check_case(kind, want, case, enc, got);
    }
}

#[test]
fn json_special_values() {
    let mut w = msgskim::write::Writer::new(Vec::new());
    // {1: nil, [true, -2]: 1.0, "bad\xff": NaN, "i": -inf, "x": u64::MAX, "y": i64::MIN}
    w.map_len(7).unwrap();
    w.uint(1).unwrap();
    w.nil().unwrap();
    w.array_len(2).unwrap();
    w.bool(true).unwrap();
    w.int(-2).unwrap();
    w.f64(1.0).unwrap();
    w.raw(b"\xa4bad\xff").unwrap();
    w.f32(f32::NAN).unwrap();
    w.str("i").unwrap();
    w.f64(f64::NEG_INFINITY).unwrap();
    w.str("x").unwrap();
    w.uint(u64::MAX).unwrap();
    w.str("y").unwrap();
    w.int(i64::MIN).unwrap();
    w.str("ctl\"\\").unwrap();
    w.str("\u{1}\t").unwrap();
    let bytes = w.into_inner();
    let o = run(&["json"], &bytes);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"1\":null,\"[true,-2]\":1.0,\"bad\u{fffd}\":\"NaN\",\"i\":\"-Infinity\",\
         \"x\":18446744073709551615,\"y\":-9223372036854775808,\"ctl\\\"\\\\\":\"\\u0001\\t\"}\n"
    );
    // --strict refuses the invalid UTF-8, pointing at the bad byte.
    let bad_at = bytes.iter().position(|&b| b == 0xff).unwrap();
    let o = run(&["json", "--strict"], &bytes);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(&format!("at byte {bad_at}")),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "one line: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "no partial value is printed");
}

#[test]
fn json_malformed_timestamp_is_an_ext_unless_strict() {
    // ext type -1 with 3 bytes of data: not a valid timestamp form. Then a good value.
    let bytes = [0xc7, 0x03, 0xff, 1, 2, 3, 0x01];
    let o = run(&["json"], &bytes);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"$ext\":{\"type\":-1,\"data\":\"AQID\"}}\n1\n"
    );
    let o = run(&["json", "--strict"], &bytes);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("at byte 0"), "{}", stderr(&o));
}

/// The same bytes through a mapped file and through a pipe give the same output.
#[test]
fn mapped_and_streamed_input_agree() {
    let data = [
        gen::listing(ListingConfig {
            seed: 5,
            entries: 2_500,
            page_size: 1_000,
        }),
        gen::messages(5, 60),
        gen::numeric(5, 3),
    ]
    .concat();
    let file = write_file("mixed.msgpack", &data);
    let f = file.to_str().unwrap();
    for sub in [
        &["json"][..],
        &["json", "--pretty"],
        &["stats"],
        &["check"],
        &["get", ".Entries[*].n", ".Entries[*].s"],
        &["get", ".*"],
    ] {
        let mapped = run(&[sub, &[f]].concat(), b"");
        let piped = run(&[sub, &["-"]].concat(), &data);
        // Standard input redirected from the file is mapped too.
        let redirected = Command::new(BIN)
            .args(sub)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert_eq!(code(&mapped), 0, "{sub:?}: {}", stderr(&mapped));
        assert!(!mapped.stdout.is_empty());
        for o in [&piped, &redirected] {
            assert_eq!(mapped.stdout, o.stdout, "{sub:?}");
            // No progress bar (nor anything else) when stderr is not a terminal.
            assert_eq!(stderr(o), "", "{sub:?}");
        }
    }
}

/// The binary started with `args`, its standard input a pipe held open by the caller, and its
/// standard output read line by line into a channel by a thread, so that the test sees each
/// line as soon as it is printed.
fn piped(
    args: &[&str],
) -> (
    std::process::Child,
    std::process::ChildStdin,
    mpsc::Receiver<String>,
    std::thread::JoinHandle<()>,
) {
    let mut child = spawn(args);
    let sin = child.stdin.take().unwrap();
    let (line_tx, line_rx) = mpsc::channel::<String>();
    let sout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(sout).lines() {
            if line_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    (child, sin, line_rx, reader)
}

/// A writer thread feeds standard input slowly, in small uneven chunks; each value comes out
/// as soon as it is complete, before the input ends.
#[test]
fn chunked_stdin_streams_values_out_as_they_complete() {
    let msgs = gen::messages(11, 30);
    let mut bounds = vec![0];
    while *bounds.last().unwrap() < msgs.len() {
        let end = msgskim::skip_value(&msgs, *bounds.last().unwrap()).unwrap();
        bounds.push(end);
    }
    let expected = stdout(&run(
        &["json", write_file("msgs.msgpack", &msgs).to_str().unwrap()],
        b"",
    ));
    let expected: Vec<&str> = expected.lines().collect();
    assert_eq!(expected.len(), 30);

    let (mut child, mut sin, line_rx, reader) = piped(&["json", "-"]);
    let mut sizes = [1usize, 7, 300, 2, 4096, 13].into_iter().cycle();
    let mut got = Vec::new();
    for v in 0..30 {
        // Send value v in several chunks, holding back its last byte for a moment.
        let (start, end) = (bounds[v], bounds[v + 1]);
        let mut pos = start;
        while pos < end - 1 {
            let n = sizes.next().unwrap().min(end - 1 - pos);
            sin.write_all(&msgs[pos..pos + n]).unwrap();
            sin.flush().unwrap();
            pos += n;
        }
        // Nothing for value v can be printed before its last byte is sent.
        assert!(
            line_rx.recv_timeout(Duration::from_millis(20)).is_err(),
            "value {v} printed before it was complete"
        );
        sin.write_all(&msgs[end - 1..end]).unwrap();
        sin.flush().unwrap();
        // Its line arrives while standard input is still open.
        let line = line_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a line for every completed value while input is still open");
        got.push(line);
    }
    drop(sin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success());
    assert_eq!(got, expected);
}

/// One top-level value on a pipe (a single listing page) is queried as it arrives: `get` prints
/// the names of the entries already sent while the rest of the page is still to come, and the
/// whole output is that of the same bytes read from a file.
#[test]
fn get_resumes_inside_one_top_level_value_on_a_pipe() {
    let page = gen::listing(ListingConfig {
        seed: 31,
        entries: 2_000,
        page_size: 2_000,
    });
    assert_eq!(msgskim::skip_value(&page, 0), Ok(page.len()));
    let file = write_file("one-page.msgpack", &page);
    // Matches, and rows (two paths under one `[*]`).
    for paths in [
        [".Entries[*].n", ".Flags"],
        [".Entries[*].n", ".Entries[*].s"],
    ] {
        let expected = stdout(&run(
            &[&["get"][..], &paths, &[file.to_str().unwrap()]].concat(),
            b"",
        ));
        let expected: Vec<String> = expected.lines().map(str::to_owned).collect();
        assert!(expected.len() >= 2_000, "{paths:?}");

        let (mut child, mut sin, line_rx, reader) = piped(&[&["get"][..], &paths, &["-"]].concat());
        // The first half of the page, in small pieces.
        let half = page.len() / 2;
        for piece in page[..half].chunks(1000) {
            sin.write_all(piece).unwrap();
            sin.flush().unwrap();
        }
        let mut got = vec![line_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("names printed before the page is complete")];
        // Everything printed so far comes from the first half.
        while let Ok(line) = line_rx.recv_timeout(Duration::from_millis(200)) {
            got.push(line);
        }
        assert!(got.len() > 500 && got.len() < 1_500, "{}", got.len());
        sin.write_all(&page[half..]).unwrap();
        drop(sin);
        let status = child.wait().unwrap();
        reader.join().unwrap();
        got.extend(line_rx.try_iter());
        assert!(status.success());
        assert_eq!(got, expected, "{paths:?}");
    }

    // Cut short or damaged: the same names, then the same error, as from the file.
    let mut bad = page.clone();
    let entry = msgskim::query::Query::new(".Entries[700]")
        .unwrap()
        .first(&page)
        .unwrap()
        .unwrap()
        .offset();
    bad[entry] = 0xc1;
    for (data, paths) in [
        (&page[..page.len() * 2 / 3], &[".Entries[*].n"][..]),
        (&bad[..], &[".Entries[*].n"]),
        (
            &page[..page.len() * 2 / 3],
            &[".Entries[*].n", ".Entries[*].s"],
        ),
        (&bad[..], &[".Entries[*].n", ".Entries[*].s"]),
    ] {
        let f = write_file("one-page-bad.msgpack", data);
        let from_file = run(&[&["get"][..], paths, &[f.to_str().unwrap()]].concat(), b"");
        let piped = run(&[&["get"][..], paths, &["-"]].concat(), data);
        assert_eq!(code(&from_file), 1);
        assert!(from_file.stdout.len() > 1000);
        assert_eq!(
            (code(&piped), &piped.stdout, stderr(&piped)),
            (code(&from_file), &from_file.stdout, stderr(&from_file))
        );
    }
}

#[test]
fn check_reports_offsets_and_exit_codes() {
    let data = gen::listing(ListingConfig {
        seed: 2,
        entries: 500,
        page_size: 200,
    });
    let file = write_file("check.msgpack", &data);
    let o = run(&["check", file.to_str().unwrap()], b"");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let tokens = Tokenizer::new(&data).count();
    assert_eq!(
        stdout(&o),
        format!(
            "ok: 3 values, {tokens} tokens, {} bytes, max depth 3\n",
            data.len()
        )
    );
    assert!(run(&["check", "-q", file.to_str().unwrap()], b"")
        .stdout
        .is_empty());

    // Cut short: the error names the offset of the token that is cut short.
    let cut = data.len() - 10;
    let mut t = Tokenizer::new(&data[..cut]);
    let want = t.find_map(Result::err).unwrap();
    let cut_file = write_file("cut.msgpack", &data[..cut]);
    for (args, input) in [
        (vec!["check", cut_file.to_str().unwrap()], &[][..]),
        (vec!["check"], &data[..cut]),
    ] {
        let o = run(&args, input);
        assert_eq!(code(&o), 1, "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("msgskim: invalid MessagePack: truncated input at byte "),
            "{err}"
        );
        assert!(
            err.contains(&format!("at byte {}", want.offset())),
            "{err} vs {want}"
        );
    }

    // A reserved byte in the middle.
    let mut t = Tokenizer::new(&data);
    let mut starts = Vec::new();
    while !t.remaining().is_empty() {
        starts.push(t.position());
        t.next_token().unwrap();
    }
    let at = starts[starts.len() / 2];
    let mut bad = data.clone();
    bad[at] = 0xc1;
    for path in [None, Some(write_file("reserved.msgpack", &bad))] {
        let o = match &path {
            None => run(&["check"], &bad),
            Some(p) => run(&["check", p.to_str().unwrap()], b""),
        };
        assert_eq!(code(&o), 1);
        assert!(
            stderr(&o).contains(&format!("0xc1 at byte {at}")),
            "{}",
            stderr(&o)
        );
    }

    // --utf8 asks for valid strings.
    let o = run(&["check", "--utf8"], b"\x92\xa1a\xa2\xc3\x28");
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("UTF-8 in a string at byte 4"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&run(&["check"], b"\x92\xa1a\xa2\xc3\x28")), 0);

    // Depth limit.
    let deep = [vec![0x91u8; 300], vec![0xc0]].concat();
    let o = run(&["check"], &deep);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("limit of 256 at byte 256"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&run(&["check", "--max-depth", "1000"], &deep)), 0);

    // Empty input is valid and holds nothing.
    let o = run(&["check"], b"");
    assert_eq!(stdout(&o), "ok: 0 values, 0 tokens, 0 bytes, max depth 0\n");
    let o = run(
        &["check", write_file("empty.msgpack", b"").to_str().unwrap()],
        b"",
    );
    assert_eq!(stdout(&o), "ok: 0 values, 0 tokens, 0 bytes, max depth 0\n");
}

#[test]
fn usage_and_io_errors() {
    let o = run(&["frobnicate"], b"");
    assert_eq!(code(&o), 2);
    let o = run(&["gen", "listing", "--size", "lots"], b"");
    assert_eq!(code(&o), 2);
    let missing = scratch("does-not-exist.msgpack");
    let o = run(&["json", missing.to_str().unwrap()], b"");
    assert_eq!(code(&o), 3);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read") && err.contains("does-not-exist"),
        "{err}"
    );
    let dir = scratch("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let o = run(&["stats", dir.to_str().unwrap()], b"");
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("a-directory: it is a directory"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--help"], b"");
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Exit codes"));
    let o = run(&["json", "--help"], b"");
    assert!(
        stdout(&o).contains("{\"$bin\":\"<base64>\"}"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn broken_pipe_exits_quietly() {
    let data = gen::listing(ListingConfig {
        seed: 8,
        entries: 200_000,
        page_size: 10_000,
    });
    let file = write_file("big.msgpack", &data);
    let mut child = Command::new(BIN)
        .args(["json", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    sout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"{\"UUID\":"));
    drop(sout);
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0);
    assert_eq!(stderr(&o), "");
}

#[test]
fn stats_counts_what_the_tokenizer_sees() {
    let data = [gen::messages(4, 50), gen::numeric(4, 2)].concat();
    let o = run(&["stats", "--json"], &data);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let (mut bins, mut bin_bytes, mut ts, mut floats, mut largest) = (0, 0, 0, 0, 0);
    for t in Tokenizer::new(&data) {
        match t.unwrap() {
            Token::Bin(b) => {
                bins += 1;
                bin_bytes += b.len() as u64;
            }
            Token::Timestamp(_) => ts += 1,
            Token::F32(_) | Token::F64(_) => floats += 1,
            Token::Array(n) => largest = largest.max(n),
            _ => {}
        }
    }
    assert_eq!(s["values"], 52);
    assert_eq!(s["bytes"], data.len());
    assert_eq!(s["tokens"]["bin"], bins);
    assert_eq!(s["tokens"]["timestamp"], ts);
    assert_eq!(s["tokens"]["map"], 50);
    assert_eq!(s["tokens"]["array"], 2);
    assert_eq!(
        s["tokens"]["float32"].as_u64().unwrap() + s["tokens"]["float64"].as_u64().unwrap(),
        floats
    );
    assert_eq!(s["bin_bytes"], bin_bytes);
    assert_eq!(s["max_depth"], 1);
    assert_eq!(s["largest_array"]["len"], largest);
    assert_eq!(s["largest_array"]["offset"], gen::messages(4, 50).len());
    let total: u64 = s["tokens"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, Tokenizer::new(&data).count() as u64);
    // The text form reports the same numbers.
    let text = stdout(&run(&["stats"], &data));
    assert!(
        text.contains(&format!("bin bytes     {bin_bytes}\n")),
        "{text}"
    );
    assert!(text.contains("values        52\n"), "{text}");
}

#[test]
fn gen_is_seeded_and_sized() {
    let o = run(
        &[
            "gen",
            "listing",
            "-n",
            "250",
            "--page-size",
            "100",
            "--seed",
            "3",
        ],
        b"",
    );
    assert_eq!(code(&o), 0);
    assert_eq!(
        o.stdout,
        gen::listing(ListingConfig {
            seed: 3,
            entries: 250,
            page_size: 100,
        })
    );
    let path = scratch("gen-msgs.msgpack");
    let o = run(
        &[
            "gen",
            "messages",
            "--size",
            "300k",
            "-o",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() >= 300 << 10);
    assert!(msgskim::validate(&bytes).is_ok());
    // Prefix of the same seed's sequence: the generator's own output for that many messages.
    let n = Tokenizer::new(&bytes)
        .filter(|t| matches!(t, Ok(Token::Map(4))))
        .count();
    assert_eq!(bytes, gen::messages(1, n));
    let o = run(&["gen", "numeric", "-n", "2"], b"");
    assert_eq!(o.stdout, gen::numeric(1, 2));
    let o = run(&["gen", "listing", "--size", "100k"], b"");
    assert!(o.stdout.len() >= 100 << 10);
    assert!(msgskim::validate(&o.stdout).is_ok());
}

/// The sample bundled for the README is what `msgskim gen` makes.
#[test]
fn bundled_sample_is_generated() {
    let sample = std::fs::read(SAMPLE).unwrap();
    let o = run(
        &[
            "gen",
            "listing",
            "-n",
            "300",
            "--page-size",
            "120",
            "--seed",
            "1",
        ],
        b"",
    );
    assert_eq!(
        o.stdout, sample,
        "regenerate tests/data/sample-listing.msgpack"
    );
}

/// Names and sizes of every entry of a listing dump, read with the crate's RawValue API.
fn entries(dump: &[u8]) -> Vec<(String, Option<i64>)> {
    let mut out = Vec::new();
    for page in msgskim::RawValue::all(dump) {
        let page = page.unwrap();
        for e in page.get("Entries").unwrap().iter().unwrap() {
            let name = e.get("n").unwrap().as_str().unwrap().to_owned();
            out.push((name, e.get("s").and_then(|s| s.as_i64())));
        }
    }
    out
}

#[test]
fn get_names_counts_rows_tsv_and_raw() {
    let dump = gen::listing(ListingConfig {
        seed: 21,
        entries: 2_345,
        page_size: 1_000,
    });
    let want = entries(&dump);
    assert_eq!(want.len(), 2_345);
    let file = write_file("get.msgpack", &dump);
    let f = file.to_str().unwrap();

    // One JSON line per name, in document order; the same from standard input.
    let names: Vec<String> = want
        .iter()
        .map(|(n, _)| serde_json::to_string(n).unwrap())
        .collect();
    for o in [
        run(&["get", ".Entries[*].n", f], b""),
        run(&["get", ".Entries[*].n"], &dump),
    ] {
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), names);
    }
    let o = run(&["get", ".Entries[*].n", "--count", f], b"");
    assert_eq!(stdout(&o), "2345\n");
    let o = run(&["get", "--count", ".Entries[*].s", "-"], &dump);
    let sized = want.iter().filter(|(_, s)| s.is_some()).count();
    assert_eq!(stdout(&o), format!("{sized}\n"));

    // Two paths under one [*]: one row per entry, a missing size as null.
    let o = run(&["get", ".Entries[*].n", ".Entries[*].s", f], b"");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows: Vec<(String, Option<i64>)> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(rows, want);
    let each = run(&["get", "--each", ".Entries[*]", ".n", ".s", f], b"");
    assert_eq!(each.stdout, o.stdout);

    // TSV: text as is, a missing field empty.
    let o = run(
        &[
            "get",
            "--format",
            "tsv",
            ".Entries[*].n",
            ".Entries[*].s",
            f,
        ],
        b"",
    );
    let tsv: Vec<String> = want
        .iter()
        .map(|(n, s)| format!("{n}\t{}", s.map(|s| s.to_string()).unwrap_or_default()))
        .collect();
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), tsv);

    // Raw: the matched values' own bytes, back to back.
    let o = run(&["get", "--raw", ".Flags", f], b"");
    assert_eq!(o.stdout, [0x01, 0x01, 0x00]);
    let o = run(&["get", "--raw", ".Entries[*].n", ".Entries[*].s", f], b"");
    let mut got = Vec::new();
    for row in msgskim::RawValue::all(&o.stdout) {
        let row = row.unwrap();
        assert_eq!(row.len(), Some(2));
        let n = row.index(0).unwrap().as_str().unwrap().to_owned();
        let s = row.index(1).unwrap();
        got.push((n, if s.is_nil() { None } else { s.as_i64() }));
    }
    assert_eq!(got, want);

    // Per page, with the root as the row.
    let o = run(
        &["get", "--each", ".", ".ContinuationToken", ".Flags", f],
        b"",
    );
    let pages: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0][0], serde_json::json!(want[999].0));
    assert_eq!(pages[2], serde_json::json!(["", 0]));
    // Separate paths with no shared wildcard: each match on its own line, in order.
    let o = run(&["get", ".Flags", ".ContinuationToken", f], b"");
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[1], "1");
    assert_eq!(lines[5], "0");
}

#[test]
fn get_errors_and_exit_codes() {
    let dump = gen::listing(ListingConfig {
        seed: 22,
        entries: 50,
        page_size: 20,
    });
    // A bad path is a usage error naming the column.
    let o = run(&["get", ".Entries[", "-"], &dump);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("column 10"), "{}", stderr(&o));
    // No match is not an error.
    let o = run(&["get", ".nothing.here"], &dump);
    assert_eq!((code(&o), o.stdout.len()), (0, 0));
    // Invalid data: the matches before it are printed, then one error line with the offset.
    let second = msgskim::skip_value(&dump, 0).unwrap();
    let mut bad = dump.clone();
    bad[second] = 0xc1;
    for o in [
        run(&["get", ".Flags"], &bad),
        run(
            &[
                "get",
                ".Flags",
                write_file("get-bad.msgpack", &bad).to_str().unwrap(),
            ],
            b"",
        ),
    ] {
        assert_eq!(code(&o), 1);
        assert_eq!(stdout(&o), "1\n");
        assert_eq!(stderr(&o).lines().count(), 1);
        assert!(
            stderr(&o).contains(&format!("0xc1 at byte {second}")),
            "{}",
            stderr(&o)
        );
    }
}
