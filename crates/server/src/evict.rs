//! `maxmemory`: Redis 7.0's `performEvictions()`. The keyspace chooses and deletes
//! keys ([`Keyspace::evict_one`]); this side measures memory with the counting
//! allocator, frees what is over the limit, and bounds the time one call may take
//! (`maxmemory-eviction-tenacity`), leaving the rest to the cron (Redis's
//! `evictionTimeProc`). The OOM rejection that uses the outcome is in
//! `commands/oom.rs`.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use ferrodis_keyspace::{Keyspace, MaxmemoryPolicy};

use crate::alloc;
use crate::config::Config;

/// Keys evicted between two looks at the clock (Redis checks every 16).
const KEYS_PER_TIME_CHECK: u64 = 16;

/// What one call of [`perform`] achieved (Redis's `EVICT_OK`, `EVICT_RUNNING`,
/// `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or no limit, or memory cannot be measured).
    Ok,
    /// Still over the limit but keys remain to evict: the cron goes on. Commands are
    /// not refused.
    Running,
    /// Over the limit with nothing (more) to evict: commands that may use more
    /// memory get the OOM error.
    Fail,
}

/// The limits, whether eviction is still at work and how long the limit has been
/// exceeded, for the dispatcher, the cron and INFO stats.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// `maxmemory` in bytes, 0 = no limit. Atomics rather than cached settings: a
    /// CONFIG SET applies to every client's next command.
    maxmemory: AtomicU64,
    /// `maxmemory-samples`.
    samples: AtomicU32,
    /// `maxmemory-eviction-tenacity`.
    tenacity: AtomicU32,
    /// The cron must keep evicting (Redis's `isEvictionProcRunning`).
    running: AtomicBool,
    /// Whether `exceeded_since` is set, readable without the lock.
    exceeded: AtomicBool,
    /// Since when memory has been over the limit (`stat_last_eviction_exceeded_time`).
    exceeded_since: Mutex<Option<Instant>>,
    /// Time over the limit in finished episodes, in µs
    /// (`stat_total_eviction_exceeded_time`).
    total_exceeded_us: AtomicU64,
}

impl EvictionState {
    /// Takes the `maxmemory*` values of `config`.
    pub fn configure(&self, config: &Config) {
        let samples = config
            .get_int("maxmemory-samples")
            .clamp(1, i64::from(u32::MAX));
        let tenacity = config.get_int("maxmemory-eviction-tenacity").clamp(0, 100);
        self.samples.store(samples as u32, Ordering::Relaxed);
        self.tenacity.store(tenacity as u32, Ordering::Relaxed);
        self.maxmemory
            .store(config.get_u64("maxmemory"), Ordering::Relaxed);
    }

    /// `maxmemory`, 0 when there is no limit.
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    /// Whether the cron should call [`perform`] again without waiting.
    pub fn running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// The cron finished an episode (Ok or Fail).
    pub fn stop_running(&self) {
        self.running.store(false, Ordering::Relaxed);
    }

    /// INFO's `total_eviction_exceeded_time` and `current_eviction_exceeded_time`,
    /// in ms: the total includes the current episode, as in Redis.
    pub fn exceeded_ms(&self) -> (u64, u64) {
        let current = self
            .since()
            .map_or(0, |since| since.elapsed().as_micros() as u64);
        let total = self.total_exceeded_us.load(Ordering::Relaxed) + current;
        (total / 1000, current / 1000)
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        self.total_exceeded_us.store(0, Ordering::Relaxed);
        *self.lock() = None;
        self.exceeded.store(false, Ordering::Relaxed);
    }

    fn since(&self) -> Option<Instant> {
        if !self.exceeded.load(Ordering::Relaxed) {
            return None;
        }
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.exceeded_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// `performEvictions()`'s `update_metrics`: an episode starts at the first
    /// Running or Fail and ends at the next Ok.
    fn record(&self, outcome: Outcome) {
        let over = outcome != Outcome::Ok;
        if over == self.exceeded.load(Ordering::Relaxed) {
            return;
        }
        let mut since = self.lock();
        match (*since, over) {
            (None, true) => *since = Some(Instant::now()),
            (Some(start), false) => {
                let us = start.elapsed().as_micros() as u64;
                self.total_exceeded_us.fetch_add(us, Ordering::Relaxed);
                *since = None;
            }
            _ => {}
        }
        self.exceeded.store(since.is_some(), Ordering::Relaxed);
    }
}

/// The figure `maxmemory` is compared with: the allocator's live bytes, exact for
/// this thread's own frees. Redis subtracts the replicas' output buffers and the AOF
/// buffer (`freeMemoryGetNotCountedMemory()`, INFO's `mem_not_counted_for_evict`),
/// so that propagating DELs cannot feed more eviction; ferrodis has neither buffer
/// yet. `None` when the counting allocator is not installed.
pub fn used_memory() -> Option<u64> {
    alloc::allocated()
}

/// The time one call may spend evicting (`evictionTimeLimitUs()`): 50 µs per step
/// of tenacity up to 10 (500 µs by default), then 15% more per step, and no limit
/// at 100.
pub fn time_limit(tenacity: u32) -> Option<Duration> {
    match tenacity {
        0..=10 => Some(Duration::from_micros(50 * u64::from(tenacity))),
        11..=99 => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        )),
        _ => None,
    }
}

/// Redis's `performEvictions()`: if memory is over `maxmemory`, evict keys by the
/// policy until what their deletion freed covers the excess, for at most the
/// tenacity's time limit (checked every 16 keys; past it, the cron continues).
/// Every command runs this first when `maxmemory` is set, and the cron after a
/// `Running` outcome or a new limit.
///
/// `keyspace` gives the keyspace, locking it if need be: it is called only when
/// memory is over the limit, so that a command under the limit pays two atomic
/// loads and takes no lock.
pub fn perform<'k>(state: &EvictionState, keyspace: impl FnOnce() -> &'k mut Keyspace) -> Outcome {
    let outcome = evict(state, keyspace);
    state.record(outcome);
    outcome
}

fn evict<'k>(state: &EvictionState, keyspace: impl FnOnce() -> &'k mut Keyspace) -> Outcome {
    let maxmemory = state.maxmemory();
    if maxmemory == 0 {
        return Outcome::Ok;
    }
    let Some(used) = used_memory() else {
        static WARN: Once = Once::new();
        WARN.call_once(|| {
            tracing::warn!(
                "maxmemory is set but memory is not measured: install \
                 ferrodis_server::CountingAlloc as the global allocator"
            );
        });
        return Outcome::Ok;
    };
    if used <= maxmemory {
        return Outcome::Ok;
    }
    let keyspace = keyspace();
    if keyspace.tunables().maxmemory_policy == MaxmemoryPolicy::NoEviction {
        return Outcome::Fail;
    }
    let to_free = used - maxmemory;
    let limit = time_limit(state.tenacity.load(Ordering::Relaxed));
    let samples = state.samples.load(Ordering::Relaxed) as usize;
    let start = Instant::now();
    let (mut freed, mut keys) = (0i64, 0u64);
    while freed < i64::try_from(to_free).unwrap_or(i64::MAX) {
        // Only the deletion itself counts, as in Redis: the DEL it propagates may
        // even take more memory than the key freed.
        let before = used_memory().unwrap_or(used);
        let Some(evicted) = keyspace.evict_one(samples) else {
            return Outcome::Fail;
        };
        // The "evicted" keyspace notification would be published here, with
        // `evicted.db` and `evicted.key`, once notifications exist.
        drop(evicted);
        freed += before as i64 - used_memory().unwrap_or(before) as i64;
        keys += 1;
        if keys % KEYS_PER_TIME_CHECK == 0 && limit.is_some_and(|l| start.elapsed() > l) {
            state.running.store(true, Ordering::Relaxed);
            return Outcome::Running;
        }
    }
    if state.running() {
        Outcome::Running
    } else {
        Outcome::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_time_limits_match_redis() {
        assert_eq!(time_limit(0), Some(Duration::ZERO));
        assert_eq!(time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(time_limit(11), Some(Duration::from_micros(575)));
        // "About 2 minutes" at 99: 500 µs * 1.15^89.
        let at_99 = time_limit(99).map(|d| d.as_secs());
        assert_eq!(at_99, Some(126));
        assert_eq!(time_limit(100), None);
    }

    #[test]
    fn exceeded_time_accumulates_per_episode() {
        let state = EvictionState::default();
        assert_eq!(state.exceeded_ms(), (0, 0));
        state.record(Outcome::Fail);
        assert!(state.since().is_some());
        state.record(Outcome::Running);
        state.record(Outcome::Ok);
        assert!(state.since().is_none());
        state.record(Outcome::Ok);
        state.reset();
        assert_eq!(state.exceeded_ms(), (0, 0));
    }

    #[test]
    fn no_limit_means_nothing_to_do() {
        let mut ks = Keyspace::new(1);
        let state = EvictionState::default();
        state.configure(&Config::default());
        assert_eq!(state.maxmemory(), 0);
        assert_eq!(perform(&state, || &mut ks), Outcome::Ok);
        assert!(!state.running());
    }
}
