//! Connection and server commands, compared reply by reply with a real redis-server
//! 7.0 where the replies are deterministic, and checked field by field where they
//! are not (ids, times, memory figures).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;

/// Run the same command sequence on fresh connections to both servers; every reply
/// must be equal.
fn same_replies(ferrodis: &Ferrodis, redis: &RealRedis, script: &[&[&str]]) {
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    for cmd in script {
        let got = without_client_id(ours.cmd(cmd));
        let want = without_client_id(theirs.cmd(cmd));
        assert_eq!(got, want, "command {cmd:?}");
    }
}

/// HELLO's reply with its `id` field zeroed: ids differ between two servers.
fn without_client_id(reply: Frame) -> Frame {
    match reply {
        Frame::Array(mut items) if items.first() == Some(&Frame::bulk("server")) => {
            for pair in items.chunks_mut(2) {
                if pair[0] == Frame::bulk("id") {
                    pair[1] = Frame::Integer(0);
                }
            }
            Frame::Array(items)
        }
        other => other,
    }
}

#[test]
fn connection_commands_match_redis() {
    let ferrodis = Ferrodis::start(&["--enable-debug-command", "local"]);
    let redis = RealRedis::start(&["--enable-debug-command", "local"]);
    same_replies(
        &ferrodis,
        &redis,
        &[
            &["PING"],
            &["ping", "hello"],
            &["PING", "a", "b"],
            &["ECHO", "x y"],
            &["ECHO"],
            &["SELECT", "15"],
            &["SELECT", "16"],
            &["SELECT", "-1"],
            &["SELECT", "abc"],
            &["AUTH", "x"],
            &["AUTH", "a", "b", "c"],
            &["HELLO", "4"],
            &["HELLO", "x"],
            &["HELLO", "2", "AUTH", "x"],
            &["HELLO", "2", "FOO"],
            &["CLIENT", "SETNAME", "has space"],
            &["CLIENT", "SETNAME", "good-name"],
            &["CLIENT", "GETNAME"],
            &["CLIENT", "SETNAME", ""],
            &["CLIENT", "GETNAME"],
            &["CLIENT", "SETNAME"],
            &["CLIENT", "FOO"],
            &["CLIENT", "KILL", "1.2.3.4:5"],
            &["CLIENT", "KILL", "ID", "abc"],
            &["CLIENT", "KILL", "ID", "999999"],
            &["CLIENT", "KILL", "SKIPME", "maybe"],
            &["CLIENT", "LIST", "TYPE", "foo"],
            &["CLIENT", "LIST", "TYPE", "pubsub"],
            &["CONFIG", "GET"],
            &["CONFIG", "SET", "port"],
            &["CONFIG", "GET", "maxclients"],
            &["CONFIG", "GET", "client-output-buffer-limit"],
            &["CONFIG", "GET", "nosuchthing"],
            &["CONFIG", "SET", "timeout", "abc"],
            &["CONFIG", "SET", "nosuch", "1"],
            &["CONFIG", "SET", "timeout", "30"],
            &["CONFIG", "GET", "timeout"],
            &["CONFIG", "SET", "maxmemory", "1gb"],
            &["CONFIG", "GET", "maxmemory"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["CONFIG", "RESETSTAT", "x"],
            &["CONFIG", "REWRITE"],
            &["COMMAND", "FOO"],
            &["COMMAND", "INFO", "nosuch"],
            &["COMMAND", "INFO", "get"],
            &["COMMAND", "DOCS", "nosuch"],
            &["TIME", "x"],
            &["DEBUG", "SLEEP", "0"],
            &["DEBUG", "SLEEP", "abc"],
            &["SHUTDOWN", "foo"],
            &["SHUTDOWN", "ABORT"],
            &["DBSIZE"],
            &["FLUSHDB"],
            &["FLUSHALL"],
            &["FLUSHALL", "bad"],
            &["NOSUCHCOMMAND", "a", "b"],
            &["GET"],
            &["SET", "k", "v"],
            &["GET", "k"],
            &["INCR", "k"],
            &["DBSIZE"],
        ],
    );
}

/// CONFIG GET with several matches: Redis returns them in its dict's order, so
/// compare the name/value pairs as sets.
#[test]
fn config_get_patterns_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let pairs = |c: &mut Client, args: &[&str]| -> std::collections::BTreeSet<(String, String)> {
        match c.cmd(args) {
            Frame::Array(items) => items
                .chunks(2)
                .map(|p| (text(&p[0]), text(&p[1])))
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    for args in [
        &[
            "CONFIG",
            "GET",
            "databases",
            "timeout",
            "proto-max-bulk-len",
        ][..],
        &["CONFIG", "GET", "maxmemory*"],
        &["CONFIG", "GET", "*max-*-entries*"],
        &["CONFIG", "GET", "bind", "port", "dir"],
        &["CONFIG", "GET", "timeout", "time*"],
    ] {
        let mut want = pairs(&mut theirs, args);
        let mut got = pairs(&mut ours, args);
        // The deliberate differences: loopback-only default bind, and our own port/dir.
        for set in [&mut want, &mut got] {
            set.retain(|(k, _)| !matches!(k.as_str(), "bind" | "port" | "dir"));
        }
        assert_eq!(got, want, "{args:?}");
    }
    assert_eq!(
        pairs(&mut ours, &["CONFIG", "GET", "bind"]),
        [("bind".to_string(), "127.0.0.1 -::1".to_string())]
            .into_iter()
            .collect()
    );
    let dir = std::env::current_dir().unwrap().display().to_string();
    assert_eq!(
        pairs(&mut ours, &["CONFIG", "GET", "dir"]),
        [("dir".to_string(), dir)].into_iter().collect()
    );
}

#[test]
fn resp3_replies_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    for c in [&mut ours, &mut theirs] {
        let hello = c.cmd(&["HELLO", "3"]);
        let Frame::Map(fields) = hello else {
            panic!("HELLO 3 gives a map: {hello:?}")
        };
        let keys: Vec<String> = fields.iter().map(|(k, _)| text(k)).collect();
        assert_eq!(
            keys,
            ["server", "version", "proto", "id", "mode", "role", "modules"]
        );
        assert_eq!(fields[1].1, Frame::bulk("7.0.15"));
        assert_eq!(fields[2].1, Frame::Integer(3));
    }
    for cmd in [
        &["PING"][..],
        &["GET", "nokey"],
        &["CONFIG", "GET", "databases"],
        &["COMMAND", "INFO", "get", "echo"],
        &["CLIENT", "GETNAME"],
        &["HELLO", "2", "FOO"],
    ] {
        assert_eq!(ours.cmd(cmd), theirs.cmd(cmd), "{cmd:?}");
    }
}

#[test]
fn auth_with_requirepass_matches_redis() {
    let ferrodis = Ferrodis::start(&["--requirepass", "secret"]);
    let redis = RealRedis::start(&["--requirepass", "secret"]);
    same_replies(
        &ferrodis,
        &redis,
        &[
            &["PING"],
            &["GET", "k"],
            &["GET"],
            &["NOSUCH"],
            &["CLIENT", "ID"],
            &["HELLO", "3"],
            &["HELLO", "2", "AUTH", "default", "wrong"],
            &["AUTH", "wrong"],
            &["AUTH", "someone", "secret"],
            &["AUTH", "secret"],
            &["PING"],
            &["AUTH", "default", "secret"],
            &["RESET"],
            &["GET", "k"],
            &["HELLO", "2", "AUTH", "default", "secret"],
            &["SET", "k", "v"],
        ],
    );
}

/// COMMAND INFO's name, arity, flags, key positions and ACL categories equal Redis's
/// for every command ferrodis has (tips and key-spec notes are not modelled), and
/// every subcommand ferrodis lists is one Redis has with the same fields.
#[test]
fn command_table_matches_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    let Frame::Array(all) = ours.cmd(&["COMMAND"]) else {
        panic!("COMMAND gives an array")
    };
    assert_eq!(
        ours.cmd(&["COMMAND", "COUNT"]),
        Frame::Integer(all.len() as i64)
    );
    let head = |entry: &Frame| -> Vec<Frame> {
        let Frame::Array(fields) = entry else {
            panic!("{entry:?}")
        };
        fields[..7].to_vec()
    };
    let subs = |entry: &Frame| -> Vec<Frame> {
        let Frame::Array(fields) = entry else {
            panic!("{entry:?}")
        };
        let Frame::Array(subs) = &fields[9] else {
            panic!("{entry:?}")
        };
        subs.clone()
    };
    for entry in &all {
        let name = text(&head(entry)[0]);
        let Frame::Array(theirs_info) = theirs.cmd(&["COMMAND", "INFO", &name]) else {
            panic!()
        };
        assert_ne!(theirs_info[0], Frame::Null, "Redis has no command {name}");
        assert_eq!(head(entry), head(&theirs_info[0]), "COMMAND INFO {name}");
        let their_subs: Vec<Vec<Frame>> = subs(&theirs_info[0]).iter().map(head).collect();
        for sub in subs(entry) {
            assert!(
                their_subs.contains(&head(&sub)),
                "{name}: subcommand {:?}",
                head(&sub)
            );
        }
    }
    // DOCS has Redis's summary, since, group and complexity.
    for name in ["get", "set", "client", "config", "ping", "info"] {
        let (Frame::Array(a), Frame::Array(b)) = (
            ours.cmd(&["COMMAND", "DOCS", name]),
            theirs.cmd(&["COMMAND", "DOCS", name]),
        ) else {
            panic!("DOCS gives arrays in RESP2")
        };
        let fields = |doc: &[Frame]| -> Vec<(String, String)> {
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
        assert_eq!(fields(&a), fields(&b), "COMMAND DOCS {name}");
    }
}

#[test]
fn client_list_looks_like_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let field_names = |c: &mut Client| -> Vec<String> {
        let list = text(&c.cmd(&["CLIENT", "LIST"]));
        let line = list.lines().next().unwrap().to_string();
        line.split(' ')
            .map(|kv| kv.split('=').next().unwrap().to_string())
            .collect()
    };
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    assert_eq!(field_names(&mut ours), field_names(&mut theirs));

    // Names, ids, db and the current command show up as in Redis.
    ours.cmd(&["CLIENT", "SETNAME", "worker-1"]);
    ours.cmd(&["SELECT", "3"]);
    let id = match ours.cmd(&["CLIENT", "ID"]) {
        Frame::Integer(i) => i,
        other => panic!("{other:?}"),
    };
    let mut other = ferrodis.client();
    other.cmd(&["PING"]);
    let list = text(&ours.cmd(&["CLIENT", "LIST"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.ends_with('\n'));
    let me = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .expect("own line");
    assert!(me.contains(" name=worker-1 "), "{me}");
    assert!(me.contains(" db=3 "), "{me}");
    assert!(me.contains(" cmd=client|list "), "{me}");
    let info = text(&ours.cmd(&["CLIENT", "INFO"]));
    assert!(
        info.starts_with(&format!("id={id} ")) && info.contains(" cmd=client|info "),
        "{info}"
    );
    let listed = text(&ours.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]));
    assert_eq!(listed.lines().count(), 1);
}

#[test]
fn client_kill_closes_the_other_connection() {
    let ferrodis = Ferrodis::start(&[]);
    let mut victim = ferrodis.client();
    let victim_id = match victim.cmd(&["CLIENT", "ID"]) {
        Frame::Integer(i) => i.to_string(),
        other => panic!("{other:?}"),
    };
    let mut admin = ferrodis.client();
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "ID", &victim_id]),
        Frame::Integer(1)
    );
    assert_eq!(victim.read_frame(), None, "killed connection is closed");
    // Old form, and killing oneself: the reply still arrives, then the close.
    let mut me = ferrodis.client();
    let addr = me.stream.local_addr().unwrap().to_string();
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "ADDR", &addr, "SKIPME", "no"]),
        Frame::Integer(1)
    );
    assert_eq!(me.read_frame(), None);
    let mut me = ferrodis.client();
    assert_eq!(
        me.cmd(&["PING"]),
        Frame::simple("PONG"),
        "registered before the kill"
    );
    let addr = me.stream.local_addr().unwrap().to_string();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", &addr]), Frame::ok());
    assert_eq!(me.read_frame(), None);
    assert_eq!(admin.cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn quit_replies_then_closes() {
    let ferrodis = Ferrodis::start(&[]);
    let mut c = ferrodis.client();
    c.send(b"QUIT\r\nPING\r\n");
    let out = c.outcome(Duration::from_secs(2));
    assert_eq!(out.frames, [Frame::ok()]);
    assert!(out.closed);
}

#[test]
fn info_has_redis_sections_and_fields() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    ours.cmd(&["SET", "a", "1"]);
    ours.cmd(&["SET", "b", "2", "EX", "100"]);
    ours.cmd(&["GET", "a"]);
    ours.cmd(&["GET", "nope"]);
    let info = text(&ours.cmd(&["INFO"]));
    assert!(!info.contains('\n') || info.contains("\r\n"));
    assert!(
        info.lines().all(|l| !l.ends_with('\r')),
        "lines split on CRLF"
    );
    assert!(
        info.split("\r\n").all(|l| !l.contains('\n')),
        "CRLF line endings only"
    );
    let sections: Vec<&str> = info.lines().filter(|l| l.starts_with("# ")).collect();
    let theirs = text(&redis.client().cmd(&["INFO"]));
    let their_sections: Vec<&str> = theirs
        .lines()
        .filter(|l| l.starts_with("# "))
        .filter(|l| *l != "# Keyspace" || sections.contains(l))
        .collect();
    assert_eq!(sections, their_sections);
    let field = |name: &str| -> String {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("INFO has no {name}"))
            .to_string()
    };
    assert_eq!(field("redis_version"), "7.0.15");
    assert_eq!(field("ferrodis_version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field("tcp_port"), ferrodis.addr.port().to_string());
    assert_eq!(field("connected_clients"), "1");
    assert_eq!(field("keyspace_hits"), "1");
    assert_eq!(field("keyspace_misses"), "1");
    assert_eq!(field("db0"), "keys=2,expires=1,avg_ttl=0");
    assert_eq!(field("role"), "master");
    assert!(field("used_memory").parse::<u64>().unwrap() > 0);
    assert!(field("total_commands_processed").parse::<u64>().unwrap() >= 4);
    // Every field INFO shows is one Redis 7.0 shows too (except ferrodis_version).
    for line in info.lines().filter(|l| l.contains(':')) {
        let name = line.split(':').next().unwrap();
        if name == "ferrodis_version" || name.starts_with("db") || name.starts_with("errorstat_") {
            continue;
        }
        assert!(
            theirs.contains(&format!("\r\n{name}:")),
            "Redis has no INFO field {name}"
        );
    }
    // Single sections, several sections, and unknown ones.
    let clients = text(&ours.cmd(&["INFO", "clients"]));
    assert!(clients.starts_with("# Clients\r\n") && !clients.contains("# Server"));
    let two = text(&ours.cmd(&["INFO", "server", "CPU"]));
    assert!(two.contains("# Server") && two.contains("# CPU") && !two.contains("# Memory"));
    assert_eq!(text(&ours.cmd(&["INFO", "nosuchsection"])), "");
    // Error replies are counted by code.
    ours.cmd(&["NOSUCH"]);
    let stats = text(&ours.cmd(&["INFO", "errorstats"]));
    assert!(stats.contains("errorstat_ERR:count=1"), "{stats}");
}

#[test]
fn maxclients_rejects_with_redis_error() {
    let ferrodis = Ferrodis::start(&["--maxclients", "2"]);
    let mut a = ferrodis.client();
    let mut b = ferrodis.client();
    assert_eq!(a.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(b.cmd(&["PING"]), Frame::simple("PONG"));
    let mut c = ferrodis.client();
    let out = c.outcome(Duration::from_secs(2));
    assert_eq!(
        out.frames,
        [Frame::error("ERR max number of clients reached")]
    );
    assert!(out.closed);
    drop(b);
    // Once a slot is free, a new client gets in.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut d = ferrodis.client();
        d.send(b"PING\r\n");
        let out = d.outcome(Duration::from_millis(500));
        if out.frames == [Frame::simple("PONG")] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "slot never freed: {out:?}"
        );
    }
    let info = text(&a.cmd(&["INFO", "stats"]));
    assert!(!info.contains("rejected_connections:0\r\n"), "{info}");
}

#[test]
fn idle_clients_time_out() {
    let ferrodis = Ferrodis::start(&["--timeout", "1"]);
    let mut c = ferrodis.client();
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    let out = c.outcome(Duration::from_secs(4));
    assert!(out.closed, "idle client closed after `timeout` seconds");
}

#[test]
fn debug_sleep_blocks_other_clients_like_redis() {
    let ferrodis = Ferrodis::start(&["--enable-debug-command", "yes"]);
    let mut sleeper = ferrodis.client();
    sleeper.send(b"DEBUG SLEEP 0.5\r\n");
    std::thread::sleep(Duration::from_millis(100));
    let start = std::time::Instant::now();
    let mut other = ferrodis.client();
    assert_eq!(other.cmd(&["GET", "x"]), Frame::Null);
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "GET waited for the sleep"
    );
    assert_eq!(sleeper.read_frame(), Some(Frame::ok()));
}

#[test]
fn shutdown_stops_the_server() {
    let ferrodis = Ferrodis::start(&[]);
    let mut c = ferrodis.client();
    c.send(b"SHUTDOWN NOSAVE\r\n");
    let out = c.outcome(Duration::from_secs(5));
    assert!(out.frames.is_empty() && out.closed, "{out:?}");
    // Polling the port would race with other tests' servers reusing it: wait for
    // `run` itself to return.
    assert!(
        ferrodis.stopped_within(Duration::from_secs(10)),
        "run did not return after SHUTDOWN"
    );
}

#[test]
fn config_set_port_rebinds_like_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    // A port somebody else holds: the same error, and nothing changes.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    let set_busy = ["CONFIG", "SET", "port", &busy_port];
    assert_eq!(ours.cmd(&set_busy), theirs.cmd(&set_busy));
    let get_port = |c: &mut Client| match c.cmd(&["CONFIG", "GET", "port"]) {
        Frame::Array(v) => text(&v[1]),
        other => panic!("{other:?}"),
    };
    assert_eq!(get_port(&mut ours), ferrodis.addr.port().to_string());
    let bad_bind = ["CONFIG", "SET", "bind", "192.0.2.1"];
    assert_eq!(ours.cmd(&bad_bind), theirs.cmd(&bad_bind));
    // All or nothing: a good value set together with a failing one is not kept.
    let mixed = ["CONFIG", "SET", "maxclients", "123", "port", &busy_port];
    assert!(ours.cmd(&mixed).is_error());
    assert_eq!(
        ours.cmd(&["CONFIG", "GET", "maxclients"]),
        theirs.cmd(&["CONFIG", "GET", "maxclients"])
    );

    // A free port: new clients connect there, the old port closes, this client stays.
    let new_port = common::free_port();
    assert_eq!(
        ours.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]),
        Frame::ok()
    );
    let new_addr: std::net::SocketAddr = format!("127.0.0.1:{new_port}").parse().unwrap();
    common::wait_for_port(new_addr);
    assert_eq!(
        Client::connect(new_addr).cmd(&["PING"]),
        Frame::simple("PONG")
    );
    assert_eq!(ours.cmd(&["PING"]), Frame::simple("PONG"));
    // The old port stops serving this server. (Another test's server may be given
    // the freed port, so a successful connect must be someone else: check run_id.)
    let run_id = |c: &mut Client| -> String {
        let info = text(&c.cmd(&["INFO", "server"]));
        info.lines()
            .find_map(|l| l.strip_prefix("run_id:"))
            .unwrap_or("")
            .to_string()
    };
    let ours_id = run_id(&mut ours);
    // One raw request; any I/O error (refused, or reset by the closing listener)
    // means the port is not serving this server.
    let served_by_us = |addr: std::net::SocketAddr| -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        if s.write_all(b"INFO server\r\n").is_err() {
            return false;
        }
        let mut buf = vec![0u8; 16384];
        let mut got = Vec::new();
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&got).contains("run_id:") && got.ends_with(b"\r\n\r\n") {
                break;
            }
            if got.len() > 8192 {
                break;
            }
        }
        String::from_utf8_lossy(&got).contains(&format!("run_id:{ours_id}"))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while served_by_us(ferrodis.addr) {
        assert!(
            std::time::Instant::now() < deadline,
            "old port still accepting"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let info = text(&ours.cmd(&["INFO", "server"]));
    assert!(info.contains(&format!("tcp_port:{new_port}\r\n")), "{info}");
}

/// A COMMAND DOCS `arguments` list rendered as a usage line, the way redis-cli builds
/// its hints from it (group names, which hints never show, are left out).
fn usage(args: &[Frame]) -> String {
    let field = |arg: &[Frame], name: &str| -> Option<Frame> {
        arg.chunks(2)
            .find(|p| text(&p[0]) == name)
            .map(|p| p[1].clone())
    };
    let mut parts = Vec::new();
    for arg in args {
        let Frame::Array(arg) = arg else {
            panic!("{arg:?}")
        };
        let kind = text(&field(arg, "type").unwrap());
        let token = field(arg, "token").map(|t| text(&t));
        let flags: Vec<String> = match field(arg, "flags") {
            Some(Frame::Array(f)) => f.iter().map(text).collect(),
            _ => vec![],
        };
        let sub = match field(arg, "arguments") {
            Some(Frame::Array(a)) => a,
            _ => vec![],
        };
        let mut s = match kind.as_str() {
            "pure-token" => token.clone().unwrap(),
            "oneof" => sub
                .iter()
                .map(|a| usage(std::slice::from_ref(a)))
                .collect::<Vec<_>>()
                .join(" | "),
            "block" => usage(&sub),
            _ => text(&field(arg, "name").unwrap()),
        };
        if kind != "pure-token" {
            if let Some(t) = token {
                s = format!("{t} {s}");
            }
        }
        if kind == "oneof" && !flags.iter().any(|f| f == "optional") {
            s = format!("({s})");
        }
        if flags.iter().any(|f| f == "multiple") {
            s.push_str(" ...");
        }
        if flags.iter().any(|f| f == "optional") {
            s = format!("[{s}]");
        }
        parts.push(s);
    }
    parts.join(" ")
}

/// redis-cli's hints come from COMMAND DOCS `arguments`: they must read the same.
#[test]
fn command_docs_arguments_match_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    let Frame::Array(names) = ours.cmd(&["COMMAND", "LIST"]) else {
        panic!()
    };
    let docs = |c: &mut Client, name: &str| -> String {
        let (top, sub) = name
            .split_once('|')
            .map_or((name, None), |(t, s)| (t, Some(s)));
        let Frame::Array(reply) = c.cmd(&["COMMAND", "DOCS", top]) else {
            panic!()
        };
        let Frame::Array(mut fields) = reply[1].clone() else {
            panic!()
        };
        if let Some(sub) = sub {
            let subs = fields
                .chunks(2)
                .find(|p| text(&p[0]) == "subcommands")
                .unwrap()[1]
                .clone();
            let Frame::Array(subs) = subs else { panic!() };
            let full = format!("{top}|{sub}");
            let Frame::Array(f) = subs.chunks(2).find(|p| text(&p[0]) == full).unwrap()[1].clone()
            else {
                panic!()
            };
            fields = f;
        }
        match fields.chunks(2).find(|p| text(&p[0]) == "arguments") {
            Some([_, Frame::Array(args)]) => usage(args),
            _ => String::new(),
        }
    };
    let mut differ = Vec::new();
    for name in names.iter().map(text) {
        let (a, b) = (docs(&mut ours, &name), docs(&mut theirs, &name));
        if a != b {
            differ.push(format!("{name}:\n  ferrodis: {a}\n  redis:    {b}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn output_buffer_hard_limit_closes_like_redis() {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let big = "x".repeat(2 << 20);
    for addr in [ferrodis.addr, redis.addr] {
        let mut admin = Client::connect(addr);
        let limit = [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0",
        ];
        assert_eq!(admin.cmd(&limit), Frame::ok());
        assert_eq!(admin.cmd(&["SET", "big", &big]), Frame::ok());
        assert_eq!(admin.cmd(&["SET", "small", "v"]), Frame::ok());
        // A reply under the limit is fine; one over it closes the connection unsent.
        let mut c = Client::connect(addr);
        assert_eq!(c.cmd(&["GET", "small"]), Frame::bulk("v"));
        c.send(b"GET big\r\n");
        let out = c.outcome(Duration::from_secs(3));
        assert!(
            out.frames.is_empty() && out.closed,
            "{addr}: {:?}",
            out.closed
        );
        assert_eq!(admin.cmd(&["STRLEN", "big"]), Frame::Integer(2 << 20));
    }
}

#[test]
fn config_resetstat_clears_counters() {
    let ferrodis = Ferrodis::start(&[]);
    let mut c = ferrodis.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["GET", "a"]);
    c.cmd(&["GET", "b"]);
    c.cmd(&["NOSUCH"]);
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), Frame::ok());
    let info = text(&c.cmd(&["INFO"]));
    for field in [
        "keyspace_hits:0",
        "keyspace_misses:0",
        "total_error_replies:0",
        "total_commands_processed:1",
    ] {
        assert!(
            info.contains(&format!("\r\n{field}\r\n")),
            "{field} in {info}"
        );
    }
    assert!(!info.contains("errorstat_"), "{info}");
}
