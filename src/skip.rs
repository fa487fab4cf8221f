//! Skipping and validating whole values with one pending counter: no recursion, no stack.

use crate::error::{Error, ErrorKind};
use crate::head::{decode_head, HeadError};

#[cold]
fn head_error(e: HeadError, pos: usize) -> Error {
    match e {
        HeadError::Incomplete { needed } => Error::new(
            pos as u64,
            ErrorKind::Truncated {
                needed: needed.get(),
            },
        ),
        HeadError::Reserved => Error::new(pos as u64, ErrorKind::ReservedByte),
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
    let mut pos = pos;
    let mut pending: u64 = 1;
    while pending > 0 {
        let h = decode_head(buf, pos).map_err(|e| head_error(e, pos))?;
        let end = pos + h.len + h.payload_len();
        if end > buf.len() {
            return Err(Error::new(
                pos as u64,
                ErrorKind::Truncated {
                    needed: end - buf.len(),
                },
            ));
        }
        pending = pending - 1 + h.children();
        pos = end;
    }
    Ok(pos)
}

/// Checks that `buf` holds one or more complete top-level values and nothing else.
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
    let mut pos = 0;
    while pos < buf.len() {
        pos = skip_value(buf, pos)?;
    }
    Ok(())
}
