//! A keyspace snapshot as RDB bytes: a [`PersistSink`] that encodes every key it
//! receives with `ferrodis_rdb::Encoder` into a buffer the full sync drains and
//! sends while the snapshot walks on (Redis's `rdbSaveRio` to a socket).

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferrodis_keyspace::{EntryView, PersistSink, ValueView};
use ferrodis_rdb::{AuxFields, Encoder, KeyMeta, Options, ReplicationAux, Value};

/// The encoder's output, shared with whoever drains it.
#[derive(Debug, Clone, Default)]
pub struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    /// Takes the bytes encoded so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Encodes snapshot entries.
#[derive(Debug)]
pub struct RdbWriter {
    encoder: Option<Encoder<Sink>>,
    db: Option<usize>,
    /// The first encoding error; the sync fails with it.
    pub error: Option<String>,
    /// Keys encoded so far (for `rdb-key-save-delay`).
    pub keys: u64,
}

impl RdbWriter {
    /// Starts an RDB with Redis 7.0's aux fields and the replication ones
    /// (`repl-id`, `repl-offset`, `repl-stream-db`).
    pub fn new(
        out: Sink,
        options: Options,
        replid: &str,
        offset: u64,
        stream_db: usize,
    ) -> Result<RdbWriter, String> {
        let mut encoder = Encoder::new(out, options).map_err(|e| e.to_string())?;
        let mut aux = AuxFields::redis_7_0(crate::alloc::allocated().unwrap_or(0));
        aux.replication = Some(ReplicationAux {
            stream_db: stream_db as i64,
            id: replid.to_string(),
            offset: offset as i64,
        });
        encoder.aux_fields(&aux).map_err(|e| e.to_string())?;
        Ok(RdbWriter {
            encoder: Some(encoder),
            db: None,
            error: None,
            keys: 0,
        })
    }

    /// Writes EOF and the checksum.
    pub fn finish(&mut self) -> Result<(), String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.encoder.take() {
            Some(encoder) => encoder.finish().map(drop).map_err(|e| e.to_string()),
            None => Err("RDB already finished".into()),
        }
    }
}

impl PersistSink for RdbWriter {
    fn entry(&mut self, db: usize, entry: EntryView<'_>) {
        let Some(encoder) = self.encoder.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let result = (|| {
            if self.db != Some(db) {
                encoder.select_db(db as u64)?;
                self.db = Some(db);
            }
            let meta = KeyMeta {
                expire_ms: entry.expire_at,
                ..KeyMeta::default()
            };
            encoder
                .key(entry.key, &to_value(entry.value), meta)
                .map(drop)
        })();
        match result {
            Ok(()) => self.keys += 1,
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

/// The keyspace's view of a value in the RDB crate's model.
pub fn to_value(value: ValueView<'_>) -> Value {
    let bytes = |s: ferrodis_keyspace::Scalar<'_>| Bytes::from(s.to_vec());
    match value {
        ValueView::String(s) => Value::String(bytes(s)),
        ValueView::List(l) => {
            let mut items = Vec::with_capacity(l.len());
            l.for_each(|e| items.push(bytes(e)));
            Value::List(items)
        }
        ValueView::Set(s) => {
            let mut items = Vec::with_capacity(s.len());
            s.for_each(|e| items.push(bytes(e)));
            Value::Set(items)
        }
        ValueView::Hash(h) => {
            let mut pairs = Vec::with_capacity(h.len());
            h.for_each(|f, v| pairs.push((Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))));
            Value::Hash(pairs)
        }
        ValueView::SortedSet(z) => {
            let mut pairs = Vec::with_capacity(z.len());
            z.for_each(|m, s| pairs.push((Bytes::copy_from_slice(m), s)));
            Value::SortedSet(pairs)
        }
    }
}

/// Encoding options from the configuration (`rdbcompression`, `rdbchecksum`, the
/// listpack thresholds).
pub fn options(config: &crate::config::Config) -> Options {
    let mut o = Options {
        compression: config.get_bool("rdbcompression"),
        checksum: config.get_bool("rdbchecksum"),
        ..Options::default()
    };
    let size = |n: &str| config.get_int(n).max(0) as usize;
    o.limits.hash_max_listpack_entries = size("hash-max-listpack-entries");
    o.limits.hash_max_listpack_value = size("hash-max-listpack-value");
    o.limits.zset_max_listpack_entries = size("zset-max-listpack-entries");
    o.limits.zset_max_listpack_value = size("zset-max-listpack-value");
    o.limits.set_max_intset_entries = size("set-max-intset-entries");
    o.limits.list_max_listpack_size = config.get_int("list-max-listpack-size");
    o
}
