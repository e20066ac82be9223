//! Streams (`STREAM_LISTPACKS` 1, 2 and 3; rdb.c and t_stream.c for the layout).
//!
//! ```text
//! <node count> (<master id: 16-byte string, ms and seq big-endian> <listpack string>)*
//! <length> <last id ms> <last id seq>
//! v2+: <first id ms> <first id seq> <max deleted id ms> <max deleted id seq> <entries added>
//! <group count> per group:
//!   <name> <last id ms> <last id seq> [v2+: <entries read>]
//!   <PEL size> per entry: <16-byte id> <delivery time ms, 8 bytes LE> <delivery count>
//!   <consumer count> per consumer:
//!     <name> <seen time ms, 8 bytes LE> [v3: <active time ms, 8 bytes LE>]
//!     <PEL size> per entry: <16-byte id>  (must be in the group's PEL)
//!
//! Each node's listpack (streamValidateListpackIntegrity):
//!   master entry: <count> <deleted> <field count> <field>* 0
//!   then per entry (count + deleted of them):
//!     <flags> <ms - master ms> <seq - master seq>
//!     flags & SAMEFIELDS: <value>* (the master's fields)
//!     else: <field count> (<field> <value>)*
//!     <lp-count: elements of this entry but itself>
//!   flags & DELETED: a deleted entry, skipped.
//! ```

use std::collections::HashSet;
use std::io::Read;

use bytes::Bytes;
use serde::Serialize;

use crate::blob::{self, Element};
use crate::input::Input;
use crate::item::Encoding;
use crate::listpack;
use crate::objects::{cap, read_blob};
use crate::value::{bin, Value};
use crate::{Error, Result};

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// A stream entry id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    fn from_be(bytes: [u8; 16]) -> StreamId {
        let (ms, seq) = bytes.split_at(8);
        StreamId {
            ms: u64::from_be_bytes(ms.try_into().unwrap_or_default()),
            seq: u64::from_be_bytes(seq.try_into().unwrap_or_default()),
        }
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// A stream: entries, metadata and consumer groups.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Stream {
    /// Live entries in id order.
    pub entries: Vec<StreamEntry>,
    /// The stream's length as stored (live entries).
    pub length: u64,
    /// The last id ever added.
    pub last_id: StreamId,
    /// The first live id (stored from v2; computed for v1).
    pub first_id: StreamId,
    /// The largest deleted id (v2+; 0-0 for v1).
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added (v2+; the length for v1).
    pub entries_added: u64,
    /// Consumer groups.
    pub groups: Vec<ConsumerGroup>,
}

/// One stream entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamEntry {
    /// Its id.
    pub id: StreamId,
    /// Field-value pairs, in order.
    #[serde(serialize_with = "pairs")]
    pub fields: Vec<(Bytes, Bytes)>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerGroup {
    /// Its name.
    #[serde(serialize_with = "bin")]
    pub name: Bytes,
    /// Last delivered id.
    pub last_id: StreamId,
    /// Entries read (v2+; -1 when Redis could not tell; `None` in v1).
    pub entries_read: Option<i64>,
    /// The group's pending entries list.
    pub pending: Vec<PendingEntry>,
    /// Its consumers.
    pub consumers: Vec<Consumer>,
}

/// An entry delivered but not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingEntry {
    /// The entry's id.
    pub id: StreamId,
    /// Last delivery, Unix ms.
    pub delivery_time_ms: i64,
    /// Times delivered.
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumer {
    /// Its name.
    #[serde(serialize_with = "bin")]
    pub name: Bytes,
    /// Last time it was seen, Unix ms.
    pub seen_time_ms: i64,
    /// Last successful read (v3; `None` before, where Redis uses the seen time).
    pub active_time_ms: Option<i64>,
    /// Ids of the group's pending entries it owns.
    pub pending: Vec<StreamId>,
}

fn pairs<S: serde::Serializer>(v: &[(Bytes, Bytes)], s: S) -> Result<S::Ok, S::Error> {
    use crate::value::Bin;
    s.collect_seq(v.iter().map(|(f, val)| (Bin(f), Bin(val))))
}

/// Reads a stream value of layout `encoding`.
pub(crate) fn read<R: Read>(input: &mut Input<R>, encoding: Encoding) -> Result<Value> {
    let v2 = encoding != Encoding::StreamListpacks;
    let v3 = encoding == Encoding::StreamListpacks3;
    let mut stream = Stream::default();
    let nodes = input.len("a stream node count")?;
    let mut prev_master: Option<StreamId> = None;
    for _ in 0..nodes {
        let at = input.offset();
        let key = input.string("a stream node key")?;
        let master = <[u8; 16]>::try_from(key.as_slice())
            .map(StreamId::from_be)
            .map_err(|_| {
                Error::corrupt(at, "Stream node key entry is not the size of a stream ID")
            })?;
        // Nodes are saved in the radix tree's order: ascending ids.
        if prev_master.is_some_and(|p| p >= master) {
            return Err(Error::corrupt(at, "Listpack re-added with existing key"));
        }
        prev_master = Some(master);
        let (data, base) = read_blob(input, "a stream listpack")?;
        let elements = blob::run(&data, base, "listpack", listpack::parse)?;
        if elements.is_empty() {
            return Err(Error::corrupt(base, "Empty listpack inside stream"));
        }
        node_entries(&elements, master, &data, &mut stream.entries).map_err(|what| {
            Error::corrupt(
                base,
                format!("Stream listpack integrity check failed: {what}"),
            )
        })?;
    }
    stream.length = input.len("a stream length")?;
    stream.last_id = id_pair(input, "a stream last id")?;
    if v2 {
        stream.first_id = id_pair(input, "a stream first id")?;
        stream.max_deleted_entry_id = id_pair(input, "a stream max deleted id")?;
        stream.entries_added = input.len("a stream entries-added count")?;
    } else {
        stream.first_id = stream.entries.first().map(|e| e.id).unwrap_or_default();
        stream.entries_added = stream.length;
    }
    if stream.length != 0 && nodes == 0 {
        return Err(Error::corrupt(
            input.offset(),
            "Stream length inconsistent with rax entries",
        ));
    }
    let groups = input.len("a consumer group count")?;
    stream.groups.reserve(cap(groups));
    let mut names = HashSet::new();
    for _ in 0..groups {
        let at = input.offset();
        let group = read_group(input, v2, v3)?;
        if !names.insert(group.name.clone()) {
            return Err(Error::corrupt(at, "Duplicated consumer group name"));
        }
        stream.groups.push(group);
    }
    Ok(Value::Stream(Box::new(stream)))
}

fn id_pair<R: Read>(input: &mut Input<R>, expected: &'static str) -> Result<StreamId> {
    Ok(StreamId {
        ms: input.len(expected)?,
        seq: input.len(expected)?,
    })
}

fn read_group<R: Read>(input: &mut Input<R>, v2: bool, v3: bool) -> Result<ConsumerGroup> {
    let name = Bytes::from(input.string("a consumer group name")?);
    let last_id = id_pair(input, "a consumer group last id")?;
    let entries_read = if v2 {
        Some(input.len("a consumer group entries-read count")? as i64)
    } else {
        None
    };
    let pel_size = input.len("a consumer group PEL size")?;
    let mut pending = Vec::with_capacity(cap(pel_size));
    let mut in_pel = HashSet::with_capacity(cap(pel_size));
    for _ in 0..pel_size {
        let at = input.offset();
        let id = StreamId::from_be(input.array("a PEL entry id")?);
        let delivery_time_ms = input.i64_le("a PEL delivery time")?;
        let delivery_count = input.len("a PEL delivery count")?;
        if !in_pel.insert(id) {
            return Err(Error::corrupt(
                at,
                "Duplicated global PEL entry loading stream consumer group",
            ));
        }
        pending.push(PendingEntry {
            id,
            delivery_time_ms,
            delivery_count,
        });
    }
    let consumer_count = input.len("a consumer count")?;
    let mut consumers = Vec::with_capacity(cap(consumer_count));
    let mut names = HashSet::new();
    let mut owned = HashSet::new();
    for _ in 0..consumer_count {
        let at = input.offset();
        let name = Bytes::from(input.string("a consumer name")?);
        if !names.insert(name.clone()) {
            return Err(Error::corrupt(at, "Duplicate stream consumer detected."));
        }
        let seen_time_ms = input.i64_le("a consumer seen time")?;
        let active_time_ms = if v3 {
            Some(input.i64_le("a consumer active time")?)
        } else {
            None
        };
        let n = input.len("a consumer PEL size")?;
        let mut ids = Vec::with_capacity(cap(n));
        for _ in 0..n {
            let at = input.offset();
            let id = StreamId::from_be(input.array("a consumer PEL entry id")?);
            if !in_pel.contains(&id) {
                return Err(Error::corrupt(
                    at,
                    "Consumer entry not found in group global PEL",
                ));
            }
            if !owned.insert(id) {
                return Err(Error::corrupt(
                    at,
                    "Duplicated consumer PEL entry loading a stream consumer group",
                ));
            }
            ids.push(id);
        }
        consumers.push(Consumer {
            name,
            seen_time_ms,
            active_time_ms,
            pending: ids,
        });
    }
    Ok(ConsumerGroup {
        name,
        last_id,
        entries_read,
        pending,
        consumers,
    })
}

/// Walks one node's listpack, appending its live entries.
fn node_entries(
    elements: &[Element<'_>],
    master: StreamId,
    data: &Bytes,
    out: &mut Vec<StreamEntry>,
) -> std::result::Result<(), &'static str> {
    let mut it = elements.iter().copied();
    let mut int = |what: &'static str| -> std::result::Result<i64, &'static str> {
        it.next().and_then(Element::as_i64).ok_or(what)
    };
    let count = int("entry count")?;
    let deleted = int("deleted count")?;
    let master_field_count = int("master field count")?;
    let master_field_count =
        usize::try_from(master_field_count).map_err(|_| "negative field count")?;
    let mut master_fields = Vec::with_capacity(master_field_count.min(elements.len()));
    for _ in 0..master_field_count {
        master_fields.push(it.next().ok_or("missing master field")?.to_bytes(data));
    }
    if it.next().and_then(Element::as_i64) != Some(0) {
        return Err("missing master entry terminator");
    }
    let total = count.checked_add(deleted).ok_or("entry count overflow")?;
    for _ in 0..total.max(0) {
        let mut next_int = |what| it.next().and_then(Element::as_i64).ok_or(what);
        let flags = next_int("entry flags")?;
        let ms_diff = next_int("entry id")?;
        let seq_diff = next_int("entry id")?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms_diff as u64),
            seq: master.seq.wrapping_add(seq_diff as u64),
        };
        let (fields, extra) = if flags & FLAG_SAMEFIELDS != 0 {
            let mut fields = Vec::with_capacity(master_fields.len());
            for f in &master_fields {
                fields.push((f.clone(), it.next().ok_or("missing value")?.to_bytes(data)));
            }
            (fields, 3)
        } else {
            let n = it
                .next()
                .and_then(Element::as_i64)
                .ok_or("entry field count")?;
            let n = usize::try_from(n).map_err(|_| "negative field count")?;
            let mut fields = Vec::with_capacity(n.min(elements.len()));
            for _ in 0..n {
                let field = it.next().ok_or("missing field")?.to_bytes(data);
                let value = it.next().ok_or("missing value")?.to_bytes(data);
                fields.push((field, value));
            }
            let extra = 4 + n;
            (fields, extra)
        };
        let lp_count = it
            .next()
            .and_then(Element::as_i64)
            .ok_or("entry lp-count")?;
        if usize::try_from(lp_count).ok() != Some(fields.len() + extra) {
            return Err("entry lp-count mismatch");
        }
        if flags & FLAG_DELETED == 0 {
            out.push(StreamEntry { id, fields });
        }
    }
    if it.next().is_some() {
        return Err("elements after the last entry");
    }
    Ok(())
}
