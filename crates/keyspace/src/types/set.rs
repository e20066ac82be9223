//! [`Set`]: a Redis set in one of Redis 7.0's two encodings, `intset` or `hashtable`.
//!
//! As in t_set.c, a set is an [`IntSet`] while every member is the canonical text of
//! an `i64` (`string2ll()` rules) and there are at most `set-max-intset-entries` of
//! them; the first non-integer member or the entry past the limit converts it, for
//! good, into a hash table of [`Member`]s. Redis 7.0 has no listpack encoding for sets
//! (7.2 added it).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;
use hashbrown::{DefaultHashBuilder, HashTable};

use super::intset::IntSet;
use crate::keyspace::next_random;
use crate::num;

/// Longest member kept inside its table slot (every `i64` text fits).
const INLINE: usize = 22;

/// A member of a hashtable-encoded set: short ones (the common case) are stored in
/// the slot itself, longer ones in an exact-size allocation. 24 bytes per slot,
/// against Redis's 24-byte `dictEntry` plus an sds allocation plus a bucket pointer.
#[derive(Clone)]
pub(crate) enum Member {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Member {
    /// A member holding a copy of `b` (never a view of the client's read buffer).
    fn new(b: &[u8]) -> Member {
        match u8::try_from(b.len()) {
            Ok(len) if b.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..b.len()].copy_from_slice(b);
                Member::Inline { len, bytes }
            }
            _ => Member::Heap(b.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Member::Heap(b) => b,
        }
    }

    /// The member as reply bytes; a long one hands over its allocation.
    fn into_bytes(self) -> Bytes {
        match self {
            Member::Inline { .. } => Bytes::copy_from_slice(self.as_bytes()),
            Member::Heap(b) => Bytes::from(b),
        }
    }
}

/// One element of a set as iteration yields it: an intset's integer, or a table
/// member's bytes (Redis's `setTypeNext()` returning `llele` or `sdsele`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Elem<'_> {
    /// The element as a bulk-string reply.
    pub(crate) fn to_frame(self) -> Frame {
        Frame::Bulk(self.to_bytes())
    }

    /// The element's text in a fresh buffer.
    pub(crate) fn to_bytes(self) -> Bytes {
        match self {
            Elem::Int(v) => num::i64_to_bytes(v),
            Elem::Bytes(b) => Bytes::copy_from_slice(b),
        }
    }

    /// The element as an intset value, if its text is a canonical integer.
    fn as_int(self) -> Option<i64> {
        match self {
            Elem::Int(v) => Some(v),
            Elem::Bytes(b) => num::parse_i64(b),
        }
    }

    /// Runs `f` on the element's text, formatting an integer on the stack.
    fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Int(v) => f(num::format_i64(v, &mut [0; 20])),
            Elem::Bytes(b) => f(b),
        }
    }
}

/// Bulk replies for many elements, all slices of one buffer: one allocation for
/// their text rather than one per member (Redis writes them straight into the
/// client's output buffer).
pub(crate) fn bulk_frames<'a>(elems: impl IntoIterator<Item = Elem<'a>>) -> Vec<Frame> {
    let elems = elems.into_iter();
    let mut text = BytesMut::new();
    let mut ends = Vec::with_capacity(elems.size_hint().0);
    for e in elems {
        e.with_bytes(|b| text.extend_from_slice(b));
        ends.push(text.len());
    }
    let text = text.freeze();
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let frame = Frame::Bulk(text.slice(start..end));
            start = end;
            frame
        })
        .collect()
}

/// A set value.
#[derive(Clone)]
pub(crate) enum Set {
    /// OBJECT ENCODING `intset`.
    Ints(IntSet),
    /// OBJECT ENCODING `hashtable`. Boxed so that a `Set` (and so a `Value`) stays
    /// as small as an intset.
    Table(Box<HashTable<Member>>),
}

/// One hasher for every set table, seeded randomly once per process: tables need
/// no hasher of their own, and the seed still defeats precomputed collisions.
fn hash(b: &[u8]) -> u64 {
    static HASHER: OnceLock<DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(DefaultHashBuilder::default).hash_one(b)
}

fn rehash(m: &Member) -> u64 {
    hash(m.as_bytes())
}

/// A number in `0..n` (`n > 0`).
fn below(random: &mut u64, n: usize) -> usize {
    (next_random(random) % n as u64) as usize
}

impl Set {
    /// An empty set in the intset encoding, as Redis starts the result of SUNION,
    /// SINTERSTORE, ... (`createIntsetObject()`).
    pub(crate) fn new() -> Set {
        Set::Ints(IntSet::new())
    }

    /// An empty set in the encoding its first member needs (`setTypeCreate()`).
    pub(crate) fn for_first(member: &[u8]) -> Set {
        match num::parse_i64(member) {
            Some(_) => Set::new(),
            None => Set::Table(Box::default()),
        }
    }

    /// Makes room for `additional` more members in a table (loading a set of
    /// known size); an intset is left as it is.
    pub(crate) fn reserve(&mut self, additional: usize) {
        if let Set::Table(t) = self {
            t.reserve(additional, rehash);
        }
    }

    /// Number of members (SCARD).
    pub(crate) fn len(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Set::Ints(s) => s.is_empty(),
            Set::Table(t) => t.is_empty(),
        }
    }

    /// The name OBJECT ENCODING replies with.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Whether `e` is a member (`setTypeIsMember()`).
    pub(crate) fn contains(&self, e: Elem<'_>) -> bool {
        match self {
            Set::Ints(s) => e.as_int().is_some_and(|v| s.contains(v)),
            Set::Table(t) => e.with_bytes(|b| t.find(hash(b), |m| m.as_bytes() == b).is_some()),
        }
    }

    /// Adds `e`; false if it was a member already (`setTypeAdd()`). An intset
    /// becomes a table for a non-integer member or past `max_intset` members.
    pub(crate) fn add(&mut self, e: Elem<'_>, max_intset: usize) -> bool {
        if let Set::Ints(s) = self {
            match e.as_int() {
                Some(v) => {
                    if !s.insert(v) {
                        return false;
                    }
                    // Redis caps the setting at 2^30 because of intset internals.
                    if s.len() > max_intset.min(1 << 30) {
                        self.convert(0);
                    }
                    return true;
                }
                None => self.convert(1),
            }
        }
        let Set::Table(t) = self else {
            return false;
        };
        e.with_bytes(|b| match t.entry(hash(b), |m| m.as_bytes() == b, rehash) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(Member::new(b));
                true
            }
        })
    }

    /// Removes `e`; false if it was not a member (`setTypeRemove()`).
    pub(crate) fn remove(&mut self, e: Elem<'_>) -> bool {
        match self {
            Set::Ints(s) => e.as_int().is_some_and(|v| s.remove(v)),
            Set::Table(t) => {
                let found = e.with_bytes(|b| t.find_entry(hash(b), |m| m.as_bytes() == b));
                match found {
                    Ok(entry) => {
                        entry.remove();
                        shrink_if_sparse(t);
                        true
                    }
                    Err(_) => false,
                }
            }
        }
    }

    /// The members: an intset's in ascending order, a table's in table order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            Set::Ints(s) => Iter::Ints(s, 0..s.len()),
            Set::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One SSCAN step: a table visits the members whose home bucket is the cursor's
    /// and returns the next cursor (see `table_scan.rs`); an intset, like Redis's,
    /// visits everything and returns 0.
    pub(crate) fn scan(&self, cursor: u64, mut visit: impl FnMut(Elem<'_>)) -> u64 {
        match self {
            Set::Ints(_) => {
                self.iter().for_each(visit);
                0
            }
            Set::Table(t) => super::table_scan::scan_step(t, cursor, rehash, |m| {
                visit(Elem::Bytes(m.as_bytes()))
            }),
        }
    }

    /// Every member as bulk replies (SMEMBERS and friends).
    pub(crate) fn frames(&self) -> Vec<Frame> {
        bulk_frames(self.iter())
    }

    /// Number of places [`Set::at`] can look: the intset's length, or the table's
    /// buckets (some empty).
    pub(crate) fn slots(&self) -> usize {
        match self {
            Set::Ints(s) => s.len(),
            Set::Table(t) => t.num_buckets(),
        }
    }

    /// The member at place `i`, if that place holds one.
    pub(crate) fn at(&self, i: usize) -> Option<Elem<'_>> {
        match self {
            Set::Ints(s) => (i < s.len()).then(|| Elem::Int(s.get(i))),
            Set::Table(t) => t.get_bucket(i).map(|m| Elem::Bytes(m.as_bytes())),
        }
    }

    /// A place holding a member, chosen uniformly; `None` when empty. For a table,
    /// random buckets are drawn until one is full, which is uniform over members
    /// (Redis's `dictGetFairRandomKey()` is only approximately so); removals
    /// shrink sparse tables, so few draws are needed.
    pub(crate) fn random_slot(&self, random: &mut u64) -> Option<usize> {
        let slots = self.slots();
        if self.is_empty() || slots == 0 {
            return None;
        }
        for _ in 0..256 {
            let i = below(random, slots);
            if self.at(i).is_some() {
                return Some(i);
            }
        }
        // Out of luck: the next full bucket after a random one.
        let start = below(random, slots);
        (start..slots)
            .chain(0..start)
            .find(|&i| self.at(i).is_some())
    }

    /// A member chosen uniformly (`setTypeRandomElement()`); `None` when empty.
    pub(crate) fn random(&self, random: &mut u64) -> Option<Elem<'_>> {
        self.random_slot(random).and_then(|i| self.at(i))
    }

    /// Removes a member chosen uniformly and returns its text (SPOP).
    pub(crate) fn pop_random(&mut self, random: &mut u64) -> Option<Bytes> {
        let i = self.random_slot(random)?;
        match self {
            Set::Ints(s) => {
                let v = s.get(i);
                s.remove_at(i);
                Some(num::i64_to_bytes(v))
            }
            Set::Table(t) => {
                let (member, _) = t.get_bucket_entry(i).ok()?.remove();
                shrink_if_sparse(t);
                Some(member.into_bytes())
            }
        }
    }

    /// Turns an intset into a table with room for `extra` more members
    /// (`setTypeConvert()`, which presizes the same way).
    fn convert(&mut self, extra: usize) {
        let Set::Ints(s) = self else {
            return;
        };
        let mut table = HashTable::with_capacity(s.len() + extra);
        for v in s.iter() {
            let member = Member::new(num::format_i64(v, &mut [0; 20]));
            table.insert_unique(rehash(&member), member, rehash);
        }
        *self = Set::Table(Box::new(table));
    }

    /// Bytes allocated for the members (MEMORY USAGE-style accounting, for tests).
    #[cfg(test)]
    fn heap_size(&self) -> usize {
        match self {
            Set::Ints(s) => s.len() * s.width(),
            Set::Table(t) => {
                t.allocation_size()
                    + t.iter()
                        .map(|m| match m {
                            Member::Heap(b) => b.len(),
                            Member::Inline { .. } => 0,
                        })
                        .sum::<usize>()
            }
        }
    }
}

/// Redis shrinks a dict that falls under 10% full (`htNeedsResize()`); shrinking
/// under 1/8 also bounds the draws [`Set::random_slot`] needs.
fn shrink_if_sparse(t: &mut HashTable<Member>) {
    if t.num_buckets() > 16 && t.len() * 8 < t.num_buckets() {
        t.shrink_to(t.len(), rehash);
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Set::Ints(s) => write!(f, "intset {s:?}"),
            Set::Table(_) => f.debug_set().entries(self.iter()).finish(),
        }
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encodings or orders.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|e| other.contains(e))
    }
}

/// Iterator over a set's members, see [`Set::iter`].
pub(crate) enum Iter<'a> {
    Ints(&'a IntSet, std::ops::Range<usize>),
    Table(hashbrown::hash_table::Iter<'a, Member>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        match self {
            Iter::Ints(s, range) => range.next().map(|i| Elem::Int(s.get(i))),
            Iter::Table(it) => it.next().map(|m| Elem::Bytes(m.as_bytes())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Ints(_, range) => range.size_hint(),
            Iter::Table(it) => it.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashSet;

    fn add(s: &mut Set, m: &str) -> bool {
        s.add(Elem::Bytes(m.as_bytes()), 512)
    }

    fn texts(s: &Set) -> Vec<String> {
        s.iter()
            .map(|e| String::from_utf8_lossy(&e.to_bytes()).into_owned())
            .collect()
    }

    #[test]
    fn small_and_compact() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        assert_eq!(std::mem::size_of::<Set>(), 32);
    }

    #[test]
    fn members_inline_or_on_the_heap() {
        for len in [0, 1, 21, 22, 23, 300] {
            let b = vec![b'x'; len];
            let m = Member::new(&b);
            assert_eq!(m.as_bytes(), &b[..]);
            assert_eq!(matches!(m, Member::Inline { .. }), len <= INLINE);
            assert_eq!(m.into_bytes(), b);
        }
    }

    #[test]
    fn creation_follows_the_first_member() {
        assert_eq!(Set::for_first(b"12").encoding(), "intset");
        for m in ["a", "012", "-0", "+1", " 1", "9223372036854775808"] {
            assert_eq!(Set::for_first(m.as_bytes()).encoding(), "hashtable", "{m}");
        }
    }

    #[test]
    fn intset_converts_on_a_string_member() {
        let mut s = Set::new();
        for m in ["3", "-1", "2", "3"] {
            add(&mut s, m);
        }
        assert_eq!(
            (s.encoding(), texts(&s)),
            ("intset", vec!["-1".into(), "2".into(), "3".into()])
        );
        assert!(
            !s.contains(Elem::Bytes(b"03")),
            "not canonical, so not the integer 3"
        );
        assert!(add(&mut s, "03"));
        assert_eq!((s.encoding(), s.len()), ("hashtable", 4));
        for m in ["-1", "2", "3", "03"] {
            assert!(s.contains(Elem::Bytes(m.as_bytes())), "{m}");
        }
        assert!(s.contains(Elem::Int(2)));
        assert!(s.remove(Elem::Int(-1)));
        assert!(!s.remove(Elem::Bytes(b"-1")));
    }

    #[test]
    fn intset_converts_past_the_entry_limit() {
        let mut s = Set::new();
        for v in 0..4 {
            assert!(s.add(Elem::Int(v), 4));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.add(Elem::Int(3), 4), "a duplicate does not convert");
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(Elem::Int(4), 4));
        assert_eq!((s.encoding(), s.len()), ("hashtable", 5));
        for v in 0..5 {
            assert!(s.remove(Elem::Int(v)));
        }
        assert!(s.is_empty());
        assert_eq!(s.encoding(), "hashtable", "a table never turns back");
    }

    #[test]
    fn random_members_cover_the_set_uniformly() {
        for mut s in [Set::new(), Set::Table(Box::default())] {
            for v in 0..10 {
                s.add(Elem::Int(v), 512);
            }
            let mut r = 7;
            let mut counts = [0u32; 10];
            for _ in 0..10_000 {
                let e = s.random(&mut r).unwrap().to_bytes();
                counts[std::str::from_utf8(&e).unwrap().parse::<usize>().unwrap()] += 1;
            }
            assert!(
                counts.iter().all(|&c| (800..1200).contains(&c)),
                "{counts:?}"
            );
        }
    }

    #[test]
    fn pop_random_empties_a_table_and_shrinks_it() {
        let mut s = Set::new();
        for i in 0..1000 {
            add(&mut s, &format!("member:{i}"));
        }
        let big = s.slots();
        let mut r = 1;
        let mut seen = HashSet::new();
        while let Some(m) = s.pop_random(&mut r) {
            assert!(seen.insert(m));
            if s.len() == 20 {
                assert!(s.slots() * 4 < big, "{} buckets for 20 members", s.slots());
            }
        }
        assert_eq!(seen.len(), 1000);
        assert!(s.is_empty());
        let mut ints = Set::new();
        add(&mut ints, "5");
        assert_eq!(ints.pop_random(&mut r), Some(Bytes::from_static(b"5")));
        assert_eq!(ints.pop_random(&mut r), None);
    }

    #[test]
    fn tables_of_short_members_are_smaller_than_redis() {
        // Redis 7.0 (jemalloc): 24-byte dictEntry, a 16-byte sds for a short member
        // and 8 bytes per bucket; about 48+ bytes per member.
        let mut s = Set::new();
        for i in 0..10_000 {
            add(&mut s, &format!("m{i}"));
        }
        let per_member = s.heap_size() / s.len();
        assert!(per_member <= 48, "{per_member} bytes per member");
        let mut ints = Set::new();
        for i in 0..512 {
            ints.add(Elem::Int(i), 512);
        }
        assert_eq!(ints.heap_size(), 1024, "16-bit values, no slack");
    }

    #[test]
    fn equality_ignores_encoding() {
        let mut a = Set::new();
        let mut b = Set::Table(Box::default());
        for m in ["1", "2", "3"] {
            add(&mut a, m);
            add(&mut b, m);
        }
        assert_eq!(a, b);
        add(&mut b, "x");
        assert_ne!(a, b);
    }
}
