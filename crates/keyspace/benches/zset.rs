//! Micro-benchmark of a large sorted set through the keyspace API: ZADD of 1M
//! members, then ZRANK, ZSCORE, ZINCRBY and short ZRANGEs on it. Prints timings
//! and the process's resident memory growth; asserts nothing.
//!
//! Run with `cargo bench -p ferrodis-keyspace --bench zset`. For a comparison with
//! redis-server, `redis-benchmark -t zadd,zpopmin` and `bench/memory.py` measure the
//! server as a whole.

use std::time::Instant;

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};

const N: u64 = 1_000_000;

/// splitmix64, so both phases can replay the same members.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn member(i: u64) -> Bytes {
    Bytes::from(format!("member:{:012}", mix(i) % 1_000_000_000_000))
}

/// Resident set size in bytes (Linux), or 0.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Runs `n` commands made by `argv` and prints their speed; returns the growth of
/// resident memory while they ran (the arguments are built beforehand).
fn run(
    ks: &mut Keyspace,
    session: &mut Session,
    name: &str,
    n: u64,
    argv: impl Fn(u64) -> Vec<Bytes>,
) -> u64 {
    let all: Vec<Vec<Bytes>> = (0..n).map(&argv).collect();
    let before = rss();
    let start = Instant::now();
    for a in &all {
        std::hint::black_box(ks.execute(session, a));
    }
    let elapsed = start.elapsed();
    println!(
        "{name:<28} {n:>8} ops  {:>8.0} ns/op  {:>6.2} Mops/s",
        elapsed.as_nanos() as f64 / n as f64,
        n as f64 / elapsed.as_secs_f64() / 1e6
    );
    rss().saturating_sub(before)
}

fn main() {
    let mut ks = Keyspace::new(1);
    let mut session = Session::default();
    let key = Bytes::from_static(b"big");
    let cmd = |words: &[&Bytes]| -> Vec<Bytes> { words.iter().map(|b| (*b).clone()).collect() };
    let zadd = Bytes::from_static(b"ZADD");
    let grown = run(&mut ks, &mut session, "ZADD (new member)", N, |i| {
        let score = Bytes::from((mix(i ^ 0x5555) % 10_000_000).to_string());
        cmd(&[&zadd, &key, &score, &member(i)])
    });
    println!(
        "resident memory growth: {:.1} MB, {:.0} bytes per member (members are 19 bytes)",
        grown as f64 / 1e6,
        grown as f64 / N as f64
    );
    let zrank = Bytes::from_static(b"ZRANK");
    run(&mut ks, &mut session, "ZRANK", N, |i| {
        cmd(&[&zrank, &key, &member(mix(i) % N)])
    });
    let zrevrank = Bytes::from_static(b"ZREVRANK");
    run(&mut ks, &mut session, "ZREVRANK", N / 2, |i| {
        cmd(&[&zrevrank, &key, &member(mix(i + 7) % N)])
    });
    let zscore = Bytes::from_static(b"ZSCORE");
    run(&mut ks, &mut session, "ZSCORE", N, |i| {
        cmd(&[&zscore, &key, &member(mix(i + 3) % N)])
    });
    let zincrby = Bytes::from_static(b"ZINCRBY");
    let one = Bytes::from_static(b"1");
    run(
        &mut ks,
        &mut session,
        "ZINCRBY (moves the member)",
        N / 2,
        |i| cmd(&[&zincrby, &key, &one, &member(mix(i + 11) % N)]),
    );
    let zrange = Bytes::from_static(b"ZRANGE");
    run(&mut ks, &mut session, "ZRANGE start start+9", N / 4, |i| {
        let start = Bytes::from((mix(i) % (N - 10)).to_string());
        let stop = Bytes::from((mix(i) % (N - 10) + 9).to_string());
        cmd(&[&zrange, &key, &start, &stop])
    });
    let byscore = Bytes::from_static(b"BYSCORE");
    let limit = Bytes::from_static(b"LIMIT");
    let zero = Bytes::from_static(b"0");
    let ten = Bytes::from_static(b"10");
    run(
        &mut ks,
        &mut session,
        "ZRANGE BYSCORE LIMIT 0 10",
        N / 4,
        |i| {
            let min = Bytes::from((mix(i) % 10_000_000).to_string());
            cmd(&[
                &zrange,
                &key,
                &min,
                &Bytes::from_static(b"+inf"),
                &byscore,
                &limit,
                &zero,
                &ten,
            ])
        },
    );
    let zpopmin = Bytes::from_static(b"ZPOPMIN");
    run(&mut ks, &mut session, "ZPOPMIN", N / 2, |_| {
        cmd(&[&zpopmin, &key])
    });
    // Small sets: the listpack encoding.
    run(
        &mut ks,
        &mut session,
        "ZADD into 1000 small sets",
        N / 2,
        |i| {
            let small = Bytes::from(format!("small:{}", i % 1000));
            let score = Bytes::from((mix(i) % 1000).to_string());
            cmd(&[&zadd, &small, &score, &member(i % 100_000)])
        },
    );
    run(&mut ks, &mut session, "ZRANK in small sets", N / 2, |i| {
        let small = Bytes::from(format!("small:{}", i % 1000));
        cmd(&[&zrank, &small, &member(i % 100_000)])
    });
}
