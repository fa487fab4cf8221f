//! The first tokens of a value by calls through one function per lead byte, so that the CPU
//! can guess the sizes of tokens whose shape repeats from value to value.
//!
//! The plain kernel's step makes the next position wait for the lead byte and then for its
//! table entry: about ten cycles a token, one token after the other. Here the lead byte picks a
//! function from [`ARMS`], and the CPU predicts which one from the tokens before it, as it
//! predicts any indirect call. Where the function is a constant size (a fixstr key of a given
//! length, a fixmap header, a one-byte scalar), the predicted call adds that constant at once,
//! and the lead byte's load only confirms the guess: the position runs ahead of the loads, a
//! cache miss at one token (the landing past a long bin) overlaps the work on the tokens after
//! it, and the lines ahead are requested early. Tokens whose size varies from value to value
//! at the same place (str/bin/ext with a length field, fixext, multi-byte numbers) share one
//! function that reads the size from the step table, so a bin of 10 bytes and one of 10,000,
//! or timestamps of 4, 8 and 12 bytes, do not cost a wrong guess.
//!
//! A wrong guess costs a pipeline restart, so this runs only the first [`super::block`]
//! warm-up tokens of a value (messages of a few fields end there), not long runs of varied
//! tokens, which the blocks walk.

use super::{skip, step, Checks, Doubt, Step, ARRAY, FIXED, MAP, PAYLOAD, STEP, STR, ZONE};

/// One token's step as a function of its lead byte: `(pos, pending)` after the token whose
/// header zone is `h`. [`ARMS`] holds one per lead byte.
type Arm = fn(&[u8; ZONE], usize, u64) -> (usize, u64);

/// A token sized by its lead byte whose size is a constant of the function, not a value read
/// from a table: fixstr (keys repeat at the same place), fixmap/fixarray headers (their
/// inline children too), one-byte scalars.
fn fixed<const ADV: usize, const KIDS: u64>(
    _: &[u8; ZONE],
    pos: usize,
    pending: u64,
) -> (usize, u64) {
    (pos + ADV, pending + KIDS - 1)
}

/// By lead byte, for [`sized`]: the right shift that turns the big-endian `u32` after the
/// lead byte, widened to 64 bits, into the length field of a str/bin/ext (24, 16 or 0), and
/// 32 (no length) for everything else.
static LEN_SHIFT: [u8; 256] = {
    let mut t = [32u8; 256];
    let mut i = 0;
    while i < 256 {
        if STEP[i].kind == PAYLOAD {
            t[i] = STEP[i].shift;
        }
        i += 1;
    }
    t
};

/// str/bin/ext with a length field, fixext and the scalars of more than one byte: the size
/// from the step table and the field (none without a length field). One function for all of
/// them: what sits at the same place varies from value to value (a bin of a few bytes or of
/// many; timestamps of 4, 8 or 12 bytes; an integer of 1, 2, 4 or 8), and the CPU guesses the
/// function, not the size.
///
/// It also asks for the line after the one where the token ends: past a long payload both
/// are usually missing from the cache, and the tokens after the landing (the rest of one
/// message and the head of the next) often cross into the second.
fn sized(h: &[u8; ZONE], pos: usize, pending: u64) -> (usize, u64) {
    let b = h[0] as usize;
    let field = u64::from(u32::from_be_bytes([h[1], h[2], h[3], h[4]])) >> LEN_SHIFT[b];
    let skip = STEP[b].adv as usize + field as usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and never faults, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            h.as_ptr().wrapping_add(skip + 64).cast(),
        )
    };
    (pos + skip, pending - 1)
}

/// array16/32, map16/32: the count from the field.
fn container(h: &[u8; ZONE], pos: usize, pending: u64) -> (usize, u64) {
    let s = STEP[h[0] as usize];
    let field = (u32::from_be_bytes([h[1], h[2], h[3], h[4]]) >> s.shift) as u64;
    (
        pos + s.adv as usize,
        pending - 1 + (field << (s.kind - ARRAY)),
    )
}

/// Never valid: a position past any buffer's end (the next step, or the end check, doubts),
/// far from overflow when a header zone is added to it.
fn bad(_: &[u8; ZONE], _: usize, pending: u64) -> (usize, u64) {
    (usize::MAX / 2, pending)
}

/// The function for lead byte `$b` (see [`fixed`] and [`sized`] for which gets which).
macro_rules! arm {
    ($b:expr) => {{
        const S: Step = step($b);
        match S.kind {
            FIXED if S.check == STR || S.kids > 0 || S.adv == 1 => {
                fixed::<{ S.adv as usize }, { S.kids as u64 }> as Arm
            }
            FIXED => sized as Arm,
            PAYLOAD => sized as Arm,
            ARRAY | MAP => container as Arm,
            _ => bad as Arm,
        }
    }};
}

/// The functions of the 16 lead bytes `$hi * 16 ..`.
macro_rules! arm_row {
    ($hi:expr) => {
        [
            arm!($hi * 16),
            arm!($hi * 16 + 1),
            arm!($hi * 16 + 2),
            arm!($hi * 16 + 3),
            arm!($hi * 16 + 4),
            arm!($hi * 16 + 5),
            arm!($hi * 16 + 6),
            arm!($hi * 16 + 7),
            arm!($hi * 16 + 8),
            arm!($hi * 16 + 9),
            arm!($hi * 16 + 10),
            arm!($hi * 16 + 11),
            arm!($hi * 16 + 12),
            arm!($hi * 16 + 13),
            arm!($hi * 16 + 14),
            arm!($hi * 16 + 15),
        ]
    };
}

/// The step of every lead byte as its own function (derived from [`step`], so from the lead
/// table): [`skip_arms`] calls through this table.
static ARMS: [Arm; 256] = {
    let rows: [[Arm; 16]; 16] = [
        arm_row!(0),
        arm_row!(1),
        arm_row!(2),
        arm_row!(3),
        arm_row!(4),
        arm_row!(5),
        arm_row!(6),
        arm_row!(7),
        arm_row!(8),
        arm_row!(9),
        arm_row!(10),
        arm_row!(11),
        arm_row!(12),
        arm_row!(13),
        arm_row!(14),
        arm_row!(15),
    ];
    let mut t = [bad as Arm; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = rows[i / 16][i % 16];
        i += 1;
    }
    t
};

/// What [`skip_arms`] leaves: the value's end (or a doubt), or where to go on.
pub(crate) enum Warm {
    /// The value ended (or cannot be valid).
    Done(Result<usize, Doubt>),
    /// Not done after the steps: the position and pending count to go on from.
    Go(usize, u64),
}

/// At most `steps` tokens from `pos` with `pending` values to go, each by a call through
/// [`ARMS`]: structure only, answers as the plain kernel's.
#[inline(always)]
pub(crate) fn skip_arms(buf: &[u8], mut pos: usize, mut pending: u64, steps: usize) -> Warm {
    // The last offset with a whole header zone after it.
    let Some(last) = buf.len().checked_sub(ZONE) else {
        return Warm::Done(skip::<false>(buf, pos, pending, Checks::default()));
    };
    for _ in 0..steps {
        if pending == 0 {
            return Warm::Done(if pos > buf.len() { Err(Doubt) } else { Ok(pos) });
        }
        if pos > last {
            return Warm::Done(skip::<false>(buf, pos, pending, Checks::default()));
        }
        let h: &[u8; ZONE] = buf[pos..pos + ZONE].try_into().expect("ZONE bytes");
        (pos, pending) = ARMS[h[0] as usize](h, pos, pending);
    }
    // Every pending value takes at least a byte (this also catches `bad`). Checked once here:
    // a few steps cannot take the counter anywhere near overflow, and a position past the end
    // fails the next step's bounds test.
    if pending > buf.len().saturating_sub(pos) as u64 {
        return Warm::Done(Err(Doubt));
    }
    Warm::Go(pos, pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lead byte's function in [`ARMS`] steps exactly as the step table does, for
    /// header zones of every lead byte with length and count fields of every width.
    #[test]
    fn arms_agree_with_step_table() {
        let fields = [
            [0u8, 0, 0, 0],
            [1, 2, 3, 4],
            [0xff, 0xff, 0xff, 0xff],
            [0x80, 0, 0, 1],
            [0, 0x10, 0, 0],
        ];
        for b in 0..=255u8 {
            for f in fields {
                let h = [b, f[0], f[1], f[2], f[3]];
                for (pos, pending) in [(0, 1), (7, 3), (1000, 40)] {
                    let s = STEP[b as usize];
                    let field = (u32::from_be_bytes(f) >> s.shift) as u64;
                    let want = match s.kind {
                        FIXED => (pos + s.adv as usize, pending + s.kids as u64 - 1),
                        PAYLOAD => (pos + s.adv as usize + field as usize, pending - 1),
                        ARRAY | MAP => (
                            pos + s.adv as usize,
                            pending - 1 + (field << (s.kind - ARRAY)),
                        ),
                        _ => (usize::MAX / 2, pending),
                    };
                    assert_eq!(ARMS[b as usize](&h, pos, pending), want, "{b:#04x} {f:?}");
                }
            }
        }
    }

    /// [`skip_arms`] ends where the plain kernel does (or doubts where it does, or goes on
    /// from where the plain kernel is after the same number of tokens) from every offset of
    /// generated values, intact and with bytes changed.
    #[test]
    fn skip_arms_agrees_with_plain_kernel() {
        use crate::gen::{self, Rng};
        let mut bufs = vec![
            gen::messages(3, 40),
            gen::listing(gen::ListingConfig {
                seed: 5,
                entries: 30,
                page_size: 10,
            }),
            gen::numeric(6, 1),
        ];
        let mut rng = Rng::new(21);
        for k in 0..45 {
            let mut b = bufs[k % 3].clone();
            for _ in 0..1 + k % 4 {
                let at = rng.below(b.len() as u64) as usize;
                b[at] = rng.next_u64() as u8;
            }
            bufs.push(b);
        }
        let mut done = 0;
        for buf in &bufs {
            for pos in 0..buf.len() {
                for pending in [1, 2, 5] {
                    let plain = skip::<false>(buf, pos, pending, Checks::default());
                    for steps in [0, 1, 3, 16] {
                        let got = match skip_arms(buf, pos, pending, steps) {
                            Warm::Done(r) => {
                                done += 1;
                                r
                            }
                            Warm::Go(p, n) => skip::<false>(buf, p, n, Checks::default()),
                        };
                        assert_eq!(got, plain, "at {pos}, {pending} pending, {steps} steps");
                    }
                }
            }
        }
        assert!(done > 1000, "{done}");
    }
}
