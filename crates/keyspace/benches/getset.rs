//! GET/SET through `Keyspace::execute` in a plain in-process loop: prints ns per
//! command, so the database's table can be compared before and after a change.
//!
//! `cargo bench -p ferrodis-keyspace --bench getset` (prints; asserts nothing).
//! `GETSET_KEYS=1000,50000` picks the table sizes. Each figure is the best of
//! `GETSET_ROUNDS` (7) rounds, which filters out interference from other processes best.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use ferrodis_keyspace::{Clock, Keyspace, Session};

/// Rounds per measurement (`GETSET_ROUNDS`); the best is printed.
fn rounds() -> usize {
    std::env::var("GETSET_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
}

fn argv(words: &[&[u8]]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
}

/// A random-looking permutation of 0..n (multiplication by an odd constant mod 2^k).
fn order(n: usize) -> Vec<usize> {
    let mask = n.next_power_of_two() - 1;
    (0..=mask)
        .map(|i| i.wrapping_mul(0x9e37_79b9) & mask)
        .filter(|&i| i < n)
        .collect()
}

fn best(xs: Vec<f64>) -> f64 {
    xs.into_iter().fold(f64::INFINITY, f64::min)
}

fn run(keys: usize) {
    let names: Vec<Vec<u8>> = (0..keys)
        .map(|i| format!("key:{i:012}").into_bytes())
        .collect();
    let sets: Vec<Vec<Bytes>> = names
        .iter()
        .map(|k| argv(&[b"SET", k, b"some-value-xx"]))
        .collect();
    let gets: Vec<Vec<Bytes>> = names.iter().map(|k| argv(&[b"GET", k])).collect();
    let misses: Vec<Vec<Bytes>> = (0..keys)
        .map(|i| argv(&[b"GET", format!("nokey:{i:010}").as_bytes()]))
        .collect();
    let perm = order(keys);
    let mut session = Session::default();
    let (mut insert, mut overwrite, mut hit, mut miss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds() {
        let mut ks = Keyspace::new(16);
        ks.set_clock(Clock::Fixed(1_700_000_000_000));
        let time = |ks: &mut Keyspace, session: &mut Session, cmds: &[Vec<Bytes>]| {
            let start = Instant::now();
            for &i in &perm {
                black_box(ks.execute(session, &cmds[i]));
            }
            start.elapsed().as_nanos() as f64 / perm.len() as f64
        };
        insert.push(time(&mut ks, &mut session, &sets));
        overwrite.push(time(&mut ks, &mut session, &sets));
        hit.push(time(&mut ks, &mut session, &gets));
        miss.push(time(&mut ks, &mut session, &misses));
    }
    println!(
        "{keys:>9} keys: SET new {:6.1} ns  SET existing {:6.1} ns  GET hit {:6.1} ns  GET miss {:6.1} ns",
        best(insert),
        best(overwrite),
        best(hit),
        best(miss)
    );
}

fn main() {
    let sizes = std::env::var("GETSET_KEYS").unwrap_or_else(|_| "1000,100000,1000000".into());
    for keys in sizes.split(',').filter_map(|n| n.trim().parse().ok()) {
        run(keys);
    }
}
