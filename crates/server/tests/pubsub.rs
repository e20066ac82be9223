//! Pub/sub against a real redis-server 7.0: reply and message sequences in RESP2 and
//! RESP3, the subscribed context, client introspection, redis-cli as a subscriber,
//! and slow subscribers cut off at `client-output-buffer-limit pubsub`.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, redis_tool, text, Client, Ferrodis, RealRedis, TempDir};
use ferrodis_resp::Frame;

/// How a step's frames are compared when Redis leaves their order unspecified.
#[derive(Clone, Copy, PartialEq)]
enum Norm {
    /// As received.
    Exact,
    /// As a multiset (messages from several matching patterns, PUBSUB CHANNELS).
    Sorted,
    /// Unsubscribe-all confirmations: names as a set, counts in order.
    Names,
    /// Not compared (replies carrying client ids).
    Skip,
}

/// One command by client 0 (the subscriber) or 1 (the publisher).
struct Step(usize, &'static [&'static str], Norm);

use Norm::{Exact, Names, Skip, Sorted};

/// Everything either client received during the step, up to a PING marker sent
/// after it: messages caused by the other client arrive before that marker.
fn run_script(addr: SocketAddr, resp3: bool, script: &[Step]) -> Vec<(String, Vec<Frame>)> {
    let mut clients = [Client::connect(addr), Client::connect(addr)];
    if resp3 {
        for c in &mut clients {
            assert!(matches!(c.cmd(&["HELLO", "3"]), Frame::Map(_)));
        }
    }
    let mut open = [true, true];
    let mut out = Vec::new();
    for (n, Step(who, args, norm)) in script.iter().enumerate() {
        let mut raw = Vec::new();
        encode_command(args, &mut raw);
        clients[*who].send(&raw);
        if args[0].eq_ignore_ascii_case("quit") {
            open[*who] = false;
            let o = clients[*who].outcome(Duration::from_secs(2));
            out.push((format!("{n} {args:?}"), o.frames));
            assert!(o.closed);
            continue;
        }
        // The acting client first: once its marker is back, its command has run
        // and the other client's messages are queued before that one's marker.
        for i in [*who, 1 - *who] {
            if !open[i] {
                continue;
            }
            let c = &mut clients[i];
            let marker = format!("sync-{n}");
            let mut raw = Vec::new();
            encode_command(&["PING", &marker], &mut raw);
            c.send(&raw);
            let mut frames = Vec::new();
            loop {
                let f = c.read_frame().expect("connection open");
                let pong = Frame::Array(vec![Frame::bulk("pong"), Frame::bulk(marker.clone())]);
                if f == Frame::bulk(marker.clone()) || f == pong {
                    // Also compared: the marker's own shape (`["pong", msg]` in the
                    // RESP2 subscribed context).
                    frames.push(f);
                    break;
                }
                frames.push(f);
            }
            if i == *who && *norm == Skip {
                frames.clear();
            }
            out.push((format!("{n} {args:?} client {i}"), normalize(frames, *norm)));
        }
    }
    out
}

fn encode_command(args: &[&str], out: &mut Vec<u8>) {
    let mut b = bytes::BytesMut::new();
    ferrodis_resp::encode_command(args, &mut b);
    out.extend_from_slice(&b);
}

fn normalize(mut frames: Vec<Frame>, norm: Norm) -> Vec<Frame> {
    match norm {
        Exact | Skip => frames,
        Sorted => {
            for f in &mut frames {
                if let Frame::Array(items) = f {
                    items.sort_by_key(|i| format!("{i:?}"));
                }
            }
            frames.sort_by_key(|f| format!("{f:?}"));
            frames
        }
        Names => {
            let mut names = Vec::new();
            for f in &mut frames {
                if let Frame::Array(items) | Frame::Push(items) = f {
                    if items.len() == 3 && items[1] != Frame::Null {
                        names.push(std::mem::replace(&mut items[1], Frame::Null));
                    }
                }
            }
            names.sort_by_key(|n| format!("{n:?}"));
            frames.push(Frame::Array(names));
            frames
        }
    }
}

const SCRIPT: &[Step] = &[
    Step(0, &["SUBSCRIBE", "news", "sport", "news"], Exact),
    Step(1, &["PUBLISH", "news", "hello"], Exact),
    Step(1, &["PUBLISH", "other", "nobody"], Exact),
    Step(0, &["PSUBSCRIBE", "n?ws", "s*", "n?ws"], Exact),
    Step(1, &["PUBLISH", "news", "twice"], Exact),
    Step(1, &["PUBLISH", "sport", "goal"], Sorted),
    Step(1, &["PUBLISH", "", "empty channel"], Exact),
    Step(1, &["PUBSUB", "NUMSUB", "news", "sport", "none"], Exact),
    Step(1, &["PUBSUB", "NUMSUB"], Exact),
    Step(1, &["PUBSUB", "NUMPAT"], Exact),
    Step(1, &["PUBSUB", "CHANNELS"], Sorted),
    Step(1, &["PUBSUB", "CHANNELS", "n*"], Sorted),
    Step(1, &["PUBSUB", "CHANNELS", "a", "b"], Exact),
    Step(1, &["PUBSUB", "NUMPAT", "x"], Exact),
    Step(1, &["PUBSUB", "NOSUCH"], Exact),
    Step(1, &["PUBSUB", "HELP"], Exact),
    Step(0, &["GET", "k"], Exact),
    Step(0, &["SET", "k"], Exact),
    Step(0, &["NOSUCH"], Exact),
    Step(0, &["CLIENT", "LIST"], Skip),
    Step(0, &["CLIENT", "NOSUCH"], Exact),
    Step(0, &["PUBLISH", "news", "self"], Exact),
    Step(0, &["PING"], Exact),
    Step(0, &["PING", "msg"], Exact),
    Step(0, &["PING", "a", "b"], Exact),
    Step(0, &["ECHO", "x"], Exact),
    Step(0, &["SSUBSCRIBE", "shard"], Exact),
    Step(1, &["SPUBLISH", "shard", "m"], Exact),
    Step(1, &["PUBSUB", "SHARDNUMSUB", "shard"], Exact),
    Step(0, &["SUNSUBSCRIBE"], Exact),
    Step(0, &["SUNSUBSCRIBE"], Exact),
    Step(0, &["UNSUBSCRIBE", "sport", "never"], Exact),
    Step(0, &["PUNSUBSCRIBE"], Exact),
    Step(0, &["PUNSUBSCRIBE"], Exact),
    Step(0, &["SUBSCRIBE", "a", "b", "c"], Exact),
    Step(0, &["UNSUBSCRIBE"], Names),
    Step(0, &["UNSUBSCRIBE"], Exact),
    Step(0, &["GET", "k"], Exact),
    Step(0, &["PSUBSCRIBE", "x*"], Exact),
    Step(0, &["RESET"], Exact),
    Step(1, &["PUBSUB", "NUMPAT"], Exact),
    Step(0, &["SUBSCRIBE", "last"], Exact),
    Step(0, &["QUIT"], Exact),
    Step(1, &["PUBSUB", "NUMSUB", "last"], Exact),
    Step(1, &["SUBSCRIBE"], Exact),
    Step(1, &["UNSUBSCRIBE"], Exact),
    Step(1, &["PUNSUBSCRIBE", "p"], Exact),
];

fn same_sequences(resp3: bool) {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let ours = run_script(ferrodis.addr, resp3, SCRIPT);
    let theirs = run_script(redis.addr, resp3, SCRIPT);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "resp3={resp3}");
    }
    assert_eq!(ours.len(), theirs.len());
}

#[test]
fn resp2_sequences_match_redis() {
    same_sequences(false);
}

#[test]
fn resp3_sequences_match_redis() {
    same_sequences(true);
}

/// The CLIENT LIST fields of the one pub/sub client, and what CLIENT KILL TYPE
/// PUBSUB and disconnection leave behind.
fn introspection(addr: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    let mut admin = Client::connect(addr);
    let mut sub = Client::connect(addr);
    sub.cmd(&["SUBSCRIBE", "a"]);
    sub.cmd(&["SUBSCRIBE", "b"]);
    sub.cmd(&["PSUBSCRIBE", "p*"]);
    sub.cmd(&["SSUBSCRIBE", "s"]);
    let fields = |line: &str| -> String {
        line.split(' ')
            .filter(|f| {
                ["flags=", "sub=", "psub=", "ssub="]
                    .iter()
                    .any(|p| f.starts_with(p))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    for ty in ["pubsub", "normal"] {
        let list = text(&admin.cmd(&["CLIENT", "LIST", "TYPE", ty]));
        out.push(format!(
            "{ty}: {}",
            list.lines().map(fields).collect::<Vec<_>>().join(", ")
        ));
    }
    let info = text(&admin.cmd(&["INFO", "stats"]));
    out.extend(
        info.lines()
            .filter(|l| l.starts_with("pubsub"))
            .map(String::from),
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]),
        Frame::Integer(1)
    );
    assert!(sub.outcome(Duration::from_secs(2)).closed);
    // Disconnection unsubscribed everything.
    let deadline = Instant::now() + Duration::from_secs(5);
    while admin.cmd(&["PUBSUB", "NUMSUB", "a"])
        != Frame::Array(vec![Frame::bulk("a"), Frame::Integer(0)])
    {
        assert!(
            Instant::now() < deadline,
            "still subscribed after disconnect"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let info = text(&admin.cmd(&["INFO", "stats"]));
    out.extend(
        info.lines()
            .filter(|l| l.starts_with("pubsub"))
            .map(String::from),
    );
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]),
        Frame::Integer(0)
    );
    out
}

#[test]
fn client_list_kill_and_info_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let ours = introspection(ferrodis.addr);
    assert_eq!(ours, introspection(redis.addr));
    assert!(ours[0].contains("flags=P sub=2 psub=1 ssub=1"), "{ours:?}");
    assert!(ours.contains(&"pubsub_channels:2".to_string()), "{ours:?}");
}

/// redis-cli, as a user runs it, sees a message published by another client.
#[test]
fn redis_cli_subscribe_receives_publish() {
    let ferrodis = Ferrodis::start(&[]);
    for proto in ["-2", "-3"] {
        // A channel per round: the previous redis-cli, killed, may still count as a
        // receiver until its disconnection is noticed.
        let chan = format!("chan{proto}");
        let mut child = Killed(
            Command::new(redis_tool("redis-cli"))
                .args([
                    proto,
                    "-p",
                    &ferrodis.addr.port().to_string(),
                    "SUBSCRIBE",
                    &chan,
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut publisher = ferrodis.client();
        let deadline = Instant::now() + Duration::from_secs(10);
        while publisher.cmd(&["PUBLISH", &chan, "hello from ferrodis"]) != Frame::Integer(1) {
            assert!(Instant::now() < deadline, "redis-cli never subscribed");
            std::thread::sleep(Duration::from_millis(20));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.0.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
            let done = line == "hello from ferrodis";
            lines.push(line);
            if done {
                break;
            }
        }
        drop(child);
        assert_eq!(
            lines,
            [
                "subscribe",
                &chan,
                "1",
                "message",
                &chan,
                "hello from ferrodis"
            ],
            "redis-cli {proto}"
        );
    }
}

/// Publishes `size`-byte messages, pausing `pause` between them, until the
/// subscriber, which never reads, is gone (PUBLISH answers 0); returns how many were
/// published. Panics if that takes more than 20 seconds.
fn flood(publisher: &mut Client, size: usize, pause: Duration) -> usize {
    let payload = "x".repeat(size);
    let deadline = Instant::now() + Duration::from_secs(20);
    for n in 1.. {
        if publisher.cmd(&["PUBLISH", "flood", &payload]) == Frame::Integer(0) {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "the subscriber was never disconnected"
        );
        std::thread::sleep(pause);
    }
    unreachable!()
}

/// A subscriber that stops reading is disconnected at the hard limit, like Redis,
/// while the publisher keeps being served; the binary logs Redis's line.
#[test]
fn slow_subscriber_is_disconnected_at_the_hard_limit() {
    let dir = TempDir::new("pubsub-limit");
    let log = dir.path.join("ferrodis.log");
    // The port is free a moment before the binary binds it: another test's
    // in-process server may take it first, so check who answers and retry.
    let (_server, addr) = (0..10)
        .find_map(|_| {
            let port = free_port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
                .args([
                    "--port",
                    &port.to_string(),
                    "--save",
                    "",
                    "--logfile",
                    log.to_str().unwrap(),
                ])
                .spawn()
                .unwrap();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let ours = common::serves_as(addr, &mut child);
            let server = Killed(child);
            ours.then_some((server, addr))
        })
        .expect("ferrodis-server never started on a port of its own");
    let redis = RealRedis::start(&[]);
    for addr in [addr, redis.addr] {
        let mut publisher = Client::connect(addr);
        let limit = [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0 0",
        ];
        assert_eq!(publisher.cmd(&limit), Frame::ok());
        let mut sub = Client::connect(addr);
        sub.cmd(&["SUBSCRIBE", "flood"]);
        let published = flood(&mut publisher, 4096, Duration::ZERO);
        // Cut off once about the limit is queued beyond what the sockets hold.
        assert!(
            published > 256 && published * 4096 < 32 << 20,
            "{addr}: {published}"
        );
        assert_eq!(publisher.cmd(&["PING"]), Frame::simple("PONG"));
        assert_eq!(
            publisher.cmd(&["PUBSUB", "NUMSUB", "flood"]),
            Frame::Array(vec![Frame::bulk("flood"), Frame::Integer(0)])
        );
        let o = sub.outcome(Duration::from_secs(5));
        assert!(o.closed, "{addr}: subscriber still connected");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("flags=P db=0 sub=1 psub=0")
            && logged
                .contains("scheduled to be closed ASAP for overcoming of output buffer limits."),
        "{logged}"
    );
}

/// A child process killed (by PID) when dropped, even if the test fails first.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Over the soft limit for longer than its seconds: disconnected at a later write.
#[test]
fn slow_subscriber_is_disconnected_at_the_soft_limit() {
    let ferrodis = Ferrodis::start(&[]);
    let mut publisher = ferrodis.client();
    let limit = [
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 0 256kb 1",
    ];
    assert_eq!(publisher.cmd(&limit), Frame::ok());
    let mut sub = ferrodis.client();
    sub.cmd(&["SUBSCRIBE", "flood"]);
    let start = Instant::now();
    let published = flood(&mut publisher, 1024, Duration::from_micros(500));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{published} in {:?}",
        start.elapsed()
    );
    assert!(sub.outcome(Duration::from_secs(5)).closed);
    assert_eq!(publisher.cmd(&["PUBLISH", "flood", "x"]), Frame::Integer(0));
}
