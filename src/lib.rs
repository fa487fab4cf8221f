//! msgskim: a MessagePack reader that does not copy, does not allocate, does not lose its place
//! when input runs out, and does not touch the parts of a document nobody asked for.
//!
//! # Layers
//!
//! | layer | what it gives you |
//! |---|---|
//! | [`marker`] | the lead-byte table: the one place that knows what each first byte means |
//! | [`head`] | [`head::decode_head`]: one token header from `(buf, pos)`, pure |
//! | [`Tokenizer`] | a pull iterator of [`Token`]s borrowing from a slice, with depth limits |
//! | [`skip_value`] / [`validate`] | whole values skipped with one counter |
//! | [`RawValue`] | the exact bytes of one value, with lazy `get`, `index`, `iter`, `as_*` |
//! | [`query`] | compiled path queries: many paths, one pass, unneeded subtrees skipped |
//! | [`StreamDecoder`] | resumable decoding of input that arrives in pieces: tokens and zero-copy `Bytes` frames, never re-scanning |
//! | [`codec`] | (feature `tokio`) a `tokio_util` Decoder/Encoder of whole-value frames |
//! | [`mod@write`] | the writer: smallest forms, containers of unknown length, Timestamp, spliced raw values, the [`msgpack!`] literal |
//! | `serde` (feature `serde`) | a borrowing serde `Deserializer`, a faster drop-in for `rmp_serde::from_slice` |
//! | [`gen`] | seeded generators of listing dumps, messages and numeric data |
//! | `msgskim` binary | (feature `cli`) `json`, `get`, `check`, `stats`, `gen` over memory-mapped files and streamed standard input; `msgskim --help` |
//!
//! # Example
//!
//! ```
//! use msgskim::Tokenizer;
//!
//! // {"n": "a.txt", "s": 300}
//! let bytes = b"\x82\xa1n\xa5a.txt\xa1s\xd1\x01\x2c";
//! let tokens = Tokenizer::new(bytes).collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(tokens.len(), 5);
//! assert_eq!(tokens[2].as_str(), Some("a.txt"));
//! assert_eq!(tokens[4].as_i64(), Some(300));
//! # Ok::<(), msgskim::Error>(())
//! ```
//!
//! # Features
//!
//! - `std` (default): `std::error::Error`, and implies `alloc`.
//! - `alloc`: the `Vec` sink of the writer, [`StreamDecoder`] and the [`gen`] module.
//! - `tokio`: the [`codec`] module (implies `std`).
//! - `serde`: the `serde` module (implies `alloc`).
//!
//! Without default features the crate is `no_std`: tokenizer, skip, validate and the writer
//! into a caller's buffer all work.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![deny(
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "tokio")]
pub mod codec;
mod error;
#[cfg(feature = "alloc")]
pub mod gen;
pub mod head;
pub mod marker;
#[cfg(feature = "alloc")]
pub mod query;
mod raw;
mod scan;
#[cfg(feature = "serde")]
pub mod serde;
mod skip;
#[cfg(feature = "alloc")]
mod stream;
mod token;
mod tokenizer;
pub mod write;

pub use error::{Error, ErrorKind, TimestampError};
pub use raw::{Elements, Entries, RawValue, RawValues, ValueKind};
pub use skip::{
    skip_value, skip_value_plain, skip_value_reference, validate, validate_with, ValidateOptions,
};
#[cfg(feature = "alloc")]
pub use stream::{Event, Events, Frame, PayloadKind, StreamConfig, StreamDecoder};
pub use token::{Ext, Str, Timestamp, Token};
pub use tokenizer::{Limits, Tokenizer, MAX_DEPTH};
