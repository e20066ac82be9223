//! Sorted set algebra (t_zset.c's `zunionInterDiffGenericCommand()`): ZUNION, ZINTER,
//! ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! Inputs are read through [`Source`]: sorted sets, and plain sets, whose members all
//! score 1 as in Redis (`zuiNext()` on an OBJ_SET). Members travel as [`Name`]s so
//! that an intset's integer needs no text until a reply or a stored set needs it.

use std::cmp::Ordering;
use std::ops::ControlFlow;

use bytes::Bytes;
use ferrodis_resp::Frame;
use hashbrown::hash_map::Entry as MapEntry;
use hashbrown::HashMap;

use super::zset::{is_opt, store, Pairs, Shape};
use super::{int_reply, parse_int, Ctx};
use crate::error::{Error, Result};
use crate::num;
use crate::spec::CommandSpec;
use crate::types::set::{Elem, Set};
use crate::types::zset::{parse_score, ZSet};
use crate::value::Value;

/// Elements visited between checks for an early stop (ZINTERCARD's LIMIT).
const VISIT_CHUNK: usize = 128;

/// A member: an integer (from an intset) or bytes. Bytes that are the canonical text
/// of an integer are kept as the integer, so that a set's 5 and a sorted set's "5"
/// are one member (canonical text and integer map one to one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Name<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Name<'a> {
    fn of(bytes: &'a [u8]) -> Name<'a> {
        match num::parse_i64(bytes) {
            Some(v) => Name::Int(v),
            None => Name::Bytes(bytes),
        }
    }

    fn of_elem(e: Elem<'a>) -> Name<'a> {
        match e {
            Elem::Int(v) => Name::Int(v),
            Elem::Bytes(b) => Name::of(b),
        }
    }

    /// Runs `f` on the member's text (an integer is formatted on the stack).
    fn with<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Name::Int(v) => f(num::format_i64(v, &mut [0; 20])),
            Name::Bytes(b) => f(b),
        }
    }

    /// Byte order of the texts (a sorted set's order among equal scores).
    fn cmp_text(self, other: Name<'_>) -> Ordering {
        self.with(|a| other.with(|b| a.cmp(b)))
    }
}

/// One input: a sorted set, a set (every member scoring 1), or a missing key (empty).
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Missing,
    ZSet(&'a ZSet),
    Set(&'a Set),
}

impl<'a> Source<'a> {
    /// The input a stored value makes, or WRONGTYPE.
    fn of(value: Option<&'a Value>) -> Result<Source<'a>> {
        match value {
            None => Ok(Source::Missing),
            Some(Value::ZSet(z)) => Ok(Source::ZSet(z)),
            Some(Value::Set(s)) => Ok(Source::Set(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    fn score(&self, member: Name<'_>) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::ZSet(z) => member.with(|b| z.score(b)),
            Source::Set(s) => {
                let elem = match member {
                    Name::Int(v) => Elem::Int(v),
                    Name::Bytes(b) => Elem::Bytes(b),
                };
                s.contains(elem).then_some(1.0)
            }
        }
    }

    /// Calls `f` on every member and score, in the source's order, until it breaks.
    fn visit(&self, mut f: impl FnMut(Name<'a>, f64) -> ControlFlow<()>) {
        match *self {
            Source::Missing => {}
            Source::Set(s) => {
                for e in s.iter() {
                    if f(Name::of_elem(e), 1.0).is_break() {
                        return;
                    }
                }
            }
            Source::ZSet(z) => {
                let mut flow = ControlFlow::Continue(());
                let mut start = 0;
                while start < z.len() && flow.is_continue() {
                    let end = (start + VISIT_CHUNK).min(z.len());
                    z.visit(start..end, |m, s| {
                        if flow.is_continue() {
                            flow = f(Name::of(m), s);
                        }
                    });
                    start = end;
                }
            }
        }
    }

    /// Whether both are the same stored value (a key given twice).
    fn same(&self, other: &Source<'_>) -> bool {
        match (self, other) {
            (Source::ZSet(a), Source::ZSet(b)) => std::ptr::eq(*a, *b),
            (Source::Set(a), Source::Set(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

/// The set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// AGGREGATE SUM | MIN | MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// `zunionInterAggregate()`: a sum of +inf and -inf is 0, not NaN.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min if value < *target => *target = value,
            Aggregate::Max if value > *target => *target = value,
            Aggregate::Min | Aggregate::Max => {}
        }
    }
}

/// What the command does with the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Reply,
    Store,
    Cardinality,
}

/// Redis's `zunionInterDiffGenericCommand()`: numkeys is `argv[1]`, or `argv[2]` after
/// the destination of the STORE forms.
fn generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    op: Op,
    output: Output,
    command: &'static str,
) -> Result<Frame> {
    let numkeys_at = if output == Output::Store { 2 } else { 1 };
    let setnum = parse_int(&argv[numkeys_at])?;
    if setnum < 1 {
        return Err(Error::NoInputKeys { command });
    }
    let keys_at = numkeys_at + 1;
    let setnum = match usize::try_from(setnum) {
        Ok(n) if n <= argv.len() - keys_at => n,
        _ => return Err(Error::Syntax),
    };
    let keys = &argv[keys_at..keys_at + setnum];
    // Redis looks every input up (expiring it, counting a hit or miss) and checks its
    // type before it reads the options.
    for key in keys {
        if let Some(entry) = ctx.read(key) {
            Source::of(Some(entry.value()))?;
        }
    }
    let mut weights = vec![1.0; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = keys_at + setnum;
    let algebra = op != Op::Diff && output != Output::Cardinality;
    while let Some(opt) = argv.get(j) {
        let remaining = argv.len() - j;
        if algebra && remaining > setnum && is_opt(opt, "weights") {
            for (w, arg) in weights.iter_mut().zip(&argv[j + 1..]) {
                *w = parse_score(arg).ok_or(Error::WeightNotFloat)?;
            }
            j += 1 + setnum;
        } else if algebra && remaining >= 2 && is_opt(opt, "aggregate") {
            aggregate = match &argv[j + 1] {
                a if is_opt(a, "sum") => Aggregate::Sum,
                a if is_opt(a, "min") => Aggregate::Min,
                a if is_opt(a, "max") => Aggregate::Max,
                _ => return Err(Error::Syntax),
            };
            j += 2;
        } else if output == Output::Reply && is_opt(opt, "withscores") {
            withscores = true;
            j += 1;
        } else if output == Output::Cardinality && remaining >= 2 && is_opt(opt, "limit") {
            limit = parse_int(&argv[j + 1])
                .ok()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(Error::LimitNegative)?;
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }

    let db = &ctx.dbs[ctx.session.db];
    let mut sources = Vec::with_capacity(setnum);
    for (key, weight) in keys.iter().zip(weights) {
        sources.push((Source::of(db.peek(key))?, weight));
    }
    if op != Op::Diff {
        // Smallest first, which makes an intersection cheapest (a stable sort, as
        // glibc's qsort is for arrays this small).
        sources.sort_by_key(|(s, _)| s.len());
    }
    let mut result: Vec<(Name<'_>, f64)> = Vec::new();
    let mut cardinality = 0;
    match op {
        Op::Inter => inter(&sources, aggregate, |m, s| {
            cardinality += 1;
            if output == Output::Cardinality {
                return if limit > 0 && cardinality >= limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                };
            }
            result.push((m, s));
            ControlFlow::Continue(())
        }),
        Op::Union => result = union(&sources, aggregate),
        Op::Diff => diff(&sources, |m, s| result.push((m, s))),
    }
    if output == Output::Cardinality {
        return Ok(int_reply(cardinality));
    }
    // The order a skip list gives them (a difference of sorted sets is in order
    // already; one of a plain set is not).
    if op != Op::Diff || matches!(sources.first(), Some((Source::Set(_), _))) {
        result.sort_unstable_by(|a, b| match a.1.partial_cmp(&b.1) {
            Some(Ordering::Equal) | None => a.0.cmp_text(b.0),
            Some(o) => o,
        });
    }
    if output == Output::Reply {
        let mut pairs = Pairs::new(
            Shape::Protocol(ctx.session.protocol),
            withscores,
            result.len(),
        );
        result
            .iter()
            .for_each(|&(m, s)| m.with(|m| pairs.push(m, s)));
        return Ok(pairs.into_frame());
    }
    let longest = result
        .iter()
        .map(|(m, _)| m.with(<[u8]>::len))
        .max()
        .unwrap_or(0);
    let mut zset = ZSet::for_sorted(&ctx.tunables, result.len(), longest);
    result
        .iter()
        .for_each(|&(m, s)| m.with(|m| zset.push_sorted(m, s)));
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    Ok(store(ctx, &argv[1], zset, event))
}

/// Members in every source, with aggregated weighted scores, in the order of the
/// smallest source; `emit` may stop early.
fn inter<'a>(
    sources: &[(Source<'a>, f64)],
    aggregate: Aggregate,
    mut emit: impl FnMut(Name<'a>, f64) -> ControlFlow<()>,
) {
    let Some(&(first, first_weight)) = sources.first() else {
        return;
    };
    first.visit(|m, s| {
        let mut score = first_weight * s;
        if score.is_nan() {
            score = 0.0;
        }
        for &(other, weight) in &sources[1..] {
            // The same key twice: Redis reuses the score it is iterating.
            let value = if other.same(&first) {
                Some(s)
            } else {
                other.score(m)
            };
            match value {
                Some(v) => aggregate.apply(&mut score, v * weight),
                None => return ControlFlow::Continue(()),
            }
        }
        emit(m, score)
    });
}

/// Every member of any source, with aggregated weighted scores (unordered).
fn union<'a>(sources: &[(Source<'a>, f64)], aggregate: Aggregate) -> Vec<(Name<'a>, f64)> {
    let largest = sources.last().map_or(0, |(s, _)| s.len());
    let mut acc: HashMap<Name<'a>, f64> = HashMap::with_capacity(largest);
    for &(source, weight) in sources {
        source.visit(|m, s| {
            let mut score = weight * s;
            if score.is_nan() {
                score = 0.0;
            }
            match acc.entry(m) {
                MapEntry::Vacant(v) => {
                    v.insert(score);
                }
                MapEntry::Occupied(mut o) => aggregate.apply(o.get_mut(), score),
            }
            ControlFlow::Continue(())
        });
    }
    acc.into_iter().collect()
}

/// Members of the first source in none of the others, with their scores, in order.
fn diff<'a>(sources: &[(Source<'a>, f64)], mut emit: impl FnMut(Name<'a>, f64)) {
    let Some(&(first, _)) = sources.first() else {
        return;
    };
    if sources[1..].iter().any(|(s, _)| s.same(&first)) {
        return;
    }
    first.visit(|m, s| {
        if sources[1..]
            .iter()
            .all(|(other, _)| other.score(m).is_none())
        {
            emit(m, s);
        }
        ControlFlow::Continue(())
    });
}

pub(super) const ZUNION: CommandSpec = CommandSpec {
    name: "zunion",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Add multiple sorted sets",
    since: "6.2.0",
    complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    syntax: "numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE (SUM | MIN | MAX)] [WITHSCORES]",
};

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(super) fn zunion(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Union, Output::Reply, "zunion")
}

pub(super) const ZINTER: CommandSpec = CommandSpec {
    name: "zinter",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Intersect multiple sorted sets",
    since: "6.2.0",
    complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    syntax: "numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE (SUM | MIN | MAX)] [WITHSCORES]",
};

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(super) fn zinter(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Inter, Output::Reply, "zinter")
}

pub(super) const ZDIFF: CommandSpec = CommandSpec {
    name: "zdiff",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Subtract multiple sorted sets",
    since: "6.2.0",
    complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    syntax: "numkeys:integer key... [WITHSCORES]",
};

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(super) fn zdiff(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Diff, Output::Reply, "zdiff")
}

pub(super) const ZUNIONSTORE: CommandSpec = CommandSpec {
    name: "zunionstore",
    arity: -4,
    flags: &["write", "denyoom", "movablekeys"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    syntax: "destination:key numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE (SUM | MIN | MAX)]",
};

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE ...]
pub(super) fn zunionstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Union, Output::Store, "zunionstore")
}

pub(super) const ZINTERSTORE: CommandSpec = CommandSpec {
    name: "zinterstore",
    arity: -4,
    flags: &["write", "denyoom", "movablekeys"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    syntax: "destination:key numkeys:integer key... [WEIGHTS weight:integer...] [AGGREGATE (SUM | MIN | MAX)]",
};

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE ...]
pub(super) fn zinterstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Inter, Output::Store, "zinterstore")
}

pub(super) const ZDIFFSTORE: CommandSpec = CommandSpec {
    name: "zdiffstore",
    arity: -4,
    flags: &["write", "denyoom", "movablekeys"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    since: "6.2.0",
    complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    syntax: "destination:key numkeys:integer key...",
};

/// ZDIFFSTORE destination numkeys key [key ...]
pub(super) fn zdiffstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Diff, Output::Store, "zdiffstore")
}

pub(super) const ZINTERCARD: CommandSpec = CommandSpec {
    name: "zintercard",
    arity: -3,
    flags: &["readonly", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Intersect multiple sorted sets and return the cardinality of the result",
    since: "7.0.0",
    complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    syntax: "numkeys:integer key... [LIMIT limit:integer]",
};

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn zintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    generic(ctx, argv, Op::Inter, Output::Cardinality, "zintercard")
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

    fn setup() -> Harness {
        let mut h = Harness::new();
        h.run("zadd a 1 x 2 y 3 z");
        h.run("zadd b 10 y 20 z 30 w");
        h
    }

    #[test]
    fn union_inter_diff() {
        let mut h = setup();
        assert_eq!(
            h.run("zunion 2 a b withscores"),
            scored(&[("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)])
        );
        assert_eq!(
            h.run("zunion 3 a b nokey weights 2 1 5 aggregate max withscores"),
            scored(&[("x", 2.0), ("y", 10.0), ("z", 20.0), ("w", 30.0)])
        );
        assert_eq!(
            h.run("zinter 2 a b aggregate min withscores"),
            scored(&[("y", 2.0), ("z", 3.0)])
        );
        assert_eq!(h.run("zinter 2 a b"), arr(&["y", "z"]));
        assert_eq!(
            h.run("zinter 2 a a weights 1 2 withscores"),
            scored(&[("x", 3.0), ("y", 6.0), ("z", 9.0)])
        );
        assert_eq!(h.run("zinter 2 a nokey"), arr(&[]));
        assert_eq!(h.run("zdiff 2 a b withscores"), scored(&[("x", 1.0)]));
        assert_eq!(h.run("zdiff 2 a a"), arr(&[]));
        assert_eq!(h.run("zdiff 1 nokey"), arr(&[]));
        assert_eq!(h.run("zintercard 2 a b"), int(2));
        assert_eq!(h.run("zintercard 2 a b limit 1"), int(1));
        assert_eq!(h.run("zintercard 2 a b limit 0"), int(2));
    }

    #[test]
    fn sets_are_inputs_scoring_one() {
        let mut h = setup();
        h.run("sadd ints 5 7");
        h.run("sadd words y 5 w");
        h.run("zadd n 2 5 3 05");
        assert_eq!(
            h.run("zunion 3 ints words n withscores"),
            scored(&[("7", 1.0), ("w", 1.0), ("y", 1.0), ("05", 3.0), ("5", 4.0)]),
            "the intset's 5, the table's \"5\" and the sorted set's are one member"
        );
        assert_eq!(
            h.run("zinter 2 b words weights 1 10 withscores"),
            scored(&[("y", 20.0), ("w", 40.0)])
        );
        assert_eq!(
            h.run("zinter 2 ints ints withscores"),
            scored(&[("5", 2.0), ("7", 2.0)])
        );
        assert_eq!(h.run("zdiff 2 words b"), arr(&["5"]));
        assert_eq!(h.run("zintercard 2 words ints"), int(1));
        assert_eq!(h.run("zunionstore d 1 ints"), int(2));
        assert_eq!(h.run("type d"), Frame::Simple(Bytes::from_static(b"zset")));
        assert_eq!(
            h.run("zrange d 0 -1 withscores"),
            scored(&[("5", 1.0), ("7", 1.0)])
        );
        h.run("set str v");
        assert_eq!(h.run("zunion 2 ints str"), err(WRONGTYPE));
    }

    #[test]
    fn infinities_and_nan() {
        let mut h = Harness::new();
        h.run("zadd a inf x -inf y 1 z");
        h.run("zadd b -inf x inf y 0 z");
        assert_eq!(
            h.run("zunion 2 a b withscores"),
            scored(&[("x", 0.0), ("y", 0.0), ("z", 1.0)]),
            "inf + -inf sums to 0"
        );
        assert_eq!(
            h.run("zunion 1 a weights 0 withscores"),
            scored(&[("x", 0.0), ("y", 0.0), ("z", 0.0)]),
            "0 * inf is 0"
        );
    }

    #[test]
    fn store_forms() {
        let mut h = setup();
        assert_eq!(h.run("zunionstore d 2 a b"), int(4));
        assert_eq!(
            h.run("zrange d 0 -1 withscores"),
            scored(&[("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)])
        );
        assert_eq!(h.run("zinterstore a 2 a b weights 1 0"), int(2));
        assert_eq!(
            h.run("zrange a 0 -1 withscores"),
            scored(&[("y", 2.0), ("z", 3.0)])
        );
        assert_eq!(h.run("zdiffstore d 2 a b"), int(0));
        assert_eq!(h.run("exists d"), int(0));
        let dirty = h.ks.dirty();
        assert_eq!(h.run("zdiffstore d 2 a b"), int(0));
        assert_eq!(h.ks.dirty(), dirty);
        let encoding = h.ks.dbs[0].peek(b"a").map(Value::encoding);
        assert_eq!(encoding, Some("listpack"));
    }

    #[test]
    fn errors_in_redis_order() {
        let mut h = setup();
        h.run("set s v");
        for (line, e) in [
            (
                "zunion 0 a",
                "ERR at least 1 input key is needed for 'zunion' command",
            ),
            (
                "zinterstore d 0 a",
                "ERR at least 1 input key is needed for 'zinterstore' command",
            ),
            (
                "zintercard -1 a",
                "ERR at least 1 input key is needed for 'zintercard' command",
            ),
            ("zunion x a", "ERR value is not an integer or out of range"),
            ("zunion 3 a b", "ERR syntax error"),
            ("zunion 2 a s weights x", WRONGTYPE),
            (
                "zunion 2 a b weights 1 x",
                "ERR weight value is not a float",
            ),
            ("zunion 2 a b weights 1", "ERR syntax error"),
            ("zunion 1 a aggregate avg", "ERR syntax error"),
            ("zunion 1 a aggregate", "ERR syntax error"),
            ("zunionstore d 1 a withscores", "ERR syntax error"),
            ("zdiff 1 a weights 1", "ERR syntax error"),
            ("zintercard 1 a withscores", "ERR syntax error"),
            ("zintercard 1 a limit -1", "ERR LIMIT can't be negative"),
            ("zintercard 1 a limit x", "ERR LIMIT can't be negative"),
            ("zinter 1 a limit 1", "ERR syntax error"),
        ] {
            assert_eq!(h.run(line), err(e), "{line}");
        }
    }
}
