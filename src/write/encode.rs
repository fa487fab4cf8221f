//! [`Encode`]: Rust values that know how to write themselves, for [`Writer::encode`] and the
//! [`msgpack!`](crate::msgpack) macro.

use super::{Sink, Writer};
use crate::error::Error;
use crate::raw::RawValue;
use crate::token::{Timestamp, Token};

/// A value that writes itself to a [`Writer`].
///
/// Implemented for `bool`, all integer types (signed ones through [`Writer::int`], so they
/// follow the writer's [`IntMode`](super::IntMode)), `f32`, `f64`, `str`, `String`, `char`,
/// [`Timestamp`], [`Token`], [`RawValue`] (spliced as it is), [`Bin`], `()` (nil), `Option<T>` (`None` is nil), slices, arrays
/// and `Vec`s (as arrays), `BTreeMap` and `HashMap` (as maps), references and boxes.
///
/// Bytes are written as an array of integers like any other slice; wrap them in [`Bin`] to
/// write a bin.
///
/// # Examples
///
/// ```
/// use msgskim::write::{Encode, Sink, Writer};
/// use msgskim::Error;
///
/// struct Point { x: i32, y: i32 }
///
/// impl Encode for Point {
///     fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
///         w.array_len(2)?;
///         w.int(self.x.into())?;
///         w.int(self.y.into())
///     }
/// }
///
/// let mut w = Writer::new(Vec::new());
/// w.encode(&Point { x: 1, y: -1 })?;
/// assert_eq!(w.into_inner(), [0x92, 0x01, 0xff]);
/// # Ok::<(), msgskim::Error>(())
/// ```
pub trait Encode {
    /// Writes `self` as one value.
    ///
    /// # Errors
    ///
    /// Whatever the writer reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::write::{Encode, Writer};
    /// let mut w = Writer::new(Vec::new());
    /// "hi".encode(&mut w)?;
    /// assert_eq!(w.into_inner(), [0xa2, b'h', b'i']);
    /// # Ok::<(), msgskim::Error>(())
    /// ```
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error>;
}

/// Bytes to be written as a MessagePack bin (a plain `&[u8]` is written as an array).
///
/// # Examples
///
/// ```
/// use msgskim::write::{Bin, Writer};
/// let mut w = Writer::new(Vec::new());
/// w.encode(&Bin(&[1, 2]))?;
/// assert_eq!(w.into_inner(), [0xc4, 2, 1, 2]);
/// # Ok::<(), msgskim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bin<'a>(pub &'a [u8]);

impl Encode for Bin<'_> {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.bin(self.0)
    }
}

macro_rules! encode_via {
    ($method:ident as $wide:ty: $($t:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
                w.$method(*self as $wide)
            }
        }
    )*};
}

encode_via!(uint as u64: u8, u16, u32, u64, usize);
encode_via!(int as i64: i8, i16, i32, i64, isize);

impl Encode for bool {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.bool(*self)
    }
}

impl Encode for f32 {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.f32(*self)
    }
}

impl Encode for f64 {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.f64(*self)
    }
}

impl Encode for str {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.str(self)
    }
}

impl Encode for char {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.str(self.encode_utf8(&mut [0; 4]))
    }
}

impl Encode for () {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.nil()
    }
}

impl Encode for Timestamp {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.timestamp(*self)
    }
}

impl Encode for Token<'_> {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.token(self)
    }
}

impl Encode for RawValue<'_> {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        w.raw_value(*self)
    }
}

impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        match self {
            Some(v) => v.encode(w),
            None => w.nil(),
        }
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        (**self).encode(w)
    }
}

impl<T: Encode + ?Sized> Encode for &mut T {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        (**self).encode(w)
    }
}

impl<T: Encode> Encode for [T] {
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        let Ok(n) = u32::try_from(self.len()) else {
            return Err(too_many(w, self.len()));
        };
        w.array_len(n)?;
        self.iter().try_for_each(|v| v.encode(w))
    }
}

impl<T: Encode, const N: usize> Encode for [T; N] {
    #[inline]
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        self[..].encode(w)
    }
}

#[cold]
fn too_many<S: Sink>(w: &Writer<S>, len: usize) -> Error {
    Error::new(
        w.get_ref().position(),
        crate::ErrorKind::ContainerLimit {
            len: len as u64,
            limit: u32::MAX as u64,
        },
    )
}

#[cfg(feature = "alloc")]
mod alloc_impls {
    use super::*;
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use alloc::vec::Vec;

    impl Encode for String {
        #[inline]
        fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
            w.str(self)
        }
    }

    impl<T: Encode> Encode for Vec<T> {
        #[inline]
        fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
            self[..].encode(w)
        }
    }

    impl<T: Encode + ?Sized> Encode for Box<T> {
        #[inline]
        fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
            (**self).encode(w)
        }
    }

    impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
        fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
            encode_map(w, self.len(), self.iter())
        }
    }

    pub(super) fn encode_map<'a, S, K, V, I>(
        w: &mut Writer<S>,
        len: usize,
        it: I,
    ) -> Result<(), Error>
    where
        S: Sink,
        K: Encode + 'a,
        V: Encode + 'a,
        I: Iterator<Item = (&'a K, &'a V)>,
    {
        let Ok(n) = u32::try_from(len) else {
            return Err(too_many(w, len));
        };
        w.map_len(n)?;
        for (k, v) in it {
            k.encode(w)?;
            v.encode(w)?;
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl<K: Encode, V: Encode, H> Encode for std::collections::HashMap<K, V, H> {
    fn encode<S: Sink>(&self, w: &mut Writer<S>) -> Result<(), Error> {
        alloc_impls::encode_map(w, self.len(), self.iter())
    }
}
