//! Encoding throughput on a generated dataset: the shape of
//! `../shared/bench/gen_dataset.py` (N strings of 100 bytes, M each of
//! hash/list/set/zset with 10 members, every tenth string with an expire)
//! plus a few large collections, encoded with compression on and off, then
//! decoded back.
//!
//! `cargo run --release -p ferrodis-rdb --example encode_throughput -- 1000000 100000 [OUT]`
//! (OUT keeps the compressed file, e.g. to time redis-server's SAVE of it).

use std::time::Instant;

use bytes::Bytes;
use ferrodis_rdb::{Decoder, Encoder, KeyMeta, Options, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let m: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let out_path = args.next();

    let mut keys: Vec<(Bytes, Value, KeyMeta)> = Vec::new();
    let val = "v".repeat(90);
    for i in 0..n {
        let meta = KeyMeta {
            expire_ms: (i % 10 == 0 && i < m * 10).then_some(4_102_444_800_000),
            ..KeyMeta::default()
        };
        keys.push((
            Bytes::from(format!("key:{i}")),
            Value::String(Bytes::from(format!("{val}{i:010}"))),
            meta,
        ));
    }
    let none = KeyMeta::default();
    for i in 0..m {
        let hash = (0..10)
            .map(|f| {
                (
                    Bytes::from(format!("f{f}")),
                    Bytes::from(format!("value-{i}-{f}")),
                )
            })
            .collect();
        keys.push((Bytes::from(format!("hash:{i}")), Value::Hash(hash), none));
        let list = (0..10)
            .map(|f| Bytes::from(format!("item-{i}-{f}")))
            .collect();
        keys.push((Bytes::from(format!("list:{i}")), Value::List(list), none));
        let set = (0..10)
            .map(|f| Bytes::from(format!("member-{}", f * 7919 + i)))
            .collect();
        keys.push((Bytes::from(format!("set:{i}")), Value::Set(set), none));
        let zset = (0..10)
            .map(|f| (Bytes::from(format!("m-{i}-{f}")), f64::from(f * 3) + 0.5))
            .collect();
        keys.push((
            Bytes::from(format!("zset:{i}")),
            Value::SortedSet(zset),
            none,
        ));
    }
    // Large collections: hashtable/skiplist encodings and multi-node quicklists.
    for i in 0..20 {
        let big: Vec<Bytes> = (0..50_000)
            .map(|j| Bytes::from(format!("e{i}-{j}")))
            .collect();
        keys.push((
            Bytes::from(format!("biglist:{i}")),
            Value::List(big.clone()),
            none,
        ));
        keys.push((
            Bytes::from(format!("bigset:{i}")),
            Value::Set(big.clone()),
            none,
        ));
        let z = big
            .iter()
            .enumerate()
            .map(|(j, m)| (m.clone(), j as f64 / 3.0))
            .collect();
        keys.push((
            Bytes::from(format!("bigzset:{i}")),
            Value::SortedSet(z),
            none,
        ));
    }
    println!(
        "{} keys ({n} strings, {m} x 4 small aggregates, 60 large)",
        keys.len()
    );

    let mut compressed = Vec::new();
    for compression in [true, false] {
        let options = Options {
            compression,
            ..Options::default()
        };
        let start = Instant::now();
        let mut enc = Encoder::new(Vec::with_capacity(256 << 20), options)?;
        enc.select_db(0)?;
        enc.resize_db(keys.len() as u64, m)?;
        for (key, value, meta) in &keys {
            enc.key(key, value, *meta)?;
        }
        let file = enc.finish()?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "encode, compression {}: {:.1} MB in {secs:.3} s = {:.0} MB/s, {:.2} M keys/s",
            if compression { "on " } else { "off" },
            file.len() as f64 / 1e6,
            file.len() as f64 / 1e6 / secs,
            keys.len() as f64 / 1e6 / secs
        );
        if compression {
            compressed = file;
        }
    }

    let start = Instant::now();
    let mut decoder = Decoder::new(&compressed[..]);
    let mut decoded = 0u64;
    while let Some(item) = decoder.next_item()? {
        decoded += u64::from(matches!(item, ferrodis_rdb::Item::Key(_)));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "decode: {decoded} keys, {:.1} MB in {secs:.3} s = {:.0} MB/s",
        compressed.len() as f64 / 1e6,
        compressed.len() as f64 / 1e6 / secs
    );
    if let Some(path) = out_path {
        std::fs::write(&path, &compressed)?;
        println!("wrote {path}");
    }
    Ok(())
}
