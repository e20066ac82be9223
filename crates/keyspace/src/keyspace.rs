//! [`Keyspace`]: all databases, the command entry point, and the clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrodis_resp::{Frame, Protocol};

use crate::access::AccessClock;
use crate::commands::{self, Ctx};
use crate::db::Db;
use crate::effects::{Effect, Fx};
use crate::error::Error;
use crate::evict::Eviction;
use crate::notify::Notification;
use crate::stats::{DbInfo, Stats};
use crate::tunables::Tunables;

/// Per-client state that commands read and change.
#[derive(Debug, Default, Clone)]
pub struct Session {
    /// The selected database (SELECT changes it).
    pub db: usize,
    /// The protocol the client speaks, for the few replies whose shape differs
    /// between RESP2 and RESP3 beyond what the encoder downgrades.
    pub protocol: Protocol,
}

/// A key as WATCH saw it, for EXEC to check ([`Keyspace::watch_intact`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchToken {
    db: usize,
    key: Bytes,
    version: u64,
}

/// Where the keyspace gets the time from, in Unix milliseconds.
#[derive(Debug, Default, Clone, Copy)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed time, for tests and deterministic replays.
    Fixed(i64),
    /// Any function, such as a clock cached by the server's event loop.
    Custom(fn() -> i64),
}

impl Clock {
    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Clock::Fixed(ms) => *ms,
            Clock::Custom(f) => f(),
        }
    }
}

/// How keys past their expiry time are treated: Redis's `expireIfNeeded()` differs
/// by role, because a replica must not diverge from its master by expiring keys on
/// its own; it waits for the master's `DEL`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A master: expired keys are deleted on access (and their `DEL` propagated), and
    /// the active cycle reclaims them.
    #[default]
    Master,
    /// A replica serving its own clients: an expired key reads as missing but is
    /// neither deleted nor propagated; the active cycle does nothing.
    Replica,
    /// A replica applying its master's stream: every key is live until the master
    /// deletes it (`server.current_client == server.master` in `expireIfNeeded()`).
    MasterLink,
}

/// The time of one command: read from the clock on first use only, since most
/// commands touch no key with a TTL and never need it (a clock read can cost as much
/// as the rest of a GET).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    clock: Clock,
    ms: Option<i64>,
    /// The access stamp a key created by this command gets (see `access.rs`).
    lru: u32,
    /// How expired keys are treated.
    pub(crate) expiry: Expiry,
}

impl Now {
    pub(crate) fn new(clock: Clock, lru: u32) -> Now {
        Now {
            clock,
            ms: None,
            lru,
            expiry: Expiry::Master,
        }
    }

    /// A time known in advance.
    #[cfg(test)]
    pub(crate) fn fixed(ms: i64) -> Now {
        Now {
            clock: Clock::Fixed(ms),
            ms: Some(ms),
            lru: 0,
            expiry: Expiry::Master,
        }
    }

    /// The access stamp of a key created now.
    pub(crate) fn lru(&self) -> u32 {
        self.lru
    }

    /// This time, with expired keys treated as `expiry` says.
    pub(crate) fn with_expiry(mut self, expiry: Expiry) -> Now {
        self.expiry = expiry;
        self
    }

    pub(crate) fn get(&mut self) -> i64 {
        let clock = self.clock;
        *self.ms.get_or_insert_with(|| clock.now_ms())
    }
}

/// All databases of a server, their statistics, and the commands that work on them.
///
/// There are no globals and no locks inside: the owner decides how to share it
/// (one owner task, a mutex, or one keyspace per shard).
pub struct Keyspace {
    pub(crate) dbs: Vec<Db>,
    pub(crate) stats: Stats,
    pub(crate) dirty: u64,
    clock: Clock,
    /// State of the random number generator (RANDOMKEY, SPOP, LFU counters...).
    pub(crate) random: u64,
    /// Active expiry's resume point and state (Redis keeps them as statics).
    pub(crate) expire_next_db: usize,
    pub(crate) expire_timelimit_exit: bool,
    pub(crate) expire_time_used_us: u64,
    /// Encoding thresholds and size limits.
    tunables: Tunables,
    /// The cached time of access stamps (OBJECT IDLETIME, FREQ).
    pub(crate) access: AccessClock,
    /// Effects to propagate and WATCHed keys.
    pub(crate) fx: Fx,
    /// Master or replica treatment of expired keys.
    pub(crate) expiry: Expiry,
    /// The eviction pool and the random policies' next database (evict.rs).
    pub(crate) evict: Eviction,
    /// DUMP and RESTORE's payload format, supplied by the owner (dump.rs).
    pub(crate) dump_codec: Option<std::sync::Arc<dyn crate::dump::DumpCodec>>,
}

impl Keyspace {
    /// A keyspace with `databases` empty databases (at least one).
    pub fn new(databases: usize) -> Keyspace {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::new()).collect(),
            stats: Stats::default(),
            dirty: 0,
            clock: Clock::System,
            random: seed | 1,
            expire_next_db: 0,
            expire_timelimit_exit: false,
            expire_time_used_us: 0,
            tunables: Tunables::default(),
            access: AccessClock::at(Clock::System.now_ms()),
            fx: Fx::default(),
            evict: Eviction::default(),
            expiry: Expiry::Master,
            dump_codec: None,
        }
    }

    /// The encoding thresholds and limits in force.
    pub fn tunables(&self) -> Tunables {
        self.tunables
    }

    /// Changes the encoding thresholds (CONFIG SET). Existing values keep their
    /// encoding until a write crosses the new threshold, as in Redis.
    pub fn set_tunables(&mut self, tunables: Tunables) {
        self.tunables = tunables;
        self.fx.notes.set_flags(tunables.notify_keyspace_events);
    }

    /// Whether keyspace notifications wait to be taken: a cheap check before
    /// [`Keyspace::take_notifications`].
    #[inline]
    pub fn has_notifications(&self) -> bool {
        !self.fx.notes.is_empty()
    }

    /// The keyspace notifications raised since the last call, in order (only those
    /// of the classes `notify-keyspace-events` enables, and none without K or E).
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.fx.notes.take()
    }

    /// Number of databases.
    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Replaces the clock that commands read the time from. A fixed clock also sets
    /// the time of access stamps (OBJECT IDLETIME), which otherwise advances with
    /// [`Keyspace::active_expire_cycle`].
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
        if let Clock::Fixed(ms) = clock {
            self.access = AccessClock::at(ms);
        }
    }

    /// The current time according to the keyspace's clock, in Unix ms.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Runs one command: `argv[0]` is its name, in any case. Returns the reply, or
    /// `None` when the name is not a keyspace command (so the server can try its own).
    ///
    /// Wrong argument counts, wrong types and bad arguments are error replies, worded
    /// exactly as Redis 7.0 words them.
    pub fn execute(&mut self, session: &mut Session, argv: &[Bytes]) -> Option<Frame> {
        let index = commands::index(argv.first()?)?;
        let spec = &commands::SPECS[index];
        if !spec.arity_ok(argv.len()) {
            return Some(Error::WrongArity { command: spec.name }.to_frame());
        }
        if session.db >= self.dbs.len() {
            return Some(Error::DbIndexOutOfRange.to_frame());
        }
        let mut ctx = self.ctx(session);
        let dirty_before = *ctx.dirty;
        let db = ctx.session.db;
        let unit_start = ctx.fx.effects.len();
        // DEL/UNLINK touch (for WATCH) only the keys they delete: note which exist.
        let present: Vec<bool> =
            if !ctx.fx.watched.is_empty() && matches!(spec.name, "del" | "unlink") {
                argv[1..]
                    .iter()
                    .map(|k| ctx.dbs[db].peek(k).is_some())
                    .collect()
            } else {
                Vec::new()
            };
        let reply = match (commands::HANDLERS[index])(&mut ctx, argv) {
            Ok(reply) => reply,
            Err(e) => e.to_frame(),
        };
        let replaced = self.fx.replaced.take();
        if self.dirty != dirty_before {
            self.record_write(db, argv, replaced, &present);
        }
        if self.fx.propagate && self.fx.transaction.is_none() {
            self.fx.close_unit(unit_start);
        }
        Some(reply)
    }

    /// A handler's context for `session`: for [`Keyspace::execute`], and for
    /// serving blocked clients (blocking.rs).
    pub(crate) fn ctx<'a>(&'a mut self, session: &'a mut Session) -> Ctx<'a> {
        Ctx {
            now: Now::new(self.clock, self.access.initial(&self.tunables)).with_expiry(self.expiry),
            access: self.access,
            dbs: &mut self.dbs,
            session,
            stats: &mut self.stats,
            dirty: &mut self.dirty,
            random: &mut self.random,
            tunables: self.tunables,
            fx: &mut self.fx,
            codec: self.dump_codec.as_deref(),
        }
    }

    /// After a command that changed the data: touch the keys it wrote for WATCH and
    /// record its effects (the command itself unless it gave a replacement).
    pub(crate) fn record_write(
        &mut self,
        db: usize,
        argv: &[Bytes],
        replaced: Option<Vec<Vec<Bytes>>>,
        present: &[bool],
    ) {
        let effects = replaced.unwrap_or_else(|| vec![argv.to_vec()]);
        if !present.is_empty() {
            for (key, _) in argv[1..].iter().zip(present).filter(|(_, p)| **p) {
                self.fx.watched.touch(db, key);
            }
        } else {
            for effect in &effects {
                self.touch_written_keys(db, effect);
            }
        }
        if self.fx.propagate {
            self.fx
                .effects
                .extend(effects.into_iter().map(|argv| Effect { db, argv }));
        }
    }

    /// The keys a write command wrote, by its key positions (COMMAND INFO's first,
    /// last, step); flushes touch whole databases; commands that store a result
    /// touch only their destination (Redis's `signalModifiedKey` calls).
    fn touch_written_keys(&mut self, db: usize, argv: &[Bytes]) {
        if self.fx.watched.is_empty() {
            return;
        }
        let Some(spec) = argv.first().and_then(|name| crate::spec::lookup(name)) else {
            return;
        };
        match spec.name {
            "flushall" => return self.fx.watched.touch_db(None),
            "flushdb" => return self.fx.watched.touch_db(Some(db)),
            // Their keys may be in other databases: the commands touch them.
            "swapdb" | "copy" => return,
            // SORT ... STORE writes only its destination, which it touches itself.
            "sort" => return,
            _ => {}
        }
        // Destination-only writers: the other keys are sources, only read.
        let destination = match spec.name {
            "bitop" => argv.get(2),
            name if name.ends_with("store") => argv.get(1),
            _ => None,
        };
        if let Some(dest) = destination {
            return self.fx.watched.touch(db, dest);
        }
        if spec.first_key <= 0 {
            return;
        }
        let len = argv.len() as i64;
        let first = i64::from(spec.first_key);
        let last = if spec.last_key < 0 {
            len + i64::from(spec.last_key)
        } else {
            i64::from(spec.last_key)
        };
        let step = i64::from(spec.step.max(1));
        let mut i = first;
        while i <= last && i < len {
            self.fx.watched.touch(db, &argv[i as usize]);
            i += step;
        }
    }

    /// The clock for a write outside any command (loading).
    pub(crate) fn load_now(&self) -> Now {
        Now::new(self.clock, self.access.initial(&self.tunables)).with_expiry(self.expiry)
    }

    /// Start or stop recording [`Effect`]s (off by default, so a keyspace nobody
    /// replicates pays nothing). The AOF writer and replication turn it on.
    pub fn set_propagation(&mut self, on: bool) {
        self.fx.propagate = on;
        if !on {
            self.fx.effects.clear();
        }
    }

    /// The effects recorded since the last call, in commit order. A command or
    /// transaction with several effects comes wrapped in `MULTI` ... `EXEC`, as
    /// Redis propagates it.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        if let Some(start) = self.fx.transaction.as_mut() {
            // Taken mid-transaction: what follows is wrapped on its own.
            *start = 0;
        }
        std::mem::take(&mut self.fx.effects)
    }

    /// Opens a transaction (EXEC): the effects of the commands run until
    /// [`Keyspace::end_transaction`] form one unit, wrapped in MULTI ... EXEC if
    /// there is more than one.
    pub fn begin_transaction(&mut self) {
        if self.fx.transaction.is_none() {
            self.fx.transaction = Some(self.fx.effects.len());
        }
    }

    /// Closes the transaction opened by [`Keyspace::begin_transaction`].
    pub fn end_transaction(&mut self) {
        if let Some(start) = self.fx.transaction.take() {
            if self.fx.propagate {
                self.fx.close_unit(start);
            }
        }
    }

    /// WATCH: `client` watches `key` in `db`. The token tells EXEC later whether the
    /// key was touched since.
    pub fn watch(&mut self, client: u64, db: usize, key: &[u8]) -> WatchToken {
        let version = self.fx.watched.watch(client, db, key);
        WatchToken {
            db,
            key: Bytes::copy_from_slice(key),
            version,
        }
    }

    /// Sets how expired keys are treated from the next command on (a replica sets
    /// [`Expiry::Replica`], and [`Expiry::MasterLink`] around its master's commands).
    pub fn set_expiry(&mut self, expiry: Expiry) {
        self.expiry = expiry;
    }

    /// How expired keys are treated.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// Whether a watched key is untouched: not written, deleted or flushed since
    /// WATCH, and not expired by now (Redis 7.0's `isWatchedKeyExpired` check at EXEC;
    /// the expired key is deleted and its DEL propagated, as an access would).
    pub fn watch_intact(&mut self, token: &WatchToken) -> bool {
        if self.fx.watched.version(token.db, &token.key) != token.version {
            return false;
        }
        let mut now = Now::new(self.clock, 0).with_expiry(self.expiry);
        let Some(db) = self.dbs.get_mut(token.db) else {
            return true;
        };
        if let crate::db::Found::Expired = db.find(&token.key, &mut now) {
            self.stats.expired_keys += 1;
            self.fx.expired(token.db, &token.key);
            return false;
        }
        true
    }

    /// UNWATCH (also EXEC, DISCARD, RESET and disconnect): `client` watches nothing.
    pub fn unwatch_all(&mut self, client: u64) {
        self.fx.watched.unwatch_all(client);
    }

    /// Number of keys in database `db` (0 for a database that does not exist);
    /// expired keys not yet reclaimed count, as in Redis's DBSIZE.
    pub fn dbsize(&self, db: usize) -> usize {
        self.dbs.get(db).map_or(0, Db::len)
    }

    /// Empties database `db`. Does not count as a change in [`Keyspace::dirty`]
    /// (the FLUSHDB command does).
    pub fn flushdb(&mut self, db: usize) {
        if let Some(db) = self.dbs.get_mut(db) {
            db.clear();
        }
    }

    /// Empties every database. Does not count as a change in [`Keyspace::dirty`].
    pub fn flushall(&mut self) {
        for db in &mut self.dbs {
            db.clear();
        }
    }

    /// The INFO keyspace numbers of database `db`.
    pub fn db_info(&self, db: usize) -> DbInfo {
        self.dbs.get(db).map_or_else(DbInfo::default, |db| DbInfo {
            keys: db.len(),
            expires: db.expires_len(),
            avg_ttl: db.avg_ttl,
        })
    }

    /// Statistics for INFO.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Zeroes the statistics (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        self.expire_time_used_us = 0;
    }

    /// Number of changes made by commands so far, like Redis's `server.dirty`: each
    /// write adds the number of changes it made (MSET of 3 keys adds 3, a DEL that
    /// deletes nothing adds 0). Compare two readings to know whether anything changed.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }
}

impl fmt::Debug for Keyspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyspace")
            .field("dbs", &self.dbs)
            .field("stats", &self.stats)
            .field("dirty", &self.dirty)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// The next number of a splitmix64 sequence; good enough to pick random keys.
pub(crate) fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{bulk, err, ok, Harness};

    #[test]
    fn unknown_and_empty_commands_are_not_ours() {
        let mut h = Harness::new();
        assert_eq!(h.ks.execute(&mut h.session, &[]), None);
        assert_eq!(
            h.ks.execute(&mut h.session, &[Bytes::from_static(b"PING")]),
            None
        );
    }

    #[test]
    fn arity_errors_use_the_lowercase_name() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("GET"),
            err("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            h.run("set k"),
            err("ERR wrong number of arguments for 'set' command")
        );
        assert_eq!(
            h.run("Dbsize x"),
            err("ERR wrong number of arguments for 'dbsize' command")
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        let mut h = Harness::new();
        assert_eq!(h.run("sEt k v"), ok());
        assert_eq!(h.run("GET k"), bulk("v"));
    }

    #[test]
    fn a_session_on_a_missing_db_gets_an_error() {
        let mut h = Harness::new();
        h.session.db = 99;
        assert_eq!(h.run("get k"), err("ERR DB index is out of range"));
    }

    #[test]
    fn the_clock_is_read_only_when_a_ttl_is_involved() {
        let mut h = Harness::new();
        h.run("set plain v");
        h.run("set volatile v ex 100");
        h.ks.set_clock(Clock::Custom(|| panic!("clock read")));
        assert_eq!(h.run("get plain"), bulk("v"));
        assert_eq!(h.run("incr counter"), Frame::Integer(1));
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.run("get volatile")));
        assert!(read.is_err(), "a key with a TTL needs the time");
    }

    #[test]
    fn clocks() {
        assert_eq!(Clock::Fixed(5).now_ms(), 5);
        assert_eq!(Clock::Custom(|| 7).now_ms(), 7);
        assert!(Clock::System.now_ms() > 1_600_000_000_000);
    }

    #[test]
    fn random_numbers_vary() {
        let mut s = 1;
        let a = next_random(&mut s);
        let b = next_random(&mut s);
        assert_ne!(a, b);
    }
}
