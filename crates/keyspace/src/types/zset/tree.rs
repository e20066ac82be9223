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
//! - `Child::count` is the number of keys under the child, `Child::min` its first key;
//! - keys are strictly increasing by `cmp` from left to right.

use std::cmp::Ordering;
use std::mem;

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
struct Leaf {
    len: usize,
    scores: [f64; LEAF_CAP],
    ids: [u32; LEAF_CAP],
}

#[derive(Debug, Clone)]
struct Child {
    count: usize,
    min: Key,
    node: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(Box<Leaf>),
    Inner(Vec<Child>),
}

/// The tree.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    root: Node,
    len: usize,
}

impl Leaf {
    fn boxed() -> Box<Leaf> {
        Box::new(Leaf {
            len: 0,
            scores: [0.0; LEAF_CAP],
            ids: [0; LEAF_CAP],
        })
    }

    fn key(&self, i: usize) -> Key {
        Key {
            score: self.scores[i],
            id: self.ids[i],
        }
    }

    /// Number of keys that sort before `key`.
    fn search(&self, key: Key, order: &impl Order) -> usize {
        self.partition(|k| order.cmp(k, key) == Ordering::Less)
    }

    /// Number of leading keys for which `pred` holds (it must hold for a prefix).
    fn partition(&self, mut pred: impl FnMut(Key) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(self.key(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn insert_at(&mut self, i: usize, key: Key) {
        self.scores.copy_within(i..self.len, i + 1);
        self.ids.copy_within(i..self.len, i + 1);
        self.scores[i] = key.score;
        self.ids[i] = key.id;
        self.len += 1;
    }

    fn remove_at(&mut self, i: usize) -> Key {
        let key = self.key(i);
        self.scores.copy_within(i + 1..self.len, i);
        self.ids.copy_within(i + 1..self.len, i);
        self.len -= 1;
        key
    }

    /// Moves the keys from `at` on into a new leaf.
    fn split_off(&mut self, at: usize) -> Box<Leaf> {
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
    fn shift(&mut self, right: &mut Leaf, n: isize) {
        if n >= 0 {
            let n = n as usize;
            let (l, r) = (self.len, right.len);
            self.scores[l..l + n].copy_from_slice(&right.scores[..n]);
            self.ids[l..l + n].copy_from_slice(&right.ids[..n]);
            right.scores.copy_within(n..r, 0);
            right.ids.copy_within(n..r, 0);
            self.len += n;
            right.len -= n;
        } else {
            let n = n.unsigned_abs();
            let (l, r) = (self.len, right.len);
            right.scores.copy_within(..r, n);
            right.ids.copy_within(..r, n);
            right.scores[..n].copy_from_slice(&self.scores[l - n..l]);
            right.ids[..n].copy_from_slice(&self.ids[l - n..l]);
            self.len -= n;
            right.len += n;
        }
    }
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
            Node::Inner(c) => c.first().map_or(NO_KEY, |c| c.min),
        }
    }

    fn underfull(&self) -> bool {
        match self {
            Node::Leaf(l) => l.len < LEAF_MIN,
            Node::Inner(c) => c.len() < INNER_MIN,
        }
    }

    /// Inserts a key that is not in the tree; returns the new right sibling when the
    /// node had to split.
    fn insert(&mut self, key: Key, order: &impl Order) -> Option<Child> {
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
                Some(Child {
                    count: right.len,
                    min: right.key(0),
                    node: Node::Leaf(right),
                })
            }
            Node::Inner(children) => {
                let i = children
                    .partition_point(|c| order.cmp(c.min, key) == Ordering::Less)
                    .saturating_sub(1);
                let child = &mut children[i];
                let split = child.node.insert(key, order);
                child.count += 1;
                child.min = child.node.first();
                let new = split?;
                child.count -= new.count;
                children.insert(i + 1, new);
                if children.len() <= INNER_CAP {
                    return None;
                }
                let mut right = children.split_off(children.len() / 2);
                right.reserve_exact(INNER_CAP + 1 - right.len());
                Some(Child {
                    count: right.iter().map(|c| c.count).sum(),
                    min: right[0].min,
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
            Node::Inner(children) => {
                let after =
                    children.partition_point(|c| order.cmp(c.min, key) != Ordering::Greater);
                let Some(i) = after.checked_sub(1) else {
                    return false;
                };
                if !children[i].node.remove(key, order) {
                    return false;
                }
                children[i].count -= 1;
                repair(children, i);
                true
            }
        }
    }

    /// Removes and returns the key of rank `rank` (which must exist).
    fn remove_at(&mut self, rank: usize) -> Key {
        match self {
            Node::Leaf(leaf) => leaf.remove_at(rank),
            Node::Inner(children) => {
                let (i, rank) = locate(children, rank);
                let key = children[i].node.remove_at(rank);
                children[i].count -= 1;
                repair(children, i);
                key
            }
        }
    }

    fn visit(&self, start: usize, end: usize, f: &mut impl FnMut(Key)) {
        match self {
            Node::Leaf(leaf) => (start..end.min(leaf.len)).for_each(|i| f(leaf.key(i))),
            Node::Inner(children) => {
                let mut offset = 0;
                for c in children {
                    let next = offset + c.count;
                    if next > start {
                        c.node
                            .visit(start.saturating_sub(offset), end.min(next) - offset, f);
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

/// The child holding rank `rank`, and the rank within it.
fn locate(children: &[Child], mut rank: usize) -> (usize, usize) {
    for (i, c) in children.iter().enumerate() {
        if rank < c.count {
            return (i, rank);
        }
        rank -= c.count;
    }
    // Out of range: the last child (callers check ranks against the length).
    (children.len().saturating_sub(1), rank)
}

/// After a removal under `children[i]`: refreshes its smallest key, and merges it with
/// or refills it from a sibling when it has become too small.
fn repair(children: &mut Vec<Child>, i: usize) {
    if !children[i].node.underfull() || children.len() < 2 {
        children[i].min = children[i].node.first();
        return;
    }
    let l = if i > 0 { i - 1 } else { i };
    let (left_part, right_part) = children.split_at_mut(l + 1);
    let (left, right) = (&mut left_part[l], &mut right_part[0]);
    let merge = match (&mut left.node, &mut right.node) {
        (Node::Leaf(a), Node::Leaf(b)) => {
            if a.len + b.len <= LEAF_CAP {
                a.shift(b, b.len as isize);
                true
            } else {
                let target = (a.len + b.len) / 2;
                a.shift(b, target as isize - a.len as isize);
                left.count = a.len;
                right.count = b.len;
                false
            }
        }
        (Node::Inner(a), Node::Inner(b)) => {
            if a.len() + b.len() <= INNER_CAP {
                a.append(b);
                true
            } else {
                let target = (a.len() + b.len()) / 2;
                if a.len() < target {
                    a.extend(b.drain(..target - a.len()));
                } else {
                    let tail: Vec<Child> = a.drain(target..).collect();
                    b.splice(0..0, tail);
                }
                left.count = a.iter().map(|c| c.count).sum();
                right.count = b.iter().map(|c| c.count).sum();
                false
            }
        }
        // Siblings are always at the same depth.
        _ => false,
    };
    if merge {
        left.count += right.count;
        children.remove(l + 1);
    } else {
        children[l + 1].min = children[l + 1].node.first();
    }
    children[l].min = children[l].node.first();
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
            let left = mem::replace(&mut self.root, Node::Inner(Vec::new()));
            let mut children = Vec::with_capacity(INNER_CAP + 1);
            children.push(Child {
                count: self.len + 1 - right.count,
                min: left.first(),
                node: left,
            });
            children.push(right);
            self.root = Node::Inner(children);
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
        while let Node::Inner(children) = &mut self.root {
            if children.len() != 1 {
                break;
            }
            let Some(only) = children.pop() else { break };
            self.root = only.node;
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
                Node::Inner(children) => {
                    // Children whose smallest key passes lie before the boundary, but
                    // the last of them may hold it.
                    let passing = children.partition_point(|c| pred(c.min));
                    let Some(last) = passing.checked_sub(1) else {
                        return before;
                    };
                    before += children[..last].iter().map(|c| c.count).sum::<usize>();
                    node = &children[last].node;
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
                Node::Inner(children) => {
                    let (i, r) = locate(children, rank);
                    rank = r;
                    node = &children[i].node;
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
                Node::Inner(children) => {
                    let least = if root { 2 } else { INNER_MIN };
                    assert!(
                        (least..=INNER_CAP).contains(&children.len()),
                        "inner of {}",
                        children.len()
                    );
                    let mut total = 0;
                    let mut depth = None;
                    for c in children {
                        let first = keys.len();
                        let (count, d) = walk(&c.node, false, keys);
                        assert_eq!(count, c.count, "child count");
                        assert_eq!(keys.get(first).copied(), Some(c.min), "child min");
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
                Node::Inner(c) => c.iter().for_each(|c| count(&c.node, leaves)),
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
