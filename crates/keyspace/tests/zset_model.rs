//! Model-based test for sorted sets: random command sequences run against the
//! keyspace and against a `BTreeSet<(score, member)>` + `HashMap<member, score>`
//! model; every reply must match, including ranks and score and lex ranges.
//!
//! The listpack limits are lowered (8 entries, 6-byte members) in one property and
//! left at Redis's defaults in the other, where bulk adds push sets past 128 members,
//! so that sequences keep crossing from the compact to the large encoding.
#![allow(clippy::unwrap_used)]

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session, Tunables};
use ferrodis_resp::Frame;
use proptest::prelude::*;

/// `z` holds mixed scores; every score in `lex` is 0, so lex ranges are defined.
const KEYS: [&str; 2] = ["z", "lex"];
const SCORES: [f64; 11] = [
    -2.5,
    -1.0,
    0.0,
    1.0,
    1.5,
    2.0,
    3.0,
    100.0,
    1e-3,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// A score that orders like Redis's doubles (never NaN here).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Score) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Score) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

#[derive(Debug, Default, Clone)]
struct ZModel {
    scores: HashMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl ZModel {
    fn insert(&mut self, member: &[u8], score: f64) {
        if let Some(old) = self.scores.insert(member.to_vec(), score) {
            self.order.remove(&(Score(old), member.to_vec()));
        }
        self.order.insert((Score(score), member.to_vec()));
    }

    fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(old) => self.order.remove(&(Score(old), member.to_vec())),
            None => false,
        }
    }

    fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
        self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
    }

    fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = *self.scores.get(member)?;
        Some(self.order.range(..(Score(score), member.to_vec())).count())
    }
}

#[derive(Debug, Clone)]
enum Bound {
    Score(usize, bool),
    NegInf,
    PosInf,
    Lex(Vec<u8>, bool),
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        key: usize,
        flags: &'static str,
        pairs: Vec<(usize, Vec<u8>)>,
    },
    Incr(usize, usize, Vec<u8>),
    Rem(usize, Vec<Vec<u8>>),
    Score(usize, Vec<u8>),
    Rank(usize, Vec<u8>, bool),
    Card(usize),
    RangeRank(usize, i64, i64, bool, bool),
    RangeScore {
        key: usize,
        min: Bound,
        max: Bound,
        rev: bool,
        limit: Option<(i64, i64)>,
        scores: bool,
    },
    RangeLex {
        min: Bound,
        max: Bound,
        rev: bool,
        limit: Option<(i64, i64)>,
    },
    Count(usize, Bound, Bound),
    LexCount(Bound, Bound),
    RemRank(usize, i64, i64),
    RemScore(usize, Bound, Bound),
    RemLex(Bound, Bound),
    Pop(usize, bool, Option<usize>),
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b"abcx".to_vec()), 0..9)
}

fn score_bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        8 => (0..SCORES.len(), any::<bool>()).prop_map(|(i, ex)| Bound::Score(i, ex)),
        1 => Just(Bound::NegInf),
        1 => Just(Bound::PosInf),
    ]
}

fn lex_bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        8 => (member(), any::<bool>()).prop_map(|(m, ex)| Bound::Lex(m, ex)),
        1 => Just(Bound::NegInf),
        1 => Just(Bound::PosInf),
    ]
}

fn limit() -> impl Strategy<Value = Option<(i64, i64)>> {
    prop::option::of((-1i64..6, -2i64..6))
}

fn op(max_pairs: usize) -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let flags = prop::sample::select(vec![
        "", "", "", "NX", "XX", "GT", "LT", "XX GT", "XX LT", "CH", "NX CH", "GT CH",
    ]);
    prop_oneof![
        8 => (key.clone(), flags, prop::collection::vec((0..SCORES.len(), member()), 1..max_pairs))
            .prop_map(|(key, flags, pairs)| Op::Add { key, flags, pairs }),
        2 => (key.clone(), 0..SCORES.len(), member()).prop_map(|(k, s, m)| Op::Incr(k, s, m)),
        3 => (key.clone(), prop::collection::vec(member(), 1..4)).prop_map(|(k, ms)| Op::Rem(k, ms)),
        2 => (key.clone(), member()).prop_map(|(k, m)| Op::Score(k, m)),
        3 => (key.clone(), member(), any::<bool>()).prop_map(|(k, m, r)| Op::Rank(k, m, r)),
        1 => key.clone().prop_map(Op::Card),
        3 => (key.clone(), -12i64..12, -12i64..12, any::<bool>(), any::<bool>())
            .prop_map(|(k, a, b, r, w)| Op::RangeRank(k, a, b, r, w)),
        3 => (key.clone(), score_bound(), score_bound(), any::<bool>(), limit(), any::<bool>())
            .prop_map(|(key, min, max, rev, limit, scores)| Op::RangeScore { key, min, max, rev, limit, scores }),
        3 => (lex_bound(), lex_bound(), any::<bool>(), limit())
            .prop_map(|(min, max, rev, limit)| Op::RangeLex { min, max, rev, limit }),
        1 => (key.clone(), score_bound(), score_bound()).prop_map(|(k, a, b)| Op::Count(k, a, b)),
        1 => (lex_bound(), lex_bound()).prop_map(|(a, b)| Op::LexCount(a, b)),
        1 => (key.clone(), -6i64..6, -6i64..6).prop_map(|(k, a, b)| Op::RemRank(k, a, b)),
        1 => (key.clone(), score_bound(), score_bound()).prop_map(|(k, a, b)| Op::RemScore(k, a, b)),
        1 => (lex_bound(), lex_bound()).prop_map(|(a, b)| Op::RemLex(a, b)),
        2 => (key, any::<bool>(), prop::option::of(0usize..4)).prop_map(|(k, max, n)| Op::Pop(k, max, n)),
    ]
}

fn score_text(s: f64) -> String {
    if s == f64::INFINITY {
        "inf".into()
    } else if s == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{s}")
    }
}

fn bound_text(b: &Bound) -> String {
    match b {
        Bound::Score(i, ex) => format!("{}{}", if *ex { "(" } else { "" }, score_text(SCORES[*i])),
        Bound::NegInf => "-inf".into(),
        Bound::PosInf => "+inf".into(),
        Bound::Lex(m, ex) => format!(
            "{}{}",
            if *ex { "(" } else { "[" },
            String::from_utf8_lossy(m)
        ),
    }
}

fn lex_text(b: &Bound) -> String {
    match b {
        Bound::NegInf => "-".into(),
        Bound::PosInf => "+".into(),
        other => bound_text(other),
    }
}

/// The command words of `op` (members may be any bytes).
fn words(op: &Op) -> Vec<Vec<u8>> {
    let k = |i: &usize| KEYS[*i].as_bytes().to_vec();
    let t = |s: &str| s.as_bytes().to_vec();
    let limit_words = |l: &Option<(i64, i64)>| match l {
        Some((o, c)) => vec![t("LIMIT"), t(&o.to_string()), t(&c.to_string())],
        None => vec![],
    };
    match op {
        Op::Add { key, flags, pairs } => {
            let mut w = vec![t("ZADD"), k(key)];
            w.extend(flags.split(' ').filter(|f| !f.is_empty()).map(t));
            for (s, m) in pairs {
                // Every score in `lex` is 0.
                let score = if *key == 1 { 0.0 } else { SCORES[*s] };
                w.push(t(&score_text(score)));
                w.push(m.clone());
            }
            w
        }
        Op::Incr(key, s, m) => {
            let by = if *key == 1 { 0.0 } else { SCORES[*s] };
            vec![t("ZINCRBY"), k(key), t(&score_text(by)), m.clone()]
        }
        Op::Rem(key, ms) => [vec![t("ZREM"), k(key)], ms.clone()].concat(),
        Op::Score(key, m) => vec![t("ZSCORE"), k(key), m.clone()],
        Op::Rank(key, m, rev) => vec![
            t(if *rev { "ZREVRANK" } else { "ZRANK" }),
            k(key),
            m.clone(),
        ],
        Op::Card(key) => vec![t("ZCARD"), k(key)],
        Op::RangeRank(key, a, b, rev, scores) => {
            let mut w = vec![t("ZRANGE"), k(key), t(&a.to_string()), t(&b.to_string())];
            if *rev {
                w.push(t("REV"));
            }
            if *scores {
                w.push(t("WITHSCORES"));
            }
            w
        }
        Op::RangeScore {
            key,
            min,
            max,
            rev,
            limit,
            scores,
        } => {
            let (a, b) = if *rev { (max, min) } else { (min, max) };
            let mut w = vec![
                t("ZRANGE"),
                k(key),
                t(&bound_text(a)),
                t(&bound_text(b)),
                t("BYSCORE"),
            ];
            if *rev {
                w.push(t("REV"));
            }
            w.extend(limit_words(limit));
            if *scores {
                w.push(t("WITHSCORES"));
            }
            w
        }
        Op::RangeLex {
            min,
            max,
            rev,
            limit,
        } => {
            let (a, b) = if *rev { (max, min) } else { (min, max) };
            let name = if *rev {
                "ZREVRANGEBYLEX"
            } else {
                "ZRANGEBYLEX"
            };
            let mut w = vec![t(name), t("lex"), t(&lex_text(a)), t(&lex_text(b))];
            w.extend(limit_words(limit));
            w
        }
        Op::Count(key, a, b) => vec![t("ZCOUNT"), k(key), t(&bound_text(a)), t(&bound_text(b))],
        Op::LexCount(a, b) => vec![t("ZLEXCOUNT"), t("lex"), t(&lex_text(a)), t(&lex_text(b))],
        Op::RemRank(key, a, b) => vec![
            t("ZREMRANGEBYRANK"),
            k(key),
            t(&a.to_string()),
            t(&b.to_string()),
        ],
        Op::RemScore(key, a, b) => vec![
            t("ZREMRANGEBYSCORE"),
            k(key),
            t(&bound_text(a)),
            t(&bound_text(b)),
        ],
        Op::RemLex(a, b) => vec![
            t("ZREMRANGEBYLEX"),
            t("lex"),
            t(&lex_text(a)),
            t(&lex_text(b)),
        ],
        Op::Pop(key, max, n) => {
            let mut w = vec![t(if *max { "ZPOPMAX" } else { "ZPOPMIN" }), k(key)];
            w.extend(n.map(|n| t(&n.to_string())));
            w
        }
    }
}

fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

fn int(n: usize) -> Frame {
    Frame::Integer(n as i64)
}

fn listing(items: &[(Vec<u8>, f64)], scores: bool) -> Frame {
    Frame::Array(
        items
            .iter()
            .flat_map(|(m, s)| {
                let mut v = vec![bulk(m)];
                if scores {
                    v.push(Frame::Double(*s));
                }
                v
            })
            .collect(),
    )
}

/// `(min, max)` of a score range as predicates on a score.
fn score_pred(min: &Bound, max: &Bound) -> impl Fn(f64) -> bool {
    let lo = |b: &Bound| match b {
        Bound::Score(i, ex) => (SCORES[*i], *ex),
        Bound::PosInf => (f64::INFINITY, false),
        _ => (f64::NEG_INFINITY, false),
    };
    let hi = |b: &Bound| match b {
        Bound::Score(i, ex) => (SCORES[*i], *ex),
        Bound::NegInf => (f64::NEG_INFINITY, false),
        _ => (f64::INFINITY, false),
    };
    let ((min, min_ex), (max, max_ex)) = (lo(min), hi(max));
    move |s| (if min_ex { s > min } else { s >= min }) && (if max_ex { s < max } else { s <= max })
}

fn lex_pred(min: &Bound, max: &Bound) -> impl Fn(&[u8]) -> bool {
    let (min, max) = (min.clone(), max.clone());
    move |m| {
        let above_min = match &min {
            Bound::NegInf => true,
            Bound::PosInf => false,
            Bound::Lex(b, ex) => {
                if *ex {
                    m > &b[..]
                } else {
                    m >= &b[..]
                }
            }
            Bound::Score(..) => unreachable!(),
        };
        let below_max = match &max {
            Bound::NegInf => false,
            Bound::PosInf => true,
            Bound::Lex(b, ex) => {
                if *ex {
                    m < &b[..]
                } else {
                    m <= &b[..]
                }
            }
            Bound::Score(..) => unreachable!(),
        };
        above_min && below_max
    }
}

/// LIMIT applied to matches in reply order: a negative offset matches nothing, a
/// negative count means all.
fn apply_limit(items: Vec<(Vec<u8>, f64)>, limit: &Option<(i64, i64)>) -> Vec<(Vec<u8>, f64)> {
    match limit {
        None => items,
        Some((o, _)) if *o < 0 => vec![],
        Some((o, c)) => {
            let it = items.into_iter().skip(*o as usize);
            if *c < 0 {
                it.collect()
            } else {
                it.take(*c as usize).collect()
            }
        }
    }
}

/// Redis's clamping of a rank range.
fn rank_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

#[derive(Debug, Default)]
struct Model {
    sets: HashMap<usize, ZModel>,
}

impl Model {
    fn set(&self, key: usize) -> ZModel {
        self.sets.get(&key).cloned().unwrap_or_default()
    }

    fn put(&mut self, key: usize, z: ZModel) {
        if z.scores.is_empty() {
            self.sets.remove(&key);
        } else {
            self.sets.insert(key, z);
        }
    }

    fn apply(&mut self, op: &Op) -> Frame {
        match op {
            Op::Add { key, flags, pairs } => {
                let mut z = self.set(*key);
                let has = |f: &str| flags.split(' ').any(|x| x == f);
                let (nx, xx, gt, lt, ch) = (has("NX"), has("XX"), has("GT"), has("LT"), has("CH"));
                let (mut added, mut changed) = (0, 0);
                for (s, m) in pairs {
                    let score = if *key == 1 { 0.0 } else { SCORES[*s] };
                    match z.scores.get(m).copied() {
                        None if !xx => {
                            z.insert(m, score);
                            added += 1;
                        }
                        None => {}
                        Some(_) if nx => {}
                        Some(cur) if (gt && score <= cur) || (lt && score >= cur) => {}
                        Some(cur) if cur != score => {
                            z.insert(m, score);
                            changed += 1;
                        }
                        Some(_) => {}
                    }
                }
                self.put(*key, z);
                int(if ch { added + changed } else { added })
            }
            Op::Incr(key, s, m) => {
                let by = if *key == 1 { 0.0 } else { SCORES[*s] };
                let mut z = self.set(*key);
                let new = z.scores.get(m).copied().unwrap_or(0.0) + by;
                if new.is_nan() {
                    return Frame::Error(Bytes::from_static(
                        b"ERR resulting score is not a number (NaN)",
                    ));
                }
                z.insert(m, new);
                self.put(*key, z);
                Frame::Double(new)
            }
            Op::Rem(key, ms) => {
                let mut z = self.set(*key);
                let n = ms.iter().filter(|m| z.remove(m)).count();
                self.put(*key, z);
                int(n)
            }
            Op::Score(key, m) => self
                .set(*key)
                .scores
                .get(m)
                .map_or(Frame::Null, |s| Frame::Double(*s)),
            Op::Rank(key, m, rev) => {
                let z = self.set(*key);
                match z.rank(m) {
                    None => Frame::Null,
                    Some(r) if *rev => int(z.scores.len() - 1 - r),
                    Some(r) => int(r),
                }
            }
            Op::Card(key) => int(self.set(*key).scores.len()),
            Op::RangeRank(key, a, b, rev, scores) => {
                let mut all = self.set(*key).sorted();
                if *rev {
                    all.reverse();
                }
                match rank_range(all.len(), *a, *b) {
                    None => Frame::Array(vec![]),
                    Some((s, e)) => listing(&all[s..=e], *scores),
                }
            }
            Op::RangeScore {
                key,
                min,
                max,
                rev,
                limit,
                scores,
            } => {
                let pred = score_pred(min, max);
                let mut found: Vec<_> = self
                    .set(*key)
                    .sorted()
                    .into_iter()
                    .filter(|(_, s)| pred(*s))
                    .collect();
                if *rev {
                    found.reverse();
                }
                listing(&apply_limit(found, limit), *scores)
            }
            Op::RangeLex {
                min,
                max,
                rev,
                limit,
            } => {
                let pred = lex_pred(min, max);
                let mut found: Vec<_> = self
                    .set(1)
                    .sorted()
                    .into_iter()
                    .filter(|(m, _)| pred(m))
                    .collect();
                if *rev {
                    found.reverse();
                }
                listing(&apply_limit(found, limit), false)
            }
            Op::Count(key, a, b) => {
                let pred = score_pred(a, b);
                int(self
                    .set(*key)
                    .sorted()
                    .iter()
                    .filter(|(_, s)| pred(*s))
                    .count())
            }
            Op::LexCount(a, b) => {
                let pred = lex_pred(a, b);
                int(self.set(1).sorted().iter().filter(|(m, _)| pred(m)).count())
            }
            Op::RemRank(key, a, b) => {
                let mut z = self.set(*key);
                let all = z.sorted();
                let n = match rank_range(all.len(), *a, *b) {
                    None => 0,
                    Some((s, e)) => {
                        all[s..=e].iter().for_each(|(m, _)| {
                            z.remove(m);
                        });
                        e - s + 1
                    }
                };
                self.put(*key, z);
                int(n)
            }
            Op::RemScore(key, a, b) => {
                let pred = score_pred(a, b);
                let mut z = self.set(*key);
                let gone: Vec<_> = z.sorted().into_iter().filter(|(_, s)| pred(*s)).collect();
                gone.iter().for_each(|(m, _)| {
                    z.remove(m);
                });
                self.put(*key, z);
                int(gone.len())
            }
            Op::RemLex(a, b) => {
                let pred = lex_pred(a, b);
                let mut z = self.set(1);
                let gone: Vec<_> = z.sorted().into_iter().filter(|(m, _)| pred(m)).collect();
                gone.iter().for_each(|(m, _)| {
                    z.remove(m);
                });
                self.put(1, z);
                int(gone.len())
            }
            Op::Pop(key, max, n) => {
                let mut z = self.set(*key);
                if n == &Some(0) || z.scores.is_empty() {
                    return Frame::Array(vec![]);
                }
                let mut all = z.sorted();
                if *max {
                    all.reverse();
                }
                all.truncate(n.unwrap_or(1));
                all.iter().for_each(|(m, _)| {
                    z.remove(m);
                });
                self.put(*key, z);
                listing(&all, true)
            }
        }
    }
}

fn run(tunables: Tunables, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut ks = Keyspace::new(1);
    ks.set_tunables(tunables);
    let mut session = Session::default();
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        let w = words(op);
        let args: Vec<Bytes> = w.iter().map(|x| Bytes::copy_from_slice(x)).collect();
        let got = ks.execute(&mut session, &args);
        let want = model.apply(op);
        prop_assert_eq!(
            got,
            Some(want),
            "step {}: {:?}",
            step,
            String::from_utf8_lossy(&w.join(&b' '))
        );
    }
    for (i, key) in KEYS.iter().enumerate() {
        let args: Vec<Bytes> = ["ZRANGE", key, "0", "-1", "WITHSCORES"]
            .iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        let got = ks.execute(&mut session, &args);
        prop_assert_eq!(
            got,
            Some(listing(&model.set(i).sorted(), true)),
            "final {}",
            key
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Tiny listpack limits: most sequences convert, some several times over keys.
    #[test]
    fn small_limits_match_model(ops in prop::collection::vec(op(6), 1..80)) {
        let tunables = Tunables {
            zset_max_listpack_entries: 8,
            zset_max_listpack_value: 6,
            ..Tunables::default()
        };
        run(tunables, &ops)?;
    }

    /// Redis's default limits, with adds of up to 60 members at a time.
    #[test]
    fn default_limits_match_model(ops in prop::collection::vec(op(60), 1..40)) {
        run(Tunables::default(), &ops)?;
    }
}
