//! Redis's databases, value types, expiry and commands, embeddable without a network.
//!
//! A [`Keyspace`] holds all databases of a server. [`Keyspace::execute`] runs one
//! command given as its arguments (`argv[0]` is the name) and returns the reply as a
//! RESP [`Frame`](ferrodis_resp::Frame), with Redis 7.0's semantics, reply shapes and
//! exact error strings. Keys expire lazily when touched and actively through
//! [`Keyspace::active_expire_cycle`], which the owner calls periodically (Redis does
//! so 10 times per second). [`Keyspace::evict_one`] deletes the key the
//! `maxmemory-policy` picks, for an owner that measures memory. [`command_specs`] and
//! [`lookup`] describe the commands for COMMAND and COMMAND DOCS.
//!
//! [`Keyspace::db`] gives the same commands as typed Rust methods ([`Database`]:
//! `get`, `set`, `incr_by`, `lpush`, `hgetall`, `zadd`, ...), for programs that embed
//! the keyspace; they run through `execute`, so the semantics are identical.
//!
//! What it is not: a server. There is no networking, no threads, no locks and no
//! globals; connection commands (PING, HELLO, AUTH, CLIENT, CONFIG, INFO, ...) belong
//! to the server, which gets `None` from `execute` for them. Persistence and
//! replication consume the [`Effect`]s that writes produce; pub/sub publishes the
//! keyspace [`notify`] events they raise (`notify-keyspace-events`, off by default).
//! Blocking commands
//! (BLPOP, BZPOPMIN, ...) block only through [`Keyspace::execute_blocking`]: the
//! keyspace keeps the blocked clients and serves them ([`Keyspace::serve_blocked`]);
//! the owner waits and delivers the replies.
//!
//! Supported commands: strings (GET, SET with every option, SETNX, SETEX, PSETEX,
//! GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR,
//! SETRANGE, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, LCS), bitmaps (SETBIT, GETBIT,
//! BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO), lists (LPUSH, RPUSH, LPUSHX,
//! RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE,
//! RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), sets (SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SMOVE,
//! SPOP, SRANDMEMBER, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
//! SDIFFSTORE, SSCAN), hashes (HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HEXISTS, HLEN,
//! HSTRLEN, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN), sorted sets
//! (ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANGE, ZRANGESTORE,
//! ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANK,
//! ZREVRANK, ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX,
//! ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZINTERCARD,
//! ZRANDMEMBER, ZSCAN), keys (DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, EXPIRE,
//! PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, RENAME,
//! RENAMENX, MOVE, COPY, OBJECT, SORT, SORT_RO) and databases (SELECT, DBSIZE, FLUSHDB, FLUSHALL,
//! SWAPDB).
//!
//! ```
//! use bytes::Bytes;
//! use ferrodis_keyspace::{Keyspace, Session};
//! use ferrodis_resp::Frame;
//!
//! let mut keyspace = Keyspace::new(16);
//! let mut session = Session::default();
//! let mut run = |words: &[&'static str]| {
//!     let argv: Vec<Bytes> = words.iter().map(|w| Bytes::from_static(w.as_bytes())).collect();
//!     keyspace.execute(&mut session, &argv)
//! };
//!
//! assert_eq!(run(&["SET", "greeting", "hello", "EX", "60"]), Some(Frame::ok()));
//! assert_eq!(run(&["GET", "greeting"]), Some(Frame::Bulk(Bytes::from_static(b"hello"))));
//! assert_eq!(run(&["TTL", "greeting"]), Some(Frame::Integer(60)));
//! assert_eq!(run(&["INCR", "greeting"]), Some(Frame::static_error(
//!     "ERR value is not an integer or out of range"
//! )));
//! assert_eq!(run(&["PING"]), None); // not a keyspace command
//! ```

mod access;
mod bignum;
mod blocking;
mod commands;
mod db;
mod dump;
mod effects;
mod entry;
mod error;
mod evict;
mod expire_cycle;
mod glob;
mod keyspace;
mod ldouble;
mod load;
pub mod notify;
mod num;
mod persist;
mod replace;
mod rewrite;
mod spec;
mod stats;
// Public (hidden) only so that benches/table.rs can compare it with a plain table.
#[doc(hidden)]
pub mod table;
mod tunables;
mod typed;
mod types;
mod value;
mod view;

pub use crate::{
    blocking::Outcome,
    commands::select_db,
    dump::{DumpCodec, RestoreError},
    effects::Effect,
    error::{Error, Result},
    evict::Evicted,
    expire_cycle::ExpireBudget,
    glob::glob_match,
    keyspace::{Clock, Expiry, Keyspace, Session, WatchToken},
    load::{EachPair, EachScalar, EachScored, LoadValue},
    notify::Notification,
    persist::PersistSink,
    rewrite::{rewrite_commands, REWRITE_ITEMS_PER_CMD},
    spec::{command_specs, lookup, subcommand_specs, CommandSpec},
    stats::{DbInfo, Stats},
    tunables::{MaxmemoryPolicy, Tunables},
    typed::{Database, Ttl},
    view::{EntryView, HashView, ListView, Scalar, SetView, ValueView, ZSetView},
};
