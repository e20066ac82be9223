//! Model-based test of the list commands: random command sequences run against the
//! keyspace and against `VecDeque`s implementing Redis's semantics; every reply must
//! match. Small `list-max-listpack-size` settings and long elements make lists span
//! many quicklist nodes, so node splits, merges and removals are exercised.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session, Tunables};
use ferrodis_resp::Frame;
use proptest::prelude::*;

/// List keys, and one string key for WRONGTYPE.
const KEYS: [&str; 3] = ["l1", "l2", "s"];
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Elements: small integers and strings (which compare across encodings), and long
/// strings that fill nodes quickly.
fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "1", "-1", "0", "12", "007", "", "999999", "x y"])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => (0usize..3, 100usize..1500).prop_map(|(c, n)| vec![b"pqr"[c]; n]),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Push {
        key: usize,
        left: bool,
        x: bool,
        elems: Vec<Vec<u8>>,
    },
    Pop {
        key: usize,
        left: bool,
        count: Option<i64>,
    },
    Len(usize),
    Range(usize, i64, i64),
    Index(usize, i64),
    Set(usize, i64, Vec<u8>),
    Insert {
        key: usize,
        after: bool,
        pivot: Vec<u8>,
        elem: Vec<u8>,
    },
    Rem(usize, i64, Vec<u8>),
    Trim(usize, i64, i64),
    Pos {
        key: usize,
        elem: Vec<u8>,
        rank: Option<i64>,
        count: Option<i64>,
        maxlen: Option<i64>,
    },
    Move {
        src: usize,
        dst: usize,
        from_left: bool,
        to_left: bool,
    },
    MPop {
        keys: Vec<usize>,
        left: bool,
        count: Option<i64>,
    },
    Del(usize),
    SetString(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let index = -12i64..12;
    prop_oneof![
        6 => (key.clone(), any::<bool>(), prop::bool::weighted(0.1), prop::collection::vec(element(), 1..8))
            .prop_map(|(key, left, x, elems)| Op::Push { key, left, x, elems }),
        3 => (key.clone(), any::<bool>(), prop::option::of(-1i64..6))
            .prop_map(|(key, left, count)| Op::Pop { key, left, count }),
        1 => key.clone().prop_map(Op::Len),
        2 => (key.clone(), index.clone(), index.clone()).prop_map(|(k, a, b)| Op::Range(k, a, b)),
        2 => (key.clone(), index.clone()).prop_map(|(k, i)| Op::Index(k, i)),
        2 => (key.clone(), index.clone(), element()).prop_map(|(k, i, e)| Op::Set(k, i, e)),
        2 => (key.clone(), any::<bool>(), element(), element())
            .prop_map(|(key, after, pivot, elem)| Op::Insert { key, after, pivot, elem }),
        2 => (key.clone(), -3i64..4, element()).prop_map(|(k, c, e)| Op::Rem(k, c, e)),
        1 => (key.clone(), index.clone(), index).prop_map(|(k, a, b)| Op::Trim(k, a, b)),
        2 => (key.clone(), element(), prop::option::of(-3i64..4), prop::option::of(-1i64..4), prop::option::of(-1i64..6))
            .prop_map(|(key, elem, rank, count, maxlen)| Op::Pos { key, elem, rank, count, maxlen }),
        2 => (key.clone(), key.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(src, dst, from_left, to_left)| Op::Move { src, dst, from_left, to_left }),
        1 => (prop::collection::vec(key.clone(), 1..4), any::<bool>(), prop::option::of(0i64..5))
            .prop_map(|(keys, left, count)| Op::MPop { keys, left, count }),
        1 => key.clone().prop_map(Op::Del),
        1 => key.prop_map(Op::SetString),
    ]
}

fn int_words(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// The command line of an operation.
fn argv(op: &Op) -> Vec<Vec<u8>> {
    let w = |s: &str| s.as_bytes().to_vec();
    let k = |i: usize| w(KEYS[i]);
    let side = |left: bool| w(if left { "LEFT" } else { "RIGHT" });
    match op {
        Op::Push {
            key,
            left,
            x,
            elems,
        } => {
            let name = match (left, x) {
                (true, false) => "LPUSH",
                (false, false) => "RPUSH",
                (true, true) => "LPUSHX",
                (false, true) => "RPUSHX",
            };
            let mut v = vec![w(name), k(*key)];
            v.extend(elems.iter().cloned());
            v
        }
        Op::Pop { key, left, count } => {
            let mut v = vec![w(if *left { "LPOP" } else { "RPOP" }), k(*key)];
            v.extend(count.map(int_words));
            v
        }
        Op::Len(key) => vec![w("LLEN"), k(*key)],
        Op::Range(key, a, b) => vec![w("LRANGE"), k(*key), int_words(*a), int_words(*b)],
        Op::Index(key, i) => vec![w("LINDEX"), k(*key), int_words(*i)],
        Op::Set(key, i, e) => vec![w("LSET"), k(*key), int_words(*i), e.clone()],
        Op::Insert {
            key,
            after,
            pivot,
            elem,
        } => vec![
            w("LINSERT"),
            k(*key),
            w(if *after { "AFTER" } else { "BEFORE" }),
            pivot.clone(),
            elem.clone(),
        ],
        Op::Rem(key, c, e) => vec![w("LREM"), k(*key), int_words(*c), e.clone()],
        Op::Trim(key, a, b) => vec![w("LTRIM"), k(*key), int_words(*a), int_words(*b)],
        Op::Pos {
            key,
            elem,
            rank,
            count,
            maxlen,
        } => {
            let mut v = vec![w("LPOS"), k(*key), elem.clone()];
            for (name, value) in [("RANK", rank), ("COUNT", count), ("MAXLEN", maxlen)] {
                if let Some(n) = value {
                    v.push(w(name));
                    v.push(int_words(*n));
                }
            }
            v
        }
        Op::Move {
            src,
            dst,
            from_left,
            to_left,
        } => {
            vec![
                w("LMOVE"),
                k(*src),
                k(*dst),
                side(*from_left),
                side(*to_left),
            ]
        }
        Op::MPop { keys, left, count } => {
            let mut v = vec![w("LMPOP"), int_words(keys.len() as i64)];
            v.extend(keys.iter().map(|&i| k(i)));
            v.push(side(*left));
            if let Some(c) = count {
                v.push(w("COUNT"));
                v.push(int_words(*c));
            }
            v
        }
        Op::Del(key) => vec![w("DEL"), k(*key)],
        Op::SetString(key) => vec![w("SET"), k(*key), w("str")],
    }
}

#[derive(Debug)]
enum Val {
    Str,
    List(VecDeque<Vec<u8>>),
}

#[derive(Default)]
struct Model {
    keys: HashMap<usize, Val>,
}

fn bulk(b: &[u8]) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Frame {
    Frame::Error(Bytes::copy_from_slice(s.as_bytes()))
}

fn bulks<'a>(items: impl IntoIterator<Item = &'a Vec<u8>>) -> Frame {
    Frame::Array(items.into_iter().map(|e| bulk(e)).collect())
}

/// The position of a Redis list index, if within the list.
fn resolve(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// Redis's range clamping (LRANGE, LTRIM): an inclusive range, or None when empty.
fn clamp(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

impl Model {
    /// The list at `key`: Ok(None) when missing, Err(WRONGTYPE) for the string.
    fn list(&mut self, key: usize) -> Result<Option<&mut VecDeque<Vec<u8>>>, Frame> {
        match self.keys.get_mut(&key) {
            None => Ok(None),
            Some(Val::List(l)) => Ok(Some(l)),
            Some(Val::Str) => Err(err(WRONGTYPE)),
        }
    }

    fn drop_if_empty(&mut self, key: usize) {
        if matches!(self.keys.get(&key), Some(Val::List(l)) if l.is_empty()) {
            self.keys.remove(&key);
        }
    }

    fn apply(&mut self, op: &Op) -> Frame {
        let reply = self.run(op);
        for key in 0..KEYS.len() {
            self.drop_if_empty(key);
        }
        reply
    }

    fn run(&mut self, op: &Op) -> Frame {
        match op {
            Op::Push {
                key,
                left,
                x,
                elems,
            } => {
                let list = match self.list(*key) {
                    Err(e) => return e,
                    Ok(None) if *x => return Frame::Integer(0),
                    Ok(None) => {
                        self.keys.insert(*key, Val::List(VecDeque::new()));
                        self.list(*key).unwrap().unwrap()
                    }
                    Ok(Some(l)) => l,
                };
                for e in elems {
                    if *left {
                        list.push_front(e.clone());
                    } else {
                        list.push_back(e.clone());
                    }
                }
                Frame::Integer(list.len() as i64)
            }
            Op::Pop { key, left, count } => {
                if count.is_some_and(|c| c < 0) {
                    return err("ERR value is out of range, must be positive");
                }
                let list = match self.list(*key) {
                    Err(e) => return e,
                    Ok(None) if count.is_some() => return Frame::NullArray,
                    Ok(None) => return Frame::Null,
                    Ok(Some(l)) => l,
                };
                let mut take = || {
                    if *left {
                        list.pop_front()
                    } else {
                        list.pop_back()
                    }
                };
                match count {
                    None => bulk(&take().unwrap()),
                    Some(n) => {
                        Frame::Array((0..*n).map_while(|_| take()).map(|e| bulk(&e)).collect())
                    }
                }
            }
            Op::Len(key) => match self.list(*key) {
                Err(e) => e,
                Ok(l) => Frame::Integer(l.map_or(0, |l| l.len() as i64)),
            },
            Op::Range(key, a, b) => match self.list(*key) {
                Err(e) => e,
                Ok(None) => Frame::Array(vec![]),
                Ok(Some(l)) => match clamp(*a, *b, l.len()) {
                    None => Frame::Array(vec![]),
                    Some((a, b)) => bulks(l.range(a..=b)),
                },
            },
            Op::Index(key, i) => match self.list(*key) {
                Err(e) => e,
                Ok(None) => Frame::Null,
                Ok(Some(l)) => resolve(*i, l.len()).map_or(Frame::Null, |i| bulk(&l[i])),
            },
            Op::Set(key, i, e) => match self.list(*key) {
                Err(e) => e,
                Ok(None) => err("ERR no such key"),
                Ok(Some(l)) => match resolve(*i, l.len()) {
                    None => err("ERR index out of range"),
                    Some(i) => {
                        l[i] = e.clone();
                        Frame::ok()
                    }
                },
            },
            Op::Insert {
                key,
                after,
                pivot,
                elem,
            } => match self.list(*key) {
                Err(e) => e,
                Ok(None) => Frame::Integer(0),
                Ok(Some(l)) => match l.iter().position(|e| e == pivot) {
                    None => Frame::Integer(-1),
                    Some(p) => {
                        l.insert(p + usize::from(*after), elem.clone());
                        Frame::Integer(l.len() as i64)
                    }
                },
            },
            Op::Rem(key, count, e) => match self.list(*key) {
                Err(er) => er,
                Ok(None) => Frame::Integer(0),
                Ok(Some(l)) => {
                    let limit = if *count == 0 {
                        usize::MAX
                    } else {
                        count.unsigned_abs() as usize
                    };
                    let mut removed = 0;
                    if *count >= 0 {
                        let mut i = 0;
                        while i < l.len() && removed < limit {
                            if &l[i] == e {
                                l.remove(i);
                                removed += 1;
                            } else {
                                i += 1;
                            }
                        }
                    } else {
                        let mut i = l.len();
                        while i > 0 && removed < limit {
                            i -= 1;
                            if &l[i] == e {
                                l.remove(i);
                                removed += 1;
                            }
                        }
                    }
                    Frame::Integer(removed as i64)
                }
            },
            Op::Trim(key, a, b) => match self.list(*key) {
                Err(e) => e,
                Ok(None) => Frame::ok(),
                Ok(Some(l)) => {
                    match clamp(*a, *b, l.len()) {
                        None => l.clear(),
                        Some((a, b)) => {
                            l.truncate(b + 1);
                            l.drain(..a);
                        }
                    }
                    Frame::ok()
                }
            },
            Op::Pos {
                key,
                elem,
                rank,
                count,
                maxlen,
            } => {
                if *rank == Some(0) {
                    return err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                }
                if count.is_some_and(|c| c < 0) {
                    return err("ERR COUNT can't be negative");
                }
                if maxlen.is_some_and(|m| m < 0) {
                    return err("ERR MAXLEN can't be negative");
                }
                let l = match self.list(*key) {
                    Err(e) => return e,
                    Ok(None) if count.is_some() => return Frame::Array(vec![]),
                    Ok(None) => return Frame::Null,
                    Ok(Some(l)) => l,
                };
                let rank = rank.unwrap_or(1);
                let scan = maxlen.filter(|&m| m > 0).map_or(l.len(), |m| m as usize);
                let order: Vec<usize> = if rank > 0 {
                    (0..l.len()).take(scan).collect()
                } else {
                    (0..l.len()).rev().take(scan).collect()
                };
                let hits: Vec<i64> = order
                    .into_iter()
                    .filter(|&i| &l[i] == elem)
                    .skip(rank.unsigned_abs() as usize - 1)
                    .map(|i| i as i64)
                    .collect();
                match count {
                    None => hits.first().map_or(Frame::Null, |&i| Frame::Integer(i)),
                    Some(0) => Frame::Array(hits.into_iter().map(Frame::Integer).collect()),
                    Some(c) => Frame::Array(
                        hits.into_iter()
                            .take(*c as usize)
                            .map(Frame::Integer)
                            .collect(),
                    ),
                }
            }
            Op::Move {
                src,
                dst,
                from_left,
                to_left,
            } => {
                match self.list(*src) {
                    Err(e) => return e,
                    Ok(None) => return Frame::Null,
                    Ok(Some(_)) => {}
                }
                if let Err(e) = self.list(*dst) {
                    return e;
                }
                let Ok(Some(s)) = self.list(*src) else {
                    unreachable!()
                };
                let value = if *from_left {
                    s.pop_front()
                } else {
                    s.pop_back()
                }
                .unwrap();
                let d = match self.list(*dst) {
                    Ok(Some(d)) => d,
                    _ => {
                        self.keys.insert(*dst, Val::List(VecDeque::new()));
                        self.list(*dst).unwrap().unwrap()
                    }
                };
                if *to_left {
                    d.push_front(value.clone());
                } else {
                    d.push_back(value.clone());
                }
                bulk(&value)
            }
            Op::MPop { keys, left, count } => {
                if *count == Some(0) {
                    return err("ERR count should be greater than 0");
                }
                let n = count.unwrap_or(1) as usize;
                for &key in keys {
                    match self.list(key) {
                        Err(e) => return e,
                        Ok(None) => continue,
                        Ok(Some(l)) => {
                            let items: Vec<Vec<u8>> = (0..n)
                                .map_while(|_| if *left { l.pop_front() } else { l.pop_back() })
                                .collect();
                            return Frame::Array(vec![bulk(KEYS[key].as_bytes()), bulks(&items)]);
                        }
                    }
                }
                Frame::NullArray
            }
            Op::Del(key) => Frame::Integer(i64::from(self.keys.remove(key).is_some())),
            Op::SetString(key) => {
                self.keys.insert(*key, Val::Str);
                Frame::ok()
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn list_commands_match_the_model(
        fill in prop::sample::select(vec![-2i64, -1, 1, 2, 3, 5]),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut ks = Keyspace::new(1);
        ks.set_tunables(Tunables { list_max_listpack_size: fill, ..Tunables::default() });
        let mut session = Session::default();
        let mut model = Model::default();
        for (i, op) in ops.iter().enumerate() {
            let args: Vec<Bytes> = argv(op).into_iter().map(Bytes::from).collect();
            let got = ks.execute(&mut session, &args).unwrap();
            let want = model.apply(op);
            prop_assert_eq!(&got, &want, "op #{} {:?}", i, op);
        }
        // The final state, read back in full.
        for (key, name) in KEYS.iter().enumerate() {
            let args = [Bytes::from_static(b"LRANGE"), Bytes::copy_from_slice(name.as_bytes()), Bytes::from_static(b"0"), Bytes::from_static(b"-1")];
            let got = ks.execute(&mut session, &args).unwrap();
            let want = model.apply(&Op::Range(key, 0, -1));
            prop_assert_eq!(got, want);
        }
    }
}
