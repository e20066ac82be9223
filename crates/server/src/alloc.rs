//! A global allocator wrapper that counts live heap bytes, for INFO's `used_memory`
//! (Redis reports what its allocator has handed out; this is the same figure).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// Live bytes, give or take what threads have not folded in yet: it can even be
/// negative while the threads that allocated have not folded and those that freed
/// have.
static ALLOCATED: AtomicIsize = AtomicIsize::new(0);
/// Whether [`CountingAlloc`] has counted anything, i.e. is the global allocator.
/// Written once; every later check is a read of an unchanging cache line.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// A thread folds its changes into [`ALLOCATED`] once they pass this many bytes either
/// way, so the shared counter's cache line is touched rarely instead of on every
/// allocation (two worker threads contending on it cost measurable throughput). INFO
/// is therefore off by at most this much per thread.
const FOLD_AT: isize = 256 * 1024;

thread_local! {
    // Const-initialized and without a destructor, so using it inside the allocator
    // never allocates.
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

fn record(delta: isize) {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
    let folded = PENDING.try_with(|p| {
        let v = p.get() + delta;
        if v.abs() >= FOLD_AT {
            ALLOCATED.fetch_add(v, Ordering::Relaxed);
            p.set(0);
        } else {
            p.set(v);
        }
    });
    if folded.is_err() {
        // The thread is being torn down: count directly.
        ALLOCATED.fetch_add(delta, Ordering::Relaxed);
    }
}

/// The system allocator, counting. Install it in a binary with
/// `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
#[derive(Debug)]
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` unchanged and only adds relaxed counter
// updates, so all of GlobalAlloc's contracts are System's.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            record(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            record(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        record(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            record(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Live heap bytes when [`CountingAlloc`] is the global allocator, else `None`: the
/// shared counter plus what the calling thread has not folded in yet, so that it is
/// exact for the caller's own allocations and frees. Eviction relies on that to
/// measure what one deletion freed (Redis's `zmalloc_used_memory()` before and after
/// `dbSyncDelete`); other threads may still be off by up to [`FOLD_AT`] each.
pub fn allocated() -> Option<u64> {
    if !INSTALLED.load(Ordering::Relaxed) {
        return None;
    }
    let pending = PENDING.try_with(Cell::get).unwrap_or(0);
    let n = ALLOCATED.load(Ordering::Relaxed).saturating_add(pending);
    Some(n.max(0) as u64)
}
