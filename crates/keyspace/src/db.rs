//! One database: a segmented table of entries plus an index of the keys that have a TTL.
//!
//! Everything above this file goes through the small API here (`find`, `entry`,
//! `remove`, [`Occupied`], [`Vacant`]); the table underneath is [`Table`], whose
//! segments give bounded growth pauses, SCAN cursors and snapshot hooks.

use std::fmt;

use bytes::Bytes;

use crate::keyspace::Now;
use crate::table::{Keyed, Loc, Table};
use crate::value::Value;

/// `Entry::expire_at` of a key without a TTL. Real expiry times are never this small:
/// the expire commands reject or delete anything at or before "now".
const NO_EXPIRE: i64 = i64::MIN;

/// A key, its value and its expiry time.
#[derive(Debug)]
pub(crate) struct Entry {
    key: Bytes,
    pub(crate) value: Value,
    /// Unix time in ms after which the key is gone, or [`NO_EXPIRE`].
    expire_at: i64,
    /// Invariant: when the key has a TTL, `Db::expires[slot]` holds its hash.
    slot: usize,
}

impl Entry {
    pub(crate) fn key(&self) -> &Bytes {
        &self.key
    }

    pub(crate) fn expire_at(&self) -> Option<i64> {
        (self.expire_at != NO_EXPIRE).then_some(self.expire_at)
    }

    /// Redis's `keyIsExpired()`: a key expires once the time is strictly past its
    /// expiry time.
    pub(crate) fn is_expired(&self, now: i64) -> bool {
        self.expire_at != NO_EXPIRE && now > self.expire_at
    }

    /// [`Entry::is_expired`], reading the clock only for a key with a TTL.
    pub(crate) fn is_expired_lazy(&self, now: &mut Now) -> bool {
        self.expire_at != NO_EXPIRE && now.get() > self.expire_at
    }
}

impl Keyed for Entry {
    type Key = [u8];

    fn key(&self) -> &[u8] {
        &self.key
    }
}

/// One database.
pub(crate) struct Db {
    table: Table<Entry>,
    /// Hashes of the keys that have a TTL, so that active expiry samples only those
    /// (Redis keeps a second dict, `db->expires`, for the same reason). Each such
    /// entry knows its position here, which makes removal a `swap_remove`.
    expires: Vec<u64>,
    /// Where active expiry resumes sampling (`db->expires_cursor`).
    expires_cursor: usize,
    /// Running estimate of the TTL of keys with one, in ms (`db->avg_ttl`).
    pub(crate) avg_ttl: i64,
}

/// What [`Db::find`] found.
pub(crate) enum Found<'a> {
    /// A live key.
    Live(Occupied<'a>),
    /// No such key.
    Missing,
    /// The key had expired; it has just been deleted.
    Expired,
}

/// What [`Db::entry`] found: a live key or the place to insert it.
pub(crate) enum Slot<'a> {
    Occupied(Occupied<'a>),
    Vacant(Vacant<'a>),
}

/// A live key, ready to be read, changed or removed.
pub(crate) struct Occupied<'a> {
    table: &'a mut Table<Entry>,
    loc: Loc,
    expires: &'a mut Vec<u64>,
    hash: u64,
}

/// A missing key, ready to be inserted.
pub(crate) struct Vacant<'a> {
    table: &'a mut Table<Entry>,
    expires: &'a mut Vec<u64>,
    hash: u64,
    key: &'a [u8],
}

/// The result of one sampling round of active expiry.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) sampled: usize,
    pub(crate) expired: usize,
    pub(crate) ttl_sum: i64,
    pub(crate) ttl_samples: i64,
}

impl Db {
    pub(crate) fn new() -> Db {
        Db {
            table: Table::new(),
            expires: Vec::new(),
            expires_cursor: 0,
            avg_ttl: 0,
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.table.hash(key)
    }

    /// Number of keys, including expired ones not yet reclaimed (like `dictSize`).
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Number of keys with a TTL.
    pub(crate) fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Deletes every key, releasing the memory; returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let removed = self.table.len();
        self.table.clear();
        self.expires = Vec::new();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
        removed
    }

    /// Looks up a key, deleting it first if it has expired (Redis's
    /// `expireIfNeeded()` as called by `lookupKey()`).
    pub(crate) fn find(&mut self, key: &[u8], now: &mut Now) -> Found<'_> {
        let hash = self.hash(key);
        match self.table.find_entry(hash, |e| e.key[..] == *key) {
            None => Found::Missing,
            Some((loc, e)) if e.is_expired_lazy(now) => {
                let gone = self.table.remove_at(loc);
                unindex(&mut self.table, &mut self.expires, gone.slot);
                Found::Expired
            }
            Some((loc, _)) => Found::Live(Occupied {
                table: &mut self.table,
                loc,
                expires: &mut self.expires,
                hash,
            }),
        }
    }

    /// Looks up a key for writing: a live entry, or the place to insert one. The
    /// flag tells whether an expired key was deleted on the way.
    pub(crate) fn entry<'a>(&'a mut self, key: &'a [u8], now: &mut Now) -> (Slot<'a>, bool) {
        let hash = self.hash(key);
        let mut expired = false;
        if let Some((loc, e)) = self.table.find_entry(hash, |e| e.key[..] == *key) {
            if !e.is_expired_lazy(now) {
                let occupied = Occupied {
                    table: &mut self.table,
                    loc,
                    expires: &mut self.expires,
                    hash,
                };
                return (Slot::Occupied(occupied), false);
            }
            let gone = self.table.remove_at(loc);
            unindex(&mut self.table, &mut self.expires, gone.slot);
            expired = true;
        }
        let vacant = Vacant {
            table: &mut self.table,
            expires: &mut self.expires,
            hash,
            key,
        };
        (Slot::Vacant(vacant), expired)
    }

    /// Deletes a key whether or not it has expired.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let gone = self.table.remove(key)?;
        if gone.expire_at != NO_EXPIRE {
            unindex(&mut self.table, &mut self.expires, gone.slot);
        }
        Some(gone)
    }

    /// All entries, expired ones included, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.table.iter()
    }

    /// A key chosen at random (`random` is any random number), or `None` when empty.
    /// Keys after long runs of empty buckets are favoured, much like Redis's
    /// `dictGetRandomKey()` favours keys in short chains.
    pub(crate) fn random_entry(&self, random: u64) -> Option<&Entry> {
        self.table.random(random)
    }

    /// One step of SCAN (Redis's `dictScan()` on `db->dict`): calls `visit` on the
    /// entries, expired ones included, of the next part of the database, and returns
    /// the cursor to continue from, 0 at the end. Every key present for the whole
    /// iteration is visited at least once (see `table/scan.rs`).
    pub(crate) fn scan(&self, cursor: u64, visit: impl FnMut(&Entry)) -> u64 {
        self.table.scan(cursor, visit)
    }

    /// One sampling round of active expiry (the inner loop of Redis's
    /// `activeExpireCycle()`): looks at up to `max` keys with a TTL, resuming where
    /// the last round stopped, and deletes the expired ones.
    pub(crate) fn sample_expires(&mut self, now: i64, max: usize) -> Sample {
        let mut sample = Sample::default();
        let num = max.min(self.expires.len());
        while sample.sampled < num && !self.expires.is_empty() {
            let slot = self.expires_cursor % self.expires.len();
            let hash = self.expires[slot];
            sample.sampled += 1;
            let found = self
                .table
                .find(hash, |e| e.expire_at != NO_EXPIRE && e.slot == slot);
            let Some(loc) = found else {
                debug_assert!(false, "expires index out of sync at slot {slot}");
                self.expires_cursor = self.expires_cursor.wrapping_add(1);
                continue;
            };
            let when = self.table.at(loc).expire_at;
            let ttl = when.saturating_sub(now);
            if ttl > 0 {
                sample.ttl_sum = sample.ttl_sum.saturating_add(ttl);
                sample.ttl_samples += 1;
            }
            if now > when {
                self.table.remove_at(loc);
                unindex(&mut self.table, &mut self.expires, slot);
                sample.expired += 1;
                // The cursor stays: the last key with a TTL moved into this slot.
            } else {
                self.expires_cursor = self.expires_cursor.wrapping_add(1);
            }
        }
        sample
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("keys", &self.table.len())
            .field("expires", &self.expires.len())
            .field("avg_ttl", &self.avg_ttl)
            .finish()
    }
}

/// Removes `expires[slot]` (whose entry no longer has a TTL or is gone) by moving the
/// last hash into its place, and tells the moved entry its new position.
fn unindex(table: &mut Table<Entry>, expires: &mut Vec<u64>, slot: usize) {
    let last = expires.len() - 1;
    expires.swap_remove(slot);
    if slot != last {
        let moved = table.find_mut(expires[slot], |e| {
            e.expire_at != NO_EXPIRE && e.slot == last
        });
        debug_assert!(moved.is_some(), "expires index out of sync at slot {last}");
        if let Some(e) = moved {
            e.slot = slot;
        }
    }
    if expires.capacity() > 64 && expires.len() < expires.capacity() / 4 {
        expires.shrink_to(expires.len() * 2);
    }
}

impl<'a> Occupied<'a> {
    pub(crate) fn value(&self) -> &Value {
        &self.table.at(self.loc).value
    }

    pub(crate) fn value_mut(&mut self) -> &mut Value {
        &mut self.table.at_mut(self.loc).value
    }

    pub(crate) fn expire_at(&self) -> Option<i64> {
        self.table.at(self.loc).expire_at()
    }

    /// Sets the key's expiry time (Unix ms).
    pub(crate) fn set_expire(&mut self, when: i64) {
        let e = self.table.at_mut(self.loc);
        if e.expire_at == NO_EXPIRE {
            e.slot = self.expires.len();
            self.expires.push(self.hash);
        }
        e.expire_at = when;
    }

    /// Removes the TTL; false if there was none.
    pub(crate) fn persist(self) -> bool {
        let e = self.table.at_mut(self.loc);
        if e.expire_at == NO_EXPIRE {
            return false;
        }
        e.expire_at = NO_EXPIRE;
        let slot = e.slot;
        unindex(self.table, self.expires, slot);
        true
    }

    /// Overwrites the value, dropping the TTL unless `keep_ttl` (Redis's `setKey()`).
    pub(crate) fn replace(self, value: Value, keep_ttl: bool) {
        let e = self.table.at_mut(self.loc);
        e.value = value;
        if !keep_ttl && e.expire_at != NO_EXPIRE {
            e.expire_at = NO_EXPIRE;
            let slot = e.slot;
            unindex(self.table, self.expires, slot);
        }
    }

    /// Deletes the key.
    pub(crate) fn remove(self) -> Entry {
        let gone = self.table.remove_at(self.loc);
        if gone.expire_at != NO_EXPIRE {
            unindex(self.table, self.expires, gone.slot);
        }
        gone
    }
}

impl<'a> Vacant<'a> {
    /// Inserts the key with `value` and no TTL.
    pub(crate) fn insert(self, value: Value) -> Occupied<'a> {
        // Copy the key out of the client's read buffer (see `Value::string_from_arg`).
        let key = Bytes::copy_from_slice(self.key);
        let loc = self.table.insert_unique(
            self.hash,
            Entry {
                key,
                value,
                expire_at: NO_EXPIRE,
                slot: 0,
            },
        );
        Occupied {
            table: self.table,
            loc,
            expires: self.expires,
            hash: self.hash,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn put(db: &mut Db, key: &[u8], ttl: Option<i64>) {
        let (slot, _) = db.entry(key, &mut Now::fixed(0));
        let mut occ = match slot {
            Slot::Vacant(v) => v.insert(Value::Int(1)),
            Slot::Occupied(o) => o,
        };
        if let Some(t) = ttl {
            occ.set_expire(t);
        }
    }

    /// Checks the invariant between entries and the expires index.
    fn check(db: &Db) {
        let with_ttl = db.iter().filter(|e| e.expire_at().is_some()).count();
        assert_eq!(with_ttl, db.expires.len());
        for e in db.iter().filter(|e| e.expire_at().is_some()) {
            assert_eq!(db.expires[e.slot], db.hash(&e.key));
        }
    }

    #[test]
    fn ttl_index_follows_removals() {
        let mut db = Db::new();
        for i in 0..100u32 {
            put(
                &mut db,
                &i.to_be_bytes(),
                (i % 3 != 0).then_some(1000 + i64::from(i)),
            );
        }
        check(&db);
        for i in (0..100u32).step_by(7) {
            assert!(db.remove(&i.to_be_bytes()).is_some());
            check(&db);
        }
        for i in (1..100u32).step_by(5) {
            if let Found::Live(o) = db.find(&i.to_be_bytes(), &mut Now::fixed(0)) {
                o.persist();
            }
            check(&db);
        }
        let n = db.len();
        assert_eq!(db.clear(), n);
        assert_eq!((db.len(), db.expires_len()), (0, 0));
        check(&db);
    }

    #[test]
    fn lazy_expiry_on_find_and_entry() {
        let mut db = Db::new();
        put(&mut db, b"a", Some(10));
        put(&mut db, b"b", Some(10));
        assert!(matches!(db.find(b"a", &mut Now::fixed(10)), Found::Live(_)));
        assert!(matches!(db.find(b"a", &mut Now::fixed(11)), Found::Expired));
        assert!(matches!(db.find(b"a", &mut Now::fixed(11)), Found::Missing));
        let (slot, expired) = db.entry(b"b", &mut Now::fixed(11));
        assert!(expired);
        assert!(matches!(slot, Slot::Vacant(_)));
        assert_eq!(db.len(), 0);
        check(&db);
    }

    #[test]
    fn sampling_expires_everything_eventually() {
        let mut db = Db::new();
        for i in 0..1000u32 {
            put(
                &mut db,
                &i.to_be_bytes(),
                Some(if i % 2 == 0 { 5 } else { 500 }),
            );
        }
        let mut expired = 0;
        for _ in 0..200 {
            let s = db.sample_expires(100, 20);
            assert!(s.sampled <= 20);
            expired += s.expired;
            check(&db);
        }
        assert_eq!(expired, 500);
        assert_eq!(db.len(), 500);
        assert_eq!(db.expires_len(), 500);
    }

    #[test]
    fn random_entry_finds_keys() {
        let mut db = Db::new();
        assert!(db.random_entry(7).is_none());
        put(&mut db, b"only", None);
        for r in 0..50 {
            assert_eq!(db.random_entry(r).unwrap().key(), &b"only"[..]);
        }
    }
}
