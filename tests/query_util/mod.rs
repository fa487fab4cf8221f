//! Helpers shared by the query tests: the keys and integer keys random documents use, and
//! random path steps over them.
#![allow(dead_code)]

use msgskim::gen::Rng;
use msgskim::query::Step;

/// The str keys of random documents (one longer than a fixstr holds).
pub const KEYS: &[&str] = &[
    "a",
    "b",
    "n",
    "",
    "long key with spaces and more than 31 bytes!",
];

/// The integer keys of random documents (in several integer formats).
pub const INT_KEYS: &[i64] = &[0, 1, -1, 300, 70_000];

/// A random path step over [`KEYS`], [`INT_KEYS`] and a few indexes.
pub fn random_step(rng: &mut Rng) -> Step {
    match rng.below(9) {
        0..=2 => Step::Key(KEYS[rng.below(KEYS.len() as u64) as usize].into()),
        3 => Step::IntKey(INT_KEYS[rng.below(INT_KEYS.len() as u64) as usize].into()),
        4 => Step::Index([0, 1, 3, -1, -2][rng.below(5) as usize]),
        5 | 6 => Step::EveryElement,
        _ => Step::EveryValue,
    }
}
