//! INFO replication and ROLE, with Redis 7.0's fields (`genRedisInfoString`,
//! `roleCommand`).

use std::fmt::Display;
use std::time::Instant;

use bytes::Bytes;
use ferrodis_replication::LinkState as ReplicaState;
use ferrodis_resp::Frame;

use super::{now_ms, LinkState};
use crate::shared::Shared;

/// Writes the fields of `# Replication`.
pub fn section(shared: &Shared, f: &mut dyn FnMut(&str, &dyn Display)) {
    // Read before the replication state is locked: taking the configuration
    // under it would invert the order `handshake_config` takes them in.
    let (ro, announced, priority, min_write, max_lag, backlog_size) = {
        let c = shared.config();
        (
            c.get_bool("replica-read-only"),
            c.get_bool("replica-announced"),
            c.get_int("replica-priority"),
            c.get_int("min-replicas-to-write"),
            c.get_int("min-replicas-max-lag"),
            super::stream::backlog_size_of(&c),
        )
    };
    let state = shared.replication.state();
    let now = Instant::now();
    let unix_ms = now_ms();
    match &state.master {
        None => f("role", &"master"),
        Some(m) => {
            f("role", &"slave");
            f("master_host", &m.host);
            f("master_port", &m.port);
            let up = m.state == LinkState::Connected;
            f("master_link_status", &if up { "up" } else { "down" });
            let last_io = if up {
                now.duration_since(m.last_io).as_secs() as i64
            } else {
                -1
            };
            f("master_last_io_seconds_ago", &last_io);
            let transfer = m.state == LinkState::Transfer;
            f("master_sync_in_progress", &u8::from(transfer));
            let offset = state.history.offset();
            // Redis shows 1 before the first sync (no master, no cached master).
            let shown = if offset == 0 && !up { 1 } else { offset };
            f("slave_read_repl_offset", &shown);
            f("slave_repl_offset", &shown);
            if transfer {
                let read = m.sync_read as i64;
                let perc = if m.sync_size > 0 {
                    read as f64 * 100.0 / m.sync_size as f64
                } else {
                    0.0
                };
                f("master_sync_total_bytes", &m.sync_size);
                f("master_sync_read_bytes", &read);
                f("master_sync_left_bytes", &(m.sync_size - read));
                f("master_sync_perc", &format!("{perc:.2}"));
                f("master_sync_last_io_seconds_ago", &0);
            }
            if !up {
                let down = m
                    .down_since
                    .filter(|_| offset > 0)
                    .map_or(-1, |t| now.duration_since(t).as_secs() as i64);
                f("master_link_down_since_seconds", &down);
            }
            f("slave_priority", &priority);
            f("slave_read_only", &u8::from(ro));
            f("replica_announced", &u8::from(announced));
        }
    }
    f("connected_slaves", &state.replicas.len());
    if min_write > 0 && max_lag > 0 {
        let good = ferrodis_replication::count_good(
            state.replicas.iter().map(|r| &r.info),
            unix_ms,
            max_lag,
        );
        f("min_slaves_good_slaves", &good);
    }
    for (i, r) in state.replicas.iter().enumerate() {
        let mut info = r.info.clone();
        if info.state != ReplicaState::Online {
            // Redis reports lag 0 until the replica is online.
            info.ack_time_ms = unix_ms;
        }
        f(&format!("slave{i}"), &info.info_line(unix_ms));
    }
    let h = &state.history;
    f("master_failover_state", &"no-failover");
    f("master_replid", &h.replid);
    f("master_replid2", &h.replid2);
    f("master_repl_offset", &h.offset());
    f(
        "second_repl_offset",
        &h.second_offset.map_or(-1, |o| o as i64),
    );
    let backlog = h.backlog();
    f("repl_backlog_active", &u8::from(backlog.is_some()));
    f("repl_backlog_size", &backlog_size);
    f(
        "repl_backlog_first_byte_offset",
        &backlog.map_or(0, |b| b.first_byte_offset()),
    );
    f("repl_backlog_histlen", &backlog.map_or(0, |b| b.histlen()));
}

/// The three sync counters of INFO stats.
pub fn sync_stats(shared: &Shared) -> (u64, u64, u64) {
    let s = shared.replication.state();
    (s.sync_full, s.sync_partial_ok, s.sync_partial_err)
}

/// ROLE: `master <offset> [[ip port offset]...]` or `slave <host> <port> <state>
/// <offset>`.
pub fn role(shared: &Shared) -> Frame {
    let state = shared.replication.state();
    let bulk = |s: String| Frame::bulk(Bytes::from(s));
    match &state.master {
        None => {
            let replicas = state
                .replicas
                .iter()
                .map(|r| {
                    Frame::Array(vec![
                        bulk(r.info.ip.clone()),
                        bulk(r.info.port.to_string()),
                        bulk(r.info.ack_offset.to_string()),
                    ])
                })
                .collect();
            Frame::Array(vec![
                bulk("master".into()),
                Frame::Integer(state.history.offset() as i64),
                Frame::Array(replicas),
            ])
        }
        Some(m) => {
            // `server.master->reploff`: only while connected.
            let offset = if m.state == LinkState::Connected {
                state.history.offset() as i64
            } else {
                -1
            };
            Frame::Array(vec![
                bulk("slave".into()),
                bulk(m.host.clone()),
                Frame::Integer(i64::from(m.port)),
                bulk(m.state.role_name().into()),
                Frame::Integer(offset),
            ])
        }
    }
}
