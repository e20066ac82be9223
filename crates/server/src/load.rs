//! Filling the keyspace at start-up: from the AOF directory when `appendonly yes`,
//! otherwise from the RDB file (Redis 7.0's `loadDataFromDisk()`).
//!
//! RDB keys and AOF commands both go through [`Keyspace::execute`], as Redis's
//! AOF loading runs commands through a fake client: an RDB key becomes the
//! commands an AOF rewrite would write for it (`SET`, `RPUSH`, `SADD`, `ZADD`,
//! `HSET`, then `PEXPIREAT`), so one path builds every value with the keyspace's
//! own encodings and thresholds.

use std::path::Path;

use bytes::Bytes;
use ferrodis_aof::{load_files, AofDir, LoadEvent, LoadReport};
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_rdb::{Item, Value};

/// Elements per generated command, as the AOF rewrite batches them.
const BATCH: usize = 64;

/// Applies one RDB key. Keys already expired are skipped, as a master skips them
/// (`rdbLoadRioWithLoadingCtx`: "if (iAmMaster() && expiretime < now)"); types the
/// keyspace does not have (streams, modules) are an error naming the key.
pub fn apply_rdb_key(
    ks: &mut Keyspace,
    key: &ferrodis_rdb::Key,
    now_ms: i64,
) -> Result<bool, String> {
    if key.expire_ms.is_some_and(|at| at < now_ms) {
        return Ok(false);
    }
    let db = usize::try_from(key.db).unwrap_or(usize::MAX);
    if db >= ks.databases() {
        return Err(format!(
            "the RDB holds database {} but `databases` is {}",
            key.db,
            ks.databases()
        ));
    }
    let mut session = Session {
        db,
        ..Session::default()
    };
    let k = key.key.clone();
    let mut run = |argv: Vec<Bytes>| -> Result<(), String> {
        match ks.execute(&mut session, &argv) {
            Some(ferrodis_resp::Frame::Error(e)) => Err(String::from_utf8_lossy(&e).into_owned()),
            Some(_) => Ok(()),
            None => Err("unknown command".into()),
        }
    };
    match &key.value {
        Value::String(v) => run(vec![Bytes::from_static(b"SET"), k.clone(), v.clone()])?,
        Value::List(items) => batched("RPUSH", &k, items, 1, &mut run)?,
        Value::Set(items) => batched("SADD", &k, items, 1, &mut run)?,
        Value::SortedSet(pairs) => {
            // The shortest text that parses back to the same double (the
            // keyspace's strtod rounds correctly): much cheaper than %.17g.
            let flat: Vec<Bytes> = pairs
                .iter()
                .flat_map(|(m, s)| [Bytes::from(format!("{s:?}")), m.clone()])
                .collect();
            batched("ZADD", &k, &flat, 2, &mut run)?;
        }
        Value::Hash(pairs) => {
            let flat: Vec<Bytes> = pairs
                .iter()
                .flat_map(|(f, v)| [f.clone(), v.clone()])
                .collect();
            batched("HSET", &k, &flat, 2, &mut run)?;
        }
        Value::HashWithTtl(fields) => {
            // Redis 7.0 has no field TTLs: the fields load without them.
            let flat: Vec<Bytes> = fields
                .iter()
                .flat_map(|f| [f.field.clone(), f.value.clone()])
                .collect();
            batched("HSET", &k, &flat, 2, &mut run)?;
        }
        other => {
            return Err(format!(
                "key {:?} holds a {}, which ferrodis does not support",
                String::from_utf8_lossy(&key.key),
                other.type_name()
            ))
        }
    }
    if let Some(at) = key.expire_ms {
        run(vec![
            Bytes::from_static(b"PEXPIREAT"),
            k.clone(),
            Bytes::from(at.to_string()),
        ])?;
    }
    Ok(true)
}

/// Runs `name key items...` with at most [`BATCH`] elements (of `per` arguments)
/// per command.
fn batched(
    name: &'static str,
    key: &Bytes,
    items: &[Bytes],
    per: usize,
    run: &mut impl FnMut(Vec<Bytes>) -> Result<(), String>,
) -> Result<(), String> {
    for chunk in items.chunks(BATCH * per) {
        let mut argv = Vec::with_capacity(chunk.len() + 2);
        argv.push(Bytes::from_static(name.as_bytes()));
        argv.push(key.clone());
        argv.extend(chunk.iter().cloned());
        run(argv)?;
    }
    Ok(())
}

/// Loads an RDB file into an empty keyspace; returns the number of keys loaded.
pub fn load_rdb(ks: &mut Keyspace, path: &Path, now_ms: i64) -> Result<u64, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = ferrodis_rdb::Decoder::new(file);
    let mut loaded = 0;
    while let Some(item) = decoder.next_item().map_err(|e| e.to_string())? {
        match item {
            Item::Key(key) => loaded += u64::from(apply_rdb_key(ks, &key, now_ms)?),
            Item::Eof { .. } => break,
            _ => {}
        }
    }
    Ok(loaded)
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
        let report = load_files(std::slice::from_ref(file), truncated_ok, |event| {
            match event {
                LoadEvent::Rdb(Item::Key(key)) => apply_rdb_key(ks, &key, now_ms).map(drop),
                LoadEvent::Rdb(_) => Ok(()),
                LoadEvent::Command(argv) => run(ks, &mut session, &argv),
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
