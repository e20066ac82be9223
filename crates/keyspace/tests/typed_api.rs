//! The typed API (`Keyspace::db`) against a plain std model, and its error mapping.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use ferrodis_keyspace::{Error, Keyspace, Ttl};
use proptest::prelude::*;

#[test]
fn every_family_round_trips() {
    let mut ks = Keyspace::new(16);
    let mut db = ks.db(3).unwrap();
    assert!(db.is_empty().unwrap());
    db.set("s", "v1").unwrap();
    assert_eq!(db.append("s", "23").unwrap(), 4);
    assert_eq!(db.get("s").unwrap(), Some(Bytes::from_static(b"v123")));
    assert_eq!(db.get("nope").unwrap(), None);
    assert_eq!(db.incr_by("n", -4).unwrap(), -4);
    assert_eq!(db.incr_by_float("f", 1.5).unwrap(), 1.5);
    assert_eq!(
        db.mget(&["s", "nope", "n"]).unwrap(),
        vec![
            Some(Bytes::from_static(b"v123")),
            None,
            Some(Bytes::from_static(b"-4"))
        ]
    );
    db.set_ex("t", "x", Duration::from_secs(100)).unwrap();
    assert!(matches!(db.ttl("t").unwrap(), Some(Ttl::Expires(d)) if d > Duration::from_secs(90)));
    assert_eq!(db.ttl("s").unwrap(), Some(Ttl::Persistent));
    assert_eq!(db.ttl("nope").unwrap(), None);
    assert!(db.persist("t").unwrap());
    assert!(db.expire("t", Duration::from_secs(5)).unwrap());
    assert!(!db.expire("nope", Duration::from_secs(5)).unwrap());

    assert_eq!(db.rpush("l", &["a", "b"]).unwrap(), 2);
    assert_eq!(db.lpush("l", &["z"]).unwrap(), 3);
    assert_eq!(db.lrange("l", 0, -1).unwrap(), vec!["z", "a", "b"]);
    assert_eq!(db.rpop("l").unwrap(), Some(Bytes::from_static(b"b")));
    assert_eq!(db.lpop("l").unwrap(), Some(Bytes::from_static(b"z")));
    assert_eq!(db.llen("l").unwrap(), 1);

    assert_eq!(db.hset("h", &[("f1", "1"), ("f2", "2")]).unwrap(), 2);
    assert_eq!(db.hincr_by("h", "f1", 9).unwrap(), 10);
    assert_eq!(db.hget("h", "f1").unwrap(), Some(Bytes::from_static(b"10")));
    assert_eq!(db.hgetall("h").unwrap().len(), 2);
    assert_eq!(db.hdel("h", &["f2", "f9"]).unwrap(), 1);
    assert_eq!(db.hlen("h").unwrap(), 1);

    assert_eq!(db.sadd("st", &["a", "b", "a"]).unwrap(), 2);
    assert!(db.sismember("st", "a").unwrap());
    assert_eq!(db.srem("st", &["a"]).unwrap(), 1);
    assert_eq!(db.smembers("st").unwrap(), vec!["b"]);
    assert_eq!(db.scard("st").unwrap(), 1);

    assert_eq!(
        db.zadd("z", &[(2.0, "b"), (1.0, "a"), (f64::INFINITY, "c")])
            .unwrap(),
        3
    );
    assert_eq!(db.zincr_by("z", 0.5, "a").unwrap(), 1.5);
    assert_eq!(db.zscore("z", "c").unwrap(), Some(f64::INFINITY));
    assert_eq!(db.zrank("z", "b").unwrap(), Some(1));
    assert_eq!(
        db.zrange("z", 0, 1).unwrap(),
        vec![
            (Bytes::from_static(b"a"), 1.5),
            (Bytes::from_static(b"b"), 2.0)
        ]
    );
    assert_eq!(db.zrem("z", &["c"]).unwrap(), 1);
    assert_eq!(db.zcard("z").unwrap(), 2);

    assert_eq!(db.key_type("z").unwrap(), Some("zset"));
    assert_eq!(db.key_type("nope").unwrap(), None);
    db.rename("z", "z2").unwrap();
    let mut keys = db.keys("*").unwrap();
    keys.sort();
    assert_eq!(keys, vec!["f", "h", "l", "n", "s", "st", "t", "z2"]);
    assert_eq!(db.del(&["s", "n", "nope"]).unwrap(), 2);
    assert_eq!(db.len().unwrap(), 6);
    // The generic form sits next to the typed one, in the same database.
    assert_eq!(
        db.execute(&["EXISTS", "z2"]),
        Some(ferrodis_resp::Frame::Integer(1))
    );

    // Other databases are untouched.
    assert_eq!(ks.db(0).unwrap().len().unwrap(), 0);
    assert!(matches!(ks.db(16), Err(Error::DbIndexOutOfRange)));
}

#[test]
fn errors_are_redis_errors() {
    let mut ks = Keyspace::new(1);
    let mut db = ks.db(0).unwrap();
    db.set("s", "text").unwrap();
    assert_eq!(
        db.lpush("s", &["x"]).unwrap_err().to_string(),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        db.incr_by("s", 1).unwrap_err().to_string(),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        db.zadd("z", &[(f64::NAN, "m")]).unwrap_err().to_string(),
        "ERR value is not a valid float"
    );
    assert_eq!(
        db.rename("missing", "x").unwrap_err().to_string(),
        "ERR no such key"
    );
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    Get(u8),
    Del(u8),
    Incr(u8, i8),
    Rpush(u8, u8),
    Lpop(u8),
    Hset(u8, u8, u8),
    Hget(u8, u8),
    Sadd(u8, u8),
    Srem(u8, u8),
    Zadd(u8, i8, u8),
    Zscore(u8, u8),
}

#[derive(Debug, Clone, PartialEq)]
enum M {
    S(Vec<u8>),
    L(VecDeque<Vec<u8>>),
    H(BTreeMap<Vec<u8>, Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Z(BTreeMap<Vec<u8>, f64>),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u8..6;
    prop_oneof![
        (k.clone(), any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
        k.clone().prop_map(Op::Get),
        k.clone().prop_map(Op::Del),
        (k.clone(), any::<i8>()).prop_map(|(k, v)| Op::Incr(k, v)),
        (k.clone(), 0u8..4).prop_map(|(k, v)| Op::Rpush(k, v)),
        k.clone().prop_map(Op::Lpop),
        (k.clone(), 0u8..4, any::<u8>()).prop_map(|(k, f, v)| Op::Hset(k, f, v)),
        (k.clone(), 0u8..4).prop_map(|(k, f)| Op::Hget(k, f)),
        (k.clone(), 0u8..6).prop_map(|(k, m)| Op::Sadd(k, m)),
        (k.clone(), 0u8..6).prop_map(|(k, m)| Op::Srem(k, m)),
        (k.clone(), any::<i8>(), 0u8..4).prop_map(|(k, s, m)| Op::Zadd(k, s, m)),
        (k, 0u8..4).prop_map(|(k, m)| Op::Zscore(k, m)),
    ]
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn key(k: u8) -> Vec<u8> {
    format!("k{k}").into_bytes()
}

proptest! {
    /// Typed calls agree with a std-collections model, wrong-type errors included.
    #[test]
    fn typed_calls_match_a_model(ops in prop::collection::vec(op(), 1..80)) {
        let mut ks = Keyspace::new(1);
        let mut db = ks.db(0).unwrap();
        let mut model: BTreeMap<Vec<u8>, M> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    db.set(key(k), [v]).unwrap();
                    model.insert(key(k), M::S(vec![v]));
                }
                Op::Get(k) => {
                    let want = match model.get(&key(k)) {
                        None => Ok(None),
                        Some(M::S(v)) => Ok(Some(v.clone())),
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    let got = db.get(key(k)).map(|o| o.map(|b| b.to_vec())).map_err(|e| e.to_string());
                    prop_assert_eq!(got, want);
                }
                Op::Del(k) => {
                    let want = usize::from(model.remove(&key(k)).is_some());
                    prop_assert_eq!(db.del(&[key(k)]).unwrap(), want);
                }
                Op::Incr(k, by) => {
                    let got = db.incr_by(key(k), by.into()).map_err(|e| e.to_string());
                    let want = match model.get(&key(k)) {
                        None => Ok(i64::from(by)),
                        Some(M::S(v)) => match std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()).filter(|n| n.to_string().as_bytes() == &v[..]) {
                            Some(n) => Ok(n + i64::from(by)),
                            None => Err("ERR value is not an integer or out of range".to_string()),
                        },
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    if let Ok(n) = want {
                        model.insert(key(k), M::S(n.to_string().into_bytes()));
                    }
                    prop_assert_eq!(got, want);
                }
                Op::Rpush(k, v) => {
                    let got = db.rpush(key(k), &[[v]]).map_err(|e| e.to_string());
                    let entry = model.entry(key(k)).or_insert_with(|| M::L(VecDeque::new()));
                    let want = match entry {
                        M::L(l) => { l.push_back(vec![v]); Ok(l.len()) }
                        _ => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Lpop(k) => {
                    let got = db.lpop(key(k)).map(|o| o.map(|b| b.to_vec())).map_err(|e| e.to_string());
                    let want = match model.get_mut(&key(k)) {
                        None => Ok(None),
                        Some(M::L(l)) => {
                            let v = l.pop_front();
                            if l.is_empty() { model.remove(&key(k)); }
                            Ok(v)
                        }
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Hset(k, f, v) => {
                    let got = db.hset(key(k), &[([f], [v])]).map_err(|e| e.to_string());
                    let entry = model.entry(key(k)).or_insert_with(|| M::H(BTreeMap::new()));
                    let want = match entry {
                        M::H(h) => Ok(usize::from(h.insert(vec![f], vec![v]).is_none())),
                        _ => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Hget(k, f) => {
                    let got = db.hget(key(k), [f]).map(|o| o.map(|b| b.to_vec())).map_err(|e| e.to_string());
                    let want = match model.get(&key(k)) {
                        None => Ok(None),
                        Some(M::H(h)) => Ok(h.get(&vec![f]).cloned()),
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Sadd(k, m) => {
                    let got = db.sadd(key(k), &[[m]]).map_err(|e| e.to_string());
                    let entry = model.entry(key(k)).or_insert_with(|| M::Set(BTreeSet::new()));
                    let want = match entry {
                        M::Set(s) => Ok(usize::from(s.insert(vec![m]))),
                        _ => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Srem(k, m) => {
                    let got = db.srem(key(k), &[[m]]).map_err(|e| e.to_string());
                    let want = match model.get_mut(&key(k)) {
                        None => Ok(0),
                        Some(M::Set(s)) => {
                            let n = usize::from(s.remove(&vec![m]));
                            if s.is_empty() { model.remove(&key(k)); }
                            Ok(n)
                        }
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Zadd(k, s, m) => {
                    let got = db.zadd(key(k), &[(f64::from(s) / 4.0, [m])]).map_err(|e| e.to_string());
                    let entry = model.entry(key(k)).or_insert_with(|| M::Z(BTreeMap::new()));
                    let want = match entry {
                        M::Z(z) => Ok(usize::from(z.insert(vec![m], f64::from(s) / 4.0).is_none())),
                        _ => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Zscore(k, m) => {
                    let got = db.zscore(key(k), [m]).map_err(|e| e.to_string());
                    let want = match model.get(&key(k)) {
                        None => Ok(None),
                        Some(M::Z(z)) => Ok(z.get(&vec![m]).copied()),
                        Some(_) => Err(WRONGTYPE.to_string()),
                    };
                    prop_assert_eq!(got, want);
                }
            }
            // Remove a model entry created by a failed wrong-type write attempt.
            model.retain(|_, v| !matches!(v, M::L(l) if l.is_empty()) && !matches!(v, M::H(h) if h.is_empty()) && !matches!(v, M::Set(s) if s.is_empty()) && !matches!(v, M::Z(z) if z.is_empty()));
        }
        prop_assert_eq!(db.len().unwrap(), model.len());
    }
}
