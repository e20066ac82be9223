//! AOF write errors and the MISCONF refusal they cause (Redis 7.0's
//! `flushAppendOnlyFile()` error handling and `writeCommandsDeniedByDiskError()`).
//!
//! With `appendfsync everysec` or `no`, a failed write leaves the bytes buffered,
//! sets `aof_last_write_status:err` and makes the server refuse writes (and PING)
//! with `-MISCONF Errors writing to the AOF file: <strerror>` until a retry
//! succeeds; the replies of the writes already applied still go out, as Redis
//! sends them. A failed background fsync (everysec) counts the same way until the
//! next one succeeds. With `always` the process exits (`writer::write_failed`).

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use ferrodis_aof::Appender;

use super::Aof;
use crate::shared::unix_time;

/// `AOF_WRITE_LOG_ERROR_RATE`: seconds between two logs of a failing write.
const LOG_ERROR_RATE_SECS: u64 = 30;

/// The error state of the AOF's writes.
#[derive(Debug)]
pub struct WriteStatus {
    /// `aof_last_write_status` (the write side).
    ok: AtomicBool,
    /// `aof_last_write_errno`.
    errno: AtomicI32,
    /// The errno of everysec's last background fsync, 0 if it worked
    /// (`aof_bio_fsync_status` / `aof_bio_fsync_errno`).
    fsync_errno: AtomicI32,
    /// Unix second of the last error logged.
    last_log: AtomicU64,
}

impl Default for WriteStatus {
    fn default() -> WriteStatus {
        WriteStatus {
            ok: AtomicBool::new(true),
            errno: AtomicI32::new(0),
            fsync_errno: AtomicI32::new(0),
            last_log: AtomicU64::new(0),
        }
    }
}

impl WriteStatus {
    /// `aof_last_write_status:ok`: the last write and background fsync worked.
    #[inline]
    pub fn ok(&self) -> bool {
        self.ok.load(Ordering::Relaxed) && self.fsync_errno.load(Ordering::Relaxed) == 0
    }

    /// A write went through: an error state ends, with Redis's log line.
    pub fn write_succeeded(&self) {
        if !self.ok.swap(true, Ordering::Relaxed) {
            tracing::warn!("AOF write error looks solved, Redis can write again.");
        }
    }

    /// A write failed (`e`, as the appender reported it): logged at most every
    /// 30 seconds, as Redis does.
    pub fn write_failed(&self, app: &Appender, e: &std::io::Error) {
        let errno = e.raw_os_error().unwrap_or(5);
        self.errno.store(errno, Ordering::Relaxed);
        self.ok.store(false, Ordering::Relaxed);
        let now = unix_time().as_secs();
        let last = self.last_log.load(Ordering::Relaxed);
        if now.saturating_sub(last) <= LOG_ERROR_RATE_SECS {
            return;
        }
        self.last_log.store(now, Ordering::Relaxed);
        match app.short_write() {
            None => tracing::warn!("Error writing to the AOF file: {}", strerror(errno)),
            Some(short) => {
                tracing::warn!(
                    "Short write while writing to the AOF file: (nwritten={}, expected={})",
                    short.written,
                    short.expected
                );
                if let Some(code) = short.truncate_error {
                    tracing::warn!(
                        "Could not remove short write from the append-only file.  Redis may \
                         refuse to load the AOF the next time it starts.  ftruncate: {}",
                        strerror(code)
                    );
                }
            }
        }
    }

    /// Takes the background fsync's state from the appender, logging a new failure.
    pub fn note_fsync(&self, app: &Appender) {
        let code = app
            .fsync_error()
            .map_or(0, |e| e.raw_os_error().unwrap_or(5));
        let before = self.fsync_errno.swap(code, Ordering::Relaxed);
        if code != 0 && before == 0 {
            tracing::warn!("Fail to fsync the AOF file: {}", strerror(code));
        }
    }

    /// The AOF starts again: past errors no longer count (Redis's
    /// `startAppendOnly()`, "AOF reopen, just ignore the last error.").
    pub fn reset(&self) {
        if self.fsync_errno.swap(0, Ordering::Relaxed) != 0 {
            tracing::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
        }
        if !self.ok.swap(true, Ordering::Relaxed) {
            tracing::warn!("AOF reopen, just ignore the last error.");
        }
    }

    /// The MISCONF text (without the `-`), naming the fsync's error when that is
    /// what failed, as Redis does.
    fn message(&self) -> String {
        let fsync = self.fsync_errno.load(Ordering::Relaxed);
        let errno = if self.ok.load(Ordering::Relaxed) && fsync != 0 {
            fsync
        } else {
            self.errno.load(Ordering::Relaxed)
        };
        format!(
            "MISCONF Errors writing to the AOF file: {}",
            strerror(errno)
        )
    }
}

impl Aof {
    /// Whether writes may have to be refused with MISCONF; cheap, checked per
    /// command.
    #[inline]
    pub fn may_refuse_writes(&self) -> bool {
        !self.status.ok()
    }

    /// Redis's `writeCommandsDeniedByDiskError()` for the AOF: the error to refuse
    /// writes with while the AOF is on and its last write (or background fsync)
    /// failed.
    pub fn write_error(&self) -> Option<String> {
        (self.enabled() && !self.status.ok()).then(|| self.status.message())
    }
}

/// The C library's text for `errno`, as Redis prints it.
fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_write_error_then_the_fsync_error() {
        let s = WriteStatus::default();
        assert!(s.ok());
        s.errno.store(27, Ordering::Relaxed);
        s.ok.store(false, Ordering::Relaxed);
        assert!(!s.ok());
        assert_eq!(
            s.message(),
            "MISCONF Errors writing to the AOF file: File too large"
        );
        s.write_succeeded();
        assert!(s.ok());
        s.fsync_errno.store(5, Ordering::Relaxed);
        assert!(!s.ok());
        assert_eq!(
            s.message(),
            "MISCONF Errors writing to the AOF file: Input/output error"
        );
        s.reset();
        assert!(s.ok());
    }

    #[test]
    fn strerror_has_no_rust_suffix() {
        assert_eq!(strerror(28), "No space left on device");
    }
}
