//! Point-in-time snapshots (`Keyspace::begin_snapshot`) under concurrent writes, and
//! AOF-rewrite commands (`rewrite_commands`) that recreate every key.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferrodis_keyspace::{
    rewrite_commands, EntryView, ExpireBudget, Keyspace, PersistSink, Session, ValueView,
};
use proptest::prelude::*;

/// A key's content in a comparable form: type, elements (sorted where unordered)
/// and expiry.
fn canon(e: &EntryView<'_>) -> String {
    let body = match e.value {
        ValueView::String(s) => format!("string {:?}", s.to_vec()),
        ValueView::List(l) => {
            let mut v = Vec::new();
            l.for_each(|x| v.push(x.to_vec()));
            format!("list {v:?}")
        }
        ValueView::Set(s) => {
            let mut v = Vec::new();
            s.for_each(|x| v.push(x.to_vec()));
            v.sort();
            format!("set {v:?}")
        }
        ValueView::Hash(h) => {
            let mut v = Vec::new();
            h.for_each(|f, x| v.push((f.to_vec(), x.to_vec())));
            v.sort();
            format!("hash {v:?}")
        }
        ValueView::SortedSet(z) => {
            let mut v = Vec::new();
            z.for_each(|m, s| v.push((m.to_vec(), s)));
            format!("zset {v:?}")
        }
    };
    format!("{body} ttl {:?}", e.expire_at)
}

type State = BTreeMap<(usize, Vec<u8>), String>;

/// Records every key the snapshot hands over; a key seen twice is a bug.
#[derive(Default)]
struct Collect {
    keys: State,
    duplicates: Vec<(usize, Vec<u8>)>,
}

impl PersistSink for Collect {
    fn entry(&mut self, db: usize, entry: EntryView<'_>) {
        let k = (db, entry.key.to_vec());
        if self.keys.insert(k.clone(), canon(&entry)).is_some() {
            self.duplicates.push(k);
        }
    }
}

/// The whole keyspace as of now, read with commands (independently of snapshots),
/// in `canon`'s form.
fn state(ks: &mut Keyspace) -> State {
    use ferrodis_resp::Frame;
    let text = |f: &Frame| match f {
        Frame::Bulk(b) | Frame::Simple(b) => b.to_vec(),
        other => panic!("{other:?}"),
    };
    let items = |f: Frame| match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("{other:?}"),
    };
    let mut out = State::new();
    for db in 0..ks.databases() {
        let mut q = |args: &[&[u8]]| {
            let mut s = Session {
                db,
                ..Session::default()
            };
            let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            ks.execute(&mut s, &argv).unwrap()
        };
        for key in items(q(&[b"KEYS", b"*"])) {
            let key = text(&key);
            let body = match &text(&q(&[b"TYPE", &key]))[..] {
                b"string" => format!("string {:?}", text(&q(&[b"GET", &key]))),
                b"list" => {
                    let v: Vec<_> = items(q(&[b"LRANGE", &key, b"0", b"-1"]))
                        .iter()
                        .map(text)
                        .collect();
                    format!("list {v:?}")
                }
                b"set" => {
                    let mut v: Vec<_> = items(q(&[b"SMEMBERS", &key])).iter().map(text).collect();
                    v.sort();
                    format!("set {v:?}")
                }
                b"hash" => {
                    let Frame::Map(pairs) = q(&[b"HGETALL", &key]) else {
                        panic!()
                    };
                    let mut v: Vec<_> = pairs.iter().map(|(f, x)| (text(f), text(x))).collect();
                    v.sort();
                    format!("hash {v:?}")
                }
                b"zset" => {
                    let flat = items(q(&[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]));
                    let v: Vec<(Vec<u8>, f64)> = flat
                        .chunks(2)
                        .map(|p| match &p[1] {
                            Frame::Double(d) => (text(&p[0]), *d),
                            other => panic!("{other:?}"),
                        })
                        .collect();
                    format!("zset {v:?}")
                }
                other => panic!("{other:?}"),
            };
            let Frame::Integer(at) = q(&[b"PEXPIRETIME", &key]) else {
                panic!()
            };
            let ttl = (at >= 0).then_some(at);
            out.insert((db, key), format!("{body} ttl {ttl:?}"));
        }
    }
    out
}

fn run(ks: &mut Keyspace, db: usize, args: &[&[u8]]) {
    let mut s = Session {
        db,
        ..Session::default()
    };
    let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    ks.execute(&mut s, &argv).unwrap();
}

fn fill(ks: &mut Keyspace, n: usize) {
    for i in 0..n {
        let k = format!("k{i}");
        let db = i % 3;
        match i % 5 {
            0 => run(ks, db, &[b"SET", k.as_bytes(), format!("v{i}").as_bytes()]),
            1 => run(ks, db, &[b"RPUSH", k.as_bytes(), b"a", b"2", b"c"]),
            2 => run(ks, db, &[b"SADD", k.as_bytes(), b"1", b"x", b"y"]),
            3 => run(ks, db, &[b"HSET", k.as_bytes(), b"f", b"v", b"g", b"1"]),
            _ => run(ks, db, &[b"ZADD", k.as_bytes(), b"1.5", b"m", b"-2", b"n"]),
        }
        if i % 7 == 0 {
            run(ks, db, &[b"PEXPIREAT", k.as_bytes(), b"99999999999999"]);
        } else if i % 11 == 0 {
            // Live now, gone for the active cycle `Write::Expire` runs in 2065.
            run(ks, db, &[b"PEXPIREAT", k.as_bytes(), b"2000000000000"]);
        }
    }
}

#[derive(Debug, Clone)]
enum Write {
    Set(u16),
    Del(u16),
    Push(u16),
    Insert(u16),
    Flush(u8),
    Swap(u8, u8),
    Move(u16),
    Expire,
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        4 => (0u16..3000).prop_map(Write::Set),
        4 => (0u16..3000).prop_map(Write::Del),
        4 => (0u16..3000).prop_map(Write::Push),
        4 => (0u16..u16::MAX).prop_map(Write::Insert),
        1 => (0u8..3).prop_map(Write::Flush),
        1 => (0u8..3, 0u8..3).prop_map(|(a, b)| Write::Swap(a, b)),
        4 => (0u16..3000).prop_map(Write::Move),
        1 => Just(Write::Expire),
    ]
}

fn apply(ks: &mut Keyspace, w: &Write) {
    let key = |i: &u16| format!("k{i}").into_bytes();
    let db = |i: &u16| usize::from(*i) % 3;
    match w {
        Write::Set(i) => run(ks, db(i), &[b"SET", &key(i), b"changed"]),
        Write::Del(i) => run(ks, db(i), &[b"DEL", &key(i)]),
        Write::Push(i) => run(ks, db(i), &[b"LPUSH", &key(i), b"new"]),
        Write::Insert(i) => {
            // Many fresh keys: segments split while the snapshot walks.
            for j in 0..20u32 {
                let k = format!("new{i}-{j}");
                run(ks, 0, &[b"SET", k.as_bytes(), b"x"]);
            }
        }
        Write::Flush(d) => run(ks, usize::from(*d), &[b"FLUSHDB"]),
        Write::Swap(a, b) => run(
            ks,
            0,
            &[
                b"SWAPDB",
                a.to_string().as_bytes(),
                b.to_string().as_bytes(),
            ],
        ),
        Write::Expire => {
            ks.active_expire_cycle(3_000_000_000_000, ExpireBudget::Keys(40));
        }
        Write::Move(i) => run(
            ks,
            db(i),
            &[b"MOVE", &key(i), ((db(i) + 1) % 3).to_string().as_bytes()],
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Writes between snapshot steps never show in the snapshot, and every key
    /// present at the start is handed over exactly once, as it was.
    #[test]
    fn a_snapshot_holds_exactly_the_state_at_its_start(
        writes in prop::collection::vec((write(), 0usize..4), 1..60)
    ) {
        let mut ks = Keyspace::new(3);
        fill(&mut ks, 3000);
        let before = state(&mut ks);
        let sink = Arc::new(Mutex::new(Collect::default()));
        prop_assert!(ks.begin_snapshot(sink.clone()));
        prop_assert!(!ks.begin_snapshot(Arc::new(Mutex::new(Collect::default()))));
        let mut done = false;
        for (w, steps) in &writes {
            apply(&mut ks, w);
            done = ks.snapshot_step(*steps);
        }
        while !done {
            done = ks.snapshot_step(1);
        }
        ks.end_snapshot();
        let got = std::mem::take(&mut *sink.lock().unwrap());
        prop_assert!(got.duplicates.is_empty(), "{:?}", &got.duplicates[..got.duplicates.len().min(5)]);
        prop_assert_eq!(got.keys.len(), before.len());
        prop_assert!(got.keys == before, "snapshot differs from the state at its start");
    }
}

/// Replaying the rewrite commands of every key into an empty keyspace recreates
/// it, for small and large encodings of every type.
#[test]
fn rewrite_commands_recreate_every_key() {
    let mut ks = Keyspace::new(4);
    fill(&mut ks, 500);
    // Large encodings and batches of 64 and more.
    for i in 0..200u32 {
        let n = i.to_string();
        let long = "x".repeat(100) + &n;
        run(
            &mut ks,
            3,
            &[b"RPUSH", b"biglist", n.as_bytes(), long.as_bytes()],
        );
        run(&mut ks, 3, &[b"SADD", b"bigset", long.as_bytes()]);
        run(&mut ks, 3, &[b"SADD", b"intset", n.as_bytes()]);
        run(
            &mut ks,
            3,
            &[b"HSET", b"bighash", n.as_bytes(), long.as_bytes()],
        );
        let score = format!("{}", f64::from(i) / 3.0);
        run(
            &mut ks,
            3,
            &[b"ZADD", b"bigzset", score.as_bytes(), long.as_bytes()],
        );
    }
    run(
        &mut ks,
        3,
        &[b"ZADD", b"inf", b"inf", b"a", b"-inf", b"b", b"0.1", b"c"],
    );
    run(&mut ks, 3, &[b"SET", b"int", b"-9223372036854775808"]);
    let before = state(&mut ks);

    struct Replay(Vec<(usize, Vec<Vec<u8>>)>);
    impl PersistSink for Replay {
        fn entry(&mut self, db: usize, entry: EntryView<'_>) {
            rewrite_commands(&entry, |argv| {
                assert!(argv.len() <= 2 + 2 * 64, "at most 64 items per command");
                self.0.push((db, argv.iter().map(|a| a.to_vec()).collect()));
            });
        }
    }
    let sink = Arc::new(Mutex::new(Replay(Vec::new())));
    ks.begin_snapshot(sink.clone());
    while !ks.snapshot_step(16) {}
    ks.end_snapshot();
    let commands = std::mem::take(&mut sink.lock().unwrap().0);
    assert!(commands.iter().any(|(_, c)| c[0] == b"HMSET"));
    assert!(commands.iter().any(|(_, c)| c[0] == b"PEXPIREAT"));
    let mut fresh = Keyspace::new(4);
    for (db, argv) in &commands {
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        run(&mut fresh, *db, &args);
    }
    assert_eq!(state(&mut fresh), before);
}
