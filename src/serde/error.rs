//! The error of the serde layer: the crate's [`Error`](crate::Error) (offset and kind) plus,
//! for errors raised by the type being decoded, serde's message.

use alloc::boxed::Box;
use alloc::string::ToString;
use core::fmt;

use crate::error::ErrorKind;

/// An error from the serde layer: where it happened, what kind it is, and for
/// [`ErrorKind::Custom`] errors the message serde (or a `Deserialize` impl) gave.
///
/// Errors of the wire format itself (truncation, `0xc1`, the depth limit, invalid UTF-8 for a
/// `&str`) have the same kinds as in the rest of the crate. Errors raised by the type being
/// decoded (a missing field, an unknown variant, an integer out of range, a wrong type) are
/// [`ErrorKind::Custom`] and keep their text; their offset is the first byte of the value that
/// was being decoded when the type gave up.
///
/// The error is one pointer wide (the details are boxed), so `Result<T, Error>` stays small on
/// the success path; it converts into the crate's `Copy` [`crate::Error`] with
/// [`From`], which drops the message.
///
/// # Examples
///
/// ```
/// use msgskim::ErrorKind;
///
/// // [1, "x"] into (u8, u8): the second element is a str.
/// let err = msgskim::serde::from_slice::<(u8, u8)>(&[0x92, 0x01, 0xa1, b'x']).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Custom);
/// assert_eq!(err.offset(), 2);
/// assert_eq!(err.message(), Some("invalid type: string \"x\", expected u8"));
///
/// let core: msgskim::Error = err.into();
/// assert_eq!(core.offset(), 2);
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    /// `None` until the deserializer learns where the error happened.
    offset: Option<u64>,
    kind: ErrorKind,
    message: Option<Box<str>>,
}

impl Error {
    #[cold]
    pub(crate) fn at(offset: usize, kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                offset: Some(offset as u64),
                kind,
                message: None,
            }),
        }
    }

    /// Gives an error raised without a position (serde's own errors) the offset `pos`; an error
    /// that already has one keeps it, so the innermost value wins.
    #[cold]
    #[inline(never)]
    pub(crate) fn locate(mut self, pos: usize) -> Self {
        if self.inner.offset.is_none() {
            self.inner.offset = Some(pos as u64);
        }
        self
    }

    /// The same error with its offset moved by `base`, for a value decoded out of a window
    /// of a longer input.
    #[must_use]
    #[cfg(feature = "std")]
    pub(crate) fn shifted(mut self, base: u64) -> Self {
        if let Some(o) = self.inner.offset.as_mut() {
            *o = o.saturating_add(base);
        }
        self
    }

    /// The byte offset of the error in the input (for [`ErrorKind::Custom`], the first byte of
    /// the value that was rejected). Zero for a message built with
    /// [`serde::de::Error::custom`] outside of any deserialization.
    ///
    /// # Examples
    ///
    /// ```
    /// // {"a": 1} into a struct that needs "b".
    /// #[derive(serde::Deserialize, Debug)]
    /// #[allow(dead_code)]
    /// struct S { a: u8, b: u8 }
    /// let err = msgskim::serde::from_slice::<S>(&[0x81, 0xa1, b'a', 0x01]).unwrap_err();
    /// assert_eq!(err.offset(), 0);
    /// assert_eq!(err.message(), Some("missing field `b`"));
    /// ```
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.inner.offset.unwrap_or(0)
    }

    /// What went wrong, as in the rest of the crate.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::ErrorKind;
    /// let err = msgskim::serde::from_slice::<u8>(&[0xcd, 0x01]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 1 });
    /// ```
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message of an [`ErrorKind::Custom`] error; `None` for wire-format errors, whose
    /// kind says it all.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = msgskim::serde::from_slice::<u8>(&[0xcd, 0x01, 0x00]).unwrap_err();
    /// assert_eq!(err.message(), Some("invalid value: integer `256`, expected u8"));
    /// ```
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// True when the input ended inside a value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::serde::from_slice::<&str>(&[0xa3, b'a']).unwrap_err().is_truncated());
    /// ```
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Truncated { .. })
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error {
            inner: Box::new(Inner {
                offset: Some(e.offset()),
                kind: e.kind(),
                message: None,
            }),
        }
    }
}

impl From<Error> for crate::Error {
    fn from(e: Error) -> Self {
        crate::Error::new(e.offset(), e.kind())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("offset", &self.inner.offset);
        d.field("kind", &self.inner.kind);
        if let Some(m) = &self.inner.message {
            d.field("message", m);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.inner.message, self.inner.offset) {
            (Some(m), Some(at)) => write!(f, "{m} at byte {at}"),
            (Some(m), None) => f.write_str(m),
            (None, _) => fmt::Display::fmt(&crate::Error::new(self.offset(), self.kind()), f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(not(feature = "std"))]
impl core::error::Error for Error {}

impl ::serde::de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            inner: Box::new(Inner {
                offset: None,
                kind: ErrorKind::Custom,
                message: Some(msg.to_string().into_boxed_str()),
            }),
        }
    }
}
