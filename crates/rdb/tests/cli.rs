//! The `ferrodis-rdb` binary: dump, check, convert and stats on files the
//! encoder writes, on Redis's own fixtures, and on broken files.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use bytes::Bytes;
use ferrodis_rdb::{decode_file, Encoder, Item, KeyMeta, Options, Value};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrodis-rdb"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ferrodis-rdb-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A file with one key of each type in two databases.
fn sample(path: &str, options: Options) {
    let mut enc = Encoder::new(Vec::new(), options).unwrap();
    enc.aux(b"redis-ver", b"7.0.15").unwrap();
    enc.select_db(0).unwrap();
    let expire = KeyMeta {
        expire_ms: Some(4_102_444_800_000),
        ..KeyMeta::default()
    };
    enc.key(b"s", &Value::String(b("hello")), expire).unwrap();
    enc.key(
        b"bin\xff",
        &Value::String(Bytes::from_static(b"\x00\xfe")),
        KeyMeta::default(),
    )
    .unwrap();
    enc.key(b"l", &Value::List(vec![b("a"), b("b")]), KeyMeta::default())
        .unwrap();
    let big: Vec<Bytes> = (0..1000)
        .map(|i| Bytes::from(format!("member-{i}")))
        .collect();
    enc.key(b"big", &Value::Set(big), KeyMeta::default())
        .unwrap();
    enc.key(
        b"z",
        &Value::SortedSet(vec![(b("m"), 1.5), (b("n"), f64::INFINITY)]),
        KeyMeta::default(),
    )
    .unwrap();
    enc.select_db(2).unwrap();
    enc.key(
        b"h",
        &Value::Hash(vec![(b("f"), b("v"))]),
        KeyMeta::default(),
    )
    .unwrap();
    std::fs::write(path, enc.finish().unwrap()).unwrap();
}

#[test]
fn dump_prints_one_json_object_per_key() {
    let dir = Scratch::new("dump");
    let file = dir.path("dump.rdb");
    sample(&file, Options::default());
    let out = run(&["dump", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0],
        serde_json::json!({"db": 0, "key": "s", "expire": 4102444800000u64, "type": "string", "value": "hello"})
    );
    assert_eq!(
        lines[1],
        serde_json::json!({"db": 0, "key": {"hex": "62696eff"}, "expire": null, "type": "string", "value": {"hex": "00fe"}})
    );
    assert_eq!(lines[2]["value"], serde_json::json!(["a", "b"]));
    assert_eq!(lines[3]["value"].as_array().unwrap().len(), 1000);
    assert_eq!(
        lines[4]["value"],
        serde_json::json!([["m", 1.5], ["n", "inf"]])
    );
    assert_eq!(lines[5]["db"], 2);
    assert_eq!(lines[5]["type"], "hash");
}

#[test]
fn check_reports_ok_and_errors_with_offsets() {
    let dir = Scratch::new("check");
    let file = dir.path("ok.rdb");
    sample(&file, Options::default());
    let out = run(&["check", &file]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Checksum OK"), "{text}");
    assert!(text.contains("RDB looks OK!"), "{text}");
    assert!(text.contains("[info] 6 keys read"), "{text}");
    assert!(text.contains("[info] 1 expires"), "{text}");
    assert!(text.contains("[info] db2: 1 keys"), "{text}");

    // A flipped byte in the checksum.
    let mut bytes = std::fs::read(&file).unwrap();
    let len = bytes.len();
    bytes[len - 1] ^= 1;
    let bad = dir.path("bad-crc.rdb");
    std::fs::write(&bad, &bytes).unwrap();
    let out = run(&["check", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("--- RDB ERROR DETECTED ---"), "{text}");
    assert!(
        text.contains(&format!("[offset {}] rdb checksum mismatch", len - 8)),
        "{text}"
    );
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );

    // Truncated.
    let cut = dir.path("cut.rdb");
    std::fs::write(&cut, &bytes[..40]).unwrap();
    let out = run(&["check", &cut]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("unexpected end of file at offset 40"),
        "{}",
        stdout(&out)
    );

    // Checksum disabled.
    let nocrc = dir.path("nocrc.rdb");
    sample(
        &nocrc,
        Options {
            checksum: false,
            ..Options::default()
        },
    );
    let out = run(&["check", &nocrc]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("Checksum disabled"),
        "{}",
        stdout(&out)
    );

    // Redis's corrupt fixture.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rdb7-corrupt-ziplist-no-crc.rdb"
    );
    let out = run(&["check", fixture]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("[offset 489] corrupt rdb at offset 489"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn convert_writes_other_versions() {
    let dir = Scratch::new("convert");
    let file = dir.path("in.rdb");
    sample(&file, Options::default());
    let keys = |path: &str| -> Vec<(u64, Bytes, Option<i64>, Value)> {
        decode_file(path)
            .unwrap()
            .into_iter()
            .filter_map(|i| match i {
                Item::Key(k) => Some((k.db, k.key, k.expire_ms, k.value)),
                _ => None,
            })
            .collect()
    };
    let original = keys(&file);
    for version in ["9", "11", "12", "10"] {
        let out_file = dir.path(&format!("v{version}.rdb"));
        let out = run(&[
            "convert",
            &file,
            "--to-version",
            version,
            "-o",
            &out_file,
            "--no-compression",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains(&format!("6 keys, rdb version {version}")));
        let bytes = std::fs::read(&out_file).unwrap();
        assert_eq!(
            &bytes[..9],
            format!("REDIS{:04}", version.parse::<u32>().unwrap()).as_bytes()
        );
        let mut got = keys(&out_file);
        let mut want = original.clone();
        // Sets may come back in another order from another encoding.
        for v in got.iter_mut().chain(want.iter_mut()) {
            if let Value::Set(m) = &mut v.3 {
                m.sort();
            }
        }
        assert_eq!(got, want, "v{version}");
    }
    // A Redis 2.x file (zipmap hashes) converted to what Redis 7.0 writes.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rdb3-hash-zipmap.rdb"
    );
    let out_file = dir.path("zipmap.rdb");
    let out = run(&["convert", fixture, "--to-version", "10", "-o", &out_file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let items = decode_file(&out_file).unwrap();
    assert!(items
        .iter()
        .any(|i| matches!(i, Item::Key(k) if k.encoding.name() == "listpack")));

    // Errors: unknown version, missing output, missing file.
    let out = run(&[
        "convert",
        &file,
        "--to-version",
        "8",
        "-o",
        &dir.path("x.rdb"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unsupported rdb version 8"),
        "{}",
        stderr(&out)
    );
    assert!(!std::path::Path::new(&dir.path("x.rdb")).exists());
    let out = run(&["convert", &file, "--to-version", "10"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "convert",
        &dir.path("missing.rdb"),
        "-o",
        &dir.path("y.rdb"),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn stats_counts_types_encodings_and_biggest_keys() {
    let dir = Scratch::new("stats");
    let file = dir.path("s.rdb");
    sample(&file, Options::default());
    let out = run(&["stats", &file]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("REDIS0010"), "{text}");
    assert!(text.contains("6 keys, 1 with an expire"), "{text}");
    let row = |kind: &str| {
        text.lines()
            .find(|l| l.starts_with(kind))
            .unwrap()
            .to_owned()
    };
    assert!(row("set ").contains("hashtable=1"), "{text}");
    assert!(row("string ").contains("raw=2"), "{text}");
    assert!(row("zset ").contains("listpack=1"), "{text}");
    let biggest = text.split("biggest keys:").nth(1).unwrap();
    let first = biggest.lines().nth(2).unwrap();
    assert!(first.trim_end().ends_with("big"), "{first}");
    assert!(first.contains("1000"), "{first}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [&[][..], &["frobnicate"], &["dump"], &["dump", "a", "b"]] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("usage:"), "{args:?}");
    }
    let out = run(&["dump", "/nonexistent/file.rdb"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/file.rdb"),
        "{}",
        stderr(&out)
    );
}
