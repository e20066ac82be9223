//! `stats FILE`: keys, bytes on disk and encodings per type, and the ten
//! biggest keys by their record's size.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use ferrodis_rdb::{Decoder, Item, Value};

use crate::progress::Progress;
use crate::{open, Failure};

/// How many of the biggest keys are listed.
const TOP: usize = 10;

#[derive(Default)]
struct TypeStats {
    keys: u64,
    bytes: u64,
    elements: u64,
    encodings: BTreeMap<&'static str, u64>,
}

/// One of the biggest keys: bytes, db, key, type, encoding, elements.
type Big = (u64, u64, Vec<u8>, &'static str, &'static str, u64);

fn elements(value: &Value) -> u64 {
    (match value {
        Value::String(_) | Value::Module(_) => 1,
        Value::List(v) | Value::Set(v) => v.len(),
        Value::SortedSet(v) => v.len(),
        Value::Hash(v) => v.len(),
        Value::HashWithTtl(v) => v.len(),
        Value::Stream(s) => s.entries.len(),
        _ => 1,
    }) as u64
}

pub(crate) fn run(path: &str) -> Result<(), Failure> {
    let (file, size) = open(path)?;
    let mut decoder = Decoder::new(file);
    let header = decoder.header()?;
    let mut progress = Progress::new("stats", size);
    let mut per_type: BTreeMap<&'static str, TypeStats> = BTreeMap::new();
    // A min-heap of the biggest keys so far.
    let mut top: BinaryHeap<Reverse<Big>> = BinaryHeap::new();
    let mut expires = 0u64;
    let mut start = decoder.offset();
    while let Some(item) = decoder.next_item()? {
        let end = decoder.offset();
        if let Item::Key(key) = item {
            // The record's size: its opcodes, type byte, key and value.
            let bytes = end - start;
            let kind = key.value.type_name();
            let n = elements(&key.value);
            let stats = per_type.entry(kind).or_default();
            stats.keys += 1;
            stats.bytes += bytes;
            stats.elements += n;
            *stats.encodings.entry(key.encoding.name()).or_default() += 1;
            expires += u64::from(key.expire_ms.is_some());
            top.push(Reverse((
                bytes,
                key.db,
                key.key.to_vec(),
                kind,
                key.encoding.name(),
                n,
            )));
            if top.len() > TOP {
                top.pop();
            }
            progress.update(end);
        }
        start = end;
    }
    progress.done();
    let total_keys: u64 = per_type.values().map(|s| s.keys).sum();
    println!(
        "{path}: {}{:04}, {} bytes, {total_keys} keys, {expires} with an expire",
        header.magic,
        header.version,
        decoder.offset()
    );
    println!();
    println!(
        "{:8} {:>10} {:>14} {:>12}  encodings",
        "type", "keys", "bytes", "elements"
    );
    for (kind, s) in &per_type {
        let encodings: Vec<String> = s
            .encodings
            .iter()
            .map(|(e, n)| format!("{e}={n}"))
            .collect();
        println!(
            "{kind:8} {:>10} {:>14} {:>12}  {}",
            s.keys,
            s.bytes,
            s.elements,
            encodings.join(" ")
        );
    }
    println!();
    println!("biggest keys:");
    println!(
        "{:>12} {:>4}  {:8} {:12} {:>10}  key",
        "bytes", "db", "type", "encoding", "elements"
    );
    let mut top: Vec<_> = top.into_iter().map(|Reverse(t)| t).collect();
    top.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
    for (bytes, db, key, kind, encoding, n) in top {
        println!(
            "{bytes:>12} {db:>4}  {kind:8} {encoding:12} {n:>10}  {}",
            key.escape_ascii()
        );
    }
    Ok(())
}
