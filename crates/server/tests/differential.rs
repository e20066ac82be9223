//! Differential test: generated command sequences run against ferrodis and a real
//! redis-server 7.0 started by the test; every reply must be equal.
//!
//! Keys come from a small pool so that types collide (WRONGTYPE), values include
//! numeric edge cases, and commands include wrong arities and bad options. Replies
//! whose order Redis leaves unspecified are sorted before comparing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;
use proptest::prelude::*;

type Cmd = Vec<String>;

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["k1", "k2", "k3", "l1", "l2", "{x}k"]).prop_map(String::from)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "10",
            "007",
            "+5",
            "1.5",
            "-0",
            "1e3",
            "inf",
            "-inf",
            "nan",
            "abc",
            "",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            " 1",
            "0x10",
            "3.0000000000000001",
            "1.7976931348623157e308",
        ])
        .prop_map(String::from),
        "[a-c]{0,6}",
        (-1000i64..1000).prop_map(|n| n.to_string()),
    ]
}

fn int_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..8).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "abc",
            "1.5",
            "9223372036854775807",
            "-9223372036854775808",
            ""
        ])
        .prop_map(String::from),
    ]
}

fn ttl_ms() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "100000",
        "0",
        "-5",
        "abc",
        "1.5",
        "9223372036854775807",
    ])
    .prop_map(String::from)
}

fn cmd(parts: &[&str]) -> Cmd {
    parts.iter().map(|s| s.to_string()).collect()
}

/// String commands.
fn string_cmd() -> impl Strategy<Value = Cmd> {
    let set_opts = prop::collection::vec(
        prop::sample::select(vec![
            "NX",
            "XX",
            "GET",
            "EX 100",
            "PX 100000",
            "EXAT 4102444800",
            "KEEPTTL",
            "EX 0",
            "EX abc",
            "PX -1",
        ]),
        0..3,
    );
    prop_oneof![
        (key(), value(), set_opts).prop_map(|(k, v, opts)| {
            let mut c = cmd(&["SET", &k, &v]);
            for o in opts {
                c.extend(o.split(' ').map(String::from));
            }
            c
        }),
        key().prop_map(|k| cmd(&["GET", &k])),
        (key(), value()).prop_map(|(k, v)| cmd(&["GETSET", &k, &v])),
        key().prop_map(|k| cmd(&["GETDEL", &k])),
        (
            key(),
            prop::sample::select(vec!["", "PERSIST", "EX 100", "PX 0", "EXAT 4102444800"])
        )
            .prop_map(|(k, o)| {
                let mut c = cmd(&["GETEX", &k]);
                c.extend(o.split(' ').filter(|s| !s.is_empty()).map(String::from));
                c
            }),
        (key(), value()).prop_map(|(k, v)| cmd(&["SETNX", &k, &v])),
        (key(), int_arg(), value()).prop_map(|(k, t, v)| cmd(&["SETEX", &k, &t, &v])),
        // Millisecond TTLs are long or invalid: a few ms would expire between the two
        // servers' replies and make the comparison depend on timing.
        (key(), ttl_ms(), value()).prop_map(|(k, t, v)| cmd(&["PSETEX", &k, &t, &v])),
        (key(), value(), key(), value()).prop_map(|(a, x, b, y)| cmd(&["MSET", &a, &x, &b, &y])),
        (key(), value(), key(), value()).prop_map(|(a, x, b, y)| cmd(&["MSETNX", &a, &x, &b, &y])),
        (key(), key(), key()).prop_map(|(a, b, c)| cmd(&["MGET", &a, &b, &c])),
        (key(), value()).prop_map(|(k, v)| cmd(&["APPEND", &k, &v])),
        key().prop_map(|k| cmd(&["STRLEN", &k])),
        (key(), int_arg(), int_arg()).prop_map(|(k, a, b)| cmd(&["GETRANGE", &k, &a, &b])),
        (key(), int_arg(), value()).prop_map(|(k, o, v)| cmd(&["SETRANGE", &k, &o, &v])),
        key().prop_map(|k| cmd(&["INCR", &k])),
        key().prop_map(|k| cmd(&["DECR", &k])),
        (key(), int_arg()).prop_map(|(k, n)| cmd(&["INCRBY", &k, &n])),
        (key(), int_arg()).prop_map(|(k, n)| cmd(&["DECRBY", &k, &n])),
        (key(), value()).prop_map(|(k, n)| cmd(&["INCRBYFLOAT", &k, &n])),
    ]
}

/// List commands.
fn list_cmd() -> impl Strategy<Value = Cmd> {
    let push = prop::sample::select(vec!["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
    let pop = prop::sample::select(vec!["LPOP", "RPOP"]);
    prop_oneof![
        (push, key(), prop::collection::vec(value(), 1..4)).prop_map(|(p, k, vs)| {
            let mut c = cmd(&[p, &k]);
            c.extend(vs);
            c
        }),
        (pop, key(), prop::option::of(int_arg())).prop_map(|(p, k, n)| {
            let mut c = cmd(&[p, &k]);
            c.extend(n);
            c
        }),
        key().prop_map(|k| cmd(&["LLEN", &k])),
        (key(), int_arg(), int_arg()).prop_map(|(k, a, b)| cmd(&["LRANGE", &k, &a, &b])),
        (key(), int_arg()).prop_map(|(k, i)| cmd(&["LINDEX", &k, &i])),
    ]
}

/// Generic key and database commands.
fn key_cmd() -> impl Strategy<Value = Cmd> {
    let expire = prop::sample::select(vec!["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]);
    let when = prop::sample::select(vec![
        "1000",
        "100000",
        "4102444800",
        "4102444800000",
        "0",
        "-1",
        "abc",
    ]);
    let cond = prop::sample::select(vec!["", "NX", "XX", "GT", "LT", "NX XX", "BAD"]);
    prop_oneof![
        (key(), key()).prop_map(|(a, b)| cmd(&["DEL", &a, &b])),
        (key(), key()).prop_map(|(a, b)| cmd(&["UNLINK", &a, &b])),
        (key(), key()).prop_map(|(a, b)| cmd(&["EXISTS", &a, &b, &a])),
        (key(), key()).prop_map(|(a, b)| cmd(&["TOUCH", &a, &b])),
        key().prop_map(|k| cmd(&["TYPE", &k])),
        (expire, key(), when, cond).prop_map(|(e, k, w, c)| {
            let mut v = cmd(&[e, &k, w]);
            v.extend(c.split(' ').filter(|s| !s.is_empty()).map(String::from));
            v
        }),
        key().prop_map(|k| cmd(&["TTL", &k])),
        key().prop_map(|k| cmd(&["PTTL", &k])),
        key().prop_map(|k| cmd(&["EXPIRETIME", &k])),
        key().prop_map(|k| cmd(&["PERSIST", &k])),
        prop::sample::select(vec!["*", "k*", "?1", "[kl]1", "\\{x\\}*", "[^k]*"])
            .prop_map(|p| cmd(&["KEYS", p])),
        Just(cmd(&["DBSIZE"])),
        prop::sample::select(vec!["0", "1", "15", "16", "-1", "x"])
            .prop_map(|db| cmd(&["SELECT", db])),
        // Wrong arities and unknown commands.
        prop::sample::select(vec![
            "GET", "SET", "LPUSH", "EXPIRE", "MSET", "INCRBY", "DEL"
        ])
        .prop_map(|c| cmd(&[c])),
    ]
}

fn members(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            (-3i64..12).prop_map(|n| n.to_string()),
            prop::sample::select(vec!["a", "b", "c", "", "007", "9223372036854775807", "x y"])
                .prop_map(String::from),
        ],
        n,
    )
}

/// Hash commands (small field pool so fields repeat).
fn hash_cmd() -> impl Strategy<Value = Cmd> {
    let field = || prop::sample::select(vec!["f1", "f2", "f3", "1", ""]).prop_map(String::from);
    prop_oneof![
        (key(), prop::collection::vec((field(), value()), 1..3)).prop_map(|(k, fvs)| {
            let mut c = cmd(&["HSET", &k]);
            for (f, v) in fvs {
                c.push(f);
                c.push(v);
            }
            c
        }),
        (key(), field(), value()).prop_map(|(k, f, v)| cmd(&["HSETNX", &k, &f, &v])),
        (key(), field()).prop_map(|(k, f)| cmd(&["HGET", &k, &f])),
        (key(), field(), field()).prop_map(|(k, f, g)| cmd(&["HMGET", &k, &f, &g])),
        (key(), field(), field()).prop_map(|(k, f, g)| cmd(&["HDEL", &k, &f, &g])),
        (key(), field()).prop_map(|(k, f)| cmd(&["HEXISTS", &k, &f])),
        (key(), field()).prop_map(|(k, f)| cmd(&["HSTRLEN", &k, &f])),
        (key(), field(), int_arg()).prop_map(|(k, f, n)| cmd(&["HINCRBY", &k, &f, &n])),
        (key(), field(), value()).prop_map(|(k, f, n)| cmd(&["HINCRBYFLOAT", &k, &f, &n])),
        (
            key(),
            prop::sample::select(vec!["HLEN", "HGETALL", "HKEYS", "HVALS"])
        )
            .prop_map(|(k, c)| cmd(&[c, &k])),
        (key(), int_arg()).prop_map(|(k, n)| cmd(&["HRANDFIELD", &k, &n])),
    ]
}

/// Set commands.
fn set_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        (
            prop::sample::select(vec!["SADD", "SREM"]),
            key(),
            members(1..4)
        )
            .prop_map(|(c, k, ms)| {
                let mut v = cmd(&[c, &k]);
                v.extend(ms);
                v
            }),
        (key(), members(1..2)).prop_map(|(k, m)| cmd(&["SISMEMBER", &k, &m[0]])),
        (key(), members(1..3)).prop_map(|(k, ms)| {
            let mut v = cmd(&["SMISMEMBER", &k]);
            v.extend(ms);
            v
        }),
        (key(), prop::sample::select(vec!["SCARD", "SMEMBERS"])).prop_map(|(k, c)| cmd(&[c, &k])),
        (key(), key(), members(1..2)).prop_map(|(a, b, m)| cmd(&["SMOVE", &a, &b, &m[0]])),
        (
            prop::sample::select(vec!["SINTER", "SUNION", "SDIFF"]),
            key(),
            key()
        )
            .prop_map(|(c, a, b)| cmd(&[c, &a, &b])),
        (
            prop::sample::select(vec!["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
            key(),
            key(),
            key()
        )
            .prop_map(|(c, d, a, b)| cmd(&[c, &d, &a, &b])),
        (key(), key(), int_arg()).prop_map(|(a, b, n)| cmd(&[
            "SINTERCARD",
            "2",
            &a,
            &b,
            "LIMIT",
            &n
        ])),
        (key(), int_arg()).prop_map(|(k, n)| cmd(&["SRANDMEMBER", &k, &n])),
    ]
}

/// Transactions on one connection: queueing, errors while queueing, EXECABORT,
/// nesting, and WATCH invalidated by the connection's own writes.
fn tx_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        Just(cmd(&["MULTI"])),
        Just(cmd(&["EXEC"])),
        Just(cmd(&["DISCARD"])),
        Just(cmd(&["UNWATCH"])),
        (key(), key()).prop_map(|(a, b)| cmd(&["WATCH", &a, &b])),
        Just(cmd(&["SHUTDOWN", "NOSAVE", "ABORT"])),
    ]
}

fn any_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => string_cmd(),
        3 => list_cmd(),
        3 => key_cmd(),
        3 => hash_cmd(),
        3 => set_cmd(),
        2 => tx_cmd(),
    ]
}

/// Make replies comparable where Redis does not fix an order or an exact time.
fn normalize(cmd: &Cmd, reply: Frame) -> Frame {
    let sorted = |mut items: Vec<Frame>| {
        items.sort_by_key(|f| format!("{f:?}"));
        items
    };
    match (cmd[0].to_ascii_uppercase().as_str(), reply) {
        // Orders Redis leaves unspecified (hash tables).
        (
            "KEYS" | "HKEYS" | "HVALS" | "HGETALL" | "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF",
            Frame::Array(items),
        ) => Frame::Array(sorted(items)),
        ("SMEMBERS" | "SINTER" | "SUNION" | "SDIFF", Frame::Set(items)) => {
            Frame::Set(sorted(items))
        }
        ("HGETALL", Frame::Map(mut pairs)) => {
            pairs.sort_by_key(|p| format!("{p:?}"));
            Frame::Map(pairs)
        }
        // Random picks: only how many is exact.
        ("SRANDMEMBER" | "HRANDFIELD", Frame::Array(items)) => Frame::Integer(items.len() as i64),
        ("SRANDMEMBER" | "HRANDFIELD", Frame::Bulk(_)) => Frame::simple("one"),
        // Milliseconds pass between the two servers: only the sign is exact.
        ("PTTL", Frame::Integer(n)) if n > 0 => Frame::Integer(1),
        (_, reply) => reply,
    }
}

fn run_both(ours: &mut Client, theirs: &mut Client, cmds: &[Cmd]) -> Result<(), TestCaseError> {
    for c in [&mut *ours, &mut *theirs] {
        // Leave any transaction the previous case left open.
        c.cmd(&["DISCARD"]);
        c.cmd(&["UNWATCH"]);
        c.cmd(&["SELECT", "0"]);
        c.cmd(&["FLUSHALL"]);
    }
    // Commands queued by MULTI, to normalize each element of EXEC's reply.
    let mut queued: Option<Vec<Cmd>> = None;
    for (i, command) in cmds.iter().enumerate() {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let (got, want) = (ours.cmd(&args), theirs.cmd(&args));
        let name = command[0].to_ascii_uppercase();
        let (got, want) = match (&name[..], got, want) {
            ("EXEC", Frame::Array(a), Frame::Array(b)) => {
                let q = queued.take().unwrap_or_default();
                let norm = |items: Vec<Frame>| {
                    Frame::Array(
                        items
                            .into_iter()
                            .zip(&q)
                            .map(|(f, c)| normalize(c, f))
                            .collect(),
                    )
                };
                (norm(a), norm(b))
            }
            (_, got, want) => (normalize(command, got), normalize(command, want)),
        };
        match (&name[..], &got) {
            ("MULTI", Frame::Simple(ok)) if &ok[..] == b"OK" => queued = Some(Vec::new()),
            ("EXEC" | "DISCARD", _) => queued = None,
            (_, Frame::Simple(q)) if &q[..] == b"QUEUED" => {
                if let Some(list) = queued.as_mut() {
                    list.push(command.clone());
                }
            }
            _ => {}
        }
        prop_assert_eq!(
            got,
            want,
            "command #{} {:?} after {:?}",
            i,
            command,
            &cmds[..i]
        );
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
        200,
        prop::collection::vec(any_cmd(), 1..40),
        |ours, theirs, cmds| run_both(ours, theirs, &cmds),
    );
}

/// WATCH across connections: another client's write, expiry and FLUSHALL abort EXEC
/// with a null reply; untouched keys let it run.
#[test]
fn watch_across_clients_matches_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    for addr in [ferrodis.addr, redis.addr] {
        let mut a = Client::connect(addr);
        let mut b = Client::connect(addr);
        let transaction = |a: &mut Client, watched: &str, meanwhile: &mut dyn FnMut()| {
            a.cmd(&["WATCH", watched]);
            meanwhile();
            assert_eq!(a.cmd(&["MULTI"]), Frame::ok());
            assert_eq!(a.cmd(&["INCR", "counter"]), Frame::simple("QUEUED"));
            a.cmd(&["EXEC"])
        };
        a.cmd(&["FLUSHALL"]);
        b.cmd(&["SET", "w", "1"]);
        let got = transaction(&mut a, "w", &mut || {});
        assert_eq!(
            got,
            Frame::Array(vec![Frame::Integer(1)]),
            "{addr}: untouched"
        );
        let got = transaction(&mut a, "w", &mut || {
            b.cmd(&["SET", "w", "2"]);
        });
        assert_eq!(got, Frame::NullArray, "{addr}: written by another client");
        let got = transaction(&mut a, "w", &mut || {
            b.cmd(&["SET", "other", "2"]);
        });
        assert_eq!(
            got,
            Frame::Array(vec![Frame::Integer(2)]),
            "{addr}: other key written"
        );
        let got = transaction(&mut a, "w", &mut || {
            b.cmd(&["FLUSHALL"]);
        });
        assert_eq!(got, Frame::NullArray, "{addr}: flushed");
        b.cmd(&["SET", "t", "v", "PX", "50"]);
        let got = transaction(&mut a, "t", &mut || {
            std::thread::sleep(std::time::Duration::from_millis(120));
        });
        assert_eq!(got, Frame::NullArray, "{addr}: expired since WATCH");
        // A client that disconnects while watching leaves nothing behind.
        let mut c = Client::connect(addr);
        c.cmd(&["WATCH", "w"]);
        drop(c);
        assert_eq!(b.cmd(&["SET", "w", "3"]), Frame::ok());
    }
}
