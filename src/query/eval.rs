//! The evaluator: one pass over a slice, driving the head decoder directly, entering only
//! the containers some path needs and handing every other value to the skip layer.

use arrayvec::ArrayVec;

use super::trie::{Dfa, State, DEAD, MAX_PATH_STEPS, ROOT};
use crate::error::{Error, ErrorKind};
use crate::head::decode_head;
use crate::marker::{Family, LEAD};
use crate::scan::{self, Checks};
use crate::skip::skip_value;

/// What the evaluator reports, in document order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Path `path` matched the value at `buf[start..end]`.
    Match { path: u32, start: usize, end: usize },
    /// A value under a row state begins at this offset.
    RowStart(usize),
    /// The row that began last ends.
    RowEnd,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    state: u32,
    /// Children (map pairs or array elements) not read yet.
    left: u32,
    /// The array's length (unused for maps).
    len: u32,
    is_map: bool,
    /// The key literals seen so far in this map.
    seen: u64,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Read the next child of the innermost open container (or the next top-level value).
    Between,
    /// The value at `pos` is under `state` (not dead).
    Value { state: u32, row_started: bool },
    /// Reporting the terminals of `state` for the value `start..end`; `next` is the index
    /// of the next terminal to report.
    Terminals {
        state: u32,
        start: usize,
        end: usize,
        next: u32,
    },
    /// The value at `pos` is to be entered (its terminals, if any, were reported).
    Enter { state: u32 },
    /// Stopped after an error.
    Done,
}

#[cold]
fn truncated(pos: usize, end: usize, len: usize) -> Error {
    Error::new(pos as u64, ErrorKind::Truncated { needed: end - len })
}

/// Reads the map key at `pos`: the state of its value, the bit of the key literal it matched
/// (0 for none) and the offset past the key.
#[inline(always)]
fn read_key(st: &State, buf: &[u8], pos: usize) -> Result<(u32, u64, usize), Error> {
    // Most keys are fixstr: their length is in the lead byte's table entry.
    if let Some(&b) = buf.get(pos) {
        let lead = &LEAD[b as usize];
        if lead.family == Family::FixStr {
            let start = pos + 1;
            let end = start + lead.imm as usize;
            let Some(key) = buf.get(start..end) else {
                return Err(truncated(pos, end, buf.len()));
            };
            let (t, bit) = st.key_target(key);
            return Ok((t, bit, end));
        }
    }
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    let start = pos + h.len;
    match h.family() {
        Family::FixStr | Family::Str => {
            let end = start + h.payload_len();
            let Some(key) = buf.get(start..end) else {
                return Err(truncated(pos, end, buf.len()));
            };
            let (t, bit) = st.key_target(key);
            Ok((t, bit, end))
        }
        Family::PosFixInt | Family::UInt => {
            let (t, bit) = st.int_target(i128::from(h.value()));
            Ok((t, bit, start))
        }
        Family::NegFixInt | Family::Int => {
            let (t, bit) = st.int_target(i128::from(h.int()));
            Ok((t, bit, start))
        }
        _ => Ok((st.other_key, 0, skip_value(buf, pos)?)),
    }
}

/// The end of the value at `pos`: a scalar (or an empty container) straight from its header,
/// anything else through [`skip_value`]. Same errors as [`skip_value`].
#[inline(always)]
fn value_end(buf: &[u8], pos: usize) -> Result<usize, Error> {
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    if h.children() != 0 {
        return skip_value(buf, pos);
    }
    let end = pos + h.len + h.payload_len();
    if end > buf.len() {
        return Err(truncated(pos, end, buf.len()));
    }
    Ok(end)
}

/// Skips `n` consecutive values from `pos` with the skip layer's kernel, in one run of its
/// loop; when the kernel has a doubt, value by value with [`skip_value`] for the exact error.
#[inline]
fn skip_many(buf: &[u8], pos: usize, n: u64) -> Result<usize, Error> {
    match scan::skip::<false>(buf, pos, n, Checks::default()) {
        Ok(end) => Ok(end),
        Err(_) => skip_each(buf, pos, n),
    }
}

#[cold]
#[inline(never)]
fn skip_each(buf: &[u8], mut pos: usize, n: u64) -> Result<usize, Error> {
    for _ in 0..n {
        pos = skip_value(buf, pos)?;
    }
    Ok(pos)
}

/// A key literal of `st` was seen twice in one map: the second entry only gets the wildcard
/// state. Returns the state of the value.
#[inline(always)]
fn first_only(st: &State, seen: &mut u64, t: u32, bit: u64) -> u32 {
    if *seen & bit != 0 {
        st.other_key
    } else {
        *seen |= bit;
        t
    }
}

/// True when nothing more in the map can match: every key literal was seen and there is no
/// wildcard.
#[inline(always)]
fn map_done(st: &State, seen: u64) -> bool {
    seen == st.all_keys && st.other_key == DEAD
}

/// True when no element from `i` on can match (only front indexes, all passed).
#[inline(always)]
fn array_done(st: &State, i: u32) -> bool {
    u64::from(i) >= st.dead_from
}

/// Evaluates every top-level value of `buf`, calling `f` with each event: the recursive
/// twin of [`Machine`] (the recursion is at most [`MAX_PATH_STEPS`] deep: it follows the
/// automaton, not the document).
pub(crate) fn walk<F: FnMut(Event)>(dfa: &Dfa, buf: &[u8], f: &mut F) -> Result<(), Error> {
    let mut pos = 0;
    while pos < buf.len() {
        pos = walk_value(dfa, buf, ROOT, pos, f)?;
    }
    Ok(())
}

/// A child value under state `t`: values that are matched whole or skipped (the common case)
/// are handled here without a recursive call.
#[inline(always)]
fn walk_child<F: FnMut(Event)>(
    dfa: &Dfa,
    buf: &[u8],
    t: u32,
    pos: usize,
    f: &mut F,
) -> Result<usize, Error> {
    let ts = &dfa.states[t as usize];
    if ts.is_leaf() {
        let end = value_end(buf, pos)?;
        for &path in ts.terminals.iter() {
            f(Event::Match {
                path,
                start: pos,
                end,
            });
        }
        Ok(end)
    } else {
        walk_value(dfa, buf, t, pos, f)
    }
}

fn walk_value<F: FnMut(Event)>(
    dfa: &Dfa,
    buf: &[u8],
    state: u32,
    pos: usize,
    f: &mut F,
) -> Result<usize, Error> {
    let st = &dfa.states[state as usize];
    if st.row {
        f(Event::RowStart(pos));
    }
    if !st.terminals.is_empty() {
        let end = skip_value(buf, pos)?;
        for &path in st.terminals.iter() {
            f(Event::Match {
                path,
                start: pos,
                end,
            });
        }
        if st.is_leaf() {
            return Ok(end);
        }
    }
    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
    let mut p = pos + h.len;
    match h.family() {
        Family::FixMap | Family::Map if st.wants_map => {
            let mut left = h.value();
            let mut seen = 0u64;
            while left > 0 {
                if map_done(st, seen) {
                    p = skip_many(buf, p, 2 * left)?;
                    break;
                }
                left -= 1;
                let (t, bit, next) = read_key(st, buf, p)?;
                let t = first_only(st, &mut seen, t, bit);
                p = walk_child(dfa, buf, t, next, f)?;
            }
        }
        Family::FixArray | Family::Array if st.wants_array => {
            let len = h.value() as u32;
            for i in 0..len {
                if array_done(st, i) {
                    p = skip_many(buf, p, u64::from(len - i))?;
                    break;
                }
                let t = st.elem_target(i, len);
                p = walk_child(dfa, buf, t, p, f)?;
            }
        }
        _ => p = skip_value(buf, pos)?,
    }
    if st.row {
        f(Event::RowEnd);
    }
    Ok(p)
}

/// The evaluation state: plain data, no allocation (the stack is bounded by the longest path).
#[derive(Clone, Debug)]
pub(crate) struct Machine {
    pos: usize,
    stack: ArrayVec<Frame, MAX_PATH_STEPS>,
    phase: Phase,
}

impl Machine {
    pub(crate) fn new() -> Self {
        Machine {
            pos: 0,
            stack: ArrayVec::new(),
            phase: Phase::Between,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next event, or `None` at the end of `buf`.
    #[inline]
    pub(crate) fn next_event(&mut self, dfa: &Dfa, buf: &[u8]) -> Result<Option<Event>, Error> {
        match self.run(dfa, buf) {
            Ok(e) => Ok(e),
            Err(e) => {
                self.phase = Phase::Done;
                Err(e)
            }
        }
    }

    fn run(&mut self, dfa: &Dfa, buf: &[u8]) -> Result<Option<Event>, Error> {
        loop {
            match self.phase {
                Phase::Between => {
                    let Some(top) = self.stack.last_mut() else {
                        if self.pos >= buf.len() {
                            return Ok(None);
                        }
                        self.phase = Phase::Value {
                            state: ROOT,
                            row_started: false,
                        };
                        continue;
                    };
                    let st = &dfa.states[top.state as usize];
                    let mut target = DEAD;
                    if top.is_map {
                        while top.left > 0 {
                            if map_done(st, top.seen) {
                                self.pos = skip_many(buf, self.pos, 2 * u64::from(top.left))?;
                                top.left = 0;
                                break;
                            }
                            top.left -= 1;
                            let (t, bit, next) = read_key(st, buf, self.pos)?;
                            self.pos = next;
                            let t = first_only(st, &mut top.seen, t, bit);
                            if t != DEAD {
                                target = t;
                                break;
                            }
                            self.pos = skip_value(buf, self.pos)?;
                        }
                    } else {
                        while top.left > 0 {
                            let i = top.len - top.left;
                            if array_done(st, i) {
                                self.pos = skip_many(buf, self.pos, u64::from(top.left))?;
                                top.left = 0;
                                break;
                            }
                            top.left -= 1;
                            let t = st.elem_target(i, top.len);
                            if t != DEAD {
                                target = t;
                                break;
                            }
                            self.pos = skip_value(buf, self.pos)?;
                        }
                    }
                    if target != DEAD {
                        self.phase = Phase::Value {
                            state: target,
                            row_started: false,
                        };
                    } else {
                        // All children read: close the container.
                        let done = self.stack.pop();
                        if done.is_some_and(|f| dfa.states[f.state as usize].row) {
                            return Ok(Some(Event::RowEnd));
                        }
                    }
                }
                Phase::Value { state, row_started } => {
                    let st = &dfa.states[state as usize];
                    if st.row && !row_started {
                        self.phase = Phase::Value {
                            state,
                            row_started: true,
                        };
                        return Ok(Some(Event::RowStart(self.pos)));
                    }
                    if st.terminals.is_empty() {
                        self.phase = Phase::Enter { state };
                        continue;
                    }
                    let start = self.pos;
                    let end = skip_value(buf, start)?;
                    if st.is_leaf() {
                        self.pos = end;
                    }
                    self.phase = Phase::Terminals {
                        state,
                        start,
                        end,
                        next: 0,
                    };
                }
                Phase::Terminals {
                    state,
                    start,
                    end,
                    next,
                } => {
                    let st = &dfa.states[state as usize];
                    if let Some(&path) = st.terminals.get(next as usize) {
                        self.phase = Phase::Terminals {
                            state,
                            start,
                            end,
                            next: next + 1,
                        };
                        return Ok(Some(Event::Match { path, start, end }));
                    }
                    self.phase = if st.is_leaf() {
                        Phase::Between
                    } else {
                        Phase::Enter { state }
                    };
                }
                Phase::Enter { state } => {
                    let st = &dfa.states[state as usize];
                    let pos = self.pos;
                    let h = decode_head(buf, pos).map_err(|e| e.at(pos))?;
                    let (count, is_map) = match h.family() {
                        Family::FixMap | Family::Map if st.wants_map => (h.value() as u32, true),
                        Family::FixArray | Family::Array if st.wants_array => {
                            (h.value() as u32, false)
                        }
                        _ => {
                            // Nothing inside is needed (or the type does not fit any step).
                            self.pos = skip_value(buf, pos)?;
                            self.phase = Phase::Between;
                            if st.row {
                                return Ok(Some(Event::RowEnd));
                            }
                            continue;
                        }
                    };
                    self.pos = pos + h.len;
                    // The automaton is at most MAX_PATH_STEPS deep, so this cannot fail;
                    // stay total anyway.
                    if self
                        .stack
                        .try_push(Frame {
                            state,
                            left: count,
                            len: count,
                            is_map,
                            seen: 0,
                        })
                        .is_err()
                    {
                        return Err(Error::new(
                            pos as u64,
                            ErrorKind::DepthLimit {
                                limit: MAX_PATH_STEPS,
                            },
                        ));
                    }
                    self.phase = Phase::Between;
                }
                Phase::Done => return Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse::Path;
    use crate::query::trie::compile;
    use alloc::vec::Vec;

    fn events(paths: &[&str], buf: &[u8]) -> Vec<Event> {
        let ps: Vec<Path> = paths.iter().map(|p| Path::parse(p).unwrap()).collect();
        let dfa = compile(&ps, None).unwrap();
        let mut m = Machine::new();
        let mut out = Vec::new();
        while let Some(e) = m.next_event(&dfa, buf).unwrap() {
            out.push(e);
        }
        out
    }

    #[test]
    fn nested_and_outer_matches_in_document_order() {
        // {"a": {"b": 1}, "c": [2, 3]}
        let buf = [
            0x82, 0xa1, b'a', 0x81, 0xa1, b'b', 0x01, 0xa1, b'c', 0x92, 0x02, 0x03,
        ];
        let ev = events(&[".a.b", ".a", ".c[-1]", "."], &buf);
        assert_eq!(
            ev,
            [
                Event::Match {
                    path: 3,
                    start: 0,
                    end: 12
                },
                Event::Match {
                    path: 1,
                    start: 3,
                    end: 7
                },
                Event::Match {
                    path: 0,
                    start: 6,
                    end: 7
                },
                Event::Match {
                    path: 2,
                    start: 11,
                    end: 12
                },
            ]
        );
    }
}
