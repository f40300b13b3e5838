//! A perfect hash over byte strings: one cheap hash, one index, one comparison per lookup.
//!
//! The hash is a multiply-xor over 8-byte words, a few instructions per word, not SipHash: phf's
//! own issues report SipHash-based tables slower than a `match` for small sets. The table has a
//! power-of-two number of slots, at least half the square of the key count, so that a seed giving
//! every key its own slot is found after a few tries (a random seed succeeds with probability
//! about e^(-n²/2m) ≥ 1/e). A slot holds the index of its key, or `EMPTY`.
//!
//! `hash` is a `const fn`, so the same function can build a table in constant evaluation. The
//! module is public for the benchmark that compares it with a `match` and a linear scan
//! (`examples/benchmark/benches/static_table.rs`).

/// A slot that no key hashes to.
pub const EMPTY: u16 = u16::MAX;

/// Most keys a table takes: slot indices are `u16`, and the square-sized table stays at 2 MiB.
pub const MAX_KEYS: usize = 1024;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hash of `bytes` under `seed`. Only its high bits are well mixed (they depend on every
/// input bit through the last multiplication): index a table with [`PerfectHash`]'s shift, never
/// with a mask.
#[inline]
pub const fn hash(bytes: &[u8], seed: u64) -> u64 {
    let len = bytes.len();
    let mut h = seed ^ (len as u64).wrapping_mul(K);
    let mut i = 0;
    while i + 8 < len {
        h = (h ^ word(bytes, i)).wrapping_mul(K);
        h ^= h >> 32;
        i += 8;
    }
    // The last word: the final 8 bytes (overlapping the previous word), or the short key whole.
    let last = if len >= 8 {
        word(bytes, len - 8)
    } else {
        let mut w = 0u64;
        let mut j = 0;
        while j < len {
            w |= (bytes[j] as u64) << (8 * j);
            j += 1;
        }
        w
    };
    (h ^ last).wrapping_mul(K)
}

/// The 8 bytes at `i` as a little-endian word: one bounds check and one load (indexing the bytes
/// one by one would check each). `i + 8 <= b.len()`.
#[inline]
const fn word(b: &[u8], i: usize) -> u64 {
    match b.split_at(i).1.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => 0,
    }
}

/// The seed tried after `seed`.
const fn next_seed(seed: u64) -> u64 {
    seed.wrapping_add(K)
}

/// `64 - log2(slots)` for `n` keys: at least `n² / 2` slots, a power of two.
const fn shift_for(n: usize) -> u32 {
    let half_square = n * n / 2;
    let size = if half_square < 2 {
        2
    } else {
        half_square.next_power_of_two()
    };
    64 - size.trailing_zeros()
}

/// Words of the bit set [`find_seed`] marks slots in: one bit per slot of the largest table.
const SEARCH_WORDS: usize = MAX_KEYS * MAX_KEYS / 2 / 64;

/// The seed [`PerfectHash::build`] would find for these keys, found in constant evaluation, or
/// `None` for more than [`MAX_KEYS`] keys or when no seed is found in a few thousand tries (which
/// for distinct keys does not happen: each try succeeds with probability at least 1/e).
pub const fn find_seed(keys: &[&str]) -> Option<u64> {
    let n = keys.len();
    if n > MAX_KEYS {
        return None;
    }
    let shift = shift_for(n);
    let mut taken = [0u64; SEARCH_WORDS];
    let mut seed = 0u64;
    let mut tries = 0;
    while tries < 4096 {
        let mut i = 0;
        while i < n {
            let slot = (hash(keys[i].as_bytes(), seed) >> shift) as usize;
            if taken[slot / 64] & (1 << (slot % 64)) != 0 {
                break;
            }
            taken[slot / 64] |= 1 << (slot % 64);
            i += 1;
        }
        if i == n {
            return Some(seed);
        }
        // Clear the bits this try set: the keys before the collision.
        let mut j = 0;
        while j < i {
            let slot = (hash(keys[j].as_bytes(), seed) >> shift) as usize;
            taken[slot / 64] &= !(1 << (slot % 64));
            j += 1;
        }
        seed = next_seed(seed);
        tries += 1;
    }
    None
}

/// A perfect hash table over a set of distinct keys.
#[derive(Debug, Default, Clone)]
pub struct PerfectHash {
    seed: u64,
    /// `64 - log2(slots)`: a slot is the hash's top bits.
    shift: u32,
    slots: Box<[u16]>,
}

impl PerfectHash {
    /// Finds a seed under which every key has a slot of its own. The keys must be distinct and
    /// at most [`MAX_KEYS`].
    pub fn build(keys: &[&[u8]]) -> PerfectHash {
        let mut seed = 0u64;
        loop {
            if let Some(table) = PerfectHash::with_seed(keys, seed) {
                return table;
            }
            seed = next_seed(seed);
        }
    }

    /// The table under `seed`, if every key has a slot of its own there: a seed found at compile
    /// time (by [`find_seed`]) costs one pass over the keys at start-up.
    pub fn with_seed(keys: &[&[u8]], seed: u64) -> Option<PerfectHash> {
        debug_assert!(keys.len() <= MAX_KEYS);
        if keys.is_empty() {
            return Some(PerfectHash::default());
        }
        let shift = shift_for(keys.len());
        let mut slots = vec![EMPTY; 1 << (64 - shift)].into_boxed_slice();
        for (i, key) in keys.iter().enumerate() {
            let slot = &mut slots[(hash(key, seed) >> shift) as usize];
            if *slot != EMPTY {
                return None;
            }
            // `i < MAX_KEYS < u16::MAX`.
            *slot = i as u16;
        }
        Some(PerfectHash { seed, shift, slots })
    }

    /// The index of the only key that can equal `key`; the caller compares.
    #[inline]
    pub fn candidate(&self, key: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        match self.slots[(hash(key, self.seed) >> self.shift) as usize] {
            EMPTY => None,
            i => Some(usize::from(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const _: () = assert!(hash(b"/health", 0) != hash(b"/healthz", 0));

    #[test]
    fn every_key_finds_itself_and_others_find_nothing_or_another() {
        for n in [1, 2, 4, 32, 256, MAX_KEYS] {
            let keys: Vec<String> = (0..n)
                .map(|i| format!("/api/v1/resource-{i}/items"))
                .collect();
            let bytes: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
            let table = PerfectHash::build(&bytes);
            for (i, key) in bytes.iter().enumerate() {
                assert_eq!(table.candidate(key), Some(i), "{n} keys");
            }
            let misses: Vec<Option<usize>> = (0..1000)
                .map(|i| table.candidate(format!("/other/{i}").as_bytes()))
                .collect();
            assert!(misses.iter().all(|m| m.is_none_or(|i| i < n)));
            if n >= 32 {
                // The table is mostly empty slots, so most misses end without a comparison.
                assert!(
                    misses.iter().filter(|m| m.is_none()).count() > 500,
                    "{n} keys"
                );
            }
        }
        assert_eq!(PerfectHash::build(&[]).candidate(b"/"), None);
    }

    #[test]
    fn the_seed_found_in_constant_evaluation_is_the_one_found_at_run_time() {
        const KEYS: &[&str] = &["/a", "/b", "/c", "/health", "/about", "/json", "/plaintext"];
        const SEED: Option<u64> = find_seed(KEYS);
        let bytes: Vec<&[u8]> = KEYS.iter().map(|k| k.as_bytes()).collect();
        assert_eq!(SEED, Some(PerfectHash::build(&bytes).seed));
        for n in [1, 9, 256, MAX_KEYS] {
            let keys: Vec<String> = (0..n).map(|i| format!("/r/{i}")).collect();
            let strs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let bytes: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
            let seed = find_seed(&strs).expect("a seed");
            let table = PerfectHash::with_seed(&bytes, seed).expect("the seed separates the keys");
            assert_eq!(table.seed, PerfectHash::build(&bytes).seed, "{n} keys");
        }
        let too_many: Vec<&str> = vec!["/"; MAX_KEYS + 1];
        assert_eq!(find_seed(&too_many), None);
    }

    #[test]
    fn keys_that_differ_only_in_their_last_bytes_spread_out() {
        // Routes that share a prefix and differ in a counter at the end are the common case; a
        // hash whose low bits ignore the last bytes never finds a seed for them.
        for n in [4, 32, 256, MAX_KEYS] {
            let keys: Vec<String> = (0..n)
                .map(|i| format!("/api/v{}/users-{i}", i % 3 + 1))
                .collect();
            let bytes: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
            let table = PerfectHash::build(&bytes);
            assert!(
                table.seed / K < 50,
                "{n} keys needed {} seeds",
                table.seed / K
            );
            for (i, key) in bytes.iter().enumerate() {
                assert_eq!(table.candidate(key), Some(i));
            }
        }
    }
}
