//! Per-key access tracking behind OBJECT IDLETIME and OBJECT FREQ (and, later, eviction):
//! Redis's 24-bit `lru` field, which holds either an LRU clock in seconds or, under
//! an LFU `maxmemory-policy`, a minutes timestamp and a logarithmic access counter.
//!
//! ```text
//! LRU:  <24 bits: Unix seconds, wrapping>
//! LFU:  <16 bits: Unix minutes, wrapping><8 bits: counter>
//! ```
//!
//! As in Redis, the field is reinterpreted when the policy changes at runtime, which
//! is what the "will take some time to adjust" in OBJECT's errors is about.

use crate::keyspace::next_random;
use crate::tunables::Tunables;

/// `LRU_CLOCK_MAX`: the largest value of the 24-bit field.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LFU_INIT_VAL`: the counter of a new key, so that it is not evicted at once.
const LFU_INIT_VAL: u32 = 5;

/// The time access stamps are taken from. Like Redis's `server.lruclock` and
/// `server.unixtime` it is cached, refreshed by the periodic task (and when the clock
/// is replaced), so that a lookup never reads the system clock.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AccessClock {
    /// Unix seconds modulo 2^24 (`LRU_CLOCK()`, 1 s resolution).
    lru: u32,
    /// Unix minutes modulo 2^16 (`LFUGetTimeInMinutes()`).
    minutes: u32,
}

impl AccessClock {
    pub(crate) fn at(unix_ms: i64) -> AccessClock {
        let secs = unix_ms.max(0) as u64 / 1000;
        AccessClock {
            lru: (secs & u64::from(LRU_CLOCK_MAX)) as u32,
            minutes: ((secs / 60) & 0xFFFF) as u32,
        }
    }

    /// The stamp of a new key (Redis's `createObject()`).
    pub(crate) fn initial(self, tunables: &Tunables) -> u32 {
        if tunables.maxmemory_policy.is_lfu() {
            (self.minutes << 8) | LFU_INIT_VAL
        } else {
            self.lru
        }
    }

    /// The stamp after an access (the update in Redis's `lookupKey()`): the current
    /// clock, or the LFU counter decayed and then maybe incremented.
    pub(crate) fn touched(self, stamp: u32, tunables: &Tunables, random: &mut u64) -> u32 {
        if !tunables.maxmemory_policy.is_lfu() {
            return self.lru;
        }
        let counter = self.lfu_counter(stamp, tunables);
        let counter = lfu_log_incr(counter, tunables.lfu_log_factor, next_random(random));
        (self.minutes << 8) | counter
    }

    /// Seconds since the access recorded in an LRU stamp (Redis's
    /// `estimateObjectIdleTime() / 1000`); the clock wraps every 194 days.
    pub(crate) fn idle_seconds(self, stamp: u32) -> u64 {
        let stamp = stamp & LRU_CLOCK_MAX;
        if self.lru >= stamp {
            u64::from(self.lru - stamp)
        } else {
            u64::from(self.lru) + u64::from(LRU_CLOCK_MAX - stamp)
        }
    }

    /// The counter of an LFU stamp after its decay (Redis's `LFUDecrAndReturn()`):
    /// minus one per `lfu-decay-time` minutes since the last access.
    pub(crate) fn lfu_counter(self, stamp: u32, tunables: &Tunables) -> u32 {
        let last = (stamp >> 8) & 0xFFFF;
        let counter = stamp & 0xFF;
        let elapsed = if self.minutes >= last {
            self.minutes - last
        } else {
            65535 - last + self.minutes
        };
        let periods = match tunables.lfu_decay_time {
            0 => 0,
            decay => u64::from(elapsed) / decay,
        };
        counter.saturating_sub(u32::try_from(periods).unwrap_or(u32::MAX))
    }
}

impl AccessClock {
    /// The stamp RESTORE gives a key (Redis's `objectSetLRUOrLFU()`): under an LFU
    /// policy FREQ sets the counter; otherwise IDLETIME backdates the access by that
    /// many seconds, or, past the start of the wrapping clock, lands half-way round
    /// it so the key still looks long idle. `None`: keep a new key's stamp.
    pub(crate) fn restored(
        self,
        tunables: &Tunables,
        freq: Option<u8>,
        idle_secs: Option<u64>,
    ) -> Option<u32> {
        if tunables.maxmemory_policy.is_lfu() {
            return freq.map(|f| (self.minutes << 8) | u32::from(f));
        }
        let idle = idle_secs?;
        let clock = u64::from(self.lru);
        Some(match clock.checked_sub(idle) {
            Some(at) => at as u32,
            None => ((clock + u64::from(LRU_CLOCK_MAX / 2)) % u64::from(LRU_CLOCK_MAX)) as u32,
        })
    }
}

/// Redis's `LFULogIncr()`: the counter grows with probability
/// 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1), up to 255. `random` is a
/// uniformly random number.
fn lfu_log_incr(counter: u32, log_factor: u64, random: u64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let r = (random >> 11) as f64 / (1u64 << 53) as f64;
    let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tunables::MaxmemoryPolicy;

    fn lfu() -> Tunables {
        Tunables {
            maxmemory_policy: MaxmemoryPolicy::AllkeysLfu,
            ..Tunables::default()
        }
    }

    #[test]
    fn lru_stamps_and_idle_time() {
        let t = Tunables::default();
        let clock = AccessClock::at(1_700_000_000_000);
        let stamp = clock.initial(&t);
        assert_eq!(stamp, (1_700_000_000 % (1 << 24)) as u32);
        let later = AccessClock::at(1_700_000_123_999);
        assert_eq!(later.idle_seconds(stamp), 123);
        assert_eq!(later.touched(stamp, &t, &mut 1), later.lru);
        // Across the wrap of the 24-bit clock.
        let before_wrap = AccessClock {
            lru: LRU_CLOCK_MAX - 5,
            minutes: 0,
        };
        let after_wrap = AccessClock {
            lru: 10,
            minutes: 0,
        };
        assert_eq!(after_wrap.idle_seconds(before_wrap.lru), 15);
    }

    #[test]
    fn lfu_counters_grow_logarithmically_and_decay() {
        let t = lfu();
        let clock = AccessClock::at(1_700_000_000_000);
        let mut stamp = clock.initial(&t);
        assert_eq!(clock.lfu_counter(stamp, &t), LFU_INIT_VAL);
        let mut random = 42;
        for _ in 0..100 {
            stamp = clock.touched(stamp, &t, &mut random);
        }
        let counter = clock.lfu_counter(stamp, &t);
        // With lfu-log-factor 10, 100 hits give a counter around 10 (Redis's table).
        assert!((8..=14).contains(&counter), "{counter}");
        for _ in 0..1_000_000 {
            stamp = clock.touched(stamp, &t, &mut random);
        }
        assert!(clock.lfu_counter(stamp, &t) > 100);
        let three_minutes_later = AccessClock::at(1_700_000_180_000);
        assert_eq!(
            three_minutes_later.lfu_counter(stamp, &t),
            clock.lfu_counter(stamp, &t) - 3
        );
        let no_decay = Tunables {
            lfu_decay_time: 0,
            ..lfu()
        };
        assert_eq!(
            three_minutes_later.lfu_counter(stamp, &no_decay),
            clock.lfu_counter(stamp, &t)
        );
        assert_eq!(lfu_log_incr(255, 10, 0), 255);
    }
}
