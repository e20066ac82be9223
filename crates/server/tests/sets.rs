//! Set commands compared reply by reply with a real redis-server 7.0, in RESP2 and
//! RESP3. Replies whose order Redis leaves open (a hashtable's members, SUNION's
//! and SDIFF's results) are compared sorted; when Redis says a key is an intset,
//! SMEMBERS must list it in Redis's exact (ascending) order. Random replies (SPOP,
//! SRANDMEMBER) are compared where they are determined: shapes, sizes, errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;

/// Commands whose reply lists members in an order Redis does not fix.
const UNORDERED: [&str; 6] = [
    "smembers",
    "sinter",
    "sunion",
    "sdiff",
    "spop",
    "srandmember",
];

/// The reply with its members sorted if `cmd` leaves their order open.
fn normalized(cmd: &[&str], reply: Frame) -> Frame {
    let name = cmd[0].to_ascii_lowercase();
    if !UNORDERED.contains(&name.as_str()) {
        return reply;
    }
    let sort = |mut items: Vec<Frame>| {
        items.sort_by_key(|f| match f {
            Frame::Bulk(b) => b.to_vec(),
            _ => Vec::new(),
        });
        items
    };
    match reply {
        Frame::Set(items) => Frame::Set(sort(items)),
        Frame::Array(items) => Frame::Array(sort(items)),
        other => other,
    }
}

struct Pair {
    ours: Client,
    theirs: Client,
}

impl Pair {
    fn new(ferrodis: &Ferrodis, redis: &RealRedis, resp3: bool) -> Pair {
        let mut pair = Pair {
            ours: ferrodis.client(),
            theirs: redis.client(),
        };
        if resp3 {
            pair.ours.cmd(&["HELLO", "3"]);
            pair.theirs.cmd(&["HELLO", "3"]);
        }
        pair
    }

    /// Runs `cmd` on both servers; the replies must agree.
    fn same(&mut self, cmd: &[&str]) -> Frame {
        let ours = self.ours.cmd(cmd);
        let theirs = self.theirs.cmd(cmd);
        if cmd[0].eq_ignore_ascii_case("smembers") && self.is_intset(cmd[1]) {
            assert_eq!(
                ours, theirs,
                "{cmd:?}: an intset lists its members in order"
            );
        }
        let theirs = normalized(cmd, theirs);
        assert_eq!(normalized(cmd, ours), theirs, "{cmd:?}");
        theirs
    }

    fn is_intset(&mut self, key: &str) -> bool {
        matches!(self.theirs.cmd(&["OBJECT", "ENCODING", key]), Frame::Bulk(b) if b == "intset")
    }

    /// Runs `cmd` on both servers; the replies must have the same shape and size.
    fn same_shape(&mut self, cmd: &[&str]) {
        let (ours, theirs) = (self.ours.cmd(cmd), self.theirs.cmd(cmd));
        let shape = |f: &Frame| match f {
            Frame::Set(items) => format!("set of {}", items.len()),
            Frame::Array(items) => format!("array of {}", items.len()),
            Frame::Bulk(_) => "bulk".to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(shape(&ours), shape(&theirs), "{cmd:?}");
    }
}

fn scripted(pair: &mut Pair) {
    pair.same(&["FLUSHALL"]);
    for cmd in [
        &[
            "SADD",
            "ints",
            "3",
            "1",
            "2",
            "-40000",
            "9223372036854775807",
        ][..],
        &["SADD", "ints", "2", "5"],
        &["SADD", "mixed", "1", "x", "", "01"],
        &["SADD", "words", "x", "y", "z"],
        &["SET", "str", "v"],
        &["SMEMBERS", "ints"],
        &["SMEMBERS", "mixed"],
        &["SMEMBERS", "nope"],
        &["SCARD", "ints"],
        &["SCARD", "nope"],
        &["SISMEMBER", "ints", "1"],
        &["SISMEMBER", "ints", "01"],
        &["SISMEMBER", "mixed", "01"],
        &["SISMEMBER", "nope", "1"],
        &["SMISMEMBER", "mixed", "1", "2", "", "x"],
        &["SMISMEMBER", "nope", "1", "2"],
        &["SINTER", "ints", "mixed"],
        &["SINTER", "ints", "nope"],
        &["SINTER", "nope", "str"],
        &["SINTERCARD", "2", "ints", "mixed"],
        &["SINTERCARD", "1", "ints", "LIMIT", "2"],
        &["SINTERCARD", "1", "ints", "limit", "0"],
        &["SINTERCARD", "0", "ints"],
        &["SINTERCARD", "3", "ints"],
        &["SINTERCARD", "1", "ints", "LIMIT", "-1"],
        &["SINTERCARD", "1", "ints", "LIMIT"],
        &["SINTERCARD", "1", "ints", "FOO", "1"],
        &["SINTERCARD", "1", "str"],
        &["SUNION", "ints", "words", "nope"],
        &["SUNION", "ints"],
        &["SUNION", "str"],
        &["SDIFF", "ints", "mixed"],
        &["SDIFF", "ints", "nope", "ints"],
        &["SDIFF", "nope", "ints"],
        &["SDIFF", "ints", "str"],
        &["SINTERSTORE", "dst", "ints", "mixed"],
        &["SMEMBERS", "dst"],
        &["SUNIONSTORE", "dst", "ints", "words"],
        &["SMEMBERS", "dst"],
        &["SDIFFSTORE", "dst", "ints", "mixed"],
        &["SMEMBERS", "dst"],
        &["SINTERSTORE", "dst", "ints", "nope"],
        &["EXISTS", "dst"],
        &["SUNIONSTORE", "str2", "nope"],
        &["SDIFFSTORE", "dst", "nope", "str"],
        &["SET", "dst", "v", "EX", "100"],
        &["SUNIONSTORE", "dst", "words"],
        &["TTL", "dst"],
        &["TYPE", "dst"],
        &["SMOVE", "ints", "moved", "5"],
        &["SMEMBERS", "moved"],
        &["SMOVE", "ints", "moved", "5"],
        &["SMOVE", "words", "moved", "x"],
        &["SMEMBERS", "moved"],
        &["SMOVE", "ints", "ints", "1"],
        &["SMOVE", "ints", "ints", "77"],
        &["SMOVE", "nope", "str", "1"],
        &["SMOVE", "ints", "str", "1"],
        &["SMOVE", "str", "ints", "1"],
        &["SREM", "ints", "1", "1", "77"],
        &["SREM", "nope", "1"],
        &["SREM", "str", "1"],
        &["SADD", "str", "1"],
        &["SCARD", "str"],
        &["SMEMBERS", "str"],
        &["SPOP", "nope"],
        &["SPOP", "nope", "2"],
        &["SPOP", "ints", "0"],
        &["SPOP", "ints", "-1"],
        &["SPOP", "str", "abc"],
        &["SPOP", "str", "1"],
        &["SPOP", "ints", "1", "2"],
        &["SPOP", "words", "100"],
        &["EXISTS", "words"],
        &["SRANDMEMBER", "nope"],
        &["SRANDMEMBER", "nope", "5"],
        &["SRANDMEMBER", "nope", "-5"],
        &["SRANDMEMBER", "ints", "0"],
        &["SRANDMEMBER", "ints", "100"],
        &["SRANDMEMBER", "mixed", "100"],
        &["SRANDMEMBER", "ints", "-9223372036854775808"],
        &["SRANDMEMBER", "ints", "x"],
        &["SRANDMEMBER", "str", "1"],
        &["SRANDMEMBER", "ints", "1", "2"],
        &["SADD", "one", "only"],
        &["SRANDMEMBER", "one"],
        &["SRANDMEMBER", "one", "-3"],
        &["SPOP", "one"],
        &["EXISTS", "one"],
        &["SADD"],
        &["SADD", "k"],
        &["SINTERCARD", "1"],
        &["SMOVE", "a", "b"],
    ] {
        pair.same(cmd);
    }
    for cmd in [
        &["SPOP", "ints"][..],
        &["SPOP", "ints", "2"],
        &["SRANDMEMBER", "mixed"],
        &["SRANDMEMBER", "mixed", "2"],
        &["SRANDMEMBER", "mixed", "-7"],
    ] {
        pair.same_shape(cmd);
    }
    pair.same(&["SCARD", "ints"]);
}

#[test]
fn set_replies_match_redis_in_resp2_and_resp3() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    scripted(&mut Pair::new(&ferrodis, &redis, false));
    scripted(&mut Pair::new(&ferrodis, &redis, true));
}

/// xorshift64: a fixed, reproducible command stream.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Random deterministic set commands over a few keys, with a low intset limit so
/// encodings keep changing; SPOP only in its deterministic form (whole set).
#[test]
fn random_set_commands_match_redis() {
    let ferrodis = Ferrodis::start(&["--set-max-intset-entries", "4"]);
    let redis = RealRedis::start(&["--set-max-intset-entries", "4"]);
    let mut pair = Pair::new(&ferrodis, &redis, true);
    let keys = ["a", "b", "c", "d"];
    let members = ["1", "2", "3", "-1", "70000", "x", "y", "007", "-0", ""];
    let mut state = 0x5eed_0001_u64;
    for _ in 0..3000 {
        let r = next(&mut state);
        let key = keys[(r >> 8) as usize % keys.len()];
        let key2 = keys[(r >> 12) as usize % keys.len()];
        let key3 = keys[(r >> 16) as usize % keys.len()];
        let m1 = members[(r >> 20) as usize % members.len()];
        let m2 = members[(r >> 24) as usize % members.len()];
        let cmd: Vec<&str> = match r % 17 {
            0..=3 => vec!["SADD", key, m1, m2],
            4 | 5 => vec!["SREM", key, m1, m2],
            6 => vec!["SMEMBERS", key],
            7 => vec!["SMISMEMBER", key, m1, m2],
            8 => vec!["SMOVE", key, key2, m1],
            9 => vec!["SINTER", key, key2, key3],
            10 => vec!["SINTERCARD", "2", key, key2, "LIMIT", "2"],
            11 => vec!["SUNION", key, key2],
            12 => vec!["SDIFF", key, key2, key3],
            13 => vec!["SINTERSTORE", key, key2, key3],
            14 => vec!["SUNIONSTORE", key, key2, key3],
            15 => vec!["SDIFFSTORE", key, key2, key3],
            _ if r & (1 << 30) == 0 => vec!["SPOP", key, "100"],
            _ => vec!["SET", key, "v"],
        };
        pair.same(&cmd);
    }
    pair.same(&["DBSIZE"]);
}

#[test]
fn keyspace_counts_match_redis_after_set_commands() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut pair = Pair::new(&ferrodis, &redis, false);
    pair.same(&["SADD", "a", "1", "2"]);
    pair.same(&["SADD", "b", "2", "x"]);
    pair.same(&["SINTERSTORE", "c", "a", "b"]);
    pair.same(&["SREM", "a", "1", "2"]);
    pair.same(&["DBSIZE"]);
    let field = |c: &mut Client| {
        text(&c.cmd(&["INFO", "stats"]))
            .lines()
            .filter(|l| l.starts_with("keyspace_hits") || l.starts_with("keyspace_misses"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(field(&mut pair.ours), field(&mut pair.theirs));
}

/// COMMAND DOCS of every set command has Redis's summary, since, group and
/// complexity (COMMAND INFO and the argument hints are checked for all commands in
/// the connection tests).
#[test]
fn set_command_docs_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut pair = Pair::new(&ferrodis, &redis, false);
    let fields = |c: &mut Client, name: &str| -> Vec<(String, String)> {
        let Frame::Array(doc) = c.cmd(&["COMMAND", "DOCS", name]) else {
            panic!("DOCS gives an array in RESP2")
        };
        let Frame::Array(kv) = &doc[1] else { panic!() };
        kv.chunks(2)
            .filter(|p| {
                matches!(
                    text(&p[0]).as_str(),
                    "summary" | "since" | "group" | "complexity"
                )
            })
            .map(|p| (text(&p[0]), text(&p[1])))
            .collect()
    };
    for name in [
        "sadd",
        "srem",
        "smembers",
        "sismember",
        "smismember",
        "scard",
        "spop",
        "srandmember",
        "smove",
        "sinter",
        "sintercard",
        "sinterstore",
        "sunion",
        "sunionstore",
        "sdiff",
        "sdiffstore",
    ] {
        let theirs = fields(&mut pair.theirs, name);
        assert_eq!(theirs.len(), 4, "{name}");
        assert_eq!(fields(&mut pair.ours, name), theirs, "COMMAND DOCS {name}");
    }
}
