//! Streams re-encoded into listpack nodes (layout in `stream.rs`), the way
//! `streamAppendItem` builds them, and their metadata and consumer groups in
//! the layout of the version's `STREAM_LISTPACKS` type.

use crate::encode_value::ValueWriter;
use crate::item::Encoding;
use crate::listpack_write::ListpackWriter;
use crate::stream::{Stream, StreamEntry, StreamId};

/// `STREAM_ITEM_FLAG_SAMEFIELDS`: the entry has the master entry's fields.
const FLAG_SAMEFIELDS: i64 = 2;
/// `STREAM_LISTPACK_MAX_SIZE`: a node never grows past 1 GiB.
const LISTPACK_MAX_SIZE: usize = 1 << 30;

fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut out = [0; 16];
    out[..8].copy_from_slice(&id.ms.to_be_bytes());
    out[8..].copy_from_slice(&id.seq.to_be_bytes());
    out
}

/// One node: master id and listpack.
struct Node {
    master: StreamId,
    lp: ListpackWriter,
    /// The master entry's field names (the node's first entry's).
    fields: Vec<bytes::Bytes>,
    count: usize,
}

impl Node {
    fn new(first: &StreamEntry) -> Node {
        let mut lp = ListpackWriter::default();
        // Master entry: count and deleted (patched in `finish`), fields, 0.
        lp.push_int(0);
        lp.push_int(0);
        lp.push_int(first.fields.len() as i64);
        for (f, _) in &first.fields {
            lp.push(f);
        }
        lp.push_int(0);
        Node {
            master: first.id,
            lp,
            fields: first.fields.iter().map(|(f, _)| f.clone()).collect(),
            count: 0,
        }
    }

    fn add(&mut self, entry: &StreamEntry) {
        let same = entry.fields.len() == self.fields.len()
            && entry
                .fields
                .iter()
                .zip(&self.fields)
                .all(|((f, _), m)| f == m);
        let lp = &mut self.lp;
        lp.push_int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.push_int(entry.id.ms.wrapping_sub(self.master.ms) as i64);
        lp.push_int(entry.id.seq.wrapping_sub(self.master.seq) as i64);
        let n = entry.fields.len();
        if same {
            entry.fields.iter().for_each(|(_, v)| lp.push(v));
            lp.push_int(n as i64 + 3);
        } else {
            lp.push_int(n as i64);
            for (f, v) in &entry.fields {
                lp.push(f);
                lp.push(v);
            }
            lp.push_int(2 * n as i64 + 4);
        }
        self.count += 1;
    }

    /// The listpack with the master entry's count set.
    fn finish(self) -> Vec<u8> {
        let mut blob = self.lp.finish();
        // The master entry's first element is 0 (one byte, 7-bit uint) plus
        // its backlen: rewrite it with the count, re-encoding if wider.
        let mut lp = ListpackWriter::default();
        lp.push_int(self.count as i64);
        let head = lp.finish();
        let encoded = &head[6..head.len() - 1];
        if encoded.len() == 2 {
            blob[6..8].copy_from_slice(encoded);
            return blob;
        }
        let mut out = Vec::with_capacity(blob.len() + encoded.len());
        out.extend_from_slice(&blob[..6]);
        out.extend_from_slice(encoded);
        out.extend_from_slice(&blob[8..]);
        let total = out.len() as u32;
        out[..4].copy_from_slice(&total.to_le_bytes());
        out
    }
}

/// Writes `stream` as `encoding` (`STREAM_LISTPACKS`, `_2` or `_3`).
pub(crate) fn write(w: &mut ValueWriter<'_>, stream: &Stream, encoding: Encoding) {
    let v2 = encoding != Encoding::StreamListpacks;
    let v3 = encoding == Encoding::StreamListpacks3;
    let max_bytes = match w.limits.stream_node_max_bytes {
        0 => LISTPACK_MAX_SIZE,
        n => n.min(LISTPACK_MAX_SIZE),
    };
    let max_entries = w.limits.stream_node_max_entries;

    let mut nodes: Vec<Node> = Vec::new();
    for entry in &stream.entries {
        let size: usize = entry.fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let full = nodes.last().is_none_or(|node| {
            node.lp.bytes() + size >= max_bytes || (max_entries != 0 && node.count >= max_entries)
        });
        if full {
            nodes.push(Node::new(entry));
        }
        if let Some(node) = nodes.last_mut() {
            node.add(entry);
        }
    }
    w.len(nodes.len() as u64);
    for node in nodes {
        w.string(&id_bytes(node.master));
        let blob = node.finish();
        w.string(&blob);
    }

    w.len(stream.length);
    w.len(stream.last_id.ms);
    w.len(stream.last_id.seq);
    if v2 {
        w.len(stream.first_id.ms);
        w.len(stream.first_id.seq);
        w.len(stream.max_deleted_entry_id.ms);
        w.len(stream.max_deleted_entry_id.seq);
        w.len(stream.entries_added);
    }
    w.len(stream.groups.len() as u64);
    for group in &stream.groups {
        w.string(&group.name);
        w.len(group.last_id.ms);
        w.len(group.last_id.seq);
        if v2 {
            // -1 (unknown) is written as the u64 it casts to, as Redis does.
            w.len(group.entries_read.unwrap_or(-1) as u64);
        }
        w.len(group.pending.len() as u64);
        for p in &group.pending {
            w.out.extend_from_slice(&id_bytes(p.id));
            w.out.extend_from_slice(&p.delivery_time_ms.to_le_bytes());
            w.len(p.delivery_count);
        }
        w.len(group.consumers.len() as u64);
        for c in &group.consumers {
            w.string(&c.name);
            w.out.extend_from_slice(&c.seen_time_ms.to_le_bytes());
            if v3 {
                let active = c.active_time_ms.unwrap_or(c.seen_time_ms);
                w.out.extend_from_slice(&active.to_le_bytes());
            }
            w.len(c.pending.len() as u64);
            for id in &c.pending {
                w.out.extend_from_slice(&id_bytes(*id));
            }
        }
    }
}
