//! The streaming encoder: header, records, EOF and checksum, written to any
//! [`Write`] (`rdbSaveRio` in Redis's rdb.c, read for the record order).
//!
//! Records are built in an internal buffer and handed to the writer in large
//! pieces; the CRC-64 is computed over each piece on its way out.

use std::io::Write;

use crate::encode_value::{type_byte, ValueWriter};
use crate::format::{magic, opcode, rdb_type};
use crate::header::Header;
use crate::item::{Encoding, Item, Key};
use crate::lzf_compress::Compressor;
use crate::value::Value;
use crate::{crc64, write_length, Error, Result};

/// Bytes buffered before they are written out.
const FLUSH_AT: usize = 64 * 1024;
/// The oldest version this encoder writes (Redis 5.0 / 6.x).
pub const ENCODER_VERSION_MIN: u32 = 9;
/// The newest version this encoder writes (Redis 7.4).
pub const ENCODER_VERSION_MAX: u32 = magic::REDIS_7_4_VERSION;

/// How to write a file: `rdbcompression`, `rdbchecksum`, the version, and the
/// encoding thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// RDB version: 9 (Redis 6.x), 10 (7.0, the default), 11 (7.2), 12 (7.4).
    pub version: u32,
    /// `rdbcompression yes`: LZF for strings over 20 bytes when it pays.
    pub compression: bool,
    /// `rdbchecksum yes`: a CRC-64 trailer; `no` writes 0, as Redis does.
    pub checksum: bool,
    /// When collections get their compact encodings.
    pub limits: EncodingLimits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            version: magic::DEFAULT_VERSION,
            compression: true,
            checksum: true,
            limits: EncodingLimits::default(),
        }
    }
}

/// Redis's `*-max-listpack-*` settings, which decide the compact encodings.
/// The defaults are Redis 7.0's (and 7.2's for sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingLimits {
    /// `hash-max-listpack-entries` (512).
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value` (64).
    pub hash_max_listpack_value: usize,
    /// `zset-max-listpack-entries` (128).
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value` (64).
    pub zset_max_listpack_value: usize,
    /// `set-max-intset-entries` (512).
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries` (128; version 11+).
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value` (64; version 11+).
    pub set_max_listpack_value: usize,
    /// `list-max-listpack-size` (-2: 8 KiB nodes; positive: entries per node).
    pub list_max_listpack_size: i64,
    /// Elements at least this long get a PLAIN quicklist node (1 GiB; `DEBUG
    /// QUICKLIST-PACKED-THRESHOLD`). Version 10+.
    pub list_packed_threshold: usize,
    /// `stream-node-max-bytes` (4096; 0 = no limit).
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries` (100; 0 = no limit).
    pub stream_node_max_entries: usize,
}

impl Default for EncodingLimits {
    fn default() -> EncodingLimits {
        EncodingLimits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_packed_threshold: 1 << 30,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
        }
    }
}

/// What precedes a key: its expiry and eviction data (`rdbSaveKeyValuePair`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// Absolute expiry, Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (Redis writes it under an LRU maxmemory policy).
    pub lru_idle: Option<u64>,
    /// LFU counter (under an LFU policy).
    pub lfu_freq: Option<u8>,
}

/// Redis's standard aux fields (`rdbSaveInfoAuxFields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxFields {
    /// `redis-ver`: the server version the file claims ("7.0.15").
    pub redis_ver: String,
    /// `redis-bits`: 64 or 32.
    pub redis_bits: u32,
    /// `ctime`: creation time, Unix seconds.
    pub ctime: i64,
    /// `used-mem`: the server's memory use, bytes.
    pub used_mem: u64,
    /// `repl-stream-db`, `repl-id`, `repl-offset`, written when saving for
    /// replication or with a replication backlog.
    pub replication: Option<ReplicationAux>,
    /// `aof-base`: 1 when the file is an AOF's base.
    pub aof_base: bool,
}

/// The replication aux fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationAux {
    /// `repl-stream-db`: the db the replication stream last selected.
    pub stream_db: i64,
    /// `repl-id`: the 40-character replication id.
    pub id: String,
    /// `repl-offset`: the master replication offset.
    pub offset: i64,
}

impl AuxFields {
    /// Fields as redis-server 7.0.15 on 64 bits writes them, created now.
    pub fn redis_7_0(used_mem: u64) -> AuxFields {
        let ctime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        AuxFields {
            redis_ver: "7.0.15".to_owned(),
            redis_bits: 64,
            ctime,
            used_mem,
            replication: None,
            aof_base: false,
        }
    }
}

/// Writes an RDB stream record by record.
///
/// ```
/// use ferrodis_rdb::{decode, Encoder, KeyMeta, Options, Value};
///
/// let mut enc = Encoder::new(Vec::new(), Options::default())?; // version 10
/// enc.aux(b"redis-ver", b"7.0.15")?;
/// enc.select_db(0)?;
/// enc.resize_db(1, 0)?;
/// enc.key(b"greeting", &Value::String("hello".into()), KeyMeta::default())?;
/// let file: Vec<u8> = enc.finish()?;
/// assert_eq!(decode(&file)?.len(), 5); // aux, select, resize, key, eof
/// # Ok::<(), ferrodis_rdb::Error>(())
/// ```
#[derive(Debug)]
pub struct Encoder<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Bytes already handed to `out`.
    flushed: u64,
    crc: u64,
    options: Options,
    lzf: Compressor,
}

impl<W: Write> Encoder<W> {
    /// Starts a file: checks the version and writes the header.
    pub fn new(out: W, options: Options) -> Result<Encoder<W>> {
        let version = options.version;
        if !(ENCODER_VERSION_MIN..=ENCODER_VERSION_MAX).contains(&version) {
            return Err(Error::UnsupportedVersion {
                magic: crate::Magic::Redis,
                version,
                min: ENCODER_VERSION_MIN,
                max: ENCODER_VERSION_MAX,
            });
        }
        let mut buf = Vec::with_capacity(FLUSH_AT * 2);
        Header::new(version)?.write(&mut buf);
        Ok(Encoder {
            out,
            buf,
            flushed: 0,
            crc: 0,
            options,
            lzf: Compressor::default(),
        })
    }

    /// The writer, for example to drain a `Vec<u8>` while encoding goes on (what
    /// the encoder still buffers reaches it later, at the latest in `finish`).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The options the file is written with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Bytes written so far (buffered ones included): the offset of the next record.
    pub fn offset(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    fn values(&mut self) -> ValueWriter<'_> {
        ValueWriter {
            out: &mut self.buf,
            lzf: &mut self.lzf,
            compression: self.options.compression,
            version: self.options.version,
            limits: &self.options.limits,
        }
    }

    /// An aux field (`rdbSaveAuxField`).
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.buf.push(opcode::AUX);
        let mut w = self.values();
        w.string(key);
        w.string(value);
        self.maybe_flush()
    }

    /// Redis's standard aux fields, in its order.
    pub fn aux_fields(&mut self, aux: &AuxFields) -> Result<()> {
        self.aux(b"redis-ver", aux.redis_ver.as_bytes())?;
        self.aux(b"redis-bits", aux.redis_bits.to_string().as_bytes())?;
        self.aux(b"ctime", aux.ctime.to_string().as_bytes())?;
        self.aux(b"used-mem", aux.used_mem.to_string().as_bytes())?;
        if let Some(repl) = &aux.replication {
            self.aux(b"repl-stream-db", repl.stream_db.to_string().as_bytes())?;
            self.aux(b"repl-id", repl.id.as_bytes())?;
            self.aux(b"repl-offset", repl.offset.to_string().as_bytes())?;
        }
        self.aux(b"aof-base", if aux.aof_base { b"1" } else { b"0" })
    }

    /// A function library (`FUNCTION2`, version 10+): its source.
    pub fn function(&mut self, code: &[u8]) -> Result<()> {
        self.need_version(10, "function libraries")?;
        self.buf.push(opcode::FUNCTION2);
        self.values().string(code);
        self.maybe_flush()
    }

    /// Module aux data (`MODULE_AUX`): `raw` is the module's opcodes up to and
    /// including its EOF opcode, as [`Item::ModuleAux`] holds them.
    pub fn module_aux(&mut self, module_id: u64, when: u64, raw: &[u8]) -> Result<()> {
        self.buf.push(opcode::MODULE_AUX);
        write_length(module_id, &mut self.buf);
        write_length(2, &mut self.buf); // RDB_MODULE_OPCODE_UINT
        write_length(when, &mut self.buf);
        self.buf.extend_from_slice(raw);
        self.maybe_flush()
    }

    /// Selects the database of the keys that follow.
    pub fn select_db(&mut self, db: u64) -> Result<()> {
        self.buf.push(opcode::SELECTDB);
        write_length(db, &mut self.buf);
        Ok(())
    }

    /// The sizes of the selected database (a hint for the loader's tables).
    pub fn resize_db(&mut self, db_size: u64, expires_size: u64) -> Result<()> {
        self.buf.push(opcode::RESIZEDB);
        write_length(db_size, &mut self.buf);
        write_length(expires_size, &mut self.buf);
        Ok(())
    }

    /// A key and its value, in the encoding Redis would choose; returns it.
    ///
    /// Fails (writing nothing) for what the version cannot hold: empty
    /// collections, NaN scores, hash field expiries before version 12.
    pub fn key(&mut self, key: &[u8], value: &Value, meta: KeyMeta) -> Result<Encoding> {
        let offset = self.offset();
        let encoding = self.values().choose(value).map_err(|e| e.shifted(offset))?;
        self.key_meta(meta);
        self.buf.push(type_byte(encoding));
        let mut w = self.values();
        w.string(key);
        let encoding = w.value(value, encoding)?;
        self.maybe_flush()?;
        Ok(encoding)
    }

    /// [`Encoder::key`] for a string value given as bytes, which spares callers
    /// that hold the bytes elsewhere (a keyspace snapshot) building a [`Value`].
    pub fn string_key(&mut self, key: &[u8], value: &[u8], meta: KeyMeta) -> Result<Encoding> {
        self.key_meta(meta);
        self.buf.push(rdb_type::STRING);
        let mut w = self.values();
        w.string(key);
        let storage = w.string(value);
        self.maybe_flush()?;
        Ok(Encoding::String(storage))
    }

    /// The EXPIRETIME_MS, IDLE and FREQ records before a key.
    fn key_meta(&mut self, meta: KeyMeta) {
        if let Some(ms) = meta.expire_ms {
            self.buf.push(opcode::EXPIRETIME_MS);
            self.buf.extend_from_slice(&ms.to_le_bytes());
        }
        if let Some(idle) = meta.lru_idle {
            self.buf.push(opcode::IDLE);
            write_length(idle, &mut self.buf);
        }
        if let Some(freq) = meta.lfu_freq {
            self.buf.extend_from_slice(&[opcode::FREQ, freq]);
        }
    }

    /// Writes a decoded record back (for conversions): keys, aux fields, dbs,
    /// functions and module aux. [`Item::Eof`] is left to
    /// [`finish`](Self::finish); what the version cannot hold is an error,
    /// except `SLOT_INFO` hints, dropped below version 12.
    pub fn item(&mut self, item: &Item) -> Result<()> {
        match item {
            Item::Aux { key, value } => self.aux(key, value),
            Item::SelectDb { db } => self.select_db(*db),
            Item::ResizeDb {
                db_size,
                expires_size,
            } => self.resize_db(*db_size, *expires_size),
            Item::SlotInfo {
                slot,
                slot_size,
                expires_slot_size,
            } => {
                if self.options.version >= 12 {
                    self.buf.push(opcode::SLOT_INFO);
                    for n in [slot, slot_size, expires_slot_size] {
                        write_length(*n, &mut self.buf);
                    }
                }
                Ok(())
            }
            Item::Function { code } => self.function(code),
            Item::ModuleAux {
                module_id,
                when,
                raw,
                ..
            } => self.module_aux(*module_id, *when, raw),
            Item::Key(Key {
                key,
                expire_ms,
                lru_idle,
                lfu_freq,
                value,
                ..
            }) => {
                let meta = KeyMeta {
                    expire_ms: *expire_ms,
                    lru_idle: *lru_idle,
                    lfu_freq: *lfu_freq,
                };
                self.key(key, value, meta).map(|_| ())
            }
            Item::Eof { .. } => Ok(()),
            Item::FunctionPreGa { .. } => Err(Error::Unsupported {
                offset: self.offset(),
                what: "a function library of Redis 7.0 release candidates".into(),
            }),
        }
    }

    /// Writes EOF and the checksum (0 with `checksum: false`), flushes, and
    /// returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.buf.push(opcode::EOF);
        self.flush_buf()?;
        let checksum = if self.options.checksum { self.crc } else { 0 };
        self.buf.extend_from_slice(&checksum.to_le_bytes());
        self.flush_buf()?;
        let offset = self.offset();
        self.out.flush().map_err(|e| io_error(offset, &e))?;
        Ok(self.out)
    }

    fn need_version(&self, version: u32, what: &str) -> Result<()> {
        if self.options.version >= version {
            Ok(())
        } else {
            Err(Error::Unsupported {
                offset: self.offset(),
                what: format!(
                    "{what} in rdb version {} (needs {version})",
                    self.options.version
                ),
            })
        }
    }

    fn maybe_flush(&mut self) -> Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<()> {
        if self.options.checksum {
            self.crc = crc64(self.crc, &self.buf);
        }
        self.out
            .write_all(&self.buf)
            .map_err(|e| io_error(self.flushed, &e))?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

fn io_error(offset: u64, e: &std::io::Error) -> Error {
    Error::Io {
        offset,
        kind: e.kind(),
        message: e.to_string(),
    }
}

/// A `DUMP` payload of `value` (`createDumpPayload`): the value's type byte
/// and encoding, the 2-byte RDB version, and a CRC-64 of all that.
pub fn dump_payload(value: &Value, options: &Options) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut lzf = Compressor::default();
    let mut w = ValueWriter {
        out: &mut out,
        lzf: &mut lzf,
        compression: options.compression,
        version: options.version,
        limits: &options.limits,
    };
    let encoding = w.choose(value)?;
    w.out.push(type_byte(encoding));
    w.value(value, encoding)?;
    out.extend_from_slice(&(options.version as u16).to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// `string_key` writes exactly what `key` writes for the same string.
    #[test]
    fn string_key_matches_key() {
        let long = "v".repeat(300);
        for value in ["", "12", "-5", "300000", "hello", long.as_str()] {
            for compression in [true, false] {
                let options = Options {
                    compression,
                    ..Options::default()
                };
                let meta = KeyMeta {
                    expire_ms: Some(1_700_000_000_000),
                    ..KeyMeta::default()
                };
                let mut a = Encoder::new(Vec::new(), options.clone()).unwrap();
                let ea = a
                    .key(b"k", &Value::String(value.as_bytes().to_vec().into()), meta)
                    .unwrap();
                let mut b = Encoder::new(Vec::new(), options).unwrap();
                let eb = b.string_key(b"k", value.as_bytes(), meta).unwrap();
                assert_eq!(ea, eb, "{value:?}");
                assert_eq!(a.finish().unwrap(), b.finish().unwrap(), "{value:?}");
            }
        }
    }
}
