//! Blocked clients through the public API: who blocks, which writes make a key
//! ready, the order clients are served in, chains through BLMOVE, and the effects
//! propagated for each service (what redis-server 7.0.15 writes to its AOF).
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Outcome, Session};
use ferrodis_resp::{Frame, Protocol};

struct World {
    ks: Keyspace,
    sessions: Vec<Session>,
}

impl World {
    fn new() -> World {
        let mut ks = Keyspace::new(16);
        ks.set_propagation(true);
        World {
            ks,
            sessions: vec![Session::default(); 8],
        }
    }

    fn argv(line: &str) -> Vec<Bytes> {
        line.split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    /// Runs `line` for `client` as a server would: blocking allowed, then serving.
    fn run(&mut self, client: usize, line: &str) -> Outcome {
        let argv = World::argv(line);
        self.ks
            .execute_blocking(&mut self.sessions[client], &argv, client as u64)
            .unwrap()
    }

    fn reply(&mut self, client: usize, line: &str) -> Frame {
        match self.run(client, line) {
            Outcome::Reply(f) => f,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn blocks(&mut self, client: usize, line: &str) {
        assert!(
            matches!(self.run(client, line), Outcome::Blocked { .. }),
            "{line} should block"
        );
        assert!(self.ks.is_blocked(client as u64));
    }

    fn serve(&mut self) -> Vec<(u64, Frame)> {
        if !self.ks.has_ready_keys() {
            return Vec::new();
        }
        self.ks.serve_blocked()
    }

    fn effects(&mut self) -> Vec<String> {
        self.ks
            .take_effects()
            .iter()
            .map(|e| {
                let words: Vec<_> = e.argv.iter().map(|a| String::from_utf8_lossy(a)).collect();
                format!("{}: {}", e.db, words.join(" "))
            })
            .collect()
    }
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn kv(k: &str, v: &str) -> Frame {
    Frame::Array(vec![bulk(k), bulk(v)])
}

#[test]
fn nothing_is_ready_while_nobody_blocks() {
    let mut w = World::new();
    w.reply(0, "RPUSH l a");
    assert!(!w.ks.has_ready_keys());
    assert_eq!(w.ks.blocked_clients(), (0, 0));
}

#[test]
fn timeouts_are_reported_and_counted() {
    let mut w = World::new();
    assert_eq!(
        w.run(1, "BLPOP k 0.25"),
        Outcome::Blocked { timeout_ms: 250 }
    );
    assert_eq!(w.run(2, "BLPOP k 0"), Outcome::Blocked { timeout_ms: 0 });
    assert_eq!(w.ks.blocked_clients(), (2, 1));
    assert!(w.ks.unblock(1));
    assert!(!w.ks.unblock(1), "already released");
    assert_eq!(w.ks.blocked_clients(), (1, 0));
    assert_eq!(Keyspace::TIMED_OUT, Frame::NullArray);
}

#[test]
fn clients_are_served_in_arrival_order() {
    let mut w = World::new();
    w.blocks(1, "BLPOP l 0");
    w.blocks(2, "BRPOP l 0");
    w.blocks(3, "BLPOP l 0");
    assert!(!w.ks.has_ready_keys());
    w.reply(0, "RPUSH l a b");
    let served = w.serve();
    assert_eq!(served, vec![(1, kv("l", "a")), (2, kv("l", "b"))]);
    assert!(w.ks.is_blocked(3), "nothing left for the third");
    assert_eq!(w.reply(0, "EXISTS l"), Frame::Integer(0));
    w.reply(0, "LPUSH l c");
    assert_eq!(w.serve(), vec![(3, kv("l", "c"))]);
    assert_eq!(w.ks.blocked_clients(), (0, 0));
}

#[test]
fn the_first_key_to_become_ready_serves_a_client_on_several() {
    let mut w = World::new();
    w.blocks(1, "BLPOP a b c 0");
    // A transaction makes b then a ready: b is served first (Redis's ready order).
    w.ks.execute(&mut Session::default(), &World::argv("RPUSH b 1"));
    w.ks.execute(&mut Session::default(), &World::argv("RPUSH a 2"));
    assert_eq!(w.serve(), vec![(1, kv("b", "1"))]);
    assert_eq!(w.reply(0, "LLEN a"), Frame::Integer(1));
}

#[test]
fn only_creating_a_list_or_zset_wakes_and_the_type_must_match() {
    let mut w = World::new();
    w.blocks(1, "BLPOP k 0");
    w.reply(0, "SET k v");
    assert!(!w.ks.has_ready_keys(), "a string does not signal");
    w.reply(0, "DEL k");
    w.reply(0, "ZADD k 1 m");
    assert!(w.ks.has_ready_keys(), "a sorted set signals");
    assert_eq!(w.serve(), vec![], "but cannot serve a list client");
    assert!(w.ks.is_blocked(1));
    w.blocks(2, "BZPOPMIN k2 0");
    w.reply(0, "RPUSH k2 x");
    assert_eq!(w.serve(), vec![]);
    w.reply(0, "DEL k k2");
    w.reply(0, "ZADD k2 5 m");
    assert_eq!(
        w.serve(),
        vec![(
            2,
            Frame::Array(vec![bulk("k2"), bulk("m"), Frame::Double(5.0)])
        )]
    );
    w.reply(0, "RPUSH k x");
    assert_eq!(w.serve(), vec![(1, kv("k", "x"))]);
}

#[test]
fn a_key_emptied_again_before_serving_serves_nobody() {
    let mut w = World::new();
    w.blocks(1, "BLPOP k 0");
    // As in MULTI; RPUSH k a; DEL k; EXEC: served after the block, nothing there.
    w.ks.execute(&mut Session::default(), &World::argv("RPUSH k a"));
    w.ks.execute(&mut Session::default(), &World::argv("DEL k"));
    assert_eq!(w.serve(), vec![]);
    assert!(w.ks.is_blocked(1));
    // ... and a key that became a string serves nobody either.
    w.ks.execute(&mut Session::default(), &World::argv("RPUSH k a"));
    w.ks.execute(&mut Session::default(), &World::argv("SET k s"));
    assert_eq!(w.serve(), vec![]);
    assert!(w.ks.is_blocked(1));
}

#[test]
fn overwriting_an_existing_key_does_not_signal() {
    // Redis's dbOverwrite() does not call signalKeyAsReady(): a key that existed
    // as a string and is replaced by ZUNIONSTORE leaves its waiter blocked.
    let mut w = World::new();
    w.blocks(1, "BZPOPMIN dst 0");
    w.reply(0, "SET dst s");
    w.reply(0, "ZADD src 1 a");
    w.reply(0, "ZUNIONSTORE dst 1 src");
    assert_eq!(w.serve(), vec![]);
    assert!(w.ks.is_blocked(1));
    // RENAME deletes the destination first and adds it: that signals.
    w.reply(0, "ZADD other 2 b");
    w.reply(0, "RENAME other dst");
    assert_eq!(
        w.serve(),
        vec![(
            1,
            Frame::Array(vec![bulk("dst"), bulk("b"), Frame::Double(2.0)])
        )]
    );
}

#[test]
fn blmove_chains_serve_further_clients() {
    let mut w = World::new();
    w.blocks(1, "BLMOVE a b LEFT RIGHT 0");
    w.blocks(2, "BRPOPLPUSH b c 0");
    w.blocks(3, "BLPOP c 0");
    w.effects();
    w.reply(0, "RPUSH a x");
    let served = w.serve();
    assert_eq!(
        served,
        vec![(1, bulk("x")), (2, bulk("x")), (3, kv("c", "x"))]
    );
    assert_eq!(w.reply(0, "DBSIZE"), Frame::Integer(0));
    assert_eq!(
        w.effects(),
        [
            "0: RPUSH a x",
            "0: LMOVE a b left right",
            "0: RPOPLPUSH b c",
            "0: LPOP c"
        ]
    );
}

#[test]
fn blmove_onto_a_key_of_another_type_is_wrongtype_and_moves_nothing() {
    let mut w = World::new();
    w.reply(0, "SET dst s");
    w.blocks(1, "BLMOVE src dst LEFT LEFT 0");
    w.blocks(2, "BLPOP src 0");
    w.effects();
    w.reply(0, "RPUSH src v");
    assert_eq!(
        w.serve(),
        vec![
            (
                1,
                Frame::static_error(
                    "WRONGTYPE Operation against a key holding the wrong kind of value"
                )
            ),
            (2, kv("src", "v"))
        ]
    );
    assert_eq!(w.effects(), ["0: RPUSH src v", "0: LPOP src"]);
}

#[test]
fn served_clients_propagate_what_redis_propagates() {
    let mut w = World::new();
    w.sessions[4].db = 3;
    w.sessions[5].protocol = Protocol::Resp3;
    w.blocks(1, "BRPOP l 0");
    w.blocks(2, "BLMPOP 0 2 x l RIGHT COUNT 5");
    w.blocks(3, "BZMPOP 0 1 z MAX COUNT 10");
    w.blocks(4, "BZPOPMIN z 0");
    w.blocks(5, "BZPOPMAX z 0");
    w.effects();
    w.reply(0, "RPUSH l a b c d");
    let mut served = w.serve();
    w.reply(0, "ZADD z 1 a 2 b 3 c");
    served.extend(w.serve());
    assert_eq!(served.len(), 3, "{served:?}");
    assert_eq!(served[0], (1, kv("l", "d")));
    assert_eq!(
        served[1],
        (
            2,
            Frame::Array(vec![
                bulk("l"),
                Frame::Array(vec![bulk("c"), bulk("b"), bulk("a")])
            ])
        )
    );
    let pair = |m: &str, s: f64| Frame::Array(vec![bulk(m), Frame::Double(s)]);
    assert_eq!(
        served[2],
        (
            3,
            Frame::Array(vec![
                bulk("z"),
                Frame::Array(vec![pair("c", 3.0), pair("b", 2.0), pair("a", 1.0)])
            ])
        )
    );
    assert!(
        w.ks.is_blocked(5),
        "the set was emptied by the first client"
    );
    assert!(w.ks.is_blocked(4), "another database");
    assert_eq!(
        w.effects(),
        [
            "0: RPUSH l a b c d",
            "0: RPOP l",
            "0: RPOP l 3",
            "0: ZADD z 1 a 2 b 3 c",
            "0: ZPOPMAX z 3"
        ]
    );
    w.reply(4, "ZADD z 7 q");
    assert_eq!(
        w.serve(),
        vec![(
            4,
            Frame::Array(vec![bulk("z"), bulk("q"), Frame::Double(7.0)])
        )]
    );
    assert_eq!(w.effects(), ["3: ZADD z 7 q", "3: ZPOPMIN z"]);
}

#[test]
fn served_pops_count_as_redis_counts_them() {
    // serveClientBlockedOnList() does not add to server.dirty for BLPOP/BRPOP/BLMOVE;
    // BLMPOP and the sorted-set commands do.
    let mut w = World::new();
    w.blocks(1, "BLPOP l 0");
    w.blocks(2, "BLMPOP 0 1 m LEFT COUNT 2");
    w.blocks(3, "BZPOPMIN z 0");
    let before = w.ks.dirty();
    w.reply(0, "RPUSH l a");
    w.reply(0, "RPUSH m a b c");
    w.reply(0, "ZADD z 1 a");
    assert_eq!(w.ks.dirty(), before + 5);
    assert_eq!(w.serve().len(), 3);
    assert_eq!(w.ks.dirty(), before + 5 + 2 + 1);
}

#[test]
fn swapdb_wakes_clients_of_keys_it_brings() {
    let mut w = World::new();
    w.blocks(1, "BLPOP l 0");
    w.sessions[0].db = 1;
    w.reply(0, "RPUSH l a");
    assert!(!w.ks.has_ready_keys(), "another database");
    w.reply(0, "SWAPDB 0 1");
    assert_eq!(w.serve(), vec![(1, kv("l", "a"))]);
    // The waiters stayed with database 0: a client blocking in 0 still waits there.
    w.blocks(2, "BLPOP q 0");
    w.reply(0, "SWAPDB 0 1");
    w.sessions[0].db = 0;
    w.reply(0, "RPUSH q b");
    assert_eq!(w.serve(), vec![(2, kv("q", "b"))]);
}

#[test]
fn duplicate_keys_and_unblocking_clean_up() {
    let mut w = World::new();
    w.blocks(1, "BLPOP k k j 0");
    w.blocks(2, "BLPOP j 0");
    assert!(w.ks.unblock(1));
    w.reply(0, "RPUSH k a");
    assert!(!w.ks.has_ready_keys(), "nobody waits for k any more");
    w.reply(0, "RPUSH j a");
    assert_eq!(w.serve(), vec![(2, kv("j", "a"))]);
    assert_eq!(w.reply(0, "LLEN k"), Frame::Integer(1));
}

#[test]
fn execute_never_blocks() {
    let mut w = World::new();
    let mut s = Session::default();
    assert_eq!(
        w.ks.execute(&mut s, &World::argv("BLPOP k 0")),
        Some(Frame::NullArray)
    );
    assert_eq!(
        w.ks.execute(&mut s, &World::argv("BLMOVE k d LEFT LEFT 0")),
        Some(Frame::Null)
    );
    assert_eq!(w.ks.blocked_clients(), (0, 0));
}
