//! The AOF writer thread: takes what the sink fed, hands it to the [`Appender`] of
//! the current incr file and publishes how far the stream is on disk.
//!
//! One write covers every batch fed since the previous one, and with `appendfsync
//! always` one fsync covers them all (group commit): connections waiting for their
//! batch's end offset are released together. Redis does the same once per event-loop
//! turn (`flushAppendOnlyFile()` in `beforeSleep()`).
//!
//! Lock order: [`Files`] before the feed. The writer holds `Files` from taking
//! bytes out of the feed until they are in the appender, so a rewrite switching
//! incr files (which takes both) never sees bytes in flight between the two.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ferrodis_aof::{AofDir, Appender, Flushed, Fsync};

use super::feed::Feed;
use super::Aof;

/// How long the writer sleeps without input: everysec's background fsync and a
/// postponed write are retried at this pace (Redis: every cron tick).
const TICK: Duration = Duration::from_millis(50);

/// The files side of the AOF, shared by the writer, rewrites and shutdown.
#[derive(Debug, Default)]
pub struct Files {
    /// The directory and its manifest; `None` while `CONFIG SET appendonly yes`
    /// waits for its first rewrite.
    pub dir: Option<AofDir>,
    /// The incr file being appended to; `None` while parked (same case).
    pub appender: Option<Appender>,
    /// Bytes taken from the feed while parked, written once the incr file exists.
    pub parked: Vec<u8>,
    /// The stream position of the end of what the appender has (written or pending).
    pub taken: u64,
    /// Sizes of the files loaded or written before the current incr file
    /// (base and older incrs), for `aof_current_size`.
    pub size_before_incr: u64,
    /// The buffer swapped with the feed's.
    pub spare: Vec<u8>,
}

impl Files {
    /// `aof_current_size`: every file of the manifest, pending bytes included.
    pub fn current_size(&self) -> u64 {
        self.size_before_incr + self.appender.as_ref().map_or(0, Appender::size)
    }
}

/// Locks `files`, surviving a poisoned lock.
pub fn lock(files: &Mutex<Files>) -> MutexGuard<'_, Files> {
    files.lock().unwrap_or_else(|e| e.into_inner())
}

/// Moves what the feed holds into the appender (or the parked buffer); returns the
/// stream position it reaches. The caller holds `files`.
pub fn take_fed(files: &mut Files, feed: &Feed) -> u64 {
    let mut s = feed.lock();
    let fed = s.fed;
    if s.buf.is_empty() {
        return fed;
    }
    // Buffers are swapped, not copied, and keep their capacity between turns.
    std::mem::swap(&mut s.buf, &mut files.spare);
    drop(s);
    let Files {
        appender,
        parked,
        spare,
        ..
    } = files;
    match appender.as_mut() {
        Some(app) if !app.has_pending() => std::mem::swap(app.buffer(), spare),
        Some(app) => app.buffer().extend_from_slice(spare),
        None => parked.extend_from_slice(spare),
    }
    spare.clear();
    files.taken = fed;
    fed
}

/// Writes what was fed (+ fsync with `always`) and releases the replies waiting
/// for it. Called by the writer thread, and inline by a connection that finds
/// `files` free (everysec/no).
pub fn write_fed(aof: &Aof, mut files: MutexGuard<'_, Files>) {
    let upto = take_fed(&mut files, &aof.feed);
    let Some(app) = files.appender.as_mut() else {
        // Parked: nothing is durable yet, but the AOF is not on yet either, so
        // nobody waits for it (Redis's AOF_WAIT_REWRITE state).
        drop(files);
        aof.publish_synced(upto);
        return;
    };
    app.hold_fsync(aof.fsync_held());
    let flushed = app.flush(Instant::now());
    aof.status.note_fsync(app);
    match flushed {
        Ok(Flushed::Written | Flushed::Nothing) => {
            aof.stats
                .delayed_fsync
                .store(app.delayed_fsyncs(), Ordering::Relaxed);
            aof.status.write_succeeded();
        }
        // everysec behind a slow fsync: Redis sends the replies anyway.
        Ok(Flushed::Postponed) => {}
        Err(e) => write_failed(aof, app, &e),
    }
    drop(files);
    aof.publish_synced(upto);
}

/// The writer thread's loop; returns when the feed is stopped, after a final
/// write and fsync. With `always` the sink wakes it for every batch; otherwise
/// connections write inline and it only ticks (everysec's fsync, leftovers such
/// as the cron's expiry DELs, postponed writes).
pub fn run(aof: Arc<Aof>) {
    loop {
        {
            let mut s = aof.feed.lock();
            if s.buf.is_empty() && !s.stop {
                s.writer_idle = true;
                s = aof
                    .feed
                    .wake
                    .wait_timeout(s, TICK)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
                s.writer_idle = false;
            }
            if s.stop {
                break;
            }
        }
        write_fed(&aof, lock(&aof.files));
    }
    aof.final_sync();
}

/// Redis's reaction to a failed write (`flushAppendOnlyFile()`): with `always` the
/// process exits, as a reply could otherwise be sent for a write not on disk; with
/// the other policies the status becomes `err`, writes are refused (MISCONF, see
/// `errors.rs`), the bytes stay buffered and the writer retries them every tick.
/// The replies of the batches fed so far go out all the same, as in Redis.
fn write_failed(aof: &Aof, app: &Appender, e: &std::io::Error) {
    aof.status.write_failed(app, e);
    if app.policy() == Fsync::Always {
        tracing::warn!(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
        );
        std::process::exit(1);
    }
}
