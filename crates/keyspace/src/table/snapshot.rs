//! Segment versions and the hook for point-in-time snapshots without fork.
//!
//! DESIGN.md ("Snapshots without fork"): a snapshot takes an epoch, a walker saves the
//! segments in a stable order, and a write about to change a segment that the walker
//! has not saved yet saves it first. Here:
//!
//! - the table has a version *clock* that advances only when a snapshot begins; the
//!   new value is the snapshot's *epoch*;
//! - every segment has a *version*: the epoch of the last snapshot that saved it (or
//!   during which it was created). Every write goes through `before_write`, which is
//!   where the hook sits: while a snapshot runs, a segment whose version is below its
//!   epoch is handed to the [`SnapshotSink`] before the write proceeds, and its
//!   version becomes the epoch. With no snapshot running the check is one comparison
//!   of a field of the table, and versions are not touched;
//! - [`Table::snapshot_step`] walks segments in cursor order (see `scan.rs`) and saves
//!   those still below the epoch.
//!
//! Invariant, what an RDB writer relies on: between [`Table::begin_snapshot`] and the
//! step that reports completion, the sink receives every entry present at the start
//! exactly once, with its value as of the start, and no entry inserted later. Why:
//! version < epoch means "unchanged since the snapshot began and not saved"; each
//! segment is saved at most once (saving sets its version to the epoch); entries move
//! between segments only by a split, which goes through the hook first, and both
//! halves inherit the saved version; and the walk never skips a segment (scan.rs's
//! invariant), so none is left unsaved.
//!
//! One snapshot at a time, like Redis's single child process.

use std::fmt;
use std::hash::BuildHasher;

use super::{Keyed, SegmentRef, Table};

/// Receives the segments of a snapshot, as they were when it began.
pub trait SnapshotSink<T>: Send {
    /// Saves one segment. Called once for every segment that existed, unchanged, when
    /// the snapshot began: either by the walk or just before a write changes it.
    fn save(&mut self, segment: SegmentRef<'_, T>);
}

/// The version clock and the running snapshot.
pub(super) struct State<T> {
    clock: u64,
    /// The running snapshot's epoch, 0 when none runs (epochs start at 1).
    epoch: u64,
    running: Option<Running<T>>,
}

struct Running<T> {
    /// Where the walk resumes.
    cursor: u64,
    done: bool,
    sink: Box<dyn SnapshotSink<T>>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            clock: 0,
            epoch: 0,
            running: None,
        }
    }
}

impl<T> State<T> {
    pub(super) fn clock(&self) -> u64 {
        self.clock
    }
}

impl<T: Keyed, S: BuildHasher> Table<T, S> {
    /// Called before anything changes `segment`: saves it first if a running snapshot
    /// has not saved it yet.
    #[inline]
    pub(super) fn before_write(&mut self, segment: usize) {
        if self.snap.epoch != 0 && self.versions[segment] < self.snap.epoch {
            self.save_segment(segment);
        }
    }

    #[cold]
    fn save_segment(&mut self, segment: usize) {
        let depth = self.depth_of(segment);
        if let Some(run) = &mut self.snap.running {
            run.sink.save(SegmentRef {
                table: &self.segments[segment],
                prefix: segment as u64,
                depth,
                version: self.versions[segment],
            });
        }
        self.versions[segment] = self.snap.epoch;
    }

    /// Starts a snapshot that hands segments to `sink`, returning its epoch; gives the
    /// sink back if one is already running.
    pub fn begin_snapshot(
        &mut self,
        sink: Box<dyn SnapshotSink<T>>,
    ) -> Result<u64, Box<dyn SnapshotSink<T>>> {
        if self.snap.running.is_some() {
            return Err(sink);
        }
        self.snap.clock += 1;
        let epoch = self.snap.clock;
        self.snap.epoch = epoch;
        self.snap.running = Some(Running {
            cursor: 0,
            done: false,
            sink,
        });
        Ok(epoch)
    }

    /// Walks up to `segments` segments of the running snapshot, saving the ones not
    /// saved yet. Returns true once every segment has been saved (or when no snapshot
    /// runs); the owner calls it until then, between commands.
    pub fn snapshot_step(&mut self, segments: usize) -> bool {
        for _ in 0..segments {
            let Some(run) = &self.snap.running else {
                return true;
            };
            if run.done {
                return true;
            }
            let cursor = run.cursor;
            let index = self.segment_at(cursor);
            self.before_write(index);
            let next = super::scan::next_cursor(cursor, self.depth_of(index));
            if let Some(run) = &mut self.snap.running {
                run.cursor = next;
                run.done = next == 0;
            }
        }
        self.snap.running.as_ref().is_none_or(|run| run.done)
    }

    /// Ends the snapshot (complete or not) and gives its sink back.
    pub fn end_snapshot(&mut self) -> Option<Box<dyn SnapshotSink<T>>> {
        self.snap.epoch = 0;
        self.snap.running.take().map(|run| run.sink)
    }

    /// The running snapshot's epoch.
    pub fn snapshot_epoch(&self) -> Option<u64> {
        (self.snap.epoch != 0).then_some(self.snap.epoch)
    }

    /// Saves every segment the running snapshot has not saved yet (before the table
    /// is cleared).
    pub(super) fn save_all_pending(&mut self) {
        if self.snap.running.is_some() {
            for segment in 0..self.segments.len() {
                self.before_write(segment);
            }
        }
    }
}

impl<T> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("clock", &self.clock)
            .field("epoch", &self.epoch)
            .finish()
    }
}
