//! The replication backlog: the last bytes of the replication stream, kept so
//! a replica that reconnects can continue with `PSYNC <replid> <offset>`.
//!
//! ```text
//! Offsets count the bytes of the replication stream since the history began
//! (Redis's master_repl_offset). The byte at offset n is the n-th byte, so
//! offsets start at 1:
//!
//!   master_offset        offset of the last byte appended (0 before any)
//!   histlen              bytes held, at most the capacity
//!   first_byte_offset    master_offset - histlen + 1
//!                        (repl_backlog_first_byte_offset; master_offset + 1 when empty)
//!
//! A replica that processed up to offset r asks for PSYNC <replid> r+1. The
//! master can continue it iff
//!   first_byte_offset <= r+1 <= first_byte_offset + histlen  (= master_offset + 1)
//! (masterTryPartialResynchronization), and sends the bytes from r+1 on.
//! ```
//!
//! Redis keeps the backlog as a list of shared blocks it trims lazily; here it
//! is a ring of exactly `capacity` bytes, filled as data arrives.

use std::ops::Range;

/// A fixed-capacity ring of the newest replication stream bytes.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// Grows to `capacity`, then wraps.
    buf: Vec<u8>,
    capacity: usize,
    /// Index of the oldest byte once `buf` is full (0 before).
    head: usize,
    master_offset: u64,
}

impl Backlog {
    /// An empty backlog at the start of a history (master offset 0), holding
    /// at most `capacity` bytes (`repl-backlog-size`). Memory is taken as
    /// bytes arrive, up to `capacity`.
    pub fn new(capacity: usize) -> Backlog {
        Backlog::with_offset(capacity, 0)
    }

    /// An empty backlog whose next byte will be offset `master_offset + 1`, as
    /// `createReplicationBacklog` does when a history is already under way (a
    /// promoted replica, or a restart that loaded `repl-offset` from an RDB).
    ///
    /// Offsets are `u64`; [`Backlog::append`] panics if the stream passes
    /// `u64::MAX` bytes, which cannot happen from a Redis offset (at most
    /// `i64::MAX`).
    pub fn with_offset(capacity: usize, master_offset: u64) -> Backlog {
        Backlog {
            buf: Vec::new(),
            capacity,
            head: 0,
            master_offset,
        }
    }

    /// The most bytes the backlog holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends bytes of the replication stream, dropping the oldest ones past
    /// the capacity.
    pub fn append(&mut self, data: &[u8]) {
        self.master_offset += data.len() as u64;
        // Only the newest `capacity` bytes can survive.
        let mut data = &data[data.len().saturating_sub(self.capacity)..];
        if self.buf.len() < self.capacity {
            let fill = data.len().min(self.capacity - self.buf.len());
            let (now, rest) = data.split_at(fill);
            self.buf.extend_from_slice(now);
            data = rest;
        }
        while !data.is_empty() {
            let n = data.len().min(self.capacity - self.head);
            let (now, rest) = data.split_at(n);
            self.buf[self.head..self.head + n].copy_from_slice(now);
            self.head = (self.head + n) % self.capacity;
            data = rest;
        }
    }

    /// Offset of the last byte appended (`master_repl_offset`).
    pub fn master_offset(&self) -> u64 {
        self.master_offset
    }

    /// How many bytes are held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> u64 {
        self.buf.len() as u64
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`);
    /// `master_offset() + 1` when nothing is held.
    pub fn first_byte_offset(&self) -> u64 {
        self.master_offset - self.histlen() + 1
    }

    /// The offsets of the bytes held: `first_byte_offset()..master_offset() + 1`.
    ///
    /// A PSYNC offset can be served iff it lies in this range or equals its
    /// end (then there is nothing to send yet).
    pub fn offset_range(&self) -> Range<u64> {
        self.first_byte_offset()..self.master_offset + 1
    }

    /// The bytes from `offset` (a PSYNC offset: the first byte the replica
    /// lacks) to the end, as two slices to send in order, or `None` if the
    /// backlog no longer (or never) held that offset and a full resync is needed.
    pub fn read_from(&self, offset: u64) -> Option<(&[u8], &[u8])> {
        let range = self.offset_range();
        if offset < range.start || offset > range.end {
            return None;
        }
        let skip = usize::try_from(offset - range.start).ok()?;
        // Oldest first: buf[head..] then buf[..head] (head is 0 until full).
        let (older, newer) = (self.buf.get(self.head..)?, self.buf.get(..self.head)?);
        match older.get(skip..) {
            Some(rest) => Some((rest, newer)),
            None => Some((newer.get(skip - older.len()..)?, &[])),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn joined(backlog: &Backlog, offset: u64) -> Option<Vec<u8>> {
        backlog.read_from(offset).map(|(a, b)| [a, b].concat())
    }

    #[test]
    fn empty_backlog_is_at_the_next_offset() {
        let b = Backlog::new(16);
        assert_eq!(b.master_offset(), 0);
        assert_eq!(b.first_byte_offset(), 1);
        assert_eq!(b.offset_range(), 1..1);
        assert_eq!(joined(&b, 1), Some(vec![]));
        assert_eq!(joined(&b, 0), None);
        assert_eq!(joined(&b, 2), None);
        let b = Backlog::with_offset(16, 1000);
        assert_eq!(b.offset_range(), 1001..1001);
        assert_eq!(joined(&b, 1001), Some(vec![]));
    }

    #[test]
    fn wraps_and_keeps_the_newest_bytes() {
        let mut b = Backlog::new(8);
        b.append(b"abcdef");
        assert_eq!(b.offset_range(), 1..7);
        assert_eq!(joined(&b, 1).unwrap(), b"abcdef");
        assert_eq!(joined(&b, 4).unwrap(), b"def");
        b.append(b"ghij");
        // 10 bytes seen, 8 held: offsets 3..=10.
        assert_eq!(b.master_offset(), 10);
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_byte_offset(), 3);
        assert_eq!(joined(&b, 3).unwrap(), b"cdefghij");
        assert_eq!(joined(&b, 9).unwrap(), b"ij");
        assert_eq!(joined(&b, 11).unwrap(), b"");
        assert_eq!(joined(&b, 2), None);
        let (first, second) = b.read_from(3).unwrap();
        // "ij" wrapped to the front of the ring.
        assert_eq!((first, second), (&b"cdefgh"[..], &b"ij"[..]));
    }

    #[test]
    fn a_write_bigger_than_the_capacity_keeps_its_tail() {
        let mut b = Backlog::new(4);
        b.append(b"xy");
        b.append(b"0123456789");
        assert_eq!(b.offset_range(), 9..13);
        assert_eq!(joined(&b, 9).unwrap(), b"6789");
    }

    #[test]
    fn zero_capacity_only_counts() {
        let mut b = Backlog::new(0);
        b.append(b"abc");
        assert_eq!(b.offset_range(), 4..4);
        assert_eq!(joined(&b, 4), Some(vec![]));
        assert_eq!(joined(&b, 3), None);
    }

    proptest! {
        /// Against a model that keeps every byte ever appended.
        #[test]
        fn matches_a_vec_model(
            capacity in 0usize..40,
            start in prop_oneof![Just(0u64), any::<u32>().prop_map(u64::from)],
            writes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 0..12),
            probes in proptest::collection::vec(any::<prop::sample::Index>(), 8),
        ) {
            let mut backlog = Backlog::with_offset(capacity, start);
            let mut model: Vec<u8> = Vec::new();
            for write in &writes {
                backlog.append(write);
                model.extend_from_slice(write);

                let master = start + model.len() as u64;
                let held = model.len().min(capacity) as u64;
                prop_assert_eq!(backlog.master_offset(), master);
                prop_assert_eq!(backlog.histlen(), held);
                prop_assert_eq!(backlog.offset_range(), master - held + 1..master + 1);

                // Probe offsets around and inside the valid window.
                let lowest = start.saturating_sub(2);
                let span = (model.len() + 4) as u64;
                for probe in &probes {
                    let offset = lowest + probe.index(span as usize) as u64;
                    let expected = if (master - held + 1..=master + 1).contains(&offset) {
                        Some(model[(offset - start - 1) as usize..].to_vec())
                    } else {
                        None
                    };
                    prop_assert_eq!(joined(&backlog, offset), expected, "offset {}", offset);
                }
            }
        }
    }
}
