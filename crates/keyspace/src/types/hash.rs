//! The hash type (t_hash.c's `hashType*` API): a [`Listpack`] while small, a
//! [`Table`] once it grows, with Redis 7.0's one-way conversion rules.

use super::hash_table::{self, Pair, Table};
use super::listpack::{self, Listpack};
use crate::keyspace::next_random;
use crate::tunables::Tunables;

/// `LISTPACK_MAX_SAFETY_SIZE`: a listpack never grows past 1 GB (`lpSafeToAdd()`);
/// a write that would take it there converts the hash first.
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// A hash value.
#[derive(Clone, Debug)]
pub(crate) enum Hash {
    /// At most `hash-max-listpack-entries` pairs, none longer than
    /// `hash-max-listpack-value`; iteration follows insertion order.
    Listpack(Listpack),
    /// Anything larger; boxed so that the value enum stays small.
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Listpack(Listpack::default())
    }
}

impl Hash {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len(),
            Hash::Table(t) => t.len(),
        }
    }

    /// The OBJECT ENCODING name.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => lp.get(field),
            Hash::Table(t) => t.get(field),
        }
    }

    /// The pairs: in insertion order for a listpack, in table order otherwise.
    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One HSCAN step: a table visits the pairs whose home bucket is the cursor's
    /// and returns the next cursor; a listpack, as in Redis, visits every pair and
    /// returns 0.
    pub(crate) fn scan(&self, cursor: u64, visit: impl FnMut(Pair<'_>)) -> u64 {
        match self {
            Hash::Listpack(lp) => {
                lp.iter().for_each(visit);
                0
            }
            Hash::Table(t) => t.scan(cursor, visit),
        }
    }

    /// Redis's `hashTypeConvert()` to the table encoding; a no-op when already there.
    fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut table = Table::with_capacity(lp.len());
            for (f, v) in lp.iter() {
                table.insert(f, v);
            }
            *self = Hash::Table(Box::new(table));
        }
    }

    /// Sets every `(field, value)` pair of `args` (HSET, HMSET); returns how many
    /// fields are new.
    ///
    /// Like `hashTypeTryConversion()`, the hash converts up front when any argument
    /// is longer than `hash-max-listpack-value` or the listpack would pass 1 GB, and
    /// like `hashTypeSet()` as soon as it holds more than `hash-max-listpack-entries`.
    pub(crate) fn set_pairs<A: AsRef<[u8]>>(&mut self, args: &[A], tunables: &Tunables) -> usize {
        self.prepare(args.iter().map(|a| a.as_ref().len()), tunables);
        if let Hash::Listpack(lp) = self {
            // One reallocation for the whole command rather than one per pair.
            let bound = args
                .chunks_exact(2)
                .map(|p| Listpack::pair_size(p[0].as_ref().len(), p[1].as_ref().len()))
                .sum();
            lp.reserve_exact(bound);
        }
        let created = args
            .chunks_exact(2)
            .filter(|p| self.set(p[0].as_ref(), p[1].as_ref(), tunables))
            .count();
        if let Hash::Listpack(lp) = self {
            lp.trim();
        }
        created
    }

    /// `hashTypeTryConversion()` for arguments of these lengths.
    pub(crate) fn prepare(&mut self, lens: impl Iterator<Item = usize>, tunables: &Tunables) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let used = lp.byte_len();
        let mut sum = 0usize;
        for len in lens {
            if len > tunables.hash_max_listpack_value {
                self.convert();
                return;
            }
            sum = sum.saturating_add(len);
        }
        if used.saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE {
            self.convert();
        }
    }

    /// Redis's `hashTypeSet()`: sets one field, converting first if the field or
    /// value is too long for a listpack and after if there are now too many fields.
    /// True if the field is new.
    pub(crate) fn set(&mut self, field: &[u8], value: &[u8], tunables: &Tunables) -> bool {
        let max = tunables.hash_max_listpack_value;
        if field.len() > max || value.len() > max {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) => {
                let created = lp.insert(field, value);
                if lp.len() > tunables.hash_max_listpack_entries {
                    self.convert();
                }
                created
            }
            Hash::Table(t) => t.insert(field, value),
        }
    }

    /// Loading: [`Hash::set`], but a listpack skips the search for the field
    /// unless `maybe_present` (the loader's filter of fields seen so far).
    pub(crate) fn load_set(
        &mut self,
        field: &[u8],
        value: &[u8],
        maybe_present: bool,
        tunables: &Tunables,
    ) {
        if let Hash::Listpack(lp) = self {
            let max = tunables.hash_max_listpack_value;
            if field.len() <= max
                && value.len() <= max
                && lp.len() < tunables.hash_max_listpack_entries
                && !(maybe_present && lp.get(field).is_some())
            {
                lp.push_pair(field, value);
                return;
            }
        }
        self.set(field, value, tunables);
    }

    /// Deletes a field; false if it was not there. A table never converts back.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.remove(field),
            Hash::Table(t) => t.remove(field),
        }
    }

    /// A random pair, every pair equally likely; `None` when empty.
    pub(crate) fn random_pair(&self, random: &mut u64) -> Option<Pair<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let n = lp.len() as u64;
                if n == 0 {
                    return None;
                }
                lp.iter().nth((next_random(random) % n) as usize)
            }
            Hash::Table(t) => t.random_bucket(random).map(|(_, pair)| pair),
        }
    }

    /// Calls `each` on `count` random pairs drawn independently (repeats allowed),
    /// in O(len + count) for a listpack as Redis's `lpRandomPairs()`.
    pub(crate) fn random_repeats<'a>(
        &'a self,
        count: usize,
        random: &mut u64,
        mut each: impl FnMut(Pair<'a>),
    ) {
        match self {
            Hash::Listpack(lp) => {
                let all: Vec<Pair<'_>> = lp.iter().collect();
                if all.is_empty() {
                    return;
                }
                for _ in 0..count {
                    each(all[(next_random(random) % all.len() as u64) as usize]);
                }
            }
            Hash::Table(t) => {
                for _ in 0..count {
                    match t.random_bucket(random) {
                        Some((_, pair)) => each(pair),
                        None => return,
                    }
                }
            }
        }
    }

    /// `count` distinct random pairs (`count` < `len()`), in no useful order.
    pub(crate) fn random_distinct(&self, count: usize, random: &mut u64) -> Vec<Pair<'_>> {
        let size = self.len();
        match self {
            Hash::Table(t) if count.saturating_mul(3) <= size => {
                // Few out of many (Redis's CASE 4): draw until enough are distinct.
                let mut seen = hashbrown::HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some((bucket, pair)) = t.random_bucket(random) else {
                        break;
                    };
                    if seen.insert(bucket) {
                        out.push(pair);
                    }
                }
                out
            }
            _ => {
                // Most of them (CASE 3), or a small listpack: a partial Fisher-Yates
                // shuffle of all pairs.
                let mut all: Vec<Pair<'_>> = self.iter().collect();
                for i in 0..count.min(all.len()) {
                    let j = i + (next_random(random) % (all.len() - i) as u64) as usize;
                    all.swap(i, j);
                }
                all.truncate(count);
                all
            }
        }
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values, whatever the encodings.
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

/// The pairs of a [`Hash`].
pub(crate) enum Iter<'a> {
    Listpack(listpack::Iter<'a>),
    Table(hash_table::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Tunables {
        Tunables {
            hash_max_listpack_entries: 3,
            hash_max_listpack_value: 4,
            ..Tunables::default()
        }
    }

    #[test]
    fn stays_compact_up_to_the_thresholds() {
        let t = small();
        let mut h = Hash::default();
        assert_eq!(h.set_pairs(&[&b"a"[..], b"1", b"bbbb", b"2222"], &t), 2);
        assert!(!h.set(b"a", b"3333", &t), "exactly the value limit");
        assert!(h.set(b"c", b"3", &t), "exactly the entries limit");
        assert_eq!(h.encoding(), "listpack");
        let order: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(order, vec![&b"a"[..], b"bbbb", b"c"]);
        assert!(h.set(b"d", b"4", &t));
        assert_eq!(h.encoding(), "hashtable", "one entry too many");
        assert_eq!(h.len(), 4);
        for f in [&b"a"[..], b"bbbb", b"c", b"d"] {
            assert!(h.remove(f));
        }
        assert_eq!(
            (h.len(), h.encoding()),
            (0, "hashtable"),
            "never converts back"
        );
    }

    #[test]
    fn long_strings_convert() {
        let t = small();
        let mut h = Hash::default();
        h.set(b"a", b"12345", &t);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::default();
        h.set(b"12345", b"a", &t);
        assert_eq!(h.encoding(), "hashtable");
        // HSET checks every argument first, even a pair that changes nothing.
        let mut h = Hash::default();
        h.set(b"a", b"1", &t);
        h.set_pairs(&[&b"a"[..], b"1", b"b", b"12345"], &t);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(
            (h.get(b"a"), h.get(b"b")),
            (Some(&b"1"[..]), Some(&b"12345"[..]))
        );
        // prepare() alone, as HSETNX uses it.
        let mut h = Hash::default();
        h.prepare([1usize, 5].into_iter(), &t);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn conversion_keeps_every_pair() {
        let t = small();
        let mut a = Hash::default();
        let mut b = Hash::default();
        for i in 0..3u8 {
            a.set(&[b'f', i], &[i], &t);
            b.set(&[b'f', i], &[i], &t);
        }
        b.convert();
        assert_eq!((a.encoding(), b.encoding()), ("listpack", "hashtable"));
        assert_eq!(a, b);
    }

    #[test]
    fn random_picks() {
        let t = Tunables::default();
        let mut r = 1;
        assert_eq!(Hash::default().random_pair(&mut r), None);
        for (n, table) in [(10u8, false), (10, true), (200, true)] {
            let mut h = Hash::default();
            for i in 0..n {
                h.set(&[i], &[i], &t);
            }
            if table {
                h.convert();
            }
            for count in [1, 3, (n / 2) as usize, (n - 1) as usize] {
                let picked = h.random_distinct(count, &mut r);
                let mut fields: Vec<u8> = picked.iter().map(|(f, _)| f[0]).collect();
                fields.sort_unstable();
                fields.dedup();
                assert_eq!(fields.len(), count, "n={n} table={table}");
                assert!(picked.iter().all(|(f, v)| f == v));
            }
            let seen: std::collections::HashSet<u8> = (0..2000)
                .filter_map(|_| h.random_pair(&mut r).map(|(f, _)| f[0]))
                .collect();
            assert_eq!(seen.len(), usize::from(n));
        }
    }

    #[test]
    fn stays_small() {
        assert!(
            std::mem::size_of::<Hash>() <= 32,
            "{}",
            std::mem::size_of::<Hash>()
        );
    }
}
