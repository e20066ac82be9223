//! Runs every example binary and checks what it prints, so the examples stay true.

use std::process::Command;

fn run(exe: &str) -> String {
    let out = Command::new(exe).output().expect("example runs");
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
