//! One database: a segmented table of entries plus an index of the keys that have a TTL.
//!
//! Everything above this file goes through the small API here (`find`, `entry`,
//! `remove`, [`Occupied`], [`Vacant`]); the table underneath is [`Table`], whose
//! segments give bounded growth pauses, SCAN cursors and snapshot hooks.

use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::blocking::Waits;
pub(crate) use crate::entry::Entry;
use crate::keyspace::{Expiry, Now};
use crate::notify::{self, Notes};
use crate::table::{self, Keyed, Table};
use crate::value::Value;

impl Keyed for Entry {
    type Key = [u8];

    fn key(&self) -> &[u8] {
        Entry::key(self)
    }
}

/// An entry of the TTL index: the hash of a key that has a TTL.
#[derive(Debug)]
struct Expiring(u64);

impl Keyed for Expiring {
    type Key = u64;

    fn key(&self) -> &u64 {
        &self.0
    }
}

/// The TTL index's "hash" of a key's hash is that hash: it is well mixed already.
#[derive(Debug, Default, Clone, Copy)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else still gets some hash.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Expires = Table<Expiring, BuildHasherDefault<PassThrough>>;

/// One database.
pub(crate) struct Db {
    table: Table<Entry>,
    /// The hashes of the keys that have a TTL, so that active expiry samples only those
    /// (Redis keeps a second dict, `db->expires`, for the same reason). A multiset: two
    /// keys may share a hash. Removing a key's hash touches only this index, so a
    /// handle on an entry never needs the rest of the table.
    expires: Expires,
    /// Where active expiry resumes sampling (`db->expires_cursor`): a walk cursor of
    /// `expires` and a bucket within that segment.
    expires_cursor: (u64, usize),
    /// Scratch space for one sampling round.
    sample: Vec<u64>,
    /// Running estimate of the TTL of keys with one, in ms (`db->avg_ttl`).
    pub(crate) avg_ttl: i64,
    /// Keys clients are blocked on, and those created since (blocking.rs).
    pub(crate) waits: Waits,
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
    entry: table::OccupiedEntry<'a, Entry>,
    expires: &'a mut Expires,
    hash: u64,
}

/// A missing key, ready to be inserted.
pub(crate) struct Vacant<'a> {
    entry: table::VacantEntry<'a, Entry>,
    expires: &'a mut Expires,
    hash: u64,
    key: &'a [u8],
    /// The access stamp the new key gets.
    lru: u32,
    /// Creating a key a client waits for makes it ready (Redis's `dbAdd()`).
    waits: &'a mut Waits,
    /// Where to record the `new` keyspace event on insert, with the database index
    /// (set by `Ctx` only while that event class is enabled).
    new_event: Option<(&'a mut Notes, usize)>,
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
            expires: Table::with_hasher(BuildHasherDefault::default()),
            expires_cursor: (0, 0),
            sample: Vec::new(),
            avg_ttl: 0,
            waits: Waits::default(),
        }
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
        self.expires.clear();
        self.expires_cursor = (0, 0);
        self.avg_ttl = 0;
        removed
    }

    /// Looks up a key, deleting it first if it has expired (Redis's
    /// `expireIfNeeded()` as called by `lookupKey()`).
    pub(crate) fn find(&mut self, key: &[u8], now: &mut Now) -> Found<'_> {
        let hash = self.table.hash(key);
        let Some(entry) = self.table.find_mut(hash, |e| e.key() == key) else {
            return Found::Missing;
        };
        if entry.get().is_expired_lazy(now) {
            if now.expiry == Expiry::Replica {
                // A replica's clients do not see it, but only the master deletes it.
                return Found::Missing;
            }
            entry.remove();
            unindex(&mut self.expires, hash);
            return Found::Expired;
        }
        Found::Live(Occupied {
            entry,
            expires: &mut self.expires,
            hash,
        })
    }

    /// Looks up a key for writing: a live entry, or the place to insert one, in one
    /// probe. The flag tells whether an expired key was deleted on the way.
    pub(crate) fn entry<'a>(&'a mut self, key: &'a [u8], now: &mut Now) -> (Slot<'a>, bool) {
        let hash = self.table.hash(key);
        let lru = now.lru();
        let expires = &mut self.expires;
        let waits = &mut self.waits;
        match self.table.entry(hash, |e| e.key() == key) {
            // A replica keeps expired keys until its master deletes them.
            table::Entry::Occupied(entry)
                if now.expiry != Expiry::Replica && entry.get().is_expired_lazy(now) =>
            {
                let (_, entry) = entry.remove_keep_vacant();
                unindex(expires, hash);
                let vacant = Vacant {
                    entry,
                    expires,
                    hash,
                    key,
                    lru,
                    waits,
                    new_event: None,
                };
                (Slot::Vacant(vacant), true)
            }
            table::Entry::Occupied(entry) => (
                Slot::Occupied(Occupied {
                    entry,
                    expires,
                    hash,
                }),
                false,
            ),
            table::Entry::Vacant(entry) => (
                Slot::Vacant(Vacant {
                    entry,
                    expires,
                    hash,
                    key,
                    lru,
                    waits,
                    new_event: None,
                }),
                false,
            ),
        }
    }

    /// The value of a key, without the expiry check: for commands that need several
    /// values at once after having looked each key up through [`Db::find`] (which
    /// deleted the expired ones) in the same command, at the same time.
    pub(crate) fn peek(&self, key: &[u8]) -> Option<&Value> {
        self.table.get(key).map(Entry::value)
    }

    /// Deletes a key whether or not it has expired.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let hash = self.table.hash(key);
        let gone = self.table.find_mut(hash, |e| e.key() == key)?.remove();
        if gone.expire_at().is_some() {
            unindex(&mut self.expires, hash);
        }
        Some(gone)
    }

    /// All entries, expired ones included, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> + Clone + '_ {
        self.table.iter()
    }

    /// A key chosen at random (`random` is any random number), or `None` when empty.
    /// Keys after long runs of empty buckets are favoured, much like Redis's
    /// `dictGetRandomKey()` favours keys in short chains.
    pub(crate) fn random_entry(&self, random: u64) -> Option<&Entry> {
        self.table.random(random)
    }

    /// Up to `count` distinct keys for the eviction pool, from a place picked with
    /// `random`: any keys, or only those with a TTL when `volatile` (Redis's
    /// `dictGetSomeKeys()` on `db->dict` or `db->expires`).
    pub(crate) fn sample_keys(
        &self,
        volatile: bool,
        random: u64,
        count: usize,
        visit: &mut dyn FnMut(&Entry),
    ) {
        if volatile {
            self.expires.sample(random, count, |x| {
                if let Some(e) = self.volatile_by_hash(x.0) {
                    visit(e);
                }
            });
        } else {
            self.table.sample(random, count, visit);
        }
    }

    /// A random key with a TTL (`dictGetRandomKey(db->expires)`), `None` if none.
    pub(crate) fn random_volatile_entry(&self, random: u64) -> Option<&Entry> {
        self.expires
            .random(random)
            .and_then(|x| self.volatile_by_hash(x.0))
    }

    /// The key with a TTL whose hash is `hash` (the TTL index holds hashes only).
    fn volatile_by_hash(&self, hash: u64) -> Option<&Entry> {
        self.table.find(hash, |e| {
            e.expire_at().is_some() && self.table.hash(e.key()) == hash
        })
    }

    /// A key's entry, expired or not, without side effects (eviction's `dictFind`).
    pub(crate) fn peek_entry(&self, key: &[u8]) -> Option<&Entry> {
        self.table.get(key)
    }

    /// One step of SCAN (Redis's `dictScan()` on `db->dict`): calls `visit` on the
    /// entries, expired ones included, of the next part of the database, and returns
    /// the cursor to continue from, 0 at the end. Every key present for the whole
    /// iteration is visited at least once (see `table/scan.rs`).
    pub(crate) fn scan(&self, cursor: u64, visit: impl FnMut(&Entry)) -> u64 {
        self.table.scan(cursor, visit)
    }

    /// Makes room for `additional` more keys (RDB loading's RESIZEDB).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional);
    }

    /// Starts a snapshot of this database's table (see `persist.rs`); false if one
    /// runs already.
    pub(crate) fn begin_snapshot(&mut self, sink: Box<dyn table::SnapshotSink<Entry>>) -> bool {
        self.table.begin_snapshot(sink).is_ok()
    }

    /// Walks `segments` segments of the running snapshot; true when it is complete.
    pub(crate) fn snapshot_step(&mut self, segments: usize) -> bool {
        self.table.snapshot_step(segments)
    }

    /// Ends the running snapshot.
    pub(crate) fn end_snapshot(&mut self) {
        self.table.end_snapshot();
    }

    pub(crate) fn snapshot_running(&self) -> bool {
        self.table.snapshot_epoch().is_some()
    }

    /// One sampling round of active expiry (the inner loop of Redis's
    /// `activeExpireCycle()`): looks at up to `max` keys with a TTL, resuming where
    /// the last round stopped, and deletes the expired ones.
    pub(crate) fn sample_expires(
        &mut self,
        now: i64,
        max: usize,
        on_expired: &mut dyn FnMut(&[u8]),
    ) -> Sample {
        let mut batch = std::mem::take(&mut self.sample);
        self.collect_sample(max.min(self.expires.len()), &mut batch);
        let mut sample = Sample::default();
        for &hash in &batch {
            sample.sampled += 1;
            let found = self
                .table
                .find_hashed_mut(hash, |e| e.expire_at().is_some());
            let Some(entry) = found else {
                debug_assert!(false, "expires index out of sync for hash {hash:x}");
                unindex(&mut self.expires, hash);
                continue;
            };
            let Some(when) = entry.get().expire_at() else {
                continue;
            };
            let ttl = when.saturating_sub(now);
            if ttl > 0 {
                sample.ttl_sum = sample.ttl_sum.saturating_add(ttl);
                sample.ttl_samples += 1;
            }
            if now > when {
                let gone = entry.remove();
                unindex(&mut self.expires, hash);
                on_expired(gone.key());
                sample.expired += 1;
            }
        }
        batch.clear();
        self.sample = batch;
        sample
    }

    /// The next `count` hashes of the TTL index, in walk order from where the last
    /// round stopped (no repeats: `count` is at most the index's size).
    fn collect_sample(&mut self, count: usize, batch: &mut Vec<u64>) {
        let (mut cursor, mut bucket) = self.expires_cursor;
        while batch.len() < count {
            let (segment, next) = self.expires.walk(cursor);
            while bucket < segment.num_buckets() && batch.len() < count {
                if let Some(e) = segment.get_bucket(bucket) {
                    batch.push(e.0);
                }
                bucket += 1;
            }
            if bucket >= segment.num_buckets() {
                (cursor, bucket) = (next, 0);
            }
        }
        self.expires_cursor = (cursor, bucket);
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

/// Takes one copy of `hash` out of the TTL index (its key lost its TTL or is gone).
fn unindex(expires: &mut Expires, hash: u64) {
    let removed = expires.remove(&hash);
    debug_assert!(
        removed.is_some(),
        "expires index out of sync for hash {hash:x}"
    );
}

impl<'a> Occupied<'a> {
    pub(crate) fn value(&self) -> &Value {
        self.entry.get().value()
    }

    pub(crate) fn value_mut(&mut self) -> &mut Value {
        self.entry.get_mut().value_mut()
    }

    pub(crate) fn expire_at(&self) -> Option<i64> {
        self.entry.get().expire_at()
    }

    /// The access stamp.
    pub(crate) fn lru(&self) -> u32 {
        self.entry.get().lru()
    }

    /// Records an access (or carries a stamp over, for RENAME and MOVE).
    pub(crate) fn set_lru(&mut self, lru: u32) {
        self.entry.get_mut().set_lru(lru);
    }

    /// Sets the key's expiry time (Unix ms).
    pub(crate) fn set_expire(&mut self, when: i64) {
        if !self.entry.get_mut().set_expire_at(Some(when)) {
            self.expires.insert_unique(self.hash, Expiring(self.hash));
        }
    }

    /// Removes the TTL; false if there was none.
    pub(crate) fn persist(self) -> bool {
        let had = self.entry.into_mut().set_expire_at(None);
        if had {
            unindex(self.expires, self.hash);
        }
        had
    }

    /// Overwrites the value, dropping the TTL unless `keep_ttl` (Redis's `setKey()`).
    pub(crate) fn replace(self, value: Value, keep_ttl: bool) {
        let e = self.entry.into_mut();
        *e.value_mut() = value;
        if !keep_ttl && e.set_expire_at(None) {
            unindex(self.expires, self.hash);
        }
    }

    /// Deletes the key.
    pub(crate) fn remove(self) -> Entry {
        let gone = self.entry.remove();
        if gone.expire_at().is_some() {
            unindex(self.expires, self.hash);
        }
        gone
    }
}

impl<'a> Vacant<'a> {
    /// Records the `new` event in `notes` when the key is inserted.
    pub(crate) fn notify_new(&mut self, notes: &'a mut Notes, db: usize) {
        self.new_event = Some((notes, db));
    }

    /// Inserts the key with `value` and no TTL (Redis's `dbAdd()`, which raises the
    /// `new` event).
    pub(crate) fn insert(self, value: Value) -> Occupied<'a> {
        if let Some((notes, db)) = self.new_event {
            notes.push(notify::NEW, "new", db, self.key);
        }
        self.waits.created(self.key, &value);
        let entry = self.entry.insert(Entry::new(self.key, value, self.lru));
        Occupied {
            entry,
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

    /// Checks the invariant between entries and the expires index: the hashes of the
    /// keys with a TTL, as a multiset.
    fn check(db: &Db) {
        let mut want = std::collections::HashMap::<u64, usize>::new();
        for e in db.iter().filter(|e| e.expire_at().is_some()) {
            *want.entry(db.table.hash(e.key())).or_default() += 1;
        }
        let mut got = std::collections::HashMap::<u64, usize>::new();
        for x in db.expires.iter() {
            *got.entry(x.0).or_default() += 1;
        }
        assert_eq!(want, got);
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
            let s = db.sample_expires(100, 20, &mut |_| {});
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
