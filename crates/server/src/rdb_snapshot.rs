//! The keyspace's point-in-time snapshot as an RDB stream: what BGSAVE writes to a
//! file, an AOF rewrite writes as its `.base.rdb`, and a full resync sends to a
//! replica. One adapter from the keyspace's views to the RDB value model, here only
//! (DESIGN.md: the conversion lives on one side).
//!
//! [`RdbSink`] encodes the keys the snapshot hands it into an in-memory buffer;
//! [`write_snapshot`] drives a snapshot step by step, taking the keyspace lock only
//! for each step, and writes the buffer out between steps, so clients keep running
//! commands (and their writes never reach the file) while the file is written.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use ferrodis_keyspace::{EntryView, Keyspace, PersistSink, ValueView};
use ferrodis_rdb::{AuxFields, Encoder, KeyMeta, Options, Value};

use crate::shared::Shared;

/// Segments (a few hundred keys each) encoded per hold of the keyspace lock.
const SEGMENTS_PER_STEP: usize = 16;

/// Encoding options from the configuration (`rdbcompression`, `rdbchecksum`, the
/// listpack thresholds): what every RDB the server writes uses.
pub fn options(config: &crate::config::Config) -> Options {
    let size = |name: &str| config.get_int(name).max(0) as usize;
    let limits = ferrodis_rdb::EncodingLimits {
        hash_max_listpack_entries: size("hash-max-listpack-entries"),
        hash_max_listpack_value: size("hash-max-listpack-value"),
        zset_max_listpack_entries: size("zset-max-listpack-entries"),
        zset_max_listpack_value: size("zset-max-listpack-value"),
        set_max_intset_entries: size("set-max-intset-entries"),
        list_max_listpack_size: config.get_int("list-max-listpack-size"),
        ..ferrodis_rdb::EncodingLimits::default()
    };
    Options {
        compression: config.get_bool("rdbcompression"),
        checksum: config.get_bool("rdbchecksum"),
        limits,
        ..Options::default()
    }
}

/// Encodes snapshot keys as RDB.
pub struct RdbSink {
    encoder: Option<Encoder<Vec<u8>>>,
    /// Each database's key and expiry counts when the snapshot began, for the
    /// RESIZEDB hint after its first SELECTDB (taken out once written).
    sizes: Vec<Option<(u64, u64)>>,
    /// The database of the last key written (a SELECTDB comes whenever it changes).
    db: Option<usize>,
    error: Option<String>,
    keys: u64,
}

impl std::fmt::Debug for RdbSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdbSink")
            .field("keys", &self.keys)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A stored value in the RDB value model.
pub fn to_rdb_value(value: &ValueView<'_>) -> Value {
    let bytes = |b: &[u8]| Bytes::copy_from_slice(b);
    match value {
        ValueView::String(s) => Value::String(Bytes::from(s.to_vec())),
        ValueView::List(l) => {
            let mut items = Vec::with_capacity(l.len());
            l.for_each(|e| items.push(Bytes::from(e.to_vec())));
            Value::List(items)
        }
        ValueView::Set(s) => {
            let mut items = Vec::with_capacity(s.len());
            s.for_each(|e| items.push(Bytes::from(e.to_vec())));
            Value::Set(items)
        }
        ValueView::Hash(h) => {
            let mut pairs = Vec::with_capacity(h.len());
            h.for_each(|f, v| pairs.push((bytes(f), bytes(v))));
            Value::Hash(pairs)
        }
        ValueView::SortedSet(z) => {
            let mut pairs = Vec::with_capacity(z.len());
            z.for_each(|m, s| pairs.push((bytes(m), s)));
            Value::SortedSet(pairs)
        }
    }
}

impl RdbSink {
    /// A sink whose stream starts with the header and `aux` fields.
    pub fn new(options: Options, aux: &AuxFields) -> Result<RdbSink, String> {
        let mut encoder = Encoder::new(Vec::new(), options).map_err(|e| e.to_string())?;
        encoder.aux_fields(aux).map_err(|e| e.to_string())?;
        Ok(RdbSink {
            sizes: Vec::new(),
            encoder: Some(encoder),
            db: None,
            error: None,
            keys: 0,
        })
    }

    /// The bytes encoded so far, taken out of the buffer.
    pub fn take(&mut self) -> Vec<u8> {
        self.encoder
            .as_mut()
            .map(|e| std::mem::take(e.get_mut()))
            .unwrap_or_default()
    }

    /// Ends the stream (EOF and checksum) and returns its last bytes.
    pub fn finish(&mut self) -> Result<Vec<u8>, String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let encoder = self
            .encoder
            .take()
            .ok_or("the RDB stream was finished already")?;
        encoder.finish().map_err(|e| e.to_string())
    }

    /// Records the databases' sizes for the RESIZEDB hints (Redis writes one after
    /// each SELECTDB, and loaders size their tables by it).
    pub fn note_sizes(&mut self, keyspace: &Keyspace) {
        self.sizes = (0..keyspace.databases())
            .map(|db| {
                let info = keyspace.db_info(db);
                Some((info.keys as u64, info.expires as u64))
            })
            .collect();
    }

    /// Keys encoded so far.
    pub fn keys(&self) -> u64 {
        self.keys
    }

    fn write(&mut self, db: usize, entry: &EntryView<'_>) -> Result<(), String> {
        let encoder = self.encoder.as_mut().ok_or("the RDB stream is finished")?;
        if self.db != Some(db) {
            encoder.select_db(db as u64).map_err(|e| e.to_string())?;
            if let Some((keys, expires)) = self.sizes.get_mut(db).and_then(Option::take) {
                encoder
                    .resize_db(keys, expires)
                    .map_err(|e| e.to_string())?;
            }
            self.db = Some(db);
        }
        let meta = KeyMeta {
            expire_ms: entry.expire_at,
            ..KeyMeta::default()
        };
        match entry.value {
            // Strings go straight from the keyspace's bytes, without a Value.
            ValueView::String(s) => s.with_bytes(|v| encoder.string_key(entry.key, v, meta)),
            ref other => encoder.key(entry.key, &to_rdb_value(other), meta),
        }
        .map_err(|e| e.to_string())?;
        self.keys += 1;
        Ok(())
    }
}

impl PersistSink for RdbSink {
    fn entry(&mut self, db: usize, entry: EntryView<'_>) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.write(db, &entry) {
            self.error = Some(e);
        }
    }
}

/// Writes a point-in-time RDB of the whole keyspace to `out`; returns the number of
/// keys. Blocking: run it on a thread of its own. Fails at once if another snapshot
/// (BGSAVE, AOF rewrite, full sync) is running.
pub fn write_snapshot(
    shared: &Shared,
    options: Options,
    aux: &AuxFields,
    out: &mut impl Write,
) -> Result<u64, String> {
    let sink = begin(&mut shared.keyspace(), options, aux)?;
    drive(shared, &sink, out, |_| true)
}

/// Starts a snapshot into a new [`RdbSink`] with the keyspace already locked by
/// the caller (BGSAVE runs inside a command): the point in time is now. Fails if
/// another snapshot is running.
pub fn begin(
    keyspace: &mut Keyspace,
    options: Options,
    aux: &AuxFields,
) -> Result<Arc<Mutex<RdbSink>>, String> {
    let mut sink = RdbSink::new(options, aux)?;
    sink.note_sizes(keyspace);
    let sink = Arc::new(Mutex::new(sink));
    if !keyspace.begin_snapshot(sink.clone()) {
        return Err("another snapshot is in progress".into());
    }
    Ok(sink)
}

/// Runs the snapshot [`begin`] started to completion, writing the stream to `out`
/// between steps, each step under the keyspace lock. After each step `pace` gets
/// the keys encoded so far and may sleep (`rdb-key-save-delay`) or return false to
/// abandon the save. The snapshot is ended in every case; returns the key count.
pub fn drive(
    shared: &Shared,
    sink: &Arc<Mutex<RdbSink>>,
    out: &mut impl Write,
    mut pace: impl FnMut(u64) -> bool,
) -> Result<u64, String> {
    let take = |s: &Arc<Mutex<RdbSink>>| {
        // The sink never panics while locked; a poisoned lock still holds its data.
        let mut guard = s.lock().unwrap_or_else(PoisonError::into_inner);
        (guard.take(), guard.keys())
    };
    let result = (|| -> Result<(), String> {
        loop {
            let done = shared.keyspace().snapshot_step(SEGMENTS_PER_STEP);
            let (bytes, keys) = take(sink);
            out.write_all(&bytes).map_err(|e| e.to_string())?;
            if done {
                return Ok(());
            }
            if !pace(keys) {
                return Err("the save was cancelled".into());
            }
        }
    })();
    shared.keyspace().end_snapshot();
    result?;
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    finish(&mut sink, out)
}

/// Writes the whole keyspace as RDB at once, with the keyspace held by the caller
/// the whole time (SAVE, SHUTDOWN, DEBUG RELOAD): no snapshot is needed, so it
/// works while another one runs. The buffer is written out every few hundred KB.
pub fn write_now(
    keyspace: &Keyspace,
    options: Options,
    aux: &AuxFields,
    out: &mut (impl Write + Send),
) -> Result<u64, String> {
    /// Hands the encoded bytes to `out` as they pile up.
    struct Flushing<'a, W: Write> {
        sink: RdbSink,
        out: &'a mut W,
        error: Option<String>,
    }
    impl<W: Write + Send> PersistSink for Flushing<'_, W> {
        fn entry(&mut self, db: usize, entry: EntryView<'_>) {
            self.sink.entry(db, entry);
            let pending = self.sink.encoder.as_mut().map_or(0, |e| e.get_mut().len());
            if pending >= 256 * 1024 && self.error.is_none() {
                let bytes = self.sink.take();
                if let Err(e) = self.out.write_all(&bytes) {
                    self.error = Some(e.to_string());
                }
            }
        }
    }
    let mut sink = RdbSink::new(options, aux)?;
    sink.note_sizes(keyspace);
    let mut flushing = Flushing {
        sink,
        out,
        error: None,
    };
    keyspace.for_each_entry(&mut flushing);
    if let Some(e) = flushing.error {
        return Err(e);
    }
    finish(&mut flushing.sink, flushing.out)
}

/// Writes what the sink still holds and the stream's end.
fn finish(sink: &mut RdbSink, out: &mut impl Write) -> Result<u64, String> {
    let rest = sink.take();
    out.write_all(&rest).map_err(|e| e.to_string())?;
    let tail = sink.finish()?;
    out.write_all(&tail).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(sink.keys())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;
    use ferrodis_keyspace::Session;
    use ferrodis_rdb::{decode, Item};

    #[test]
    fn the_snapshot_decodes_to_the_keyspace() {
        let shared = Shared::new(Config::default(), 0);
        {
            let mut ks = shared.keyspace();
            let mut run = |db: usize, words: &[&str]| {
                let argv: Vec<Bytes> = words
                    .iter()
                    .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                    .collect();
                let mut s = Session {
                    db,
                    ..Session::default()
                };
                ks.execute(&mut s, &argv).unwrap();
            };
            for i in 0..2000 {
                run(i % 3, &["SET", &format!("k{i}"), &format!("{i}")]);
            }
            run(0, &["RPUSH", "l", "a", "b"]);
            run(1, &["SADD", "s", "1", "x"]);
            run(2, &["HSET", "h", "f", "v"]);
            run(2, &["ZADD", "z", "1.5", "m"]);
            run(2, &["PEXPIREAT", "z", "99999999999999"]);
        }
        let mut out = Vec::new();
        let aux = AuxFields::redis_7_0(0);
        let keys = write_snapshot(&shared, Options::default(), &aux, &mut out).unwrap();
        assert_eq!(keys, 2004);
        let items = decode(&out).unwrap();
        let decoded: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Key(k) => Some(k),
                _ => None,
            })
            .collect();
        assert_eq!(decoded.len(), 2004);
        // One RESIZEDB per database, with its size when the snapshot began.
        let sizes: Vec<u64> = items
            .iter()
            .filter_map(|i| match i {
                Item::ResizeDb { db_size, .. } => Some(*db_size),
                _ => None,
            })
            .collect();
        assert_eq!(sizes.len(), 3);
        assert_eq!(sizes.iter().sum::<u64>(), 2004);
        let z = decoded.iter().find(|k| &k.key[..] == b"z").unwrap();
        assert_eq!((z.db, z.expire_ms), (2, Some(99_999_999_999_999)));
        assert_eq!(
            z.value,
            Value::SortedSet(vec![(Bytes::from_static(b"m"), 1.5)])
        );
        let k7 = decoded.iter().find(|k| &k.key[..] == b"k7").unwrap();
        assert_eq!(
            (k7.db, &k7.value),
            (1, &Value::String(Bytes::from_static(b"7")))
        );
        assert!(!shared.keyspace().snapshot_running());
    }
}
