//! Sorted set range commands (t_zset.c): ZRANGE and ZRANGESTORE with their unified
//! BYSCORE/BYLEX/REV/LIMIT syntax, the older ZREVRANGE, ZRANGEBYSCORE,
//! ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX, the counts ZCOUNT and ZLEXCOUNT,
//! and ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.
//!
//! Every range becomes a window of ranks first (in O(log n) for a large set), which
//! is then visited in ascending order; the REV forms reverse the reply.

use std::ops::Range;

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::zset::{is_opt, removed_events, store, Pairs, Shape};
use super::{int_reply, parse_int, Ctx};
use crate::error::{Error, Result};
use crate::spec::CommandSpec;
use crate::types::zset::{limit, LexRange, ScoreRange, ZSet};

/// What a range is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// What a command fixes in advance; `None` lets ZRANGE's options choose (Redis's
/// `ZRANGE_AUTO` and `ZRANGE_DIRECTION_AUTO`).
#[derive(Debug, Clone, Copy)]
struct Form {
    by: Option<By>,
    rev: Option<bool>,
    store: bool,
}

/// A parsed range.
#[derive(Debug)]
enum Bounds<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// The ranks, ascending, of the rank range `start..=end` (negative counting from the
/// end) as `genericZrangebyrankCommand()` clamps it; `rev` counts from the top.
fn rank_window(len: usize, start: i64, end: i64, rev: bool) -> Range<usize> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return 0..0;
    }
    let end = end.min(len - 1);
    if rev {
        (len - 1 - end) as usize..(len - start) as usize
    } else {
        start as usize..(end + 1) as usize
    }
}

impl Bounds<'_> {
    /// The ranks the range (and LIMIT) selects in `zset`, ascending.
    fn window(&self, zset: &ZSet, rev: bool, offset: i64, count: i64) -> Range<usize> {
        match self {
            Bounds::Rank(start, end) => rank_window(zset.len(), *start, *end, rev),
            Bounds::Score(r) => limit(zset.score_ranks(r), offset, count, rev),
            Bounds::Lex(r) => zset.lex_window(r, rev, offset, count),
        }
    }
}

/// Redis's `zrangeGenericCommand()`: `argv[src]` is the source key, followed by the
/// two bounds and the options.
fn range(ctx: &mut Ctx<'_>, argv: &[Bytes], src: usize, form: Form) -> Result<Frame> {
    let (mut by, mut rev) = (form.by, form.rev);
    let mut withscores = false;
    let (mut offset, mut count) = (0, -1);
    let mut j = src + 3;
    while let Some(opt) = argv.get(j) {
        let left = argv.len() - j - 1;
        if !form.store && is_opt(opt, "withscores") {
            withscores = true;
        } else if is_opt(opt, "limit") && left >= 2 {
            offset = parse_int(&argv[j + 1])?;
            count = parse_int(&argv[j + 2])?;
            j += 2;
        } else if rev.is_none() && is_opt(opt, "rev") {
            rev = Some(true);
        } else if by.is_none() && is_opt(opt, "bylex") {
            by = Some(By::Lex);
        } else if by.is_none() && is_opt(opt, "byscore") {
            by = Some(By::Score);
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let by = by.unwrap_or(By::Rank);
    let rev = rev.unwrap_or(false);
    // Redis tests the count against its default, so `LIMIT 0 -1` passes.
    if count != -1 && by == By::Rank {
        return Err(Error::LimitNeedsByscoreOrBylex);
    }
    if withscores && by == By::Lex {
        return Err(Error::WithscoresWithBylex);
    }
    // The REV forms take the bounds as max, min.
    let (min, max) = if rev && by != By::Rank {
        (&argv[src + 2], &argv[src + 1])
    } else {
        (&argv[src + 1], &argv[src + 2])
    };
    let bounds = match by {
        By::Rank => Bounds::Rank(parse_int(min)?, parse_int(max)?),
        By::Score => Bounds::Score(ScoreRange::parse(min, max)?),
        By::Lex => Bounds::Lex(LexRange::parse(min, max)?),
    };
    let protocol = ctx.session.protocol;
    let tunables = ctx.tunables;
    let result = match ctx.read(&argv[src]) {
        None if form.store => ZSet::for_sorted(&tunables, 0, 0),
        None => return Ok(Frame::Array(Vec::new())),
        Some(entry) => {
            let zset = entry.value().zset()?;
            let window = bounds.window(zset, rev, offset, count);
            if !form.store {
                let mut pairs = Pairs::new(Shape::Protocol(protocol), withscores, window.len());
                zset.visit(window, |m, s| pairs.push(m, s));
                if rev {
                    pairs.reverse();
                }
                return Ok(pairs.into_frame());
            }
            let mut longest = 0;
            zset.visit(window.clone(), |m, _| longest = longest.max(m.len()));
            let mut result = ZSet::for_sorted(&tunables, window.len(), longest);
            zset.visit(window, |m, s| result.push_sorted(m, s));
            result
        }
    };
    Ok(store(ctx, &argv[1], result, "zrangestore"))
}

pub(super) const ZRANGE: CommandSpec = CommandSpec {
    name: "zrange",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    syntax: "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset:integer count:integer] [WITHSCORES]",
};

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(super) fn zrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let form = Form {
        by: None,
        rev: None,
        store: false,
    };
    range(ctx, argv, 1, form)
}

pub(super) const ZRANGESTORE: CommandSpec = CommandSpec {
    name: "zrangestore",
    arity: -5,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Store a range of members from sorted set into another key",
    since: "6.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
    syntax: "dst:key src:key min max [BYSCORE | BYLEX] [REV] [LIMIT offset:integer count:integer]",
};

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
pub(super) fn zrangestore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let form = Form {
        by: None,
        rev: None,
        store: true,
    };
    range(ctx, argv, 2, form)
}

pub(super) const ZREVRANGE: CommandSpec = CommandSpec {
    name: "zrevrange",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    syntax: "key start:integer stop:integer [WITHSCORES]",
};

/// ZREVRANGE key start stop [WITHSCORES]
pub(super) fn zrevrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    legacy(ctx, argv, By::Rank, true)
}

pub(super) const ZRANGEBYSCORE: CommandSpec = CommandSpec {
    name: "zrangebyscore",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by score",
    since: "1.0.5",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    syntax: "key min:double max:double [WITHSCORES] [LIMIT offset:integer count:integer]",
};

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(super) fn zrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    legacy(ctx, argv, By::Score, false)
}

pub(super) const ZREVRANGEBYSCORE: CommandSpec = CommandSpec {
    name: "zrevrangebyscore",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    since: "2.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    syntax: "key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]",
};

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(super) fn zrevrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    legacy(ctx, argv, By::Score, true)
}

pub(super) const ZRANGEBYLEX: CommandSpec = CommandSpec {
    name: "zrangebylex",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    syntax: "key min max [LIMIT offset:integer count:integer]",
};

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(super) fn zrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    legacy(ctx, argv, By::Lex, false)
}

pub(super) const ZREVRANGEBYLEX: CommandSpec = CommandSpec {
    name: "zrevrangebylex",
    arity: -4,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    syntax: "key max min [LIMIT offset:integer count:integer]",
};

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(super) fn zrevrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    legacy(ctx, argv, By::Lex, true)
}

/// The pre-6.2 commands: ZRANGE's code with the range type and direction fixed, so
/// BYSCORE, BYLEX and REV are syntax errors there.
fn legacy(ctx: &mut Ctx<'_>, argv: &[Bytes], by: By, rev: bool) -> Result<Frame> {
    let form = Form {
        by: Some(by),
        rev: Some(rev),
        store: false,
    };
    range(ctx, argv, 1, form)
}

pub(super) const ZCOUNT: CommandSpec = CommandSpec {
    name: "zcount",
    arity: 4,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Count the members in a sorted set with scores within the given values",
    since: "2.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    syntax: "key min:double max:double",
};

/// ZCOUNT key min max
pub(super) fn zcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let range = ScoreRange::parse(&argv[2], &argv[3])?;
    count(ctx, &argv[1], |z| z.score_ranks(&range))
}

pub(super) const ZLEXCOUNT: CommandSpec = CommandSpec {
    name: "zlexcount",
    arity: 4,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Count the number of members in a sorted set between a given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    syntax: "key min max",
};

/// ZLEXCOUNT key min max
pub(super) fn zlexcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let range = LexRange::parse(&argv[2], &argv[3])?;
    count(ctx, &argv[1], |z| z.lex_window(&range, false, 0, -1))
}

fn count(ctx: &mut Ctx<'_>, key: &[u8], ranks: impl Fn(&ZSet) -> Range<usize>) -> Result<Frame> {
    match ctx.read(key) {
        None => Ok(Frame::Integer(0)),
        Some(entry) => Ok(int_reply(ranks(entry.value().zset()?).len())),
    }
}

pub(super) const ZREMRANGEBYRANK: CommandSpec = CommandSpec {
    name: "zremrangebyrank",
    arity: 4,
    flags: &["write"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Remove all members in a sorted set within the given indexes",
    since: "2.0.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    syntax: "key start:integer stop:integer",
};

/// ZREMRANGEBYRANK key start stop
pub(super) fn zremrangebyrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let bounds = Bounds::Rank(parse_int(&argv[2])?, parse_int(&argv[3])?);
    remove_range(ctx, &argv[1], &bounds, "zremrangebyrank")
}

pub(super) const ZREMRANGEBYSCORE: CommandSpec = CommandSpec {
    name: "zremrangebyscore",
    arity: 4,
    flags: &["write"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Remove all members in a sorted set within the given scores",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    syntax: "key min:double max:double",
};

/// ZREMRANGEBYSCORE key min max
pub(super) fn zremrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let bounds = Bounds::Score(ScoreRange::parse(&argv[2], &argv[3])?);
    remove_range(ctx, &argv[1], &bounds, "zremrangebyscore")
}

pub(super) const ZREMRANGEBYLEX: CommandSpec = CommandSpec {
    name: "zremrangebylex",
    arity: 4,
    flags: &["write"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Remove all members in a sorted set between the given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    syntax: "key min max",
};

/// ZREMRANGEBYLEX key min max
pub(super) fn zremrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let bounds = Bounds::Lex(LexRange::parse(&argv[2], &argv[3])?);
    remove_range(ctx, &argv[1], &bounds, "zremrangebylex")
}

/// Redis's `zremrangeGenericCommand()`: an emptied set is deleted.
fn remove_range(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    bounds: &Bounds<'_>,
    event: &'static str,
) -> Result<Frame> {
    let Some(mut entry) = ctx.write(key) else {
        return Ok(Frame::Integer(0));
    };
    let zset = entry.value_mut().zset_mut()?;
    let window = bounds.window(zset, false, 0, -1);
    let removed = zset.remove_ranks(window);
    let emptied = zset.len() == 0;
    if emptied {
        entry.remove();
    }
    ctx.changed(removed);
    removed_events(ctx, event, key, removed, emptied);
    Ok(int_reply(removed))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use super::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn scored(items: &[(&str, f64)]) -> Frame {
        Frame::Array(
            items
                .iter()
                .flat_map(|(m, s)| [bulk(m), Frame::Double(*s)])
                .collect(),
        )
    }

    fn abcde() -> Harness {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b 3 c 4 d 5 e");
        h
    }

    #[test]
    fn windows() {
        assert_eq!(rank_window(5, 0, -1, false), 0..5);
        assert_eq!(rank_window(5, 0, 0, true), 4..5);
        assert_eq!(rank_window(5, -2, 100, false), 3..5);
        assert_eq!(rank_window(5, -100, 1, true), 3..5);
        assert_eq!(rank_window(5, 3, 1, false), 0..0);
        assert_eq!(rank_window(5, 5, 9, false), 0..0);
        assert_eq!(rank_window(5, i64::MIN, i64::MAX, false), 0..5);
        assert_eq!(limit(2..8, 1, 2, false), 3..5);
        assert_eq!(limit(2..8, 1, 2, true), 5..7);
        assert_eq!(limit(2..8, 0, -5, true), 2..8);
        assert_eq!(limit(2..8, 6, 1, false), 0..0);
        assert_eq!(limit(2..8, -1, 1, false), 0..0);
        assert_eq!(limit(2..8, 1, 0, false).len(), 0);
    }

    #[test]
    fn zrange_by_rank_score_lex() {
        let mut h = abcde();
        assert_eq!(h.run("zrange z 0 1"), arr(&["a", "b"]));
        assert_eq!(h.run("zrange z 0 1 rev"), arr(&["e", "d"]));
        assert_eq!(
            h.run("zrange z -2 -1 withscores"),
            scored(&[("d", 4.0), ("e", 5.0)])
        );
        assert_eq!(h.run("zrange z 0 0 rev withscores"), scored(&[("e", 5.0)]));
        assert_eq!(h.run("zrange z (1 3 byscore"), arr(&["b", "c"]));
        assert_eq!(h.run("zrange z 3 (1 byscore rev"), arr(&["c", "b"]));
        assert_eq!(
            h.run("zrange z -inf +inf byscore limit 1 2"),
            arr(&["b", "c"])
        );
        assert_eq!(
            h.run("zrange z +inf -inf byscore rev limit 1 2"),
            arr(&["d", "c"])
        );
        assert_eq!(h.run("zrange z - + bylex limit 3 -1"), arr(&["d", "e"]));
        assert_eq!(h.run("zrange z [c - bylex rev"), arr(&["c", "b", "a"]));
        assert_eq!(
            h.run("zrange z 0 -1 limit 0 -1"),
            arr(&["a", "b", "c", "d", "e"])
        );
        assert_eq!(h.run("zrange nokey 0 -1 withscores"), arr(&[]));
        assert_eq!(
            h.run("zrangebyscore z 2 4 withscores limit 1 1"),
            scored(&[("c", 3.0)])
        );
        assert_eq!(h.run("zrevrangebyscore z 4 2"), arr(&["d", "c", "b"]));
        assert_eq!(h.run("zrangebylex z (a [c"), arr(&["b", "c"]));
        assert_eq!(h.run("zrevrangebylex z + (c limit 0 1"), arr(&["e"]));
        assert_eq!(
            h.run("zrevrange z 0 1 withscores"),
            scored(&[("e", 5.0), ("d", 4.0)])
        );
    }

    #[test]
    fn zrange_errors() {
        let mut h = abcde();
        h.run("set s v");
        for (line, e) in [
            ("zrange z 0 1 limit 0 1", "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
            ("zrange z - + bylex withscores", "ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            ("zrange z 0 1 rev rev", "ERR syntax error"),
            ("zrange z 0 1 byscore bylex", "ERR syntax error"),
            ("zrange z 0 1 limit 1", "ERR syntax error"),
            ("zrange z 0 1 foo", "ERR syntax error"),
            ("zrange z a 1", "ERR value is not an integer or out of range"),
            ("zrange z 0 1 byscore limit x 1", "ERR value is not an integer or out of range"),
            ("zrange z x 1 byscore", "ERR min or max is not a float"),
            ("zrange z a b bylex", "ERR min or max not valid string range item"),
            ("zrevrange z 0 1 rev", "ERR syntax error"),
            ("zrangebyscore z 0 1 byscore", "ERR syntax error"),
            ("zrangebylex z - + withscores", "ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            ("zrevrange z 0 1 limit 0 1", "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
            ("zrangestore d z 0 1 withscores", "ERR syntax error"),
            ("zrange s 0 1", WRONGTYPE),
            ("zrangestore d s 0 1", WRONGTYPE),
        ] {
            assert_eq!(h.run(line), err(e), "{line}");
        }
    }

    #[test]
    fn zrangestore() {
        let mut h = abcde();
        h.run("set d v");
        h.run("expire d 100");
        assert_eq!(h.run("zrangestore d z 1 3"), int(3));
        assert_eq!(h.run("ttl d"), int(-1), "the TTL goes with the old value");
        assert_eq!(
            h.run("zrange d 0 -1 withscores"),
            scored(&[("b", 2.0), ("c", 3.0), ("d", 4.0)])
        );
        assert_eq!(h.run("zrangestore d z 5 (5 byscore rev"), int(0));
        assert_eq!(h.run("exists d"), int(0), "an empty result deletes");
        assert_eq!(h.run("zrangestore d nokey 0 -1"), int(0));
        let dirty = h.ks.dirty();
        assert_eq!(h.run("zrangestore d nokey 0 -1"), int(0));
        assert_eq!(h.ks.dirty(), dirty, "nothing deleted, nothing changed");
        assert_eq!(h.run("zrangestore z z 0 0"), int(1));
        assert_eq!(h.run("zrange z 0 -1"), arr(&["a"]));
    }

    #[test]
    fn counts_and_removals() {
        let mut h = abcde();
        assert_eq!(h.run("zcount z (1 3"), int(2));
        assert_eq!(h.run("zcount z 3 1"), int(0));
        assert_eq!(h.run("zcount nokey 0 1"), int(0));
        assert_eq!(h.run("zlexcount z - +"), int(5));
        assert_eq!(h.run("zlexcount z [b (d"), int(2));
        assert_eq!(h.run("zcount z x 1"), err("ERR min or max is not a float"));
        assert_eq!(
            h.run("zlexcount z x +"),
            err("ERR min or max not valid string range item")
        );
        assert_eq!(h.run("zremrangebyrank z -1 -1"), int(1));
        assert_eq!(h.run("zremrangebyscore z (1 2"), int(1));
        assert_eq!(h.run("zremrangebylex z [c [c"), int(1));
        assert_eq!(h.run("zrange z 0 -1"), arr(&["a", "d"]));
        assert_eq!(h.run("zremrangebyrank z 0 -1"), int(2));
        assert_eq!(h.run("exists z"), int(0));
        assert_eq!(h.run("zremrangebyrank z 0 -1"), int(0));
        assert_eq!(
            h.run("zremrangebyrank z a 1"),
            err("ERR value is not an integer or out of range")
        );
        h.run("set s v");
        assert_eq!(h.run("zremrangebyscore s 0 1"), err(WRONGTYPE));
        assert_eq!(
            h.run("zremrangebyscore s x 1"),
            err("ERR min or max is not a float"),
            "parsed first"
        );
    }
}
