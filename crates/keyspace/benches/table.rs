//! The segmented table against a plain hashbrown `HashMap`: single-insert latency
//! while growing to 10M keys (max and p99.9: the plain map's whole-table rehashes show
//! as multi-millisecond pauses, the table's splits do not), then lookup speed.
//!
//! `cargo bench -p ferrodis-keyspace --bench table` (prints; asserts nothing).
//! `TABLE_KEYS=1000000` changes the size, `TABLE_SEGMENT_BUCKETS=2048` the segments'.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ferrodis_keyspace::table::{Entry, Keyed, Table};
use hashbrown::{DefaultHashBuilder, HashMap};

/// A 16-byte entry: key and value.
struct Item {
    key: u64,
    value: u64,
}

impl Keyed for Item {
    type Key = u64;
    fn key(&self) -> &u64 {
        &self.key
    }
}

/// Distinct, scattered keys.
fn key(i: u64) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Latency percentiles of one run, in ns.
struct Latency {
    total: Duration,
    p50: u32,
    p999: u32,
    max: u32,
    /// Inserts slower than 1 ms.
    over_1ms: usize,
}

fn latency(mut ns: Vec<u32>, total: Duration) -> Latency {
    let over_1ms = ns.iter().filter(|&&n| n > 1_000_000).count();
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize];
    Latency {
        total,
        p50: at(0.5),
        p999: at(0.999),
        max: at(1.0),
        over_1ms,
    }
}

/// Times each of `n` inserts.
fn time_inserts(n: u64, mut insert: impl FnMut(u64)) -> Latency {
    let mut ns = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        insert(key(i));
        ns.push(t.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
    }
    latency(ns, start.elapsed())
}

fn print(name: &str, l: &Latency) {
    println!(
        "{name:>22}: total {:7.2} s  p50 {:5} ns  p99.9 {:7} ns  max {:10} ns  >1ms: {}",
        l.total.as_secs_f64(),
        l.p50,
        l.p999,
        l.max,
        l.over_1ms
    );
}

/// ns per lookup of `n` keys present and `n` keys absent, best of 3.
fn lookups(n: u64, mut find: impl FnMut(u64) -> bool) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        for (absent, slot) in [(false, &mut best.0), (true, &mut best.1)] {
            let start = Instant::now();
            let mut found = 0;
            for i in 0..n {
                // Every 7th key, in a scattered order.
                let j = i.wrapping_mul(7) % n;
                found += usize::from(find(if absent { !key(j) } else { key(j) }));
            }
            black_box(found);
            *slot = slot.min(start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    best
}

fn main() {
    let n: u64 = std::env::var("TABLE_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    println!("{n} inserts of 16-byte entries, each timed:");

    let mut map: HashMap<u64, u64> = HashMap::with_hasher(DefaultHashBuilder::default());
    let map_latency = time_inserts(n, |k| {
        map.insert(k, k);
    });
    print("hashbrown HashMap", &map_latency);
    let (hit, miss) = lookups(n, |k| map.get(&k).is_some_and(|&v| v == k));
    let map_bytes = map.allocation_size();
    drop(map);

    let buckets = std::env::var("TABLE_SEGMENT_BUCKETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ferrodis_keyspace::table::SEGMENT_BUCKETS);
    let mut table: Table<Item> =
        Table::with_segment_buckets(DefaultHashBuilder::default(), buckets);
    let table_latency = time_inserts(n, |k| {
        let hash = table.hash(&k);
        if let Entry::Vacant(vacant) = table.entry(hash, |e| e.key == k) {
            vacant.insert(Item { key: k, value: k });
        }
    });
    print("segmented Table", &table_latency);
    println!(
        "{:>22}  {} segments, {:.0} entries per segment",
        "",
        table.segment_count(),
        n as f64 / table.segment_count() as f64
    );
    println!(
        "memory (bytes per entry): HashMap {:.1}, Table {:.1}",
        map_bytes as f64 / n as f64,
        table.allocation_size() as f64 / n as f64
    );
    let (table_hit, table_miss) = lookups(n, |k| {
        table
            .find(table.hash(&k), |e| e.key == k)
            .is_some_and(|e| e.value == k)
    });
    println!("lookups (ns): HashMap hit {hit:.1} miss {miss:.1}; Table hit {table_hit:.1} miss {table_miss:.1}");
}
