//! Growing and shrinking, one segment at a time: linear hashing's split of the next
//! segment in order, and giving memory back from a segment that has emptied.

use std::hash::BuildHasher;
use std::mem;

use hashbrown::hash_table::HashTable;

use super::{dir_bits, Keyed, Table, MAX_DEPTH};

/// A segment shrinks once it uses less than 1/8 of its buckets (and has at least
/// this many), so deleting most keys gives memory back, a segment at a time.
const SHRINK_MIN_BUCKETS: usize = 64;

/// Gives memory back from a segment that has become mostly empty.
pub(super) fn maybe_shrink<T: Keyed>(table: &mut HashTable<T>, hasher: &impl BuildHasher) {
    let buckets = table.num_buckets();
    if buckets >= SHRINK_MIN_BUCKETS && table.len() < buckets / 8 {
        table.shrink_to(0, |e| hasher.hash_one(e.key()));
    }
}

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// Splits segment `n - 2^level` on bit `level`: its entries with that bit set move
    /// to a new segment `n`. Costs one rehash of that segment, never more.
    ///
    /// The new segment keeps the old one's version: both hold entries the old one
    /// held, and for a running snapshot the split is part of a write, so the old
    /// segment goes through `before_write` first.
    pub(super) fn split_next(&mut self) {
        let n = self.segments.len();
        let low = self.low_mask + 1;
        if self.low_mask.count_ones() + 1 >= MAX_DEPTH {
            // Out of hash bits (2^39 segments): segments just grow.
            return;
        }
        let segment = n - low;
        self.before_write(segment);
        let bit = low as u64;
        let old = &mut self.segments[segment];
        // Halves sized for what they get; hashbrown grows them later as usual (one
        // segment's rehash), which keeps the load of segments that of a plain table.
        let half = old.len() / 2;
        let entries = mem::replace(old, HashTable::with_capacity(half));
        let mut high = HashTable::with_capacity(half);
        let hasher = &self.hasher;
        let rehash = |e: &T| hasher.hash_one(e.key());
        for entry in entries {
            let hash = rehash(&entry);
            if dir_bits(hash) & bit == 0 {
                old.insert_unique(hash, entry, rehash);
            } else {
                high.insert_unique(hash, entry, rehash);
            }
        }
        self.segments.push(high);
        self.versions.push(self.versions[segment]);
        if self.segments.len() == 2 * low {
            self.low_mask = self.high_mask;
            self.high_mask = 2 * self.high_mask + 1;
        }
    }

    /// Makes room for `additional` more entries ahead of time, as Redis's
    /// `dictExpand()` after an RDB's RESIZEDB: splits segments until the table is
    /// sized for them, and gives each segment its share of capacity, so inserting
    /// them causes no splits and no segment rehashes.
    pub fn reserve(&mut self, additional: usize) {
        let want = self.len.saturating_add(additional);
        while self.segments.len().saturating_mul(self.split_load) < want {
            let before = self.segments.len();
            self.split_next();
            if self.segments.len() == before {
                break; // out of directory bits
            }
        }
        let per = want.div_ceil(self.segments.len());
        let hasher = &self.hasher;
        for seg in &mut self.segments {
            if seg.capacity() < per {
                seg.reserve(per - seg.len(), |e| hasher.hash_one(e.key()));
            }
        }
    }

    /// Checks the structural invariants (tests only).
    #[cfg(test)]
    pub(super) fn check(&self) {
        let n = self.segments.len();
        assert!(self.low_mask < n && n <= self.high_mask);
        assert_eq!(self.high_mask, 2 * self.low_mask + 1);
        let mut total = 0;
        for (i, seg) in self.segments.iter().enumerate() {
            let depth = self.depth_of(i);
            for e in seg.iter() {
                let hash = self.hash(e.key());
                assert_eq!(self.segment_of(hash), i);
                assert_eq!(dir_bits(hash) & ((1 << depth) - 1), i as u64);
            }
            total += seg.len();
        }
        assert_eq!(total, self.len);
    }
}
