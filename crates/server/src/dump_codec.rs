//! Redis's DUMP payload (`createDumpPayload` / `verifyDumpPayload` in cluster.c),
//! the keyspace's [`DumpCodec`]: a value in RDB encoding (type byte, then the
//! value as an RDB file stores it), the 2-byte RDB version and a CRC-64 of both.
//!
//! Dumping goes through the snapshot adapter (`rdb_snapshot::to_rdb_value`) and
//! `ferrodis_rdb::dump_payload`. Restoring wraps the payload into a one-key RDB
//! stream, so the one streaming decoder reads it with every encoding and every
//! hostile-input check it has, and turns the value into the commands that
//! rebuild it (`RPUSH`, `SADD`, `ZADD`, `HSET`), which the keyspace runs.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use ferrodis_keyspace::{DumpCodec, RestoreError, Tunables, ValueView};
use ferrodis_rdb::{crc64, dump_payload, EncodingLimits, Item, Options, Value};
use ferrodis_resp::format_g17;

use crate::config::Config;
use crate::rdb_snapshot::to_rdb_value;

/// `RDB_VERSION` of Redis 7.0: the newest payload version RESTORE accepts, and
/// the one DUMP writes.
const RDB_VERSION: u16 = 10;

/// Elements per rebuilding command, as the AOF rewrite batches them.
const BATCH: usize = 64;

/// The server's payload format; `rdbcompression` is read at every DUMP.
#[derive(Debug, Default)]
pub struct RdbDumpCodec {
    compression: AtomicBool,
}

impl RdbDumpCodec {
    /// Follows the configuration (`rdbcompression`: DUMP compresses strings as
    /// `rdbSaveRawString` does for files).
    pub fn configure(&self, config: &Config) {
        self.compression
            .store(config.get_bool("rdbcompression"), Ordering::Relaxed);
    }
}

/// The encoder's thresholds from the keyspace's: a payload keeps the encoding
/// the value has in memory, as Redis's does.
fn limits(t: &Tunables) -> EncodingLimits {
    EncodingLimits {
        hash_max_listpack_entries: t.hash_max_listpack_entries,
        hash_max_listpack_value: t.hash_max_listpack_value,
        zset_max_listpack_entries: t.zset_max_listpack_entries,
        zset_max_listpack_value: t.zset_max_listpack_value,
        set_max_intset_entries: t.set_max_intset_entries,
        list_max_listpack_size: t.list_max_listpack_size,
        ..EncodingLimits::default()
    }
}

impl DumpCodec for RdbDumpCodec {
    fn dump(&self, value: ValueView<'_>, tunables: &Tunables) -> Vec<u8> {
        let options = Options {
            version: u32::from(RDB_VERSION),
            compression: self.compression.load(Ordering::Relaxed),
            checksum: true,
            limits: limits(tunables),
        };
        // Only empty collections or NaN scores fail, which the keyspace never holds.
        dump_payload(&to_rdb_value(&value), &options).unwrap_or_default()
    }

    fn restore(&self, payload: &[u8]) -> Result<Vec<Vec<Bytes>>, RestoreError> {
        let version = verify(payload)?;
        let value = decode(payload, version)?;
        value_commands(&value).ok_or(RestoreError::BadFormat)
    }
}

/// `verifyDumpPayload()`: at least the 10-byte footer, a version this server
/// knows, and the CRC-64 of everything before the checksum. Returns the version.
fn verify(payload: &[u8]) -> Result<u16, RestoreError> {
    let len = payload.len();
    if len < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let version = u16::from_le_bytes([payload[len - 10], payload[len - 9]]);
    if version > RDB_VERSION {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&payload[len - 8..]);
    if crc64(0, &payload[..len - 8]) != u64::from_le_bytes(stored) {
        return Err(RestoreError::VersionOrChecksum);
    }
    Ok(version)
}

/// The payload's value, read as the only key (named "") of an RDB stream of the
/// payload's version whose checksum is 0 (not checked: the payload's was).
fn decode(payload: &[u8], version: u16) -> Result<Value, RestoreError> {
    let body = &payload[..payload.len() - 10];
    let (&type_byte, value) = body.split_first().ok_or(RestoreError::BadFormat)?;
    let mut file = Vec::with_capacity(body.len() + 20);
    file.extend_from_slice(format!("REDIS{:04}", version.max(1)).as_bytes());
    file.push(type_byte);
    file.push(0); // the key: an empty string
    file.extend_from_slice(value);
    file.push(ferrodis_rdb::opcode::EOF);
    file.extend_from_slice(&[0; 8]);
    let mut decoder = ferrodis_rdb::Decoder::new(&file[..]);
    let mut found = None;
    loop {
        match decoder.next_item() {
            Ok(Some(Item::Key(key))) if found.is_none() => found = Some(key.value),
            Ok(Some(Item::Eof { .. })) | Ok(None) => break,
            // A second record means the value ended early: the payload is garbage.
            Ok(Some(_)) | Err(_) => return Err(RestoreError::BadFormat),
        }
    }
    found.ok_or(RestoreError::BadFormat)
}

/// The commands (without the key) that build `value`; `None` for the types the
/// keyspace does not have (streams, modules).
pub fn value_commands(value: &Value) -> Option<Vec<Vec<Bytes>>> {
    let batched = |name: &'static str, items: &[Bytes], per: usize| {
        items
            .chunks(BATCH * per)
            .map(|chunk| {
                let mut argv = Vec::with_capacity(chunk.len() + 1);
                argv.push(Bytes::from_static(name.as_bytes()));
                argv.extend(chunk.iter().cloned());
                argv
            })
            .collect::<Vec<_>>()
    };
    Some(match value {
        Value::String(v) => vec![vec![Bytes::from_static(b"SET"), v.clone()]],
        Value::List(items) => batched("RPUSH", items, 1),
        Value::Set(items) => batched("SADD", items, 1),
        Value::SortedSet(pairs) => {
            let flat: Vec<Bytes> = pairs
                .iter()
                .flat_map(|(m, s)| [Bytes::from(format_g17(*s)), m.clone()])
                .collect();
            batched("ZADD", &flat, 2)
        }
        Value::Hash(pairs) => {
            let flat: Vec<Bytes> = pairs
                .iter()
                .flat_map(|(f, v)| [f.clone(), v.clone()])
                .collect();
            batched("HSET", &flat, 2)
        }
        Value::HashWithTtl(fields) => {
            // Redis 7.0 has no field TTLs (and refuses such payloads by version).
            let flat: Vec<Bytes> = fields
                .iter()
                .flat_map(|f| [f.field.clone(), f.value.clone()])
                .collect();
            batched("HSET", &flat, 2)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// `DUMP k` of `SET k v` on redis-server 7.0.15.
    const REDIS_V: &[u8] = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce";

    #[test]
    fn a_real_redis_payload_restores_and_verifies() {
        let codec = RdbDumpCodec::default();
        assert_eq!(
            codec.restore(REDIS_V).unwrap(),
            vec![vec![Bytes::from_static(b"SET"), Bytes::from_static(b"v")]]
        );
        let mut bad = REDIS_V.to_vec();
        bad[2] = b'w';
        assert_eq!(codec.restore(&bad), Err(RestoreError::VersionOrChecksum));
        assert_eq!(
            codec.restore(b"short"),
            Err(RestoreError::VersionOrChecksum)
        );
    }

    #[test]
    fn dump_matches_redis_byte_for_byte_for_a_string() {
        let codec = RdbDumpCodec::default();
        let view = ValueView::String(ferrodis_keyspace::Scalar::Bytes(b"v"));
        assert_eq!(codec.dump(view, &Tunables::default()), REDIS_V);
    }

    #[test]
    fn garbage_with_a_good_checksum_is_bad_format() {
        let mut p = vec![0x63, 0xff, 0xff, 0xff];
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(
            RdbDumpCodec::default().restore(&p),
            Err(RestoreError::BadFormat)
        );
    }
}
