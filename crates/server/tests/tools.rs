//! The user's usual tools against ferrodis: redis-cli and redis-benchmark from
//! Debian's redis-tools 7.0.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{redis_tool, Ferrodis};

fn cli(ferrodis: &Ferrodis, args: &[&str]) -> String {
    let out = Command::new(redis_tool("redis-cli"))
        .args(["-h", "127.0.0.1", "-p", &ferrodis.addr.port().to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    assert!(
        out.status.success(),
        "redis-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn redis_cli_works() {
    let ferrodis = Ferrodis::start(&[]);
    assert_eq!(cli(&ferrodis, &["PING"]), "PONG\n");
    assert_eq!(cli(&ferrodis, &["SET", "greeting", "hello world"]), "OK\n");
    assert_eq!(cli(&ferrodis, &["GET", "greeting"]), "hello world\n");
    assert_eq!(cli(&ferrodis, &["GET", "missing"]), "\n");
    assert_eq!(
        cli(&ferrodis, &["CONFIG", "GET", "maxclients"]),
        "maxclients\n10000\n"
    );
    let info = cli(&ferrodis, &["INFO", "server"]);
    assert!(info.contains("redis_version:7.0.15"), "{info}");
    let list = cli(&ferrodis, &["CLIENT", "LIST"]);
    assert!(
        list.starts_with("id=") && list.contains(" cmd=client|list "),
        "{list}"
    );
    // The interactive mode's first steps (COMMAND DOCS for hints, then commands).
    let out = Command::new(redis_tool("redis-cli"))
        .args(["-p", &ferrodis.addr.port().to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"PING\nINCR counter\nINCR counter\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "PONG\n1\n2\n");
}

#[test]
fn redis_benchmark_completes_without_errors() {
    let ferrodis = Ferrodis::start(&[]);
    let out = Command::new(redis_tool("redis-benchmark"))
        .args(["-h", "127.0.0.1", "-p", &ferrodis.addr.port().to_string()])
        .args([
            "-q",
            "-t",
            "set,get,incr,lpush,rpush,lpop,rpop",
            "-n",
            "100000",
            "-c",
            "50",
        ])
        .output()
        .expect("redis-benchmark runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stdout.to_lowercase().contains("error") && !stderr.to_lowercase().contains("error"),
        "{stdout}\n{stderr}"
    );
    for test in ["SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP"] {
        assert!(
            // -q rewrites a progress line with '\r' before printing the result.
            stdout
                .split(['\r', '\n'])
                .any(|l| l.trim_start().starts_with(&format!("{test}: "))
                    && l.contains("requests per second")),
            "no result for {test}: {stdout}"
        );
    }
    // The data really went in: INCR ran 100000 times on key:__rand_int__ (one key by default).
    assert_eq!(cli(&ferrodis, &["GET", "counter:__rand_int__"]), "100000\n");
}
