//! A progress line on stderr for big files, only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Files smaller than this finish before a progress line would help.
const MIN_SIZE: u64 = 8 * 1024 * 1024;
const EVERY: Duration = Duration::from_millis(200);

/// Redraws "label  42% (12.3 / 29.0 MB)" at most five times a second.
#[derive(Debug)]
pub(crate) struct Progress {
    label: &'static str,
    total: u64,
    last: Instant,
    shown: bool,
    enabled: bool,
}

impl Progress {
    pub(crate) fn new(label: &'static str, total: u64) -> Progress {
        Progress {
            label,
            total,
            last: Instant::now(),
            shown: false,
            enabled: total >= MIN_SIZE && std::io::stderr().is_terminal(),
        }
    }

    /// Reports that `done` bytes were read; cheap when nothing is drawn.
    pub(crate) fn update(&mut self, done: u64) {
        if !self.enabled || self.last.elapsed() < EVERY {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let percent = done.saturating_mul(100) / self.total.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} {percent:3}% ({:.1} / {:.1} MB)",
            self.label,
            done as f64 / 1e6,
            self.total as f64 / 1e6
        );
        let _ = err.flush();
    }

    /// Clears the line.
    pub(crate) fn done(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r{:60}\r", "");
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done();
    }
}
