//! A sorted set in either of Redis 7.0's encodings, behind one API: members ordered
//! by score then bytes, with ranks, score and lexicographic ranges.
//!
//! A set starts as a [`Listpack`] and converts, once and for good, to [`Large`] when
//! it gets more than `zset-max-listpack-entries` members or a member longer than
//! `zset-max-listpack-value` bytes (Redis's `zsetAdd()`). Only the commands that
//! build a new set from scratch (ZUNIONSTORE, ZRANGESTORE, ...) pick the compact
//! encoding again when the result is small ([`ZSet::for_sorted`]).

mod large;
mod listpack;
mod score;
mod tree;

use std::ops::Range;

pub(crate) use self::large::Large;
pub(crate) use self::listpack::Listpack;
pub(crate) use self::score::{parse_score, parse_sort_weight, LexRange, ScoreRange};

use crate::error::{Error, Result};
use crate::tunables::Tunables;

/// A sorted set.
#[derive(Debug, Clone)]
pub(crate) enum ZSet {
    Listpack(Listpack),
    Large(Box<Large>),
}

/// Equal when they hold the same members with the same scores, whatever the encoding.
impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        let entries = |z: &ZSet| {
            let mut out = Vec::with_capacity(z.len());
            z.for_each(|m, s| out.push((m.to_vec(), s.to_bits())));
            out
        };
        self.len() == other.len() && entries(self) == entries(other)
    }
}

/// The part of the ranks `found` that LIMIT offset count selects, counted from the
/// top when `rev`. A negative offset selects nothing (Redis walks off the end of the
/// set); a negative count means no limit.
pub(crate) fn limit(found: Range<usize>, offset: i64, count: i64, rev: bool) -> Range<usize> {
    let Ok(offset) = usize::try_from(offset) else {
        return 0..0;
    };
    if offset >= found.len() {
        return 0..0;
    }
    let left = found.len() - offset;
    let n = usize::try_from(count).map_or(left, |c| c.min(left));
    if rev {
        found.end - offset - n..found.end - offset
    } else {
        found.start + offset..found.start + offset + n
    }
}

/// ZADD's conditions (`ZADD_IN_*` in t_zset.c).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AddFlags {
    pub(crate) nx: bool,
    pub(crate) xx: bool,
    pub(crate) gt: bool,
    pub(crate) lt: bool,
    pub(crate) incr: bool,
}

/// What one [`ZSet::add`] did (`ZADD_OUT_*`), with the member's score afterwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Added {
    /// Nothing, because of NX, XX, GT or LT.
    Nop,
    /// A new member.
    New(f64),
    /// An existing member got a different score.
    Updated(f64),
    /// An existing member kept its score.
    Same(f64),
}

impl ZSet {
    /// The empty set ZADD creates for `first_member` (Redis's `zaddGenericCommand()`
    /// checks only the first member's length up front; later ones convert).
    pub(crate) fn new(tunables: &Tunables, first_member: &[u8]) -> ZSet {
        if tunables.zset_max_listpack_entries == 0
            || first_member.len() > tunables.zset_max_listpack_value
        {
            ZSet::Large(Box::new(Large::with_capacity(0)))
        } else {
            ZSet::Listpack(Listpack::default())
        }
    }

    /// An empty set in the encoding `zsetConvertToListpackIfNeeded()` would give a
    /// set of `len` members none longer than `max_member_len`; fill it with
    /// [`ZSet::push_sorted`].
    pub(crate) fn for_sorted(tunables: &Tunables, len: usize, max_member_len: usize) -> ZSet {
        if len <= tunables.zset_max_listpack_entries
            && max_member_len <= tunables.zset_max_listpack_value
        {
            ZSet::Listpack(Listpack::default())
        } else {
            ZSet::Large(Box::new(Large::with_capacity(len)))
        }
    }

    /// Loading: adds a new member or updates a repeated one like [`ZSet::add`],
    /// appending without a search while members arrive in order (as an RDB
    /// listpack holds them). `last` is the loader's: where the previous append
    /// started, `None` to start with and after any other change; `maybe_present`
    /// comes from its filter of members seen so far.
    pub(crate) fn load_push(
        &mut self,
        member: &[u8],
        score: f64,
        last: &mut Option<usize>,
        maybe_present: bool,
        t: &Tunables,
    ) -> Result<()> {
        if score.is_nan() {
            return Err(Error::ScoreNan);
        }
        if let ZSet::Listpack(lp) = self {
            if lp.len() < t.zset_max_listpack_entries && member.len() <= t.zset_max_listpack_value {
                if let Some(at) = lp.append_in_order(*last, member, score, maybe_present) {
                    *last = Some(at);
                    return Ok(());
                }
            }
        }
        *last = None;
        self.add(member, score, AddFlags::default(), t).map(drop)
    }

    /// Appends a member that is not in the set and sorts after all of it.
    pub(crate) fn push_sorted(&mut self, member: &[u8], score: f64) {
        match self {
            ZSet::Listpack(lp) => lp.push(member, score),
            ZSet::Large(l) => l.insert(member, score),
        }
    }

    /// One ZSCAN step: the large encoding visits the members whose home bucket is
    /// the cursor's and returns the next cursor; a listpack, as in Redis, visits
    /// every member and returns 0.
    pub(crate) fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Listpack(lp) => {
                lp.iter().for_each(|e| visit(e.member, e.score));
                0
            }
            ZSet::Large(l) => l.scan(cursor, visit),
        }
    }

    /// Converts a listpack into the large encoding for good, as SORT does
    /// (`zsetConvert(OBJ_ENCODING_SKIPLIST)`); a no-op for a large set.
    pub(crate) fn convert_to_large(&mut self) {
        if let ZSet::Listpack(lp) = self {
            let mut large = Large::with_capacity(lp.len());
            lp.iter().for_each(|e| large.insert(e.member, e.score));
            *self = ZSet::Large(Box::new(large));
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len(),
            ZSet::Large(l) => l.len(),
        }
    }

    /// The OBJECT ENCODING name.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Large(_) => "skiplist",
        }
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => lp.find(member).map(|(_, e)| e.score),
            ZSet::Large(l) => l.score(member),
        }
    }

    /// The member's rank from the lowest score, and its score.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Listpack(lp) => lp.find(member).map(|(rank, e)| (rank, e.score)),
            ZSet::Large(l) => l.rank(member),
        }
    }

    /// Redis's `zsetAdd()`: adds `member` or updates its score under `flags`; an
    /// error when the result would be NaN (only INCR can produce one).
    pub(crate) fn add(
        &mut self,
        member: &[u8],
        score: f64,
        flags: AddFlags,
        tunables: &Tunables,
    ) -> Result<Added> {
        if score.is_nan() {
            return Err(Error::ScoreNan);
        }
        let Some(current) = self.score(member) else {
            if flags.xx {
                return Ok(Added::Nop);
            }
            self.insert_new(member, score, tunables);
            return Ok(Added::New(score));
        };
        if flags.nx {
            return Ok(Added::Nop);
        }
        let score = if flags.incr { score + current } else { score };
        if score.is_nan() {
            return Err(Error::ScoreNan);
        }
        if (flags.lt && score >= current) || (flags.gt && score <= current) {
            return Ok(Added::Nop);
        }
        if score == current {
            return Ok(Added::Same(score));
        }
        match self {
            ZSet::Listpack(lp) => {
                lp.remove(member);
                lp.insert(member, score);
            }
            ZSet::Large(l) => l.set_score(member, score),
        }
        Ok(Added::Updated(score))
    }

    /// Adds a member that is not in the set, converting to the large encoding first
    /// when the listpack would pass its limits.
    fn insert_new(&mut self, member: &[u8], score: f64, tunables: &Tunables) {
        if let ZSet::Listpack(lp) = self {
            if lp.len() < tunables.zset_max_listpack_entries
                && member.len() <= tunables.zset_max_listpack_value
            {
                lp.insert(member, score);
                return;
            }
            let mut large = Large::with_capacity(lp.len() + 1);
            lp.iter().for_each(|e| large.insert(e.member, e.score));
            *self = ZSet::Large(Box::new(large));
        }
        if let ZSet::Large(l) = self {
            l.insert(member, score);
        }
    }

    /// Removes `member`; false if it was not there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => lp.remove(member),
            ZSet::Large(l) => l.remove(member),
        }
    }

    /// Number of leading elements for which `pred(member, score)` holds; it must hold
    /// for a prefix of the set.
    pub(crate) fn count_while(&self, pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.count_while(pred),
            ZSet::Large(l) => l.count_while(pred),
        }
    }

    /// The ranks of the elements whose scores lie in `range`.
    pub(crate) fn score_ranks(&self, range: &ScoreRange) -> Range<usize> {
        let start = self.count_while(|_, s| range.below(s));
        let end = self.count_while(|_, s| range.not_above(s));
        start..end.max(start)
    }

    /// The ranks of the elements whose members lie in `range`, after skipping
    /// `offset` of them (from the top when `rev`) and keeping at most `count` (all
    /// when negative): LIMIT offset count.
    ///
    /// Redis documents lex ranges only for sets whose scores are all equal, where
    /// the members are in order and the range is found by partition points. With
    /// mixed scores its answer depends on the encoding: a listpack is scanned
    /// (`zzlFirstInLexRange()`, `zzlLastInLexRange()`), which is reproduced here
    /// exactly; a skip list is searched along random levels, which cannot be, so the
    /// large encoding keeps the partition points.
    pub(crate) fn lex_window(
        &self,
        range: &LexRange<'_>,
        rev: bool,
        offset: i64,
        count: i64,
    ) -> Range<usize> {
        let ZSet::Listpack(lp) = self else {
            let start = self.count_while(|m, _| range.below(m));
            let end = self.count_while(|m, _| range.not_above(m));
            return limit(start..end.max(start), offset, count, rev);
        };
        let len = lp.len();
        // zzlIsInLexRange(): the range itself, then the last and first members.
        let gates = !range.is_empty()
            && lp
                .get(len.wrapping_sub(1))
                .is_some_and(|e| !range.below(e.member))
            && lp.get(0).is_some_and(|e| range.not_above(e.member));
        let Ok(offset) = usize::try_from(offset) else {
            return 0..0;
        };
        if !gates {
            return 0..0;
        }
        // Per member: (not below the range, not above it).
        let flags: Vec<(bool, bool)> = lp
            .iter()
            .map(|e| (!range.below(e.member), range.not_above(e.member)))
            .collect();
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if rev {
            // The last member not above the range must not be below it; skip
            // `offset` members blindly, then take members while not below.
            let Some(last) = flags.iter().rposition(|f| f.1) else {
                return 0..0;
            };
            if !flags[last].0 || offset > last {
                return 0..0;
            }
            let top = last - offset;
            let run = flags[..=top].iter().rev().take_while(|f| f.0).count();
            top + 1 - run.min(count)..top + 1
        } else {
            let Some(first) = flags.iter().position(|f| f.0) else {
                return 0..0;
            };
            if !flags[first].1 {
                return 0..0;
            }
            let start = first + offset;
            let run = flags
                .get(start..)
                .map_or(0, |rest| rest.iter().take_while(|f| f.1).count());
            start..start + run.min(count)
        }
    }

    /// The element of rank `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(lp) => lp.get(rank).map(|e| (e.member, e.score)),
            ZSet::Large(l) => l.get(rank),
        }
    }

    /// Calls `f` on the elements of ranks `ranks` (clamped to the set), in order.
    pub(crate) fn visit<'s>(&'s self, ranks: Range<usize>, mut f: impl FnMut(&'s [u8], f64)) {
        match self {
            ZSet::Listpack(lp) => lp
                .iter()
                .skip(ranks.start)
                .take(ranks.len())
                .for_each(|e| f(e.member, e.score)),
            ZSet::Large(l) => l.visit(ranks, f),
        }
    }

    /// Every element, in order.
    pub(crate) fn for_each<'s>(&'s self, f: impl FnMut(&'s [u8], f64)) {
        self.visit(0..self.len(), f);
    }

    /// Removes the elements of ranks `ranks`; returns how many there were.
    pub(crate) fn remove_ranks(&mut self, ranks: Range<usize>) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.remove_ranks(ranks),
            ZSet::Large(l) => l.remove_ranks(ranks),
        }
    }

    /// Checks the encoding's invariants (for tests).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        if let ZSet::Large(l) = self {
            l.check();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Tunables {
        Tunables {
            zset_max_listpack_entries: 4,
            zset_max_listpack_value: 8,
            ..Tunables::default()
        }
    }

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        z.for_each(|m, s| out.push((String::from_utf8_lossy(m).into_owned(), s)));
        out
    }

    #[test]
    fn converts_past_either_threshold() {
        let t = small();
        let mut z = ZSet::new(&t, b"a");
        for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
            assert_eq!(
                z.add(m.as_bytes(), i as f64, AddFlags::default(), &t),
                Ok(Added::New(i as f64))
            );
        }
        assert_eq!(z.encoding(), "listpack");
        z.add(b"e", 0.5, AddFlags::default(), &t).ok();
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(
            members(&z)
                .iter()
                .map(|(m, _)| m.as_str())
                .collect::<Vec<_>>(),
            ["a", "e", "b", "c", "d"]
        );
        z.check();
        let mut z = ZSet::new(&t, b"a");
        z.add(b"a", 1.0, AddFlags::default(), &t).ok();
        z.add(b"123456789", 1.0, AddFlags::default(), &t).ok();
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::new(&t, b"123456789").encoding(), "skiplist");
        // XX on a missing member does not convert.
        let mut z = ZSet::new(&t, b"a");
        let xx = AddFlags {
            xx: true,
            ..AddFlags::default()
        };
        assert_eq!(z.add(b"123456789", 1.0, xx, &t), Ok(Added::Nop));
        assert_eq!(z.encoding(), "listpack");
    }

    #[test]
    fn add_flags_like_zset_add() {
        let t = Tunables::default();
        for large in [false, true] {
            let mut z = if large {
                ZSet::Large(Box::new(Large::with_capacity(0)))
            } else {
                ZSet::new(&t, b"m")
            };
            let f = AddFlags::default();
            let gt = AddFlags { gt: true, ..f };
            let lt = AddFlags { lt: true, ..f };
            let nx = AddFlags { nx: true, ..f };
            let incr = AddFlags { incr: true, ..f };
            assert_eq!(
                z.add(b"m", 5.0, gt, &t),
                Ok(Added::New(5.0)),
                "GT adds new members"
            );
            assert_eq!(z.add(b"m", 4.0, gt, &t), Ok(Added::Nop));
            assert_eq!(z.add(b"m", 6.0, gt, &t), Ok(Added::Updated(6.0)));
            assert_eq!(z.add(b"m", 7.0, lt, &t), Ok(Added::Nop));
            assert_eq!(z.add(b"m", 6.0, f, &t), Ok(Added::Same(6.0)));
            assert_eq!(z.add(b"m", 1.0, nx, &t), Ok(Added::Nop));
            assert_eq!(z.add(b"m", 1.5, incr, &t), Ok(Added::Updated(7.5)));
            assert_eq!(
                z.add(b"m", f64::INFINITY, f, &t),
                Ok(Added::Updated(f64::INFINITY))
            );
            assert_eq!(
                z.add(b"m", f64::NEG_INFINITY, incr, &t),
                Err(Error::ScoreNan)
            );
            assert_eq!(z.score(b"m"), Some(f64::INFINITY));
            assert_eq!(z.add(b"n", f64::NAN, f, &t), Err(Error::ScoreNan));
        }
    }

    #[test]
    fn ranges_in_both_encodings() {
        let t = Tunables::default();
        for large in [false, true] {
            let mut z = if large {
                ZSet::Large(Box::new(Large::with_capacity(0)))
            } else {
                ZSet::new(&t, b"a")
            };
            for (m, s) in [("a", 1.0), ("b", 2.0), ("c", 2.0), ("d", 3.0)] {
                z.add(m.as_bytes(), s, AddFlags::default(), &t).ok();
            }
            let r = |min: &[u8], max: &[u8]| ScoreRange::parse(min, max).map(|r| z.score_ranks(&r));
            assert_eq!(r(b"2", b"2"), Ok(1..3));
            assert_eq!(r(b"(1", b"(3"), Ok(1..3));
            assert_eq!(r(b"-inf", b"+inf"), Ok(0..4));
            assert_eq!(r(b"3", b"1").map(|r| r.len()), Ok(0));
            assert_eq!(r(b"(2", b"2").map(|r| r.len()), Ok(0));
            let l = |min: &[u8], max: &[u8]| {
                LexRange::parse(min, max).map(|r| z.lex_window(&r, false, 0, -1))
            };
            assert_eq!(l(b"-", b"+"), Ok(0..4));
            assert_eq!(l(b"[b", b"(d"), Ok(1..3));
            assert_eq!(l(b"+", b"-").map(|r| r.len()), Ok(0));
            assert_eq!(z.rank(b"c"), Some((2, 2.0)));
            assert_eq!(z.get(3), Some((&b"d"[..], 3.0)));
            assert_eq!(z.remove_ranks(1..3), 2);
            assert_eq!(
                members(&z),
                [("a".to_string(), 1.0), ("d".to_string(), 3.0)]
            );
            z.check();
        }
    }

    #[test]
    fn sorted_builds_pick_the_encoding() {
        let t = small();
        assert_eq!(ZSet::for_sorted(&t, 4, 8).encoding(), "listpack");
        assert_eq!(ZSet::for_sorted(&t, 5, 1).encoding(), "skiplist");
        let mut z = ZSet::for_sorted(&t, 2, 9);
        assert_eq!(z.encoding(), "skiplist");
        z.push_sorted(b"a", 1.0);
        z.push_sorted(b"b", 1.0);
        assert_eq!(
            members(&z),
            [("a".to_string(), 1.0), ("b".to_string(), 1.0)]
        );
        z.check();
    }
}
