//! Redis's `replicationCron`, once a second: PING replicas every
//! `repl-ping-replica-period` (in the stream, so it counts in offsets), drop
//! replicas silent for `repl-timeout`, free the backlog `repl-backlog-ttl` after the
//! last replica left, resize it after CONFIG SET, refresh min-replicas and the
//! READONLY / MASTERDOWN flags.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodis_replication::LinkState;

use super::now_ms;
use crate::shared::Shared;

/// Runs until aborted.
pub async fn run(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut seconds: u64 = 0;
    loop {
        tick.tick().await;
        seconds += 1;
        step(&shared, seconds);
    }
}

fn step(shared: &Arc<Shared>, seconds: u64) {
    let (ping_period, timeout_secs, ttl, min_write, max_lag, backlog_size) = {
        let c = shared.config();
        (
            c.get_int("repl-ping-replica-period").max(1) as u64,
            c.get_int("repl-timeout").max(1),
            c.get_int("repl-backlog-ttl").max(0) as u64,
            c.get_int("min-replicas-to-write").max(0) as usize,
            c.get_int("min-replicas-max-lag").max(0),
            super::stream::backlog_size_of(&c),
        )
    };
    let now = now_ms();
    let obuf = {
        let l = shared
            .config()
            .client_output_buffer_limit(crate::config::ClientClass::Replica);
        (l.hard, l.soft, l.soft_seconds)
    };
    let mut state = shared.replication.state();
    state.obuf_limit = obuf;
    state.history.resize_backlog(backlog_size);
    let is_master = state.master.is_none();
    if is_master && !state.replicas.is_empty() && seconds % ping_period == 0 {
        drop(state);
        super::stream::feed_command(&shared.replication, &[b"PING"]);
        state = shared.replication.state();
    }
    for r in &state.replicas {
        if r.info.state == LinkState::Online && now - r.info.ack_time_ms > timeout_secs * 1000 {
            tracing::warn!(
                "Disconnecting timedout replica (streaming sync): {}",
                r.info.ip
            );
            r.outbox.close();
            r.client.kill();
        }
    }
    if is_master && ttl > 0 && state.history.backlog().is_some() {
        let idle = state
            .no_replicas_since
            .is_some_and(|t| t.elapsed() >= Duration::from_secs(ttl));
        if state.replicas.is_empty() && idle {
            tracing::info!(
                "Replication backlog freed after {ttl} seconds without connected replicas."
            );
            state.history.free_backlog();
            state.no_replicas_since = Some(Instant::now());
        }
    }
    let failing = min_write > 0 && max_lag > 0 && {
        let good =
            ferrodis_replication::count_good(state.replicas.iter().map(|r| &r.info), now, max_lag);
        good < min_write
    };
    shared
        .replication
        .set_min_replicas_failing(is_master && failing);
    super::replica::refresh(shared, &state);
}
