//! Malformed and hostile input, sent byte-for-byte to ferrodis and to a real
//! redis-server 7.0: both must answer the same frames and close (or keep) the
//! connection the same way, and ferrodis must keep serving other clients.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Ferrodis, Outcome, RealRedis};
use ferrodis_resp::Frame;

const QUIET: Duration = Duration::from_millis(400);

/// Send `raw` on a fresh connection to each server and compare what comes back.
fn same_on_both(ferrodis: &Ferrodis, redis: &RealRedis, raw: &[u8]) -> Outcome {
    let mut ours = ferrodis.client();
    ours.send(raw);
    let got = ours.outcome(QUIET);
    let mut theirs = redis.client();
    theirs.send(raw);
    let want = theirs.outcome(QUIET);
    assert_eq!(
        got,
        want,
        "input {:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(80)])
    );
    // Whatever happened to that connection, the server still serves others.
    assert_eq!(
        ferrodis.client().cmd(&["PING"]),
        redis.client().cmd(&["PING"])
    );
    got
}

fn protocol_error(out: &Outcome, text: &str) {
    assert!(
        out.closed,
        "connection must be closed after a protocol error"
    );
    assert_eq!(
        out.frames.last(),
        Some(&Frame::error(format!("ERR Protocol error: {text}")))
    );
}

#[test]
fn malformed_frames_get_redis_protocol_errors() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);

    // A type byte other than '$' inside a command.
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*1\r\n:5\r\n"),
        "expected '$', got ':'",
    );
    // Negative and oversized bulk lengths; the claimed 600 MB is never allocated.
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*1\r\n$-5\r\n"),
        "invalid bulk length",
    );
    protocol_error(
        &same_on_both(
            &ferrodis,
            &redis,
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000000\r\nab",
        ),
        "invalid bulk length",
    );
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*1\r\n$abc\r\n"),
        "invalid bulk length",
    );
    // Multibulk counts beyond INT_MAX or not numbers.
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*99999999999\r\n"),
        "invalid multibulk length",
    );
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*abc\r\n"),
        "invalid multibulk length",
    );
    // Nesting 1000 deep: commands are flat arrays of bulk strings.
    let deep = b"*1\r\n".repeat(1000);
    protocol_error(
        &same_on_both(&ferrodis, &redis, &deep),
        "expected '$', got '*'",
    );
    // Inline requests: unbalanced quotes, and a line that never ends.
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"SET \"a b\r\n"),
        "unbalanced quotes in request",
    );
    let long_inline = vec![b'A'; 70 * 1024];
    protocol_error(
        &same_on_both(&ferrodis, &redis, &long_inline),
        "too big inline request",
    );
    let mut long_count = b"*".to_vec();
    long_count.extend(std::iter::repeat_n(b'1', 70 * 1024));
    protocol_error(
        &same_on_both(&ferrodis, &redis, &long_count),
        "too big mbulk count string",
    );
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(std::iter::repeat_n(b'1', 70 * 1024));
    protocol_error(
        &same_on_both(&ferrodis, &redis, &long_bulk),
        "too big bulk count string",
    );
}

#[test]
fn odd_but_valid_input_is_served_like_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    // A bad type byte at the start of a request makes it an inline command.
    let out = same_on_both(&ferrodis, &redis, b"?foo\r\n");
    assert!(!out.closed);
    // Empty and negative multibulks are skipped.
    let out = same_on_both(&ferrodis, &redis, b"*0\r\n*-5\r\nPING\r\n");
    assert_eq!(out.frames, [Frame::simple("PONG")]);
    // A bare bulk string is read as two inline commands.
    same_on_both(&ferrodis, &redis, b"$5\r\nworld\r\n");
    // Inline with quotes and escapes, LF-only line ends, and pipelining; a closing
    // quote glued to more text is "unbalanced" (sdssplitargs), which ends the connection.
    let out = same_on_both(
        &ferrodis,
        &redis,
        b"SET k \"a\\x41\\n\"\nGET k\r\nECHO 'it\\'s'\r\nECHO 'it''s'\r\nPING\r\n",
    );
    assert_eq!(out.frames.len(), 4);
    assert_eq!(out.frames[1], Frame::bulk("aA\n"));
    assert_eq!(out.frames[2], Frame::bulk("it's"));
    assert!(out.closed);
    // Deterministic binary garbage (xorshift).
    let mut x: u32 = 0x9e37_79b9;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    same_on_both(&ferrodis, &redis, &garbage);
}

#[test]
fn unauthenticated_clients_have_small_limits() {
    let ferrodis = Ferrodis::start(&["--requirepass", "secret"]);
    let redis = RealRedis::start(&["--requirepass", "secret"]);
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*100\r\n"),
        "unauthenticated multibulk length",
    );
    protocol_error(
        &same_on_both(&ferrodis, &redis, b"*1\r\n$100000\r\n"),
        "unauthenticated bulk length",
    );
    // The same sizes are fine once authenticated.
    let mut big = b"AUTH secret\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'v', 100_000));
    big.extend_from_slice(b"\r\nSTRLEN k\r\n");
    let out = same_on_both(&ferrodis, &redis, &big);
    assert_eq!(out.frames.last(), Some(&Frame::Integer(100_000)));
}

#[test]
fn half_a_frame_then_close_changes_nothing() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    for server_addr in [ferrodis.addr, redis.addr] {
        let mut c = common::Client::connect(server_addr);
        c.send(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc");
        drop(c);
        let mut other = common::Client::connect(server_addr);
        assert_eq!(other.cmd(&["GET", "half"]), Frame::Null);
        assert_eq!(other.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

#[test]
fn huge_claimed_lengths_do_not_allocate() {
    let ferrodis = Ferrodis::start(&[]);
    let before = rss();
    // Five connections each claim a 500 MB argument and send 3 bytes of it.
    let mut conns = Vec::new();
    for _ in 0..5 {
        let mut c = ferrodis.client();
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\nabc");
        conns.push(c);
    }
    // The server has read them once it answers a later client.
    assert_eq!(ferrodis.client().cmd(&["PING"]), Frame::simple("PONG"));
    std::thread::sleep(Duration::from_millis(200));
    let grown = rss().saturating_sub(before);
    assert!(
        grown < 100 << 20,
        "RSS grew by {grown} bytes for 15 bytes of payload"
    );
}

#[test]
fn a_client_that_never_reads_does_not_stop_the_server() {
    let ferrodis = Ferrodis::start(&[]);
    let mut setup = ferrodis.client();
    let big = "x".repeat(1 << 20);
    assert_eq!(setup.cmd(&["SET", "big", &big]), Frame::ok());
    let before = rss();
    // 2000 GETs of 1 MB = 2 GB of replies that are never read.
    let mut lazy = ferrodis.client();
    lazy.send(&b"GET big\r\n".repeat(2000));
    std::thread::sleep(Duration::from_millis(500));
    let mut other = ferrodis.client();
    assert_eq!(other.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(other.cmd(&["STRLEN", "big"]), Frame::Integer(1 << 20));
    let grown = rss().saturating_sub(before);
    assert!(
        grown < 200 << 20,
        "RSS grew by {grown} bytes for an unread client"
    );
}

/// This process's resident set (the in-process server's memory is ours).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}
