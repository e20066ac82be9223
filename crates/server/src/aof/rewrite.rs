//! BGREWRITEAOF without fork: a new incr file takes the writes from now on, a
//! keyspace snapshot of the same instant is encoded as commands into a temp base
//! file by a background thread, then the manifest switches to the new base.
//!
//! Redis 7.0's `rewriteAppendOnlyFileBackground()` and
//! `backgroundRewriteDoneHandler()`, with a thread stepping the snapshot
//! (`Keyspace::snapshot_step`, a few segments per hold of the keyspace lock) where
//! Redis forks. Crash safety: until the manifest names the new base, it names the
//! old base, the old incr files and the new incr file, which together hold every
//! acknowledged write; the temp file is not named by any manifest.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use ferrodis_aof::{write_command, AofDir, Appender};
use ferrodis_keyspace::{rewrite_commands, EntryView, Keyspace, PersistSink};
use ferrodis_rdb::{AuxFields, Options};

use super::writer::{self, Files};
use super::{lock, Aof, AofConfig};
use crate::autosync::AutoSync;
use crate::rdb_snapshot::RdbSink;
use crate::shared::{unix_time, Shared};

/// Segments walked per hold of the keyspace lock (each a few hundred keys).
const STEP_SEGMENTS: usize = 4;

/// Encodes the snapshot's keys as the commands of a base file.
#[derive(Debug, Default)]
struct CommandSink {
    buf: Vec<u8>,
    db: Option<usize>,
}

impl PersistSink for CommandSink {
    fn entry(&mut self, db: usize, entry: EntryView<'_>) {
        // Keys arrive grouped by segment, databases may interleave: SELECT on change.
        if self.db != Some(db) {
            write_command(&mut self.buf, &[b"SELECT", db.to_string().as_bytes()]);
            self.db = Some(db);
        }
        let buf = &mut self.buf;
        rewrite_commands(&entry, |argv| write_command(buf, argv));
    }
}

/// The base being written: RDB with `aof-use-rdb-preamble yes` (a `.base.rdb`,
/// Redis 7.0's default), commands otherwise (a `.base.aof`).
#[derive(Debug)]
enum BaseSink {
    Commands(CommandSink),
    Rdb(Box<RdbSink>),
}

impl BaseSink {
    fn new(rdb: bool, keyspace: &Keyspace) -> Result<BaseSink, String> {
        if !rdb {
            return Ok(BaseSink::Commands(CommandSink::default()));
        }
        let mut sink = RdbSink::new(Options::default(), &base_aux())?;
        // RESIZEDB hints, so that loading the base sizes the tables up front.
        sink.note_sizes(keyspace);
        Ok(BaseSink::Rdb(Box::new(sink)))
    }

    /// The bytes encoded so far.
    fn take(&mut self) -> Vec<u8> {
        match self {
            BaseSink::Commands(c) => std::mem::take(&mut c.buf),
            BaseSink::Rdb(r) => r.take(),
        }
    }

    /// The last bytes (RDB's EOF and checksum).
    fn finish(&mut self) -> Result<Vec<u8>, String> {
        match self {
            BaseSink::Commands(c) => Ok(std::mem::take(&mut c.buf)),
            BaseSink::Rdb(r) => {
                let mut rest = r.take();
                rest.extend_from_slice(&r.finish()?);
                Ok(rest)
            }
        }
    }
}

impl PersistSink for BaseSink {
    fn entry(&mut self, db: usize, entry: EntryView<'_>) {
        match self {
            BaseSink::Commands(c) => c.entry(db, entry),
            BaseSink::Rdb(r) => r.entry(db, entry),
        }
    }
}

/// The aux fields of an AOF's RDB base, as Redis writes them (`aof-base 1`).
pub fn base_aux() -> AuxFields {
    AuxFields {
        aof_base: true,
        ..AuxFields::redis_7_0(crate::alloc::allocated().unwrap_or(0))
    }
}

/// A rewrite in progress.
#[derive(Debug)]
pub struct Running {
    cancel: Arc<AtomicBool>,
    /// The snapshot is still being walked (changed under the keyspace lock).
    walking: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What BGREWRITEAOF (or the cron, or CONFIG SET appendonly yes) got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteStart {
    /// The rewrite runs.
    Started,
    /// Another snapshot runs: the cron starts the rewrite when it can.
    Scheduled,
    /// One runs already.
    AlreadyRunning,
    /// It could not start (logged).
    Failed,
}

/// Starts a rewrite, with the keyspace locked by the caller: every effect so far
/// goes to the current incr file, the next ones to a new one, and the snapshot
/// begins at that same instant.
pub fn start_rewrite(shared: &Shared, keyspace: &mut Keyspace) -> RewriteStart {
    let aof = &shared.aof;
    if aof.rewrite_running() {
        return RewriteStart::AlreadyRunning;
    }
    if keyspace.snapshot_running() {
        // Redis: another child is active, so the rewrite is scheduled.
        aof.stats.rewrite_scheduled.store(true, Ordering::Relaxed);
        return RewriteStart::Scheduled;
    }
    let Some(owner) = aof.owner() else {
        return RewriteStart::Failed;
    };
    let config = AofConfig::of(&shared.config());
    shared.propagation.flush(keyspace);
    let incr = match switch_incr(aof, &config) {
        Ok(incr) => incr,
        Err(e) => {
            tracing::warn!("Can't open the append-only file for the rewrite: {e}");
            aof.stats.last_rewrite_ok.store(false, Ordering::Relaxed);
            return RewriteStart::Failed;
        }
    };
    let sink = match BaseSink::new(config.rdb_preamble, keyspace) {
        Ok(sink) => Arc::new(Mutex::new(sink)),
        Err(e) => {
            tracing::warn!("Can't start the AOF rewrite: {e}");
            return RewriteStart::Failed;
        }
    };
    keyspace.begin_snapshot(sink.clone());
    shared.stats.forks.inc();
    let cancel = Arc::new(AtomicBool::new(false));
    let walking = Arc::new(AtomicBool::new(true));
    let job = Job {
        enabling: aof.enabled(),
        walking: walking.clone(),
        shared: owner,
        sink,
        cancel: cancel.clone(),
        incr,
        config,
    };
    let thread = std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || job.run());
    let thread = match thread {
        Ok(t) => t,
        Err(e) => {
            keyspace.end_snapshot();
            tracing::warn!("Can't rewrite append only file in background: {e}");
            aof.stats.last_rewrite_ok.store(false, Ordering::Relaxed);
            return RewriteStart::Failed;
        }
    };
    aof.stats.rewrites.fetch_add(1, Ordering::Relaxed);
    aof.stats.rewrite_scheduled.store(false, Ordering::Relaxed);
    aof.stats
        .rewrite_started
        .store(unix_time().as_secs() as i64, Ordering::Relaxed);
    *lock(&aof.rewrite) = Some(Running {
        cancel,
        walking,
        thread: Some(thread),
    });
    tracing::info!(
        "Background append only file rewriting started by pid {}",
        std::process::id()
    );
    RewriteStart::Started
}

/// The cron's part (Redis's `serverCron()`): a scheduled rewrite starts once
/// nothing blocks it, and an automatic one once the AOF grew by
/// `auto-aof-rewrite-percentage` over its size after the last rewrite (and is over
/// `auto-aof-rewrite-min-size`); both wait while failures limit them (`limit.rs`).
pub fn cron(shared: &Shared) {
    let aof = &shared.aof;
    if aof.rewrite_running() {
        return;
    }
    let limited = || {
        let failures = aof.stats.consecutive_failures.load(Ordering::Relaxed);
        aof.limit.limited(failures, unix_time().as_secs())
    };
    let mut start = aof.stats.rewrite_scheduled.load(Ordering::Relaxed) && !limited();
    if !start && !aof.enabled() {
        return;
    }
    let (perc, min_size) = {
        let config = shared.config();
        (
            config.get_int("auto-aof-rewrite-percentage"),
            config.get_u64("auto-aof-rewrite-min-size"),
        )
    };
    if !start && perc > 0 {
        let current = aof.current_size();
        if current > min_size {
            let base = aof.stats.base_size.load(Ordering::Relaxed).max(1);
            let growth = i128::from(current) * 100 / i128::from(base) - 100;
            if growth >= i128::from(perc) && !limited() {
                tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
                start = true;
            }
        }
    }
    if start {
        let mut keyspace = shared.keyspace();
        start_rewrite(shared, &mut keyspace);
    }
}

/// Ends the current incr file and opens a new one (Redis's
/// `openNewIncrAofForAppend()`); `None` when the AOF is parked, waiting for this
/// very rewrite to create its first files.
fn switch_incr(aof: &Aof, config: &AofConfig) -> std::io::Result<Option<PathBuf>> {
    let mut files = writer::lock(&aof.files);
    writer::take_fed(&mut files, &aof.feed);
    let Files {
        dir,
        appender,
        size_before_incr,
        ..
    } = &mut *files;
    let (Some(dir), Some(app)) = (dir.as_mut(), appender.as_mut()) else {
        return Ok(None);
    };
    app.sync_all()?;
    let old_size = app.size();
    let path = dir.new_incr().map_err(std::io::Error::other)?;
    *appender = Some(Appender::open(&path, config.fsync)?);
    *size_before_incr += old_size;
    aof.feed.lock().feeder.new_file();
    tracing::info!(
        "Creating AOF incr file {} on background rewrite",
        file_name(&path)
    );
    Ok(Some(path))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Abandons the running rewrite, if any. With the keyspace locked by the caller
/// (`keyspace` given) the thread is left to notice and exit on its own; otherwise
/// it is joined.
pub fn cancel(aof: &Aof, keyspace: Option<&mut Keyspace>) {
    let Some(mut running) = lock(&aof.rewrite).take() else {
        return;
    };
    aof.stats.rewrite_started.store(0, Ordering::Relaxed);
    // Under the keyspace lock, so the thread is not inside a step, and the
    // snapshot ended only if it is still this rewrite's.
    let stop = |ks: &mut Keyspace| {
        running.cancel.store(true, Ordering::Release);
        if running.walking.load(Ordering::Acquire) {
            ks.end_snapshot();
        }
    };
    match keyspace {
        Some(ks) => stop(ks),
        None => {
            if let Some(shared) = aof.owner() {
                stop(&mut shared.keyspace());
            }
            if let Some(thread) = running.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// What the rewrite thread works with.
struct Job {
    shared: Arc<Shared>,
    sink: Arc<Mutex<BaseSink>>,
    cancel: Arc<AtomicBool>,
    walking: Arc<AtomicBool>,
    /// The incr file opened for the rewrite; `None` when enabling the AOF or
    /// when it is off.
    incr: Option<PathBuf>,
    /// The AOF is on but parked: this rewrite turns it on.
    enabling: bool,
    config: AofConfig,
}

/// The temp base file (Redis's name, in `dir`).
fn temp_path(config: &AofConfig) -> PathBuf {
    config
        .data_dir
        .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()))
}

impl Job {
    fn run(self) {
        let temp = temp_path(&self.config);
        let started = std::time::Instant::now();
        let written = self.write_base(&temp);
        if written.is_err() {
            self.end_walk();
        }
        let aof = &self.shared.aof;
        let outcome = match written {
            Ok(true) => {
                tracing::info!(
                    "Successfully created the temporary AOF base file {}",
                    file_name(&temp)
                );
                tracing::info!("Background AOF rewrite terminated with success");
                self.install(&temp)
            }
            Ok(false) => {
                // Cancelled: whoever cancelled ended the snapshot and the state.
                let _ = std::fs::remove_file(&temp);
                return;
            }
            Err(e) => Err(e),
        };
        let stats = &aof.stats;
        match outcome {
            Ok(true) => {
                stats.last_rewrite_ok.store(true, Ordering::Relaxed);
                stats.consecutive_failures.store(0, Ordering::Relaxed);
                tracing::info!("Background AOF rewrite finished successfully");
            }
            Ok(false) => {
                let _ = std::fs::remove_file(&temp);
                return;
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                tracing::warn!("Background AOF rewrite terminated with error: {e}");
                stats.last_rewrite_ok.store(false, Ordering::Relaxed);
                stats.consecutive_failures.fetch_add(1, Ordering::Relaxed);
                if self.enabling && self.incr.is_none() {
                    // The AOF waits for this rewrite to turn on: the cron tries
                    // again (Redis schedules a new one in AOF_WAIT_REWRITE).
                    stats.rewrite_scheduled.store(true, Ordering::Relaxed);
                }
            }
        }
        stats
            .last_rewrite_secs
            .store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
        stats.rewrite_started.store(0, Ordering::Relaxed);
        lock(&aof.rewrite).take();
    }

    /// Ends the snapshot a failed walk leaves running (unless a cancel ended it
    /// already), so that later snapshots may start.
    fn end_walk(&self) {
        let mut ks = self.shared.keyspace();
        if !self.cancel.load(Ordering::Acquire) && self.walking.swap(false, Ordering::AcqRel) {
            ks.end_snapshot();
        }
    }

    /// Walks the snapshot into the temp file; false if cancelled.
    fn write_base(&self, temp: &Path) -> std::io::Result<bool> {
        let mut file = AutoSync::new(File::create(temp)?, self.config.incremental_fsync);
        loop {
            let (done, chunk) = {
                let mut ks = self.shared.keyspace();
                if self.cancel.load(Ordering::Acquire) {
                    return Ok(false);
                }
                let done = ks.snapshot_step(STEP_SEGMENTS);
                if done {
                    ks.end_snapshot();
                    self.walking.store(false, Ordering::Release);
                }
                (done, lock(&self.sink).take())
            };
            file.write_all(&chunk)?;
            if done {
                break;
            }
        }
        let tail = lock(&self.sink).finish().map_err(std::io::Error::other)?;
        file.write_all(&tail)?;
        file.into_inner().sync_all()?;
        Ok(true)
    }

    /// Makes the temp file the base (the manifest switch); false if cancelled.
    fn install(&self, temp: &Path) -> std::io::Result<bool> {
        let aof = &self.shared.aof;
        let mut files = writer::lock(&aof.files);
        if self.cancel.load(Ordering::Acquire) {
            return Ok(false);
        }
        let io = std::io::Error::other;
        match &self.incr {
            Some(incr) => {
                let Some(dir) = files.dir.as_mut() else {
                    return Ok(false);
                };
                let before: Vec<String> = dir
                    .manifest()
                    .files
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                dir.finish_rewrite(temp, incr, self.config.rdb_preamble)
                    .map_err(io)?;
                let base = dir.manifest().base().map(|b| b.name.clone());
                tracing::info!(
                    "Successfully renamed the temporary AOF base file {} into {}",
                    file_name(temp),
                    base.unwrap_or_default()
                );
                for name in before {
                    if !dir.manifest().files.iter().any(|f| f.name == name) {
                        tracing::info!("Removing the history file {name} in the background");
                    }
                }
            }
            None if self.enabling => enable_files(&mut files, &aof.feed, temp, &self.config)?,
            None => {
                // BGREWRITEAOF with the AOF off: Redis still installs the base.
                install_base(temp, &self.config)?;
                return Ok(true);
            }
        }
        let base_len = files
            .dir
            .as_ref()
            .and_then(|d| d.manifest().base().map(|b| d.path().join(&b.name)))
            .and_then(|p| std::fs::metadata(p).ok())
            .map_or(0, |m| m.len());
        files.size_before_incr = base_len;
        let size = files.current_size();
        aof.stats.base_size.store(size, Ordering::Relaxed);
        Ok(true)
    }
}

/// CONFIG SET appendonly yes, once its rewrite is done: the base goes into the
/// directory (created with it, or switched to it), the writes that arrived during
/// the rewrite into the new incr file, and the AOF is on.
fn enable_files(
    files: &mut Files,
    feed: &super::feed::Feed,
    temp: &Path,
    config: &AofConfig,
) -> std::io::Result<()> {
    let io = std::io::Error::other;
    let mut dir = install_base(temp, config)?;
    let incr = dir.current_incr().map_err(io)?;
    let mut app = Appender::open(&incr, config.fsync)?;
    writer::take_fed(files, feed);
    app.buffer().append(&mut files.parked);
    files.appender = Some(app);
    files.dir = Some(dir);
    Ok(())
}

/// Makes `temp` the base of the directory, creating it if needed.
fn install_base(temp: &Path, config: &AofConfig) -> std::io::Result<AofDir> {
    let io = std::io::Error::other;
    std::fs::create_dir_all(&config.path)?;
    let dir = match AofDir::open(&config.path, &config.prefix).map_err(io)? {
        Some(mut dir) => {
            let incr = dir.new_incr().map_err(io)?;
            dir.finish_rewrite(temp, &incr, config.rdb_preamble)
                .map_err(io)?;
            dir
        }
        None => {
            let dir = AofDir::create(&config.path, &config.prefix, config.rdb_preamble, |f| {
                std::io::copy(&mut File::open(temp)?, f).map(drop)
            })
            .map_err(io)?;
            std::fs::remove_file(temp)?;
            dir
        }
    };
    Ok(dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use ferrodis_keyspace::Session;

    #[test]
    fn the_sink_selects_each_database_and_writes_rewrite_forms() {
        let mut ks = Keyspace::new(16);
        let mut run = |db: usize, words: &[&str]| {
            let argv: Vec<Bytes> = words
                .iter()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect();
            ks.execute(
                &mut Session {
                    db,
                    ..Session::default()
                },
                &argv,
            )
            .unwrap();
        };
        run(0, &["SET", "a", "1"]);
        run(2, &["RPUSH", "l", "x", "y"]);
        let sink = Arc::new(Mutex::new(CommandSink::default()));
        assert!(ks.begin_snapshot(sink.clone()));
        while !ks.snapshot_step(1) {}
        ks.end_snapshot();
        let text = String::from_utf8(sink.lock().unwrap().buf.clone()).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n$1\r\ny\r\n"
        );
    }
}
