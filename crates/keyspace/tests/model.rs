//! Model-based test: random command sequences run against the keyspace and against a
//! plain `HashMap` model of Redis's semantics, with a fake clock; every reply must match.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use ferrodis_keyspace::{Clock, ExpireBudget, Keyspace, Session};
use ferrodis_resp::Frame;
use proptest::prelude::*;

const KEYS: [&str; 4] = ["a", "b", "c", "d"];
const VALUES: [&str; 9] = [
    "1",
    "-2",
    "10",
    "x",
    "hello",
    "",
    "007",
    "9223372036854775807",
    "-0",
];
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const START: i64 = 1_700_000_000_000;

#[derive(Clone, Debug)]
enum TtlOption {
    None,
    Ex(i64),
    Px(i64),
    Keep,
}

#[derive(Clone, Debug)]
enum Op {
    Set {
        key: usize,
        val: usize,
        cond: u8,
        get: bool,
        ttl: TtlOption,
    },
    Get(usize),
    GetDel(usize),
    GetSet(usize, usize),
    MGet(Vec<usize>),
    MSet(Vec<(usize, usize)>),
    Del(Vec<usize>),
    Exists(Vec<usize>),
    Type(usize),
    IncrBy(usize, i64),
    Append(usize, usize),
    Strlen(usize),
    GetRange(usize, i64, i64),
    Push {
        key: usize,
        left: bool,
        only_existing: bool,
        vals: Vec<usize>,
    },
    Pop {
        key: usize,
        left: bool,
        count: Option<usize>,
    },
    LLen(usize),
    LRange(usize, i64, i64),
    LIndex(usize, i64),
    Expire {
        key: usize,
        ms: bool,
        amount: i64,
        cond: u8,
    },
    Ttl {
        key: usize,
        ms: bool,
    },
    Persist(usize),
    Advance(i64),
    ActiveExpire(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let val = 0..VALUES.len();
    let keys = prop::collection::vec(0..KEYS.len(), 1..4);
    let ttl = prop_oneof![
        3 => Just(TtlOption::None),
        1 => (0i64..4).prop_map(TtlOption::Ex),
        1 => (0i64..40).prop_map(|x| TtlOption::Px(x * 100)),
        1 => Just(TtlOption::Keep),
    ];
    prop_oneof![
        4 => (key.clone(), val.clone(), 0u8..3, any::<bool>(), ttl)
            .prop_map(|(key, val, cond, get, ttl)| Op::Set { key, val, cond, get, ttl }),
        3 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::GetDel),
        1 => (key.clone(), val.clone()).prop_map(|(k, v)| Op::GetSet(k, v)),
        1 => keys.clone().prop_map(Op::MGet),
        1 => prop::collection::vec((key.clone(), val.clone()), 1..3).prop_map(Op::MSet),
        1 => keys.clone().prop_map(Op::Del),
        1 => keys.prop_map(Op::Exists),
        1 => key.clone().prop_map(Op::Type),
        2 => (key.clone(), -3i64..4).prop_map(|(k, n)| Op::IncrBy(k, n)),
        1 => (key.clone(), val.clone()).prop_map(|(k, v)| Op::Append(k, v)),
        1 => key.clone().prop_map(Op::Strlen),
        1 => (key.clone(), -6i64..6, -6i64..6).prop_map(|(k, s, e)| Op::GetRange(k, s, e)),
        3 => (key.clone(), any::<bool>(), prop::bool::weighted(0.2), prop::collection::vec(val, 1..4))
            .prop_map(|(key, left, only_existing, vals)| Op::Push { key, left, only_existing, vals }),
        2 => (key.clone(), any::<bool>(), prop::option::of(0usize..4))
            .prop_map(|(key, left, count)| Op::Pop { key, left, count }),
        1 => key.clone().prop_map(Op::LLen),
        1 => (key.clone(), -6i64..6, -6i64..6).prop_map(|(k, s, e)| Op::LRange(k, s, e)),
        1 => (key.clone(), -5i64..5).prop_map(|(k, i)| Op::LIndex(k, i)),
        2 => (key.clone(), any::<bool>(), -1i64..5, 0u8..5)
            .prop_map(|(key, ms, amount, cond)| Op::Expire { key, ms, amount: if ms { amount * 700 } else { amount }, cond }),
        2 => (key.clone(), any::<bool>()).prop_map(|(key, ms)| Op::Ttl { key, ms }),
        1 => key.prop_map(Op::Persist),
        // Round steps make "exactly at the expiry time" common.
        2 => prop_oneof![(0i64..30).prop_map(|x| x * 100), 0i64..2500].prop_map(Op::Advance),
        1 => (1usize..50).prop_map(Op::ActiveExpire),
    ]
}

#[derive(Clone, Debug, PartialEq)]
enum MValue {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
}

/// The model: the logically live keys only, each with its expiry time.
struct Model {
    now: i64,
    keys: HashMap<Vec<u8>, (MValue, Option<i64>)>,
}

fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
}

/// Redis accepts exactly the canonical decimal form of an i64.
fn strict_int(s: &[u8]) -> Option<i64> {
    let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (v.to_string().as_bytes() == s).then_some(v)
}

impl Model {
    fn purge(&mut self) {
        let now = self.now;
        self.keys
            .retain(|_, (_, when)| !when.is_some_and(|w| now > w));
    }

    fn string(&self, key: &[u8]) -> Result<Option<&Vec<u8>>, Frame> {
        match self.keys.get(key) {
            None => Ok(None),
            Some((MValue::Str(s), _)) => Ok(Some(s)),
            Some(_) => Err(err(WRONGTYPE)),
        }
    }

    fn apply(&mut self, op: &Op) -> Frame {
        self.purge();
        let k = |i: usize| KEYS[i].as_bytes().to_vec();
        let v = |i: usize| VALUES[i].as_bytes().to_vec();
        match op {
            Op::Set {
                key,
                val,
                cond,
                get,
                ttl,
            } => {
                let key = k(*key);
                let when = match ttl {
                    TtlOption::Ex(0) | TtlOption::Px(0) => {
                        return err("ERR invalid expire time in 'set' command")
                    }
                    TtlOption::Ex(s) => Some(self.now + s * 1000),
                    TtlOption::Px(ms) => Some(self.now + ms),
                    TtlOption::Keep => self.keys.get(&key).and_then(|(_, w)| *w),
                    TtlOption::None => None,
                };
                let old = if *get {
                    match self.string(&key) {
                        Err(e) => return e,
                        Ok(old) => Some(old.map_or(Frame::Null, |o| bulk(o))),
                    }
                } else {
                    None
                };
                let exists = self.keys.contains_key(&key);
                if (*cond == 1 && exists) || (*cond == 2 && !exists) {
                    return old.unwrap_or(Frame::Null);
                }
                self.keys.insert(key, (MValue::Str(v(*val)), when));
                old.unwrap_or(Frame::ok())
            }
            Op::Get(key) => match self.string(&k(*key)) {
                Err(e) => e,
                Ok(s) => s.map_or(Frame::Null, |s| bulk(s)),
            },
            Op::GetDel(key) => match self.string(&k(*key)) {
                Err(e) => e,
                Ok(None) => Frame::Null,
                Ok(Some(s)) => {
                    let reply = bulk(s);
                    self.keys.remove(&k(*key));
                    reply
                }
            },
            Op::GetSet(key, val) => match self.string(&k(*key)) {
                Err(e) => e,
                Ok(old) => {
                    let reply = old.map_or(Frame::Null, |s| bulk(s));
                    self.keys.insert(k(*key), (MValue::Str(v(*val)), None));
                    reply
                }
            },
            Op::MGet(keys) => Frame::Array(
                keys.iter()
                    .map(|i| {
                        self.string(&k(*i))
                            .ok()
                            .flatten()
                            .map_or(Frame::Null, |s| bulk(s))
                    })
                    .collect(),
            ),
            Op::MSet(pairs) => {
                for (key, val) in pairs {
                    self.keys.insert(k(*key), (MValue::Str(v(*val)), None));
                }
                Frame::ok()
            }
            Op::Del(keys) => Frame::Integer(
                keys.iter()
                    .filter(|i| self.keys.remove(&k(**i)).is_some())
                    .count() as i64,
            ),
            Op::Exists(keys) => Frame::Integer(
                keys.iter()
                    .filter(|i| self.keys.contains_key(&k(**i)))
                    .count() as i64,
            ),
            Op::Type(key) => Frame::simple(match self.keys.get(&k(*key)) {
                None => "none",
                Some((MValue::Str(_), _)) => "string",
                Some((MValue::List(_), _)) => "list",
            }),
            Op::IncrBy(key, by) => {
                let key = k(*key);
                let current = match self.string(&key) {
                    Err(e) => return e,
                    Ok(None) => 0,
                    Ok(Some(s)) => match strict_int(s) {
                        Some(n) => n,
                        None => return err("ERR value is not an integer or out of range"),
                    },
                };
                let Some(result) = current.checked_add(*by) else {
                    return err("ERR increment or decrement would overflow");
                };
                let when = self.keys.get(&key).and_then(|(_, w)| *w);
                self.keys
                    .insert(key, (MValue::Str(result.to_string().into_bytes()), when));
                Frame::Integer(result)
            }
            Op::Append(key, val) => {
                let key = k(*key);
                match self.keys.get_mut(&key) {
                    None => {
                        self.keys.insert(key, (MValue::Str(v(*val)), None));
                        Frame::Integer(VALUES[*val].len() as i64)
                    }
                    Some((MValue::Str(s), _)) => {
                        s.extend_from_slice(&v(*val));
                        Frame::Integer(s.len() as i64)
                    }
                    Some(_) => err(WRONGTYPE),
                }
            }
            Op::Strlen(key) => match self.string(&k(*key)) {
                Err(e) => e,
                Ok(s) => Frame::Integer(s.map_or(0, |s| s.len() as i64)),
            },
            Op::GetRange(key, start, end) => match self.string(&k(*key)) {
                Err(e) => e,
                Ok(None) => bulk(b""),
                Ok(Some(s)) => {
                    let len = s.len() as i64;
                    let (mut a, mut b) = (*start, *end);
                    if a < 0 && b < 0 && a > b {
                        return bulk(b"");
                    }
                    if a < 0 {
                        a = (len + a).max(0);
                    }
                    if b < 0 {
                        b = (len + b).max(0);
                    }
                    b = b.min(len - 1);
                    if a > b || len == 0 {
                        bulk(b"")
                    } else {
                        bulk(&s[a as usize..=b as usize])
                    }
                }
            },
            Op::Push {
                key,
                left,
                only_existing,
                vals,
            } => {
                let key = k(*key);
                let entry = match self.keys.get_mut(&key) {
                    Some((MValue::List(l), _)) => l,
                    Some(_) => return err(WRONGTYPE),
                    None if *only_existing => return Frame::Integer(0),
                    None => {
                        self.keys
                            .insert(key.clone(), (MValue::List(VecDeque::new()), None));
                        match self.keys.get_mut(&key) {
                            Some((MValue::List(l), _)) => l,
                            _ => unreachable!(),
                        }
                    }
                };
                for val in vals {
                    if *left {
                        entry.push_front(v(*val));
                    } else {
                        entry.push_back(v(*val));
                    }
                }
                Frame::Integer(entry.len() as i64)
            }
            Op::Pop { key, left, count } => {
                let key = k(*key);
                let list = match self.keys.get_mut(&key) {
                    None => {
                        return if count.is_some() {
                            Frame::NullArray
                        } else {
                            Frame::Null
                        }
                    }
                    Some((MValue::List(l), _)) => l,
                    Some(_) => return err(WRONGTYPE),
                };
                let mut take = || {
                    if *left {
                        list.pop_front()
                    } else {
                        list.pop_back()
                    }
                };
                let reply = match count {
                    None => bulk(&take().unwrap()),
                    Some(n) => {
                        Frame::Array((0..*n).map_while(|_| take()).map(|e| bulk(&e)).collect())
                    }
                };
                if list.is_empty() {
                    self.keys.remove(&key);
                }
                reply
            }
            Op::LLen(key) => match self.keys.get(&k(*key)) {
                None => Frame::Integer(0),
                Some((MValue::List(l), _)) => Frame::Integer(l.len() as i64),
                Some(_) => err(WRONGTYPE),
            },
            Op::LRange(key, start, stop) => match self.keys.get(&k(*key)) {
                None => Frame::Array(vec![]),
                Some((MValue::List(l), _)) => {
                    let len = l.len() as i64;
                    let a = if *start < 0 {
                        (len + start).max(0)
                    } else {
                        *start
                    };
                    let b = if *stop < 0 { len + stop } else { *stop }.min(len - 1);
                    Frame::Array((a..=b).map(|i| bulk(&l[i as usize])).collect())
                }
                Some(_) => err(WRONGTYPE),
            },
            Op::LIndex(key, index) => match self.keys.get(&k(*key)) {
                None => Frame::Null,
                Some((MValue::List(l), _)) => {
                    let i = if *index < 0 {
                        l.len() as i64 + index
                    } else {
                        *index
                    };
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| l.get(i))
                        .map_or(Frame::Null, |e| bulk(e))
                }
                Some(_) => err(WRONGTYPE),
            },
            Op::Expire {
                key,
                ms,
                amount,
                cond,
            } => {
                let key = k(*key);
                let when = self.now + if *ms { *amount } else { amount * 1000 };
                let Some((_, current)) = self.keys.get_mut(&key) else {
                    return Frame::Integer(0);
                };
                let allowed = match cond {
                    1 => current.is_none(),
                    2 => current.is_some(),
                    3 => current.is_some_and(|c| when > c),
                    4 => !current.is_some_and(|c| when >= c),
                    _ => true,
                };
                if !allowed {
                    return Frame::Integer(0);
                }
                if when <= self.now {
                    self.keys.remove(&key);
                } else {
                    *current = Some(when);
                }
                Frame::Integer(1)
            }
            Op::Ttl { key, ms } => match self.keys.get(&k(*key)) {
                None => Frame::Integer(-2),
                Some((_, None)) => Frame::Integer(-1),
                Some((_, Some(when))) => {
                    let left = (when - self.now).max(0);
                    Frame::Integer(if *ms { left } else { (left + 500) / 1000 })
                }
            },
            Op::Persist(key) => match self.keys.get_mut(&k(*key)) {
                Some((_, when @ Some(_))) => {
                    *when = None;
                    Frame::Integer(1)
                }
                _ => Frame::Integer(0),
            },
            Op::Advance(_) | Op::ActiveExpire(_) => Frame::Null,
        }
    }
}

/// The command line for an op.
fn argv(op: &Op) -> Vec<String> {
    let k = |i: &usize| KEYS[*i].to_string();
    let v = |i: &usize| VALUES[*i].to_string();
    let mut words: Vec<String> = Vec::new();
    let mut push = |w: &str| words.push(w.to_string());
    match op {
        Op::Set {
            key,
            val,
            cond,
            get,
            ttl,
        } => {
            ["SET", &k(key), &v(val)].iter().for_each(|w| push(w));
            match cond {
                1 => push("NX"),
                2 => push("XX"),
                _ => {}
            }
            if *get {
                push("GET");
            }
            match ttl {
                TtlOption::Ex(s) => ["EX", &s.to_string()].iter().for_each(|w| push(w)),
                TtlOption::Px(ms) => ["PX", &ms.to_string()].iter().for_each(|w| push(w)),
                TtlOption::Keep => push("KEEPTTL"),
                TtlOption::None => {}
            }
        }
        Op::Get(key) => ["GET", &k(key)].iter().for_each(|w| push(w)),
        Op::GetDel(key) => ["GETDEL", &k(key)].iter().for_each(|w| push(w)),
        Op::GetSet(key, val) => ["GETSET", &k(key), &v(val)].iter().for_each(|w| push(w)),
        Op::MGet(keys) => std::iter::once("MGET".to_string())
            .chain(keys.iter().map(k))
            .for_each(|w| push(&w)),
        Op::MSet(pairs) => {
            push("MSET");
            for (key, val) in pairs {
                push(&k(key));
                push(&v(val));
            }
        }
        Op::Del(keys) => std::iter::once("DEL".to_string())
            .chain(keys.iter().map(k))
            .for_each(|w| push(&w)),
        Op::Exists(keys) => std::iter::once("EXISTS".to_string())
            .chain(keys.iter().map(k))
            .for_each(|w| push(&w)),
        Op::Type(key) => ["TYPE", &k(key)].iter().for_each(|w| push(w)),
        Op::IncrBy(key, by) => ["INCRBY", &k(key), &by.to_string()]
            .iter()
            .for_each(|w| push(w)),
        Op::Append(key, val) => ["APPEND", &k(key), &v(val)].iter().for_each(|w| push(w)),
        Op::Strlen(key) => ["STRLEN", &k(key)].iter().for_each(|w| push(w)),
        Op::GetRange(key, s, e) => ["GETRANGE", &k(key), &s.to_string(), &e.to_string()]
            .iter()
            .for_each(|w| push(w)),
        Op::Push {
            key,
            left,
            only_existing,
            vals,
        } => {
            push(match (left, only_existing) {
                (true, false) => "LPUSH",
                (false, false) => "RPUSH",
                (true, true) => "LPUSHX",
                (false, true) => "RPUSHX",
            });
            push(&k(key));
            vals.iter().for_each(|val| push(&v(val)));
        }
        Op::Pop { key, left, count } => {
            push(if *left { "LPOP" } else { "RPOP" });
            push(&k(key));
            if let Some(c) = count {
                push(&c.to_string());
            }
        }
        Op::LLen(key) => ["LLEN", &k(key)].iter().for_each(|w| push(w)),
        Op::LRange(key, s, e) => ["LRANGE", &k(key), &s.to_string(), &e.to_string()]
            .iter()
            .for_each(|w| push(w)),
        Op::LIndex(key, i) => ["LINDEX", &k(key), &i.to_string()]
            .iter()
            .for_each(|w| push(w)),
        Op::Expire {
            key,
            ms,
            amount,
            cond,
        } => {
            push(if *ms { "PEXPIRE" } else { "EXPIRE" });
            push(&k(key));
            push(&amount.to_string());
            if let Some(c) = ["", "NX", "XX", "GT", "LT"]
                .get(*cond as usize)
                .filter(|c| !c.is_empty())
            {
                push(c);
            }
        }
        Op::Ttl { key, ms } => [if *ms { "PTTL" } else { "TTL" }, &k(key)]
            .iter()
            .for_each(|w| push(w)),
        Op::Persist(key) => ["PERSIST", &k(key)].iter().for_each(|w| push(w)),
        Op::Advance(_) | Op::ActiveExpire(_) => {}
    }
    words
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn keyspace_matches_model(ops in prop::collection::vec(op(), 1..120)) {
        let mut ks = Keyspace::new(1);
        let mut session = Session::default();
        let mut model = Model { now: START, keys: HashMap::new() };
        ks.set_clock(Clock::Fixed(START));
        for (step, op) in ops.iter().enumerate() {
            match op {
                Op::Advance(ms) => {
                    model.now += ms;
                    ks.set_clock(Clock::Fixed(model.now));
                }
                Op::ActiveExpire(keys) => {
                    ks.active_expire_cycle(model.now, ExpireBudget::Keys(*keys));
                }
                _ => {
                    let words = argv(op);
                    let args: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
                    let got = ks.execute(&mut session, &args);
                    let want = model.apply(op);
                    prop_assert_eq!(got, Some(want), "step {}: {:?}", step, words);
                }
            }
        }
        // The whole state agrees at the end: types and TTLs of every key.
        for key in KEYS {
            for cmd in ["TYPE", "PTTL"] {
                let args = [Bytes::from_static(cmd.as_bytes()), Bytes::from_static(key.as_bytes())];
                let op = if cmd == "TYPE" { Op::Type(KEYS.iter().position(|k| *k == key).unwrap()) }
                    else { Op::Ttl { key: KEYS.iter().position(|k| *k == key).unwrap(), ms: true } };
                prop_assert_eq!(ks.execute(&mut session, &args), Some(model.apply(&op)));
            }
        }
        model.purge();
        prop_assert!(ks.dbsize(0) >= model.keys.len());
    }
}
