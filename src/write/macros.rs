//! The `msgpack!` literal: MessagePack written straight from a JSON-like template.

/// Builds MessagePack bytes from a JSON-like literal, into a new `Vec<u8>` (feature `alloc`).
///
/// Arrays are `[a, b, c]`, maps `{key: value, ...}`, `nil` is nil, and anything else is a
/// Rust expression written through [`Encode`](crate::write::Encode) (numbers, strings,
/// bools, options, slices, [`Bin`](crate::write::Bin), [`Timestamp`](crate::Timestamp),
/// ...). Map keys may be any value too. Container lengths are counted while the macro
/// expands, so every header is written in its smallest form up front and nothing is
/// built in between: each value goes straight to the output. Integers are written in their
/// smallest form.
///
/// Returns `Result<Vec<u8>, msgskim::Error>`; with a `Vec` the only possible error is a
/// string, bin or array longer than 2^32 - 1.
///
/// To write into an existing [`Writer`](crate::write::Writer) over any sink, including a
/// caller's fixed buffer without a heap, use [`write_msgpack!`](crate::write_msgpack).
///
/// The macro takes its input apart with nested expansions, like `serde_json::json!`: runs of
/// simple elements (one token tree each, like `1`, `"s"`, `name`, `[..]`) go eight at a time
/// and simple map entries four at a time, so a literal of a few hundred such elements fits
/// the default recursion limit; long runs of compound expressions (`a + b`, `x.len()`) take
/// one level each and may need a higher `#![recursion_limit]`.
///
/// # Examples
///
/// ```
/// use msgskim::msgpack;
///
/// let name = "a.txt";
/// let bytes = msgpack!({"n": name, "s": 12, "tags": [1, 2, nil]})?;
/// assert_eq!(
///     bytes,
///     b"\x83\xa1n\xa5a.txt\xa1s\x0c\xa4tags\x93\x01\x02\xc0",
/// );
/// # Ok::<(), msgskim::Error>(())
/// ```
#[cfg(feature = "alloc")]
#[macro_export]
macro_rules! msgpack {
    ($($value:tt)+) => {{
        let mut __msgpack_w = $crate::write::__vec_writer();
        match $crate::write_msgpack!(&mut __msgpack_w, $($value)+) {
            ::core::result::Result::Ok(()) => ::core::result::Result::Ok(__msgpack_w.into_inner()),
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
        }
    }};
}

/// Writes a JSON-like literal (see [`msgpack!`](crate::msgpack)) with an existing
/// [`Writer`](crate::write::Writer), over any sink and in the writer's integer mode. It needs
/// no heap.
///
/// Evaluates to `Result<(), msgskim::Error>`. On error the writer stops at the failing value.
///
/// # Examples
///
/// ```
/// use msgskim::write::{SliceSink, Writer};
/// use msgskim::write_msgpack;
///
/// let mut buf = [0u8; 16];
/// let mut w = Writer::new(SliceSink::new(&mut buf));
/// let id = 7u32;
/// write_msgpack!(&mut w, [id, {"ok": true}, nil])?;
/// assert_eq!(w.get_ref().written(), b"\x93\x07\x81\xa2ok\xc3\xc0");
///
/// let mut tiny = [0u8; 2];
/// let mut w = Writer::new(SliceSink::new(&mut tiny));
/// assert!(write_msgpack!(&mut w, [1, 2, 3]).is_err());
/// # Ok::<(), msgskim::Error>(())
/// ```
#[macro_export]
macro_rules! write_msgpack {
    ($w:expr, $($value:tt)+) => {{
        let __msgpack_w: &mut $crate::write::Writer<_> = $w;
        '__msgpack: {
            $crate::__msgpack!(@value '__msgpack __msgpack_w ($($value)+));
            ::core::result::Result::<(), $crate::Error>::Ok(())
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __msgpack {
    // ---- one step that may fail ----
    (@try $l:lifetime $e:expr) => {
        if let ::core::result::Result::Err(e) = $e {
            break $l ::core::result::Result::Err(e);
        }
    };

    // ---- one value ----
    (@value $l:lifetime $w:ident (nil)) => {
        $crate::__msgpack!(@try $l $w.nil())
    };
    (@value $l:lifetime $w:ident ([$($elems:tt)*])) => {
        $crate::__msgpack!(@array $l $w [] ($($elems)*))
    };
    (@value $l:lifetime $w:ident ({$($pairs:tt)*})) => {
        $crate::__msgpack!(@map $l $w [] () ($($pairs)*))
    };
    (@value $l:lifetime $w:ident ($e:expr)) => {
        $crate::__msgpack!(@try $l $crate::write::Encode::encode(&$e, &mut *$w))
    };

    // ---- arrays: collect the elements as groups, then count them ----
    (@array $l:lifetime $w:ident [$($done:tt)*] ()) => {
        $crate::__msgpack!(@try $l $w.array_len($crate::__msgpack!(@count $($done)*)));
        $($crate::__msgpack!(@value $l $w $done);)*
    };
    // Eight elements of one token tree each (literals, names, nested groups) in one step, so
    // long literals stay far from the recursion limit.
    (@array $l:lifetime $w:ident [$($done:tt)*]
        ($a:tt , $b:tt , $c:tt , $d:tt , $e:tt , $f:tt , $g:tt , $h:tt , $($rest:tt)*)) => {
        $crate::__msgpack!(@array $l $w [$($done)* ($a) ($b) ($c) ($d) ($e) ($f) ($g) ($h)] ($($rest)*))
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] (nil , $($rest:tt)*)) => {
        $crate::__msgpack!(@array $l $w [$($done)* (nil)] ($($rest)*))
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] (nil)) => {
        $crate::__msgpack!(@array $l $w [$($done)* (nil)] ())
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ([$($a:tt)*] , $($rest:tt)*)) => {
        $crate::__msgpack!(@array $l $w [$($done)* ([$($a)*])] ($($rest)*))
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ([$($a:tt)*])) => {
        $crate::__msgpack!(@array $l $w [$($done)* ([$($a)*])] ())
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ({$($m:tt)*} , $($rest:tt)*)) => {
        $crate::__msgpack!(@array $l $w [$($done)* ({$($m)*})] ($($rest)*))
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ({$($m:tt)*})) => {
        $crate::__msgpack!(@array $l $w [$($done)* ({$($m)*})] ())
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ($e:expr , $($rest:tt)*)) => {
        $crate::__msgpack!(@array $l $w [$($done)* ($e)] ($($rest)*))
    };
    (@array $l:lifetime $w:ident [$($done:tt)*] ($e:expr)) => {
        $crate::__msgpack!(@array $l $w [$($done)* ($e)] ())
    };

    // ---- maps: collect (key) (value) pairs, then count them ----
    (@map $l:lifetime $w:ident [$($done:tt)*] () ()) => {
        $crate::__msgpack!(@try $l $w.map_len($crate::__msgpack!(@count $($done)*)));
        $($crate::__msgpack!(@pair $l $w $done);)*
    };
    // Four `key: value` pairs of one token tree each in one step.
    (@map $l:lifetime $w:ident [$($done:tt)*] ()
        ($k1:tt : $v1:tt , $k2:tt : $v2:tt , $k3:tt : $v3:tt , $k4:tt : $v4:tt , $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w
            [$($done)* (($k1) ($v1)) (($k2) ($v2)) (($k3) ($v3)) (($k4) ($v4))] () ($($rest)*))
    };
    (@map $l:lifetime $w:ident [$($done:tt)*] ($($key:tt)+) ()) => {
        ::core::compile_error!("msgpack!: a map key without `: value`")
    };
    (@map $l:lifetime $w:ident [$($done:tt)*] ($($key:tt)+) (: $($rest:tt)*)) => {
        $crate::__msgpack!(@mapval $l $w [$($done)*] ($($key)+) ($($rest)*))
    };
    (@map $l:lifetime $w:ident [$($done:tt)*] ($($key:tt)*) ($t:tt $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w [$($done)*] ($($key)* $t) ($($rest)*))
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ()) => {
        ::core::compile_error!("msgpack!: a map key with no value after `:`")
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt (nil , $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key (nil))] () ($($rest)*))
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt (nil)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key (nil))] () ())
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ([$($a:tt)*] , $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ([$($a)*]))] () ($($rest)*))
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ([$($a:tt)*])) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ([$($a)*]))] () ())
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ({$($m:tt)*} , $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ({$($m)*}))] () ($($rest)*))
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ({$($m:tt)*})) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ({$($m)*}))] () ())
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ($e:expr , $($rest:tt)*)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ($e))] () ($($rest)*))
    };
    (@mapval $l:lifetime $w:ident [$($done:tt)*] $key:tt ($e:expr)) => {
        $crate::__msgpack!(@map $l $w [$($done)* ($key ($e))] () ())
    };
    (@pair $l:lifetime $w:ident ($key:tt $value:tt)) => {
        $crate::__msgpack!(@value $l $w $key);
        $crate::__msgpack!(@value $l $w $value);
    };

    // ---- counting, at compile time ----
    (@count $($x:tt)*) => {
        <[()]>::len(&[$($crate::__msgpack!(@unit $x)),*]) as u32
    };
    (@unit $x:tt) => {
        ()
    };
}

/// The writer behind [`msgpack!`](crate::msgpack).
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub fn __vec_writer() -> super::Writer<alloc::vec::Vec<u8>> {
    super::Writer::new(alloc::vec::Vec::new())
}
