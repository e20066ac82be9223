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
pub mod loading;
pub mod log;
mod notify;
pub mod propagate;
mod pubsub;
pub mod rdb_snapshot;
pub mod replication;
mod save;
mod shared;
mod signals;
mod stats;
mod sys;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use alloc::CountingAlloc;
pub use config::{Config, ConfigError, Startup};
pub use listener::bind_all;
pub use shared::Shared;
pub use signals::Signals;

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
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    serve(listeners, config, shutdown, None).await
}

/// [`try_run`] for the binary: SIGTERM and SIGINT (handlers installed beforehand
/// with [`Signals::install`]) shut down as in redis-server: the final save runs
/// while clients are still served, and if it fails the server keeps serving.
pub async fn try_run_with_signals(
    listeners: Vec<TcpListener>,
    config: Config,
    signals: Signals,
) -> Result<(), StartupError> {
    serve(listeners, config, std::future::pending(), Some(signals)).await
}

/// What wakes the server loop.
enum Event {
    Stop,
    Signal(signals::Sig),
    Rebind(Vec<TcpListener>),
}

async fn serve(
    listeners: Vec<TcpListener>,
    mut config: Config,
    shutdown: impl Future<Output = ()>,
    mut signals: Option<Signals>,
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
    let (rebind_tx, mut rebind_rx) = tokio::sync::mpsc::unbounded_channel();
    shared.set_rebind(rebind_tx);
    // Subscribed before any client is accepted: a SHUTDOWN sent by the first
    // client must not be marked seen already (watch receivers start at the
    // current value).
    let mut stop = shared.stop_signal();
    // With files to read, clients are accepted while the dataset loads, as in
    // Redis: they get `-LOADING` for commands without the `loading` flag until it
    // is in. The load runs on this task's thread; connections run on the
    // runtime's workers (a current-thread runtime serves them once it is over).
    let (loaded, mut accepting, later) = {
        // Locked before any client is accepted: no command runs before the load.
        let mut keyspace = shared.keyspace();
        let (accepting, later) = if aof::startup::has_data(&shared) {
            shared
                .loading
                .begin(shared.config().get_int("key-load-delay"));
            (accept_all(listeners, &shared), Vec::new())
        } else {
            (tokio::task::JoinSet::new(), listeners)
        };
        let watcher = (signals.is_some() && shared.loading.active())
            .then(|| tokio::spawn(signals::stop_loading_on_signal(shared.clone())));
        let loaded = aof::startup::load_data_from_disk(&shared, &mut keyspace);
        shared.loading.end();
        if let Some(watcher) = watcher {
            // From now on the signal handlers of the serving loop take signals.
            watcher.abort();
        }
        (loaded, accepting, later)
    };
    if shared.loading.aborted() {
        // SHUTDOWN or a signal during the load: Redis exits at once without
        // saving (`SHUTDOWN_NOSAVE`), its files untouched.
        tracing::warn!("User requested shutdown...");
        accepting.abort_all();
        shared.clients.kill_all();
        while accepting.join_next().await.is_some() {}
        return Ok(());
    }
    if let Err(e) = loaded {
        accepting.abort_all();
        shared.clients.kill_all();
        for line in e.lines() {
            tracing::warn!("{line}");
        }
        return Err(StartupError(e));
    }
    for listener in later {
        accepting.spawn(listener::accept_loop(listener, shared.clone()));
    }
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
        let event = tokio::select! {
            () = &mut shutdown => Event::Stop,
            _ = stop.changed() => Event::Stop,
            sig = next_signal(&mut signals) => Event::Signal(sig),
            Some(listeners) = rebind_rx.recv() => Event::Rebind(listeners),
        };
        match event {
            Event::Stop => break,
            Event::Signal(sig) => {
                if let Some(signals) = signals.as_mut() {
                    if signals::shutdown(&shared, sig, signals).await.is_ok() {
                        break;
                    }
                }
            }
            Event::Rebind(listeners) => {
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
        // The caller's future: SHUTDOWN without arguments, except that an embedder's
        // stop is not refused: a failed save is logged (by `shutdown_save`) and the
        // server stops anyway. (SHUTDOWN and signals saved before stopping.)
        tracing::warn!("User requested shutdown...");
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

/// The next signal, never without handlers.
async fn next_signal(signals: &mut Option<Signals>) -> signals::Sig {
    match signals {
        Some(signals) => signals.recv().await,
        None => std::future::pending().await,
    }
}

fn accept_all(listeners: Vec<TcpListener>, shared: &Arc<Shared>) -> tokio::task::JoinSet<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for listener in listeners {
        tasks.spawn(listener::accept_loop(listener, shared.clone()));
    }
    tasks
}
