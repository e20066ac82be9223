//! Entry handles: a found entry to read, change or remove, or the place to insert one,
//! in one probe, with hashbrown's own handles inside (no re-lookup per access).
//!
//! Handing out a handle that can change an entry counts as a write to its segment:
//! `before_write` runs before the handle exists, so a running snapshot saves the
//! segment first even if the handle is then only read (saving early is harmless).

use std::hash::BuildHasher;

use hashbrown::hash_table;
use hashbrown::DefaultHashBuilder;

use super::{grow, Keyed, Table};

/// An entry found in the table.
pub struct OccupiedEntry<'a, T, S = DefaultHashBuilder> {
    inner: hash_table::OccupiedEntry<'a, T>,
    len: &'a mut usize,
    hasher: &'a S,
}

/// Where an entry not in the table goes.
pub struct VacantEntry<'a, T, S = DefaultHashBuilder> {
    inner: hash_table::VacantEntry<'a, T>,
    len: &'a mut usize,
    hasher: &'a S,
}

/// What [`Table::entry`] found.
pub enum Entry<'a, T, S = DefaultHashBuilder> {
    Occupied(OccupiedEntry<'a, T, S>),
    Vacant(VacantEntry<'a, T, S>),
}

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// Finds the entry with this hash for which `eq` holds, to change or remove it.
    #[inline]
    pub fn find_mut(
        &mut self,
        hash: u64,
        eq: impl FnMut(&T) -> bool,
    ) -> Option<OccupiedEntry<'_, T, S>> {
        let segment = self.segment_of(hash);
        self.before_write(segment);
        let inner = self.segments[segment].find_entry(hash, eq).ok()?;
        Some(OccupiedEntry {
            inner,
            len: &mut self.len,
            hasher: &self.hasher,
        })
    }

    /// [`Table::find_mut`] for an entry whose key hashes to exactly `hash` (hashbrown
    /// only compares 7 bits of it), for callers that know entries by hash alone.
    pub fn find_hashed_mut(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&T) -> bool,
    ) -> Option<OccupiedEntry<'_, T, S>> {
        let segment = self.segment_of(hash);
        self.before_write(segment);
        let hasher = &self.hasher;
        let inner = self.segments[segment]
            .find_entry(hash, |e| eq(e) && hasher.hash_one(e.key()) == hash)
            .ok()?;
        Some(OccupiedEntry {
            inner,
            len: &mut self.len,
            hasher,
        })
    }

    /// The entry with this hash for which `eq` holds, or the place to insert it; `hash`
    /// is the hash of the key `eq` looks for. May split a segment first (not
    /// necessarily this key's), so that an insert through the handle has room.
    #[inline]
    pub fn entry(&mut self, hash: u64, eq: impl FnMut(&T) -> bool) -> Entry<'_, T, S> {
        if self.len >= self.split_load * self.segments.len() {
            self.split_next();
        }
        let segment = self.segment_of(hash);
        self.before_write(segment);
        let hasher = &self.hasher;
        let len = &mut self.len;
        match self.segments[segment].entry(hash, eq, |e| hasher.hash_one(e.key())) {
            hash_table::Entry::Occupied(inner) => {
                Entry::Occupied(OccupiedEntry { inner, len, hasher })
            }
            hash_table::Entry::Vacant(inner) => Entry::Vacant(VacantEntry { inner, len, hasher }),
        }
    }

    /// Inserts an entry whose key is not in the table; `hash` must be its key's hash.
    pub fn insert_unique(&mut self, hash: u64, value: T) -> OccupiedEntry<'_, T, S> {
        match self.entry(hash, |_| false) {
            Entry::Vacant(vacant) => vacant.insert(value),
            Entry::Occupied(_) => unreachable!("nothing is equal to an entry never compared"),
        }
    }

    /// Removes and returns the entry whose key is `key`.
    pub fn remove(&mut self, key: &T::Key) -> Option<T> {
        let hash = self.hash(key);
        Some(self.find_mut(hash, |e| e.key() == key)?.remove())
    }
}

impl<'a, T, S> OccupiedEntry<'a, T, S> {
    #[inline]
    pub fn get(&self) -> &T {
        self.inner.get()
    }

    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    pub fn into_mut(self) -> &'a mut T {
        self.inner.into_mut()
    }

    /// Removes the entry, keeping its place for an entry with the same key.
    pub fn remove_keep_vacant(self) -> (T, VacantEntry<'a, T, S>) {
        let (gone, inner) = self.inner.remove();
        *self.len -= 1;
        let vacant = VacantEntry {
            inner,
            len: self.len,
            hasher: self.hasher,
        };
        (gone, vacant)
    }
}

impl<T: Keyed, S: BuildHasher> OccupiedEntry<'_, T, S> {
    /// Removes the entry, and gives memory back if its segment is now mostly empty.
    pub fn remove(self) -> T {
        let (gone, vacant) = self.inner.remove();
        *self.len -= 1;
        grow::maybe_shrink(vacant.into_table(), self.hasher);
        gone
    }
}

impl<'a, T, S> VacantEntry<'a, T, S> {
    /// Inserts the entry (whose key must be the one looked for).
    #[inline]
    pub fn insert(self, value: T) -> OccupiedEntry<'a, T, S> {
        *self.len += 1;
        OccupiedEntry {
            inner: self.inner.insert(value),
            len: self.len,
            hasher: self.hasher,
        }
    }
}

impl<T: std::fmt::Debug, S> std::fmt::Debug for OccupiedEntry<'_, T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OccupiedEntry").field(self.get()).finish()
    }
}

impl<T, S> std::fmt::Debug for VacantEntry<'_, T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VacantEntry")
    }
}

impl<T: std::fmt::Debug, S> std::fmt::Debug for Entry<'_, T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Occupied(o) => o.fmt(f),
            Entry::Vacant(v) => v.fmt(f),
        }
    }
}
