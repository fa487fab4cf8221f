//! Real loopback TCP with tokio: the codec under `FramedRead`, the decoder filled through
//! `read_buf`, and frames written back with `FramedWrite`.

mod stream_util;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use msgskim::codec::MsgpackCodec;
use msgskim::gen::{self, Rng};
use msgskim::{StreamDecoder, Token};
use stream_util::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};

const MESSAGES: usize = 300;

/// A writer task sending `data` in random pieces of up to `max` bytes with pauses, and the
/// accepted socket.
async fn loopback(data: Vec<u8>, seed: u64, max: usize) -> (TcpStream, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = tokio::spawn(async move {
        let mut sock = TcpStream::connect(addr).await.unwrap();
        sock.set_nodelay(true).unwrap();
        let mut rng = Rng::new(seed);
        let pieces: Vec<Vec<u8>> = random_pieces(&data, seed, max)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        for piece in pieces {
            sock.write_all(&piece).await.unwrap();
            if rng.chance(4) {
                tokio::time::sleep(Duration::from_millis(1 + rng.below(3))).await;
            }
        }
        sock.shutdown().await.unwrap();
    });
    let (sock, _) = listener.accept().await.unwrap();
    (sock, writer)
}

fn audio_of(frame: &msgskim::Frame) -> &[u8] {
    frame
        .tokens()
        .find_map(|t| match t.unwrap() {
            Token::Bin(b) => Some(b),
            _ => None,
        })
        .expect("every message has audio")
}

#[tokio::test]
async fn framed_read_over_loopback() {
    let data = gen::messages(31, MESSAGES);
    let want = reference_frames(&data);
    let (sock, writer) = loopback(data, 9, 9000).await;
    let mut framed = FramedRead::new(sock, MsgpackCodec::new());
    let mut got = 0;
    for _ in 0..=MESSAGES {
        let next = tokio::time::timeout(Duration::from_secs(20), framed.next())
            .await
            .expect("no stall");
        let Some(frame) = next else { break };
        let frame = frame.unwrap();
        assert_eq!(
            (frame.offset(), &frame[..]),
            (want[got].0, &want[got].1[..])
        );
        let audio = audio_of(&frame);
        let shared = frame.slice_ref(audio).unwrap();
        assert_eq!(shared.as_ptr(), audio.as_ptr());
        assert!(frame.as_ptr_range().contains(&audio.as_ptr()));
        got += 1;
    }
    assert_eq!(got, MESSAGES);
    writer.await.unwrap();
}

#[tokio::test]
async fn read_buf_into_spare_over_loopback() {
    let data = gen::messages(32, MESSAGES);
    let want = reference_frames(&data);
    let (mut sock, writer) = loopback(data, 10, 5000).await;
    let mut dec = StreamDecoder::new();
    let mut got = 0;
    for _ in 0..1_000_000 {
        let n = tokio::time::timeout(
            Duration::from_secs(20),
            sock.read_buf(&mut dec.spare(16 * 1024).unwrap()),
        )
        .await
        .expect("no stall")
        .unwrap();
        loop {
            let buffer = dec.buffer().as_ptr_range();
            let Some(frame) = dec.next_frame().unwrap() else {
                break;
            };
            assert_eq!(&frame[..], &want[got].1[..]);
            // Read straight into the decoder's buffer, split off without a copy.
            assert_eq!(frame.as_ptr(), buffer.start);
            assert!(buffer.contains(&audio_of(&frame).as_ptr()));
            got += 1;
        }
        if n == 0 {
            break;
        }
    }
    dec.finish().unwrap();
    assert_eq!(got, MESSAGES);
    writer.await.unwrap();
}

#[tokio::test]
async fn framed_write_then_framed_read() {
    let data = gen::messages(33, 50);
    let want = reference_frames(&data);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let frames: Vec<bytes::Bytes> = want
        .iter()
        .map(|(_, b)| bytes::Bytes::from(b.clone()))
        .collect();
    let writer = tokio::spawn(async move {
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut out = FramedWrite::new(sock, MsgpackCodec::new());
        for f in frames {
            out.send(f).await.unwrap();
        }
        SinkExt::<bytes::Bytes>::close(&mut out).await.unwrap();
    });
    let (sock, _) = listener.accept().await.unwrap();
    let mut framed = FramedRead::new(sock, MsgpackCodec::new());
    let mut got = Vec::new();
    for _ in 0..=want.len() {
        let next = tokio::time::timeout(Duration::from_secs(20), framed.next())
            .await
            .expect("no stall");
        let Some(frame) = next else { break };
        let frame = frame.unwrap();
        got.push((frame.offset(), frame.to_vec()));
    }
    assert_eq!(got, want);
    writer.await.unwrap();
}
