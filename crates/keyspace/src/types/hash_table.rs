//! A large hash's encoding (OBJECT ENCODING `hashtable`): a hash table whose every
//! entry is one allocation holding both the field and the value.
//!
//! Redis's `dict` spends three allocations per field (a `dictEntry` and two `sds`
//! strings) plus an 8-byte bucket pointer. Here a bucket is a 16-byte boxed slice and
//! the entry is its only allocation:
//!
//! ```text
//! entry := field_len:varint field value     (the value runs to the end)
//! ```

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use hashbrown::DefaultHashBuilder;

use super::listpack::{decode_len, encode_len, len_size};
use crate::keyspace::next_random;

/// A table below this fill (one in eight buckets) shrinks, as Redis's `htNeedsResize()`
/// shrinks a dict below 10% use.
const MIN_FILL_DIVISOR: usize = 8;

/// Random probes before [`Table::random_bucket`] falls back to a scan.
const RANDOM_PROBES: usize = 64;

/// A field and its value.
pub(crate) type Pair<'a> = (&'a [u8], &'a [u8]);

/// A field/value entry as stored.
type Stored = Box<[u8]>;

/// The field and the value of a stored entry.
fn split(entry: &[u8]) -> Pair<'_> {
    match decode_len(entry, 0) {
        Some((len, start)) if start + len <= entry.len() => {
            (&entry[start..start + len], &entry[start + len..])
        }
        _ => {
            debug_assert!(false, "malformed hash entry");
            (&[], &[])
        }
    }
}

fn make_entry(field: &[u8], value: &[u8]) -> Stored {
    let (prefix, prefix_len) = encode_len(field.len());
    let mut entry = Vec::with_capacity(prefix_len + field.len() + value.len());
    entry.extend_from_slice(&prefix[..prefix_len]);
    entry.extend_from_slice(field);
    entry.extend_from_slice(value);
    entry.into_boxed_slice()
}

/// Field -> value, in no particular order.
#[derive(Clone, Default)]
pub(crate) struct Table {
    entries: HashTable<Stored>,
    hasher: DefaultHashBuilder,
}

impl Table {
    pub(crate) fn with_capacity(capacity: usize) -> Table {
        Table {
            entries: HashTable::with_capacity(capacity),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn hash(&self, field: &[u8]) -> u64 {
        self.hasher.hash_one(field)
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let entry = self
            .entries
            .find(self.hash(field), |e| split(e).0 == field)?;
        Some(split(entry).1)
    }

    /// Sets `field` to `value`; true if the field is new.
    pub(crate) fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let hash = self.hash(field);
        let hasher = &self.hasher;
        let rehash = |e: &Stored| hasher.hash_one(split(e).0);
        match self.entries.entry(hash, |e| split(e).0 == field, rehash) {
            TableEntry::Occupied(mut slot) => {
                let entry = slot.get_mut();
                let value_at = len_size(field.len()) + field.len();
                if entry.len() - value_at == value.len() {
                    // Same size (a counter going from 10 to 11): no new allocation.
                    entry[value_at..].copy_from_slice(value);
                } else {
                    *entry = make_entry(field, value);
                }
                false
            }
            TableEntry::Vacant(slot) => {
                slot.insert(make_entry(field, value));
                true
            }
        }
    }

    /// Deletes `field`; false if it was not there.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        let hash = self.hash(field);
        let Ok(found) = self.entries.find_entry(hash, |e| split(e).0 == field) else {
            return false;
        };
        found.remove();
        if self.entries.len() < self.entries.capacity() / MIN_FILL_DIVISOR {
            let hasher = &self.hasher;
            self.entries
                .shrink_to_fit(|e: &Stored| hasher.hash_one(split(e).0));
        }
        true
    }

    /// The pairs, in table order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// One HSCAN step over the table (see `table_scan.rs`): visits the pairs whose
    /// home bucket is the cursor's and returns the next cursor, 0 at the end.
    pub(crate) fn scan(&self, cursor: u64, mut visit: impl FnMut(Pair<'_>)) -> u64 {
        let hasher = &self.hasher;
        super::table_scan::scan_step(
            &self.entries,
            cursor,
            |e| hasher.hash_one(split(e).0),
            |e| visit(split(e)),
        )
    }

    /// A random entry as its bucket index (which identifies it while the table is
    /// unchanged) and its pair; `None` when empty. Every entry is equally likely, as
    /// with Redis's `dictGetFairRandomKey()`: a bucket is drawn uniformly until a
    /// full one turns up (the table is at least 1/8 full), with a scan as a fallback.
    pub(crate) fn random_bucket(&self, random: &mut u64) -> Option<(usize, Pair<'_>)> {
        let buckets = self.entries.num_buckets();
        if self.entries.is_empty() || buckets == 0 {
            return None;
        }
        for _ in 0..RANDOM_PROBES {
            let i = (next_random(random) % buckets as u64) as usize;
            if let Some(e) = self.entries.get_bucket(i) {
                return Some((i, split(e)));
            }
        }
        let start = (next_random(random) % buckets as u64) as usize;
        (start..buckets)
            .chain(0..start)
            .find_map(|i| self.entries.get_bucket(i).map(|e| (i, split(e))))
    }
}

/// The pairs of a [`Table`].
#[derive(Clone)]
pub(crate) struct Iter<'a>(hashbrown::hash_table::Iter<'a, Stored>);

impl<'a> Iterator for Iter<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Pair<'a>> {
        self.0.next().map(|e| split(e))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v)));
        f.debug_map().entries(pairs).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let mut t = Table::default();
        assert!(t.insert(b"f", b"1"));
        assert!(t.insert(b"", b""));
        assert!(t.insert(&[b'x'; 300], b"long field"));
        assert!(!t.insert(b"f", b"2"), "same size: overwritten in place");
        assert!(!t.insert(b"f", b"longer"));
        assert_eq!(t.get(b"f"), Some(&b"longer"[..]));
        assert_eq!(t.get(b""), Some(&b""[..]));
        assert_eq!(t.get(&[b'x'; 300]), Some(&b"long field"[..]));
        assert_eq!(t.get(b"longer"), None);
        assert_eq!(t.len(), 3);
        assert!(t.remove(b"f"));
        assert!(!t.remove(b"f"));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn shrinks_when_mostly_empty() {
        let mut t = Table::default();
        for i in 0..10_000u32 {
            t.insert(&i.to_be_bytes(), b"v");
        }
        let big = t.entries.capacity();
        for i in 0..9_990u32 {
            assert!(t.remove(&i.to_be_bytes()));
        }
        assert!(t.entries.capacity() < big / 100, "{}", t.entries.capacity());
        assert_eq!(t.iter().count(), 10);
    }

    #[test]
    fn random_entries_are_all_reachable() {
        let mut t = Table::default();
        for i in 0..20u8 {
            t.insert(&[i], &[i, i]);
        }
        let mut seen = std::collections::HashSet::new();
        let mut r = 7;
        for _ in 0..2000 {
            if let Some((_, (f, v))) = t.random_bucket(&mut r) {
                assert_eq!(v, &[f[0], f[0]][..]);
                seen.insert(f.to_vec());
            }
        }
        assert_eq!(seen.len(), 20);
        assert!(Table::default().random_bucket(&mut r).is_none());
    }

    #[test]
    fn equality_ignores_order() {
        let (mut a, mut b) = (Table::default(), Table::default());
        a.insert(b"x", b"1");
        a.insert(b"y", b"2");
        b.insert(b"y", b"2");
        b.insert(b"x", b"1");
        assert_eq!(a, b);
        b.insert(b"x", b"3");
        assert_ne!(a, b);
    }
}
