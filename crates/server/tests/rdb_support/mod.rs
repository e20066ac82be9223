//! Shared by the RDB tests: a dataset with every type in its small and large
//! encodings, and the contents of a server or an RDB file as one comparable map.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_resp::{encode_command, Frame};

use crate::common::Client;

/// A value as both servers and the file can show it, order-insensitive where
/// the type is.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    /// Sorted members.
    Set(Vec<Vec<u8>>),
    /// Sorted fields.
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Sorted members, score bits.
    Zset(Vec<(Vec<u8>, u64)>),
}

/// (db, key) → (value, absolute expiry in ms or -1).
pub type Contents = BTreeMap<(u64, Vec<u8>), (Val, i64)>;

/// Sends a command of raw byte arguments.
pub fn cmd(c: &mut Client, args: &[&[u8]]) -> Frame {
    let mut out = BytesMut::new();
    encode_command(args, &mut out);
    c.send(&out);
    c.read_frame().expect("a reply")
}

fn bytes(f: Frame) -> Vec<u8> {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => b.to_vec(),
        other => panic!("not bytes: {other:?}"),
    }
}

fn list(f: Frame) -> Vec<Vec<u8>> {
    match f {
        Frame::Array(items) | Frame::Set(items) => items.into_iter().map(bytes).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn int(f: Frame) -> i64 {
    match f {
        Frame::Integer(n) => n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Every key of databases 0..16 with its value and expiry, read with commands.
pub fn server_contents(c: &mut Client) -> Contents {
    let mut out = Contents::new();
    for db in 0..16u64 {
        assert_eq!(cmd(c, &[b"SELECT", db.to_string().as_bytes()]), Frame::ok());
        for key in list(cmd(c, &[b"KEYS", b"*"])) {
            let kind = bytes(cmd(c, &[b"TYPE", &key]));
            let val = match &kind[..] {
                b"string" => Val::Str(bytes(cmd(c, &[b"GET", &key]))),
                b"list" => Val::List(list(cmd(c, &[b"LRANGE", &key, b"0", b"-1"]))),
                b"set" => {
                    let mut m = list(cmd(c, &[b"SMEMBERS", &key]));
                    m.sort();
                    Val::Set(m)
                }
                b"hash" => {
                    let flat = list(cmd(c, &[b"HGETALL", &key]));
                    let mut pairs: Vec<_> = flat
                        .chunks(2)
                        .map(|p| (p[0].clone(), p[1].clone()))
                        .collect();
                    pairs.sort();
                    Val::Hash(pairs)
                }
                b"zset" => {
                    let flat = list(cmd(c, &[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]));
                    let mut pairs: Vec<_> = flat
                        .chunks(2)
                        .map(|p| {
                            let s: f64 = std::str::from_utf8(&p[1]).unwrap().parse().unwrap();
                            (p[0].clone(), s.to_bits())
                        })
                        .collect();
                    pairs.sort();
                    Val::Zset(pairs)
                }
                other => panic!("type {:?}", String::from_utf8_lossy(other)),
            };
            let expire = int(cmd(c, &[b"PEXPIRETIME", &key]));
            out.insert((db, key), (val, expire));
        }
    }
    assert_eq!(cmd(c, &[b"SELECT", b"0"]), Frame::ok());
    out
}

/// The same map from an RDB value.
pub fn val_of(v: &ferrodis_rdb::Value) -> Val {
    use ferrodis_rdb::Value;
    let b = |x: &bytes::Bytes| x.to_vec();
    match v {
        Value::String(s) => Val::Str(b(s)),
        Value::List(items) => Val::List(items.iter().map(b).collect()),
        Value::Set(items) => {
            let mut m: Vec<_> = items.iter().map(b).collect();
            m.sort();
            Val::Set(m)
        }
        Value::Hash(pairs) => {
            let mut p: Vec<_> = pairs.iter().map(|(f, v)| (b(f), b(v))).collect();
            p.sort();
            Val::Hash(p)
        }
        Value::SortedSet(pairs) => {
            let mut p: Vec<_> = pairs.iter().map(|(m, s)| (b(m), s.to_bits())).collect();
            p.sort();
            Val::Zset(p)
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Every key of an RDB file; panics on a key that appears twice.
pub fn file_contents(path: &Path) -> Contents {
    let mut out = Contents::new();
    for item in ferrodis_rdb::decode_file(path).unwrap() {
        if let ferrodis_rdb::Item::Key(k) = item {
            let entry = (val_of(&k.value), k.expire_ms.unwrap_or(-1));
            let dup = out.insert((k.db, k.key.to_vec()), entry);
            assert!(
                dup.is_none(),
                "key {:?} twice in the file",
                String::from_utf8_lossy(&k.key)
            );
        }
    }
    out
}

/// Far-future expiry times (ms) used by the dataset.
pub const EXPIRE_AT: i64 = 4_102_444_800_000;

/// Fills a server with every type in its small and large encodings, expiries,
/// several databases, binary keys and big values (the same on both servers).
pub fn populate(c: &mut Client) {
    let run = |c: &mut Client, args: &[&[u8]]| {
        let reply = cmd(c, args);
        assert!(!matches!(reply, Frame::Error(_)), "{args:?}: {reply:?}");
    };
    for db in [0u64, 1, 5, 15] {
        run(c, &[b"SELECT", db.to_string().as_bytes()]);
        let p = format!("d{db}:");
        let k = |name: &str| format!("{p}{name}").into_bytes();
        run(c, &[b"SET", &k("int"), b"12345"]);
        run(c, &[b"SET", &k("neg"), b"-9223372036854775808"]);
        run(c, &[b"SET", &k("short"), b"hello"]);
        run(
            c,
            &[b"SET", &k("compressible"), "ab".repeat(500).as_bytes()],
        );
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        run(c, &[b"SET", &k("big"), &big]);
        run(c, &[b"SET", b"bin\x00\xff\x01key", b"\x00\x01\xfe\xff"]);
        run(
            c,
            &[
                b"SET",
                &k("ttl"),
                b"v",
                b"PXAT",
                EXPIRE_AT.to_string().as_bytes(),
            ],
        );
        // Lists: one listpack node, many nodes, a big element.
        run(c, &[b"RPUSH", &k("list"), b"a", b"1", b"-7", b"c"]);
        let many: Vec<Vec<u8>> = (0..3000).map(|i| format!("e{i}").into_bytes()).collect();
        let key = k("biglist");
        let mut args: Vec<&[u8]> = vec![b"RPUSH", &key];
        args.extend(many.iter().map(Vec::as_slice));
        run(c, &args);
        run(c, &[b"RPUSH", &k("fatlist"), &big, b"x"]);
        // Sets: intset, hashtable (strings), hashtable (too many ints).
        run(c, &[b"SADD", &k("intset"), b"3", b"1", b"2", b"-100"]);
        run(c, &[b"SADD", &k("set"), b"a", b"b", b"c"]);
        let ints: Vec<Vec<u8>> = (0..600).map(|i| i.to_string().into_bytes()).collect();
        let key = k("bigintset");
        let mut args: Vec<&[u8]> = vec![b"SADD", &key];
        args.extend(ints.iter().map(Vec::as_slice));
        run(c, &args);
        // Hashes: listpack, hashtable by count, hashtable by value size.
        run(c, &[b"HSET", &k("hash"), b"f1", b"v1", b"n", b"42"]);
        let fields: Vec<Vec<u8>> = (0..1200).map(|i| format!("f{i}").into_bytes()).collect();
        let key = k("bighash");
        let mut args: Vec<&[u8]> = vec![b"HSET", &key];
        for f in &fields {
            args.push(f);
            args.push(f);
        }
        run(c, &args);
        run(
            c,
            &[b"HSET", &k("widehash"), b"f", "x".repeat(100).as_bytes()],
        );
        run(
            c,
            &[
                b"PEXPIREAT",
                &k("hash"),
                (EXPIRE_AT + 1).to_string().as_bytes(),
            ],
        );
        // Sorted sets: listpack, skiplist; odd scores.
        run(
            c,
            &[b"ZADD", &k("zset"), b"1.5", b"a", b"-inf", b"b", b"3", b"c"],
        );
        let members: Vec<(Vec<u8>, Vec<u8>)> = (0..300)
            .map(|i| {
                (
                    format!("{}", f64::from(i) / 7.0).into_bytes(),
                    format!("m{i}").into_bytes(),
                )
            })
            .collect();
        let key = k("bigzset");
        let mut args: Vec<&[u8]> = vec![b"ZADD", &key];
        for (s, m) in &members {
            args.push(s);
            args.push(m);
        }
        run(c, &args);
    }
    run(c, &[b"SELECT", b"0"]);
}

/// Polls INFO persistence until `field` has `value` (20 s at most).
pub fn wait_info(c: &mut Client, field: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = info_field(c, field);
        if got == value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{field} stayed {got}, not {value}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One INFO persistence field.
pub fn info_field(c: &mut Client, field: &str) -> String {
    let info = crate::common::text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}
