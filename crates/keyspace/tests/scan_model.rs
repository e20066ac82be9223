//! Model-based test of SCAN: random writes, deletions, expirations and growth of the
//! database interleaved with the calls of one SCAN iteration. Checks Redis's guarantee
//! (a key present for the whole iteration is returned at least once) and that every
//! key a call returns is live and passes MATCH and TYPE at that moment.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use ferrodis_keyspace::{Clock, Keyspace, Session};
use ferrodis_resp::Frame;
use proptest::prelude::*;

const START: i64 = 1_700_000_000_000;

#[derive(Debug, Clone)]
enum Op {
    /// SET k<id> (a string), or RPUSH when `list`.
    Set {
        id: u32,
        list: bool,
    },
    /// SET k<id> v PX 1: gone after the next `Advance`.
    SetPx(u32),
    Del(u32),
    /// Sets this many fresh keys, so that the table grows during the scan.
    Grow(u16),
    /// Moves the clock 2 ms on.
    Advance,
    /// One SCAN call.
    Step,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3000u32, any::<bool>()).prop_map(|(id, list)| Op::Set { id, list }),
        1 => (0..3000u32).prop_map(Op::SetPx),
        3 => (0..3000u32).prop_map(Op::Del),
        1 => (1..500u16).prop_map(Op::Grow),
        1 => Just(Op::Advance),
        5 => Just(Op::Step),
    ]
}

struct Run {
    ks: Keyspace,
    session: Session,
    now: i64,
    /// Live keys: is it a list, when does it expire.
    model: HashMap<String, (bool, Option<i64>)>,
}

impl Run {
    fn exec(&mut self, words: &[&str]) -> Frame {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        self.ks.execute(&mut self.session, &argv).unwrap()
    }

    fn set(&mut self, key: &str, list: bool, px: bool) {
        self.exec(&["DEL", key]);
        if list {
            self.exec(&["RPUSH", key, "x"]);
        } else if px {
            self.exec(&["SET", key, "v", "PX", "1"]);
        } else {
            self.exec(&["SET", key, "v"]);
        }
        self.model
            .insert(key.to_string(), (list, px.then_some(self.now + 1)));
    }

    fn live(&self, key: &str) -> Option<bool> {
        match self.model.get(key) {
            Some(&(list, expiry)) if expiry.is_none_or(|at| self.now <= at) => Some(list),
            _ => None,
        }
    }
}

/// `(next cursor, keys)` of a SCAN reply.
fn parse(reply: Frame) -> (String, Vec<String>) {
    let Frame::Array(parts) = reply else {
        panic!("{reply:?}")
    };
    let [Frame::Bulk(cursor), Frame::Array(keys)] = &parts[..] else {
        panic!("{parts:?}")
    };
    let text = |b: &Bytes| String::from_utf8(b.to_vec()).unwrap();
    let keys = keys
        .iter()
        .map(|k| match k {
            Frame::Bulk(b) => text(b),
            other => panic!("{other:?}"),
        })
        .collect();
    (text(cursor), keys)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scan_guarantee_under_writes(
        initial in proptest::collection::btree_set(0..3000u32, 0..1500),
        ops in proptest::collection::vec(op(), 0..150),
        count in prop_oneof![Just(None), (1..50usize).prop_map(Some)],
        filter in prop_oneof![Just(""), Just("k1*"), Just("*[05]")],
        type_filter in prop_oneof![Just(None), Just(Some("string")), Just(Some("LIST"))],
    ) {
        let mut run = Run {
            ks: Keyspace::new(1),
            session: Session::default(),
            now: START,
            model: HashMap::new(),
        };
        run.ks.set_clock(Clock::Fixed(START));
        for &id in &initial {
            run.set(&format!("k{id}"), id % 3 == 0, false);
        }
        let wanted = |key: &str, list: bool| {
            let pattern_ok = match filter {
                "k1*" => key.starts_with("k1"),
                "*[05]" => key.ends_with('0') || key.ends_with('5'),
                _ => true,
            };
            let type_ok = match type_filter {
                Some("string") => !list,
                Some(_) => list,
                None => true,
            };
            pattern_ok && type_ok
        };
        // Keys that must be returned: wanted, present and unchanged in type throughout.
        let mut throughout: BTreeSet<String> = run
            .model
            .iter()
            .filter(|(k, (list, _))| wanted(k, *list))
            .map(|(k, _)| k.clone())
            .collect();
        let mut returned = BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut done = false;
        let mut fresh = 100_000u32;
        let mut step = |run: &mut Run, cursor: &mut String, done: &mut bool| -> Result<(), TestCaseError> {
            if *done {
                return Ok(());
            }
            let mut args = vec!["SCAN".to_string(), cursor.clone()];
            if let Some(c) = count {
                args.extend(["COUNT".to_string(), c.to_string()]);
            }
            if !filter.is_empty() {
                args.extend(["MATCH".to_string(), filter.to_string()]);
            }
            if let Some(t) = type_filter {
                args.extend(["TYPE".to_string(), t.to_string()]);
            }
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            let (next, keys) = parse(run.exec(&words));
            for key in keys {
                let live = run.live(&key);
                prop_assert!(live.is_some(), "{} returned but not live", key);
                prop_assert!(wanted(&key, live == Some(true)), "{} does not pass the filters", key);
                returned.insert(key);
            }
            *done = next == "0";
            *cursor = next;
            Ok(())
        };
        for op in ops {
            match op {
                Op::Set { id, list } => {
                    let key = format!("k{id}");
                    if run.live(&key) != Some(list) {
                        throughout.remove(&key);
                    }
                    run.set(&key, list, false);
                }
                Op::SetPx(id) => {
                    let key = format!("k{id}");
                    throughout.remove(&key);
                    run.set(&key, false, true);
                }
                Op::Del(id) => {
                    let key = format!("k{id}");
                    throughout.remove(&key);
                    run.exec(&["DEL", &key]);
                    run.model.remove(&key);
                }
                Op::Grow(n) => {
                    for _ in 0..n {
                        let key = format!("k{fresh}");
                        run.set(&key, false, false);
                        fresh += 1;
                    }
                }
                Op::Advance => {
                    run.now += 2;
                    run.ks.set_clock(Clock::Fixed(run.now));
                }
                Op::Step => step(&mut run, &mut cursor, &mut done)?,
            }
        }
        while !done {
            step(&mut run, &mut cursor, &mut done)?;
        }
        let missed: Vec<_> = throughout.difference(&returned).collect();
        prop_assert!(missed.is_empty(), "missed {:?}", missed);
    }
}
