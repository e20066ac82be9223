//! The AOF directory moves both ways between ferrodis and a real redis-server 7.0:
//! each starts from the files the other wrote (base + incr files, RESP or RDB
//! base) with the same dataset, key by key.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use aof_support::{aof_files, assert_same, dump, wait_rewrites, write_mix, Kind, Proc};
use common::TempDir;

const DBS: usize = 6;

fn redis_server_loads_what_ferrodis_wrote(preamble: &str) {
    let dir = TempDir::new("aof-to-redis");
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    let base = if preamble == "yes" {
        ".base.rdb"
    } else {
        ".base.aof"
    };
    // 1. A fresh directory: an empty RDB base (aof-use-rdb-preamble yes) + commands.
    let ours = Proc::start(Kind::Ferrodis, &dir.path, &args);
    let mut c = ours.client();
    write_mix(&mut c, "a");
    let expected = dump(&mut c, DBS);
    assert!(ours.shutdown().success());
    assert_eq!(
        aof_files(&dir.path)[..2],
        [
            format!("appendonly.aof.1{base}"),
            "appendonly.aof.1.incr.aof".into()
        ]
    );
    let redis = Proc::start(Kind::Redis, &dir.path, &args);
    assert_same(
        &expected,
        &dump(&mut redis.client(), DBS),
        "empty base + incr",
    );
    redis.shutdown();

    // 2. After a rewrite: a base written from the snapshot, then more increments.
    let ours = Proc::start(Kind::Ferrodis, &dir.path, &args);
    let mut c = ours.client();
    assert_same(
        &expected,
        &dump(&mut c, DBS),
        "ferrodis reloads redis's files",
    );
    c.cmd(&["BGREWRITEAOF"]);
    wait_rewrites(&mut c, 1);
    write_mix(&mut c, "b");
    let expected = dump(&mut c, DBS);
    assert!(ours.shutdown().success());
    let files = aof_files(&dir.path);
    assert!(
        files.contains(&format!("appendonly.aof.2{base}")),
        "a rewritten base: {files:?}"
    );
    let redis = Proc::start(Kind::Redis, &dir.path, &args);
    assert_same(
        &expected,
        &dump(&mut redis.client(), DBS),
        "rewritten base + incr",
    );
    redis.shutdown();
}

#[test]
fn redis_server_loads_ferrodis_aof_with_rdb_base() {
    redis_server_loads_what_ferrodis_wrote("yes");
}

#[test]
fn redis_server_loads_ferrodis_aof_with_resp_base() {
    redis_server_loads_what_ferrodis_wrote("no");
}

fn ferrodis_loads_what_redis_wrote(preamble: &str) {
    let dir = TempDir::new("aof-from-redis");
    let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    let redis = Proc::start(Kind::Redis, &dir.path, &args);
    let mut c = redis.client();
    write_mix(&mut c, "a");
    c.cmd(&["BGREWRITEAOF"]);
    wait_rewrites(&mut c, 1);
    write_mix(&mut c, "b");
    let expected = dump(&mut c, DBS);
    redis.shutdown();
    let base = if preamble == "yes" {
        ".base.rdb"
    } else {
        ".base.aof"
    };
    let files = aof_files(&dir.path);
    assert!(files.iter().any(|f| f.ends_with(base)), "{files:?}");

    let ours = Proc::start(Kind::Ferrodis, &dir.path, &["--appendonly", "yes"]);
    let mut c = ours.client();
    assert_same(&expected, &dump(&mut c, DBS), "ferrodis loads redis's AOF");
    let log = ours.log_text();
    assert!(log.contains("DB loaded from append only file"), "{log}");
    ours.shutdown();
}

#[test]
fn ferrodis_loads_redis_aof_with_resp_base() {
    ferrodis_loads_what_redis_wrote("no");
}

#[test]
fn ferrodis_loads_redis_aof_with_rdb_base() {
    ferrodis_loads_what_redis_wrote("yes");
}

#[test]
fn a_legacy_appendonly_aof_is_upgraded() {
    let dir = TempDir::new("aof-legacy");
    std::fs::write(
        dir.path.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
    )
    .unwrap();
    let ours = Proc::start(Kind::Ferrodis, &dir.path, &["--appendonly", "yes"]);
    let mut c = ours.client();
    assert_eq!(aof_support::word(&c.cmd(&["GET", "k"])), "v");
    c.cmd(&["SET", "k2", "v2"]);
    let log = ours.log_text();
    assert!(
        log.contains("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."),
        "{log}"
    );
    ours.shutdown();
    assert!(!dir.path.join("appendonly.aof").exists());
    let redis = Proc::start(Kind::Redis, &dir.path, &["--appendonly", "yes"]);
    let mut c = redis.client();
    assert_eq!(aof_support::word(&c.cmd(&["GET", "k2"])), "v2");
    redis.shutdown();
}

/// The names of INFO persistence's fields, in order.
fn persistence_fields(p: &Proc) -> Vec<String> {
    let info = common::text(&p.client().cmd(&["INFO", "persistence"]));
    info.lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .collect()
}

#[test]
fn info_persistence_has_redis_fields_in_order() {
    for appendonly in ["yes", "no"] {
        let (a, b) = (TempDir::new("aof-info-f"), TempDir::new("aof-info-r"));
        let args = ["--appendonly", appendonly];
        let ours = Proc::start(Kind::Ferrodis, &a.path, &args);
        let redis = Proc::start(Kind::Redis, &b.path, &args);
        assert_eq!(
            persistence_fields(&ours),
            persistence_fields(&redis),
            "appendonly {appendonly}"
        );
        ours.shutdown();
        redis.shutdown();
    }
}
