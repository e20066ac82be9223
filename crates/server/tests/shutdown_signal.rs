//! SIGTERM and SIGINT against redis-server 7.0.15, on both binaries: a final save
//! that fails cancels the shutdown (the server keeps serving its data, a later
//! SIGTERM saves and exits 0), and a SIGINT during the save exits at once with
//! status 1. The log lines must be Redis's.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use aof_support::{Kind, Proc};
use common::TempDir;
use ferrodis_resp::Frame;

fn signal(p: &Proc, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the log holds `line`; panics with the log after 30 s.
fn wait_log(p: &Proc, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !p.log_text().contains(line) {
        assert!(
            Instant::now() < deadline,
            "no {line:?} in:\n{}",
            p.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The messages logged after start-up by the server with `pid`, without Redis's
/// prefixes (`pid:role date time mark`, or `pid:signal-handler (time)` for lines
/// logged inside a signal handler), the pid, the data directory and the server's
/// name made neutral.
fn messages(log: &str, pid: u32, dir: &TempDir) -> Vec<String> {
    let (_, after) = log.split_once("Ready to accept connections").unwrap();
    after
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let message = match l.split_once(":signal-handler (") {
                Some((_, rest)) => rest.split_once(") ").unwrap().1,
                None => l.splitn(7, ' ').nth(6).unwrap(),
            };
            message
                .replace(dir.path.to_str().unwrap(), "DIR")
                .replace(&pid.to_string(), "PID")
                .replace("ferrodis is now", "Redis is now")
        })
        .collect()
}

fn wait_exit(p: Proc, dir: &TempDir) -> (ExitStatus, Vec<String>) {
    let pid = p.child.id();
    let (status, log) = p.wait_exit(Duration::from_secs(30));
    (status, messages(&log, pid, dir))
}

/// `save 3600 1`, a key, then `dump.rdb` made a directory so that the final
/// save's rename fails (as root too): SIGTERM must leave the server serving.
/// Once the directory is gone, SIGTERM saves and exits 0, and the file loads.
fn failed_final_save(kind: Kind) -> Vec<String> {
    let dir = TempDir::new("sigterm-failed-save");
    let p = Proc::start(kind, &dir.path, &["--save", "3600 1"]);
    let mut c = p.client();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    let blocker = dir.path.join("dump.rdb");
    std::fs::create_dir(&blocker).unwrap();

    signal(&p, "-TERM");
    wait_log(
        &p,
        "Errors trying to shut down the server. Check the logs for more information.",
    );
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"), "{kind:?}");
    assert_eq!(c.cmd(&["GET", "k"]), Frame::bulk("v"), "{kind:?}");
    assert_eq!(c.cmd(&["SET", "k2", "w"]), Frame::ok());

    std::fs::remove_dir(&blocker).unwrap();
    signal(&p, "-TERM");
    let (status, messages) = wait_exit(p, &dir);
    assert!(status.success(), "{kind:?}: {status}");
    let again = Proc::start(kind, &dir.path, &[]);
    let mut c = again.client();
    assert_eq!(c.cmd(&["GET", "k"]), Frame::bulk("v"), "{kind:?}");
    assert_eq!(c.cmd(&["GET", "k2"]), Frame::bulk("w"), "{kind:?}");
    messages
}

#[test]
fn a_failed_final_save_keeps_serving_until_a_later_sigterm_saves() {
    let ours = failed_final_save(Kind::Ferrodis);
    let theirs = failed_final_save(Kind::Redis);
    assert_eq!(ours, theirs);
    let failure = "Error moving temp DB file temp-PID.rdb on the final destination \
                   dump.rdb (in server root dir DIR): Is a directory";
    assert!(ours.iter().any(|m| m == failure), "{ours:#?}");
}

/// A second SIGINT while the final save runs: Redis exits at once, status 1,
/// removing the save's temp file. The temp file is made a FIFO, so that the save
/// blocks opening it (until that SIGINT).
fn sigint_during_the_save(kind: Kind, first: &str) -> Vec<String> {
    let dir = TempDir::new("sigint-insist");
    let p = Proc::start(kind, &dir.path, &["--save", "3600 1"]);
    assert_eq!(p.client().cmd(&["SET", "k", "v"]), Frame::ok());
    let temp = dir.path.join(format!("temp-{}.rdb", p.child.id()));
    assert!(Command::new("mkfifo")
        .arg(&temp)
        .status()
        .unwrap()
        .success());
    signal(&p, first);
    wait_log(&p, "Saving the final RDB snapshot before exiting.");
    signal(&p, "-INT");
    let (status, messages) = wait_exit(p, &dir);
    assert_eq!(status.code(), Some(1), "{kind:?}");
    assert!(!temp.exists(), "{kind:?}: the temp file is removed");
    assert!(!dir.path.join("dump.rdb").exists(), "{kind:?}");
    messages
}

#[test]
fn a_sigint_during_the_final_save_exits_at_once() {
    for first in ["-TERM", "-INT"] {
        let ours = sigint_during_the_save(Kind::Ferrodis, first);
        let theirs = sigint_during_the_save(Kind::Redis, first);
        assert_eq!(ours, theirs, "{first}");
        assert_eq!(ours.last().unwrap(), "You insist... exiting now.");
    }
}

/// `shutdown-on-sigterm nosave` skips the save (so its failure cannot matter);
/// `shutdown-on-sigint force` exits although it fails.
fn configured(kind: Kind, config: &str, value: &str, sig: &str) -> Vec<String> {
    let dir = TempDir::new("sigterm-config");
    let p = Proc::start(kind, &dir.path, &["--save", "3600 1"]);
    let mut c = p.client();
    assert_eq!(c.cmd(&["CONFIG", "SET", config, value]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    std::fs::create_dir(dir.path.join("dump.rdb")).unwrap();
    signal(&p, sig);
    let (status, messages) = wait_exit(p, &dir);
    assert!(status.success(), "{kind:?}: {status}");
    messages
}

#[test]
fn shutdown_on_sigterm_and_sigint_configs() {
    for (config, value, sig) in [
        ("shutdown-on-sigterm", "nosave", "-TERM"),
        ("shutdown-on-sigint", "force", "-INT"),
        ("shutdown-on-sigterm", "now force", "-TERM"),
    ] {
        let ours = configured(Kind::Ferrodis, config, value, sig);
        let theirs = configured(Kind::Redis, config, value, sig);
        assert_eq!(ours, theirs, "{config} {value}");
    }
}
