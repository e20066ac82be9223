//! Set algebra (t_set.c): SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE,
//! SDIFF, SDIFFSTORE.
//!
//! A missing key is an empty set; any key holding another type is WRONGTYPE, even
//! when an earlier key already made the result empty (Redis 7.0 looks up every key
//! first). Results are built as new sets the way Redis builds them (an intset first,
//! converted as members require), so a stored result has Redis's encoding and an
//! all-integer result replies in ascending order.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::set::{bulk_frames, Elem, Set};
use crate::value::Value;

/// The sets behind `keys`, `None` for a missing key, in order. Each key is looked
/// up as Redis's `lookupKeyRead()` does (expired keys deleted, hits and misses
/// counted), stopping at the first key of another type.
fn lookup_sets<'c>(ctx: &'c mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Option<&'c Set>>> {
    for key in keys {
        if let Some(entry) = ctx.read(key) {
            entry.value().set()?;
        }
    }
    let db = &ctx.dbs[ctx.session.db];
    Ok(keys
        .iter()
        .map(|key| db.peek(key).and_then(|v| v.set().ok()))
        .collect())
}

/// Calls `f` on each member of the intersection until it returns false. Redis's
/// `sinterGenericCommand()`: the smallest set is walked and each member looked up in
/// the others, so the order is the smallest set's.
fn intersect<'a>(sets: &[Option<&'a Set>], mut f: impl FnMut(Elem<'a>) -> bool) {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return; // a missing key: the intersection is empty
    };
    sets.sort_by_key(|s| s.len());
    let Some((first, rest)) = sets.split_first() else {
        return;
    };
    for e in first.iter() {
        if rest
            .iter()
            .all(|s| std::ptr::eq(*s, *first) || s.contains(e))
            && !f(e)
        {
            return;
        }
    }
}

/// Redis's `sunionDiffGenericCommand()` for a union.
fn union(sets: &[Option<&Set>], max_intset: usize) -> Set {
    let mut out = Set::new();
    for set in sets.iter().flatten() {
        for e in set.iter() {
            out.add(e, max_intset);
        }
    }
    out
}

/// Redis's `sunionDiffGenericCommand()` for a difference, with its choice between
/// testing each member of the first set against the others (algorithm 1) and
/// removing the others' members from a copy of it (algorithm 2). The choice shows in
/// the encoding of a stored result, so it is made the same way.
fn diff(sets: &[Option<&Set>], max_intset: usize) -> Set {
    let mut out = Set::new();
    let Some((Some(first), rest)) = sets.split_first() else {
        return out;
    };
    let mut others: Vec<&Set> = rest.iter().flatten().copied().collect();
    if others.iter().any(|s| std::ptr::eq(*s, *first)) {
        return out; // the first key again: everything is subtracted
    }
    let algo_one = first.len().saturating_mul(others.len() + 1) / 2;
    let algo_two = others
        .iter()
        .fold(first.len(), |n, s| n.saturating_add(s.len()));
    if algo_one <= algo_two {
        // Larger sets first: a member present somewhere is found sooner.
        others.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for e in first.iter() {
            if !others.iter().any(|s| s.contains(e)) {
                out.add(e, max_intset);
            }
        }
    } else {
        for e in first.iter() {
            out.add(e, max_intset);
        }
        for set in others {
            if out.is_empty() {
                break;
            }
            for e in set.iter() {
                out.remove(e);
            }
        }
    }
    out
}

/// Stores a STORE command's result in `dst` (replacing any value and its TTL), or
/// deletes `dst` when the result is empty; the reply is the result's size. `event`
/// is the command's keyspace event (`sinterstore`...).
fn store(ctx: &mut Ctx<'_>, dst: &[u8], result: Set, event: &'static str) -> Frame {
    if result.is_empty() {
        // Redis's dbDelete(): no expiry check, a deletion counts as a change.
        if ctx.db().remove(dst).is_some() {
            ctx.changed(1);
            ctx.notify_del(dst);
        }
        return Frame::Integer(0);
    }
    let len = result.len();
    match ctx.entry(dst) {
        Slot::Occupied(entry) => entry.replace(Value::Set(result), false),
        Slot::Vacant(slot) => {
            slot.insert(Value::Set(result));
        }
    }
    ctx.changed(1);
    ctx.notify(notify::SET, event, dst);
    int_reply(len)
}

pub(super) const SINTER: CommandSpec = CommandSpec {
    name: "sinter",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Intersect multiple sets",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    syntax: "key...",
};

/// SINTER key [key ...]: a set reply.
pub(super) fn sinter(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let sets = lookup_sets(ctx, &argv[1..])?;
    let mut out = Vec::new();
    intersect(&sets, |e| {
        out.push(e);
        true
    });
    Ok(Frame::Set(bulk_frames(out)))
}

pub(super) const SINTERCARD: CommandSpec = CommandSpec {
    name: "sintercard",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Intersect multiple sets and return the cardinality of the result",
    since: "7.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    syntax: "numkeys:integer key... [LIMIT limit:integer]",
};

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size, counted
/// no further than `limit` (0: no limit).
pub(super) fn sintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let numkeys = parse_int(&argv[1])
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::NumkeysNotPositive)?;
    let keys_end = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&end| end <= argv.len())
        .ok_or(Error::NumkeysTooMany)?;
    let mut limit = 0;
    let mut options = argv[keys_end..].iter();
    while let Some(option) = options.next() {
        match options.as_slice().first() {
            Some(value) if option.eq_ignore_ascii_case(b"LIMIT") => {
                options.next();
                limit = parse_int(value)
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or(Error::LimitNegative)?;
            }
            _ => return Err(Error::Syntax),
        }
    }
    let sets = lookup_sets(ctx, &argv[2..keys_end])?;
    let mut count = 0;
    intersect(&sets, |_| {
        count += 1;
        limit == 0 || count < limit
    });
    Ok(int_reply(count))
}

pub(super) const SINTERSTORE: CommandSpec = CommandSpec {
    name: "sinterstore",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@write", "@set", "@slow"],
    group: "set",
    summary: "Intersect multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    syntax: "destination:key key...",
};

/// SINTERSTORE destination key [key ...]: the size of the stored intersection.
pub(super) fn sinterstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let sets = lookup_sets(ctx, &argv[2..])?;
    let mut result = Set::new();
    intersect(&sets, |e| {
        result.add(e, max);
        true
    });
    Ok(store(ctx, &argv[1], result, "sinterstore"))
}

pub(super) const SUNION: CommandSpec = CommandSpec {
    name: "sunion",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Add multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    syntax: "key...",
};

/// SUNION key [key ...]: a set reply.
pub(super) fn sunion(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let sets = lookup_sets(ctx, &argv[1..])?;
    Ok(Frame::Set(union(&sets, max).frames()))
}

pub(super) const SUNIONSTORE: CommandSpec = CommandSpec {
    name: "sunionstore",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@write", "@set", "@slow"],
    group: "set",
    summary: "Add multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    syntax: "destination:key key...",
};

/// SUNIONSTORE destination key [key ...]: the size of the stored union.
pub(super) fn sunionstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let sets = lookup_sets(ctx, &argv[2..])?;
    let result = union(&sets, max);
    Ok(store(ctx, &argv[1], result, "sunionstore"))
}

pub(super) const SDIFF: CommandSpec = CommandSpec {
    name: "sdiff",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Subtract multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    syntax: "key...",
};

/// SDIFF key [key ...]: a set reply of the first set's members in none of the others.
pub(super) fn sdiff(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let sets = lookup_sets(ctx, &argv[1..])?;
    Ok(Frame::Set(diff(&sets, max).frames()))
}

pub(super) const SDIFFSTORE: CommandSpec = CommandSpec {
    name: "sdiffstore",
    arity: -3,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: -1,
    step: 1,
    acl_categories: &["@write", "@set", "@slow"],
    group: "set",
    summary: "Subtract multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
    syntax: "destination:key key...",
};

/// SDIFFSTORE destination key [key ...]: the size of the stored difference.
pub(super) fn sdiffstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let sets = lookup_sets(ctx, &argv[2..])?;
    let result = diff(&sets, max);
    Ok(store(ctx, &argv[1], result, "sdiffstore"))
}

#[cfg(test)]
mod tests {
    use super::super::set::tests::{encoding, set_of, sorted};
    use super::super::test_support::{err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn setup() -> Harness {
        let mut h = Harness::new();
        h.run("sadd a 1 2 3 4");
        h.run("sadd b 3 4 5");
        h.run("sadd w x y 3");
        h.run("set str v");
        h
    }

    #[test]
    fn sinter() {
        let mut h = setup();
        assert_eq!(h.run("sinter a b"), set_of(&["3", "4"]));
        assert_eq!(h.run("sinter a"), set_of(&["1", "2", "3", "4"]));
        assert_eq!(h.run("sinter a a"), set_of(&["1", "2", "3", "4"]));
        assert_eq!(h.run("sinter a b w"), set_of(&["3"]));
        assert_eq!(h.run("sinter a nope"), set_of(&[]));
        assert_eq!(h.run("sinter nope a"), set_of(&[]));
    }

    #[test]
    fn sintercard() {
        let mut h = setup();
        assert_eq!(h.run("sintercard 2 a b"), int(2));
        assert_eq!(h.run("sintercard 1 a"), int(4));
        assert_eq!(h.run("sintercard 1 a LIMIT 3"), int(3));
        assert_eq!(h.run("sintercard 1 a limit 0"), int(4));
        assert_eq!(h.run("sintercard 1 a limit 9"), int(4));
        assert_eq!(
            h.run("sintercard 1 a limit 1 limit 0"),
            int(4),
            "the last LIMIT wins"
        );
        assert_eq!(h.run("sintercard 2 a nope"), int(0));
        assert_eq!(h.run("sintercard 3 a b w"), int(1));
    }

    #[test]
    fn sintercard_errors() {
        let mut h = setup();
        let numkeys = err("ERR numkeys should be greater than 0");
        for line in [
            "sintercard 0 a",
            "sintercard -1 a",
            "sintercard x a",
            "sintercard 9223372036854775808 a",
        ] {
            assert_eq!(h.run(line), numkeys, "{line}");
        }
        assert_eq!(
            h.run("sintercard 2 a"),
            err("ERR Number of keys can't be greater than number of args")
        );
        assert_eq!(
            h.run("sintercard 9223372036854775807 a"),
            err("ERR Number of keys can't be greater than number of args")
        );
        let limit = err("ERR LIMIT can't be negative");
        assert_eq!(h.run("sintercard 1 a LIMIT -1"), limit);
        assert_eq!(h.run("sintercard 1 a LIMIT x"), limit);
        assert_eq!(
            h.run("sintercard 1 nope LIMIT x"),
            limit,
            "options before keys"
        );
        assert_eq!(h.run("sintercard 1 a LIMIT"), err("ERR syntax error"));
        assert_eq!(h.run("sintercard 1 a foo"), err("ERR syntax error"));
        assert_eq!(h.run("sintercard 1 str"), err(WRONGTYPE));
    }

    #[test]
    fn sunion_and_sdiff() {
        let mut h = setup();
        assert_eq!(h.run("sunion a b"), set_of(&["1", "2", "3", "4", "5"]));
        assert_eq!(h.run("sunion nope b nope"), set_of(&["3", "4", "5"]));
        assert_eq!(h.run("sunion nope"), set_of(&[]));
        assert_eq!(sorted(h.run("sunion a w")), ["1", "2", "3", "4", "x", "y"]);
        assert_eq!(h.run("sdiff a b"), set_of(&["1", "2"]));
        assert_eq!(h.run("sdiff a nope b w"), set_of(&["1", "2"]));
        assert_eq!(h.run("sdiff a"), set_of(&["1", "2", "3", "4"]));
        assert_eq!(h.run("sdiff nope a"), set_of(&[]));
        assert_eq!(h.run("sdiff a b a"), set_of(&[]), "the first key again");
        assert_eq!(sorted(h.run("sdiff w a")), ["x", "y"]);
    }

    #[test]
    fn sdiff_with_either_algorithm() {
        let mut h = Harness::new();
        // Algorithm 2 (remove from a copy) runs when the others are small next to
        // the first set: a large first set, many subtracted keys.
        let mut line = "sadd big".to_string();
        for i in 0..600 {
            line.push_str(&format!(" {i}"));
        }
        h.run(&line);
        h.run("sadd small 1 2 3");
        h.run("sadd other 4");
        assert_eq!(h.run("sdiffstore d big small other"), int(596));
        assert_eq!(h.run("sdiffstore d small big"), int(0));
        assert_eq!(h.run("exists d"), int(0));
        // A first set left all-integer and small: algorithm 1 builds an intset,
        // algorithm 2 keeps the table the copy started as.
        h.run("sadd t 1 2 3 x");
        h.run("sadd x x");
        assert_eq!(h.run("sdiffstore d1 t x"), int(3));
        assert_eq!(encoding(&mut h, "d1"), "intset");
        h.run("sadd s1 1");
        h.run("sadd s2 2");
        h.run("sadd s3 3");
        assert_eq!(h.run("sdiffstore d2 t x s1 s2"), int(1));
        assert_eq!(encoding(&mut h, "d2"), "hashtable");
    }

    #[test]
    fn store_replaces_or_deletes_the_destination() {
        let mut h = setup();
        h.run("set dst old");
        h.run("expire dst 100");
        let dirty = h.ks.dirty();
        assert_eq!(h.run("sinterstore dst a b"), int(2));
        assert_eq!(h.run("ttl dst"), int(-1), "the TTL goes with the old value");
        assert_eq!(h.run("smembers dst"), set_of(&["3", "4"]));
        assert_eq!(encoding(&mut h, "dst"), "intset");
        assert_eq!(h.run("sunionstore dst a w"), int(6));
        assert_eq!(encoding(&mut h, "dst"), "hashtable");
        assert_eq!(h.run("sdiffstore dst a b"), int(2));
        assert_eq!(h.run("smembers dst"), set_of(&["1", "2"]));
        assert_eq!(h.ks.dirty(), dirty + 3);
        assert_eq!(h.run("sinterstore dst a nope"), int(0));
        assert_eq!(h.run("exists dst"), int(0));
        assert_eq!(h.ks.dirty(), dirty + 4);
        assert_eq!(h.run("sunionstore dst nope"), int(0));
        assert_eq!(h.run("sdiffstore dst b a"), int(1));
        assert_eq!(h.run("sdiffstore dst a a"), int(0));
        assert_eq!(h.ks.dirty(), dirty + 6, "deleting nothing is no change");
        assert_eq!(
            h.run("sunionstore a a b"),
            int(5),
            "a source may be the destination"
        );
        assert_eq!(h.run("smembers a"), set_of(&["1", "2", "3", "4", "5"]));
    }

    #[test]
    fn store_results_take_redis_encodings() {
        let mut h = Harness::new();
        let mut tunables = h.ks.tunables();
        tunables.set_max_intset_entries = 4;
        h.ks.set_tunables(tunables);
        h.run("sadd a 1 2 3");
        h.run("sadd b 4 5");
        h.run("sadd m 1 2 3 x");
        assert_eq!(h.run("sunionstore u a b"), int(5));
        assert_eq!(encoding(&mut h, "u"), "hashtable", "past the limit");
        assert_eq!(h.run("sinterstore i a m"), int(3));
        assert_eq!(encoding(&mut h, "i"), "intset", "a table's integers");
        assert_eq!(sorted(h.run("sunion a b")), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn every_key_is_type_checked() {
        let mut h = setup();
        for line in [
            "sinter nope str",
            "sinter str a",
            "sunion a str",
            "sdiff nope str",
            "sdiff a a str",
            "sinterstore d nope str",
            "sunionstore d str",
            "sdiffstore d a str",
            "sintercard 2 nope str",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(h.run("exists d"), int(0));
        assert_eq!(
            h.run("sunionstore str a"),
            int(4),
            "the destination may be any type"
        );
        assert_eq!(h.run("type str"), Frame::simple("set"));
    }

    #[test]
    fn intersections_of_tables_and_intsets() {
        let mut h = Harness::new();
        let mut line = "sadd big".to_string();
        for i in 0..1000 {
            line.push_str(&format!(" {i}"));
        }
        h.run(&line);
        h.run("sadd mixed 5 10 x 2000");
        h.run("sadd ints 10 5 999 1000");
        assert_eq!(sorted(h.run("sinter big mixed")), ["10", "5"]);
        assert_eq!(h.run("sinter ints big"), set_of(&["5", "10", "999"]));
        assert_eq!(sorted(h.run("sinter mixed ints")), ["10", "5"]);
        assert_eq!(h.run("sintercard 3 big mixed ints"), int(2));
    }
}
