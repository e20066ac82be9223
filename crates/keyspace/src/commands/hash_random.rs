//! HRANDFIELD (t_hash.c): random fields of a hash, with or without repeats and values.

use bytes::Bytes;
use ferrodis_resp::{Frame, Protocol};

use super::hash_read::{bulk, with_hash};
use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::spec::CommandSpec;
use crate::types::hash::Hash;

/// Reply elements allocated up front at most; a larger reply grows as it fills.
const PREALLOCATE: usize = 1024;

pub(super) const HRANDFIELD: CommandSpec = CommandSpec {
    name: "hrandfield",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@slow"],
    group: "hash",
    summary: "Get one or multiple random fields from a hash",
    since: "6.2.0",
    complexity: "O(N) where N is the number of fields returned",
    syntax: "key [count:integer [WITHVALUES]]",
};

/// HRANDFIELD key [count [WITHVALUES]]
///
/// Without a count: one field, or null. With one, an array: `count` distinct fields
/// (all of them if there are fewer), or with a negative count `-count` fields that
/// may repeat. WITHVALUES puts each value after its field (RESP2) or pairs them in
/// two-element arrays (RESP3), as Redis 7.0 does.
pub(super) fn hrandfield(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let mut random = *ctx.random;
    let reply = match argv.get(2) {
        None => with_hash(ctx, &argv[1], Frame::Null, |h| {
            h.random_pair(&mut random)
                .map_or(Frame::Null, |(f, _)| bulk(f))
        }),
        Some(count) => {
            // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), then the options,
            // all before the key is looked up.
            let count = parse_int(count)?;
            if count == i64::MIN {
                return Err(Error::OutOfRange {
                    min: -i64::MAX,
                    max: i64::MAX,
                });
            }
            let with_values = match argv.get(3) {
                None => false,
                Some(opt) if argv.len() == 4 && opt.eq_ignore_ascii_case(b"withvalues") => true,
                Some(_) => return Err(Error::Syntax),
            };
            // The reply has twice as many elements; Redis keeps that count in range.
            if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
                return Err(Error::ValueOutOfRange);
            }
            let shape = Shape {
                with_values,
                pairs_nested: ctx.session.protocol == Protocol::Resp3,
            };
            with_hash(ctx, &argv[1], Frame::Array(Vec::new()), |h| {
                with_count(h, count, shape, &mut random)
            })
        }
    };
    *ctx.random = random;
    reply
}

/// How the reply lists pairs.
#[derive(Clone, Copy)]
struct Shape {
    with_values: bool,
    /// RESP3: `[[field, value], ...]` rather than `[field, value, ...]`.
    pairs_nested: bool,
}

impl Shape {
    fn push(self, out: &mut Vec<Frame>, (field, value): (&[u8], &[u8])) {
        match (self.with_values, self.pairs_nested) {
            (false, _) => out.push(bulk(field)),
            (true, true) => out.push(Frame::Array(vec![bulk(field), bulk(value)])),
            (true, false) => {
                out.push(bulk(field));
                out.push(bulk(value));
            }
        }
    }

    fn reply<'a>(self, pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>, n: usize) -> Frame {
        let per_pair = if self.with_values && !self.pairs_nested {
            2
        } else {
            1
        };
        let mut out = Vec::with_capacity(n.min(PREALLOCATE) * per_pair);
        pairs.for_each(|p| self.push(&mut out, p));
        Frame::Array(out)
    }
}

/// Redis's `hrandfieldWithCountCommand()` once the hash is found.
fn with_count(hash: &Hash, count: i64, shape: Shape, random: &mut u64) -> Frame {
    let size = hash.len();
    let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if n == 0 {
        return Frame::Array(Vec::new());
    }
    if count < 0 || n == 1 {
        // Repeats allowed (a single pick never repeats): independent draws.
        let mut out = Vec::with_capacity(n.min(PREALLOCATE) * 2);
        hash.random_repeats(n, random, |p| shape.push(&mut out, p));
        return Frame::Array(out);
    }
    if n >= size {
        return shape.reply(hash.iter(), size);
    }
    shape.reply(hash.random_distinct(n, random).into_iter(), n)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::test_support::{err, Harness};
    use crate::tunables::Tunables;
    use ferrodis_resp::{Frame, Protocol};

    fn items(f: Frame) -> Vec<Frame> {
        match f {
            Frame::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    fn text(f: &Frame) -> String {
        match f {
            Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        }
    }

    /// A hash `h` of `n` fields `f<i>` = `v<i>`, listpack or hashtable encoded.
    fn setup(n: usize, table: bool) -> Harness {
        let mut h = Harness::new();
        if table {
            h.ks.set_tunables(Tunables {
                hash_max_listpack_entries: 0,
                ..Tunables::default()
            });
        }
        for i in 0..n {
            h.run(&format!("hset h f{i} v{i}"));
        }
        h
    }

    #[test]
    fn missing_keys_and_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run("hrandfield h"), Frame::Null);
        assert_eq!(h.run("hrandfield h 3"), Frame::Array(vec![]));
        assert_eq!(h.run("hrandfield h -3 withvalues"), Frame::Array(vec![]));
        assert_eq!(
            h.run("hrandfield h x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("hrandfield h -9223372036854775808"),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(h.run("hrandfield h 1 foo"), err("ERR syntax error"));
        assert_eq!(
            h.run("hrandfield h 1 withvalues x"),
            err("ERR syntax error")
        );
        let range = err("ERR value is out of range");
        assert_eq!(h.run("hrandfield h 4611686018427387904 withvalues"), range);
        assert_eq!(h.run("hrandfield h -4611686018427387904 WITHVALUES"), range);
        assert_eq!(
            h.run("hrandfield h 4611686018427387903 withvalues"),
            Frame::Array(vec![])
        );
        h.run("set s v");
        assert_eq!(
            h.run("hrandfield s x"),
            err("ERR value is not an integer or out of range")
        );
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(h.run("hrandfield s"), wrongtype);
        assert_eq!(
            h.run("hrandfield s 0"),
            wrongtype,
            "the type is checked before count 0"
        );
    }

    #[test]
    fn distinct_and_repeated_picks() {
        for table in [false, true] {
            for n in [1usize, 5, 40] {
                let mut h = setup(n, table);
                let single = text(&h.run("hrandfield h"));
                assert!(single.starts_with('f'));
                assert_eq!(h.run("hrandfield h 0"), Frame::Array(vec![]));
                for count in [1, 2, n / 3, n - 1, n, n + 5] {
                    if count == 0 {
                        continue;
                    }
                    let fields = items(h.run(&format!("hrandfield h {count}")));
                    let distinct: HashSet<String> = fields.iter().map(text).collect();
                    assert_eq!(fields.len(), count.min(n), "n={n} count={count}");
                    assert_eq!(distinct.len(), fields.len(), "no repeats");
                }
                let repeats = items(h.run("hrandfield h -100"));
                assert_eq!(repeats.len(), 100);
                let seen: HashSet<String> = repeats.iter().map(text).collect();
                assert!(seen.len() <= n && (n == 1 || seen.len() > 1));
            }
        }
    }

    #[test]
    fn whole_hash_in_listpack_order() {
        let mut h = setup(3, false);
        let all: Vec<String> = items(h.run("hrandfield h 10")).iter().map(text).collect();
        assert_eq!(all, ["f0", "f1", "f2"]);
    }

    #[test]
    fn with_values_shapes() {
        for table in [false, true] {
            let mut h = setup(10, table);
            for (count, want) in [(3, 3), (-7, 7), (20, 10)] {
                let flat = items(h.run(&format!("hrandfield h {count} withvalues")));
                assert_eq!(flat.len(), want * 2, "{count}");
                for pair in flat.chunks(2) {
                    assert_eq!(text(&pair[0])[1..], text(&pair[1])[1..]);
                }
                h.session.protocol = Protocol::Resp3;
                let nested = items(h.run(&format!("hrandfield h {count} withvalues")));
                h.session.protocol = Protocol::Resp2;
                assert_eq!(nested.len(), want);
                for pair in nested {
                    let pair = items(pair);
                    assert_eq!(pair.len(), 2);
                    assert_eq!(text(&pair[0])[1..], text(&pair[1])[1..]);
                }
            }
            h.session.protocol = Protocol::Resp3;
            let plain = items(h.run("hrandfield h 2"));
            assert!(
                plain.iter().all(|f| matches!(f, Frame::Bulk(_))),
                "no pairs without WITHVALUES"
            );
            assert!(matches!(h.run("hrandfield h"), Frame::Bulk(_)));
        }
    }

    #[test]
    fn every_field_comes_up() {
        for table in [false, true] {
            let mut h = setup(8, table);
            let seen: HashSet<String> =
                items(h.run("hrandfield h -400")).iter().map(text).collect();
            assert_eq!(seen.len(), 8);
        }
    }
}
