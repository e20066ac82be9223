//! INFO [section ...]: Redis's sections and field names, CRLF line endings.
//!
//! Fields describe ferrodis truthfully: where a Redis feature does not exist here
//! yet (replicas, background saves, pub/sub), its counters report the idle state
//! Redis itself would report with that feature unused.

use std::fmt::Write as _;

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::shared::unix_time;
use crate::sys::{cpu_times, human_bytes, os_name, rss_bytes, total_memory_bytes};
use crate::{alloc, FERRODIS_VERSION, REDIS_VERSION};

pub static SPEC: CommandSpec = super::spec(
    "info",
    -1,
    &["loading", "stale"],
    &["@slow", "@dangerous"],
    "server",
    "Get information and statistics about the server",
    "1.0.0",
    "O(1)",
    "[section...]",
);

/// Sections of `INFO` / `INFO default`, in Redis's order.
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

pub fn run(_conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let wanted: Vec<String> = argv[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    Frame::Verbatim {
        format: *b"txt",
        data: Bytes::from(info_text(batch, &wanted)),
    }
}

/// The INFO text for the requested section names (empty = default sections).
fn info_text(batch: &mut Batch<'_>, wanted: &[String]) -> String {
    let all = wanted.iter().any(|w| w == "all" || w == "everything");
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let mut out = String::new();
    for &section in DEFAULT {
        if !(all || default || wanted.iter().any(|w| w == section)) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match section {
            "cpu" => "CPU".to_string(),
            s => {
                let mut t = s.to_string();
                t[..1].make_ascii_uppercase();
                t
            }
        };
        let _ = write!(out, "# {title}\r\n");
        write_section(batch, section, &mut out);
    }
    out
}

fn write_section(batch: &mut Batch<'_>, section: &str, out: &mut String) {
    let shared = batch.shared();
    let mut f = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{k}:{v}\r\n");
    };
    let stats = &shared.stats;
    match section {
        "server" => {
            let config = shared.config();
            let now = unix_time();
            let uptime = shared.started.elapsed().as_secs();
            f("redis_version", &REDIS_VERSION);
            f("ferrodis_version", &FERRODIS_VERSION);
            f("redis_git_sha1", &"00000000");
            f("redis_git_dirty", &0);
            f("redis_build_id", &"0");
            f("redis_mode", &"standalone");
            f("os", &os_name());
            f("arch_bits", &(usize::BITS));
            f("monotonic_clock", &"POSIX clock_gettime");
            f("multiplexing_api", &"epoll");
            f("process_id", &std::process::id());
            f("process_supervised", &"no");
            f("run_id", &shared.run_id);
            f("tcp_port", &shared.port());
            f("server_time_usec", &now.as_micros());
            f("uptime_in_seconds", &uptime);
            f("uptime_in_days", &(uptime / 86_400));
            f("hz", &config.get_int("hz"));
            f("configured_hz", &config.get_int("hz"));
            // Redis's LRU clock: seconds modulo 2^24.
            f("lru_clock", &(now.as_secs() & ((1 << 24) - 1)));
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            f("executable", &exe);
            let file = config
                .config_file()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            f("config_file", &file);
            f("io_threads_active", &0);
        }
        "clients" => {
            f("connected_clients", &shared.clients.len());
            f("cluster_connections", &0);
            f("maxclients", &shared.config().get_int("maxclients"));
            f(
                "client_recent_max_input_buffer",
                &stats.max_input_buffer.get(),
            );
            f(
                "client_recent_max_output_buffer",
                &stats.max_output_buffer.get(),
            );
            let (blocked, with_timeout) = shared.blocking.counts();
            f("blocked_clients", &blocked);
            f("tracking_clients", &0);
            f("clients_in_timeout_table", &with_timeout);
        }
        "memory" => {
            let rss = rss_bytes();
            // With this thread's unfolded allocations: the figure eviction compares
            // with maxmemory (evict.rs).
            let used = alloc::allocated().unwrap_or(rss);
            let peak = stats.peak_memory(used);
            let total = total_memory_bytes();
            let config = shared.config();
            let maxmemory = config.get_int("maxmemory").max(0) as u64;
            f("used_memory", &used);
            f("used_memory_human", &human_bytes(used));
            f("used_memory_rss", &rss);
            f("used_memory_rss_human", &human_bytes(rss));
            f("used_memory_peak", &peak);
            f("used_memory_peak_human", &human_bytes(peak));
            f(
                "used_memory_peak_perc",
                &format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
            );
            f("total_system_memory", &total);
            f("total_system_memory_human", &human_bytes(total));
            f("maxmemory", &maxmemory);
            f("maxmemory_human", &human_bytes(maxmemory));
            f("maxmemory_policy", &config.get_str("maxmemory-policy"));
            f(
                "mem_fragmentation_ratio",
                &format!("{:.2}", rss as f64 / used.max(1) as f64),
            );
            // Replica output buffers and the AOF buffer, which Redis leaves out of
            // the figure compared with maxmemory; ferrodis has neither yet.
            f("mem_not_counted_for_evict", &0);
            f("mem_allocator", &"libc");
            f("lazyfree_pending_objects", &0);
        }
        "persistence" => {
            let dirty = batch.keyspace_unless_loading().map_or(0, |ks| ks.dirty());
            f("loading", &u8::from(shared.loading.active()));
            f("async_loading", &0);
            shared.rdb.write_info(dirty, &mut f);
            crate::aof::write_info(&shared.aof, out);
            shared.loading.write_info(&mut |k, v| {
                let _ = write!(out, "{k}:{v}\r\n");
            });
        }
        "stats" => {
            let ks = batch
                .keyspace_unless_loading()
                .map(|ks| ks.stats().clone())
                .unwrap_or_default();
            let (ops, input_kbps, output_kbps) = stats.rates();
            f(
                "total_connections_received",
                &stats.connections_received.get(),
            );
            f("total_commands_processed", &stats.commands_processed.get());
            f("instantaneous_ops_per_sec", &ops);
            f("total_net_input_bytes", &stats.net_input_bytes.get());
            f("total_net_output_bytes", &stats.net_output_bytes.get());
            f(
                "total_net_repl_input_bytes",
                &stats.net_repl_input_bytes.get(),
            );
            f(
                "total_net_repl_output_bytes",
                &stats.net_repl_output_bytes.get(),
            );
            f("instantaneous_input_kbps", &format!("{input_kbps:.2}"));
            f("instantaneous_output_kbps", &format!("{output_kbps:.2}"));
            f("instantaneous_input_repl_kbps", &"0.00");
            f("instantaneous_output_repl_kbps", &"0.00");
            f("rejected_connections", &stats.rejected_connections.get());
            let (full, partial_ok, partial_err) = crate::replication::info::sync_stats(shared);
            f("sync_full", &full);
            f("sync_partial_ok", &partial_ok);
            f("sync_partial_err", &partial_err);
            f("expired_keys", &ks.expired_keys);
            f("evicted_keys", &ks.evicted_keys);
            f("evicted_clients", &0);
            let (total, current) = shared.eviction.exceeded_ms();
            f("total_eviction_exceeded_time", &total);
            f("current_eviction_exceeded_time", &current);
            f("keyspace_hits", &ks.keyspace_hits);
            f("keyspace_misses", &ks.keyspace_misses);
            let (channels, patterns, shard) = shared.pubsub.lock().sizes();
            f("pubsub_channels", &channels);
            f("pubsub_patterns", &patterns);
            f("pubsubshard_channels", &shard);
            f("total_forks", &stats.forks.get());
            f("total_error_replies", &stats.error_replies.get());
            f("total_reads_processed", &stats.reads_processed.get());
            f("total_writes_processed", &stats.writes_processed.get());
        }
        "replication" => crate::replication::info::section(shared, &mut f),
        "cpu" => {
            let ((sys, user), (csys, cuser)) = cpu_times();
            f("used_cpu_sys", &format!("{sys:.6}"));
            f("used_cpu_user", &format!("{user:.6}"));
            f("used_cpu_sys_children", &format!("{csys:.6}"));
            f("used_cpu_user_children", &format!("{cuser:.6}"));
        }
        "errorstats" => {
            for (code, count) in stats.error_counts() {
                f(&format!("errorstat_{code}"), &format!("count={count}"));
            }
        }
        "cluster" => f("cluster_enabled", &0),
        "keyspace" => {
            let Some(ks) = batch.keyspace_unless_loading() else {
                return;
            };
            for db in 0..ks.databases() {
                let i = ks.db_info(db);
                if i.keys > 0 {
                    f(
                        &format!("db{db}"),
                        &format!(
                            "keys={},expires={},avg_ttl={}",
                            i.keys, i.expires, i.avg_ttl
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}
