//! Differential test of the list editing and generic key commands: generated sequences
//! of LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, RENAME, RENAMENX,
//! MOVE, COPY, SWAPDB and OBJECT (with pushes, TTLs and SELECT between them) run
//! against ferrodis and a real redis-server 7.0; every reply must be equal.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;
use proptest::prelude::*;

type Cmd = Vec<String>;

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "s"]).prop_map(String::from)
}

fn elem() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["x", "y", "1", "-1", "10", "007", "", "12345678901"])
        .prop_map(String::from)
}

fn int_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-4i64..6).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["x", "9223372036854775807", "-9223372036854775808"])
            .prop_map(String::from),
    ]
}

fn db() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["0", "1", "2", "16", "-1", "x"]).prop_map(String::from)
}

fn side() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["LEFT", "right", "up"]).prop_map(String::from)
}

fn cmd(parts: &[&str]) -> Cmd {
    parts.iter().map(|s| s.to_string()).collect()
}

fn with(mut c: Cmd, more: impl IntoIterator<Item = String>) -> Cmd {
    c.extend(more);
    c
}

fn list_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        3 => (prop::sample::select(vec!["LPUSH", "RPUSH"]), key(), prop::collection::vec(elem(), 1..5))
            .prop_map(|(p, k, vs)| with(cmd(&[p, &k]), vs)),
        1 => (key(), int_arg(), int_arg()).prop_map(|(k, a, b)| cmd(&["LRANGE", &k, &a, &b])),
        2 => (key(), int_arg(), elem()).prop_map(|(k, i, e)| cmd(&["LSET", &k, &i, &e])),
        2 => (key(), prop::sample::select(vec!["BEFORE", "after", "middle"]), elem(), elem())
            .prop_map(|(k, w, p, e)| cmd(&["LINSERT", &k, w, &p, &e])),
        2 => (key(), int_arg(), elem()).prop_map(|(k, c, e)| cmd(&["LREM", &k, &c, &e])),
        1 => (key(), int_arg(), int_arg()).prop_map(|(k, a, b)| cmd(&["LTRIM", &k, &a, &b])),
        2 => (key(), elem(), prop::collection::vec((prop::sample::select(vec!["RANK", "COUNT", "MAXLEN", "FOO"]), int_arg()), 0..3))
            .prop_map(|(k, e, opts)| with(cmd(&["LPOS", &k, &e]), opts.into_iter().flat_map(|(o, v)| [o.to_string(), v]))),
        2 => (key(), key(), side(), side()).prop_map(|(a, b, x, y)| cmd(&["LMOVE", &a, &b, &x, &y])),
        1 => (key(), key()).prop_map(|(a, b)| cmd(&["RPOPLPUSH", &a, &b])),
        2 => (prop::sample::select(vec!["0", "1", "2", "3", "x"]), prop::collection::vec(key(), 0..3), side(), prop::option::of(int_arg()))
            .prop_map(|(n, ks, s, c)| {
                let mut v = with(cmd(&["LMPOP", n]), ks);
                v.push(s);
                if let Some(c) = c {
                    v.push("COUNT".into());
                    v.push(c);
                }
                v
            }),
    ]
}

fn generic_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        2 => (key(), elem()).prop_map(|(k, v)| cmd(&["SET", &k, &v])),
        1 => (key(), prop::sample::select(vec!["100", "1000"])).prop_map(|(k, t)| cmd(&["EXPIRE", &k, t])),
        1 => key().prop_map(|k| cmd(&["TTL", &k])),
        1 => key().prop_map(|k| cmd(&["GET", &k])),
        2 => (key(), key()).prop_map(|(a, b)| cmd(&["RENAME", &a, &b])),
        2 => (key(), key()).prop_map(|(a, b)| cmd(&["RENAMENX", &a, &b])),
        2 => (key(), db()).prop_map(|(k, d)| cmd(&["MOVE", &k, &d])),
        3 => (key(), key(), prop::option::of(db()), any::<bool>()).prop_map(|(a, b, d, r)| {
            let mut v = cmd(&["COPY", &a, &b]);
            if let Some(d) = d {
                v.push("DB".into());
                v.push(d);
            }
            if r {
                v.push("REPLACE".into());
            }
            v
        }),
        1 => (db(), db()).prop_map(|(a, b)| cmd(&["SWAPDB", &a, &b])),
        1 => prop::sample::select(vec!["0", "1", "2"]).prop_map(|d| cmd(&["SELECT", d])),
        2 => (prop::sample::select(vec!["ENCODING", "REFCOUNT", "FREQ", "foo", "HELP"]), prop::option::of(key()))
            .prop_map(|(s, k)| with(cmd(&["OBJECT", s]), k)),
        1 => Just(cmd(&["DBSIZE"])),
    ]
}

fn any_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![3 => list_cmd(), 2 => generic_cmd()]
}

fn run_both(ours: &mut Client, theirs: &mut Client, cmds: &[Cmd]) -> Result<(), TestCaseError> {
    for c in [&mut *ours, &mut *theirs] {
        c.cmd(&["SELECT", "0"]);
        c.cmd(&["FLUSHALL"]);
    }
    for (i, command) in cmds.iter().enumerate() {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let got = ours.cmd(&args);
        let want = theirs.cmd(&args);
        prop_assert_eq!(
            got,
            want,
            "command #{} {:?} after {:?}",
            i,
            command,
            &cmds[..i]
        );
    }
    // Every database ends the same.
    for db in ["0", "1", "2"] {
        for c in [&mut *ours, &mut *theirs] {
            c.cmd(&["SELECT", db]);
        }
        for k in ["a", "b", "c", "s"] {
            for probe in [
                &["TYPE", k][..],
                &["LRANGE", k, "0", "-1"],
                &["GET", k],
                &["TTL", k],
            ] {
                prop_assert_eq!(ours.cmd(probe), theirs.cmd(probe), "db {} {:?}", db, probe);
            }
        }
    }
    Ok(())
}

#[test]
fn generated_sequences_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    common::check_sequences(
        &ferrodis,
        &redis,
        150,
        prop::collection::vec(any_cmd(), 1..40),
        |ours, theirs, cmds| run_both(ours, theirs, &cmds),
    );
}

/// Small nodes (list-max-listpack-size 2) on both servers: long lists span many
/// nodes, and the replies must not notice.
#[test]
fn many_small_nodes_match_redis() {
    let ferrodis = Ferrodis::start(&["--list-max-listpack-size", "2"]);
    let redis = RealRedis::start(&["--list-max-listpack-size", "2"]);
    let (mut ours, mut theirs) = (ferrodis.client(), redis.client());
    let mut script: Vec<Vec<String>> = Vec::new();
    let push: Vec<String> = (0..50).map(|i| format!("e{}", i % 7)).collect();
    script.push(with(cmd(&["RPUSH", "l"]), push.clone()));
    script.push(with(cmd(&["LPUSH", "l"]), push));
    for c in [
        "LINSERT l BEFORE e3 new",
        "LINSERT l AFTER e6 new2",
        "LSET l 50 mid",
        "LSET l -1 last",
        "LREM l 3 e1",
        "LREM l -2 e2",
        "LPOS l e4 RANK -2 COUNT 3",
        "LPOS l e5 COUNT 0 MAXLEN 40",
        "LTRIM l 3 -4",
        "LMOVE l l2 RIGHT LEFT",
        "LMPOP 2 nokey l LEFT COUNT 7",
        "LRANGE l 0 -1",
        "LRANGE l -30 -20",
        "LINDEX l 33",
        "LREM l 0 e0",
        "LRANGE l 0 -1",
        "OBJECT ENCODING l",
        "COPY l l3",
        "LRANGE l3 0 -1",
    ] {
        script.push(c.split(' ').map(String::from).collect());
    }
    for command in &script {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        assert_eq!(ours.cmd(&args), theirs.cmd(&args), "{command:?}");
    }
    let range = ["LRANGE", "l", "0", "-1"];
    let Frame::Array(items) = ours.cmd(&range) else {
        panic!("an array")
    };
    assert!(items.len() > 40);
}
