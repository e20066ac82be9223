//! List commands that change or search the middle of a list (t_list.c): LSET, LINSERT,
//! LREM, LTRIM, LPOS.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::quicklist::QuickList;

pub(super) const LSET: CommandSpec = CommandSpec {
    name: "lset",
    arity: 4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Set the value of an element in a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    syntax: "key index:integer element:string",
};

/// LSET key index element: negative indexes count from the end.
pub(super) fn lset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let fill = ctx.tunables.list_max_listpack_size;
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Err(Error::NoSuchKey);
    };
    let list = entry.value_mut().list_mut()?;
    // Redis parses the index only after finding the list.
    let index = parse_int(&argv[2])?;
    let position = resolve(index, list.len()).ok_or(Error::IndexOutOfRange)?;
    if !list.set(position, &argv[3], fill) {
        return Err(Error::IndexOutOfRange);
    }
    ctx.changed(1);
    ctx.notify(notify::LIST, "lset", &argv[1]);
    Ok(Frame::ok())
}

/// A list index (negative: from the end) as a position, if it is within the list.
fn resolve(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let position = if index < 0 { index + len } else { index };
    usize::try_from(position).ok().filter(|&p| (p as i64) < len)
}

pub(super) const LINSERT: CommandSpec = CommandSpec {
    name: "linsert",
    arity: 5,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Insert an element before or after another element in a list",
    since: "2.2.0",
    complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    syntax: "key (BEFORE | AFTER) pivot:string element:string",
};

/// LINSERT key BEFORE|AFTER pivot element: the new length, 0 without the list, -1
/// without the pivot.
pub(super) fn linsert(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let after = if argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let fill = ctx.tunables.list_max_listpack_size;
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let list = entry.value_mut().list_mut()?;
    if !list.insert_at_pivot(&argv[3], &argv[4], after, fill) {
        return Ok(Frame::Integer(-1));
    }
    let len = list.len();
    ctx.changed(1);
    ctx.notify(notify::LIST, "linsert", &argv[1]);
    Ok(int_reply(len))
}

pub(super) const LREM: CommandSpec = CommandSpec {
    name: "lrem",
    arity: 4,
    flags: &["write"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Remove elements from a list",
    since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
    syntax: "key count:integer element:string",
};

/// LREM key count element: removes the first `count` occurrences from the head
/// (count > 0), from the tail (count < 0), or all (0); the number removed.
pub(super) fn lrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let count = parse_int(&argv[2])?;
    let fill = ctx.tunables.list_max_listpack_size;
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let list = entry.value_mut().list_mut()?;
    let removed = list.remove(&argv[3], count, fill);
    let emptied = list.is_empty();
    if emptied {
        entry.remove();
    }
    ctx.changed(removed);
    if removed > 0 {
        ctx.notify(notify::LIST, "lrem", &argv[1]);
    }
    if emptied {
        ctx.notify_del(&argv[1]);
    }
    Ok(int_reply(removed))
}

pub(super) const LTRIM: CommandSpec = CommandSpec {
    name: "ltrim",
    arity: 4,
    flags: &["write"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@list", "@slow"],
    group: "list",
    summary: "Trim a list to the specified range",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
    syntax: "key start:integer stop:integer",
};

/// LTRIM key start stop: keeps the inclusive range; an empty range deletes the key.
pub(super) fn ltrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let start = parse_int(&argv[2])?;
    let stop = parse_int(&argv[3])?;
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::ok());
    };
    let list = entry.value_mut().list_mut()?;
    let len = list.len() as i64;
    // The same clamping as Redis's ltrimCommand().
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    let (front, back) = if start > stop || start >= len {
        (len, 0)
    } else {
        (start, len - stop.min(len - 1) - 1)
    };
    list.trim(front as usize, back as usize);
    let emptied = list.is_empty();
    if emptied {
        entry.remove();
    }
    // `ltrimCommand` raises `ltrim` even when nothing was trimmed.
    ctx.notify(notify::LIST, "ltrim", &argv[1]);
    if emptied {
        ctx.notify_del(&argv[1]);
    }
    if front + back == 0 {
        // Redis signals the key even when nothing was trimmed.
        let db = ctx.session.db;
        ctx.touch_key(db, &argv[1]);
    }
    ctx.changed((front + back) as usize);
    Ok(Frame::ok())
}

pub(super) const LPOS: CommandSpec = CommandSpec {
    name: "lpos",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@list", "@slow"],
    group: "list",
    summary: "Return the index of matching elements on a list",
    since: "6.0.6",
    complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    syntax: "key element:string [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]",
};

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the
/// `rank`-th match (from the tail for a negative rank), or with COUNT an array of up
/// to that many (0: all) match indexes from there on, looking at `len` elements at
/// most (0: all).
pub(super) fn lpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut args = argv[3..].iter();
    while let Some(opt) = args.next() {
        // Each option needs a value after it, else the whole line is a syntax error.
        let value = args.next().ok_or(Error::Syntax);
        if opt.eq_ignore_ascii_case(b"rank") {
            rank = parse_int(value?)?;
            if rank == 0 {
                return Err(Error::RankZero);
            }
        } else if opt.eq_ignore_ascii_case(b"count") {
            count = Some(non_negative(value?, Error::CountNegative)?);
        } else if opt.eq_ignore_ascii_case(b"maxlen") {
            maxlen = non_negative(value?, Error::MaxlenNegative)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(if count.is_some() {
            Frame::Array(Vec::new())
        } else {
            Frame::Null
        });
    };
    let list = entry.value().list()?;
    let mut found = positions(list, &argv[2], rank, count, maxlen);
    Ok(match count {
        Some(_) => Frame::Array(found),
        None => found.pop().unwrap_or(Frame::Null),
    })
}

/// `getPositiveLongFromObjectOrReply()` with its own message, for non-numbers too.
fn non_negative(arg: &[u8], error: Error) -> Result<i64> {
    match parse_int(arg) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(error),
    }
}

/// The search of Redis's `lposCommand()`, including its arithmetic on C longs: a
/// RANK of i64::MIN stays negative when negated and so matches from the first hit.
/// Without COUNT, at most one index is found.
fn positions(
    list: &QuickList,
    element: &[u8],
    rank: i64,
    count: Option<i64>,
    maxlen: i64,
) -> Vec<Frame> {
    let (rank, forward) = if rank < 0 {
        (rank.wrapping_neg(), false)
    } else {
        (rank, true)
    };
    let len = list.len() as i64;
    let start = if forward {
        0
    } else {
        list.len().wrapping_sub(1)
    };
    let needle = QuickList::needle(element);
    let mut out = Vec::new();
    let mut matches: i64 = 0;
    for (index, elem) in (0i64..).zip(list.iter_from(start, forward)) {
        if maxlen != 0 && index >= maxlen {
            break;
        }
        if !elem.matches(needle) {
            continue;
        }
        matches += 1;
        if matches >= rank {
            out.push(Frame::Integer(if forward {
                index
            } else {
                len - index - 1
            }));
            match count {
                None => break,
                Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
                Some(_) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, err, int, ok, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn ints(items: &[i64]) -> Frame {
        Frame::Array(items.iter().map(|&i| Frame::Integer(i)).collect())
    }

    #[test]
    fn lset() {
        let mut h = Harness::new();
        assert_eq!(h.run("lset l 0 x"), err("ERR no such key"));
        assert_eq!(h.run("lset l x x"), err("ERR no such key"), "key first");
        h.run("rpush l a b c");
        assert_eq!(h.run("lset l 0 x"), ok());
        assert_eq!(h.run("lset l -1 z"), ok());
        assert_eq!(h.run("lset l -3 y"), ok());
        assert_eq!(h.run("lrange l 0 -1"), arr(&["y", "b", "z"]));
        let range = err("ERR index out of range");
        assert_eq!(h.run("lset l 3 x"), range);
        assert_eq!(h.run("lset l -4 x"), range);
        assert_eq!(h.run("lset l -9223372036854775808 x"), range);
        assert_eq!(
            h.run("lset l x x"),
            err("ERR value is not an integer or out of range")
        );
        h.run("set s v");
        assert_eq!(h.run("lset s x x"), err(WRONGTYPE), "type before index");
        assert_eq!(h.ks.dirty(), 3 + 3 + 1);
    }

    #[test]
    fn linsert() {
        let mut h = Harness::new();
        assert_eq!(h.run("linsert l before a x"), int(0));
        assert_eq!(h.run("linsert l middle a x"), err("ERR syntax error"));
        h.run("rpush l a b a");
        assert_eq!(h.run("linsert l BEFORE a x"), int(4));
        assert_eq!(h.run("linsert l after a y"), int(5));
        assert_eq!(h.run("linsert l after b 1"), int(6));
        assert_eq!(h.run("linsert l after zz 1"), int(-1));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["x", "a", "y", "b", "1", "a"]));
        h.run("set s v");
        assert_eq!(h.run("linsert s before a x"), err(WRONGTYPE));
        assert_eq!(h.run("linsert s middle a x"), err("ERR syntax error"));
        assert_eq!(h.ks.dirty(), 3 + 3 + 1);
    }

    #[test]
    fn lrem_count_signs() {
        let mut h = Harness::new();
        assert_eq!(h.run("lrem l 0 a"), int(0));
        h.run("rpush l a b a c a b a");
        assert_eq!(h.run("lrem l 2 a"), int(2));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "c", "a", "b", "a"]));
        assert_eq!(h.run("lrem l -1 b"), int(1));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "c", "a", "a"]));
        assert_eq!(h.run("lrem l 0 a"), int(2));
        assert_eq!(h.run("lrem l 0 zz"), int(0));
        assert_eq!(h.run("lrem l -9223372036854775808 b"), int(1));
        assert_eq!(h.run("lrem l 1 c"), int(1));
        assert_eq!(h.run("exists l"), int(0), "an emptied list is deleted");
        assert_eq!(
            h.run("lrem l x a"),
            err("ERR value is not an integer or out of range")
        );
        h.run("set s v");
        assert_eq!(h.run("lrem s 0 a"), err(WRONGTYPE));
        assert_eq!(h.ks.dirty(), 7 + 2 + 1 + 2 + 1 + 1 + 1);
    }

    #[test]
    fn ltrim() {
        let mut h = Harness::new();
        assert_eq!(h.run("ltrim l 0 1"), ok());
        h.run("rpush l a b c d e");
        assert_eq!(h.run("ltrim l 1 -2"), ok());
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "c", "d"]));
        assert_eq!(h.run("ltrim l -100 100"), ok());
        assert_eq!(h.run("lrange l 0 -1"), arr(&["b", "c", "d"]));
        assert_eq!(h.run("ltrim l 1 1"), ok());
        assert_eq!(h.run("lrange l 0 -1"), arr(&["c"]));
        assert_eq!(h.run("ltrim l 2 1"), ok());
        assert_eq!(h.run("exists l"), int(0));
        assert_eq!(
            h.run("ltrim l x 1"),
            err("ERR value is not an integer or out of range")
        );
        h.run("set s v");
        assert_eq!(h.run("ltrim s 0 1"), err(WRONGTYPE));
        // The RPUSH, then LTRIMs removing 2, 0, 2 and 1 elements.
        assert_eq!(h.ks.dirty(), 5 + 2 + 2 + 1 + 1);
    }

    #[test]
    fn lpos() {
        let mut h = Harness::new();
        assert_eq!(h.run("lpos l a"), Frame::Null);
        assert_eq!(h.run("lpos l a COUNT 1"), arr(&[]));
        h.run("rpush l a b c a b c a");
        assert_eq!(h.run("lpos l a"), int(0));
        assert_eq!(h.run("lpos l c"), int(2));
        assert_eq!(h.run("lpos l a RANK 2"), int(3));
        assert_eq!(h.run("lpos l a RANK -1"), int(6));
        assert_eq!(h.run("lpos l a RANK -3"), int(0));
        assert_eq!(h.run("lpos l a RANK 4"), Frame::Null);
        assert_eq!(h.run("lpos l a COUNT 0"), ints(&[0, 3, 6]));
        assert_eq!(h.run("lpos l a COUNT 2"), ints(&[0, 3]));
        assert_eq!(h.run("lpos l a RANK -1 COUNT 2"), ints(&[6, 3]));
        assert_eq!(h.run("lpos l a RANK 2 MAXLEN 4"), int(3));
        assert_eq!(h.run("lpos l a RANK 2 MAXLEN 3"), Frame::Null);
        assert_eq!(h.run("lpos l b rank -1 maxlen 2"), Frame::Null);
        assert_eq!(h.run("lpos l b rank -1 maxlen 3"), int(4));
        assert_eq!(h.run("lpos l zz COUNT 1"), arr(&[]));
        // Redis negates the rank as a C long: i64::MIN stays negative.
        assert_eq!(h.run("lpos l a RANK -9223372036854775808"), int(6));
        assert_eq!(
            h.run("lpos l a RANK -9223372036854775808 COUNT 1"),
            ints(&[6, 3, 0])
        );
        assert_eq!(h.ks.stats().keyspace_hits, 16, "LPOS is a read");
        assert_eq!(h.ks.stats().keyspace_misses, 2);
    }

    #[test]
    fn lpos_errors() {
        let mut h = Harness::new();
        h.run("rpush l a");
        assert_eq!(
            h.run("lpos l a RANK 0"),
            err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
        );
        assert_eq!(
            h.run("lpos l a RANK x"),
            err("ERR value is not an integer or out of range")
        );
        for c in ["lpos l a COUNT -1", "lpos l a COUNT x"] {
            assert_eq!(h.run(c), err("ERR COUNT can't be negative"), "{c}");
        }
        for c in ["lpos l a MAXLEN -1", "lpos l a MAXLEN x"] {
            assert_eq!(h.run(c), err("ERR MAXLEN can't be negative"), "{c}");
        }
        for c in ["lpos l a FOO", "lpos l a RANK", "lpos l a COUNT 1 MAXLEN"] {
            assert_eq!(h.run(c), err("ERR syntax error"), "{c}");
        }
        h.run("set s v");
        assert_eq!(h.run("lpos s a"), err(WRONGTYPE));
        assert_eq!(
            h.run("lpos s a RANK 0"),
            err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"),
            "options are checked before the key"
        );
    }
}
