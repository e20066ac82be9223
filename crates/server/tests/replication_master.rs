//! ferrodis as a master: real redis-server 7.0 replicas (full sync from the
//! fork-free snapshot, diskless and disk-based, the stream, partial resync),
//! chains, failover with PSYNC2, WAIT and min-replicas.

#![allow(clippy::unwrap_used)]

mod common;
mod replication_support;

use common::{text, Ferrodis, RealRedis, TempDir};
use ferrodis_resp::Frame;
use replication_support::*;

/// A master whose disk-based syncs (replicas without `capa eof`, or
/// `repl-diskless-sync no`) write their BGSAVE file in a directory of its own.
fn master_in_temp_dir(args: &[&str]) -> (Ferrodis, TempDir) {
    let dir = TempDir::new("repl-master");
    let mut all = vec!["--dir", dir.path.to_str().unwrap()];
    all.extend_from_slice(args);
    (Ferrodis::start(&all), dir)
}

fn redis_replica_of(port: u16, extra: &[&str]) -> RealRedis {
    let port = port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", &port];
    args.extend_from_slice(extra);
    RealRedis::start(&args)
}

#[test]
fn redis_replica_of_a_ferrodis_master() {
    for diskless in ["yes", "no"] {
        let (ferrodis, _dir) = master_in_temp_dir(&[
            "--repl-diskless-sync",
            diskless,
            "--repl-diskless-sync-delay",
            "0",
        ]);
        let mut m = ferrodis.client();
        populate(&mut m);
        let redis = redis_replica_of(ferrodis.addr.port(), &[]);
        let mut r = redis.client();
        wait_caught_up(&mut m, &mut r);
        assert_eq!(dump(&mut r), dump(&mut m), "full sync, diskless {diskless}");
        write_load(&mut m, 3, 2000);
        wait_caught_up(&mut m, &mut r);
        assert_eq!(dump(&mut r), dump(&mut m), "stream, diskless {diskless}");
        assert_eq!(info_int(&mut m, "stats", "sync_full"), 1);
        let slave0 = info_field(&mut m, "replication", "slave0");
        assert!(
            slave0.contains(&format!("port={},state=online", redis.addr.port())),
            "{slave0}"
        );
        let Frame::Array(role) = m.cmd(&["ROLE"]) else {
            panic!()
        };
        assert_eq!(text(&role[0]), "master");
    }
}

#[test]
fn partial_resync_of_a_redis_replica() {
    let ferrodis = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = ferrodis.client();
    populate(&mut m);
    let redis = redis_replica_of(ferrodis.addr.port(), &[]);
    let mut r = redis.client();
    wait_caught_up(&mut m, &mut r);
    for (round, side) in ["replica", "master"].iter().enumerate() {
        let addr = ferrodis.addr;
        let writer = std::thread::spawn(move || {
            let mut c = common::Client::connect(addr);
            write_load(&mut c, 50 + round as u64, 1500);
        });
        let ok = info_int(&mut m, "stats", "sync_partial_ok");
        let killed = if *side == "replica" {
            m.cmd(&["CLIENT", "KILL", "TYPE", "replica"])
        } else {
            r.cmd(&["CLIENT", "KILL", "TYPE", "master"])
        };
        assert_eq!(killed, Frame::Integer(1));
        wait_until("a partial resync", || {
            info_int(&mut m, "stats", "sync_partial_ok") > ok
        });
        writer.join().unwrap();
        wait_caught_up(&mut m, &mut r);
        assert_eq!(dump(&mut r), dump(&mut m), "round {round}");
    }
    assert_eq!(info_int(&mut m, "stats", "sync_full"), 1);
}

#[test]
fn chain_and_failover_with_psync2() {
    // ferrodis M → ferrodis A → redis C (chained), and redis B replica of M.
    let master = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.client();
    populate(&mut m);
    let mport = master.addr.port().to_string();
    let a = Ferrodis::start(&[
        "--replicaof",
        "127.0.0.1",
        &mport,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut ac = a.client();
    wait_caught_up(&mut m, &mut ac);
    let c = redis_replica_of(a.addr.port(), &[]);
    let mut cc = c.client();
    let b = redis_replica_of(master.addr.port(), &[]);
    let mut bc = b.client();
    write_load(&mut m, 11, 1000);
    wait_caught_up(&mut m, &mut ac);
    wait_caught_up(&mut m, &mut bc);
    wait_caught_up(&mut ac, &mut cc);
    let expected = dump(&mut m);
    for (name, cl) in [("A", &mut ac), ("B", &mut bc), ("C", &mut cc)] {
        assert_eq!(dump(cl), expected, "{name}");
    }
    // Same history id and offsets down the chain.
    let id = info_field(&mut m, "replication", "master_replid");
    assert_eq!(info_field(&mut cc, "replication", "master_replid"), id);

    // Failover: promote A, point B at it; B continues partially (PSYNC2).
    // The counters are read before the promotion: C (disconnected by it, as Redis
    // does) may reconnect and resync before anything else here runs.
    let ok = info_int(&mut ac, "stats", "sync_partial_ok");
    let full = info_int(&mut ac, "stats", "sync_full");
    drop(master);
    assert_eq!(ac.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    assert_eq!(info_field(&mut ac, "replication", "master_replid2"), id);
    // Written before B comes over: B must get it from A's backlog.
    assert_eq!(ac.cmd(&["SET", "after-promotion", "1"]), Frame::ok());
    let aport = a.addr.port().to_string();
    assert_eq!(bc.cmd(&["REPLICAOF", "127.0.0.1", &aport]), Frame::ok());
    wait_until("B and C continuing with A", || {
        info_int(&mut ac, "stats", "sync_partial_ok") >= ok + 2
    });
    assert_eq!(
        info_int(&mut ac, "stats", "sync_full"),
        full,
        "no full sync"
    );
    write_load(&mut ac, 12, 500);
    wait_caught_up(&mut ac, &mut bc);
    wait_caught_up(&mut ac, &mut cc);
    let expected = dump(&mut ac);
    assert_eq!(dump(&mut bc), expected);
    assert_eq!(dump(&mut cc), expected);
}

#[test]
fn wait_and_min_replicas() {
    let ferrodis = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = ferrodis.client();
    assert_eq!(m.cmd(&["WAIT", "0", "0"]), Frame::Integer(0));
    assert_eq!(m.cmd(&["WAIT", "1", "50"]), Frame::Integer(0), "no replica");
    let redis = redis_replica_of(ferrodis.addr.port(), &[]);
    let mut r = redis.client();
    m.cmd(&["SET", "k", "v"]);
    wait_caught_up(&mut m, &mut r);
    m.cmd(&["SET", "k", "w"]);
    assert_eq!(m.cmd(&["WAIT", "1", "0"]), Frame::Integer(1));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("w"), "acknowledged");
    assert_eq!(m.cmd(&["WAIT", "2", "200"]), Frame::Integer(1), "timeout");
    assert_eq!(
        m.cmd(&["WAIT", "1", "-1"]),
        Frame::error("ERR timeout is negative")
    );

    // min-replicas-to-write: two good replicas wanted, one there.
    m.cmd(&["CONFIG", "SET", "min-replicas-to-write", "2"]);
    let refused = Frame::error("NOREPLICAS Not enough good replicas to write.");
    wait_until("writes refused", || m.cmd(&["SET", "a", "1"]) == refused);
    assert_eq!(m.cmd(&["GET", "k"]), Frame::bulk("w"), "reads still served");
    assert_eq!(info_int(&mut m, "replication", "min_slaves_good_slaves"), 1);
    m.cmd(&["CONFIG", "SET", "min-replicas-to-write", "1"]);
    wait_until("writes accepted", || {
        m.cmd(&["SET", "a", "1"]) == Frame::ok()
    });
}

#[test]
fn hostile_replicas_are_dropped_and_the_master_goes_on() {
    use std::io::{Read, Write};
    let (ferrodis, _dir) = master_in_temp_dir(&["--repl-diskless-sync-delay", "0"]);
    let mut m = ferrodis.client();
    m.cmd(&["SET", "k", "v"]);
    // A wrong replid gets a full resync, with a payload the RDB decoder reads.
    let mut raw = std::net::TcpStream::connect(ferrodis.addr).unwrap();
    raw.write_all(b"REPLCONF capa psync2\r\nPSYNC 0123456789012345678901234567890123456789 5\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(11).any(|w| w == b"+FULLRESYNC") || got.len() < 200 {
        let n = raw.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"+OK\r\n+FULLRESYNC "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(info_int(&mut m, "stats", "sync_partial_err"), 1);
    // Garbage instead of REPLCONF ACK: dropped.
    raw.write_all(b"*9999999999\r\n").unwrap();
    wait_until("the replica dropped", || {
        info_int(&mut m, "replication", "connected_slaves") == 0
    });
    // A PSYNC for an offset the master never had: full resync as well.
    let id = info_field(&mut m, "replication", "master_replid");
    let mut raw = std::net::TcpStream::connect(ferrodis.addr).unwrap();
    raw.write_all(format!("PSYNC {id} 999999\r\n").as_bytes())
        .unwrap();
    let mut line = [0u8; 12];
    raw.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"+FULLRESYNC ");
    drop(raw);
    assert_eq!(m.cmd(&["SET", "k", "w"]), Frame::ok());
    assert_eq!(
        m.cmd(&["PSYNC", "?", "x"]),
        Frame::error("ERR value is not an integer or out of range")
    );
}

#[test]
fn a_replica_that_does_not_read_is_dropped_at_its_output_limit() {
    use std::io::Write;
    let (ferrodis, _dir) = master_in_temp_dir(&["--repl-diskless-sync-delay", "0"]);
    let mut m = ferrodis.client();
    assert_eq!(
        m.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "replica 1mb 0 0"
        ]),
        Frame::ok()
    );
    let mut raw = std::net::TcpStream::connect(ferrodis.addr).unwrap();
    raw.write_all(b"PSYNC ? -1\r\n").unwrap();
    wait_until("the replica attached", || {
        info_int(&mut m, "replication", "connected_slaves") == 1
    });
    // Far more than the socket buffers take: the outbox passes 1 MB.
    let value = "x".repeat(100_000);
    for i in 0..400 {
        m.cmd(&["SET", &format!("k{i}"), &value]);
        if info_int(&mut m, "replication", "connected_slaves") == 0 {
            break;
        }
    }
    wait_until("the replica dropped", || {
        info_int(&mut m, "replication", "connected_slaves") == 0
    });
    drop(raw);
}

#[test]
fn a_sub_replica_starts_in_the_database_the_forwarded_stream_selected() {
    let m = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut mc = m.client();
    let a = Ferrodis::start(&[
        "--replicaof",
        "127.0.0.1",
        &m.addr.port().to_string(),
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut ac = a.client();
    // A is synced before the stream selects db 5.
    wait_until("A synced", || {
        info_field(&mut ac, "replication", "master_link_status") == "up"
    });
    mc.cmd(&["SELECT", "5"]);
    mc.cmd(&["SET", "x", "1"]);
    wait_caught_up(&mut mc, &mut ac);
    // C syncs from A while M's stream has db 5 selected: the next write in db 5
    // comes without a SELECT, forwarded as is.
    let c = Ferrodis::start(&["--replicaof", "127.0.0.1", &a.addr.port().to_string()]);
    let mut cc = c.client();
    wait_caught_up(&mut ac, &mut cc);
    mc.cmd(&["SET", "y", "2"]);
    wait_caught_up(&mut mc, &mut ac);
    wait_caught_up(&mut ac, &mut cc);
    cc.cmd(&["SELECT", "5"]);
    assert_eq!(cc.cmd(&["GET", "y"]), Frame::bulk("2"));
    assert_eq!(dump(&mut cc), dump(&mut mc));
}
