//! Tokens: one per MessagePack header, with payloads borrowed from the input.

use core::fmt;

use crate::error::TimestampError;

/// One MessagePack token. `str`, `bin` and `ext` payloads borrow from the input.
///
/// Containers appear as a header token with their count; their contents follow as further
/// tokens (a map's keys and values alternate).
///
/// # Examples
///
/// ```
/// use msgskim::{Token, Tokenizer};
///
/// let bytes = [0x82, 0xa1, b'n', 0xa2, b'o', b'k', 0xa1, b's', 0xd1, 0x01, 0x00];
/// let tokens: Vec<Token> = Tokenizer::new(&bytes).collect::<Result<_, _>>().unwrap();
/// assert_eq!(tokens[0], Token::Map(2));
/// assert_eq!(tokens[2].as_str(), Some("ok"));
/// assert_eq!(tokens[4], Token::Int(256));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Token<'a> {
    /// `nil`.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer written in an unsigned format (positive fixint, uint 8..64).
    UInt(u64),
    /// An integer written in a signed format (negative fixint, int 8..64); it may be
    /// non-negative.
    Int(i64),
    /// A float 32, kept as written.
    F32(f32),
    /// A float 64.
    F64(f64),
    /// A str: raw bytes, UTF-8 checked only on request.
    Str(Str<'a>),
    /// A bin payload.
    Bin(&'a [u8]),
    /// An ext (other than a valid timestamp, unless timestamp decoding is turned off).
    Ext(Ext<'a>),
    /// A Timestamp extension (type -1), decoded.
    Timestamp(Timestamp),
    /// An array header with its element count.
    Array(u32),
    /// A map header with its pair count.
    Map(u32),
}

impl<'a> Token<'a> {
    /// The integer value as `i64`, if this is an integer that fits.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::Token;
    /// assert_eq!(Token::UInt(5).as_i64(), Some(5));
    /// assert_eq!(Token::UInt(u64::MAX).as_i64(), None);
    /// ```
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Token::Int(v) => Some(v),
            Token::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The integer value as `u64`, if this is a non-negative integer.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::Token;
    /// assert_eq!(Token::Int(7).as_u64(), Some(7));
    /// assert_eq!(Token::Int(-7).as_u64(), None);
    /// ```
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Token::UInt(v) => Some(v),
            Token::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The integer value widened to `i128`, exact over the whole msgpack range.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::Token;
    /// assert_eq!(Token::UInt(u64::MAX).as_i128(), Some(u64::MAX as i128));
    /// assert_eq!(Token::Int(i64::MIN).as_i128(), Some(i64::MIN as i128));
    /// ```
    #[must_use]
    pub fn as_i128(&self) -> Option<i128> {
        match *self {
            Token::UInt(v) => Some(v as i128),
            Token::Int(v) => Some(v as i128),
            _ => None,
        }
    }

    /// The numeric value as `f64` (integers converted, possibly rounding).
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::Token;
    /// assert_eq!(Token::F32(0.5).as_f64(), Some(0.5));
    /// assert_eq!(Token::Int(-2).as_f64(), Some(-2.0));
    /// ```
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Token::F32(v) => Some(v as f64),
            Token::F64(v) => Some(v),
            Token::UInt(v) => Some(v as f64),
            Token::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    /// The str payload as `&str`, if this is a str holding valid UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Str, Token};
    /// assert_eq!(Token::Str(Str::new(b"hi")).as_str(), Some("hi"));
    /// assert_eq!(Token::Str(Str::new(b"\xff")).as_str(), None);
    /// ```
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Token::Str(s) => s.to_str().ok(),
            _ => None,
        }
    }

    /// The name of the token's type, for messages.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Token::Nil.type_name(), "nil");
    /// ```
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            Token::Nil => "nil",
            Token::Bool(_) => "bool",
            Token::UInt(_) | Token::Int(_) => "integer",
            Token::F32(_) | Token::F64(_) => "float",
            Token::Str(_) => "str",
            Token::Bin(_) => "bin",
            Token::Ext(_) => "ext",
            Token::Timestamp(_) => "timestamp",
            Token::Array(_) => "array",
            Token::Map(_) => "map",
        }
    }
}

/// A str payload: the raw bytes as written, which old-spec data and real dumps do not always
/// fill with valid UTF-8.
///
/// # Examples
///
/// ```
/// use msgskim::Str;
/// let s = Str::new(b"caf\xc3\xa9");
/// assert_eq!(s.to_str(), Ok("café"));
/// assert_eq!(s.len(), 5);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str<'a>(&'a [u8]);

impl<'a> Str<'a> {
    /// Wraps raw str bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Str::new(b"x").as_bytes(), b"x");
    /// ```
    #[inline]
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Str(bytes)
    }

    /// The raw bytes, exactly as in the input.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Str::new(b"\xff").as_bytes(), b"\xff");
    /// ```
    #[inline]
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The bytes as `&str`, checking UTF-8 now.
    ///
    /// # Errors
    ///
    /// [`core::str::Utf8Error`] when the bytes are not valid UTF-8; its `valid_up_to()` is the
    /// offset of the first bad byte within the string.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = msgskim::Str::new(b"ab\xff").to_str().unwrap_err();
    /// assert_eq!(e.valid_up_to(), 2);
    /// ```
    #[inline]
    pub fn to_str(&self) -> Result<&'a str, core::str::Utf8Error> {
        core::str::from_utf8(self.0)
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Str::new(b"abc").len(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::Str::new(b"").is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_str() {
            Ok(s) => fmt::Debug::fmt(s, f),
            Err(_) => write!(f, "Str({:?})", self.0),
        }
    }
}

/// An ext value: its type and its payload, borrowed.
///
/// # Examples
///
/// ```
/// use msgskim::{Ext, Token, Tokenizer};
/// let mut t = Tokenizer::new(&[0xd4, 0x05, 0xaa]);
/// assert_eq!(t.next_token().unwrap(), Some(Token::Ext(Ext { ty: 5, data: &[0xaa] })));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ext<'a> {
    /// The ext type; negative types are reserved by the specification (-1 is Timestamp).
    pub ty: i8,
    /// The payload.
    pub data: &'a [u8],
}

impl Ext<'_> {
    /// Decodes this ext as a Timestamp, if its type is -1.
    ///
    /// Returns `None` for other types.
    ///
    /// # Errors
    ///
    /// [`TimestampError`] for a type -1 payload that is not 4, 8 or 12 bytes long, or whose
    /// nanoseconds exceed 999,999,999.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Ext, Timestamp};
    /// let e = Ext { ty: -1, data: &[0, 0, 0, 1] };
    /// assert_eq!(e.timestamp(), Some(Ok(Timestamp::new(1, 0).unwrap())));
    /// assert_eq!(Ext { ty: 3, data: &[] }.timestamp(), None);
    /// ```
    pub fn timestamp(&self) -> Option<Result<Timestamp, TimestampError>> {
        (self.ty == Timestamp::EXT_TYPE).then(|| Timestamp::from_ext_data(self.data))
    }
}

/// A point in time from the Timestamp extension (type -1): seconds since the Unix epoch
/// (negative before 1970) and nanoseconds within the second.
///
/// # Examples
///
/// ```
/// use msgskim::Timestamp;
/// let t = Timestamp::new(-1, 999_999_999).unwrap();
/// assert_eq!((t.seconds(), t.nanoseconds()), (-1, 999_999_999));
/// assert!(Timestamp::new(0, 1_000_000_000).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    seconds: i64,
    nanoseconds: u32,
}

impl Timestamp {
    /// The ext type of the Timestamp extension.
    pub const EXT_TYPE: i8 = -1;

    /// A timestamp, if `nanoseconds` is at most 999,999,999.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(msgskim::Timestamp::new(0, 999_999_999).is_some());
    /// ```
    #[must_use]
    pub const fn new(seconds: i64, nanoseconds: u32) -> Option<Self> {
        if nanoseconds > 999_999_999 {
            None
        } else {
            Some(Timestamp {
                seconds,
                nanoseconds,
            })
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Timestamp::new(5, 0).unwrap().seconds(), 5);
    /// ```
    #[must_use]
    pub const fn seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds within the second, 0..=999,999,999.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(msgskim::Timestamp::new(5, 7).unwrap().nanoseconds(), 7);
    /// ```
    #[must_use]
    pub const fn nanoseconds(&self) -> u32 {
        self.nanoseconds
    }

    /// Decodes the payload of a type -1 ext in its 32-, 64- or 96-bit form.
    ///
    /// # Errors
    ///
    /// [`TimestampError::Length`] for a payload of another length,
    /// [`TimestampError::Nanoseconds`] for nanoseconds over 999,999,999.
    ///
    /// # Examples
    ///
    /// ```
    /// use msgskim::{Timestamp, TimestampError};
    /// // 64-bit form: nanoseconds in the top 30 bits, seconds in the low 34.
    /// let raw = ((5u64 << 34) | 7).to_be_bytes();
    /// assert_eq!(Timestamp::from_ext_data(&raw), Ok(Timestamp::new(7, 5).unwrap()));
    /// assert_eq!(Timestamp::from_ext_data(&[0; 3]), Err(TimestampError::Length(3)));
    /// ```
    pub fn from_ext_data(data: &[u8]) -> Result<Timestamp, TimestampError> {
        let (seconds, nanoseconds) = match *data {
            [a, b, c, d] => (u32::from_be_bytes([a, b, c, d]) as i64, 0),
            [a, b, c, d, e, f, g, h] => {
                let v = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
                ((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32)
            }
            [a, b, c, d, e, f, g, h, i, j, k, l] => (
                i64::from_be_bytes([e, f, g, h, i, j, k, l]),
                u32::from_be_bytes([a, b, c, d]),
            ),
            _ => return Err(TimestampError::Length(data.len() as u32)),
        };
        Timestamp::new(seconds, nanoseconds).ok_or(TimestampError::Nanoseconds(nanoseconds))
    }
}
