//! Real loopback TCP (std::net): a writer sends NATS-style messages in random chunk sizes with
//! pauses; the stream decoder hands every message back intact, its payloads pointing into the
//! decoder's own buffer.

mod stream_util;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use msgskim::gen::{self, Rng};
use msgskim::{Event, Limits, StreamConfig, StreamDecoder, Token};
use stream_util::{owned, random_pieces, reference_frames, reference_tokens, Owned};

const MESSAGES: usize = 300;

/// Connects a writer thread that sends `data` in random pieces of up to `max` bytes, pausing
/// now and then; returns the accepted socket.
fn loopback(data: Vec<u8>, seed: u64, max: usize) -> (TcpStream, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = thread::spawn(move || {
        let mut sock = TcpStream::connect(addr).unwrap();
        sock.set_nodelay(true).unwrap();
        let mut rng = Rng::new(seed);
        for piece in random_pieces(&data, seed, max) {
            sock.write_all(piece).unwrap();
            if rng.chance(4) {
                thread::sleep(Duration::from_millis(1 + rng.below(3)));
            }
        }
    });
    let (sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    (sock, writer)
}

#[test]
fn frames_over_loopback_arrive_intact_and_uncopied() {
    let data = gen::messages(21, MESSAGES);
    let want = reference_frames(&data);
    let (mut sock, writer) = loopback(data, 7, 9000);
    let mut dec = StreamDecoder::new();
    let mut got = 0;
    for _ in 0..1_000_000 {
        let n = dec.read_from(&mut sock).unwrap();
        loop {
            let buffer = dec.buffer().as_ptr_range();
            let Some(frame) = dec.next_frame().unwrap() else {
                break;
            };
            assert_eq!(
                (frame.offset(), &frame[..]),
                (want[got].0, &want[got].1[..])
            );
            // The frame is split off the decoder's buffer: same memory.
            assert_eq!(frame.as_ptr(), buffer.start);
            let mut audio = None;
            let mut keys = Vec::new();
            let mut toks = frame.tokens();
            assert_eq!(toks.next().unwrap().unwrap(), Token::Map(4));
            for _ in 0..4 {
                let key = toks.next().unwrap().unwrap().as_str().unwrap();
                keys.push(key);
                match (key, toks.next().unwrap().unwrap()) {
                    ("user_id", Token::Str(s)) => assert!(s.to_str().unwrap().starts_with("user-")),
                    ("audio", Token::Bin(b)) => audio = Some(b),
                    ("premium", Token::Bool(_)) | ("ts", Token::Timestamp(_)) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(keys, ["user_id", "audio", "premium", "ts"]);
            let audio = audio.unwrap();
            assert!(buffer.contains(&audio.as_ptr()));
            assert!(audio.as_ptr_range().end <= buffer.end);
            let shared = frame.slice_ref(audio).unwrap();
            assert_eq!(shared.as_ptr(), audio.as_ptr());
            got += 1;
        }
        if n == 0 {
            break;
        }
    }
    dec.finish().unwrap();
    assert_eq!(got, MESSAGES);
    writer.join().unwrap();
}

#[test]
fn tokens_over_loopback_arrive_intact_and_borrow_the_buffer() {
    let data = gen::messages(22, MESSAGES);
    let want = reference_tokens(&data, Limits::default()).unwrap();
    let (mut sock, writer) = loopback(data, 8, 3000);
    // Audio over 4 KiB comes in pieces.
    let mut dec = StreamDecoder::with_config(StreamConfig {
        chunk_threshold: 4096,
        ..StreamConfig::default()
    });
    let mut tokens = Vec::new();
    let mut borrowed = 0;
    for _ in 0..1_000_000 {
        let n = dec.read_from(&mut sock).unwrap();
        loop {
            // next_token never moves the buffer: what it returns points into this range.
            let buffer = dec.buffer().as_ptr_range();
            let ev = dec.next_token().unwrap();
            let inside =
                |p: &[u8]| buffer.contains(&p.as_ptr()) && p.as_ptr_range().end <= buffer.end;
            match ev {
                None => break,
                Some(Event::Token(Token::Bin(b))) | Some(Event::PayloadChunk(b)) => {
                    assert!(inside(b));
                    borrowed += 1;
                }
                Some(Event::Token(Token::Str(s))) => assert!(inside(s.as_bytes())),
                _ => {}
            }
            // Collect owned tokens; only audio is long enough to come in pieces.
            match ev {
                Some(Event::Token(t)) => tokens.push(owned(&t)),
                Some(Event::PayloadStart { len, .. }) => {
                    tokens.push(Owned::Bin(Vec::with_capacity(len)))
                }
                Some(Event::PayloadChunk(p)) => match tokens.last_mut() {
                    Some(Owned::Bin(v)) => v.extend_from_slice(p),
                    other => panic!("chunk after {other:?}"),
                },
                Some(Event::PayloadEnd) | None => {}
            }
        }
        if n == 0 {
            break;
        }
    }
    dec.finish().unwrap();
    assert_eq!(tokens, want);
    assert!(borrowed >= MESSAGES);
    writer.join().unwrap();
}
