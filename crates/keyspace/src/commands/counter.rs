//! Counters (t_string.c): INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::ldouble::LongDouble;
use crate::notify;
use crate::num;
use crate::spec::CommandSpec;
use crate::value::Value;

pub(super) const INCR: CommandSpec = CommandSpec {
    name: "incr",
    arity: 2,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Increment the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// INCR key
pub(super) fn incr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    incr_by(ctx, &argv[1], 1)
}

pub(super) const DECR: CommandSpec = CommandSpec {
    name: "decr",
    arity: 2,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Decrement the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// DECR key
pub(super) fn decr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    incr_by(ctx, &argv[1], -1)
}

pub(super) const INCRBY: CommandSpec = CommandSpec {
    name: "incrby",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Increment the integer value of a key by the given amount",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key increment:integer",
};

/// INCRBY key increment
pub(super) fn incrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let by = parse_int(&argv[2])?;
    incr_by(ctx, &argv[1], by)
}

pub(super) const DECRBY: CommandSpec = CommandSpec {
    name: "decrby",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Decrement the integer value of a key by the given number",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key decrement:integer",
};

/// DECRBY key decrement
pub(super) fn decrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let by = parse_int(&argv[2])?;
    // Negating LLONG_MIN would overflow.
    let by = by.checked_neg().ok_or(Error::DecrOverflow)?;
    incr_by(ctx, &argv[1], by)
}

/// Redis's `incrDecrCommand()`: a missing key counts as 0; the TTL is kept.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> Result<Frame> {
    let result = match ctx.entry(key) {
        Slot::Occupied(mut entry) => {
            let value = entry.value_mut();
            let current = match value {
                Value::Int(n) => *n,
                Value::Str(s) => num::parse_i64(s).ok_or(Error::NotInteger)?,
                _ => return Err(Error::WrongType),
            };
            let result = current.checked_add(by).ok_or(Error::IncrOverflow)?;
            *value = Value::Int(result);
            result
        }
        Slot::Vacant(slot) => {
            slot.insert(Value::Int(by));
            by
        }
    };
    ctx.changed(1);
    ctx.notify(notify::STRING, "incrby", key);
    Ok(Frame::Integer(result))
}

pub(super) const INCRBYFLOAT: CommandSpec = CommandSpec {
    name: "incrbyfloat",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Increment the float value of a key by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    syntax: "key increment:double",
};

/// INCRBYFLOAT key increment: computed in `long double` precision and printed the way
/// Redis prints it (see [`LongDouble`]); the TTL is kept.
pub(super) fn incrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let parse = |s: &[u8]| LongDouble::parse(s).ok_or(Error::NotFloat);
    let text = match ctx.entry(&argv[1]) {
        Slot::Occupied(mut entry) => {
            let value = entry.value_mut();
            let current = match value {
                Value::Int(n) => LongDouble::from_i64(*n),
                Value::Str(s) => parse(s)?,
                _ => return Err(Error::WrongType),
            };
            let text = sum_text(current, parse(&argv[2])?)?;
            *value = Value::Str(text.clone());
            text
        }
        Slot::Vacant(slot) => {
            let text = sum_text(LongDouble::from_i64(0), parse(&argv[2])?)?;
            slot.insert(Value::Str(text.clone()));
            text
        }
    };
    ctx.changed(1);
    ctx.notify(notify::STRING, "incrbyfloat", &argv[1]);
    // Float formatting may differ between machines: replicas get the result
    // (`incrbyfloatCommand` propagates SET ... KEEPTTL).
    ctx.propagate_one(&[b"SET", &argv[1], &text, b"KEEPTTL"]);
    Ok(Frame::Bulk(text))
}

fn sum_text(a: LongDouble, b: LongDouble) -> Result<Bytes> {
    let sum = a.add(b);
    if !sum.is_finite() {
        return Err(Error::NanOrInfinity);
    }
    Ok(Bytes::from(sum.to_human()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, Harness};

    const NOT_INT: &str = "ERR value is not an integer or out of range";
    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn incr_decr() {
        let mut h = Harness::new();
        assert_eq!(h.run("incr n"), int(1));
        assert_eq!(h.run("incrby n 10"), int(11));
        assert_eq!(h.run("decr n"), int(10));
        assert_eq!(h.run("decrby n 15"), int(-5));
        assert_eq!(h.run("get n"), bulk("-5"));
        h.run("set s 41");
        assert_eq!(h.run("incr s"), int(42));
        h.run("append s 0");
        assert_eq!(h.run("incr s"), int(421));
        assert_eq!(h.ks.dirty(), 8);
    }

    #[test]
    fn incr_errors() {
        let mut h = Harness::new();
        for v in ["abc", "1.5", "01", "+1", "99999999999999999999"] {
            h.run(&format!("set k {v}"));
            assert_eq!(h.run("incr k"), err(NOT_INT), "{v:?}");
        }
        assert_eq!(h.run("incrby n x"), err(NOT_INT));
        assert_eq!(h.run("exists n"), int(0));
        h.run("set max 9223372036854775807");
        assert_eq!(
            h.run("incr max"),
            err("ERR increment or decrement would overflow")
        );
        h.run("set min -9223372036854775808");
        assert_eq!(
            h.run("decr min"),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(
            h.run("decrby x -9223372036854775808"),
            err("ERR decrement would overflow")
        );
        assert_eq!(h.run("incrby x -9223372036854775808"), int(i64::MIN));
        h.run("rpush l a");
        assert_eq!(h.run("incr l"), err(WRONGTYPE));
    }

    #[test]
    fn incr_keeps_the_ttl_and_respects_expiry() {
        let mut h = Harness::new();
        h.run("set n 5 ex 100");
        assert_eq!(h.run("incr n"), int(6));
        assert_eq!(h.run("ttl n"), int(100));
        h.at(1_000_000 + 100_001);
        assert_eq!(h.run("incr n"), int(1), "an expired counter starts again");
        assert_eq!(h.run("ttl n"), int(-1));
    }

    #[test]
    fn incrbyfloat() {
        let mut h = Harness::new();
        h.run("set f 10.50");
        assert_eq!(h.run("incrbyfloat f 0.1"), bulk("10.6"));
        assert_eq!(h.run("incrbyfloat f -5"), bulk("5.6"));
        h.run("set f 5.0e3");
        assert_eq!(h.run("incrbyfloat f 2.0e2"), bulk("5200"));
        assert_eq!(h.run("incrbyfloat new 0.1"), bulk("0.1"));
        assert_eq!(h.run("incrbyfloat new 0.2"), bulk("0.3"));
        h.run("set i 3");
        assert_eq!(h.run("incrbyfloat i 1.5"), bulk("4.5"));
        assert_eq!(
            h.run("incr f"),
            int(5201),
            "the stored text is an integer again"
        );
        h.run("set t 1 ex 100");
        h.run("incrbyfloat t 1");
        assert_eq!(h.run("ttl t"), int(100));
    }

    #[test]
    fn incrbyfloat_errors() {
        let mut h = Harness::new();
        let not_float = err("ERR value is not a valid float");
        h.run("set s abc");
        assert_eq!(h.run("incrbyfloat s 1"), not_float);
        assert_eq!(h.run("incrbyfloat n abc"), not_float);
        assert_eq!(h.run("incrbyfloat n nan"), not_float);
        assert_eq!(h.run("exists n"), int(0));
        let nan_inf = err("ERR increment would produce NaN or Infinity");
        assert_eq!(h.run("incrbyfloat n inf"), nan_inf);
        h.run("set big 1e4932");
        assert_eq!(h.run("incrbyfloat big 1e4932"), nan_inf);
        h.run("rpush l a");
        assert_eq!(h.run("incrbyfloat l 1"), err(WRONGTYPE));
    }
}
