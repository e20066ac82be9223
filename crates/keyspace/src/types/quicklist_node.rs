//! One quicklist node: list elements packed back to back (see `quicklist_entry`), in
//! one buffer that keeps room to grow at either end.

use bytes::Bytes;

use super::quicklist_entry::{entry_at, entry_before, Elem, Encoded};

/// Redis counts a node's size with the listpack header (6 bytes) and end byte.
const LISTPACK_OVERHEAD: usize = 7;
/// Redis's `SIZE_ESTIMATE_OVERHEAD`: the most an entry adds beyond its data.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Redis's `optimization_level`: node byte limits for fill -1 ..= -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Redis's `SIZE_SAFETY_LIMIT`: the byte limit with a positive (count) fill.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Buffers up to this size grow to the exact malloc chunk; larger ones by half.
const SMALL: usize = 256;

/// Redis's fill check (`_quicklistNodeAllowInsert()` and `...AllowMerge()`): whether a
/// node of `sz` bytes (Redis's count, listpack overhead included) and `count`
/// entries is within the `list-max-listpack-size` setting `fill`.
fn within_limit(sz: usize, count: usize, fill: i64) -> bool {
    if fill < 0 {
        let level = (fill.unsigned_abs().min(5) - 1) as usize;
        sz <= SIZE_LEVELS[level]
    } else {
        sz <= SIZE_SAFETY_LIMIT && count as u64 <= fill as u64
    }
}

/// Capacity for a buffer that must hold `need` bytes: small buffers take exactly what
/// malloc would give anyway (its 16-byte steps), larger ones grow by half, which
/// keeps pushes amortized O(1).
fn grow_cap(need: usize) -> usize {
    if need <= SMALL {
        exact_cap(need)
    } else {
        need + need / 2
    }
}

/// The usable size of the glibc chunk for `need` bytes.
fn exact_cap(need: usize) -> usize {
    (((need + 8 + 15) & !15) - 8).max(need)
}

/// Where the free room goes when a buffer is reallocated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Room {
    Front,
    Back,
    Both,
}

/// A node: `count` entries in `buf[start..end]`.
#[derive(Default)]
pub(crate) struct Node {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    count: usize,
}

impl Node {
    /// A node holding one element.
    pub(crate) fn with(enc: &Encoded<'_>) -> Node {
        let size = enc.size();
        let mut buf = vec![0u8; exact_cap(size)].into_boxed_slice();
        enc.write(&mut buf[..size]);
        Node {
            buf,
            start: 0,
            end: size,
            count: 1,
        }
    }

    /// The entries.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Number of entries.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Bytes of the entries.
    pub(crate) fn bytes(&self) -> usize {
        self.end - self.start
    }

    /// Bytes held, free room included.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Whether one more element of `len` bytes may go into this node.
    pub(crate) fn fits(&self, len: usize, fill: i64) -> bool {
        let sz = self.bytes() + LISTPACK_OVERHEAD + len + SIZE_ESTIMATE_OVERHEAD;
        within_limit(sz, self.count + 1, fill)
    }

    /// Whether the node has grown past the limit (after an insert or a replace).
    pub(crate) fn over_limit(&self, fill: i64) -> bool {
        self.count > 1 && !within_limit(self.bytes() + LISTPACK_OVERHEAD, self.count, fill)
    }

    /// Whether `other` may be appended to this node.
    pub(crate) fn can_merge(&self, other: &Node, fill: i64) -> bool {
        // Redis subtracts one listpack header and end byte (11 with its estimate).
        let sz = (self.bytes() + other.bytes() + 2 * LISTPACK_OVERHEAD).saturating_sub(11);
        within_limit(sz, self.count + other.count, fill)
    }

    pub(crate) fn push_back(&mut self, enc: &Encoded<'_>) {
        let len = self.bytes();
        enc.write(self.splice(len, 0, enc.size(), Room::Back));
        self.count += 1;
    }

    pub(crate) fn push_front(&mut self, enc: &Encoded<'_>) {
        enc.write(self.splice(0, 0, enc.size(), Room::Front));
        self.count += 1;
    }

    /// Inserts an entry at data offset `pos` (an entry boundary).
    pub(crate) fn insert_at(&mut self, pos: usize, enc: &Encoded<'_>) {
        enc.write(self.splice(pos, 0, enc.size(), Room::Both));
        self.count += 1;
    }

    /// Replaces the entry at data offset `pos`.
    pub(crate) fn replace_at(&mut self, pos: usize, enc: &Encoded<'_>) {
        let (_, next) = entry_at(self.data(), pos);
        enc.write(self.splice(pos, next - pos, enc.size(), Room::Both));
    }

    /// Removes the first entry and returns it.
    pub(crate) fn pop_front(&mut self) -> Bytes {
        let (elem, next) = entry_at(self.data(), 0);
        let out = elem.to_bytes();
        self.start += next;
        self.count -= 1;
        self.maybe_shrink();
        out
    }

    /// Removes the last entry and returns it.
    pub(crate) fn pop_back(&mut self) -> Bytes {
        let data = self.data();
        let at = entry_before(data, data.len());
        let out = entry_at(data, at).0.to_bytes();
        self.end = self.start + at;
        self.count -= 1;
        self.maybe_shrink();
        out
    }

    /// Data offset of entry `index` (< count), walking from the nearer end.
    pub(crate) fn offset_of(&self, index: usize) -> usize {
        let data = self.data();
        if index <= self.count / 2 {
            (0..index).fold(0, |pos, _| entry_at(data, pos).1)
        } else {
            (index..self.count).fold(data.len(), |end, _| entry_before(data, end))
        }
    }

    /// Drops the first `n` entries (n <= count).
    pub(crate) fn remove_front(&mut self, n: usize) {
        let data = self.data();
        let cut = (0..n).fold(0, |pos, _| entry_at(data, pos).1);
        self.start += cut;
        self.count -= n;
        self.maybe_shrink();
    }

    /// Drops the last `n` entries (n <= count).
    pub(crate) fn remove_back(&mut self, n: usize) {
        let data = self.data();
        let keep = (0..n).fold(data.len(), |end, _| entry_before(data, end));
        self.end = self.start + keep;
        self.count -= n;
        self.maybe_shrink();
    }

    /// Number of entries equal to `needle`.
    pub(crate) fn count_matching(&self, needle: Elem<'_>) -> usize {
        let data = self.data();
        let mut pos = 0;
        let mut n = 0;
        while pos < data.len() {
            let (elem, next) = entry_at(data, pos);
            n += usize::from(elem.matches(needle));
            pos = next;
        }
        n
    }

    /// Removes up to `limit` entries equal to `needle`, leaving the first `skip`
    /// matches in place; returns how many were removed. Compacts in place.
    pub(crate) fn remove_matching(&mut self, needle: Elem<'_>, skip: usize, limit: usize) -> usize {
        let (mut read, mut write) = (self.start, self.start);
        let (mut skipped, mut removed) = (0, 0);
        while read < self.end {
            let (elem, next) = entry_at(&self.buf[..self.end], read);
            let size = next - read;
            if elem.matches(needle) && removed < limit {
                if skipped < skip {
                    skipped += 1;
                } else {
                    removed += 1;
                    read += size;
                    continue;
                }
            }
            if read != write {
                self.buf.copy_within(read..read + size, write);
            }
            read += size;
            write += size;
        }
        self.end = write;
        self.count -= removed;
        self.maybe_shrink();
        removed
    }

    /// Splits after entry `index` (0 < index < count): this node keeps the first
    /// `index` entries, the returned one holds the rest.
    pub(crate) fn split_off(&mut self, index: usize) -> Node {
        let pos = self.offset_of(index);
        let tail = &self.data()[pos..];
        let mut buf = vec![0u8; exact_cap(tail.len())].into_boxed_slice();
        buf[..tail.len()].copy_from_slice(tail);
        let rest = Node {
            end: tail.len(),
            buf,
            start: 0,
            count: self.count - index,
        };
        self.end = self.start + pos;
        self.count = index;
        self.seal();
        rest
    }

    /// Appends all entries of `other`.
    pub(crate) fn append(&mut self, other: &Node) {
        let len = self.bytes();
        self.splice(len, 0, other.bytes(), Room::Back)
            .copy_from_slice(other.data());
        self.count += other.count;
    }

    /// Gives back free room: for nodes that are no longer at an end of the list.
    pub(crate) fn seal(&mut self) {
        if self.buf.len() > exact_cap(self.bytes()) {
            self.realloc(exact_cap(self.bytes()), 0, 0, 0, Room::Both);
        }
    }

    /// Shrinks a large buffer that has become mostly empty, so memory follows pops.
    fn maybe_shrink(&mut self) {
        let len = self.bytes();
        if self.buf.len() > SMALL && len < self.buf.len() / 4 {
            self.realloc(grow_cap(len), 0, 0, 0, Room::Both);
        }
    }

    /// Replaces `remove` bytes at data offset `pos` with a hole of `insert` bytes and
    /// returns the hole. Moves the shorter side when there is room on the side `room`
    /// allows, else reallocates with the free room placed mostly on that side.
    fn splice(&mut self, pos: usize, remove: usize, insert: usize, room: Room) -> &mut [u8] {
        let len = self.bytes();
        let suffix = len - pos - remove;
        let at = self.start + pos;
        if insert > remove {
            let grow = insert - remove;
            let front = self.start >= grow && room != Room::Back;
            let back = self.buf.len() - self.end >= grow && room != Room::Front;
            if front && (!back || pos <= suffix) {
                self.buf.copy_within(self.start..at, self.start - grow);
                self.start -= grow;
            } else if back {
                self.buf.copy_within(at + remove..self.end, at + insert);
                self.end += grow;
            } else {
                self.realloc(grow_cap(len + grow), pos, remove, insert, room);
            }
        } else if remove > insert {
            let shrink = remove - insert;
            if pos <= suffix {
                self.buf.copy_within(self.start..at, self.start + shrink);
                self.start += shrink;
            } else {
                self.buf.copy_within(at + remove..self.end, at + insert);
                self.end -= shrink;
            }
        }
        let at = self.start + pos;
        &mut self.buf[at..at + insert]
    }

    /// Moves the data into a buffer of `cap` bytes, replacing `remove` bytes at `pos`
    /// with a hole of `insert` bytes.
    fn realloc(&mut self, cap: usize, pos: usize, remove: usize, insert: usize, room: Room) {
        let len = self.bytes();
        let new_len = len - remove + insert;
        let cap = cap.max(new_len);
        let free = cap - new_len;
        // Most of the room where the pushes come from, some on the other side so that
        // alternating pushes onto a one-node list stay amortized O(1).
        let start = match room {
            Room::Front => free - free / 4,
            Room::Back => free / 4,
            Room::Both => free / 2,
        };
        let mut buf = vec![0u8; cap].into_boxed_slice();
        let old = &self.buf[self.start..self.end];
        buf[start..start + pos].copy_from_slice(&old[..pos]);
        buf[start + pos + insert..start + new_len].copy_from_slice(&old[pos + remove..]);
        self.buf = buf;
        self.start = start;
        self.end = start + new_len;
    }
}

impl Clone for Node {
    /// A copy without the free room.
    fn clone(&self) -> Node {
        let data = self.data();
        let mut buf = vec![0u8; exact_cap(data.len())].into_boxed_slice();
        buf[..data.len()].copy_from_slice(data);
        Node {
            buf,
            start: 0,
            end: data.len(),
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elems(node: &Node) -> Vec<Vec<u8>> {
        let data = node.data();
        let mut pos = 0;
        let mut out = Vec::new();
        while pos < data.len() {
            let (e, next) = entry_at(data, pos);
            out.push(e.to_bytes().to_vec());
            pos = next;
        }
        assert_eq!(out.len(), node.count());
        // Walking backwards finds the same entries.
        let mut end = data.len();
        let mut back = Vec::new();
        while end > 0 {
            let at = entry_before(data, end);
            back.push(entry_at(data, at).0.to_bytes().to_vec());
            end = at;
        }
        back.reverse();
        assert_eq!(back, out);
        out
    }

    #[test]
    fn every_encoding_round_trips() {
        let long = |n: usize| "x".repeat(n);
        let values: Vec<String> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "-4097",
            "32767",
            "-32768",
            "32768",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "007",
            "-0",
            "+1",
            "",
            "abc",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([long(63), long(64), long(4095), long(4096), long(20000)])
        .collect();
        let mut node = Node::with(&Encoded::new(values[0].as_bytes()));
        for v in &values[1..] {
            node.push_back(&Encoded::new(v.as_bytes()));
        }
        let want: Vec<Vec<u8>> = values.iter().map(|v| v.as_bytes().to_vec()).collect();
        assert_eq!(elems(&node), want);
    }

    #[test]
    fn both_ends_and_the_middle() {
        let mut node = Node::with(&Encoded::new(b"m"));
        for i in 0..200 {
            let v = format!("v{i}");
            if i % 2 == 0 {
                node.push_front(&Encoded::new(v.as_bytes()));
            } else {
                node.push_back(&Encoded::new(v.as_bytes()));
            }
        }
        assert_eq!(node.count(), 201);
        let before = elems(&node);
        assert_eq!(node.pop_front(), Bytes::from_static(b"v198"));
        assert_eq!(node.pop_back(), Bytes::from_static(b"v199"));
        let pos = node.offset_of(100);
        node.insert_at(pos, &Encoded::new(b"ins"));
        let mut want = before[1..200].to_vec();
        want.insert(100, b"ins".to_vec());
        assert_eq!(elems(&node), want);
        node.replace_at(node.offset_of(3), &Encoded::new(&[b'z'; 300]));
        want[3] = vec![b'z'; 300];
        assert_eq!(elems(&node), want);
        node.remove_front(2);
        node.remove_back(3);
        want.drain(..2);
        want.truncate(want.len() - 3);
        assert_eq!(elems(&node), want);
        let rest = node.split_off(10);
        assert_eq!(elems(&node), want[..10].to_vec());
        assert_eq!(elems(&rest), want[10..].to_vec());
        node.append(&rest);
        assert_eq!(elems(&node), want);
        assert_eq!(elems(&node.clone()), want);
    }

    #[test]
    fn removing_matches() {
        let mut node = Node::with(&Encoded::new(b"a"));
        for v in ["1", "a", "b", "a", "1", "a"] {
            node.push_back(&Encoded::new(v.as_bytes()));
        }
        assert_eq!(node.count_matching(Elem::from_arg(b"a")), 4);
        assert_eq!(node.remove_matching(Elem::from_arg(b"a"), 1, 2), 2);
        let got: Vec<Vec<u8>> = elems(&node);
        assert_eq!(got, [&b"a"[..], b"1", b"b", b"1", b"a"].map(|s| s.to_vec()));
        assert_eq!(node.remove_matching(Elem::from_arg(b"1"), 0, usize::MAX), 2);
        assert_eq!(node.count(), 3);
    }

    #[test]
    fn pushes_leave_little_slack_in_small_nodes() {
        let mut node = Node::with(&Encoded::new(b"x"));
        for _ in 0..9 {
            node.push_back(&Encoded::new(b"item-1-1"));
        }
        assert!(node.capacity() <= exact_cap(node.bytes()) + 16);
        for _ in 0..2000 {
            node.push_front(&Encoded::new(b"item-1-1"));
        }
        node.seal();
        assert_eq!(node.capacity(), exact_cap(node.bytes()));
    }

    #[test]
    fn fill_limits_like_redis() {
        let node = Node::with(&Encoded::new(&[b'a'; 8000]));
        assert!(!node.fits(200, -2));
        assert!(node.fits(100, -3));
        let node = Node::with(&Encoded::new(b"a"));
        assert!(node.fits(1, 2));
        assert!(!node.fits(1, 1));
        assert!(!node.fits(1, 0));
        assert!(node.fits(1, -100), "fills below -5 act as -5");
    }
}
