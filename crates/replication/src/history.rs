//! A server's place in replication history: its replication id, the previous one
//! (PSYNC2), the offset and the backlog, and the PSYNC decision they give.
//!
//! ```text
//! replid              the history this server's stream belongs to
//! replid2             the history it inherited from its old master, valid up to
//! second_offset       (second_replid_offset: offsets >= it belong to replid only)
//! master_repl_offset  offset of the last byte of the stream (backlog.master_offset)
//!
//! PSYNC <id> <off> is served with +CONTINUE (masterTryPartialResynchronization) iff
//!   (id == replid  or  (id == replid2 and off <= second_offset))
//!   and a backlog exists and holds off  (first_byte_offset <= off <= master_offset + 1)
//!
//! On promotion (REPLICAOF NO ONE, shiftReplicationId):
//!   replid2 = replid, second_offset = master_repl_offset + 1, replid = new random id
//! so replicas of the old master, which ask with the old id and an offset up to
//! what this server had, continue partially.
//! ```

use crate::{Backlog, ReplId};

/// Why a PSYNC cannot continue (what Redis logs before a full resync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullReason {
    /// `PSYNC ? -1`: the replica asked for a full sync.
    Requested,
    /// Neither id matches ("Replication ID mismatch").
    IdMismatch,
    /// The old id matched but the offset is past where that history ended
    /// ("Requested offset ... beyond the old replication ID's offset").
    BeyondSecondOffset,
    /// No backlog, or the offset is outside it.
    OutOfBacklog,
}

/// The PSYNC decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsyncDecision {
    /// Send `+CONTINUE [replid]` and the backlog from `offset`.
    Continue {
        /// The first offset to send.
        offset: u64,
    },
    /// Full resync.
    Full(FullReason),
}

/// Replication ids, offset and backlog of one server.
#[derive(Debug, Clone)]
pub struct History {
    /// `master_replid`.
    pub replid: ReplId,
    /// `master_replid2` (all zeros when none).
    pub replid2: ReplId,
    /// `second_repl_offset` (-1 in INFO when none: kept as `None`).
    pub second_offset: Option<u64>,
    /// `master_repl_offset` when there is no backlog.
    offset: u64,
    /// The backlog, created when the first replica attaches (or by a replica).
    backlog: Option<Backlog>,
}

impl History {
    /// A new history with id `replid` at offset 0, without backlog.
    pub fn new(replid: ReplId) -> History {
        History {
            replid,
            replid2: ReplId::NONE,
            second_offset: None,
            offset: 0,
            backlog: None,
        }
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> u64 {
        self.backlog
            .as_ref()
            .map_or(self.offset, Backlog::master_offset)
    }

    /// The backlog, if any.
    pub fn backlog(&self) -> Option<&Backlog> {
        self.backlog.as_ref()
    }

    /// Creates the backlog if there is none (`createReplicationBacklog`), of
    /// `capacity` bytes, continuing at the current offset.
    pub fn ensure_backlog(&mut self, capacity: usize) {
        if self.backlog.is_none() {
            self.backlog = Some(Backlog::with_offset(capacity, self.offset));
        }
    }

    /// Frees the backlog (`repl-backlog-ttl` expired with no replica). The offset
    /// is kept.
    pub fn free_backlog(&mut self) {
        if let Some(b) = self.backlog.take() {
            self.offset = b.master_offset();
        }
    }

    /// Changes the backlog's capacity (CONFIG SET repl-backlog-size): a new,
    /// empty backlog at the same offset, as `resizeReplicationBacklog` drops the
    /// old content.
    pub fn resize_backlog(&mut self, capacity: usize) {
        if let Some(b) = &self.backlog {
            if b.capacity() != capacity {
                let mut fresh = Backlog::with_offset(capacity, b.master_offset());
                if let Some((x, y)) = b.read_from(b.first_byte_offset()) {
                    let data = [x, y].concat();
                    let keep = data.len().min(capacity);
                    // Keep what still fits, so partial syncs stay possible.
                    fresh = Backlog::with_offset(capacity, b.master_offset() - keep as u64);
                    fresh.append(&data[data.len() - keep..]);
                }
                self.backlog = Some(fresh);
            }
        }
    }

    /// Appends stream bytes (to the backlog if any; the offset grows either way).
    pub fn append(&mut self, data: &[u8]) {
        match &mut self.backlog {
            Some(b) => b.append(data),
            None => self.offset += data.len() as u64,
        }
    }

    /// Redis's `masterTryPartialResynchronization` decision for
    /// `PSYNC <id> <offset>` (`id` `None` for `?`).
    pub fn decide(&self, id: Option<&ReplId>, offset: i64) -> PsyncDecision {
        let Some(id) = id else {
            return PsyncDecision::Full(FullReason::Requested);
        };
        let Ok(offset) = u64::try_from(offset) else {
            return PsyncDecision::Full(FullReason::OutOfBacklog);
        };
        if *id != self.replid {
            if *id != self.replid2 || self.replid2.is_none() {
                return PsyncDecision::Full(FullReason::IdMismatch);
            }
            if self.second_offset.is_none_or(|second| offset > second) {
                return PsyncDecision::Full(FullReason::BeyondSecondOffset);
            }
        }
        match &self.backlog {
            Some(b) if b.offset_range().contains(&offset) || offset == b.offset_range().end => {
                PsyncDecision::Continue { offset }
            }
            _ => PsyncDecision::Full(FullReason::OutOfBacklog),
        }
    }

    /// Promotion (`shiftReplicationId`): the current id becomes `replid2`, valid up
    /// to the current offset, and `new_id` starts a new history.
    pub fn shift(&mut self, new_id: ReplId) {
        self.replid2 = self.replid;
        self.second_offset = Some(self.offset() + 1);
        self.replid = new_id;
    }

    /// After a full sync from a master: its id and offset, no previous history,
    /// an empty backlog at that offset (`replicationCreateMasterClient` and
    /// `clearReplicationId2`).
    pub fn reset_to(&mut self, replid: ReplId, offset: u64, backlog_capacity: usize) {
        self.replid = replid;
        self.replid2 = ReplId::NONE;
        self.second_offset = None;
        self.offset = offset;
        self.backlog = Some(Backlog::with_offset(backlog_capacity, offset));
    }

    /// After `+CONTINUE <new id>` from a master whose id changed (it was
    /// promoted): the old id stays valid as `replid2` up to the current offset.
    pub fn adopt_new_id(&mut self, new_id: ReplId) {
        if new_id != self.replid {
            self.shift(new_id);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Append(usize),
        Promote,
        Ask { old: bool, back: u64 },
    }

    proptest! {
        /// Against a model that keeps every id with the offset range it covers:
        /// PSYNC continues exactly when the id covers the offset and the backlog
        /// still holds it.
        #[test]
        fn decisions_match_a_model(
            capacity in 1usize..64,
            ops in proptest::collection::vec(prop_oneof![
                (0usize..40).prop_map(Op::Append),
                Just(Op::Promote),
                (any::<bool>(), 0u64..80).prop_map(|(old, back)| Op::Ask { old, back }),
            ], 1..40),
        ) {
            let ids: Vec<ReplId> = (1..=50u8).map(|i| ReplId::from_random_bytes([i; 20])).collect();
            let mut next = 1;
            let mut h = History::new(ids[0]);
            h.ensure_backlog(capacity);
            let mut total = 0u64;
            // (id, last offset it covers) of the previous history, if any.
            let mut previous: Option<(ReplId, u64)> = None;
            for op in ops {
                match op {
                    Op::Append(n) => {
                        h.append(&vec![b'x'; n]);
                        total += n as u64;
                    }
                    Op::Promote => {
                        previous = Some((h.replid, total));
                        h.shift(ids[next % 50]);
                        next += 1;
                    }
                    Op::Ask { old, back } => {
                        let offset = (total + 1).saturating_sub(back);
                        let held_from = (total + 1).saturating_sub(capacity as u64).max(1);
                        let in_backlog = offset >= held_from;
                        let (id, covered) = match (old, previous) {
                            (true, Some((id, end))) => (id, offset <= end + 1),
                            _ => (h.replid, true),
                        };
                        let expected = in_backlog && covered;
                        let got = h.decide(Some(&id), offset as i64);
                        prop_assert_eq!(
                            matches!(got, PsyncDecision::Continue { .. }),
                            expected,
                            "offset {} total {} {:?}", offset, total, got
                        );
                    }
                }
            }
        }
    }

    fn id(n: u8) -> ReplId {
        ReplId::from_random_bytes([n; 20])
    }

    #[test]
    fn decisions() {
        let mut h = History::new(id(1));
        assert_eq!(
            h.decide(Some(&id(1)), 1),
            PsyncDecision::Full(FullReason::OutOfBacklog)
        );
        h.ensure_backlog(10);
        h.append(b"0123456789abc");
        assert_eq!(h.offset(), 13);
        assert_eq!(
            h.decide(None, -1),
            PsyncDecision::Full(FullReason::Requested)
        );
        assert_eq!(
            h.decide(Some(&id(2)), 5),
            PsyncDecision::Full(FullReason::IdMismatch)
        );
        assert_eq!(
            h.decide(Some(&id(1)), 4),
            PsyncDecision::Continue { offset: 4 }
        );
        assert_eq!(
            h.decide(Some(&id(1)), 14),
            PsyncDecision::Continue { offset: 14 }
        );
        assert_eq!(
            h.decide(Some(&id(1)), 3),
            PsyncDecision::Full(FullReason::OutOfBacklog)
        );
        assert_eq!(
            h.decide(Some(&id(1)), 15),
            PsyncDecision::Full(FullReason::OutOfBacklog)
        );
        assert_eq!(
            h.decide(Some(&id(1)), -5),
            PsyncDecision::Full(FullReason::OutOfBacklog)
        );
    }

    #[test]
    fn promotion_keeps_the_old_history_up_to_its_end() {
        let mut h = History::new(id(1));
        h.reset_to(id(9), 100, 64);
        h.append(b"abcd"); // offsets 101..=104
        h.shift(id(2));
        assert_eq!(h.replid2, id(9));
        assert_eq!(h.second_offset, Some(105));
        // A sibling that got everything from the old master continues.
        assert_eq!(
            h.decide(Some(&id(9)), 105),
            PsyncDecision::Continue { offset: 105 }
        );
        assert_eq!(
            h.decide(Some(&id(9)), 102),
            PsyncDecision::Continue { offset: 102 }
        );
        h.append(b"ef");
        // One claiming more of the old history than we had cannot.
        assert_eq!(
            h.decide(Some(&id(9)), 106),
            PsyncDecision::Full(FullReason::BeyondSecondOffset)
        );
        assert_eq!(
            h.decide(Some(&id(2)), 106),
            PsyncDecision::Continue { offset: 106 }
        );
        h.adopt_new_id(id(2));
        assert_eq!(h.replid2, id(9), "same id: nothing shifts");
    }

    #[test]
    fn backlog_lifecycle() {
        let mut h = History::new(id(1));
        h.append(b"abc");
        h.ensure_backlog(4);
        assert_eq!(h.backlog().unwrap().offset_range(), 4..4);
        h.append(b"defg");
        h.resize_backlog(2);
        assert_eq!(h.backlog().unwrap().offset_range(), 6..8);
        h.free_backlog();
        assert_eq!(h.offset(), 7);
        assert!(h.backlog().is_none());
    }
}
