//! Model-based test of the hash commands: random command sequences against the
//! keyspace and against a plain model (insertion-ordered pairs plus a flag for the
//! encoding), with small, random encoding thresholds so that hashes cross from
//! `listpack` to `hashtable` often. Every reply and every change count must match.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session, Tunables};
use ferrodis_resp::{Frame, Protocol};
use proptest::prelude::*;

const KEYS: [&str; 3] = ["a", "b", "c"];
const FIELDS: [&str; 8] = ["f", "g", "h", "i", "j", "k", "", "a-long-field"];
const VALUES: [&str; 10] = [
    "1",
    "-2",
    "10",
    "x",
    "",
    "007",
    "9223372036854775807",
    "1.5",
    "-0",
    "a-long-value",
];
/// HINCRBYFLOAT increments: exact binary fractions (so the model may add in `f64`),
/// one that is not a number, and one that is infinite.
const FLOAT_INCRS: [&str; 6] = ["0.5", "-1.5", "3", "0.25", "abc", "inf"];
const INT_INCRS: [i64; 6] = [1, -1, 5, -100, i64::MAX, i64::MIN];
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[derive(Clone, Debug)]
enum Op {
    HSet(usize, Vec<(usize, usize)>, bool),
    HSetNx(usize, usize, usize),
    HGet(usize, usize),
    HMGet(usize, Vec<usize>),
    HDel(usize, Vec<usize>),
    HExists(usize, usize),
    HLen(usize),
    HStrlen(usize, usize),
    HIncrBy(usize, usize, usize),
    HIncrByFloat(usize, usize, usize),
    /// 0 HGETALL, 1 HKEYS, 2 HVALS.
    All(usize, u8),
    HRandField(usize, Option<(i64, bool)>),
    Set(usize, usize),
    Get(usize),
    Del(usize),
    Type(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let field = 0..FIELDS.len();
    let val = 0..VALUES.len();
    let fields = prop::collection::vec(field.clone(), 1..4);
    prop_oneof![
        6 => (key.clone(), prop::collection::vec((field.clone(), val.clone()), 1..4), prop::bool::weighted(0.2))
            .prop_map(|(k, pairs, hmset)| Op::HSet(k, pairs, hmset)),
        2 => (key.clone(), field.clone(), val.clone()).prop_map(|(k, f, v)| Op::HSetNx(k, f, v)),
        3 => (key.clone(), field.clone()).prop_map(|(k, f)| Op::HGet(k, f)),
        1 => (key.clone(), fields.clone()).prop_map(|(k, f)| Op::HMGet(k, f)),
        3 => (key.clone(), fields).prop_map(|(k, f)| Op::HDel(k, f)),
        1 => (key.clone(), field.clone()).prop_map(|(k, f)| Op::HExists(k, f)),
        1 => key.clone().prop_map(Op::HLen),
        1 => (key.clone(), field.clone()).prop_map(|(k, f)| Op::HStrlen(k, f)),
        2 => (key.clone(), field.clone(), 0..INT_INCRS.len()).prop_map(|(k, f, i)| Op::HIncrBy(k, f, i)),
        2 => (key.clone(), field, 0..FLOAT_INCRS.len()).prop_map(|(k, f, i)| Op::HIncrByFloat(k, f, i)),
        3 => (key.clone(), 0u8..3).prop_map(|(k, w)| Op::All(k, w)),
        2 => (key.clone(), prop::option::of((-12i64..12, any::<bool>()))).prop_map(|(k, c)| Op::HRandField(k, c)),
        1 => (key.clone(), val).prop_map(|(k, v)| Op::Set(k, v)),
        1 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::Del),
        1 => key.prop_map(Op::Type),
    ]
}

/// A hash as the model sees it: pairs in insertion order, and whether Redis would
/// have converted it to a hash table by now (after which order is unspecified).
#[derive(Clone, Debug, Default)]
struct MHash {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    table: bool,
}

#[derive(Clone, Debug)]
enum MValue {
    Str(Vec<u8>),
    Hash(MHash),
}

struct Model {
    keys: HashMap<Vec<u8>, MValue>,
    tunables: Tunables,
}

fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
}

/// Redis's string2ll(): only the canonical form of an i64.
fn strict_int(s: &[u8]) -> Option<i64> {
    let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (v.to_string().as_bytes() == s).then_some(v)
}

impl MHash {
    fn get(&self, f: &[u8]) -> Option<&Vec<u8>> {
        self.pairs.iter().find(|(k, _)| k == f).map(|(_, v)| v)
    }

    /// `hashTypeSet()`; true if the field is new.
    fn set(&mut self, f: &[u8], v: &[u8], t: &Tunables) -> bool {
        if f.len() > t.hash_max_listpack_value || v.len() > t.hash_max_listpack_value {
            self.table = true;
        }
        let new = match self.pairs.iter_mut().find(|(k, _)| k == f) {
            Some((_, old)) => {
                *old = v.to_vec();
                false
            }
            None => {
                self.pairs.push((f.to_vec(), v.to_vec()));
                true
            }
        };
        if self.pairs.len() > t.hash_max_listpack_entries {
            self.table = true;
        }
        new
    }
}

impl Model {
    /// The hash at `key` (`None` if missing), or the WRONGTYPE reply.
    fn hash(&self, key: &[u8]) -> Result<Option<&MHash>, Frame> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(MValue::Hash(h)) => Ok(Some(h)),
            Some(MValue::Str(_)) => Err(err(WRONGTYPE)),
        }
    }

    /// The hash at `key`, created empty if missing, or the WRONGTYPE reply.
    fn hash_mut(&mut self, key: &[u8]) -> Result<&mut MHash, Frame> {
        let v = self
            .keys
            .entry(key.to_vec())
            .or_insert_with(|| MValue::Hash(MHash::default()));
        match v {
            MValue::Hash(h) => Ok(h),
            MValue::Str(_) => Err(err(WRONGTYPE)),
        }
    }

    /// Drops a hash left empty (a failed write on a new key stores nothing).
    fn drop_empty(&mut self, key: &[u8]) {
        if matches!(self.keys.get(key), Some(MValue::Hash(h)) if h.pairs.is_empty()) {
            self.keys.remove(key);
        }
    }

    /// The expected reply and change count. `None` as the reply: HRANDFIELD,
    /// checked by [`check_random`] instead. `got` is the keyspace's reply, adopted
    /// only where `f64` cannot tell what `long double` gives.
    fn apply(&mut self, op: &Op, got: &Frame) -> (Option<Frame>, u64) {
        let k = |i: &usize| KEYS[*i].as_bytes().to_vec();
        let f = |i: &usize| FIELDS[*i].as_bytes().to_vec();
        let v = |i: &usize| VALUES[*i].as_bytes().to_vec();
        let t = self.tunables;
        let read = |m: &Model, key: &usize, missing: Frame, r: &dyn Fn(&MHash) -> Frame| match m
            .hash(&k(key))
        {
            Err(e) => e,
            Ok(None) => missing,
            Ok(Some(h)) => r(h),
        };
        let reply = match op {
            Op::HSet(key, pairs, hmset) => {
                let h = match self.hash_mut(&k(key)) {
                    Err(e) => return (Some(e), 0),
                    Ok(h) => h,
                };
                let max = t.hash_max_listpack_value;
                if pairs
                    .iter()
                    .any(|(a, b)| f(a).len() > max || v(b).len() > max)
                {
                    h.table = true;
                }
                let created = pairs
                    .iter()
                    .filter(|(a, b)| h.set(&f(a), &v(b), &t))
                    .count();
                let reply = if *hmset {
                    Frame::ok()
                } else {
                    Frame::Integer(created as i64)
                };
                return (Some(reply), pairs.len() as u64);
            }
            Op::HSetNx(key, field, val) => {
                let h = match self.hash_mut(&k(key)) {
                    Err(e) => return (Some(e), 0),
                    Ok(h) => h,
                };
                if h.get(&f(field)).is_some() {
                    return (Some(Frame::Integer(0)), 0);
                }
                h.set(&f(field), &v(val), &t);
                return (Some(Frame::Integer(1)), 1);
            }
            Op::HGet(key, field) => read(self, key, Frame::Null, &|h| {
                h.get(&f(field)).map_or(Frame::Null, |v| bulk(v))
            }),
            Op::HMGet(key, fields) => {
                let nulls = Frame::Array(vec![Frame::Null; fields.len()]);
                read(self, key, nulls, &|h| {
                    Frame::Array(
                        fields
                            .iter()
                            .map(|x| h.get(&f(x)).map_or(Frame::Null, |v| bulk(v)))
                            .collect(),
                    )
                })
            }
            Op::HDel(key, fields) => {
                let h = match self.keys.get_mut(&k(key)) {
                    None => return (Some(Frame::Integer(0)), 0),
                    Some(MValue::Str(_)) => return (Some(err(WRONGTYPE)), 0),
                    Some(MValue::Hash(h)) => h,
                };
                let mut deleted = 0;
                for x in fields {
                    if let Some(i) = h.pairs.iter().position(|(a, _)| *a == f(x)) {
                        h.pairs.remove(i);
                        deleted += 1;
                    }
                }
                self.drop_empty(&k(key));
                return (Some(Frame::Integer(deleted)), deleted as u64);
            }
            Op::HExists(key, field) => read(self, key, Frame::Integer(0), &|h| {
                Frame::Integer(h.get(&f(field)).is_some().into())
            }),
            Op::HLen(key) => read(self, key, Frame::Integer(0), &|h| {
                Frame::Integer(h.pairs.len() as i64)
            }),
            Op::HStrlen(key, field) => read(self, key, Frame::Integer(0), &|h| {
                Frame::Integer(h.get(&f(field)).map_or(0, |v| v.len() as i64))
            }),
            Op::HIncrBy(key, field, incr) => {
                let by = INT_INCRS[*incr];
                let result = self.hash_mut(&k(key)).and_then(|h| {
                    let current = match h.get(&f(field)) {
                        None => 0,
                        Some(v) => strict_int(v).ok_or(err("ERR hash value is not an integer"))?,
                    };
                    let new = current
                        .checked_add(by)
                        .ok_or(err("ERR increment or decrement would overflow"))?;
                    h.set(&f(field), new.to_string().as_bytes(), &t);
                    Ok(new)
                });
                self.drop_empty(&k(key));
                return match result {
                    Ok(n) => (Some(Frame::Integer(n)), 1),
                    Err(e) => (Some(e), 0),
                };
            }
            Op::HIncrByFloat(key, field, incr) => {
                let by = match FLOAT_INCRS[*incr] {
                    "abc" => return (Some(err("ERR value is not a valid float")), 0),
                    "inf" => return (Some(err("ERR value is NaN or Infinity")), 0),
                    s => s.parse::<f64>().unwrap(),
                };
                let result = self.hash_mut(&k(key)).and_then(|h| {
                    let current = match h.get(&f(field)) {
                        None => 0.0,
                        Some(v) => std::str::from_utf8(v)
                            .ok()
                            .filter(|s| !s.is_empty())
                            .and_then(|s| s.parse::<f64>().ok())
                            .ok_or(err("ERR hash value is not a float"))?,
                    };
                    let new = current + by;
                    let text = if new.abs() < 9e15 {
                        format!("{}", new + 0.0)
                    } else {
                        // Past 2^53 the two round differently: trust the keyspace's
                        // text if it is near the f64 result.
                        let got = text(got).ok().and_then(|b| String::from_utf8(b).ok());
                        match got {
                            Some(g)
                                if g.parse::<f64>().is_ok_and(|x| (x - new).abs() <= 2048.0) =>
                            {
                                g
                            }
                            _ => format!("{new}"),
                        }
                    };
                    h.set(&f(field), text.as_bytes(), &t);
                    Ok(text)
                });
                self.drop_empty(&k(key));
                return match result {
                    Ok(text) => (Some(bulk(text.as_bytes())), 1),
                    Err(e) => (Some(e), 0),
                };
            }
            Op::All(key, what) => {
                let missing = if *what == 0 {
                    Frame::Map(vec![])
                } else {
                    Frame::Array(vec![])
                };
                read(self, key, missing, &|h| match what {
                    0 => Frame::Map(h.pairs.iter().map(|(a, b)| (bulk(a), bulk(b))).collect()),
                    1 => Frame::Array(h.pairs.iter().map(|(a, _)| bulk(a)).collect()),
                    _ => Frame::Array(h.pairs.iter().map(|(_, b)| bulk(b)).collect()),
                })
            }
            Op::HRandField(..) => return (None, 0),
            Op::Set(key, val) => {
                self.keys.insert(k(key), MValue::Str(v(val)));
                return (Some(Frame::ok()), 1);
            }
            Op::Get(key) => match self.keys.get(&k(key)) {
                None => Frame::Null,
                Some(MValue::Str(s)) => bulk(s),
                Some(MValue::Hash(_)) => err(WRONGTYPE),
            },
            Op::Del(key) => {
                let n = u64::from(self.keys.remove(&k(key)).is_some());
                return (Some(Frame::Integer(n as i64)), n);
            }
            Op::Type(key) => Frame::Simple(Bytes::from_static(match self.keys.get(&k(key)) {
                None => b"none",
                Some(MValue::Str(_)) => b"string",
                Some(MValue::Hash(_)) => b"hash",
            })),
        };
        (Some(reply), 0)
    }
}

/// Makes a hash-table reply comparable: its pairs or elements sorted.
fn unordered(frame: Frame) -> Frame {
    let key = |f: &Frame| format!("{f:?}");
    match frame {
        Frame::Map(mut pairs) => {
            pairs.sort_by_key(|(a, b)| (key(a), key(b)));
            Frame::Map(pairs)
        }
        Frame::Array(mut items) => {
            items.sort_by_key(key);
            Frame::Array(items)
        }
        other => other,
    }
}

fn text(f: &Frame) -> Result<Vec<u8>, String> {
    match f {
        Frame::Bulk(b) => Ok(b.to_vec()),
        other => Err(format!("not a bulk: {other:?}")),
    }
}

/// HRANDFIELD's reply is random: check its shape and that it is drawn from the hash.
fn check_random(
    m: &Model,
    key: &[u8],
    count: Option<(i64, bool)>,
    resp3: bool,
    got: &Frame,
) -> Result<(), String> {
    let h = match m.hash(key) {
        Err(e) => return (*got == e).then_some(()).ok_or(format!("{got:?}")),
        Ok(h) => h,
    };
    let Some((count, with_values)) = count else {
        return match h {
            None if *got == Frame::Null => Ok(()),
            Some(h) if h.get(&text(got)?).is_some() => Ok(()),
            _ => Err(format!("single pick {got:?}")),
        };
    };
    let Frame::Array(items) = got else {
        return Err(format!("not an array: {got:?}"));
    };
    let pairs: Vec<(Vec<u8>, Option<Vec<u8>>)> = match (with_values, resp3) {
        (false, _) => items
            .iter()
            .map(|f| Ok((text(f)?, None)))
            .collect::<Result<_, String>>()?,
        (true, false) => {
            if items.len() % 2 != 0 {
                return Err("odd flat pairs".into());
            }
            items
                .chunks(2)
                .map(|p| Ok((text(&p[0])?, Some(text(&p[1])?))))
                .collect::<Result<_, String>>()?
        }
        (true, true) => items
            .iter()
            .map(|p| match p {
                Frame::Array(p) if p.len() == 2 => Ok((text(&p[0])?, Some(text(&p[1])?))),
                other => Err(format!("not a pair: {other:?}")),
            })
            .collect::<Result<_, String>>()?,
    };
    let size = h.map_or(0, |h| h.pairs.len());
    let want = match count {
        0 => 0,
        _ if size == 0 => 0,
        c if c < 0 => c.unsigned_abs() as usize,
        c => (c as usize).min(size),
    };
    if pairs.len() != want {
        return Err(format!("{} picks, want {want}", pairs.len()));
    }
    for (field, value) in &pairs {
        let stored = h
            .and_then(|h| h.get(field))
            .ok_or(format!("{field:?} is not a field"))?;
        if value.as_ref().is_some_and(|v| v != stored) {
            return Err(format!("wrong value for {field:?}"));
        }
    }
    let distinct: HashSet<&Vec<u8>> = pairs.iter().map(|(f, _)| f).collect();
    if count > 0 && distinct.len() != pairs.len() {
        return Err("repeats with a positive count".into());
    }
    Ok(())
}

/// The command line for an op.
fn argv(op: &Op) -> Vec<Vec<u8>> {
    let k = |i: &usize| KEYS[*i].as_bytes().to_vec();
    let f = |i: &usize| FIELDS[*i].as_bytes().to_vec();
    let v = |i: &usize| VALUES[*i].as_bytes().to_vec();
    let w = |s: &str| s.as_bytes().to_vec();
    let mut out = match op {
        Op::HSet(key, pairs, hmset) => {
            let mut a = vec![w(if *hmset { "HMSET" } else { "HSET" }), k(key)];
            pairs.iter().for_each(|(x, y)| a.extend([f(x), v(y)]));
            a
        }
        Op::HSetNx(key, x, y) => vec![w("HSETNX"), k(key), f(x), v(y)],
        Op::HGet(key, x) => vec![w("HGET"), k(key), f(x)],
        Op::HMGet(key, xs) => [w("HMGET"), k(key)]
            .into_iter()
            .chain(xs.iter().map(f))
            .collect(),
        Op::HDel(key, xs) => [w("HDEL"), k(key)]
            .into_iter()
            .chain(xs.iter().map(f))
            .collect(),
        Op::HExists(key, x) => vec![w("HEXISTS"), k(key), f(x)],
        Op::HLen(key) => vec![w("HLEN"), k(key)],
        Op::HStrlen(key, x) => vec![w("HSTRLEN"), k(key), f(x)],
        Op::HIncrBy(key, x, i) => vec![w("HINCRBY"), k(key), f(x), w(&INT_INCRS[*i].to_string())],
        Op::HIncrByFloat(key, x, i) => vec![w("HINCRBYFLOAT"), k(key), f(x), w(FLOAT_INCRS[*i])],
        Op::All(key, what) => vec![w(["HGETALL", "HKEYS", "HVALS"][*what as usize]), k(key)],
        Op::HRandField(key, count) => {
            let mut a = vec![w("HRANDFIELD"), k(key)];
            if let Some((c, with_values)) = count {
                a.push(w(&c.to_string()));
                if *with_values {
                    a.push(w("WITHVALUES"));
                }
            }
            a
        }
        Op::Set(key, val) => vec![w("SET"), k(key), v(val)],
        Op::Get(key) => vec![w("GET"), k(key)],
        Op::Del(key) => vec![w("DEL"), k(key)],
        Op::Type(key) => vec![w("TYPE"), k(key)],
    };
    out.shrink_to_fit();
    out
}

fn run(ks: &mut Keyspace, session: &mut Session, words: &[Vec<u8>]) -> Frame {
    let args: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w)).collect();
    ks.execute(session, &args).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hashes_match_model(
        ops in prop::collection::vec(op(), 1..150),
        max_entries in 0usize..6,
        max_value in 0usize..12,
        resp3 in any::<bool>(),
    ) {
        let tunables = Tunables {
            hash_max_listpack_entries: max_entries,
            hash_max_listpack_value: max_value,
            ..Tunables::default()
        };
        let mut ks = Keyspace::new(1);
        ks.set_tunables(tunables);
        let mut session = Session { protocol: if resp3 { Protocol::Resp3 } else { Protocol::Resp2 }, ..Session::default() };
        let mut model = Model { keys: HashMap::new(), tunables };
        for (step, op) in ops.iter().enumerate() {
            let words = argv(op);
            let shown: Vec<String> = words.iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            let dirty = ks.dirty();
            let got = run(&mut ks, &mut session, &words);
            if let Op::HRandField(key, count) = op {
                let checked = check_random(&model, KEYS[*key].as_bytes(), *count, resp3, &got);
                prop_assert!(checked.is_ok(), "step {}: {:?}: {:?}", step, shown, checked);
                continue;
            }
            // Reads compare against the model as it is before the op.
            let table = match op {
                Op::All(key, _) => model.hash(KEYS[*key].as_bytes()).ok().flatten().is_some_and(|h| h.table),
                _ => false,
            };
            let (want, changes) = model.apply(op, &got);
            let (got, want) = if table { (unordered(got), want.map(unordered)) } else { (got, want) };
            prop_assert_eq!(Some(got), want, "step {}: {:?}", step, shown);
            prop_assert_eq!(ks.dirty() - dirty, changes, "step {}: {:?} changes", step, shown);
        }
        // The final state agrees too.
        for (i, key) in KEYS.iter().enumerate() {
            let got = run(&mut ks, &mut session, &argv(&Op::All(i, 0)));
            let (want, _) = model.apply(&Op::All(i, 0), &got);
            prop_assert_eq!(Some(unordered(got)), want.map(unordered), "final {}", key);
        }
    }
}
