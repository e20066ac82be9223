//! The public API as a server uses it: execute, database admin, INFO numbers, expiry.

use std::time::Duration;

use bytes::Bytes;
use ferrodis_keyspace::{command_specs, lookup, Clock, ExpireBudget, Keyspace, Session};
use ferrodis_resp::{Frame, Protocol};

const T0: i64 = 1_700_000_000_000;

fn run(ks: &mut Keyspace, session: &mut Session, line: &str) -> Option<Frame> {
    let argv: Vec<Bytes> = line
        .split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    ks.execute(session, &argv)
}

fn keyspace() -> (Keyspace, Session) {
    let mut ks = Keyspace::new(16);
    ks.set_clock(Clock::Fixed(T0));
    (ks, Session::default())
}

#[test]
fn execute_runs_keyspace_commands_only() {
    let (mut ks, mut s) = keyspace();
    assert_eq!(run(&mut ks, &mut s, "SET k v"), Some(Frame::ok()));
    assert_eq!(
        run(&mut ks, &mut s, "get k"),
        Some(Frame::Bulk(Bytes::from_static(b"v")))
    );
    for other in ["PING", "HELLO 3", "CONFIG GET x", "INFO", "notacommand"] {
        assert_eq!(run(&mut ks, &mut s, other), None, "{other}");
    }
    assert_eq!(ks.execute(&mut s, &[]), None);
}

#[test]
fn at_least_one_database() {
    assert_eq!(Keyspace::new(0).databases(), 1);
    assert_eq!(Keyspace::new(16).databases(), 16);
}

#[test]
fn select_dbsize_and_flushes() {
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "MSET a 1 b 2");
    run(&mut ks, &mut s, "SELECT 3");
    assert_eq!(s.db, 3);
    run(&mut ks, &mut s, "SET c 3");
    assert_eq!((ks.dbsize(0), ks.dbsize(3), ks.dbsize(99)), (2, 1, 0));
    let dirty = ks.dirty();
    ks.flushdb(0);
    assert_eq!((ks.dbsize(0), ks.dbsize(3)), (0, 1));
    ks.flushall();
    assert_eq!(ks.dbsize(3), 0);
    assert_eq!(
        ks.dirty(),
        dirty,
        "the API flushes are not counted as changes"
    );
}

#[test]
fn db_info_counts_keys_and_expires() {
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "SET a 1 EX 100");
    run(&mut ks, &mut s, "SET b 1");
    run(&mut ks, &mut s, "RPUSH l x");
    run(&mut ks, &mut s, "PEXPIRE l 5000");
    let info = ks.db_info(0);
    assert_eq!((info.keys, info.expires), (3, 2));
    run(&mut ks, &mut s, "PERSIST a");
    assert_eq!(ks.db_info(0).expires, 1);
    assert_eq!(ks.db_info(42).keys, 0);
}

#[test]
fn stats_follow_redis_lookup_rules() {
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "SET a 1");
    run(&mut ks, &mut s, "GET a");
    run(&mut ks, &mut s, "GET nope");
    run(&mut ks, &mut s, "MGET a nope");
    run(&mut ks, &mut s, "INCR a"); // a write lookup: not counted
    let stats = ks.stats();
    assert_eq!((stats.keyspace_hits, stats.keyspace_misses), (2, 2));
    ks.reset_stats();
    assert_eq!(
        (ks.stats().keyspace_hits, ks.stats().keyspace_misses),
        (0, 0)
    );
}

#[test]
fn dirty_counts_each_change() {
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "MSET a 1 b 2 c 3");
    run(&mut ks, &mut s, "RPUSH l x y");
    run(&mut ks, &mut s, "DEL a b nope");
    run(&mut ks, &mut s, "GET c");
    run(&mut ks, &mut s, "SET c 3 XX");
    assert_eq!(ks.dirty(), 3 + 2 + 2 + 1);
}

#[test]
fn lazy_expiry_follows_the_clock() {
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "SET k v PX 1000");
    ks.set_clock(Clock::Fixed(T0 + 1000));
    assert_eq!(run(&mut ks, &mut s, "PTTL k"), Some(Frame::Integer(0)));
    ks.set_clock(Clock::Fixed(T0 + 1001));
    assert_eq!(run(&mut ks, &mut s, "EXISTS k"), Some(Frame::Integer(0)));
    assert_eq!(ks.stats().expired_keys, 1);
    assert_eq!(ks.dbsize(0), 0);
}

#[test]
fn custom_clock() {
    fn far_future() -> i64 {
        T0 + 10_000_000
    }
    let (mut ks, mut s) = keyspace();
    run(&mut ks, &mut s, "SET k v EX 10");
    ks.set_clock(Clock::Custom(far_future));
    assert_eq!(ks.now_ms(), far_future());
    assert_eq!(run(&mut ks, &mut s, "GET k"), Some(Frame::Null));
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let (mut ks, mut s) = keyspace();
    for db in [0, 7] {
        run(&mut ks, &mut s, &format!("SELECT {db}"));
        for i in 0..300 {
            run(&mut ks, &mut s, &format!("SET short:{i} v PX {}", 10 + i));
            run(&mut ks, &mut s, &format!("SET long:{i} v EX 3600"));
        }
    }
    // Nothing is due yet.
    assert_eq!(ks.active_expire_cycle(T0, ExpireBudget::Keys(100_000)), 0);
    // Every short key is due; the long ones never are.
    let later = T0 + 10_000;
    let mut expired = 0;
    for _ in 0..50 {
        expired += ks.active_expire_cycle(later, ExpireBudget::Time(Duration::from_millis(25)));
    }
    assert!(expired > 0);
    assert_eq!(ks.stats().expired_keys, expired as u64);
    assert_eq!(ks.dbsize(0) + ks.dbsize(7), 1200 - expired);
    assert!(
        ks.dbsize(0) >= 300 && ks.dbsize(7) >= 300,
        "long keys survive"
    );
    assert!(ks.db_info(0).avg_ttl > 0);
    // Whatever active expiry left behind is still hidden from readers.
    ks.set_clock(Clock::Fixed(later));
    run(&mut ks, &mut s, "SELECT 0");
    assert_eq!(run(&mut ks, &mut s, "GET short:0"), Some(Frame::Null));
    assert_eq!(
        run(&mut ks, &mut s, "GET long:0"),
        Some(Frame::Bulk(Bytes::from_static(b"v")))
    );
}

#[test]
fn command_table() {
    let specs = command_specs();
    assert!(specs.len() >= 50);
    let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), specs.len(), "names are unique");
    for spec in specs {
        assert_eq!(lookup(spec.name.to_uppercase().as_bytes()), Some(spec));
    }
    let get = lookup(b"get").copied();
    assert_eq!(
        get.map(|g| (g.arity, g.first_key, g.last_key, g.step)),
        Some((2, 1, 1, 1))
    );
    assert_eq!(
        get.map(|g| g.acl_categories),
        Some(&["@read", "@string", "@fast"][..])
    );
    assert_eq!(lookup(b"ping"), None);
}

#[test]
fn sessions_default_to_db_0_and_resp2() {
    let s = Session::default();
    assert_eq!((s.db, s.protocol), (0, Protocol::Resp2));
}
