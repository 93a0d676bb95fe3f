//! The run's one source of randomness, split into labelled streams.
//!
//! Every draw in a simulation comes from a ChaCha8 generator keyed by the
//! run's seed. Each subsystem (network, nemesis, workload, topology) and each
//! process gets its own stream, selected by ChaCha's 64-bit stream number, so
//! that a new draw in one place never shifts the draws of another: adding a
//! client does not change which packets the network drops.
//!
//! Probabilities are integers in parts per million, and ranges are drawn with
//! Lemire's multiply-shift method, so no float ever decides an ordering.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng};

/// Parts per million: the unit of every probability in dsim.
pub const PPM: u32 = 1_000_000;

/// A probability as written in scenario files (`0.01`), kept as parts per
/// million. Values outside [0, 1] are refused where they are read, so the
/// error points at them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Probability(pub u32);

pub const PROBABILITY_EXPECTED: &str = "a probability between 0 and 1, such as 0.01";

impl serde::Serialize for Probability {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / PPM as f64)
    }
}

impl<'de> serde::Deserialize<'de> for Probability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Probability;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(PROBABILITY_EXPECTED)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Probability, E> {
                if !(0.0..=1.0).contains(&v) {
                    return Err(E::custom(format!(
                        "{v} is not a probability; expected {PROBABILITY_EXPECTED}"
                    )));
                }
                Ok(Probability((v * PPM as f64).round() as u32))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Probability, E> {
                match v {
                    0 | 1 => Ok(Probability(v as u32 * PPM)),
                    _ => Err(E::custom(format!("{v} is not a probability; expected {PROBABILITY_EXPECTED}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A stream label. Fixed numbers, so that streams stay stable across builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Network,
    Nemesis(u32),
    Workload,
    Topology,
    Swarm,
    Server(u32),
    Client(u32),
}

impl Stream {
    fn number(self) -> u64 {
        match self {
            Stream::Network => 1,
            Stream::Workload => 2,
            Stream::Topology => 3,
            Stream::Swarm => 4,
            Stream::Nemesis(kind) => (1 << 32) | kind as u64,
            Stream::Server(i) => (2 << 32) | i as u64,
            Stream::Client(i) => (3 << 32) | i as u64,
        }
    }
}

/// A seeded generator with the few draws simulations need.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// The stream `stream` of the run seeded with `seed`.
    pub fn new(seed: u64, stream: Stream) -> Rng {
        // The key is the seed in little-endian order, padded with a constant
        // so that seed 0 is not the all-zero key. Portable across machines.
        let mut key = [0x5Au8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        let mut inner = ChaCha8Rng::from_seed(key);
        inner.set_stream(stream.number());
        Rng { inner }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// A value in `0..n` (Lemire's nearly divisionless method; exact).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let mut m = (self.next_u64() as u128) * (n as u128);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = (self.next_u64() as u128) * (n as u128);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// A value in `min..=max`.
    #[inline]
    pub fn between(&mut self, min: u64, max: u64) -> u64 {
        debug_assert!(min <= max);
        if min == max {
            return min;
        }
        let span = max - min;
        if span == u64::MAX {
            return self.next_u64();
        }
        min + self.below(span + 1)
    }

    /// True with probability `ppm` parts per million. Draws nothing when the
    /// answer is certain, so a lossless network costs no randomness.
    #[inline]
    pub fn chance(&mut self, ppm: u32) -> bool {
        if ppm == 0 {
            return false;
        }
        if ppm >= PPM {
            return true;
        }
        ((self.next_u32() as u64 * PPM as u64) >> 32) < ppm as u64
    }

    /// An index into a slice of length `len` (> 0).
    #[inline]
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Shuffles in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    /// An exponentially distributed value with the given mean, capped at
    /// 20 times the mean, computed in fixed point: `-ln(u) * mean`.
    pub fn exponential(&mut self, mean: u64) -> u64 {
        // u is uniform in (0, 1] with 32 fractional bits.
        let u = (self.next_u32() as u64) + 1;
        let neg_log2_q16 = (32u64 << 16) - log2_q16(u); // -log2(u / 2^32), Q16
                                                        // ln(x) = log2(x) * ln(2); ln(2) in Q16 is 45426.
        let neg_ln_q16 = (neg_log2_q16 * 45_426) >> 16;
        let value = (neg_ln_q16 as u128 * mean as u128) >> 16;
        (value as u64).min(mean.saturating_mul(20))
    }
}

/// log2(x) in Q16 fixed point for x >= 1, by repeated squaring: exact
/// integer arithmetic, so the same on every machine.
fn log2_q16(x: u64) -> u64 {
    debug_assert!(x >= 1);
    let int_part = 63 - x.leading_zeros() as u64;
    // Mantissa m in [1, 2) as Q32.
    let mut m: u128 = ((x as u128) << 32) >> int_part;
    let mut frac = 0u64;
    for bit in (0..16).rev() {
        m = (m * m) >> 32;
        if m >= 2u128 << 32 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int_part << 16) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_stable() {
        let mut a = Rng::new(7, Stream::Network);
        let mut b = Rng::new(7, Stream::Network);
        let mut c = Rng::new(7, Stream::Workload);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(1, Stream::Swarm);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn chance_matches_its_rate() {
        let mut r = Rng::new(3, Stream::Network);
        let hits = (0..100_000).filter(|_| r.chance(100_000)).count();
        assert!((9_000..11_000).contains(&hits), "{hits}");
        assert!(!r.chance(0));
        assert!(r.chance(PPM));
    }

    #[test]
    fn log2_is_accurate() {
        assert_eq!(log2_q16(1), 0);
        assert_eq!(log2_q16(2), 1 << 16);
        assert_eq!(log2_q16(1 << 20), 20 << 16);
        // log2(3) = 1.58496...
        let got = log2_q16(3) as f64 / 65536.0;
        assert!((got - 1.584_962_5).abs() < 1e-4, "{got}");
    }

    #[test]
    fn exponential_has_its_mean() {
        let mut r = Rng::new(9, Stream::Network);
        let n = 200_000u64;
        let total: u64 = (0..n).map(|_| r.exponential(1_000_000)).sum();
        let mean = total / n;
        assert!((950_000..1_050_000).contains(&mean), "{mean}");
    }
}
