//! The random set commands (t_set.c): SPOP and SRANDMEMBER.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::keyspace::next_random;
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::set::{bulk_frames, Elem, Set};

/// Most reply slots reserved up front for a count: the count comes from the client
/// and may be absurd, the reply grows past this on demand.
const RESERVE_MAX: usize = 1024;

/// Redis's `SPOP_MOVE_STRATEGY_MUL`: SPOP with a count keeps the survivors instead
/// of removing the popped members once they are this many times fewer.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

/// Redis's `SRANDMEMBER_SUB_STRATEGY_MUL`: SRANDMEMBER shuffles the whole set
/// instead of drawing distinct members when asking for more than a third of it.
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

pub(super) const SPOP: CommandSpec = CommandSpec {
    name: "spop",
    arity: -2,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@set", "@fast"],
    group: "set",
    summary: "Remove and return one or multiple random members from a set",
    since: "1.0.0",
    complexity:
        "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    syntax: "key [count:integer]",
};

/// SPOP key [count]: without a count, one member or a null; with one, a set reply
/// (RESP3 `~`, as Redis 7.0 sends; an array in RESP2). An emptied set is deleted.
pub(super) fn spop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match argv.len() {
        2 => spop_one(ctx, &argv[1]),
        3 => spop_count(ctx, &argv[1], &argv[2]),
        _ => Err(Error::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Frame> {
    let mut random = *ctx.random;
    let Some(mut entry) = ctx.write(key) else {
        return Ok(Frame::Null);
    };
    let set = entry.value_mut().set_mut()?;
    let popped = set.pop_random(&mut random);
    let emptied = set.is_empty();
    if emptied {
        entry.remove();
    }
    *ctx.random = random;
    ctx.changed(1);
    ctx.notify(notify::SET, "spop", key);
    if emptied {
        ctx.notify_del(key);
    }
    // Replicas must remove the same member (`spopCommand` propagates SREM).
    if let Some(member) = &popped {
        ctx.propagate_one(&[b"SREM", key, member]);
    }
    Ok(popped.map_or(Frame::Null, Frame::Bulk))
}

/// Redis's `spopWithCountCommand()`, with its three strategies; which one runs
/// shows in the encoding of what is left (the third rebuilds the set).
fn spop_count(ctx: &mut Ctx<'_>, key: &[u8], count: &[u8]) -> Result<Frame> {
    // getPositiveLongFromObjectOrReply(): its message for non-numbers too, and
    // before the key is looked at.
    let count = parse_int(count)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(Error::NotPositive)?;
    let max = ctx.tunables.set_max_intset_entries;
    let mut random = *ctx.random;
    let Some(mut entry) = ctx.write(key) else {
        return Ok(Frame::Set(Vec::new()));
    };
    let set = entry.value_mut().set_mut()?;
    let size = set.len();
    if count == 0 {
        return Ok(Frame::Set(Vec::new()));
    }
    if count >= size {
        // The whole set (Redis replies through SUNION, then deletes the key).
        let reply = set.frames();
        entry.remove();
        ctx.changed(size);
        ctx.notify(notify::SET, "spop", key);
        ctx.notify_del(key);
        ctx.propagate_one(&[b"DEL", key]);
        return Ok(Frame::Set(reply));
    }
    let remaining = size - count;
    let reply = if remaining.saturating_mul(SPOP_MOVE_STRATEGY_MUL) > count {
        (0..count)
            .filter_map(|_| set.pop_random(&mut random))
            .map(Frame::Bulk)
            .collect()
    } else {
        // Few survivors: move them into a new set, reply with the rest, and keep
        // the new set (created for its first member, like any new set).
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            if let Some(m) = set.pop_random(&mut random) {
                kept.get_or_insert_with(|| Set::for_first(&m))
                    .add(Elem::Bytes(&m), max);
            }
        }
        let reply = set.frames();
        if let Some(kept) = kept {
            *set = kept;
        }
        reply
    };
    *ctx.random = random;
    ctx.changed(count);
    ctx.notify(notify::SET, "spop", key);
    if ctx.propagating() {
        // Redis 7.0's `spopWithCountCommand` propagates one `SREM key member` per
        // popped member (a consumer wraps a command's several effects in
        // MULTI/EXEC, as Redis does).
        let members: Vec<&Bytes> = reply
            .iter()
            .filter_map(|f| match f {
                Frame::Bulk(m) => Some(m),
                _ => None,
            })
            .collect();
        let key = Bytes::copy_from_slice(key);
        let srems = members
            .into_iter()
            .map(|m| vec![Bytes::from_static(b"SREM"), key.clone(), m.clone()])
            .collect();
        ctx.propagate_as(srems);
    }
    Ok(Frame::Set(reply))
}

pub(super) const SRANDMEMBER: CommandSpec = CommandSpec {
    name: "srandmember",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Get one or multiple random members from a set",
    since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    syntax: "key [count:integer]",
};

/// SRANDMEMBER key [count]: without a count, one member or a null; with a count,
/// an array of up to `count` distinct members, or of exactly `-count` members drawn
/// with repeats when it is negative.
pub(super) fn srandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match argv.len() {
        2 => {
            let mut random = *ctx.random;
            let reply = match ctx.read(&argv[1]) {
                None => Frame::Null,
                Some(entry) => entry
                    .value()
                    .set()?
                    .random(&mut random)
                    .map_or(Frame::Null, Elem::to_frame),
            };
            *ctx.random = random;
            Ok(reply)
        }
        3 => srandmember_count(ctx, &argv[1], &argv[2]),
        _ => Err(Error::Syntax),
    }
}

/// Redis's `srandmemberWithCountCommand()`.
fn srandmember_count(ctx: &mut Ctx<'_>, key: &[u8], count: &[u8]) -> Result<Frame> {
    // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), before the lookup.
    let count = parse_int(count)?;
    if count == i64::MIN {
        return Err(Error::OutOfRange {
            min: -i64::MAX,
            max: i64::MAX,
        });
    }
    let (n, distinct) = (count.unsigned_abs() as usize, count >= 0);
    let mut random = *ctx.random;
    let Some(entry) = ctx.read(key) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let set = entry.value().set()?;
    let reply = if n == 0 {
        Vec::new()
    } else if !distinct || n == 1 {
        let mut picks = Vec::with_capacity(n.min(RESERVE_MAX));
        picks.extend((0..n).filter_map(|_| set.random(&mut random)));
        bulk_frames(picks)
    } else if n >= set.len() {
        set.frames()
    } else if n.saturating_mul(SRANDMEMBER_SUB_STRATEGY_MUL) > set.len() {
        // A large share: shuffle the first `n` places of the whole set.
        let mut all: Vec<Elem<'_>> = set.iter().collect();
        for i in 0..n {
            let j = i + (next_random(&mut random) % (all.len() - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(n);
        bulk_frames(all)
    } else {
        // A small share: draw places until `n` distinct ones came up.
        let mut seen = hashbrown::HashSet::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some(slot) = set.random_slot(&mut random) else {
                break;
            };
            if seen.insert(slot) {
                out.extend(set.at(slot));
            }
        }
        bulk_frames(out)
    };
    *ctx.random = random;
    Ok(Frame::Array(reply))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::set::tests::{encoding, sorted};
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn fill(h: &mut Harness, key: &str, members: impl Iterator<Item = String>) {
        let mut line = format!("sadd {key}");
        for m in members {
            line.push(' ');
            line.push_str(&m);
        }
        h.run(&line);
    }

    #[test]
    fn spop_one() {
        let mut h = Harness::new();
        assert_eq!(h.run("spop nope"), Frame::Null);
        h.run("sadd s a b");
        let first = h.run("spop s");
        let second = h.run("spop s");
        assert_ne!(first, second);
        assert!(matches!(first, Frame::Bulk(_)));
        assert_eq!(h.run("exists s"), int(0));
        assert_eq!(h.ks.dirty(), 2 + 2);
        assert_eq!(h.run("spop s"), Frame::Null);
    }

    #[test]
    fn spop_count_shapes() {
        let mut h = Harness::new();
        assert_eq!(h.run("spop nope 3"), Frame::Set(vec![]));
        assert_eq!(h.run("spop nope 0"), Frame::Set(vec![]));
        h.run("sadd s 3 1 2");
        assert_eq!(h.run("spop s 0"), Frame::Set(vec![]));
        assert_eq!(h.ks.dirty(), 3);
        let Frame::Set(one) = h.run("spop s 1") else {
            panic!("a set reply")
        };
        assert_eq!(one.len(), 1);
        assert_eq!(h.run("scard s"), int(2));
        let rest = h.run("spop s 10");
        assert_eq!(h.ks.dirty(), 3 + 1 + 2, "the whole set counts its size");
        let Frame::Set(ref items) = rest else {
            panic!("a set reply")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(h.run("exists s"), int(0));
    }

    #[test]
    fn spop_count_pops_distinct_members_with_both_strategies() {
        for (size, count) in [(100, 10), (100, 90), (600, 550), (600, 5)] {
            let mut h = Harness::new();
            fill(&mut h, "s", (0..size).map(|i| format!("m{i}")));
            fill(&mut h, "i", (0..size).map(|i| i.to_string()));
            for key in ["s", "i"] {
                let popped = sorted(h.run(&format!("spop {key} {count}")));
                let distinct: HashSet<_> = popped.iter().collect();
                assert_eq!((popped.len(), distinct.len()), (count, count));
                assert_eq!(h.run(&format!("scard {key}")), int((size - count) as i64));
                for m in &popped {
                    assert_eq!(h.run(&format!("sismember {key} {m}")), int(0));
                }
                let left = sorted(h.run(&format!("smembers {key}")));
                assert!(left.iter().all(|m| !distinct.contains(m)));
            }
        }
    }

    #[test]
    fn spop_keeping_few_survivors_rebuilds_the_set() {
        let mut h = Harness::new();
        // Integers in a table (past the limit); after popping all but two the
        // survivors are a new set, which is an intset again, as in Redis.
        fill(&mut h, "s", (0..600).map(|i| i.to_string()));
        assert_eq!(encoding(&mut h, "s"), "hashtable");
        let Frame::Set(popped) = h.run("spop s 598") else {
            panic!("a set reply")
        };
        assert_eq!(popped.len(), 598);
        assert_eq!(encoding(&mut h, "s"), "intset");
        // Many survivors: members are removed in place.
        fill(&mut h, "t", (0..600).map(|i| i.to_string()));
        h.run("spop t 10");
        assert_eq!(encoding(&mut h, "t"), "hashtable");
    }

    #[test]
    fn spop_errors() {
        let mut h = Harness::new();
        h.run("set str v");
        let positive = err("ERR value is out of range, must be positive");
        assert_eq!(h.run("spop nope -1"), positive);
        assert_eq!(h.run("spop str abc"), positive, "the count is parsed first");
        assert_eq!(h.run("spop str 1"), err(WRONGTYPE));
        assert_eq!(h.run("spop str 0"), err(WRONGTYPE));
        assert_eq!(h.run("spop str"), err(WRONGTYPE));
        assert_eq!(h.run("spop s 1 2"), err("ERR syntax error"));
        assert_eq!(h.ks.dirty(), 1);
    }

    #[test]
    fn srandmember_shapes() {
        let mut h = Harness::new();
        assert_eq!(h.run("srandmember nope"), Frame::Null);
        assert_eq!(h.run("srandmember nope 5"), arr(&[]));
        assert_eq!(h.run("srandmember nope -5"), arr(&[]));
        h.run("sadd s 3 1 2");
        assert_eq!(h.run("srandmember s 0"), arr(&[]));
        assert_eq!(h.run("srandmember s 3"), arr(&["1", "2", "3"]));
        assert_eq!(h.run("srandmember s 9"), arr(&["1", "2", "3"]));
        let Frame::Array(many) = h.run("srandmember s -10") else {
            panic!("an array")
        };
        assert_eq!(many.len(), 10);
        assert!(many
            .iter()
            .all(|m| [bulk("1"), bulk("2"), bulk("3")].contains(m)));
        assert_eq!(h.ks.dirty(), 3, "read only");
        assert_eq!(h.run("scard s"), int(3));
        h.run("del s");
        h.run("sadd s x");
        assert_eq!(h.run("srandmember s"), bulk("x"));
        assert_eq!(h.run("srandmember s -2"), arr(&["x", "x"]));
    }

    #[test]
    fn srandmember_distinct_with_both_strategies() {
        let mut h = Harness::new();
        fill(&mut h, "s", (0..300).map(|i| format!("m{i}")));
        fill(&mut h, "i", (0..300).map(|i| i.to_string()));
        for key in ["s", "i"] {
            for count in [2, 10, 99, 100, 101, 250, 299] {
                let got = sorted(h.run(&format!("srandmember {key} {count}")));
                let distinct: HashSet<_> = got.iter().collect();
                assert_eq!((got.len(), distinct.len()), (count, count), "{key} {count}");
                for m in &got {
                    assert_eq!(h.run(&format!("sismember {key} {m}")), int(1));
                }
            }
        }
    }

    #[test]
    fn srandmember_negative_count_repeats_uniformly() {
        let mut h = Harness::new();
        h.run("sadd s a b c d");
        let got = sorted(h.run("srandmember s -4000"));
        for m in ["a", "b", "c", "d"] {
            let n = got.iter().filter(|g| *g == m).count();
            assert!((800..1200).contains(&n), "{m}: {n}");
        }
    }

    #[test]
    fn srandmember_errors() {
        let mut h = Harness::new();
        h.run("set str v");
        assert_eq!(
            h.run("srandmember nope -9223372036854775808"),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            h.run("srandmember str abc"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(h.run("srandmember str 1"), err(WRONGTYPE));
        assert_eq!(h.run("srandmember str"), err(WRONGTYPE));
        assert_eq!(h.run("srandmember s 1 2"), err("ERR syntax error"));
    }
}
