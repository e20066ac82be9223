//! Point-in-time snapshots of the whole keyspace without fork (DESIGN.md, "Snapshots
//! without fork"), for RDB saves, AOF rewrites and full resyncs.
//!
//! [`Keyspace::begin_snapshot`] starts a snapshot of every database at once; from
//! then on the owner calls [`Keyspace::snapshot_step`] between commands until it
//! returns true. Each key present at the start reaches the [`PersistSink`] exactly
//! once, with its value as of the start: by the walk, or just before a write
//! changes its segment (the table's copy-before-write hook, `table/snapshot.rs`).
//! Keys written after the start never reach it. Keys arrive grouped by segment,
//! and segments of different databases may interleave (a write to db 3 saves its
//! segment while the walk is still in db 0), so a writer emits its "select
//! database" record whenever the database changes (RDB's SELECTDB, AOF's SELECT).

use std::sync::{Arc, Mutex, PoisonError};

use crate::db::Entry;
use crate::keyspace::Keyspace;
use crate::table::{SegmentRef, SnapshotSink};
use crate::view::{EntryView, ValueView};

/// Receives the keys of a snapshot.
pub trait PersistSink: Send {
    /// One key of database `db`, as it was when the snapshot began. Called under
    /// the keyspace's owner (between or inside commands): keep it quick, e.g.
    /// encode into a buffer that another thread writes out.
    fn entry(&mut self, db: usize, entry: EntryView<'_>);
}

/// Adapts one database's table snapshot to the shared sink.
struct DbSink<S> {
    db: usize,
    sink: Arc<Mutex<S>>,
}

impl<S: PersistSink> SnapshotSink<Entry> for DbSink<S> {
    fn save(&mut self, segment: SegmentRef<'_, Entry>) {
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        hand_over(segment.iter(), self.db, &mut *sink);
    }
}

/// How many entries ahead a walk prefetches blocks, and then (half as far
/// ahead, once the block has arrived) a string value's bytes.
const PREFETCH_AHEAD: usize = 16;

/// Hands `entries` to `sink`, prefetching a few ahead (`lead` is a second
/// iterator over the same entries, `mid` a third): each entry's block, then its
/// string's bytes, is a cache miss otherwise, and several in flight overlap.
fn hand_over<'a, I: Iterator<Item = &'a Entry> + Clone>(
    entries: I,
    db: usize,
    sink: &mut dyn PersistSink,
) {
    let mut lead = entries.clone();
    lead.by_ref().take(PREFETCH_AHEAD).for_each(Entry::prefetch);
    let mut mid = entries.clone();
    mid.by_ref()
        .take(PREFETCH_AHEAD / 2)
        .for_each(Entry::prefetch_value);
    for e in entries {
        if let Some(next) = lead.next() {
            next.prefetch();
        }
        if let Some(next) = mid.next() {
            next.prefetch_value();
        }
        sink.entry(
            db,
            EntryView {
                key: e.key(),
                value: ValueView::of(e.value()),
                expire_at: e.expire_at(),
            },
        );
    }
}

impl Keyspace {
    /// Starts a snapshot of every database into `sink`; false if one is running
    /// already (one at a time, like Redis's one child process).
    pub fn begin_snapshot<S: PersistSink + 'static>(&mut self, sink: Arc<Mutex<S>>) -> bool {
        if self.snapshot_running() {
            return false;
        }
        for (db, d) in self.dbs.iter_mut().enumerate() {
            let started = d.begin_snapshot(Box::new(DbSink {
                db,
                sink: sink.clone(),
            }));
            debug_assert!(started, "no database snapshot was running");
        }
        true
    }

    /// Walks up to `segments` more segments (a few hundred keys each) of the
    /// running snapshot. True once every key has reached the sink, or when no
    /// snapshot runs.
    pub fn snapshot_step(&mut self, mut segments: usize) -> bool {
        for d in &mut self.dbs {
            // A step of 0 segments only reports whether the walk is complete.
            while segments > 0 && !d.snapshot_step(0) {
                segments -= 1;
                d.snapshot_step(1);
            }
            if !d.snapshot_step(0) {
                return false;
            }
        }
        true
    }

    /// Ends the running snapshot, complete or not (a failed save ends it early).
    pub fn end_snapshot(&mut self) {
        for d in &mut self.dbs {
            d.end_snapshot();
        }
    }

    /// Whether a snapshot is running.
    pub fn snapshot_running(&self) -> bool {
        self.dbs.iter().any(|d| d.snapshot_running())
    }

    /// Hands every key of every database to `sink` at once, database by database
    /// (a synchronous SAVE, which holds the keyspace the whole time, so needs no
    /// snapshot and works while one runs).
    pub fn for_each_entry(&self, sink: &mut dyn PersistSink) {
        for (db, d) in self.dbs.iter().enumerate() {
            hand_over(d.iter(), db, sink);
        }
    }
}
