//! The encoding of a large sorted set (OBJECT ENCODING `skiplist`, Redis's name for
//! its dict + skip list): a slot table of (score, member), a hash index from member
//! to slot for O(1) ZSCORE, and an order-statistic B+ tree of (score, slot) for
//! O(log n) ranks and ranges.
//!
//! Members are stored once, in their slot: inline when short (up to 22 bytes, which
//! covers most real members and saves an allocation each), on the heap otherwise.
//! The hash index and the tree hold 4-byte slot ids. Per element that is 32 bytes of
//! slot, ~5-10 bytes of hash index and ~12-18 of tree, against roughly 100 for a
//! Redis skip-list node, dict entry and sds.

use std::cmp::Ordering;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Range;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::tree::{Key, Order, Tree};

/// Members up to this long are stored inside the slot.
const INLINE_CAP: usize = 22;

/// A member's bytes, inline when short.
#[derive(Clone, PartialEq, Eq)]
enum Member {
    Inline { len: u8, bytes: [u8; INLINE_CAP] },
    Heap(Box<[u8]>),
}

impl Member {
    fn new(bytes: &[u8]) -> Member {
        if bytes.len() <= INLINE_CAP {
            let mut inline = [0; INLINE_CAP];
            inline[..bytes.len()].copy_from_slice(bytes);
            Member::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            Member::Heap(bytes.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Member::Heap(b) => b,
        }
    }

    /// The member of a free slot.
    fn empty() -> Member {
        Member::Inline {
            len: 0,
            bytes: [0; INLINE_CAP],
        }
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[derive(Debug, Clone)]
struct Slot {
    score: f64,
    member: Member,
}

/// Orders tree keys by score, then member bytes (Redis's skip-list order; scores
/// are never NaN, and -0 equals 0 as in C).
struct BySlot<'a>(&'a [Slot]);

impl Order for BySlot<'_> {
    fn cmp(&self, a: Key, b: Key) -> Ordering {
        match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None if a.id != b.id => self.0[a.id as usize]
                .member
                .as_bytes()
                .cmp(self.0[b.id as usize].member.as_bytes()),
            Some(Ordering::Equal) | None => Ordering::Equal,
            Some(o) => o,
        }
    }
}

/// A large sorted set.
#[derive(Clone)]
pub(crate) struct Large {
    slots: Vec<Slot>,
    /// Ids of the free slots.
    free: Vec<u32>,
    /// Slot ids, hashed by member.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    tree: Tree,
}

impl fmt::Debug for Large {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Large")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Large {
    pub(crate) fn with_capacity(n: usize) -> Large {
        Large {
            slots: Vec::with_capacity(n),
            free: Vec::new(),
            index: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
            tree: Tree::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.tree.len()
    }

    fn find(&self, member: &[u8]) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(self.hasher.hash_one(member), |&id| {
                slots[id as usize].member.as_bytes() == member
            })
            .copied()
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|id| self.slots[id as usize].score)
    }

    /// The member's rank (from the lowest score) and score.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let id = self.find(member)?;
        let score = self.slots[id as usize].score;
        Some((
            self.tree.rank(Key { score, id }, &BySlot(&self.slots)),
            score,
        ))
    }

    /// Adds a member that is not in the set.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        let slot = Slot {
            score,
            member: Member::new(member),
        };
        // A set would need 4 billion members (hundreds of GB) to run out of ids.
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index
            .insert_unique(hasher.hash_one(member), id, |&id| {
                hasher.hash_one(slots[id as usize].member.as_bytes())
            });
        self.tree.insert(Key { score, id }, &BySlot(&self.slots));
    }

    /// Changes the score of a member that is in the set.
    pub(crate) fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(id) = self.find(member) else { return };
        let old = Key {
            score: self.slots[id as usize].score,
            id,
        };
        self.tree.remove(old, &BySlot(&self.slots));
        self.slots[id as usize].score = score;
        self.tree.insert(Key { score, id }, &BySlot(&self.slots));
    }

    /// Removes `member`; false if it was not there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        let hash = self.hasher.hash_one(member);
        let slots = &self.slots;
        let Ok(entry) = self
            .index
            .find_entry(hash, |&id| slots[id as usize].member.as_bytes() == member)
        else {
            return false;
        };
        let (id, _) = entry.remove();
        let key = Key {
            score: self.slots[id as usize].score,
            id,
        };
        self.tree.remove(key, &BySlot(&self.slots));
        self.release(id);
        true
    }

    /// Frees slot `id` (already out of the tree), dropping the index entry too.
    fn release(&mut self, id: u32) {
        self.slots[id as usize].member = Member::empty();
        self.free.push(id);
        // Compact once most slots are free, which also shrinks the index; the cost
        // is O(n) after at least n/2 removals.
        if self.free.len() > 64 && self.free.len() * 2 > self.slots.len() {
            self.compact();
        }
    }

    /// Removes the index entry of slot `id` (its member is still in place).
    fn unindex(&mut self, id: u32) {
        let slots = &self.slots;
        let member = slots[id as usize].member.as_bytes();
        if let Ok(entry) = self
            .index
            .find_entry(self.hasher.hash_one(member), |&other| other == id)
        {
            entry.remove();
        }
    }

    /// Rebuilds the set with its slots in order and no free ones. The hasher stays:
    /// a ZSCAN cursor names a bucket of the index, which must not move elements.
    fn compact(&mut self) {
        let mut fresh = Large::with_capacity(self.len());
        fresh.hasher = self.hasher.clone();
        let slots = &self.slots;
        self.tree.visit(0, self.tree.len(), |k| {
            let slot = &slots[k.id as usize];
            fresh.insert(slot.member.as_bytes(), slot.score);
        });
        *self = fresh;
    }

    /// One ZSCAN step over the member index (see `table_scan.rs`): visits the members
    /// whose home bucket is the cursor's, with their scores, and returns the next
    /// cursor, 0 at the end.
    pub(crate) fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        let (slots, hasher) = (&self.slots, &self.hasher);
        crate::types::table_scan::scan_step(
            &self.index,
            cursor,
            |&id| hasher.hash_one(slots[id as usize].member.as_bytes()),
            |&id| {
                let slot = &slots[id as usize];
                visit(slot.member.as_bytes(), slot.score)
            },
        )
    }

    /// Number of leading elements (in order) for which `pred` holds; it must hold for
    /// a prefix.
    pub(crate) fn count_while(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let slots = &self.slots;
        self.tree
            .count_while(|k| pred(slots[k.id as usize].member.as_bytes(), k.score))
    }

    /// The element of rank `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        let k = self.tree.get(rank)?;
        Some((self.slots[k.id as usize].member.as_bytes(), k.score))
    }

    /// Calls `f` on the elements of ranks `ranks`, in order.
    pub(crate) fn visit<'s>(&'s self, ranks: Range<usize>, mut f: impl FnMut(&'s [u8], f64)) {
        let slots = &self.slots;
        self.tree.visit(ranks.start, ranks.end, |k| {
            f(slots[k.id as usize].member.as_bytes(), k.score)
        });
    }

    /// Removes the elements of ranks `ranks`; returns how many there were.
    pub(crate) fn remove_ranks(&mut self, ranks: Range<usize>) -> usize {
        let mut removed = 0;
        for _ in ranks.clone() {
            let Some(k) = self.tree.remove_at(ranks.start) else {
                break;
            };
            self.unindex(k.id);
            self.release(k.id);
            removed += 1;
        }
        removed
    }

    /// Checks the invariants (for tests).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        self.tree.check(&BySlot(&self.slots));
        assert_eq!(self.index.len(), self.tree.len());
        assert_eq!(self.slots.len(), self.tree.len() + self.free.len());
        self.visit(0..self.len(), |m, s| assert_eq!(self.score(m), Some(s)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_compact() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    #[test]
    fn members_inline_and_on_the_heap() {
        let long = [b'y'; 23];
        for m in [&b""[..], b"a", &[b'x'; 22], &long] {
            assert_eq!(Member::new(m).as_bytes(), m);
        }
        assert!(matches!(Member::new(&long), Member::Heap(_)));
    }

    #[test]
    fn insert_rank_remove() {
        let mut z = Large::with_capacity(0);
        for i in 0..1000u32 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i % 10));
        }
        z.check();
        // Score 0 holds m0, m10, ..., m990 in member order.
        assert_eq!(z.rank(b"m0"), Some((0, 0.0)));
        assert_eq!(z.rank(b"m10"), Some((1, 0.0)));
        assert_eq!(z.rank(b"m1"), Some((100, 1.0)));
        assert_eq!(z.get(100), Some((&b"m1"[..], 1.0)));
        z.set_score(b"m1", -1.0);
        assert_eq!(z.rank(b"m1"), Some((0, -1.0)));
        assert!(z.remove(b"m1"));
        assert!(!z.remove(b"m1"));
        assert_eq!(z.score(b"m1"), None);
        assert_eq!(z.count_while(|_, s| s < 5.0), 499);
        assert_eq!(z.remove_ranks(0..600), 600);
        z.check();
        assert_eq!(z.len(), 399);
        assert_eq!((z.slots.len(), z.free.len()), (499, 100), "compacted once");
        assert_eq!(z.get(0).map(|(_, s)| s), Some(6.0));
    }
}
