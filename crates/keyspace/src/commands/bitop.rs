//! BITOP (bitops.c): AND, OR, XOR and NOT of strings, stored at a destination key.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;

use super::{int_reply, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::value::Value;

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

impl Op {
    fn parse(arg: &[u8]) -> Result<Op> {
        [
            (&b"and"[..], Op::And),
            (b"or", Op::Or),
            (b"xor", Op::Xor),
            (b"not", Op::Not),
        ]
        .into_iter()
        .find(|(name, _)| arg.eq_ignore_ascii_case(name))
        .map(|(_, op)| op)
        .ok_or(Error::Syntax)
    }
}

pub(super) const BITOP: CommandSpec = CommandSpec {
    name: "bitop",
    arity: -4,
    flags: &["write", "denyoom"],
    first_key: 2,
    last_key: -1,
    step: 1,
    acl_categories: &["@write", "@bitmap", "@slow"],
    group: "bitmap",
    summary: "Perform bitwise operations between strings",
    since: "2.6.0",
    complexity: "O(N)",
    syntax: "operation destkey:key key...",
};

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: the length of the result, the longest
/// source's (shorter sources count as zero-padded). An empty result deletes destkey.
pub(super) fn bitop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let op = Op::parse(&argv[1])?;
    let sources = &argv[3..];
    if op == Op::Not && sources.len() != 1 {
        return Err(Error::BitopNot);
    }
    // The sources are read before the destination is written, since it may be one
    // of them; holding `Bytes` costs a reference count each (an int-encoded
    // source is formatted, as Redis's getDecodedObject() does).
    let mut values = Vec::with_capacity(sources.len());
    for key in sources {
        values.push(match ctx.read(key) {
            None => Bytes::new(),
            Some(entry) => entry.value().string_bytes()?,
        });
    }
    let len = values.iter().map(Bytes::len).max().unwrap_or(0);
    let dest = &argv[2];
    if len == 0 {
        // Redis's dbDelete(): the key goes whether or not it has expired.
        if ctx.db().remove(dest).is_some() {
            ctx.changed(1);
            ctx.notify_del(dest);
        }
        return Ok(Frame::Integer(0));
    }
    let result = compute(op, &values, len);
    match ctx.entry(dest) {
        Slot::Vacant(slot) => {
            slot.insert(Value::Str(result));
        }
        // Like SET: the old value and its TTL go.
        Slot::Occupied(entry) => entry.replace(Value::Str(result), false),
    }
    ctx.changed(1);
    ctx.notify(notify::STRING, "set", dest);
    Ok(int_reply(len))
}

/// `len` bytes of `op` over `values` (at least one), each zero-padded to `len`.
/// Whole-slice loops, which the compiler turns into wide vector operations.
fn compute(op: Op, values: &[Bytes], len: usize) -> Bytes {
    let Some((first, rest)) = values.split_first() else {
        return BytesMut::zeroed(len).freeze();
    };
    // The first source, then zeros: each byte is written once before the loops.
    let mut out = BytesMut::with_capacity(len);
    out.extend_from_slice(first);
    out.resize(len, 0);
    match op {
        Op::Not => out.iter_mut().for_each(|b| *b = !*b),
        Op::And => {
            for v in rest {
                out.iter_mut().zip(v.iter()).for_each(|(o, b)| *o &= b);
                // Past a source's end its bytes are zeros.
                if let Some(tail) = out.get_mut(v.len()..) {
                    tail.fill(0);
                }
            }
        }
        Op::Or => {
            for v in rest {
                out.iter_mut().zip(v.iter()).for_each(|(o, b)| *o |= b);
            }
        }
        Op::Xor => {
            for v in rest {
                out.iter_mut().zip(v.iter()).for_each(|(o, b)| *o ^= b);
            }
        }
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, int, ok, Harness};
    use super::*;

    fn bulk(b: &[u8]) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b))
    }

    fn set(h: &mut Harness, key: &str, value: &[u8]) {
        let argv = [
            Bytes::from_static(b"set"),
            Bytes::copy_from_slice(key.as_bytes()),
            Bytes::copy_from_slice(value),
        ];
        assert_eq!(h.run_argv(&argv), ok());
    }

    #[test]
    fn operations_pad_shorter_sources_with_zeros() {
        let mut h = Harness::new();
        set(&mut h, "a", b"\xff\x0f\xf0");
        set(&mut h, "b", b"\x0f\xff");
        assert_eq!(h.run("bitop and d a b"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\x0f\x0f\x00"));
        assert_eq!(h.run("bitop OR d a b"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\xff\xff\xf0"));
        assert_eq!(h.run("bitop Xor d a b"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\xf0\xf0\xf0"));
        assert_eq!(h.run("bitop not d b"), int(2));
        assert_eq!(h.run("get d"), bulk(b"\xf0\x00"));
        assert_eq!(h.run("bitop and d a missing"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\0\0\0"));
        assert_eq!(h.run("bitop or d a a a"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\xff\x0f\xf0"));
        assert_eq!(h.run("bitop xor d a a a"), int(3));
        assert_eq!(h.run("get d"), bulk(b"\xff\x0f\xf0"));
    }

    #[test]
    fn long_strings() {
        let mut h = Harness::new();
        let a: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
        let b: Vec<u8> = (0..150u32).map(|i| (i * 13 + 5) as u8).collect();
        set(&mut h, "a", &a);
        set(&mut h, "b", &b);
        for (op, f) in [
            ("and", (|x, y| x & y) as fn(u8, u8) -> u8),
            ("or", |x, y| x | y),
            ("xor", |x, y| x ^ y),
        ] {
            let want: Vec<u8> = (0..200)
                .map(|i| f(a[i], b.get(i).copied().unwrap_or(0)))
                .collect();
            assert_eq!(h.run(&format!("bitop {op} d a b")), int(200));
            assert_eq!(h.run("get d"), bulk(&want), "{op}");
        }
    }

    #[test]
    fn the_destination_may_be_a_source() {
        let mut h = Harness::new();
        set(&mut h, "a", b"\x01");
        assert_eq!(h.run("bitop not a a"), int(1));
        assert_eq!(h.run("get a"), bulk(b"\xfe"));
    }

    #[test]
    fn int_sources_read_as_text_and_the_result_replaces_the_ttl() {
        let mut h = Harness::new();
        h.run("set n 12");
        h.run("set d x ex 100");
        assert_eq!(h.run("bitop or d n"), int(2));
        assert_eq!(h.run("get d"), bulk(b"12"));
        assert_eq!(h.run("ttl d"), int(-1));
        h.run("rpush d x");
        assert_eq!(h.run("bitop and d n"), int(2), "any type is overwritten");
        assert_eq!(
            h.run("type d"),
            Frame::Simple(Bytes::from_static(b"string"))
        );
    }

    #[test]
    fn an_empty_result_deletes_the_destination() {
        let mut h = Harness::new();
        h.run("set d x");
        set(&mut h, "e", b"");
        let before = h.ks.dirty();
        assert_eq!(h.run("bitop or d missing e"), int(0));
        assert_eq!(h.run("exists d"), int(0));
        assert_eq!(h.ks.dirty(), before + 1);
        assert_eq!(h.run("bitop or d missing"), int(0));
        assert_eq!(h.ks.dirty(), before + 1, "nothing to delete");
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        h.run("rpush l a");
        h.run("set s x");
        assert_eq!(h.run("bitop nand d s"), err("ERR syntax error"));
        assert_eq!(
            h.run("bitop not d s s"),
            err("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(
            h.run("bitop and d s l"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(h.run("exists d"), int(0));
        assert_eq!(
            h.run("bitop and d"),
            err("ERR wrong number of arguments for 'bitop' command")
        );
    }
}
