//! Truncated and corrupted AOFs: a small incr file cut at every byte offset, and
//! with each record header corrupted, loaded as at start-up. With
//! `aof-load-truncated yes` the complete commands load and the file is cut back to
//! them; with `no` the load fails with Redis's message; corruption fails naming the
//! offset. The binary exits 1 where Redis does, with Redis's log lines.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use std::path::Path;
use std::time::Duration;

use aof_support::{word, Kind, Proc};
use bytes::Bytes;
use common::TempDir;
use ferrodis_aof::{parse_record, AofDir, Record};
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_server::load::load_aof;

const PREFIX: &str = "appendonly.aof";
const INCR: &str = "appendonly.aof.1.incr.aof";

/// The log: plain commands, a transaction, more commands.
fn log() -> Vec<u8> {
    let mut out = Vec::new();
    let cmds: &[&[&str]] = &[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["INCR", "n"],
        &["MULTI"],
        &["SET", "b", "2"],
        &["INCR", "n"],
        &["EXEC"],
        &["RPUSH", "l", "x", "y"],
        &["SET", "c", "3"],
    ];
    for argv in cmds {
        ferrodis_aof::write_command(&mut out, argv);
    }
    out
}

/// Offsets where a record starts, and the ends of committed records (outside
/// MULTI, or an EXEC).
fn structure(bytes: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let (mut starts, mut commits) = (Vec::new(), vec![0]);
    let (mut at, mut multi) = (0, false);
    while let Some((record, used)) = parse_record(&bytes[at..], at as u64).unwrap() {
        starts.push(at);
        at += used;
        if let Record::Command(argv) = record {
            if argv[0].eq_ignore_ascii_case(b"MULTI") {
                multi = true;
            } else if argv[0].eq_ignore_ascii_case(b"EXEC") {
                multi = false;
            }
        }
        if !multi {
            commits.push(at);
        }
    }
    (starts, commits)
}

/// A directory with an empty base and `incr` as its incr file.
fn make_dir(root: &Path, incr: &[u8]) -> std::path::PathBuf {
    let path = root.join("appendonlydir");
    let _ = std::fs::remove_dir_all(&path);
    AofDir::create(&path, PREFIX, false, |_| Ok(())).unwrap();
    std::fs::write(path.join(INCR), incr).unwrap();
    path
}

fn load(path: &Path, truncated_ok: bool) -> (Result<(), String>, String) {
    let dir = AofDir::open(path, PREFIX).unwrap().unwrap();
    let mut ks = Keyspace::new(16);
    let result = load_aof(&mut ks, &dir, truncated_ok, 0, &Default::default()).map(drop);
    let mut session = Session::default();
    let mut state = String::new();
    for argv in [
        &["GET", "a"][..],
        &["GET", "n"],
        &["GET", "b"],
        &["LRANGE", "l", "0", "-1"],
        &["GET", "c"],
        &["DBSIZE"],
    ] {
        let argv: Vec<Bytes> = argv.iter().map(|w| Bytes::from(w.to_string())).collect();
        state.push_str(&format!("{:?};", ks.execute(&mut session, &argv)));
    }
    (result, state)
}

#[test]
fn every_cut_of_the_last_file_behaves_as_configured() {
    let root = TempDir::new("aof-cut");
    let full = log();
    let (_, commits) = structure(&full);
    for cut in 0..=full.len() {
        let valid = *commits.iter().filter(|&&c| c <= cut).max().unwrap();
        // What a clean file of the committed prefix holds.
        let path = make_dir(&root.path, &full[..valid]);
        let (clean, expected) = load(&path, false);
        assert_eq!(clean, Ok(()), "prefix {valid}");

        let path = make_dir(&root.path, &full[..cut]);
        let (result, state) = load(&path, false);
        if cut == valid {
            assert_eq!(result, Ok(()), "cut {cut}");
        } else {
            let err = result.unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "Unexpected end of file reading the append only file {INCR}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>."
                )),
                "cut {cut}: {err}"
            );
            // Refused: the file is left as it was.
            assert_eq!(
                std::fs::metadata(path.join(INCR)).unwrap().len(),
                cut as u64
            );
        }

        let (result, state_ok) = load(&path, true);
        assert_eq!(result, Ok(()), "cut {cut}");
        assert_eq!(
            state_ok, expected,
            "cut {cut}: the committed prefix is loaded"
        );
        assert_eq!(
            std::fs::metadata(path.join(INCR)).unwrap().len(),
            valid as u64,
            "cut {cut}: truncated to the last committed command"
        );
        if cut == valid {
            assert_eq!(state, expected);
        }
    }
}

#[test]
fn a_corrupt_header_is_refused_naming_its_offset() {
    let root = TempDir::new("aof-corrupt");
    let full = log();
    let (starts, _) = structure(&full);
    let dollars = full
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'$')
        .map(|(i, _)| i);
    for at in starts.iter().copied().chain(dollars) {
        let mut bad = full.clone();
        bad[at] = b'!';
        let path = make_dir(&root.path, &bad);
        for truncated_ok in [true, false] {
            let err = load(&path, truncated_ok).0.unwrap_err();
            assert!(
                err.starts_with(&format!("Bad file format reading the append only file {INCR}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>")),
                "{at}: {err}"
            );
            assert!(
                err.ends_with(&format!("starts at offset {at}")),
                "{at}: {err}"
            );
        }
    }
}

#[test]
fn the_server_refuses_or_loads_a_cut_file_like_redis() {
    let root = TempDir::new("aof-cut-server");
    let full = log();
    let cut = full.len() - 5;
    make_dir(&root.path, &full[..cut]);
    let p = Proc::spawn(
        Kind::Ferrodis,
        &root.path,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    let (status, log) = p.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "Unexpected end of file reading the append only file {INCR}. You can:"
        )),
        "{log}"
    );

    let p = Proc::start(Kind::Ferrodis, &root.path, &["--appendonly", "yes"]);
    let mut c = p.client();
    assert_eq!(word(&c.cmd(&["GET", "n"])), "2");
    assert_eq!(word(&c.cmd(&["EXISTS", "c"])), "0");
    let log = p.log_text();
    for line in [
        format!("!!! Warning: short read while loading the AOF file {INCR}!!!"),
        format!("!!! Truncating the AOF {INCR} at offset "),
        format!("AOF {INCR} loaded anyway because aof-load-truncated is enabled"),
        "DB loaded from append only file:".to_string(),
    ] {
        assert!(log.contains(&line), "{line} not in {log}");
    }
    // Appends continue after the valid prefix: the next start loads cleanly.
    c.cmd(&["SET", "c", "4"]);
    p.shutdown();
    let p = Proc::start(
        Kind::Ferrodis,
        &root.path,
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert_eq!(word(&p.client().cmd(&["GET", "c"])), "4");
    p.shutdown();

    // Corruption: Redis's message and exit status 1.
    let mut bad = full.clone();
    bad[0] = b'?';
    make_dir(&root.path, &bad);
    let p = Proc::spawn(Kind::Ferrodis, &root.path, &["--appendonly", "yes"]);
    let (status, log) = p.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "Bad file format reading the append only file {INCR}"
        )),
        "{log}"
    );
    assert!(log.contains("starts at offset 0"), "{log}");
}
