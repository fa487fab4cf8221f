//! A [`tokio_util::codec`] Decoder and Encoder of whole MessagePack values (feature `tokio`).
//!
//! [`MsgpackCodec`] splits a byte stream into [`Frame`]s, one per top-level value, with the
//! same resumable scanner as [`StreamDecoder`](crate::StreamDecoder): the scan position is
//! kept between reads, so a value arriving in many reads is scanned once, and each frame is
//! split off the read buffer without copying. As an Encoder it writes frames (or any buffer
//! holding exactly one value) back out.

use core::fmt;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{Error, ErrorKind};
use crate::stream::{Core, Frame, StreamConfig};

/// A `tokio_util` codec of MessagePack values: decodes [`Frame`]s, encodes frames and
/// single-value buffers.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use msgskim::codec::MsgpackCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = MsgpackCodec::new();
/// let mut buf = BytesMut::from(&[0x92, 0x01][..]);
/// assert!(codec.decode(&mut buf)?.is_none());
/// buf.extend_from_slice(&[0x02, 0xc0]);
/// let frame = codec.decode(&mut buf)?.unwrap();
/// assert_eq!(&frame[..], &[0x92, 0x01, 0x02]);
///
/// let mut out = BytesMut::new();
/// codec.encode(frame, &mut out)?;
/// assert_eq!(&out[..], &[0x92, 0x01, 0x02]);
/// # Ok::<(), msgskim::codec::CodecError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MsgpackCodec {
    core: Core,
    read_size: usize,
}

impl Default for MsgpackCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl MsgpackCodec {
    /// A codec with the default [`StreamConfig`].
    ///
    /// # Examples
    ///
    /// ```
    /// let _codec = msgskim::codec::MsgpackCodec::new();
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_config(StreamConfig::default())
    }

    /// A codec with the given limits. [`StreamConfig::chunk_threshold`] does not apply:
    /// frames are always whole.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use msgskim::codec::{CodecError, MsgpackCodec};
    /// use msgskim::{ErrorKind, StreamConfig};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = MsgpackCodec::with_config(StreamConfig { max_buffer: 100, ..Default::default() });
    /// // A bin32 header declaring 4 GiB: refused at once, nothing is reserved for it.
    /// let mut buf = BytesMut::from(&[0xc6, 0xff, 0xff, 0xff, 0xff][..]);
    /// match codec.decode(&mut buf) {
    ///     Err(CodecError::Decode(e)) => assert_eq!(e.kind(), ErrorKind::LengthLimit { len: u32::MAX as u64, limit: 100 << 20 }),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    #[must_use]
    pub fn with_config(config: StreamConfig) -> Self {
        MsgpackCodec {
            core: Core::new(&config),
            read_size: config.read_size.max(1),
        }
    }
}

/// What the codec can fail with: I/O of the underlying transport, or bad MessagePack.
///
/// # Examples
///
/// ```
/// use msgskim::codec::CodecError;
/// let e = CodecError::from(msgskim::Error::new(3, msgskim::ErrorKind::ReservedByte));
/// assert!(e.to_string().contains("byte 3"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum CodecError {
    /// The transport failed.
    Io(std::io::Error),
    /// The input is not valid MessagePack (offsets are absolute in the stream), or broke a
    /// limit.
    Decode(Error),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Io(e) => write!(f, "i/o error: {e}"),
            CodecError::Decode(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CodecError::Io(e) => Some(e),
            CodecError::Decode(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for CodecError {
    fn from(e: std::io::Error) -> Self {
        CodecError::Io(e)
    }
}

impl From<Error> for CodecError {
    fn from(e: Error) -> Self {
        CodecError::Decode(e)
    }
}

impl Decoder for MsgpackCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        match self.core.next_frame(src)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                // Room for what the value still needs, but never more than one read's worth
                // on the word of a header.
                src.reserve(self.core.needed(src.len()).min(self.read_size));
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        Err(CodecError::Decode(Error::new(
            self.core.base(),
            ErrorKind::Truncated {
                needed: self.core.needed(src.len()),
            },
        )))
    }
}

impl Encoder<Frame> for MsgpackCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

/// Checks that `buf` is exactly one complete value.
fn one_value(buf: &[u8]) -> Result<(), Error> {
    let end = crate::skip_value(buf, 0)?;
    if end != buf.len() {
        return Err(Error::new(end as u64, ErrorKind::TrailingBytes));
    }
    Ok(())
}

impl Encoder<Bytes> for MsgpackCodec {
    type Error = CodecError;

    /// Writes `item`, which must hold exactly one complete value.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&item[..], dst)
    }
}

impl Encoder<&[u8]> for MsgpackCodec {
    type Error = CodecError;

    /// Writes `item`, which must hold exactly one complete value.
    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        one_value(item)?;
        dst.extend_from_slice(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_refuses_anything_but_one_value() {
        let mut c = MsgpackCodec::new();
        let mut out = BytesMut::new();
        let two: &[u8] = &[0x01, 0x02];
        match c.encode(two, &mut out) {
            Err(CodecError::Decode(e)) => {
                assert_eq!((e.offset(), e.kind()), (1, ErrorKind::TrailingBytes))
            }
            other => panic!("{other:?}"),
        }
        let cut: &[u8] = &[0x92, 0x01];
        match c.encode(cut, &mut out) {
            Err(CodecError::Decode(e)) => assert!(e.is_truncated()),
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty());
        c.encode(Bytes::from_static(&[0x91, 0xc0]), &mut out)
            .unwrap();
        assert_eq!(&out[..], &[0x91, 0xc0]);
    }

    #[test]
    fn eof_inside_a_value_is_truncation_at_its_start() {
        let mut c = MsgpackCodec::new();
        let mut buf = BytesMut::from(&[0xc0, 0x92, 0x01][..]);
        assert!(c.decode_eof(&mut buf).unwrap().is_some());
        match c.decode_eof(&mut buf) {
            Err(CodecError::Decode(e)) => {
                assert_eq!(
                    (e.offset(), e.kind()),
                    (1, ErrorKind::Truncated { needed: 1 })
                )
            }
            other => panic!("{other:?}"),
        }
        let mut empty = BytesMut::new();
        assert!(MsgpackCodec::new()
            .decode_eof(&mut empty)
            .unwrap()
            .is_none());
    }
}
