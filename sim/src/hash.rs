//! The trace hash: a 64-bit digest of every processed event.
//!
//! It is not cryptographic; it only has to be fast, portable (no random keys,
//! integers fed in a fixed width) and sensitive to any change in the order or
//! content of events. Two runs with the same seed and build must agree on
//! it; a test checks that for every scenario.

use std::hash::Hasher;

const K: u64 = 0x517c_c1b7_2722_0a95;

/// An Fx-style hasher over fixed-width words: deterministic everywhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct StableHasher {
    h: u64,
    /// Words fed in: the size of what was hashed, which the engine reports
    /// as the size of the messages delivered.
    words: u64,
}

impl StableHasher {
    #[inline]
    fn add(&mut self, x: u64) {
        self.h = (self.h.rotate_left(5) ^ x).wrapping_mul(K);
        self.words += 1;
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.h
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// The running digest of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceHash {
    state: u64,
}

impl TraceHash {
    #[inline]
    pub fn add(&mut self, words: [u64; 4]) {
        let mut h = StableHasher { h: self.state, words: 0 };
        for w in words {
            h.add(w);
        }
        self.state = h.h;
    }

    /// The final value, with an avalanche step so that close states differ.
    pub fn value(&self) -> u64 {
        let mut z = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Hash of any `Hash` value with the stable hasher.
#[inline]
pub fn stable_hash<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// Hash of a `Hash` value and its size in 64-bit words (each integer,
/// length or tag counts one, and bytes count in words of eight).
#[inline]
pub fn stable_hash_sized<T: std::hash::Hash + ?Sized>(value: &T) -> (u64, u64) {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    (h.finish(), h.words)
}

/// Formats a trace hash the way every output shows it.
pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}
