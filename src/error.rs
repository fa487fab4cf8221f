//! The one error type of the crate: a byte offset plus a kind that says what was expected.

use core::fmt;

/// An error found while reading MessagePack, with the byte offset where it was found.
///
/// The offset is counted from the start of the input the reader was given (for a
/// [`Tokenizer`](crate::Tokenizer), the slice it was created over). For a truncated value the
/// offset is that of the first byte of the token that could not be completed.
///
/// # Examples
///
/// ```
/// use msgskim::{ErrorKind, Tokenizer};
///
/// // A str8 header that promises 5 bytes, with only 2 behind it.
/// let mut tok = Tokenizer::new(&[0x91, 0xd9, 0x05, b'h', b'i']);
/// assert!(tok.next_token().unwrap().is_some()); // the array header
/// let err = tok.next_token().unwrap_err();
/// assert_eq!(err.offset(), 1);
/// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 3 });
/// assert_eq!(err.to_string(), "truncated input at byte 1: 3 more bytes needed to complete the value");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    offset: u64,
    kind: ErrorKind,
}

/// What went wrong, and what was expected instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends inside a value: at least `needed` more bytes are required.
    ///
    /// From a slice reader this is final. From a resumable reader it means "feed more
    /// and call again".
    Truncated {
        /// The least number of further bytes that could complete the value.
        needed: usize,
    },
    /// The byte `0xc1`, which the MessagePack specification reserves and never uses.
    ReservedByte,
    /// A container would open deeper than the configured depth limit.
    DepthLimit {
        /// The limit in force.
        limit: usize,
    },
    /// A Timestamp extension (type -1) that is malformed.
    InvalidTimestamp(TimestampError),
    /// A str payload that is not valid UTF-8 (reported only when UTF-8 checking was asked for).
    ///
    /// The error's offset points at the first invalid byte.
    InvalidUtf8,
    /// A value had a different type from the one expected.
    UnexpectedType {
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// Bytes remained after the value(s) that were expected to be the whole input.
    TrailingBytes,
    /// A declared str/bin/ext length exceeded the configured limit.
    LengthLimit {
        /// The declared length.
        len: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A declared array or map length exceeded the configured limit.
    ContainerLimit {
        /// The declared number of elements (pairs, for maps).
        len: u64,
        /// The limit in force.
        limit: u64,
    },
    /// More bytes would have to be buffered than the configured limit allows.
    BufferLimit {
        /// The limit in force.
        limit: usize,
    },
    /// A map ended with a key but no value, or a writer was asked to close a map with an odd
    /// number of items.
    OddMapItems,
    /// A writer's fixed output buffer is full.
    BufferFull,
    /// A writer container was closed out of order, closed when none was open, or closed while
    /// a container of known length inside it still lacked elements.
    UnbalancedContainer,
    /// A query path that does not fit the path grammar. The error's offset is the byte
    /// offset in the path text.
    InvalidPath {
        /// Which path of a multi-path query (0 for the first or only one).
        path: usize,
        /// The 1-based column, in characters, of the first character that does not fit.
        column: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// An I/O error from the `std::io::Write` a writer was writing to (feature `std`).
    #[cfg(feature = "std")]
    Io(std::io::ErrorKind),
    /// The value was well-formed MessagePack but the type it was decoded into rejected it (a
    /// missing struct field, an unknown enum variant, a number out of range, ...). The serde
    /// error (`msgskim::serde::Error`) carries the text.
    Custom,
}

/// Why a Timestamp extension (type -1) was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimestampError {
    /// The payload length is not 4, 8 or 12 bytes.
    Length(u32),
    /// The nanoseconds field is larger than 999,999,999.
    Nanoseconds(u32),
}

impl Error {
    /// Builds an error of `kind` at byte `offset`.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Error, ErrorKind};
    /// let e = Error::new(7, ErrorKind::ReservedByte);
    /// assert_eq!(e.offset(), 7);
    /// ```
    #[cold]
    #[must_use]
    pub const fn new(offset: u64, kind: ErrorKind) -> Self {
        Error { offset, kind }
    }

    /// The byte offset where the error was found.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = msgskim::validate(&[0x92, 0x01, 0xc1]).unwrap_err();
    /// assert_eq!(err.offset(), 2);
    /// ```
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// What went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::ErrorKind;
    /// let err = msgskim::validate(&[0xc1]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ReservedByte);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// True when the input merely ended too early: feeding more bytes could fix it.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = msgskim::validate(&[0xcd, 0x01]).unwrap_err();
    /// assert!(err.is_truncated());
    /// ```
    #[must_use]
    pub const fn is_truncated(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }

    /// The same error moved by `base` bytes: for readers that report offsets relative to a
    /// window of a larger input.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Error, ErrorKind};
    /// assert_eq!(Error::new(3, ErrorKind::ReservedByte).shifted(100).offset(), 103);
    /// ```
    #[must_use]
    pub const fn shifted(self, base: u64) -> Self {
        Error {
            offset: self.offset.saturating_add(base),
            kind: self.kind,
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TimestampError::Length(n) => write!(
                f,
                "timestamp extension has {n} data bytes; expected 4, 8 or 12"
            ),
            TimestampError::Nanoseconds(n) => {
                write!(f, "timestamp nanoseconds {n} exceed 999999999")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            ErrorKind::Truncated { needed } => write!(
                f,
                "truncated input at byte {at}: {needed} more byte{} needed to complete the value",
                if needed == 1 { "" } else { "s" }
            ),
            ErrorKind::ReservedByte => write!(
                f,
                "invalid byte 0xc1 at byte {at}: the MessagePack specification reserves it"
            ),
            ErrorKind::DepthLimit { limit } => {
                write!(f, "nesting deeper than the limit of {limit} at byte {at}")
            }
            ErrorKind::InvalidTimestamp(e) => write!(f, "invalid timestamp at byte {at}: {e}"),
            ErrorKind::InvalidUtf8 => write!(f, "invalid UTF-8 in a string at byte {at}"),
            ErrorKind::UnexpectedType { expected, found } => {
                write!(f, "expected {expected} at byte {at}, found {found}")
            }
            ErrorKind::TrailingBytes => write!(f, "unexpected bytes after the value at byte {at}"),
            ErrorKind::LengthLimit { len, limit } => write!(
                f,
                "declared length {len} at byte {at} exceeds the limit of {limit} bytes"
            ),
            ErrorKind::ContainerLimit { len, limit } => write!(
                f,
                "declared container length {len} at byte {at} exceeds the limit of {limit}"
            ),
            ErrorKind::BufferLimit { limit } => write!(
                f,
                "value at byte {at} needs more than the buffer limit of {limit} bytes"
            ),
            ErrorKind::OddMapItems => write!(f, "map with a key but no value at byte {at}"),
            ErrorKind::BufferFull => write!(f, "output buffer full at byte {at}"),
            ErrorKind::UnbalancedContainer => {
                write!(
                    f,
                    "container closed out of order or with unfinished contents at byte {at}"
                )
            }
            ErrorKind::InvalidPath {
                path,
                column,
                reason,
            } => {
                write!(f, "invalid path")?;
                if path > 0 {
                    write!(f, " (number {} of the query)", path + 1)?;
                }
                write!(f, " at column {column}: {reason}")
            }
            #[cfg(feature = "std")]
            ErrorKind::Io(e) => write!(f, "I/O error at byte {at}: {e}"),
            ErrorKind::Custom => write!(
                f,
                "value at byte {at} rejected by the type it was decoded into"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(not(feature = "std"))]
impl core::error::Error for Error {}
