//! The list type: Redis's quicklist, a deque of nodes that each pack up to
//! `list-max-listpack-size` of elements contiguously (see `quicklist_node`).
//!
//! Pushes and pops at both ends are amortized O(1); finding an index walks whole
//! nodes by their counts from the nearer end, then entries inside one node. The nodes
//! sit in a ring buffer so that adding a node at either end is O(1) too; the whole
//! list header is 32 bytes, and a short list is one node in one small allocation
//! plus a one-slot ring.

use std::fmt;

use bytes::Bytes;

pub(crate) use super::quicklist_entry::Elem;
use super::quicklist_entry::{entry_at, entry_before, Encoded};
use super::quicklist_node::Node;

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Head,
    Tail,
}

/// Redis's `FILL_MAX`: the largest positive `list-max-listpack-size`.
const FILL_MAX: i64 = (1 << 15) - 1;

/// `list-max-listpack-size` as Redis's `quicklistSetFill()` clamps it.
pub(crate) fn clamp_fill(fill: i64) -> i64 {
    fill.clamp(-5, FILL_MAX)
}

/// A list.
#[derive(Default)]
pub(crate) struct QuickList {
    /// Nodes `head .. head + nodes` (modulo the length, a power of two) are in use.
    ring: Box<[Node]>,
    head: u32,
    nodes: u32,
    /// Elements in all nodes.
    len: usize,
}

impl QuickList {
    pub(crate) fn new() -> QuickList {
        QuickList::default()
    }

    /// `arg` in the form list elements are compared in (see [`Elem::matches`]).
    pub(crate) fn needle(arg: &[u8]) -> Elem<'_> {
        Elem::from_arg(arg)
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes.
    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.nodes as usize
    }

    /// Ring slot of node `i`. The ring's length is a power of two.
    fn slot(&self, i: usize) -> usize {
        (self.head as usize + i) & (self.ring.len().wrapping_sub(1))
    }

    pub(crate) fn node(&self, i: usize) -> &Node {
        &self.ring[self.slot(i)]
    }

    fn node_mut(&mut self, i: usize) -> &mut Node {
        let s = self.slot(i);
        &mut self.ring[s]
    }

    /// Moves the ring into `cap` slots, in order from slot 0.
    fn resize_ring(&mut self, cap: usize) {
        let mut ring: Box<[Node]> = (0..cap).map(|_| Node::default()).collect();
        for (i, slot) in ring.iter_mut().take(self.nodes as usize).enumerate() {
            let s = self.slot(i);
            *slot = std::mem::take(&mut self.ring[s]);
        }
        self.ring = ring;
        self.head = 0;
    }

    fn reserve_node(&mut self) {
        if self.nodes as usize == self.ring.len() {
            // One slot for a list of one node, then doubling.
            self.resize_ring((self.ring.len() * 2).max(1));
        }
    }

    fn release_nodes(&mut self) {
        let cap = self.ring.len();
        if cap > 4 && (self.nodes as usize) < cap / 4 {
            self.resize_ring(cap / 2);
        } else if self.nodes == 0 {
            self.ring = Box::default();
            self.head = 0;
        }
    }

    /// Inserts `node` so that it becomes node `i`.
    fn insert_node(&mut self, i: usize, node: Node) {
        self.reserve_node();
        let n = self.nodes as usize;
        if i == 0 {
            self.head = self.slot(self.ring.len() - 1) as u32;
            self.ring[self.head as usize] = node;
        } else {
            let s = self.slot(n);
            self.ring[s] = node;
            for j in (i..n).rev() {
                let (a, b) = (self.slot(j), self.slot(j + 1));
                self.ring.swap(a, b);
            }
        }
        self.nodes += 1;
    }

    /// Removes node `i`, which must be empty or already accounted for in `len`.
    fn remove_node(&mut self, i: usize) {
        let n = self.nodes as usize;
        if i == 0 {
            let s = self.slot(0);
            self.ring[s] = Node::default();
            self.head = self.slot(1) as u32;
        } else {
            for j in i..n - 1 {
                let (a, b) = (self.slot(j), self.slot(j + 1));
                self.ring.swap(a, b);
            }
            let s = self.slot(n - 1);
            self.ring[s] = Node::default();
        }
        self.nodes -= 1;
        self.release_nodes();
    }

    /// Adds an element at one end (Redis's `quicklistPush()`); `fill` is
    /// `list-max-listpack-size`.
    pub(crate) fn push(&mut self, end: End, elem: &[u8], fill: i64) {
        self.push_elem(end, Elem::from_arg(elem), fill);
    }

    /// Pushes an integer element (as its decimal text would be stored).
    pub(crate) fn push_int(&mut self, end: End, n: i64, fill: i64) {
        self.push_elem(end, Elem::Int(n), fill);
    }

    fn push_elem(&mut self, end: End, elem: Elem<'_>, fill: i64) {
        let fill = clamp_fill(fill);
        let enc = Encoded::from_elem(elem);
        let n = self.nodes as usize;
        let i = if end == End::Head {
            0
        } else {
            n.wrapping_sub(1)
        };
        let len = elem.text_len();
        if n > 0 && self.node(i).fits(len, fill) {
            match end {
                End::Head => self.node_mut(0).push_front(&enc),
                End::Tail => self.node_mut(i).push_back(&enc),
            }
        } else {
            if n > 0 {
                // No longer an end node: give back its free room.
                self.node_mut(i).seal();
            }
            let at = if end == End::Head { 0 } else { n };
            self.insert_node(at, Node::with(&enc));
        }
        self.len += 1;
    }

    /// Removes and returns the element at one end.
    pub(crate) fn pop(&mut self, end: End) -> Option<Bytes> {
        if self.len == 0 {
            return None;
        }
        let i = if end == End::Head {
            0
        } else {
            self.nodes as usize - 1
        };
        let node = self.node_mut(i);
        let out = match end {
            End::Head => node.pop_front(),
            End::Tail => node.pop_back(),
        };
        if node.count() == 0 {
            self.remove_node(i);
        }
        self.len -= 1;
        Some(out)
    }

    /// Node index and data offset of element `index` (< len), walking from the
    /// nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        let n = self.nodes as usize;
        let (node, within) = if index < self.len / 2 {
            let mut rest = index;
            let mut i = 0;
            while rest >= self.node(i).count() {
                rest -= self.node(i).count();
                i += 1;
            }
            (i, rest)
        } else {
            let mut rest = self.len - 1 - index;
            let mut i = n - 1;
            while rest >= self.node(i).count() {
                rest -= self.node(i).count();
                i -= 1;
            }
            (i, self.node(i).count() - 1 - rest)
        };
        (node, self.node(node).offset_of(within))
    }

    /// The element at `index`, if there is one.
    pub(crate) fn get(&self, index: usize) -> Option<Elem<'_>> {
        if index >= self.len {
            return None;
        }
        let (i, pos) = self.locate(index);
        Some(entry_at(self.node(i).data(), pos).0)
    }

    /// Replaces the element at `index`; false when out of range.
    pub(crate) fn set(&mut self, index: usize, elem: &[u8], fill: i64) -> bool {
        if index >= self.len {
            return false;
        }
        let (i, pos) = self.locate(index);
        self.node_mut(i).replace_at(pos, &Encoded::new(elem));
        self.split_if_over(i, clamp_fill(fill));
        true
    }

    /// Splits node `i` in halves while it is over the limit (after an insert or a
    /// replace made it grow).
    fn split_if_over(&mut self, i: usize, fill: i64) {
        if !self.node(i).over_limit(fill) {
            return;
        }
        let half = self.node(i).count() / 2;
        let rest = self.node_mut(i).split_off(half);
        self.insert_node(i + 1, rest);
        self.split_if_over(i + 1, fill);
        self.split_if_over(i, fill);
    }

    /// Elements from `index` on, towards the tail (`forward`) or the head.
    pub(crate) fn iter_from(&self, index: usize, forward: bool) -> Iter<'_> {
        if index >= self.len {
            return Iter {
                list: self,
                data: &[],
                node: 0,
                pos: 0,
                remaining: 0,
                forward,
            };
        }
        let (node, pos) = self.locate(index);
        let data = self.node(node).data();
        let pos = if forward { pos } else { entry_at(data, pos).1 };
        Iter {
            list: self,
            data,
            node,
            pos,
            remaining: if forward { self.len - index } else { index + 1 },
            forward,
        }
    }

    /// All elements, head to tail.
    pub(crate) fn iter(&self) -> Iter<'_> {
        self.iter_from(0, true)
    }

    /// Calls `f` with `count` elements from `index` on, towards the tail (`forward`)
    /// or the head; fewer when the list ends first.
    pub(crate) fn for_each_in(
        &self,
        index: usize,
        count: usize,
        forward: bool,
        mut f: impl FnMut(Elem<'_>),
    ) {
        if index >= self.len {
            return;
        }
        let count = count.min(if forward { self.len - index } else { index + 1 });
        if count == 0 {
            return;
        }
        let (node, pos) = self.locate(index);
        let mut emit = |e: Elem<'_>| f(e);
        let mut left = count;
        let mut node = node;
        if forward {
            let mut pos = pos;
            loop {
                let data = self.node(node).data();
                while pos < data.len() && left > 0 {
                    let (e, next) = entry_at(data, pos);
                    emit(e);
                    pos = next;
                    left -= 1;
                }
                if left == 0 {
                    return;
                }
                node += 1;
                pos = 0;
            }
        } else {
            let mut end = entry_at(self.node(node).data(), pos).1;
            loop {
                let data = self.node(node).data();
                while end > 0 && left > 0 {
                    let at = entry_before(data, end);
                    emit(entry_at(data, at).0);
                    end = at;
                    left -= 1;
                }
                if left == 0 {
                    return;
                }
                node -= 1;
                end = self.node(node).bytes();
            }
        }
    }

    /// About how many bytes the text of an element near `index` takes, to size reply
    /// buffers (entries are a few bytes longer than their text, except small ints).
    pub(crate) fn text_estimate(&self, index: usize) -> usize {
        if index >= self.len {
            return 0;
        }
        let node = self.node(self.locate(index).0);
        node.bytes() / node.count().max(1) + 4
    }

    /// Inserts `elem` before or after the first element equal to `pivot` (Redis's
    /// LINSERT); false when there is no such element.
    pub(crate) fn insert_at_pivot(
        &mut self,
        pivot: &[u8],
        elem: &[u8],
        after: bool,
        fill: i64,
    ) -> bool {
        let pivot = Elem::from_arg(pivot);
        let found = (0..self.nodes as usize).find_map(|i| {
            let data = self.node(i).data();
            let mut pos = 0;
            while pos < data.len() {
                let (e, next) = entry_at(data, pos);
                if e.matches(pivot) {
                    return Some((i, if after { next } else { pos }));
                }
                pos = next;
            }
            None
        });
        let Some((i, pos)) = found else {
            return false;
        };
        self.node_mut(i).insert_at(pos, &Encoded::new(elem));
        self.len += 1;
        self.split_if_over(i, clamp_fill(fill));
        true
    }

    /// Removes elements equal to `elem` (Redis's LREM): all when `count` is 0, else
    /// the first `count` from the head, or from the tail when `count` is negative.
    /// Returns how many were removed.
    pub(crate) fn remove(&mut self, elem: &[u8], count: i64, fill: i64) -> usize {
        let needle = Elem::from_arg(elem);
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let n = self.nodes as usize;
        let mut removed = 0;
        let mut touched = false;
        for k in 0..n {
            if removed == limit {
                break;
            }
            let i = if count < 0 { n - 1 - k } else { k };
            let node = self.node_mut(i);
            let want = limit - removed;
            let done = if count < 0 {
                // The last `want` matches of the node are the first ones from the tail.
                let matches = node.count_matching(needle);
                node.remove_matching(needle, matches.saturating_sub(want), want)
            } else {
                node.remove_matching(needle, 0, want)
            };
            removed += done;
            touched |= done > 0;
        }
        if touched {
            self.len -= removed;
            self.compact(clamp_fill(fill));
        }
        removed
    }

    /// Drops empty nodes and merges neighbours that fit together, after removals in
    /// the middle left nodes part empty.
    fn compact(&mut self, fill: i64) {
        let mut i = 0;
        while i < self.nodes as usize {
            if self.node(i).count() == 0 {
                self.remove_node(i);
                continue;
            }
            if i + 1 < self.nodes as usize && self.node(i).can_merge(self.node(i + 1), fill) {
                let next = std::mem::take(self.node_mut(i + 1));
                self.node_mut(i).append(&next);
                self.remove_node(i + 1);
                continue;
            }
            i += 1;
        }
        let last = self.nodes as usize;
        for i in 1..last.saturating_sub(1) {
            self.node_mut(i).seal();
        }
    }

    /// Removes `front` elements from the head and `back` from the tail (LTRIM).
    pub(crate) fn trim(&mut self, mut front: usize, mut back: usize) {
        front = front.min(self.len);
        back = back.min(self.len - front);
        self.len -= front + back;
        while front > 0 {
            let count = self.node(0).count();
            if front >= count {
                self.remove_node(0);
                front -= count;
            } else {
                self.node_mut(0).remove_front(front);
                front = 0;
            }
        }
        while back > 0 {
            let last = self.nodes as usize - 1;
            let count = self.node(last).count();
            if back >= count {
                self.remove_node(last);
                back -= count;
            } else {
                self.node_mut(last).remove_back(back);
                back = 0;
            }
        }
    }
}

/// Elements in one direction; see [`QuickList::iter_from`].
#[derive(Debug)]
pub(crate) struct Iter<'a> {
    list: &'a QuickList,
    /// The entries of node `node`.
    data: &'a [u8],
    node: usize,
    /// Forward: where the next entry starts; backward: where it ends.
    pos: usize,
    remaining: usize,
    forward: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if self.forward {
            if self.pos >= self.data.len() {
                self.node += 1;
                self.data = self.list.node(self.node).data();
                self.pos = 0;
            }
            let (elem, next) = entry_at(self.data, self.pos);
            self.pos = next;
            Some(elem)
        } else {
            if self.pos == 0 {
                self.node -= 1;
                self.data = self.list.node(self.node).data();
                self.pos = self.data.len();
            }
            let at = entry_before(self.data, self.pos);
            self.pos = at;
            Some(entry_at(self.data, at).0)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl Clone for QuickList {
    /// A deep copy, without free room.
    fn clone(&self) -> QuickList {
        let n = self.nodes as usize;
        let ring: Box<[Node]> = (0..n.next_power_of_two())
            .map(|i| {
                if i < n {
                    self.node(i).clone()
                } else {
                    Node::default()
                }
            })
            .collect();
        QuickList {
            ring,
            head: 0,
            nodes: self.nodes,
            len: self.len,
        }
    }
}

impl PartialEq for QuickList {
    fn eq(&self, other: &QuickList) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("count", &self.count())
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl fmt::Debug for QuickList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in self.iter().take(64) {
            match e {
                Elem::Int(n) => list.entry(&n),
                Elem::Str(s) => list.entry(&String::from_utf8_lossy(s)),
            };
        }
        if self.len > 64 {
            list.entry(&format_args!("... {} more", self.len - 64));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn check(list: &QuickList, model: &VecDeque<Vec<u8>>, fill: i64) {
        assert_eq!(list.len(), model.len());
        let got: Vec<Vec<u8>> = list.iter().map(|e| e.to_bytes().to_vec()).collect();
        let want: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(got, want);
        let back: Vec<Vec<u8>> = list
            .iter_from(list.len().wrapping_sub(1), false)
            .map(|e| e.to_bytes().to_vec())
            .collect();
        assert_eq!(back, want.iter().rev().cloned().collect::<Vec<_>>());
        let counted: usize = (0..list.node_count()).map(|i| list.node(i).count()).sum();
        assert_eq!(counted, list.len());
        for i in 0..list.node_count() {
            assert!(list.node(i).count() > 0, "no empty nodes");
            assert!(!list.node(i).over_limit(clamp_fill(fill)));
        }
    }

    #[test]
    fn pushes_and_pops_across_many_nodes() {
        for fill in [-2, -1, 3, 0] {
            let mut list = QuickList::new();
            let mut model = VecDeque::new();
            for i in 0..3000 {
                let v = format!("value-{i}").into_bytes();
                if i % 3 == 0 {
                    list.push(End::Head, &v, fill);
                    model.push_front(v);
                } else {
                    list.push(End::Tail, &v, fill);
                    model.push_back(v);
                }
            }
            check(&list, &model, fill);
            assert!(list.node_count() > 1);
            for i in [0, 1, 1499, 2998, 2999] {
                assert_eq!(
                    list.get(i).map(|e| e.to_bytes().to_vec()),
                    model.get(i).cloned()
                );
            }
            assert_eq!(list.get(3000), None);
            for i in 0..2990 {
                let (a, b) = if i % 2 == 0 {
                    (list.pop(End::Head), model.pop_front())
                } else {
                    (list.pop(End::Tail), model.pop_back())
                };
                assert_eq!(a.map(|b| b.to_vec()), b);
            }
            check(&list, &model, fill);
        }
    }

    #[test]
    fn nodes_hold_about_8kb() {
        let mut list = QuickList::new();
        for _ in 0..100_000 {
            list.push(End::Tail, b"xxx", -2);
        }
        // 5 bytes per entry: about 1630 entries per 8 KB node.
        assert!(
            (60..=64).contains(&list.node_count()),
            "{}",
            list.node_count()
        );
        for i in 1..list.node_count() - 1 {
            assert!(list.node(i).capacity() <= 8192);
        }
    }

    #[test]
    fn set_insert_remove_trim() {
        let fill = 4;
        let mut list = QuickList::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for i in 0..40 {
            let v = (i % 5).to_string().into_bytes();
            list.push(End::Tail, &v, fill);
            model.push_back(v);
        }
        assert!(list.set(7, b"seven", fill));
        model[7] = b"seven".to_vec();
        assert!(!list.set(40, b"x", fill));
        assert!(list.insert_at_pivot(b"3", b"before3", false, fill));
        model.insert(3, b"before3".to_vec());
        assert!(list.insert_at_pivot(b"seven", b"after7", true, fill));
        model.insert(9, b"after7".to_vec());
        assert!(!list.insert_at_pivot(b"nope", b"x", true, fill));
        check(&list, &model, fill);
        assert_eq!(list.remove(b"1", 2, fill), 2);
        for _ in 0..2 {
            let at = model.iter().position(|v| v == b"1").unwrap_or(0);
            model.remove(at);
        }
        assert_eq!(list.remove(b"2", -3, fill), 3);
        for _ in 0..3 {
            let at = model.iter().rposition(|v| v == b"2").unwrap_or(0);
            model.remove(at);
        }
        check(&list, &model, fill);
        assert_eq!(list.remove(b"4", 0, fill), 8);
        model.retain(|v| v != b"4");
        check(&list, &model, fill);
        list.trim(5, 3);
        model.drain(..5);
        model.truncate(model.len() - 3);
        check(&list, &model, fill);
        let copy = list.clone();
        assert_eq!(copy, list);
        list.trim(100, 0);
        assert!(list.is_empty());
        assert_eq!(list.node_count(), 0);
        assert_ne!(copy, list);
    }

    #[test]
    fn ranges_in_both_directions() {
        let mut list = QuickList::new();
        for v in ["a", "12", "bc", "-7"] {
            list.push(End::Tail, v.as_bytes(), -2);
        }
        let range = |index, count, forward| {
            let mut out = Vec::new();
            list.for_each_in(index, count, forward, |e| out.push(e.to_bytes()));
            out
        };
        assert_eq!(
            range(1, 10, true),
            [&b"12"[..], b"bc", b"-7"].map(Bytes::from_static)
        );
        assert_eq!(
            range(2, 2, false),
            [&b"bc"[..], b"12"].map(Bytes::from_static)
        );
        assert_eq!(range(3, 9, false).len(), 4);
        assert!(range(4, 9, true).is_empty());
        assert!(list.text_estimate(0) >= 2);
    }

    #[test]
    fn header_is_small() {
        assert_eq!(std::mem::size_of::<QuickList>(), 32);
    }
}
