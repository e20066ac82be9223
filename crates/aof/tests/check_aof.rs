//! `ferrodis-check-aof` against redis-check-aof 7.0: the same analysis lines for a
//! valid and a truncated directory, the first bad offset, and `--fix` truncating
//! only after a "y".
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ferrodis_aof::{write_command, AofDir};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ferrodis-check-aof-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// An AOF directory with a RESP base and one incr file.
fn make(path: &Path, incr_tail: &[u8]) -> PathBuf {
    AofDir::create(path, "appendonly.aof", false, |f| {
        let mut base = Vec::new();
        write_command(&mut base, &["SELECT", "0"]);
        write_command(&mut base, &["SET", "a", "1"]);
        f.write_all(&base)
    })
    .unwrap();
    let mut incr = Vec::new();
    write_command(&mut incr, &["SELECT", "0"]);
    write_command(&mut incr, &["MULTI"]);
    write_command(&mut incr, &["INCR", "n"]);
    write_command(&mut incr, &["EXEC"]);
    incr.extend_from_slice(incr_tail);
    std::fs::write(path.join("appendonly.aof.1.incr.aof"), incr).unwrap();
    path.join("appendonly.aof.manifest")
}

fn run(program: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The tool may exit before reading its stdin.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn ours(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let out = run(env!("CARGO_BIN_EXE_ferrodis-check-aof"), args, stdin);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn analyzed(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("AOF analyzed"))
        .collect()
}

#[test]
fn matches_redis_check_aof_and_fixes_after_confirmation() {
    let dir = scratch("fix");
    let manifest = make(&dir, b"*3\r\n$3\r\nSET\r\n$1\r\nb");
    let m = manifest.to_str().unwrap();
    let (code, text) = ours(&[m], "");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "AOF appendonly.aof.1.incr.aof is not valid. Use the --fix option to try fixing it."
        ),
        "{text}"
    );
    // The truncated record starts right after the EXEC, at offset 73 = 0x49.
    assert!(text.contains("0x              49: "), "{text}");
    let real = which("redis-check-aof");
    let theirs = run(&real, &[m], "");
    assert_eq!(
        analyzed(&text),
        analyzed(&String::from_utf8_lossy(&theirs.stdout))
    );

    let incr = dir.join("appendonly.aof.1.incr.aof");
    let (code, text) = ours(&["--fix", m], "n\n");
    assert_eq!(code, Some(1));
    assert!(text.contains("Continue? [y/N]: Aborting..."), "{text}");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), 91);
    let (code, text) = ours(&["--fix", m], "y\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("This will shrink the AOF appendonly.aof.1.incr.aof from 91 bytes, with 18 bytes, to 73 bytes"), "{text}");
    assert!(
        text.contains("Successfully truncated AOF appendonly.aof.1.incr.aof"),
        "{text}"
    );
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), 73);

    let (code, text) = ours(&[dir.to_str().unwrap()], "");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.ends_with("All AOF files and manifest are valid\n"),
        "{text}"
    );
    let theirs = run(&real, &[m], "");
    assert_eq!(
        analyzed(&text),
        analyzed(&String::from_utf8_lossy(&theirs.stdout))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_the_last_file_may_be_fixed() {
    let dir = scratch("notlast");
    let manifest = make(&dir, b"");
    let base = dir.join("appendonly.aof.1.base.aof");
    let mut bytes = std::fs::read(&base).unwrap();
    bytes.truncate(bytes.len() - 4);
    std::fs::write(&base, bytes).unwrap();
    let (code, text) = ours(&["--fix", manifest.to_str().unwrap()], "y\n");
    assert_eq!(code, Some(1));
    assert!(
        text.contains(
            "Failed to truncate AOF appendonly.aof.1.base.aof because it is not the last file"
        ),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn which(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin"] {
        let p = format!("{dir}/{name}");
        if Path::new(&p).exists() {
            return p;
        }
    }
    panic!("{name} not found: install it with `apt-get install -y redis-tools`");
}
