//! The open incr file and its fsync policy: buffered appends, `write` + `fsync` as
//! `appendfsync` says, and everysec's background fsync with Redis's stall rule.
//!
//! Redis 7.0 (`flushAppendOnlyFile()` in aof.c): writes accumulate in `aof_buf`
//! during an event-loop turn and are written once before replies go out. With
//! `always` the write is followed by an fsync, so a client never sees a reply for a
//! write that is not on disk. With `everysec` a background thread fsyncs about once
//! a second; if that fsync is still running when the next write comes, the write is
//! postponed for up to 2 seconds (so the writing thread never blocks on a busy
//! disk), after which it is done anyway and counted in `aof_delayed_fsync`. With
//! `no` the OS flushes when it likes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::feed::Fsync;

/// How long everysec postpones writes while a background fsync runs.
const MAX_POSTPONE: Duration = Duration::from_secs(2);
/// `ENOSPC` (the same number on Linux, macOS and the BSDs): what a short write
/// reports, as in Redis.
const ENOSPC: i32 = 28;
/// `EIO`, for an fsync error without an errno.
const EIO: i32 = 5;
/// How often everysec fsyncs.
const EVERYSEC: Duration = Duration::from_secs(1);

/// What [`Appender::flush`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    /// Nothing was pending.
    Nothing,
    /// The pending bytes were written (and, with `always`, fsynced).
    Written,
    /// everysec: a background fsync is running, the bytes stay buffered.
    Postponed,
}

/// A write that stopped part way (Redis logs it as such).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortWrite {
    /// Bytes the OS took.
    pub written: usize,
    /// Bytes there were to write.
    pub expected: usize,
    /// The errno of the truncation that should have removed them, if it failed
    /// (then they stay in the file and leave the buffer).
    pub truncate_error: Option<i32>,
}

/// The background fsync of `everysec`.
struct Syncer {
    requests: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    in_progress: Arc<AtomicBool>,
    /// The errno of the last background fsync, 0 if it succeeded (Redis's
    /// `aof_bio_fsync_status` and `aof_bio_fsync_errno`).
    errno: Arc<AtomicI32>,
}

impl Syncer {
    fn start(file: File) -> io::Result<Syncer> {
        let (tx, rx) = mpsc::channel::<()>();
        let in_progress = Arc::new(AtomicBool::new(false));
        let errno = Arc::new(AtomicI32::new(0));
        let (busy, status) = (in_progress.clone(), errno.clone());
        let thread = std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for () in rx {
                    let code = match file.sync_data() {
                        Ok(()) => 0,
                        Err(e) => e.raw_os_error().unwrap_or(EIO),
                    };
                    status.store(code, Ordering::Relaxed);
                    busy.store(false, Ordering::Release);
                }
            })?;
        Ok(Syncer {
            requests: Some(tx),
            thread: Some(thread),
            in_progress,
            errno,
        })
    }

    fn busy(&self) -> bool {
        self.in_progress.load(Ordering::Acquire)
    }

    fn request(&self) {
        self.in_progress.store(true, Ordering::Release);
        let sent = self.requests.as_ref().map(|tx| tx.send(()));
        if !matches!(sent, Some(Ok(()))) {
            self.in_progress.store(false, Ordering::Release);
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        // Closing the channel ends the thread after its last fsync.
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An AOF file open for appending under an fsync policy.
pub struct Appender {
    file: File,
    policy: Fsync,
    /// Bytes fed but not written yet (`aof_buf`).
    pending: Vec<u8>,
    /// The file's size: what was written so far.
    size: u64,
    /// When everysec started postponing, if it is.
    postponed_since: Option<Instant>,
    last_sync: Instant,
    /// `aof_delayed_fsync`: writes done while a background fsync was still running.
    delayed_fsyncs: u64,
    syncer: Option<Syncer>,
    /// Set when the last write failed part way.
    short_write: Option<ShortWrite>,
    /// `no-appendfsync-on-rewrite` while a rewrite or save runs: no fsync.
    fsync_held: bool,
    /// `always`: bytes were written without their fsync (held).
    unsynced: bool,
    /// fsyncs done or requested, for tests and INFO-like figures.
    fsyncs: u64,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender")
            .field("policy", &self.policy)
            .field("size", &self.size)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Appender {
    /// Opens (creating if needed) `path` for appending.
    pub fn open(path: &Path, policy: Fsync) -> io::Result<Appender> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        let syncer = match policy {
            Fsync::Everysec => Some(Syncer::start(file.try_clone()?)?),
            Fsync::Always | Fsync::No => None,
        };
        Ok(Appender {
            file,
            policy,
            pending: Vec::new(),
            size,
            postponed_since: None,
            last_sync: Instant::now(),
            delayed_fsyncs: 0,
            syncer,
            short_write: None,
            fsync_held: false,
            unsynced: false,
            fsyncs: 0,
        })
    }

    /// The buffer to feed commands into (see [`crate::Feeder::feed`]).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.pending
    }

    /// Whether bytes are waiting to be written.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Bytes fed but not written yet.
    pub fn pending_len(&self) -> u64 {
        self.pending.len() as u64
    }

    /// The file's size once everything fed so far is written.
    pub fn size(&self) -> u64 {
        self.size + self.pending.len() as u64
    }

    /// `aof_delayed_fsync`.
    pub fn delayed_fsyncs(&self) -> u64 {
        self.delayed_fsyncs
    }

    /// The error of everysec's last background fsync, if it failed; cleared by
    /// the next one that succeeds.
    pub fn fsync_error(&self) -> Option<io::Error> {
        let code = self.syncer.as_ref()?.errno.load(Ordering::Relaxed);
        (code != 0).then(|| io::Error::from_raw_os_error(code))
    }

    /// Whether the last failed write was a short one, and what became of it.
    pub fn short_write(&self) -> Option<ShortWrite> {
        self.short_write
    }

    /// The policy.
    pub fn policy(&self) -> Fsync {
        self.policy
    }

    /// Writes what is pending as the policy says; call it before sending the
    /// replies of the writes fed since the last call. With `always` it returns
    /// only once the bytes are on disk.
    pub fn flush(&mut self, now: Instant) -> io::Result<Flushed> {
        if self.pending.is_empty() {
            if self.policy == Fsync::Always && self.unsynced && !self.fsync_held {
                // The fsync held back during a rewrite, as soon as it may run.
                self.fsync_now(now)?;
            }
            self.maybe_background_sync(now);
            return Ok(Flushed::Nothing);
        }
        if self.policy == Fsync::Everysec && self.syncer.as_ref().is_some_and(Syncer::busy) {
            let since = *self.postponed_since.get_or_insert(now);
            if now.duration_since(since) < MAX_POSTPONE {
                return Ok(Flushed::Postponed);
            }
            // Waited long enough: write anyway (it may block on the busy disk).
            self.delayed_fsyncs += 1;
        }
        self.postponed_since = None;
        self.write_pending()?;
        match self.policy {
            Fsync::Always if self.fsync_held => self.unsynced = true,
            Fsync::Always => self.fsync_now(now)?,
            Fsync::Everysec => self.maybe_background_sync(now),
            Fsync::No => {}
        }
        Ok(Flushed::Written)
    }

    fn fsync_now(&mut self, now: Instant) -> io::Result<()> {
        self.file.sync_data()?;
        self.fsyncs += 1;
        self.unsynced = false;
        self.last_sync = now;
        Ok(())
    }

    /// `no-appendfsync-on-rewrite yes` while a rewrite or background save runs:
    /// no fsync until released (Redis's `flushAppendOnlyFile()` skips its fsync
    /// while a child process writes, to spare the disk; with `always` the held
    /// fsync is done at the first flush after).
    pub fn hold_fsync(&mut self, held: bool) {
        self.fsync_held = held;
    }

    /// fsyncs done (`always`, or a forced sync) or started in the background
    /// (everysec) so far.
    pub fn fsyncs(&self) -> u64 {
        self.fsyncs
    }

    /// Writes `pending` whole or not at all, as Redis's `flushAppendOnlyFile()`:
    /// after a short write the file is truncated back to its previous size (the
    /// error is then ENOSPC, Redis's choice for short writes); if even that fails,
    /// the written prefix stays in the file and leaves the buffer, so a retry does
    /// not write it twice. The bytes stay pending for the next call either way.
    fn write_pending(&mut self) -> io::Result<()> {
        let mut written = 0;
        let failure = loop {
            if written == self.pending.len() {
                break None;
            }
            match self.file.write(&self.pending[written..]) {
                Ok(0) => break Some(io::Error::from_raw_os_error(ENOSPC)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if written == 0 => break Some(e),
                Err(_) => break Some(io::Error::from_raw_os_error(ENOSPC)),
            }
        };
        self.short_write = None;
        let Some(e) = failure else {
            self.size += written as u64;
            self.pending.clear();
            return Ok(());
        };
        if written > 0 {
            let mut short = ShortWrite {
                written,
                expected: self.pending.len(),
                truncate_error: None,
            };
            if let Err(e) = self.file.set_len(self.size) {
                short.truncate_error = Some(e.raw_os_error().unwrap_or(EIO));
                self.size += written as u64;
                self.pending.drain(..written);
            }
            self.short_write = Some(short);
        }
        Err(e)
    }

    /// everysec: starts a background fsync if a second has passed since the last.
    fn maybe_background_sync(&mut self, now: Instant) {
        let Some(syncer) = &self.syncer else {
            return;
        };
        if self.fsync_held {
            return;
        }
        if now.duration_since(self.last_sync) >= EVERYSEC && !syncer.busy() {
            syncer.request();
            self.fsyncs += 1;
            self.last_sync = now;
        }
    }

    /// Writes everything pending and fsyncs, whatever the policy (shutdown,
    /// switching files).
    pub fn sync_all(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.postponed_since = None;
        self.fsync_now(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrodis-aof-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("appendonly.aof.1.incr.aof")
    }

    #[test]
    fn every_policy_writes_what_was_fed() {
        for policy in [Fsync::Always, Fsync::Everysec, Fsync::No] {
            let path = temp(policy.name());
            let _ = std::fs::remove_file(&path);
            let mut a = Appender::open(&path, policy).unwrap();
            a.buffer().extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
            assert_eq!(a.size(), 14);
            let mut now = Instant::now();
            // everysec may postpone while its first fsync runs; it writes within 2 s.
            loop {
                match a.flush(now).unwrap() {
                    Flushed::Written => break,
                    Flushed::Postponed => now += Duration::from_millis(500),
                    Flushed::Nothing => panic!("bytes were pending"),
                }
            }
            assert_eq!(std::fs::read(&path).unwrap(), b"*1\r\n$4\r\nPING\r\n");
            assert_eq!(a.flush(now).unwrap(), Flushed::Nothing);
            drop(a);
            // Reopening appends after what is there.
            let mut a = Appender::open(&path, policy).unwrap();
            assert_eq!(a.size(), 14);
            a.buffer().extend_from_slice(b"x");
            a.sync_all().unwrap();
            assert_eq!(std::fs::read(&path).unwrap().len(), 15);
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn a_held_fsync_is_skipped_then_done_once_released() {
        for policy in [Fsync::Always, Fsync::Everysec] {
            let path = temp(&format!("held-{}", policy.name()));
            let _ = std::fs::remove_file(&path);
            let mut a = Appender::open(&path, policy).unwrap();
            let start = Instant::now();
            a.hold_fsync(true);
            for i in 0..3u64 {
                a.buffer().extend_from_slice(b"abc");
                let now = start + Duration::from_secs(2 * i + 2);
                assert_eq!(a.flush(now).unwrap(), Flushed::Written);
            }
            // Written, not fsynced.
            assert_eq!(std::fs::read(&path).unwrap(), b"abcabcabc");
            assert_eq!(a.fsyncs(), 0, "{policy:?}");
            a.hold_fsync(false);
            assert_eq!(
                a.flush(start + Duration::from_secs(10)).unwrap(),
                Flushed::Nothing
            );
            assert_eq!(a.fsyncs(), 1, "{policy:?}");
            drop(a);
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn everysec_postpones_at_most_two_seconds_behind_a_busy_fsync() {
        let path = temp("stall");
        let _ = std::fs::remove_file(&path);
        let mut a = Appender::open(&path, Fsync::Everysec).unwrap();
        let start = Instant::now();
        // Pretend the background fsync is stuck.
        a.syncer
            .as_ref()
            .unwrap()
            .in_progress
            .store(true, Ordering::Release);
        a.buffer().extend_from_slice(b"abc");
        assert_eq!(a.flush(start).unwrap(), Flushed::Postponed);
        assert_eq!(
            a.flush(start + Duration::from_millis(1999)).unwrap(),
            Flushed::Postponed
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        assert_eq!(
            a.flush(start + Duration::from_secs(2)).unwrap(),
            Flushed::Written
        );
        assert_eq!(a.delayed_fsyncs(), 1);
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        a.syncer
            .as_ref()
            .unwrap()
            .in_progress
            .store(false, Ordering::Release);
        std::fs::remove_file(&path).unwrap();
    }
}
