//! The start-up load as clients see it, as Redis 7.0 shows it (`server.loading`):
//! connections are accepted while the dataset loads, commands without the
//! `loading` flag get `-LOADING Redis is loading the dataset in memory`
//! (`processCommand()`), and INFO persistence reports `loading:1` with the
//! progress fields client libraries poll (`loading_eta_seconds`).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::shared::unix_time;

/// Redis's `shared.loadingerr`.
pub const LOADING_ERR: &str = "LOADING Redis is loading the dataset in memory";

/// Progress of the load in progress, if any.
#[derive(Debug, Default)]
pub struct Loading {
    active: AtomicBool,
    /// `loading_start_time`, unix seconds.
    started: AtomicI64,
    /// `loading_total_bytes`.
    total: AtomicU64,
    /// `loading_loaded_bytes`.
    loaded: AtomicU64,
    /// `loading_rdb_used_mem`: the `used-mem` aux field of the RDB being read.
    rdb_used_mem: AtomicU64,
    /// `key-load-delay`, microseconds per key (negative: sleep 1 µs with a
    /// probability of 1/-n, Redis's `debugDelay()`).
    key_delay: AtomicI64,
    keys: AtomicU64,
    /// A shutdown was asked for during the load: it stops, and the server exits
    /// without saving (Redis's `whileBlockedCron()` with `SHUTDOWN_NOSAVE`).
    aborted: AtomicBool,
}

impl Loading {
    /// The server starts up: commands get `-LOADING` until [`Loading::end`].
    pub fn begin(&self, key_delay: i64) {
        self.key_delay.store(key_delay, Ordering::Relaxed);
        self.start(0);
        self.active.store(true, Ordering::Release);
    }

    /// Reading `total` bytes of files starts (Redis's `startLoading()`).
    pub fn start(&self, total: u64) {
        self.started
            .store(unix_time().as_secs() as i64, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.loaded.store(0, Ordering::Relaxed);
        self.rdb_used_mem.store(0, Ordering::Relaxed);
    }

    /// The load is over (`stopLoading()`).
    pub fn end(&self) {
        self.active.store(false, Ordering::Release);
    }

    /// `loading:1`.
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// `loaded` bytes of the total are in.
    pub fn progress(&self, loaded: u64) {
        self.loaded.store(loaded, Ordering::Relaxed);
    }

    /// The RDB's `used-mem` aux field.
    pub fn set_rdb_used_mem(&self, bytes: u64) {
        self.rdb_used_mem.store(bytes, Ordering::Relaxed);
    }

    /// Stops the load: SHUTDOWN or a signal during it.
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    /// Whether a shutdown stopped the load.
    pub fn aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Called before each command of an AOF: an error once the load is aborted.
    pub fn check(&self) -> Result<(), String> {
        if self.aborted.load(Ordering::Relaxed) {
            return Err("loading stopped by a shutdown".to_string());
        }
        Ok(())
    }

    /// Called once per key loaded: an error once the load is aborted, and
    /// `key-load-delay`, which Redis's tests use to make a load last long enough
    /// to watch.
    pub fn key_loaded(&self) -> Result<(), String> {
        self.check()?;
        let delay = self.key_delay.load(Ordering::Relaxed);
        if delay == 0 {
            return Ok(());
        }
        let micros = if delay > 0 {
            delay as u64
        } else {
            let n = self.keys.fetch_add(1, Ordering::Relaxed);
            u64::from(n % delay.unsigned_abs() == 0)
        };
        if micros > 0 {
            std::thread::sleep(Duration::from_micros(micros));
        }
        Ok(())
    }

    /// The INFO persistence fields Redis adds while loading (after the AOF's).
    pub fn write_info(&self, f: &mut dyn FnMut(&str, &dyn std::fmt::Display)) {
        if !self.active() {
            return;
        }
        let started = self.started.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let loaded = self.loaded.load(Ordering::Relaxed).min(total);
        let elapsed = unix_time().as_secs() as i64 - started;
        // Redis: a fake 1 second until there is something to extrapolate from.
        let eta = if elapsed <= 0 {
            1
        } else {
            (elapsed as u128 * u128::from(total - loaded) / u128::from(loaded + 1)) as i64
        };
        f("loading_start_time", &started);
        f("loading_total_bytes", &total);
        f(
            "loading_rdb_used_mem",
            &self.rdb_used_mem.load(Ordering::Relaxed),
        );
        f("loading_loaded_bytes", &loaded);
        f(
            "loading_loaded_perc",
            &format!("{:.2}", loaded as f64 * 100.0 / (total as f64 + 1.0)),
        );
        f("loading_eta_seconds", &eta);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fields(l: &Loading) -> Vec<(String, String)> {
        let mut out = Vec::new();
        l.write_info(&mut |k, v| out.push((k.to_string(), v.to_string())));
        out
    }

    #[test]
    fn fields_only_while_loading() {
        let l = Loading::default();
        assert!(fields(&l).is_empty());
        l.begin(0);
        l.start(1000);
        l.progress(250);
        let f = fields(&l);
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "loading_start_time",
                "loading_total_bytes",
                "loading_rdb_used_mem",
                "loading_loaded_bytes",
                "loading_loaded_perc",
                "loading_eta_seconds"
            ]
        );
        assert_eq!(f[1].1, "1000");
        assert_eq!(f[3].1, "250");
        assert_eq!(f[4].1, "24.98");
        l.end();
        assert!(fields(&l).is_empty());
    }
}
