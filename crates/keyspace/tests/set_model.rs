//! Model-based test of the set commands: random command sequences run against the
//! keyspace and against a `HashSet` model, with a low `set-max-intset-entries` so
//! sets keep crossing from intset to hashtable. Every reply must match; unordered
//! replies are compared sorted, except that a set the model knows to be an intset
//! must list its members in ascending order (which is how the encoding shows), and
//! random replies are checked for what Redis promises about them.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_resp::Frame;
use proptest::prelude::*;

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const MEMBERS: [&str; 12] = [
    "1",
    "2",
    "3",
    "-7",
    "40000",
    "-9223372036854775808",
    "x",
    "y",
    "01",
    "-0",
    "",
    "a long member that does not fit in a slot",
];
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[derive(Clone, Debug)]
enum Op {
    SAdd(usize, Vec<usize>),
    SRem(usize, Vec<usize>),
    SMembers(usize),
    SCard(usize),
    SIsMember(usize, usize),
    SMIsMember(usize, Vec<usize>),
    SMove(usize, usize, usize),
    SPop(usize, Option<usize>),
    SRandMember(usize, Option<i64>),
    SInter(Vec<usize>),
    SInterCard(Vec<usize>, usize),
    SUnion(Vec<usize>),
    SDiff(Vec<usize>),
    Store(u8, usize, Vec<usize>),
    SetString(usize),
    Del(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let member = 0..MEMBERS.len();
    let members = prop::collection::vec(member.clone(), 1..5);
    let keys = prop::collection::vec(key.clone(), 1..4);
    prop_oneof![
        8 => (key.clone(), members.clone()).prop_map(|(k, m)| Op::SAdd(k, m)),
        3 => (key.clone(), members.clone()).prop_map(|(k, m)| Op::SRem(k, m)),
        3 => key.clone().prop_map(Op::SMembers),
        1 => key.clone().prop_map(Op::SCard),
        1 => (key.clone(), member.clone()).prop_map(|(k, m)| Op::SIsMember(k, m)),
        1 => (key.clone(), members).prop_map(|(k, m)| Op::SMIsMember(k, m)),
        2 => (key.clone(), key.clone(), member).prop_map(|(s, d, m)| Op::SMove(s, d, m)),
        2 => (key.clone(), prop::option::of(0usize..8)).prop_map(|(k, c)| Op::SPop(k, c)),
        2 => (key.clone(), prop::option::of(-8i64..8)).prop_map(|(k, c)| Op::SRandMember(k, c)),
        1 => keys.clone().prop_map(Op::SInter),
        1 => (keys.clone(), 0usize..4).prop_map(|(k, l)| Op::SInterCard(k, l)),
        1 => keys.clone().prop_map(Op::SUnion),
        1 => keys.clone().prop_map(Op::SDiff),
        3 => (0u8..3, key.clone(), keys).prop_map(|(w, d, k)| Op::Store(w, d, k)),
        1 => key.clone().prop_map(Op::SetString),
        1 => key.prop_map(Op::Del),
    ]
}

#[derive(Clone, Debug)]
enum MValue {
    Str,
    Set {
        members: HashSet<Vec<u8>>,
        intset: bool,
    },
}

/// A set's members and whether it is an intset.
type SetRef<'a> = (&'a HashSet<Vec<u8>>, bool);

struct Model {
    max_intset: usize,
    keys: HashMap<Vec<u8>, MValue>,
}

/// Redis accepts exactly the canonical decimal form of an i64 (`string2ll()`).
fn strict_int(s: &[u8]) -> Option<i64> {
    let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (v.to_string().as_bytes() == s).then_some(v)
}

fn err(s: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
}

fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

/// What a reply is expected to be.
enum Expect {
    /// Exactly this frame.
    Exact(Frame),
    /// A set reply with these members; in ascending numeric order if `sorted`.
    Members { members: Vec<Vec<u8>>, sorted: bool },
    /// An array of `len` members of `of`, distinct if `distinct`.
    Random {
        len: usize,
        of: HashSet<Vec<u8>>,
        distinct: bool,
    },
    /// One member of `of` (SRANDMEMBER without a count).
    OneOf(HashSet<Vec<u8>>),
    /// SPOP: a member of the set or a set reply of `Some(n)` of them; the model
    /// removes what the reply names.
    Popped(Vec<u8>, Option<usize>),
}

impl Model {
    fn k(i: usize) -> Vec<u8> {
        KEYS[i].as_bytes().to_vec()
    }

    fn m(i: usize) -> Vec<u8> {
        MEMBERS[i].as_bytes().to_vec()
    }

    /// The set under `key` (`None` if missing), or WRONGTYPE.
    fn set(&self, key: &[u8]) -> Result<Option<SetRef<'_>>, Frame> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(MValue::Set { members, intset }) => Ok(Some((members, *intset))),
            Some(MValue::Str) => Err(err(WRONGTYPE)),
        }
    }

    /// The encoding a set built from nothing by adds ends in.
    fn built_intset(&self, members: &HashSet<Vec<u8>>) -> bool {
        members.len() <= self.max_intset && members.iter().all(|m| strict_int(m).is_some())
    }

    fn add(&mut self, key: &[u8], member: &[u8]) -> bool {
        let max = self.max_intset;
        let value = self
            .keys
            .entry(key.to_vec())
            .or_insert_with(|| MValue::Set {
                members: HashSet::new(),
                intset: strict_int(member).is_some(),
            });
        let MValue::Set { members, intset } = value else {
            unreachable!("type checked by the caller")
        };
        let added = members.insert(member.to_vec());
        if *intset && (strict_int(member).is_none() || members.len() > max) {
            *intset = false;
        }
        added
    }

    fn remove(&mut self, key: &[u8], member: &[u8]) -> bool {
        let Some(MValue::Set { members, .. }) = self.keys.get_mut(key) else {
            return false;
        };
        let removed = members.remove(member);
        if members.is_empty() {
            self.keys.remove(key);
        }
        removed
    }

    fn sets(&self, keys: &[usize]) -> Result<Vec<Option<&HashSet<Vec<u8>>>>, Frame> {
        keys.iter()
            .map(|&i| self.set(&Self::k(i)).map(|s| s.map(|(m, _)| m)))
            .collect()
    }

    /// Result and encoding of SINTER/SUNION/SDIFF (0/1/2) of `keys`.
    fn algebra(&self, which: u8, keys: &[usize]) -> Result<(HashSet<Vec<u8>>, bool), Frame> {
        let sets = self.sets(keys)?;
        let empty = HashSet::new();
        let result: HashSet<Vec<u8>> = match which {
            0 if sets.iter().any(Option::is_none) => HashSet::new(),
            0 => {
                let first = sets[0].unwrap_or(&empty);
                first
                    .iter()
                    .filter(|m| sets.iter().all(|s| s.is_some_and(|s| s.contains(*m))))
                    .cloned()
                    .collect()
            }
            1 => sets
                .iter()
                .flatten()
                .flat_map(|s| s.iter().cloned())
                .collect(),
            _ => {
                let first = sets[0].unwrap_or(&empty);
                first
                    .iter()
                    .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(*m)))
                    .cloned()
                    .collect()
            }
        };
        let mut intset = self.built_intset(&result);
        if which == 2 && keys[1..].iter().all(|&k| k != keys[0]) {
            // Redis's SDIFF algorithm 2 starts from a copy of the first set.
            let first = sets[0].map_or(0, HashSet::len);
            let present: Vec<usize> = sets.iter().flatten().map(|s| s.len()).collect();
            let algo_one = first * present.len() / 2;
            let algo_two: usize = present.iter().sum();
            if sets[0].is_some() && algo_one > algo_two {
                intset = sets[0].is_some_and(|s| self.built_intset(s));
            }
        }
        Ok((result, intset))
    }

    fn apply(&mut self, op: &Op) -> Expect {
        match self.try_apply(op) {
            Ok(e) => e,
            Err(frame) => Expect::Exact(frame),
        }
    }

    fn try_apply(&mut self, op: &Op) -> Result<Expect, Frame> {
        let k = Self::k;
        let m = Self::m;
        let int = |n: usize| Frame::Integer(n as i64);
        Ok(match op {
            Op::SAdd(key, ms) => {
                self.set(&k(*key))?;
                Expect::Exact(int(ms
                    .iter()
                    .filter(|&&i| self.add(&k(*key), &m(i)))
                    .count()))
            }
            Op::SRem(key, ms) => {
                self.set(&k(*key))?;
                Expect::Exact(int(ms
                    .iter()
                    .filter(|&&i| self.remove(&k(*key), &m(i)))
                    .count()))
            }
            Op::SMembers(key) => {
                let (members, sorted) =
                    self.set(&k(*key))?.map_or((Vec::new(), false), |(s, i)| {
                        (s.iter().cloned().collect(), i)
                    });
                Expect::Members { members, sorted }
            }
            Op::SCard(key) => Expect::Exact(int(self.set(&k(*key))?.map_or(0, |(s, _)| s.len()))),
            Op::SIsMember(key, member) => {
                let found = self
                    .set(&k(*key))?
                    .is_some_and(|(s, _)| s.contains(&m(*member)));
                Expect::Exact(int(usize::from(found)))
            }
            Op::SMIsMember(key, ms) => {
                let set = self.set(&k(*key))?;
                Expect::Exact(Frame::Array(
                    ms.iter()
                        .map(|&i| int(usize::from(set.is_some_and(|(s, _)| s.contains(&m(i))))))
                        .collect(),
                ))
            }
            Op::SMove(src, dst, member) => {
                let src_set = self.set(&k(*src));
                let Ok(Some((src_members, _))) = src_set else {
                    return src_set.map(|_| Expect::Exact(int(0)));
                };
                let in_src = src_members.contains(&m(*member));
                self.set(&k(*dst))?;
                if src == dst || !in_src {
                    return Ok(Expect::Exact(int(usize::from(in_src))));
                }
                self.remove(&k(*src), &m(*member));
                self.add(&k(*dst), &m(*member));
                Expect::Exact(int(1))
            }
            Op::SPop(key, count) => {
                self.set(&k(*key))?;
                match count {
                    None if !self.keys.contains_key(&k(*key)) => Expect::Exact(Frame::Null),
                    Some(_) if !self.keys.contains_key(&k(*key)) => {
                        Expect::Exact(Frame::Set(vec![]))
                    }
                    Some(0) => Expect::Exact(Frame::Set(vec![])),
                    _ => Expect::Popped(k(*key), *count),
                }
            }
            Op::SRandMember(key, count) => {
                let Some((set, intset)) = self.set(&k(*key))? else {
                    return Ok(Expect::Exact(if count.is_some() {
                        Frame::Array(vec![])
                    } else {
                        Frame::Null
                    }));
                };
                match count {
                    None => Expect::OneOf(set.clone()),
                    Some(c) if *c >= 0 && *c as usize >= set.len() && intset => {
                        let mut all: Vec<&Vec<u8>> = set.iter().collect();
                        all.sort_by_key(|m| strict_int(m));
                        Expect::Exact(Frame::Array(all.into_iter().map(|m| bulk(m)).collect()))
                    }
                    Some(c) => Expect::Random {
                        len: if *c >= 0 {
                            (*c as usize).min(set.len())
                        } else {
                            c.unsigned_abs() as usize
                        },
                        of: set.clone(),
                        distinct: *c >= 0,
                    },
                }
            }
            Op::SInter(keys) | Op::SUnion(keys) | Op::SDiff(keys) => {
                let which = match op {
                    Op::SInter(_) => 0,
                    Op::SUnion(_) => 1,
                    _ => 2,
                };
                let (result, intset) = self.algebra(which, keys)?;
                Expect::Members {
                    members: result.into_iter().collect(),
                    // SINTER walks the smallest set, not the result.
                    sorted: intset && which != 0,
                }
            }
            Op::SInterCard(keys, limit) => {
                let (result, _) = self.algebra(0, keys)?;
                let n = if *limit == 0 {
                    result.len()
                } else {
                    result.len().min(*limit)
                };
                Expect::Exact(int(n))
            }
            Op::Store(which, dst, keys) => {
                let (result, intset) = self.algebra(*which, keys)?;
                let n = result.len();
                if n == 0 {
                    self.keys.remove(&k(*dst));
                } else {
                    self.keys.insert(
                        k(*dst),
                        MValue::Set {
                            members: result,
                            intset,
                        },
                    );
                }
                Expect::Exact(int(n))
            }
            Op::SetString(key) => {
                self.keys.insert(k(*key), MValue::Str);
                Expect::Exact(Frame::ok())
            }
            Op::Del(key) => Expect::Exact(int(usize::from(self.keys.remove(&k(*key)).is_some()))),
        })
    }

    /// Checks an SPOP reply and applies it to the model.
    fn popped(&mut self, key: &[u8], count: Option<usize>, reply: &Frame) -> Result<(), String> {
        let Some(MValue::Set { members, intset }) = self.keys.get(key).cloned() else {
            return Err("no set to pop from".into());
        };
        let names: Vec<Vec<u8>> = match (count, reply) {
            (None, Frame::Bulk(b)) => vec![b.to_vec()],
            (Some(_), Frame::Set(items)) => {
                items.iter().map(member_bytes).collect::<Result<_, _>>()?
            }
            _ => return Err(format!("reply shape {reply:?}")),
        };
        let want = count.unwrap_or(1).min(members.len());
        let distinct: HashSet<&Vec<u8>> = names.iter().collect();
        if names.len() != want
            || distinct.len() != want
            || !names.iter().all(|n| members.contains(n))
        {
            return Err(format!("popped {names:?} from {members:?}"));
        }
        let left: HashSet<Vec<u8>> = members
            .difference(&names.iter().cloned().collect())
            .cloned()
            .collect();
        if left.is_empty() {
            self.keys.remove(key);
            return Ok(());
        }
        // SPOP with a count keeping few survivors rebuilds the set (see t_set.c).
        let rebuilt = count.is_some_and(|c| left.len() * 5 <= c);
        let intset = if rebuilt {
            self.built_intset(&left)
        } else {
            intset
        };
        self.keys.insert(
            key.to_vec(),
            MValue::Set {
                members: left,
                intset,
            },
        );
        Ok(())
    }
}

fn member_bytes(f: &Frame) -> Result<Vec<u8>, String> {
    match f {
        Frame::Bulk(b) => Ok(b.to_vec()),
        other => Err(format!("not a bulk string: {other:?}")),
    }
}

fn argv(op: &Op) -> Vec<Bytes> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let mut push = |w: &[u8]| words.push(w.to_vec());
    let k = |i: usize| KEYS[i].as_bytes();
    let m = |i: usize| MEMBERS[i].as_bytes();
    match op {
        Op::SAdd(key, ms) | Op::SRem(key, ms) | Op::SMIsMember(key, ms) => {
            push(match op {
                Op::SAdd(..) => b"SADD",
                Op::SRem(..) => b"SREM",
                _ => b"SMISMEMBER",
            });
            push(k(*key));
            ms.iter().for_each(|&i| push(m(i)));
        }
        Op::SMembers(key) => [&b"SMEMBERS"[..], k(*key)].iter().for_each(|w| push(w)),
        Op::SCard(key) => [&b"SCARD"[..], k(*key)].iter().for_each(|w| push(w)),
        Op::SIsMember(key, i) => [&b"SISMEMBER"[..], k(*key), m(*i)]
            .iter()
            .for_each(|w| push(w)),
        Op::SMove(s, d, i) => [&b"SMOVE"[..], k(*s), k(*d), m(*i)]
            .iter()
            .for_each(|w| push(w)),
        Op::SPop(key, count) => {
            push(b"SPOP");
            push(k(*key));
            if let Some(c) = count {
                push(c.to_string().as_bytes());
            }
        }
        Op::SRandMember(key, count) => {
            push(b"SRANDMEMBER");
            push(k(*key));
            if let Some(c) = count {
                push(c.to_string().as_bytes());
            }
        }
        Op::SInter(keys) | Op::SUnion(keys) | Op::SDiff(keys) => {
            push(match op {
                Op::SInter(_) => b"SINTER",
                Op::SUnion(_) => b"SUNION",
                _ => b"SDIFF",
            });
            keys.iter().for_each(|&i| push(k(i)));
        }
        Op::SInterCard(keys, limit) => {
            push(b"SINTERCARD");
            push(keys.len().to_string().as_bytes());
            keys.iter().for_each(|&i| push(k(i)));
            push(b"LIMIT");
            push(limit.to_string().as_bytes());
        }
        Op::Store(which, dst, keys) => {
            push([&b"SINTERSTORE"[..], b"SUNIONSTORE", b"SDIFFSTORE"][usize::from(*which)]);
            push(k(*dst));
            keys.iter().for_each(|&i| push(k(i)));
        }
        Op::SetString(key) => [&b"SET"[..], k(*key), b"v"].iter().for_each(|w| push(w)),
        Op::Del(key) => [&b"DEL"[..], k(*key)].iter().for_each(|w| push(w)),
    }
    words.into_iter().map(Bytes::from).collect()
}

fn check(expect: Expect, reply: &Frame, model: &mut Model, op: &Op) -> Result<(), String> {
    match expect {
        Expect::Exact(want) if &want == reply => Ok(()),
        Expect::Exact(want) => Err(format!("want {want:?}, got {reply:?}")),
        Expect::Members {
            mut members,
            sorted,
        } => {
            let Frame::Set(items) = reply else {
                return Err(format!("not a set reply: {reply:?}"));
            };
            let mut got: Vec<Vec<u8>> = items.iter().map(member_bytes).collect::<Result<_, _>>()?;
            if sorted {
                let ascending = got
                    .windows(2)
                    .all(|w| strict_int(&w[0]) < strict_int(&w[1]));
                if !ascending {
                    return Err(format!("an intset replies in order: {got:?}"));
                }
            }
            got.sort();
            members.sort();
            (got == members)
                .then_some(())
                .ok_or(format!("want {members:?}, got {got:?}"))
        }
        Expect::Random { len, of, distinct } => {
            let Frame::Array(items) = reply else {
                return Err(format!("not an array: {reply:?}"));
            };
            let got: Vec<Vec<u8>> = items.iter().map(member_bytes).collect::<Result<_, _>>()?;
            let unique: HashSet<&Vec<u8>> = got.iter().collect();
            let ok = got.len() == len
                && got.iter().all(|m| of.contains(m))
                && (!distinct || unique.len() == len);
            ok.then_some(())
                .ok_or(format!("{got:?} is not {len} of {of:?}"))
        }
        Expect::OneOf(of) => match reply {
            Frame::Bulk(b) if of.contains(&b.to_vec()) => Ok(()),
            _ => Err(format!("{reply:?} is not one of {of:?}")),
        },
        Expect::Popped(key, count) => model
            .popped(&key, count, reply)
            .map_err(|e| format!("{op:?}: {e}")),
    }
}

fn run(max_intset: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut ks = Keyspace::new(1);
    let mut tunables = ks.tunables();
    tunables.set_max_intset_entries = max_intset;
    ks.set_tunables(tunables);
    let mut session = Session::default();
    let mut model = Model {
        max_intset,
        keys: HashMap::new(),
    };
    for (step, op) in ops.iter().enumerate() {
        let reply = ks.execute(&mut session, &argv(op)).unwrap();
        let expect = model.apply(op);
        if let Err(e) = check(expect, &reply, &mut model, op) {
            return Err(TestCaseError::fail(format!("step {step} {op:?}: {e}")));
        }
        prop_assert_eq!(ks.dbsize(0), model.keys.len(), "step {} {:?}", step, op);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sets_behave_like_the_model(
        max_intset in prop_oneof![Just(0usize), 1usize..5, Just(512)],
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run(max_intset, &ops)?;
    }
}

/// Many members in one set, through the default intset limit and back down.
#[test]
fn large_sets_cross_the_default_limit() {
    let mut ops = Vec::new();
    for round in 0..3 {
        for i in 0..MEMBERS.len() {
            ops.push(Op::SAdd(round % 4, vec![i]));
            ops.push(Op::SMembers(round % 4));
        }
        ops.push(Op::SPop(round % 4, Some(5)));
        ops.push(Op::Store(1, 3, vec![0, 1, 2]));
        ops.push(Op::SMembers(3));
        ops.push(Op::SPop(round % 4, None));
    }
    run(3, &ops).unwrap();
}
