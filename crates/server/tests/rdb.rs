//! RDB persistence in the server: files ferrodis saves load into a real
//! redis-server 7.0 and the reverse, key by key; SAVE, BGSAVE, LASTSAVE, save
//! rules, MISCONF, SHUTDOWN and SIGTERM saves, DEBUG RELOAD.
#![allow(clippy::unwrap_used)]

mod common;
mod rdb_support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{free_port, text, wait_for_port, Client, Ferrodis, RealRedis, TempDir};
use ferrodis_resp::Frame;
use rdb_support::{file_contents, info_field, populate, server_contents, wait_info};

fn dir_arg(d: &TempDir) -> &str {
    d.path.to_str().unwrap()
}

#[test]
fn files_ferrodis_saves_load_into_redis_with_identical_contents() {
    let dir = TempDir::new("rdb-to-redis");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--enable-protected-configs", "yes"]);
    let mut c = ferrodis.client();
    populate(&mut c);
    let ours = server_contents(&mut c);
    assert!(ours.len() > 60, "{}", ours.len());
    assert_eq!(c.cmd(&["SAVE"]), Frame::ok());
    assert_eq!(file_contents(&dir.path.join("dump.rdb")), ours);
    let check = std::process::Command::new(common::redis_tool("redis-check-rdb"))
        .arg(dir.path.join("dump.rdb"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let redis = RealRedis::start(&["--dir", dir_arg(&dir), "--dbfilename", "dump.rdb"]);
    assert_eq!(server_contents(&mut redis.client()), ours);
    drop(redis);

    // The same through BGSAVE, uncompressed, to another file name.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "rdbcompression", "no"]),
        Frame::ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dbfilename", "bg.rdb"]),
        Frame::ok()
    );
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Frame::simple("Background saving started")
    );
    wait_info(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    let redis = RealRedis::start(&["--dir", dir_arg(&dir), "--dbfilename", "bg.rdb"]);
    assert_eq!(server_contents(&mut redis.client()), ours);
}

#[test]
fn files_redis_saves_load_into_ferrodis_with_identical_contents() {
    let dir = TempDir::new("rdb-from-redis");
    let redis = RealRedis::start(&["--dir", dir_arg(&dir)]);
    let mut r = redis.client();
    populate(&mut r);
    let theirs = server_contents(&mut r);
    assert_eq!(r.cmd(&["SAVE"]), Frame::ok());
    assert_eq!(file_contents(&dir.path.join("dump.rdb")), theirs);
    // Loaded at start-up, and again by DEBUG RELOAD NOSAVE.
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--enable-debug-command", "yes"]);
    let mut c = ferrodis.client();
    assert_eq!(server_contents(&mut c), theirs);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), Frame::ok());
    assert_eq!(server_contents(&mut c), theirs);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    let loaded = theirs.len().to_string();
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), loaded);
}

#[test]
fn debug_reload_keeps_the_dataset_and_checks_its_options() {
    let dir = TempDir::new("rdb-reload");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--enable-debug-command", "yes"]);
    let mut c = ferrodis.client();
    populate(&mut c);
    let before = server_contents(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), Frame::ok());
    assert_eq!(server_contents(&mut c), before);
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "FAST"]),
        Frame::error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    );
}

#[test]
fn save_bgsave_and_lastsave_reply_like_redis() {
    let dir = TempDir::new("rdb-replies");
    // A slow save (Redis's test knob: microseconds per key) to catch it running.
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--rdb-key-save-delay", "200"]);
    let mut c = ferrodis.client();
    let start = match c.cmd(&["LASTSAVE"]) {
        Frame::Integer(n) => n,
        other => panic!("{other:?}"),
    };
    assert!(start > 1_600_000_000);
    assert_eq!(c.cmd(&["BGSAVE", "x"]), Frame::error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["BGSAVE", "SCHEDULE", "x"]),
        Frame::error("ERR syntax error")
    );
    for i in 0..20_000 {
        c.send(format!("*3\r\n$3\r\nSET\r\n$6\r\nk{i:05}\r\n$1\r\nv\r\n").as_bytes());
    }
    for _ in 0..20_000 {
        c.read_frame().unwrap();
    }
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "20000");
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Frame::simple("Background saving started")
    );
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1");
    assert_eq!(info_field(&mut c, "current_save_keys_total"), "20000");
    let busy = Frame::error("ERR Background save already in progress");
    assert_eq!(c.cmd(&["BGSAVE"]), busy);
    assert_eq!(c.cmd(&["BGSAVE", "SCHEDULE"]), busy);
    assert_eq!(c.cmd(&["SAVE"]), busy);
    assert_eq!(c.cmd(&["SET", "during", "1"]), Frame::ok());
    wait_info(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert_eq!(
        info_field(&mut c, "rdb_changes_since_last_save"),
        "1",
        "the write made during the save is still unsaved"
    );
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 20_000);
    // Inside MULTI, BGSAVE is scheduled; the cron starts it.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "0"]),
        Frame::ok()
    );
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["BGSAVE"]), Frame::simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::Array(vec![Frame::simple("Background saving scheduled")])
    );
    wait_info(&mut c, "rdb_saves", "2");
    wait_info(&mut c, "rdb_bgsave_in_progress", "0");
    assert_eq!(c.cmd(&["SAVE"]), Frame::ok());
    assert_eq!(info_field(&mut c, "rdb_saves"), "3");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 20_001);
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(
        c.cmd(&["SAVE"]),
        Frame::error("ERR Command not allowed inside a transaction")
    );
}

#[test]
fn save_rules_trigger_a_background_save() {
    let dir = TempDir::new("rdb-rules");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--save", "1 2"]);
    let mut c = ferrodis.client();
    assert_eq!(c.cmd(&["SET", "a", "1"]), Frame::ok());
    // One change is below the rule: nothing happens, however long we wait.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(info_field(&mut c, "rdb_saves"), "0");
    assert_eq!(c.cmd(&["SET", "b", "2"]), Frame::ok());
    wait_info(&mut c, "rdb_saves", "1");
    wait_info(&mut c, "rdb_changes_since_last_save", "0");
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 2);
    // CONFIG SET save applies at once.
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "c", "3"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "d", "4"]), Frame::ok());
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
}

/// Makes `dump.rdb` in `dir` a non-empty directory, so renaming a save onto it
/// fails (root ignores permissions, so an unwritable dir would not do).
fn block_rdb_file(dir: &TempDir) {
    let blocker = dir.path.join("dump.rdb");
    std::fs::create_dir_all(&blocker).unwrap();
    std::fs::write(blocker.join("x"), b"x").unwrap();
}

#[test]
fn a_failed_bgsave_refuses_writes_with_misconf_like_redis() {
    let (ours, theirs) = (TempDir::new("rdb-misconf-f"), TempDir::new("rdb-misconf-r"));
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&ours), "--save", "3600 1"]);
    let redis = RealRedis::start(&["--dir", dir_arg(&theirs), "--save", "3600 1"]);
    // After the start: a server loads dump.rdb when it starts.
    block_rdb_file(&ours);
    block_rdb_file(&theirs);
    let mut replies = Vec::new();
    for mut c in [ferrodis.client(), redis.client()] {
        let mut got = vec![c.cmd(&["SET", "k", "1"]), c.cmd(&["BGSAVE"])];
        wait_info(&mut c, "rdb_bgsave_in_progress", "0");
        got.push(Frame::Bulk(
            info_field(&mut c, "rdb_last_bgsave_status").into(),
        ));
        for args in [
            &["SET", "k", "2"][..],
            &["PING"],
            &["GET", "k"],
            &["MULTI"],
            &["SET", "k", "3"],
            &["EXEC"],
            &["MULTI"],
            &["GET", "k"],
            &["EXEC"],
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
            &["SET", "k", "4"],
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
            &["CONFIG", "SET", "save", ""],
            &["SET", "k", "5"],
        ] {
            got.push(c.cmd(args));
        }
        replies.push(got);
    }
    assert_eq!(replies[0], replies[1]);
    assert!(matches!(&replies[0][3], Frame::Error(e) if e.starts_with(b"MISCONF")));
}

#[test]
fn shutdown_saves_when_rules_are_set_or_asked() {
    // Save rules set: SHUTDOWN saves the dataset, then stops.
    let dir = TempDir::new("rdb-shutdown");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--save", "3600 1"]);
    let mut c = ferrodis.client();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    c.send(b"*1\r\n$8\r\nSHUTDOWN\r\n");
    assert_eq!(c.read_frame(), None);
    assert!(ferrodis.stopped_within(Duration::from_secs(10)));
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 1);

    // NOSAVE: no file.
    let dir = TempDir::new("rdb-shutdown-nosave");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--save", "3600 1"]);
    let mut c = ferrodis.client();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert_eq!(c.read_frame(), None);
    assert!(ferrodis.stopped_within(Duration::from_secs(10)));
    assert!(!dir.path.join("dump.rdb").exists());

    // A save that fails keeps the server up, unless FORCE.
    let dir = TempDir::new("rdb-shutdown-fail");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir)]);
    block_rdb_file(&dir);
    let mut c = ferrodis.client();
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE"]),
        Frame::error("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    c.send(b"*3\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n$5\r\nFORCE\r\n");
    assert_eq!(c.read_frame(), None);
    assert!(ferrodis.stopped_within(Duration::from_secs(10)));
}

/// Waits for `needle` in the log file (20 s at most).
fn wait_log(path: &std::path::Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.contains(needle) {
            return log;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_binary_logs_rule_saves_and_saves_on_sigterm() {
    let dir = TempDir::new("rdb-binary");
    let log = dir.path.join("log");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis-server"))
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--dir", dir_arg(&dir), "--save", "1 1"])
        .args(["--logfile", log.to_str().unwrap()])
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for_port(addr);
    let mut c = Client::connect(addr);
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    wait_log(&log, "1 changes in 1 seconds. Saving...");
    wait_log(&log, "Background saving started by pid");
    wait_log(&log, "Background saving terminated with success");
    assert_eq!(c.cmd(&["SET", "k2", "v"]), Frame::ok());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let text = wait_log(&log, "Saving the final RDB snapshot before exiting.");
    assert!(text.contains("DB saved on disk"), "{text}");
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 2);
    assert!(!std::fs::read_dir(&dir.path).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("temp-")));
}

#[test]
fn info_persistence_has_redis_fields_in_redis_order() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let names = |c: &mut Client| -> Vec<String> {
        text(&c.cmd(&["INFO", "persistence"]))
            .lines()
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
            .filter(|k| !k.starts_with("aof_") && !k.starts_with("module_fork"))
            .collect()
    };
    assert_eq!(names(&mut ferrodis.client()), names(&mut redis.client()));
}

/// FLUSHALL with save rules set saves the empty dataset at once (Redis's
/// `flushAllDataAndResetRDB()`), so a crash right after it cannot bring the keys
/// back from an older dump.rdb; the flush still counts as a change. Without save
/// rules the file is left alone, as in Redis.
#[test]
fn flushall_saves_the_empty_dataset_when_rules_are_set() {
    let dir = TempDir::new("rdb-flushall");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir), "--save", "3600 1000"]);
    let mut c = ferrodis.client();
    for i in 0..10 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), Frame::ok());
    }
    assert_eq!(c.cmd(&["SAVE"]), Frame::ok());
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 10);
    assert_eq!(c.cmd(&["FLUSHALL"]), Frame::ok());
    assert!(file_contents(&dir.path.join("dump.rdb")).is_empty());
    assert_ne!(info_field(&mut c, "rdb_changes_since_last_save"), "0");

    let dir = TempDir::new("rdb-flushall-norules");
    let ferrodis = Ferrodis::start(&["--dir", dir_arg(&dir)]);
    let mut c = ferrodis.client();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    assert_eq!(c.cmd(&["SAVE"]), Frame::ok());
    assert_eq!(c.cmd(&["FLUSHALL"]), Frame::ok());
    assert_eq!(file_contents(&dir.path.join("dump.rdb")).len(), 1);
}
