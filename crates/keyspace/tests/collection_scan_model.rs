//! Model-based test of HSCAN, SSCAN and ZSCAN: random additions and removals, bulk
//! growth and bulk shrinking (so the collection's hash table resizes both ways)
//! interleaved with the calls of one iteration. Checks Redis's guarantee (an element
//! present for the whole iteration is returned at least once), that everything a
//! call returns is present at that moment with its current value, and that it
//! passes MATCH.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_resp::Frame;
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Hash,
    Set,
    ZSet,
}

#[derive(Debug, Clone)]
enum Op {
    Add(u32),
    Remove(u32),
    /// Adds this many fresh elements: the table grows during the scan.
    Grow(u16),
    /// Removes every element whose id is not a multiple of this: the table shrinks.
    Thin(u32),
    /// One *SCAN call.
    Step,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3000u32).prop_map(Op::Add),
        3 => (0..3000u32).prop_map(Op::Remove),
        1 => (1..800u16).prop_map(Op::Grow),
        1 => (2..6u32).prop_map(Op::Thin),
        6 => Just(Op::Step),
    ]
}

struct Run {
    ks: Keyspace,
    session: Session,
    kind: Kind,
    /// id -> the value (field value, or score) it has now.
    model: BTreeMap<u32, u32>,
    version: u32,
    fresh: u32,
}

impl Run {
    fn exec(&mut self, words: &[String]) -> Frame {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        self.ks.execute(&mut self.session, &argv).unwrap()
    }

    fn add(&mut self, id: u32) {
        self.version += 1;
        let v = self.version.to_string();
        let member = format!("m{id}");
        let cmd = match self.kind {
            Kind::Hash => vec!["HSET".into(), "c".into(), member, v],
            Kind::Set => vec!["SADD".into(), "c".into(), member],
            Kind::ZSet => vec!["ZADD".into(), "c".into(), v, member],
        };
        self.exec(&cmd);
        self.model.insert(id, self.version);
    }

    fn remove(&mut self, id: u32) {
        let name = match self.kind {
            Kind::Hash => "HDEL",
            Kind::Set => "SREM",
            Kind::ZSet => "ZREM",
        };
        self.exec(&[name.into(), "c".into(), format!("m{id}")]);
        self.model.remove(&id);
    }

    /// One call: the next cursor and the (element, value) pairs returned.
    fn step(&mut self, cursor: &str, opts: &[String]) -> (String, Vec<(String, Option<String>)>) {
        let name = match self.kind {
            Kind::Hash => "HSCAN",
            Kind::Set => "SSCAN",
            Kind::ZSet => "ZSCAN",
        };
        let mut cmd = vec![name.to_string(), "c".into(), cursor.to_string()];
        cmd.extend(opts.iter().cloned());
        let Frame::Array(parts) = self.exec(&cmd) else {
            panic!("not an array")
        };
        let [Frame::Bulk(next), Frame::Array(items)] = &parts[..] else {
            panic!("{parts:?}")
        };
        let text = |f: &Frame| match f {
            Frame::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        let items: Vec<String> = items.iter().map(text).collect();
        let pairs = match self.kind {
            Kind::Set => items.into_iter().map(|m| (m, None)).collect(),
            _ => items
                .chunks(2)
                .map(|p| (p[0].clone(), Some(p[1].clone())))
                .collect(),
        };
        (String::from_utf8(next.to_vec()).unwrap(), pairs)
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Hash), Just(Kind::Set), Just(Kind::ZSet)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn collection_scan_guarantee_under_writes(
        kind in kind(),
        initial in proptest::collection::btree_set(0..3000u32, 1..1500),
        ops in proptest::collection::vec(op(), 0..150),
        count in prop_oneof![Just(None), (1..40usize).prop_map(Some)],
        pattern in prop_oneof![Just(None), Just(Some("m1*")), Just(Some("*[05]"))],
    ) {
        let mut run = Run {
            ks: Keyspace::new(1),
            session: Session::default(),
            kind,
            model: BTreeMap::new(),
            version: 0,
            fresh: 10_000,
        };
        for &id in &initial {
            run.add(id);
        }
        let mut opts = Vec::new();
        if let Some(c) = count {
            opts.extend(["COUNT".to_string(), c.to_string()]);
        }
        if let Some(p) = pattern {
            opts.extend(["MATCH".to_string(), p.to_string()]);
        }
        let matches = |m: &str| match pattern {
            None => true,
            Some("m1*") => m.starts_with("m1"),
            Some(_) => m.ends_with('0') || m.ends_with('5'),
        };
        // Present from the start; an id leaves this set when it is removed.
        let mut throughout: BTreeSet<u32> = run.model.keys().copied().collect();
        let mut returned = BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut ops = ops.into_iter();
        let mut calls = 0;
        loop {
            // Run ops until the next step (or all of them), then always step.
            for op in ops.by_ref() {
                match op {
                    Op::Add(id) => run.add(id),
                    Op::Remove(id) => {
                        run.remove(id);
                        throughout.remove(&id);
                    }
                    Op::Grow(n) => {
                        for _ in 0..n {
                            run.fresh += 1;
                            run.add(run.fresh);
                        }
                    }
                    Op::Thin(k) => {
                        let gone: Vec<u32> = run.model.keys().copied().filter(|id| id % k != 0).collect();
                        for id in gone {
                            run.remove(id);
                            throughout.remove(&id);
                        }
                    }
                    Op::Step => break,
                }
            }
            let (next, items) = run.step(&cursor, &opts);
            calls += 1;
            for (member, value) in items {
                prop_assert!(matches(&member), "{member} does not match");
                let id: u32 = member[1..].parse().unwrap();
                let now = run.model.get(&id);
                prop_assert!(now.is_some(), "{member} returned but absent");
                if let (Some(v), Some(now)) = (value, now) {
                    prop_assert_eq!(v, now.to_string(), "{} has another value", member);
                }
                returned.insert(id);
            }
            if next == "0" {
                break;
            }
            prop_assert!(calls < 100_000, "the iteration does not end");
            cursor = next;
        }
        for id in throughout {
            if matches(&format!("m{id}")) {
                prop_assert!(returned.contains(&id), "m{} present throughout, never returned", id);
            }
        }
    }
}
