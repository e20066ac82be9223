//! List commands that move elements between lists or pop from several (t_list.c):
//! LMOVE, RPOPLPUSH, LMPOP. Their blocking variants live elsewhere.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::list::{pop_range, popped_events, push_event};
use super::{parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::quicklist::{End, QuickList};
use crate::value::Value;

pub(super) const LMOVE: CommandSpec = CommandSpec {
    name: "lmove",
    arity: 5,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it",
    since: "6.2.0",
    complexity: "O(1)",
    syntax: "source:key destination:key (LEFT | RIGHT) (LEFT | RIGHT)",
};

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub(super) fn lmove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    move_element(ctx, &argv[1], &argv[2], from, to)
}

pub(super) const RPOPLPUSH: CommandSpec = CommandSpec {
    name: "rpoplpush",
    arity: 3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Remove the last element in a list, prepend it to another list and return it",
    since: "1.2.0",
    complexity: "O(1)",
    syntax: "source:key destination:key",
};

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
pub(super) fn rpoplpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    move_element(ctx, &argv[1], &argv[2], End::Tail, End::Head)
}

/// `getListPositionFromObjectOrReply()`.
pub(super) fn parse_end(arg: &[u8]) -> Result<End> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(Error::Syntax)
    }
}

/// Redis's `lmoveGenericCommand()`: the moved element, or null without a source.
/// Both types are checked before anything moves; the source and the destination
/// may be the same list, which is then rotated.
pub(super) fn move_element(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Frame> {
    let fill = ctx.tunables.list_max_listpack_size;
    {
        let Some(mut source) = ctx.write(src) else {
            return Ok(Frame::Null);
        };
        let list = source.value_mut().list_mut()?;
        if src == dst {
            let Some(value) = list.pop(from) else {
                return Ok(Frame::Null);
            };
            list.push(to, &value, fill);
            ctx.changed(1);
            ctx.notify(notify::LIST, push_event(to), dst);
            popped_events(ctx, src, from, false);
            return Ok(Frame::Bulk(value));
        }
        if list.is_empty() {
            return Ok(Frame::Null);
        }
    }
    // The destination's type is checked before anything is popped.
    if let Some(destination) = ctx.write(dst) {
        destination.value().list()?;
    }
    let Some(mut source) = ctx.again(src) else {
        return Ok(Frame::Null);
    };
    let list = source.value_mut().list_mut()?;
    let Some(value) = list.pop(from) else {
        return Ok(Frame::Null);
    };
    let emptied = list.is_empty();
    if emptied {
        source.remove();
    }
    match ctx.entry_again(dst) {
        Slot::Occupied(mut entry) => entry.value_mut().list_mut()?.push(to, &value, fill),
        Slot::Vacant(slot) => {
            let mut list = QuickList::new();
            list.push(to, &value, fill);
            slot.insert(Value::List(list));
        }
    }
    ctx.changed(1);
    // `lmoveHandlePush` notifies the push before the pop is notified.
    ctx.notify(notify::LIST, push_event(to), dst);
    popped_events(ctx, src, from, emptied);
    Ok(Frame::Bulk(value))
}

pub(super) const LMPOP: CommandSpec = CommandSpec {
    name: "lmpop",
    arity: -4,
    flags: &["write", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Pop elements from a list",
    since: "7.0.0",
    complexity:
        "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    syntax: "numkeys:integer key... (LEFT | RIGHT) [COUNT count:integer]",
};

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to `count` (1)
/// elements from the first non-empty list, replying `[key, [elements]]`, or a null
/// array when every list is empty.
pub(super) fn lmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let (where_at, end, count) = parse_mpop(argv, 1)?;
    for key in &argv[2..where_at] {
        let Some(mut entry) = ctx.write(key) else {
            continue;
        };
        let list = entry.value_mut().list_mut()?;
        if list.is_empty() {
            continue;
        }
        let n = count.min(list.len());
        let items = pop_range(list, end, n);
        let emptied = list.is_empty();
        if emptied {
            entry.remove();
        }
        popped_events(ctx, key, end, emptied);
        // Propagated as what it did, as Redis rewrites it: [LR]POP key count.
        let pop: &'static [u8] = match end {
            End::Head => b"LPOP",
            End::Tail => b"RPOP",
        };
        ctx.propagate_as(vec![vec![
            Bytes::from_static(pop),
            key.clone(),
            Bytes::from(n.to_string()),
        ]]);
        ctx.changed(n);
        return Ok(Frame::Array(vec![
            Frame::Bulk(key.clone()),
            Frame::Array(items),
        ]));
    }
    Ok(Frame::NullArray)
}

/// The arguments of LMPOP and BLMPOP after the timeout (Redis's
/// `lmpopGenericCommand()`): numkeys at `numkeys_at` in 1..=LONG_MAX, the direction
/// right after the keys, then an optional COUNT given once. Returns the position of
/// the direction, the end to pop from, and the count (1 by default).
pub(super) fn parse_mpop(argv: &[Bytes], numkeys_at: usize) -> Result<(usize, End, usize)> {
    // getRangeLongFromObjectOrReply() with a message: the same for non-numbers.
    let positive = |arg: &[u8], e: Error| match parse_int(arg) {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(e),
    };
    let numkeys = positive(&argv[numkeys_at], Error::NumkeysNotPositive)?;
    let where_at = numkeys
        .checked_add(numkeys_at + 1)
        .filter(|&at| at < argv.len())
        .ok_or(Error::Syntax)?;
    let end = parse_end(&argv[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while let Some(opt) = argv.get(j) {
        if count.is_none() && opt.eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
            count = Some(positive(&argv[j + 1], Error::CountNotPositive)?);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((where_at, end, count.unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn lmove_between_lists() {
        let mut h = Harness::new();
        assert_eq!(h.run("lmove a b left left"), Frame::Null);
        assert_eq!(h.run("lmove a b up left"), err("ERR syntax error"));
        assert_eq!(h.run("lmove a b left down"), err("ERR syntax error"));
        h.run("rpush a 1 2 3");
        assert_eq!(h.run("lmove a b LEFT RIGHT"), bulk("1"));
        assert_eq!(h.run("lmove a b right left"), bulk("3"));
        assert_eq!(h.run("lrange b 0 -1"), arr(&["3", "1"]));
        assert_eq!(h.run("rpoplpush a b"), bulk("2"));
        assert_eq!(h.run("exists a"), int(0), "an emptied source is deleted");
        assert_eq!(h.run("lrange b 0 -1"), arr(&["2", "3", "1"]));
        assert_eq!(h.run("rpoplpush a b"), Frame::Null);
        assert_eq!(h.ks.dirty(), 3 + 3);
    }

    #[test]
    fn lmove_onto_itself_rotates() {
        let mut h = Harness::new();
        h.run("rpush l a b c");
        assert_eq!(h.run("lmove l l left right"), bulk("a"));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "c", "a"]));
        assert_eq!(h.run("rpoplpush l l"), bulk("a"));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["a", "b", "c"]));
        h.run("rpush one x");
        assert_eq!(h.run("lmove one one right left"), bulk("x"));
        assert_eq!(h.run("lrange one 0 -1"), arr(&["x"]));
    }

    #[test]
    fn lmove_checks_both_types_first() {
        let mut h = Harness::new();
        h.run("rpush l a");
        h.run("set s v");
        assert_eq!(h.run("lmove l s left left"), err(WRONGTYPE));
        assert_eq!(h.run("lmove s l left left"), err(WRONGTYPE));
        assert_eq!(h.run("rpoplpush l s"), err(WRONGTYPE));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["a"]), "nothing moved");
        assert_eq!(h.run("lmove nokey s left left"), Frame::Null);
    }

    #[test]
    fn lmpop() {
        let mut h = Harness::new();
        assert_eq!(h.run("lmpop 2 a b left"), Frame::NullArray);
        h.run("rpush b 1 2 3");
        h.run("rpush c 4");
        assert_eq!(
            h.run("lmpop 3 a b c left"),
            Frame::Array(vec![bulk("b"), arr(&["1"])])
        );
        assert_eq!(
            h.run("lmpop 2 b c RIGHT count 10"),
            Frame::Array(vec![bulk("b"), arr(&["3", "2"])])
        );
        assert_eq!(h.run("exists b"), int(0));
        assert_eq!(
            h.run("lmpop 1 c left COUNT 1"),
            Frame::Array(vec![bulk("c"), arr(&["4"])])
        );
        assert_eq!(h.ks.dirty(), 4 + 1 + 2 + 1);
    }

    #[test]
    fn lmpop_errors() {
        let mut h = Harness::new();
        h.run("rpush l a");
        let numkeys = err("ERR numkeys should be greater than 0");
        for c in ["lmpop 0 l left", "lmpop -1 l left", "lmpop x l left"] {
            assert_eq!(h.run(c), numkeys, "{c}");
        }
        let count = err("ERR count should be greater than 0");
        for c in [
            "lmpop 1 l left count 0",
            "lmpop 1 l left count x",
            "lmpop 1 l left count -1",
            "lmpop 1 l left count 0 extra",
        ] {
            assert_eq!(h.run(c), count, "{c}");
        }
        let syntax = err("ERR syntax error");
        for c in [
            "lmpop 2 l left",
            "lmpop 9223372036854775807 l left",
            "lmpop 1 l middle",
            "lmpop 1 l left count",
            "lmpop 1 l left count 1 count 1",
            "lmpop 1 l left foo 1",
        ] {
            assert_eq!(h.run(c), syntax, "{c}");
        }
        h.run("set s v");
        assert_eq!(h.run("lmpop 2 s l left"), err(WRONGTYPE));
        assert_eq!(
            h.run("lmpop 2 l s left"),
            Frame::Array(vec![bulk("l"), arr(&["a"])]),
            "stops at the first non-empty list"
        );
        assert_eq!(h.run("lmpop 1 l left x"), err("ERR syntax error"));
    }
}
