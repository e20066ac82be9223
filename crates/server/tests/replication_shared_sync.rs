//! Replicas that need a full sync at about the same time share one snapshot pass,
//! as Redis 7.0 shares one child: diskless replicas arriving within
//! `repl-diskless-sync-delay` (or until `repl-diskless-sync-max-replicas` wait)
//! get one transfer; disk-based replicas arriving while a BGSAVE for replication
//! runs attach to it. INFO `total_forks` counts the passes.

#![allow(clippy::unwrap_used)]

mod common;
mod replication_support;

use common::{Client, Ferrodis, RealRedis, TempDir};
use ferrodis_resp::Frame;
use replication_support::*;

/// A replica not yet replicating: real redis-server or ferrodis.
enum Replica {
    Redis(RealRedis),
    Ferrodis(Ferrodis),
}

impl Replica {
    fn client(&self) -> Client {
        match self {
            Replica::Redis(r) => r.client(),
            Replica::Ferrodis(f) => f.client(),
        }
    }
}

/// Three redis-server replicas and one ferrodis replica, all masters for now.
fn replicas() -> Vec<Replica> {
    let mut all: Vec<Replica> = (0..3)
        .map(|_| Replica::Redis(RealRedis::start(&[])))
        .collect();
    all.push(Replica::Ferrodis(Ferrodis::start(&[])));
    all
}

fn replicaof(r: &Replica, master: &Ferrodis) {
    let port = master.addr.port().to_string();
    assert_eq!(
        r.client().cmd(&["REPLICAOF", "127.0.0.1", &port]),
        Frame::ok()
    );
}

/// Keys in database 5, written in big MSETs: enough for `rdb-key-save-delay` to
/// make a snapshot pass last a while.
fn filler(m: &mut Client, keys: usize) {
    m.cmd(&["SELECT", "5"]);
    for chunk in 0..keys / 1000 {
        let words: Vec<String> = (0..1000)
            .flat_map(|i| {
                let n = chunk * 1000 + i;
                [format!("fill:{n}"), n.to_string()]
            })
            .collect();
        let mut argv = vec!["MSET"];
        argv.extend(words.iter().map(String::as_str));
        assert_eq!(m.cmd(&argv), Frame::ok());
    }
    m.cmd(&["SELECT", "0"]);
}

/// The replicas have the filler, then (dropped by the master through the stream,
/// which checks the stream too) everything key by key.
fn check_same(m: &mut Client, all: &[Replica], filler_keys: i64) {
    for r in all {
        wait_caught_up(m, &mut r.client());
        let mut c = r.client();
        c.cmd(&["SELECT", "5"]);
        assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(filler_keys));
    }
    m.cmd(&["SELECT", "5"]);
    m.cmd(&["FLUSHDB"]);
    m.cmd(&["SELECT", "0"]);
    let expected = dump(m);
    for (i, r) in all.iter().enumerate() {
        let mut c = r.client();
        wait_caught_up(m, &mut c);
        assert_eq!(dump(&mut c), expected, "replica {i}");
    }
}

/// Writes while the replicas sync.
fn writer(master: &Ferrodis, seed: u64) -> std::thread::JoinHandle<()> {
    let addr = master.addr;
    std::thread::spawn(move || write_load(&mut Client::connect(addr), seed, 1500))
}

#[test]
fn diskless_replicas_arriving_within_the_delay_share_one_transfer() {
    let dir = TempDir::new("shared-diskless");
    let master = Ferrodis::start(&[
        "--dir",
        dir.path.to_str().unwrap(),
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "2",
    ]);
    let mut m = master.client();
    populate(&mut m);
    let all = replicas();
    let load = writer(&master, 21);
    for r in &all {
        replicaof(r, &master);
    }
    load.join().unwrap();
    check_same(&mut m, &all, 0);
    assert_eq!(info_int(&mut m, "stats", "total_forks"), 1, "one transfer");
    assert_eq!(info_int(&mut m, "stats", "sync_full"), 4);
    assert_eq!(info_int(&mut m, "persistence", "rdb_saves"), 0, "no file");
    assert_eq!(info_int(&mut m, "replication", "connected_slaves"), 4);
}

#[test]
fn max_replicas_starts_the_diskless_transfer_before_the_delay() {
    let master = Ferrodis::start(&["--repl-diskless-sync-delay", "60"]);
    let mut m = master.client();
    assert_eq!(
        m.cmd(&["CONFIG", "SET", "repl-diskless-sync-max-replicas", "4"]),
        Frame::ok()
    );
    assert_eq!(
        m.cmd(&["CONFIG", "GET", "repl-diskless-sync-max-replicas"]),
        Frame::Array(vec![
            Frame::bulk("repl-diskless-sync-max-replicas"),
            Frame::bulk("4")
        ])
    );
    populate(&mut m);
    let all = replicas();
    for r in &all {
        replicaof(r, &master);
    }
    // Far sooner than the 60 s delay (wait_caught_up gives up after 20 s).
    check_same(&mut m, &all, 0);
    assert_eq!(info_int(&mut m, "stats", "total_forks"), 1);
}

#[test]
fn disk_based_replicas_arriving_during_the_save_attach_to_it() {
    let dir = TempDir::new("shared-disk");
    let master = Ferrodis::start(&[
        "--dir",
        dir.path.to_str().unwrap(),
        "--repl-diskless-sync",
        "no",
    ]);
    let mut m = master.client();
    populate(&mut m);
    filler(&mut m, 30_000);
    // About 3 s for the save, walked in several steps.
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100"]);
    let all = replicas();
    replicaof(&all[0], &master);
    wait_until("the BGSAVE for the first replica", || {
        info_int(&mut m, "persistence", "rdb_bgsave_in_progress") == 1
    });
    let load = writer(&master, 22);
    for r in &all[1..] {
        replicaof(r, &master);
    }
    wait_until("every replica waiting for that BGSAVE", || {
        info_int(&mut m, "stats", "sync_full") == 4
    });
    assert_eq!(
        info_int(&mut m, "persistence", "rdb_bgsave_in_progress"),
        1,
        "the save outlasts the arrivals (make it longer if not)"
    );
    load.join().unwrap();
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    check_same(&mut m, &all, 30_000);
    assert_eq!(info_int(&mut m, "persistence", "rdb_saves"), 1, "one file");
    assert_eq!(info_int(&mut m, "stats", "total_forks"), 1);
    assert!(dir.path.join("dump.rdb").exists());
}

#[test]
fn a_replica_arriving_during_a_diskless_transfer_waits_for_the_next() {
    let master = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.client();
    populate(&mut m);
    filler(&mut m, 30_000);
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100"]);
    let all: Vec<Replica> = (0..2)
        .map(|_| Replica::Redis(RealRedis::start(&[])))
        .collect();
    replicaof(&all[0], &master);
    wait_until("the first transfer", || {
        info_int(&mut m, "stats", "total_forks") == 1
    });
    replicaof(&all[1], &master);
    wait_until("the second replica waiting", || {
        info_int(&mut m, "stats", "sync_full") == 2
    });
    assert_eq!(
        info_int(&mut m, "stats", "total_forks"),
        1,
        "still the first transfer (make it longer if not)"
    );
    // A diskless transfer is Redis's RDB child as well.
    assert_eq!(info_int(&mut m, "persistence", "rdb_bgsave_in_progress"), 1);
    assert_eq!(
        m.cmd(&["BGSAVE"]),
        Frame::error("ERR Background save already in progress")
    );
    m.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    check_same(&mut m, &all, 30_000);
    assert_eq!(info_int(&mut m, "stats", "total_forks"), 2);
    wait_until("the transfer's end", || {
        info_int(&mut m, "persistence", "rdb_bgsave_in_progress") == 0
    });
}
