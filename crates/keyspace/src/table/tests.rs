//! Tests of the segmented table: lookups against a model, SCAN's guarantee and the
//! snapshot walk under splits, as unit and property tests.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;

use super::*;

/// A deterministic hasher, so that failures reproduce.
type Fixed = BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

#[derive(Debug, Clone, PartialEq)]
struct E {
    k: u64,
    v: u64,
}

impl Keyed for E {
    type Key = u64;
    fn key(&self) -> &u64 {
        &self.k
    }
}

/// A table with tiny segments, so that a few hundred keys make many splits.
fn small() -> Table<E, Fixed> {
    Table::with_segment_buckets(Fixed::default(), 16)
}

fn insert(t: &mut Table<E, Fixed>, k: u64, v: u64) {
    match t.entry(t.hash(&k), |e| e.k == k) {
        Entry::Occupied(mut o) => o.get_mut().v = v,
        Entry::Vacant(vacant) => {
            vacant.insert(E { k, v });
        }
    }
}

#[test]
fn grows_by_splitting_and_finds_everything() {
    let mut t = small();
    for k in 0..5000 {
        insert(&mut t, k, k * 2);
    }
    t.check();
    assert_eq!(t.len(), 5000);
    assert!(t.segment_count() > 300, "{}", t.segment_count());
    for k in 0..5000 {
        assert_eq!(t.get(&k).map(|e| e.v), Some(k * 2));
    }
    assert_eq!(t.get(&5000), None);
    for k in (0..5000).step_by(3) {
        assert_eq!(t.remove(&k).map(|e| e.k), Some(k));
    }
    t.check();
    assert_eq!(t.len(), 5000 - 1667);
    assert_eq!(t.iter().count(), t.len());
    t.clear();
    t.check();
    assert_eq!((t.len(), t.segment_count(), t.iter().count()), (0, 1, 0));
}

#[test]
fn segments_split_at_three_eighths_of_their_full_size() {
    let mut t: Table<E, Fixed> = Table::with_hasher(Fixed::default());
    for k in 0..(SEGMENT_BUCKETS as u64 / 8 * 7 * 3 / 8) {
        insert(&mut t, k, 0);
    }
    assert_eq!(t.segment_count(), 1, "one segment until 3/8 full");
    insert(&mut t, u64::MAX, 0);
    assert_eq!(t.segment_count(), 2);
    for k in 0..100_000 {
        insert(&mut t, k, k);
    }
    t.check();
    // Segments hold between 3/8 and 3/4 of a full segment's capacity, and the spread
    // between them does not make any outgrow a full segment.
    let per_segment = t.len() / t.segment_count();
    assert!((150..=168).contains(&per_segment), "{per_segment}");
    let biggest = t.segments.iter().map(|s| s.num_buckets()).max();
    assert_eq!(biggest, Some(SEGMENT_BUCKETS));
}

#[test]
fn deleting_most_keys_shrinks_segments() {
    let mut t: Table<E, Fixed> = Table::with_hasher(Fixed::default());
    for k in 0..160 {
        insert(&mut t, k, 0);
    }
    assert_eq!((t.segment_count(), t.segments[0].num_buckets()), (1, 256));
    for k in 0..155 {
        t.remove(&k);
    }
    assert!(t.segments[0].num_buckets() <= 16);
    t.check();
    assert_eq!(t.iter().count(), 5);
}

#[test]
fn random_picks_every_entry_eventually() {
    let mut t = small();
    assert!(t.random(1).is_none());
    for k in 0..200 {
        insert(&mut t, k, 0);
    }
    let mut seen = BTreeSet::new();
    let mut state = 1u64;
    for _ in 0..20_000 {
        state = crate::keyspace::next_random(&mut state);
        seen.insert(t.random(state).unwrap().k);
    }
    assert_eq!(seen.len(), 200);
}

/// Scans the whole table from cursor 0.
fn full_scan(t: &Table<E, Fixed>) -> Vec<u64> {
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        cursor = t.scan(cursor, |e| out.push(e.k));
        if cursor == 0 {
            return out;
        }
    }
}

#[test]
fn a_quiet_scan_returns_each_key_once() {
    let mut t = small();
    for k in 0..3000 {
        insert(&mut t, k, 0);
    }
    let mut keys = full_scan(&t);
    keys.sort_unstable();
    assert_eq!(keys, (0..3000).collect::<Vec<_>>());
}

#[test]
fn scan_survives_splits_between_calls() {
    let mut t = small();
    for k in 0..500 {
        insert(&mut t, k, 0);
    }
    let mut seen = BTreeSet::new();
    let mut cursor = 0;
    let mut next_key = 500;
    loop {
        cursor = t.scan(cursor, |e| {
            seen.insert(e.k);
        });
        // Grow the table between calls, up to 40 times its size: segments ahead of
        // the cursor, behind it and under it split, the directory doubles repeatedly.
        for _ in 0..if t.len() < 20_000 { 300 } else { 0 } {
            insert(&mut t, next_key, 0);
            next_key += 1;
        }
        if cursor == 0 {
            break;
        }
    }
    assert!(t.len() >= 20_000, "{}", t.len());
    assert!((0..500).all(|k| seen.contains(&k)));
}

/// A SCAN interleaved with changes to the table.
#[derive(Debug, Clone)]
enum ScanOp {
    Insert(u64),
    Remove(u64),
    /// Inserts this many fresh keys (forcing splits).
    Grow(u16),
    /// One SCAN call.
    Step,
}

fn scan_op() -> impl Strategy<Value = ScanOp> {
    prop_oneof![
        4 => (0..2000u64).prop_map(ScanOp::Insert),
        3 => (0..2000u64).prop_map(ScanOp::Remove),
        1 => (1..600u16).prop_map(ScanOp::Grow),
        4 => Just(ScanOp::Step),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Redis's SCAN guarantee: an element present from the first call to the last is
    /// returned at least once, whatever changes in between.
    #[test]
    fn scan_returns_everything_present_throughout(
        initial in proptest::collection::btree_set(0..2000u64, 0..800),
        ops in proptest::collection::vec(scan_op(), 0..200),
        buckets in prop_oneof![Just(16usize), Just(32), Just(512)],
    ) {
        let mut t: Table<E, Fixed> = Table::with_segment_buckets(Fixed::default(), buckets);
        for &k in &initial {
            insert(&mut t, k, 0);
        }
        // Keys present since the start and never removed.
        let mut throughout = initial.clone();
        let mut returned = BTreeSet::new();
        let mut fresh = 1_000_000u64;
        let mut cursor = 0;
        let mut finished = false;
        let mut step = |t: &Table<E, Fixed>, cursor: &mut u64, finished: &mut bool| {
            if !*finished {
                *cursor = t.scan(*cursor, |e| { returned.insert(e.k); });
                *finished = *cursor == 0;
            }
        };
        for op in ops {
            match op {
                ScanOp::Insert(k) => insert(&mut t, k, 1),
                ScanOp::Remove(k) => {
                    t.remove(&k);
                    throughout.remove(&k);
                }
                ScanOp::Grow(n) => {
                    for _ in 0..n {
                        insert(&mut t, fresh, 2);
                        fresh += 1;
                    }
                }
                ScanOp::Step => step(&t, &mut cursor, &mut finished),
            }
        }
        while !finished {
            step(&t, &mut cursor, &mut finished);
        }
        t.check();
        let missed: Vec<_> = throughout.difference(&returned).collect();
        prop_assert!(missed.is_empty(), "missed {:?}", missed);
    }
}

/// Collects what a snapshot saves.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<(u64, u64)>>>);

impl SnapshotSink<E> for Collect {
    fn save(&mut self, segment: SegmentRef<'_, E>) {
        self.0
            .lock()
            .unwrap()
            .extend(segment.iter().map(|e| (e.k, e.v)));
    }
}

/// Checks that the snapshot saved exactly `expected`: no entry lost, none twice.
fn assert_saved(saved: &Collect, expected: &BTreeMap<u64, u64>) {
    let mut got = saved.0.lock().unwrap().clone();
    got.sort_unstable();
    let want: Vec<_> = expected.iter().map(|(&k, &v)| (k, v)).collect();
    assert_eq!(got, want);
}

#[test]
fn snapshot_of_a_quiet_table() {
    let mut t = small();
    let mut model = BTreeMap::new();
    for k in 0..1000 {
        insert(&mut t, k, k);
        model.insert(k, k);
    }
    let saved = Collect::default();
    let epoch = t.begin_snapshot(Box::new(saved.clone())).ok().unwrap();
    assert_eq!(t.snapshot_epoch(), Some(epoch));
    assert!(t.begin_snapshot(Box::new(Collect::default())).is_err());
    while !t.snapshot_step(3) {}
    assert!(t.end_snapshot().is_some());
    assert_saved(&saved, &model);
}

#[test]
fn a_split_during_the_walk_neither_loses_nor_duplicates() {
    let mut t = small();
    let mut model = BTreeMap::new();
    for k in 0..600 {
        insert(&mut t, k, k);
        model.insert(k, k);
    }
    let saved = Collect::default();
    t.begin_snapshot(Box::new(saved.clone())).ok().unwrap();
    // Walk about half of the segments, then quadruple the table: segments behind the
    // cursor, ahead of it and under it all split, the directory grows.
    let half = t.segment_count() / 2;
    assert!(!t.snapshot_step(half));
    let segments_before = t.segment_count();
    for k in 600..3000 {
        insert(&mut t, k, 0);
    }
    // Changes after the start are not in the snapshot.
    for k in (0..600).step_by(7) {
        insert(&mut t, k, 999_999);
    }
    for k in (1..600).step_by(5) {
        t.remove(&k);
    }
    assert!(t.segment_count() > 2 * segments_before);
    while !t.snapshot_step(1) {}
    t.check();
    assert_saved(&saved, &model);
}

#[test]
fn clearing_during_a_snapshot_saves_the_rest_first() {
    let mut t = small();
    let mut model = BTreeMap::new();
    for k in 0..300 {
        insert(&mut t, k, 1);
        model.insert(k, 1);
    }
    let saved = Collect::default();
    t.begin_snapshot(Box::new(saved.clone())).ok().unwrap();
    t.snapshot_step(2);
    t.clear();
    insert(&mut t, 5, 5);
    while !t.snapshot_step(1) {}
    assert_saved(&saved, &model);
}

#[derive(Debug, Clone)]
enum SnapOp {
    Insert(u64, u64),
    Remove(u64),
    Grow(u16),
    Walk(u8),
}

fn snap_op() -> impl Strategy<Value = SnapOp> {
    prop_oneof![
        4 => (0..1500u64, 0..5u64).prop_map(|(k, v)| SnapOp::Insert(k, v)),
        3 => (0..1500u64).prop_map(SnapOp::Remove),
        1 => (1..400u16).prop_map(SnapOp::Grow),
        3 => (1..4u8).prop_map(SnapOp::Walk),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A snapshot saves exactly the table as it was when it began, whatever the
    /// writes, splits and directory growth during the walk.
    #[test]
    fn snapshot_is_point_in_time(
        initial in proptest::collection::hash_map(0..1500u64, 0..5u64, 0..600),
        ops in proptest::collection::vec(snap_op(), 0..150),
    ) {
        let mut t = small();
        for (&k, &v) in &initial {
            insert(&mut t, k, v);
        }
        let expected: BTreeMap<u64, u64> = initial.into_iter().collect();
        let saved = Collect::default();
        t.begin_snapshot(Box::new(saved.clone())).ok().unwrap();
        let mut model: HashMap<u64, u64> = expected.clone().into_iter().collect();
        let mut fresh = 1_000_000;
        for op in ops {
            match op {
                SnapOp::Insert(k, v) => {
                    insert(&mut t, k, v);
                    model.insert(k, v);
                }
                SnapOp::Remove(k) => {
                    prop_assert_eq!(t.remove(&k).map(|e| e.v), model.remove(&k));
                }
                SnapOp::Grow(n) => {
                    for _ in 0..n {
                        insert(&mut t, fresh, 7);
                        model.insert(fresh, 7);
                        fresh += 1;
                    }
                }
                SnapOp::Walk(n) => {
                    t.snapshot_step(n.into());
                }
            }
        }
        while !t.snapshot_step(1) {}
        t.end_snapshot();
        t.check();
        assert_saved(&saved, &expected);
        // The table itself is the model's.
        prop_assert_eq!(t.len(), model.len());
        for (k, v) in &model {
            prop_assert_eq!(t.get(k).map(|e| e.v), Some(*v));
        }
    }
}

#[test]
fn reserve_presplits_so_inserts_never_split() {
    let mut t = small();
    insert(&mut t, 1, 1);
    t.reserve(1000);
    let segments = t.segments.len();
    let buckets: Vec<usize> = t.segments.iter().map(|s| s.num_buckets()).collect();
    for k in 2..=1000 {
        insert(&mut t, k, k);
    }
    assert_eq!(t.segments.len(), segments, "no split after reserve");
    let after: Vec<usize> = t.segments.iter().map(|s| s.num_buckets()).collect();
    let grown = buckets.iter().zip(&after).filter(|(a, b)| a != b).count();
    // Tiny test segments (5 entries on average) see the random spread; full-size
    // ones (about 170) have room for it.
    assert!(
        grown * 4 <= segments,
        "{grown} of {segments} segments rehashed"
    );
    t.check();
    for k in 1..=1000 {
        assert_eq!(t.get(&k).map(|e| e.v), Some(k));
    }
}
