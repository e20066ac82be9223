//! Values of every type but streams and modules, in each of their encodings
//! (`rdbLoadObject` in Redis's rdb.c, read for the layouts and the checks).
//!
//! Redis skips keys whose collection turns out empty ("rdbLoadObject skipping
//! empty key"); these functions return `Ok(None)` for them. Duplicates that
//! Redis always rejects (plain sets, hashes, sorted sets; ziplist pairs and
//! zipmaps, which it converts member by member) are errors here too; listpack
//! and intset duplicates are only looked for by Redis's optional deep
//! sanitization, and only intsets (where order makes it free) check them here.

use std::collections::HashSet;
use std::io::Read;

use bytes::Bytes;

use crate::blob::{self, Element};
use crate::input::Input;
use crate::item::{Encoding, StringStorage};
use crate::length_codec::StringEncoding;
use crate::packed::{self, Packed, PackedKind, PackedNode};
use crate::value::{HashField, Value};
use crate::{intset, listpack, ziplist, zipmap, Error, Result};

/// Capacity reserved for a collection on the word of its length prefix.
pub(crate) fn cap(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).min(1024)
}

/// Largest field expiry of Redis's hash-field-expiration buckets.
const EB_EXPIRE_TIME_MAX: u64 = (1 << 48) - 1;
/// Quicklist node containers (`QUICKLIST_NODE_CONTAINER_*`).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// Decodes a value of one of the types handled here. `offset` is where the
/// value starts, for errors.
pub(crate) fn read<R: Read>(
    input: &mut Input<R>,
    encoding: Encoding,
    offset: u64,
    packed: bool,
) -> Result<Option<(Value, Encoding)>> {
    if packed {
        let value = if let Some(kind) = packed_kind(encoding) {
            Some(packed_value(input, encoding, kind)?)
        } else if encoding == Encoding::HashtableSet {
            Some(packed_set(input)?)
        } else {
            None
        };
        if let Some(value) = value {
            return Ok(value.map(|v| (Value::Packed(v), encoding)));
        }
    }
    let value = match encoding {
        Encoding::String(_) => {
            let (s, enc) = input.string_with_encoding("a string value")?;
            let storage = match enc {
                None => StringStorage::Raw,
                Some(StringEncoding::Lzf) => StringStorage::Lzf,
                Some(_) => StringStorage::Int,
            };
            return Ok(Some((
                Value::String(Bytes::from(s)),
                Encoding::String(storage),
            )));
        }
        Encoding::LinkedList => {
            let n = input.len("a list length")?;
            let mut items = Vec::with_capacity(cap(n));
            for _ in 0..n {
                items.push(Bytes::from(input.string("a list element")?));
            }
            non_empty(items, Value::List)
        }
        Encoding::HashtableSet => {
            let n = input.len("a set size")?;
            let mut members = Vec::with_capacity(cap(n));
            let mut seen = HashSet::with_capacity(cap(n));
            for _ in 0..n {
                let at = input.offset();
                let member = Bytes::from(input.string("a set member")?);
                if !seen.insert(member.clone()) {
                    return Err(Error::corrupt(at, "Duplicate set members detected"));
                }
                members.push(member);
            }
            non_empty(members, Value::Set)
        }
        Encoding::SkiplistAsciiScores | Encoding::Skiplist => {
            let n = input.len("a sorted set size")?;
            let mut members = Vec::with_capacity(cap(n));
            let mut seen = HashSet::with_capacity(cap(n));
            for _ in 0..n {
                let at = input.offset();
                let member = Bytes::from(input.string("a sorted set member")?);
                let score = if encoding == Encoding::Skiplist {
                    input.f64_le("a binary score")?
                } else {
                    input.ascii_double("a score")?
                };
                if score.is_nan() {
                    return Err(Error::corrupt(at, "Zset with NAN score detected"));
                }
                if !seen.insert(member.clone()) {
                    return Err(Error::corrupt(at, "Duplicate zset fields detected"));
                }
                members.push((member, score));
            }
            non_empty(members, Value::SortedSet)
        }
        Encoding::HashtableHash => {
            let n = input.len("a hash size")?;
            let mut fields = Vec::with_capacity(cap(n));
            let mut seen = HashSet::with_capacity(cap(n));
            for _ in 0..n {
                let at = input.offset();
                let field = Bytes::from(input.string("a hash field")?);
                let value = Bytes::from(input.string("a hash value")?);
                if !seen.insert(field.clone()) {
                    return Err(Error::corrupt(at, "Duplicate hash fields detected"));
                }
                fields.push((field, value));
            }
            non_empty(fields, Value::Hash)
        }
        Encoding::HashMetadata | Encoding::HashMetadataPreGa | Encoding::ValkeyHash2 => {
            hash_with_ttls(input, encoding)?
        }
        Encoding::Quicklist | Encoding::Quicklist2 => quicklist(input, encoding)?,
        _ => blob_value(input, encoding, offset)?,
    };
    Ok(value.map(|v| (v, encoding)))
}

/// The encodings [`read`] can leave packed.
fn packed_kind(encoding: Encoding) -> Option<PackedKind> {
    Some(match encoding {
        Encoding::Quicklist2 => PackedKind::List,
        Encoding::SetListpack => PackedKind::Set,
        Encoding::HashListpack => PackedKind::Hash,
        Encoding::ZsetListpack => PackedKind::SortedSet,
        _ => return None,
    })
}

/// A listpack-encoded value left packed, checked as its unpacked decoding is.
fn packed_value<R: Read>(
    input: &mut Input<R>,
    encoding: Encoding,
    kind: PackedKind,
) -> Result<Option<Packed>> {
    let mut nodes = Vec::new();
    let mut elements = 0usize;
    let mut scores = Vec::new();
    let node_count = if encoding == Encoding::Quicklist2 {
        input.len("a quicklist node count")?
    } else {
        1
    };
    for _ in 0..node_count {
        let at = input.offset();
        let expected = if encoding == Encoding::Quicklist2 {
            "a quicklist node"
        } else {
            "an encoded value"
        };
        let (container, data, base) = quicklist_node(input, encoding, expected)?;
        if data.is_empty() && encoding == Encoding::Quicklist2 {
            return Err(Error::corrupt(at, "empty quicklist node"));
        }
        if container == CONTAINER_PLAIN {
            nodes.push(PackedNode::Plain(data));
            elements += 1;
            continue;
        }
        let count = packed::check_listpack(&data, base, kind, &mut scores)?;
        // An empty listpack adds nothing, as in the unpacked decoding.
        if count > 0 {
            nodes.push(PackedNode::Listpack(data));
            elements += count;
        }
    }
    Ok((elements > 0).then(|| Packed::new(kind, elements, nodes).with_scores(scores)))
}

/// A set stored member by member, its members read into one buffer. Repeats
/// are found once all are read, and reported as the unpacked decoding reports
/// the first (also when the stream fails after it).
fn packed_set<R: Read>(input: &mut Input<R>) -> Result<Option<Packed>> {
    let n = input.len("a set size")?;
    let mut data = Vec::with_capacity(cap(n) * 16);
    let mut ends = Vec::with_capacity(cap(n));
    let mut starts = Vec::with_capacity(cap(n));
    let repeat = |data: &[u8], ends: &[usize], starts: &[u64]| {
        packed::first_repeat(data, ends)
            .map(|i| Error::corrupt(starts[i], "Duplicate set members detected"))
    };
    for _ in 0..n {
        starts.push(input.offset());
        if let Err(e) = input.string_into(&mut data, "a set member") {
            return Err(repeat(&data, &ends, &starts).unwrap_or(e));
        }
        ends.push(data.len());
    }
    if let Some(e) = repeat(&data, &ends, &starts) {
        return Err(e);
    }
    let count = ends.len();
    let node = PackedNode::Strings {
        data: Bytes::from(data),
        ends,
    };
    Ok((count > 0).then(|| Packed::new(PackedKind::Set, count, vec![node])))
}

fn non_empty<T>(items: Vec<T>, make: impl FnOnce(Vec<T>) -> Value) -> Option<Value> {
    if items.is_empty() {
        None
    } else {
        Some(make(items))
    }
}

/// Hashes with per-field expiry stored field by field: Redis 7.4's
/// `HASH_METADATA` (a minimum expiry, then per field a TTL relative to it,
/// 0 = none), its release candidates' variant (absolute TTLs, no minimum) and
/// Valkey 9's `HASH_2` (per field an 8-byte absolute time after the value,
/// -1 = none).
fn hash_with_ttls<R: Read>(input: &mut Input<R>, encoding: Encoding) -> Result<Option<Value>> {
    let min_expire = if encoding == Encoding::HashMetadata {
        Some(input.i64_le("a hash's minimum field expiry")? as u64)
    } else {
        None
    };
    let n = input.len("a hash size")?;
    let mut fields = Vec::with_capacity(cap(n));
    let mut seen = HashSet::with_capacity(cap(n));
    for _ in 0..n {
        let at = input.offset();
        let mut expire = None;
        if encoding != Encoding::ValkeyHash2 {
            let ttl = input.len("a hash field TTL")?;
            let expire_at = match (ttl, min_expire) {
                (0, _) => 0,
                (ttl, Some(min)) => ttl
                    .checked_add(min)
                    .and_then(|v| v.checked_sub(1))
                    .unwrap_or(u64::MAX),
                (ttl, None) => ttl,
            };
            if expire_at > EB_EXPIRE_TIME_MAX {
                return Err(Error::corrupt(
                    at,
                    format!("invalid expireAt time: {expire_at}"),
                ));
            }
            expire = (expire_at != 0).then_some(expire_at);
        }
        let field = Bytes::from(input.string("a hash field")?);
        let value = Bytes::from(input.string("a hash value")?);
        if encoding == Encoding::ValkeyHash2 {
            let at = input.offset();
            match input.i64_le("a hash field expiry")? {
                -1 => {}
                ms if ms < -1 => {
                    return Err(Error::corrupt(
                        at,
                        format!("invalid hash field expiry {ms}"),
                    ))
                }
                ms => expire = Some(ms as u64),
            }
        }
        if !seen.insert(field.clone()) {
            return Err(Error::corrupt(at, "Duplicate hash fields detected"));
        }
        fields.push(HashField {
            field,
            value,
            expire_ms: expire,
        });
    }
    Ok(non_empty(fields, Value::HashWithTtl))
}

/// Lists as quicklists: nodes of ziplists (v1) or, in v2, each node either a
/// listpack (PACKED) or one big element (PLAIN).
fn quicklist<R: Read>(input: &mut Input<R>, encoding: Encoding) -> Result<Option<Value>> {
    let nodes = input.len("a quicklist node count")?;
    let mut items = Vec::new();
    for _ in 0..nodes {
        let at = input.offset();
        let (container, data, base) = quicklist_node(input, encoding, "a quicklist node")?;
        if data.is_empty() {
            return Err(Error::corrupt(at, "empty quicklist node"));
        }
        if container == CONTAINER_PLAIN {
            items.push(data);
            continue;
        }
        let elements = if encoding == Encoding::Quicklist2 {
            blob::run(&data, base, "listpack", listpack::parse)?
        } else {
            blob::run(&data, base, "ziplist", ziplist::parse)?
        };
        items.extend(elements.into_iter().map(|e| e.to_bytes(&data)));
    }
    Ok(non_empty(items, Value::List))
}

/// One node of a quicklist (quicklist 2: a container, then the blob; the
/// older quicklist and single-blob values: the blob, as if PACKED): the
/// container, the blob and the blob's stream offset.
fn quicklist_node<R: Read>(
    input: &mut Input<R>,
    encoding: Encoding,
    expected: &'static str,
) -> Result<(u64, Bytes, u64)> {
    let at = input.offset();
    let container = if encoding == Encoding::Quicklist2 {
        input.len("a quicklist node container")?
    } else {
        CONTAINER_PACKED
    };
    if container != CONTAINER_PLAIN && container != CONTAINER_PACKED {
        return Err(Error::corrupt(at, "Quicklist integrity check failed."));
    }
    let (data, base) = read_blob(input, expected)?;
    Ok((container, data, base))
}

/// Reads an RDB string holding a blob; returns it and the stream offset of its
/// first byte (of the string's header when it was LZF-compressed), for errors.
pub(crate) fn read_blob<R: Read>(
    input: &mut Input<R>,
    expected: &'static str,
) -> Result<(Bytes, u64)> {
    let start = input.offset();
    let (data, enc) = input.string_with_encoding(expected)?;
    let base = match enc {
        None => input.offset().saturating_sub(data.len() as u64),
        Some(_) => start,
    };
    Ok((Bytes::from(data), base))
}

/// Values stored as one blob: zipmap, ziplist, intset, listpack.
fn blob_value<R: Read>(
    input: &mut Input<R>,
    encoding: Encoding,
    offset: u64,
) -> Result<Option<Value>> {
    let min_expire_offset = input.offset();
    if encoding == Encoding::HashListpackEx {
        // The minimum field expiry, kept by Redis for later use only.
        input.i64_le("a hash's minimum field expiry")?;
    }
    let (data, base) = read_blob(input, "an encoded value")?;
    let corrupt = |what: &str| Error::corrupt(base, what.to_string());
    let value = match encoding {
        Encoding::Zipmap => {
            let pairs = blob::run(&data, base, "zipmap", zipmap::parse)?;
            let pairs = pairs
                .into_iter()
                .map(|(f, v)| (data.slice_ref(f), data.slice_ref(v)))
                .collect();
            Some(Value::Hash(pairs))
        }
        Encoding::ListZiplist => {
            let elements = blob::run(&data, base, "ziplist", ziplist::parse)?;
            non_empty(to_bytes(elements, &data), Value::List)
        }
        Encoding::Intset => {
            let ints = blob::run(&data, base, "intset", intset::parse)?;
            let members = ints
                .into_iter()
                .map(|i| Bytes::from(i.to_string()))
                .collect();
            Some(Value::Set(members))
        }
        Encoding::SetListpack => {
            let elements = blob::run(&data, base, "listpack", listpack::parse)?;
            non_empty(to_bytes(elements, &data), Value::Set)
        }
        Encoding::ZsetZiplist | Encoding::ZsetListpack => {
            let elements = if encoding == Encoding::ZsetZiplist {
                blob::run(&data, base, "ziplist", ziplist::parse)?
            } else {
                blob::run(&data, base, "listpack", listpack::parse)?
            };
            if elements.len() % 2 != 0 {
                return Err(corrupt("sorted set blob with an odd number of elements"));
            }
            let mut members = Vec::with_capacity(elements.len() / 2);
            let mut seen = HashSet::new();
            for pair in elements.chunks_exact(2) {
                let (member, score) = (pair[0], pair[1]);
                let score = score
                    .as_score()
                    .ok_or_else(|| corrupt("invalid sorted set score"))?;
                if score.is_nan() {
                    return Err(corrupt("Zset with NAN score detected"));
                }
                if encoding == Encoding::ZsetZiplist && !seen.insert(member) {
                    return Err(corrupt("Zset ziplist with dup elements"));
                }
                members.push((member.to_bytes(&data), score));
            }
            non_empty(members, Value::SortedSet)
        }
        Encoding::HashZiplist | Encoding::HashListpack => {
            let elements = if encoding == Encoding::HashZiplist {
                blob::run(&data, base, "ziplist", ziplist::parse)?
            } else {
                blob::run(&data, base, "listpack", listpack::parse)?
            };
            if elements.len() % 2 != 0 {
                return Err(corrupt("hash blob with an odd number of elements"));
            }
            let mut seen = HashSet::new();
            let mut fields = Vec::with_capacity(elements.len() / 2);
            for pair in elements.chunks_exact(2) {
                if encoding == Encoding::HashZiplist && !seen.insert(pair[0]) {
                    return Err(corrupt("Hash ziplist with dup elements"));
                }
                fields.push((pair[0].to_bytes(&data), pair[1].to_bytes(&data)));
            }
            non_empty(fields, Value::Hash)
        }
        Encoding::HashListpackEx | Encoding::HashListpackExPreGa => {
            let elements = blob::run(&data, base, "listpack", listpack::parse)?;
            if elements.len() % 3 != 0 {
                return Err(corrupt("hash listpack with TTLs not made of triples"));
            }
            let mut fields = Vec::with_capacity(elements.len() / 3);
            for triple in elements.chunks_exact(3) {
                let ttl = match triple[2] {
                    Element::Int(ttl) if (0..=EB_EXPIRE_TIME_MAX as i64).contains(&ttl) => {
                        ttl as u64
                    }
                    _ => return Err(corrupt("invalid hash field TTL in listpack")),
                };
                fields.push(HashField {
                    field: triple[0].to_bytes(&data),
                    value: triple[1].to_bytes(&data),
                    // HASH_LP_NO_TTL is 0.
                    expire_ms: (ttl != 0).then_some(ttl),
                });
            }
            non_empty(fields, Value::HashWithTtl)
        }
        other => {
            return Err(Error::Unsupported {
                offset: offset.min(min_expire_offset),
                what: format!("value encoding {other:?}"),
            })
        }
    };
    Ok(value)
}

fn to_bytes(elements: Vec<Element<'_>>, data: &Bytes) -> Vec<Bytes> {
    elements.into_iter().map(|e| e.to_bytes(data)).collect()
}
