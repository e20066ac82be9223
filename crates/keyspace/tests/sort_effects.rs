//! What SORT propagates and touches for WATCH: as redis-server 7.0's AOF shows,
//! SORT ... STORE is propagated as sent (the elements are deterministic: a set
//! stored BY a constant is sorted ALPHA first), and only when it changed data.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_keyspace::{Effect, Keyspace, Session};
use ferrodis_resp::Frame;

fn run(ks: &mut Keyspace, s: &mut Session, args: &[&str]) -> Frame {
    let argv: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    ks.execute(s, &argv).unwrap()
}

fn effect(args: &[&str]) -> Effect {
    Effect {
        db: 0,
        argv: args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
    }
}

#[test]
fn sort_store_is_propagated_as_sent_when_it_writes() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, &["RPUSH", "l", "3", "1", "2"]);
    run(&mut ks, &mut s, &["SADD", "s", "b", "a"]);
    ks.set_propagation(true);
    for cmd in [
        &["SORT", "l"][..],
        &["SORT_RO", "l", "ALPHA"],
        &["SORT", "l", "LIMIT", "0", "0", "STORE", "none"],
        &["SORT", "nokey", "STORE", "none"],
    ] {
        run(&mut ks, &mut s, cmd);
    }
    assert!(ks.take_effects().is_empty(), "nothing was written");
    let writes: [&[&str]; 3] = [
        &["SORT", "l", "STORE", "d1"],
        &["SORT", "s", "BY", "nosort", "STORE", "d2"],
        &["SORT", "nokey", "STORE", "d1"],
    ];
    for cmd in writes {
        run(&mut ks, &mut s, cmd);
    }
    assert_eq!(
        ks.take_effects(),
        writes.iter().map(|c| effect(c)).collect::<Vec<_>>()
    );
}

#[test]
fn sort_store_touches_only_its_destination() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, &["RPUSH", "src", "3", "1", "2"]);
    run(&mut ks, &mut s, &["SET", "d", "old"]);
    let on_src = ks.watch(1, 0, b"src");
    let on_dst = ks.watch(2, 0, b"d");
    run(&mut ks, &mut s, &["SORT", "src", "STORE", "d"]);
    assert!(ks.watch_intact(&on_src), "the source is only read");
    assert!(!ks.watch_intact(&on_dst));
    let on_dst = ks.watch(3, 0, b"d");
    run(&mut ks, &mut s, &["SORT", "nokey", "STORE", "d"]);
    assert!(!ks.watch_intact(&on_dst), "deleted");
}
