//! Differential test for SORT, SORT_RO, HSCAN, SSCAN and ZSCAN: generated command
//! sequences run against ferrodis and a real redis-server 7.0, replies compared in
//! RESP2 and RESP3.
//!
//! Both servers run with tiny encoding limits so collections cross between their
//! compact and hash-table encodings. Replies Redis leaves partly unspecified are
//! compared for what is specified:
//! - SORT ... ALPHA with a BY pattern over a set or sorted set: elements with equal
//!   weights come in hash-table order, so the reply is compared as a multiset of
//!   its rows, or only by its length under LIMIT, which may cut between equal
//!   elements (and such a SORT is never stored);
//! - SORT of a set BY a constant (no sorting) without STORE: table order, a multiset;
//! - *SCAN of a compact encoding (one call, cursor 0) is compared as it is; of a hash
//!   table, each server iterates to the end and the sets of elements are compared.
//!
//! Weights never overflow or underflow a double: Redis checks `errno` after
//! `strtod()` without clearing it first, so one ERANGE makes later SORTs fail at
//! random.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

type Cmd = Vec<String>;

const LIMITS: [&str; 8] = [
    "--hash-max-listpack-entries",
    "4",
    "--set-max-intset-entries",
    "4",
    "--zset-max-listpack-entries",
    "4",
    "--list-max-listpack-size",
    "4",
];

fn s(v: &str) -> String {
    v.to_string()
}

fn element() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-2i32..12).prop_map(|n| n.to_string()),
        2 => prop::sample::select(vec!["a", "b", "B", "ab", "1.5", "-0", "x y", "é", ""]).prop_map(s),
    ]
}

/// List elements may also differ only after a NUL byte, which ALPHA's `strcoll()`
/// does not see (but STORE's byte comparison does); in a list, the order of such
/// ties is fixed.
fn list_element() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => element(),
        3 => prop::sample::select(vec!["a\0b", "a\0c", "a\0"]).prop_map(s),
    ]
}

fn weight() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-3i32..6).prop_map(|n| n.to_string()),
        2 => prop::sample::select(vec!["1.5", "-inf", "inf", "0x10", "", " 2", "a", "b", "2 ", "nan"]).prop_map(s),
    ]
}

/// Keys by type: lists `l1` `l2`, sets `s1` `s2`, sorted sets `z1` `z2`, a string,
/// a hash, and a missing key.
fn source() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "l1", "l2", "s1", "s2", "z1", "z2", "str", "hash", "nokey",
    ])
    .prop_map(s)
}

fn write_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        3 => (prop::sample::select(vec!["RPUSH", "LPUSH"]), prop::sample::select(vec!["l1", "l2"]), prop::collection::vec(list_element(), 1..4))
            .prop_map(|(c, k, es)| [vec![s(c), s(k)], es].concat()),
        3 => (prop::sample::select(vec!["s1", "s2"]), prop::collection::vec(element(), 1..4))
            .prop_map(|(k, es)| [vec![s("SADD"), s(k)], es].concat()),
        3 => (prop::sample::select(vec!["z1", "z2"]), prop::collection::vec(((-3i32..6), element()), 1..4))
            .prop_map(|(k, es)| {
                let mut c = vec![s("ZADD"), s(k)];
                for (score, m) in es {
                    c.push(score.to_string());
                    c.push(m);
                }
                c
            }),
        3 => (element(), weight()).prop_map(|(e, w)| vec![s("SET"), format!("w_{e}"), w]),
        3 => (element(), weight(), element()).prop_map(|(e, w, g)| vec![s("HSET"), format!("h_{e}"), s("f"), w, s("g"), g]),
        1 => (element(), prop::sample::select(vec!["f", "g"])).prop_map(|(e, f)| vec![s("HDEL"), format!("h_{e}"), s(f)]),
        1 => prop::sample::select(vec!["l1", "s1", "s2", "z1", "w_1", "h_a"]).prop_map(|k| vec![s("DEL"), s(k)]),
        1 => (prop::sample::select(vec!["SREM", "ZREM", "LREM"]), element()).prop_map(|(c, e)| match c {
            "SREM" => vec![s(c), s("s2"), e],
            "ZREM" => vec![s(c), s("z1"), e],
            _ => vec![s(c), s("l1"), s("0"), e],
        }),
    ]
}

fn pattern() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "w_*",
        "w_*",
        "h_*->f",
        "h_*->g",
        "h_*->",
        "h_*->nofield",
        "w_*->f",
        "nokey_*",
        "#",
        "nostar",
        "*",
    ])
    .prop_map(s)
}

fn sort_cmd() -> impl Strategy<Value = Cmd> {
    (
        prop::bool::weighted(0.15),
        source(),
        prop::option::weighted(0.5, prop_oneof![pattern(), Just(s("nosort"))]),
        prop::option::weighted(0.4, ((-2i64..6), (-2i64..6))),
        prop::collection::vec(pattern(), 0..3),
        prop::sample::select(vec!["", "ASC", "DESC"]),
        prop::bool::weighted(0.4),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(ro, key, by, limit, gets, dir, alpha, store)| {
            let mut c = vec![s(if ro { "SORT_RO" } else { "SORT" }), key];
            if let Some(by) = by {
                c.extend([s("BY"), by]);
            }
            if let Some((offset, count)) = limit {
                c.extend([s("LIMIT"), offset.to_string(), count.to_string()]);
            }
            for g in gets {
                c.extend([s("GET"), g]);
            }
            if !dir.is_empty() {
                c.push(s(dir));
            }
            if alpha {
                c.push(s("ALPHA"));
            }
            if store {
                c.extend([s("STORE"), s("dst")]);
            }
            c
        })
}

fn odd_cmd() -> impl Strategy<Value = Cmd> {
    prop::sample::select(vec![
        "SORT l1 LIMIT 1",
        "SORT l1 LIMIT x 1",
        "SORT l1 GET",
        "SORT l1 FOO",
        "SORT str FOO",
        "SORT_RO l1 STORE dst",
        "SORT l1 LIMIT 9223372036854775807 -9223372036854775808",
        "HSCAN hash x",
        "HSCAN nokey 0 COUNT 0",
        "SSCAN s1 0 COUNT 0",
        "ZSCAN z1 0 COUNT x",
        "SSCAN s1 0 TYPE set",
        "HSCAN str 0",
        "ZSCAN hash 0",
        "SSCAN s1 0 MATCH",
        "LRANGE dst 0 -1",
        "TYPE dst",
        "OBJECT ENCODING z1",
        "OBJECT ENCODING z2",
    ])
    .prop_map(|line| line.split(' ').map(s).collect())
}

fn scan_cmd() -> impl Strategy<Value = Cmd> {
    (
        prop::sample::select(vec![
            ("HSCAN", "hash"),
            ("HSCAN", "h_a"),
            ("SSCAN", "s1"),
            ("SSCAN", "s2"),
            ("ZSCAN", "z1"),
            ("ZSCAN", "z2"),
        ]),
        prop::option::of(prop::sample::select(vec!["*", "1*", "[ab]*", "*b*", "h?"])),
        prop::option::of(1u32..20),
    )
        .prop_map(|((c, k), m, count)| {
            let mut cmd = vec![s(c), s(k), s("0")];
            if let Some(m) = m {
                cmd.extend([s("MATCH"), s(m)]);
            }
            if let Some(n) = count {
                cmd.extend([s("COUNT"), n.to_string()]);
            }
            cmd
        })
}

fn any_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![6 => write_cmd(), 5 => sort_cmd(), 2 => scan_cmd(), 1 => odd_cmd()]
}

/// Whether the key holds a set or sorted set in the generated data.
fn unordered_source(key: &str) -> bool {
    key.starts_with('s') || key.starts_with('z')
}

/// For a SORT whose row order Redis leaves to hash-table order, the row size of its
/// reply (1, or the number of GETs); `None` when the order is specified.
fn unspecified_rows(cmd: &Cmd) -> Option<usize> {
    if !cmd[0].starts_with("SORT") || !unordered_source(&cmd[1]) {
        return None;
    }
    let by = cmd
        .iter()
        .position(|w| w == "BY")
        .map(|i| cmd[i + 1].as_str());
    let alpha = cmd.iter().any(|w| w == "ALPHA");
    let store = cmd.iter().any(|w| w == "STORE");
    let gets = cmd.iter().filter(|w| *w == "GET").count();
    let constant = by.is_some_and(|b| !b.contains('*'));
    let ties = alpha && by.is_some_and(|b| b.contains('*'));
    let set = cmd[1].starts_with('s');
    let unordered = ties || (constant && set && !store);
    unordered.then_some(gets.max(1))
}

/// A reply's rows, sorted; only their number when LIMIT may have cut between
/// equal elements.
fn rows_sorted(reply: Frame, size: usize, limited: bool) -> Frame {
    match reply {
        Frame::Array(items) if limited => Frame::Integer(items.len() as i64),
        Frame::Array(items) => {
            let mut rows: Vec<Vec<Frame>> = items.chunks(size).map(<[Frame]>::to_vec).collect();
            rows.sort_by_key(|r| format!("{r:?}"));
            Frame::Array(rows.into_iter().flatten().collect())
        }
        other => other,
    }
}

/// Every element (and value) a full iteration returns, from cursor 0 to 0, or the
/// reply that was not a SCAN reply (an error).
fn full_scan(c: &mut Client, cmd: &Cmd) -> Result<BTreeSet<Vec<String>>, Frame> {
    let pairs = cmd[0] != "SSCAN";
    let mut cursor = s("0");
    let mut out = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        args[2] = &cursor;
        let parts = match c.cmd(&args) {
            Frame::Array(parts) => parts,
            other => return Err(other),
        };
        let Frame::Array(items) = &parts[1] else {
            panic!("{parts:?}")
        };
        let items: Vec<String> = items.iter().map(text).collect();
        for chunk in items.chunks(if pairs { 2 } else { 1 }) {
            out.insert(chunk.to_vec());
        }
        cursor = text(&parts[0]);
        if cursor == "0" {
            return Ok(out);
        }
    }
    panic!("{cmd:?} does not end");
}

fn run_both(
    ours: &mut Client,
    theirs: &mut Client,
    resp3: bool,
    cmds: &[Cmd],
) -> Result<(), TestCaseError> {
    for c in [&mut *ours, &mut *theirs] {
        c.cmd(&["HELLO", if resp3 { "3" } else { "2" }]);
        c.cmd(&["FLUSHALL"]);
        c.cmd(&["SET", "str", "v"]);
        c.cmd(&["HSET", "hash", "a", "1", "b", "2"]);
    }
    let proto = if resp3 { 3 } else { 2 };
    for (i, command) in cmds.iter().enumerate() {
        let mut command = command.clone();
        let rows = unspecified_rows(&command);
        if rows.is_some() {
            // Never store an order that differs between the servers.
            if let Some(at) = command.iter().position(|w| w == "STORE") {
                command.truncate(at);
            }
        }
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        if command[0].ends_with("SCAN") && command[2] == "0" {
            let encoding = theirs.cmd(&["OBJECT", "ENCODING", &command[1]]);
            prop_assert_eq!(
                ours.cmd(&["OBJECT", "ENCODING", &command[1]]),
                encoding.clone(),
                "encoding of {}",
                &command[1]
            );
            if matches!(&encoding, Frame::Bulk(e) if &e[..] == b"hashtable" || &e[..] == b"skiplist")
            {
                prop_assert_eq!(
                    full_scan(ours, &command),
                    full_scan(theirs, &command),
                    "{:?} (RESP{})",
                    command,
                    proto
                );
                continue;
            }
        }
        let (mut got, mut want) = (ours.cmd(&args), theirs.cmd(&args));
        if let Some(size) = rows {
            let limited = command.iter().any(|w| w == "LIMIT");
            got = rows_sorted(got, size, limited);
            want = rows_sorted(want, size, limited);
        }
        prop_assert_eq!(
            got,
            want,
            "command #{} {:?} (RESP{}) after {:?}",
            i,
            command,
            proto,
            &cmds[..i]
        );
    }
    for dump in [["LRANGE", "dst", "0", "-1"], ["TYPE", "dst", "", ""]] {
        let args: Vec<&str> = dump.iter().copied().filter(|a| !a.is_empty()).collect();
        prop_assert_eq!(
            ours.cmd(&args),
            theirs.cmd(&args),
            "final {:?} after {:?}",
            args,
            cmds
        );
    }
    Ok(())
}

#[test]
fn generated_sort_and_scan_sequences_match_redis() {
    let ferrodis = Ferrodis::start(&LIMITS);
    let redis = RealRedis::start(&LIMITS);
    let strategy = (prop::bool::ANY, prop::collection::vec(any_cmd(), 1..50));
    common::check_sequences(
        &ferrodis,
        &redis,
        300,
        strategy,
        |ours, theirs, (resp3, cmds)| run_both(ours, theirs, resp3, &cmds),
    );
}

/// Large collections (hash tables) scanned in full with every COUNT and pattern,
/// compared as sets; and sorted with every option over lists, whose order is fixed.
#[test]
fn large_collections_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    let mut setup: Vec<Vec<String>> = Vec::new();
    for chunk in (0..2000).collect::<Vec<u32>>().chunks(100) {
        let mut h = vec![s("HSET"), s("h")];
        let mut set = vec![s("SADD"), s("s")];
        let mut z = vec![s("ZADD"), s("z")];
        let mut l = vec![s("RPUSH"), s("l")];
        for i in chunk {
            h.extend([format!("f{i}"), format!("v{}", i * 7 % 13)]);
            set.push(format!("m{i}"));
            z.extend([format!("{}.{}", i % 50, i % 3), format!("m{i}")]);
            l.push(format!("{}", (i * 7919) % 1000));
            setup.push(vec![
                s("SET"),
                format!("w_{}", (i * 7919) % 1000),
                format!("{}", i % 17),
            ]);
        }
        setup.extend([h, set, z, l]);
    }
    setup.push(vec![
        s("ZADD"),
        s("z"),
        s("-0"),
        s("negzero"),
        s("0.1"),
        s("tenth"),
    ]);
    for c in &setup {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        assert_eq!(ours.cmd(&args), theirs.cmd(&args), "{c:?}");
    }
    for (cmd, key) in [("HSCAN", "h"), ("SSCAN", "s"), ("ZSCAN", "z")] {
        for opts in [
            &[][..],
            &["COUNT", "1"],
            &["COUNT", "1000"],
            &["MATCH", "*1?"],
            &["MATCH", "m1*", "COUNT", "3"],
        ] {
            let cmd: Cmd = [
                vec![s(cmd), s(key), s("0")],
                opts.iter().map(|o| s(o)).collect(),
            ]
            .concat();
            let (a, b) = (
                full_scan(&mut ours, &cmd).unwrap(),
                full_scan(&mut theirs, &cmd).unwrap(),
            );
            assert!(!a.is_empty() || opts.contains(&"MATCH"), "{cmd:?}");
            assert_eq!(a, b, "{cmd:?}");
        }
    }
    for line in [
        "SORT l",
        "SORT l DESC LIMIT 10 20",
        "SORT l ALPHA LIMIT 1990 100",
        "SORT l BY w_* LIMIT 100 30",
        "SORT l BY w_* ALPHA LIMIT 0 50",
        "SORT l BY w_* ALPHA DESC LIMIT 500 40 GET # GET w_*",
        "SORT l BY nokey_* ALPHA LIMIT 300 60",
        "SORT l BY nosort LIMIT 1500 10 DESC",
        "SORT z BY nosort LIMIT 10 5 DESC",
        "SORT z BY nosort LIMIT 10 5",
        "SORT s ALPHA LIMIT 0 20",
        "SORT z ALPHA DESC LIMIT 3 20",
        "SORT l BY w_* STORE dst",
        "LRANGE dst 0 -1",
        "SORT s BY nosort STORE dst",
        "LRANGE dst 0 -1",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        assert_eq!(ours.cmd(&args), theirs.cmd(&args), "{line}");
    }
}
