//! Lists: memory of 1M small elements and in-process push/pop speed, measured in one run.
//!
//! Memory: the heap bytes a list of 1M small elements takes in the keyspace (a counting
//! allocator), next to the same elements as a `VecDeque<Bytes>` (the first list
//! encoding, one allocation per element) and, when `redis-server` is on the PATH, next
//! to Redis's own `used_memory` growth for the same RPUSHes. Speed: LPUSH, RPUSH, LPOP,
//! RPOP and LRANGE (first 100) through `Keyspace::execute`, with redis-benchmark's
//! 3-byte value `xxx`; commands per second, best of several rounds.
//!
//! Run with `cargo bench -p ferrodis-keyspace --bench list`.
#![allow(clippy::unwrap_used)]
// The counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to System.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};

/// Live heap bytes, counted as glibc's malloc (the server's allocator) spends them.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// The size of the glibc malloc chunk that serves a request of `size` bytes on 64-bit
/// Linux: 8 bytes of header, 16-byte granularity, 32 bytes at least.
fn chunk(size: usize) -> isize {
    ((size + 8 + 15) & !15).max(32) as isize
}

struct Counting;

// SAFETY: every call forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(chunk(new_size) - chunk(layout.size()), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Elements in the memory test.
const ELEMENTS: usize = 1_000_000;
/// Elements per RPUSH when loading.
const BATCH: usize = 100;
/// Commands per speed round.
const OPS: usize = 1_000_000;
const ROUNDS: usize = 5;

/// The element kinds of the memory test: redis-benchmark's value, short text, integers.
fn element(kind: &str, i: usize) -> Vec<u8> {
    match kind {
        "xxx" => b"xxx".to_vec(),
        "text10" => format!("elem:{:05}", i % 100_000).into_bytes(),
        _ => (i as u64 * 7919 % 1_000_000).to_string().into_bytes(),
    }
}

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn argv(words: &[&[u8]]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::copy_from_slice(w)).collect()
}

fn keyspace_bytes(kind: &str) -> isize {
    let mut ks = Keyspace::new(1);
    let mut session = Session::default();
    let before = live();
    let mut cmd = argv(&[b"RPUSH", b"biglist"]);
    for start in (0..ELEMENTS).step_by(BATCH) {
        cmd.truncate(2);
        cmd.extend((start..start + BATCH).map(|i| Bytes::from(element(kind, i))));
        black_box(ks.execute(&mut session, &cmd));
    }
    drop(cmd);
    let used = live() - before;
    drop(ks);
    used
}

fn vecdeque_bytes(kind: &str) -> isize {
    let before = live();
    let mut list: VecDeque<Bytes> = VecDeque::new();
    for i in 0..ELEMENTS {
        // What the first list encoding did for each pushed argument.
        list.push_back(Bytes::copy_from_slice(&element(kind, i)));
    }
    let used = live() - before;
    black_box(&list);
    used
}

/// A redis-server on a free port, stopped on drop.
struct Redis {
    child: Child,
    conn: BufReader<TcpStream>,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
                return Some(Redis {
                    child,
                    conn: BufReader::new(stream),
                });
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.conn.get_mut().write_all(&out).unwrap();
    }

    /// Reads one reply; returns a bulk reply's text (empty for other types).
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.conn.read_line(&mut line).unwrap();
        if let Some(len) = line.strip_prefix('$') {
            let len: usize = len.trim().parse().unwrap();
            let mut body = vec![0; len + 2];
            self.conn.read_exact(&mut body).unwrap();
            return String::from_utf8_lossy(&body[..len]).into_owned();
        }
        String::new()
    }

    fn used_memory(&mut self) -> isize {
        self.send(&[b"INFO", b"memory"]);
        let info = self.reply();
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    fn list_bytes(&mut self, kind: &str) -> isize {
        self.send(&[b"FLUSHALL"]);
        self.reply();
        let before = self.used_memory();
        for start in (0..ELEMENTS).step_by(BATCH) {
            let elements: Vec<Vec<u8>> = (start..start + BATCH).map(|i| element(kind, i)).collect();
            let mut args: Vec<&[u8]> = vec![b"RPUSH", b"biglist"];
            args.extend(elements.iter().map(Vec::as_slice));
            self.send(&args);
        }
        for _ in (0..ELEMENTS).step_by(BATCH) {
            self.reply();
        }
        self.used_memory() - before
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn memory() {
    println!("memory of one list of {ELEMENTS} elements (heap bytes as glibc malloc chunks, bytes/element):");
    let mut redis = Redis::start();
    if redis.is_none() {
        println!("  (redis-server not found: no Redis column)");
    }
    for kind in ["xxx", "text10", "int"] {
        let ours = keyspace_bytes(kind);
        let deque = vecdeque_bytes(kind);
        let per = |b: isize| b as f64 / ELEMENTS as f64;
        print!(
            "  {kind:<7} ferrodis {:>11} ({:>5.1})  VecDeque<Bytes> {:>11} ({:>5.1})  ratio {:.3}",
            ours,
            per(ours),
            deque,
            per(deque),
            ours as f64 / deque as f64
        );
        if let Some(r) = redis.as_mut() {
            let theirs = r.list_bytes(kind);
            print!(
                "  redis {:>11} ({:>5.1})  ferrodis/redis {:.3}",
                theirs,
                per(theirs),
                ours as f64 / theirs as f64
            );
        }
        println!();
    }
}

/// The best rate of `ROUNDS` runs of `OPS` commands made by `make` on a keyspace
/// prepared by `setup`.
fn rate(setup: &[Vec<Bytes>], make: impl Fn(usize) -> Vec<Bytes>) -> f64 {
    let commands: Vec<Vec<Bytes>> = (0..OPS).map(make).collect();
    (0..ROUNDS)
        .map(|_| {
            let mut ks = Keyspace::new(1);
            let mut session = Session::default();
            for cmd in setup {
                ks.execute(&mut session, cmd);
            }
            let start = Instant::now();
            for cmd in &commands {
                black_box(ks.execute(&mut session, cmd));
            }
            OPS as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn speed() {
    println!("in-process speed, commands/s (best of {ROUNDS} x {OPS}):");
    let lpush = argv(&[b"LPUSH", b"mylist", b"xxx"]);
    let rpush = argv(&[b"RPUSH", b"mylist", b"xxx"]);
    let filled: Vec<Vec<Bytes>> = (0..OPS / BATCH)
        .map(|_| {
            let mut cmd = argv(&[b"RPUSH", b"mylist"]);
            cmd.extend((0..BATCH).map(|_| Bytes::from_static(b"xxx")));
            cmd
        })
        .collect();
    let lpop = argv(&[b"LPOP", b"mylist"]);
    let rpop = argv(&[b"RPOP", b"mylist"]);
    let lrange = argv(&[b"LRANGE", b"mylist", b"0", b"99"]);
    let fmt = |name: &str, r: f64| println!("  {name:<12} {r:>12.0}");
    let one = std::env::var("LIST_BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| one.is_empty() || one == name;
    if run("LPUSH") {
        fmt("LPUSH", rate(&[], |_| lpush.clone()));
    }
    if run("RPUSH") {
        fmt("RPUSH", rate(&[], |_| rpush.clone()));
    }
    if run("LPOP") {
        fmt("LPOP", rate(&filled, |_| lpop.clone()));
    }
    if run("RPOP") {
        fmt("RPOP", rate(&filled, |_| rpop.clone()));
    }
    if !run("LRANGE_100") {
        return;
    }
    let lrange_rate = {
        let ops = OPS / 10;
        let mut ks = Keyspace::new(1);
        let mut session = Session::default();
        for cmd in &filled[..2] {
            ks.execute(&mut session, cmd);
        }
        (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..ops {
                    black_box(ks.execute(&mut session, &lrange));
                }
                ops as f64 / start.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max)
    };
    fmt("LRANGE_100", lrange_rate);
}

/// `cargo bench --bench list -- memory` (or `speed`) runs one part only.
fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    if wants("memory") {
        memory();
    }
    if wants("speed") {
        speed();
    }
}
