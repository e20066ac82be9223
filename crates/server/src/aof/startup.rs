//! Turning the AOF on: at start-up with `appendonly yes` (load the directory, or
//! create it), and later with `CONFIG SET appendonly yes` (a rewrite creates it).
//! Also the start-up RDB load when the AOF is off: Redis 7.0's
//! `loadDataFromDisk()` and `aofOpenIfNeededOnServerStart()`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ferrodis_aof::{manifest_name, AofDir, Appender};
use ferrodis_keyspace::Keyspace;

use super::writer::Files;
use super::{AofConfig, RewriteStart};
use crate::load::{load_aof, load_rdb};
use crate::shared::{unix_time, Shared};

/// Whether start-up has a file to read (an RDB, an AOF manifest, a legacy AOF):
/// then clients are accepted during the load and get `-LOADING`. Without one
/// they are accepted after [`load_data_from_disk`], so no command can run before
/// it holds the keyspace.
pub fn has_data(shared: &Shared) -> bool {
    let config = shared.config();
    if config.get_bool("appendonly") {
        let aof = AofConfig::of(&config);
        aof.path.join(manifest_name(&aof.prefix)).is_file()
            || aof.data_dir.join(&aof.prefix).is_file()
    } else {
        config.dir().join(config.get_str("dbfilename")).is_file()
    }
}

/// Fills `keyspace` (the server's, locked by the caller before it accepts
/// clients) from disk while clients get `-LOADING` (see [`crate::loading`]), and
/// opens the AOF when it is on. The error is what Redis logs before `exit(1)`.
pub fn load_data_from_disk(shared: &Arc<Shared>, keyspace: &mut Keyspace) -> Result<(), String> {
    shared.aof.set_owner(shared);
    let (appendonly, truncated_ok, rdb_path) = {
        let config = shared.config();
        (
            config.get_bool("appendonly"),
            config.get_bool("aof-load-truncated"),
            config.dir().join(config.get_str("dbfilename")),
        )
    };
    let aof = AofConfig::of(&shared.config());
    let now_ms = unix_time().as_millis() as i64;
    let started = Instant::now();
    if !appendonly {
        if rdb_path.is_file() {
            let len = std::fs::metadata(&rdb_path).map_or(0, |m| m.len());
            shared.loading.start(len);
            let keys = load_rdb(keyspace, &rdb_path, now_ms, &shared.loading)
                .map_err(|e| format!("Fatal error loading the DB: {e}. Exiting."))?;
            shared.rdb.note_load(keys, 0);
            if shared.config().replicaof().is_some() {
                crate::replication::restore_from_rdb(shared, &rdb_path);
            }
            tracing::info!(
                "DB loaded from disk: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let dir = open_dir(&aof)?;
    let has_files = dir
        .as_ref()
        .is_some_and(|d| d.manifest().base().is_some() || d.manifest().incrs().next().is_some());
    let mut base_size = 0;
    if let (Some(d), true) = (&dir, has_files) {
        let total = d.files_to_load().map_or(0, |files| {
            files
                .iter()
                .filter_map(|f| std::fs::metadata(&f.path).ok())
                .map(|m| m.len())
                .sum()
        });
        shared.loading.start(total);
        load_aof(keyspace, d, truncated_ok, now_ms, &shared.loading)?;
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
        base_size = d
            .manifest()
            .base()
            .and_then(|b| std::fs::metadata(d.path().join(&b.name)).ok())
            .map_or(0, |m| m.len());
    }
    let files = open_files(dir.filter(|_| has_files), &aof)?;
    shared
        .aof
        .stats
        .base_size
        .store(base_size, std::sync::atomic::Ordering::Relaxed);
    shared
        .aof
        .start(shared, keyspace, files, &aof)
        .map_err(|e| format!("Can't start the AOF writer: {e}"))
}

/// The directory, after upgrading a legacy `appendonly.aof` in `dir` into it.
fn open_dir(aof: &AofConfig) -> Result<Option<AofDir>, String> {
    let legacy = aof.data_dir.join(&aof.prefix);
    let fatal = |e: ferrodis_aof::Error| format!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n{e}");
    if !legacy.is_file() {
        return AofDir::open(&aof.path, &aof.prefix).map_err(fatal);
    }
    let dir = AofDir::upgrade_legacy(&aof.data_dir, &aof.path, &aof.prefix).map_err(fatal)?;
    if !legacy.exists() {
        tracing::info!(
            "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
            aof.prefix,
            aof.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
    }
    Ok(dir)
}

/// `aofOpenIfNeededOnServerStart()`: a base and an incr file are created if the
/// manifest names none; the last incr file is opened for appending; history files
/// are deleted.
fn open_files(dir: Option<AofDir>, aof: &AofConfig) -> Result<Files, String> {
    let created = dir.is_none();
    let mut dir = match dir {
        Some(dir) => dir,
        None => {
            let dir = AofDir::create(&aof.path, &aof.prefix, aof.rdb_preamble, |f| {
                if aof.rdb_preamble {
                    std::io::Write::write_all(f, &empty_rdb()?)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| format!("Can't open or create append-only dir: {e}"))?;
            for entry in &dir.manifest().files {
                let kind = match entry.kind {
                    ferrodis_aof::FileKind::Base => "base",
                    _ => "incr",
                };
                tracing::info!("Creating AOF {kind} file {} on server start", entry.name);
            }
            dir
        }
    };
    let had_incr = dir.manifest().incrs().next().is_some();
    let incr = dir
        .current_incr()
        .map_err(|e| format!("Can't open the append-only file: {e}"))?;
    let name = file_name(&incr);
    if created {
        // Logged with the base above.
    } else if had_incr {
        tracing::info!("Opening AOF incr file {name} on server start");
    } else {
        tracing::info!("Creating AOF incr file {name} on server start");
    }
    if let Err(e) = dir.delete_history() {
        tracing::warn!("Can't delete the AOF history files: {e}");
    }
    let appender = Appender::open(&incr, aof.fsync)
        .map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
    let total: u64 = dir
        .files_to_load()
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    Ok(Files {
        size_before_incr: total.saturating_sub(appender.size()),
        dir: Some(dir),
        appender: Some(appender),
        parked: Vec::new(),
        taken: 0,
        spare: Vec::new(),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An RDB of an empty dataset, the base Redis writes when the AOF starts empty
/// with `aof-use-rdb-preamble yes`: header, aux fields (`aof-base 1`), EOF, CRC-64.
fn empty_rdb() -> std::io::Result<Vec<u8>> {
    let mut sink = crate::rdb_snapshot::RdbSink::new(
        ferrodis_rdb::Options::default(),
        &super::rewrite::base_aux(),
    )
    .map_err(std::io::Error::other)?;
    let mut bytes = sink.take();
    bytes.extend_from_slice(&sink.finish().map_err(std::io::Error::other)?);
    Ok(bytes)
}

/// CONFIG SET appendonly yes (Redis's `startAppendOnly()`): the AOF starts parked,
/// collecting writes in memory, and a rewrite writes the base; when it ends the
/// directory holds the base and an incr file with those writes, and the AOF is on.
pub fn enable(shared: &Shared, keyspace: &mut Keyspace) -> Result<(), String> {
    let aof = &shared.aof;
    if aof.enabled() {
        return Ok(());
    }
    let Some(owner) = aof.owner() else {
        return Err("the server is not running".into());
    };
    let config = AofConfig::of(&shared.config());
    aof.start(&owner, keyspace, Files::default(), &config)
        .map_err(|e| e.to_string())?;
    match super::start_rewrite(shared, keyspace) {
        RewriteStart::Started => Ok(()),
        RewriteStart::Scheduled => {
            tracing::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            Ok(())
        }
        RewriteStart::AlreadyRunning | RewriteStart::Failed => {
            aof.stop(shared, keyspace);
            tracing::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            Err("Unable to turn on AOF. Check server logs.".into())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_empty_base_is_a_valid_rdb() {
        let bytes = empty_rdb().unwrap();
        let items = ferrodis_rdb::decode(&bytes[..]).unwrap();
        assert!(items
            .iter()
            .any(|i| matches!(i, ferrodis_rdb::Item::Aux { .. })));
    }
}
