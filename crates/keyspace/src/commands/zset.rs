//! Sorted set commands on single members (t_zset.c): ZADD, ZINCRBY, ZSCORE, ZMSCORE,
//! ZCARD, ZREM, ZRANK, ZREVRANK; and the reply shapes every sorted set command shares.

use bytes::Bytes;
use ferrodis_resp::{Frame, Protocol};

use super::{int_reply, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::zset::{parse_score, AddFlags, Added, ZSet};
use crate::value::Value;

/// Members, optionally with their scores, as Redis replies with them: an array of
/// members; with scores, a flat member, score, member, score... array ([`Shape::Flat`])
/// or an array of [member, score] pairs ([`Shape::Nested`]).
#[derive(Debug)]
pub(super) struct Pairs {
    frames: Vec<Frame>,
    scores: bool,
    nested: bool,
}

/// How [`Pairs`] lays out members with scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Flat in RESP2, pairs in RESP3: the usual WITHSCORES reply.
    Protocol(Protocol),
    Flat,
    Nested,
}

impl Pairs {
    pub(super) fn new(shape: Shape, scores: bool, capacity: usize) -> Pairs {
        let nested = scores && matches!(shape, Shape::Nested | Shape::Protocol(Protocol::Resp3));
        let per = if scores && !nested { 2 } else { 1 };
        Pairs {
            // Capacity is a hint; a huge count must not allocate up front.
            frames: Vec::with_capacity(capacity.min(1 << 16) * per),
            scores,
            nested,
        }
    }

    /// Appends a member (copied out of the set) and its score.
    pub(super) fn push(&mut self, member: &[u8], score: f64) {
        let member = Frame::Bulk(Bytes::copy_from_slice(member));
        match (self.scores, self.nested) {
            (false, _) => self.frames.push(member),
            (true, false) => {
                self.frames.push(member);
                self.frames.push(Frame::Double(score));
            }
            (true, true) => self
                .frames
                .push(Frame::Array(vec![member, Frame::Double(score)])),
        }
    }

    /// Reverses the order of the members (for the REV forms, which visit in
    /// ascending order).
    pub(super) fn reverse(&mut self) {
        self.frames.reverse();
        if self.scores && !self.nested {
            self.frames
                .chunks_exact_mut(2)
                .for_each(|pair| pair.swap(0, 1));
        }
    }

    pub(super) fn into_frame(self) -> Frame {
        Frame::Array(self.frames)
    }
}

/// Stores `zset` at `dst`, replacing any value and TTL (Redis's `setKey()`), or deletes
/// `dst` when the set is empty; one change either way if something changed. The
/// reply: the stored set's size. `event` is the command's keyspace event.
pub(super) fn store(ctx: &mut Ctx<'_>, dst: &[u8], zset: ZSet, event: &'static str) -> Frame {
    let len = zset.len();
    if len == 0 {
        // Redis's dbDelete(): no expiry check; an expired key is deleted (`del`).
        if ctx.db().remove(dst).is_none() {
            return Frame::Integer(0);
        }
        ctx.notify_del(dst);
    } else {
        match ctx.entry(dst) {
            Slot::Occupied(entry) => entry.replace(Value::ZSet(zset), false),
            Slot::Vacant(slot) => {
                slot.insert(Value::ZSet(zset));
            }
        }
        ctx.notify(notify::ZSET, event, dst);
    }
    ctx.changed(1);
    int_reply(len)
}

/// Whether `arg` is the option `name` (lowercase), in any case.
pub(super) fn is_opt(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

pub(super) const ZADD: CommandSpec = CommandSpec {
    name: "zadd",
    arity: -4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Add one or more members to a sorted set, or update its score if it already exists",
    since: "1.2.0",
    complexity:
        "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    syntax: "key [NX | XX] [GT | LT] [CH] [INCR] (score:double member)...",
};

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
pub(super) fn zadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    add(ctx, argv, false)
}

pub(super) const ZINCRBY: CommandSpec = CommandSpec {
    name: "zincrby",
    arity: 4,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Increment the score of a member in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)) where N is the number of elements in the sorted set.",
    syntax: "key increment:integer member",
};

/// ZINCRBY key increment member: ZADD INCR, options and all (Redis shares the code,
/// so `ZINCRBY key NX member` is a syntax error, not a bad float).
pub(super) fn zincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    add(ctx, argv, true)
}

/// Redis's `zaddGenericCommand()`.
fn add(ctx: &mut Ctx<'_>, argv: &[Bytes], incr: bool) -> Result<Frame> {
    let mut flags = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut first = 2;
    // Options come first; the first word that is not one starts the pairs.
    while let Some(opt) = argv.get(first) {
        let flag = if is_opt(opt, "nx") {
            &mut flags.nx
        } else if is_opt(opt, "xx") {
            &mut flags.xx
        } else if is_opt(opt, "ch") {
            &mut ch
        } else if is_opt(opt, "incr") {
            &mut flags.incr
        } else if is_opt(opt, "gt") {
            &mut flags.gt
        } else if is_opt(opt, "lt") {
            &mut flags.lt
        } else {
            break;
        };
        *flag = true;
        first += 1;
    }
    let pairs = &argv[first..];
    if pairs.is_empty() || pairs.len() % 2 == 1 {
        return Err(Error::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(Error::ZaddNxXx);
    }
    if (flags.gt || flags.lt) && (flags.nx || (flags.gt && flags.lt)) {
        return Err(Error::ZaddGtLtNx);
    }
    if flags.incr && pairs.len() > 2 {
        return Err(Error::ZaddIncrPairs);
    }
    // Every score is checked before anything changes: all or nothing.
    if pairs.iter().step_by(2).any(|s| parse_score(s).is_none()) {
        return Err(Error::NotFloat);
    }
    let tunables = ctx.tunables;
    let mut entry = match ctx.entry(&argv[1]) {
        Slot::Occupied(entry) => entry,
        Slot::Vacant(_) if flags.xx => {
            return Ok(if flags.incr {
                Frame::Null
            } else {
                Frame::Integer(0)
            })
        }
        Slot::Vacant(slot) => slot.insert(Value::ZSet(ZSet::new(&tunables, &pairs[1]))),
    };
    let zset = entry.value_mut().zset_mut()?;
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last = 0.0;
    for pair in pairs.chunks_exact(2) {
        let score = parse_score(&pair[0]).unwrap_or_default();
        let outcome = zset.add(&pair[1], score, flags, &tunables)?;
        match outcome {
            Added::Nop => continue,
            Added::New(s) => (added, last) = (added + 1, s),
            Added::Updated(s) => (updated, last) = (updated + 1, s),
            Added::Same(s) => last = s,
        }
        processed += 1;
    }
    ctx.changed(added + updated);
    if added + updated > 0 {
        let event = if flags.incr { "zincr" } else { "zadd" };
        ctx.notify(notify::ZSET, event, &argv[1]);
    }
    Ok(match (flags.incr, processed) {
        (true, 0) => Frame::Null,
        (true, _) => Frame::Double(last),
        (false, _) => int_reply(if ch { added + updated } else { added }),
    })
}

pub(super) const ZSCORE: CommandSpec = CommandSpec {
    name: "zscore",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Get the score associated with the given member in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
    syntax: "key member",
};

/// ZSCORE key member
pub(super) fn zscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Null);
    };
    let score = entry.value().zset()?.score(&argv[2]);
    Ok(score.map_or(Frame::Null, Frame::Double))
}

pub(super) const ZMSCORE: CommandSpec = CommandSpec {
    name: "zmscore",
    arity: -3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Get the score associated with the given members in a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of members being requested.",
    syntax: "key member...",
};

/// ZMSCORE key member [member ...]: a missing key reads as an empty set.
pub(super) fn zmscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let entry = ctx.read(&argv[1]);
    let zset = match &entry {
        Some(e) => Some(e.value().zset()?),
        None => None,
    };
    let scores = argv[2..]
        .iter()
        .map(|m| {
            zset.and_then(|z| z.score(m))
                .map_or(Frame::Null, Frame::Double)
        })
        .collect();
    Ok(Frame::Array(scores))
}

pub(super) const ZCARD: CommandSpec = CommandSpec {
    name: "zcard",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Get the number of members in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
    syntax: "key",
};

/// ZCARD key
pub(super) fn zcard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Integer(0)),
        Some(entry) => Ok(int_reply(entry.value().zset()?.len())),
    }
}

pub(super) const ZREM: CommandSpec = CommandSpec {
    name: "zrem",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Remove one or more members from a sorted set",
    since: "1.2.0",
    complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
    syntax: "key member...",
};

/// ZREM key member [member ...]: an emptied set is deleted.
pub(super) fn zrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let zset = entry.value_mut().zset_mut()?;
    let mut removed = 0;
    for member in &argv[2..] {
        removed += usize::from(zset.remove(member));
        if zset.len() == 0 {
            break;
        }
    }
    let emptied = zset.len() == 0;
    if emptied {
        entry.remove();
    }
    ctx.changed(removed);
    removed_events(ctx, "zrem", &argv[1], removed, emptied);
    Ok(int_reply(removed))
}

/// The events of a removal from a sorted set: `event` if anything was removed, then
/// `del` if that emptied (and deleted) the set.
pub(super) fn removed_events(
    ctx: &mut Ctx<'_>,
    event: &'static str,
    key: &[u8],
    removed: usize,
    emptied: bool,
) {
    if removed > 0 {
        ctx.notify(notify::ZSET, event, key);
        if emptied {
            ctx.notify_del(key);
        }
    }
}

pub(super) const ZRANK: CommandSpec = CommandSpec {
    name: "zrank",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Determine the index of a member in a sorted set",
    since: "2.0.0",
    complexity: "O(log(N))",
    syntax: "key member",
};

/// ZRANK key member [WITHSCORE]
pub(super) fn zrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    rank(ctx, argv, false, "zrank")
}

pub(super) const ZREVRANK: CommandSpec = CommandSpec {
    name: "zrevrank",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@fast"],
    group: "sorted-set",
    summary:
        "Determine the index of a member in a sorted set, with scores ordered from high to low",
    since: "2.0.0",
    complexity: "O(log(N))",
    syntax: "key member",
};

/// ZREVRANK key member [WITHSCORE]
pub(super) fn zrevrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    rank(ctx, argv, true, "zrevrank")
}

/// Redis's `zrankGenericCommand()`. WITHSCORE is Redis 7.2's, a superset of 7.0:
/// COMMAND INFO keeps 7.0's arity 3 (see `commands::EXTRA_ARITY`), and any other
/// fourth argument gets 7.0's arity error rather than 7.2's syntax error.
fn rank(ctx: &mut Ctx<'_>, argv: &[Bytes], reverse: bool, command: &'static str) -> Result<Frame> {
    let withscore = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && is_opt(opt, "withscore") => true,
        Some(_) => return Err(Error::WrongArity { command }),
    };
    let missing = if withscore {
        Frame::NullArray
    } else {
        Frame::Null
    };
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(missing);
    };
    let zset = entry.value().zset()?;
    let Some((rank, score)) = zset.rank(&argv[2]) else {
        return Ok(missing);
    };
    let rank = if reverse { zset.len() - 1 - rank } else { rank };
    Ok(if withscore {
        Frame::Array(vec![int_reply(rank), Frame::Double(score)])
    } else {
        int_reply(rank)
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::{Frame, Protocol};

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn dbl(d: f64) -> Frame {
        Frame::Double(d)
    }

    #[test]
    fn zadd_counts_and_options() {
        let mut h = Harness::new();
        assert_eq!(h.run("zadd z 1 a 2 b"), int(2));
        assert_eq!(h.run("zadd z 1 a 3 b 4 c"), int(1));
        assert_eq!(h.run("zadd z ch 1 a 5 b 4 c 9 d"), int(2));
        assert_eq!(h.run("zadd z nx 0 a 0 e"), int(1));
        assert_eq!(h.run("zscore z a"), dbl(1.0));
        assert_eq!(h.run("zadd z xx ch 7 a 7 f"), int(1));
        assert_eq!(h.run("zscore z f"), Frame::Null);
        assert_eq!(h.run("zadd z gt ch 6 a 8 a"), int(1), "the last pair wins");
        assert_eq!(h.run("zadd z lt ch 9 a 1 new"), int(1), "LT still adds");
        assert_eq!(h.run("zadd z xx gt ch 100 b"), int(1));
        assert_eq!(h.run("zcard z"), int(6));
        assert_eq!(h.ks.dirty(), 2 + 2 + 2 + 1 + 1 + 1 + 1 + 1);
    }

    #[test]
    fn zadd_errors_in_redis_order() {
        let mut h = Harness::new();
        h.run("set s v");
        for (line, e) in [
            ("zadd z nx 1", "ERR syntax error"),
            ("zadd z 1 a 2", "ERR syntax error"),
            ("zadd z nx xx", "ERR syntax error"),
            (
                "zadd z nx xx 1 a",
                "ERR XX and NX options at the same time are not compatible",
            ),
            (
                "zadd z nx gt 1 a",
                "ERR GT, LT, and/or NX options at the same time are not compatible",
            ),
            (
                "zadd z gt lt 1 a",
                "ERR GT, LT, and/or NX options at the same time are not compatible",
            ),
            (
                "zadd z nx xx gt 1 a",
                "ERR XX and NX options at the same time are not compatible",
            ),
            (
                "zadd z incr 1 a 2 b",
                "ERR INCR option supports a single increment-element pair",
            ),
            ("zadd z 1 a x b", "ERR value is not a valid float"),
            ("zadd z nan a", "ERR value is not a valid float"),
            ("zadd s x a", "ERR value is not a valid float"),
            ("zadd s 1 a", WRONGTYPE),
            ("zincrby z nx a", "ERR syntax error"),
            ("zincrby z x a", "ERR value is not a valid float"),
            ("zincrby s 1 a", WRONGTYPE),
        ] {
            assert_eq!(h.run(line), err(e), "{line}");
        }
        assert_eq!(h.run("exists z"), int(0), "nothing was created");
    }

    #[test]
    fn incr_and_nan() {
        let mut h = Harness::new();
        assert_eq!(h.run("zincrby z 2.5 m"), dbl(2.5));
        assert_eq!(h.run("zadd z incr 1 m"), dbl(3.5));
        assert_eq!(h.run("zadd z incr nx 1 m"), Frame::Null);
        assert_eq!(h.run("zadd z incr xx 1 nope"), Frame::Null);
        assert_eq!(h.run("zadd nokey xx incr 1 m"), Frame::Null);
        assert_eq!(h.run("zadd nokey xx 1 m"), int(0));
        assert_eq!(h.run("zadd z incr gt -1 m"), Frame::Null);
        assert_eq!(h.run("zincrby z inf m"), dbl(f64::INFINITY));
        assert_eq!(
            h.run("zincrby z -inf m"),
            err("ERR resulting score is not a number (NaN)")
        );
        assert_eq!(h.run("zscore z m"), dbl(f64::INFINITY));
        assert_eq!(h.run("exists nokey"), int(0));
    }

    #[test]
    fn score_rank_card() {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b 3 c");
        assert_eq!(h.run("zscore z b"), dbl(2.0));
        assert_eq!(h.run("zscore z x"), Frame::Null);
        assert_eq!(h.run("zscore nokey x"), Frame::Null);
        assert_eq!(
            h.run("zmscore z a x c"),
            Frame::Array(vec![dbl(1.0), Frame::Null, dbl(3.0)])
        );
        assert_eq!(h.run("zmscore nokey a"), Frame::Array(vec![Frame::Null]));
        assert_eq!(h.run("zrank z a"), int(0));
        assert_eq!(h.run("zrevrank z a"), int(2));
        assert_eq!(h.run("zrank z x"), Frame::Null);
        assert_eq!(h.run("zrank nokey x"), Frame::Null);
        assert_eq!(h.run("zcard z"), int(3));
        assert_eq!(h.run("zcard nokey"), int(0));
    }

    #[test]
    fn rank_withscore_is_redis_7_2() {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b");
        assert_eq!(
            h.run("zrank z b WITHSCORE"),
            Frame::Array(vec![int(1), dbl(2.0)])
        );
        assert_eq!(
            h.run("zrevrank z b withscore"),
            Frame::Array(vec![int(0), dbl(2.0)])
        );
        assert_eq!(h.run("zrank z x withscore"), Frame::NullArray);
        assert_eq!(h.run("zrank nokey x withscore"), Frame::NullArray);
        // Redis 7.0 forms: any other extra argument is an arity error.
        assert_eq!(
            h.run("zrank z b withscores"),
            err("ERR wrong number of arguments for 'zrank' command")
        );
        assert_eq!(
            h.run("zrevrank z b withscore x"),
            err("ERR wrong number of arguments for 'zrevrank' command")
        );
        assert_eq!(
            h.run("zrank z"),
            err("ERR wrong number of arguments for 'zrank' command")
        );
    }

    #[test]
    fn zrem_deletes_emptied_sets() {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b");
        assert_eq!(h.run("zrem z a x"), int(1));
        assert_eq!(h.run("zrem z b b"), int(1));
        assert_eq!(h.run("exists z"), int(0));
        assert_eq!(h.run("zrem z a"), int(0));
        assert_eq!(h.ks.dirty(), 2 + 1 + 1);
    }

    #[test]
    fn wrong_types() {
        let mut h = Harness::new();
        h.run("set s v");
        for line in [
            "zscore s a",
            "zmscore s a",
            "zcard s",
            "zrem s a",
            "zrank s a",
            "zrevrank s a withscore",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        h.run("zadd z 1 a");
        assert_eq!(h.run("get z"), err(WRONGTYPE));
        assert_eq!(
            h.run("type z"),
            Frame::Simple(bytes::Bytes::from_static(b"zset"))
        );
    }

    #[test]
    fn encodings_follow_the_thresholds() {
        use crate::value::Value;
        let mut h = Harness::new();
        let enc = |h: &Harness, k: &str| h.ks.dbs[0].peek(k.as_bytes()).map(Value::encoding);
        for i in 0..128 {
            h.run(&format!("zadd z {i} m{i}"));
        }
        assert_eq!(enc(&h, "z"), Some("listpack"), "128 entries fit");
        h.run("zadd z 7 m0");
        h.run("zadd z xx 1 m999");
        assert_eq!(enc(&h, "z"), Some("listpack"), "updates and XX add nothing");
        h.run("zadd z 500 m128");
        assert_eq!(enc(&h, "z"), Some("skiplist"));
        assert_eq!(h.run("zremrangebyrank z 0 -3"), int(127));
        assert_eq!(enc(&h, "z"), Some("skiplist"), "no way back on removal");
        assert_eq!(h.run("zrange z 0 -1"), arr(&["m127", "m128"]));
        // Member length: 64 bytes fit, 65 do not, whether first or later.
        let (fits, long) = ("x".repeat(64), "y".repeat(65));
        h.run(&format!("zadd a 1 {fits}"));
        assert_eq!(enc(&h, "a"), Some("listpack"));
        h.run(&format!("zadd a 2 {long}"));
        assert_eq!(enc(&h, "a"), Some("skiplist"));
        h.run(&format!("zadd b 1 short 2 {long}"));
        assert_eq!(enc(&h, "b"), Some("skiplist"));
        h.run(&format!("zadd c 2 {long} 1 short"));
        assert_eq!(enc(&h, "c"), Some("skiplist"));
        // Commands that build a new set choose again.
        assert_eq!(h.run("zrangestore d z 0 -1"), int(2));
        assert_eq!(enc(&h, "d"), Some("listpack"));
        assert_eq!(h.run("zunionstore u 1 b"), int(2));
        assert_eq!(
            enc(&h, "u"),
            Some("skiplist"),
            "the long member stays too long"
        );
        assert_eq!(h.run("zinterstore u 2 b b"), int(2));
        h.run("zrem b short");
        assert_eq!(h.run("zdiffstore u 2 c b"), int(1));
        assert_eq!(enc(&h, "u"), Some("listpack"));
        // Thresholds follow CONFIG SET for new writes.
        h.ks.set_tunables(crate::Tunables {
            zset_max_listpack_entries: 0,
            ..crate::Tunables::default()
        });
        h.run("zadd e 1 a");
        assert_eq!(enc(&h, "e"), Some("skiplist"));
        assert_eq!(
            enc(&h, "d"),
            Some("listpack"),
            "existing values keep theirs"
        );
    }

    #[test]
    fn pairs_follow_the_protocol() {
        let mut h = Harness::new();
        let ctx_reply = |h: &mut Harness| h.run("zrange z 0 -1 withscores");
        h.run("zadd z 1 a 2 b");
        assert_eq!(
            ctx_reply(&mut h),
            Frame::Array(vec![bulk("a"), dbl(1.0), bulk("b"), dbl(2.0)])
        );
        h.session.protocol = Protocol::Resp3;
        assert_eq!(
            ctx_reply(&mut h),
            Frame::Array(vec![
                Frame::Array(vec![bulk("a"), dbl(1.0)]),
                Frame::Array(vec![bulk("b"), dbl(2.0)])
            ])
        );
        assert_eq!(h.run("zrange z 0 -1"), arr(&["a", "b"]));
    }
}
