//! The command table and what every command handler shares.
//!
//! Each command is a `CommandSpec` constant plus a handler of one shape,
//! [`Handler`], next to each other in the file of its group; the `table!` below
//! lists them once, in one order, for both [`SPECS`] and the dispatch.

mod bitfield;
mod bitop;
mod bits;
mod collection_scan;
mod counter;
mod database;
pub use database::select_db;
mod dump;
mod expire;
mod hash;
mod hash_random;
mod hash_read;
mod keys;
mod keys_copy;
mod lcs;
mod list;
mod list_blocking;
mod list_edit;
mod list_move;
mod object;
pub(crate) mod scan;
mod set;
mod set_algebra;
mod set_random;
mod sort;
mod sort_order;
mod string;
mod string_edit;
mod string_multi;
mod zset;
mod zset_blocking;
mod zset_ops;
mod zset_pop;
mod zset_range;

use std::sync::OnceLock;

use bytes::Bytes;
use ferrodis_resp::Frame;

use crate::access::AccessClock;
use crate::db::{Db, Found, Occupied, Slot};
use crate::effects::Fx;
use crate::error::{Error, Result};
use crate::keyspace::{Now, Session};
use crate::notify;
use crate::num;
use crate::spec::CommandSpec;
use crate::stats::Stats;
use crate::tunables::Tunables;

/// A command's implementation. `argv` has already passed the arity check, so
/// indexing it up to the arity is safe.
pub(crate) type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> Result<Frame>;

macro_rules! table {
    ($($module:ident :: $spec:ident => $run:ident,)*) => {
        /// Every keyspace command.
        pub(crate) static SPECS: &[CommandSpec] = &[$($module::$spec),*];
        /// The handlers, in the order of [`SPECS`].
        pub(crate) static HANDLERS: &[Handler] = &[$($module::$run),*];
    };
}

table! {
    // Strings.
    string::GET => get,
    string::SET => set,
    string::SETNX => setnx,
    string::SETEX => setex,
    string::PSETEX => psetex,
    string::GETSET => getset,
    string::GETDEL => getdel,
    string::GETEX => getex,
    string_multi::MGET => mget,
    string_multi::MSET => mset,
    string_multi::MSETNX => msetnx,
    string_edit::APPEND => append,
    string_edit::STRLEN => strlen,
    string_edit::GETRANGE => getrange,
    string_edit::SUBSTR => substr,
    string_edit::SETRANGE => setrange,
    counter::INCR => incr,
    counter::DECR => decr,
    counter::INCRBY => incrby,
    counter::DECRBY => decrby,
    counter::INCRBYFLOAT => incrbyfloat,
    lcs::LCS => lcs,
    // Bitmaps.
    bits::SETBIT => setbit,
    bits::GETBIT => getbit,
    bits::BITCOUNT => bitcount,
    bits::BITPOS => bitpos,
    bitop::BITOP => bitop,
    bitfield::BITFIELD => bitfield,
    bitfield::BITFIELD_RO => bitfield_ro,
    // Lists.
    list::LPUSH => lpush,
    list::RPUSH => rpush,
    list::LPUSHX => lpushx,
    list::RPUSHX => rpushx,
    list::LPOP => lpop,
    list::RPOP => rpop,
    list::LLEN => llen,
    list::LRANGE => lrange,
    list::LINDEX => lindex,
    list_edit::LSET => lset,
    list_edit::LINSERT => linsert,
    list_edit::LREM => lrem,
    list_edit::LTRIM => ltrim,
    list_edit::LPOS => lpos,
    list_move::LMOVE => lmove,
    list_move::RPOPLPUSH => rpoplpush,
    list_move::LMPOP => lmpop,
    list_blocking::BLPOP => blpop,
    list_blocking::BRPOP => brpop,
    list_blocking::BLMOVE => blmove,
    list_blocking::BRPOPLPUSH => brpoplpush,
    list_blocking::BLMPOP => blmpop,
    // Sets.
    set::SADD => sadd,
    set::SREM => srem,
    set::SMEMBERS => smembers,
    set::SISMEMBER => sismember,
    set::SMISMEMBER => smismember,
    set::SCARD => scard,
    set::SMOVE => smove,
    set_random::SPOP => spop,
    set_random::SRANDMEMBER => srandmember,
    set_algebra::SINTER => sinter,
    set_algebra::SINTERCARD => sintercard,
    set_algebra::SINTERSTORE => sinterstore,
    set_algebra::SUNION => sunion,
    set_algebra::SUNIONSTORE => sunionstore,
    set_algebra::SDIFF => sdiff,
    set_algebra::SDIFFSTORE => sdiffstore,
    collection_scan::SSCAN => sscan,
    // Hashes.
    hash::HSET => hset,
    hash::HSETNX => hsetnx,
    hash::HMSET => hmset,
    hash::HDEL => hdel,
    hash::HINCRBY => hincrby,
    hash::HINCRBYFLOAT => hincrbyfloat,
    hash_read::HGET => hget,
    hash_read::HMGET => hmget,
    hash_read::HEXISTS => hexists,
    hash_read::HLEN => hlen,
    hash_read::HSTRLEN => hstrlen,
    hash_read::HGETALL => hgetall,
    hash_read::HKEYS => hkeys,
    hash_read::HVALS => hvals,
    hash_random::HRANDFIELD => hrandfield,
    collection_scan::HSCAN => hscan,
    // Keys.
    keys::DEL => del,
    keys::UNLINK => unlink,
    keys::EXISTS => exists,
    keys::TOUCH => touch,
    keys::TYPE => type_,
    keys::KEYS => keys,
    keys::RANDOMKEY => randomkey,
    scan::SCAN => scan,
    expire::EXPIRE => expire,
    expire::PEXPIRE => pexpire,
    expire::EXPIREAT => expireat,
    expire::PEXPIREAT => pexpireat,
    expire::TTL => ttl,
    expire::PTTL => pttl,
    expire::EXPIRETIME => expiretime,
    expire::PEXPIRETIME => pexpiretime,
    expire::PERSIST => persist,
    keys_copy::RENAME => rename,
    keys_copy::RENAMENX => renamenx,
    keys_copy::MOVE => move_,
    keys_copy::COPY => copy,
    dump::DUMP => dump,
    dump::RESTORE => restore,
    object::OBJECT => object,
    sort::SORT => sort,
    sort::SORT_RO => sort_ro,
    // Sorted sets.
    zset::ZADD => zadd,
    zset::ZINCRBY => zincrby,
    zset::ZSCORE => zscore,
    zset::ZMSCORE => zmscore,
    zset::ZCARD => zcard,
    zset::ZREM => zrem,
    zset::ZRANK => zrank,
    zset::ZREVRANK => zrevrank,
    zset_range::ZRANGE => zrange,
    zset_range::ZRANGESTORE => zrangestore,
    zset_range::ZREVRANGE => zrevrange,
    zset_range::ZRANGEBYSCORE => zrangebyscore,
    zset_range::ZREVRANGEBYSCORE => zrevrangebyscore,
    zset_range::ZRANGEBYLEX => zrangebylex,
    zset_range::ZREVRANGEBYLEX => zrevrangebylex,
    zset_range::ZCOUNT => zcount,
    zset_range::ZLEXCOUNT => zlexcount,
    zset_range::ZREMRANGEBYRANK => zremrangebyrank,
    zset_range::ZREMRANGEBYSCORE => zremrangebyscore,
    zset_range::ZREMRANGEBYLEX => zremrangebylex,
    zset_pop::ZPOPMIN => zpopmin,
    zset_pop::ZPOPMAX => zpopmax,
    zset_pop::ZMPOP => zmpop,
    zset_pop::ZRANDMEMBER => zrandmember,
    zset_blocking::BZPOPMIN => bzpopmin,
    zset_blocking::BZPOPMAX => bzpopmax,
    zset_blocking::BZMPOP => bzmpop,
    zset_ops::ZUNION => zunion,
    zset_ops::ZINTER => zinter,
    zset_ops::ZDIFF => zdiff,
    zset_ops::ZUNIONSTORE => zunionstore,
    zset_ops::ZINTERSTORE => zinterstore,
    zset_ops::ZDIFFSTORE => zdiffstore,
    zset_ops::ZINTERCARD => zintercard,
    collection_scan::ZSCAN => zscan,
    // Databases.
    database::SELECT => select,
    database::DBSIZE => dbsize,
    database::FLUSHDB => flushdb,
    database::FLUSHALL => flushall,
    keys_copy::SWAPDB => swapdb,
}

pub(crate) use list_blocking::serve as serve_list;
pub(crate) use zset_blocking::serve as serve_zset;

/// The subcommands of a container command (OBJECT), empty for other commands.
pub(crate) fn subcommands(name: &[u8]) -> &'static [&'static CommandSpec] {
    if name.eq_ignore_ascii_case(b"object") {
        object::SUBCOMMANDS
    } else {
        &[]
    }
}

/// Argument counts accepted beyond the arity COMMAND INFO reports (Redis 7.0's),
/// for commands that take a later version's extra argument: ZRANK and ZREVRANK with
/// WITHSCORE (Redis 7.2). Their handlers check that argument themselves.
pub(crate) const EXTRA_ARITY: &[(&str, u8)] = &[("zrank", 4), ("zrevrank", 4)];

/// Buckets of the command-name index.
const NAME_BUCKETS: usize = 256;

/// A cheap, case-insensitive hash of a command name: its length and first and last
/// bytes, which already tell almost all Redis commands apart.
fn name_bucket(name: &[u8]) -> usize {
    let (first, last) = match (name.first(), name.last()) {
        (Some(f), Some(l)) => (
            f.to_ascii_lowercase() as usize,
            l.to_ascii_lowercase() as usize,
        ),
        _ => (0, 0),
    };
    (name.len() * 31 + first * 7 + last) % NAME_BUCKETS
}

/// Position of the command called `name` (any case) in [`SPECS`], without
/// allocating or copying the name.
pub(crate) fn index(name: &[u8]) -> Option<usize> {
    static INDEX: OnceLock<Vec<Vec<u16>>> = OnceLock::new();
    let buckets = INDEX.get_or_init(|| {
        let mut buckets = vec![Vec::new(); NAME_BUCKETS];
        for (i, spec) in SPECS.iter().enumerate() {
            buckets[name_bucket(spec.name.as_bytes())].push(i as u16);
        }
        buckets
    });
    buckets[name_bucket(name)]
        .iter()
        .map(|&i| usize::from(i))
        .find(|&i| SPECS[i].name.as_bytes().eq_ignore_ascii_case(name))
}

/// What a handler may read and change: the databases, the client's session, the
/// statistics, and the time the command runs at (fixed for the whole command, like
/// Redis's cached `server.mstime`, and read only if needed).
pub(crate) struct Ctx<'a> {
    pub(crate) dbs: &'a mut [Db],
    pub(crate) session: &'a mut Session,
    pub(crate) stats: &'a mut Stats,
    pub(crate) dirty: &'a mut u64,
    pub(crate) random: &'a mut u64,
    pub(crate) now: Now,
    /// The cached time of access stamps.
    pub(crate) access: AccessClock,
    /// Encoding thresholds and size limits.
    pub(crate) tunables: Tunables,
    /// Effects and WATCH touches (see effects.rs).
    pub(crate) fx: &'a mut Fx,
    /// DUMP and RESTORE's payload format, if the owner supplied one (dump.rs).
    pub(crate) codec: Option<&'a dyn crate::dump::DumpCodec>,
}

impl Ctx<'_> {
    /// The time the command runs at, in Unix ms.
    pub(crate) fn now(&mut self) -> i64 {
        self.now.get()
    }

    /// Redis's `checkAlreadyExpired()`: an expire time at or before now deletes the
    /// key at once, except on a replica, which keeps it for its master's DEL.
    pub(crate) fn already_expired(&mut self, when: i64) -> bool {
        self.now.expiry == crate::keyspace::Expiry::Master && when <= self.now.get()
    }

    /// The selected database.
    pub(crate) fn db(&mut self) -> &mut Db {
        &mut self.dbs[self.session.db]
    }

    /// Redis's `lookupKeyRead()`: an expired key is deleted and reported missing, the
    /// lookup counts as a keyspace hit or miss, and a found key's access time (or
    /// LFU counter) is updated.
    pub(crate) fn read(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(self.session.db, key, true, true, true)
    }

    /// `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`: [`Ctx::read`] without updating the
    /// access time (EXISTS, TYPE, TTL, OBJECT).
    pub(crate) fn read_notouch(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(self.session.db, key, true, false, true)
    }

    /// `lookupKeyReadWithFlags(LOOKUP_NOTOUCH|LOOKUP_NONOTIFY)` (OBJECT): no access
    /// time update and no `keymiss` event.
    pub(crate) fn read_nonotify(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(self.session.db, key, true, false, false)
    }

    /// Redis's `lookupKeyWrite()`: like [`Ctx::read`] without the hit/miss count
    /// (nor `keymiss` event).
    pub(crate) fn write(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(self.session.db, key, false, true, false)
    }

    /// [`Ctx::write`] in database `db` (< the number of databases).
    pub(crate) fn write_in(&mut self, db: usize, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(db, key, false, true, false)
    }

    /// A key this command has already looked up, again: without counting or touching
    /// it a second time (Redis would still hold the object).
    pub(crate) fn again(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        self.lookup(self.session.db, key, false, false, false)
    }

    /// `stats`: count a hit or miss; `touch`: update the access stamp; `miss_event`:
    /// raise `keymiss` when the key is not there (after `expired` if it just expired,
    /// as Redis's `lookupKey()` does).
    fn lookup(
        &mut self,
        db: usize,
        key: &[u8],
        stats: bool,
        touch: bool,
        miss_event: bool,
    ) -> Option<Occupied<'_>> {
        match self.dbs[db].find(key, &mut self.now) {
            Found::Live(mut entry) => {
                if touch {
                    let stamp = self
                        .access
                        .touched(entry.lru(), &self.tunables, self.random);
                    entry.set_lru(stamp);
                }
                if stats {
                    self.stats.keyspace_hits += 1;
                }
                Some(entry)
            }
            Found::Expired => {
                self.stats.expired_keys += 1;
                if stats {
                    self.stats.keyspace_misses += 1;
                }
                self.fx.expired(db, key);
                if miss_event {
                    self.fx.notes.push(notify::KEY_MISS, "keymiss", db, key);
                }
                None
            }
            Found::Missing => {
                if stats {
                    self.stats.keyspace_misses += 1;
                }
                if miss_event {
                    self.fx.notes.push(notify::KEY_MISS, "keymiss", db, key);
                }
                None
            }
        }
    }

    /// A write lookup that also gives the place to insert a missing key, in one probe.
    pub(crate) fn entry<'s>(&'s mut self, key: &'s [u8]) -> Slot<'s> {
        self.slot(self.session.db, key, true)
    }

    /// [`Ctx::entry`] in database `db` (< the number of databases).
    pub(crate) fn entry_in<'s>(&'s mut self, db: usize, key: &'s [u8]) -> Slot<'s> {
        self.slot(db, key, true)
    }

    /// [`Ctx::entry`] for a key this command has already looked up (see [`Ctx::again`]).
    pub(crate) fn entry_again<'s>(&'s mut self, key: &'s [u8]) -> Slot<'s> {
        self.slot(self.session.db, key, false)
    }

    fn slot<'s>(&'s mut self, db: usize, key: &'s [u8], touch: bool) -> Slot<'s> {
        let (mut slot, expired) = self.dbs[db].entry(key, &mut self.now);
        if expired {
            self.stats.expired_keys += 1;
            self.fx.expired(db, key);
        }
        match (&mut slot, touch) {
            (Slot::Occupied(entry), true) => {
                let stamp = self
                    .access
                    .touched(entry.lru(), &self.tunables, self.random);
                entry.set_lru(stamp);
            }
            (Slot::Vacant(vacant), _) if self.fx.notes.wants(notify::NEW) => {
                vacant.notify_new(&mut self.fx.notes, db);
            }
            _ => {}
        }
        slot
    }

    /// Propagate `argvs` instead of the command as it was sent: the deterministic form
    /// of a command whose effect depends on time or chance (Redis's
    /// `alsoPropagate`/`rewriteClientCommandVector`), e.g. EXPIRE as PEXPIREAT.
    pub(crate) fn propagate_as(&mut self, argvs: Vec<Vec<Bytes>>) {
        self.fx.replaced = Some(argvs);
    }

    /// Whether effects are being recorded: commands skip building a rewrite nobody
    /// will read. (WATCH touches do not need it: a rewrite names the same key.)
    pub(crate) fn propagating(&self) -> bool {
        self.fx.propagate
    }

    /// [`Ctx::propagate_as`] with one command built from `parts`, if recording.
    pub(crate) fn propagate_one(&mut self, parts: &[&[u8]]) {
        if self.fx.propagate {
            let argv = parts.iter().map(|p| Bytes::copy_from_slice(p)).collect();
            self.fx.replaced = Some(vec![argv]);
        }
    }

    /// Redis's `signalModifiedKey()` for a key the generic rule misses (the command's
    /// key positions, touched after every write): one in another database, or a
    /// write that changed nothing but still counts for WATCH.
    pub(crate) fn touch_key(&mut self, db: usize, key: &[u8]) {
        self.fx.watched.touch(db, key);
    }

    /// Every watched key of database `db` changed (SWAPDB).
    pub(crate) fn touch_db(&mut self, db: usize) {
        self.fx.watched.touch_db(Some(db));
    }

    /// Counts changes, like Redis's `server.dirty++`.
    pub(crate) fn changed(&mut self, n: usize) {
        *self.dirty += n as u64;
    }
}

/// `getLongLongFromObjectOrReply()`.
pub(crate) fn parse_int(arg: &[u8]) -> Result<i64> {
    num::parse_i64(arg).ok_or(Error::NotInteger)
}

/// An integer reply from a count or length.
pub(crate) fn int_reply(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Runs commands against a keyspace with a fixed clock, for the unit tests.

    use bytes::Bytes;
    use ferrodis_resp::Frame;

    use crate::keyspace::{Clock, Keyspace, Session};

    /// A keyspace at time 1_000_000 ms with one session.
    pub(crate) struct Harness {
        pub(crate) ks: Keyspace,
        pub(crate) session: Session,
    }

    impl Harness {
        pub(crate) fn new() -> Harness {
            let mut ks = Keyspace::new(16);
            ks.set_clock(Clock::Fixed(1_000_000));
            // A fixed seed: tests of random behaviour (LFU counters, SPOP) repeat.
            ks.random = 0x9e37_79b9_7f4a_7c15;
            Harness {
                ks,
                session: Session::default(),
            }
        }

        pub(crate) fn at(&mut self, now: i64) -> &mut Harness {
            self.ks.set_clock(Clock::Fixed(now));
            self
        }

        /// Runs a command given as space-separated words.
        pub(crate) fn run(&mut self, line: &str) -> Frame {
            let argv: Vec<Bytes> = line
                .split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect();
            self.run_argv(&argv)
        }

        /// The effects recorded since the last call, each as its words joined
        /// by spaces (as an AOF shows them).
        pub(crate) fn effect_lines(&mut self) -> Vec<String> {
            self.ks
                .take_effects()
                .iter()
                .map(|e| {
                    let words: Vec<_> = e.argv.iter().map(|a| String::from_utf8_lossy(a)).collect();
                    words.join(" ")
                })
                .collect()
        }

        pub(crate) fn run_argv(&mut self, argv: &[Bytes]) -> Frame {
            match self.ks.execute(&mut self.session, argv) {
                Some(frame) => frame,
                None => panic!("not a keyspace command: {argv:?}"),
            }
        }
    }

    pub(crate) fn bulk(s: &str) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    pub(crate) fn err(s: &str) -> Frame {
        Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
    }

    pub(crate) fn ok() -> Frame {
        Frame::ok()
    }

    pub(crate) fn int(n: i64) -> Frame {
        Frame::Integer(n)
    }

    pub(crate) fn arr(items: &[&str]) -> Frame {
        Frame::Array(items.iter().map(|s| bulk(s)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(SPECS.len(), HANDLERS.len());
        for (i, spec) in SPECS.iter().enumerate() {
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert_eq!(index(spec.name.as_bytes()), Some(i), "{}", spec.name);
            assert_eq!(index(spec.name.to_ascii_uppercase().as_bytes()), Some(i));
        }
    }

    #[test]
    fn unknown_names() {
        assert_eq!(index(b"ping"), None);
        assert_eq!(index(b""), None);
        assert_eq!(index(&[b'g'; 100]), None);
    }
}
