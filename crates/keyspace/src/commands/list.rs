//! List commands (t_list.c): LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::quicklist::{End, QuickList};
use crate::value::Value;

pub(super) const LPUSH: CommandSpec = CommandSpec {
    name: "lpush",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Prepend one or multiple elements to a list",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    syntax: "key element...",
};

/// LPUSH key element [element ...]
pub(super) fn lpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    push(ctx, argv, End::Head, false)
}

pub(super) const RPUSH: CommandSpec = CommandSpec {
    name: "rpush",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Append one or multiple elements to a list",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    syntax: "key element...",
};

/// RPUSH key element [element ...]
pub(super) fn rpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    push(ctx, argv, End::Tail, false)
}

pub(super) const LPUSHX: CommandSpec = CommandSpec {
    name: "lpushx",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Prepend an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    syntax: "key element...",
};

/// LPUSHX key element [element ...]: only onto an existing list.
pub(super) fn lpushx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    push(ctx, argv, End::Head, true)
}

pub(super) const RPUSHX: CommandSpec = CommandSpec {
    name: "rpushx",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Append an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    syntax: "key element...",
};

/// RPUSHX key element [element ...]: only onto an existing list.
pub(super) fn rpushx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    push(ctx, argv, End::Tail, true)
}

/// Redis's `pushGenericCommand()`: the new length.
fn push(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End, only_existing: bool) -> Result<Frame> {
    let elements = &argv[2..];
    let fill = ctx.tunables.list_max_listpack_size;
    let extend = |list: &mut QuickList| {
        // Encoded into the list's own buffers, never kept as argument slices.
        for e in elements {
            list.push(end, e, fill);
        }
        list.len()
    };
    let len = match ctx.entry(&argv[1]) {
        Slot::Occupied(mut entry) => extend(entry.value_mut().list_mut()?),
        Slot::Vacant(_) if only_existing => return Ok(Frame::Integer(0)),
        Slot::Vacant(slot) => {
            let mut list = QuickList::new();
            let len = extend(&mut list);
            slot.insert(Value::List(list));
            len
        }
    };
    ctx.changed(elements.len());
    ctx.notify(notify::LIST, push_event(end), &argv[1]);
    Ok(int_reply(len))
}

pub(super) const LPOP: CommandSpec = CommandSpec {
    name: "lpop",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Remove and get the first elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
    syntax: "key [count:integer]",
};

/// LPOP key [count]
pub(super) fn lpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    pop(ctx, argv, End::Head, "lpop")
}

pub(super) const RPOP: CommandSpec = CommandSpec {
    name: "rpop",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@fast"],
    group: "list",
    summary: "Remove and get the last elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
    syntax: "key [count:integer]",
};

/// RPOP key [count]
pub(super) fn rpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    pop(ctx, argv, End::Tail, "rpop")
}

/// Redis 7's `popGenericCommand()`: without a count, one element or a null; with
/// one, an array or a null array. An emptied list is deleted.
fn pop(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End, command: &'static str) -> Result<Frame> {
    if argv.len() > 3 {
        return Err(Error::WrongArity { command });
    }
    let count = match argv.get(2) {
        // getPositiveLongFromObjectOrReply() uses its message for non-numbers too.
        Some(arg) => Some(
            usize::try_from(parse_int(arg).map_err(|_| Error::NotPositive)?)
                .map_err(|_| Error::NotPositive)?,
        ),
        None => None,
    };
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(if count.is_some() {
            Frame::NullArray
        } else {
            Frame::Null
        });
    };
    let list = entry.value_mut().list_mut()?;
    let (reply, popped) = match count {
        None => (list.pop(end).map_or(Frame::Null, Frame::Bulk), 1),
        Some(0) => return Ok(Frame::Array(Vec::new())),
        Some(count) => {
            let n = count.min(list.len());
            (Frame::Array(pop_range(list, end, n)), n)
        }
    };
    let emptied = list.is_empty();
    if emptied {
        entry.remove();
    }
    ctx.changed(popped);
    popped_events(ctx, &argv[1], end, emptied);
    Ok(reply)
}

/// The event of a push at `end`: `lpush` or `rpush`.
pub(super) fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// Redis's `listElementsRemoved()` events: `lpop` or `rpop`, then `del` if the pop
/// emptied (and deleted) the list.
pub(super) fn popped_events(ctx: &mut Ctx<'_>, key: &[u8], end: End, emptied: bool) {
    let event = match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    };
    ctx.notify(notify::LIST, event, key);
    if emptied {
        ctx.notify_del(key);
    }
}

/// Removes `n` (<= len) elements from one end and returns them in pop order, as
/// Redis's `listPopRangeAndReplyWithKey()` replies with them.
pub(super) fn pop_range(list: &mut QuickList, end: End, n: usize) -> Vec<Frame> {
    let items = match end {
        End::Head => range_frames(list, 0, n, true),
        End::Tail => range_frames(list, list.len().wrapping_sub(1), n, false),
    };
    match end {
        End::Head => list.trim(n, 0),
        End::Tail => list.trim(0, n),
    }
    items
}

/// `count` elements from `index` on, towards the tail or the head, as bulk replies.
///
/// A reply needs each element as a `Bytes`; one allocation each would cost more than
/// the rest of the command, so the texts are written into one buffer that the
/// replies share.
pub(super) fn range_frames(
    list: &QuickList,
    index: usize,
    count: usize,
    forward: bool,
) -> Vec<Frame> {
    let count = count.min(list.len());
    let mut text = BytesMut::with_capacity(count * list.text_estimate(index));
    let mut items = Vec::with_capacity(count);
    list.for_each_in(index, count, forward, |e| {
        e.write_to(&mut text);
        items.push(Frame::Bulk(text.split().freeze()));
    });
    items
}

pub(super) const LLEN: CommandSpec = CommandSpec {
    name: "llen",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@list", "@fast"],
    group: "list",
    summary: "Get the length of a list",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// LLEN key
pub(super) fn llen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Integer(0)),
        Some(entry) => Ok(int_reply(entry.value().list()?.len())),
    }
}

pub(super) const LRANGE: CommandSpec = CommandSpec {
    name: "lrange",
    arity: 4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@list", "@slow"],
    group: "list",
    summary: "Get a range of elements from a list",
    since: "1.0.0",
    complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    syntax: "key start:integer stop:integer",
};

/// LRANGE key start stop: inclusive, negative indexes count from the end.
pub(super) fn lrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let start = parse_int(&argv[2])?;
    let stop = parse_int(&argv[3])?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let list = entry.value().list()?;
    let len = list.len() as i64;
    // The same clamping as Redis's addListRangeReply().
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return Ok(Frame::Array(Vec::new()));
    }
    let stop = stop.min(len - 1);
    let count = (stop - start + 1) as usize;
    Ok(Frame::Array(range_frames(
        list,
        start as usize,
        count,
        true,
    )))
}

pub(super) const LINDEX: CommandSpec = CommandSpec {
    name: "lindex",
    arity: 3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@list", "@slow"],
    group: "list",
    summary: "Get an element from a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    syntax: "key index:integer",
};

/// LINDEX key index: negative indexes count from the end.
pub(super) fn lindex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Null);
    };
    let list = entry.value().list()?;
    // Redis parses the index only after finding the list.
    let index = parse_int(&argv[2])?;
    let position = if index < 0 {
        index.checked_add(list.len() as i64)
    } else {
        Some(index)
    };
    let element = position
        .and_then(|p| usize::try_from(p).ok())
        .and_then(|p| list.get(p));
    Ok(element.map_or(Frame::Null, |e| Frame::Bulk(e.to_bytes())))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn push_and_range() {
        let mut h = Harness::new();
        assert_eq!(h.run("rpush l b c"), int(2));
        assert_eq!(h.run("lpush l a z"), int(4));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["z", "a", "b", "c"]));
        assert_eq!(h.run("lrange l 1 2"), arr(&["a", "b"]));
        assert_eq!(h.run("lrange l -2 100"), arr(&["b", "c"]));
        assert_eq!(h.run("lrange l -100 0"), arr(&["z"]));
        assert_eq!(h.run("lrange l 3 1"), arr(&[]));
        assert_eq!(h.run("lrange l 4 10"), arr(&[]));
        assert_eq!(h.run("lrange l 0 -5"), arr(&[]));
        assert_eq!(h.run("lrange nope 0 -1"), arr(&[]));
        assert_eq!(h.run("llen l"), int(4));
        assert_eq!(h.run("llen nope"), int(0));
        assert_eq!(
            h.run("lrange l x 1"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(h.ks.dirty(), 4);
    }

    #[test]
    fn pushx_needs_an_existing_list() {
        let mut h = Harness::new();
        assert_eq!(h.run("lpushx l a"), int(0));
        assert_eq!(h.run("rpushx l a"), int(0));
        assert_eq!(h.run("exists l"), int(0));
        h.run("rpush l a");
        assert_eq!(h.run("lpushx l b"), int(2));
        assert_eq!(h.run("rpushx l c d"), int(4));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "a", "c", "d"]));
    }

    #[test]
    fn pop_shapes() {
        let mut h = Harness::new();
        assert_eq!(h.run("lpop l"), Frame::Null);
        assert_eq!(h.run("lpop l 2"), Frame::NullArray);
        assert_eq!(h.run("lpop l 0"), Frame::NullArray);
        h.run("rpush l a b c d e");
        assert_eq!(h.run("lpop l"), bulk("a"));
        assert_eq!(h.run("rpop l"), bulk("e"));
        assert_eq!(h.run("lpop l 0"), arr(&[]));
        assert_eq!(h.run("rpop l 2"), arr(&["d", "c"]));
        assert_eq!(h.run("lpop l 5"), arr(&["b"]));
        assert_eq!(h.run("exists l"), int(0), "an emptied list is deleted");
        assert_eq!(h.ks.dirty(), 5 + 1 + 1 + 2 + 1);
    }

    #[test]
    fn pop_errors() {
        let mut h = Harness::new();
        let positive = err("ERR value is out of range, must be positive");
        assert_eq!(h.run("lpop l -1"), positive);
        assert_eq!(h.run("lpop l abc"), positive);
        assert_eq!(
            h.run("rpop l 1 2"),
            err("ERR wrong number of arguments for 'rpop' command")
        );
        h.run("set s v");
        assert_eq!(h.run("lpop s"), err(WRONGTYPE));
        assert_eq!(
            h.run("lpop s 0"),
            err(WRONGTYPE),
            "the type is checked before count 0"
        );
    }

    #[test]
    fn lindex() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("lindex l abc"),
            Frame::Null,
            "no list: the index is not parsed"
        );
        h.run("rpush l a b c");
        assert_eq!(h.run("lindex l 0"), bulk("a"));
        assert_eq!(h.run("lindex l -1"), bulk("c"));
        assert_eq!(h.run("lindex l 3"), Frame::Null);
        assert_eq!(h.run("lindex l -4"), Frame::Null);
        assert_eq!(h.run("lindex l -9223372036854775808"), Frame::Null);
        assert_eq!(
            h.run("lindex l abc"),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn wrong_types() {
        let mut h = Harness::new();
        h.run("set s v");
        for line in [
            "lpush s a",
            "rpushx s a",
            "llen s",
            "lrange s 0 -1",
            "lindex s 0",
            "rpop s 1",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(h.ks.dirty(), 1);
    }
}
