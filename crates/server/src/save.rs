//! Saving the dataset as an RDB file (Redis 7.0's rdb.c, save side): SAVE, BGSAVE
//! on a thread over a fork-free snapshot, the `save <secs> <changes>` rules checked
//! by the cron, the state INFO persistence reports, and the MISCONF refusal of
//! writes after a failed background save (`stop-writes-on-bgsave-error`).
//!
//! Every save writes `temp-<id>.rdb` in `dir`, fsyncs it, renames it over
//! `dbfilename` and fsyncs the directory, logging what Redis logs. A synchronous
//! save runs with the keyspace held (the caller's batch) and walks it directly; a
//! background save starts its snapshot under the caller's lock, so the file holds
//! exactly the dataset at that command, and then writes it from its own thread,
//! taking the keyspace lock only per step.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use ferrodis_keyspace::Keyspace;
use ferrodis_rdb::{AuxFields, Options};

use crate::autosync::AutoSync;
use crate::config::Config;
use crate::rdb_snapshot;
use crate::shared::{unix_time, Shared};

/// `CONFIG_BGSAVE_RETRY_DELAY`: seconds before a failed background save is retried
/// by the save rules or a scheduled BGSAVE.
const RETRY_DELAY_SECS: u64 = 5;

/// What INFO persistence and LASTSAVE report, and the running background save.
#[derive(Debug)]
pub struct RdbState {
    inner: Mutex<Inner>,
    /// The last background save failed: what MISCONF checks first, lock-free.
    failed: AtomicBool,
    /// Keys written so far by the running save (`current_save_keys_processed`).
    keys_done: Arc<AtomicU64>,
    owner: OnceLock<Weak<Shared>>,
    /// SHUTDOWN went through its save already; `run` must not save again.
    shutdown_done: AtomicBool,
    /// A diskless full sync runs: Redis's RDB child too (`RDB_CHILD_TYPE_SOCKET`),
    /// so SAVE/BGSAVE refuse and INFO shows a save in progress.
    to_replicas: AtomicBool,
}

#[derive(Debug)]
struct Inner {
    running: Option<Running>,
    /// BGSAVE SCHEDULE (or BGSAVE inside MULTI) waits for the cron.
    scheduled: bool,
    /// `lastsave`: Unix seconds of the last successful save (or the start).
    lastsave: u64,
    /// The keyspace's dirty counter as of the last successful save.
    dirty_at_save: u64,
    last_bgsave_ok: bool,
    /// Unix seconds of the last background save attempt.
    last_try: u64,
    last_bgsave_secs: i64,
    saves: u64,
    load_keys_loaded: u64,
    load_keys_expired: u64,
}

#[derive(Debug)]
struct Running {
    started: Instant,
    keys_total: u64,
    /// Set (under the state lock) to abandon the save; the thread checks it
    /// between steps and, under the same lock, before renaming its file.
    cancel: Arc<AtomicBool>,
}

impl Default for RdbState {
    fn default() -> RdbState {
        RdbState {
            inner: Mutex::new(Inner {
                running: None,
                scheduled: false,
                lastsave: unix_time().as_secs(),
                dirty_at_save: 0,
                last_bgsave_ok: true,
                last_try: 0,
                last_bgsave_secs: -1,
                saves: 0,
                load_keys_loaded: 0,
                load_keys_expired: 0,
            }),
            failed: AtomicBool::new(false),
            keys_done: Arc::default(),
            owner: OnceLock::new(),
            shutdown_done: AtomicBool::new(false),
            to_replicas: AtomicBool::new(false),
        }
    }
}

/// How BGSAVE went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BgStart {
    /// The save runs.
    Started,
    /// A background save runs already.
    AlreadyRunning,
    /// Another snapshot (AOF rewrite, full sync) runs: Redis's "another child".
    OtherSnapshot,
    /// It could not start (logged).
    Failed,
}

/// Where and how a save writes, read from the config when it starts.
struct Target {
    dir: PathBuf,
    file: String,
    options: Options,
    /// `rdb-key-save-delay`: microseconds per key (a test knob of Redis's).
    key_delay_us: u64,
    /// `rdb-save-incremental-fsync`.
    incremental_fsync: bool,
}

impl Target {
    fn of(config: &Config) -> Target {
        Target {
            dir: config.dir().to_path_buf(),
            file: config.get_str("dbfilename").to_string(),
            options: rdb_snapshot::options(config),
            key_delay_us: config.get_int("rdb-key-save-delay").max(0) as u64,
            incremental_fsync: config.get_bool("rdb-save-incremental-fsync"),
        }
    }

    fn aux(shared: &Shared) -> AuxFields {
        let mut aux = AuxFields::redis_7_0(crate::alloc::allocated().unwrap_or(0));
        // repl-id, repl-offset, repl-stream-db: a restarted replica resumes with PSYNC.
        aux.replication = crate::replication::rdb_aux(shared);
        aux
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RdbState {
    /// Called by `run` once the dataset is loaded: the thread of a background
    /// save holds the server through this, and what was loaded counts as saved
    /// (Redis: "at startup we consider the DB saved").
    pub fn start(&self, shared: &Arc<Shared>, dirty: u64) {
        let _ = self.owner.set(Arc::downgrade(shared));
        lock(&self.inner).dirty_at_save = dirty;
    }

    /// `LASTSAVE`.
    pub fn lastsave(&self) -> u64 {
        lock(&self.inner).lastsave
    }

    /// Whether a BGSAVE or a diskless full sync runs (`rdb_bgsave_in_progress`,
    /// Redis's `child_type == CHILD_TYPE_RDB`).
    pub fn bgsave_running(&self) -> bool {
        lock(&self.inner).running.is_some() || self.to_replicas.load(Ordering::Relaxed)
    }

    /// A diskless full sync starts or ends.
    pub fn set_to_replicas(&self, running: bool) {
        self.to_replicas.store(running, Ordering::Relaxed);
    }

    /// Records what a start-up load or DEBUG RELOAD brought in
    /// (`rdb_last_load_keys_loaded`, `rdb_last_load_keys_expired`).
    pub fn note_load(&self, loaded: u64, expired: u64) {
        let mut inner = lock(&self.inner);
        inner.load_keys_loaded = loaded;
        inner.load_keys_expired = expired;
    }

    /// Whether a SHUTDOWN did the shutdown's save (or decided not to save).
    pub fn shutdown_saved(&self) -> bool {
        self.shutdown_done.load(Ordering::Relaxed)
    }

    /// The dataset as of dirty counter `dirty` counts as saved (after DEBUG RELOAD).
    pub fn reset_dirty(&self, dirty: u64) {
        lock(&self.inner).dirty_at_save = dirty;
    }

    /// Counts a save (`rdb_saves`: SAVE and every background save).
    pub fn count_save(&self) {
        lock(&self.inner).saves += 1;
    }

    /// A BGSAVE for the cron to start as soon as no snapshot runs.
    pub fn schedule(&self) {
        lock(&self.inner).scheduled = true;
    }

    /// Whether writes may be refused with MISCONF; cheap, checked per command.
    #[inline]
    pub fn may_refuse_writes(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Redis's `writeCommandsDeniedByDiskError()` for RDB: the last background save
    /// failed, save rules are set and `stop-writes-on-bgsave-error` is on.
    pub fn refuses_writes(&self, config: &Config) -> bool {
        self.may_refuse_writes()
            && config.get_bool("stop-writes-on-bgsave-error")
            && !config.save_rules().is_empty()
    }

    /// The `rdb_*` and save progress lines of INFO persistence, in Redis's order.
    pub fn write_info(&self, dirty: u64, f: &mut dyn FnMut(&str, &dyn std::fmt::Display)) {
        let inner = lock(&self.inner);
        let running = inner.running.as_ref();
        // No fork, hence no copy-on-write figures.
        f("current_cow_peak", &0);
        f("current_cow_size", &0);
        f("current_cow_size_age", &0);
        f("current_fork_perc", &"0.00");
        let done = if running.is_some() {
            self.keys_done.load(Ordering::Relaxed)
        } else {
            0
        };
        f("current_save_keys_processed", &done);
        f(
            "current_save_keys_total",
            &running.map_or(0, |r| r.keys_total),
        );
        f(
            "rdb_changes_since_last_save",
            &dirty.saturating_sub(inner.dirty_at_save),
        );
        let to_replicas = self.to_replicas.load(Ordering::Relaxed);
        f(
            "rdb_bgsave_in_progress",
            &u8::from(running.is_some() || to_replicas),
        );
        f("rdb_last_save_time", &inner.lastsave);
        let status = if inner.last_bgsave_ok { "ok" } else { "err" };
        f("rdb_last_bgsave_status", &status);
        f("rdb_last_bgsave_time_sec", &inner.last_bgsave_secs);
        let current = running.map_or(-1, |r| r.started.elapsed().as_secs() as i64);
        f("rdb_current_bgsave_time_sec", &current);
        f("rdb_saves", &inner.saves);
        f("rdb_last_cow_size", &0);
        f("rdb_last_load_keys_expired", &inner.load_keys_expired);
        f("rdb_last_load_keys_loaded", &inner.load_keys_loaded);
    }

    /// Abandons the running BGSAVE (SHUTDOWN, which then saves synchronously):
    /// its thread ends the snapshot and removes its temp file, and cannot rename
    /// it any more once this returns.
    pub fn cancel_bgsave(&self) -> bool {
        let mut inner = lock(&self.inner);
        match inner.running.take() {
            Some(r) => {
                r.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

/// SAVE (and SHUTDOWN, DEBUG RELOAD): writes the keyspace, held by the caller,
/// to `dbfilename`. On success the dataset counts as saved and a past background
/// failure is forgotten, as in Redis's `rdbSave()`.
pub fn save_now(shared: &Shared, keyspace: &Keyspace) -> Result<u64, ()> {
    let target = Target::of(&shared.config());
    let temp = format!("temp-{}.rdb", std::process::id());
    let written = write_file(&target, &temp, |out| {
        rdb_snapshot::write_now(keyspace, target.options.clone(), &Target::aux(shared), out)
    })?;
    let mut inner = lock(&shared.rdb.inner);
    inner.lastsave = unix_time().as_secs();
    inner.dirty_at_save = keyspace.dirty();
    inner.last_bgsave_ok = true;
    shared.rdb.failed.store(false, Ordering::Relaxed);
    Ok(written)
}

/// Writes `temp` in the target's directory with `write`, then fsync, rename over
/// the RDB file and fsync of the directory; logs Redis's lines. `before_rename`
/// may veto the rename (a cancelled background save).
fn write_file_checked(
    target: &Target,
    temp: &str,
    write: impl FnOnce(&mut BufWriter<AutoSync>) -> Result<u64, String>,
    before_rename: impl FnOnce(&dyn Fn() -> std::io::Result<()>) -> Option<std::io::Result<()>>,
) -> Result<u64, ()> {
    let temp_path = target.dir.join(temp);
    let final_path = target.dir.join(&target.file);
    let file = match File::create(&temp_path) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(
                "Failed opening the temp RDB file {temp} (in server root dir {}) for saving: {}",
                target.dir.display(),
                strerror(&e)
            );
            return Err(());
        }
    };
    let file = AutoSync::new(file, target.incremental_fsync);
    let mut out = BufWriter::with_capacity(64 * 1024, file);
    let fail = |op: &str, why: String| {
        tracing::warn!("Write error saving DB on disk({op}): {why}");
        let _ = std::fs::remove_file(&temp_path);
        Err(())
    };
    let keys = match write(&mut out) {
        Ok(keys) => keys,
        Err(e) => return fail("rdbSaveRio", e),
    };
    let file = match out.into_inner() {
        Ok(f) => f.into_inner(),
        Err(e) => return fail("fflush", strerror(e.error())),
    };
    if let Err(e) = file.sync_all() {
        return fail("fsync", strerror(&e));
    }
    drop(file);
    let rename = || std::fs::rename(&temp_path, &final_path);
    match before_rename(&rename) {
        None => {
            let _ = std::fs::remove_file(&temp_path);
            return Err(());
        }
        Some(Err(e)) => {
            tracing::warn!(
                "Error moving temp DB file {temp} on the final destination {} (in server root dir {}): {}",
                target.file,
                target.dir.display(),
                strerror(&e)
            );
            let _ = std::fs::remove_file(&temp_path);
            return Err(());
        }
        Some(Ok(())) => {}
    }
    if let Err(e) = fsync_dir(&target.dir) {
        return fail("fsyncFileDir", strerror(&e));
    }
    tracing::info!("DB saved on disk");
    Ok(keys)
}

fn write_file(
    target: &Target,
    temp: &str,
    write: impl FnOnce(&mut BufWriter<AutoSync>) -> Result<u64, String>,
) -> Result<u64, ()> {
    write_file_checked(target, temp, write, |rename| Some(rename()))
}

/// `fsyncFileDir()`: makes the rename durable.
fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The C library's text for an I/O error, as Redis logs it (without Rust's
/// " (os error N)").
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Told how a background save ended: the RDB file's path, or `Err` (failed or
/// cancelled). Called on the save's thread, with no lock held.
pub type SaveDone = Box<dyn FnOnce(Result<PathBuf, ()>) + Send>;

/// BGSAVE: starts the snapshot now, under the caller's hold of the keyspace, and
/// writes it from a thread of its own.
pub fn start_bgsave(shared: &Shared, keyspace: &mut Keyspace) -> BgStart {
    start_bgsave_then(shared, keyspace, None)
}

/// [`start_bgsave`], then `done` with the outcome (a full sync to disk sends the
/// file to the replicas waiting for it, Redis's `updateSlavesWaitingBgsave`).
/// `done` is dropped uncalled if the save does not start.
pub fn start_bgsave_then(
    shared: &Shared,
    keyspace: &mut Keyspace,
    done: Option<SaveDone>,
) -> BgStart {
    let state = &shared.rdb;
    let mut inner = lock(&state.inner);
    if inner.running.is_some() {
        return BgStart::AlreadyRunning;
    }
    if keyspace.snapshot_running() {
        return BgStart::OtherSnapshot;
    }
    let Some(owner) = state.owner.get().and_then(Weak::upgrade) else {
        return BgStart::Failed;
    };
    inner.saves += 1;
    inner.last_try = unix_time().as_secs();
    shared.stats.forks.inc();
    let target = Target::of(&shared.config());
    let sink = match rdb_snapshot::begin(keyspace, target.options.clone(), &Target::aux(shared)) {
        Ok(sink) => sink,
        Err(e) => {
            tracing::warn!("Can't save in background: {e}");
            inner.last_bgsave_ok = false;
            state.failed.store(true, Ordering::Relaxed);
            return BgStart::Failed;
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let dirty_before = keyspace.dirty();
    let keys_total = (0..keyspace.databases())
        .map(|db| keyspace.dbsize(db) as u64)
        .sum();
    state.keys_done.store(0, Ordering::Relaxed);
    let job_cancel = cancel.clone();
    let spawned = std::thread::Builder::new()
        .name("rdb-bgsave".into())
        .spawn(move || {
            let outcome = run_bgsave(&owner, &sink, &target, &job_cancel, dirty_before);
            if let Some(done) = done {
                done(outcome.map(|()| target.dir.join(&target.file)));
            }
        });
    if let Err(e) = spawned {
        keyspace.end_snapshot();
        tracing::warn!("Can't save in background: fork: {e}");
        inner.last_bgsave_ok = false;
        state.failed.store(true, Ordering::Relaxed);
        return BgStart::Failed;
    }
    inner.scheduled = false;
    inner.running = Some(Running {
        started: Instant::now(),
        keys_total,
        cancel,
    });
    tracing::info!("Background saving started by pid {}", std::process::id());
    BgStart::Started
}

/// The background save's thread: the file, then the outcome in the state.
fn run_bgsave(
    shared: &Shared,
    sink: &Arc<Mutex<rdb_snapshot::RdbSink>>,
    target: &Target,
    cancel: &AtomicBool,
    dirty_before: u64,
) -> Result<(), ()> {
    let state = &shared.rdb;
    let temp = format!("temp-bgsave-{}.rdb", std::process::id());
    let mut last_keys = 0;
    let written = write_file_checked(
        target,
        &temp,
        |out| {
            rdb_snapshot::drive(shared, sink, out, |keys| {
                state.keys_done.store(keys, Ordering::Relaxed);
                if target.key_delay_us > 0 {
                    let us = target.key_delay_us.saturating_mul(keys - last_keys);
                    std::thread::sleep(Duration::from_micros(us));
                }
                last_keys = keys;
                !cancel.load(Ordering::Relaxed)
            })
        },
        |rename| {
            // Under the state lock: a SHUTDOWN that cancelled this save has its
            // own file written after, never overwritten by this one.
            let _inner = lock(&state.inner);
            (!cancel.load(Ordering::Relaxed)).then(rename)
        },
    );
    let mut inner = lock(&state.inner);
    if cancel.load(Ordering::Relaxed) {
        // Cancelled: whoever cancelled took the running state already.
        return Err(());
    }
    let running = inner.running.take();
    let now = unix_time().as_secs();
    inner.last_bgsave_secs = running.map_or(0, |r| r.started.elapsed().as_secs() as i64);
    match written {
        Ok(_) => {
            tracing::info!("Background saving terminated with success");
            inner.lastsave = now;
            inner.dirty_at_save = inner.dirty_at_save.max(dirty_before);
            inner.last_bgsave_ok = true;
            state.failed.store(false, Ordering::Relaxed);
        }
        Err(()) => {
            tracing::warn!("Background saving error");
            inner.last_bgsave_ok = false;
            state.failed.store(true, Ordering::Relaxed);
        }
    }
    written.map(drop)
}

/// The cron's part (`serverCron`): a scheduled BGSAVE, or a save rule whose
/// changes and seconds are both reached, starts a background save when no
/// snapshot runs; after a failure, only once `RETRY_DELAY_SECS` have passed.
pub fn cron(shared: &Shared) {
    let rules = shared.config().save_rules();
    let (scheduled, lastsave, last_try, ok, dirty_at_save) = {
        let inner = lock(&shared.rdb.inner);
        if inner.running.is_some() {
            return;
        }
        (
            inner.scheduled,
            inner.lastsave,
            inner.last_try,
            inner.last_bgsave_ok,
            inner.dirty_at_save,
        )
    };
    if rules.is_empty() && !scheduled {
        return;
    }
    let now = unix_time().as_secs();
    let may_retry = ok || now.saturating_sub(last_try) > RETRY_DELAY_SECS;
    if !may_retry {
        return;
    }
    let mut keyspace = shared.keyspace();
    if keyspace.snapshot_running() {
        return;
    }
    let changes = keyspace.dirty().saturating_sub(dirty_at_save);
    let elapsed = now.saturating_sub(lastsave);
    let rule = rules
        .iter()
        .find(|&&(secs, min_changes)| changes >= min_changes && elapsed > secs);
    if let Some(&(secs, min_changes)) = rule {
        tracing::info!("{min_changes} changes in {secs} seconds. Saving...");
    } else if !scheduled {
        return;
    }
    start_bgsave(shared, &mut keyspace);
}

/// After FLUSHALL (Redis's `flushAllDataAndResetRDB()`): a running BGSAVE is
/// abandoned (its file would bring the flushed keys back), and with save rules set
/// the now empty dataset is saved at once, so a restart does not resurrect them
/// either. The flush still counts as changes, as Redis restores `dirty`.
pub fn after_flushall(shared: &Shared, keyspace: &Keyspace) {
    shared.rdb.cancel_bgsave();
    if shared.config().save_rules().is_empty() {
        return;
    }
    let mark = lock(&shared.rdb.inner).dirty_at_save;
    if save_now(shared, keyspace).is_ok() {
        lock(&shared.rdb.inner).dirty_at_save = mark;
    }
}

/// What SHUTDOWN was told about saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownSave {
    /// Neither SAVE nor NOSAVE: save if save rules are set.
    Default,
    /// SHUTDOWN SAVE.
    Save,
    /// SHUTDOWN NOSAVE.
    NoSave,
}

/// The RDB part of Redis's `finishShutdown()`: a running BGSAVE is abandoned,
/// then the final snapshot is written if asked or if save rules are set. Err
/// when that save failed and `force` is off: the server must keep running.
pub fn shutdown_save(
    shared: &Shared,
    keyspace: &mut Keyspace,
    mode: ShutdownSave,
    force: bool,
) -> Result<(), ()> {
    if shared.rdb.cancel_bgsave() {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
    }
    let rules = !shared.config().save_rules().is_empty();
    let save = match mode {
        ShutdownSave::Default => rules,
        ShutdownSave::Save => true,
        ShutdownSave::NoSave => false,
    };
    if save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        if save_now(shared, keyspace).is_err() {
            if force {
                tracing::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                tracing::warn!("Error trying to save the DB, can't exit.");
                tracing::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                return Err(());
            }
        }
    }
    shared.rdb.shutdown_done.store(true, Ordering::Relaxed);
    Ok(())
}
