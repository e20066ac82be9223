//! The command table and what every command handler shares.
//!
//! Each command is a `CommandSpec` constant plus a handler of one shape,
//! [`Handler`], next to each other in the file of its group; the `table!` below
//! lists them once, in one order, for both [`SPECS`] and the dispatch.

mod counter;
mod database;
mod expire;
mod keys;
mod list;
pub(crate) mod scan;
mod string;
mod string_edit;
mod string_multi;

use std::sync::OnceLock;

use bytes::Bytes;
use ferrodis_resp::Frame;

use crate::db::{Db, Found, Occupied, Slot};
use crate::error::{Error, Result};
use crate::keyspace::{Now, Session};
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
    // Databases.
    database::SELECT => select,
    database::DBSIZE => dbsize,
    database::FLUSHDB => flushdb,
    database::FLUSHALL => flushall,
}

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
    /// Encoding thresholds and size limits.
    pub(crate) tunables: Tunables,
}

impl Ctx<'_> {
    /// The time the command runs at, in Unix ms.
    pub(crate) fn now(&mut self) -> i64 {
        self.now.get()
    }

    /// The selected database.
    pub(crate) fn db(&mut self) -> &mut Db {
        &mut self.dbs[self.session.db]
    }

    /// Redis's `lookupKeyRead()`: an expired key is deleted and reported missing, and
    /// the lookup counts as a keyspace hit or miss.
    pub(crate) fn read(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        match self.dbs[self.session.db].find(key, &mut self.now) {
            Found::Live(entry) => {
                self.stats.keyspace_hits += 1;
                Some(entry)
            }
            Found::Expired => {
                self.stats.expired_keys += 1;
                self.stats.keyspace_misses += 1;
                None
            }
            Found::Missing => {
                self.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Redis's `lookupKeyWrite()`: like [`Ctx::read`] without the hit/miss count.
    pub(crate) fn write(&mut self, key: &[u8]) -> Option<Occupied<'_>> {
        match self.dbs[self.session.db].find(key, &mut self.now) {
            Found::Live(entry) => Some(entry),
            Found::Expired => {
                self.stats.expired_keys += 1;
                None
            }
            Found::Missing => None,
        }
    }

    /// A write lookup that also gives the place to insert a missing key, in one probe.
    pub(crate) fn entry<'s>(&'s mut self, key: &'s [u8]) -> Slot<'s> {
        let (slot, expired) = self.dbs[self.session.db].entry(key, &mut self.now);
        if expired {
            self.stats.expired_keys += 1;
        }
        slot
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
