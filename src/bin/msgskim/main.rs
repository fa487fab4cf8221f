//! `msgskim`: look inside MessagePack files and streams from the command line.
//!
//! Run `msgskim --help` for the subcommands, the JSON mapping and the exit codes.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use msgskim::{Error, Limits, Token, Tokenizer};

mod get;
mod input;
mod json;
mod stats;

use input::{Chunk, Input};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when the reader of the output goes away, as with `| head`)
  1  invalid MessagePack: one line on stderr says what and at which byte offset
  2  usage error (bad arguments or path syntax)
  3  I/O error (a file that cannot be opened, read or written)";

const JSON_MAPPING: &str = "\
Every top-level value becomes one line of JSON (with --pretty: indented, two spaces).
The mapping is fixed:
  nil                 null
  bool                true / false
  integers            exact over the whole range -(2^63) .. 2^64-1
  float 64            the shortest decimal that reads back as the same float 64, always with
                      a '.' or an exponent (1.0, 0.1, 1e300, 1.5e-7)
  float 32            widened to float 64 exactly, then as above (0.1f32 prints as
                      0.10000000149011612, its exact value), so JSON readers get the same number
  NaN, +inf, -inf     the strings \"NaN\", \"Infinity\", \"-Infinity\"
  str                 string; invalid UTF-8 becomes U+FFFD (--strict: an error)
  bin                 {\"$bin\":\"<base64>\"}
  ext                 {\"$ext\":{\"type\":T,\"data\":\"<base64>\"}}
  timestamp (ext -1)  {\"$timestamp\":{\"seconds\":S,\"nanoseconds\":N}}
                      (a malformed type -1 ext is written as an ext; --strict: an error)
  map                 object, keys in their order; a key that is not a str becomes its own
                      JSON text as a string (1 -> \"1\", [1,2] -> \"[1,2]\")
Base64 is the standard alphabet with padding (RFC 4648).";

/// Look inside MessagePack files and streams: convert to JSON, query, validate, count.
///
/// FILE is memory-mapped; `-` or no FILE reads standard input as a stream, and output starts
/// as soon as the first value is complete.
#[derive(Parser)]
#[command(name = "msgskim", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write every top-level value as one line of JSON.
    #[command(after_help = format!("{JSON_MAPPING}\n\n{EXIT_CODES}"))]
    Json(JsonArgs),
    /// Print the values at one or more paths, in document order.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", get::GET_HELP))]
    Get(get::GetArgs),
    /// Check that the input is valid MessagePack, and summarize it.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Count values and tokens by type, payload bytes, depth, and the largest containers.
    #[command(after_help = EXIT_CODES)]
    Stats(StatsArgs),
    /// Write generated sample data (seeded, so the same arguments give the same bytes).
    #[command(after_help = EXIT_CODES)]
    Gen(GenArgs),
}

#[derive(Args)]
struct Common {
    /// The input file; `-` or nothing reads standard input.
    file: Option<String>,
    /// The deepest nesting accepted (at most 1024).
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
}

impl Common {
    fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth.min(msgskim::MAX_DEPTH),
            ..Limits::default()
        }
    }
}

#[derive(Args)]
struct JsonArgs {
    #[command(flatten)]
    common: Common,
    /// Indent the output.
    #[arg(long)]
    pretty: bool,
    /// Fail on invalid UTF-8 in strings and on malformed timestamps.
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
    /// Also require every str to be valid UTF-8.
    #[arg(long)]
    utf8: bool,
    /// Print nothing on success.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    common: Common,
    /// Print the statistics as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Shape {
    /// Object-listing pages {UUID, ContinuationToken, Entries: [{n, cs, a, v, t, m, s, c, f}], Flags}.
    Listing,
    /// Messages {user_id, audio (bin), premium, ts (timestamp)}.
    Messages,
    /// Arrays of 1,000 integers and floats each.
    Numeric,
}

#[derive(Args)]
struct GenArgs {
    /// What to generate.
    shape: Shape,
    /// How many: listing entries, messages, or numeric arrays.
    #[arg(short = 'n', long, conflicts_with = "size")]
    count: Option<usize>,
    /// Generate at least this many bytes instead (suffixes k, M, G: powers of 1024).
    #[arg(long, value_parser = parse_size)]
    size: Option<usize>,
    /// The seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Listing entries per page.
    #[arg(long, default_value_t = 10_000)]
    page_size: usize,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<String>,
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let t = t
        .strip_suffix(['b', 'B'])
        .filter(|r| r.ends_with(|c: char| c.is_ascii_alphabetic()))
        .unwrap_or(t);
    let (num, mul) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .ok_or_else(|| format!("not a size: {s:?} (examples: 1000, 64k, 100M, 1G)"))
}

/// Why a command failed; each kind has its exit code.
pub enum Fail {
    /// Invalid MessagePack (exit 1).
    Data(Error),
    /// Bad arguments (exit 2).
    Usage(String),
    /// I/O trouble, with what was being done (exit 3).
    Io(String, io::Error),
    /// The reader of standard output went away: stop quietly (exit 0).
    Quiet,
}

impl Fail {
    fn code(&self) -> u8 {
        match self {
            Fail::Quiet => 0,
            Fail::Data(_) => 1,
            Fail::Usage(_) => 2,
            Fail::Io(..) => 3,
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fail::Data(e) => write!(f, "invalid MessagePack: {e}"),
            Fail::Usage(m) => f.write_str(m),
            Fail::Io(what, e) => write!(f, "{what}: {e}"),
            Fail::Quiet => Ok(()),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Data(e)
    }
}

/// Standard output, buffered; a closed pipe turns into [`Fail::Quiet`].
pub struct Out(BufWriter<io::StdoutLock<'static>>);

impl Out {
    fn new() -> Self {
        Out(BufWriter::with_capacity(1 << 16, io::stdout().lock()))
    }

    fn fail(e: io::Error) -> Fail {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Fail::Quiet
        } else {
            Fail::Io("cannot write output".into(), e)
        }
    }

    /// Writes `b`.
    pub fn write(&mut self, b: &[u8]) -> Result<(), Fail> {
        self.0.write_all(b).map_err(Self::fail)
    }

    /// Flushes to the reader.
    pub fn flush(&mut self) -> Result<(), Fail> {
        self.0.flush().map_err(Self::fail)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Json(a) => cmd_json(&a),
        Cmd::Get(a) => get::run(&a),
        Cmd::Check(a) => cmd_check(&a),
        Cmd::Stats(a) => stats::run(a.common.file.as_deref(), a.common.limits(), a.json),
        Cmd::Gen(a) => cmd_gen(&a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !matches!(f, Fail::Quiet) {
                eprintln!("msgskim: {f}");
            }
            ExitCode::from(f.code())
        }
    }
}

/// How many tokens pass between progress updates.
pub const PROGRESS_EVERY: u32 = 1 << 16;

/// What a token-by-token command does with the tokens of its input.
pub trait TokenSink {
    /// One token: `at` is its input offset, `depth` the containers open after it.
    ///
    /// # Errors
    ///
    /// Whatever stops the command.
    fn token(&mut self, tok: Token<'_>, at: u64, depth: usize) -> Result<(), Fail>;

    /// The end of a run of complete values; `waiting` when a stream is about to block.
    ///
    /// # Errors
    ///
    /// Whatever stops the command.
    fn pause(&mut self, waiting: bool) -> Result<(), Fail> {
        let _ = waiting;
        Ok(())
    }
}

/// Tokenizes `input` with `limits` and feeds every token to `sink`; returns the input's
/// length.
///
/// # Errors
///
/// [`Fail::Data`] with the input offset of the first invalid byte, and whatever the sink or
/// the input returns.
pub fn drive(input: Input, limits: Limits, sink: &mut impl TokenSink) -> Result<u64, Fail> {
    input.for_each(limits, |chunk, progress| {
        let (base, bytes) = match chunk {
            Chunk::Values { base, bytes } => (base, bytes),
            Chunk::Waiting => return sink.pause(true),
        };
        let mut t = Tokenizer::with_limits(bytes, limits);
        let mut tick = 0u32;
        loop {
            let at = base + t.position() as u64;
            let Some(tok) = t.next_token().map_err(|e| e.shifted(base))? else {
                break;
            };
            sink.token(tok, at, t.depth())?;
            tick += 1;
            if tick == PROGRESS_EVERY {
                tick = 0;
                progress.set(base + t.position() as u64);
            }
        }
        sink.pause(false)
    })
}

struct JsonSink {
    out: Out,
    w: json::JsonWriter,
}

impl TokenSink for JsonSink {
    #[inline]
    fn token(&mut self, tok: Token<'_>, at: u64, _depth: usize) -> Result<(), Fail> {
        self.w.token(tok, at)?;
        if self.w.pending().len() >= 1 << 16 && self.w.can_flush() {
            self.out.write(self.w.pending())?;
            self.w.clear();
        }
        Ok(())
    }

    fn pause(&mut self, waiting: bool) -> Result<(), Fail> {
        if self.w.can_flush() {
            self.out.write(self.w.pending())?;
            self.w.clear();
        }
        if waiting {
            self.out.flush()?;
        }
        Ok(())
    }
}

fn cmd_json(a: &JsonArgs) -> Result<(), Fail> {
    let input = Input::open(a.common.file.as_deref())?;
    let limits = Limits {
        check_utf8: a.strict,
        // Timestamps are decoded by the JSON writer, which can keep malformed ones as exts.
        decode_timestamps: false,
        ..a.common.limits()
    };
    let mut sink = JsonSink {
        out: Out::new(),
        w: json::JsonWriter::new(a.pretty, a.strict),
    };
    let r = drive(input, limits, &mut sink).map(drop);
    if let Err(Fail::Data(_)) = r {
        // Keep the values converted before the error; drop a partial one.
        sink.out.write(sink.w.complete())?;
    }
    sink.out.flush()?;
    r
}

#[derive(Default)]
struct CheckSink {
    values: u64,
    tokens: u64,
    depth: usize,
}

impl TokenSink for CheckSink {
    #[inline]
    fn token(&mut self, tok: Token<'_>, _at: u64, depth: usize) -> Result<(), Fail> {
        self.tokens += 1;
        self.depth = self.depth.max(depth);
        // A non-empty container header leaves depth > 0; anything else at depth 0 ends a
        // top-level value.
        let _ = tok;
        if depth == 0 {
            self.values += 1;
        }
        Ok(())
    }
}

fn cmd_check(a: &CheckArgs) -> Result<(), Fail> {
    let input = Input::open(a.common.file.as_deref())?;
    let limits = Limits {
        check_utf8: a.utf8,
        ..a.common.limits()
    };
    let mut sink = CheckSink::default();
    let bytes = drive(input, limits, &mut sink)?;
    if !a.quiet {
        let CheckSink {
            values,
            tokens,
            depth,
        } = sink;
        let mut out = Out::new();
        out.write(
            format!("ok: {values} values, {tokens} tokens, {bytes} bytes, max depth {depth}\n")
                .as_bytes(),
        )?;
        out.flush()?;
    }
    Ok(())
}

fn cmd_gen(a: &GenArgs) -> Result<(), Fail> {
    use msgskim::gen;
    let bytes = match (a.shape, a.count, a.size) {
        (Shape::Listing, _, Some(size)) => gen::listing_of_size(a.seed, size),
        (Shape::Listing, n, None) => gen::listing(gen::ListingConfig {
            seed: a.seed,
            entries: n.unwrap_or(10_000),
            page_size: a.page_size.max(1),
        }),
        (Shape::Messages, n, None) => gen::messages(a.seed, n.unwrap_or(1_000)),
        (Shape::Numeric, n, None) => gen::numeric(a.seed, n.unwrap_or(100)),
        (shape, _, Some(size)) => {
            // Both generators are prefix-stable (more items extend the same sequence), so
            // grow the count until the output is big enough, then cut at a value boundary.
            let make = |n| match shape {
                Shape::Messages => gen::messages(a.seed, n),
                _ => gen::numeric(a.seed, n),
            };
            let mut n = 16usize;
            let mut bytes = make(n);
            while bytes.len() < size {
                let per = bytes.len() / n + 1;
                n = (n * 2).max(size / per + 1);
                bytes = make(n);
            }
            let mut end = 0;
            while end < size {
                end = msgskim::skip_value(&bytes, end)?;
            }
            bytes.truncate(end);
            bytes
        }
    };
    match &a.output {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| Fail::Io(format!("cannot write {path}"), e))
        }
        None => {
            let mut out = Out::new();
            out.write(&bytes)?;
            out.flush()
        }
    }
}
