//! AOF write errors, ferrodis-server and redis-server 7.0 side by side: the file
//! size limit (RLIMIT_FSIZE, set with `prlimit` on the running process, SIGXFSZ
//! ignored from the start) makes the AOF's next write fail with EFBIG, or stop
//! part way (a short write, reported as ENOSPC). Writes and PING are then refused
//! with MISCONF until a retry succeeds; with `appendfsync always` the server exits.
//! Both servers must give the same replies, and keep the same data.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aof_support::{assert_same, dump, Kind, Proc};
use common::{Client, TempDir};
use ferrodis_resp::Frame;

/// SIGXFSZ would kill either server; ignored, the write fails with EFBIG instead.
const IGNORE_XFSZ: &str = "trap '' XFSZ";

fn show(f: &Frame) -> String {
    match f {
        Frame::Error(e) => format!("-{}", String::from_utf8_lossy(e)),
        Frame::Array(items) => {
            format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(","))
        }
        other => aof_support::word(other),
    }
}

/// The size limit on files the process writes (soft limit; `None` lifts it).
fn limit_file_size(p: &Proc, bytes: Option<u64>) {
    let value = bytes.map_or("unlimited".to_string(), |b| b.to_string());
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &p.child.id().to_string(),
            &format!("--fsize={value}:"),
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

fn incr_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .unwrap()
}

fn info_field(c: &mut Client, name: &str) -> String {
    let info = common::text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Retries `argv` until it is not refused any more (the server retries its write
/// on its own).
fn until_accepted(c: &mut Client, argv: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = show(&c.cmd(argv));
        if !reply.starts_with("-MISCONF") {
            return reply;
        }
        assert!(Instant::now() < deadline, "still refused: {reply}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The scenario, returning every reply; `dir` is left with the AOF of the end.
fn scenario(kind: Kind, dir: &Path) -> (Vec<String>, String) {
    let p = Proc::start_after(kind, dir, &["--appendonly", "yes"], Some(IGNORE_XFSZ));
    let mut c = p.client();
    let mut out = Vec::new();
    // A big value first, so the log file stays under the limits set below.
    let big = "x".repeat(200_000);
    out.push(show(&c.cmd(&["SET", "big", &big])));
    out.push(show(&c.cmd(&["SET", "a", "1"])));

    // EFBIG: the limit is the incr file's size.
    limit_file_size(&p, Some(incr_size(dir)));
    out.push(show(&c.cmd(&["SET", "b", "2"])));
    out.push(show(&c.cmd(&["SET", "c", "3"])));
    out.push(show(&c.cmd(&["PING"])));
    out.push(show(&c.cmd(&["GET", "a"])));
    out.push(show(&c.cmd(&["ECHO", "e"])));
    out.push(show(&c.cmd(&["MULTI"])));
    out.push(show(&c.cmd(&["GET", "a"])));
    out.push(show(&c.cmd(&["EXEC"])));
    out.push(show(&c.cmd(&["MULTI"])));
    out.push(show(&c.cmd(&["INCR", "n"])));
    out.push(show(&c.cmd(&["EXEC"])));
    out.push(info_field(&mut c, "aof_last_write_status"));
    limit_file_size(&p, None);
    out.push(until_accepted(&mut c, &["SET", "d", "4"]));
    out.push(info_field(&mut c, "aof_last_write_status"));
    out.push(show(&c.cmd(&["PING"])));

    // A short write: room for a few bytes only; the partial write is removed.
    limit_file_size(&p, Some(incr_size(dir) + 10));
    out.push(show(&c.cmd(&["SET", "e", "5"])));
    out.push(show(&c.cmd(&["SET", "f", "6"])));
    out.push(show(&c.cmd(&["PING"])));
    out.push(info_field(&mut c, "aof_last_write_status"));
    limit_file_size(&p, None);
    out.push(until_accepted(&mut c, &["SET", "g", "7"]));
    out.push(info_field(&mut c, "aof_last_write_status"));
    let log = p.log_text();
    p.shutdown();
    (out, log)
}

#[test]
fn write_errors_refuse_writes_until_a_retry_succeeds() {
    let ours = TempDir::new("aof-errors-ferrodis");
    let theirs = TempDir::new("aof-errors-redis");
    let (replies, log) = scenario(Kind::Ferrodis, &ours.path);
    let (expected, redis_log) = scenario(Kind::Redis, &theirs.path);
    assert_eq!(replies, expected);
    assert_eq!(
        replies[3],
        "-MISCONF Errors writing to the AOF file: File too large"
    );
    assert_eq!(replies[4], replies[3], "PING is refused too");
    assert!(replies
        .contains(&"-MISCONF Errors writing to the AOF file: No space left on device".to_string()));
    for line in [
        "Error writing to the AOF file: File too large",
        "AOF write error looks solved, Redis can write again.",
    ] {
        assert!(redis_log.contains(line), "redis-server: {line}");
        assert!(log.contains(line), "ferrodis: {line}\n{log}");
    }
    // At most one error line per 30 seconds: the short write is not logged.
    assert!(!redis_log.contains("Short write"));
    assert!(!log.contains("Short write"), "{log}");
    // The refused writes are not there, the accepted ones are, and the partial
    // write left nothing behind: both restart on their AOF with the same data.
    let p = Proc::start(Kind::Ferrodis, &ours.path, &["--appendonly", "yes"]);
    let r = Proc::start(Kind::Redis, &theirs.path, &["--appendonly", "yes"]);
    let (ours, theirs) = (dump(&mut p.client(), 1), dump(&mut r.client(), 1));
    assert_same(&ours, &theirs, "after restart");
    assert_eq!(ours.get(&(0, "b".to_string())).unwrap(), "string: 2");
    assert!(!ours.contains_key(&(0, "c".to_string())));
}

#[test]
fn with_appendfsync_always_a_write_error_exits() {
    for kind in [Kind::Ferrodis, Kind::Redis] {
        let dir = TempDir::new("aof-errors-always");
        let args = ["--appendonly", "yes", "--appendfsync", "always"];
        let p = Proc::start_after(kind, &dir.path, &args, Some(IGNORE_XFSZ));
        let mut c = p.client();
        c.cmd(&["SET", "big", &"x".repeat(200_000)]);
        limit_file_size(&p, Some(incr_size(&dir.path)));
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
        let (status, log) = p.wait_exit(Duration::from_secs(20));
        assert_eq!(status.code(), Some(1), "{kind:?}");
        assert!(
            log.contains(
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
            ),
            "{kind:?}: {log}"
        );
    }
}

/// Polls INFO persistence until `aof_rewrite_in_progress:0` and `name` is `value`.
fn wait_info(c: &mut Client, name: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "aof_rewrite_in_progress") != "0" || info_field(c, name) != value {
        assert!(
            Instant::now() < deadline,
            "{name} never {value}: {}",
            common::text(&c.cmd(&["INFO", "persistence"]))
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn failing_automatic_rewrites_back_off_but_bgrewriteaof_always_runs() {
    let dir = TempDir::new("aof-rewrite-limit");
    let args = ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"];
    let p = Proc::start(Kind::Ferrodis, &dir.path, &args);
    // The rewrite's temp file cannot be created: a directory has its name.
    let temp = dir
        .path
        .join(format!("temp-rewriteaof-bg-{}.aof", p.child.id()));
    std::fs::create_dir(&temp).unwrap();
    let mut c = p.client();
    c.cmd(&["SET", "big", &"x".repeat(10_000)]);
    c.cmd(&["CONFIG", "SET", "auto-aof-rewrite-min-size", "1"]);
    c.cmd(&["CONFIG", "SET", "auto-aof-rewrite-percentage", "10"]);
    wait_info(&mut c, "aof_rewrites_consecutive_failures", "3");
    let limit = "Background AOF rewrite has repeatedly failed and triggered the limit, \
                 will retry in 1 minutes";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !p.log_text().contains(limit) {
        assert!(Instant::now() < deadline, "no limit: {}", p.log_text());
        std::thread::sleep(Duration::from_millis(10));
    }
    // Limited: the cron (10 times a second) starts no rewrite for a minute.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(info_field(&mut c, "aof_rewrites"), "3");
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "err");

    // By hand it runs, and its failure counts.
    assert_eq!(
        show(&c.cmd(&["BGREWRITEAOF"])),
        "Background append only file rewriting started"
    );
    wait_info(&mut c, "aof_rewrites_consecutive_failures", "4");
    std::fs::remove_dir(&temp).unwrap();
    c.cmd(&["BGREWRITEAOF"]);
    wait_info(&mut c, "aof_rewrites_consecutive_failures", "0");
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(info_field(&mut c, "aof_rewrites"), "5");
    assert_eq!(common::text(&c.cmd(&["GET", "big"])).len(), 10_000);
}
