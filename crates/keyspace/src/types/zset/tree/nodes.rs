//! The two kinds of B+ tree node as flat arrays, and the moves between them:
//! insertion and removal at a position, splits, and the merges and refills that
//! keep siblings at least a quarter full.

use std::cmp::Ordering;

use super::{Key, Node, Order, INNER_CAP, LEAF_CAP};

#[derive(Debug, Clone)]
pub(super) struct Leaf {
    pub(super) len: usize,
    pub(super) scores: [f64; LEAF_CAP],
    pub(super) ids: [u32; LEAF_CAP],
}

/// A subtree that split off, to be inserted after its left sibling.
#[derive(Debug)]
pub(super) struct Split {
    pub(super) count: usize,
    pub(super) min: Key,
    pub(super) node: Node,
}

/// An inner node, as parallel arrays so that a search or a rank sum touches few
/// cache lines: the smallest key and the key count of each child, then the children.
#[derive(Debug, Clone)]
pub(super) struct Inner {
    scores: [f64; INNER_CAP],
    ids: [u32; INNER_CAP],
    /// Sets never hold 2^32 members (ids are `u32`), so neither does a subtree.
    pub(super) counts: [u32; INNER_CAP],
    pub(super) children: Vec<Node>,
}

impl Leaf {
    pub(super) fn boxed() -> Box<Leaf> {
        Box::new(Leaf {
            len: 0,
            scores: [0.0; LEAF_CAP],
            ids: [0; LEAF_CAP],
        })
    }

    pub(super) fn key(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            id: self.ids[i],
        }
    }

    /// Number of keys that sort before `key`.
    pub(super) fn search(&self, key: Key, order: &impl Order) -> usize {
        self.partition(|k| order.cmp(k, key) == Ordering::Less)
    }

    /// Number of leading keys for which `pred` holds (it must hold for a prefix).
    pub(super) fn partition(&self, pred: impl FnMut(Key) -> bool) -> usize {
        partition(self.len, |i| self.key(i), pred)
    }

    pub(super) fn insert_at(&mut self, i: usize, key: Key) {
        self.scores.copy_within(i..self.len, i + 1);
        self.ids.copy_within(i..self.len, i + 1);
        self.scores[i] = key.score;
        self.ids[i] = key.id;
        self.len += 1;
    }

    pub(super) fn remove_at(&mut self, i: usize) -> Key {
        let key = self.key(i);
        self.scores.copy_within(i + 1..self.len, i);
        self.ids.copy_within(i + 1..self.len, i);
        self.len -= 1;
        key
    }

    /// Moves the keys from `at` on into a new leaf.
    pub(super) fn split_off(&mut self, at: usize) -> Box<Leaf> {
        let mut right = Leaf::boxed();
        let n = self.len - at;
        right.scores[..n].copy_from_slice(&self.scores[at..self.len]);
        right.ids[..n].copy_from_slice(&self.ids[at..self.len]);
        right.len = n;
        self.len = at;
        right
    }

    /// Moves `n` keys from the front of `right` to the end of `self` (n > 0) or
    /// `-n` keys from the end of `self` to the front of `right` (n < 0).
    pub(super) fn shift(&mut self, right: &mut Leaf, n: isize) {
        let (l, r) = (self.len, right.len);
        if n >= 0 {
            let n = n as usize;
            self.scores[l..l + n].copy_from_slice(&right.scores[..n]);
            self.ids[l..l + n].copy_from_slice(&right.ids[..n]);
            right.scores.copy_within(n..r, 0);
            right.ids.copy_within(n..r, 0);
            self.len += n;
            right.len -= n;
        } else {
            let n = n.unsigned_abs();
            right.scores.copy_within(..r, n);
            right.ids.copy_within(..r, n);
            right.scores[..n].copy_from_slice(&self.scores[l - n..l]);
            right.ids[..n].copy_from_slice(&self.ids[l - n..l]);
            self.len -= n;
            right.len += n;
        }
    }
}

/// Binary search for the number of leading items (of `len`) for which `pred` holds.
pub(super) fn partition(
    len: usize,
    item: impl Fn(usize) -> Key,
    mut pred: impl FnMut(Key) -> bool,
) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(item(mid)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl Inner {
    pub(super) fn boxed() -> Box<Inner> {
        Box::new(Inner {
            scores: [0.0; INNER_CAP],
            ids: [0; INNER_CAP],
            counts: [0; INNER_CAP],
            children: Vec::with_capacity(INNER_CAP),
        })
    }

    pub(super) fn len(&self) -> usize {
        self.children.len()
    }

    pub(super) fn min(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            id: self.ids[i],
        }
    }

    pub(super) fn count(&self, i: usize) -> usize {
        self.counts[i] as usize
    }

    /// Keys under the first `n` children.
    pub(super) fn sum(&self, n: usize) -> usize {
        self.counts[..n].iter().map(|&c| c as usize).sum()
    }

    /// Number of leading children whose smallest key satisfies `pred`.
    pub(super) fn partition(&self, pred: impl FnMut(Key) -> bool) -> usize {
        partition(self.len(), |i| self.min(i), pred)
    }

    /// Refreshes the smallest key of child `i` from the child itself (O(1)).
    pub(super) fn refresh_min(&mut self, i: usize) {
        let min = self.children[i].first();
        self.scores[i] = min.score;
        self.ids[i] = min.id;
    }

    /// Refreshes the smallest key and count of child `i` from the child itself.
    pub(super) fn refresh(&mut self, i: usize) {
        let (min, count) = (self.children[i].first(), self.children[i].count());
        self.scores[i] = min.score;
        self.ids[i] = min.id;
        self.counts[i] = count as u32;
    }

    pub(super) fn insert_child(&mut self, i: usize, split: Split) {
        let len = self.len();
        self.scores.copy_within(i..len, i + 1);
        self.ids.copy_within(i..len, i + 1);
        self.counts.copy_within(i..len, i + 1);
        self.scores[i] = split.min.score;
        self.ids[i] = split.min.id;
        self.counts[i] = split.count as u32;
        self.children.insert(i, split.node);
    }

    pub(super) fn remove_child(&mut self, i: usize) {
        let len = self.len();
        self.scores.copy_within(i + 1..len, i);
        self.ids.copy_within(i + 1..len, i);
        self.counts.copy_within(i + 1..len, i);
        self.children.remove(i);
    }

    /// Moves the children from `at` on into a new node.
    pub(super) fn split_off(&mut self, at: usize) -> Box<Inner> {
        let mut right = Inner::boxed();
        let len = self.len();
        let n = len - at;
        right.scores[..n].copy_from_slice(&self.scores[at..len]);
        right.ids[..n].copy_from_slice(&self.ids[at..len]);
        right.counts[..n].copy_from_slice(&self.counts[at..len]);
        right.children.extend(self.children.drain(at..));
        right
    }

    /// Like [`Leaf::shift`], for children.
    pub(super) fn shift(&mut self, right: &mut Inner, n: isize) {
        let (l, r) = (self.len(), right.len());
        if n >= 0 {
            let n = n as usize;
            self.scores[l..l + n].copy_from_slice(&right.scores[..n]);
            self.ids[l..l + n].copy_from_slice(&right.ids[..n]);
            self.counts[l..l + n].copy_from_slice(&right.counts[..n]);
            right.scores.copy_within(n..r, 0);
            right.ids.copy_within(n..r, 0);
            right.counts.copy_within(n..r, 0);
            self.children.extend(right.children.drain(..n));
        } else {
            let n = n.unsigned_abs();
            right.scores.copy_within(..r, n);
            right.ids.copy_within(..r, n);
            right.counts.copy_within(..r, n);
            right.scores[..n].copy_from_slice(&self.scores[l - n..l]);
            right.ids[..n].copy_from_slice(&self.ids[l - n..l]);
            right.counts[..n].copy_from_slice(&self.counts[l - n..l]);
            let moved: Vec<Node> = self.children.drain(l - n..).collect();
            right.children.splice(0..0, moved);
        }
    }

    /// The child holding rank `rank`, and the rank within it.
    pub(super) fn locate(&self, mut rank: usize) -> (usize, usize) {
        for i in 0..self.len() {
            if rank < self.count(i) {
                return (i, rank);
            }
            rank -= self.count(i);
        }
        // Out of range: the last child (callers check ranks against the length).
        (self.len().saturating_sub(1), rank)
    }

    /// After a removal under child `i`: counts it, and merges it with or refills it
    /// from a sibling when it has become too small.
    pub(super) fn repair(&mut self, i: usize) {
        self.counts[i] -= 1;
        self.refresh_min(i);
        if !self.children[i].underfull() || self.len() < 2 {
            return;
        }
        let l = if i > 0 { i - 1 } else { i };
        let (left_part, right_part) = self.children.split_at_mut(l + 1);
        let merge = match (&mut left_part[l], &mut right_part[0]) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                let total = a.len + b.len;
                let target = if total <= LEAF_CAP { total } else { total / 2 };
                a.shift(b, target as isize - a.len as isize);
                total <= LEAF_CAP
            }
            (Node::Inner(a), Node::Inner(b)) => {
                let total = a.len() + b.len();
                let target = if total <= INNER_CAP { total } else { total / 2 };
                a.shift(b, target as isize - a.len() as isize);
                total <= INNER_CAP
            }
            // Siblings are always at the same depth.
            _ => false,
        };
        if merge {
            self.remove_child(l + 1);
        } else {
            self.refresh(l + 1);
        }
        self.refresh(l);
    }
}
