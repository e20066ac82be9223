//! Reads an RDB file from code: the header, the aux fields, every key with its
//! type, encoding and expiry, then a count per type and encoding and the
//! decoding throughput.
//!
//! `cargo run --release -p ferrodis-examples --bin read_rdb -- dump.rdb`

use std::collections::BTreeMap;
use std::time::Instant;

use ferrodis_rdb::{Decoder, Item, Value};

/// Keys listed one by one; beyond that only the counts are printed.
const LIST_KEYS: u64 = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: read_rdb FILE")?;
    let file = std::fs::File::open(&path)?;
    let start = Instant::now();
    // The decoder buffers on its own: a plain File is enough.
    let mut decoder = Decoder::new(file);
    let header = decoder.header()?;
    println!("{path}: {}{:04}", header.magic, header.version);
    let mut per_encoding: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
    let mut keys = 0u64;
    while let Some(item) = decoder.next_item()? {
        match item {
            Item::Aux { key, value } => println!(
                "aux {} = {}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            ),
            Item::Key(key) => {
                keys += 1;
                let kind = key.value.type_name();
                *per_encoding.entry((kind, key.encoding.name())).or_default() += 1;
                if keys <= LIST_KEYS {
                    let size = match &key.value {
                        Value::String(s) => s.len(),
                        Value::List(v) | Value::Set(v) => v.len(),
                        Value::SortedSet(v) => v.len(),
                        Value::Hash(v) => v.len(),
                        _ => 1,
                    };
                    let expire = key
                        .expire_ms
                        .map_or(String::new(), |ms| format!(" expires at {ms} ms"));
                    println!(
                        "db{} {} {kind} ({}, size {size}){expire}",
                        key.db,
                        String::from_utf8_lossy(&key.key),
                        key.encoding.name(),
                    );
                }
            }
            Item::Eof { checksum } => println!("checksum: {checksum:?}"),
            _ => {}
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let bytes = decoder.offset() as f64;
    println!("{keys} keys");
    for ((kind, encoding), n) in per_encoding {
        println!("  {kind:7} {encoding:12} {n}");
    }
    eprintln!(
        "{:.1} MB in {:.3} s: {:.0} MB/s",
        bytes / 1e6,
        elapsed,
        bytes / 1e6 / elapsed.max(1e-9)
    );
    Ok(())
}
