//! Hash reads (t_hash.c): HGET, HMGET, HEXISTS, HLEN, HSTRLEN, HGETALL, HKEYS, HVALS.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, Ctx};
use crate::error::Result;
use crate::spec::CommandSpec;
use crate::types::hash::Hash;

/// A reply string copied out of a stored hash.
pub(super) fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

/// Runs `read` on the hash at `key` (Redis's `lookupKeyReadOrReply()` +
/// `checkType()`), or replies `missing`.
pub(super) fn with_hash(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    missing: Frame,
    read: impl FnOnce(&Hash) -> Frame,
) -> Result<Frame> {
    match ctx.read(key) {
        None => Ok(missing),
        Some(entry) => Ok(read(entry.value().hash()?)),
    }
}

pub(super) const HGET: CommandSpec = CommandSpec {
    name: "hget",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@fast"],
    group: "hash",
    summary: "Get the value of a hash field",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key field",
};

/// HGET key field
pub(super) fn hget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Null, |h| {
        h.get(&argv[2]).map_or(Frame::Null, bulk)
    })
}

pub(super) const HMGET: CommandSpec = CommandSpec {
    name: "hmget",
    arity: -3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@fast"],
    group: "hash",
    summary: "Get the values of all the given hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being requested.",
    syntax: "key field...",
};

/// HMGET key field [field ...]: a missing key is an empty hash (all nulls).
pub(super) fn hmget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let fields = &argv[2..];
    let missing = Frame::Array(vec![Frame::Null; fields.len()]);
    with_hash(ctx, &argv[1], missing, |h| {
        let values = fields
            .iter()
            .map(|f| h.get(f).map_or(Frame::Null, bulk))
            .collect();
        Frame::Array(values)
    })
}

pub(super) const HEXISTS: CommandSpec = CommandSpec {
    name: "hexists",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@fast"],
    group: "hash",
    summary: "Determine if a hash field exists",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key field",
};

/// HEXISTS key field: 1 or 0.
pub(super) fn hexists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Integer(0), |h| {
        Frame::Integer(i64::from(h.get(&argv[2]).is_some()))
    })
}

pub(super) const HLEN: CommandSpec = CommandSpec {
    name: "hlen",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@fast"],
    group: "hash",
    summary: "Get the number of fields in a hash",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// HLEN key
pub(super) fn hlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Integer(0), |h| int_reply(h.len()))
}

pub(super) const HSTRLEN: CommandSpec = CommandSpec {
    name: "hstrlen",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@fast"],
    group: "hash",
    summary: "Get the length of the value of a hash field",
    since: "3.2.0",
    complexity: "O(1)",
    syntax: "key field",
};

/// HSTRLEN key field: the value's length, 0 for a missing field.
pub(super) fn hstrlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Integer(0), |h| {
        int_reply(h.get(&argv[2]).map_or(0, <[u8]>::len))
    })
}

pub(super) const HGETALL: CommandSpec = CommandSpec {
    name: "hgetall",
    arity: 2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@slow"],
    group: "hash",
    summary: "Get all the fields and values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    syntax: "key",
};

/// HGETALL key: a map (a flat array in RESP2), in insertion order while the hash is a
/// listpack.
pub(super) fn hgetall(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Map(Vec::new()), |h| {
        Frame::Map(h.iter().map(|(f, v)| (bulk(f), bulk(v))).collect())
    })
}

pub(super) const HKEYS: CommandSpec = CommandSpec {
    name: "hkeys",
    arity: 2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@slow"],
    group: "hash",
    summary: "Get all the fields in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    syntax: "key",
};

/// HKEYS key: an array (not a set, even in RESP3).
pub(super) fn hkeys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Array(Vec::new()), |h| {
        Frame::Array(h.iter().map(|(f, _)| bulk(f)).collect())
    })
}

pub(super) const HVALS: CommandSpec = CommandSpec {
    name: "hvals",
    arity: 2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@slow"],
    group: "hash",
    summary: "Get all the values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    syntax: "key",
};

/// HVALS key
pub(super) fn hvals(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    with_hash(ctx, &argv[1], Frame::Array(Vec::new()), |h| {
        Frame::Array(h.iter().map(|(_, v)| bulk(v)).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn map(pairs: &[(&str, &str)]) -> Frame {
        Frame::Map(pairs.iter().map(|(f, v)| (bulk(f), bulk(v))).collect())
    }

    #[test]
    fn single_field_reads() {
        let mut h = Harness::new();
        assert_eq!(h.run("hget h a"), Frame::Null);
        assert_eq!(h.run("hexists h a"), int(0));
        assert_eq!(h.run("hlen h"), int(0));
        assert_eq!(h.run("hstrlen h a"), int(0));
        h.run("hset h a hello n -123");
        h.run("hset h e ");
        assert_eq!(h.run("hget h a"), bulk("hello"));
        assert_eq!(h.run("hget h b"), Frame::Null);
        assert_eq!(h.run("hexists h a"), int(1));
        assert_eq!(h.run("hexists h hello"), int(0));
        assert_eq!(h.run("hlen h"), int(3));
        assert_eq!(h.run("hstrlen h a"), int(5));
        assert_eq!(h.run("hstrlen h n"), int(4));
        assert_eq!(h.run("hstrlen h e"), int(0));
        assert_eq!(h.run("hget h e"), bulk(""));
    }

    #[test]
    fn hmget() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("hmget h a b"),
            Frame::Array(vec![Frame::Null, Frame::Null])
        );
        h.run("hset h a 1 c 3");
        assert_eq!(
            h.run("hmget h a b c a"),
            Frame::Array(vec![bulk("1"), Frame::Null, bulk("3"), bulk("1")])
        );
    }

    #[test]
    fn whole_hash_reads_in_insertion_order() {
        let mut h = Harness::new();
        assert_eq!(h.run("hgetall h"), Frame::Map(vec![]));
        assert_eq!(h.run("hkeys h"), arr(&[]));
        assert_eq!(h.run("hvals h"), arr(&[]));
        h.run("hset h z 1 a 2 m 3");
        h.run("hset h a 4");
        h.run("hdel h z");
        h.run("hset h z 5");
        assert_eq!(
            h.run("hgetall h"),
            map(&[("a", "4"), ("m", "3"), ("z", "5")])
        );
        assert_eq!(h.run("hkeys h"), arr(&["a", "m", "z"]));
        assert_eq!(h.run("hvals h"), arr(&["4", "3", "5"]));
    }

    #[test]
    fn hashtable_reads_hold_everything() {
        let mut h = Harness::new();
        for i in 0..600 {
            h.run(&format!("hset big f{i} v{i}"));
        }
        assert_eq!(h.run("hlen big"), int(600));
        assert_eq!(h.run("hget big f599"), bulk("v599"));
        let Frame::Map(pairs) = h.run("hgetall big") else {
            panic!("not a map")
        };
        assert_eq!(pairs.len(), 600);
        let Frame::Array(keys) = h.run("hkeys big") else {
            panic!("not an array")
        };
        let mut keys: Vec<Frame> = keys;
        keys.sort_by_key(|k| format!("{k:?}"));
        keys.dedup();
        assert_eq!(keys.len(), 600);
        for (f, v) in pairs {
            let (Frame::Bulk(f), Frame::Bulk(v)) = (f, v) else {
                panic!("not bulks")
            };
            assert_eq!(&f[1..], &v[1..]);
        }
    }

    #[test]
    fn wrong_types() {
        let mut h = Harness::new();
        h.run("rpush l a");
        for line in [
            "hget l a",
            "hmget l a",
            "hexists l a",
            "hlen l",
            "hstrlen l a",
            "hgetall l",
            "hkeys l",
            "hvals l",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
    }

    #[test]
    fn reads_count_hits_and_misses() {
        let mut h = Harness::new();
        h.run("hset h a 1");
        h.run("hget h a");
        h.run("hget nope a");
        h.run("hmget nope a");
        assert_eq!(
            (h.ks.stats().keyspace_hits, h.ks.stats().keyspace_misses),
            (1, 2)
        );
    }
}
