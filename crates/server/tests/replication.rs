//! Replication with real redis-server 7.0 processes on 127.0.0.1: ferrodis as the
//! replica of a Redis master (full sync, stream, partial resync, backlog too small,
//! hostile masters), and ROLE / INFO / READONLY on the way.

#![allow(clippy::unwrap_used)]

mod common;
mod replication_support;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{text, Ferrodis, RealRedis};
use ferrodis_resp::Frame;
use replication_support::*;

fn replica_of(master: &RealRedis, extra: &[&str]) -> Ferrodis {
    let port = master.addr.port().to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", &port];
    args.extend_from_slice(extra);
    Ferrodis::start(&args)
}

#[test]
fn ferrodis_replica_of_a_redis_master() {
    let redis = RealRedis::start(&[]);
    let mut m = redis.client();
    populate(&mut m);
    let ferrodis = replica_of(&redis, &[]);
    let mut r = ferrodis.client();
    wait_caught_up(&mut m, &mut r);
    assert_eq!(dump(&mut r), dump(&mut m), "after the full sync");
    assert_eq!(info_int(&mut m, "stats", "sync_full"), 1);

    write_load(&mut m, 7, 2000);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(dump(&mut r), dump(&mut m), "after the write load");

    // A read-only replica refuses writes from its clients, not reads.
    assert_eq!(
        r.cmd(&["SET", "x", "1"]),
        Frame::error("READONLY You can't write against a read only replica.")
    );
    assert_eq!(r.cmd(&["GET", "str"]), m.cmd(&["GET", "str"]));
    let Frame::Array(role) = r.cmd(&["ROLE"]) else {
        panic!("ROLE")
    };
    assert_eq!(text(&role[0]), "slave");
    assert_eq!(role[2], Frame::Integer(i64::from(redis.addr.port())));
    assert_eq!(text(&role[3]), "connected");
    assert_eq!(
        info_field(&mut r, "replication", "master_replid"),
        info_field(&mut m, "replication", "master_replid")
    );
    // The master lists us with our listening port.
    let slave0 = info_field(&mut m, "replication", "slave0");
    assert!(
        slave0.contains(&format!("port={},state=online", ferrodis.addr.port())),
        "{slave0}"
    );
}

#[test]
fn partial_resync_after_the_link_is_killed() {
    let redis = RealRedis::start(&[]);
    let mut m = redis.client();
    populate(&mut m);
    let ferrodis = replica_of(&redis, &[]);
    let mut r = ferrodis.client();
    wait_caught_up(&mut m, &mut r);
    let full = info_int(&mut m, "stats", "sync_full");

    for (round, side) in ["master", "replica", "master"].iter().enumerate() {
        let writer = {
            let addr = redis.addr;
            std::thread::spawn(move || {
                let mut c = common::Client::connect(addr);
                write_load(&mut c, 100 + round as u64, 1500);
            })
        };
        let ok_before = info_int(&mut m, "stats", "sync_partial_ok");
        // Kill the link from either end while writes flow.
        let killed = if *side == "master" {
            r.cmd(&["CLIENT", "KILL", "TYPE", "master"])
        } else {
            m.cmd(&["CLIENT", "KILL", "TYPE", "replica"])
        };
        assert_eq!(killed, Frame::Integer(1), "{side}");
        wait_until("a partial resync", || {
            info_int(&mut m, "stats", "sync_partial_ok") > ok_before
        });
        writer.join().unwrap();
        wait_caught_up(&mut m, &mut r);
        assert_eq!(dump(&mut r), dump(&mut m), "round {round}");
    }
    assert_eq!(
        info_int(&mut m, "stats", "sync_full"),
        full,
        "never a full sync"
    );
}

#[test]
fn a_backlog_too_small_for_the_gap_means_a_full_resync() {
    let redis = RealRedis::start(&["--repl-backlog-size", "16384"]);
    let mut m = redis.client();
    populate(&mut m);
    let ferrodis = replica_of(&redis, &[]);
    let mut r = ferrodis.client();
    wait_caught_up(&mut m, &mut r);
    let full = info_int(&mut m, "stats", "sync_full");
    let err = info_int(&mut m, "stats", "sync_partial_err");
    // The replica reconnects a second after the kill; these 200 KB, past the
    // 16 KB backlog, are written in milliseconds.
    assert_eq!(
        r.cmd(&["CLIENT", "KILL", "TYPE", "master"]),
        Frame::Integer(1)
    );
    for i in 0..100 {
        m.cmd(&["SET", &format!("fill{i}"), &"z".repeat(2000)]);
    }
    wait_until("a full resync", || {
        info_int(&mut m, "stats", "sync_full") > full
    });
    assert!(info_int(&mut m, "stats", "sync_partial_err") > err);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(dump(&mut r), dump(&mut m));
}

/// A fake master that answers the handshake with `psync_reply`, then sends
/// `payload` and closes; counts connections.
fn hostile_master(
    psync_reply: Vec<u8>,
    payload: Vec<u8>,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            // PING, then the pipelined REPLCONFs, then PSYNC.
            let mut answered = 0;
            while let Ok(n) = conn.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if answered == 0 && text.contains("PING") {
                    let _ = conn.write_all(b"+PONG\r\n");
                    answered = 1;
                }
                if answered == 1 && text.contains("psync2") {
                    let _ = conn.write_all(b"+OK\r\n+OK\r\n");
                    answered = 2;
                }
                if answered == 2 && text.contains("PSYNC") {
                    let _ = conn.write_all(&psync_reply);
                    let _ = conn.write_all(&payload);
                    break;
                }
            }
        }
    });
    (port, count)
}

#[test]
fn hostile_masters_leave_the_dataset_alone_and_are_retried() {
    let ferrodis = Ferrodis::start(&[]);
    let mut r = ferrodis.client();
    r.cmd(&["SET", "mine", "1"]);
    r.cmd(&["RPUSH", "list", "a", "b"]);
    let before = dump(&mut r);
    let id = "a".repeat(40);
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "garbage instead of +FULLRESYNC",
            b"HELLO THERE\r\n".to_vec(),
            vec![],
        ),
        (
            "a wrong replid",
            b"+FULLRESYNC not-an-id 0\r\n".to_vec(),
            b"$10\r\n0123456789".to_vec(),
        ),
        (
            "a truncated RDB transfer",
            format!("+FULLRESYNC {id} 0\r\n").into_bytes(),
            b"$5000\r\nREDIS0010\xfa\x09redis-ver".to_vec(),
        ),
        (
            "a corrupt RDB",
            format!("+FULLRESYNC {id} 0\r\n").into_bytes(),
            b"$20\r\nREDIS0010\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09".to_vec(),
        ),
        (
            "not a payload header",
            format!("+FULLRESYNC {id} 0\r\n").into_bytes(),
            b"*1\r\n$4\r\nPING\r\n".to_vec(),
        ),
    ];
    for (what, reply, payload) in cases {
        let (port, count) = hostile_master(reply, payload);
        assert_eq!(
            r.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]),
            Frame::ok()
        );
        wait_until(what, || {
            count.load(std::sync::atomic::Ordering::SeqCst) >= 2
        });
        assert_eq!(
            info_field(&mut r, "replication", "master_link_status"),
            "down"
        );
        assert_eq!(dump(&mut r), before, "{what}");
    }
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    assert_eq!(r.cmd(&["SET", "mine", "2"]), Frame::ok(), "a master again");
}

#[test]
fn the_replica_reconnects_after_the_master_restarts() {
    let port = common::free_port();
    let redis = FixedPortRedis::start(port);
    let mut m = redis.client();
    m.cmd(&["SET", "a", "1"]);
    let ferrodis = Ferrodis::start(&["--replicaof", "127.0.0.1", &port.to_string()]);
    let mut r = ferrodis.client();
    wait_caught_up(&mut m, &mut r);
    drop(m);
    drop(redis);
    wait_until("the link to go down", || {
        info_field(&mut r, "replication", "master_link_status") == "down"
    });
    // Stale data is served by default, and still read-only.
    assert_eq!(r.cmd(&["GET", "a"]), Frame::bulk("1"));
    let redis = FixedPortRedis::start(port);
    let mut m = redis.client();
    m.cmd(&["SET", "b", "2"]);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(
        dump(&mut r),
        dump(&mut m),
        "the new master's (empty + b) dataset"
    );
}

/// A redis-server on a given port (to restart it on the same one).
struct FixedPortRedis {
    child: std::process::Child,
    port: u16,
    _dir: common::TempDir,
}

impl FixedPortRedis {
    fn start(port: u16) -> FixedPortRedis {
        let dir = common::TempDir::new("redis-fixed");
        let child = std::process::Command::new(common::redis_tool("redis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .args(["--dir", dir.path.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        common::wait_for_port(format!("127.0.0.1:{port}").parse().unwrap());
        FixedPortRedis {
            child,
            port,
            _dir: dir,
        }
    }

    fn client(&self) -> common::Client {
        common::Client::connect(format!("127.0.0.1:{}", self.port).parse().unwrap())
    }
}

impl Drop for FixedPortRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn stale_data_refused_when_configured() {
    let dead = common::free_port().to_string();
    let ferrodis = Ferrodis::start(&[
        "--replicaof",
        "127.0.0.1",
        &dead,
        "--replica-serve-stale-data",
        "no",
    ]);
    let mut r = ferrodis.client();
    let down = Frame::error(
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    );
    wait_until("MASTERDOWN", || r.cmd(&["GET", "a"]) == down);
    // Commands flagged `stale` still run.
    assert!(matches!(r.cmd(&["INFO", "replication"]), Frame::Bulk(_)));
    let Frame::Array(role) = r.cmd(&["ROLE"]) else {
        panic!()
    };
    assert_eq!(role[4], Frame::Integer(-1));
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    wait_until("served again", || r.cmd(&["GET", "a"]) == Frame::Null);
}

#[test]
fn expired_keys_wait_for_the_masters_del() {
    let redis = RealRedis::start(&["--enable-debug-command", "yes"]);
    let mut m = redis.client();
    // No active expiry on the master: only an access deletes (and propagates DEL).
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Frame::ok());
    let ferrodis = replica_of(&redis, &[]);
    let mut r = ferrodis.client();
    m.cmd(&["SET", "k", "v", "PX", "50"]);
    wait_caught_up(&mut m, &mut r);
    wait_until("the key to read as missing", || {
        r.cmd(&["GET", "k"]) == Frame::Null
    });
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Integer(1), "kept for the master");
    assert_eq!(m.cmd(&["GET", "k"]), Frame::Null);
    wait_until("the master's DEL", || {
        r.cmd(&["DBSIZE"]) == Frame::Integer(0)
    });
}

#[test]
fn info_replication_fields_are_redis_s() {
    let fields = |c: &mut common::Client| -> Vec<String> {
        text(&c.cmd(&["INFO", "replication"]))
            .lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .collect()
    };
    let redis = RealRedis::start(&[]);
    let mut m = redis.client();
    let twin = RealRedis::start(&["--replicaof", "127.0.0.1", &redis.addr.port().to_string()]);
    let ferrodis = replica_of(&redis, &[]);
    let (mut t, mut r) = (twin.client(), ferrodis.client());
    m.cmd(&["SET", "a", "1"]);
    wait_caught_up(&mut m, &mut r);
    wait_caught_up(&mut m, &mut t);
    assert_eq!(fields(&mut r), fields(&mut t), "as a replica");
    // A ferrodis master with one replica, against the Redis master with two.
    let fm = Ferrodis::start(&["--repl-diskless-sync-delay", "0"]);
    let mut fmc = fm.client();
    let fr = RealRedis::start(&["--replicaof", "127.0.0.1", &fm.addr.port().to_string()]);
    let mut frc = fr.client();
    fmc.cmd(&["SET", "a", "1"]);
    wait_caught_up(&mut fmc, &mut frc);
    let mut ours = fields(&mut fmc);
    let mut theirs = fields(&mut m);
    ours.retain(|f| !f.starts_with("slave"));
    theirs.retain(|f| !f.starts_with("slave"));
    assert_eq!(ours, theirs, "as a master");
}

#[test]
fn a_restarted_replica_continues_from_its_saved_rdb() {
    let redis = RealRedis::start(&[]);
    let mut m = redis.client();
    populate(&mut m);
    let dir = common::TempDir::new("replica-rdb");
    let dir_path = dir.path.to_str().unwrap().to_string();
    let port = redis.addr.port().to_string();
    let args = ["--replicaof", "127.0.0.1", &port, "--dir", &dir_path];
    {
        let ferrodis = Ferrodis::start(&args);
        let mut r = ferrodis.client();
        wait_caught_up(&mut m, &mut r);
        write_load(&mut m, 21, 300);
        wait_caught_up(&mut m, &mut r);
        assert_eq!(r.cmd(&["SAVE"]), Frame::ok());
    }
    // Written while the replica is down, well within the backlog.
    write_load(&mut m, 22, 300);
    let full = info_int(&mut m, "stats", "sync_full");
    let ok = info_int(&mut m, "stats", "sync_partial_ok");
    let ferrodis = Ferrodis::start(&args);
    let mut r = ferrodis.client();
    wait_caught_up(&mut m, &mut r);
    assert_eq!(info_int(&mut m, "stats", "sync_partial_ok"), ok + 1);
    assert_eq!(info_int(&mut m, "stats", "sync_full"), full, "no full sync");
    assert_eq!(dump(&mut r), dump(&mut m));
}
