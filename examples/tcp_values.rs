//! Reads MessagePack values from a TCP socket with tokio, one frame per top-level value.
//!
//! Run `cargo run --example tcp_values --features tokio` to connect a local demo writer
//! (NATS-style messages sent in odd-sized pieces), or pass an address (`host:port`) to read
//! from a server that sends msgpack values.

use std::time::Duration;

use futures_util::StreamExt;
use msgskim::codec::MsgpackCodec;
use msgskim::{StreamConfig, Token};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

/// A local peer that sends `count` generated messages in pieces of 1 to 1500 bytes.
async fn demo_writer(count: usize) -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let data = msgskim::gen::messages(1, count);
        let mut rng = msgskim::gen::Rng::new(2);
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(1500) as usize).min(rest.len());
            if sock.write_all(&rest[..n]).await.is_err() {
                return;
            }
            rest = &rest[n..];
            if rng.chance(2) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    Ok(addr)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => demo_writer(20).await?,
    };
    let sock = TcpStream::connect(addr).await?;
    let config = StreamConfig {
        max_buffer: 16 << 20,
        ..StreamConfig::default()
    };
    let mut frames = FramedRead::new(sock, MsgpackCodec::with_config(config));
    let mut values = 0usize;
    while let Some(frame) = frames.next().await {
        let frame = frame?;
        values += 1;
        // Summarize the value: its offset, size, and any str/bin fields by key.
        let mut line = format!(
            "value at byte {:>8}, {:>6} bytes:",
            frame.offset(),
            frame.len()
        );
        let mut key: Option<&str> = None;
        for tok in frame.tokens() {
            match tok? {
                Token::Str(s) if key.is_none() => key = s.to_str().ok(),
                Token::Str(s) => {
                    line += &format!(" {}={:?}", key.take().unwrap_or("?"), s);
                }
                Token::Bin(b) => {
                    // A zero-copy handle on the payload, valid after the frame is dropped.
                    let audio = frame.slice_ref(b).expect("payload lies inside the frame");
                    line += &format!(" {}=<{} bytes>", key.take().unwrap_or("?"), audio.len());
                }
                Token::Map(_) | Token::Array(_) => {}
                other => line += &format!(" {}={other:?}", key.take().unwrap_or("?")),
            }
        }
        println!("{line}");
    }
    println!("{values} values, clean end");
    Ok(())
}
