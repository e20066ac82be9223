//! CONFIG GET pattern... | SET name value [name value ...] | RESETSTAT | REWRITE | HELP.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use tokio::net::TcpListener;

use super::Batch;
use crate::config::{Config, SetContext};
use crate::connection::Conn;
use crate::listener::bind_all;
use crate::shared::Shared;

pub static SPEC: CommandSpec = super::spec(
    "config",
    -2,
    &[],
    &["@slow"],
    "server",
    "A container for server configuration commands",
    "2.0.0",
    "Depends on subcommand.",
    "",
);

const FLAGS: &[&str] = super::ADMIN_FLAGS;
const ACL: &[&str] = super::ADMIN_ACL;

pub static SUBCOMMANDS: &[&CommandSpec] = &[
    &super::spec(
        "config|get",
        -3,
        FLAGS,
        ACL,
        "server",
        "Get the values of configuration parameters",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "parameter...",
    ),
    &super::spec(
        "config|set",
        -4,
        FLAGS,
        ACL,
        "server",
        "Set configuration parameters to the given values",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "(parameter value)...",
    ),
    &super::spec(
        "config|resetstat",
        2,
        FLAGS,
        ACL,
        "server",
        "Reset the stats returned by INFO",
        "2.0.0",
        "O(1)",
        "",
    ),
    &super::spec(
        "config|rewrite",
        2,
        FLAGS,
        ACL,
        "server",
        "Rewrite the configuration file with the in memory configuration",
        "2.8.0",
        "O(1)",
        "",
    ),
    &super::spec(
        "config|help",
        2,
        super::LOADING_STALE,
        &["@slow"],
        "server",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
    ),
];

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    match argv[1].to_ascii_lowercase().as_slice() {
        b"get" => get(shared, &argv[2..]),
        b"set" => set(conn, batch, &argv[2..]),
        b"resetstat" => {
            shared.stats.reset();
            shared.eviction.reset();
            batch.keyspace().reset_stats();
            Frame::ok()
        }
        b"rewrite" => rewrite(shared),
        b"help" => Frame::Array(
            [
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "REWRITE",
                "    Rewrite the configuration file.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Frame::simple(l))
            .collect(),
        ),
        _ => super::unknown_subcommand(argv),
    }
}

/// Name/value pairs of every parameter matching any pattern, each once (Redis 7.0
/// accepts several patterns). RESP3 clients get a map.
fn get(shared: &Shared, patterns: &[Bytes]) -> Frame {
    let pairs = shared.config().get_patterns(patterns);
    Frame::Map(
        pairs
            .into_iter()
            .map(|(name, value)| {
                (
                    Frame::Bulk(Bytes::from(name)),
                    Frame::Bulk(Bytes::from(value)),
                )
            })
            .collect(),
    )
}

fn set(conn: &Conn, batch: &mut Batch<'_>, args: &[Bytes]) -> Frame {
    let shared = batch.shared();
    if args.len() % 2 != 0 {
        return Frame::static_error("ERR syntax error");
    }
    let pairs: Vec<(&[u8], &[u8])> = args
        .chunks_exact(2)
        .map(|p| (&p[0][..], &p[1][..]))
        .collect();
    let ctx = SetContext {
        local_client: conn.is_local,
        loading: shared.loading.active(),
    };
    let result: Result<(bool, Vec<&'static str>), String> = shared.update_config(|config| {
        let before = config.clone();
        let changed = config.set(&pairs, ctx)?;
        // All or nothing, as in Redis 7.0: if the running server cannot follow a new
        // value, every value of this CONFIG SET is restored.
        apply_side_effects(shared, config, &changed).map_err(|(name, why)| {
            *config = before;
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
        })?;
        let aof: Vec<&'static str> = changed
            .iter()
            .copied()
            .filter(|n| {
                matches!(
                    *n,
                    "appendonly"
                        | "appendfsync"
                        | "aof-timestamp-enabled"
                        | "no-appendfsync-on-rewrite"
                )
            })
            .collect();
        Ok((changed.iter().any(|name| TUNABLES.contains(name)), aof))
    });
    match result {
        Ok((tunables_changed, aof)) => {
            if tunables_changed {
                // Through the batch, which may already hold the keyspace lock.
                let tunables = crate::shared::tunables(&shared.config());
                batch.keyspace().set_tunables(tunables);
            }
            if !aof.is_empty() {
                if let Err(why) = apply_aof(batch, &aof) {
                    return Frame::error(format!(
                        "ERR CONFIG SET failed (possibly related to argument 'appendonly') - {why}"
                    ));
                }
            }
            Frame::ok()
        }
        Err(msg) => Frame::error(msg),
    }
}

/// `appendonly` and `appendfsync` act on the running AOF (Redis's
/// `updateAppendonly()` and `updateAppendFsync()`); they need the batch's keyspace
/// lock, so they run after the config lock is released. A failure to turn the AOF
/// on sets `appendonly` back to `no`.
fn apply_aof(batch: &mut Batch<'_>, changed: &[&str]) -> Result<(), String> {
    let shared = batch.shared();
    let (on, fsync) = {
        let config = shared.config();
        (
            config.get_bool("appendonly"),
            ferrodis_aof::Fsync::parse(config.get_str("appendfsync")).unwrap_or_default(),
        )
    };
    if changed.contains(&"appendonly") {
        let keyspace = batch.keyspace();
        if on {
            if let Err(e) = crate::aof::startup::enable(shared, keyspace) {
                shared.update_config(|c| {
                    let _ = c.set(&[("appendonly", "no")], SetContext::default());
                });
                return Err(e);
            }
        } else if shared.aof.enabled() {
            shared.aof.stop(shared, keyspace);
        }
    }
    if changed.contains(&"aof-timestamp-enabled") {
        shared
            .aof
            .set_timestamps(shared.config().get_bool("aof-timestamp-enabled"));
    }
    if changed.contains(&"no-appendfsync-on-rewrite") {
        let on = shared.config().get_bool("no-appendfsync-on-rewrite");
        shared.aof.set_no_fsync_on_rewrite(on);
    }
    if changed.contains(&"appendfsync") {
        if let Err(e) = shared.aof.set_policy(fsync) {
            tracing::warn!(
                "Can't reopen the AOF with appendfsync {}: {e}",
                fsync.name()
            );
        }
    }
    Ok(())
}

/// Configs the keyspace reads (see `shared::tunables`).
const TUNABLES: &[&str] = &[
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "list-max-listpack-size",
    "proto-max-bulk-len",
    "maxmemory-policy",
    "lfu-log-factor",
    "lfu-decay-time",
    "notify-keyspace-events",
];

/// What a changed parameter does to the running server beyond the value itself.
/// On failure: the parameter to blame and Redis's reason.
fn apply_side_effects(
    shared: &Shared,
    config: &Config,
    changed: &[&str],
) -> Result<(), (&'static str, String)> {
    if changed.contains(&"loglevel") {
        crate::log::set_level(config.get_str("loglevel"));
    }
    if changed.contains(&"maxmemory") {
        // Redis's `updateMaxmemory()`; the eviction follows at the next command or
        // cron tick.
        let maxmemory = config.get_u64("maxmemory");
        let used = crate::evict::used_memory().unwrap_or(0);
        if maxmemory > 0 && maxmemory < used {
            tracing::warn!(
                "WARNING: the new maxmemory value set via CONFIG SET ({maxmemory}) is smaller \
                 than the current memory usage ({used}). This will result in key eviction \
                 and/or the inability to accept new write commands depending on the \
                 maxmemory-policy."
            );
        }
    }
    if changed.contains(&"dir") {
        std::env::set_current_dir(config.dir()).map_err(|e| ("dir", e.to_string()))?;
    }
    let port_changed = changed.contains(&"port");
    if port_changed || changed.contains(&"bind") {
        // Redis's messages for a port / bind that cannot be listened on.
        let failure = if port_changed {
            (
                "port",
                "Unable to listen on this port. Check server logs.".to_string(),
            )
        } else {
            ("bind", "Failed to bind to specified addresses.".to_string())
        };
        let port = config.port();
        if port == 0 {
            // Port 0 means "no TCP" in Redis; without unix sockets nobody could connect.
            tracing::warn!("ferrodis has no unix socket: refusing to stop listening on TCP");
            return Err(failure);
        }
        let backlog = config.get_int("tcp-backlog").max(1) as u32;
        let listeners = bind_all(&config.bind(), port, backlog)
            .and_then(|ls| {
                ls.into_iter()
                    .map(TcpListener::from_std)
                    .collect::<std::io::Result<Vec<_>>>()
            })
            .map_err(|e| {
                tracing::warn!("Failed to listen on port {port}: {e}");
                failure.clone()
            })?;
        if !shared.replace_listeners(listeners, port) {
            return Err(failure);
        }
        tracing::info!("Now listening on port {port}.");
    }
    Ok(())
}

fn rewrite(shared: &Shared) -> Frame {
    match shared.config().rewrite() {
        Ok(()) => {
            tracing::info!("CONFIG REWRITE executed with success.");
            Frame::ok()
        }
        Err(e) => {
            tracing::warn!("CONFIG REWRITE failed: {e}");
            Frame::error(e)
        }
    }
}
