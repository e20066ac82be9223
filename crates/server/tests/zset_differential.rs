//! Differential test for sorted sets: generated command sequences run against ferrodis
//! and a real redis-server 7.0, every reply compared, in RESP2 and RESP3.
//!
//! Both servers run with tiny listpack limits (4 entries, 8-byte members) so that
//! sequences cross between the two encodings all the time. Keys come from a small
//! pool that includes a string (WRONGTYPE) and two plain sets (inputs of the algebra
//! commands); scores and bounds include Redis's parsing edge cases. ZRANDMEMBER replies are random: only their shape is compared.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;
use proptest::prelude::*;

type Cmd = Vec<String>;

const LIMITS: [&str; 4] = [
    "--zset-max-listpack-entries",
    "4",
    "--zset-max-listpack-value",
    "8",
];

fn s(v: &str) -> String {
    v.to_string()
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["z1", "z2", "z3", "str"]).prop_map(s)
}

/// Keys for lexicographic ranges, whose answer Redis fixes only when the scores are
/// all equal (`lz`) or the set is a listpack (`q`: at most 4 short members); and a
/// string no command turns into a set.
fn lex_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["lz", "q", "q", "string", "nokey"]).prop_map(s)
}

fn member() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "aa",
        "ab",
        "",
        "long-member-1",
        "long-member-2",
        "1",
    ])
    .prop_map(s)
}

fn score() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (-3i32..6).prop_map(|n| n.to_string()),
        3 => prop::sample::select(vec![
            "1.5", "-0", "inf", "-inf", "+inf", "0x10", "1e3", "0.1", "2.5e-3",
        ]).prop_map(s),
        1 => prop::sample::select(vec!["nan", "x", " 1", "1e400", "", "(1"]).prop_map(s),
    ]
}

fn score_bound() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (-3i32..6).prop_map(|n| n.to_string()),
        3 => (-3i32..6).prop_map(|n| format!("({n}")),
        3 => prop::sample::select(vec!["-inf", "+inf", "(inf", "1.5", "(-inf", " 2", ""]).prop_map(s),
        1 => prop::sample::select(vec!["x", "nan", "((1", "1 "]).prop_map(s),
    ]
}

fn lex_bound() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["-", "+"]).prop_map(s),
        6 => (prop::sample::select(vec!["[", "("]), member()).prop_map(|(p, m)| format!("{p}{m}")),
        1 => prop::sample::select(vec!["a", "", "-x", "++"]).prop_map(s),
    ]
}

fn int() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (-6i64..8).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["x", "9223372036854775807", "-9223372036854775808", "1.5"]).prop_map(s),
    ]
}

fn cmd(parts: &[&str]) -> Cmd {
    parts.iter().map(|p| s(p)).collect()
}

fn with(mut c: Cmd, extra: impl IntoIterator<Item = String>) -> Cmd {
    c.extend(extra);
    c
}

/// Words of an option string, for `select`ed option sets.
fn words(o: &str) -> Vec<String> {
    o.split(' ').filter(|w| !w.is_empty()).map(s).collect()
}

fn write_cmd() -> impl Strategy<Value = Cmd> {
    let zadd_opts = prop::sample::select(vec![
        "",
        "",
        "",
        "NX",
        "XX",
        "CH",
        "GT",
        "LT",
        "INCR",
        "XX CH",
        "GT CH",
        "LT XX",
        "NX XX",
        "NX GT",
        "GT LT",
        "INCR NX",
        "INCR XX GT",
    ]);
    let pairs = prop::collection::vec((score(), member()), 1..6);
    prop_oneof![
        6 => (key(), zadd_opts, pairs).prop_map(|(k, o, ps)| {
            with(with(cmd(&["ZADD", &k]), words(o)), ps.into_iter().flat_map(|(s, m)| [s, m]))
        }),
        2 => (key(), score(), member()).prop_map(|(k, i, m)| cmd(&["ZINCRBY", &k, &i, &m])),
        2 => (key(), prop::collection::vec(member(), 1..4)).prop_map(|(k, ms)| with(cmd(&["ZREM", &k]), ms)),
        1 => (prop::sample::select(vec!["ZREMRANGEBYRANK"]), key(), int(), int())
            .prop_map(|(c, k, a, b)| cmd(&[c, &k, &a, &b])),
        1 => (key(), score_bound(), score_bound()).prop_map(|(k, a, b)| cmd(&["ZREMRANGEBYSCORE", &k, &a, &b])),
        1 => (lex_key(), lex_bound(), lex_bound()).prop_map(|(k, a, b)| cmd(&["ZREMRANGEBYLEX", &k, &a, &b])),
        3 => (prop::collection::vec((score(), prop::sample::select(vec!["a", "b", "c", "d"])), 1..4))
            .prop_map(|ps| with(cmd(&["ZADD", "q"]), ps.into_iter().flat_map(|(s, m)| [s, m.to_string()]))),
        2 => prop::collection::vec(member(), 1..4)
            .prop_map(|ms| with(cmd(&["ZADD", "lz"]), ms.into_iter().flat_map(|m| [s("0"), m]))),
        2 => (prop::sample::select(vec!["ZPOPMIN", "ZPOPMAX"]), key(), prop::option::of(int()), prop::bool::weighted(0.05))
            .prop_map(|(c, k, n, extra)| {
                let mut v = with(cmd(&[c, &k]), n);
                if extra { v.push(s("1")); v.push(s("2")); }
                v
            }),
        1 => (prop::sample::select(vec!["1", "2", "3", "0", "x"]), key(), key(),
              prop::sample::select(vec!["MIN", "MAX", "min", "mid"]),
              prop::sample::select(vec!["", "COUNT 2", "COUNT 10", "COUNT 0", "COUNT", "COUNT 1 COUNT 1"]))
            .prop_map(|(n, a, b, w, o)| with(cmd(&["ZMPOP", n, &a, &b, w]), words(o))),
        1 => Just(cmd(&["SET", "str", "v"])),
        // Plain sets, which the algebra commands read with score 1.
        2 => (prop::sample::select(vec!["s1", "s2"]), prop::collection::vec(
                prop::sample::select(vec!["1", "2", "3", "5", "-1", "a", "b", "aa", "long-member-1"]), 1..5))
            .prop_map(|(k, ms)| with(cmd(&["SADD", k]), ms.into_iter().map(s))),
        1 => (prop::sample::select(vec!["s1", "s2"]), prop::sample::select(vec!["1", "a", "5"]))
            .prop_map(|(k, m)| cmd(&["SREM", k, m])),
        1 => key().prop_map(|k| cmd(&["DEL", &k])),
    ]
}

fn range_cmd() -> impl Strategy<Value = Cmd> {
    let opts = prop::collection::vec(
        prop::sample::select(vec![
            "BYSCORE",
            "BYLEX",
            "REV",
            "WITHSCORES",
            "LIMIT 0 2",
            "LIMIT 1 -1",
            "LIMIT -1 1",
            "LIMIT 1 1",
            "LIMIT 0 -1",
            "LIMIT x 1",
            "LIMIT 2",
        ]),
        0..3,
    );
    let bounds = prop_oneof![
        (int(), int()),
        (score_bound(), score_bound()),
        (lex_bound(), lex_bound()),
    ];
    let legacy_opts = prop::sample::select(vec![
        "",
        "WITHSCORES",
        "LIMIT 1 2",
        "WITHSCORES LIMIT 0 1",
        "LIMIT 0 -3",
        "REV",
    ]);
    // A lex range only on the keys where Redis's answer is fixed.
    let pick = |k: String, lk: String, o: &[&str]| if o.contains(&"BYLEX") { lk } else { k };
    prop_oneof![
        4 => (key(), lex_key(), bounds.clone(), opts.clone()).prop_map(move |(k, lk, (a, b), o)| {
            with(cmd(&["ZRANGE", &pick(k, lk, &o), &a, &b]), o.into_iter().flat_map(words))
        }),
        2 => (key(), key(), lex_key(), bounds.clone(), opts).prop_map(move |(d, k, lk, (a, b), o)| {
            with(cmd(&["ZRANGESTORE", &d, &pick(k, lk, &o), &a, &b]), o.into_iter().flat_map(words))
        }),
        1 => (key(), int(), int(), legacy_opts.clone()).prop_map(|(k, a, b, o)| with(cmd(&["ZREVRANGE", &k, &a, &b]), words(o))),
        2 => (prop::sample::select(vec!["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), key(), score_bound(), score_bound(), legacy_opts.clone())
            .prop_map(|(c, k, a, b, o)| with(cmd(&[c, &k, &a, &b]), words(o))),
        2 => (prop::sample::select(vec!["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), lex_key(), lex_bound(), lex_bound(), legacy_opts)
            .prop_map(|(c, k, a, b, o)| with(cmd(&[c, &k, &a, &b]), words(o))),
        1 => (key(), score_bound(), score_bound()).prop_map(|(k, a, b)| cmd(&["ZCOUNT", &k, &a, &b])),
        1 => (lex_key(), lex_bound(), lex_bound()).prop_map(|(k, a, b)| cmd(&["ZLEXCOUNT", &k, &a, &b])),
    ]
}

fn read_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        (key(), member()).prop_map(|(k, m)| cmd(&["ZSCORE", &k, &m])),
        (key(), prop::collection::vec(member(), 1..4))
            .prop_map(|(k, ms)| with(cmd(&["ZMSCORE", &k]), ms)),
        key().prop_map(|k| cmd(&["ZCARD", &k])),
        (
            prop::sample::select(vec!["ZRANK", "ZREVRANK"]),
            key(),
            member(),
            prop::sample::select(vec!["", "", "", "x"])
        )
            .prop_map(|(c, k, m, x)| with(cmd(&[c, &k, &m]), words(x))),
        key().prop_map(|k| cmd(&["TYPE", &k])),
        (
            key(),
            prop::option::of((
                int(),
                prop::sample::select(vec![
                    "",
                    "",
                    "WITHSCORES",
                    "withscores",
                    "WITHSCORE",
                    "WITHSCORES x"
                ])
            ))
        )
            .prop_map(|(k, o)| match o {
                None => cmd(&["ZRANDMEMBER", &k]),
                Some((n, w)) => with(cmd(&["ZRANDMEMBER", &k, &n]), words(w)),
            }),
    ]
}

fn algebra_cmd() -> impl Strategy<Value = Cmd> {
    let numkeys = prop::sample::select(vec!["1", "2", "2", "3", "3", "0", "4", "x"]);
    let opts = prop::collection::vec(
        prop::sample::select(vec![
            "WEIGHTS 2 0.5 -1",
            "WEIGHTS 1 1",
            "WEIGHTS 0 inf 1",
            "WEIGHTS x 1 1",
            "AGGREGATE MIN",
            "AGGREGATE MAX",
            "AGGREGATE SUM",
            "AGGREGATE avg",
            "WITHSCORES",
            "LIMIT 1",
            "LIMIT -1",
        ]),
        0..3,
    );
    let op = prop::sample::select(vec![
        "ZUNION",
        "ZINTER",
        "ZDIFF",
        "ZUNIONSTORE",
        "ZINTERSTORE",
        "ZDIFFSTORE",
        "ZINTERCARD",
    ]);
    let source =
        prop::sample::select(vec!["z1", "z2", "z3", "str", "s1", "s2", "z1", "z2"]).prop_map(s);
    (
        op,
        key(),
        numkeys,
        source.clone(),
        source.clone(),
        source,
        opts,
    )
        .prop_map(|(op, dst, n, a, b, c, o)| {
            let mut v = cmd(&[op]);
            if op.ends_with("STORE") {
                v.push(dst);
            }
            v.push(s(n));
            v.extend(
                [a, b, c]
                    .into_iter()
                    .take(n.parse::<usize>().unwrap_or(1).min(3)),
            );
            with(v, o.into_iter().flat_map(words))
        })
}

fn any_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![5 => write_cmd(), 3 => range_cmd(), 2 => read_cmd(), 2 => algebra_cmd()]
}

/// ZRANDMEMBER picks at random: keep what is determined (types, lengths, and the
/// whole set when the count covers it).
fn normalize(cmd: &Cmd, reply: Frame) -> Frame {
    if !cmd[0].eq_ignore_ascii_case("ZRANDMEMBER") {
        return reply;
    }
    let count: Option<i64> = cmd.get(2).and_then(|n| n.parse().ok());
    let flat_scores = cmd.len() == 4
        && matches!(&reply, Frame::Array(items) if items.first().is_some_and(|f| !matches!(f, Frame::Array(_))));
    match reply {
        Frame::Bulk(_) => Frame::Bulk("member".into()),
        // Fewer members than asked for: the whole set, in order.
        Frame::Array(items)
            if count.is_some_and(|c| {
                c > 0 && (items.len() / if flat_scores { 2 } else { 1 }) < c as usize
            }) =>
        {
            Frame::Array(items)
        }
        Frame::Array(items) => Frame::Integer(items.len() as i64),
        other => other,
    }
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
        c.cmd(&["SET", "string", "v"]);
    }
    for (i, command) in cmds.iter().enumerate() {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let got = normalize(command, ours.cmd(&args));
        let want = normalize(command, theirs.cmd(&args));
        prop_assert_eq!(
            got,
            want,
            "command #{} {:?} (RESP{}) after {:?}",
            i,
            command,
            if resp3 { 3 } else { 2 },
            &cmds[..i]
        );
    }
    // The whole state at the end, member by member.
    for key in ["z1", "z2", "z3", "q", "lz"] {
        let dump = ["ZRANGE", key, "0", "-1", "WITHSCORES"];
        prop_assert_eq!(
            ours.cmd(&dump),
            theirs.cmd(&dump),
            "final {} after {:?}",
            key,
            cmds
        );
    }
    Ok(())
}

#[test]
fn generated_sorted_set_sequences_match_redis() {
    let ferrodis = Ferrodis::start(&LIMITS);
    let redis = RealRedis::start(&LIMITS);
    let strategy = (prop::bool::ANY, prop::collection::vec(any_cmd(), 1..60));
    common::check_sequences(
        &ferrodis,
        &redis,
        300,
        strategy,
        |ours, theirs, (resp3, cmds)| run_both(ours, theirs, resp3, &cmds),
    );
}

/// Large sets (past the default limits) built the same way in both, then read by
/// rank, score and lex, to cover the tree's paths with real depth.
#[test]
fn large_sets_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let (mut ours, mut theirs) = (ferrodis.client(), redis.client());
    let mut script: Vec<Cmd> = Vec::new();
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    for batch in 0..40 {
        let mut c = cmd(&["ZADD", "big"]);
        for _ in 0..100 {
            c.push((next() % 300).to_string());
            c.push(format!("m{:05}", next() % 5000));
        }
        script.push(c);
        script.push(cmd(&[
            "ZADD",
            "lex",
            "0",
            &format!("w{:04}", next() % 3000),
            "0",
            &format!("v{batch}"),
        ]));
    }
    for i in 0..30 {
        let (a, b) = (next() % 300, next() % 300);
        let m = format!("m{:05}", next() % 5000);
        script.push(cmd(&["ZRANK", "big", &m]));
        script.push(cmd(&["ZREVRANK", "big", &m]));
        script.push(cmd(&["ZSCORE", "big", &m]));
        script.push(cmd(&["ZCOUNT", "big", &a.to_string(), &format!("({b}")]));
        script.push(cmd(&[
            "ZRANGE",
            "big",
            &a.to_string(),
            &(a + 20).to_string(),
            "WITHSCORES",
        ]));
        script.push(cmd(&[
            "ZRANGE",
            "big",
            &format!("({a}"),
            &b.to_string(),
            "BYSCORE",
            "LIMIT",
            "3",
            "7",
        ]));
        script.push(cmd(&[
            "ZRANGE",
            "big",
            &b.to_string(),
            &a.to_string(),
            "BYSCORE",
            "REV",
            "LIMIT",
            "2",
            "5",
        ]));
        script.push(cmd(&[
            "ZRANGE",
            "lex",
            &format!("[w{:04}", a * 10),
            &format!("(w{:04}", b * 10),
            "BYLEX",
        ]));
        script.push(cmd(&["ZLEXCOUNT", "lex", &format!("(w{:04}", a * 10), "+"]));
        script.push(cmd(&["ZINCRBY", "big", "7.5", &m]));
        if i % 3 == 0 {
            script.push(cmd(&[
                "ZREMRANGEBYSCORE",
                "big",
                &a.to_string(),
                &(a + 3).to_string(),
            ]));
            script.push(cmd(&["ZREMRANGEBYRANK", "big", "-50", "-40"]));
            script.push(cmd(&["ZPOPMIN", "big", "3"]));
            script.push(cmd(&[
                "ZINTERSTORE",
                "both",
                "2",
                "big",
                "lex",
                "WEIGHTS",
                "1",
                "2",
            ]));
            script.push(cmd(&[
                "ZUNIONSTORE",
                "all",
                "2",
                "big",
                "lex",
                "AGGREGATE",
                "MAX",
            ]));
            script.push(cmd(&["ZRANGE", "all", "100", "130", "WITHSCORES"]));
        }
    }
    script.push(cmd(&["ZRANGE", "big", "0", "-1", "WITHSCORES"]));
    script.push(cmd(&["ZRANGE", "lex", "0", "-1", "WITHSCORES"]));
    script.push(cmd(&["ZCARD", "all"]));
    for c in &script {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        assert_eq!(ours.cmd(&args), theirs.cmd(&args), "{c:?}");
    }
}
