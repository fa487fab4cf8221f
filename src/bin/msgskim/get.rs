//! `msgskim get`: values at paths, in document order, as JSON lines, TSV rows, raw msgpack or
//! a count.

use std::io::{self, Read};

use clap::{Args, ValueEnum};
use msgskim::query::{Path, Query, QueryStream, RowStream, Rows, Step};
use msgskim::{Error, Limits, RawValue, Token};

use crate::input::{Chunk, Input, Progress};
use crate::json::JsonWriter;
use crate::{Fail, Out, PROGRESS_EVERY};

/// The most fields one row may project.
pub const MAX_FIELDS: usize = 16;

/// The most one read of a stream asks for.
const READ_SIZE: usize = 256 << 10;

pub const GET_HELP: &str = "\
Paths:
  .                 the top-level value itself
  .name  [\"any key\"] the value of a map entry by str key
  {N}               the value of a map entry by integer key
  [N]  [-1]         an array element (negative: from the end)
  [*]               every element of an array
  .*                every value of a map
A path applies to every top-level value of the input.

Rows: several paths that share a prefix ending in [*] or .* are projected per element of it,
one row per element, a missing field being null (empty in TSV):
  msgskim get '.Entries[*].n' '.Entries[*].s' dump.msgpack   ->  [\"a/b.txt\",300]
--each gives the row path explicitly, with field paths relative to it:
  msgskim get --each '.Entries[*]' .n .s dump.msgpack
Otherwise each match is printed on its own line, in document order.

FILE is the last argument when it is `-` or does not read as a path; write a file whose name
starts with '.' or '[' as ./NAME.";

/// How matches are printed.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON value (or row array) per line, with the mapping of `msgskim json`.
    Json,
    /// Tab-separated: strs as text (with \t, \n, \r and \\ escaped), nil and missing fields
    /// empty, everything else as JSON.
    Tsv,
}

#[derive(Args)]
pub struct GetArgs {
    /// One or more paths, then optionally the input FILE (`-` or nothing: standard input).
    #[arg(required = true, value_name = "PATH... [FILE|-]")]
    args: Vec<String>,
    /// Project the paths as fields of each value matched by this row path.
    #[arg(long, value_name = "ROW_PATH")]
    each: Option<String>,
    /// Write the matched values' MessagePack bytes instead (a row: an array of its fields).
    #[arg(long, conflicts_with_all = ["count", "format"])]
    raw: bool,
    /// Print only the number of matches (or rows).
    #[arg(long)]
    count: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// The deepest nesting accepted in values read from a stream or printed (at most 1024).
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
}

fn usage(e: &Error) -> Fail {
    Fail::Usage(e.to_string())
}

/// Splits the positional arguments into paths and the input file.
fn split_args(args: &[String]) -> (&[String], Option<&str>) {
    if let [paths @ .., last] = args {
        if !paths.is_empty() && (last == "-" || Path::parse(last).is_err()) {
            return (paths, Some(last));
        }
    }
    (args, None)
}

/// If every path shares a prefix ending in `[*]` or `.*` and goes on past it, that prefix
/// (the row) and the rest of each path (the fields).
fn common_rows(paths: &[Path]) -> Option<(Path, Vec<Path>)> {
    if paths.len() < 2 {
        return None;
    }
    let first = paths[0].steps();
    let shared = paths[1..].iter().fold(first.len(), |n, p| {
        first
            .iter()
            .zip(p.steps())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let row_len = first[..shared]
        .iter()
        .rposition(|s| matches!(s, Step::EveryElement | Step::EveryValue))?
        + 1;
    let fields = paths
        .iter()
        .map(|p| Path::from_steps(p.steps()[row_len..].to_vec()))
        .collect();
    Some((Path::from_steps(first[..row_len].to_vec()), fields))
}

/// Where matches go.
struct Emit {
    format: Format,
    raw: bool,
    count_only: bool,
    count: u64,
    out: Out,
    json: JsonWriter,
    limits: Limits,
    tsv: Vec<u8>,
    tick: u32,
}

impl Emit {
    fn tick(&mut self, progress: &Progress, at: u64) {
        self.tick += 1;
        if self.tick == PROGRESS_EVERY {
            self.tick = 0;
            progress.set(at);
        }
    }

    /// Writes `v` (at input offset `at`) as JSON into the writer, with no line end.
    fn json_value(&mut self, v: RawValue<'_>, at: u64) -> Result<(), Fail> {
        let mut t = v.tokens_with_limits(self.limits);
        loop {
            let pos = t.position() as u64;
            match t.next_token() {
                Ok(Some(tok)) => self.json.token(tok, at + pos)?,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Fail::Data(e.shifted(at))),
            }
        }
    }

    fn flush_some(&mut self) -> Result<(), Fail> {
        if self.json.pending().len() >= 1 << 16 && self.json.can_flush() {
            self.out.write(self.json.pending())?;
            self.json.clear();
        }
        if self.tsv.len() >= 1 << 16 {
            self.out.write(&self.tsv)?;
            self.tsv.clear();
        }
        Ok(())
    }

    fn pause(&mut self, waiting: bool) -> Result<(), Fail> {
        if self.json.can_flush() {
            self.out.write(self.json.pending())?;
            self.json.clear();
        }
        self.out.write(&self.tsv)?;
        self.tsv.clear();
        if waiting {
            self.out.flush()?;
        }
        Ok(())
    }

    /// One row of fields (a single match is a row of one).
    fn row(&mut self, fields: &[Option<RawValue<'_>>], base: u64) -> Result<(), Fail> {
        self.count += 1;
        if self.count_only {
            return Ok(());
        }
        let single = fields.len() == 1;
        if self.raw {
            if !single {
                let mut w = msgskim::write::Writer::new(Vec::with_capacity(5));
                w.array_len(fields.len() as u32)?;
                self.out.write(&w.into_inner())?;
            }
            for f in fields {
                self.out.write(f.map_or(&[0xc0][..], |v| v.as_bytes()))?;
            }
            return Ok(());
        }
        match self.format {
            Format::Json => {
                if !single {
                    self.json.push_raw(b"[");
                }
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.json.push_raw(b",");
                    }
                    match f {
                        Some(v) => self.json_value(*v, base + v.offset() as u64)?,
                        None => self.json.push_raw(b"null"),
                    }
                }
                self.json.push_raw(if single { b"\n" } else { b"]\n" });
                self.json.mark_boundary();
            }
            Format::Tsv => {
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.tsv.push(b'\t');
                    }
                    if let Some(v) = f {
                        self.tsv_field(*v, base + v.offset() as u64)?;
                    }
                }
                self.tsv.push(b'\n');
            }
        }
        self.flush_some()
    }

    fn tsv_field(&mut self, v: RawValue<'_>, at: u64) -> Result<(), Fail> {
        match v.token() {
            Some(Token::Nil) => {}
            Some(Token::Str(s)) => {
                for chunk in s.as_bytes().utf8_chunks() {
                    for &b in chunk.valid().as_bytes() {
                        match b {
                            b'\t' => self.tsv.extend_from_slice(b"\\t"),
                            b'\n' => self.tsv.extend_from_slice(b"\\n"),
                            b'\r' => self.tsv.extend_from_slice(b"\\r"),
                            b'\\' => self.tsv.extend_from_slice(b"\\\\"),
                            _ => self.tsv.push(b),
                        }
                    }
                    if !chunk.invalid().is_empty() {
                        self.tsv.extend_from_slice("\u{fffd}".as_bytes());
                    }
                }
            }
            _ => {
                // Anything else as compact JSON (which has no raw tabs or newlines).
                self.json_value(v, at)?;
                let text = self.json.pending();
                let text = text.strip_suffix(b"\n").unwrap_or(text);
                self.tsv.extend_from_slice(text);
                self.json.clear();
            }
        }
        Ok(())
    }
}

/// Runs `get`.
///
/// # Errors
///
/// [`Fail::Usage`] for bad paths, [`Fail::Data`] for invalid input (the matches before the
/// error are printed), [`Fail::Io`] for I/O errors.
pub fn run(a: &GetArgs) -> Result<(), Fail> {
    let (paths, file) = split_args(&a.args);
    let parsed = paths
        .iter()
        .map(|p| Path::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(&e))?;
    let limits = Limits {
        max_depth: a.max_depth.min(msgskim::MAX_DEPTH),
        decode_timestamps: false,
        ..Limits::default()
    };
    let rows = match &a.each {
        Some(row) => Some((Path::parse(row).map_err(|e| usage(&e))?, parsed.clone())),
        None => common_rows(&parsed),
    };
    let mut emit = Emit {
        format: a.format,
        raw: a.raw,
        count_only: a.count,
        count: 0,
        out: Out::new(),
        json: JsonWriter::new(false, false),
        limits,
        tsv: Vec::new(),
        tick: 0,
    };
    emit.json.set_inline(true);
    let input = Input::open(file)?;
    let r = match rows {
        None => {
            let q = Query::from_paths(parsed).map_err(|e| usage(&e))?;
            matches(&q, input, limits, &mut emit)
        }
        Some((row, fields)) => {
            let row = row.to_string();
            let fields: Vec<String> = fields.iter().map(Path::to_string).collect();
            let f: Vec<&str> = fields.iter().map(String::as_str).collect();
            macro_rules! dispatch {
                ($($n:literal)*) => {
                    match f.len() {
                        $($n => {
                            let arr: [&str; $n] = f[..].try_into().expect("length checked");
                            let r = Rows::new(&row, arr).map_err(|e| usage(&e))?;
                            project(&r, input, limits, &mut emit)
                        })*
                        n => Err(Fail::Usage(format!(
                            "{n} fields per row; at most {MAX_FIELDS} are supported"
                        ))),
                    }
                };
            }
            dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
        }
    };
    if let Err(Fail::Data(_)) = r {
        // Keep the matches printed before the error.
        let done = emit.json.complete().to_vec();
        emit.out.write(&done)?;
        let tsv = std::mem::take(&mut emit.tsv);
        emit.out.write(&tsv)?;
    } else if r.is_ok() {
        emit.pause(false)?;
        if a.count {
            emit.out.write(format!("{}\n", emit.count).as_bytes())?;
        }
    }
    emit.out.flush()?;
    r
}

fn matches(q: &Query, input: Input, limits: Limits, emit: &mut Emit) -> Result<(), Fail> {
    let input = match input {
        Input::Stream(mut reader) => {
            let progress = Progress::new(None);
            let r = resumed(q, &mut *reader, emit, &progress);
            progress.finish();
            return r;
        }
        input => input,
    };
    input
        .for_each(limits, |chunk, progress| {
            let (base, bytes) = match chunk {
                Chunk::Values { base, bytes } => (base, bytes),
                Chunk::Waiting => return emit.pause(true),
            };
            if emit.count_only && !progress.active() {
                // Nothing to print per match: just count.
                let mut n = 0u64;
                q.for_each(bytes, |_| n += 1).map_err(|e| e.shifted(base))?;
                emit.count += n;
                return Ok(());
            }
            for m in q.matches(bytes) {
                let m = m.map_err(|e| e.shifted(base))?;
                emit.row(&[Some(m.value())], base)?;
                emit.tick(progress, base + m.offset() as u64);
            }
            emit.pause(false)
        })
        .map(drop)
}

/// Matches over a stream: the query resumes wherever a read ends, so one huge top-level value
/// (a 2 GB map on standard input) is read as it arrives, never held whole, and each match is
/// printed once its last byte is in. The matches and errors are those of a mapped file with
/// the same bytes.
fn resumed(
    q: &Query,
    reader: &mut dyn Read,
    emit: &mut Emit,
    progress: &Progress,
) -> Result<(), Fail> {
    // Memory follows what the matches need, as with a mapped file: no buffer limit.
    let mut qs = QueryStream::with_max_buffer(q, usize::MAX);
    read_stream(reader, emit, progress, |chunk, emit| {
        let mut failed = None;
        let r = qs.feed(chunk, |m| {
            if failed.is_none() {
                // Offsets are counted from the start of the stream.
                match emit.row(&[Some(m.value())], 0) {
                    Ok(()) => emit.tick(progress, m.offset() as u64),
                    Err(e) => failed = Some(e),
                }
            }
        });
        failed.map_or(r.map_err(Fail::from), Err)
    })?;
    Ok(qs.finish()?)
}

/// Reads `reader` to its end in reads of [`READ_SIZE`], handing each to `feed`; output is
/// flushed before every read, so that what is complete is seen while the input waits.
fn read_stream(
    reader: &mut dyn Read,
    emit: &mut Emit,
    progress: &Progress,
    mut feed: impl FnMut(&[u8], &mut Emit) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let mut buf = vec![0u8; READ_SIZE];
    let mut total = 0u64;
    loop {
        emit.pause(true)?;
        let n = loop {
            match reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Fail::Io("cannot read input".into(), e)),
            }
        };
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        progress.set(total);
        feed(&buf[..n], emit)?;
    }
}

fn project<const N: usize>(
    rows: &Rows<N>,
    input: Input,
    limits: Limits,
    emit: &mut Emit,
) -> Result<(), Fail> {
    let input = match input {
        Input::Stream(mut reader) => {
            let progress = Progress::new(None);
            let mut rs = RowStream::with_max_buffer(rows, usize::MAX);
            let r = read_stream(&mut *reader, emit, &progress, |chunk, emit| {
                let mut failed = None;
                let r = rs.feed(chunk, |row| {
                    if failed.is_none() {
                        match emit.row(&row, 0) {
                            Ok(()) => {
                                if let Some(v) = row.iter().flatten().next() {
                                    emit.tick(&progress, v.offset() as u64);
                                }
                            }
                            Err(e) => failed = Some(e),
                        }
                    }
                });
                failed.map_or(r.map_err(Fail::from), Err)
            })
            .and_then(|()| Ok(rs.finish()?));
            progress.finish();
            return r;
        }
        input => input,
    };
    input
        .for_each(limits, |chunk, progress| {
            let (base, bytes) = match chunk {
                Chunk::Values { base, bytes } => (base, bytes),
                Chunk::Waiting => return emit.pause(true),
            };
            for row in rows.rows(bytes) {
                let row = row.map_err(|e| e.shifted(base))?;
                emit.row(&row, base)?;
                if let Some(v) = row.iter().flatten().next() {
                    emit.tick(progress, base + v.offset() as u64);
                }
            }
            emit.pause(false)
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Path {
        Path::parse(s).unwrap()
    }

    #[test]
    fn rows_are_found_under_a_shared_wildcard() {
        let (row, fields) = common_rows(&[p(".Entries[*].n"), p(".Entries[*].s")]).unwrap();
        assert_eq!(row.to_string(), p(".Entries[*]").to_string());
        assert_eq!(fields, [p(".n"), p(".s")]);
        let (row, fields) = common_rows(&[p("[*].a[*].x"), p("[*].a[*]"), p("[*].b")]).unwrap();
        assert_eq!(row, p("[*]"));
        assert_eq!(fields, [p(".a[*].x"), p(".a[*]"), p(".b")]);
        assert!(common_rows(&[p(".a.n"), p(".a.s")]).is_none());
        assert!(common_rows(&[p(".Entries[*].n")]).is_none());
        assert!(common_rows(&[p(".ContinuationToken"), p(".Flags")]).is_none());
    }

    #[test]
    fn the_file_is_the_last_argument_when_not_a_path() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = args(&[".a", "dump.msgpack"]);
        assert_eq!(split_args(&a), (&a[..1], Some("dump.msgpack")));
        let a = args(&[".a", ".b"]);
        assert_eq!(split_args(&a), (&a[..], None));
        let a = args(&[".a", "-"]);
        assert_eq!(split_args(&a), (&a[..1], Some("-")));
        let a = args(&["dump.msgpack"]);
        assert_eq!(split_args(&a), (&a[..], None));
        let a = args(&[".a", "./.hidden"]);
        assert_eq!(split_args(&a), (&a[..1], Some("./.hidden")));
    }
}
