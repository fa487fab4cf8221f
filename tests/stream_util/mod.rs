//! Helpers shared by the stream and TCP tests: owned tokens, reference results from the
//! whole-buffer tokenizer, and drivers that feed a `StreamDecoder` in given pieces.
#![allow(dead_code)]

use msgskim::{Error, Event, Limits, PayloadKind, StreamConfig, StreamDecoder, Token, Tokenizer};

/// A token that owns its payload, so tokens taken from a decoder can outlive its buffer.
#[derive(Clone, Debug, PartialEq)]
pub enum Owned {
    Nil,
    Bool(bool),
    UInt(u64),
    Int(i64),
    F32(u32),
    F64(u64),
    Str(Vec<u8>),
    Bin(Vec<u8>),
    Ext(i8, Vec<u8>),
    Timestamp(i64, u32),
    Array(u32),
    Map(u32),
}

pub fn owned(t: &Token<'_>) -> Owned {
    match *t {
        Token::Nil => Owned::Nil,
        Token::Bool(b) => Owned::Bool(b),
        Token::UInt(v) => Owned::UInt(v),
        Token::Int(v) => Owned::Int(v),
        Token::F32(v) => Owned::F32(v.to_bits()),
        Token::F64(v) => Owned::F64(v.to_bits()),
        Token::Str(s) => Owned::Str(s.as_bytes().to_vec()),
        Token::Bin(b) => Owned::Bin(b.to_vec()),
        Token::Ext(e) => Owned::Ext(e.ty, e.data.to_vec()),
        Token::Timestamp(ts) => Owned::Timestamp(ts.seconds(), ts.nanoseconds()),
        Token::Array(n) => Owned::Array(n),
        Token::Map(n) => Owned::Map(n),
    }
}

/// The whole-buffer tokenizer's tokens.
pub fn reference_tokens(data: &[u8], limits: Limits) -> Result<Vec<Owned>, Error> {
    Tokenizer::with_limits(data, limits)
        .map(|t| t.map(|t| owned(&t)))
        .collect()
}

/// The whole-buffer top-level values: (offset, bytes).
pub fn reference_frames(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let end = msgskim::skip_value(data, pos).expect("valid test data");
        out.push((pos as u64, data[pos..end].to_vec()));
        pos = end;
    }
    out
}

/// The ways to take tokens out of a decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// `next_token` in a loop.
    NextToken,
    /// The `events()` iterator.
    Events,
    /// `for_each_event`.
    ForEach,
    /// `feed_events`: each piece read in place from a scratch buffer that is overwritten
    /// once the call returns, as a reused read buffer would be.
    FeedEvents,
}

pub const WAYS: [Way; 4] = [Way::NextToken, Way::Events, Way::ForEach, Way::FeedEvents];

/// Collects tokens from a decoder, joining payload pieces back into whole tokens.
#[derive(Default)]
pub struct TokenSink {
    pub tokens: Vec<Owned>,
    pending: Option<(PayloadKind, usize, Vec<u8>)>,
    pub pieces: usize,
    /// The decoder's depth after each event.
    pub depths: Vec<usize>,
}

impl TokenSink {
    /// Takes every event available now with `next_token`; checks piece bookkeeping as it
    /// goes.
    pub fn drain(&mut self, dec: &mut StreamDecoder) -> Result<(), Error> {
        self.drain_by(dec, Way::NextToken)
    }

    /// Takes every event available now, the given way.
    pub fn drain_by(&mut self, dec: &mut StreamDecoder, way: Way) -> Result<(), Error> {
        match way {
            Way::NextToken => {
                while let Some(ev) = dec.next_token()? {
                    self.take(ev);
                    self.depths.push(dec.depth());
                }
            }
            Way::Events => {
                let mut events = dec.events();
                while let Some(ev) = events.next() {
                    self.take(ev?);
                    self.depths.push(events.depth());
                }
            }
            Way::ForEach => dec.for_each_event(|ev, depth| {
                self.take(ev);
                self.depths.push(depth);
            })?,
            Way::FeedEvents => self.feed_by(dec, &[], way)?,
        }
        Ok(())
    }

    /// Feeds `piece` and takes every event available then, the given way.
    pub fn feed_by(
        &mut self,
        dec: &mut StreamDecoder,
        piece: &[u8],
        way: Way,
    ) -> Result<(), Error> {
        if way != Way::FeedEvents {
            dec.feed(piece)?;
            return self.drain_by(dec, way);
        }
        let mut scratch = piece.to_vec();
        let r = dec.feed_events(&scratch, |ev, depth| {
            self.take(ev);
            self.depths.push(depth);
        });
        // Whatever the decoder kept of the piece must be its own copy.
        scratch.fill(0xc1);
        drop(scratch);
        r
    }

    fn take(&mut self, ev: Event<'_>) {
        {
            match ev {
                Event::Token(t) => {
                    assert!(self.pending.is_none(), "token inside a chunked payload");
                    self.tokens.push(owned(&t));
                }
                Event::PayloadStart { kind, len } => {
                    assert!(self.pending.is_none());
                    self.pending = Some((kind, len, Vec::new()));
                }
                Event::PayloadChunk(p) => {
                    assert!(!p.is_empty());
                    let (_, len, buf) = self.pending.as_mut().expect("chunk outside a payload");
                    buf.extend_from_slice(p);
                    assert!(buf.len() <= *len);
                    self.pieces += 1;
                }
                Event::PayloadEnd => {
                    let (kind, len, buf) = self.pending.take().expect("end outside a payload");
                    assert_eq!(buf.len(), len);
                    self.tokens.push(match kind {
                        PayloadKind::Str => Owned::Str(buf),
                        PayloadKind::Bin => Owned::Bin(buf),
                        PayloadKind::Ext(ty) => Owned::Ext(ty, buf),
                    });
                }
            }
        }
    }
}

/// Feeds `pieces` in order, draining tokens after each; then checks the end.
pub fn stream_tokens<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    config: StreamConfig,
) -> Result<Vec<Owned>, Error> {
    stream_tokens_by(pieces, config, Way::NextToken).map(|s| s.tokens)
}

/// Feeds `pieces` in order, draining tokens the given way after each; then checks the end.
pub fn stream_tokens_by<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    config: StreamConfig,
    way: Way,
) -> Result<TokenSink, Error> {
    let mut dec = StreamDecoder::with_config(config);
    let mut sink = TokenSink::default();
    for p in pieces {
        sink.feed_by(&mut dec, p, way)?;
    }
    dec.finish()?;
    Ok(sink)
}

/// Feeds `pieces` in order, taking frames after each; then checks the end.
pub fn stream_frames<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    config: StreamConfig,
) -> Result<Vec<(u64, Vec<u8>)>, Error> {
    let mut dec = StreamDecoder::with_config(config);
    let mut out = Vec::new();
    for p in pieces {
        dec.feed(p)?;
        while let Some(f) = dec.next_frame()? {
            out.push((f.offset(), f.to_vec()));
        }
    }
    dec.finish()?;
    Ok(out)
}

/// Cuts `data` into pieces of random sizes in `1..=max`.
pub fn random_pieces(data: &[u8], seed: u64, max: usize) -> Vec<&[u8]> {
    let mut rng = msgskim::gen::Rng::new(seed);
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let n = (1 + rng.below(max as u64) as usize).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

/// Takes everything available now, as tokens or as frames, discarding it.
pub fn drain(dec: &mut StreamDecoder, tokens: bool) -> Result<(), Error> {
    if tokens {
        while dec.next_token()?.is_some() {}
    } else {
        while dec.next_frame()?.is_some() {}
    }
    Ok(())
}
