//! GET, SET and their variants (t_string.c): SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::value::Value;

pub(super) const GET: CommandSpec = CommandSpec {
    name: "get",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@string", "@fast"],
    group: "string",
    summary: "Get the value of a key",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// GET key
pub(super) fn get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Null),
        Some(entry) => Ok(Frame::Bulk(entry.value().string_bytes()?)),
    }
}

pub(super) const SET: CommandSpec = CommandSpec {
    name: "set",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Set the string value of a key",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | KEEPTTL]",
};

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
pub(super) fn set(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = Options::parse(argv, Kind::Set)?;
    set_generic(
        ctx,
        &argv[1],
        &argv[2],
        opts,
        "set",
        Frame::ok(),
        Frame::Null,
    )
}

pub(super) const SETNX: CommandSpec = CommandSpec {
    name: "setnx",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Set the value of a key, only if the key does not exist",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key value",
};

/// SETNX key value
pub(super) fn setnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = Options {
        flags: OPT_NX,
        expire: None,
    };
    set_generic(
        ctx,
        &argv[1],
        &argv[2],
        opts,
        "setnx",
        Frame::Integer(1),
        Frame::Integer(0),
    )
}

pub(super) const SETEX: CommandSpec = CommandSpec {
    name: "setex",
    arity: 4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Set the value and expiration of a key",
    since: "2.0.0",
    complexity: "O(1)",
    syntax: "key seconds:integer value",
};

/// SETEX key seconds value
pub(super) fn setex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = Options {
        flags: OPT_EX,
        expire: Some(&argv[2]),
    };
    set_generic(
        ctx,
        &argv[1],
        &argv[3],
        opts,
        "setex",
        Frame::ok(),
        Frame::Null,
    )
}

pub(super) const PSETEX: CommandSpec = CommandSpec {
    name: "psetex",
    arity: 4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Set the value and expiration in milliseconds of a key",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key milliseconds:integer value",
};

/// PSETEX key milliseconds value
pub(super) fn psetex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = Options {
        flags: OPT_PX,
        expire: Some(&argv[2]),
    };
    set_generic(
        ctx,
        &argv[1],
        &argv[3],
        opts,
        "psetex",
        Frame::ok(),
        Frame::Null,
    )
}

pub(super) const GETSET: CommandSpec = CommandSpec {
    name: "getset",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Set the string value of a key and return its old value",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key value",
};

/// GETSET key value: the old value; the new one has no TTL.
pub(super) fn getset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let old = get(ctx, argv)?;
    store(
        ctx,
        &argv[1],
        Value::string_from_arg(&argv[2]),
        None,
        false,
        None,
    );
    ctx.changed(1);
    ctx.notify(notify::STRING, "set", &argv[1]);
    Ok(old)
}

pub(super) const GETDEL: CommandSpec = CommandSpec {
    name: "getdel",
    arity: 2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Get the value of a key and delete the key",
    since: "6.2.0",
    complexity: "O(1)",
    syntax: "key",
};

/// GETDEL key
pub(super) fn getdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Null);
    };
    let value = entry.value().string_bytes()?;
    entry.remove();
    ctx.changed(1);
    ctx.notify_del(&argv[1]);
    // `getdelCommand` propagates a plain deletion.
    ctx.propagate_one(&[b"DEL", &argv[1]]);
    Ok(Frame::Bulk(value))
}

pub(super) const GETEX: CommandSpec = CommandSpec {
    name: "getex",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Get the value of a key and optionally set its expiration",
    since: "6.2.0",
    complexity: "O(1)",
    syntax: "key [EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | PERSIST]",
};

/// GETEX key [EX s | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]
pub(super) fn getex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = Options::parse(argv, Kind::GetEx)?;
    let now = ctx.now();
    let Some(mut entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Null);
    };
    let value = entry.value().string_bytes()?;
    // As in Redis, the time is validated only once the key is known to be a string.
    let when = opts
        .expire
        .map(|arg| expire_time(arg, opts.flags, now, "getex"))
        .transpose()?;
    let event = match when {
        // An absolute time already past deletes the key (`checkAlreadyExpired()`).
        Some(when) if opts.flags & (OPT_EXAT | OPT_PXAT) != 0 && when <= now => {
            entry.remove();
            ctx.propagate_one(&[b"DEL", &argv[1]]);
            Some("del")
        }
        Some(when) => {
            entry.set_expire(when);
            // `getexCommand` propagates PEXPIREAT with the absolute time.
            ctx.propagate_one(&[b"PEXPIREAT", &argv[1], &crate::num::i64_to_bytes(when)]);
            Some("expire")
        }
        None if opts.flags & OPT_PERSIST != 0 => {
            let changed = entry.persist();
            ctx.propagate_one(&[b"PERSIST", &argv[1]]);
            changed.then_some("persist")
        }
        None => None,
    };
    if let Some(event) = event {
        ctx.changed(1);
        ctx.notify(notify::GENERIC, event, &argv[1]);
    }
    Ok(Frame::Bulk(value))
}

// Option flags of SET and GETEX (`OBJ_SET_NX` ... in t_string.c).
const OPT_NX: u16 = 1 << 0;
const OPT_XX: u16 = 1 << 1;
const OPT_EX: u16 = 1 << 2;
const OPT_PX: u16 = 1 << 3;
const OPT_KEEPTTL: u16 = 1 << 4;
const OPT_GET: u16 = 1 << 5;
const OPT_EXAT: u16 = 1 << 6;
const OPT_PXAT: u16 = 1 << 7;
const OPT_PERSIST: u16 = 1 << 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Set,
    GetEx,
}

/// Parsed options of SET or GETEX.
#[derive(Clone, Copy)]
struct Options<'a> {
    flags: u16,
    /// The argument after EX, PX, EXAT or PXAT.
    expire: Option<&'a [u8]>,
}

impl<'a> Options<'a> {
    /// Redis's `parseExtendedStringArgumentsOrReply()`, with its exact rules: an
    /// option conflicting with an earlier one is a syntax error, repeating one is not.
    fn parse(argv: &'a [Bytes], kind: Kind) -> Result<Options<'a>> {
        let mut opts = Options {
            flags: 0,
            expire: None,
        };
        let set = kind == Kind::Set;
        let mut j = if set { 3 } else { 2 };
        while j < argv.len() {
            let opt = &argv[j][..];
            let has_next = j + 1 < argv.len();
            let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
            let none_of = |mask: u16| opts.flags & mask == 0;
            let (flag, takes_time) = if set && is(b"nx") && none_of(OPT_XX) {
                (OPT_NX, false)
            } else if set && is(b"xx") && none_of(OPT_NX) {
                (OPT_XX, false)
            } else if set && is(b"get") {
                (OPT_GET, false)
            } else if set
                && is(b"keepttl")
                && none_of(OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX | OPT_PXAT)
            {
                (OPT_KEEPTTL, false)
            } else if !set
                && is(b"persist")
                && none_of(OPT_EX | OPT_EXAT | OPT_PX | OPT_PXAT | OPT_KEEPTTL)
            {
                (OPT_PERSIST, false)
            } else if has_next
                && is(b"ex")
                && none_of(OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT)
            {
                (OPT_EX, true)
            } else if has_next
                && is(b"px")
                && none_of(OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT)
            {
                (OPT_PX, true)
            } else if has_next
                && is(b"exat")
                && none_of(OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT)
            {
                (OPT_EXAT, true)
            } else if has_next
                && is(b"pxat")
                && none_of(OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX)
            {
                (OPT_PXAT, true)
            } else {
                return Err(Error::Syntax);
            };
            opts.flags |= flag;
            if takes_time {
                j += 1;
                opts.expire = Some(&argv[j][..]);
            }
            j += 1;
        }
        Ok(opts)
    }
}

/// The absolute expiry time in ms an EX/PX/EXAT/PXAT argument stands for (Redis's
/// `getExpireMillisecondsOrReply()`): zero, negative and overflowing times are errors.
fn expire_time(arg: &[u8], flags: u16, now: i64, command: &'static str) -> Result<i64> {
    let invalid = || Error::InvalidExpireTime { command };
    let mut ms = parse_int(arg)?;
    let seconds = flags & (OPT_EX | OPT_EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (OPT_EX | OPT_PX) != 0 {
        ms = ms.checked_add(now).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// Redis's `setGenericCommand()`, shared by SET, SETNX, SETEX and PSETEX.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    value: &[u8],
    opts: Options<'_>,
    command: &'static str,
    ok_reply: Frame,
    abort_reply: Frame,
) -> Result<Frame> {
    let when = opts
        .expire
        .map(|arg| expire_time(arg, opts.flags, ctx.now(), command))
        .transpose()?;
    let old = if opts.flags & OPT_GET != 0 {
        Some(match ctx.read(key) {
            None => Frame::Null,
            Some(entry) => Frame::Bulk(entry.value().string_bytes()?),
        })
    } else {
        None
    };
    let condition = if opts.flags & OPT_NX != 0 {
        Some(false)
    } else if opts.flags & OPT_XX != 0 {
        Some(true)
    } else {
        None
    };
    let done = store(
        ctx,
        key,
        Value::string_from_arg(value),
        when,
        opts.flags & OPT_KEEPTTL != 0,
        condition,
    );
    if done {
        ctx.changed(1);
        ctx.notify(notify::STRING, "set", key);
        if when.is_some() {
            ctx.notify(notify::GENERIC, "expire", key);
        }
        // `setGenericCommand`: a TTL given any other way than PXAT is propagated
        // as `SET key value PXAT <ms>`, so a replay keeps the same expiry time.
        if let Some(when) = when.filter(|_| opts.flags & OPT_PXAT == 0) {
            ctx.propagate_one(&[b"SET", key, value, b"PXAT", &crate::num::i64_to_bytes(when)]);
        }
    }
    Ok(match old {
        Some(old) => old,
        None if done => ok_reply,
        None => abort_reply,
    })
}

/// Redis's `setKey()`: stores `value` under `key`, with expiry time `when`, else
/// keeping the old TTL only if `keep_ttl`. With `only_if_exists` set, stores only if
/// the key exists (`Some(true)`) or does not (`Some(false)`). Returns whether it stored.
pub(super) fn store(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    value: Value,
    when: Option<i64>,
    keep_ttl: bool,
    only_if_exists: Option<bool>,
) -> bool {
    match ctx.entry(key) {
        Slot::Occupied(_) if only_if_exists == Some(false) => false,
        Slot::Vacant(_) if only_if_exists == Some(true) => false,
        Slot::Occupied(mut entry) => {
            match when {
                Some(when) => {
                    *entry.value_mut() = value;
                    entry.set_expire(when);
                }
                None => entry.replace(value, keep_ttl),
            }
            true
        }
        Slot::Vacant(slot) => {
            let mut entry = slot.insert(value);
            if let Some(when) = when {
                entry.set_expire(when);
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, ok, Harness};
    use bytes::Bytes;
    use ferrodis_resp::Frame;

    #[test]
    fn get_and_set() {
        let mut h = Harness::new();
        assert_eq!(h.run("get k"), Frame::Null);
        assert_eq!(h.run("set k v"), ok());
        assert_eq!(h.run("get k"), bulk("v"));
        assert_eq!(h.run("set k 123"), ok());
        assert_eq!(h.run("get k"), bulk("123"));
        h.run("rpush l a");
        assert_eq!(
            h.run("get l"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(h.run("set l v"), ok(), "SET overwrites any type");
        assert_eq!(h.run("get l"), bulk("v"));
    }

    #[test]
    fn set_nx_xx() {
        let mut h = Harness::new();
        assert_eq!(h.run("set k v xx"), Frame::Null);
        assert_eq!(h.run("set k v nx"), ok());
        assert_eq!(h.run("set k w nx"), Frame::Null);
        assert_eq!(h.run("set k w xx"), ok());
        assert_eq!(h.run("get k"), bulk("w"));
        assert_eq!(h.run("set k v nx xx"), err("ERR syntax error"));
        assert_eq!(h.run("set k v xx nx"), err("ERR syntax error"));
        assert_eq!(
            h.run("set k v nx nx"),
            Frame::Null,
            "repeating an option is fine"
        );
    }

    #[test]
    fn set_get() {
        let mut h = Harness::new();
        assert_eq!(h.run("set k v get"), Frame::Null);
        assert_eq!(h.run("set k w get"), bulk("v"));
        assert_eq!(
            h.run("set k x nx get"),
            bulk("w"),
            "NX with GET replies the old value"
        );
        assert_eq!(h.run("get k"), bulk("w"));
        assert_eq!(h.run("set n x xx get"), Frame::Null);
        assert_eq!(h.run("exists n"), int(0));
        h.run("lpush l a");
        assert_eq!(
            h.run("set l v get"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(h.run("type l"), Frame::simple("list"));
    }

    #[test]
    fn set_expiry_options() {
        let mut h = Harness::new();
        assert_eq!(h.run("set k v ex 10"), ok());
        assert_eq!(h.run("pttl k"), int(10_000));
        assert_eq!(h.run("set k v px 1500"), ok());
        assert_eq!(h.run("pttl k"), int(1500));
        assert_eq!(h.run("set k v exat 1010"), ok());
        assert_eq!(h.run("pttl k"), int(10_000));
        assert_eq!(h.run("set k v pxat 1000500"), ok());
        assert_eq!(h.run("pttl k"), int(500));
        assert_eq!(h.run("set k w keepttl"), ok());
        assert_eq!(h.run("pttl k"), int(500));
        assert_eq!(h.run("set k w"), ok());
        assert_eq!(h.run("pttl k"), int(-1), "a plain SET drops the TTL");
    }

    #[test]
    fn set_errors() {
        let mut h = Harness::new();
        let invalid = err("ERR invalid expire time in 'set' command");
        let syntax = err("ERR syntax error");
        assert_eq!(h.run("set k v ex 0"), invalid);
        assert_eq!(h.run("set k v px -1"), invalid);
        assert_eq!(h.run("set k v ex 9223372036854776"), invalid);
        assert_eq!(h.run("set k v pxat 9223372036854775807"), ok());
        assert_eq!(
            h.run("set k v px 9223372036854775807"),
            invalid,
            "overflows when added to now"
        );
        assert_eq!(
            h.run("set k v ex abc"),
            err("ERR value is not an integer or out of range")
        );
        for line in [
            "set k v ex",
            "set k v ex 10 px 10",
            "set k v keepttl ex 10",
            "set k v ex 10 keepttl",
            "set k v persist",
            "set k v foo",
        ] {
            assert_eq!(h.run(line), syntax, "{line}");
        }
        assert_eq!(
            h.run("set k v ex 10 ex 20"),
            ok(),
            "the same option twice is accepted"
        );
        assert_eq!(h.run("ttl k"), int(20));
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut h = Harness::new();
        assert_eq!(h.run("setnx k v"), int(1));
        assert_eq!(h.run("setnx k w"), int(0));
        assert_eq!(h.run("setex k 5 x"), ok());
        assert_eq!(h.run("get k"), bulk("x"));
        assert_eq!(h.run("ttl k"), int(5));
        assert_eq!(h.run("psetex k 100 y"), ok());
        assert_eq!(h.run("pttl k"), int(100));
        assert_eq!(
            h.run("setex k 0 x"),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            h.run("psetex k -5 x"),
            err("ERR invalid expire time in 'psetex' command")
        );
    }

    #[test]
    fn getset_and_getdel() {
        let mut h = Harness::new();
        assert_eq!(h.run("getset k v"), Frame::Null);
        h.run("expire k 100");
        assert_eq!(h.run("getset k w"), bulk("v"));
        assert_eq!(h.run("ttl k"), int(-1));
        assert_eq!(h.run("getdel k"), bulk("w"));
        assert_eq!(h.run("getdel k"), Frame::Null);
        h.run("rpush l a");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(h.run("getset l v"), wrongtype);
        assert_eq!(h.run("getdel l"), wrongtype);
        assert_eq!(h.run("llen l"), int(1));
    }

    #[test]
    fn getex() {
        let mut h = Harness::new();
        assert_eq!(h.run("getex k ex 10"), Frame::Null);
        h.run("set k v");
        assert_eq!(h.run("getex k"), bulk("v"));
        assert_eq!(h.run("getex k ex 10"), bulk("v"));
        assert_eq!(h.run("ttl k"), int(10));
        assert_eq!(h.run("getex k px 500"), bulk("v"));
        assert_eq!(h.run("pttl k"), int(500));
        assert_eq!(h.run("getex k persist"), bulk("v"));
        assert_eq!(h.run("ttl k"), int(-1));
        assert_eq!(h.run("getex k exat 2000"), bulk("v"));
        assert_eq!(h.run("ttl k"), int(1000));
        assert_eq!(
            h.run("getex k pxat 1000000"),
            bulk("v"),
            "a past time deletes the key"
        );
        assert_eq!(h.run("exists k"), int(0));
        h.run("set k v");
        assert_eq!(
            h.run("getex k ex 0"),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(h.run("getex k nx"), err("ERR syntax error"));
        assert_eq!(h.run("getex k persist ex 10"), err("ERR syntax error"));
        assert_eq!(h.run("getex k keepttl"), err("ERR syntax error"));
        assert_eq!(
            h.run("getex missing ex 0"),
            Frame::Null,
            "time is checked after the lookup"
        );
    }

    #[test]
    fn lazy_expiry_hides_and_counts() {
        let mut h = Harness::new();
        h.run("set k v px 100");
        h.at(1_000_100);
        assert_eq!(
            h.run("get k"),
            bulk("v"),
            "alive at exactly its expiry time"
        );
        h.at(1_000_101);
        assert_eq!(h.ks.dbsize(0), 1);
        assert_eq!(h.run("get k"), Frame::Null);
        assert_eq!(h.ks.dbsize(0), 0);
        let stats = h.ks.stats();
        assert_eq!(
            (
                stats.expired_keys,
                stats.keyspace_hits,
                stats.keyspace_misses
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn stored_keys_and_values_do_not_share_the_read_buffer() {
        let mut h = Harness::new();
        let mut raw = b"setkeyvalue".to_vec();
        raw.resize(16 * 1024, 0);
        let buffer = Bytes::from(raw);
        let argv = [buffer.slice(0..3), buffer.slice(3..6), buffer.slice(6..11)];
        assert_eq!(h.run_argv(&argv), ok());
        let inside = |b: &Bytes| buffer.as_ptr_range().contains(&b.as_ptr());
        let Frame::Bulk(value) = h.run("get key") else {
            panic!("no value")
        };
        assert_eq!(&value[..], b"value");
        assert!(!inside(&value), "the value was not copied");
        let Frame::Array(keys) = h.run("keys *") else {
            panic!("no keys")
        };
        assert!(
            matches!(&keys[..], [Frame::Bulk(k)] if !inside(k)),
            "the key was not copied"
        );
    }

    #[test]
    fn dirty_counts_changes() {
        let mut h = Harness::new();
        h.run("set k v");
        h.run("set k v nx");
        h.run("get k");
        h.run("getex k ex 5");
        h.run("getdel k");
        h.run("getdel k");
        assert_eq!(h.ks.dirty(), 3);
    }
}
