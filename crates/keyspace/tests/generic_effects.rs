//! WATCH touches and propagated effects of the generic key commands and the list
//! commands whose keys are not where their key positions say (MOVE, COPY ... DB,
//! SWAPDB, LMPOP), through the public API.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_keyspace::{Effect, Keyspace, Session};
use ferrodis_resp::Frame;

fn run(ks: &mut Keyspace, s: &mut Session, line: &str) -> Frame {
    let argv: Vec<Bytes> = line
        .split(' ')
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    ks.execute(s, &argv).unwrap()
}

fn effect(db: usize, line: &str) -> Effect {
    Effect {
        db,
        argv: line
            .split(' ')
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
    }
}

#[test]
fn move_touches_the_key_in_both_databases() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, "SET k v");
    let here = ks.watch(1, 0, b"k");
    let there = ks.watch(1, 5, b"k");
    let other = ks.watch(1, 5, b"j");
    assert_eq!(run(&mut ks, &mut s, "MOVE k 5"), Frame::Integer(1));
    assert!(!ks.watch_intact(&here));
    assert!(!ks.watch_intact(&there));
    assert!(ks.watch_intact(&other));
}

#[test]
fn copy_touches_its_destination_only() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, "SET src v");
    let source = ks.watch(1, 0, b"src");
    let same_db = ks.watch(1, 0, b"dst");
    let other_db = ks.watch(1, 3, b"dst");
    assert_eq!(run(&mut ks, &mut s, "COPY src dst DB 3"), Frame::Integer(1));
    assert!(ks.watch_intact(&source), "the source is only read");
    assert!(ks.watch_intact(&same_db), "the copy went to db 3");
    assert!(!ks.watch_intact(&other_db));
    assert_eq!(run(&mut ks, &mut s, "COPY src dst"), Frame::Integer(1));
    assert!(!ks.watch_intact(&same_db));
}

#[test]
fn swapdb_touches_both_databases() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    let a = ks.watch(1, 0, b"x");
    let b = ks.watch(1, 1, b"y");
    let c = ks.watch(1, 2, b"z");
    assert_eq!(run(&mut ks, &mut s, "SWAPDB 0 1"), Frame::ok());
    assert!(!ks.watch_intact(&a));
    assert!(!ks.watch_intact(&b));
    assert!(ks.watch_intact(&c));
}

#[test]
fn renames_and_list_moves_touch_both_keys() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, "RPUSH a 1 2");
    for line in [
        "RENAME a b",
        "RENAMENX b a",
        "LMOVE a b LEFT RIGHT",
        "RPOPLPUSH b a",
    ] {
        let (src, dst) = {
            let words: Vec<&str> = line.split(' ').collect();
            (words[1].to_string(), words[2].to_string())
        };
        let w1 = ks.watch(1, 0, src.as_bytes());
        let w2 = ks.watch(1, 0, dst.as_bytes());
        run(&mut ks, &mut s, line);
        assert!(!ks.watch_intact(&w1), "{line}: source");
        assert!(!ks.watch_intact(&w2), "{line}: destination");
        ks.unwatch_all(1);
    }
}

#[test]
fn ltrim_touches_even_when_it_removes_nothing() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    run(&mut ks, &mut s, "RPUSH l a b");
    let w = ks.watch(1, 0, b"l");
    run(&mut ks, &mut s, "LTRIM l 0 -1");
    assert!(!ks.watch_intact(&w));
    ks.unwatch_all(1);
    let w = ks.watch(1, 0, b"l");
    assert_eq!(run(&mut ks, &mut s, "LREM l 0 zz"), Frame::Integer(0));
    assert_eq!(
        run(&mut ks, &mut s, "LINSERT l BEFORE zz x"),
        Frame::Integer(-1)
    );
    assert!(ks.watch_intact(&w), "no change, no touch");
}

#[test]
fn effects_of_generic_and_list_commands() {
    let mut ks = Keyspace::new(16);
    let mut s = Session::default();
    ks.set_propagation(true);
    run(&mut ks, &mut s, "RPUSH l a b c");
    run(&mut ks, &mut s, "LMPOP 2 nokey l RIGHT COUNT 5");
    run(&mut ks, &mut s, "LMPOP 1 nokey LEFT");
    run(&mut ks, &mut s, "SET k v");
    run(&mut ks, &mut s, "MOVE k 2");
    run(&mut ks, &mut s, "MOVE k 2");
    run(&mut ks, &mut s, "SWAPDB 0 2");
    run(&mut ks, &mut s, "COPY k c DB 1");
    run(&mut ks, &mut s, "RENAME k r");
    run(&mut ks, &mut s, "OBJECT ENCODING r");
    assert_eq!(
        ks.take_effects(),
        [
            effect(0, "RPUSH l a b c"),
            effect(0, "RPOP l 3"),
            effect(0, "SET k v"),
            effect(0, "MOVE k 2"),
            effect(0, "SWAPDB 0 2"),
            effect(0, "COPY k c DB 1"),
            effect(0, "RENAME k r"),
        ]
    );
}
