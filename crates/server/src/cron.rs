//! The periodic work Redis does in `serverCron`, `hz` times a second: active expiry,
//! the instantaneous metrics, eviction left over by commands, RDB saves (save
//! rules, scheduled BGSAVE) and AOF rewrites (scheduled or automatic).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use ferrodis_keyspace::ExpireBudget;

use crate::evict::{self, Outcome};
use crate::shared::{unix_time, Shared};

/// Share of each cron tick active expiry may take (Redis's
/// ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC is 25%).
const EXPIRE_TIME_PERC: u32 = 25;

/// Run until the task is dropped.
pub async fn run(shared: Arc<Shared>) {
    let mut sample_due = tokio::time::Instant::now();
    loop {
        let hz = shared.settings().0.hz.max(1);
        let period = Duration::from_micros(1_000_000 / hz);
        tokio::time::sleep(period).await;
        {
            let now_ms = unix_time().as_millis() as i64;
            let budget = period * EXPIRE_TIME_PERC / 100;
            let mut keyspace = shared.keyspace();
            if shared.active_expire.load(Ordering::Relaxed) {
                keyspace.active_expire_cycle(now_ms, ExpireBudget::Time(budget));
            }
            shared.propagation.flush(&mut keyspace);
            if keyspace.has_notifications() {
                // Published under the keyspace lock, so that they stay in order with
                // the notifications of commands.
                let limits = shared.settings().0.obuf_pubsub;
                crate::notify::publish(&shared.pubsub, &mut keyspace, limits);
            }
        }
        if shared.eviction.maxmemory() > 0 {
            evict(&shared).await;
        }
        crate::save::cron(&shared);
        crate::aof::cron(&shared);
        // Redis samples instantaneous metrics every 100 ms whatever hz is.
        if tokio::time::Instant::now() >= sample_due {
            shared.stats.sample();
            sample_due += Duration::from_millis(100);
        }
    }
}

/// Redis's `evictionTimeProc`: while memory is over `maxmemory` and keys remain,
/// evict in rounds of the tenacity's time limit, letting clients in between. Also
/// what makes a lowered `maxmemory` (CONFIG SET) take effect without a command.
async fn evict(shared: &Shared) {
    loop {
        let outcome = {
            // Locked only if memory is over the limit; released before any await.
            let mut keyspace = None;
            let outcome = evict::perform(&shared.eviction, || {
                &mut **keyspace.insert(shared.keyspace())
            });
            if let Some(keyspace) = keyspace.as_deref_mut() {
                shared.propagation.flush(keyspace);
            }
            outcome
        };
        if outcome != Outcome::Running {
            shared.eviction.stop_running();
            return;
        }
        tokio::task::yield_now().await;
    }
}
