//! Memory of small hashes: 100k hashes of 10 short fields in the keyspace, against the
//! same data as naive `HashMap<Bytes, Bytes>` values. Printed, not asserted (run with
//! `--nocapture`); the one assertion is that the listpack really is the smaller.
//!
//! A counting global allocator measures the live heap, both as requested bytes and as
//! glibc malloc would round them (16-byte granules, 32-byte minimum chunk, 8 bytes of
//! header), which is what the process's RSS pays with the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};

static REQUESTED: AtomicUsize = AtomicUsize::new(0);
static CHUNKS: AtomicUsize = AtomicUsize::new(0);
static LIVE_ALLOCS: AtomicUsize = AtomicUsize::new(0);

/// glibc's chunk size for a request (x86-64): size + 8, rounded up to 16, at least 32.
fn chunk(size: usize) -> usize {
    ((size + 8 + 15) & !15).max(32)
}

struct Counting;

// SAFETY: forwards to `System` unchanged; the counters are plain relaxed atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            REQUESTED.fetch_add(layout.size(), Ordering::Relaxed);
            CHUNKS.fetch_add(chunk(layout.size()), Ordering::Relaxed);
            LIVE_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        REQUESTED.fetch_sub(layout.size(), Ordering::Relaxed);
        CHUNKS.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
        LIVE_ALLOCS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            REQUESTED.fetch_add(new_size, Ordering::Relaxed);
            REQUESTED.fetch_sub(layout.size(), Ordering::Relaxed);
            CHUNKS.fetch_add(chunk(new_size), Ordering::Relaxed);
            CHUNKS.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const HASHES: usize = 100_000;
const FIELDS: usize = 10;

#[derive(Debug, Clone, Copy)]
struct Heap {
    requested: usize,
    chunks: usize,
    allocs: usize,
}

fn heap() -> Heap {
    Heap {
        requested: REQUESTED.load(Ordering::Relaxed),
        chunks: CHUNKS.load(Ordering::Relaxed),
        allocs: LIVE_ALLOCS.load(Ordering::Relaxed),
    }
}

/// Heap growth while `build` runs and its result is alive.
fn measure<T>(build: impl FnOnce() -> T) -> (T, Heap) {
    let before = heap();
    let value = build();
    let after = heap();
    let grown = Heap {
        requested: after.requested - before.requested,
        chunks: after.chunks - before.chunks,
        allocs: after.allocs - before.allocs,
    };
    (value, grown)
}

fn key(i: usize) -> Vec<u8> {
    format!("user:{i:06}").into_bytes()
}

/// Field `j` of hash `i`: ten short names and values, like a small user record.
fn pair(i: usize, j: usize) -> (Vec<u8>, Vec<u8>) {
    (
        format!("field{j}").into_bytes(),
        format!("value-{j}-{}", i % 1000).into_bytes(),
    )
}

fn report(what: &str, h: Heap) {
    println!(
        "{what:<44} {:>6.1} MB requested  {:>6.1} MB in malloc chunks  {:>7} allocations  {:>5.0} B/hash",
        h.requested as f64 / 1e6,
        h.chunks as f64 / 1e6,
        h.allocs,
        h.chunks as f64 / HASHES as f64,
    );
}

#[test]
fn small_hashes_are_compact() {
    let mut session = Session::default();
    let run = |ks: &mut Keyspace, session: &mut Session, argv: Vec<Bytes>| {
        assert!(ks.execute(session, &argv).is_some());
    };

    // The keys alone: int-encoded strings need no heap for the value.
    let (mut strings, keys_only) = measure(|| {
        let mut ks = Keyspace::new(1);
        for i in 0..HASHES {
            let argv = vec![
                Bytes::from_static(b"SET"),
                Bytes::from(key(i)),
                Bytes::from_static(b"1"),
            ];
            run(&mut ks, &mut session, argv);
        }
        ks
    });
    strings.flushall();
    drop(strings);

    let (ks, keyspace) = measure(|| {
        let mut ks = Keyspace::new(1);
        for i in 0..HASHES {
            let mut argv = vec![Bytes::from_static(b"HSET"), Bytes::from(key(i))];
            for j in 0..FIELDS {
                let (f, v) = pair(i, j);
                argv.push(Bytes::from(f));
                argv.push(Bytes::from(v));
            }
            run(&mut ks, &mut session, argv);
        }
        ks
    });
    assert_eq!(ks.dbsize(0), HASHES);
    drop(ks);

    let (naive, naive_heap) = measure(|| {
        let mut all: HashMap<Bytes, HashMap<Bytes, Bytes>> = HashMap::new();
        for i in 0..HASHES {
            let fields = (0..FIELDS)
                .map(|j| {
                    let (f, v) = pair(i, j);
                    (Bytes::copy_from_slice(&f), Bytes::copy_from_slice(&v))
                })
                .collect();
            all.insert(Bytes::copy_from_slice(&key(i)), fields);
        }
        all
    });
    assert_eq!(naive.len(), HASHES);
    drop(naive);
    // The same outer map with empty (unallocated) inner maps.
    let (naive, naive_keys) = measure(|| {
        let mut all: HashMap<Bytes, HashMap<Bytes, Bytes>> = HashMap::new();
        for i in 0..HASHES {
            all.insert(Bytes::copy_from_slice(&key(i)), HashMap::new());
        }
        all
    });
    drop(naive);

    let minus = |total: Heap, base: Heap| Heap {
        requested: total.requested - base.requested,
        chunks: total.chunks - base.chunks,
        allocs: total.allocs - base.allocs,
    };
    let ours = minus(keyspace, keys_only);
    let theirs = minus(naive_heap, naive_keys);
    println!("\n{HASHES} hashes x {FIELDS} fields (field 6 B, value ~10 B):");
    report("keyspace, keys only (SET k 1)", keys_only);
    report("keyspace with the hashes", keyspace);
    report("  of which the listpack values", ours);
    report("HashMap<Bytes, HashMap<Bytes, Bytes>>", naive_heap);
    report("  of which the HashMap<Bytes, Bytes> values", theirs);
    println!(
        "values: listpack {:.1}x smaller than HashMap<Bytes, Bytes>; whole: {:.1}x smaller",
        theirs.chunks as f64 / ours.chunks.max(1) as f64,
        naive_heap.chunks as f64 / keyspace.chunks.max(1) as f64,
    );
    assert!(ours.chunks < theirs.chunks / 4);
}
