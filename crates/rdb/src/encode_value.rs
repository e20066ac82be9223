//! Values in the encoding Redis would choose for them (`rdbSaveObjectType` and
//! `rdbSaveObject` of Redis 6.2 / 7.0 / 7.2 / 7.4, by RDB version 9 / 10 / 11 / 12).
//!
//! | value      | compact (within [`EncodingLimits`])          | otherwise        |
//! |------------|----------------------------------------------|------------------|
//! | list       | v9 `QUICKLIST` (ziplist nodes), v10+ `QUICKLIST_2` (listpack nodes, PLAIN nodes for elements over `list_packed_threshold`) | |
//! | set        | `SET_INTSET` (all canonical integers), v11+ `SET_LISTPACK` | `SET`  |
//! | sorted set | v9 `ZSET_ZIPLIST`, v10+ `ZSET_LISTPACK` (by score) | `ZSET_2` (highest score first) |
//! | hash       | v9 `HASH_ZIPLIST`, v10+ `HASH_LISTPACK`      | `HASH`           |
//! | hash + TTL | v12 `HASH_LISTPACK_EX` (by expiry)           | v12 `HASH_METADATA` |
//! | stream     | v9 `STREAM_LISTPACKS`, v10 `_2`, v11+ `_3` (`stream_write.rs`) | |
//!
//! Every string, and every blob (listpack, ziplist, intset), goes through
//! [`ValueWriter::string`], Redis's `rdbSaveRawString`: integer-encoded if it
//! is a canonical integer in `i32`, LZF-compressed if longer than 20 bytes
//! and compression saves at least 4 bytes, verbatim otherwise.

use bytes::Bytes;

use crate::encoder::EncodingLimits;
use crate::format::{length, rdb_type};
use crate::item::{Encoding, StringStorage};
use crate::listpack_write::{canonical_int, ListpackWriter};
use crate::lzf_compress::Compressor;
use crate::value::{HashField, Value};
use crate::ziplist_write::ZiplistWriter;
use crate::{intset_write, stream_write, write_length, Error, Result};

/// Quicklist node containers (`QUICKLIST_NODE_CONTAINER_*`).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;
/// `optimization_level` of quicklist.c: node byte limits for fill -1..=-5.
const NODE_SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// `SIZE_SAFETY_LIMIT`: the byte cap of count-limited nodes.
const NODE_SAFETY_LIMIT: usize = 8192;
/// `SIZE_ESTIMATE_OVERHEAD`: quicklist's per-entry overestimate.
const NODE_ENTRY_OVERHEAD: usize = 8;

/// Largest field expiry Redis 7.4 accepts (`EB_EXPIRE_TIME_MAX`, 48 bits).
const EB_EXPIRE_TIME_MAX: u64 = (1 << 48) - 1;

/// Writes strings and values into a buffer, with one file's settings.
#[derive(Debug)]
pub(crate) struct ValueWriter<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) lzf: &'a mut Compressor,
    pub(crate) compression: bool,
    pub(crate) version: u32,
    pub(crate) limits: &'a EncodingLimits,
}

/// The record type byte of an encoding this crate writes.
pub(crate) fn type_byte(encoding: Encoding) -> u8 {
    use rdb_type as t;
    match encoding {
        Encoding::String(_) => t::STRING,
        Encoding::HashtableSet => t::SET,
        Encoding::HashtableHash => t::HASH,
        Encoding::Skiplist => t::ZSET_2,
        Encoding::Module => t::MODULE_2,
        Encoding::Intset => t::SET_INTSET,
        Encoding::ZsetZiplist => t::ZSET_ZIPLIST,
        Encoding::HashZiplist => t::HASH_ZIPLIST,
        Encoding::Quicklist => t::LIST_QUICKLIST,
        Encoding::StreamListpacks => t::STREAM_LISTPACKS,
        Encoding::HashListpack => t::HASH_LISTPACK,
        Encoding::ZsetListpack => t::ZSET_LISTPACK,
        Encoding::Quicklist2 => t::LIST_QUICKLIST_2,
        Encoding::StreamListpacks2 => t::STREAM_LISTPACKS_2,
        Encoding::SetListpack => t::SET_LISTPACK,
        Encoding::StreamListpacks3 => t::STREAM_LISTPACKS_3,
        Encoding::HashMetadata => t::REDIS_HASH_METADATA,
        Encoding::HashListpackEx => t::REDIS_HASH_LISTPACK_EX,
        // Never chosen by `choose`.
        _ => t::STRING,
    }
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::Unsupported {
        offset: 0,
        what: what.into(),
    }
}

fn within(n: usize, max_entries: usize, max_len: usize, lens: impl Iterator<Item = usize>) -> bool {
    n <= max_entries && lens.into_iter().all(|l| l <= max_len)
}

impl ValueWriter<'_> {
    /// The encoding Redis would save `value` in (strings: raw until written).
    pub(crate) fn choose(&self, value: &Value) -> Result<Encoding> {
        let l = self.limits;
        let v9 = self.version < 10;
        let empty = |kind: &str| unsupported(format!("an empty {kind} (Redis deletes empty keys)"));
        Ok(match value {
            Value::Packed(p) => return self.choose(&p.unpack()),
            Value::String(_) => Encoding::String(StringStorage::Raw),
            Value::List(items) if items.is_empty() => return Err(empty("list")),
            Value::List(_) if v9 => Encoding::Quicklist,
            Value::List(_) => Encoding::Quicklist2,
            Value::Set(m) if m.is_empty() => return Err(empty("set")),
            Value::Set(m) => {
                if m.len() <= l.set_max_intset_entries
                    && m.iter().all(|s| canonical_int(s).is_some())
                {
                    Encoding::Intset
                } else if self.version >= 11
                    && within(
                        m.len(),
                        l.set_max_listpack_entries,
                        l.set_max_listpack_value,
                        m.iter().map(Bytes::len),
                    )
                {
                    Encoding::SetListpack
                } else {
                    Encoding::HashtableSet
                }
            }
            Value::SortedSet(z) if z.is_empty() => return Err(empty("sorted set")),
            Value::SortedSet(z) => {
                if z.iter().any(|(_, s)| s.is_nan()) {
                    return Err(unsupported("a sorted set with a NaN score"));
                }
                let lens = z.iter().map(|(m, _)| m.len());
                match within(
                    z.len(),
                    l.zset_max_listpack_entries,
                    l.zset_max_listpack_value,
                    lens,
                ) {
                    true if v9 => Encoding::ZsetZiplist,
                    true => Encoding::ZsetListpack,
                    false => Encoding::Skiplist,
                }
            }
            Value::Hash(h) if h.is_empty() => return Err(empty("hash")),
            Value::Hash(h) => {
                let lens = h.iter().flat_map(|(f, v)| [f.len(), v.len()]);
                match within(
                    h.len(),
                    l.hash_max_listpack_entries,
                    l.hash_max_listpack_value,
                    lens,
                ) {
                    true if v9 => Encoding::HashZiplist,
                    true => Encoding::HashListpack,
                    false => Encoding::HashtableHash,
                }
            }
            Value::HashWithTtl(h) if h.is_empty() => return Err(empty("hash")),
            Value::HashWithTtl(h) => {
                let lens = h.iter().flat_map(|f| [f.field.len(), f.value.len()]);
                let small = within(
                    h.len(),
                    l.hash_max_listpack_entries,
                    l.hash_max_listpack_value,
                    lens,
                );
                let has_ttl = h.iter().any(|f| f.expire_ms.is_some());
                if h.iter()
                    .any(|f| f.expire_ms.is_some_and(|e| e > EB_EXPIRE_TIME_MAX))
                {
                    return Err(unsupported(format!(
                        "a hash field expiry past {EB_EXPIRE_TIME_MAX} ms (Redis's limit)"
                    )));
                }
                match (has_ttl, small) {
                    (false, true) if v9 => Encoding::HashZiplist,
                    (false, true) => Encoding::HashListpack,
                    (false, false) => Encoding::HashtableHash,
                    (true, _) if self.version < 12 => {
                        return Err(unsupported(format!(
                            "hash field expiry in rdb version {} (needs 12)",
                            self.version
                        )))
                    }
                    (true, true) => Encoding::HashListpackEx,
                    (true, false) => Encoding::HashMetadata,
                }
            }
            Value::Stream(_) if v9 => Encoding::StreamListpacks,
            Value::Stream(_) if self.version == 10 => Encoding::StreamListpacks2,
            Value::Stream(_) => Encoding::StreamListpacks3,
            Value::Module(_) => Encoding::Module,
        })
    }

    /// A length (`rdbSaveLen`).
    pub(crate) fn len(&mut self, n: u64) {
        write_length(n, self.out);
    }

    /// A string as `rdbSaveRawString` writes it; says how it was stored.
    pub(crate) fn string(&mut self, s: &[u8]) -> StringStorage {
        if s.len() <= 11 {
            if let Some(v) = canonical_int(s) {
                if let Ok(v) = i8::try_from(v) {
                    self.out
                        .extend_from_slice(&[length::ENCODED | length::ENC_INT8, v as u8]);
                    return StringStorage::Int;
                } else if let Ok(v) = i16::try_from(v) {
                    self.out.push(length::ENCODED | length::ENC_INT16);
                    self.out.extend_from_slice(&v.to_le_bytes());
                    return StringStorage::Int;
                } else if let Ok(v) = i32::try_from(v) {
                    self.out.push(length::ENCODED | length::ENC_INT32);
                    self.out.extend_from_slice(&v.to_le_bytes());
                    return StringStorage::Int;
                }
            }
        }
        // "under 20 bytes it's unable to compress even aaaaaaaaaaaaaaaaaa";
        // at least four bytes must be saved (rdbSaveLzfStringObject).
        if self.compression && s.len() > 20 {
            if let Some(packed) = self.lzf.compress(s, s.len() - 4) {
                self.out.push(length::ENCODED | length::ENC_LZF);
                write_length(packed.len() as u64, self.out);
                write_length(s.len() as u64, self.out);
                self.out.extend_from_slice(packed);
                return StringStorage::Lzf;
            }
        }
        write_length(s.len() as u64, self.out);
        self.out.extend_from_slice(s);
        StringStorage::Raw
    }

    /// Writes `value` in `encoding` (from [`choose`](Self::choose)); returns
    /// the encoding with a string's actual storage.
    pub(crate) fn value(&mut self, value: &Value, encoding: Encoding) -> Result<Encoding> {
        match (value, encoding) {
            (Value::Packed(p), _) => return self.value(&p.unpack(), encoding),
            (Value::String(s), _) => return Ok(Encoding::String(self.string(s))),
            (Value::List(items), _) => self.list(items),
            (Value::Set(members), Encoding::Intset) => {
                let mut ints: Vec<i64> = members.iter().filter_map(|m| canonical_int(m)).collect();
                let blob = intset_write::build(&mut ints);
                self.string(&blob);
            }
            (Value::Set(members), Encoding::SetListpack) => {
                let mut lp = ListpackWriter::default();
                members.iter().for_each(|m| lp.push(m));
                self.string(&lp.finish());
            }
            (Value::Set(members), _) => {
                self.len(members.len() as u64);
                members.iter().for_each(|m| {
                    self.string(m);
                });
            }
            (Value::SortedSet(z), _) => self.sorted_set(z, encoding),
            (Value::Hash(h), _) => {
                let pairs = h.iter().map(|(f, v)| (&f[..], &v[..]));
                self.hash(pairs, h.len(), encoding);
            }
            (Value::HashWithTtl(h), Encoding::HashListpackEx | Encoding::HashMetadata) => {
                self.hash_with_ttl(h, encoding);
            }
            (Value::HashWithTtl(h), _) => {
                let pairs = h.iter().map(|f| (&f.field[..], &f.value[..]));
                self.hash(pairs, h.len(), encoding);
            }
            (Value::Stream(s), _) => stream_write::write(self, s, encoding),
            (Value::Module(m), _) => {
                self.len(m.id);
                self.out.extend_from_slice(&m.raw);
            }
        }
        Ok(encoding)
    }

    /// A quicklist: nodes filled as `_quicklistNodeAllowInsert` fills them.
    fn list(&mut self, items: &[Bytes]) {
        let v9 = self.version < 10;
        let fill = self.limits.list_max_listpack_size;
        let threshold = self.limits.list_packed_threshold;
        let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut node = Node::new(v9);
        for item in items {
            if !v9 && item.len() >= threshold {
                if node.len() > 0 {
                    nodes.push((
                        CONTAINER_PACKED,
                        std::mem::replace(&mut node, Node::new(v9)).finish(),
                    ));
                }
                nodes.push((CONTAINER_PLAIN, item.to_vec()));
                continue;
            }
            if node.len() > 0 && !allow_insert(node.bytes(), node.len(), fill, item.len()) {
                nodes.push((
                    CONTAINER_PACKED,
                    std::mem::replace(&mut node, Node::new(v9)).finish(),
                ));
            }
            node.push(item);
        }
        if node.len() > 0 {
            nodes.push((CONTAINER_PACKED, node.finish()));
        }
        self.len(nodes.len() as u64);
        for (container, blob) in nodes {
            if !v9 {
                self.len(container);
            }
            self.string(&blob);
        }
    }

    fn sorted_set(&mut self, z: &[(Bytes, f64)], encoding: Encoding) {
        let mut order: Vec<&(Bytes, f64)> = z.iter().collect();
        // Redis's order: by score, then member bytes (`zslInsert`, `zzlInsert`).
        order.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        match encoding {
            Encoding::ZsetListpack => {
                let mut lp = ListpackWriter::default();
                for (m, s) in order {
                    lp.push(m);
                    lp.push_score(*s);
                }
                self.string(&lp.finish());
            }
            Encoding::ZsetZiplist => {
                let mut zl = ZiplistWriter::default();
                for (m, s) in order {
                    zl.push(m);
                    zl.push_score(*s);
                }
                self.string(&zl.finish());
            }
            _ => {
                // Greatest first, so that loading inserts at the skiplist's head.
                self.len(order.len() as u64);
                for (m, s) in order.into_iter().rev() {
                    self.string(m);
                    self.out.extend_from_slice(&s.to_le_bytes());
                }
            }
        }
    }

    fn hash<'v>(
        &mut self,
        pairs: impl Iterator<Item = (&'v [u8], &'v [u8])>,
        n: usize,
        encoding: Encoding,
    ) {
        match encoding {
            Encoding::HashListpack => {
                let mut lp = ListpackWriter::default();
                for (f, v) in pairs {
                    lp.push(f);
                    lp.push(v);
                }
                self.string(&lp.finish());
            }
            Encoding::HashZiplist => {
                let mut zl = ZiplistWriter::default();
                for (f, v) in pairs {
                    zl.push(f);
                    zl.push(v);
                }
                self.string(&zl.finish());
            }
            _ => {
                self.len(n as u64);
                for (f, v) in pairs {
                    self.string(f);
                    self.string(v);
                }
            }
        }
    }

    /// Redis 7.4's hashes with field expiries: the smallest expiry first, then
    /// a listpack of (field, value, expiry or 0) ordered by expiry with the
    /// fields without one last, or field by field with TTLs relative to it.
    fn hash_with_ttl(&mut self, h: &[HashField], encoding: Encoding) {
        let min = h.iter().filter_map(|f| f.expire_ms).min().unwrap_or(0);
        self.out.extend_from_slice(&min.to_le_bytes());
        if encoding == Encoding::HashListpackEx {
            let mut order: Vec<&HashField> = h.iter().collect();
            order.sort_by_key(|f| f.expire_ms.unwrap_or(u64::MAX));
            let mut lp = ListpackWriter::default();
            for f in order {
                lp.push(&f.field);
                lp.push(&f.value);
                lp.push_int(f.expire_ms.unwrap_or(0) as i64);
            }
            self.string(&lp.finish());
        } else {
            self.len(h.len() as u64);
            for f in h {
                self.len(f.expire_ms.map_or(0, |e| e - min + 1));
                self.string(&f.field);
                self.string(&f.value);
            }
        }
    }
}

/// A quicklist node being filled: a listpack (v10+) or a ziplist (v9).
enum Node {
    Listpack(ListpackWriter),
    Ziplist(ZiplistWriter),
}

impl Node {
    fn new(v9: bool) -> Node {
        if v9 {
            Node::Ziplist(ZiplistWriter::default())
        } else {
            Node::Listpack(ListpackWriter::default())
        }
    }

    fn len(&self) -> usize {
        match self {
            Node::Listpack(lp) => lp.len(),
            Node::Ziplist(zl) => zl.len(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Node::Listpack(lp) => lp.bytes(),
            Node::Ziplist(zl) => zl.bytes(),
        }
    }

    fn push(&mut self, item: &[u8]) {
        match self {
            Node::Listpack(lp) => lp.push(item),
            Node::Ziplist(zl) => zl.push(item),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Node::Listpack(lp) => lp.finish(),
            Node::Ziplist(zl) => zl.finish(),
        }
    }
}

/// Whether a node of `bytes` bytes and `count` entries takes one more of
/// `size` bytes (`_quicklistNodeAllowInsert` with fill `fill`).
fn allow_insert(bytes: usize, count: usize, fill: i64, size: usize) -> bool {
    let new_size = bytes + size + NODE_ENTRY_OVERHEAD;
    if fill < 0 {
        let level = usize::try_from(-fill - 1).unwrap_or(usize::MAX);
        return NODE_SIZE_LEVELS
            .get(level)
            .is_some_and(|&max| new_size <= max);
    }
    new_size <= NODE_SAFETY_LIMIT && (count as i64) < fill
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_fill_rules() {
        // -2: 8 KiB per node.
        assert!(allow_insert(8000, 500, -2, 100));
        assert!(!allow_insert(8100, 500, -2, 100));
        // Fill past the levels: nothing fits, one element per node.
        assert!(!allow_insert(10, 1, -6, 1));
        // Positive: count-limited, and 8 KiB at most.
        assert!(allow_insert(100, 4, 5, 10));
        assert!(!allow_insert(100, 5, 5, 10));
        assert!(!allow_insert(8190, 1, 100, 10));
    }
}
