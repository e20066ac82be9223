//! The `aof_*` fields of INFO persistence, with Redis 7.0.15's names and order
//! (`genRedisInfoString()` in server.c).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::shared::unix_time;

use super::Aof;

/// Appends the AOF fields, from `aof_enabled` to `module_fork_last_cow_size`, then
/// the ones Redis shows only while the AOF is on.
pub fn write_info(aof: &Aof, out: &mut String) {
    let s = &aof.stats;
    let mut f = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{k}:{v}\r\n");
    };
    let ok = |b: bool| if b { "ok" } else { "err" };
    let started = s.rewrite_started.load(Ordering::Relaxed);
    let running = started > 0;
    f("aof_enabled", &u8::from(aof.enabled()));
    f("aof_rewrite_in_progress", &u8::from(running));
    f(
        "aof_rewrite_scheduled",
        &u8::from(s.rewrite_scheduled.load(Ordering::Relaxed)),
    );
    f(
        "aof_last_rewrite_time_sec",
        &s.last_rewrite_secs.load(Ordering::Relaxed),
    );
    let current = if running {
        unix_time().as_secs() as i64 - started
    } else {
        -1
    };
    f("aof_current_rewrite_time_sec", &current);
    f(
        "aof_last_bgrewrite_status",
        &ok(s.last_rewrite_ok.load(Ordering::Relaxed)),
    );
    f("aof_rewrites", &s.rewrites.load(Ordering::Relaxed));
    f(
        "aof_rewrites_consecutive_failures",
        &s.consecutive_failures.load(Ordering::Relaxed),
    );
    f("aof_last_write_status", &ok(aof.status.ok()));
    // No fork, so no copy-on-write: the snapshot copies segments before writes.
    f("aof_last_cow_size", &0);
    f("module_fork_in_progress", &0);
    f("module_fork_last_cow_size", &0);
    if aof.enabled() {
        f("aof_current_size", &aof.current_size());
        f("aof_base_size", &s.base_size.load(Ordering::Relaxed));
        f(
            "aof_pending_rewrite",
            &u8::from(s.rewrite_scheduled.load(Ordering::Relaxed)),
        );
        f("aof_buffer_length", &aof.buffer_length());
        // fsyncs run on the appender's own thread, one at a time.
        f("aof_pending_bio_fsync", &0);
        f(
            "aof_delayed_fsync",
            &s.delayed_fsync.load(Ordering::Relaxed),
        );
    }
}
