//! serde support (feature `serde`): a borrowing `Deserializer` that reads what rmp-serde
//! writes, faster, without copying strings or bytes.
//!
//! - [`from_slice`]: one value from a slice; `&str`, `&[u8]` and `#[serde(borrow)] Cow` fields
//!   point into the slice.
//! - [`Deserializer`]: the same, value by value, with [`Limits`](crate::Limits);
//!   [`Deserializer::into_iter`] gives a [`StreamDeserializer`] over concatenated values.
//! - [`from_read`] (feature `std`): the first value of an [`std::io::Read`], through the
//!   [`StreamDecoder`](crate::StreamDecoder).
//!
//! Structs are read from maps (rmp-serde's `to_vec_named`) and from arrays (its default
//! `to_vec`); enums, options, unit, tuples, newtypes, `i128` and ext values as rmp-serde 1.3
//! writes them. Unknown fields are skipped by [`skip_value`](crate::skip_value), without
//! recursion. Nesting is bounded by the depth limit, declared lengths never size an
//! allocation, and every [`Error`] has a byte offset.
//!
//! The feature needs `alloc` (and turns it on): serde's own errors carry a message, which is
//! boxed so that `Result<T, Error>` stays one pointer wide.
//!
//! # No serializer
//!
//! There is no `Serializer`: rmp-serde's already writes the smallest encoding of every value
//! straight into a `Vec<u8>` or any `std::io::Write`, and it is the writer whose output this
//! deserializer is tested against. A second one would have to copy its choices (structs as
//! arrays or maps, enum shapes, `i128` as bin) for no gain this crate has measured; reading is
//! where MessagePack users lose time, and [`write`](mod@crate::write) covers writing without serde.
//!
//! # Examples
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, Debug, PartialEq, Default)]
//! #[serde(default)]
//! struct Entry<'a> {
//!     n: &'a str,
//!     cs: &'a str,
//!     s: i64,
//! }
//!
//! // rmp_serde::to_vec_named(&Entry { n: "x.tar", cs: "", s: 4096 })
//! let named = b"\x83\xa1n\xa5x.tar\xa2cs\xa0\xa1s\xcd\x10\x00";
//! // rmp_serde::to_vec(&Entry { n: "x.tar", cs: "", s: 4096 })
//! let array = b"\x93\xa5x.tar\xa0\xcd\x10\x00";
//! let a: Entry = msgskim::serde::from_slice(named)?;
//! let b: Entry = msgskim::serde::from_slice(array)?;
//! assert_eq!(a, b);
//! assert_eq!(a, Entry { n: "x.tar", cs: "", s: 4096 });
//! # Ok::<(), msgskim::serde::Error>(())
//! ```

mod de;
mod error;

pub use de::{from_slice, Deserializer, StreamDeserializer, EXT_STRUCT_NAME};
pub use error::Error;

/// Decodes the first value of `reader` as a `T`.
///
/// The bytes go through a [`StreamDecoder`](crate::StreamDecoder): it reads in blocks until the
/// first complete value has arrived (scanning each byte once), and that value is decoded as by
/// [`from_slice`]. A value may take up to [`StreamConfig::DEFAULT_MAX_BUFFER`] bytes (100 MiB);
/// a longer one is an [`ErrorKind::BufferLimit`](crate::ErrorKind::BufferLimit) error, never an
/// allocation of what the input claims.
///
/// Because the reader is read in blocks, bytes after the first value that arrived in the same
/// read are not given back. For a stream of many values keep a `StreamDecoder` and decode each
/// [`Frame`](crate::Frame) it yields with [`from_slice`] (strings can then borrow from the frame).
///
/// # Errors
///
/// As [`from_slice`], with offsets counted from the start of the reader;
/// [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) when the reader ends before a value is
/// complete; an I/O error is [`ErrorKind::Io`](crate::ErrorKind::Io) at the offset of the bytes
/// read so far.
///
/// # Examples
///
/// ```
/// let input: &[u8] = &[0x92, 0xa1, b'a', 0x2a];
/// let v: (String, u8) = msgskim::serde::from_read(input)?;
/// assert_eq!(v, ("a".to_string(), 42));
/// # Ok::<(), msgskim::serde::Error>(())
/// ```
///
/// [`StreamConfig::DEFAULT_MAX_BUFFER`]: crate::StreamConfig::DEFAULT_MAX_BUFFER
#[cfg(feature = "std")]
pub fn from_read<R, T>(mut reader: R) -> Result<T, Error>
where
    R: std::io::Read,
    T: ::serde::de::DeserializeOwned,
{
    let mut dec = crate::StreamDecoder::new();
    loop {
        if let Some(frame) = dec.next_frame()? {
            let base = frame.offset();
            return from_slice(&frame).map_err(|e| e.shifted(base));
        }
        match dec.read_from(&mut reader) {
            Ok(0) => {
                dec.finish()?;
                // Nothing at all arrived.
                return Err(Error::at(0, crate::ErrorKind::Truncated { needed: 1 }));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let at = dec.buffer_offset() + dec.buffer().len() as u64;
                return Err(crate::Error::new(at, crate::ErrorKind::Io(e.kind())).into());
            }
        }
    }
}
