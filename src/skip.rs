//! Skipping and validating whole values with one pending counter: no recursion, no stack.
//!
//! Two loops do the work. A fast kernel ([`crate::scan`]) steps over tokens with a table
//! derived from the lead-byte table and only says "ends at N" or "something is wrong". When it
//! has a doubt, the reference loop below, a plain [`decode_head`] per token, re-reads the value
//! from its start and reports the exact first error with its offset. Both give the same answer
//! on every input; the tests check it.

use crate::error::{Error, ErrorKind};
use crate::head::{decode_head, Head};
use crate::scan::{self, Checks};
use crate::token::Timestamp;
use crate::tokenizer::{Limits, Tokenizer, MAX_DEPTH};

/// The reference loop: one [`decode_head`] per token, checks in the tokenizer's order.
#[cold]
#[inline(never)]
fn skip_reference(buf: &[u8], pos: usize, checks: Checks) -> Result<usize, Error> {
    let mut pos = pos;
    let mut pending: u64 = 1;
    while pending > 0 {
        let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
        let start = pos + h.len;
        let end = start + h.payload_len();
        if end > buf.len() {
            return Err(Error::new(
                pos as u64,
                ErrorKind::Truncated {
                    needed: end - buf.len(),
                },
            ));
        }
        match h.head() {
            Head::Str(_) if checks.utf8 => {
                if let Err(e) = core::str::from_utf8(&buf[start..end]) {
                    return Err(Error::new(
                        (start + e.valid_up_to()) as u64,
                        ErrorKind::InvalidUtf8,
                    ));
                }
            }
            Head::Ext { ty, .. } if checks.timestamps && ty == Timestamp::EXT_TYPE => {
                if let Err(e) = Timestamp::from_ext_data(&buf[start..end]) {
                    return Err(Error::new(pos as u64, ErrorKind::InvalidTimestamp(e)));
                }
            }
            _ => {}
        }
        // Saturating: a counter this large can only end in a truncation error anyway.
        pending = (pending - 1).saturating_add(h.children());
        pos = end;
    }
    Ok(pos)
}

#[inline(always)]
fn skip_checked(buf: &[u8], pos: usize, checks: Checks) -> Result<usize, Error> {
    let fast = if checks.timestamps {
        scan::skip::<true>(buf, pos, 1, checks)
    } else if checks.utf8 {
        scan::skip_utf8(buf, pos, 1)
    } else {
        scan::skip_structure(buf, pos, 1)
    };
    match fast {
        Ok(end) => Ok(end),
        Err(scan::Doubt) => skip_reference(buf, pos, checks),
    }
}

/// Skips the one complete value that starts at `buf[pos]` and returns the offset just past it.
///
/// Only structure is checked (headers, the reserved byte, declared lengths against the end of
/// the buffer); the state is a single counter of values still to skip, so any nesting depth is
/// fine and nothing is allocated.
///
/// # Errors
///
/// [`ErrorKind::Truncated`] with the offset of the token that is cut short (or of the end of
/// the buffer when a container lacks elements), [`ErrorKind::ReservedByte`] for `0xc1`.
///
/// # Examples
///
/// ```
/// // [1, {"a": "bc"}] followed by nil
/// let buf = [0x92, 0x01, 0x81, 0xa1, b'a', 0xa2, b'b', b'c', 0xc0];
/// assert_eq!(msgskim::skip_value(&buf, 0), Ok(8));
/// assert_eq!(msgskim::skip_value(&buf, 8), Ok(9));
/// ```
#[inline]
pub fn skip_value(buf: &[u8], pos: usize) -> Result<usize, Error> {
    match scan::skip_structure(buf, pos, 1) {
        Ok(end) => Ok(end),
        Err(scan::Doubt) => skip_reference(buf, pos, Checks::default()),
    }
}

/// [`skip_value`] with the token-at-a-time step-table kernel only, never the block-wise one.
/// Exposed for benchmarks that measure what the blocks buy; use [`skip_value`].
///
/// # Errors
///
/// Exactly those of [`skip_value`].
///
/// # Examples
///
/// ```
/// let buf = [0x92, 0x01, 0xa1, b'x'];
/// assert_eq!(msgskim::skip_value_plain(&buf, 0), msgskim::skip_value(&buf, 0));
/// ```
#[doc(hidden)]
pub fn skip_value_plain(buf: &[u8], pos: usize) -> Result<usize, Error> {
    match scan::skip::<false>(buf, pos, 1, Checks::default()) {
        Ok(end) => Ok(end),
        Err(scan::Doubt) => skip_reference(buf, pos, Checks::default()),
    }
}

/// The plain reference loop behind [`skip_value`], one head decode per token, without the
/// fast kernel. Exposed for benchmarks and tests that compare the two; use [`skip_value`].
///
/// # Errors
///
/// Exactly those of [`skip_value`].
///
/// # Examples
///
/// ```
/// let buf = [0x92, 0x01, 0xa1, b'x'];
/// assert_eq!(msgskim::skip_value_reference(&buf, 0), msgskim::skip_value(&buf, 0));
/// ```
#[doc(hidden)]
pub fn skip_value_reference(buf: &[u8], pos: usize) -> Result<usize, Error> {
    skip_reference(buf, pos, Checks::default())
}

/// Checks that `buf` holds one or more complete top-level values and nothing else.
///
/// Structure only; see [`validate_with`] for UTF-8, timestamp and depth checks.
///
/// # Errors
///
/// The first error found, with its offset (see [`skip_value`]).
///
/// # Examples
///
/// ```
/// assert!(msgskim::validate(&[0x01, 0x91, 0xc0]).is_ok());
/// assert_eq!(msgskim::validate(&[0x01, 0x92, 0xc0]).unwrap_err().offset(), 3);
/// ```
pub fn validate(buf: &[u8]) -> Result<(), Error> {
    // The kernel runs over all top-level values in one go: a counter that never reaches zero
    // before the end of the buffer means "one more value", so restart it at each boundary.
    let mut pos = 0;
    while pos < buf.len() {
        pos = skip_value(buf, pos)?;
    }
    Ok(())
}

/// What [`validate_with`] checks besides structure.
///
/// The default checks structure only, like [`validate`]. [`ValidateOptions::strict`] checks
/// what a [`Tokenizer`] with default [`Limits`] and UTF-8 checking would.
///
/// # Examples
///
/// ```
/// use msgskim::{validate_with, ErrorKind, ValidateOptions};
/// let opts = ValidateOptions { check_utf8: true, ..ValidateOptions::default() };
/// let err = validate_with(&[0x91, 0xa2, b'o', 0xff], &opts).unwrap_err();
/// assert_eq!((err.offset(), err.kind()), (3, ErrorKind::InvalidUtf8));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Check that every str is valid UTF-8 ([`ErrorKind::InvalidUtf8`] at the first bad byte).
    pub check_utf8: bool,
    /// Check that every type -1 ext is a well-formed timestamp
    /// ([`ErrorKind::InvalidTimestamp`] at the ext).
    pub check_timestamps: bool,
    /// Reject containers nested deeper than this ([`ErrorKind::DepthLimit`] at the container
    /// that would open one level too many); capped at [`MAX_DEPTH`]. `None`: any depth.
    ///
    /// Depth checking needs a stack of open containers, so it runs the [`Tokenizer`]'s loop
    /// rather than the one-counter skip.
    pub max_depth: Option<usize>,
}

impl ValidateOptions {
    /// Everything a [`Tokenizer`] checks with default [`Limits`], plus UTF-8: depth at most
    /// [`Limits::DEFAULT_MAX_DEPTH`], well-formed timestamps, valid UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// let strict = msgskim::ValidateOptions::strict();
    /// assert!(strict.check_utf8 && strict.check_timestamps);
    /// assert_eq!(strict.max_depth, Some(256));
    /// ```
    #[must_use]
    pub const fn strict() -> Self {
        ValidateOptions {
            check_utf8: true,
            check_timestamps: true,
            max_depth: Some(Limits::DEFAULT_MAX_DEPTH),
        }
    }

    /// The tokenizer [`Limits`] that check the same things.
    fn limits(&self, max_depth: usize) -> Limits {
        Limits {
            max_depth,
            check_utf8: self.check_utf8,
            decode_timestamps: self.check_timestamps,
            ..Limits::default()
        }
    }
}

/// Checks that `buf` holds one or more complete top-level values and nothing else, with the
/// extra checks in `opts`.
///
/// It reports the same first error, at the same offset, as a [`Tokenizer`] over `buf` whose
/// [`Limits`] ask for the same checks.
///
/// # Errors
///
/// The first error found, with its offset: those of [`skip_value`], and
/// [`ErrorKind::InvalidUtf8`], [`ErrorKind::InvalidTimestamp`], [`ErrorKind::DepthLimit`] as
/// asked.
///
/// # Examples
///
/// ```
/// use msgskim::{validate_with, ErrorKind, ValidateOptions};
/// let deep = [0x91, 0x91, 0x91, 0xc0];
/// assert!(validate_with(&deep, &ValidateOptions::default()).is_ok());
/// let opts = ValidateOptions { max_depth: Some(2), ..ValidateOptions::default() };
/// let err = validate_with(&deep, &opts).unwrap_err();
/// assert_eq!((err.offset(), err.kind()), (2, ErrorKind::DepthLimit { limit: 2 }));
/// ```
pub fn validate_with(buf: &[u8], opts: &ValidateOptions) -> Result<(), Error> {
    if let Some(d) = opts.max_depth {
        let mut t = Tokenizer::with_limits(buf, opts.limits(d.min(MAX_DEPTH)));
        while t.next_token()?.is_some() {}
        return Ok(());
    }
    let checks = Checks {
        utf8: opts.check_utf8,
        timestamps: opts.check_timestamps,
    };
    let mut pos = 0;
    while pos < buf.len() {
        pos = skip_checked(buf, pos, checks)?;
    }
    Ok(())
}
