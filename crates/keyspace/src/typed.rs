//! The typed Rust API: [`Database`], one database of a [`Keyspace`] with a method per
//! common command, taking Rust values and returning Rust values.
//!
//! Every method runs the command through [`Keyspace::execute`], so it has exactly
//! the semantics, effects (AOF, replicas), WATCH touches and statistics of the same
//! command sent by a client; only the argument encoding and the reply decoding are
//! done here. Error replies become [`Error`]s whose `Display` is Redis's text.

use std::time::Duration;

use bytes::Bytes;
use ferrodis_resp::{Frame, Protocol};

use crate::error::{Error, Result};
use crate::keyspace::{Keyspace, Session};

/// One database of a [`Keyspace`], for typed calls (see [`Keyspace::db`]).
///
/// ```
/// use std::time::Duration;
/// use ferrodis_keyspace::Keyspace;
///
/// let mut keyspace = Keyspace::new(16);
/// let mut db = keyspace.db(0)?;
/// db.set("user:1", "ada")?;
/// assert_eq!(db.get("user:1")?.as_deref(), Some(&b"ada"[..]));
/// assert_eq!(db.incr_by("visits", 3)?, 3);
/// db.expire("user:1", Duration::from_secs(60))?;
/// assert!(db.ttl("user:1")?.is_some());
/// db.zadd("board", &[(10.0, "ada"), (7.5, "bob")])?;
/// assert_eq!(db.zscore("board", "bob")?, Some(7.5));
/// // Redis's errors, as Redis words them:
/// let err = db.lpush("user:1", &["x"]).unwrap_err();
/// assert!(err.to_string().starts_with("WRONGTYPE"));
/// # Ok::<(), ferrodis_keyspace::Error>(())
/// ```
pub struct Database<'k> {
    keyspace: &'k mut Keyspace,
    session: Session,
}

impl std::fmt::Debug for Database<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("db", &self.session.db)
            .finish_non_exhaustive()
    }
}

/// A key's remaining time to live, as TTL/PTTL report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// The key exists and has no expiry.
    Persistent,
    /// The key expires after this long.
    Expires(Duration),
}

impl Keyspace {
    /// A typed handle on database `index`; `Error::DbIndexOutOfRange` past the last.
    pub fn db(&mut self, index: usize) -> Result<Database<'_>> {
        if index >= self.databases() {
            return Err(Error::DbIndexOutOfRange);
        }
        let session = Session {
            db: index,
            protocol: Protocol::Resp3,
        };
        Ok(Database {
            keyspace: self,
            session,
        })
    }
}

/// An argument: anything that is bytes.
fn arg(a: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(a.as_ref())
}

/// A reply the typed layer did not expect (a bug if it ever happens).
fn unexpected(frame: &Frame) -> Error {
    Error::Reply(format!("ERR unexpected reply {frame:?}"))
}

fn bulk_or_null(frame: Frame) -> Result<Option<Bytes>> {
    match frame {
        Frame::Bulk(b) => Ok(Some(b)),
        Frame::Null => Ok(None),
        other => Err(unexpected(&other)),
    }
}

fn bulks(frame: Frame) -> Result<Vec<Bytes>> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items
            .into_iter()
            .map(|f| bulk_or_null(f)?.ok_or_else(|| unexpected(&Frame::Null)))
            .collect(),
        other => Err(unexpected(&other)),
    }
}

fn integer(frame: Frame) -> Result<i64> {
    match frame {
        Frame::Integer(n) => Ok(n),
        other => Err(unexpected(&other)),
    }
}

fn count(frame: Frame) -> Result<usize> {
    let n = integer(frame)?;
    usize::try_from(n).map_err(|_| unexpected(&Frame::Integer(n)))
}

fn double(frame: Frame) -> Result<f64> {
    match frame {
        Frame::Double(d) => Ok(d),
        Frame::Bulk(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected(&Frame::Bulk(b.clone()))),
        other => Err(unexpected(&other)),
    }
}

/// A score as ZADD/ZINCRBY read it: Rust's shortest round-trip text, `inf`/`-inf`.
fn score_arg(score: f64) -> Bytes {
    Bytes::from(score.to_string())
}

impl Database<'_> {
    /// Runs any command (`argv[0]` is its name) in this database and returns the
    /// reply as a RESP3 frame, errors included; `None` for commands the keyspace
    /// does not have (connection and server commands).
    pub fn execute<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Option<Frame> {
        let argv: Vec<Bytes> = argv.iter().map(arg).collect();
        self.keyspace.execute(&mut self.session, &argv)
    }

    /// Runs a command and turns an error reply into an [`Error`].
    fn run(&mut self, argv: Vec<Bytes>) -> Result<Frame> {
        match self.keyspace.execute(&mut self.session, &argv) {
            Some(Frame::Error(text)) => Err(Error::Reply(String::from_utf8_lossy(&text).into())),
            Some(frame) => Ok(frame),
            None => Err(Error::Reply("ERR unknown command".into())),
        }
    }

    fn key_cmd(&mut self, name: &'static str, key: impl AsRef<[u8]>) -> Result<Frame> {
        self.run(vec![Bytes::from_static(name.as_bytes()), arg(key)])
    }

    fn key_items<I: AsRef<[u8]>>(
        &mut self,
        name: &'static str,
        key: impl AsRef<[u8]>,
        items: &[I],
    ) -> Result<Frame> {
        let mut argv = Vec::with_capacity(items.len() + 2);
        argv.push(Bytes::from_static(name.as_bytes()));
        argv.push(arg(key));
        argv.extend(items.iter().map(arg));
        self.run(argv)
    }

    // Keys.

    /// DEL: how many of `keys` existed.
    pub fn del<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<usize> {
        let mut argv = vec![Bytes::from_static(b"DEL")];
        argv.extend(keys.iter().map(arg));
        count(self.run(argv)?)
    }

    /// EXISTS for one key.
    pub fn exists(&mut self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(integer(self.key_cmd("EXISTS", key)?)? == 1)
    }

    /// TYPE: `None` for a missing key, else "string", "list", "set", "zset", "hash".
    pub fn key_type(&mut self, key: impl AsRef<[u8]>) -> Result<Option<&'static str>> {
        let frame = self.key_cmd("TYPE", key)?;
        let Frame::Simple(name) = &frame else {
            return Err(unexpected(&frame));
        };
        let known = ["string", "list", "set", "zset", "hash"];
        Ok(known.into_iter().find(|k| k.as_bytes() == &name[..]))
    }

    /// KEYS with Redis's glob `pattern`.
    pub fn keys(&mut self, pattern: impl AsRef<[u8]>) -> Result<Vec<Bytes>> {
        bulks(self.key_cmd("KEYS", pattern)?)
    }

    /// DBSIZE.
    pub fn len(&mut self) -> Result<usize> {
        count(self.run(vec![Bytes::from_static(b"DBSIZE")])?)
    }

    /// Whether the database holds no keys.
    pub fn is_empty(&mut self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// PEXPIRE: false if the key does not exist.
    pub fn expire(&mut self, key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let argv = vec![
            Bytes::from_static(b"PEXPIRE"),
            arg(key),
            arg(ms.to_string()),
        ];
        Ok(integer(self.run(argv)?)? == 1)
    }

    /// PERSIST: false if the key is missing or had no TTL.
    pub fn persist(&mut self, key: impl AsRef<[u8]>) -> Result<bool> {
        Ok(integer(self.key_cmd("PERSIST", key)?)? == 1)
    }

    /// PTTL: `None` for a missing key.
    pub fn ttl(&mut self, key: impl AsRef<[u8]>) -> Result<Option<Ttl>> {
        Ok(match integer(self.key_cmd("PTTL", key)?)? {
            -2 => None,
            -1 => Some(Ttl::Persistent),
            ms => Some(Ttl::Expires(Duration::from_millis(ms.max(0) as u64))),
        })
    }

    /// RENAME.
    pub fn rename(&mut self, key: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<()> {
        self.run(vec![Bytes::from_static(b"RENAME"), arg(key), arg(to)])
            .map(drop)
    }

    // Strings.

    /// GET: `None` for a missing key.
    pub fn get(&mut self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        bulk_or_null(self.key_cmd("GET", key)?)
    }

    /// SET without options (any TTL is dropped).
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        self.run(vec![Bytes::from_static(b"SET"), arg(key), arg(value)])
            .map(drop)
    }

    /// SET key value PX ttl.
    pub fn set_ex(
        &mut self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Duration,
    ) -> Result<()> {
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let argv = vec![
            Bytes::from_static(b"SET"),
            arg(key),
            arg(value),
            Bytes::from_static(b"PX"),
            arg(ms.to_string()),
        ];
        self.run(argv).map(drop)
    }

    /// MGET: one `Option` per key.
    pub fn mget<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<Vec<Option<Bytes>>> {
        let mut argv = vec![Bytes::from_static(b"MGET")];
        argv.extend(keys.iter().map(arg));
        match self.run(argv)? {
            Frame::Array(items) => items.into_iter().map(bulk_or_null).collect(),
            other => Err(unexpected(&other)),
        }
    }

    /// INCRBY: the new value.
    pub fn incr_by(&mut self, key: impl AsRef<[u8]>, by: i64) -> Result<i64> {
        let argv = vec![Bytes::from_static(b"INCRBY"), arg(key), arg(by.to_string())];
        integer(self.run(argv)?)
    }

    /// INCRBYFLOAT: the new value.
    pub fn incr_by_float(&mut self, key: impl AsRef<[u8]>, by: f64) -> Result<f64> {
        let argv = vec![Bytes::from_static(b"INCRBYFLOAT"), arg(key), score_arg(by)];
        double(self.run(argv)?)
    }

    /// APPEND: the new length.
    pub fn append(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<usize> {
        count(self.run(vec![Bytes::from_static(b"APPEND"), arg(key), arg(value)])?)
    }

    // Lists.

    /// LPUSH: the new length.
    pub fn lpush<V: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, values: &[V]) -> Result<usize> {
        count(self.key_items("LPUSH", key, values)?)
    }

    /// RPUSH: the new length.
    pub fn rpush<V: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, values: &[V]) -> Result<usize> {
        count(self.key_items("RPUSH", key, values)?)
    }

    /// LPOP of one element.
    pub fn lpop(&mut self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        bulk_or_null(self.key_cmd("LPOP", key)?)
    }

    /// RPOP of one element.
    pub fn rpop(&mut self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        bulk_or_null(self.key_cmd("RPOP", key)?)
    }

    /// LRANGE with Redis's inclusive, negative-from-the-end indexes.
    pub fn lrange(&mut self, key: impl AsRef<[u8]>, start: i64, stop: i64) -> Result<Vec<Bytes>> {
        let argv = vec![
            Bytes::from_static(b"LRANGE"),
            arg(key),
            arg(start.to_string()),
            arg(stop.to_string()),
        ];
        bulks(self.run(argv)?)
    }

    /// LLEN.
    pub fn llen(&mut self, key: impl AsRef<[u8]>) -> Result<usize> {
        count(self.key_cmd("LLEN", key)?)
    }

    // Hashes.

    /// HSET: how many fields were new.
    pub fn hset<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        key: impl AsRef<[u8]>,
        pairs: &[(F, V)],
    ) -> Result<usize> {
        let mut argv = vec![Bytes::from_static(b"HSET"), arg(key)];
        for (f, v) in pairs {
            argv.push(arg(f));
            argv.push(arg(v));
        }
        count(self.run(argv)?)
    }

    /// HGET.
    pub fn hget(
        &mut self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
    ) -> Result<Option<Bytes>> {
        bulk_or_null(self.run(vec![Bytes::from_static(b"HGET"), arg(key), arg(field)])?)
    }

    /// HGETALL, in the hash's order.
    pub fn hgetall(&mut self, key: impl AsRef<[u8]>) -> Result<Vec<(Bytes, Bytes)>> {
        match self.key_cmd("HGETALL", key)? {
            Frame::Map(pairs) => pairs
                .into_iter()
                .map(|(f, v)| match (f, v) {
                    (Frame::Bulk(f), Frame::Bulk(v)) => Ok((f, v)),
                    (f, _) => Err(unexpected(&f)),
                })
                .collect(),
            other => Err(unexpected(&other)),
        }
    }

    /// HDEL: how many fields existed.
    pub fn hdel<F: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, fields: &[F]) -> Result<usize> {
        count(self.key_items("HDEL", key, fields)?)
    }

    /// HINCRBY: the new value.
    pub fn hincr_by(
        &mut self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        by: i64,
    ) -> Result<i64> {
        let argv = vec![
            Bytes::from_static(b"HINCRBY"),
            arg(key),
            arg(field),
            arg(by.to_string()),
        ];
        integer(self.run(argv)?)
    }

    /// HLEN.
    pub fn hlen(&mut self, key: impl AsRef<[u8]>) -> Result<usize> {
        count(self.key_cmd("HLEN", key)?)
    }

    // Sets.

    /// SADD: how many members were new.
    pub fn sadd<M: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, members: &[M]) -> Result<usize> {
        count(self.key_items("SADD", key, members)?)
    }

    /// SREM: how many members existed.
    pub fn srem<M: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, members: &[M]) -> Result<usize> {
        count(self.key_items("SREM", key, members)?)
    }

    /// SISMEMBER.
    pub fn sismember(&mut self, key: impl AsRef<[u8]>, member: impl AsRef<[u8]>) -> Result<bool> {
        let argv = vec![Bytes::from_static(b"SISMEMBER"), arg(key), arg(member)];
        Ok(integer(self.run(argv)?)? == 1)
    }

    /// SMEMBERS, in the set's order.
    pub fn smembers(&mut self, key: impl AsRef<[u8]>) -> Result<Vec<Bytes>> {
        bulks(self.key_cmd("SMEMBERS", key)?)
    }

    /// SCARD.
    pub fn scard(&mut self, key: impl AsRef<[u8]>) -> Result<usize> {
        count(self.key_cmd("SCARD", key)?)
    }

    // Sorted sets.

    /// ZADD of `(score, member)` pairs: how many members were new.
    pub fn zadd<M: AsRef<[u8]>>(
        &mut self,
        key: impl AsRef<[u8]>,
        pairs: &[(f64, M)],
    ) -> Result<usize> {
        let mut argv = vec![Bytes::from_static(b"ZADD"), arg(key)];
        for (score, member) in pairs {
            argv.push(score_arg(*score));
            argv.push(arg(member));
        }
        count(self.run(argv)?)
    }

    /// ZINCRBY: the new score.
    pub fn zincr_by(
        &mut self,
        key: impl AsRef<[u8]>,
        by: f64,
        member: impl AsRef<[u8]>,
    ) -> Result<f64> {
        let argv = vec![
            Bytes::from_static(b"ZINCRBY"),
            arg(key),
            score_arg(by),
            arg(member),
        ];
        double(self.run(argv)?)
    }

    /// ZSCORE.
    pub fn zscore(
        &mut self,
        key: impl AsRef<[u8]>,
        member: impl AsRef<[u8]>,
    ) -> Result<Option<f64>> {
        match self.run(vec![Bytes::from_static(b"ZSCORE"), arg(key), arg(member)])? {
            Frame::Null => Ok(None),
            frame => double(frame).map(Some),
        }
    }

    /// ZRANK: the 0-based rank by ascending score.
    pub fn zrank(
        &mut self,
        key: impl AsRef<[u8]>,
        member: impl AsRef<[u8]>,
    ) -> Result<Option<usize>> {
        match self.run(vec![Bytes::from_static(b"ZRANK"), arg(key), arg(member)])? {
            Frame::Null => Ok(None),
            frame => count(frame).map(Some),
        }
    }

    /// ZRANGE start stop WITHSCORES, by rank.
    pub fn zrange(
        &mut self,
        key: impl AsRef<[u8]>,
        start: i64,
        stop: i64,
    ) -> Result<Vec<(Bytes, f64)>> {
        let argv = vec![
            Bytes::from_static(b"ZRANGE"),
            arg(key),
            arg(start.to_string()),
            arg(stop.to_string()),
            Bytes::from_static(b"WITHSCORES"),
        ];
        match self.run(argv)? {
            Frame::Array(items) => items
                .into_iter()
                .map(|pair| match pair {
                    Frame::Array(mut p) if p.len() == 2 => {
                        let score = double(p.pop().unwrap_or(Frame::Null))?;
                        let member = bulk_or_null(p.pop().unwrap_or(Frame::Null))?;
                        Ok((member.ok_or_else(|| unexpected(&Frame::Null))?, score))
                    }
                    other => Err(unexpected(&other)),
                })
                .collect(),
            other => Err(unexpected(&other)),
        }
    }

    /// ZREM: how many members existed.
    pub fn zrem<M: AsRef<[u8]>>(&mut self, key: impl AsRef<[u8]>, members: &[M]) -> Result<usize> {
        count(self.key_items("ZREM", key, members)?)
    }

    /// ZCARD.
    pub fn zcard(&mut self, key: impl AsRef<[u8]>) -> Result<usize> {
        count(self.key_cmd("ZCARD", key)?)
    }
}
