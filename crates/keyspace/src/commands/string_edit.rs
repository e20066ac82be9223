//! Commands on parts of a string (t_string.c): APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::value::Value;

/// Redis's `checkStringLength()`: no string may grow past `proto-max-bulk-len`.
fn check_len(max: u64, size: u64, append: u64) -> Result<()> {
    match size.checked_add(append) {
        Some(total) if total <= max => Ok(()),
        _ => Err(Error::StringTooLong),
    }
}

pub(super) const APPEND: CommandSpec = CommandSpec {
    name: "append",
    arity: 3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@fast"],
    group: "string",
    summary: "Append a value to a key",
    since: "2.0.0",
    complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    syntax: "key value",
};

/// APPEND key value: the new length.
pub(super) fn append(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let tail = &argv[2];
    let max_len = ctx.tunables.proto_max_bulk_len;
    let len = match ctx.entry(&argv[1]) {
        Slot::Vacant(slot) => {
            slot.insert(Value::string_from_arg(tail));
            tail.len()
        }
        Slot::Occupied(mut entry) => {
            let value = entry.value_mut();
            check_len(max_len, value.string_len()? as u64, tail.len() as u64)?;
            value.edit_string(|buf| {
                buf.extend_from_slice(tail);
                buf.len()
            })?
        }
    };
    ctx.changed(1);
    ctx.notify(notify::STRING, "append", &argv[1]);
    Ok(int_reply(len))
}

pub(super) const STRLEN: CommandSpec = CommandSpec {
    name: "strlen",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@string", "@fast"],
    group: "string",
    summary: "Get the length of the value stored in a key",
    since: "2.2.0",
    complexity: "O(1)",
    syntax: "key",
};

/// STRLEN key
pub(super) fn strlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Integer(0)),
        Some(entry) => Ok(int_reply(entry.value().string_len()?)),
    }
}

pub(super) const GETRANGE: CommandSpec = CommandSpec {
    name: "getrange",
    arity: 4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@string", "@slow"],
    group: "string",
    summary: "Get a substring of the string stored at a key",
    since: "2.4.0",
    complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    syntax: "key start:integer end:integer",
};

/// GETRANGE key start end: inclusive, negative offsets count from the end.
pub(super) fn getrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let start = parse_int(&argv[2])?;
    let end = parse_int(&argv[3])?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Bulk(Bytes::new()));
    };
    let value = entry.value().string_bytes()?;
    let len = value.len() as i64;
    // The same clamping as Redis's getrangeCommand().
    if start < 0 && end < 0 && start > end {
        return Ok(Frame::Bulk(Bytes::new()));
    }
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { (len + end).max(0) } else { end }.min(len - 1);
    if start > end || len == 0 {
        return Ok(Frame::Bulk(Bytes::new()));
    }
    // A slice shares the stored bytes: no copy.
    Ok(Frame::Bulk(value.slice(start as usize..=end as usize)))
}

pub(super) const SUBSTR: CommandSpec = CommandSpec {
    name: "substr",
    arity: 4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@string", "@slow"],
    group: "string",
    summary: "Get a substring of the string stored at a key",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    syntax: "key start:integer end:integer",
};

/// SUBSTR key start end: the old name of GETRANGE.
pub(super) fn substr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    getrange(ctx, argv)
}

pub(super) const SETRANGE: CommandSpec = CommandSpec {
    name: "setrange",
    arity: 4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@string", "@slow"],
    group: "string",
    summary: "Overwrite part of a string at key starting at the specified offset",
    since: "2.2.0",
    complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    syntax: "key offset:integer value",
};

/// SETRANGE key offset value: overwrites from `offset`, zero-padding as needed; the
/// new length.
pub(super) fn setrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let offset = parse_int(&argv[2])?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err(Error::OffsetOutOfRange);
    };
    let patch = &argv[3];
    let max_len = ctx.tunables.proto_max_bulk_len;
    let len = match ctx.entry(&argv[1]) {
        // Setting nothing on a missing key creates nothing.
        Slot::Vacant(_) if patch.is_empty() => return Ok(Frame::Integer(0)),
        Slot::Vacant(slot) => {
            check_len(max_len, offset, patch.len() as u64)?;
            let offset = offset as usize;
            let mut buf = BytesMut::zeroed(offset + patch.len());
            buf[offset..].copy_from_slice(patch);
            slot.insert(Value::Str(buf.freeze()));
            offset + patch.len()
        }
        Slot::Occupied(mut entry) => {
            let value = entry.value_mut();
            let current = value.string_len()?;
            if patch.is_empty() {
                return Ok(int_reply(current));
            }
            check_len(max_len, offset, patch.len() as u64)?;
            let (offset, end) = (offset as usize, offset as usize + patch.len());
            value.edit_string(|buf| {
                if buf.len() < end {
                    buf.resize(end, 0);
                }
                buf[offset..end].copy_from_slice(patch);
                buf.len()
            })?
        }
    };
    ctx.changed(1);
    ctx.notify(notify::STRING, "setrange", &argv[1]);
    Ok(int_reply(len))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, Harness};

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn append_and_strlen() {
        let mut h = Harness::new();
        assert_eq!(h.run("strlen k"), int(0));
        assert_eq!(h.run("append k 12"), int(2));
        assert_eq!(h.run("append k 34"), int(4));
        assert_eq!(h.run("get k"), bulk("1234"));
        assert_eq!(
            h.run("incr k"),
            int(1235),
            "appending digits keeps it a number"
        );
        assert_eq!(h.run("append k x"), int(5));
        assert_eq!(h.run("strlen k"), int(5));
        h.run("rpush l a");
        assert_eq!(h.run("append l x"), err(WRONGTYPE));
        assert_eq!(h.run("strlen l"), err(WRONGTYPE));
        assert_eq!(h.ks.dirty(), 3 + 1 + 1, "appends, INCR and RPUSH");
    }

    #[test]
    fn append_keeps_the_ttl() {
        let mut h = Harness::new();
        h.run("set k v ex 100");
        h.run("append k w");
        assert_eq!(h.run("ttl k"), int(100));
    }

    #[test]
    fn getrange_clamps_like_redis() {
        let mut h = Harness::new();
        h.run("set k Hello");
        for (range, want) in [
            ("0 -1", "Hello"),
            ("1 3", "ell"),
            ("-3 -1", "llo"),
            ("-1 -3", ""),
            ("-100 100", "Hello"),
            ("3 1", ""),
            ("5 10", ""),
            ("0 0", "H"),
            ("-9223372036854775808 9223372036854775807", "Hello"),
        ] {
            assert_eq!(h.run(&format!("getrange k {range}")), bulk(want), "{range}");
        }
        assert_eq!(h.run("getrange missing 0 -1"), bulk(""));
        h.run("set n -1234");
        assert_eq!(h.run("substr n 1 2"), bulk("12"));
        assert_eq!(
            h.run("getrange k a 1"),
            err("ERR value is not an integer or out of range")
        );
        h.run("rpush l a");
        assert_eq!(h.run("getrange l 0 1"), err(WRONGTYPE));
    }

    #[test]
    fn setrange() {
        let mut h = Harness::new();
        assert_eq!(h.run("setrange k 0 "), int(0));
        assert_eq!(h.run("exists k"), int(0), "nothing set on a missing key");
        assert_eq!(h.run("setrange k 3 ab"), int(5));
        assert_eq!(h.run("get k"), bulk("\0\0\0ab"));
        assert_eq!(h.run("setrange k 1 X"), int(5));
        assert_eq!(h.run("get k"), bulk("\0X\0ab"));
        assert_eq!(h.run("setrange k 2 "), int(5));
        h.run("set n 12345");
        assert_eq!(h.run("setrange n 1 0"), int(5));
        assert_eq!(h.run("get n"), bulk("10345"));
        assert_eq!(h.run("setrange k -1 x"), err("ERR offset is out of range"));
        assert_eq!(
            h.run("setrange k x x"),
            err("ERR value is not an integer or out of range")
        );
        let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(h.run("setrange k 536870912 x"), too_long);
        assert_eq!(h.run("setrange new 9223372036854775807 x"), too_long);
        assert_eq!(h.run("exists new"), int(0));
        h.run("rpush l a");
        assert_eq!(h.run("setrange l 0 x"), err(WRONGTYPE));
        assert_eq!(h.run("setrange l 0 "), err(WRONGTYPE));
    }
}
