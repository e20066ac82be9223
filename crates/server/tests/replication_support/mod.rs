//! Helpers of the replication tests: a dataset of every type, a write load, a
//! key-by-key dump, INFO fields, and polling with a deadline.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferrodis_resp::Frame;

use crate::common::{text, Client};

/// Polls `cond` every 20 ms for up to 20 s; panics with `what` on timeout.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One INFO field.
pub fn info_field(c: &mut Client, section: &str, field: &str) -> String {
    let info = text(&c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_string()
}

/// An INFO field as a number (0 if absent).
pub fn info_int(c: &mut Client, section: &str, field: &str) -> i64 {
    info_field(c, section, field).parse().unwrap_or(0)
}

/// Writes a dataset holding every type in several encodings, over three
/// databases, some keys with TTLs.
pub fn populate(c: &mut Client) {
    for db in ["0", "3", "9"] {
        assert_eq!(c.cmd(&["SELECT", db]), Frame::ok());
        c.cmd(&["SET", "int", "12345"]);
        c.cmd(&["SET", "str", "hello"]);
        c.cmd(&["SET", "big", &"x".repeat(5000)]);
        c.cmd(&["SET", "ttl", "v", "EX", "1000"]);
        for i in 0..300 {
            let n = i.to_string();
            c.cmd(&["RPUSH", "list:big", &n, &"y".repeat(i % 50)]);
            c.cmd(&["SADD", "set:int", &n]);
            c.cmd(&["SADD", "set:big", &format!("m{n}")]);
            c.cmd(&["ZADD", "zset:big", &format!("{}.5", i), &format!("z{n}")]);
            c.cmd(&["HSET", "hash:big", &format!("f{n}"), &n]);
        }
        c.cmd(&["RPUSH", "list:small", "a", "1", "b"]);
        c.cmd(&["SADD", "set:small", "a", "b"]);
        c.cmd(&["ZADD", "zset:small", "1", "a", "-2.25", "b", "inf", "c"]);
        c.cmd(&["HSET", "hash:small", "a", "1", "b", "two"]);
        c.cmd(&["PEXPIRE", "hash:small", "900000"]);
        c.cmd(&["EXPIRE", "zset:big", "800"]);
    }
    c.cmd(&["SELECT", "0"]);
}

/// A deterministic write load of `n` rounds over the same keys and new ones.
pub fn write_load(c: &mut Client, seed: u64, n: usize) {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..n {
        let r = next();
        let db = ["0", "3", "9"][(r % 3) as usize];
        c.cmd(&["SELECT", db]);
        let k = format!("k{}", r % 50);
        match (r >> 8) % 12 {
            0 => c.cmd(&["SET", &k, &r.to_string()]),
            1 => c.cmd(&["INCR", "int"]),
            2 => c.cmd(&["LPUSH", "list:big", &k]),
            3 => c.cmd(&["SREM", "set:int", &(r % 300).to_string()]),
            4 => c.cmd(&["ZINCRBY", "zset:small", "1.5", &k]),
            5 => c.cmd(&["HSET", "hash:small", &k, "v"]),
            6 => c.cmd(&["DEL", &k]),
            7 => c.cmd(&["EXPIRE", &k, "5000"]),
            8 => c.cmd(&["APPEND", "str", "!"]),
            9 => {
                c.cmd(&["MULTI"]);
                c.cmd(&["INCRBY", "int", "2"]);
                c.cmd(&["RPOP", "list:big"]);
                c.cmd(&["EXEC"])
            }
            10 => c.cmd(&["SPOP", "set:big"]),
            _ => c.cmd(&["ZREM", "zset:big", &format!("z{}", r % 300)]),
        };
    }
    c.cmd(&["SELECT", "0"]);
}

/// Every key of databases 0..16: type, value, absolute expiry.
pub fn dump(c: &mut Client) -> BTreeMap<(usize, String), (String, String, String)> {
    let mut out = BTreeMap::new();
    for db in 0..16 {
        c.cmd(&["SELECT", &db.to_string()]);
        let Frame::Array(keys) = c.cmd(&["KEYS", "*"]) else {
            panic!("KEYS")
        };
        for k in keys {
            let k = text(&k);
            let ty = text(&c.cmd(&["TYPE", &k]));
            let value = match ty.as_str() {
                "string" => c.cmd(&["GET", &k]),
                "list" => c.cmd(&["LRANGE", &k, "0", "-1"]),
                "set" => sorted(c.cmd(&["SMEMBERS", &k])),
                "zset" => c.cmd(&["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
                "hash" => pairs(c.cmd(&["HGETALL", &k])),
                other => panic!("type {other}"),
            };
            let expire = c.cmd(&["PEXPIRETIME", &k]);
            out.insert((db, k), (ty, format!("{value:?}"), format!("{expire:?}")));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

fn pairs(f: Frame) -> Frame {
    match f {
        Frame::Array(items) => {
            let mut pairs: Vec<(String, String)> = items
                .chunks(2)
                .map(|p| (text(&p[0]), text(&p[1])))
                .collect();
            pairs.sort();
            Frame::Array(
                pairs
                    .into_iter()
                    .flat_map(|(a, b)| [Frame::bulk(a), Frame::bulk(b)])
                    .collect(),
            )
        }
        other => other,
    }
}

fn sorted(f: Frame) -> Frame {
    match f {
        Frame::Array(mut items) | Frame::Set(mut items) => {
            items.sort_by_key(text);
            Frame::Array(items)
        }
        other => other,
    }
}

/// Waits until `replica` processed everything `master` has sent.
pub fn wait_caught_up(master: &mut Client, replica: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let link = info_field(replica, "replication", "master_link_status");
        let m = info_int(master, "replication", "master_repl_offset");
        let r = info_int(replica, "replication", "slave_repl_offset");
        if link == "up" && m == r && m > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "the replica did not catch up:\n{}\n{}",
        text(&master.cmd(&["INFO", "replication"])),
        text(&replica.cmd(&["INFO", "replication"]))
    );
}
