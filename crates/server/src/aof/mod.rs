//! The append-only file in the running server: the sink that turns write effects
//! into AOF bytes (`feed.rs`), the thread that writes and fsyncs them
//! (`writer.rs`), BGREWRITEAOF on a fork-free snapshot (`rewrite.rs`), loading at
//! start-up (`startup.rs`) and the INFO fields (`info.rs`).
//!
//! Data flow: a batch ends → `Propagation::flush` (keyspace locked) → [`AofSink`]
//! appends RESP to the feed buffer → the writer thread moves it into the current
//! incr file's `Appender` and writes (+ fsync with `always`) → publishes the stream
//! offset it reached → the connections whose batches end before it send their
//! replies. As in Redis (which writes `aof_buf` before replying, in `beforeSleep()`),
//! an acknowledged write is in the file (fsynced with `always`), so a killed process
//! loses none; `everysec` can lose the last second only to an OS crash.

mod errors;
mod feed;
mod info;
mod limit;
mod rewrite;
pub mod startup;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread::JoinHandle;

use ferrodis_aof::{AofDir, Appender, Feeder, Fsync};
use ferrodis_keyspace::Keyspace;
use tokio::sync::watch;

use crate::config::Config;
use crate::shared::Shared;

pub use feed::{take_batch_end, ConnectionBatch};
pub use info::write_info;
pub use rewrite::{cron, start_rewrite, RewriteStart};

use errors::WriteStatus;
use feed::{AofSink, Feed};
use writer::Files;

/// Counters and states for INFO persistence.
#[derive(Debug)]
pub struct AofStats {
    /// `aof_delayed_fsync`.
    pub delayed_fsync: AtomicU64,
    /// `aof_rewrite_scheduled`.
    pub rewrite_scheduled: AtomicBool,
    /// Unix second the running rewrite started, 0 when none runs.
    pub rewrite_started: AtomicI64,
    /// `aof_last_rewrite_time_sec` (-1 before the first).
    pub last_rewrite_secs: AtomicI64,
    /// `aof_last_bgrewrite_status`.
    pub last_rewrite_ok: AtomicBool,
    /// `aof_rewrites`.
    pub rewrites: AtomicU64,
    /// `aof_rewrites_consecutive_failures`.
    pub consecutive_failures: AtomicU64,
    /// `aof_base_size` (Redis's `aof_rewrite_base_size`).
    pub base_size: AtomicU64,
}

impl Default for AofStats {
    fn default() -> AofStats {
        AofStats {
            delayed_fsync: AtomicU64::new(0),
            rewrite_scheduled: AtomicBool::new(false),
            rewrite_started: AtomicI64::new(0),
            last_rewrite_secs: AtomicI64::new(-1),
            last_rewrite_ok: AtomicBool::new(true),
            rewrites: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            base_size: AtomicU64::new(0),
        }
    }
}

/// The AOF of one server: off until started at load time or by CONFIG SET.
#[derive(Debug)]
pub struct Aof {
    feed: Arc<Feed>,
    files: Mutex<Files>,
    /// How far replies may go: the stream written (and fsynced with `always`; with
    /// everysec also what a slow fsync postponed, as Redis replies then too).
    synced: watch::Sender<u64>,
    /// `aof_enabled`: the AOF is on or waiting for its first rewrite.
    enabled: AtomicBool,
    /// Connections write inline (everysec, no); the writer thread does (always).
    inline: AtomicBool,
    /// `no-appendfsync-on-rewrite`.
    no_fsync_on_rewrite: AtomicBool,
    sink_id: Mutex<Option<u64>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    rewrite: Mutex<Option<rewrite::Running>>,
    /// The server, for the threads that need the keyspace (set once by `run`).
    owner: OnceLock<Weak<Shared>>,
    /// INFO's figures.
    pub stats: AofStats,
    /// Write errors (`aof_last_write_status`, MISCONF).
    status: WriteStatus,
    /// The cron's back-off after failed rewrites.
    limit: limit::RewriteLimit,
}

impl Default for Aof {
    fn default() -> Aof {
        Aof {
            feed: Arc::default(),
            files: Mutex::default(),
            synced: watch::Sender::new(0),
            enabled: AtomicBool::new(false),
            inline: AtomicBool::new(true),
            no_fsync_on_rewrite: AtomicBool::new(false),
            sink_id: Mutex::new(None),
            writer: Mutex::new(None),
            rewrite: Mutex::new(None),
            owner: OnceLock::new(),
            stats: AofStats::default(),
            status: WriteStatus::default(),
            limit: limit::RewriteLimit::default(),
        }
    }
}

/// The configs the AOF reads, copied so no config lock is held while it works.
#[derive(Debug, Clone)]
pub struct AofConfig {
    /// `dir` / `appenddirname`.
    pub path: std::path::PathBuf,
    /// `dir`.
    pub data_dir: std::path::PathBuf,
    /// `appendfilename`.
    pub prefix: String,
    /// `appendfsync`.
    pub fsync: Fsync,
    /// `aof-use-rdb-preamble`.
    pub rdb_preamble: bool,
    /// `aof-timestamp-enabled`.
    pub timestamps: bool,
    /// `no-appendfsync-on-rewrite`.
    pub no_fsync_on_rewrite: bool,
    /// `aof-rewrite-incremental-fsync`.
    pub incremental_fsync: bool,
}

impl AofConfig {
    /// Reads them from `config`.
    pub fn of(config: &Config) -> AofConfig {
        let data_dir = config.dir().to_path_buf();
        AofConfig {
            path: data_dir.join(config.get_str("appenddirname")),
            data_dir,
            prefix: config.get_str("appendfilename").to_string(),
            fsync: Fsync::parse(config.get_str("appendfsync")).unwrap_or_default(),
            rdb_preamble: config.get_bool("aof-use-rdb-preamble"),
            timestamps: config.get_bool("aof-timestamp-enabled"),
            no_fsync_on_rewrite: config.get_bool("no-appendfsync-on-rewrite"),
            incremental_fsync: config.get_bool("aof-rewrite-incremental-fsync"),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Aof {
    /// Remembers the server, for the threads started later.
    pub fn set_owner(&self, shared: &Arc<Shared>) {
        let _ = self.owner.set(Arc::downgrade(shared));
    }

    fn owner(&self) -> Option<Arc<Shared>> {
        self.owner.get().and_then(Weak::upgrade)
    }

    /// `aof_enabled`.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Waits until the stream is in the file up to `offset` (fsynced with
    /// `appendfsync always`): a connection's replies wait for its batch's writes.
    ///
    /// The connection first lets the other ready connections run their batches.
    /// With `always` it then wakes the writer thread, which does every write and
    /// fsync (group commit: one fsync for the turn, as Redis fsyncs once per
    /// event-loop turn in `beforeSleep()`). Otherwise it writes everything fed so
    /// far itself unless someone else is writing: one `write` per turn, without
    /// waking another thread.
    pub async fn wait_synced(&self, offset: u64) {
        if *self.synced.borrow() >= offset {
            return;
        }
        let inline = self.inline.load(Ordering::Relaxed);
        tokio::task::yield_now().await;
        if !inline {
            self.kick_writer();
        }
        let mut rx = self.synced.subscribe();
        loop {
            if *rx.borrow_and_update() >= offset {
                return;
            }
            if inline {
                let files = match self.files.try_lock() {
                    Ok(files) => Some(files),
                    Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => None,
                };
                if let Some(files) = files {
                    writer::write_fed(self, files);
                    continue;
                }
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// `always`: wakes the writer thread if it sleeps, so it writes and fsyncs
    /// what the turn fed.
    fn kick_writer(&self) {
        let mut s = self.feed.lock();
        if s.writer_idle && !s.buf.is_empty() {
            s.writer_idle = false;
            self.feed.wake.notify_one();
        }
    }

    /// Waits until everything fed so far is on disk (a reply produced by another
    /// connection's batch, such as a served BLPOP).
    pub async fn wait_all_synced(&self) {
        let fed = self.feed.lock().fed;
        self.wait_synced(fed).await;
    }

    /// Publishes how far replies may go; always notifies, so that a connection
    /// that found the files busy tries again.
    fn publish_synced(&self, upto: u64) {
        self.synced.send_modify(|v| *v = (*v).max(upto));
    }

    /// `appendfsync`: who writes (see [`Aof::wait_synced`]).
    fn set_fsync_mode(&self, fsync: Fsync) {
        self.inline.store(fsync != Fsync::Always, Ordering::Relaxed);
        self.feed.lock().wake_writer = fsync == Fsync::Always;
        self.feed.wake.notify_all();
    }

    /// Turns the AOF on with `files` (an open incr file, or parked), registering
    /// its sink under the keyspace lock so it sees every write from now on.
    fn start(
        self: &Arc<Self>,
        shared: &Shared,
        keyspace: &mut Keyspace,
        files: Files,
        config: &AofConfig,
    ) -> std::io::Result<()> {
        *lock(&self.files) = files;
        {
            let mut s = self.feed.lock();
            s.feeder = Feeder::new(config.timestamps);
            s.buf.clear();
            s.stop = false;
            // Offsets keep growing across restarts of the AOF: waiters compare
            // with what was published before.
        }
        self.set_fsync_mode(config.fsync);
        self.set_no_fsync_on_rewrite(config.no_fsync_on_rewrite);
        self.status.reset();
        let me = self.clone();
        let thread = std::thread::Builder::new()
            .name("aof-writer".into())
            .spawn(move || writer::run(me))?;
        *lock(&self.writer) = Some(thread);
        let id = shared
            .propagation
            .add(keyspace, Arc::new(AofSink(self.feed.clone())));
        *lock(&self.sink_id) = Some(id);
        self.enabled.store(true, Ordering::Release);
        Ok(())
    }

    /// Turns the AOF off (CONFIG SET appendonly no): no more effects, a running
    /// rewrite is abandoned, everything written is fsynced (Redis's
    /// `stopAppendOnly()`).
    pub fn stop(&self, shared: &Shared, keyspace: &mut Keyspace) {
        if let Some(id) = lock(&self.sink_id).take() {
            shared.propagation.remove(keyspace, id);
        }
        rewrite::cancel(self, Some(keyspace));
        self.stop_threads();
    }

    /// Stops the writer (and a rewrite) after a last write and fsync: SHUTDOWN
    /// and signals (Redis's `prepareForShutdown()`). Connections are killed
    /// already; a batch still running finishes first (the keyspace lock), and
    /// whatever runs after is not acknowledged (its task dies at its next await).
    pub fn shutdown(&self, shared: &Shared) {
        if !self.enabled() {
            return;
        }
        if self.rewrite_running() {
            tracing::warn!("There is a child rewriting the AOF. Killing it!");
        }
        {
            let mut keyspace = shared.keyspace();
            if let Some(id) = lock(&self.sink_id).take() {
                shared.propagation.remove(&mut keyspace, id);
            }
            rewrite::cancel(self, Some(&mut keyspace));
        }
        tracing::info!("Calling fsync() on the AOF file.");
        self.stop_threads();
    }

    fn stop_threads(&self) {
        {
            let mut s = self.feed.lock();
            s.stop = true;
            self.feed.wake.notify_all();
        }
        if let Some(thread) = lock(&self.writer).take() {
            let _ = thread.join();
        }
        self.enabled.store(false, Ordering::Release);
        *lock(&self.files) = Files::default();
        // Nobody may wait for a file that is no longer written (the sink is gone,
        // so nothing is fed after this).
        let fed = self.feed.lock().fed;
        self.publish_synced(fed);
    }

    /// The writer's last act: everything fed is written and fsynced.
    fn final_sync(&self) {
        let mut files = writer::lock(&self.files);
        let upto = writer::take_fed(&mut files, &self.feed);
        if let Some(app) = files.appender.as_mut() {
            if let Err(e) = app.sync_all() {
                tracing::warn!("Fail to fsync the AOF file: {e}.");
            }
        }
        drop(files);
        self.publish_synced(upto);
    }

    /// CONFIG SET appendfsync: the incr file is reopened under the new policy.
    pub fn set_policy(&self, fsync: Fsync) -> std::io::Result<()> {
        let mut files = writer::lock(&self.files);
        let Files { dir, appender, .. } = &mut *files;
        if let (Some(dir), Some(app)) = (dir.as_mut(), appender.as_mut()) {
            app.sync_all()?;
            let path = dir.current_incr().map_err(std::io::Error::other)?;
            *appender = Some(Appender::open(&path, fsync)?);
        }
        drop(files);
        self.set_fsync_mode(fsync);
        Ok(())
    }

    /// `no-appendfsync-on-rewrite` (CONFIG SET, start).
    pub fn set_no_fsync_on_rewrite(&self, on: bool) {
        self.no_fsync_on_rewrite.store(on, Ordering::Relaxed);
    }

    /// Whether fsyncs wait: `no-appendfsync-on-rewrite yes` while a rewrite or a
    /// background save writes its file (Redis: while a child process is active).
    /// Full syncs to replicas write no file here, so they do not count.
    fn fsync_held(&self) -> bool {
        self.no_fsync_on_rewrite.load(Ordering::Relaxed)
            && (self.rewrite_running() || self.owner().is_some_and(|s| s.rdb.bgsave_running()))
    }

    /// CONFIG SET aof-timestamp-enabled: `#TS:` annotations from the next write on
    /// (the next command also gets a SELECT, which changes nothing for readers).
    pub fn set_timestamps(&self, on: bool) {
        self.feed.lock().feeder = Feeder::new(on);
    }

    /// `aof_current_size`.
    pub fn current_size(&self) -> u64 {
        writer::lock(&self.files).current_size()
    }

    /// `aof_buffer_length`: fed bytes not written yet.
    pub fn buffer_length(&self) -> u64 {
        let pending = self.feed.lock().buf.len() as u64;
        let files = writer::lock(&self.files);
        pending + files.appender.as_ref().map_or(0, Appender::pending_len)
    }

    /// `aof_rewrite_scheduled`: the cron starts a rewrite when it can (Redis
    /// also resets the failure count, so it starts at once).
    pub fn schedule_rewrite(&self) {
        self.stats.consecutive_failures.store(0, Ordering::Relaxed);
        self.stats.rewrite_scheduled.store(true, Ordering::Relaxed);
    }

    /// Whether a rewrite runs.
    pub fn rewrite_running(&self) -> bool {
        lock(&self.rewrite).is_some()
    }

    /// The AOF directory, once there is one.
    pub fn with_dir<R>(&self, f: impl FnOnce(Option<&mut AofDir>) -> R) -> R {
        f(writer::lock(&self.files).dir.as_mut())
    }
}
