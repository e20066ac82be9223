//! Blocking sorted set commands (t_zset.c): BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! With a member available they behave as ZPOPMIN/ZPOPMAX/ZMPOP and are propagated
//! as `ZPOPMIN key` (or `ZPOPMIN key n` for BZMPOP); otherwise they ask to block
//! (blocking.rs), or inside MULTI/EXEC reply a null array at once.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::zset::{Pairs, Shape};
use super::zset_pop::{parse_mpop, pop, End};
use super::Ctx;
use crate::blocking::{parse_timeout, BlockRequest, Op};
use crate::error::Result;
use crate::spec::CommandSpec;

pub(super) const BZPOPMIN: CommandSpec = CommandSpec {
    name: "bzpopmin",
    arity: -3,
    flags: &["write", "noscript", "blocking", "fast"],
    first_key: 1,
    last_key: -2,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
    group: "sorted-set",
    summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    syntax: "key... timeout:double",
};

/// BZPOPMIN key [key ...] timeout
pub(super) fn bzpopmin(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let last = argv.len() - 1;
    blocking_zpop(ctx, &argv[1..last], End::Min, &argv[last], None)
}

pub(super) const BZPOPMAX: CommandSpec = CommandSpec {
    name: "bzpopmax",
    arity: -3,
    flags: &["write", "noscript", "blocking", "fast"],
    first_key: 1,
    last_key: -2,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
    group: "sorted-set",
    summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    syntax: "key... timeout:double",
};

/// BZPOPMAX key [key ...] timeout
pub(super) fn bzpopmax(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let last = argv.len() - 1;
    blocking_zpop(ctx, &argv[1..last], End::Max, &argv[last], None)
}

pub(super) const BZMPOP: CommandSpec = CommandSpec {
    name: "bzmpop",
    arity: -5,
    flags: &["write", "blocking", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@write", "@sortedset", "@slow", "@blocking"],
    group: "sorted-set",
    summary: "Remove and return members with scores in a sorted set or block until one is available",
    since: "7.0.0",
    complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    syntax: "timeout:double numkeys:integer key... (MIN | MAX) [COUNT count:integer]",
};

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments after
/// the timeout are checked first (`zmpopGenericCommand()`).
pub(super) fn bzmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let (where_at, end, count) = parse_mpop(argv, 2)?;
    blocking_zpop(ctx, &argv[3..where_at], end, &argv[1], Some(count))
}

/// Redis's `blockingGenericZpopCommand()`: the timeout first, then the first key
/// holding a non-empty sorted set is popped; a key of another type before it is
/// WRONGTYPE.
fn blocking_zpop(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    timeout: &[u8],
    count: Option<usize>,
) -> Result<Frame> {
    let timeout_ms = parse_timeout(timeout)?;
    for key in keys {
        if let Some(reply) = pop_key(ctx, key, end, count)? {
            return Ok(reply);
        }
    }
    ctx.fx.blocked.request(|| BlockRequest {
        keys: keys.to_vec(),
        op: Op::ZPop {
            max: end == End::Max,
            count,
        },
        timeout_ms,
    });
    Ok(Frame::NullArray)
}

/// `genericZpopCommand()` with the key emitted: `[key, member, score]` for
/// BZPOPMIN/BZPOPMAX (`count` None), `[key, [[member, score], ...]]` for BZMPOP;
/// propagated as `ZPOPMIN key` or `ZPOPMIN key n`, one change per member.
fn pop_key(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    end: End,
    count: Option<usize>,
) -> Result<Option<Frame>> {
    let Some(mut entry) = ctx.write(key) else {
        return Ok(None);
    };
    let zset = entry.value_mut().zset_mut()?;
    let n = count.unwrap_or(1).min(zset.len());
    if n == 0 {
        return Ok(None);
    }
    let shape = if count.is_some() {
        Shape::Nested
    } else {
        Shape::Flat
    };
    let mut pairs = Pairs::new(shape, true, n);
    let popped = pop(zset, end, n, &mut pairs);
    let emptied = zset.len() == 0;
    if emptied {
        entry.remove();
    }
    let (name, event): (&'static [u8], _) = match end {
        End::Min => (b"ZPOPMIN", "zpopmin"),
        End::Max => (b"ZPOPMAX", "zpopmax"),
    };
    // genericZpopCommand()'s events, as ZPOPMIN/ZPOPMAX raise them.
    super::zset::removed_events(ctx, event, key, popped, emptied);
    let mut effect = vec![Bytes::from_static(name), key.clone()];
    let key = Frame::Bulk(key.clone());
    let reply = match (count, pairs.into_frame()) {
        (None, Frame::Array(mut flat)) => {
            flat.insert(0, key);
            Frame::Array(flat)
        }
        (_, nested) => {
            effect.push(Bytes::from(popped.to_string()));
            Frame::Array(vec![key, nested])
        }
    };
    ctx.propagate_as(vec![effect]);
    ctx.changed(popped);
    Ok(Some(reply))
}

/// Serves a client blocked with BZPOPMIN, BZPOPMAX or BZMPOP from the ready sorted
/// set `key`.
pub(crate) fn serve(ctx: &mut Ctx<'_>, key: &Bytes, op: &Op) -> Result<Frame> {
    match op {
        Op::ZPop { max, count } => {
            let end = if *max { End::Max } else { End::Min };
            Ok(pop_key(ctx, key, end, *count)?.unwrap_or(Frame::NullArray))
        }
        Op::ListPop { .. } | Op::ListMove { .. } => Ok(Frame::NullArray),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, Harness};
    use ferrodis_resp::{Frame, Protocol};

    fn pair(m: &str, s: f64) -> Frame {
        Frame::Array(vec![bulk(m), Frame::Double(s)])
    }

    #[test]
    fn pops_from_the_first_non_empty_set() {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b 3 c");
        assert_eq!(
            h.run("bzpopmin none z 0"),
            Frame::Array(vec![bulk("z"), bulk("a"), Frame::Double(1.0)])
        );
        assert_eq!(
            h.run("bzpopmax z 0"),
            Frame::Array(vec![bulk("z"), bulk("c"), Frame::Double(3.0)])
        );
        assert_eq!(
            h.run("bzmpop 0 2 none z max count 5"),
            Frame::Array(vec![bulk("z"), Frame::Array(vec![pair("b", 2.0)])])
        );
        assert_eq!(h.run("exists z"), int(0));
        assert_eq!(h.ks.dirty(), 3 + 3);
    }

    #[test]
    fn shapes_do_not_depend_on_the_protocol() {
        let mut h = Harness::new();
        h.session.protocol = Protocol::Resp3;
        h.run("zadd z 1 a 2 b");
        assert_eq!(
            h.run("bzpopmin z 0"),
            Frame::Array(vec![bulk("z"), bulk("a"), Frame::Double(1.0)])
        );
        assert_eq!(
            h.run("bzmpop 0 1 z min"),
            Frame::Array(vec![bulk("z"), Frame::Array(vec![pair("b", 2.0)])])
        );
    }

    #[test]
    fn empty_wrong_type_and_bad_arguments() {
        let mut h = Harness::new();
        assert_eq!(h.run("bzpopmin a b 0"), Frame::NullArray);
        assert_eq!(h.run("bzmpop 0 1 a min"), Frame::NullArray);
        h.run("set s v");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(h.run("bzpopmax s 0"), wrongtype);
        assert_eq!(h.run("bzmpop 0 1 s min"), wrongtype);
        let not_float = err("ERR timeout is not a float or out of range");
        assert_eq!(h.run("bzpopmin s x"), not_float, "the timeout comes first");
        assert_eq!(h.run("bzmpop x 1 k min"), not_float);
        assert_eq!(h.run("bzpopmin k -1"), err("ERR timeout is negative"));
        assert_eq!(
            h.run("bzmpop x 0 k min"),
            err("ERR numkeys should be greater than 0")
        );
        assert_eq!(h.run("bzmpop x 1 k foo"), err("ERR syntax error"));
        assert_eq!(
            h.run("bzmpop 0 1 k min count 0"),
            err("ERR count should be greater than 0")
        );
    }

    #[test]
    fn propagated_as_zpop() {
        let mut h = Harness::new();
        h.ks.set_propagation(true);
        h.run("zadd z 1 a 2 b 3 c 4 d");
        h.ks.take_effects();
        h.run("bzpopmin z 0");
        h.run("bzpopmax z 0");
        h.run("bzmpop 0 1 z min count 10");
        let effects = h.effect_lines();
        assert_eq!(effects, ["ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2"]);
    }
}
