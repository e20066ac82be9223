//! Sampling a few entries at once, as Redis's `dictGetSomeKeys()` does for eviction:
//! consecutive buckets from a random place, with a jump elsewhere after a run of
//! empty ones, so that a sparse table does not make one call walk all of it.

use std::hash::BuildHasher;

use super::{Keyed, Table};
use crate::keyspace::next_random;

/// Buckets probed per entry wanted before giving up (`dictGetSomeKeys()`'s
/// `maxsteps = count * 10`).
const STEPS_PER_ENTRY: usize = 10;
/// Consecutive empty buckets after which sampling jumps to a new random place
/// (Redis jumps after 5 once the run is also longer than the count wanted).
const EMPTY_RUN_JUMP: usize = 5;

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// Calls `visit` on up to `count` distinct entries taken from consecutive buckets
    /// starting at a place picked with `random` (any random number), moving on to the
    /// following segments. Returns how many were visited: fewer than `count` only if
    /// the table has fewer entries or the probe budget (10 buckets per entry wanted)
    /// ran out in a sparse table, as with Redis's `dictGetSomeKeys()`.
    pub fn sample(&self, random: u64, count: usize, mut visit: impl FnMut(&T)) -> usize {
        let count = count.min(self.len);
        if count == 0 {
            return 0;
        }
        let mut state = random;
        // Where the current run of consecutive buckets began: coming back to it means
        // every bucket was probed, and going on would visit entries twice.
        let mut origin = self.random_position(random);
        let (mut segment, mut bucket) = origin;
        let (mut found, mut empty_run, mut moved) = (0, 0, false);
        let n = self.segments.len();
        for _ in 0..count.saturating_mul(STEPS_PER_ENTRY) {
            if moved && (segment, bucket) == origin {
                break;
            }
            moved = true;
            let table = &self.segments[segment];
            if bucket >= table.num_buckets() {
                (segment, bucket) = ((segment + 1) % n, 0);
                continue;
            }
            match table.get_bucket(bucket) {
                Some(entry) => {
                    visit(entry);
                    found += 1;
                    empty_run = 0;
                    if found == count {
                        break;
                    }
                }
                None => empty_run += 1,
            }
            bucket += 1;
            // Jump only before the first hit: a jump after one could land on the
            // entries already visited and repeat them.
            if empty_run >= EMPTY_RUN_JUMP && empty_run > count && found == 0 {
                origin = self.random_position(next_random(&mut state));
                (segment, bucket) = origin;
                (empty_run, moved) = (0, false);
            }
        }
        found
    }

    /// A segment chosen by the share of the hash space it owns, and a bucket in it.
    fn random_position(&self, random: u64) -> (usize, usize) {
        let segment = self.segment_at(random);
        let buckets = self.segments[segment].num_buckets().max(1);
        (segment, ((random >> 32) % buckets as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasherDefault;

    use super::*;
    use crate::table::Entry;

    type Fixed = BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

    #[derive(Debug)]
    struct K(u64);

    impl Keyed for K {
        type Key = u64;
        fn key(&self) -> &u64 {
            &self.0
        }
    }

    fn table(keys: impl Iterator<Item = u64>) -> Table<K, Fixed> {
        let mut t = Table::with_segment_buckets(Fixed::default(), 16);
        for k in keys {
            if let Entry::Vacant(v) = t.entry(t.hash(&k), |e: &K| e.0 == k) {
                v.insert(K(k));
            }
        }
        t
    }

    #[test]
    fn samples_are_distinct_and_bounded() {
        let t = table(0..1000);
        assert!(t.segment_count() > 50);
        for seed in 0..200u64 {
            let mut seen = HashSet::new();
            let n = t.sample(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 5, |e| {
                assert!(seen.insert(e.0), "{} twice", e.0);
            });
            assert_eq!(n, 5);
            assert_eq!(seen.len(), 5);
        }
    }

    #[test]
    fn small_tables_give_everything_once() {
        let empty = table(0..0);
        assert_eq!(empty.sample(7, 5, |_| panic!("empty")), 0);
        let t = table(0..3);
        for seed in 0..100u64 {
            let mut seen = HashSet::new();
            assert_eq!(t.sample(seed << 20, 16, |e| assert!(seen.insert(e.0))), 3);
        }
    }

    #[test]
    fn every_entry_can_be_sampled() {
        let t = table(0..300);
        let mut seen = HashSet::new();
        let mut state = 1;
        for _ in 0..2000 {
            t.sample(next_random(&mut state), 5, |e| {
                seen.insert(e.0);
            });
        }
        assert_eq!(seen.len(), 300);
    }

    #[test]
    fn sparse_tables_still_yield_keys() {
        let mut t = table(0..5000);
        for k in 0..4990 {
            t.remove(&k);
        }
        let mut state = 3;
        let mut hits = 0;
        for _ in 0..100 {
            hits += t.sample(next_random(&mut state), 5, |e| assert!(e.0 >= 4990));
        }
        assert!(hits > 0, "a sparse table must still give keys");
    }
}
