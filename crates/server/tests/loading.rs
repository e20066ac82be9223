//! Start-up loading as redis-server 7.0 shows it, both binaries on the same RDB
//! made slow with `key-load-delay` (Redis's own test knob): connections are
//! served while the dataset loads, commands without the `loading` flag get
//! `-LOADING`, INFO persistence reports `loading:1` with the progress fields, and
//! once loaded everything is there.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use std::time::{Duration, Instant};

use aof_support::{word, Kind, Proc};
use common::{Client, TempDir};
use ferrodis_resp::Frame;

const KEYS: usize = 20_000;

/// A dump.rdb of `KEYS` strings in `dir`, written by ferrodis.
fn write_dataset(dir: &TempDir) {
    let server = Proc::start(Kind::Ferrodis, &dir.path, &[]);
    let mut c = server.client();
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(1000) {
        let mut args = vec!["MSET".to_string()];
        for i in chunk {
            args.push(format!("key:{i}"));
            args.push(format!("value:{i}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&args), Frame::simple("OK"));
    }
    assert_eq!(c.cmd(&["SAVE"]), Frame::simple("OK"));
    server.shutdown();
}

/// Starts `kind` on `dir`, returning once a client of its own is connected
/// (without waiting for the load).
fn start_loading(kind: Kind, dir: &TempDir) -> (Proc, Client) {
    // 200 µs per key: the load lasts at least 4 s. Redis handles clients only
    // between chunks of `loading-process-events-interval-bytes`.
    let args = [
        "--key-load-delay",
        "200",
        "--loading-process-events-interval-bytes",
        "1024",
    ];
    for _ in 0..10 {
        let mut p = Proc::spawn(kind, &dir.path, &args);
        let addr = format!("127.0.0.1:{}", p.port).parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if common::serves_as(addr, &mut p.child) {
            let client = p.client();
            return (p, client);
        }
    }
    panic!("{kind:?} never started on a port of its own");
}

/// What clients see during the load.
fn during_load(c: &mut Client) -> Vec<Frame> {
    let mut replies = vec![
        c.cmd(&["PING"]),
        c.cmd(&["SET", "k", "v"]),
        c.cmd(&["GET", "key:1"]),
        c.cmd(&["SELECT", "1"]),
        c.cmd(&["DBSIZE"]),
        c.cmd(&["CONFIG", "SET", "appendonly", "yes"]),
        c.cmd(&["CONFIG", "GET", "appendonly"]),
        c.cmd(&["ECHO", "still here"]),
        c.cmd(&["MULTI"]),
        c.cmd(&["INCR", "n"]),
        c.cmd(&["EXEC"]),
    ];
    replies.push(c.cmd(&["SELECT", "0"]));
    replies
}

/// INFO persistence's `loading` fields: names, with the values that do not move.
fn loading_fields(c: &mut Client) -> Vec<String> {
    let info = word(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .filter(|l| l.starts_with("loading") || l.starts_with("async_loading"))
        .map(|l| match l.split_once(':') {
            Some((k, v)) if k == "loading" || k == "async_loading" => format!("{k}:{v}"),
            Some((k, _)) => k.to_string(),
            None => l.to_string(),
        })
        .collect()
}

fn info_value(c: &mut Client, field: &str) -> String {
    let info = word(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_default()
}

fn wait_loaded(c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while c.cmd(&["PING"]) != Frame::simple("PONG") {
        assert!(Instant::now() < deadline, "the load never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn clients_are_served_during_the_load_as_by_redis() {
    let dir = TempDir::new("loading");
    write_dataset(&dir);
    let mut seen = Vec::new();
    for kind in [Kind::Ferrodis, Kind::Redis] {
        let (server, mut c) = start_loading(kind, &dir);
        let replies = during_load(&mut c);
        let fields = loading_fields(&mut c);
        let total: u64 = info_value(&mut c, "loading_total_bytes").parse().unwrap();
        let file = std::fs::metadata(dir.path.join("dump.rdb")).unwrap().len();
        assert_eq!(total, file, "{kind:?}: loading_total_bytes");
        let perc: f64 = info_value(&mut c, "loading_loaded_perc").parse().unwrap();
        assert!((0.0..100.0).contains(&perc), "{kind:?}: {perc}");
        wait_loaded(&mut c);
        assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(KEYS as i64), "{kind:?}");
        assert_eq!(c.cmd(&["GET", "key:7"]), Frame::bulk("value:7"), "{kind:?}");
        let after = loading_fields(&mut c);
        assert_eq!(after, ["loading:0", "async_loading:0"], "{kind:?}");
        assert!(
            server.log_text().contains("DB loaded from disk"),
            "{kind:?}"
        );
        server.shutdown();
        seen.push((replies, fields));
    }
    let (ferrodis, redis) = (&seen[0], &seen[1]);
    assert_eq!(
        ferrodis.0[0],
        Frame::error("LOADING Redis is loading the dataset in memory")
    );
    assert_eq!(ferrodis.0, redis.0, "replies during the load");
    assert_eq!(ferrodis.1, redis.1, "INFO persistence during the load");
    assert!(ferrodis.1.contains(&"loading:1".to_string()));
}

/// The log's messages from the first one about the shutdown, without Redis's
/// prefixes (`pid:role date time mark`, `pid:signal-handler (time)`).
fn shutdown_messages(log: &str) -> Vec<String> {
    let messages: Vec<String> = log
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(":signal-handler (") {
            Some((_, rest)) => rest.split_once(") ").unwrap().1.to_string(),
            None => l.splitn(7, ' ').nth(6).unwrap_or_default().to_string(),
        })
        .map(|m| m.replace("ferrodis is now", "Redis is now"))
        .collect();
    let first = messages
        .iter()
        .position(|m| m.contains("shutdown"))
        .unwrap_or(messages.len());
    messages[first..].to_vec()
}

/// A shutdown asked for during the load, by a signal or by SHUTDOWN: like
/// redis-server, the load stops, nothing is saved, the process exits with 0.
#[test]
fn a_shutdown_during_the_load_exits_without_saving() {
    let dir = TempDir::new("loading-shutdown");
    write_dataset(&dir);
    let file = std::fs::read(dir.path.join("dump.rdb")).unwrap();
    let mut seen = Vec::new();
    for kind in [Kind::Ferrodis, Kind::Redis] {
        for how in ["SIGTERM", "SIGINT", "SHUTDOWN"] {
            let (server, mut c) = start_loading(kind, &dir);
            assert_eq!(
                c.cmd(&["PING"]),
                Frame::error("LOADING Redis is loading the dataset in memory"),
                "{kind:?}"
            );
            match how {
                "SHUTDOWN" => {
                    c.send(b"*1\r\n$8\r\nSHUTDOWN\r\n");
                    assert_eq!(c.read_frame(), None, "{kind:?}: no reply, then the close");
                }
                signal => {
                    let status = std::process::Command::new("kill")
                        .args([
                            &format!("-{}", &signal[3..]),
                            &server.child.id().to_string(),
                        ])
                        .status()
                        .unwrap();
                    assert!(status.success());
                }
            }
            let (status, log) = server.wait_exit(Duration::from_secs(60));
            assert!(status.success(), "{kind:?} {how}: {status}\n{log}");
            assert!(
                !log.contains("DB loaded from disk"),
                "{kind:?} {how}:\n{log}"
            );
            assert_eq!(
                std::fs::read(dir.path.join("dump.rdb")).unwrap(),
                file,
                "{kind:?} {how}: the file was rewritten"
            );
            seen.push((how, shutdown_messages(&log)));
        }
    }
    let (ferrodis, redis) = seen.split_at(3);
    assert_eq!(ferrodis, redis, "log lines");
    assert_eq!(
        ferrodis[0].1,
        [
            "Received shutdown signal during loading, scheduling shutdown.",
            "User requested shutdown...",
            "Redis is now ready to exit, bye bye...",
        ]
    );
}
