//! Filling the keyspace at start-up: from the AOF directory when `appendonly yes`,
//! otherwise from the RDB file (Redis 7.0's `loadDataFromDisk()`).
//!
//! AOF commands go through [`Keyspace::execute`], as Redis's AOF loading runs
//! commands through a fake client; RDB keys are built in place with
//! [`Keyspace::load_key`] (Redis's `rdbLoadObject()`), in the encodings the
//! keyspace's thresholds call for.

use std::path::Path;

use bytes::Bytes;
use ferrodis_aof::{load_files_with, AofDir, LoadEvent, LoadOptions, LoadReport};
use ferrodis_keyspace::{Keyspace, LoadValue, Scalar, Session};
use ferrodis_rdb::{Element, Item, Packed, PackedKind, Value};

use crate::loading::Loading;

/// Applies one RDB key. Keys already expired are skipped, as a master skips them
/// (`rdbLoadRioWithLoadingCtx`: "if (iAmMaster() && expiretime < now)"); types the
/// keyspace does not have (streams, modules) are an error naming the key.
pub fn apply_rdb_key(
    ks: &mut Keyspace,
    key: ferrodis_rdb::Key,
    now_ms: i64,
) -> Result<bool, String> {
    if key.expire_ms.is_some_and(|at| at < now_ms) {
        return Ok(false);
    }
    store_rdb_key(ks, key)
}

/// Builds one RDB key in the keyspace, expired or not (a replica keeps expired
/// keys for its master's DEL); false for nothing stored (an empty collection).
pub fn store_rdb_key(ks: &mut Keyspace, key: ferrodis_rdb::Key) -> Result<bool, String> {
    let db = usize::try_from(key.db).unwrap_or(usize::MAX);
    if db >= ks.databases() {
        return Err(format!(
            "the RDB holds database {} but `databases` is {}",
            key.db,
            ks.databases()
        ));
    }
    let (name, expire) = (&key.key, key.expire_ms);
    let value = match key.value {
        // The decoder gives every string an allocation of its own: moved, not copied.
        Value::String(v) => return load(ks, db, name, LoadValue::OwnedString(v), expire),
        Value::List(items) => return load(ks, db, name, LoadValue::List(&items), expire),
        Value::Set(items) => return load(ks, db, name, LoadValue::Set(&items), expire),
        Value::SortedSet(pairs) => pairs,
        Value::Packed(packed) => return load_packed(ks, db, name, &packed, expire),
        Value::Hash(pairs) => return load(ks, db, name, LoadValue::Hash(&pairs), expire),
        Value::HashWithTtl(fields) => {
            // Redis 7.0 has no field TTLs: the fields load without them.
            let pairs: Vec<(Bytes, Bytes)> =
                fields.into_iter().map(|f| (f.field, f.value)).collect();
            return load(ks, db, name, LoadValue::Hash(&pairs), expire);
        }
        other => {
            return Err(format!(
                "key {:?} holds a {}, which ferrodis does not support",
                String::from_utf8_lossy(name),
                other.type_name()
            ))
        }
    };
    load(ks, db, name, LoadValue::SortedSet(&value), expire)
}

/// Builds a key from a value the decoder left in its listpacks, walking them
/// once with no element buffer in between.
fn load_packed(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    packed: &Packed,
    expire: Option<i64>,
) -> Result<bool, String> {
    let bytes_hint = packed.byte_len();
    match packed.kind() {
        PackedKind::List => {
            let each = &mut |sink: &mut dyn FnMut(Scalar<'_>)| {
                packed.elements().for_each(|e| sink(scalar(e)));
            };
            load(ks, db, key, LoadValue::ListOf { each, bytes_hint }, expire)
        }
        PackedKind::Set => {
            let each = &mut |sink: &mut dyn FnMut(Scalar<'_>)| {
                packed.elements().for_each(|e| sink(scalar(e)));
            };
            let len_hint = packed.len();
            load(ks, db, key, LoadValue::SetOf { each, len_hint }, expire)
        }
        PackedKind::Hash => {
            let each = &mut |sink: &mut dyn FnMut(Scalar<'_>, Scalar<'_>)| {
                packed.pairs().for_each(|(f, v)| sink(scalar(f), scalar(v)));
            };
            load(ks, db, key, LoadValue::HashOf { each, bytes_hint }, expire)
        }
        PackedKind::SortedSet => {
            let each = &mut |sink: &mut dyn FnMut(Scalar<'_>, f64)| {
                packed.scored().for_each(|(m, s)| sink(scalar(m), s));
            };
            load(
                ks,
                db,
                key,
                LoadValue::SortedSetOf { each, bytes_hint },
                expire,
            )
        }
    }
}

/// A listpack element as the keyspace takes it.
fn scalar(e: Element<'_>) -> Scalar<'_> {
    match e {
        Element::Str(s) => Scalar::Bytes(s),
        Element::Int(i) => Scalar::Int(i),
    }
}

/// Builds the key in place (Redis's rdbLoadObject), not replayed as commands.
fn load(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    value: LoadValue<'_>,
    expire: Option<i64>,
) -> Result<bool, String> {
    ks.load_key(db, key, value, expire)
        .map_err(|e| e.to_string())
}

/// The database an RDB stream selected last, for its RESIZEDB hints.
#[derive(Debug, Default)]
pub struct RdbHints {
    db: u64,
    /// A bound on how many keys the stream can hold (its length in bytes / 2: a
    /// key takes at least a type byte and a length byte), so a hostile RESIZEDB
    /// cannot make the table reserve room for billions of keys.
    max_keys: u64,
}

impl RdbHints {
    /// Hints for a stream of `len` bytes (`u64::MAX` when unknown, e.g. a socket).
    pub fn for_len(len: u64) -> RdbHints {
        RdbHints {
            db: 0,
            max_keys: len / 2,
        }
    }

    /// Follows SELECTDB and applies RESIZEDB as a reservation (Redis's
    /// `dictExpand()` on load).
    pub fn apply(&mut self, ks: &mut Keyspace, item: &Item) {
        match item {
            Item::SelectDb { db } => self.db = *db,
            Item::ResizeDb { db_size, .. } => {
                let keys = (*db_size).min(self.max_keys).min(1 << 30);
                if let Ok(db) = usize::try_from(self.db) {
                    ks.reserve(db, keys as usize);
                }
            }
            _ => {}
        }
    }
}

/// Loads an RDB file into an empty keyspace; returns the number of keys loaded.
/// `loading` gets the progress INFO reports (its bytes count from `start`, for an
/// RDB that is the base of an AOF).
pub fn load_rdb(
    ks: &mut Keyspace,
    path: &Path,
    now_ms: i64,
    loading: &Loading,
) -> Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().map_or(u64::MAX, |m| m.len());
    let mut hints = RdbHints::for_len(len);
    let mut decoder = ferrodis_rdb::Decoder::new(file);
    decoder.keep_packed(true);
    let mut loaded = 0;
    while let Some(item) = decoder.next_item().map_err(|e| e.to_string())? {
        match item {
            Item::Key(key) => {
                loaded += u64::from(apply_rdb_key(ks, key, now_ms)?);
                loading.key_loaded()?;
                if loaded % PROGRESS_EVERY == 0 {
                    loading.progress(decoder.offset());
                }
            }
            Item::Eof { .. } => break,
            other => {
                note_used_mem(loading, &other);
                hints.apply(ks, &other);
            }
        }
    }
    Ok(loaded)
}

/// Keys between two progress reports (Redis reports every 2 MB or so).
const PROGRESS_EVERY: u64 = 1024;

/// The `used-mem` aux field, for INFO's `loading_rdb_used_mem`.
fn note_used_mem(loading: &Loading, item: &Item) {
    if let Item::Aux { key, value } = item {
        if key.as_ref() == b"used-mem" {
            if let Some(n) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                loading.set_rdb_used_mem(n);
            }
        }
    }
}

/// Loads the AOF directory `dir` (base, then increments) into the keyspace, logging
/// what Redis 7.0's `loadAppendOnlyFiles()` logs. Commands run as Redis's fake
/// client runs them: replies are ignored, but an unknown command stops the load
/// (Redis: "Unknown command '...' reading the append only file ..."). The error is
/// the fatal message Redis logs before exiting (lines separated by `\n`).
pub fn load_aof(
    ks: &mut Keyspace,
    dir: &AofDir,
    truncated_ok: bool,
    now_ms: i64,
    loading: &Loading,
) -> Result<LoadReport, String> {
    let files = dir.files_to_load().map_err(|e| match e {
        // Redis stats every file first (`getBaseAndIncrAppendOnlyFilesSize`).
        ferrodis_aof::Error::MissingFile { name } => {
            format!("Unable to obtain the AOF file {name} length. stat: No such file or directory")
        }
        e => e.to_string(),
    })?;
    let mut session = Session::default();
    let mut total = LoadReport::default();
    let mut done = 0u64;
    for file in &files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let started = std::time::Instant::now();
        let rdb = file.format().map_err(|e| e.to_string())? == ferrodis_aof::Format::Rdb;
        let is_base = file.kind == ferrodis_aof::FileKind::Base;
        if rdb {
            if name.ends_with(".rdb") {
                tracing::info!("Reading RDB base file on AOF loading...");
            } else {
                tracing::info!("Reading RDB preamble from AOF file...");
            }
        }
        let run = |ks: &mut Keyspace, session: &mut Session, argv: &[Bytes]| {
            ks.execute(session, argv).map(drop).ok_or_else(|| {
                format!(
                    "Unknown command '{}' reading the append only file {name}",
                    String::from_utf8_lossy(&argv[0])
                )
            })
        };
        let len = std::fs::metadata(&file.path).map_or(u64::MAX, |m| m.len());
        let mut hints = RdbHints::for_len(len);
        let options = LoadOptions {
            truncated_ok,
            keep_packed: true,
        };
        let report = load_files_with(std::slice::from_ref(file), options, |event| {
            match event {
                LoadEvent::Rdb(Item::Key(key)) => loading
                    .key_loaded()
                    .and_then(|()| apply_rdb_key(ks, key, now_ms).map(drop)),
                LoadEvent::Rdb(other) => {
                    note_used_mem(loading, &other);
                    hints.apply(ks, &other);
                    Ok(())
                }
                LoadEvent::Command(argv) => {
                    loading.check().and_then(|()| run(ks, &mut session, &argv))
                }
                LoadEvent::Transaction(cmds) => {
                    ks.begin_transaction();
                    let r = cmds.iter().try_for_each(|argv| run(ks, &mut session, argv));
                    ks.end_transaction();
                    r
                }
            }
            .map_err(|message| ferrodis_aof::Error::Apply { message })
        })
        .map_err(|e| fatal_message(&e, &name, file.last, truncated_ok, is_base))?;
        if let Some(cut) = &report.truncated {
            if cut.incomplete_multi {
                tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
            }
            tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
            tracing::warn!(
                "!!! Truncating the AOF {name} at offset {} !!!",
                cut.valid_len
            );
            tracing::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
        }
        let kind = if is_base { "base" } else { "incr" };
        tracing::info!(
            "DB loaded from {kind} file {name}: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
        done = done.saturating_add(len);
        loading.progress(done);
        total.files += report.files;
        total.commands += report.commands;
        total.rdb_keys += report.rdb_keys;
        total.truncated = total.truncated.or(report.truncated);
    }
    Ok(total)
}

/// What Redis logs before exiting for a load error in file `name`.
fn fatal_message(
    e: &ferrodis_aof::Error,
    name: &str,
    last: bool,
    truncated_ok: bool,
    is_base: bool,
) -> String {
    use ferrodis_aof::Error;
    match e {
        Error::UnexpectedEof { .. } if truncated_ok && !last => {
            "Fatal error: the truncated file is not the last file".to_string()
        }
        Error::UnexpectedEof { .. } => format!(
            "Unexpected end of file reading the append only file {name}. You can: \
             1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. \
             2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
        ),
        Error::BadFormat { offset } => format!(
            "Bad file format reading the append only file {name}: make a backup of your AOF file, \
             then use ./redis-check-aof --fix <filename.manifest>\n\
             The first bad record of {name} starts at offset {offset}"
        ),
        Error::Rdb { source, .. } => {
            let what = if is_base && name.ends_with(".rdb") {
                format!("Error reading the RDB base file {name}, AOF loading aborted")
            } else {
                format!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted")
            };
            format!("{what}\n{source}")
        }
        Error::Apply { message } => message.clone(),
        e => match std::error::Error::source(e) {
            Some(inner) => format!("{e}: {inner}"),
            None => format!("{e} in {name}"),
        },
    }
}
