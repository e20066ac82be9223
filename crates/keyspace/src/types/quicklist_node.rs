//! One quicklist node: list elements packed back to back in Redis's listpack entry
//! format, in one buffer that keeps room to grow at either end.
//!
//! Entry layout (Redis's listpack entry; the node has no listpack header or end byte):
//!
//! ```text
//! <encoding [+ length]> <data> <backlen>
//! 0xxxxxxx                      7-bit unsigned integer (0..=127), no data
//! 10xxxxxx                      string of up to 63 bytes
//! 110xxxxx yyyyyyyy             13-bit signed integer, two's complement
//! 1110xxxx yyyyyyyy             string of up to 4095 bytes (length: 12 bits, high first)
//! 11110000 <u32 LE>             string with a 32-bit length
//! 11110001 <2> | 11110010 <3> | 11110011 <4> | 11110100 <8>
//!                               16/24/32/64-bit signed integer, little endian
//! 11110101 <u64 LE>             ferrodis only: a string of 4 GiB or more
//! ```
//!
//! `backlen` is the length of encoding + data, in 1 to 10 bytes of 7 bits, most
//! significant group first; every byte but the first has the high bit set, so it can
//! be read from right to left when walking backwards. Strings that are the canonical
//! text of an `i64` are stored as integers (Redis's `lpStringToInt64()`), so equal
//! elements always have equal encodings.

use bytes::{BufMut, Bytes, BytesMut};

use crate::num;

const STR6: u8 = 0x80;
const INT13: u8 = 0xC0;
const STR12: u8 = 0xE0;
const STR32: u8 = 0xF0;
const INT16: u8 = 0xF1;
const INT24: u8 = 0xF2;
const INT32: u8 = 0xF3;
const INT64: u8 = 0xF4;
const STR64: u8 = 0xF5;

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

/// One list element as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// The element's bytes (a fresh allocation).
    pub(crate) fn to_bytes(self) -> Bytes {
        match self {
            Elem::Str(s) => Bytes::copy_from_slice(s),
            Elem::Int(n) => num::i64_to_bytes(n),
        }
    }

    /// Length of the element's text.
    pub(crate) fn text_len(self) -> usize {
        match self {
            Elem::Str(s) => s.len(),
            Elem::Int(n) => num::i64_len(n),
        }
    }

    /// Appends the element's text to `out`.
    pub(crate) fn write_to(self, out: &mut BytesMut) {
        match self {
            Elem::Str(s) => out.put_slice(s),
            Elem::Int(n) => out.put_slice(num::format_i64(n, &mut [0; 20])),
        }
    }

    /// Whether the element equals the needle (whose text was encoded the same way).
    pub(crate) fn matches(self, needle: Elem<'_>) -> bool {
        match (self, needle) {
            (Elem::Int(a), Elem::Int(b)) => a == b,
            (Elem::Str(a), Elem::Str(b)) => a == b,
            _ => false,
        }
    }

    /// How an argument is stored: as an integer when it is the canonical text of one.
    pub(crate) fn from_arg(arg: &[u8]) -> Elem<'_> {
        if arg.len() <= 20 && matches!(arg.first(), Some(b'-' | b'0'..=b'9')) {
            if let Some(n) = num::parse_i64(arg) {
                return Elem::Int(n);
            }
        }
        Elem::Str(arg)
    }
}

/// An element encoded as an entry, ready to be written.
pub(crate) struct Encoded<'a> {
    head: [u8; 9],
    head_len: u8,
    data: &'a [u8],
    back: [u8; 10],
    back_len: u8,
}

impl<'a> Encoded<'a> {
    pub(crate) fn new(arg: &'a [u8]) -> Encoded<'a> {
        Encoded::from_elem(Elem::from_arg(arg))
    }

    pub(crate) fn from_elem(elem: Elem<'a>) -> Encoded<'a> {
        let mut head = [0u8; 9];
        let (head_len, data): (usize, &[u8]) = match elem {
            Elem::Int(n) => (encode_int(n, &mut head), &[]),
            Elem::Str(s) => (encode_str_len(s.len(), &mut head), s),
        };
        let mut back = [0u8; 10];
        let back_len = encode_backlen(head_len + data.len(), &mut back);
        Encoded {
            head,
            head_len: head_len as u8,
            data,
            back,
            back_len: back_len as u8,
        }
    }

    /// Bytes of the whole entry.
    pub(crate) fn size(&self) -> usize {
        usize::from(self.head_len) + self.data.len() + usize::from(self.back_len)
    }

    /// Writes the entry into `out`, which is exactly [`Encoded::size`] bytes long.
    fn write(&self, out: &mut [u8]) {
        let h = usize::from(self.head_len);
        let d = self.data.len();
        out[..h].copy_from_slice(&self.head[..h]);
        out[h..h + d].copy_from_slice(self.data);
        out[h + d..].copy_from_slice(&self.back[..usize::from(self.back_len)]);
    }
}

fn encode_int(n: i64, out: &mut [u8; 9]) -> usize {
    let le = n.to_le_bytes();
    if (0..=127).contains(&n) {
        out[0] = n as u8;
        1
    } else if (-4096..=4095).contains(&n) {
        let v = (n as u16) & 0x1FFF;
        out[0] = INT13 | (v >> 8) as u8;
        out[1] = v as u8;
        2
    } else {
        let (tag, bytes) = if i16::try_from(n).is_ok() {
            (INT16, 2)
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            (INT24, 3)
        } else if i32::try_from(n).is_ok() {
            (INT32, 4)
        } else {
            (INT64, 8)
        };
        out[0] = tag;
        out[1..=bytes].copy_from_slice(&le[..bytes]);
        1 + bytes
    }
}

fn encode_str_len(len: usize, out: &mut [u8; 9]) -> usize {
    if len < 64 {
        out[0] = STR6 | len as u8;
        1
    } else if len < 4096 {
        out[0] = STR12 | (len >> 8) as u8;
        out[1] = len as u8;
        2
    } else if let Ok(len) = u32::try_from(len) {
        out[0] = STR32;
        out[1..5].copy_from_slice(&len.to_le_bytes());
        5
    } else {
        out[0] = STR64;
        out[1..9].copy_from_slice(&(len as u64).to_le_bytes());
        9
    }
}

/// Number of bytes of the backlen of an entry of `len` bytes.
fn backlen_size(len: usize) -> usize {
    let mut size = 1;
    while size < 10 && len >> (7 * size) != 0 {
        size += 1;
    }
    size
}

fn encode_backlen(len: usize, out: &mut [u8; 10]) -> usize {
    let size = backlen_size(len);
    for (i, b) in out[..size].iter_mut().enumerate() {
        let shift = 7 * (size - 1 - i);
        let group = ((len as u64) >> shift) as u8 & 0x7F;
        *b = if i == 0 { group } else { group | 0x80 };
    }
    size
}

/// The entry starting at `pos`: its element and the position just after it.
/// `data` holds whole entries written by this module.
#[inline]
pub(crate) fn entry_at(data: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let b = data[pos];
    // The common small cases first: a small integer, a short string.
    if b < 0x80 {
        return (Elem::Int(i64::from(b)), pos + 2);
    }
    if b < 0xC0 {
        let len = usize::from(b & 0x3F);
        return (Elem::Str(&data[pos + 1..pos + 1 + len]), pos + 2 + len);
    }
    entry_at_slow(data, pos)
}

fn entry_at_slow(data: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let b = data[pos];
    let uint = |n: usize| {
        let mut raw = [0u8; 8];
        raw[..n].copy_from_slice(&data[pos + 1..pos + 1 + n]);
        u64::from_le_bytes(raw)
    };
    // Sign-extends an n-byte little-endian integer.
    let int = |n: usize| {
        let shift = 64 - 8 * n as u32;
        ((uint(n) << shift) as i64) >> shift
    };
    let (elem, head) = match b {
        0x00..=0x7F => (Elem::Int(i64::from(b)), 1),
        0x80..=0xBF => {
            let len = usize::from(b & 0x3F);
            (Elem::Str(&data[pos + 1..pos + 1 + len]), 1 + len)
        }
        0xC0..=0xDF => {
            let v = (u16::from(b & 0x1F) << 8) | u16::from(data[pos + 1]);
            // Sign-extend from 13 bits.
            (Elem::Int(i64::from(((v << 3) as i16) >> 3)), 2)
        }
        0xE0..=0xEF => {
            let len = (usize::from(b & 0x0F) << 8) | usize::from(data[pos + 1]);
            (Elem::Str(&data[pos + 2..pos + 2 + len]), 2 + len)
        }
        STR32 | STR64 => {
            let n = if b == STR32 { 4 } else { 8 };
            let len = uint(n) as usize;
            (
                Elem::Str(&data[pos + 1 + n..pos + 1 + n + len]),
                1 + n + len,
            )
        }
        INT16 => (Elem::Int(int(2)), 3),
        INT24 => (Elem::Int(int(3)), 4),
        INT32 => (Elem::Int(int(4)), 5),
        _ => (Elem::Int(int(8)), 9),
    };
    (elem, pos + head + backlen_size(head))
}

/// Where the entry that ends at `end` starts.
pub(crate) fn entry_before(data: &[u8], end: usize) -> usize {
    let mut len = 0usize;
    let mut p = end;
    let mut shift = 0;
    loop {
        p -= 1;
        let b = data[p];
        len |= usize::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    p - len
}

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
    fn integers_are_compact() {
        assert_eq!(Encoded::new(b"5").size(), 2);
        assert_eq!(Encoded::new(b"-100").size(), 3);
        assert_eq!(Encoded::new(b"100000").size(), 5);
        assert_eq!(Encoded::new(b"xxx").size(), 5);
        assert_eq!(Encoded::new(&[b'a'; 200]).size(), 204);
        assert!(Elem::from_arg(b"12").matches(Elem::from_arg(b"12")));
        assert!(!Elem::from_arg(b"12").matches(Elem::from_arg(b"012")));
    }

    #[test]
    fn backlen_groups() {
        for len in [0, 1, 127, 128, 16383, 16384, 1 << 21, (1 << 28) + 5] {
            let mut out = [0u8; 10];
            let n = encode_backlen(len, &mut out);
            assert_eq!(n, backlen_size(len));
            // A fake entry of `len` zero bytes followed by the backlen.
            if len < 100_000 {
                let mut data = vec![0u8; len];
                data.extend_from_slice(&out[..n]);
                assert_eq!(entry_before(&data, data.len()), 0, "len {len}");
            }
        }
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
