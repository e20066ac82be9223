//! Active expiry: reclaiming expired keys nobody reads, like Redis's `activeExpireCycle()`.

use std::time::{Duration, Instant};

use crate::keyspace::Keyspace;

/// Keys sampled per database per round (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
const KEYS_PER_LOOP: usize = 20;
/// A database gets another round while more than this percentage of the sampled keys
/// had expired (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE` at the default effort; it was
/// 25% before Redis 6.0).
const ACCEPTABLE_STALE: usize = 10;
/// Databases visited per call (`CRON_DBS_PER_CALL`).
const DBS_PER_CALL: usize = 16;
/// The time budget is checked every this many rounds, as in Redis.
const TIME_CHECK_EVERY: u64 = 16;

/// How much work one [`Keyspace::active_expire_cycle`] call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireBudget {
    /// Stop once this much wall time has passed. Redis's slow cycle gets 25% of a
    /// cron tick (25 ms at `hz 10`), its fast cycle 1 ms.
    Time(Duration),
    /// Stop once this many keys have been sampled; deterministic, for tests and for
    /// callers that measure time themselves.
    Keys(usize),
}

impl Keyspace {
    /// Deletes expired keys that nobody reads, the way Redis's `activeExpireCycle()`
    /// does: for each database in turn (up to 16 per call, resuming where the last
    /// call stopped), sample 20 keys that have a TTL, delete the expired ones, and go
    /// again while more than 10% of the sample had expired, until the budget runs
    /// out. Returns the number of keys deleted.
    ///
    /// `now_ms` is the time to expire against; it is taken as is, not from the clock.
    /// It also becomes the time of access stamps (OBJECT IDLETIME) until the next
    /// call, as Redis's `serverCron()` refreshes its cached LRU clock.
    pub fn active_expire_cycle(&mut self, now_ms: i64, budget: ExpireBudget) -> usize {
        if self.expiry != crate::keyspace::Expiry::Master {
            // Replicas wait for their master's DELs (Redis's `activeExpireCycle` runs
            // only `if (iAmMaster())`).
            return 0;
        }
        self.access = crate::access::AccessClock::at(now_ms);
        let start = Instant::now();
        let ndbs = self.dbs.len();
        // After running out of budget, visit every database next time.
        let dbs_per_call = if self.expire_timelimit_exit {
            ndbs
        } else {
            DBS_PER_CALL.min(ndbs)
        };
        self.expire_timelimit_exit = false;
        let (mut total_sampled, mut total_expired, mut iteration) = (0usize, 0usize, 0u64);

        for _ in 0..dbs_per_call {
            if self.expire_timelimit_exit {
                break;
            }
            let db_index = self.expire_next_db % ndbs;
            let db = &mut self.dbs[db_index];
            self.expire_next_db = (self.expire_next_db + 1) % ndbs;
            // Each deleted key is propagated as DEL and touches WATCH, as Redis's
            // `deleteExpiredKeyAndPropagate` does.
            let fx = &mut self.fx;
            let mut on_expired = |key: &[u8]| fx.expired(db_index, key);
            loop {
                iteration += 1;
                if db.expires_len() == 0 {
                    db.avg_ttl = 0;
                    break;
                }
                let sample = db.sample_expires(now_ms, KEYS_PER_LOOP, &mut on_expired);
                total_sampled += sample.sampled;
                total_expired += sample.expired;
                if sample.ttl_samples > 0 {
                    // Redis's running average: 2% weight for the new estimate.
                    let avg = sample.ttl_sum / sample.ttl_samples;
                    if db.avg_ttl == 0 {
                        db.avg_ttl = avg;
                    }
                    db.avg_ttl = (db.avg_ttl / 50) * 49 + avg / 50;
                }
                let out_of_budget = match budget {
                    ExpireBudget::Time(limit) => {
                        iteration % TIME_CHECK_EVERY == 0 && start.elapsed() > limit
                    }
                    ExpireBudget::Keys(limit) => total_sampled >= limit,
                };
                if out_of_budget {
                    self.expire_timelimit_exit = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break;
                }
                if sample.sampled == 0 || sample.expired * 100 / sample.sampled <= ACCEPTABLE_STALE
                {
                    break;
                }
            }
        }

        self.stats.expired_keys += total_expired as u64;
        let current = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        // Redis keeps the fraction and prints it multiplied by 100.
        self.stats.expired_stale_perc =
            current * 100.0 * 0.05 + self.stats.expired_stale_perc * 0.95;
        self.expire_time_used_us += start.elapsed().as_micros() as u64;
        self.stats.expire_cycle_cpu_milliseconds = self.expire_time_used_us / 1000;
        total_expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{int, Harness};

    fn fill(h: &mut Harness, n: usize, px: Option<i64>) {
        for i in 0..n {
            let line = match px {
                Some(px) => format!("set key:{i} v px {px}"),
                None => format!("set key:{i} v"),
            };
            h.run(&line);
        }
    }

    #[test]
    fn expires_all_expired_keys_given_enough_budget() {
        let mut h = Harness::new();
        fill(&mut h, 1000, Some(100));
        h.run("set keep v");
        h.run("set later v px 1000000");
        let now = h.ks.now_ms() + 200;
        let mut total = 0;
        for _ in 0..100 {
            total += h.ks.active_expire_cycle(now, ExpireBudget::Keys(10_000));
        }
        // Sampling stops once at most 10% of a sample is expired, so a few may remain.
        assert!(total >= 900, "{total}");
        assert_eq!(h.ks.stats().expired_keys, total as u64);
        assert_eq!(h.ks.dbsize(0), 1002 - total);
        assert!(h.ks.db_info(0).avg_ttl > 0);
    }

    #[test]
    fn key_budget_bounds_the_work() {
        let mut h = Harness::new();
        fill(&mut h, 500, Some(100));
        let now = h.ks.now_ms() + 200;
        let expired = h.ks.active_expire_cycle(now, ExpireBudget::Keys(40));
        assert_eq!(expired, 40);
        assert_eq!(h.ks.stats().expired_time_cap_reached_count, 1);
        assert_eq!(h.ks.dbsize(0), 460);
    }

    #[test]
    fn keys_without_ttl_are_never_touched() {
        let mut h = Harness::new();
        fill(&mut h, 100, None);
        let now = h.ks.now_ms() + 1_000_000;
        assert_eq!(
            h.ks.active_expire_cycle(now, ExpireBudget::Time(Duration::from_millis(25))),
            0
        );
        assert_eq!(h.ks.dbsize(0), 100);
        assert_eq!(h.ks.db_info(0).avg_ttl, 0);
    }

    #[test]
    fn nothing_expires_before_its_time() {
        let mut h = Harness::new();
        fill(&mut h, 100, Some(100));
        let now = h.ks.now_ms() + 100; // exactly the expiry time: still alive
        assert_eq!(h.ks.active_expire_cycle(now, ExpireBudget::Keys(1000)), 0);
        assert_eq!(h.run("dbsize"), int(100));
    }

    #[test]
    fn visits_other_databases() {
        let mut h = Harness::new();
        h.run("select 5");
        fill(&mut h, 10, Some(1));
        let now = h.ks.now_ms() + 10;
        assert_eq!(h.ks.active_expire_cycle(now, ExpireBudget::Keys(1000)), 10);
        assert_eq!(h.ks.db_info(5).keys, 0);
    }
}
