//! TTL commands (expire.c): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME, PERSIST.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;

pub(super) const EXPIRE: CommandSpec = CommandSpec {
    name: "expire",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Set a key's time to live in seconds",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key seconds:integer [NX | XX | GT | LT]",
};

/// EXPIRE key seconds [NX | XX | GT | LT]
pub(super) fn expire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let now = ctx.now();
    expire_generic(ctx, argv, now, Unit::Seconds, "expire")
}

pub(super) const PEXPIRE: CommandSpec = CommandSpec {
    name: "pexpire",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Set a key's time to live in milliseconds",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key milliseconds:integer [NX | XX | GT | LT]",
};

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
pub(super) fn pexpire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let now = ctx.now();
    expire_generic(ctx, argv, now, Unit::Millis, "pexpire")
}

pub(super) const EXPIREAT: CommandSpec = CommandSpec {
    name: "expireat",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Set the expiration for a key as a UNIX timestamp",
    since: "1.2.0",
    complexity: "O(1)",
    syntax: "key unix-time-seconds:unix-time [NX | XX | GT | LT]",
};

/// EXPIREAT key unix-seconds [NX | XX | GT | LT]
pub(super) fn expireat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    expire_generic(ctx, argv, 0, Unit::Seconds, "expireat")
}

pub(super) const PEXPIREAT: CommandSpec = CommandSpec {
    name: "pexpireat",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key unix-time-milliseconds:unix-time [NX | XX | GT | LT]",
};

/// PEXPIREAT key unix-milliseconds [NX | XX | GT | LT]
pub(super) fn pexpireat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    expire_generic(ctx, argv, 0, Unit::Millis, "pexpireat")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
}

/// The conditions of EXPIRE and friends (Redis's `EXPIRE_NX` ...).
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    /// Redis's `parseExtendedExpireArgumentsOrReply()`.
    fn parse(options: &[Bytes]) -> Result<Conditions> {
        let mut c = Conditions::default();
        for opt in options {
            let flag = if opt.eq_ignore_ascii_case(b"nx") {
                &mut c.nx
            } else if opt.eq_ignore_ascii_case(b"xx") {
                &mut c.xx
            } else if opt.eq_ignore_ascii_case(b"gt") {
                &mut c.gt
            } else if opt.eq_ignore_ascii_case(b"lt") {
                &mut c.lt
            } else {
                return Err(Error::UnsupportedOption(opt.clone()));
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(Error::ExpireNxConflict);
        }
        if c.gt && c.lt {
            return Err(Error::ExpireGtLtConflict);
        }
        Ok(c)
    }

    /// Whether a key whose expiry time is `current` may get `when`. No TTL counts
    /// as infinite: GT never passes, LT always does.
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.filter(|&c| when > c).is_none()
            || self.lt && current.is_some_and(|c| when >= c))
    }
}

/// Redis's `expireGenericCommand()`: the time is `basetime` plus the argument; a
/// time at or before now deletes the key.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    basetime: i64,
    unit: Unit,
    command: &'static str,
) -> Result<Frame> {
    let conditions = Conditions::parse(&argv[3..])?;
    let invalid = || Error::InvalidExpireTime { command };
    let mut when = parse_int(&argv[2])?;
    if unit == Unit::Seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let when = when.checked_add(basetime).ok_or_else(invalid)?;
    let past = ctx.already_expired(when);
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    if !conditions.allow(entry.expire_at(), when) {
        return Ok(Frame::Integer(0));
    }
    // `checkAlreadyExpired()`.
    let event = if past {
        entry.remove();
        // Propagated as the deletion it was (`expireGenericCommand`).
        ctx.propagate_one(&[b"DEL", &argv[1]]);
        "del"
    } else {
        entry.set_expire(when);
        // Replicas and the AOF get the absolute time, conditions kept, as Redis's
        // rewrite to PEXPIREAT does: replaying later must not extend the TTL.
        if ctx.propagating() {
            let mut rewritten = vec![
                Bytes::from_static(b"PEXPIREAT"),
                argv[1].clone(),
                crate::num::i64_to_bytes(when),
            ];
            rewritten.extend(argv[3..].iter().cloned());
            ctx.propagate_as(vec![rewritten]);
        }
        "expire"
    };
    ctx.changed(1);
    ctx.notify(notify::GENERIC, event, &argv[1]);
    Ok(Frame::Integer(1))
}

pub(super) const TTL: CommandSpec = CommandSpec {
    name: "ttl",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Get the time to live for a key in seconds",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// TTL key: seconds left (rounded), -1 without a TTL, -2 without the key.
pub(super) fn ttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    ttl_generic(ctx, argv, Unit::Seconds, false)
}

pub(super) const PTTL: CommandSpec = CommandSpec {
    name: "pttl",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Get the time to live for a key in milliseconds",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key",
};

/// PTTL key: milliseconds left, -1 without a TTL, -2 without the key.
pub(super) fn pttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    ttl_generic(ctx, argv, Unit::Millis, false)
}

pub(super) const EXPIRETIME: CommandSpec = CommandSpec {
    name: "expiretime",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Get the expiration Unix timestamp for a key",
    since: "7.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// EXPIRETIME key: the expiry as a Unix time in seconds.
pub(super) fn expiretime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    ttl_generic(ctx, argv, Unit::Seconds, true)
}

pub(super) const PEXPIRETIME: CommandSpec = CommandSpec {
    name: "pexpiretime",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@fast"],
    group: "generic",
    summary: "Get the expiration Unix timestamp for a key in milliseconds",
    since: "7.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// PEXPIRETIME key: the expiry as a Unix time in milliseconds.
pub(super) fn pexpiretime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    ttl_generic(ctx, argv, Unit::Millis, true)
}

/// Redis's `ttlGenericCommand()`.
fn ttl_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], unit: Unit, absolute: bool) -> Result<Frame> {
    let now = ctx.now();
    let Some(entry) = ctx.read_notouch(&argv[1]) else {
        return Ok(Frame::Integer(-2));
    };
    let Some(when) = entry.expire_at() else {
        return Ok(Frame::Integer(-1));
    };
    let ms = if absolute { when } else { when - now }.max(0);
    Ok(Frame::Integer(match unit {
        Unit::Millis => ms,
        Unit::Seconds => ms.saturating_add(500) / 1000,
    }))
}

pub(super) const PERSIST: CommandSpec = CommandSpec {
    name: "persist",
    arity: 2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@fast"],
    group: "generic",
    summary: "Remove the expiration from a key",
    since: "2.2.0",
    complexity: "O(1)",
    syntax: "key",
};

/// PERSIST key: 1 if a TTL was removed.
pub(super) fn persist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let removed = ctx.write(&argv[1]).is_some_and(|entry| entry.persist());
    if removed {
        ctx.changed(1);
        ctx.notify(notify::GENERIC, "persist", &argv[1]);
    }
    Ok(Frame::Integer(i64::from(removed)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, int, Harness};

    #[test]
    fn expire_and_ttl() {
        let mut h = Harness::new();
        assert_eq!(h.run("expire k 10"), int(0));
        assert_eq!(h.run("ttl k"), int(-2));
        h.run("set k v");
        assert_eq!(h.run("ttl k"), int(-1));
        assert_eq!(h.run("expire k 10"), int(1));
        assert_eq!(h.run("ttl k"), int(10));
        assert_eq!(h.run("pttl k"), int(10_000));
        assert_eq!(h.run("expiretime k"), int(1010));
        assert_eq!(h.run("pexpiretime k"), int(1_010_000));
        assert_eq!(h.run("pexpire k 1499"), int(1));
        assert_eq!(h.run("ttl k"), int(1), "TTL rounds to the nearest second");
        assert_eq!(h.run("pexpireat k 1002500"), int(1));
        assert_eq!(h.run("ttl k"), int(3));
        assert_eq!(h.run("expireat k 2000"), int(1));
        assert_eq!(h.run("pttl k"), int(1_000_000));
        assert_eq!(h.run("persist k"), int(1));
        assert_eq!(h.run("persist k"), int(0));
        assert_eq!(h.run("persist nope"), int(0));
        assert_eq!(h.run("pexpiretime k"), int(-1));
    }

    #[test]
    fn a_past_time_deletes() {
        let mut h = Harness::new();
        h.run("mset a 1 b 2 c 3");
        assert_eq!(h.run("expire a -1"), int(1));
        assert_eq!(h.run("pexpireat b 1000000"), int(1), "exactly now is past");
        assert_eq!(h.run("expireat c 0"), int(1));
        assert_eq!(h.run("exists a b c"), int(0));
        assert_eq!(h.ks.stats().expired_keys, 0, "deleted, not expired");
    }

    #[test]
    fn conditions() {
        let mut h = Harness::new();
        h.run("set k v");
        assert_eq!(h.run("expire k 100 xx"), int(0));
        assert_eq!(h.run("expire k 100 gt"), int(0), "no TTL is infinite");
        assert_eq!(h.run("expire k 100 lt"), int(1));
        assert_eq!(h.run("expire k 50 nx"), int(0));
        assert_eq!(h.run("expire k 200 gt"), int(1));
        assert_eq!(h.run("expire k 100 GT"), int(0));
        assert_eq!(h.run("expire k 300 lt"), int(0));
        assert_eq!(h.run("expire k 150 xx lt"), int(1));
        assert_eq!(h.run("ttl k"), int(150));
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        h.run("set k v");
        assert_eq!(
            h.run("expire k 10 nx xx"),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            h.run("expire k abc nx gt"),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            h.run("pexpire k 10 gt lt"),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(h.run("expire k 10 foo"), err("ERR Unsupported option foo"));
        assert_eq!(
            h.run("expire k abc"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("expire k 9223372036854776"),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            h.run("expireat k -9223372036854776"),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(
            h.run("pexpire k 9223372036854775807"),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(h.run("pexpireat k 9223372036854775807"), int(1));
        assert_eq!(h.run("ttl k"), int((i64::MAX - 1_000_000 + 500) / 1000));
    }

    #[test]
    fn ttl_hides_expired_keys() {
        let mut h = Harness::new();
        h.run("set k v px 100");
        h.at(1_000_100);
        assert_eq!(h.run("pttl k"), int(0));
        h.at(1_000_101);
        assert_eq!(h.run("pttl k"), int(-2));
        assert_eq!(h.ks.stats().expired_keys, 1);
    }

    #[test]
    fn dirty() {
        let mut h = Harness::new();
        h.run("set k v");
        h.run("expire k 10");
        h.run("expire k 10 nx");
        h.run("persist k");
        h.run("persist k");
        h.run("ttl k");
        assert_eq!(h.ks.dirty(), 3);
    }
}
