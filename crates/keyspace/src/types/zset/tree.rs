//! An order-statistic B+ tree of (score, id) keys: the ordered half of a large
//! sorted set, with rank queries in O(log n).
//!
//! Redis orders a large sorted set with a skip list whose links carry spans, which
//! costs a node allocation and ~1.3 forward links per element. Like Dragonfly (and
//! Valkey since 8.1), this uses a B+ tree instead: leaves hold up to 64 keys in two
//! flat arrays, and every inner node knows, for each child, how many keys its subtree
//! holds and which key is its smallest. Ranks come from summing the counts of the
//! children passed on the way down.
//!
//! The tree stores only a score and a member id per element; the member bytes live in
//! the set's slot table, so comparing two keys with equal scores goes through a
//! caller-supplied `cmp`. Invariants:
//! - every leaf is at the same depth; leaves hold 1..=[`LEAF_CAP`] keys and inner nodes
//!   2..=[`INNER_CAP`] children, except the root (a leaf may be empty only as the root);
//! - an inner node's `counts[i]` is the number of keys under child `i`, and
//!   `scores[i]`/`ids[i]` its smallest key;
//! - keys are strictly increasing by `cmp` from left to right.

mod nodes;

use std::cmp::Ordering;
use std::mem;

use self::nodes::{Inner, Leaf, Split};

/// Keys per leaf.
pub(super) const LEAF_CAP: usize = 64;
/// Children per inner node.
const INNER_CAP: usize = 64;
/// Below these, a node is merged with or refilled from a sibling.
const LEAF_MIN: usize = LEAF_CAP / 4;
const INNER_MIN: usize = INNER_CAP / 4;

/// One element: its score and the id of its member in the slot table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key {
    pub(super) score: f64,
    pub(super) id: u32,
}

/// Compares two keys (score, then member bytes).
pub(super) trait Order {
    fn cmp(&self, a: Key, b: Key) -> Ordering;
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(Box<Leaf>),
    Inner(Box<Inner>),
}

/// The tree.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    root: Node,
    len: usize,
}

/// The key that stands for an empty node (only an empty root has one).
const NO_KEY: Key = Key {
    score: 0.0,
    id: u32::MAX,
};

impl Node {
    /// The smallest key below this node.
    fn first(&self) -> Key {
        match self {
            Node::Leaf(l) if l.len > 0 => l.key(0),
            Node::Leaf(_) => NO_KEY,
            Node::Inner(n) if n.len() > 0 => n.min(0),
            Node::Inner(_) => NO_KEY,
        }
    }

    /// Keys below this node.
    fn count(&self) -> usize {
        match self {
            Node::Leaf(l) => l.len,
            Node::Inner(n) => n.sum(n.len()),
        }
    }

    fn underfull(&self) -> bool {
        match self {
            Node::Leaf(l) => l.len < LEAF_MIN,
            Node::Inner(n) => n.len() < INNER_MIN,
        }
    }

    /// Inserts a key that is not in the tree; returns the new right sibling when the
    /// node had to split.
    fn insert(&mut self, key: Key, order: &impl Order) -> Option<Split> {
        match self {
            Node::Leaf(leaf) => {
                let pos = leaf.search(key, order);
                if leaf.len < LEAF_CAP {
                    leaf.insert_at(pos, key);
                    return None;
                }
                // A full leaf splits. Appending at the end (or the start) keeps the
                // full leaf whole, so that keys arriving in order pack leaves tight.
                let right = if pos == LEAF_CAP {
                    let mut right = Leaf::boxed();
                    right.insert_at(0, key);
                    right
                } else if pos == 0 {
                    let right = mem::replace(leaf, Leaf::boxed());
                    leaf.insert_at(0, key);
                    right
                } else {
                    let half = LEAF_CAP / 2;
                    let mut right = leaf.split_off(half);
                    if pos <= half {
                        leaf.insert_at(pos, key);
                    } else {
                        right.insert_at(pos - half, key);
                    }
                    right
                };
                Some(Split {
                    count: right.len,
                    min: right.key(0),
                    node: Node::Leaf(right),
                })
            }
            Node::Inner(inner) => {
                let i = inner
                    .partition(|k| order.cmp(k, key) == Ordering::Less)
                    .saturating_sub(1);
                let split = inner.children[i].insert(key, order);
                inner.counts[i] += 1;
                inner.refresh_min(i);
                let new = split?;
                inner.counts[i] -= new.count as u32;
                if inner.len() < INNER_CAP {
                    inner.insert_child(i + 1, new);
                    return None;
                }
                // Full: split in halves first, then place the new child.
                let half = INNER_CAP / 2;
                let mut right = inner.split_off(half);
                if i < half {
                    inner.insert_child(i + 1, new);
                } else {
                    right.insert_child(i + 1 - half, new);
                }
                Some(Split {
                    count: right.sum(right.len()),
                    min: right.min(0),
                    node: Node::Inner(right),
                })
            }
        }
    }

    /// Removes `key`; false if it is not in the tree.
    fn remove(&mut self, key: Key, order: &impl Order) -> bool {
        match self {
            Node::Leaf(leaf) => {
                let pos = leaf.search(key, order);
                if pos < leaf.len && leaf.ids[pos] == key.id {
                    leaf.remove_at(pos);
                    true
                } else {
                    false
                }
            }
            Node::Inner(inner) => {
                let after = inner.partition(|k| order.cmp(k, key) != Ordering::Greater);
                let Some(i) = after.checked_sub(1) else {
                    return false;
                };
                if !inner.children[i].remove(key, order) {
                    return false;
                }
                inner.repair(i);
                true
            }
        }
    }

    /// Removes and returns the key of rank `rank` (which must exist).
    fn remove_at(&mut self, rank: usize) -> Key {
        match self {
            Node::Leaf(leaf) => leaf.remove_at(rank),
            Node::Inner(inner) => {
                let (i, rank) = inner.locate(rank);
                let key = inner.children[i].remove_at(rank);
                inner.repair(i);
                key
            }
        }
    }

    fn visit(&self, start: usize, end: usize, f: &mut impl FnMut(Key)) {
        match self {
            Node::Leaf(leaf) => (start..end.min(leaf.len)).for_each(|i| f(leaf.key(i))),
            Node::Inner(inner) => {
                let mut offset = 0;
                for (i, child) in inner.children.iter().enumerate() {
                    let next = offset + inner.count(i);
                    if next > start {
                        child.visit(start.saturating_sub(offset), end.min(next) - offset, f);
                    }
                    offset = next;
                    if offset >= end {
                        break;
                    }
                }
            }
        }
    }
}

impl Default for Tree {
    fn default() -> Tree {
        Tree {
            root: Node::Leaf(Leaf::boxed()),
            len: 0,
        }
    }
}

impl Tree {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Inserts a key that is not in the tree.
    pub(super) fn insert(&mut self, key: Key, order: &impl Order) {
        if let Some(right) = self.root.insert(key, order) {
            let left = mem::replace(&mut self.root, Node::Leaf(Leaf::boxed()));
            let mut root = Inner::boxed();
            root.insert_child(
                0,
                Split {
                    count: self.len + 1 - right.count,
                    min: left.first(),
                    node: left,
                },
            );
            root.insert_child(1, right);
            self.root = Node::Inner(root);
        }
        self.len += 1;
    }

    /// Removes `key`; false if it was not in the tree.
    pub(super) fn remove(&mut self, key: Key, order: &impl Order) -> bool {
        if !self.root.remove(key, order) {
            return false;
        }
        self.len -= 1;
        self.shrink_root();
        true
    }

    /// Removes and returns the key of rank `rank`.
    pub(super) fn remove_at(&mut self, rank: usize) -> Option<Key> {
        if rank >= self.len {
            return None;
        }
        let key = self.root.remove_at(rank);
        self.len -= 1;
        self.shrink_root();
        Some(key)
    }

    /// A root with a single child hands over to it.
    fn shrink_root(&mut self) {
        while let Node::Inner(inner) = &mut self.root {
            if inner.len() != 1 {
                break;
            }
            let Some(only) = inner.children.pop() else {
                break;
            };
            self.root = only;
        }
    }

    /// Number of leading keys for which `pred` holds; `pred` must hold for a prefix
    /// of the keys and fail for the rest (a partition point, found in O(log n)).
    pub(super) fn count_while(&self, mut pred: impl FnMut(Key) -> bool) -> usize {
        let mut node = &self.root;
        let mut before = 0;
        loop {
            match node {
                Node::Leaf(leaf) => return before + leaf.partition(pred),
                Node::Inner(inner) => {
                    // Children whose smallest key passes lie before the boundary, but
                    // the last of them may hold it.
                    let passing = inner.partition(&mut pred);
                    let Some(last) = passing.checked_sub(1) else {
                        return before;
                    };
                    before += inner.sum(last);
                    node = &inner.children[last];
                }
            }
        }
    }

    /// Number of keys before `key`.
    pub(super) fn rank(&self, key: Key, order: &impl Order) -> usize {
        self.count_while(|k| order.cmp(k, key) == Ordering::Less)
    }

    /// The key of rank `rank`.
    pub(super) fn get(&self, mut rank: usize) -> Option<Key> {
        if rank >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(leaf) => return (rank < leaf.len).then(|| leaf.key(rank)),
                Node::Inner(inner) => {
                    let (i, r) = inner.locate(rank);
                    rank = r;
                    node = &inner.children[i];
                }
            }
        }
    }

    /// Calls `f` on the keys of ranks `start..end`, in order.
    pub(super) fn visit(&self, start: usize, end: usize, mut f: impl FnMut(Key)) {
        if start < end {
            self.root.visit(start, end.min(self.len), &mut f);
        }
    }

    /// Checks every invariant (for tests); returns the depth.
    #[cfg(test)]
    pub(super) fn check(&self, order: &impl Order) -> usize {
        fn walk(node: &Node, root: bool, keys: &mut Vec<Key>) -> (usize, usize) {
            match node {
                Node::Leaf(l) => {
                    assert!(root || (1..=LEAF_CAP).contains(&l.len), "leaf of {}", l.len);
                    keys.extend((0..l.len).map(|i| l.key(i)));
                    (l.len, 1)
                }
                Node::Inner(inner) => {
                    let least = if root { 2 } else { INNER_MIN };
                    assert!(
                        (least..=INNER_CAP).contains(&inner.len()),
                        "inner of {}",
                        inner.len()
                    );
                    let mut total = 0;
                    let mut depth = None;
                    for (i, c) in inner.children.iter().enumerate() {
                        let first = keys.len();
                        let (count, d) = walk(c, false, keys);
                        assert_eq!(count, inner.count(i), "child count");
                        assert_eq!(keys.get(first).copied(), Some(inner.min(i)), "child min");
                        assert!(depth.is_none_or(|x| x == d), "uneven depth");
                        depth = Some(d);
                        total += count;
                    }
                    (total, depth.unwrap_or(0) + 1)
                }
            }
        }
        let mut keys = Vec::new();
        let (count, depth) = walk(&self.root, true, &mut keys);
        assert_eq!(count, self.len);
        assert!(
            keys.windows(2)
                .all(|w| order.cmp(w[0], w[1]) == Ordering::Less),
            "order"
        );
        depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys ordered by score, then id (standing in for the member).
    struct ById;
    impl Order for ById {
        fn cmp(&self, a: Key, b: Key) -> Ordering {
            a.score.total_cmp(&b.score).then(a.id.cmp(&b.id))
        }
    }

    fn key(score: f64, id: u32) -> Key {
        Key { score, id }
    }

    /// A small deterministic generator for shuffles.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    #[test]
    fn ranks_follow_a_sorted_model() {
        let mut tree = Tree::default();
        let mut model: Vec<Key> = Vec::new();
        let mut rng = 7;
        for i in 0..20_000u32 {
            let k = key((lcg(&mut rng) % 500) as f64, i);
            tree.insert(k, &ById);
            let at = model.partition_point(|m| ById.cmp(*m, k) == Ordering::Less);
            model.insert(at, k);
            if i % 3 == 0 {
                let victim = model.remove((lcg(&mut rng) as usize) % model.len());
                assert!(tree.remove(victim, &ById));
                assert!(!tree.remove(victim, &ById));
            }
            if i % 997 == 0 {
                tree.check(&ById);
            }
        }
        assert!(tree.check(&ById) >= 3);
        assert_eq!(tree.len(), model.len());
        for (r, k) in model.iter().enumerate().step_by(37) {
            assert_eq!(tree.rank(*k, &ById), r);
            assert_eq!(tree.get(r), Some(*k));
        }
        assert_eq!(
            tree.count_while(|k| k.score < 250.0),
            model.partition_point(|k| k.score < 250.0)
        );
        let mut seen = Vec::new();
        tree.visit(100, 350, |k| seen.push(k));
        assert_eq!(seen, model[100..350]);
        // Drain from both ends and the middle, checking the structure shrinks back.
        while tree.len() > 0 {
            let r = match tree.len() % 3 {
                0 => 0,
                1 => tree.len() - 1,
                _ => tree.len() / 2,
            };
            assert_eq!(tree.remove_at(r), Some(model.remove(r)));
            if tree.len() % 1001 == 0 {
                tree.check(&ById);
            }
        }
        assert_eq!(tree.check(&ById), 1);
        assert_eq!(tree.remove_at(0), None);
    }

    #[test]
    fn ordered_inserts_pack_leaves() {
        let mut tree = Tree::default();
        let n = 64 * 1000;
        for i in 0..n {
            tree.insert(key(f64::from(i), i), &ById);
        }
        let mut leaves = 0;
        fn count(node: &Node, leaves: &mut usize) {
            match node {
                Node::Leaf(_) => *leaves += 1,
                Node::Inner(n) => n.children.iter().for_each(|c| count(c, leaves)),
            }
        }
        count(&tree.root, &mut leaves);
        assert_eq!(leaves, 1000, "appending fills every leaf");
        tree.check(&ById);
        let mut tree = Tree::default();
        for i in (0..n).rev() {
            tree.insert(key(f64::from(i), i), &ById);
        }
        tree.check(&ById);
        assert_eq!(tree.get(0), Some(key(0.0, 0)));
    }
}
