//! Reads an RDB file from code: counts keys per type and encoding, and prints
//! the decoding throughput.
//!
//! `cargo run --release -p ferrodis-rdb --example read_rdb -- dump.rdb`

use std::collections::BTreeMap;
use std::time::Instant;

use ferrodis_rdb::{Decoder, Item};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: read_rdb FILE")?;
    let file = std::fs::File::open(&path)?;
    let start = Instant::now();
    let mut decoder = Decoder::new(file);
    let header = decoder.header()?;
    let mut per_encoding: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
    let mut keys = 0u64;
    while let Some(item) = decoder.next_item()? {
        match item {
            Item::Key(key) => {
                keys += 1;
                *per_encoding
                    .entry((key.value.type_name(), key.encoding.name()))
                    .or_default() += 1;
            }
            Item::Eof { checksum } => println!("checksum: {checksum:?}"),
            _ => {}
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let bytes = decoder.offset() as f64;
    println!("{path}: {}{:04}, {keys} keys", header.magic, header.version);
    for ((kind, encoding), n) in per_encoding {
        println!("  {kind:7} {encoding:12} {n}");
    }
    println!(
        "{:.1} MB in {:.3} s: {:.0} MB/s",
        bytes / 1e6,
        elapsed,
        bytes / 1e6 / elapsed
    );
    Ok(())
}
