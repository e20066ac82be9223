//! Produces an RDB file from code that redis-server 7.0 loads: Redis's aux
//! fields, two databases, a key of each type, an expiry.
//!
//! `cargo run -p ferrodis-examples --bin write_rdb -- dump.rdb`
//! then `redis-server --dbfilename dump.rdb` (or `read_rdb dump.rdb`).

use std::fs::File;
use std::io::BufWriter;

use bytes::Bytes;
use ferrodis_rdb::{AuxFields, Encoder, KeyMeta, Options, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: write_rdb OUT")?;
    let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());

    // Version 10 (what Redis 7.0 writes), LZF on, CRC-64 on; the encoding
    // thresholds are Redis's defaults unless `options.limits` says otherwise.
    let options = Options::default();
    let mut rdb = Encoder::new(BufWriter::new(File::create(&path)?), options)?;
    rdb.aux_fields(&AuxFields::redis_7_0(0))?;

    rdb.select_db(0)?;
    rdb.resize_db(5, 1)?;
    let none = KeyMeta::default();
    let mut encodings = Vec::new();
    let keys: [(&str, Value, KeyMeta); 5] = [
        ("greeting", Value::String(b("hello")), none),
        ("visits", Value::String(b("42")), none),
        (
            "session",
            Value::String(b(&"token".repeat(10))),
            KeyMeta {
                expire_ms: Some(4_102_444_800_000), // 2100-01-01
                ..KeyMeta::default()
            },
        ),
        ("queue", Value::List(vec![b("a"), b("b"), b("c")]), none),
        (
            "board",
            Value::SortedSet(vec![(b("ada"), 3.5), (b("bob"), 9.0)]),
            none,
        ),
    ];
    for (key, value, meta) in &keys {
        let encoding = rdb.key(key.as_bytes(), value, *meta)?;
        encodings.push(format!("{key} -> {}", encoding.name()));
    }

    rdb.select_db(1)?;
    rdb.resize_db(2, 0)?;
    let user = Value::Hash(vec![(b("name"), b("Ada")), (b("lang"), b("rust"))]);
    encodings.push(format!("user -> {}", rdb.key(b"user", &user, none)?.name()));
    let tags = Value::Set(vec![b("1"), b("2"), b("3")]);
    encodings.push(format!("tags -> {}", rdb.key(b"tags", &tags, none)?.name()));

    let bytes = rdb.offset() + 9; // EOF and the checksum still to come
    rdb.finish()?;
    for line in encodings {
        println!("{line}");
    }
    println!("wrote 7 keys in 2 dbs, {bytes} bytes, to {path}");
    Ok(())
}
