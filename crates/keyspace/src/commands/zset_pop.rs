//! Sorted set commands that take members from the ends or at random (t_zset.c):
//! ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER.

use bytes::Bytes;
use ferrodis_resp::{Frame, Protocol};

use super::zset::{is_opt, removed_events, Pairs, Shape};
use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::keyspace::next_random;
use crate::spec::CommandSpec;
use crate::types::zset::ZSet;

/// Which end ZPOP* and ZMPOP take from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Min,
    Max,
}

pub(super) const ZPOPMIN: CommandSpec = CommandSpec {
    name: "zpopmin",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Remove and return members with the lowest scores in a sorted set",
    since: "5.0.0",
    complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    syntax: "key [count:integer]",
};

/// ZPOPMIN key [count]
pub(super) fn zpopmin(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    pop_command(ctx, argv, End::Min)
}

pub(super) const ZPOPMAX: CommandSpec = CommandSpec {
    name: "zpopmax",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@fast"],
    group: "sorted-set",
    summary: "Remove and return members with the highest scores in a sorted set",
    since: "5.0.0",
    complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    syntax: "key [count:integer]",
};

/// ZPOPMAX key [count]
pub(super) fn zpopmax(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    pop_command(ctx, argv, End::Max)
}

/// Redis's `zpopMinMaxCommand()`: a flat member, score array in RESP2 and without a
/// count; [member, score] pairs in RESP3 with one.
fn pop_command(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End) -> Result<Frame> {
    if argv.len() > 3 {
        return Err(Error::Syntax);
    }
    let count = match argv.get(2) {
        // getPositiveLongFromObjectOrReply() uses its message for non-numbers too.
        Some(arg) => Some(
            usize::try_from(parse_int(arg).map_err(|_| Error::NotPositive)?)
                .map_err(|_| Error::NotPositive)?,
        ),
        None => None,
    };
    let protocol = ctx.session.protocol;
    let shape = if protocol == Protocol::Resp3 && count.is_some() {
        Shape::Nested
    } else {
        Shape::Flat
    };
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let zset = entry.value_mut().zset_mut()?;
    if count == Some(0) {
        return Ok(Frame::Array(Vec::new()));
    }
    let mut pairs = Pairs::new(shape, true, count.unwrap_or(1).min(zset.len()));
    let popped = pop(zset, end, count.unwrap_or(1), &mut pairs);
    let emptied = zset.len() == 0;
    if emptied {
        entry.remove();
    }
    ctx.changed(popped);
    removed_events(ctx, pop_event(end), &argv[1], popped, emptied);
    Ok(pairs.into_frame())
}

/// The event of a pop at `end` (`genericZpopCommand`).
fn pop_event(end: End) -> &'static str {
    match end {
        End::Min => "zpopmin",
        End::Max => "zpopmax",
    }
}

/// Takes up to `count` members from `end` into `pairs`, in the order they are taken.
pub(super) fn pop(zset: &mut ZSet, end: End, count: usize, pairs: &mut Pairs) -> usize {
    let n = count.min(zset.len());
    let ranks = match end {
        End::Min => 0..n,
        End::Max => zset.len() - n..zset.len(),
    };
    zset.visit(ranks.clone(), |m, s| pairs.push(m, s));
    if end == End::Max {
        pairs.reverse();
    }
    zset.remove_ranks(ranks)
}

pub(super) const ZMPOP: CommandSpec = CommandSpec {
    name: "zmpop",
    arity: -4,
    flags: &["write", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Remove and return members with scores in a sorted set",
    since: "7.0.0",
    complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    syntax: "numkeys:integer key... (MIN | MAX) [COUNT count:integer]",
};

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]: pops from the first
/// non-empty set; replicated as ZPOPMIN/ZPOPMAX key count, as Redis does.
pub(super) fn zmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let (where_at, end, count) = parse_mpop(argv, 1)?;
    for key in &argv[2..where_at] {
        let Some(mut entry) = ctx.write(key) else {
            continue;
        };
        let zset = entry.value_mut().zset_mut()?;
        let mut pairs = Pairs::new(Shape::Nested, true, count.min(zset.len()));
        let popped = pop(zset, end, count, &mut pairs);
        let emptied = zset.len() == 0;
        if emptied {
            entry.remove();
        }
        ctx.changed(popped);
        removed_events(ctx, pop_event(end), key, popped, emptied);
        let name: &'static [u8] = match end {
            End::Min => b"ZPOPMIN",
            End::Max => b"ZPOPMAX",
        };
        let n = Bytes::from(popped.to_string());
        ctx.propagate_as(vec![vec![Bytes::from_static(name), key.clone(), n]]);
        return Ok(Frame::Array(vec![
            Frame::Bulk(key.clone()),
            pairs.into_frame(),
        ]));
    }
    Ok(Frame::NullArray)
}

/// The arguments of ZMPOP and BZMPOP after the timeout (Redis's
/// `zmpopGenericCommand()`): numkeys at `numkeys_at`, MIN or MAX right after the
/// keys, then an optional COUNT given once. Returns the position of MIN/MAX, the end
/// and the count (1 by default).
pub(super) fn parse_mpop(argv: &[Bytes], numkeys_at: usize) -> Result<(usize, End, usize)> {
    // getRangeLongFromObjectOrReply() with a message: the same for non-numbers.
    let positive = |arg: &[u8], e: Error| match parse_int(arg) {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| e),
        _ => Err(e),
    };
    let numkeys = positive(&argv[numkeys_at], Error::NumkeysNotPositive)?;
    let where_at = numkeys
        .checked_add(numkeys_at + 1)
        .filter(|&i| i < argv.len());
    let Some(where_at) = where_at else {
        return Err(Error::Syntax);
    };
    let end = match &argv[where_at] {
        w if is_opt(w, "min") => End::Min,
        w if is_opt(w, "max") => End::Max,
        _ => return Err(Error::Syntax),
    };
    let mut count = None;
    let mut j = where_at + 1;
    while let Some(opt) = argv.get(j) {
        if count.is_none() && is_opt(opt, "count") && j + 1 < argv.len() {
            count = Some(positive(&argv[j + 1], Error::CountNotPositive)?);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((where_at, end, count.unwrap_or(1)))
}

pub(super) const ZRANDMEMBER: CommandSpec = CommandSpec {
    name: "zrandmember",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Get one or multiple random elements from a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements returned",
    syntax: "key [count:integer [WITHSCORES]]",
};

/// ZRANDMEMBER key [count [WITHSCORES]]
pub(super) fn zrandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(count) = argv.get(2) else {
        let random = next_random(ctx.random);
        let Some(entry) = ctx.read(&argv[1]) else {
            return Ok(Frame::Null);
        };
        let zset = entry.value().zset()?;
        let rank = (random % zset.len() as u64) as usize;
        return Ok(zset
            .get(rank)
            .map_or(Frame::Null, |(m, _)| Frame::Bulk(Bytes::copy_from_slice(m))));
    };
    // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
    let count = parse_int(count)?;
    if count == i64::MIN {
        return Err(Error::OutOfRange {
            min: -i64::MAX,
            max: i64::MAX,
        });
    }
    let withscores = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && is_opt(opt, "withscores") => true,
        Some(_) => return Err(Error::Syntax),
    };
    // The reply's scores are counted in a double; Redis refuses what could overflow.
    if withscores && count.unsigned_abs() > (i64::MAX / 2) as u64 {
        return Err(Error::ValueOutOfRange);
    }
    random_members(ctx, &argv[1], count, withscores)
}

/// Redis's `zrandmemberWithCountCommand()`: a negative count may repeat members, a
/// positive one returns distinct members (the whole set when it asks for as many).
fn random_members(ctx: &mut Ctx<'_>, key: &[u8], count: i64, withscores: bool) -> Result<Frame> {
    let protocol = ctx.session.protocol;
    let mut rng = *ctx.random;
    let reply = {
        let Some(entry) = ctx.read(key) else {
            return Ok(Frame::Array(Vec::new()));
        };
        let zset = entry.value().zset()?;
        let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        let mut pairs = Pairs::new(
            Shape::Protocol(protocol),
            withscores,
            wanted.min(zset.len()),
        );
        sample(zset, wanted, count < 0, &mut rng, &mut pairs);
        pairs.into_frame()
    };
    *ctx.random = rng;
    Ok(reply)
}

/// Picks `wanted` members of a non-empty set into `pairs`, uniformly, with or
/// without repeats.
fn sample(zset: &ZSet, wanted: usize, repeat: bool, rng: &mut u64, pairs: &mut Pairs) {
    let len = zset.len();
    let mut below = |bound: usize| (next_random(rng) % bound as u64) as usize;
    if wanted == 0 {
        return;
    }
    if repeat || wanted == 1 {
        match zset {
            // Positions found once, rather than a scan per pick.
            ZSet::Listpack(lp) => {
                let all: Vec<(&[u8], f64)> = lp.iter().map(|e| (e.member, e.score)).collect();
                for _ in 0..wanted {
                    let (m, s) = all[below(len)];
                    pairs.push(m, s);
                }
            }
            ZSet::Large(l) => {
                for _ in 0..wanted {
                    if let Some((m, s)) = l.get(below(len)) {
                        pairs.push(m, s);
                    }
                }
            }
        }
        return;
    }
    if wanted >= len {
        // The whole set, in the order Redis's zuiNext() walks it: from the top.
        zset.for_each(|m, s| pairs.push(m, s));
        pairs.reverse();
        return;
    }
    if wanted * 3 > len || matches!(zset, ZSet::Listpack(_)) {
        // Selection sampling (Knuth's algorithm S): one pass, in set order.
        let (mut seen, mut needed) = (0, wanted);
        zset.for_each(|m, s| {
            if below(len - seen) < needed {
                pairs.push(m, s);
                needed -= 1;
            }
            seen += 1;
        });
        return;
    }
    // Few members of a large set: Floyd's algorithm, O(wanted log n).
    let mut chosen = hashbrown::HashSet::with_capacity(wanted);
    for j in len - wanted..len {
        let t = below(j + 1);
        let rank = if chosen.insert(t) {
            t
        } else {
            chosen.insert(j);
            j
        };
        if let Some((m, s)) = zset.get(rank) {
            pairs.push(m, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use super::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn pair(m: &str, s: f64) -> Frame {
        Frame::Array(vec![bulk(m), Frame::Double(s)])
    }

    #[test]
    fn zpop_shapes() {
        let mut h = Harness::new();
        h.run("zadd z 1 a 2 b 3 c 4 d");
        assert_eq!(
            h.run("zpopmin z"),
            Frame::Array(vec![bulk("a"), Frame::Double(1.0)])
        );
        assert_eq!(
            h.run("zpopmax z 2"),
            Frame::Array(vec![
                bulk("d"),
                Frame::Double(4.0),
                bulk("c"),
                Frame::Double(3.0)
            ])
        );
        h.session.protocol = Protocol::Resp3;
        assert_eq!(h.run("zpopmin z 0"), arr(&[]));
        assert_eq!(h.run("zadd z 5 e"), int(1));
        assert_eq!(h.run("zpopmax z 1"), Frame::Array(vec![pair("e", 5.0)]));
        assert_eq!(
            h.run("zpopmax z"),
            Frame::Array(vec![bulk("b"), Frame::Double(2.0)])
        );
        assert_eq!(h.run("exists z"), int(0));
        assert_eq!(h.run("zpopmin z"), arr(&[]));
        assert_eq!(h.run("zpopmin z 3"), arr(&[]));
        assert_eq!(h.ks.dirty(), 4 + 1 + 2 + 1 + 1 + 1);
    }

    #[test]
    fn zpop_errors() {
        let mut h = Harness::new();
        h.run("set s v");
        let positive = err("ERR value is out of range, must be positive");
        assert_eq!(h.run("zpopmin z -1"), positive);
        assert_eq!(h.run("zpopmin z x"), positive);
        assert_eq!(h.run("zpopmin z 1 2"), err("ERR syntax error"));
        assert_eq!(h.run("zpopmax s 0"), err(WRONGTYPE), "type before count 0");
    }

    #[test]
    fn zmpop() {
        let mut h = Harness::new();
        h.run("zadd b 1 x 2 y 3 z");
        assert_eq!(
            h.run("zmpop 2 a b min"),
            Frame::Array(vec![bulk("b"), Frame::Array(vec![pair("x", 1.0)])])
        );
        assert_eq!(
            h.run("zmpop 1 b MAX count 5"),
            Frame::Array(vec![
                bulk("b"),
                Frame::Array(vec![pair("z", 3.0), pair("y", 2.0)])
            ])
        );
        assert_eq!(h.run("zmpop 2 a b min"), Frame::NullArray);
        h.run("set s v");
        h.run("zadd c 1 x");
        assert_eq!(h.run("zmpop 2 s c min"), err(WRONGTYPE));
        assert_eq!(
            h.run("zmpop 2 c s min"),
            Frame::Array(vec![bulk("c"), Frame::Array(vec![pair("x", 1.0)])])
        );
        for (line, e) in [
            ("zmpop 0 a min", "ERR numkeys should be greater than 0"),
            ("zmpop x a min", "ERR numkeys should be greater than 0"),
            ("zmpop 2 a min", "ERR syntax error"),
            ("zmpop 1 a mid", "ERR syntax error"),
            ("zmpop 1 a min count", "ERR syntax error"),
            (
                "zmpop 1 a min count 0",
                "ERR count should be greater than 0",
            ),
            ("zmpop 1 a min count 1 count 1", "ERR syntax error"),
            ("zmpop 9223372036854775807 a min", "ERR syntax error"),
        ] {
            assert_eq!(h.run(line), err(e), "{line}");
        }
    }

    #[test]
    fn zmpop_propagates_as_zpop() {
        let mut h = Harness::new();
        h.ks.set_propagation(true);
        h.run("zadd b 1 x 2 y");
        h.ks.take_effects();
        h.run("zmpop 2 a b max count 10");
        let effects: Vec<Vec<Bytes>> = h.ks.take_effects().into_iter().map(|e| e.argv).collect();
        assert_eq!(
            effects,
            [vec![
                Bytes::from("ZPOPMAX"),
                Bytes::from("b"),
                Bytes::from("2")
            ]]
        );
    }

    #[test]
    fn zrandmember_counts() {
        let mut h = Harness::new();
        assert_eq!(h.run("zrandmember z"), Frame::Null);
        assert_eq!(h.run("zrandmember z 3"), arr(&[]));
        h.run("zadd z 1 a 2 b 3 c");
        assert!(matches!(h.run("zrandmember z"), Frame::Bulk(_)));
        assert_eq!(h.run("zrandmember z 0"), arr(&[]));
        assert_eq!(h.run("zrandmember z 5"), arr(&["c", "b", "a"]));
        let Frame::Array(repeats) = h.run("zrandmember z -10 withscores") else {
            panic!("an array")
        };
        assert_eq!(repeats.len(), 20);
        let Frame::Array(two) = h.run("zrandmember z 2") else {
            panic!("an array")
        };
        assert!(two.len() == 2 && two[0] != two[1]);
        for (line, e) in [
            ("zrandmember z x", "ERR value is not an integer or out of range"),
            ("zrandmember z -9223372036854775808", "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
            ("zrandmember z 1 withscore", "ERR syntax error"),
            ("zrandmember z 1 withscores x", "ERR syntax error"),
            ("zrandmember z 5000000000000000000 withscores", "ERR value is out of range"),
        ] {
            assert_eq!(h.run(line), err(e), "{line}");
        }
    }

    #[test]
    fn sampling_is_uniform_and_distinct() {
        // Both sampling strategies of a large set, and the listpack one.
        for (n, wanted) in [(1000usize, 10usize), (1000, 600), (50, 20)] {
            let mut z = ZSet::Large(Box::new(crate::types::zset::Large::with_capacity(n)));
            if n == 50 {
                z = ZSet::for_sorted(&crate::tunables::Tunables::default(), 0, 0);
            }
            for i in 0..n {
                z.push_sorted(format!("{i:05}").as_bytes(), i as f64);
            }
            let mut hits = vec![0u32; n];
            let mut rng = 42;
            for _ in 0..200 {
                let mut pairs = Pairs::new(Shape::Flat, false, wanted);
                sample(&z, wanted, false, &mut rng, &mut pairs);
                let Frame::Array(items) = pairs.into_frame() else {
                    panic!()
                };
                let mut got: Vec<Vec<u8>> = items
                    .iter()
                    .map(|f| match f {
                        Frame::Bulk(b) => b.to_vec(),
                        _ => panic!("{f:?}"),
                    })
                    .collect();
                assert_eq!(got.len(), wanted);
                got.sort();
                got.dedup();
                assert_eq!(got.len(), wanted, "distinct");
                for m in got {
                    let i: usize = String::from_utf8_lossy(&m).parse().unwrap_or(0);
                    hits[i] += 1;
                }
            }
            let expected = 200.0 * wanted as f64 / n as f64;
            let max = f64::from(*hits.iter().max().unwrap_or(&0));
            assert!(
                max < expected * 3.0 + 10.0,
                "{n}/{wanted}: max {max} vs {expected}"
            );
            assert!(
                hits.iter().filter(|&&h| h == 0).count() < n / 2,
                "{n}/{wanted}"
            );
        }
    }
}
