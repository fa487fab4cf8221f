//! The stream decoder under random chunking, against itself fed whole and against the slice
//! tokenizer.
//!
//! The input starts with a few configuration bytes (frames, tokens through `feed` and
//! `next_token`, or tokens read in place with `feed_events`; a small chunking threshold for
//! long payloads, limits, a buffer limit) and a list of chunk sizes; the rest is the
//! MessagePack stream. It is fed in those chunks, draining the decoder after each one.
//!
//! Checked:
//! - tokens (long payloads joined from their pieces) are exactly the slice tokenizer's tokens
//!   under the same limits, and frames are exactly the top-level values it finds, at the same
//!   offsets;
//! - any error other than truncation is the tokenizer's error, at the same absolute offset;
//! - the outcome (every token or frame, the error, and what `finish` says) is the same for the
//!   chunked run and for one feed of the whole input.
//!
//! Allowed differences:
//! - **Truncation.** The tokenizer reports a cut at the token that lost its end; the stream
//!   decoder waits for more and `finish` reports the start of the top-level value cut short.
//!   So at the end: the tokenizer says `Truncated` exactly when `finish` does, and `finish`'s
//!   offset is the start of the value the tokenizer's error is in.
//! - **UTF-8 in a cut str.** A str longer than the chunking threshold is checked piece by
//!   piece as it arrives; when the input ends inside it, the stream decoder may report
//!   `InvalidUtf8` in the part that arrived, where the tokenizer reports the truncation.
//! - **Buffer limit.** Only the stream decoder holds bytes; with a small `max_buffer` it may
//!   stop with `BufferLimit` (or refuse a feed) where the tokenizer reads on. Then only a prefix
//!   of the tokenizer's tokens is required.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgskim::{Error, ErrorKind, Event, Limits, StreamConfig, StreamDecoder, Token, Tokenizer};
use msgskim_fuzz::{chunk_ends, decode_all, scalar, V};

#[derive(Debug, PartialEq)]
enum Out {
    Tok(Tok),
    Frame(u64, Vec<u8>),
}

#[derive(Debug, PartialEq)]
enum Tok {
    Scalar(V),
    Array(u32),
    Map(u32),
    /// A long payload, joined: (kind, bytes).
    Payload(msgskim::PayloadKind, Vec<u8>),
}

fn tok(t: &Token<'_>) -> Tok {
    match *t {
        Token::Array(n) => Tok::Array(n),
        Token::Map(n) => Tok::Map(n),
        _ => Tok::Scalar(scalar(t).expect("a scalar")),
    }
}

/// The same token as a joined long payload would give.
fn as_payload(t: &Token<'_>) -> Option<(msgskim::PayloadKind, Vec<u8>)> {
    use msgskim::PayloadKind as K;
    match *t {
        Token::Str(s) => Some((K::Str, s.as_bytes().to_vec())),
        Token::Bin(b) => Some((K::Bin, b.to_vec())),
        Token::Ext(e) => Some((K::Ext(e.ty), e.data.to_vec())),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
struct Run {
    out: Vec<Out>,
    error: Option<Error>,
    refused_feed: bool,
    finish: Result<(), Error>,
}

/// A long payload being joined: its kind, declared length and the bytes so far.
type Joining = Option<(msgskim::PayloadKind, usize, Vec<u8>)>;

/// Records one token-mode event: tokens as they are, long payloads joined from their pieces.
fn on_event(ev: Event<'_>, cfg: &StreamConfig, out: &mut Vec<Out>, payload: &mut Joining) {
    match ev {
        Event::Token(t) => {
            assert!(payload.is_none(), "a token inside a long payload");
            out.push(Out::Tok(tok(&t)));
        }
        Event::PayloadStart { kind, len } => {
            assert!(payload.is_none());
            assert!(len > cfg.chunk_threshold);
            *payload = Some((kind, len, Vec::new()));
        }
        Event::PayloadChunk(c) => {
            assert!(!c.is_empty());
            payload
                .as_mut()
                .expect("a chunk inside a payload")
                .2
                .extend_from_slice(c);
        }
        Event::PayloadEnd => {
            let (kind, len, bytes) = payload.take().expect("an end after a start");
            assert_eq!(bytes.len(), len);
            out.push(Out::Tok(Tok::Payload(kind, bytes)));
        }
    }
}

/// How the decoder is read.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `feed`, then `next_frame` until it has nothing.
    Frames,
    /// `feed`, then `next_token` until it has nothing.
    Tokens,
    /// `feed_events`: tokens read where they lie in each chunk.
    InPlace,
}

fn run(input: &[u8], cfg: StreamConfig, mode: Mode, ends: &[usize]) -> Run {
    let mut dec = StreamDecoder::with_config(cfg);
    let mut out = Vec::new();
    let mut error = None;
    let mut refused_feed = false;
    let mut fed = 0;
    let mut payload: Joining = None;
    'feeding: for &end in ends {
        let chunk = &input[fed..end];
        if let Mode::InPlace = mode {
            fed = end;
            if let Err(e) =
                dec.feed_events(chunk, |ev, _| on_event(ev, &cfg, &mut out, &mut payload))
            {
                error = Some(e);
                break 'feeding;
            }
            continue;
        }
        if let Err(e) = dec.feed(chunk) {
            assert_eq!(
                e.kind(),
                ErrorKind::BufferLimit {
                    limit: cfg.max_buffer
                }
            );
            refused_feed = true;
            break;
        }
        fed = end;
        loop {
            if let Mode::Frames = mode {
                match dec.next_frame() {
                    Ok(Some(f)) => out.push(Out::Frame(f.offset(), f.to_vec())),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break 'feeding;
                    }
                }
            } else {
                match dec.next_token() {
                    Ok(Some(ev)) => on_event(ev, &cfg, &mut out, &mut payload),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break 'feeding;
                    }
                }
            }
        }
    }
    let finish = dec.finish();
    if let Some(e) = error {
        // An error is final.
        assert_eq!(finish, Err(e));
        assert_eq!(dec.next_token().map(|_| ()), Err(e));
    }
    Run {
        out,
        error,
        refused_feed,
        finish,
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (cfg_bytes, rest) = data.split_at(3);
    let n_sizes = (rest.first().copied().unwrap_or(0) % 16) as usize;
    let rest = rest.get(1..).unwrap_or(&[]);
    let (sizes, input) = rest.split_at(n_sizes.min(rest.len()));

    let frames = cfg_bytes[0] & 1 != 0;
    let limits = Limits {
        max_depth: [Limits::DEFAULT_MAX_DEPTH, 3, msgskim::MAX_DEPTH, 0]
            [(cfg_bytes[0] >> 1 & 3) as usize],
        max_payload_len: if cfg_bytes[0] & 8 != 0 { 20 } else { 1 << 20 },
        max_container_len: if cfg_bytes[0] & 16 != 0 { 5 } else { 1 << 20 },
        check_utf8: cfg_bytes[0] & 32 != 0,
        decode_timestamps: cfg_bytes[0] & 64 != 0,
    };
    let small_buffer = cfg_bytes[0] & 128 != 0;
    let cfg = StreamConfig {
        limits,
        max_buffer: if small_buffer {
            16 + cfg_bytes[1] as usize
        } else {
            1 << 20
        },
        chunk_threshold: ((cfg_bytes[2] & 0x7f) % 24) as usize,
        ..StreamConfig::default()
    };

    let mode = match (frames, cfg_bytes[2] & 0x80 != 0) {
        (true, _) => Mode::Frames,
        (false, false) => Mode::Tokens,
        (false, true) => Mode::InPlace,
    };
    let chunked = run(input, cfg, mode, &chunk_ends(input.len(), sizes));
    let whole = run(input, cfg, mode, &[input.len()]);

    // The slice tokenizer's view.
    let mut t = Tokenizer::with_limits(input, limits);
    let mut want = Vec::new();
    let mut want_err = None;
    // Start of the top-level value each token belongs to.
    let mut value_start = 0;
    loop {
        if t.is_at_boundary() {
            value_start = t.position();
        }
        match t.next_token() {
            Ok(Some(x)) => want.push(x),
            Ok(None) => break,
            Err(e) => {
                want_err = Some(e);
                break;
            }
        }
    }
    let decoded = decode_all(input, limits);

    for (name, r) in [("chunked", &chunked), ("whole", &whole)] {
        let buffer_limited = r.refused_feed
            || matches!(
                r.error.map(|e| e.kind()),
                Some(ErrorKind::BufferLimit { .. })
            )
            || matches!(
                r.finish.map_err(|e| e.kind()),
                Err(ErrorKind::BufferLimit { .. })
            );
        assert!(
            !buffer_limited || small_buffer,
            "{name}: buffer limit hit with a large buffer"
        );
        if frames {
            let got: Vec<_> = r
                .out
                .iter()
                .map(|o| match o {
                    Out::Frame(off, b) => (*off, b.clone()),
                    Out::Tok(_) => unreachable!(),
                })
                .collect();
            let mut start = 0;
            let expected: Vec<_> = decoded
                .ends
                .iter()
                .map(|&end| {
                    let f = (start as u64, input[start..end].to_vec());
                    start = end;
                    f
                })
                .collect();
            if buffer_limited {
                assert!(expected.starts_with(&got), "{name}");
            } else {
                assert_eq!(got, expected, "{name}: frames");
            }
        } else {
            // Tokens: a long payload arrives joined; compare it with the whole token.
            let n = r.out.len();
            assert!(
                n <= want.len() || buffer_limited,
                "{name}: more tokens than the tokenizer"
            );
            for (i, o) in r.out.iter().enumerate() {
                let Out::Tok(o) = o else { unreachable!() };
                let w = want
                    .get(i)
                    .unwrap_or_else(|| panic!("{name}: token {i} not in the tokenizer's"));
                match o {
                    Tok::Payload(k, b) => {
                        assert_eq!(Some((*k, b.clone())), as_payload(w), "{name}: token {i}")
                    }
                    other => assert_eq!(*other, tok(w), "{name}: token {i}"),
                }
            }
            if !buffer_limited {
                assert_eq!(n, want.len(), "{name}: token count");
            }
        }
        if buffer_limited {
            continue;
        }
        // Errors: the same, except that truncation shows up at `finish`.
        match want_err {
            Some(e) if e.is_truncated() => {
                if let Some(u) = r.error {
                    // A long str checked piece by piece can fail UTF-8 in the part that did
                    // arrive, where the tokenizer first sees that the str is cut short.
                    assert_eq!(u.kind(), ErrorKind::InvalidUtf8, "{name}: {u:?} vs {e:?}");
                    assert!(limits.check_utf8 && u.offset() > e.offset(), "{name}");
                    continue;
                }
                let f = r.finish.expect_err("finish reports the cut");
                assert!(f.is_truncated(), "{name}: {f:?}");
                assert_eq!(
                    f.offset(),
                    value_start as u64,
                    "{name}: finish names the value cut short"
                );
            }
            Some(e) => {
                // A chunked payload may fail UTF-8 (or a limit) before the tokenizer would.
                assert_eq!(r.error, Some(e), "{name}");
            }
            None => {
                assert_eq!(r.error, None, "{name}");
                assert_eq!(r.finish, Ok(()), "{name}");
            }
        }
    }
    if !chunked.refused_feed && !whole.refused_feed {
        let limited = |r: &Run| {
            matches!(
                r.error.map(|e| e.kind()),
                Some(ErrorKind::BufferLimit { .. })
            )
        };
        if !limited(&chunked) && !limited(&whole) {
            assert_eq!(chunked, whole, "chunked and whole runs differ");
        }
    }
});
