//! What writes produce besides their reply: the effects to propagate (AOF, replicas)
//! and the touches that invalidate WATCH.
//!
//! DESIGN.md, "Execution model": every write yields its effects in commit order, from
//! one place. That place is [`crate::Keyspace::execute`]: a command that changed the
//! data (it added to `dirty`, as Redis's `server.dirty`) is propagated as it was sent,
//! unless it replaced its effects with deterministic ones; a key found expired on
//! access is propagated as `DEL key` before the command that found it, as Redis's
//! `deleteExpiredKeyAndPropagate` does.

use std::collections::HashMap;

use bytes::Bytes;

use crate::notify::{self, Notes};

/// One change to replay elsewhere: a command, and the database it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// Database index; a writer emits SELECT when it changes.
    pub db: usize,
    /// The command, name first.
    pub argv: Vec<Bytes>,
}

impl Effect {
    /// `DEL key` in `db`.
    pub(crate) fn del(db: usize, key: &[u8]) -> Effect {
        Effect {
            db,
            argv: vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
        }
    }
}

/// What a command produced besides its reply, collected by [`crate::Keyspace`].
#[derive(Debug, Default)]
pub(crate) struct Fx {
    /// Whether effects are recorded (someone consumes them).
    pub(crate) propagate: bool,
    /// Effects not yet taken by the consumer.
    pub(crate) effects: Vec<Effect>,
    /// WATCHed keys.
    pub(crate) watched: Watched,
    /// The running command's replacement for its own argv, if it set one.
    pub(crate) replaced: Option<Vec<Vec<Bytes>>>,
    /// Where the open transaction's effects start in `effects`, while one is open
    /// ([`crate::Keyspace::begin_transaction`]).
    pub(crate) transaction: Option<usize>,
    /// Clients blocked on keys (blocking.rs).
    pub(crate) blocked: crate::blocking::Blocked,
    /// Keyspace notifications (notify.rs).
    pub(crate) notes: Notes,
}

impl Fx {
    /// Closes a unit of effects that started at `start` in `effects` (one command,
    /// or one EXEC): more than one effect is wrapped in MULTI ... EXEC, so that the
    /// AOF and replicas apply it atomically. This is Redis 7.0's
    /// `propagatePendingCommands()`: everything a command or a transaction queued
    /// (lazy-expiry DELs included, in place) is wrapped when there is more than one
    /// op; a single op is atomic already. Checked against redis-server 7.0's AOF:
    /// `SPOP s 3` gives MULTI, three SREMs, EXEC; `SET x 2` over an expired `x`
    /// gives MULTI, DEL x, SET x 2, EXEC; a transaction with one write is not wrapped.
    ///
    /// Redis propagates MULTI and EXEC without a database (they never cause a
    /// SELECT); here they carry the database of the effect next to them, which has
    /// the same result for a writer that emits SELECT when the database changes.
    pub(crate) fn close_unit(&mut self, start: usize) {
        let Some(count) = self.effects.len().checked_sub(start) else {
            return;
        };
        if count <= 1 {
            return;
        }
        let first_db = self.effects[start].db;
        let last_db = self.effects[self.effects.len() - 1].db;
        let word = |w: &'static [u8], db| Effect {
            db,
            argv: vec![Bytes::from_static(w)],
        };
        self.effects.insert(start, word(b"MULTI", first_db));
        self.effects.push(word(b"EXEC", last_db));
    }

    /// A key was found expired and deleted (on access or by active expiry): Redis's
    /// `deleteExpiredKeyAndPropagate()` raises `expired`, touches WATCH, propagates DEL.
    pub(crate) fn expired(&mut self, db: usize, key: &[u8]) {
        self.notes.push(notify::EXPIRED, "expired", db, key);
        self.watched.touch(db, key);
        if self.propagate {
            self.effects.push(Effect::del(db, key));
        }
    }

    /// A key was evicted for `maxmemory` and deleted by the caller: Redis's
    /// `performEvictions()` raises `evicted` (class `e`), touches WATCH and
    /// propagates DEL.
    pub(crate) fn evicted(&mut self, db: usize, key: &[u8]) {
        self.notes.push(notify::EVICTED, "evicted", db, key);
        self.watched.touch(db, key);
        if self.propagate {
            self.effects.push(Effect::del(db, key));
        }
    }
}

/// Keys clients WATCH, with a version bumped whenever the key is written, deleted,
/// expired or flushed (Redis's `touchWatchedKey`). Empty (and free) when nobody
/// watches anything.
#[derive(Debug, Default)]
pub(crate) struct Watched {
    keys: HashMap<(usize, Bytes), WatchedKey>,
    next_version: u64,
}

#[derive(Debug)]
struct WatchedKey {
    /// Ids of the clients watching the key (a client watches a key at most once).
    watchers: Vec<u64>,
    version: u64,
}

impl Watched {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `client` watches `key`; returns the key's current version.
    pub(crate) fn watch(&mut self, client: u64, db: usize, key: &[u8]) -> u64 {
        let w = self
            .keys
            .entry((db, Bytes::copy_from_slice(key)))
            .or_insert(WatchedKey {
                watchers: Vec::new(),
                version: 0,
            });
        if !w.watchers.contains(&client) {
            w.watchers.push(client);
        }
        w.version
    }

    /// `client` watches nothing any more (UNWATCH, EXEC, DISCARD, disconnect).
    pub(crate) fn unwatch_all(&mut self, client: u64) {
        self.keys.retain(|_, w| {
            w.watchers.retain(|&c| c != client);
            !w.watchers.is_empty()
        });
    }

    /// The version of a watched key (0 when nobody watches it).
    pub(crate) fn version(&self, db: usize, key: &[u8]) -> u64 {
        self.keys
            .get(&(db, Bytes::copy_from_slice(key)))
            .map_or(0, |w| w.version)
    }

    /// `key` in `db` was written.
    pub(crate) fn touch(&mut self, db: usize, key: &[u8]) {
        if self.keys.is_empty() {
            return;
        }
        if let Some(w) = self.keys.get_mut(&(db, Bytes::copy_from_slice(key))) {
            self.next_version += 1;
            w.version = self.next_version;
        }
    }

    /// Every watched key of `db` (or of every db, for `None`) was flushed.
    pub(crate) fn touch_db(&mut self, db: Option<usize>) {
        for ((d, _), w) in self.keys.iter_mut() {
            if db.is_none_or(|db| db == *d) {
                self.next_version += 1;
                w.version = self.next_version;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_and_evicted_keys_raise_events_and_propagate_del() {
        let mut fx = Fx {
            propagate: true,
            ..Fx::default()
        };
        fx.notes
            .set_flags(notify::KEYEVENT | notify::EXPIRED | notify::EVICTED);
        fx.expired(1, b"a");
        fx.evicted(2, b"b");
        let events: Vec<_> = fx.notes.take().into_iter().map(|n| n.event).collect();
        assert_eq!(events, ["expired", "evicted"]);
        assert_eq!(fx.effects, [Effect::del(1, b"a"), Effect::del(2, b"b")]);
    }

    #[test]
    fn versions_move_only_for_watched_keys() {
        let mut w = Watched::default();
        assert!(w.is_empty());
        w.touch(0, b"a");
        let v = w.watch(7, 0, b"a");
        w.touch(0, b"b");
        w.touch(1, b"a");
        assert_eq!(w.version(0, b"a"), v);
        w.touch(0, b"a");
        assert_ne!(w.version(0, b"a"), v);
        let v = w.version(0, b"a");
        w.touch_db(Some(1));
        assert_eq!(w.version(0, b"a"), v);
        w.touch_db(None);
        assert_ne!(w.version(0, b"a"), v);
        w.watch(8, 0, b"a");
        w.unwatch_all(7);
        assert!(!w.is_empty());
        w.unwatch_all(8);
        assert!(w.is_empty());
    }
}
