//! Hash writes (t_hash.c): HSET, HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::ldouble::LongDouble;
use crate::notify;
use crate::num;
use crate::spec::CommandSpec;
use crate::tunables::Tunables;
use crate::types::hash::Hash;
use crate::value::Value;

pub(super) const HSET: CommandSpec = CommandSpec {
    name: "hset",
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Set the string value of a hash field",
    since: "2.0.0",
    complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    syntax: "key (field value)...",
};

/// HSET key field value [field value ...]: the number of new fields.
pub(super) fn hset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    set_pairs(ctx, argv, "hset").map(int_reply)
}

pub(super) const HMSET: CommandSpec = CommandSpec {
    name: "hmset",
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Set multiple hash fields to multiple values",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being set.",
    syntax: "key (field value)...",
};

/// HMSET key field value [field value ...]: HSET replying OK (deprecated since 4.0).
pub(super) fn hmset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    set_pairs(ctx, argv, "hmset").map(|_| Frame::ok())
}

/// Redis's `hsetCommand()`: every pair counts as a change, new or not.
fn set_pairs(ctx: &mut Ctx<'_>, argv: &[Bytes], command: &'static str) -> Result<usize> {
    // The arity only says "at least 4"; a field without a value is an arity error.
    if argv.len() % 2 == 1 {
        return Err(Error::WrongArity { command });
    }
    let tunables = ctx.tunables;
    let pairs = &argv[2..];
    let created = edit_or_create(ctx, &argv[1], |h| Ok(h.set_pairs(pairs, &tunables)))?;
    ctx.changed(pairs.len() / 2);
    ctx.notify(notify::HASH, "hset", &argv[1]);
    Ok(created)
}

/// Runs `edit` on the hash at `key`, or on a new one stored there afterwards
/// (Redis's `hashTypeLookupWriteOrCreate()`); WRONGTYPE for another type. An `edit`
/// error leaves a new hash unstored.
fn edit_or_create<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    edit: impl FnOnce(&mut Hash) -> Result<R>,
) -> Result<R> {
    match ctx.entry(key) {
        Slot::Occupied(mut entry) => edit(entry.value_mut().hash_mut()?),
        Slot::Vacant(slot) => {
            let mut hash = Hash::default();
            let result = edit(&mut hash)?;
            slot.insert(Value::Hash(hash));
            Ok(result)
        }
    }
}

pub(super) const HSETNX: CommandSpec = CommandSpec {
    name: "hsetnx",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Set the value of a hash field, only if the field does not exist",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key field value",
};

/// HSETNX key field value: 1 if set, 0 if the field existed.
pub(super) fn hsetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let tunables = ctx.tunables;
    let (field, value) = (&argv[2][..], &argv[3][..]);
    let set = edit_or_create(ctx, &argv[1], |h| {
        if h.get(field).is_some() {
            return Ok(false);
        }
        h.prepare([field.len(), value.len()].into_iter(), &tunables);
        h.set(field, value, &tunables);
        Ok(true)
    })?;
    if set {
        ctx.changed(1);
        ctx.notify(notify::HASH, "hset", &argv[1]);
    }
    Ok(Frame::Integer(i64::from(set)))
}

pub(super) const HDEL: CommandSpec = CommandSpec {
    name: "hdel",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Delete one or more hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields to be removed.",
    syntax: "key field...",
};

/// HDEL key field [field ...]: the number of fields deleted; an emptied hash is
/// deleted.
pub(super) fn hdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let hash = entry.value_mut().hash_mut()?;
    let deleted = argv[2..].iter().filter(|f| hash.remove(f)).count();
    let emptied = hash.len() == 0;
    if emptied {
        entry.remove();
    }
    ctx.changed(deleted);
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", &argv[1]);
        if emptied {
            ctx.notify_del(&argv[1]);
        }
    }
    Ok(int_reply(deleted))
}

pub(super) const HINCRBY: CommandSpec = CommandSpec {
    name: "hincrby",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Increment the integer value of a hash field by the given number",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key field increment:integer",
};

/// HINCRBY key field increment: a missing field counts as 0.
pub(super) fn hincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let by = parse_int(&argv[3])?;
    let tunables = ctx.tunables;
    let field = &argv[2][..];
    let result = edit_or_create(ctx, &argv[1], |h| {
        let current = match h.get(field) {
            // string2ll(): the same strict syntax as INCR.
            Some(v) => num::parse_i64(v).ok_or(Error::HashNotInteger)?,
            None => 0,
        };
        let result = current.checked_add(by).ok_or(Error::IncrOverflow)?;
        let mut buf = [0u8; 20];
        h.set(field, num::format_i64(result, &mut buf), &tunables);
        Ok(result)
    })?;
    ctx.changed(1);
    ctx.notify(notify::HASH, "hincrby", &argv[1]);
    Ok(Frame::Integer(result))
}

pub(super) const HINCRBYFLOAT: CommandSpec = CommandSpec {
    name: "hincrbyfloat",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@hash", "@fast"],
    group: "hash",
    summary: "Increment the float value of a hash field by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key field increment:double",
};

/// HINCRBYFLOAT key field increment: in `long double` precision and printed like
/// INCRBYFLOAT (see [`LongDouble`]).
pub(super) fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let by = LongDouble::parse(&argv[3]).ok_or(Error::NotFloat)?;
    // string2ld() accepts "inf"; HINCRBYFLOAT refuses it before touching the key.
    if !by.is_finite() {
        return Err(Error::ValueNanOrInfinity);
    }
    let tunables: Tunables = ctx.tunables;
    let field = &argv[2][..];
    let text = edit_or_create(ctx, &argv[1], |h| {
        let current = match h.get(field) {
            Some(v) => LongDouble::parse(v).ok_or(Error::HashNotFloat)?,
            None => LongDouble::from_i64(0),
        };
        let sum = current.add(by);
        if !sum.is_finite() {
            return Err(Error::NanOrInfinity);
        }
        let text = sum.to_human();
        h.set(field, &text, &tunables);
        Ok(text)
    })?;
    ctx.changed(1);
    ctx.notify(notify::HASH, "hincrbyfloat", &argv[1]);
    // As `hincrbyfloatCommand`: replicas get the result, not the increment.
    ctx.propagate_one(&[b"HSET", &argv[1], field, &text]);
    Ok(Frame::Bulk(Bytes::from(text)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, ok, Harness};
    use crate::tunables::Tunables;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn encoding(h: &mut Harness, key: &str) -> &'static str {
        let db = &mut h.ks.dbs[h.session.db];
        match db.find(key.as_bytes(), &mut crate::keyspace::Now::fixed(0)) {
            crate::db::Found::Live(e) => e.value().encoding(),
            _ => "none",
        }
    }

    #[test]
    fn hset_hmset_hsetnx() {
        let mut h = Harness::new();
        assert_eq!(h.run("hset h a 1 b 2"), int(2));
        assert_eq!(h.run("hset h a 3 c 4"), int(1));
        assert_eq!(h.run("hmset h d 5"), ok());
        assert_eq!(h.run("hget h a"), bulk("3"));
        assert_eq!(h.run("hsetnx h a 9"), int(0));
        assert_eq!(h.run("hsetnx h e 9"), int(1));
        assert_eq!(h.run("hsetnx new f v"), int(1));
        assert_eq!(h.run("hget h e"), bulk("9"));
        assert_eq!(h.run("hlen h"), int(5));
        assert_eq!(h.ks.dirty(), 2 + 2 + 1 + 1 + 1);
        assert_eq!(encoding(&mut h, "h"), "listpack");
    }

    #[test]
    fn hset_errors() {
        let mut h = Harness::new();
        for (line, name) in [
            ("hset h a", "hset"),
            ("hset h a 1 b", "hset"),
            ("hmset h a", "hmset"),
        ] {
            let want = format!("ERR wrong number of arguments for '{name}' command");
            assert_eq!(h.run(line), err(&want), "{line}");
        }
        h.run("set s v");
        for line in [
            "hset s a 1",
            "hmset s a 1",
            "hsetnx s a 1",
            "hdel s a",
            "hincrby s a 1",
            "hincrbyfloat s a 1",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(h.run("get s"), bulk("v"));
        h.run("hset h f v");
        for line in [
            "get h",
            "append h x",
            "incr h",
            "incrbyfloat h 1",
            "strlen h",
            "lpush h x",
            "setrange h 0 x",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(h.run("type h"), ferrodis_resp::Frame::simple("hash"));
        assert_eq!(h.ks.dirty(), 2);
    }

    #[test]
    fn hdel_deletes_emptied_hashes() {
        let mut h = Harness::new();
        assert_eq!(h.run("hdel h a"), int(0));
        h.run("hset h a 1 b 2 c 3");
        assert_eq!(h.run("hdel h a x a"), int(1));
        assert_eq!(h.run("hdel h b c d"), int(2));
        assert_eq!(h.run("exists h"), int(0));
        assert_eq!(h.ks.dirty(), 3 + 3);
    }

    #[test]
    fn hincrby() {
        let mut h = Harness::new();
        assert_eq!(h.run("hincrby h n 5"), int(5));
        assert_eq!(h.run("hincrby h n -7"), int(-2));
        h.run("hset h s abc i 010 big 9223372036854775807 small -9223372036854775808");
        assert_eq!(
            h.run("hincrby h s 1"),
            err("ERR hash value is not an integer")
        );
        assert_eq!(
            h.run("hincrby h i 1"),
            err("ERR hash value is not an integer")
        );
        let overflow = err("ERR increment or decrement would overflow");
        assert_eq!(h.run("hincrby h big 1"), overflow);
        assert_eq!(h.run("hincrby h small -1"), overflow);
        assert_eq!(h.run("hincrby h big -1"), int(i64::MAX - 1));
        let not_int = err("ERR value is not an integer or out of range");
        assert_eq!(h.run("hincrby h n x"), not_int);
        assert_eq!(h.run("hincrby other n 1.5"), not_int);
        assert_eq!(
            h.run("exists other"),
            int(0),
            "no key on a failed increment"
        );
        assert_eq!(h.run("hget h n"), bulk("-2"));
        assert_eq!(h.ks.dirty(), 2 + 4 + 1);
    }

    #[test]
    fn hincrbyfloat() {
        let mut h = Harness::new();
        assert_eq!(h.run("hincrbyfloat h f 10.5"), bulk("10.5"));
        assert_eq!(h.run("hincrbyfloat h f 0.1"), bulk("10.6"));
        h.run("hset h g 1.5e3 i 3");
        assert_eq!(
            h.run("hincrbyfloat h g 0.1"),
            bulk("1500.09999999999999998")
        );
        assert_eq!(h.run("hincrbyfloat h i 1"), bulk("4"));
        assert_eq!(h.run("hincrby h i 1"), int(5), "stored as integer text");
        h.run("hset h s abc big 1e4932");
        assert_eq!(
            h.run("hincrbyfloat h s 1"),
            err("ERR hash value is not a float")
        );
        assert_eq!(
            h.run("hincrbyfloat h big 1e4932"),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(
            h.run("hincrbyfloat h f abc"),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            h.run("hincrbyfloat h f nan"),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            h.run("hincrbyfloat h f inf"),
            err("ERR value is NaN or Infinity")
        );
        assert_eq!(
            h.run("hincrbyfloat nokey f -inf"),
            err("ERR value is NaN or Infinity")
        );
        assert_eq!(h.run("exists nokey"), int(0));
    }

    #[test]
    fn encoding_transitions() {
        let mut h = Harness::new();
        h.ks.set_tunables(Tunables {
            hash_max_listpack_entries: 2,
            hash_max_listpack_value: 5,
            ..Tunables::default()
        });
        h.run("hset h a 1 b 2");
        assert_eq!(encoding(&mut h, "h"), "listpack");
        h.run("hset h c 3");
        assert_eq!(encoding(&mut h, "h"), "hashtable");
        h.run("hdel h a b c");
        h.run("hset h a 12345");
        assert_eq!(encoding(&mut h, "h"), "listpack");
        h.run("hsetnx h a 123456");
        assert_eq!(
            encoding(&mut h, "h"),
            "listpack",
            "HSETNX of an existing field converts nothing"
        );
        h.run("hsetnx h b 123456");
        assert_eq!(encoding(&mut h, "h"), "hashtable");
        // HINCRBY's result text is checked against the value limit too.
        h.run("hset i n 99999");
        assert_eq!(h.run("hincrby i n 1"), int(100000));
        assert_eq!(encoding(&mut h, "i"), "hashtable");
        h.run("hset j n 1");
        assert_eq!(h.run("hincrbyfloat j n 0.25"), bulk("1.25"));
        assert_eq!(encoding(&mut h, "j"), "listpack");
        assert_eq!(h.run("hincrbyfloat j n 0.0625"), bulk("1.3125"));
        assert_eq!(encoding(&mut h, "j"), "hashtable");
        h.run("hset k abcdef 1");
        assert_eq!(encoding(&mut h, "k"), "hashtable", "long field");
    }
}
