//! Backing off from rewrites that keep failing (Redis 7.0's `aofRewriteLimited()`).
//!
//! After 3 consecutive failures, the cron's rewrites (automatic or scheduled) wait:
//! 1 minute, then twice as long at each new limit, at most an hour, with a warning
//! each time a wait begins. When a wait is over one rewrite may start; if it fails
//! too, the next wait begins. BGREWRITEAOF run by hand is never limited (when it has
//! to be scheduled, it resets the count so the cron starts it at once).

use std::sync::Mutex;

/// `AOF_REWRITE_LIMITE_THRESHOLD`.
const THRESHOLD: u64 = 3;
/// `AOF_REWRITE_LIMITE_MAX_MINUTES`.
const MAX_MINUTES: u64 = 60;

/// The back-off state.
#[derive(Debug, Default)]
pub struct RewriteLimit(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    /// The wait chosen last, in minutes (0: not limited).
    delay_minutes: u64,
    /// Unix second the current wait ends; 0 when none runs.
    until: u64,
}

impl RewriteLimit {
    /// Whether a cron rewrite must wait, given the consecutive failures so far and
    /// the time; starts (and logs) a new wait when one is due.
    pub fn limited(&self, failures: u64, now_secs: u64) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if failures < THRESHOLD {
            *s = State::default();
            return false;
        }
        if s.until != 0 {
            if now_secs < s.until {
                return true;
            }
            s.until = 0;
            return false;
        }
        s.delay_minutes = if s.delay_minutes == 0 {
            1
        } else {
            (s.delay_minutes * 2).min(MAX_MINUTES)
        };
        s.until = now_secs + s.delay_minutes * 60;
        tracing::warn!(
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
            s.delay_minutes
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour_and_reset_below_the_threshold() {
        let limit = RewriteLimit::default();
        assert!(!limit.limited(0, 100));
        assert!(!limit.limited(2, 100));
        let mut now = 1000;
        let mut waits = Vec::new();
        for _ in 0..9 {
            assert!(limit.limited(3, now), "a wait begins");
            let start = now;
            while limit.limited(3, now) {
                now += 30;
            }
            // The wait is over: one rewrite may run (and fails again).
            waits.push((now - start) / 60);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // A success (or BGREWRITEAOF scheduled) resets everything.
        assert!(!limit.limited(0, now));
        assert!(limit.limited(5, now));
        assert!(limit.limited(5, now + 59));
        assert!(!limit.limited(5, now + 60));
    }
}
