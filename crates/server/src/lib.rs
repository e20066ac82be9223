//! `ferrodis-server`: a drop-in `redis-server` composed from the ferrodis crates.
//!
//! The binary is thin: it parses redis-server's command line and redis.conf
//! ([`Config`]), binds the listeners and calls [`run`]. Tests and custom servers call
//! the same [`run`] on their own listeners:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! // Redis's defaults; `Config::from_args` takes redis-server's command line instead.
//! let config = ferrodis_server::Config::default();
//! ferrodis_server::run(vec![listener], config, std::future::pending()).await;
//! # Ok(())
//! # }
//! ```
//!
//! Persistence: RDB saves (SAVE, BGSAVE on a fork-free snapshot, save rules,
//! shutdown saves), DUMP/RESTORE, the AOF (Redis 7's multi-part directory, fsync
//! policies, BGREWRITEAOF) and loading at start-up. Replication both ways with
//! redis-server (`replication`). What it is not (yet): scripting; see the README.

mod alloc;
mod aof;
mod autosync;
mod blocking;
mod clients;
mod commands;
pub mod config;
mod connection;
mod cron;
mod dump_codec;
mod evict;
mod listener;
pub mod load;
pub mod log;
mod notify;
pub mod propagate;
mod pubsub;
pub mod rdb_snapshot;
pub mod replication;
mod save;
mod shared;
mod stats;
mod sys;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use alloc::CountingAlloc;
pub use config::{Config, ConfigError, Startup};
pub use listener::bind_all;
pub use shared::Shared;

/// The Redis version whose behaviour ferrodis matches, reported as `redis_version`
/// and by HELLO: clients gate features (RESP3, command syntax) on it.
pub const REDIS_VERSION: &str = "7.0.15";
/// ferrodis's own version, reported as `ferrodis_version`.
pub const FERRODIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Serve clients on `listeners` until `shutdown` resolves or a client sends SHUTDOWN.
/// Then stop accepting, close every connection and return. A dataset that cannot
/// be loaded at start-up (see [`try_run`]) is logged and nothing is served.
pub async fn run(listeners: Vec<TcpListener>, config: Config, shutdown: impl Future<Output = ()>) {
    let _ = try_run(listeners, config, shutdown).await;
}

/// A start-up failure: the dataset on disk could not be loaded (Redis exits with
/// status 1 after logging why).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

/// [`run`], reporting a failed start-up: first the dataset is loaded from disk
/// (the AOF with `appendonly yes`, else the RDB file), as Redis's
/// `loadDataFromDisk()`; the binary exits with status 1 on error.
pub async fn try_run(
    listeners: Vec<TcpListener>,
    mut config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    let port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map_or(0, |a| a.port());
    if port != 0 && port != config.port() {
        // The caller bound its own listener (often port 0): CONFIG GET port and INFO
        // report the port clients actually use.
        let _ = config.set(&[("port", port.to_string())], config::SetContext::default());
    }
    let shared = Arc::new(Shared::new(config, port));
    shared.set_self();
    if let Err(e) = aof::startup::load_data_from_disk(&shared) {
        for line in e.lines() {
            tracing::warn!("{line}");
        }
        return Err(StartupError(e));
    }
    let (rebind_tx, mut rebind_rx) = tokio::sync::mpsc::unbounded_channel();
    shared.set_rebind(rebind_tx);
    // Subscribed before any client is accepted: a SHUTDOWN sent by the first
    // client must not be marked seen already (watch receivers start at the
    // current value).
    let mut stop = shared.stop_signal();
    let mut accepting = accept_all(listeners, &shared);
    let dirty = shared.keyspace().dirty();
    shared.rdb.start(&shared, dirty);
    let cron = tokio::spawn(cron::run(shared.clone()));
    let repl_cron = tokio::spawn(replication::cron::run(shared.clone()));
    let replicaof = shared.config().replicaof();
    if let Some((host, port)) = replicaof {
        replication::replica::set_master(&shared, host, port);
    }
    tracing::info!("Ready to accept connections");

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = stop.changed() => break,
            Some(listeners) = rebind_rx.recv() => {
                // CONFIG SET port/bind: the new sockets are bound already; dropping
                // the old accept loops closes the old ones. Connected clients stay.
                accepting.abort_all();
                accepting = accept_all(listeners, &shared);
            }
        }
    }
    accepting.abort_all();
    cron.abort();
    repl_cron.abort();
    replication::replica::halt(&shared);
    shared.clients.kill_all();
    // After the clients: no batch can feed the AOF any more.
    shared.aof.shutdown(&shared);
    if !shared.rdb.shutdown_saved() {
        // SIGTERM, SIGINT or the caller's future: SHUTDOWN without arguments.
        tracing::warn!("User requested shutdown...");
        // Redis would keep serving after a failed save; this loop has stopped
        // already, so the failure is logged (by `shutdown_save`) and the server exits.
        let _ = save::shutdown_save(
            &shared,
            &mut shared.keyspace(),
            save::ShutdownSave::Default,
            false,
        );
    }
    while accepting.join_next().await.is_some() {}
    let _ = cron.await;
    Ok(())
}

fn accept_all(listeners: Vec<TcpListener>, shared: &Arc<Shared>) -> tokio::task::JoinSet<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for listener in listeners {
        tasks.spawn(listener::accept_loop(listener, shared.clone()));
    }
    tasks
}
