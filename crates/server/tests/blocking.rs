//! Blocking commands against a real redis-server 7.0 with several clients: arrival
//! order, several keys, timeouts, MULTI, BLMOVE chains, wrong types, CLIENT UNBLOCK,
//! CLIENT KILL, disconnects and pipelining behind a blocked command. Each scenario
//! runs on both servers and the replies every client got must be the same.
//!
//! No timing assertions: "still blocked" is read from INFO's `blocked_clients`, and a
//! client is known to be blocked (so the arrival order is fixed) once that count
//! says so.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::{encode_command, Frame};

/// Sends a command without reading its reply.
fn send(c: &mut Client, args: &[&str]) {
    let mut out = BytesMut::new();
    encode_command(args, &mut out);
    c.send(&out);
}

/// INFO clients' `blocked_clients`.
fn blocked(admin: &mut Client) -> usize {
    let info = text(&admin.cmd(&["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Polls until `n` clients are blocked (10 s at most).
fn wait_blocked(admin: &mut Client, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked(admin) != n {
        assert!(Instant::now() < deadline, "never {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A client that sends `args` and is blocked by it (`already` others were).
fn blocker(addr: SocketAddr, admin: &mut Client, already: usize, args: &[&str]) -> Client {
    let mut c = Client::connect(addr);
    send(&mut c, args);
    wait_blocked(admin, already + 1);
    c
}

/// Runs `scenario` on both servers; it returns what it observed.
fn same_on_both(scenario: impl Fn(SocketAddr) -> Vec<Frame>) {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let ours = scenario(ferrodis.addr);
    let theirs = scenario(redis.addr);
    assert_eq!(ours, theirs);
}

fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

#[test]
fn clients_are_served_in_arrival_order() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c1 = blocker(addr, &mut admin, 0, &["BLPOP", "l", "0"]);
        let mut c2 = blocker(addr, &mut admin, 1, &["BRPOP", "l", "0"]);
        let mut c3 = blocker(addr, &mut admin, 2, &["BLPOP", "l", "0"]);
        let mut seen = vec![admin.cmd(&["RPUSH", "l", "a", "b"])];
        seen.push(c1.read_frame().unwrap());
        seen.push(c2.read_frame().unwrap());
        wait_blocked(&mut admin, 1);
        seen.push(admin.cmd(&["EXISTS", "l"]));
        seen.push(admin.cmd(&["LPUSH", "l", "c"]));
        seen.push(c3.read_frame().unwrap());
        wait_blocked(&mut admin, 0);
        seen
    });
}

#[test]
fn several_keys_and_the_first_ready_one() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        // An available key is popped at once, the first one in argument order.
        let mut seen = vec![
            admin.cmd(&["RPUSH", "b", "1", "2"]),
            admin.cmd(&["RPUSH", "c", "3"]),
            admin.cmd(&["BLPOP", "a", "c", "b", "0"]),
            admin.cmd(&["DEL", "b"]),
        ];
        // Blocked on three keys, b made ready before a inside one transaction.
        let mut c1 = blocker(addr, &mut admin, 0, &["BLPOP", "a", "b", "c", "0"]);
        seen.push(admin.cmd(&["MULTI"]));
        seen.push(admin.cmd(&["RPUSH", "b", "1"]));
        seen.push(admin.cmd(&["RPUSH", "a", "2"]));
        seen.push(admin.cmd(&["EXEC"]));
        seen.push(c1.read_frame().unwrap());
        seen.push(admin.cmd(&["LRANGE", "a", "0", "-1"]));
        // The same for sorted sets, with BZMPOP's count.
        let mut c2 = blocker(
            addr,
            &mut admin,
            0,
            &["BZMPOP", "0", "2", "x", "y", "MAX", "COUNT", "2"],
        );
        seen.push(admin.cmd(&["ZADD", "y", "1", "m", "2", "n", "3", "o"]));
        seen.push(c2.read_frame().unwrap());
        seen.push(admin.cmd(&["ZRANGE", "y", "0", "-1", "WITHSCORES"]));
        // Served replies take the blocked client's protocol (doubles in RESP3).
        for (i, args) in [
            &["BZPOPMAX", "r3", "0"][..],
            &["BZMPOP", "0", "1", "r3", "MIN", "COUNT", "3"],
            &["BLMPOP", "0", "1", "l3", "RIGHT"],
        ]
        .into_iter()
        .enumerate()
        {
            let mut c = Client::connect(addr);
            c.cmd(&["HELLO", "3"]);
            send(&mut c, args);
            wait_blocked(&mut admin, 1);
            if i < 2 {
                seen.push(admin.cmd(&["ZADD", "r3", "1.5", "a", "2", "b"]));
            } else {
                seen.push(admin.cmd(&["RPUSH", "l3", "x", "y"]));
            }
            seen.push(c.read_frame().unwrap());
            seen.push(admin.cmd(&["DEL", "r3", "l3"]));
        }
        seen
    });
}

#[test]
fn timeouts_reply_null_in_both_protocols() {
    same_on_both(|addr| {
        let mut seen = Vec::new();
        for resp3 in [false, true] {
            for args in [
                &["BLPOP", "n", "0.05"][..],
                &["BRPOP", "n", "m", "0.05"],
                &["BLMOVE", "n", "m", "LEFT", "LEFT", "0.05"],
                &["BRPOPLPUSH", "n", "m", "0.05"],
                &["BLMPOP", "0.05", "1", "n", "LEFT"],
                &["BZPOPMIN", "n", "0.05"],
                &["BZPOPMAX", "n", "0.05"],
                &["BZMPOP", "0.05", "1", "n", "MIN"],
            ] {
                let mut c = Client::connect(addr);
                if resp3 {
                    c.cmd(&["HELLO", "3"]);
                }
                seen.push(c.cmd(args));
                seen.push(c.cmd(&["PING"]));
            }
        }
        let mut admin = Client::connect(addr);
        wait_blocked(&mut admin, 0);
        seen
    });
}

#[test]
fn argument_errors_match_redis() {
    same_on_both(|addr| {
        let mut c = Client::connect(addr);
        let mut seen = vec![c.cmd(&["SET", "s", "v"])];
        for args in [
            &["BLPOP", "k", "-1"][..],
            &["BLPOP", "k", "abc"],
            &["BLPOP", "k", "inf"],
            &["BLPOP", "k", "1e16"],
            &["BLPOP", "k", ""],
            &["BLPOP", "s", "0"],
            &["BLPOP", "s", "x"],
            &["BLPOP", "k"],
            &["BLMOVE", "a", "b", "up", "left", "x"],
            &["BLMOVE", "a", "b", "left", "left", "x"],
            &["BLMOVE", "s", "b", "left", "left", "0"],
            &["BRPOPLPUSH", "a", "b", "-1"],
            &["BLMPOP", "x", "0", "k", "LEFT"],
            &["BLMPOP", "x", "1", "k", "LEFT", "COUNT", "0"],
            &["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "x"],
            &["BLMPOP", "x", "1", "k", "LEFT"],
            &["BLMPOP", "0", "1", "s", "LEFT"],
            &["BZPOPMIN", "k", "x"],
            &["BZPOPMAX", "s", "0"],
            &["BZMPOP", "0", "1", "k", "foo"],
            &["BZMPOP", "x", "2", "k", "MIN"],
        ] {
            seen.push(c.cmd(args));
        }
        seen
    });
}

#[test]
fn inside_multi_they_never_block() {
    same_on_both(|addr| {
        let mut seen = Vec::new();
        for resp3 in [false, true] {
            let mut c = Client::connect(addr);
            if resp3 {
                c.cmd(&["HELLO", "3"]);
            }
            seen.push(c.cmd(&["MULTI"]));
            for args in [
                &["BLPOP", "n", "0"][..],
                &["BRPOP", "n", "0"],
                &["BLMOVE", "n", "m", "LEFT", "LEFT", "0"],
                &["BRPOPLPUSH", "n", "m", "0"],
                &["BLMPOP", "0", "1", "n", "LEFT"],
                &["BZPOPMIN", "n", "0"],
                &["BZMPOP", "0", "1", "n", "MIN"],
                &["BLPOP", "n", "-1"],
                &["RPUSH", "n", "x", "y"],
                &["BLPOP", "n", "0"],
                &["BLMOVE", "n", "m", "LEFT", "RIGHT", "0"],
            ] {
                seen.push(c.cmd(args));
            }
            seen.push(c.cmd(&["EXEC"]));
            seen.push(c.cmd(&["LRANGE", "m", "0", "-1"]));
            seen.push(c.cmd(&["DEL", "m"]));
        }
        seen
    });
}

#[test]
fn pushes_inside_a_transaction_serve_after_exec() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c1 = blocker(addr, &mut admin, 0, &["BLPOP", "k", "0"]);
        let mut seen = vec![admin.cmd(&["MULTI"])];
        seen.push(admin.cmd(&["RPUSH", "k", "a", "b"]));
        seen.push(admin.cmd(&["LPOP", "k"]));
        seen.push(admin.cmd(&["EXEC"]));
        seen.push(c1.read_frame().unwrap());
        // A key pushed and deleted in one transaction serves nobody.
        let mut c2 = blocker(addr, &mut admin, 0, &["BLPOP", "q", "0"]);
        seen.push(admin.cmd(&["MULTI"]));
        seen.push(admin.cmd(&["RPUSH", "q", "a"]));
        seen.push(admin.cmd(&["DEL", "q"]));
        seen.push(admin.cmd(&["EXEC"]));
        seen.push(int(blocked(&mut admin) as i64));
        seen.push(admin.cmd(&["RPUSH", "q", "z"]));
        seen.push(c2.read_frame().unwrap());
        // A pipeline: the push serves the waiter before the next command runs.
        let mut c3 = blocker(addr, &mut admin, 0, &["BLPOP", "p", "0"]);
        send(&mut admin, &["RPUSH", "p", "1"]);
        send(&mut admin, &["LPOP", "p"]);
        seen.push(admin.read_frame().unwrap());
        seen.push(admin.read_frame().unwrap());
        seen.push(c3.read_frame().unwrap());
        seen
    });
}

#[test]
fn blmove_chains_unblock_further_clients() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c1 = blocker(
            addr,
            &mut admin,
            0,
            &["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"],
        );
        let mut c2 = blocker(addr, &mut admin, 1, &["BRPOPLPUSH", "b", "c", "0"]);
        let mut c3 = blocker(addr, &mut admin, 2, &["BZPOPMIN", "c", "0"]);
        let mut c4 = blocker(addr, &mut admin, 3, &["BLPOP", "c", "0"]);
        let mut seen = vec![admin.cmd(&["RPUSH", "a", "x"])];
        seen.push(c1.read_frame().unwrap());
        seen.push(c2.read_frame().unwrap());
        seen.push(c4.read_frame().unwrap());
        wait_blocked(&mut admin, 1);
        seen.push(admin.cmd(&["DBSIZE"]));
        seen.push(admin.cmd(&["ZADD", "c", "4", "m"]));
        seen.push(c3.read_frame().unwrap());
        // A BLMOVE onto its own key rotates and leaves the list for the next one.
        let mut c5 = blocker(
            addr,
            &mut admin,
            0,
            &["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"],
        );
        let mut c6 = blocker(addr, &mut admin, 1, &["BLPOP", "r", "0"]);
        seen.push(admin.cmd(&["RPUSH", "r", "1", "2"]));
        seen.push(c5.read_frame().unwrap());
        seen.push(c6.read_frame().unwrap());
        seen.push(admin.cmd(&["LRANGE", "r", "0", "-1"]));
        seen
    });
}

#[test]
fn keys_of_another_type_keep_clients_blocked() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c1 = blocker(addr, &mut admin, 0, &["BLPOP", "wt", "0"]);
        let mut seen = vec![admin.cmd(&["SET", "wt", "str"])];
        seen.push(int(blocked(&mut admin) as i64));
        seen.push(admin.cmd(&["DEL", "wt"]));
        seen.push(admin.cmd(&["ZADD", "wt", "1", "a"]));
        seen.push(int(blocked(&mut admin) as i64));
        seen.push(admin.cmd(&["DEL", "wt"]));
        seen.push(admin.cmd(&["FLUSHALL"]));
        seen.push(int(blocked(&mut admin) as i64));
        seen.push(admin.cmd(&["RPUSH", "wt", "v"]));
        seen.push(c1.read_frame().unwrap());
        // BLMOVE onto a key that is not a list: WRONGTYPE, nothing moves, and the
        // next client gets the element.
        seen.push(admin.cmd(&["SET", "dst", "x"]));
        let mut c2 = blocker(
            addr,
            &mut admin,
            0,
            &["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"],
        );
        let mut c3 = blocker(addr, &mut admin, 1, &["BRPOP", "src", "0"]);
        seen.push(admin.cmd(&["RPUSH", "src", "v"]));
        seen.push(c2.read_frame().unwrap());
        seen.push(c3.read_frame().unwrap());
        seen
    });
}

#[test]
fn client_unblock_and_its_errors() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut seen = Vec::new();
        for (resp3, reason) in [
            (false, "ERROR"),
            (false, "TIMEOUT"),
            (true, "error"),
            (true, ""),
        ] {
            let mut c = Client::connect(addr);
            if resp3 {
                c.cmd(&["HELLO", "3"]);
            }
            let Frame::Integer(id) = c.cmd(&["CLIENT", "ID"]) else {
                panic!()
            };
            send(&mut c, &["BZPOPMIN", "u", "0"]);
            wait_blocked(&mut admin, 1);
            let id = id.to_string();
            let mut args = vec!["CLIENT", "UNBLOCK", id.as_str()];
            if !reason.is_empty() {
                args.push(reason);
            }
            seen.push(admin.cmd(&args));
            seen.push(c.read_frame().unwrap());
            seen.push(admin.cmd(&args));
            seen.push(c.cmd(&["PING"]));
        }
        for args in [
            &["CLIENT", "UNBLOCK", "999999"][..],
            &["CLIENT", "UNBLOCK", "-1"],
            &["CLIENT", "UNBLOCK", "abc"],
            &["CLIENT", "UNBLOCK", "abc", "foo"],
            &["CLIENT", "UNBLOCK", "1", "foo"],
            &["CLIENT", "UNBLOCK", "1", "timeout", "x"],
            &["CLIENT", "UNBLOCK"],
        ] {
            seen.push(admin.cmd(args));
        }
        seen
    });
}

#[test]
fn a_disconnected_client_leaves_the_queue() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let c1 = blocker(addr, &mut admin, 0, &["BLPOP", "k", "0"]);
        drop(c1);
        wait_blocked(&mut admin, 0);
        let mut seen = vec![admin.cmd(&["RPUSH", "k", "v"])];
        seen.push(admin.cmd(&["LLEN", "k"]));
        seen
    });
}

#[test]
fn client_kill_releases_a_blocked_client() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c = Client::connect(addr);
        let Frame::Integer(id) = c.cmd(&["CLIENT", "ID"]) else {
            panic!()
        };
        send(&mut c, &["BLPOP", "j", "0"]);
        wait_blocked(&mut admin, 1);
        let id = id.to_string();
        let mut seen = vec![admin.cmd(&["CLIENT", "KILL", "ID", &id])];
        seen.push(int(blocked(&mut admin) as i64));
        seen.push(admin.cmd(&["RPUSH", "j", "v"]));
        seen.push(admin.cmd(&["LLEN", "j"]));
        let outcome = c.outcome(Duration::from_secs(2));
        assert!(outcome.closed && outcome.frames.is_empty(), "{outcome:?}");
        seen
    });
}

#[test]
fn commands_pipelined_behind_a_blocked_one_wait_for_it() {
    same_on_both(|addr| {
        let mut admin = Client::connect(addr);
        let mut c = Client::connect(addr);
        send(&mut c, &["BLPOP", "pp", "0"]);
        send(&mut c, &["PING"]);
        send(&mut c, &["LLEN", "pp"]);
        wait_blocked(&mut admin, 1);
        let mut seen = vec![admin.cmd(&["RPUSH", "pp", "1", "2"])];
        seen.push(c.read_frame().unwrap());
        seen.push(c.read_frame().unwrap());
        seen.push(c.read_frame().unwrap());
        seen
    });
}

#[test]
fn client_list_shows_blocked_clients() {
    let look = |addr: SocketAddr| -> Vec<String> {
        let mut admin = Client::connect(addr);
        let mut c = Client::connect(addr);
        c.cmd(&["CLIENT", "SETNAME", "waiter"]);
        c.cmd(&["SELECT", "2"]);
        send(&mut c, &["BLMOVE", "a", "b", "LEFT", "LEFT", "5"]);
        wait_blocked(&mut admin, 1);
        let list = text(&admin.cmd(&["CLIENT", "LIST"]));
        let line = list.lines().find(|l| l.contains("name=waiter")).unwrap();
        let fields: Vec<String> = line
            .split(' ')
            .filter(|f| {
                ["flags=", "db=", "cmd=", "multi="]
                    .iter()
                    .any(|p| f.starts_with(p))
            })
            .map(str::to_string)
            .collect();
        let info = text(&admin.cmd(&["INFO", "clients"]));
        let mut out = fields;
        out.extend(
            info.lines()
                .filter(|l| l.starts_with("blocked_clients") || l.starts_with("clients_in_timeout"))
                .map(str::to_string),
        );
        out
    };
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    assert_eq!(look(ferrodis.addr), look(redis.addr));
}

#[test]
fn shutdown_with_blocked_clients() {
    let ferrodis = Ferrodis::start(&[]);
    let mut admin = ferrodis.client();
    let _c1 = blocker(ferrodis.addr, &mut admin, 0, &["BLPOP", "k", "0"]);
    let _c2 = blocker(ferrodis.addr, &mut admin, 1, &["BZPOPMIN", "z", "10"]);
    send(&mut admin, &["SHUTDOWN", "NOSAVE"]);
    assert!(ferrodis.stopped_within(Duration::from_secs(10)));
}
