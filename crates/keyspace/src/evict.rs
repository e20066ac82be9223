//! Eviction under `maxmemory`: which key goes next for each `maxmemory-policy`,
//! chosen the way Redis 7.0's evict.c chooses, and its deletion.
//!
//! The keyspace knows nothing of memory: the owner measures it, and calls
//! [`Keyspace::evict_one`] while it is over its limit (the server's `evict.rs` is
//! Redis's `performEvictions()` loop, with its time limit).
//!
//! The LRU, LFU and TTL policies keep a pool of the 16 best candidates seen so far
//! (`EvictionPoolLRU`), sorted by a score where higher means "evict first": idle
//! time, 255 minus the LFU counter, or `u64::MAX` minus the expiry time. Each
//! eviction adds `maxmemory-samples` keys sampled from every database to the pool,
//! then deletes the best candidate that still exists. The random policies pick a
//! random key, visiting the databases round-robin.

use bytes::Bytes;

use crate::access::AccessClock;
use crate::db::Entry;
use crate::keyspace::{next_random, Keyspace};
use crate::tunables::{MaxmemoryPolicy, Tunables};

/// Candidates kept between evictions (`EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;
/// Key buffers of the pool keep up to this much capacity for reuse, so a pool
/// entry costs no allocation per sample (`EVPOOL_CACHED_SDS_SIZE`).
const CACHED_KEY: usize = 255;
/// Pool refills tried for one eviction before concluding that sampling cannot find
/// a key; only reachable if the TTL index and the table disagreed.
const MAX_REFILLS: usize = 1000;

/// A key deleted by [`Keyspace::evict_one`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evicted {
    /// The database it was in.
    pub db: usize,
    /// The key.
    pub key: Bytes,
}

/// How a pool policy ranks keys.
#[derive(Debug, Clone, Copy)]
enum Score {
    /// Longest idle first (`MAXMEMORY_FLAG_LRU`).
    Idle,
    /// Least frequently used first (`MAXMEMORY_FLAG_LFU`).
    Frequency,
    /// Nearest expiry first (`volatile-ttl`).
    Ttl,
}

/// How a policy picks.
#[derive(Debug, Clone, Copy)]
enum Pick {
    Pool(Score),
    Random,
}

/// Whether the policy considers only keys with a TTL, and how it picks; `None` for
/// `noeviction`.
fn plan(policy: MaxmemoryPolicy) -> Option<(bool, Pick)> {
    use MaxmemoryPolicy::*;
    Some(match policy {
        VolatileLru => (true, Pick::Pool(Score::Idle)),
        VolatileLfu => (true, Pick::Pool(Score::Frequency)),
        VolatileTtl => (true, Pick::Pool(Score::Ttl)),
        VolatileRandom => (true, Pick::Random),
        AllkeysLru => (false, Pick::Pool(Score::Idle)),
        AllkeysLfu => (false, Pick::Pool(Score::Frequency)),
        AllkeysRandom => (false, Pick::Random),
        _ => return None,
    })
}

/// The pool score of a key (`evictionPoolPopulate()`'s `idle`).
fn score(how: Score, entry: &Entry, access: AccessClock, tunables: &Tunables) -> u64 {
    match how {
        // In ms, as `estimateObjectIdleTime()`; the clock has 1 s resolution.
        Score::Idle => access.idle_seconds(entry.lru()).saturating_mul(1000),
        Score::Frequency => 255 - u64::from(access.lfu_counter(entry.lru(), tunables).min(255)),
        Score::Ttl => u64::MAX - entry.expire_at().map_or(0, |at| at.max(0) as u64),
    }
}

/// One pool slot.
#[derive(Debug, Default)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
    /// Whether the slot holds a candidate (Redis's `key != NULL`).
    live: bool,
}

/// Eviction state kept between calls, as Redis keeps it in statics.
#[derive(Debug)]
pub(crate) struct Eviction {
    /// Sorted by score, ascending; live slots first.
    pool: Vec<Candidate>,
    /// The random policies' last database (`next_db`).
    next_db: usize,
    /// The key chosen for deletion.
    chosen: Vec<u8>,
}

impl Default for Eviction {
    fn default() -> Eviction {
        Eviction {
            pool: (0..POOL_SIZE).map(|_| Candidate::default()).collect(),
            next_db: 0,
            chosen: Vec::new(),
        }
    }
}

impl Eviction {
    /// Offers a sampled key to the pool: it goes in at its place by score if there is
    /// a free slot or a worse candidate to push out (the insertion of
    /// `evictionPoolPopulate()`).
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let pool = &mut self.pool;
        let mut k = 0;
        while k < POOL_SIZE && pool[k].live && pool[k].score < score {
            k += 1;
        }
        let full = pool[POOL_SIZE - 1].live;
        if k == 0 && full {
            return; // Worse than every candidate, and no room.
        }
        if k < POOL_SIZE && !pool[k].live {
            // A free slot right where it belongs.
        } else if !full {
            // Shift the better ones right; the free last slot comes to `k`.
            pool[k..].rotate_right(1);
        } else {
            // Push the worst candidate out: shift the worse ones left.
            k -= 1;
            pool[..=k].rotate_left(1);
        }
        let slot = &mut pool[k];
        if key.len() > CACHED_KEY || slot.key.capacity() > CACHED_KEY {
            slot.key = Vec::with_capacity(key.len().max(CACHED_KEY));
        }
        slot.key.clear();
        slot.key.extend_from_slice(key);
        (slot.score, slot.db, slot.live) = (score, db, true);
    }
}

impl Keyspace {
    /// Deletes one key as `maxmemory-policy` chooses (see the module docs), sampling
    /// `samples` keys per database (`maxmemory-samples`) for the LRU, LFU and TTL
    /// policies. The deletion counts in `evicted_keys`, touches WATCH and propagates
    /// as `DEL`, before the effects of the command being run.
    ///
    /// Returns `None` when nothing can be evicted: the policy is `noeviction`, there
    /// are no keys, or a `volatile-*` policy finds no key with a TTL.
    pub fn evict_one(&mut self, samples: usize) -> Option<Evicted> {
        let tunables = self.tunables();
        let (volatile, pick) = plan(tunables.maxmemory_policy)?;
        let db = match pick {
            Pick::Pool(how) => self.pick_from_pool(volatile, how, samples.max(1), &tunables),
            Pick::Random => self.pick_random(volatile),
        }?;
        let chosen = std::mem::take(&mut self.evict.chosen);
        let gone = self.dbs[db].remove(&chosen);
        self.evict.chosen = chosen;
        // Dropping the value here, before returning, is what frees its memory.
        let key = gone?.into_key();
        self.stats.evicted_keys += 1;
        self.fx.evicted(db, &key);
        Some(Evicted { db, key })
    }

    /// The pool policies: refill the pool from every database, then take the best
    /// candidate that still exists (and still has a TTL, for `volatile-*`); a pool
    /// of ghosts is refilled. Leaves the key in `evict.chosen`.
    fn pick_from_pool(
        &mut self,
        volatile: bool,
        how: Score,
        samples: usize,
        tunables: &Tunables,
    ) -> Option<usize> {
        let access = self.access;
        for _ in 0..MAX_REFILLS {
            let mut total = 0;
            for (i, db) in self.dbs.iter().enumerate() {
                let keys = if volatile { db.expires_len() } else { db.len() };
                if keys == 0 {
                    continue;
                }
                total += keys;
                let evict = &mut self.evict;
                let random = next_random(&mut self.random);
                db.sample_keys(volatile, random, samples, &mut |e| {
                    evict.offer(score(how, e, access, tunables), i, e.key());
                });
            }
            if total == 0 {
                return None;
            }
            for k in (0..POOL_SIZE).rev() {
                let slot = &mut self.evict.pool[k];
                if !slot.live {
                    continue;
                }
                slot.live = false;
                let exists = self.dbs[slot.db]
                    .peek_entry(&slot.key)
                    .is_some_and(|e| !volatile || e.expire_at().is_some());
                if exists {
                    std::mem::swap(&mut slot.key, &mut self.evict.chosen);
                    return Some(slot.db);
                }
            }
        }
        debug_assert!(
            false,
            "eviction sampling found no key in a non-empty keyspace"
        );
        None
    }

    /// The random policies: a random key of the next database that has one.
    fn pick_random(&mut self, volatile: bool) -> Option<usize> {
        let n = self.dbs.len();
        for _ in 0..n {
            self.evict.next_db = (self.evict.next_db + 1) % n;
            let i = self.evict.next_db;
            let random = next_random(&mut self.random);
            let db = &self.dbs[i];
            let entry = if volatile {
                db.random_volatile_entry(random)
            } else {
                db.random_entry(random)
            };
            if let Some(e) = entry {
                self.evict.chosen.clear();
                self.evict.chosen.extend_from_slice(e.key());
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::commands::test_support::{int, ok, Harness};
    use crate::effects::Effect;

    fn harness(policy: &str) -> Harness {
        let mut h = Harness::new();
        let policy = MaxmemoryPolicy::from_name(policy).expect("a policy name");
        h.ks.set_tunables(Tunables {
            maxmemory_policy: policy,
            ..Tunables::default()
        });
        h
    }

    /// Evicts until nothing is left to evict; the keys in eviction order.
    fn drain(h: &mut Harness, samples: usize) -> Vec<String> {
        std::iter::from_fn(|| h.ks.evict_one(samples))
            .map(|e| String::from_utf8_lossy(&e.key).into_owned())
            .collect()
    }

    #[test]
    fn noeviction_and_empty_keyspaces_evict_nothing() {
        let mut h = harness("noeviction");
        h.run("set k v");
        assert_eq!(h.ks.evict_one(5), None);
        assert_eq!(h.ks.dbsize(0), 1);
        for policy in ["allkeys-lru", "allkeys-random", "volatile-ttl"] {
            let mut h = harness(policy);
            assert_eq!(h.ks.evict_one(5), None, "{policy}");
        }
    }

    #[test]
    fn volatile_policies_never_evict_persistent_keys() {
        for policy in [
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ] {
            let mut h = harness(policy);
            for i in 0..200 {
                h.run(&format!("set p{i} v"));
                h.run(&format!("set t{i} v ex {}", 100 + i));
            }
            let gone = drain(&mut h, 5);
            assert_eq!(gone.len(), 200, "{policy}");
            assert!(gone.iter().all(|k| k.starts_with('t')), "{policy}");
            assert_eq!(h.ks.dbsize(0), 200);
            assert_eq!(h.ks.db_info(0).expires, 0);
            assert_eq!(h.ks.stats().evicted_keys, 200);
        }
    }

    #[test]
    fn allkeys_policies_evict_every_key_of_every_db() {
        for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
            let mut h = harness(policy);
            for db in [0, 3, 15] {
                h.session.db = db;
                for i in 0..50 {
                    h.run(&format!("set k{i} v"));
                }
                h.run("set t v px 100000");
            }
            assert_eq!(drain(&mut h, 5).len(), 153, "{policy}");
            assert_eq!((h.ks.dbsize(0), h.ks.dbsize(3), h.ks.dbsize(15)), (0, 0, 0));
        }
    }

    #[test]
    fn volatile_ttl_evicts_the_nearest_expiry_first() {
        let mut h = harness("volatile-ttl");
        for i in [7, 3, 9, 1, 5, 2, 8, 4, 6, 10] {
            h.run(&format!("set k{i:02} v px {}", i * 1000));
        }
        h.run("set persistent v");
        // With every key sampled, the order is exact.
        let order = drain(&mut h, 16);
        let want: Vec<String> = (1..=10).map(|i| format!("k{i:02}")).collect();
        assert_eq!(order, want);
    }

    #[test]
    fn random_policies_visit_the_databases_round_robin() {
        let mut h = harness("allkeys-random");
        for db in [1, 4] {
            h.session.db = db;
            for i in 0..10 {
                h.run(&format!("set k{i} v"));
            }
        }
        let dbs: Vec<usize> = std::iter::from_fn(|| h.ks.evict_one(5))
            .map(|e| e.db)
            .collect();
        assert_eq!(dbs, [1, 4].repeat(10));
    }

    /// Of `n` keys, the `n/2` "hot" ones are accessed again; evicting `n/4` keys must
    /// take mostly the others. A random choice would get about half right. (Evicting
    /// all `n/2` made the last picks, among few cold keys left, fail the bar now and
    /// then: sampling is random.)
    fn check_prefers_cold(h: &mut Harness, n: usize, touch: impl Fn(&mut Harness, &str)) {
        for i in 0..n {
            h.run(&format!("set k{i} v"));
        }
        for i in (0..n).step_by(2) {
            touch(h, &format!("k{i}"));
        }
        let evicted: Vec<usize> = (0..n / 4)
            .filter_map(|_| h.ks.evict_one(5))
            .map(|e| {
                let key = String::from_utf8_lossy(&e.key[1..]).into_owned();
                key.parse().expect("a numbered key")
            })
            .collect();
        assert_eq!(evicted.len(), n / 4);
        let cold = evicted.iter().filter(|&&i| i % 2 == 1).count();
        assert!(
            cold * 100 >= evicted.len() * 85,
            "{cold} of {}",
            evicted.len()
        );
    }

    #[test]
    fn lru_prefers_idle_keys() {
        let mut h = harness("allkeys-lru");
        h.at(1_000_000);
        check_prefers_cold(&mut h, 400, |h, key| {
            h.at(1_000_000 + 60_000);
            assert_eq!(
                h.run(&format!("get {key}")),
                crate::commands::test_support::bulk("v")
            );
        });
    }

    #[test]
    fn lfu_prefers_rarely_used_keys() {
        let mut h = harness("allkeys-lfu");
        check_prefers_cold(&mut h, 400, |h, key| {
            for _ in 0..100 {
                h.run(&format!("get {key}"));
            }
        });
    }

    #[test]
    fn volatile_lru_ranks_by_idle_time_among_keys_with_a_ttl() {
        let mut h = harness("volatile-lru");
        h.at(1_000_000);
        h.run("set old v ex 1000");
        h.run("set persistent v");
        h.at(1_100_000);
        h.run("set new v ex 1000");
        assert_eq!(drain(&mut h, 5), ["old", "new"]);
    }

    #[test]
    fn evictions_propagate_as_del_and_touch_watched_keys() {
        let mut h = harness("allkeys-random");
        h.ks.set_propagation(true);
        h.session.db = 2;
        assert_eq!(h.run("set k v"), ok());
        let token = h.ks.watch(1, 2, b"k");
        h.ks.take_effects();
        let dirty = h.ks.dirty();
        let e = h.ks.evict_one(5).expect("a key");
        assert_eq!((e.db, &e.key[..]), (2, &b"k"[..]));
        assert_eq!(
            h.ks.take_effects(),
            [Effect {
                db: 2,
                argv: vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"k")],
            }]
        );
        assert!(!h.ks.watch_intact(&token));
        assert_eq!(
            h.ks.dirty(),
            dirty,
            "Redis does not count evictions as changes"
        );
        assert_eq!(h.ks.stats().evicted_keys, 1);
        assert_eq!(h.run("exists k"), int(0));
    }

    #[test]
    fn the_pool_keeps_the_best_sixteen_in_order() {
        let mut e = Eviction::default();
        for s in [5u64, 1, 9, 3, 7] {
            e.offer(s, 0, format!("s{s}").as_bytes());
        }
        let live: Vec<u64> = e.pool.iter().filter(|c| c.live).map(|c| c.score).collect();
        assert_eq!(live, [1, 3, 5, 7, 9]);
        for s in 10..40u64 {
            e.offer(s, 0, b"x");
        }
        let scores: Vec<u64> = e.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        // Worse than everything in a full pool: not taken.
        e.offer(0, 0, b"low");
        assert!(e.pool.iter().all(|c| c.key != b"low"));
        let long = vec![b'k'; 1000];
        e.offer(100, 1, &long);
        assert_eq!(e.pool[POOL_SIZE - 1].key, long);
        let keys: HashSet<&[u8]> = e.pool.iter().map(|c| &c.key[..]).collect();
        assert!(keys.contains(&b"x"[..]));
    }
}
