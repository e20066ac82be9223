//! Commands on whole databases (db.c): SELECT, DBSIZE, FLUSHDB, FLUSHALL.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::error::{Error, Result};
use crate::keyspace::Session;
use crate::spec::CommandSpec;

pub(super) const SELECT: CommandSpec = CommandSpec {
    name: "select",
    arity: 2,
    flags: &["loading", "stale", "fast"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@fast", "@connection"],
    group: "connection",
    summary: "Change the selected database for the current connection",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "index:integer",
};

/// SELECT index
pub(super) fn select(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    select_db(ctx.session, ctx.dbs.len(), &argv[1])
}

/// SELECT's checks and effect on a session, for a server that answers it without
/// the keyspace at hand (Redis serves SELECT while it loads its dataset).
pub fn select_db(session: &mut Session, databases: usize, index: &[u8]) -> Result<Frame> {
    // getIntFromObjectOrReply(): an integer, then within C's int.
    let index = parse_int(index)?;
    if i32::try_from(index).is_err() {
        return Err(Error::OutOfRange {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        });
    }
    match usize::try_from(index) {
        Ok(index) if index < databases => {
            session.db = index;
            Ok(Frame::ok())
        }
        _ => Err(Error::DbIndexOutOfRange),
    }
}

pub(super) const DBSIZE: CommandSpec = CommandSpec {
    name: "dbsize",
    arity: 1,
    flags: &["readonly", "fast"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "server",
    summary: "Return the number of keys in the selected database",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "",
};

/// DBSIZE: keys in the selected database, expired ones not yet reclaimed included.
pub(super) fn dbsize(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame> {
    Ok(int_reply(ctx.db().len()))
}

pub(super) const FLUSHDB: CommandSpec = CommandSpec {
    name: "flushdb",
    arity: -1,
    flags: &["write"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
    group: "server",
    summary: "Remove all keys from the current database",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys in the selected database",
    syntax: "[ASYNC | SYNC]",
};

/// FLUSHDB [ASYNC | SYNC]
pub(super) fn flushdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    check_flush_option(argv)?;
    let removed = ctx.db().clear();
    ctx.changed(removed);
    Ok(Frame::ok())
}

pub(super) const FLUSHALL: CommandSpec = CommandSpec {
    name: "flushall",
    arity: -1,
    flags: &["write"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
    group: "server",
    summary: "Remove all keys from all databases",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    syntax: "[ASYNC | SYNC]",
};

/// FLUSHALL [ASYNC | SYNC]
pub(super) fn flushall(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    check_flush_option(argv)?;
    let removed = ctx.dbs.iter_mut().map(|db| db.clear()).sum();
    ctx.changed(removed);
    Ok(Frame::ok())
}

/// Redis's `getFlushCommandFlags()`: nothing, ASYNC or SYNC. Both flush synchronously
/// for now; freeing in the background comes later.
fn check_flush_option(argv: &[Bytes]) -> Result<()> {
    match argv {
        [_] => Ok(()),
        [_, opt] if opt.eq_ignore_ascii_case(b"async") || opt.eq_ignore_ascii_case(b"sync") => {
            Ok(())
        }
        _ => Err(Error::Syntax),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, ok, Harness};
    use ferrodis_resp::Frame;

    #[test]
    fn select_switches_databases() {
        let mut h = Harness::new();
        h.run("set k zero");
        assert_eq!(h.run("select 15"), ok());
        assert_eq!(h.session.db, 15);
        assert_eq!(h.run("get k"), Frame::Null);
        h.run("set k fifteen");
        h.run("select 0");
        assert_eq!(h.run("get k"), bulk("zero"));
        assert_eq!(h.ks.dbsize(15), 1);
    }

    #[test]
    fn select_errors() {
        let mut h = Harness::new();
        let range = err("ERR DB index is out of range");
        assert_eq!(h.run("select 16"), range);
        assert_eq!(h.run("select -1"), range);
        assert_eq!(
            h.run("select abc"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("select 99999999999"),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(h.session.db, 0);
    }

    #[test]
    fn dbsize_and_flushes() {
        let mut h = Harness::new();
        h.run("mset a 1 b 2 c 3");
        assert_eq!(h.run("dbsize"), int(3));
        h.run("select 1");
        h.run("set x 1");
        assert_eq!(h.run("flushdb"), ok());
        assert_eq!(h.run("dbsize"), int(0));
        assert_eq!(h.ks.dbsize(0), 3);
        h.run("set x 1");
        assert_eq!(h.run("flushall sync"), ok());
        assert_eq!((h.ks.dbsize(0), h.ks.dbsize(1)), (0, 0));
        assert_eq!(h.run("flushdb ASYNC"), ok());
        assert_eq!(h.ks.dirty(), 3 + 1 + 1 + 1 + 4);
    }

    #[test]
    fn flush_options() {
        let mut h = Harness::new();
        assert_eq!(h.run("flushdb foo"), err("ERR syntax error"));
        assert_eq!(h.run("flushall async x"), err("ERR syntax error"));
        assert_eq!(
            h.run("dbsize x"),
            err("ERR wrong number of arguments for 'dbsize' command")
        );
    }
}
