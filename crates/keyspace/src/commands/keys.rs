//! Commands on keys of any type (db.c): DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, RANDOMKEY.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, Ctx};
use crate::error::Result;
use crate::glob::glob_match;
use crate::keyspace::next_random;
use crate::spec::CommandSpec;

pub(super) const DEL: CommandSpec = CommandSpec {
    name: "del",
    arity: -2,
    flags: &["write"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@slow"],
    group: "generic",
    summary: "Delete a key",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    syntax: "key...",
};

/// DEL key [key ...]: the number of keys deleted (expired ones do not count).
pub(super) fn del(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let deleted = argv[1..]
        .iter()
        .filter(|key| {
            let deleted = ctx.write(key).map(|entry| entry.remove()).is_some();
            if deleted {
                ctx.notify_del(key);
            }
            deleted
        })
        .count();
    ctx.changed(deleted);
    Ok(int_reply(deleted))
}

pub(super) const UNLINK: CommandSpec = CommandSpec {
    name: "unlink",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
    since: "4.0.0",
    complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
    syntax: "key...",
};

/// UNLINK key [key ...]: DEL; freeing in the background comes later.
pub(super) fn unlink(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    del(ctx, argv)
}

pub(super) const EXISTS: CommandSpec = CommandSpec {
    name: "exists",
    arity: -2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Determine if a key exists",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to check.",
    syntax: "key...",
};

/// EXISTS key [key ...]: how many of the keys exist, duplicates counted each time.
/// Their access times stay (LOOKUP_NOTOUCH).
pub(super) fn exists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    Ok(int_reply(
        argv[1..]
            .iter()
            .filter(|key| ctx.read_notouch(key).is_some())
            .count(),
    ))
}

pub(super) const TOUCH: CommandSpec = CommandSpec {
    name: "touch",
    arity: -2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary:
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
    since: "3.2.1",
    complexity: "O(N) where N is the number of keys that will be touched.",
    syntax: "key...",
};

/// TOUCH key [key ...]: how many of the keys exist; their access times are updated.
pub(super) fn touch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    Ok(int_reply(
        argv[1..]
            .iter()
            .filter(|key| ctx.read(key).is_some())
            .count(),
    ))
}

pub(super) const TYPE: CommandSpec = CommandSpec {
    name: "type",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Determine the type stored at key",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// TYPE key: `string`, `list`, ... or `none`.
pub(super) fn type_(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let name = ctx
        .read_notouch(&argv[1])
        .map_or("none", |entry| entry.value().type_name());
    Ok(Frame::simple(name))
}

pub(super) const KEYS: CommandSpec = CommandSpec {
    name: "keys",
    arity: 2,
    flags: &["readonly"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@read", "@slow", "@dangerous"],
    group: "generic",
    summary: "Find all keys matching the given pattern",
    since: "1.0.0",
    complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    syntax: "pattern:pattern",
};

/// KEYS pattern: every live key matching the glob pattern, in table order.
pub(super) fn keys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let pattern = &argv[1][..];
    let all = pattern == b"*";
    let now = ctx.now();
    // Like Redis, expired keys are skipped but not deleted here.
    let keys = ctx
        .db()
        .iter()
        .filter(|e| (all || glob_match(pattern, e.key(), false)) && !e.is_expired(now))
        .map(|e| Frame::Bulk(Bytes::copy_from_slice(e.key())))
        .collect();
    Ok(Frame::Array(keys))
}

pub(super) const RANDOMKEY: CommandSpec = CommandSpec {
    name: "randomkey",
    arity: 1,
    flags: &["readonly"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@read", "@slow"],
    group: "generic",
    summary: "Return a random key from the keyspace",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "",
};

/// RANDOMKEY: a random live key, or null when there is none.
pub(super) fn randomkey(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame> {
    let now = ctx.now();
    loop {
        let random = next_random(ctx.random);
        let Some((key, expired)) = ctx
            .db()
            .random_entry(random)
            .map(|e| (Bytes::copy_from_slice(e.key()), e.is_expired(now)))
        else {
            return Ok(Frame::Null);
        };
        if !expired {
            return Ok(Frame::Bulk(key));
        }
        // Redis's dbRandomKey() deletes an expired pick and tries again.
        ctx.db().remove(&key);
        ctx.stats.expired_keys += 1;
        let db = ctx.session.db;
        ctx.fx.expired(db, &key);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, int, Harness};
    use ferrodis_resp::Frame;

    #[test]
    fn del_and_exists() {
        let mut h = Harness::new();
        h.run("mset a 1 b 2");
        h.run("rpush l x");
        assert_eq!(h.run("exists a a nope l"), int(3));
        assert_eq!(h.run("del a nope a l"), int(2));
        assert_eq!(h.run("exists a l"), int(0));
        assert_eq!(h.run("unlink b"), int(1));
        assert_eq!(h.run("touch b"), int(0));
        assert_eq!(h.ks.dirty(), 2 + 1 + 2 + 1);
    }

    #[test]
    fn del_of_an_expired_key_counts_zero() {
        let mut h = Harness::new();
        h.run("set a 1 px 5");
        h.at(1_000_006);
        assert_eq!(h.run("del a"), int(0));
        assert_eq!(h.ks.stats().expired_keys, 1);
        assert_eq!(h.ks.stats().keyspace_misses, 0, "DEL is not a read");
    }

    #[test]
    fn type_names() {
        let mut h = Harness::new();
        h.run("set s v");
        h.run("set i 12");
        h.run("lpush l a");
        assert_eq!(h.run("type s"), Frame::simple("string"));
        assert_eq!(h.run("type i"), Frame::simple("string"));
        assert_eq!(h.run("type l"), Frame::simple("list"));
        assert_eq!(h.run("type nope"), Frame::simple("none"));
    }

    fn sorted(frame: Frame) -> Vec<Frame> {
        let Frame::Array(mut items) = frame else {
            panic!("not an array: {frame:?}")
        };
        items.sort_by_key(|f| format!("{f:?}"));
        items
    }

    #[test]
    fn keys_by_pattern() {
        let mut h = Harness::new();
        h.run("mset one 1 two 2 three 3");
        h.run("set four 4 px 10");
        assert_eq!(
            sorted(h.run("keys *")),
            sorted(arr(&["one", "two", "three", "four"]))
        );
        assert_eq!(sorted(h.run("keys t*")), sorted(arr(&["two", "three"])));
        assert_eq!(h.run("keys ?ne"), arr(&["one"]));
        assert_eq!(h.run("keys nomatch*"), arr(&[]));
        h.at(1_000_011);
        assert_eq!(
            sorted(h.run("keys *")),
            sorted(arr(&["one", "two", "three"]))
        );
        assert_eq!(h.ks.dbsize(0), 4, "KEYS does not delete expired keys");
    }

    #[test]
    fn randomkey() {
        let mut h = Harness::new();
        assert_eq!(h.run("randomkey"), Frame::Null);
        h.run("set a 1");
        for _ in 0..10 {
            assert_eq!(h.run("randomkey"), bulk("a"));
        }
        h.run("set b 2 px 5");
        h.run("del a");
        h.at(1_000_006);
        assert_eq!(
            h.run("randomkey"),
            Frame::Null,
            "the expired key is deleted"
        );
        assert_eq!(h.ks.stats().expired_keys, 1);
        assert_eq!(h.ks.dbsize(0), 0);
    }

    #[test]
    fn randomkey_finds_every_key() {
        let mut h = Harness::new();
        for i in 0..20 {
            h.run(&format!("set k{i} v"));
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            seen.insert(format!("{:?}", h.run("randomkey")));
        }
        assert_eq!(seen.len(), 20);
    }
}
