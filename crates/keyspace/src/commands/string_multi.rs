//! The multi-key string commands (t_string.c): MGET, MSET, MSETNX.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::string::store;
use super::Ctx;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::value::Value;

pub(super) const MGET: CommandSpec = CommandSpec {
    name: "mget",
    arity: -2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@read", "@string", "@fast"],
    group: "string",
    summary: "Get the values of all the given keys",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
    syntax: "key...",
};

/// MGET key [key ...]: a null for each missing or non-string key.
pub(super) fn mget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let values = argv[1..]
        .iter()
        .map(|key| match ctx.read(key) {
            Some(entry) if entry.value().is_string() => entry
                .value()
                .string_bytes()
                .map_or(Frame::Null, Frame::Bulk),
            _ => Frame::Null,
        })
        .collect();
    Ok(Frame::Array(values))
}

pub(super) const MSET: CommandSpec = CommandSpec {
    name: "mset",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: -1,
    step: 2,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Set multiple keys to multiple values",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    syntax: "(key value)...",
};

/// MSET key value [key value ...]
pub(super) fn mset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    mset_generic(ctx, argv, false, "mset")
}

pub(super) const MSETNX: CommandSpec = CommandSpec {
    name: "msetnx",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: -1,
    step: 2,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Set multiple keys to multiple values, only if none of the keys exist",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    syntax: "(key value)...",
};

/// MSETNX key value [key value ...]: sets all or, if any key exists, none.
pub(super) fn msetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    mset_generic(ctx, argv, true, "msetnx")
}

/// Redis's `msetGenericCommand()`.
fn mset_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    nx: bool,
    command: &'static str,
) -> Result<Frame> {
    if argv.len() % 2 == 0 {
        return Err(Error::WrongArity { command });
    }
    if nx
        && argv[1..]
            .chunks_exact(2)
            .any(|pair| ctx.write(&pair[0]).is_some())
    {
        return Ok(Frame::Integer(0));
    }
    for pair in argv[1..].chunks_exact(2) {
        store(
            ctx,
            &pair[0],
            Value::string_from_arg(&pair[1]),
            None,
            false,
            None,
        );
        ctx.notify(notify::STRING, "set", &pair[0]);
    }
    ctx.changed(argv.len() / 2);
    Ok(if nx { Frame::Integer(1) } else { Frame::ok() })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, ok, Harness};
    use ferrodis_resp::Frame;

    #[test]
    fn mget_mixes_values_and_nulls() {
        let mut h = Harness::new();
        h.run("set a 1");
        h.run("set b two");
        h.run("rpush l x");
        assert_eq!(
            h.run("mget a b l nope a"),
            Frame::Array(vec![
                bulk("1"),
                bulk("two"),
                Frame::Null,
                Frame::Null,
                bulk("1")
            ])
        );
        assert_eq!(
            (h.ks.stats().keyspace_hits, h.ks.stats().keyspace_misses),
            (4, 1)
        );
    }

    #[test]
    fn mset_sets_all_and_drops_ttls() {
        let mut h = Harness::new();
        h.run("set a old ex 100");
        assert_eq!(h.run("mset a 1 b 2 a 3"), ok());
        assert_eq!(h.run("get a"), bulk("3"), "the last duplicate wins");
        assert_eq!(h.run("ttl a"), int(-1));
        assert_eq!(
            h.run("mset a 1 b"),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(h.ks.dirty(), 4);
    }

    #[test]
    fn msetnx_is_all_or_nothing() {
        let mut h = Harness::new();
        assert_eq!(h.run("msetnx a 1 b 2"), int(1));
        assert_eq!(h.run("msetnx c 3 a 9"), int(0));
        assert_eq!(h.run("exists c"), int(0));
        assert_eq!(h.run("get a"), bulk("1"));
        assert_eq!(
            h.run("msetnx a"),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(
            h.run("msetnx c 1 d"),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
    }

    #[test]
    fn msetnx_ignores_expired_keys() {
        let mut h = Harness::new();
        h.run("set a 1 px 10");
        h.at(1_000_011);
        assert_eq!(h.run("msetnx a 2"), int(1));
        assert_eq!(h.ks.stats().expired_keys, 1);
    }
}
