//! Effects for propagation and WATCH touches, through the public API.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_keyspace::{Clock, Effect, Keyspace, Session};
use ferrodis_resp::Frame;

fn run(ks: &mut Keyspace, s: &mut Session, args: &[&str]) -> Frame {
    let argv: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    ks.execute(s, &argv).unwrap()
}

fn effect(db: usize, args: &[&str]) -> Effect {
    Effect {
        db,
        argv: args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
    }
}

#[test]
fn writes_are_recorded_in_order_only_when_they_change_data() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, &["SET", "a", "1"]);
    assert!(
        ks.take_effects().is_empty(),
        "propagation is off by default"
    );

    ks.set_propagation(true);
    run(&mut ks, &mut s, &["SET", "a", "2"]);
    run(&mut ks, &mut s, &["SET", "a", "3", "NX"]); // no change: not propagated
    run(&mut ks, &mut s, &["GET", "a"]); // a read: not propagated
    run(&mut ks, &mut s, &["SELECT", "2"]);
    run(&mut ks, &mut s, &["RPUSH", "l", "x", "y"]);
    run(&mut ks, &mut s, &["INCR", "l"]); // WRONGTYPE: not propagated
    assert_eq!(
        ks.take_effects(),
        [
            effect(0, &["SET", "a", "2"]),
            effect(2, &["RPUSH", "l", "x", "y"])
        ]
    );
    assert!(ks.take_effects().is_empty(), "taken once");
}

#[test]
fn a_key_expired_on_access_is_propagated_as_del_first() {
    let mut ks = Keyspace::new(16);
    ks.set_clock(Clock::Fixed(1_000));
    let mut s = Session::default();
    ks.set_propagation(true);
    run(&mut ks, &mut s, &["SET", "k", "v", "PX", "10"]);
    ks.take_effects();
    ks.set_clock(Clock::Fixed(2_000));
    assert_eq!(run(&mut ks, &mut s, &["GET", "k"]), Frame::Null);
    run(&mut ks, &mut s, &["SET", "k", "w"]);
    assert_eq!(
        ks.take_effects(),
        [effect(0, &["DEL", "k"]), effect(0, &["SET", "k", "w"])]
    );
}

#[test]
fn watch_sees_writes_deletes_flushes_and_expiry() {
    let mut ks = Keyspace::new(16);
    ks.set_clock(Clock::Fixed(1_000));
    let mut s = Session::default();
    run(&mut ks, &mut s, &["SET", "w", "1"]);
    let token = ks.watch(1, 0, b"w");
    run(&mut ks, &mut s, &["SET", "other", "1"]);
    run(&mut ks, &mut s, &["SET", "w", "1", "NX"]);
    assert!(ks.watch_intact(&token), "no write to w yet");
    run(&mut ks, &mut s, &["APPEND", "w", "x"]);
    assert!(!ks.watch_intact(&token), "APPEND wrote w");

    ks.unwatch_all(1);
    let token = ks.watch(1, 0, b"w");
    run(&mut ks, &mut s, &["DEL", "w", "zz"]);
    assert!(!ks.watch_intact(&token));

    let token = ks.watch(2, 0, b"missing");
    run(&mut ks, &mut s, &["SELECT", "3"]);
    run(&mut ks, &mut s, &["FLUSHDB"]);
    assert!(ks.watch_intact(&token), "another database was flushed");
    run(&mut ks, &mut s, &["FLUSHALL"]);
    assert!(!ks.watch_intact(&token));

    run(&mut ks, &mut s, &["SELECT", "0"]);
    run(&mut ks, &mut s, &["SET", "t", "v", "PX", "100"]);
    let token = ks.watch(3, 0, b"t");
    assert!(ks.watch_intact(&token));
    ks.set_clock(Clock::Fixed(5_000));
    assert!(!ks.watch_intact(&token), "expired since WATCH");
}

/// Commands whose effect depends on the time they run, or on float formatting, are
/// propagated in Redis 7.0's deterministic forms.
#[test]
fn time_and_float_dependent_writes_are_rewritten_like_redis() {
    let mut ks = Keyspace::new(16);
    ks.set_clock(Clock::Fixed(1_000_000));
    let mut s = Session::default();
    ks.set_propagation(true);
    let cases: &[(&[&str], &[&[&str]])] = &[
        (
            &["SET", "k", "v", "EX", "10", "NX"],
            &[&["SET", "k", "v", "PXAT", "1010000"]],
        ),
        (
            &["SET", "k", "v", "PXAT", "2000000"],
            &[&["SET", "k", "v", "PXAT", "2000000"]],
        ),
        (
            &["SETEX", "k", "5", "w"],
            &[&["SET", "k", "w", "PXAT", "1005000"]],
        ),
        (
            &["PSETEX", "k", "5", "w"],
            &[&["SET", "k", "w", "PXAT", "1000005"]],
        ),
        (
            &["EXPIRE", "k", "100", "GT"],
            &[&["PEXPIREAT", "k", "1100000", "GT"]],
        ),
        (
            &["PEXPIRE", "k", "200000"],
            &[&["PEXPIREAT", "k", "1200000"]],
        ),
        (
            &["GETEX", "k", "EX", "1"],
            &[&["PEXPIREAT", "k", "1001000"]],
        ),
        (&["GETEX", "k", "PERSIST"], &[&["PERSIST", "k"]]),
        (
            &["INCRBYFLOAT", "f", "1.5"],
            &[&["SET", "f", "1.5", "KEEPTTL"]],
        ),
        (
            &["HINCRBYFLOAT", "h", "x", "0.25"],
            &[&["HSET", "h", "x", "0.25"]],
        ),
        (&["GETDEL", "f"], &[&["DEL", "f"]]),
        (&["EXPIREAT", "k", "1"], &[&["DEL", "k"]]),
    ];
    for (command, expected) in cases {
        run(&mut ks, &mut s, command);
        let want: Vec<Effect> = expected.iter().map(|e| effect(0, e)).collect();
        assert_eq!(ks.take_effects(), want, "{command:?}");
    }
}

/// SPOP's random choice reaches replicas as SREM of the members it replied with, and
/// popping the whole set as DEL.
#[test]
fn spop_is_propagated_as_the_removal_it_made() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    ks.set_propagation(true);
    run(&mut ks, &mut s, &["SADD", "s", "a", "b", "c", "d", "e"]);
    ks.take_effects();
    let Frame::Bulk(one) = run(&mut ks, &mut s, &["SPOP", "s"]) else {
        panic!("a member")
    };
    let one = String::from_utf8(one.to_vec()).unwrap();
    assert_eq!(ks.take_effects(), [effect(0, &["SREM", "s", &one])]);
    // One SREM per member, as redis-server 7.0 writes to its AOF.
    let Frame::Set(two) = run(&mut ks, &mut s, &["SPOP", "s", "2"]) else {
        panic!("a set")
    };
    let mut want = vec![effect(0, &["MULTI"])];
    want.extend(two.iter().map(|f| match f {
        Frame::Bulk(b) => effect(0, &["SREM", "s", std::str::from_utf8(b).unwrap()]),
        other => panic!("{other:?}"),
    }));
    want.push(effect(0, &["EXEC"]));
    assert_eq!(ks.take_effects(), want);
    run(&mut ks, &mut s, &["SPOP", "s", "10"]);
    assert_eq!(ks.take_effects(), [effect(0, &["DEL", "s"])]);
}

/// A command or transaction with more than one effect is one atomic unit, wrapped in
/// MULTI/EXEC with lazy-expiry DELs in place — what redis-server 7.0's AOF holds for
/// the same commands (active expiry off, so the keys expire lazily).
#[test]
fn units_of_several_effects_are_wrapped_in_multi_exec() {
    let mut ks = Keyspace::new(16);
    ks.set_clock(Clock::Fixed(1_000));
    let mut s = Session::default();
    ks.set_propagation(true);
    for k in ["x", "y", "u", "t"] {
        run(&mut ks, &mut s, &["SET", k, "1", "PX", "1"]);
    }
    ks.take_effects();
    ks.set_clock(Clock::Fixed(2_000));

    // One command: the DEL of the expired key it found, then its own write.
    run(&mut ks, &mut s, &["SET", "x", "2"]);
    assert_eq!(
        ks.take_effects(),
        [
            effect(0, &["MULTI"]),
            effect(0, &["DEL", "x"]),
            effect(0, &["SET", "x", "2"]),
            effect(0, &["EXEC"]),
        ]
    );

    // A transaction of two writes with an expiry in between.
    ks.begin_transaction();
    run(&mut ks, &mut s, &["SET", "a", "1"]);
    run(&mut ks, &mut s, &["GET", "y"]);
    run(&mut ks, &mut s, &["SET", "b", "1"]);
    ks.end_transaction();
    assert_eq!(
        ks.take_effects(),
        [
            effect(0, &["MULTI"]),
            effect(0, &["SET", "a", "1"]),
            effect(0, &["DEL", "y"]),
            effect(0, &["SET", "b", "1"]),
            effect(0, &["EXEC"]),
        ]
    );

    // One effect, from a transaction or a command: atomic already.
    ks.begin_transaction();
    run(&mut ks, &mut s, &["GET", "u"]);
    run(&mut ks, &mut s, &["GET", "a"]);
    ks.end_transaction();
    assert_eq!(ks.take_effects(), [effect(0, &["DEL", "u"])]);
    ks.begin_transaction();
    run(&mut ks, &mut s, &["GET", "a"]);
    ks.end_transaction();
    assert!(ks.take_effects().is_empty(), "a read-only transaction");
    run(&mut ks, &mut s, &["MGET", "t", "a"]);
    assert_eq!(ks.take_effects(), [effect(0, &["DEL", "t"])]);

    // A transaction across databases: MULTI and EXEC sit next to their neighbours'
    // databases, so a writer emits SELECT only where the commands need it.
    ks.begin_transaction();
    run(&mut ks, &mut s, &["SET", "a", "2"]);
    run(&mut ks, &mut s, &["SELECT", "3"]);
    run(&mut ks, &mut s, &["SET", "a", "3"]);
    ks.end_transaction();
    assert_eq!(
        ks.take_effects(),
        [
            effect(0, &["MULTI"]),
            effect(0, &["SET", "a", "2"]),
            effect(3, &["SET", "a", "3"]),
            effect(3, &["EXEC"]),
        ]
    );
}
