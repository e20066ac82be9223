//! A hash table of many small segments, grown one segment at a time (linear hashing,
//! the directory-free cousin of Dragonfly's dashtable), so that a 10M-key table never
//! stops to rehash everything.
//!
//! Each segment is a hashbrown [`HashTable`]. With `n` segments and `level` the largest
//! `L` with `2^L <= n`, a hash's *directory bits* `b` ([`dir_bits`]) pick segment
//! `b mod 2^(L+1)`, or `b mod 2^L` when that segment does not exist yet. Segments
//! `0..n - 2^L` and `2^L..n` have been split on bit `L` (their *depth* is `L + 1`); the
//! others still own both halves (depth `L`). Once the table holds more than
//! [`SEGMENT_BUCKETS`]`* 7/16` entries per segment, the next segment in order, `n - 2^L`,
//! splits: the entries with bit `L` set move to a new segment `n` (see `grow.rs`). A
//! lookup is one more indexed load than a plain table, with no directory to chase.
//!
//! Which hash bits do what (hashbrown keeps using its own bits undisturbed inside
//! each segment, so segments are as fast as a plain table):
//!
//! ```text
//!  63 .. 57   56 ............................ 32   31 ........... 0
//!  hashbrown  directory bits (low bit first,       hashbrown bucket
//!  tag (h2)   up to MAX_DEPTH of them)             index (h1)
//! ```
//!
//! The bucket index takes a segment's `log2(buckets)` low bits; keeping the directory
//! bits above bit 32 means they never overlap it, even for a segment that outgrew
//! [`SEGMENT_BUCKETS`] (overlapping bits would be equal for every entry of a segment
//! and crowd them into a fraction of its buckets). 25 directory bits allow 2^25
//! segments, billions of entries.
//!
//! Invariants:
//! - `2^level <= segments.len() < 2^(level + 1)`;
//! - an entry is in the segment [`Table::segment_of`] its hash names;
//! - `len` is the sum of the segments' lengths.
//!
//! SCAN cursors and snapshot walks are in `scan.rs`, segment versions and the
//! snapshot hook in `snapshot.rs`.

mod entry;
mod grow;
mod sample;
mod scan;
mod snapshot;
#[cfg(test)]
mod tests;

use std::fmt;
use std::hash::{BuildHasher, Hash};

use hashbrown::hash_table::HashTable;
use hashbrown::DefaultHashBuilder;

pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use scan::SegmentRef;
pub use snapshot::SnapshotSink;

/// Hash bits below this one are left to hashbrown inside a segment.
const DIR_SHIFT: u32 = 32;
/// The most directory bits a hash provides (bits 32..56; hashbrown's tag takes 57..63).
pub const MAX_DEPTH: u32 = 25;
/// Buckets of a full-grown segment: segments hold between 7/16 and 7/8 of this many
/// entries (hashbrown's maximum load is 7/8), a split rehashes at most about 7/8 of
/// it, and a SCAN step returns one segment.
pub const SEGMENT_BUCKETS: usize = 512;

/// The entries per segment above which the next segment splits. In a round of
/// splits (from `2^L` to `2^(L+1)` segments) a segment grows from this to twice this
/// before its turn comes; 3/8 of a full segment's capacity leaves room for the
/// random spread between segments, so they rarely outgrow `buckets`.
fn split_load(buckets: usize) -> usize {
    buckets / 8 * 7 * 3 / 8
}

/// An entry that carries its own key, so that the table can rehash it on a split.
pub trait Keyed {
    /// The key type; lookups hash a `&Key` with the table's hasher.
    type Key: ?Sized + Hash + Eq;
    /// The entry's key.
    fn key(&self) -> &Self::Key;
}

/// The directory bits of a hash, lowest first.
#[inline]
fn dir_bits(hash: u64) -> u64 {
    hash >> DIR_SHIFT
}

/// A segmented hash table of `T`s keyed by [`Keyed::key`].
pub struct Table<T, S = DefaultHashBuilder> {
    /// The segments: small hashbrown tables, 32 bytes each here (two per cache line).
    segments: Vec<HashTable<T>>,
    /// Each segment's version (see `snapshot.rs`), apart so that lookups never load it.
    versions: Vec<u64>,
    /// `2^(level + 1) - 1` and `2^level - 1`, where `2^level <= segments.len()`.
    high_mask: usize,
    low_mask: usize,
    len: usize,
    hasher: S,
    /// Split the next segment once `len` passes this many entries per segment:
    /// [`SEGMENT_BUCKETS`]` * 7/16`, less in tests.
    split_load: usize,
    /// The running snapshot, if any, and the version clock.
    snap: snapshot::State<T>,
}

impl<T: Keyed> Table<T> {
    /// An empty table with a randomly seeded hasher. Allocates nothing per entry yet.
    pub fn new() -> Table<T> {
        Table::with_hasher(DefaultHashBuilder::default())
    }
}

impl<T: Keyed> Default for Table<T> {
    fn default() -> Self {
        Table::new()
    }
}

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// An empty table hashing with `hasher`.
    pub fn with_hasher(hasher: S) -> Table<T, S> {
        let snap = snapshot::State::default();
        Table {
            segments: vec![HashTable::new()],
            versions: vec![snap.clock()],
            high_mask: 1,
            low_mask: 0,
            len: 0,
            hasher,
            split_load: split_load(SEGMENT_BUCKETS),
            snap,
        }
    }

    /// An empty table whose segments split at `buckets` buckets (a power of two of at
    /// least 16) instead of [`SEGMENT_BUCKETS`]: for tests and benchmarks.
    pub fn with_segment_buckets(hasher: S, buckets: usize) -> Table<T, S> {
        assert!(buckets.is_power_of_two() && buckets >= 16);
        Table {
            split_load: split_load(buckets),
            ..Table::with_hasher(hasher)
        }
    }

    /// The hash of a key, as lookups need it.
    #[inline]
    pub fn hash(&self, key: &T::Key) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of segments (for tests, INFO-style statistics and benchmarks).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Bytes allocated by the table itself (not by what its entries point to).
    pub fn allocation_size(&self) -> usize {
        self.segments.capacity() * std::mem::size_of::<HashTable<T>>()
            + self.versions.capacity() * std::mem::size_of::<u64>()
            + self
                .segments
                .iter()
                .map(HashTable::allocation_size)
                .sum::<usize>()
    }

    /// The segment owning a hash.
    #[inline]
    fn segment_of(&self, hash: u64) -> usize {
        self.segment_at(dir_bits(hash))
    }

    /// The segment owning the directory bits `bits` (of a hash, or a SCAN cursor):
    /// `bits mod 2^(level+1)`, or `bits mod 2^level` if that segment is not split yet.
    #[inline]
    fn segment_at(&self, bits: u64) -> usize {
        let high = bits as usize & self.high_mask;
        let low = bits as usize & self.low_mask;
        // Which of the two depends on the hash: a branch would be mispredicted up to
        // half the time, so shift the borrow of `high - n` into place instead.
        let borrow = (high.wrapping_sub(self.segments.len()) >> (usize::BITS - 1)) & 1;
        low + ((high - low) * borrow)
    }

    /// How many directory bits the entries of `segment` share.
    fn depth_of(&self, segment: usize) -> u32 {
        let level = self.low_mask.count_ones();
        let split = self.segments.len() - (self.low_mask + 1);
        if segment < split || segment > self.low_mask {
            level + 1
        } else {
            level
        }
    }

    /// The entry with this hash for which `eq` holds.
    #[inline]
    pub fn find(&self, hash: u64, eq: impl FnMut(&T) -> bool) -> Option<&T> {
        self.segments[self.segment_of(hash)].find(hash, eq)
    }

    /// The entry whose key is `key`.
    pub fn get(&self, key: &T::Key) -> Option<&T> {
        self.find(self.hash(key), |e| e.key() == key)
    }

    /// Removes every entry and frees the segments. A running snapshot first saves the
    /// segments it has not saved yet, since they are about to disappear.
    pub fn clear(&mut self) {
        self.save_all_pending();
        self.segments = vec![HashTable::new()];
        self.versions = vec![self.snap.clock()];
        self.high_mask = 1;
        self.low_mask = 0;
        self.len = 0;
    }

    /// Every entry, segment after segment, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone + '_ {
        self.segments.iter().flat_map(HashTable::iter)
    }

    /// An entry chosen with the help of `random` (any random number), `None` when the
    /// table is empty: the segment owning random directory bits (so segments count by
    /// the share of the hash space they own), or the next non-empty one, then the
    /// first entry at or after a random bucket of it, like the single table did before.
    pub fn random(&self, random: u64) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        let n = self.segments.len();
        let start = self.segment_at(random);
        (0..n).find_map(|i| {
            let table = &self.segments[(start + i) % n];
            if table.is_empty() {
                return None;
            }
            let buckets = table.num_buckets();
            let first = ((random >> 32) % buckets as u64) as usize;
            (first..buckets)
                .chain(0..first)
                .find_map(|b| table.get_bucket(b))
        })
    }
}

impl<T, S> fmt::Debug for Table<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.len)
            .field("segments", &self.segments.len())
            .finish_non_exhaustive()
    }
}
