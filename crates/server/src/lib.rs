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
//! What it is not (yet): persistence (RDB, AOF), MULTI and
//! scripting come with later work; see the README for the current state.

mod alloc;
mod blocking;
mod clients;
mod commands;
pub mod config;
mod connection;
mod cron;
mod evict;
mod listener;
pub mod load;
pub mod log;
mod notify;
pub mod propagate;
mod pubsub;
pub mod replication;
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
/// Then stop accepting, close every connection and return.
pub async fn run(
    listeners: Vec<TcpListener>,
    mut config: Config,
    shutdown: impl Future<Output = ()>,
) {
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
    let (rebind_tx, mut rebind_rx) = tokio::sync::mpsc::unbounded_channel();
    shared.set_rebind(rebind_tx);
    let mut accepting = accept_all(listeners, &shared);
    let cron = tokio::spawn(cron::run(shared.clone()));
    let repl_cron = tokio::spawn(replication::cron::run(shared.clone()));
    let replicaof = shared.config().replicaof();
    if let Some((host, port)) = replicaof {
        replication::replica::set_master(&shared, host, port);
    }
    tracing::info!("Ready to accept connections");

    let mut stop = shared.stop_signal();
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
    replication::replica::stop_link(&shared);
    shared.clients.kill_all();
    if !shared.config().save_rules().is_empty() {
        // Redis would save the dataset here; RDB persistence is not part of ferrodis
        // yet, so say plainly that nothing was written.
        tracing::warn!("Save points are configured, but RDB persistence is not implemented yet: the dataset was not saved.");
    }
    while accepting.join_next().await.is_some() {}
    let _ = cron.await;
}

fn accept_all(listeners: Vec<TcpListener>, shared: &Arc<Shared>) -> tokio::task::JoinSet<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for listener in listeners {
        tasks.spawn(listener::accept_loop(listener, shared.clone()));
    }
    tasks
}
