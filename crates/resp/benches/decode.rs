//! Decoding speed of `CommandDecoder` against the `redis-protocol` crate on a pipelined
//! stream like the one `redis-benchmark -P 16 -t set,get` sends; prints MB/s, commands/s
//! and the ratio. Run with `cargo bench -p ferrodis-resp`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_resp::{encode_command, CommandDecoder, Limits};
use redis_protocol::resp2::decode::decode_bytes_mut;

/// SET and GET commands each.
const COMMANDS_EACH: usize = 100_000;
/// Rounds per decoder and scenario; the best one is reported.
const ROUNDS: usize = 7;
/// The size of one socket read in the "chunked" scenario (Redis reads 16 KiB).
const READ_SIZE: usize = 16 * 1024;

/// `SET key:<12 digits> xxx` then `GET key:<12 digits>`, as redis-benchmark builds
/// them (`-r` keys, default 3-byte value).
fn stream() -> Vec<u8> {
    let mut out = BytesMut::new();
    for i in 0..COMMANDS_EACH {
        let key = format!("key:{i:012}");
        encode_command(&["SET", key.as_str(), "xxx"], &mut out);
    }
    for i in 0..COMMANDS_EACH {
        let key = format!("key:{i:012}");
        encode_command(&["GET", key.as_str()], &mut out);
    }
    out.to_vec()
}

fn ferrodis(stream: &[u8], read_size: usize) -> usize {
    let mut decoder = CommandDecoder::new(Limits::default());
    let mut buf = BytesMut::with_capacity(read_size.min(stream.len()) * 2);
    let mut commands = 0;
    for read in stream.chunks(read_size) {
        buf.extend_from_slice(read);
        while let Some(argv) = decoder.decode(&mut buf).unwrap() {
            black_box(&argv);
            commands += 1;
        }
    }
    commands
}

fn redis_protocol(stream: &[u8], read_size: usize) -> usize {
    let mut buf = BytesMut::with_capacity(read_size.min(stream.len()) * 2);
    let mut commands = 0;
    for read in stream.chunks(read_size) {
        buf.extend_from_slice(read);
        while let Some((frame, _, _)) = decode_bytes_mut(&mut buf).unwrap() {
            black_box(&frame);
            commands += 1;
        }
    }
    commands
}

/// The best time of `ROUNDS` runs of `decode` over `stream`.
fn best(stream: &[u8], read_size: usize, decode: fn(&[u8], usize) -> usize) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            let commands = decode(black_box(stream), read_size);
            let elapsed = start.elapsed();
            assert_eq!(commands, 2 * COMMANDS_EACH);
            elapsed
        })
        .min()
        .unwrap()
}

fn report(name: &str, bytes: usize, time: Duration) {
    let secs = time.as_secs_f64();
    println!(
        "  {name:<16} {:>9.1} MB/s {:>12.0} commands/s",
        bytes as f64 / secs / 1e6,
        (2 * COMMANDS_EACH) as f64 / secs,
    );
}

fn main() {
    let stream = stream();
    println!(
        "decoding {} pipelined SET/GET commands ({} bytes), best of {ROUNDS} rounds",
        2 * COMMANDS_EACH,
        stream.len()
    );
    for (scenario, read_size) in [
        ("whole stream in the buffer", stream.len()),
        ("16 KiB reads", READ_SIZE),
    ] {
        println!("{scenario}:");
        let ours = best(&stream, read_size, ferrodis);
        let theirs = best(&stream, read_size, redis_protocol);
        report("ferrodis-resp", stream.len(), ours);
        report("redis-protocol", stream.len(), theirs);
        println!(
            "  ratio ferrodis/redis-protocol: {:.2}x",
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}
