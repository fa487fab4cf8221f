//! MessagePack readers that msgskim's benchmarks compare against: C readers (msgpuck's
//! `mp_next`, `mp_check` and a hand-written listing walk, msgpack-c's streaming unpacker) and a
//! skip loop written on rmp's low-level `rmp::decode` API.
//!
//! The C code is compiled by `build.rs` only when the system headers and libraries are there
//! (Debian: `libmsgpuck-dev`, `libmsgpack-dev`). Without them every wrapper returns `None` and
//! [`available`] says which peer is missing, so the benchmarks still build and run.
#![deny(missing_docs, clippy::undocumented_unsafe_blocks)]

use core::ffi::c_char;

use rmp::decode::{read_marker, RmpRead};
use rmp::Marker;

#[cfg(peers_msgpuck)]
extern "C" {
    fn msgskim_mp_next_count(buf: *const c_char, len: usize) -> usize;
    fn msgskim_mp_check_count(buf: *const c_char, len: usize) -> i64;
    fn msgskim_mp_listing_names(buf: *const c_char, len: usize, count: *mut u64, bytes: *mut u64);
}

#[cfg(peers_msgpackc)]
extern "C" {
    fn msgskim_msgpackc_unpack_chunks(buf: *const c_char, len: usize, chunk: usize) -> i64;
}

/// True when both C peers were compiled in.
///
/// # Examples
///
/// ```
/// if !msgskim_bench_peers::available() {
///     eprintln!("C peers missing: {}", msgskim_bench_peers::missing().join(", "));
/// }
/// ```
#[must_use]
pub fn available() -> bool {
    msgpuck_available() && msgpackc_available()
}

/// True when the msgpuck peer was compiled in.
///
/// # Examples
///
/// ```
/// let _ = msgskim_bench_peers::msgpuck_available();
/// ```
#[must_use]
pub fn msgpuck_available() -> bool {
    cfg!(peers_msgpuck)
}

/// True when the msgpack-c peer was compiled in.
///
/// # Examples
///
/// ```
/// let _ = msgskim_bench_peers::msgpackc_available();
/// ```
#[must_use]
pub fn msgpackc_available() -> bool {
    cfg!(peers_msgpackc)
}

/// The names of the peers that were not compiled in (empty when all are there).
///
/// # Examples
///
/// ```
/// assert_eq!(msgskim_bench_peers::missing().is_empty(), msgskim_bench_peers::available());
/// ```
#[must_use]
pub fn missing() -> Vec<&'static str> {
    let mut v = Vec::new();
    if !msgpuck_available() {
        v.push("msgpuck (libmsgpuck-dev)");
    }
    if !msgpackc_available() {
        v.push("msgpack-c (libmsgpack-dev)");
    }
    v
}

/// Counts the top-level values of `buf` with msgpuck's `mp_check` (bounds-checked).
///
/// Returns `None` without msgpuck, `Some(Ok(count))`, or `Some(Err(offset))` with the offset of
/// the top-level value that failed the check. msgpuck does not reject the reserved byte 0xc1.
///
/// # Examples
///
/// ```
/// if let Some(r) = msgskim_bench_peers::mp_check_count(&[0x01, 0x91, 0xc0]) {
///     assert_eq!(r, Ok(2));
/// }
/// ```
#[must_use]
pub fn mp_check_count(buf: &[u8]) -> Option<Result<usize, usize>> {
    #[cfg(peers_msgpuck)]
    {
        // SAFETY: mp_check reads only within [buf, buf + len): it compares against the end
        // pointer before every read, and the shim never writes.
        let r = unsafe { msgskim_mp_check_count(buf.as_ptr().cast(), buf.len()) };
        Some(if r >= 0 {
            Ok(r as usize)
        } else {
            Err((-1 - r) as usize)
        })
    }
    #[cfg(not(peers_msgpuck))]
    {
        let _ = buf;
        None
    }
}

/// A buffer that msgpuck's `mp_check` accepted, so its unchecked readers can run on it.
///
/// # Examples
///
/// ```
/// use msgskim_bench_peers::Checked;
/// if let Some(c) = Checked::new(&[0x92, 0x01, 0x02]) {
///     assert_eq!(c.mp_next_count(), 1);
/// }
/// assert!(Checked::new(&[0x92, 0x01]).is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Checked<'a>(&'a [u8]);

impl<'a> Checked<'a> {
    /// Checks `buf` with `mp_check`; `None` when it fails or msgpuck is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = msgskim_bench_peers::Checked::new(&[0xc0]);
    /// ```
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Option<Self> {
        match mp_check_count(buf) {
            Some(Ok(_)) => Some(Checked(buf)),
            _ => None,
        }
    }

    /// The checked bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// if let Some(c) = msgskim_bench_peers::Checked::new(&[0xc0]) {
    ///     assert_eq!(c.bytes(), &[0xc0]);
    /// }
    /// ```
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Skips every top-level value with msgpuck's unchecked `mp_next`; returns the count.
    ///
    /// # Examples
    ///
    /// ```
    /// if let Some(c) = msgskim_bench_peers::Checked::new(&[0xc0, 0x01]) {
    ///     assert_eq!(c.mp_next_count(), 2);
    /// }
    /// ```
    #[must_use]
    pub fn mp_next_count(&self) -> usize {
        #[cfg(peers_msgpuck)]
        {
            // SAFETY: `Checked::new` ran mp_check over the whole buffer, so every top-level
            // value lies complete inside it and mp_next, which follows the same headers,
            // never reads past the end.
            unsafe { msgskim_mp_next_count(self.0.as_ptr().cast(), self.0.len()) }
        }
        #[cfg(not(peers_msgpuck))]
        {
            // A `Checked` cannot be built without msgpuck.
            0
        }
    }

    /// Walks a listing dump with msgpuck's unchecked decoders, as a hand-written C reader
    /// would: pages (maps) -> `"Entries"` (array) -> entry maps -> key `"n"`. Returns the
    /// number of names and the sum of their lengths in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// // [{"Entries": [{"n": "ab"}]}]
    /// let dump = b"\x81\xa7Entries\x91\x81\xa1n\xa2ab";
    /// if let Some(c) = msgskim_bench_peers::Checked::new(dump) {
    ///     assert_eq!(c.mp_listing_names(), (1, 2));
    /// }
    /// ```
    #[must_use]
    pub fn mp_listing_names(&self) -> (u64, u64) {
        #[cfg(peers_msgpuck)]
        {
            let (mut count, mut bytes) = (0u64, 0u64);
            // SAFETY: the buffer passed mp_check (see `mp_next_count`); the shim tests each
            // value's type before a typed decode, and writes only the two out-pointers, which
            // point at live locals.
            unsafe {
                msgskim_mp_listing_names(
                    self.0.as_ptr().cast(),
                    self.0.len(),
                    &mut count,
                    &mut bytes,
                )
            };
            (count, bytes)
        }
        #[cfg(not(peers_msgpuck))]
        {
            (0, 0)
        }
    }
}

/// Feeds `buf` to msgpack-c's streaming `msgpack_unpacker` `chunk` bytes at a time,
/// unpacking each value as soon as it is complete. Returns the number of values.
///
/// `None` without msgpack-c; `Some(Err(code))` on a parse error (-1), out of memory (-2) or
/// input left over at the end (-3).
///
/// # Examples
///
/// ```
/// if let Some(r) = msgskim_bench_peers::msgpackc_unpack_chunks(&[0x92, 0x01, 0x02, 0xc0], 1) {
///     assert_eq!(r, Ok(2));
/// }
/// ```
#[must_use]
pub fn msgpackc_unpack_chunks(buf: &[u8], chunk: usize) -> Option<Result<usize, i64>> {
    #[cfg(peers_msgpackc)]
    {
        // SAFETY: the shim reads only [buf, buf + len) (copying it into the unpacker's own
        // buffer) and frees everything it allocates before returning.
        let r = unsafe { msgskim_msgpackc_unpack_chunks(buf.as_ptr().cast(), buf.len(), chunk) };
        Some(if r >= 0 { Ok(r as usize) } else { Err(r) })
    }
    #[cfg(not(peers_msgpackc))]
    {
        let _ = (buf, chunk);
        None
    }
}

/// Skips one value with a careful loop on rmp's low-level API: read each marker, read length
/// and count fields with `RmpRead`, step over payloads by slicing; one pending counter.
/// `None` on invalid or truncated input.
///
/// # Examples
///
/// ```
/// let mut rd = &[0x92, 0x01, 0xa1, b'x', 0xc0][..];
/// assert_eq!(msgskim_bench_peers::rmp_skip_one(&mut rd), Some(()));
/// assert_eq!(rd, &[0xc0]);
/// ```
pub fn rmp_skip_one(rd: &mut &[u8]) -> Option<()> {
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let m = read_marker(rd).ok()?;
        let skip = match m {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                0
            }
            Marker::U8 | Marker::I8 => 1,
            Marker::U16 | Marker::I16 => 2,
            Marker::U32 | Marker::I32 | Marker::F32 => 4,
            Marker::U64 | Marker::I64 | Marker::F64 => 8,
            Marker::FixStr(n) => n as usize,
            Marker::Str8 | Marker::Bin8 => rd.read_data_u8().ok()? as usize,
            Marker::Str16 | Marker::Bin16 => rd.read_data_u16().ok()? as usize,
            Marker::Str32 | Marker::Bin32 => rd.read_data_u32().ok()? as usize,
            Marker::FixExt1 => 2,
            Marker::FixExt2 => 3,
            Marker::FixExt4 => 5,
            Marker::FixExt8 => 9,
            Marker::FixExt16 => 17,
            Marker::Ext8 => rd.read_data_u8().ok()? as usize + 1,
            Marker::Ext16 => rd.read_data_u16().ok()? as usize + 1,
            Marker::Ext32 => rd.read_data_u32().ok()? as usize + 1,
            Marker::FixArray(n) => {
                pending += n as u64;
                0
            }
            Marker::Array16 => {
                pending += rd.read_data_u16().ok()? as u64;
                0
            }
            Marker::Array32 => {
                pending += rd.read_data_u32().ok()? as u64;
                0
            }
            Marker::FixMap(n) => {
                pending += 2 * n as u64;
                0
            }
            Marker::Map16 => {
                pending += 2 * rd.read_data_u16().ok()? as u64;
                0
            }
            Marker::Map32 => {
                pending += 2 * rd.read_data_u32().ok()? as u64;
                0
            }
            Marker::Reserved => return None,
        };
        *rd = rd.get(skip..)?;
    }
    Some(())
}

/// Skips every top-level value of `buf` with [`rmp_skip_one`]; returns the count.
///
/// # Examples
///
/// ```
/// assert_eq!(msgskim_bench_peers::rmp_skip_all(&[0x01, 0x91, 0xc0]), Some(2));
/// assert_eq!(msgskim_bench_peers::rmp_skip_all(&[0x92, 0xc0]), None);
/// ```
pub fn rmp_skip_all(buf: &[u8]) -> Option<usize> {
    let mut rd = buf;
    let mut n = 0;
    while !rd.is_empty() {
        rmp_skip_one(&mut rd)?;
        n += 1;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_agree_on_a_small_buffer() {
        // [1, {"a": "bc"}], nil, "xyz"
        let buf = [
            0x92, 0x01, 0x81, 0xa1, b'a', 0xa2, b'b', b'c', 0xc0, 0xa3, b'x', b'y', b'z',
        ];
        if let Some(r) = mp_check_count(&buf) {
            assert_eq!(r, Ok(3));
            assert_eq!(mp_check_count(&buf[..5]), Some(Err(0)));
            let c = Checked::new(&buf).unwrap();
            assert_eq!(c.mp_next_count(), 3);
            assert!(Checked::new(&buf[..12]).is_none());
        }
        for chunk in [1, 2, 5, 100] {
            if let Some(r) = msgpackc_unpack_chunks(&buf, chunk) {
                assert_eq!(r, Ok(3), "chunk {chunk}");
                assert_eq!(msgpackc_unpack_chunks(&buf[..12], chunk), Some(Err(-3)));
            }
        }
    }

    #[test]
    fn listing_walk_counts_names() {
        // Two pages: {"UUID": "u", "Entries": [{"n": "ab", "s": 1}, {"n": "cde"}], "Flags": 1}
        // and {"Entries": [], "Flags": 0}
        let mut dump = Vec::new();
        dump.extend_from_slice(b"\x83\xa4UUID\xa1u\xa7Entries\x92");
        dump.extend_from_slice(b"\x82\xa1n\xa2ab\xa1s\x01\x81\xa1n\xa3cde");
        dump.extend_from_slice(b"\xa5Flags\x01");
        dump.extend_from_slice(b"\x82\xa7Entries\x90\xa5Flags\x00");
        if let Some(c) = Checked::new(&dump) {
            assert_eq!(c.mp_listing_names(), (2, 5));
            assert_eq!(c.mp_next_count(), 2);
        }
    }
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): what a run costs without the
/// time other processes had the core, for benchmarks on shared machines.
///
/// # Panics
///
/// Off 64-bit Linux, where the clock is not wired up here.
///
/// # Examples
///
/// ```
/// let t = msgskim_bench_peers::thread_cpu_time();
/// assert!(msgskim_bench_peers::thread_cpu_time() >= t);
/// ```
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[must_use]
pub fn thread_cpu_time() -> std::time::Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec (two 64-bit fields on 64-bit Linux), and the
    // clock id is one Linux defines.
    let r = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(r, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    std::time::Duration::new(t.sec as u64, t.nsec as u32)
}

/// CPU time of the calling thread: not available off 64-bit Linux.
///
/// # Panics
///
/// Always.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
#[must_use]
pub fn thread_cpu_time() -> std::time::Duration {
    panic!("thread CPU time is measured on 64-bit Linux only")
}
