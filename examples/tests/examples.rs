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
