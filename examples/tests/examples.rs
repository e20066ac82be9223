//! Runs every example binary and checks what it prints, so the examples stay true.

use std::process::Command;

fn run(exe: &str) -> String {
    run_with(exe, &[])
}

fn run_with(exe: &str, args: &[&str]) -> String {
    let out = Command::new(exe).args(args).output().expect("example runs");
    assert!(
        out.status.success(),
        "{exe} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn custom_server_serves_commands() {
    let out = run(env!("CARGO_BIN_EXE_custom_server"));
    assert!(
        out.contains("SET greeting hello -> Simple(b\"OK\")"),
        "{out}"
    );
    assert!(out.contains("GET greeting -> Bulk(b\"hello\")"), "{out}");
    assert!(
        out.contains("CONFIG GET databases -> Array([Bulk(b\"databases\"), Bulk(b\"4\")])"),
        "{out}"
    );
}

#[test]
fn embedded_keyspace_runs_commands() {
    let out = run(env!("CARGO_BIN_EXE_embed_keyspace"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "visits -> 42",
            "queue -> [\"a\", \"b\", \"c\"]",
            "board -> [(b\"ada\", 3.5), (b\"bob\", 9.0)]",
            "session expires -> true",
            "missing -> None",
            "wrong type -> WRONGTYPE Operation against a key holding the wrong kind of value",
            "generic -> Some(Bulk(b\"quicklist\"))",
        ]
    );
}

#[test]
fn rdb_files_written_from_code_read_back() {
    let path = std::env::temp_dir().join(format!("ferrodis-example-{}.rdb", std::process::id()));
    let path = path.to_str().expect("utf-8 temp path");
    let out = run_with(env!("CARGO_BIN_EXE_write_rdb"), &[path]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..7],
        [
            "greeting -> raw",
            "visits -> int",
            "session -> lzf",
            "queue -> quicklist2",
            "board -> listpack",
            "user -> listpack",
            "tags -> intset",
        ]
    );
    assert!(lines[7].starts_with("wrote 7 keys in 2 dbs, "), "{out}");

    let out = run_with(env!("CARGO_BIN_EXE_read_rdb"), &[path]);
    let _ = std::fs::remove_file(path);
    assert!(out.contains(": REDIS0010\n"), "{out}");
    assert!(out.contains("aux redis-ver = 7.0.15\n"), "{out}");
    assert!(
        out.contains("db0 session string (lzf, size 50) expires at 4102444800000 ms\n"),
        "{out}"
    );
    assert!(out.contains("db1 user hash (listpack, size 2)\n"), "{out}");
    assert!(out.contains("checksum: Verified("), "{out}");
    assert!(out.contains("7 keys\n"), "{out}");
    assert!(out.contains("  string  int          1\n"), "{out}");
}

/// The CDC tap against a real redis-server 7.0: the snapshot's keys, then the
/// changes as they are written.
#[test]
fn cdc_tap_prints_a_redis_masters_changes() {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;
    use std::process::Stdio;

    let server = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("redis-server not found: `apt-get install -y redis-server redis-tools`");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = std::env::temp_dir().join(format!("ferrodis-cdc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut redis = Command::new(server)
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args([
            "--repl-diskless-sync-delay",
            "0",
            "--dir",
            dir.to_str().expect("utf-8"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut conn = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("redis-server: {e}"),
        }
    };
    let mut replies = conn.try_clone().expect("clone");
    let mut send = |cmd: &str| {
        let words: Vec<&str> = cmd.split(' ').collect();
        let mut raw = format!("*{}\r\n", words.len());
        for w in words {
            raw.push_str(&format!("${}\r\n{w}\r\n", w.len()));
        }
        conn.write_all(raw.as_bytes()).expect("write");
    };
    send("SET before 1");
    // The key is in before the tap connects.
    let mut ok = [0u8; 5];
    std::io::Read::read_exact(&mut replies, &mut ok).expect("+OK");
    assert_eq!(&ok, b"+OK\r\n");
    let mut tap = Command::new(env!("CARGO_BIN_EXE_cdc_tap"))
        .args(["127.0.0.1", &port.to_string(), "--max-changes", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the tap");
    let mut lines = BufReader::new(tap.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    // Write once the tap has its snapshot.
    for line in lines.by_ref() {
        let line = line.expect("line");
        let synced = line.starts_with("synced ");
        seen.push(line);
        if synced {
            break;
        }
    }
    send("SELECT 2");
    send("RPUSH queue a b");
    send("INCR counter");
    send("DEL queue");
    seen.extend(lines.map(|l| l.expect("line")));
    let status = tap.wait().expect("tap exits");
    let _ = redis.kill();
    let _ = redis.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success());
    assert_eq!(seen[0], "snapshot 0 string before");
    assert!(seen[1].starts_with("synced "), "{seen:?}");
    assert_eq!(
        seen[2..],
        [
            "change 2 RPUSH queue a b",
            "change 2 INCR counter",
            "change 2 DEL queue"
        ]
    );
}
