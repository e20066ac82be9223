//! Redis's databases, value types, expiry and commands, embeddable without a network.
//!
//! A [`Keyspace`] holds all databases of a server. [`Keyspace::execute`] runs one
//! command given as its arguments (`argv[0]` is the name) and returns the reply as a
//! RESP [`Frame`](ferrodis_resp::Frame), with Redis 7.0's semantics, reply shapes and
//! exact error strings. Keys expire lazily when touched and actively through
//! [`Keyspace::active_expire_cycle`], which the owner calls periodically (Redis does
//! so 10 times per second). [`command_specs`] and [`lookup`] describe the commands
//! for COMMAND and COMMAND DOCS.
//!
//! What it is not: a server. There is no networking, no threads, no locks and no
//! globals; connection commands (PING, HELLO, AUTH, CLIENT, CONFIG, INFO, ...) belong
//! to the server, which gets `None` from `execute` for them. Persistence and
//! replication consume the [`Effect`]s that writes produce; pub/sub publishes the
//! keyspace [`notify`] events they raise (`notify-keyspace-events`, off by default).
//!
//! Supported commands: strings (GET, SET with every option, SETNX, SETEX, PSETEX,
//! GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR,
//! SETRANGE, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, LCS), bitmaps (SETBIT, GETBIT,
//! BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO), lists (LPUSH, RPUSH, LPUSHX,
//! RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE,
//! RPOPLPUSH, LMPOP), sets (SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SMOVE,
//! SPOP, SRANDMEMBER, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
//! SDIFFSTORE), hashes (HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HEXISTS, HLEN,
//! HSTRLEN, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD), sorted sets
//! (ZADD, ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANGE, ZRANGESTORE,
//! ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANK,
//! ZREVRANK, ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX,
//! ZMPOP, ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZINTERCARD,
//! ZRANDMEMBER), keys (DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, EXPIRE,
//! PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, RENAME,
//! RENAMENX, MOVE, COPY, OBJECT) and databases (SELECT, DBSIZE, FLUSHDB, FLUSHALL,
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
mod commands;
mod db;
mod effects;
mod error;
mod expire_cycle;
mod glob;
mod keyspace;
mod ldouble;
pub mod notify;
mod num;
mod spec;
mod stats;
// Public (hidden) only so that benches/table.rs can compare it with a plain table.
#[doc(hidden)]
pub mod table;
mod tunables;
mod types;
mod value;

pub use crate::{
    effects::Effect,
    error::{Error, Result},
    expire_cycle::ExpireBudget,
    glob::glob_match,
    keyspace::{Clock, Keyspace, Session, WatchToken},
    notify::Notification,
    spec::{command_specs, lookup, subcommand_specs, CommandSpec},
    stats::{DbInfo, Stats},
    tunables::{MaxmemoryPolicy, Tunables},
};
