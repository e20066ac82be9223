//! Support for the AOF tests: the ferrodis-server binary and redis-server as child
//! processes on a data directory (to kill -9 them and restart on the same files),
//! and a dump of every key to compare datasets.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ferrodis_resp::Frame;

use crate::common::{free_port, redis_tool, Client};

/// A server process serving `dir`.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

/// Which server to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ferrodis,
    Redis,
}

impl Proc {
    /// Starts the server on `dir` with `args`, waiting until it accepts
    /// connections; panics with its log if it exits first.
    pub fn start(kind: Kind, dir: &Path, args: &[&str]) -> Proc {
        Proc::start_after(kind, dir, args, None)
    }

    /// [`Proc::start`] through a shell prelude (see [`Proc::spawn_after`]). The
    /// port comes from `free_port()`, which another test may take first: a server
    /// that cannot bind, or a port answered by another process, means another try
    /// on another port.
    pub fn start_after(kind: Kind, dir: &Path, args: &[&str], prelude: Option<&str>) -> Proc {
        for _ in 0..10 {
            let mut p = Proc::spawn_after(kind, dir, args, prelude);
            if p.wait_serving(kind) {
                return p;
            }
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
        panic!("{kind:?} never started on a port of its own");
    }

    /// Waits until this server answers PING on its port: false if the port was
    /// not its own; panics with its log if it exits for another reason.
    fn wait_serving(&mut self, kind: Kind) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr: std::net::SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = self.log_text();
                if log.contains("Address already in use") {
                    return false;
                }
                panic!("{kind:?} exited with {status} at start:\n{log}");
            }
            if std::net::TcpStream::connect(addr).is_ok() {
                if !crate::common::serves_as(addr, &mut self.child) {
                    return false;
                }
                // redis-server accepts connections while it loads (-LOADING).
                while self.client().cmd(&["PING"]) != Frame::simple("PONG") {
                    assert!(Instant::now() < deadline, "{kind:?} did not load");
                    std::thread::sleep(Duration::from_millis(5));
                }
                return true;
            }
            assert!(Instant::now() < deadline, "{kind:?} did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Starts the server without waiting.
    pub fn spawn(kind: Kind, dir: &Path, args: &[&str]) -> Proc {
        Proc::spawn_after(kind, dir, args, None)
    }

    /// Starts the server without waiting, through `sh -c '<prelude>; exec server'`
    /// when a prelude is given (e.g. `trap '' XFSZ`, inherited across exec; the
    /// child's pid is then the server's).
    pub fn spawn_after(kind: Kind, dir: &Path, args: &[&str], prelude: Option<&str>) -> Proc {
        let port = free_port();
        let log = dir.join(format!("server-{port}.log"));
        let program = match kind {
            Kind::Ferrodis => env!("CARGO_BIN_EXE_ferrodis-server").to_string(),
            Kind::Redis => redis_tool("redis-server"),
        };
        let mut command = match prelude {
            None => Command::new(program),
            Some(prelude) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("{prelude}; exec \"$0\" \"$@\""), &program]);
                c
            }
        };
        let child = command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--dir", dir.to_str().unwrap(), "--save", ""])
            .args(["--daemonize", "no", "--logfile", log.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Proc { child, port, log }
    }

    pub fn client(&self) -> Client {
        Client::connect(format!("127.0.0.1:{}", self.port).parse().unwrap())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SHUTDOWN (NOSAVE for redis-server: its AOF is fsynced either way), then
    /// waits for the exit.
    pub fn shutdown(mut self) -> ExitStatus {
        let mut c = self.client();
        c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
        let _ = c.read_frame();
        self.child.wait().unwrap()
    }

    /// Waits for the process to exit by itself (a start-up failure).
    pub fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.log_text());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("still running:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of a reply, or its integer.
pub fn word(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        Frame::Null => "(nil)".into(),
        Frame::Double(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

pub fn words(f: &Frame) -> Vec<String> {
    match f {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(word).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// Every key of the first `dbs` databases with its type, value and whether it
/// has a TTL: `(db, key) -> "type: value [ttl]"`, collections sorted where their
/// order does not matter.
pub fn dump(c: &mut Client, dbs: usize) -> BTreeMap<(usize, String), String> {
    let mut out = BTreeMap::new();
    for db in 0..dbs {
        c.cmd(&["SELECT", &db.to_string()]);
        let mut keys = words(&c.cmd(&["KEYS", "*"]));
        keys.sort();
        for key in keys {
            let kind = word(&c.cmd(&["TYPE", &key]));
            let value = match kind.as_str() {
                "string" => word(&c.cmd(&["GET", &key])),
                "list" => words(&c.cmd(&["LRANGE", &key, "0", "-1"])).join(","),
                "set" => {
                    let mut m = words(&c.cmd(&["SMEMBERS", &key]));
                    m.sort();
                    m.join(",")
                }
                "zset" => words(&c.cmd(&["ZRANGE", &key, "0", "-1", "WITHSCORES"])).join(","),
                "hash" => {
                    let flat = words(&c.cmd(&["HGETALL", &key]));
                    let mut pairs: Vec<String> = flat
                        .chunks(2)
                        .map(|p| format!("{}={}", p[0], p[1]))
                        .collect();
                    pairs.sort();
                    pairs.join(",")
                }
                "none" => continue,
                other => panic!("unexpected type {other}"),
            };
            let ttl = word(&c.cmd(&["PTTL", &key])) != "-1";
            let ttl = if ttl { " [ttl]" } else { "" };
            out.insert((db, key), format!("{kind}: {value}{ttl}"));
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

/// Asserts two dumps are equal, naming the first difference.
pub fn assert_same(
    ours: &BTreeMap<(usize, String), String>,
    theirs: &BTreeMap<(usize, String), String>,
    what: &str,
) {
    for (k, v) in ours {
        assert_eq!(Some(v), theirs.get(k), "{what}: key {k:?}");
    }
    for k in theirs.keys() {
        assert!(ours.contains_key(k), "{what}: extra key {k:?}");
    }
}

/// A mix of every type over a few databases, with TTLs, big enough that
/// collections change encodings and the rewrite splits commands (64 per command).
pub fn write_mix(c: &mut Client, tag: &str) {
    for db in [0, 1, 5] {
        c.cmd(&["SELECT", &db.to_string()]);
        for i in 0..40 {
            c.cmd(&["SET", &format!("{tag}s{i}"), &format!("v{i}")]);
            c.cmd(&["SET", &format!("{tag}n{i}"), &(i * 1000).to_string()]);
        }
        for i in 0..150 {
            c.cmd(&["RPUSH", &format!("{tag}list"), &format!("e{i}")]);
            c.cmd(&["SADD", &format!("{tag}set"), &i.to_string()]);
            c.cmd(&["SADD", &format!("{tag}sset"), &format!("m{i}")]);
            c.cmd(&[
                "ZADD",
                &format!("{tag}z"),
                &format!("{}.5", i),
                &format!("z{i}"),
            ]);
            c.cmd(&[
                "HSET",
                &format!("{tag}h"),
                &format!("f{i}"),
                &format!("v{i}"),
            ]);
        }
        c.cmd(&["RPUSH", &format!("{tag}small"), "a", "b", "c"]);
        c.cmd(&["HSET", &format!("{tag}hs"), "a", "1"]);
        c.cmd(&["ZADD", &format!("{tag}zs"), "-1.25", "x", "inf", "y"]);
        c.cmd(&["SET", &format!("{tag}ttl"), "t", "EX", "1000"]);
        c.cmd(&["EXPIRE", &format!("{tag}h"), "2000"]);
        c.cmd(&["INCR", &format!("{tag}counter")]);
        c.cmd(&["INCRBYFLOAT", &format!("{tag}float"), "1.5"]);
        c.cmd(&["DEL", &format!("{tag}s0")]);
        c.cmd(&["LPOP", &format!("{tag}list")]);
    }
    c.cmd(&["SELECT", "0"]);
}

/// Polls INFO persistence until no rewrite runs and `aof_rewrites` reached `n`.
pub fn wait_rewrites(c: &mut Client, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = crate::common::text(&c.cmd(&["INFO", "persistence"]));
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let done = field("aof_rewrite_in_progress") == "0"
            && field("aof_rewrite_scheduled") == "0"
            && field("aof_rewrites").parse::<u64>().unwrap_or(0) >= n;
        if done {
            assert_eq!(field("aof_last_bgrewrite_status"), "ok");
            return;
        }
        assert!(Instant::now() < deadline, "rewrite did not finish: {info}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The names in `dir/appendonlydir`, sorted.
pub fn aof_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
