//! The `ferrodis-server` binary as users start it: command line, redis.conf, logs,
//! signals.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, wait_for_port, Client, TempDir};
use ferrodis_resp::Frame;

const BIN: &str = env!("CARGO_BIN_EXE_ferrodis-server");

/// Start the binary, returning it once its log says it is ready. Without save
/// rules (appended last), so that stopping it writes no dump.rdb here.
fn start(args: &[&str]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--save", ""])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferrodis-server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Wait for a log line containing `needle`; returns all lines seen so far.
fn wait_log(rx: &std::sync::mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let found = line.contains(needle);
            seen.push(line);
            if found {
                return seen;
            }
        }
    }
    panic!("log never said {needle:?}; got {seen:#?}");
}

fn sigterm(child: &Child) {
    signal(child, "-TERM");
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn starts_logs_like_redis_and_stops_on_sigterm() {
    let port = free_port();
    let (mut child, rx) = start(&["--port", &port.to_string(), "--bind", "127.0.0.1"]);
    let lines = wait_log(&rx, "Ready to accept connections");
    // Redis's log format: pid:role dd Mon yyyy hh:mm:ss.mmm mark message
    let ready = lines.last().unwrap();
    let pid = child.id().to_string();
    assert!(ready.starts_with(&format!("{pid}:M ")), "{ready}");
    let mark = ready.split(' ').nth(5).unwrap();
    assert_eq!(mark, "*", "{ready}");
    assert!(lines
        .iter()
        .any(|l| l.contains("no config file specified, using the default config")));
    let mut c = Client::connect(format!("127.0.0.1:{port}").parse().unwrap());
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));

    sigterm(&child);
    wait_log(&rx, "Received SIGTERM scheduling shutdown...");
    wait_log(&rx, "ready to exit, bye bye...");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(c.read_frame(), None, "clients are disconnected on shutdown");
}

#[test]
fn config_file_with_include_quotes_and_overrides() {
    let dir = TempDir::new("conf");
    let port = free_port();
    let included = dir.path.join("included.conf");
    std::fs::write(&included, "maxclients 77\nrequirepass \"pa ss\\x21\"\n").unwrap();
    let main = dir.path.join("redis.conf");
    std::fs::write(
        &main,
        format!(
            "# a comment\n\nport {port}\nbind 127.0.0.1\ninclude {}\ndatabases 4\ndir {}\n",
            included.display(),
            dir.path.display()
        ),
    )
    .unwrap();
    // Command-line options come after the file and win.
    let (mut child, rx) = start(&[main.to_str().unwrap(), "--databases", "8"]);
    wait_log(&rx, "Ready to accept connections");
    let mut c = Client::connect(format!("127.0.0.1:{port}").parse().unwrap());
    assert_eq!(
        c.cmd(&["PING"]),
        Frame::error("NOAUTH Authentication required.")
    );
    assert_eq!(c.cmd(&["AUTH", "pa ss!"]), Frame::ok());
    let get = |c: &mut Client, name: &str| match c.cmd(&["CONFIG", "GET", name]) {
        Frame::Array(v) => common::text(&v[1]),
        other => panic!("{other:?}"),
    };
    assert_eq!(get(&mut c, "maxclients"), "77");
    assert_eq!(get(&mut c, "databases"), "8");
    assert_eq!(
        get(&mut c, "dir"),
        dir.path.canonicalize().unwrap().display().to_string()
    );
    assert_eq!(c.cmd(&["SELECT", "7"]), Frame::ok());
    assert_eq!(
        c.cmd(&["SELECT", "8"]),
        Frame::error("ERR DB index is out of range")
    );
    // CONFIG REWRITE keeps the file loadable and records runtime changes.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxclients", "55"]), Frame::ok());
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let text = std::fs::read_to_string(&main).unwrap();
    assert!(
        text.contains("# a comment") && text.contains("maxclients 55"),
        "{text}"
    );
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}

#[test]
fn bad_config_is_rejected_with_file_and_line() {
    let dir = TempDir::new("badconf");
    let conf = dir.path.join("bad.conf");
    std::fs::write(&conf, "port 7000\nnot-a-directive yes\n").unwrap();
    let out = Command::new(BIN).arg(&conf).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("*** FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains(&format!("{}:2", conf.display())), "{err}");
    assert!(err.contains(">>> 'not-a-directive yes'"), "{err}");
    assert!(
        err.contains("Bad directive or wrong number of arguments"),
        "{err}"
    );

    let out = Command::new(BIN)
        .args(["--port", "notaport"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FATAL CONFIG FILE ERROR"));
}

#[test]
fn a_port_in_use_is_a_clear_startup_error() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["--port", &port, "--bind", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains(&format!("Failed listening on port {port} (tcp), aborting")),
        "{log}"
    );
    wait_for_port(busy.local_addr().unwrap());
}

#[test]
fn default_bind_is_loopback_v4_and_v6() {
    let port = free_port();
    let (mut child, rx) = start(&["--port", &port.to_string()]);
    wait_log(&rx, "Ready to accept connections");
    let mut v4 = Client::connect(format!("127.0.0.1:{port}").parse().unwrap());
    assert_eq!(v4.cmd(&["PING"]), Frame::simple("PONG"));
    // ::1 is optional ("-::1"): served when this machine has IPv6 loopback.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let mut v6 = Client::connect(format!("[::1]:{port}").parse().unwrap());
        assert_eq!(v6.cmd(&["PING"]), Frame::simple("PONG"));
    }
    sigterm(&child);
    assert!(child.wait().unwrap().success());
}

#[test]
fn pidfile_and_runtime_loglevel() {
    let dir = TempDir::new("pid");
    let port = free_port();
    let pidfile = dir.path.join("ferrodis.pid");
    let (mut child, rx) = start(&[
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir.path.to_str().unwrap(),
        "--pidfile",
        "ferrodis.pid",
        "--loglevel",
        "verbose",
    ]);
    wait_log(&rx, "Ready to accept connections");
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{}\n", child.id())
    );
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    // Verbose logs each accepted client.
    let mut c = Client::connect(addr);
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    wait_log(&rx, "Accepted 127.0.0.1:");
    // After CONFIG SET loglevel warning, it no longer does.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "loglevel", "warning"]),
        Frame::ok()
    );
    let mut d = Client::connect(addr);
    assert_eq!(d.cmd(&["PING"]), Frame::simple("PONG"));
    // Ctrl-C (SIGINT) stops the server as gracefully as SIGTERM.
    signal(&child, "-INT");
    let lines = wait_log(&rx, "Received SIGINT scheduling shutdown...");
    assert!(!lines.iter().any(|l| l.contains("Accepted")), "{lines:#?}");
    assert!(child.wait().unwrap().success());
    assert!(!pidfile.exists(), "pid file removed at exit");
}
