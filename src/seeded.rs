//! Seeded, reproducible draws: the values rand 0.8 drew from `StdRng::seed_from_u64`.
//!
//! The eval corpus generators (`examples/gen_eval`, `examples/gen_mbox`) and the eval's shuffled
//! import must give the same output for the same seed across dependency upgrades: the corpora
//! in `tests/fixtures/eval` are committed and must regenerate byte for byte, and the eval's
//! shuffled order must stay the one its scores were taken on. rand 0.9 changed the algorithms
//! behind `gen_range`, `shuffle` and `choose` (the underlying ChaCha12 stream and its
//! `seed_from_u64` did not change), so this module keeps rand 0.8's: integer ranges by
//! widening multiply with rejection, `gen_bool` by comparing a `u64` with `p`·2⁶⁴, Fisher–Yates
//! from the end, and Floyd's or a partial Fisher–Yates for `choose_multiple`.

use std::ops::{Range, RangeInclusive};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};

/// A ChaCha12 generator seeded from a `u64`, drawing as rand 0.8 did.
pub struct SeededRng(StdRng);

impl SeededRng {
    pub fn seed_from_u64(seed: u64) -> Self {
        SeededRng(StdRng::seed_from_u64(seed))
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// An integer over its type's whole range, or an `f64` in [0, 1).
    pub fn random<T: Draw>(&mut self) -> T {
        T::draw(self)
    }

    /// A uniform integer in `range` (`a..b` or `a..=b`); panics on an empty range.
    pub fn gen_range<T: SampleInt, R: IntRange<T>>(&mut self, range: R) -> T {
        range.sample(self)
    }

    /// `true` with probability `p`; panics unless `0 ≤ p ≤ 1`.
    pub fn gen_bool(&mut self, p: f64) -> bool {
        assert!(
            (0.0..=1.0).contains(&p),
            "gen_bool: p={p} is not a probability"
        );
        if p == 1.0 {
            return true;
        }
        // 2^64 written so that it is exact.
        const SCALE: f64 = 2.0 * (1u64 << 63) as f64;
        self.next_u64() < (p * SCALE) as u64
    }

    /// An index below `ubound`, drawn as a `u32` when it fits (as rand 0.8's slice methods did).
    fn gen_index(&mut self, ubound: usize) -> usize {
        match u32::try_from(ubound) {
            Ok(b) => self.gen_range(0..b) as usize,
            Err(_) => self.gen_range(0..ubound),
        }
    }
}

/// Types `random` draws.
pub trait Draw {
    fn draw(rng: &mut SeededRng) -> Self;
}

macro_rules! draw_int {
    ($ty:ty, $next:ident) => {
        impl Draw for $ty {
            fn draw(rng: &mut SeededRng) -> Self {
                rng.$next() as $ty
            }
        }
    };
}

draw_int!(u8, next_u32);
draw_int!(u16, next_u32);
draw_int!(u32, next_u32);
draw_int!(u64, next_u64);

impl Draw for f64 {
    /// The top 53 bits of a `u64`, scaled.
    fn draw(rng: &mut SeededRng) -> Self {
        (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Integer types `gen_range` draws.
pub trait SampleInt: Copy + PartialOrd {
    /// Uniform in `low..=high`.
    fn sample_inclusive(low: Self, high: Self, rng: &mut SeededRng) -> Self;
    /// `self - 1`, for a half-open range's inclusive end.
    fn pred(self) -> Self;
}

macro_rules! sample_int {
    ($ty:ty, $unsigned:ty, $large:ty, $wide:ty, $next:ident) => {
        impl SampleInt for $ty {
            fn sample_inclusive(low: Self, high: Self, rng: &mut SeededRng) -> Self {
                let range = high.wrapping_sub(low).wrapping_add(1) as $unsigned as $large;
                if range == 0 {
                    // The type's whole range.
                    return rng.$next() as $ty;
                }
                let zone = if <$unsigned>::MAX as u64 <= u16::MAX as u64 {
                    let max = <$large>::MAX;
                    max - (max - range + 1) % range
                } else {
                    (range << range.leading_zeros()).wrapping_sub(1)
                };
                loop {
                    let m = (rng.$next() as $large as $wide) * (range as $wide);
                    let (hi, lo) = ((m >> <$large>::BITS) as $large, m as $large);
                    if lo <= zone {
                        return low.wrapping_add(hi as $ty);
                    }
                }
            }

            fn pred(self) -> Self {
                self - 1
            }
        }
    };
}

sample_int!(i8, u8, u32, u64, next_u32);
sample_int!(u8, u8, u32, u64, next_u32);
sample_int!(i16, u16, u32, u64, next_u32);
sample_int!(u16, u16, u32, u64, next_u32);
sample_int!(i32, u32, u32, u64, next_u32);
sample_int!(u32, u32, u32, u64, next_u32);
sample_int!(i64, u64, u64, u128, next_u64);
sample_int!(u64, u64, u64, u128, next_u64);
sample_int!(isize, usize, u64, u128, next_u64);
sample_int!(usize, usize, u64, u128, next_u64);

/// `a..b` and `a..=b`.
pub trait IntRange<T> {
    fn sample(self, rng: &mut SeededRng) -> T;
}

impl<T: SampleInt> IntRange<T> for Range<T> {
    fn sample(self, rng: &mut SeededRng) -> T {
        assert!(self.start < self.end, "cannot sample empty range");
        T::sample_inclusive(self.start, self.end.pred(), rng)
    }
}

impl<T: SampleInt> IntRange<T> for RangeInclusive<T> {
    fn sample(self, rng: &mut SeededRng) -> T {
        assert!(self.start() <= self.end(), "cannot sample empty range");
        T::sample_inclusive(*self.start(), *self.end(), rng)
    }
}

/// Random picks from and orders of a slice.
pub trait SliceSeeded {
    type Item;
    /// One element, or `None` for an empty slice.
    fn choose(&self, rng: &mut SeededRng) -> Option<&Self::Item>;
    /// `amount` distinct elements (fewer if the slice is shorter), in random order.
    fn choose_multiple(
        &self,
        rng: &mut SeededRng,
        amount: usize,
    ) -> impl Iterator<Item = &Self::Item>;
    fn shuffle(&mut self, rng: &mut SeededRng);
}

impl<T> SliceSeeded for [T] {
    type Item = T;

    fn choose(&self, rng: &mut SeededRng) -> Option<&T> {
        (!self.is_empty()).then(|| &self[rng.gen_index(self.len())])
    }

    fn choose_multiple(&self, rng: &mut SeededRng, amount: usize) -> impl Iterator<Item = &T> {
        let amount = amount.min(self.len());
        sample_indices(rng, self.len(), amount)
            .into_iter()
            .map(|i| &self[i])
    }

    fn shuffle(&mut self, rng: &mut SeededRng) {
        for i in (1..self.len()).rev() {
            self.swap(i, rng.gen_index(i + 1));
        }
    }
}

/// `amount` distinct indices below `length`, chosen the way rand 0.8's `index::sample` chose
/// its algorithm for `amount < 163`; larger samples use the partial Fisher–Yates (rand 0.8 used
/// rejection sampling there, which nothing here needs).
fn sample_indices(rng: &mut SeededRng, length: usize, amount: usize) -> Vec<usize> {
    let (Ok(length), Ok(amount)) = (u32::try_from(length), u32::try_from(amount)) else {
        panic!("choose_multiple: more than 2^32 elements");
    };
    let j = usize::from(length >= 500_000);
    let (c0, c1) = ([1.6f32, 8.0 / 45.0][j], [10.0f32, 70.0 / 9.0][j]);
    let amount_fp = amount as f32;
    let floyd =
        amount < 163 && !(amount > 11 && (length as f32) < (c1 + c0 * amount_fp) * amount_fp);
    let picked = if floyd {
        sample_floyd(rng, length, amount)
    } else {
        sample_inplace(rng, length, amount)
    };
    picked.into_iter().map(|i| i as usize).collect()
}

/// Floyd's algorithm; for fewer than 50 it keeps the result shuffled as it goes.
fn sample_floyd(rng: &mut SeededRng, length: u32, amount: u32) -> Vec<u32> {
    let floyd_shuffle = amount < 50;
    let mut indices = Vec::with_capacity(amount as usize);
    for j in length - amount..length {
        let t = rng.gen_range(0..=j);
        if floyd_shuffle {
            if let Some(pos) = indices.iter().position(|&x| x == t) {
                indices.insert(pos, j);
                continue;
            }
        } else if indices.contains(&t) {
            indices.push(j);
            continue;
        }
        indices.push(t);
    }
    if !floyd_shuffle {
        for i in (1..amount).rev() {
            indices.swap(i as usize, rng.gen_range(0..=i) as usize);
        }
    }
    indices
}

fn sample_inplace(rng: &mut SeededRng, length: u32, amount: u32) -> Vec<u32> {
    let mut indices: Vec<u32> = (0..length).collect();
    for i in 0..amount {
        let j = rng.gen_range(i..length);
        indices.swap(i as usize, j as usize);
    }
    indices.truncate(amount as usize);
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values rand 0.8.8 gave for the same calls, recorded before the upgrade.
    #[test]
    fn draws_match_rand_0_8() {
        let mut rng = SeededRng::seed_from_u64(20261201);
        let ints: Vec<i64> = (0..8).map(|_| rng.gen_range(-5i64..1000)).collect();
        let small: Vec<u8> = (0..8).map(|_| rng.gen_range(0u8..=200)).collect();
        let idx: Vec<usize> = (0..8).map(|_| rng.gen_range(0..17usize)).collect();
        let bools: Vec<bool> = (0..8).map(|_| rng.gen_bool(0.3)).collect();
        let mut v: Vec<u32> = (0..10).collect();
        v.shuffle(&mut rng);
        let pick = *[10, 20, 30, 40].choose(&mut rng).unwrap();
        let several: Vec<u32> = (0..30u32)
            .collect::<Vec<_>>()
            .choose_multiple(&mut rng, 4)
            .copied()
            .collect();
        let got = format!("{ints:?} {small:?} {idx:?} {bools:?} {v:?} {pick} {several:?}");
        assert_eq!(got, EXPECTED);
    }

    const EXPECTED: &str =
        "[25, 932, 909, 580, 601, 118, 926, 10] [69, 108, 20, 45, 164, 189, 54, 139] \
        [15, 2, 4, 3, 7, 13, 9, 9] [false, true, true, false, false, false, false, true] \
        [6, 8, 5, 9, 2, 3, 1, 4, 0, 7] 10 [6, 9, 28, 20]";

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = SeededRng::seed_from_u64(1);
        for _ in 0..1000 {
            let a = rng.gen_range(3..9);
            assert!((3..9).contains(&a));
            let b = rng.gen_range(i8::MIN..=i8::MAX);
            let _ = b;
            let c = rng.gen_range(1..=1u64);
            assert_eq!(c, 1);
        }
        let mut empty: [u8; 0] = [];
        assert!(empty.choose(&mut rng).is_none());
        empty.shuffle(&mut rng);
        assert_eq!([1, 2].choose_multiple(&mut rng, 5).count(), 2);
    }
}
