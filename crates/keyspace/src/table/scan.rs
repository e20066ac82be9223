//! Cursors over the segments: SCAN's, and the snapshot walk's, in one stable order.
//!
//! Redis's `dictScan()` walks the buckets of a power-of-two table in *reverse-binary*
//! order of their index, so that when the table doubles, bucket `b` becomes `b` and
//! `b + size`, both still ahead of (or both behind) the cursor. Our segments are the
//! same kind of thing one level up: segment `i` of depth `d` owns the directory bits
//! `≡ i (mod 2^d)`, which in reverse-binary order over [`MAX_DEPTH`] bits is one
//! contiguous interval, and a split cuts that interval into its two halves *in
//! place*. So:
//!
//! - the cursor is Redis's: the directory bits of the next position to visit, in
//!   natural order (low bits select the segment), in `0..2^MAX_DEPTH`;
//! - a call visits the whole segment owning the cursor and moves the cursor to the end
//!   of that segment's interval (Redis's `v |= ~mask; v = rev(rev(v) + 1)`, with the
//!   segment's own depth as the mask), 0 once past the end.
//!
//! Invariant (what makes SCAN and snapshots correct): every position before the
//! cursor, in reverse-binary order, belongs to a segment that was visited whole. Splits
//! only cut intervals, so the cursor always stays the start of an interval and an entry
//! never moves from ahead of the cursor to behind it (the loss in Dragonfly issue
//! #8153). A table that gains a level only adds high bits, which are zero at an
//! interval start. Were segments ever merged, a cursor could land inside a segment;
//! visiting the whole segment then repeats entries but still loses none.
//!
//! Entries are therefore returned a segment at a time (at most ~450 entries), which is
//! what makes the guarantee hold without any state kept between calls; SCAN's COUNT is
//! a hint for how many segments to visit, as Redis's is for how many buckets.

use std::hash::BuildHasher;

use hashbrown::hash_table::{self, HashTable};

use super::{Keyed, Table, MAX_DEPTH};

/// Positions are `MAX_DEPTH` bits wide.
const CURSOR_MASK: u64 = (1 << MAX_DEPTH) - 1;

/// `v` with its low `MAX_DEPTH` bits reversed.
fn rev(v: u64) -> u64 {
    v.reverse_bits() >> (64 - MAX_DEPTH)
}

/// The cursor after visiting the segment of local depth `depth` that owns `cursor`:
/// the start of the next interval in reverse-binary order, or 0 after the last one.
pub(super) fn next_cursor(cursor: u64, depth: u32) -> u64 {
    // Set the bits the segment does not look at, so that the reversed increment
    // carries past the whole segment.
    let v = (cursor | !((1u64 << depth) - 1)) & CURSOR_MASK;
    rev((rev(v) + 1) & CURSOR_MASK)
}

/// A read-only view of one segment, as SCAN's callback and a snapshot sink see it.
#[derive(Debug)]
pub struct SegmentRef<'a, T> {
    pub(super) table: &'a HashTable<T>,
    pub(super) prefix: u64,
    pub(super) depth: u32,
    pub(super) version: u64,
}

impl<'a, T> SegmentRef<'a, T> {
    /// The segment's entries.
    pub fn iter(&self) -> hash_table::Iter<'a, T> {
        self.table.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the segment has no entries.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Number of buckets, full or not.
    pub fn num_buckets(&self) -> usize {
        self.table.num_buckets()
    }

    /// The entry in bucket `index`, if that bucket is full: a position that stays
    /// valid while the segment does not change, for sampling.
    pub fn get_bucket(&self, index: usize) -> Option<&'a T> {
        self.table.get_bucket(index)
    }

    /// The cursor value at which a walk visits this segment.
    pub fn cursor(&self) -> u64 {
        self.prefix
    }

    /// The segment's version (see `snapshot.rs`).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Its local depth: how many directory bits its entries share.
    pub fn depth(&self) -> u32 {
        self.depth
    }
}

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// The segment owning `cursor` and the cursor after it (0 when it was the last).
    /// Walking from cursor 0 until it comes back to 0 visits every segment once, in an
    /// order that splits and directory growth between steps do not disturb.
    pub fn walk(&self, cursor: u64) -> (SegmentRef<'_, T>, u64) {
        let index = self.segment_at(cursor & CURSOR_MASK);
        let depth = self.depth_of(index);
        let view = SegmentRef {
            table: &self.segments[index],
            prefix: index as u64,
            depth,
            version: self.versions[index],
        };
        (view, next_cursor(cursor, depth))
    }

    /// One step of SCAN: calls `visit` on every entry of the segment owning `cursor`
    /// and returns the next cursor, 0 when the iteration is complete. Every entry
    /// present from the call with cursor 0 to the call returning 0 is visited at least
    /// once, whatever inserts, removals and splits happen between the calls.
    pub fn scan(&self, cursor: u64, visit: impl FnMut(&T)) -> u64 {
        let (segment, next) = self.walk(cursor);
        segment.iter().for_each(visit);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_segment_is_one_step() {
        assert_eq!(next_cursor(0, 0), 0);
        // Any cursor into a depth-0 segment ends the iteration.
        assert_eq!(next_cursor(12345, 0), 0);
    }

    #[test]
    fn depth_one_and_two() {
        assert_eq!(next_cursor(0, 1), 1);
        assert_eq!(next_cursor(1, 1), 0);
        // Depth 2 in reverse-binary order: 0, 2, 1, 3.
        assert_eq!(next_cursor(0, 2), 2);
        assert_eq!(next_cursor(2, 2), 1);
        assert_eq!(next_cursor(1, 2), 3);
        assert_eq!(next_cursor(3, 2), 0);
    }

    #[test]
    fn mixed_depths_tile_the_space() {
        // Segments 0 (depth 2), 2 (depth 2), 1 (depth 1): 0 -> 2 -> 1 -> done.
        assert_eq!(next_cursor(0, 2), 2);
        assert_eq!(next_cursor(2, 2), 1);
        assert_eq!(next_cursor(1, 1), 0);
        // After segment 0 (depth 1) the next one may be deeper: its start is 1.
        assert_eq!(next_cursor(0, 1), 1);
    }

    #[test]
    fn full_depth_walk_visits_every_prefix_once() {
        let depth = 6;
        let mut seen = vec![false; 1 << depth];
        let mut cursor = 0;
        loop {
            assert!(!seen[cursor as usize]);
            seen[cursor as usize] = true;
            cursor = next_cursor(cursor, depth);
            if cursor == 0 {
                break;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn high_cursor_bits_are_ignored() {
        assert_eq!(next_cursor(u64::MAX, 3), 0);
        assert_eq!(next_cursor(1 << 50, 1), 1);
    }
}
