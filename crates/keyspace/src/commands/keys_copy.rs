//! Commands that move or copy keys between names and databases (db.c): RENAME,
//! RENAMENX, MOVE, COPY, SWAPDB.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::value::Value;

pub(super) const RENAME: CommandSpec = CommandSpec {
    name: "rename",
    arity: 3,
    flags: &["write"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@slow"],
    group: "generic",
    summary: "Rename a key",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key newkey:key",
};

/// RENAME key newkey: overwrites newkey; the TTL moves with the value.
pub(super) fn rename(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    rename_generic(ctx, argv, false)
}

pub(super) const RENAMENX: CommandSpec = CommandSpec {
    name: "renamenx",
    arity: 3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Rename a key, only if the new key does not exist",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key newkey:key",
};

/// RENAMENX key newkey: 1 if renamed, 0 if newkey exists.
pub(super) fn renamenx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    rename_generic(ctx, argv, true)
}

/// Redis's `renameGenericCommand()`: a missing source is an error even when both
/// names are the same; renaming a key onto itself changes nothing.
fn rename_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], nx: bool) -> Result<Frame> {
    let (src, dst) = (&argv[1], &argv[2]);
    if ctx.write(src).is_none() {
        return Err(Error::NoSuchKey);
    }
    let done = || {
        if nx {
            Frame::Integer(1)
        } else {
            Frame::ok()
        }
    };
    if src == dst {
        return Ok(if nx { Frame::Integer(0) } else { Frame::ok() });
    }
    if let Some(existing) = ctx.write(dst) {
        if nx {
            return Ok(Frame::Integer(0));
        }
        existing.remove();
    }
    let db = ctx.session.db;
    move_key(ctx, db, src, db, dst);
    ctx.changed(1);
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    Ok(done())
}

/// Moves the live key `src` of database `from` to the missing key `dst` of database
/// `to`, with its TTL and access stamp (the object itself moves in Redis).
fn move_key(ctx: &mut Ctx<'_>, from: usize, src: &[u8], to: usize, dst: &[u8]) {
    let Some(gone) = ctx.dbs[from].remove(src) else {
        return;
    };
    let (expire_at, lru) = (gone.expire_at(), gone.lru());
    if let Slot::Vacant(slot) = ctx.entry_in(to, dst) {
        let mut entry = slot.insert(gone.into_value());
        if let Some(when) = expire_at {
            entry.set_expire(when);
        }
        entry.set_lru(lru);
    }
}

pub(super) const MOVE: CommandSpec = CommandSpec {
    name: "move",
    arity: 3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Move a key to another database",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key db:integer",
};

/// MOVE key db: 1 if moved, 0 if the key is missing or already exists there.
pub(super) fn move_(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let to = db_index(ctx, &argv[2])?;
    let from = ctx.session.db;
    if to == from {
        return Err(Error::SameObject);
    }
    let key = &argv[1];
    if ctx.write(key).is_none() || ctx.write_in(to, key).is_some() {
        return Ok(Frame::Integer(0));
    }
    move_key(ctx, from, key, to, key);
    // The key in this database is touched as the command's key; the target's here.
    ctx.touch_key(to, key);
    ctx.changed(1);
    ctx.notify_in(from, notify::GENERIC, "move_from", key);
    ctx.notify_in(to, notify::GENERIC, "move_to", key);
    Ok(Frame::Integer(1))
}

/// A database index as MOVE and COPY take it (`getIntFromObjectOrReply()`, then
/// `selectDb()`).
fn db_index(ctx: &Ctx<'_>, arg: &[u8]) -> Result<usize> {
    let index = parse_int(arg)?;
    if i32::try_from(index).is_err() {
        return Err(Error::OutOfRange {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        });
    }
    usize::try_from(index)
        .ok()
        .filter(|&i| i < ctx.dbs.len())
        .ok_or(Error::DbIndexOutOfRange)
}

pub(super) const COPY: CommandSpec = CommandSpec {
    name: "copy",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@slow"],
    group: "generic",
    summary: "Copy a key",
    since: "6.2.0",
    complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    syntax: "source:key destination:key [DB destination-db:integer] [REPLACE]",
};

/// COPY source destination [DB destination-db] [REPLACE]: 1 if copied, 0 if the
/// source is missing or the destination exists (without REPLACE). The copy is deep
/// and keeps the TTL; its access time starts afresh, as a new object's does.
pub(super) fn copy(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let from = ctx.session.db;
    let mut to = from;
    let mut replace = false;
    let mut options = argv[3..].iter();
    while let Some(opt) = options.next() {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && options.len() >= 1 {
            let index = options.next().ok_or(Error::Syntax)?;
            to = db_index(ctx, index)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    let (src, dst) = (&argv[1], &argv[2]);
    if from == to && src == dst {
        return Err(Error::SameObject);
    }
    let Some(source) = ctx.read(src) else {
        return Ok(Frame::Integer(0));
    };
    let value: Value = source.value().clone();
    let expire_at = source.expire_at();
    if let Some(existing) = ctx.write_in(to, dst) {
        if !replace {
            return Ok(Frame::Integer(0));
        }
        existing.remove();
    }
    if let Slot::Vacant(slot) = ctx.entry_in(to, dst) {
        let mut entry = slot.insert(value);
        if let Some(when) = expire_at {
            entry.set_expire(when);
        }
    }
    ctx.touch_key(to, dst);
    ctx.changed(1);
    ctx.notify_in(to, notify::GENERIC, "copy_to", dst);
    Ok(Frame::Integer(1))
}

pub(super) const SWAPDB: CommandSpec = CommandSpec {
    name: "swapdb",
    arity: 3,
    flags: &["write", "fast"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@write", "@fast", "@dangerous"],
    group: "server",
    summary: "Swaps two Redis databases",
    since: "4.0.0",
    complexity:
        "O(N) where N is the count of clients watching or blocking on keys from both databases.",
    syntax: "index1:integer index2:integer",
};

/// SWAPDB index1 index2: every client of one database sees the other's keys.
/// (Clients blocked on keys are to be woken when blocking commands exist.)
pub(super) fn swapdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    // getIntFromObjectOrReply() with a message of its own for both failures.
    let int = |arg: &[u8], error: Error| match parse_int(arg) {
        Ok(n) if i32::try_from(n).is_ok() => Ok(n),
        _ => Err(error),
    };
    let a = int(&argv[1], Error::InvalidFirstDbIndex)?;
    let b = int(&argv[2], Error::InvalidSecondDbIndex)?;
    let n = ctx.dbs.len();
    let index = |i: i64| usize::try_from(i).ok().filter(|&i| i < n);
    let (Some(a), Some(b)) = (index(a), index(b)) else {
        return Err(Error::DbIndexOutOfRange);
    };
    // Blocked clients stay with their database index; keys they wait for that
    // the swap brought in become ready.
    crate::blocking::swap_databases(ctx.dbs, a, b);
    // Redis touches the watched keys of both databases that exist in either; all of
    // them is a superset, which at worst fails a transaction that could have run.
    ctx.touch_db(a);
    ctx.touch_db(b);
    ctx.changed(1);
    Ok(Frame::ok())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, ok, Harness};
    use ferrodis_resp::Frame;

    #[test]
    fn rename_moves_value_and_ttl() {
        let mut h = Harness::new();
        assert_eq!(h.run("rename a b"), err("ERR no such key"));
        assert_eq!(h.run("rename a a"), err("ERR no such key"));
        assert_eq!(h.run("renamenx a a"), err("ERR no such key"));
        h.run("set a 1 px 5000");
        h.run("rpush b x y");
        assert_eq!(h.run("rename a a"), ok());
        assert_eq!(h.run("renamenx a a"), int(0));
        assert_eq!(
            h.run("pttl a"),
            int(5000),
            "renaming onto itself changes nothing"
        );
        assert_eq!(h.run("rename a b"), ok(), "overwrites a list");
        assert_eq!(h.run("get b"), bulk("1"));
        assert_eq!(h.run("pttl b"), int(5000));
        assert_eq!(h.run("exists a"), int(0));
        h.run("set c 3");
        assert_eq!(h.run("rename c b"), ok());
        assert_eq!(h.run("pttl b"), int(-1), "the TTL goes with the value");
        assert_eq!(h.ks.db_info(0).expires, 0);
        assert_eq!(h.ks.dirty(), 1 + 2 + 1 + 1 + 1);
    }

    #[test]
    fn renamenx_keeps_an_existing_key() {
        let mut h = Harness::new();
        h.run("mset a 1 b 2");
        assert_eq!(h.run("renamenx a b"), int(0));
        assert_eq!(h.run("get b"), bulk("2"));
        assert_eq!(h.run("renamenx a c"), int(1));
        assert_eq!(h.run("get c"), bulk("1"));
        // An expired destination does not exist.
        h.run("set d 4 px 10");
        h.at(1_000_011);
        assert_eq!(h.run("renamenx c d"), int(1));
        assert_eq!(h.run("get d"), bulk("1"));
        assert_eq!(h.ks.stats().expired_keys, 1);
    }

    #[test]
    fn rename_of_an_expired_key() {
        let mut h = Harness::new();
        h.run("set a 1 px 10");
        h.at(1_000_011);
        assert_eq!(h.run("rename a b"), err("ERR no such key"));
        assert_eq!(h.ks.dbsize(0), 0);
    }

    #[test]
    fn move_between_databases() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("move a 0"),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(h.run("move a 1"), int(0));
        h.run("set a 1 ex 100");
        assert_eq!(h.run("move a 1"), int(1));
        assert_eq!(h.run("exists a"), int(0));
        h.run("select 1");
        assert_eq!(h.run("get a"), bulk("1"));
        assert_eq!(h.run("ttl a"), int(100));
        h.run("select 0");
        h.run("set a 2");
        assert_eq!(h.run("move a 1"), int(0), "the target has the key");
        assert_eq!(h.run("get a"), bulk("2"));
        assert_eq!(h.ks.db_info(1).expires, 1);
        assert_eq!(h.ks.dirty(), 1 + 1 + 1);
    }

    #[test]
    fn move_errors() {
        let mut h = Harness::new();
        h.run("set a 1");
        let range = err("ERR DB index is out of range");
        assert_eq!(h.run("move a 16"), range);
        assert_eq!(h.run("move a -1"), range);
        assert_eq!(h.run("move nokey 16"), range);
        assert_eq!(
            h.run("move a x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("move a 99999999999"),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(
            h.run("move nokey 0"),
            err("ERR source and destination objects are the same")
        );
    }

    #[test]
    fn copy_is_deep_and_keeps_the_ttl() {
        let mut h = Harness::new();
        h.run("rpush l a b c");
        h.run("pexpire l 5000");
        assert_eq!(h.run("copy l m"), int(1));
        assert_eq!(h.run("pttl m"), int(5000));
        h.run("rpush m d");
        h.run("lset m 0 z");
        assert_eq!(h.run("lrange l 0 -1"), arr(&["a", "b", "c"]));
        assert_eq!(h.run("lrange m 0 -1"), arr(&["z", "b", "c", "d"]));
        h.run("set s hello");
        assert_eq!(h.run("copy s t"), int(1));
        h.run("append t !");
        assert_eq!(h.run("get s"), bulk("hello"));
        assert_eq!(h.run("get t"), bulk("hello!"));
        h.run("set n 12");
        assert_eq!(h.run("copy n n2 db 3"), int(1));
        h.run("select 3");
        assert_eq!(h.run("incr n2"), int(13));
        assert_eq!(h.run("object encoding n2"), bulk("int"));
    }

    #[test]
    fn copy_replace_and_existing_destinations() {
        let mut h = Harness::new();
        h.run("mset a 1 b 2");
        h.run("expire b 100");
        assert_eq!(h.run("copy a b"), int(0));
        assert_eq!(h.run("get b"), bulk("2"));
        assert_eq!(h.run("copy a b REPLACE"), int(1));
        assert_eq!(h.run("get b"), bulk("1"));
        assert_eq!(h.run("ttl b"), int(-1), "REPLACE drops the old TTL");
        assert_eq!(h.run("copy nokey b replace"), int(0));
        assert_eq!(h.run("copy a a db 1"), int(1));
        assert_eq!(h.run("copy a b replace replace"), int(1));
        assert_eq!(
            h.ks.stats().keyspace_misses,
            1,
            "the source lookup is a read"
        );
    }

    #[test]
    fn copy_errors() {
        let mut h = Harness::new();
        h.run("set a 1");
        let same = err("ERR source and destination objects are the same");
        assert_eq!(h.run("copy a a"), same);
        assert_eq!(h.run("copy a a db 0"), same);
        assert_eq!(h.run("copy nokey nokey"), same);
        assert_eq!(h.run("copy a b db 16"), err("ERR DB index is out of range"));
        assert_eq!(
            h.run("copy a b db 1 db 16"),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            h.run("copy a b db x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("copy a b db 99999999999"),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(h.run("copy a b db"), err("ERR syntax error"));
        assert_eq!(h.run("copy a b foo"), err("ERR syntax error"));
        assert_eq!(h.ks.dirty(), 1);
    }

    #[test]
    fn swapdb() {
        let mut h = Harness::new();
        h.run("set a zero ex 100");
        h.run("select 1");
        h.run("set b one");
        assert_eq!(h.run("swapdb 0 1"), ok());
        assert_eq!(
            h.run("get a"),
            bulk("zero"),
            "this client now sees db 0's keys"
        );
        assert_eq!(h.run("ttl a"), int(100));
        assert_eq!(h.run("get b"), Frame::Null);
        assert_eq!(h.ks.db_info(0).keys, 1);
        assert_eq!(h.ks.db_info(1).expires, 1);
        assert_eq!(h.run("swapdb 1 1"), ok());
        assert_eq!(h.ks.dirty(), 2 + 2);
    }

    #[test]
    fn swapdb_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run("swapdb x 0"), err("ERR invalid first DB index"));
        assert_eq!(h.run("swapdb 0 x"), err("ERR invalid second DB index"));
        assert_eq!(
            h.run("swapdb 99999999999 0"),
            err("ERR invalid first DB index")
        );
        assert_eq!(
            h.run("swapdb 0 99999999999"),
            err("ERR invalid second DB index")
        );
        assert_eq!(h.run("swapdb 0 16"), err("ERR DB index is out of range"));
        assert_eq!(h.run("swapdb -1 0"), err("ERR DB index is out of range"));
        assert_eq!(h.ks.dirty(), 0);
    }
}
