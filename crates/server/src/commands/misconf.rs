//! The MISCONF refusal: while the data cannot be persisted (a failed background
//! save with `stop-writes-on-bgsave-error`, or a failed AOF write), write commands,
//! PING, and an EXEC whose queue writes are refused (Redis 7.0's `processCommand`
//! with `writeCommandsDeniedByDiskError()`). The master's stream is not refused: a
//! replica that cannot persist it stops, unless `replica-ignore-disk-write-errors`.

use std::sync::atomic::{AtomicU64, Ordering};

use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use crate::connection::Conn;
use crate::shared::{unix_time, Shared};

/// How often a replica logs that it applies its master's writes anyway.
const IGNORED_LOG_INTERVAL_MS: u64 = 10_000;

/// Whether a disk error may refuse commands: two atomic loads, checked per command.
#[inline]
pub fn possible(shared: &Shared) -> bool {
    shared.rdb.may_refuse_writes() || shared.aof.may_refuse_writes()
}

/// The refusal of `spec` for `conn`, if any (call once [`possible`] said so).
#[cold]
pub fn check(conn: &Conn, shared: &Shared, spec: &CommandSpec) -> Option<Frame> {
    let writes = |spec: &CommandSpec| spec.flags.contains(&"write");
    let exec_writes = || {
        spec.name == "exec"
            && conn.multi.as_ref().is_some_and(|m| {
                m.queued
                    .iter()
                    .filter_map(|argv| argv.first().and_then(|n| ferrodis_keyspace::lookup(n)))
                    .any(writes)
            })
    };
    let is_write = writes(spec) || exec_writes();
    if !is_write && spec.name != "ping" {
        return None;
    }
    let error = denied(shared)?;
    if conn.master_link {
        obey_master(shared, is_write);
        return None;
    }
    Some(Frame::error(error))
}

/// `writeCommandsDeniedByDiskError()` + its message: the RDB error first.
fn denied(shared: &Shared) -> Option<String> {
    if shared.rdb.refuses_writes(&shared.config()) {
        return Some(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
             persist to disk. Commands that may modify the data set are disabled, because this \
             instance is configured to report errors during writes if RDB snapshotting fails \
             (stop-writes-on-bgsave-error option). Please check the Redis logs for details \
             about the RDB error."
                .to_string(),
        );
    }
    shared.aof.write_error()
}

/// A replica gets a write from its master while it cannot persist: Redis panics
/// unless `replica-ignore-disk-write-errors yes`, which logs (every 10 seconds)
/// and applies it.
fn obey_master(shared: &Shared, is_write: bool) {
    static LAST_LOG_MS: AtomicU64 = AtomicU64::new(0);
    if is_write && !shared.config().get_bool("replica-ignore-disk-write-errors") {
        tracing::error!("Guru Meditation: Replica was unable to write command to disk.");
        std::process::abort();
    }
    let now = unix_time().as_millis() as u64;
    if now > LAST_LOG_MS.load(Ordering::Relaxed) + IGNORED_LOG_INTERVAL_MS {
        LAST_LOG_MS.store(now, Ordering::Relaxed);
        tracing::warn!("Replica is applying a command even though it is unable to write to disk.");
    }
}
