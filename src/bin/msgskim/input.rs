//! Where the bytes come from: a memory-mapped file, or a stream (stdin, a pipe, a FIFO) cut
//! into complete top-level values as they arrive.

use std::fs::File;
use std::io::{self, IsTerminal, Read};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use memmap2::Mmap;
use msgskim::{Limits, StreamConfig, StreamDecoder, Tokenizer};

use crate::Fail;

/// Files smaller than this get no progress bar: they are done before one would be seen.
const PROGRESS_MIN: u64 = 32 << 20;

/// The most a stream read asks for at a time.
const READ_SIZE: usize = 256 << 10;

/// What a command is handed.
pub enum Chunk<'a> {
    /// Complete top-level values; `base` is the input offset of `bytes[0]`.
    Values { base: u64, bytes: &'a [u8] },
    /// A stream is about to wait for more input: flush what should be seen by now.
    Waiting,
}

/// Standard input as a file, when it is a regular file read from its start (`< FILE`).
#[cfg(unix)]
fn stdin_file() -> Option<File> {
    use std::io::Seek;
    use std::os::fd::AsFd;
    let mut file = File::from(io::stdin().as_fd().try_clone_to_owned().ok()?);
    let regular = file.metadata().ok()?.is_file();
    (regular && file.stream_position().ok()? == 0).then_some(file)
}

#[cfg(not(unix))]
fn stdin_file() -> Option<File> {
    None
}

/// A progress bar on stderr, shown only when stderr is a terminal.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    fn enabled(len: Option<u64>) -> bool {
        io::stderr().is_terminal() && len.map_or(true, |l| l >= PROGRESS_MIN)
    }

    /// A bar over `len` bytes (`None`: a stream of unknown length, shown as a byte counter).
    pub fn new(len: Option<u64>) -> Self {
        if !Self::enabled(len) {
            return Progress(None);
        }
        let bar = match len {
            Some(l) => ProgressBar::with_draw_target(Some(l), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        Progress(Some(bar))
    }

    /// Reports that everything before byte `pos` is done.
    #[inline]
    pub fn set(&self, pos: u64) {
        if let Some(b) = &self.0 {
            b.set_position(pos);
        }
    }

    /// True when a bar is shown.
    pub fn active(&self) -> bool {
        self.0.is_some()
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// An opened input.
pub enum Input {
    /// A regular file, mapped into memory (`None` for an empty file, which cannot be mapped).
    Mapped(Option<Mmap>),
    /// Anything read incrementally.
    Stream(Box<dyn Read>),
}

impl Input {
    /// Opens `path`; `None` or `-` is stdin. Regular files are memory-mapped (standard input
    /// too, when it is redirected from one and not yet read); anything else (pipes, FIFOs,
    /// character devices) is read as a stream.
    ///
    /// # Errors
    ///
    /// [`Fail::Io`] when the file cannot be opened or mapped.
    pub fn open(path: Option<&str>) -> Result<Input, Fail> {
        let path = match path {
            None | Some("-") => {
                if let Some(file) = stdin_file() {
                    return Self::map(&file, "standard input");
                }
                return Ok(Input::Stream(Box::new(io::stdin())));
            }
            Some(p) => p,
        };
        let file = File::open(path).map_err(|e| Fail::Io(format!("cannot read {path}"), e))?;
        Self::map(&file, path)
    }

    /// Maps `file` if it is a regular file, else reads it as a stream.
    fn map(file: &File, name: &str) -> Result<Input, Fail> {
        let io_fail = |e| Fail::Io(format!("cannot read {name}"), e);
        let meta = file.metadata().map_err(io_fail)?;
        if meta.is_dir() {
            return Err(io_fail(io::Error::other("it is a directory")));
        }
        if !meta.is_file() {
            let file = file.try_clone().map_err(io_fail)?;
            return Ok(Input::Stream(Box::new(file)));
        }
        if meta.len() == 0 {
            return Ok(Input::Mapped(None));
        }
        // SAFETY: the map is read-only and lives as long as `Input`. The one hazard is another
        // process truncating or rewriting the file while it is mapped (a SIGBUS or changing
        // bytes); readers treat the bytes as untrusted input in any case, so changed bytes give
        // at worst an error, and a file shrinking under a running command is accepted the way
        // every mmap-based tool accepts it. `tests/cli.rs` checks that mapped and streamed
        // reading give the same output.
        let map = unsafe { Mmap::map(file) }.map_err(io_fail)?;
        Ok(Input::Mapped(Some(map)))
    }

    /// Hands the input to `f` as runs of complete top-level values, in order, until it ends;
    /// returns the input's length.
    ///
    /// A mapped file is handed over whole in one call (the caller's tokenizer finds any error
    /// in it). A stream goes through a [`StreamDecoder`] checking `limits`: each value is handed
    /// over as soon as its last byte is in, no byte is scanned twice, and [`Chunk::Waiting`]
    /// comes before every read.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; [`Fail::Data`] for invalid input or a value cut short by the end
    /// of a stream (at the offset the slice tokenizer would give); [`Fail::Io`] for read
    /// errors.
    pub fn for_each(
        self,
        limits: Limits,
        mut f: impl FnMut(Chunk<'_>, &Progress) -> Result<(), Fail>,
    ) -> Result<u64, Fail> {
        match self {
            Input::Mapped(map) => {
                let bytes: &[u8] = map.as_deref().unwrap_or(&[]);
                let progress = Progress::new(Some(bytes.len() as u64));
                let r = f(Chunk::Values { base: 0, bytes }, &progress);
                progress.finish();
                r.map(|()| bytes.len() as u64)
            }
            Input::Stream(mut reader) => {
                let progress = Progress::new(None);
                let r = stream(&mut reader, limits, &mut f, &progress);
                progress.finish();
                r
            }
        }
    }
}

fn stream(
    reader: &mut dyn Read,
    limits: Limits,
    f: &mut impl FnMut(Chunk<'_>, &Progress) -> Result<(), Fail>,
    progress: &Progress,
) -> Result<u64, Fail> {
    // Memory follows the input, as with a mapped file: no limit but the one on a single
    // value's size that the machine sets. Declared lengths are never used to allocate.
    let mut dec = StreamDecoder::with_config(StreamConfig {
        limits,
        max_buffer: usize::MAX,
        chunk_threshold: usize::MAX,
        read_size: READ_SIZE,
    });
    let mut total = 0u64;
    loop {
        while let Some(frame) = dec.next_frame()? {
            let chunk = Chunk::Values {
                base: frame.offset(),
                bytes: &frame,
            };
            f(chunk, progress)?;
        }
        f(Chunk::Waiting, progress)?;
        let n = loop {
            match dec.read_from(reader) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Fail::Io("cannot read input".into(), e)),
            }
        };
        total += n as u64;
        progress.set(total);
        if n == 0 {
            return dec.finish().map(|()| total).map_err(|e| {
                // Name the token that is cut short, as for a file, rather than the start
                // of its top-level value: the buffer holds just that one value.
                let precise = Tokenizer::with_limits(dec.buffer(), limits)
                    .find_map(Result::err)
                    .filter(|p| e.is_truncated() && p.is_truncated());
                Fail::Data(precise.map_or(e, |p| p.shifted(dec.buffer_offset())))
            });
        }
    }
}
