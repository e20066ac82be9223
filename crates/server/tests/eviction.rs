//! `maxmemory` and the eviction policies: the OOM error and the maxmemory configs
//! against a real redis-server, and each policy's choice of victims on ferrodis.
//!
//! The counting allocator is installed in this test binary, so `used_memory` is the
//! whole test process: the tests take turns (one server alive at a time) and
//! measure their baseline first.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::{encode_command, Frame};

#[global_allocator]
static ALLOC: ferrodis_server::CountingAlloc = ferrodis_server::CountingAlloc;

/// One server at a time: they share the process's memory figure.
static SERIAL: Mutex<()> = Mutex::new(());

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const VALUE_LEN: usize = 1000;
/// What a command may allocate after its eviction check: INFO's reply, buffers.
const SLACK: u64 = 64 * 1024;

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A numeric INFO field.
fn info(c: &mut Client, field: &str) -> u64 {
    let all = text(&c.cmd(&["INFO", "all"]));
    all.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in INFO"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// Sends every command before reading any reply; the replies in order.
fn pipeline(c: &mut Client, commands: &[Vec<String>]) -> Vec<Frame> {
    let mut out = BytesMut::new();
    for argv in commands {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        encode_command(&argv, &mut out);
    }
    c.send(&out);
    commands
        .iter()
        .map(|_| c.read_frame().expect("a reply"))
        .collect()
}

/// `SET {prefix}{i} <1000 bytes> [extra...]` for each `i` in `range`, 100 at a time.
fn fill(c: &mut Client, prefix: &str, range: std::ops::Range<usize>, extra: &[&str]) -> Vec<Frame> {
    let value = "v".repeat(VALUE_LEN);
    let all: Vec<usize> = range.collect();
    let mut replies = Vec::new();
    for chunk in all.chunks(100) {
        let commands: Vec<Vec<String>> = chunk
            .iter()
            .map(|i| {
                let mut argv = vec!["SET".to_string(), format!("{prefix}{i}"), value.clone()];
                argv.extend(extra.iter().map(|s| s.to_string()));
                argv
            })
            .collect();
        replies.extend(pipeline(c, &commands));
    }
    replies
}

/// How many of `{prefix}{i}`, `i` in `range`, exist.
fn existing(c: &mut Client, prefix: &str, range: impl Iterator<Item = usize>) -> usize {
    let keys: Vec<String> = range.map(|i| format!("{prefix}{i}")).collect();
    let mut argv = vec!["EXISTS"];
    argv.extend(keys.iter().map(String::as_str));
    match c.cmd(&argv) {
        Frame::Integer(n) => n as usize,
        other => panic!("EXISTS: {other:?}"),
    }
}

/// Polls `cond` until it holds, for at most 20 s.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sets `maxmemory` to what is used now minus `below` bytes, waits until eviction
/// got under it, then lifts the limit. Returns the limit.
fn squeeze(c: &mut Client, below: u64) -> u64 {
    let limit = info(c, "used_memory") - below;
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        Frame::ok()
    );
    // Every command (INFO too) evicts first, and the cron evicts between them. What
    // INFO allocates for its own reply comes after: allow for it.
    wait_until("eviction to get under maxmemory", || {
        info(c, "used_memory") <= limit + SLACK
    });
    // No limit from here on, so that what the test counts holds still.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]), Frame::ok());
    limit
}

fn server(policy: &str) -> (Ferrodis, Client) {
    let server = Ferrodis::start(&["--maxmemory-policy", policy]);
    let client = server.client();
    (server, client)
}

#[test]
fn oom_replies_and_configs_match_redis() {
    let _serial = serial();
    let ours = Ferrodis::start(&["--maxmemory", "1"]);
    let redis = RealRedis::start(&["--maxmemory", "1"]);
    let (mut a, mut b) = (ours.client(), redis.client());
    let script: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["GET", "a"],
        &["DEL", "a"],
        &["INCR", "n"],
        &["LPUSH", "l", "x"],
        &["EXPIRE", "a", "10"],
        &["SET", "a"],
        &["NOSUCH", "x"],
        // Inside MULTI every command is refused, and the transaction fails.
        &["MULTI"],
        &["GET", "a"],
        &["EXEC"],
        &["MULTI"],
        &["EXEC"],
        &["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
        &["SET", "a", "1"],
        // Evicting everything does not get 1 byte low enough: OOM all the same.
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        &["SET", "a", "1"],
        &["DBSIZE"],
        &["CONFIG", "SET", "maxmemory", "100mb"],
        &["CONFIG", "GET", "maxmemory"],
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            "2GB",
            "maxmemory-policy",
            "ALLKEYS-LFU",
        ],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "SET", "maxmemory-policy", "lru"],
        &["CONFIG", "SET", "maxmemory-samples", "0"],
        &["CONFIG", "SET", "maxmemory-samples", "10"],
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "50"],
        &["CONFIG", "SET", "maxmemory", "-1"],
        &["CONFIG", "SET", "maxmemory", "1kb"],
        &["CONFIG", "GET", "maxmemory"],
    ];
    for argv in script {
        assert_eq!(a.cmd(argv), b.cmd(argv), "{argv:?}");
    }
    let pairs = |c: &mut Client| match c.cmd(&["CONFIG", "GET", "maxmemory*"]) {
        Frame::Array(items) => {
            let mut pairs: Vec<(String, String)> = items
                .chunks(2)
                .map(|p| (text(&p[0]), text(&p[1])))
                .collect();
            pairs.sort();
            pairs
        }
        other => panic!("CONFIG GET: {other:?}"),
    };
    assert_eq!(pairs(&mut a), pairs(&mut b));
    assert_eq!(a.cmd(&["SET", "a", "1"]), Frame::error(OOM));
}

#[test]
fn a_transaction_queued_before_memory_ran_out_is_aborted_at_exec() {
    let _serial = serial();
    let ours = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    for addr in [ours.addr, redis.addr] {
        let (mut tx, mut admin) = (Client::connect(addr), Client::connect(addr));
        assert_eq!(tx.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(tx.cmd(&["SET", "a", "1"]), Frame::simple("QUEUED"));
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]), Frame::ok());
        assert_eq!(
            tx.cmd(&["EXEC"]),
            Frame::error(format!("EXECABORT Transaction discarded because of: {OOM}")),
            "{addr}"
        );
        assert_eq!(tx.cmd(&["EXEC"]), Frame::error("ERR EXEC without MULTI"));
        // A transaction of reads only still runs.
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "0"]), Frame::ok());
        assert_eq!(tx.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(tx.cmd(&["GET", "a"]), Frame::simple("QUEUED"));
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxmemory", "1"]), Frame::ok());
        assert_eq!(tx.cmd(&["EXEC"]), Frame::Array(vec![Frame::Null]), "{addr}");
    }
}

#[test]
fn noeviction_refuses_writes_but_serves_reads_and_deletes() {
    let _serial = serial();
    let (_server, mut c) = server("noeviction");
    let limit = info(&mut c, "used_memory") + 2 * 1024 * 1024;
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        Frame::ok()
    );
    let replies = fill(&mut c, "k", 0..6000, &[]);
    let stored: Vec<usize> = (0..6000).filter(|&i| replies[i] == Frame::ok()).collect();
    let refused = replies.iter().filter(|r| **r == Frame::error(OOM)).count();
    // Memory hovers around the limit (buffers come and go): once it is reached,
    // writes are refused, or accepted when something else freed a little.
    assert_eq!(stored.len() + refused, 6000, "only OK or OOM");
    assert!(
        stored.len() > 500 && refused > 2000,
        "{} stored",
        stored.len()
    );
    assert!(info(&mut c, "used_memory") <= limit + 1024 * 1024);
    assert_eq!(info(&mut c, "evicted_keys"), 0);
    assert_eq!(existing(&mut c, "k", stored.iter().copied()), stored.len());
    assert_eq!(text(&c.cmd(&["GET", "k0"])).len(), VALUE_LEN);
    assert!(info(&mut c, "total_eviction_exceeded_time") < 60_000);
    // Deleting makes room again.
    let deleted = pipeline(
        &mut c,
        &stored[..stored.len() / 2]
            .iter()
            .map(|i| vec!["DEL".to_string(), format!("k{i}")])
            .collect::<Vec<_>>(),
    );
    assert!(deleted.iter().all(|r| *r == Frame::Integer(1)));
    assert_eq!(c.cmd(&["SET", "again", "1"]), Frame::ok());
    assert_eq!(info(&mut c, "current_eviction_exceeded_time"), 0);
}

#[test]
fn allkeys_policies_stay_near_the_limit() {
    let _serial = serial();
    for policy in ["allkeys-random", "allkeys-lru", "allkeys-lfu"] {
        let (server, mut c) = server(policy);
        let limit = info(&mut c, "used_memory") + 4 * 1024 * 1024;
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
            Frame::ok()
        );
        let replies = fill(&mut c, "k", 0..12_000, &[]);
        assert!(
            replies.iter().all(|r| *r == Frame::ok()),
            "{policy}: no write refused"
        );
        let used = info(&mut c, "used_memory");
        assert!(used <= limit + 1024 * 1024, "{policy}: {used} > {limit}");
        let keys = info_keys(&mut c);
        assert!((1000..12_000).contains(&keys), "{policy}: {keys} keys");
        assert_eq!(
            info(&mut c, "evicted_keys") as usize,
            12_000 - keys,
            "{policy}"
        );
        if policy == "allkeys-lru" {
            // The newest keys were just written: the least recently used they are not.
            assert_eq!(existing(&mut c, "k", 11_990..12_000), 10, "{policy}");
        }
        drop(c);
        drop(server);
    }
}

/// DBSIZE.
fn info_keys(c: &mut Client) -> usize {
    match c.cmd(&["DBSIZE"]) {
        Frame::Integer(n) => n as usize,
        other => panic!("DBSIZE: {other:?}"),
    }
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let _serial = serial();
    let (_server, mut c) = server("allkeys-lru");
    fill(&mut c, "k", 0..4000, &[]);
    // The LRU clock has a resolution of one second: let the keys age.
    wait_until(
        "keys to be idle for 2 s",
        || matches!(c.cmd(&["OBJECT", "IDLETIME", "k0"]), Frame::Integer(n) if n >= 2),
    );
    let hot = (0..4000).step_by(4);
    let reads: Vec<Vec<String>> = hot
        .clone()
        .map(|i| vec!["GET".to_string(), format!("k{i}")])
        .collect();
    pipeline(&mut c, &reads);
    // Make room for about half of the keys.
    squeeze(&mut c, 2 * 1024 * 1024);
    let evicted = info(&mut c, "evicted_keys") as usize;
    assert!(evicted > 1000, "{evicted} evicted");
    let hot_left = existing(&mut c, "k", hot);
    assert!(hot_left >= 950, "only {hot_left} of 1000 hot keys left");
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let _serial = serial();
    let (_server, mut c) = server("allkeys-lfu");
    // Every access counts: deterministic counters.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "lfu-log-factor", "0"]),
        Frame::ok()
    );
    fill(&mut c, "k", 0..4000, &[]);
    let hot = (0..4000).step_by(4);
    for _ in 0..5 {
        let reads: Vec<Vec<String>> = hot
            .clone()
            .map(|i| vec!["GET".to_string(), format!("k{i}")])
            .collect();
        pipeline(&mut c, &reads);
    }
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "k0"]), Frame::Integer(10));
    squeeze(&mut c, 2 * 1024 * 1024);
    assert!(info(&mut c, "evicted_keys") > 1000);
    let hot_left = existing(&mut c, "k", hot);
    assert!(hot_left >= 950, "only {hot_left} of 1000 hot keys left");
}

#[test]
fn volatile_policies_only_evict_keys_with_a_ttl() {
    let _serial = serial();
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let (server, mut c) = server(policy);
        fill(&mut c, "p", 0..1500, &[]);
        // TTLs growing with the index, for volatile-ttl.
        for i in 0..1500 {
            let ttl = (10_000 + i).to_string();
            let commands = vec![vec![
                "SET".to_string(),
                format!("t{i}"),
                "v".repeat(VALUE_LEN),
                "EX".to_string(),
                ttl,
            ]];
            assert_eq!(pipeline(&mut c, &commands), [Frame::ok()]);
        }
        squeeze(&mut c, 1024 * 1024);
        let evicted = info(&mut c, "evicted_keys") as usize;
        assert!(evicted > 300, "{policy}: {evicted} evicted");
        assert_eq!(existing(&mut c, "p", 0..1500), 1500, "{policy}");
        assert_eq!(existing(&mut c, "t", 0..1500), 1500 - evicted, "{policy}");
        if policy == "volatile-ttl" {
            // Nearest expiry first: the first third goes before the last one.
            let first = existing(&mut c, "t", 0..500);
            let last = existing(&mut c, "t", 1000..1500);
            assert!(first * 4 < last, "{policy}: {first} vs {last}");
        }
        // Once no key has a TTL, nothing can be evicted: writes are refused.
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1"]), Frame::ok());
        wait_until("the OOM error", || {
            c.cmd(&["SET", "x", "1"]) == Frame::error(OOM)
        });
        assert_eq!(existing(&mut c, "t", 0..1500), 0, "{policy}");
        assert_eq!(existing(&mut c, "p", 0..1500), 1500, "{policy}");
        assert_eq!(text(&c.cmd(&["GET", "p0"])).len(), VALUE_LEN);
        drop(c);
        drop(server);
    }
}

#[test]
fn low_tenacity_spreads_eviction_without_refusing_writes() {
    let _serial = serial();
    let (_server, mut c) = server("allkeys-random");
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "0"]),
        Frame::ok()
    );
    fill(&mut c, "k", 0..4000, &[]);
    let limit = info(&mut c, "used_memory") - 2 * 1024 * 1024;
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        Frame::ok()
    );
    // Each command evicts only 16 keys before handing over to the cron: a write right
    // after the limit dropped is accepted, not refused.
    assert_eq!(c.cmd(&["SET", "fresh", "1"]), Frame::ok());
    wait_until("eviction to get under maxmemory", || {
        info(&mut c, "used_memory") <= limit + SLACK
    });
    assert!(info(&mut c, "evicted_keys") > 1000);
}
