//! BGREWRITEAOF (and CONFIG SET appendonly yes, and the automatic rewrite) while
//! clients keep writing: afterwards the directory holds one base and one incr file,
//! and a server started on it has exactly the final dataset.
#![allow(clippy::unwrap_used)]

mod aof_support;
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aof_support::{aof_files, assert_same, dump, wait_rewrites, word};
use common::{Client, Ferrodis, TempDir};

const DBS: usize = 4;

/// Random writes of every type over a few hundred keys in 4 databases.
fn churn(mut c: Client, seed: u64, stop: Arc<AtomicBool>) -> u64 {
    let mut x = seed | 1;
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let db = (x % DBS as u64).to_string();
        let k = format!("k{}", (x >> 8) % 300);
        let v = ((x >> 20) % 1000).to_string();
        c.cmd(&["SELECT", &db]);
        let reply = match (x >> 32) % 12 {
            0 => c.cmd(&["SET", &k, &v]),
            1 => c.cmd(&["DEL", &k]),
            2 => c.cmd(&["INCR", &format!("n{}", (x >> 8) % 20)]),
            3 => c.cmd(&["RPUSH", &format!("l{k}"), &v, &v]),
            4 => c.cmd(&["LPOP", &format!("l{k}")]),
            5 => c.cmd(&["SADD", &format!("s{k}"), &v]),
            6 => c.cmd(&["SREM", &format!("s{k}"), &v]),
            7 => c.cmd(&["ZADD", &format!("z{k}"), &v, &format!("m{v}")]),
            8 => c.cmd(&["HSET", &format!("h{k}"), &format!("f{v}"), &v]),
            9 => c.cmd(&["EXPIRE", &k, "5000"]),
            10 => c.cmd(&["MSET", &k, &v, &format!("{k}x"), &v]),
            _ => c.cmd(&["SPOP", &format!("s{k}")]),
        };
        assert!(
            !matches!(reply, ferrodis_resp::Frame::Error(_)),
            "{reply:?}"
        );
        n += 1;
    }
    n
}

fn with_writers(server: &Ferrodis, during: impl FnOnce(&mut Client)) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|i| {
            let c = server.client();
            let stop = stop.clone();
            std::thread::spawn(move || churn(c, 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i + 1), stop))
        })
        .collect();
    let mut admin = server.client();
    during(&mut admin);
    stop.store(true, Ordering::Relaxed);
    writers.into_iter().map(|w| w.join().unwrap()).sum()
}

fn preload(c: &mut Client) {
    for chunk in 0..20 {
        let mut argv = vec!["MSET".to_string()];
        for i in 0..1000 {
            argv.push(format!("pre{chunk}:{i}"));
            argv.push(format!("value-{i}"));
        }
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        c.cmd(&refs);
    }
}

/// The server's dataset, then a new server's on the same directory.
fn check_reload(server: Ferrodis, dir: &TempDir, what: &str) {
    let mut c = server.client();
    let expected = dump(&mut c, DBS);
    drop(c);
    drop(server);
    let files = aof_files(&dir.path);
    assert_eq!(
        files.len(),
        3,
        "one base, one incr, the manifest: {files:?}"
    );
    let again = Ferrodis::start(&["--dir", dir.path.to_str().unwrap(), "--appendonly", "yes"]);
    assert_same(&expected, &dump(&mut again.client(), DBS), what);
}

#[test]
fn bgrewriteaof_under_writes_keeps_exactly_the_final_state() {
    for preamble in ["yes", "no"] {
        rewrite_under_writes(preamble);
    }
}

fn rewrite_under_writes(preamble: &str) {
    let dir = TempDir::new("aof-rewrite");
    let server = Ferrodis::start(&[
        "--dir",
        dir.path.to_str().unwrap(),
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        preamble,
    ]);
    preload(&mut server.client());
    let writes = with_writers(&server, |admin| {
        for n in 1..=3 {
            let reply = word(&admin.cmd(&["BGREWRITEAOF"]));
            assert_eq!(reply, "Background append only file rewriting started");
            wait_rewrites(admin, n);
        }
    });
    assert!(writes > 0);
    check_reload(server, &dir, "after BGREWRITEAOF under writes");
}

#[test]
fn config_set_appendonly_yes_under_writes() {
    let dir = TempDir::new("aof-enable");
    let server = Ferrodis::start(&["--dir", dir.path.to_str().unwrap()]);
    preload(&mut server.client());
    with_writers(&server, |admin| {
        assert_eq!(
            word(&admin.cmd(&["CONFIG", "SET", "appendonly", "yes"])),
            "OK"
        );
        wait_rewrites(admin, 1);
    });
    check_reload(server, &dir, "after CONFIG SET appendonly yes under writes");
}

#[test]
fn the_aof_rewrites_itself_when_it_grows() {
    let dir = TempDir::new("aof-auto");
    let server = Ferrodis::start(&[
        "--dir",
        dir.path.to_str().unwrap(),
        "--appendonly",
        "yes",
        "--auto-aof-rewrite-min-size",
        "200kb",
        "--auto-aof-rewrite-percentage",
        "50",
    ]);
    let mut c = server.client();
    preload(&mut c);
    // The cron notices the growth (polled, no sleep).
    wait_rewrites(&mut c, 1);
    drop(c);
    check_reload(server, &dir, "after an automatic rewrite");
}
