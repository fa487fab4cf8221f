//! Compiling paths: the paths of a query are merged into a trie and the trie is made
//! deterministic, so that every value of a document is looked at under exactly one state.
//!
//! A state is a set of positions `(path, step)` that a value can be at. Its transitions say,
//! for a map, which state each key leads to (a key literal, an integer key, or any other key)
//! and, for an array, which state each element leads to (an index from the front, one from the
//! back, or any element). The empty set is the dead state: a value under it is skipped whole.
//! Because every transition consumes one step, the states form a DAG at most
//! `longest path` deep, which bounds the evaluator's stack.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::parse::{Path, Step};
use crate::error::{Error, ErrorKind};
use crate::marker::{Family, HEADER_LEN, LEAD};

/// The state under which a value is skipped without being looked at.
pub(crate) const DEAD: u32 = 0;

/// The longest path a query accepts, in steps. It bounds the evaluator's fixed-size stack.
pub const MAX_PATH_STEPS: usize = 64;

/// Distinct key literals one map level of a query may name (one bit each in a `u64`).
pub const MAX_KEYS_PER_LEVEL: usize = 64;

/// Compiled states above this count are refused (pathological mixes of many indexes).
const MAX_STATES: usize = 1 << 16;

/// One deterministic state.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// Paths that end at a value under this state.
    pub terminals: Box<[u32]>,
    /// str keys with their own transition.
    pub keys: Box<[(Box<[u8]>, u32)]>,
    /// Integer keys with their own transition.
    pub ints: Box<[(i128, u32)]>,
    /// Where any other key leads (`.*`), or [`DEAD`]; also where a key leads the second time
    /// it is seen in the same map (a key step takes the first entry with its key).
    pub other_key: u32,
    /// One bit per key literal (`keys` first, then `ints`): all the literals a map can still
    /// offer. When every one has been seen and `other_key` is dead, the rest of the map is
    /// skipped in one go.
    pub all_keys: u64,
    /// Index literals `>= 0`, ascending.
    pub front: Box<[u64]>,
    /// Index literals `< 0`, as distances from the end (`-1` is 1), ascending.
    pub back: Box<[u64]>,
    /// Element targets: `elem[f * (back.len() + 1) + b]`, where `f` is 1 + the position in
    /// `front` of the element's index (0 if none) and `b` likewise for `back`. `elem[0]` is
    /// where any element leads (`[*]`).
    pub elem: Box<[u32]>,
    /// Array elements from this index on all lead to [`DEAD`] (`u64::MAX` when there is no
    /// such index: a wildcard or an index from the end).
    pub dead_from: u64,
    /// A map under this state has to be entered.
    pub wants_map: bool,
    /// An array under this state has to be entered.
    pub wants_array: bool,
    /// A value under this state is a row of a row projection.
    pub row: bool,
    /// Set when maps under this state can be read by the evaluator's specialised loop (see
    /// [`EntryKeys`]).
    pub entry_keys: Option<EntryKeys>,
}

/// Most key literals [`EntryKeys`] holds.
pub(crate) const ENTRY_KEYS: usize = 4;

/// Longest key [`EntryKeys`] holds: its fixstr encoding (lead byte and key) fits one `u64`.
const ENTRY_KEY_LEN: usize = 7;

/// The lead byte of a fixstr of `len` bytes, from the lead table.
fn fixstr_lead(len: usize) -> Option<u8> {
    (0..=u8::MAX).find(|&b| {
        let l = &LEAD[b as usize];
        l.family == Family::FixStr && usize::from(l.imm) == len
    })
}

/// One key literal of [`EntryKeys`], as the bytes of its fixstr encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EntryKey {
    /// The encoding (lead byte first), little-endian, zero-padded to eight bytes.
    pub word: u64,
    /// Ones over the encoding's bytes.
    pub mask: u64,
    /// The encoding's length: where the value starts, from the key's lead byte.
    pub len: u8,
    /// The state of the value: a leaf.
    pub target: u32,
    /// The one path that ends at the value, or [`EntryKey::PATHS`] when several do.
    pub path: u32,
}

impl EntryKey {
    /// [`EntryKey::path`] when the value ends several paths: see the target's terminals.
    pub const PATHS: u32 = u32::MAX;
}

/// The shape of the maps of an "array of records" query step, `[*]` followed by one or a
/// few `.key` leaves (`.Entries[*].n`, the rows of `Rows::new(".Entries[*]", [".n", ".s"])`):
/// a state with no terminals, no wildcard key and no integer key, that wants maps only, whose
/// key literals are short and all lead to leaves. Under it a map entry's key is compared to
/// the literals as one masked eight-byte load, and a wanted value is ended and reported
/// without going through the generic state walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryKeys {
    /// The literals, in the order of [`State::keys`] (literal `i` is bit `1 << i` of the
    /// evaluator's seen set), `count` of them used.
    pub keys: [EntryKey; ENTRY_KEYS],
    pub count: u8,
}

impl EntryKeys {
    /// The specialised shape of `st`, if it has it (`states` are the automaton's states).
    fn of(st: &State, states: &[State]) -> Option<EntryKeys> {
        if !st.terminals.is_empty()
            || st.wants_array
            || !st.wants_map
            || st.other_key != DEAD
            || !st.ints.is_empty()
            || st.keys.is_empty()
            || st.keys.len() > ENTRY_KEYS
        {
            return None;
        }
        let mut out = EntryKeys {
            keys: [EntryKey::default(); ENTRY_KEYS],
            count: 0,
        };
        for (slot, (k, t)) in out.keys.iter_mut().zip(st.keys.iter()) {
            let target = &states[*t as usize];
            if k.len() > ENTRY_KEY_LEN || !target.is_leaf() {
                return None;
            }
            let lead = fixstr_lead(k.len())?;
            let len = usize::from(HEADER_LEN[lead as usize]) + k.len();
            let mut bytes = [0u8; 8];
            bytes[0] = lead;
            bytes[len - k.len()..len].copy_from_slice(k);
            *slot = EntryKey {
                word: u64::from_le_bytes(bytes),
                mask: u64::MAX >> (8 * (8 - len)),
                len: len as u8,
                target: *t,
                path: match *target.terminals {
                    [path] => path,
                    _ => EntryKey::PATHS,
                },
            };
        }
        out.count = st.keys.len() as u8;
        Some(out)
    }

    /// The literals in use.
    #[inline(always)]
    pub fn keys(&self) -> &[EntryKey] {
        &self.keys[..self.count as usize]
    }
}

impl State {
    /// The state of the value of a map entry whose key is the str `key`, and the bit of the
    /// literal that matched (0 for none).
    #[inline]
    pub fn key_target(&self, key: &[u8]) -> (u32, u64) {
        for (i, (k, t)) in self.keys.iter().enumerate() {
            if eq_short(k, key) {
                return (*t, 1 << i);
            }
        }
        (self.other_key, 0)
    }

    /// The state of the value of a map entry whose key is the integer `key`, and the bit of
    /// the literal that matched (0 for none).
    #[inline]
    pub fn int_target(&self, key: i128) -> (u32, u64) {
        for (i, &(k, t)) in self.ints.iter().enumerate() {
            if k == key {
                return (t, 1 << (self.keys.len() + i));
            }
        }
        (self.other_key, 0)
    }

    /// The state of element `i` of an array of `len` elements.
    #[inline]
    pub fn elem_target(&self, i: u32, len: u32) -> u32 {
        if self.front.is_empty() && self.back.is_empty() {
            return self.elem[0];
        }
        let f = self
            .front
            .iter()
            .position(|&x| x == u64::from(i))
            .map_or(0, |p| p + 1);
        let from_end = u64::from(len - i);
        let b = self
            .back
            .iter()
            .position(|&x| x == from_end)
            .map_or(0, |p| p + 1);
        self.elem[f * (self.back.len() + 1) + b]
    }

    /// Only terminals: the value is matched whole and nothing inside it is needed.
    #[inline]
    pub fn is_leaf(&self) -> bool {
        !self.wants_map && !self.wants_array && !self.row
    }
}

/// Byte equality tuned for map keys, which are mostly a few bytes long: lengths first, then a
/// plain loop for short keys (no call into `memcmp`).
#[inline(always)]
fn eq_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// The compiled automaton. `states[DEAD]` is the dead state, `states[ROOT]` the start.
#[derive(Clone, Debug)]
pub(crate) struct Dfa {
    pub states: Box<[State]>,
}

/// The start state.
pub(crate) const ROOT: u32 = 1;

type Item = (u32, u32);

struct Builder<'p> {
    paths: &'p [Path],
    row_len: Option<usize>,
    ids: BTreeMap<Vec<Item>, u32>,
    sets: Vec<Vec<Item>>,
}

impl Builder<'_> {
    fn step(&self, (p, s): Item) -> Option<&Step> {
        self.paths[p as usize].steps().get(s as usize)
    }

    fn intern(&mut self, mut set: Vec<Item>) -> Result<u32, Error> {
        set.sort_unstable();
        set.dedup();
        if let Some(&id) = self.ids.get(&set) {
            return Ok(id);
        }
        if self.sets.len() >= MAX_STATES {
            return Err(Error::new(
                0,
                ErrorKind::InvalidPath {
                    path: 0,
                    column: 1,
                    reason: "the query compiles to too many states",
                },
            ));
        }
        let id = self.sets.len() as u32;
        self.ids.insert(set.clone(), id);
        self.sets.push(set);
        Ok(id)
    }

    /// Items that move on when `pred` accepts their step.
    fn advance(&self, set: &[Item], pred: impl Fn(&Step) -> bool) -> Vec<Item> {
        set.iter()
            .filter(|&&it| self.step(it).is_some_and(&pred))
            .map(|&(p, s)| (p, s + 1))
            .collect()
    }

    fn build(&mut self, set: &[Item]) -> Result<State, Error> {
        let mut st = State {
            terminals: set
                .iter()
                .filter(|&&it| self.step(it).is_none())
                .map(|&(p, _)| p)
                .collect(),
            row: self
                .row_len
                .is_some_and(|n| set.first().is_some_and(|&(_, s)| s as usize == n)),
            ..State::default()
        };
        // Maps.
        let any_value = self.advance(set, |s| matches!(s, Step::EveryValue));
        let mut key_lits: Vec<String> = Vec::new();
        let mut int_lits: Vec<i128> = Vec::new();
        for &it in set {
            match self.step(it) {
                Some(Step::Key(k)) => key_lits.push(k.clone()),
                Some(Step::IntKey(n)) => int_lits.push(*n),
                _ => {}
            }
        }
        key_lits.sort_unstable();
        key_lits.dedup();
        int_lits.sort_unstable();
        int_lits.dedup();
        let mut keys = Vec::new();
        for k in key_lits {
            let mut to = self.advance(set, |s| matches!(s, Step::Key(x) if *x == k));
            to.extend_from_slice(&any_value);
            keys.push((Box::from(k.as_bytes()), self.intern(to)?));
        }
        let mut ints = Vec::new();
        for n in int_lits {
            let mut to = self.advance(set, |s| *s == Step::IntKey(n));
            to.extend_from_slice(&any_value);
            ints.push((n, self.intern(to)?));
        }
        st.other_key = self.intern(any_value)?;
        let literals = keys.len() + ints.len();
        if literals > MAX_KEYS_PER_LEVEL {
            return Err(Error::new(
                0,
                ErrorKind::InvalidPath {
                    path: 0,
                    column: 1,
                    reason: "more than 64 distinct keys at one level of the query",
                },
            ));
        }
        st.all_keys = if literals == 64 {
            u64::MAX
        } else {
            (1u64 << literals) - 1
        };
        st.wants_map = !keys.is_empty() || !ints.is_empty() || st.other_key != DEAD;
        st.keys = keys.into();
        st.ints = ints.into();
        // Arrays.
        let any_elem = self.advance(set, |s| matches!(s, Step::EveryElement));
        let mut front = Vec::new();
        let mut back = Vec::new();
        for &it in set {
            if let Some(&Step::Index(i)) = self.step(it) {
                if i >= 0 {
                    front.push(i as u64);
                } else {
                    back.push(i.unsigned_abs());
                }
            }
        }
        front.sort_unstable();
        front.dedup();
        back.sort_unstable();
        back.dedup();
        let mut elem = vec![DEAD; (front.len() + 1) * (back.len() + 1)];
        for f in 0..=front.len() {
            for b in 0..=back.len() {
                let mut to = any_elem.clone();
                if f > 0 {
                    let want = front[f - 1] as i64;
                    to.extend(self.advance(set, |s| *s == Step::Index(want)));
                }
                if b > 0 {
                    let want = -(back[b - 1] as i128);
                    to.extend(self.advance(
                        set,
                        |s| matches!(s, Step::Index(i) if i128::from(*i) == want),
                    ));
                }
                elem[f * (back.len() + 1) + b] = self.intern(to)?;
            }
        }
        st.wants_array = elem.iter().any(|&t| t != DEAD);
        st.dead_from = if elem[0] == DEAD && back.is_empty() {
            front.last().map_or(0, |&m| m.saturating_add(1))
        } else {
            u64::MAX
        };
        st.front = front.into();
        st.back = back.into();
        st.elem = elem.into();
        Ok(st)
    }
}

/// Compiles `paths` into one automaton. With `row_len`, every path starts with the same
/// `row_len` steps and the states reached after them are marked as rows.
pub(crate) fn compile(paths: &[Path], row_len: Option<usize>) -> Result<Dfa, Error> {
    for (i, p) in paths.iter().enumerate() {
        if p.steps().len() > MAX_PATH_STEPS {
            return Err(Error::new(
                0,
                ErrorKind::InvalidPath {
                    path: i,
                    column: 1,
                    reason: "path longer than 64 steps",
                },
            ));
        }
    }
    let mut b = Builder {
        paths,
        row_len,
        ids: BTreeMap::new(),
        sets: Vec::new(),
    };
    b.intern(Vec::new())?;
    if b.intern((0..paths.len() as u32).map(|p| (p, 0)).collect())? == DEAD {
        // No paths at all: the root is a second, equally dead state.
        b.sets.push(Vec::new());
    }
    let mut states = Vec::new();
    let mut next = 0;
    while next < b.sets.len() {
        let set = b.sets[next].clone();
        states.push(b.build(&set)?);
        next += 1;
    }
    for i in 0..states.len() {
        states[i].entry_keys = EntryKeys::of(&states[i], &states);
    }
    Ok(Dfa {
        states: states.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dfa(paths: &[&str]) -> Dfa {
        let ps: Vec<Path> = paths.iter().map(|p| Path::parse(p).unwrap()).collect();
        compile(&ps, None).unwrap()
    }

    #[test]
    fn shared_prefixes_share_states() {
        let d = dfa(&[".Entries[*].n", ".Entries[*].s", ".Flags"]);
        let root = &d.states[ROOT as usize];
        assert!(root.wants_map && !root.wants_array);
        assert_eq!(root.keys.len(), 2);
        let entries = root.key_target(b"Entries").0;
        let flags = root.key_target(b"Flags").0;
        assert_eq!(&*d.states[flags as usize].terminals, &[2]);
        assert_eq!(root.key_target(b"UUID"), (DEAD, 0));
        let entry = d.states[entries as usize].elem_target(5, 10);
        let e = &d.states[entry as usize];
        assert_eq!(&*d.states[e.key_target(b"n").0 as usize].terminals, &[0]);
        assert_eq!(&*d.states[e.key_target(b"s").0 as usize].terminals, &[1]);
        assert_eq!(e.key_target(b"cs"), (DEAD, 0));
        assert_eq!(e.all_keys, 0b11);
        // dead, root, Entries, entry, n, s, Flags
        assert_eq!(d.states.len(), 7);
    }

    #[test]
    fn wildcards_merge_into_literals() {
        let d = dfa(&[".a.x", ".*.y", "[0]", "[-1]", "[*].z"]);
        let root = &d.states[ROOT as usize];
        let a = &d.states[root.key_target(b"a").0 as usize];
        assert_eq!(a.keys.len(), 2, "both .x and .y apply under key a");
        let b = &d.states[root.key_target(b"b").0 as usize];
        assert_eq!(b.keys.len(), 1);
        // One element: both [0] and [-1] match it, and [*].z applies too.
        let only = &d.states[root.elem_target(0, 1) as usize];
        assert_eq!(&*only.terminals, &[2, 3]);
        assert!(only.wants_map);
        let middle = &d.states[root.elem_target(1, 3) as usize];
        assert!(middle.terminals.is_empty());
        assert_eq!(&*d.states[root.elem_target(2, 3) as usize].terminals, &[3]);
    }

    #[test]
    fn no_paths_compile_to_a_dead_root() {
        let d = compile(&[], None).unwrap();
        let root = &d.states[ROOT as usize];
        assert!(root.is_leaf() && root.terminals.is_empty());
    }

    #[test]
    fn root_path_and_limits() {
        let d = dfa(&["."]);
        assert_eq!(&*d.states[ROOT as usize].terminals, &[0]);
        assert!(d.states[ROOT as usize].is_leaf());
        let long = Path::from_steps(vec![Step::EveryElement; MAX_PATH_STEPS + 1]);
        assert!(compile(&[long], None).is_err());
    }
}
