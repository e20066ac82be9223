//! Redis's `dictScan()` cursor over a collection's own hashbrown table, for HSCAN,
//! SSCAN and ZSCAN of the `hashtable`/`skiplist` encodings.
//!
//! Like Redis, a cursor is a bucket index visited in *reverse-binary* order: when the
//! table doubles, home bucket `b` becomes `b` and `b + size`, which are next to each
//! other in that order, and when it halves they merge back into `b`. So every
//! element present from the first call to the last is returned at least once,
//! whatever the table did in between (some may come twice after a resize).
//!
//! The difference from Redis's chained dict is that hashbrown stores an element in
//! its *home* bucket (`hash & mask`) or further along that bucket's probe sequence.
//! One step therefore visits the elements whose home is the cursor's bucket, found
//! the way a lookup finds them, and keeps those whose own hash names the bucket:
//!
//! - usually, the 16 buckets from the home one on: a lookup stops at the first
//!   probed group (8 or 16 buckets, by platform) holding an empty bucket, so if one
//!   of those 16 is empty, every element of the home bucket is among them; if they
//!   are all full, the first 32 do when one of buckets 24..32 is empty (the third
//!   group of 8, or the second of 16, lies there). hashbrown
//!   shows no control bytes, but a free bucket is empty rather than a tombstone when
//!   the table has none, which its capacity tells: each tombstone lowers
//!   `items + growth_left` below the full capacity (7/8 of the buckets);
//! - otherwise, `HashTable::iter_hash` walks the probe sequence to its end and yields
//!   the entries whose 7-bit tag (the hash's top 7 bits) matches; asking once per
//!   possible tag sees every entry that may live there.
//!
//! This relies on facts about hashbrown's layout (home bucket = low bits of the hash,
//! tag = top 7 bits, groups of at most 16, tombstones visible in the capacity) that
//! the tests below and the model test in `tests/collection_scan_model.rs` exercise,
//! so that a hashbrown upgrade that changed them would fail loudly.

use hashbrown::HashTable;

/// hashbrown's tag is the top 7 bits of a 64-bit hash.
const TAG_SHIFT: u32 = 57;
const TAGS: u64 = 1 << 7;
/// Buckets checked from the home one: two groups of 8 or one of 16.
const WINDOW: usize = 16;
/// When those are full: up to the end of the third group of 8 or second of 16,
/// which must have an empty bucket in `WIDE_TAIL..WIDE`.
const WIDE: usize = 32;
const WIDE_TAIL: usize = 24;

/// hashbrown's capacity for a table of `buckets` buckets without tombstones (its
/// `bucket_mask_to_capacity()`): one empty bucket for tiny tables, 1/8 otherwise.
fn full_capacity(buckets: usize) -> usize {
    if buckets <= 8 {
        buckets - 1
    } else {
        buckets / 8 * 7
    }
}

/// One `dictScan()` step: calls `visit` on every element whose home bucket is the
/// cursor's and returns the next cursor, 0 when the iteration is complete.
/// `hash_of` must give the hash the table was built with.
pub(crate) fn scan_step<T>(
    table: &HashTable<T>,
    cursor: u64,
    hash_of: impl Fn(&T) -> u64,
    mut visit: impl FnMut(&T),
) -> u64 {
    let buckets = table.num_buckets();
    if table.is_empty() || buckets == 0 {
        return 0;
    }
    if usize::BITS != 64 {
        // hashbrown takes its tag from other bits on narrower targets: return
        // everything at once, as Redis does for the compact encodings.
        table.iter().for_each(visit);
        return 0;
    }
    let mask = buckets as u64 - 1;
    let home = cursor & mask;
    let next = next_cursor(cursor, mask);
    if table.capacity() == full_capacity(buckets) {
        // No tombstones. A small table's window is the whole table (visited once).
        let start = if buckets <= WIDE { 0 } else { home as usize };
        let at = |i: usize| table.get_bucket((start + i) & mask as usize);
        let window = if buckets <= WIDE {
            Some(buckets)
        } else if (0..WINDOW).any(|i| at(i).is_none()) {
            Some(WINDOW)
        } else if (WIDE_TAIL..WIDE).any(|i| at(i).is_none()) {
            Some(WIDE)
        } else {
            None
        };
        if let Some(window) = window {
            for e in (0..window).filter_map(at) {
                if hash_of(e) & mask == home {
                    visit(e);
                }
            }
            return next;
        }
    }
    for tag in 0..TAGS {
        for e in table.iter_hash(home | (tag << TAG_SHIFT)) {
            if hash_of(e) & mask == home {
                visit(e);
            }
        }
    }
    next
}

/// The cursor after `cursor` in a table of `mask + 1` buckets: the bits above the
/// mask set, then incremented as a reversed number (`dictScan()`), so the bits above
/// the mask come back as zeros.
pub(crate) fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::hash::BuildHasher;

    use hashbrown::DefaultHashBuilder;

    use super::*;

    struct Numbers {
        table: HashTable<u64>,
        hasher: DefaultHashBuilder,
    }

    impl Numbers {
        fn new() -> Numbers {
            Numbers {
                table: HashTable::new(),
                hasher: DefaultHashBuilder::default(),
            }
        }

        fn hash(&self, v: u64) -> u64 {
            self.hasher.hash_one(v)
        }

        fn insert(&mut self, v: u64) {
            let hasher = &self.hasher;
            let h = hasher.hash_one(v);
            if self.table.find(h, |&x| x == v).is_none() {
                self.table.insert_unique(h, v, |&x| hasher.hash_one(x));
            }
        }

        fn remove(&mut self, v: u64) {
            if let Ok(e) = self.table.find_entry(self.hash(v), |&x| x == v) {
                e.remove();
            }
            if self.table.len() * 8 < self.table.num_buckets() {
                let hasher = &self.hasher;
                self.table.shrink_to(0, |&x| hasher.hash_one(x));
            }
        }

        fn step(&self, cursor: u64, out: &mut Vec<u64>) -> u64 {
            scan_step(&self.table, cursor, |&x| self.hash(x), |&x| out.push(x))
        }
    }

    #[test]
    fn cursor_order_is_reverse_binary() {
        // Four buckets: 0, 2, 1, 3.
        assert_eq!(next_cursor(0, 3), 2);
        assert_eq!(next_cursor(2, 3), 1);
        assert_eq!(next_cursor(1, 3), 3);
        assert_eq!(next_cursor(3, 3), 0);
        // Bits above the mask are dropped.
        assert_eq!(next_cursor(0xff00, 3), 2);
        assert_eq!(next_cursor(0, 0), 0);
    }

    #[test]
    fn a_quiet_scan_returns_each_element_once() {
        for n in [1u64, 7, 100, 1000, 20_000] {
            let mut t = Numbers::new();
            (0..n).for_each(|v| t.insert(v));
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = t.step(cursor, &mut seen);
                if cursor == 0 {
                    break;
                }
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "{n} elements");
        }
    }

    #[test]
    fn elements_present_throughout_survive_growth_and_shrinking() {
        let mut t = Numbers::new();
        (0..5000).for_each(|v| t.insert(v));
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut cursor = 0;
        let mut round = 0u64;
        loop {
            cursor = t.step(cursor, &mut out);
            seen.extend(out.drain(..));
            // Grow a lot, then shrink back below the start, while scanning.
            match round {
                0..=9 => (0..3000).for_each(|i| t.insert(100_000 + round * 3000 + i)),
                10..=19 => (0..3000).for_each(|i| t.remove(100_000 + (round - 10) * 3000 + i)),
                20..=29 => (1000..5000)
                    .step_by(10)
                    .for_each(|v| t.remove(v + round - 20)),
                _ => {}
            }
            round += 1;
            if cursor == 0 {
                break;
            }
        }
        for v in 0..1000 {
            assert!(
                seen.contains(&v),
                "{v} was present throughout but not returned"
            );
        }
    }
}
