//! A small hash's compact encoding: its field/value pairs in one contiguous byte buffer.
//!
//! Like Redis's listpack (the `listpack` of OBJECT ENCODING), a lookup is a linear
//! scan, which for a few hundred short strings costs less than hashing and beats any
//! per-entry allocation on memory. The byte layout is our own: Redis's listpack wire
//! format only matters in RDB files, which the rdb crate reads and writes.
//!
//! ```text
//! buf   := pair*
//! pair  := entry(field) entry(value)        in insertion order
//! entry := len:varint bytes[len]
//! varint:= LEB128, 7 bits a byte, low bits first; lengths below 128 take one byte
//! ```
//!
//! A pair of short strings thus costs 2 bytes on top of its text (Redis: 4, an
//! encoding byte and a back-length byte per entry). The buffer is kept at its exact
//! size, as Redis reallocates its listpack on every change, so a small hash costs one
//! allocation of about its text's size.

use std::ops::Range;

/// Largest encoded size of a length (a `u64` in 7-bit groups).
const MAX_VARINT: usize = 10;

/// Spare capacity tolerated after a shrinking edit before the buffer is reallocated
/// to its exact size; below this the allocator's own rounding usually hides it.
const SHRINK_SLACK: usize = 16;

/// The length prefix of `len`, in a stack buffer; returns it and its used size.
pub(crate) fn encode_len(len: usize) -> ([u8; MAX_VARINT], usize) {
    let mut out = [0u8; MAX_VARINT];
    let mut n = len as u64;
    let mut i = 0;
    while n >= 0x80 {
        out[i] = (n as u8) | 0x80;
        n >>= 7;
        i += 1;
    }
    out[i] = n as u8;
    (out, i + 1)
}

/// Size of the length prefix of `len`.
pub(crate) fn len_size(len: usize) -> usize {
    let bits = usize::BITS - (len | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Reads the length prefix at `buf[pos..]`: the length and where the bytes start.
/// `None` on a truncated or overlong prefix (which the invariants rule out).
pub(crate) fn decode_len(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let mut len: u64 = 0;
    for i in 0..MAX_VARINT {
        let byte = *buf.get(pos + i)?;
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(len).ok()?, pos + i + 1));
        }
    }
    None
}

/// The entry starting at `pos`: its bytes' range and where the next entry starts.
fn entry_at(buf: &[u8], pos: usize) -> Option<(Range<usize>, usize)> {
    let (len, start) = decode_len(buf, pos)?;
    let end = start.checked_add(len).filter(|&e| e <= buf.len())?;
    Some((start..end, end))
}

/// Field/value pairs in one buffer, in insertion order.
///
/// Invariant: `buf` is a whole number of well-formed pairs and `pairs` counts them.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Listpack {
    buf: Vec<u8>,
    pairs: usize,
}

/// Where a field was found: its pair's start and its value's prefix and bytes.
struct Position {
    pair: usize,
    value_prefix: usize,
    value: Range<usize>,
}

impl Listpack {
    /// Number of pairs.
    pub(crate) fn len(&self) -> usize {
        self.pairs
    }

    /// Size of the encoded pairs in bytes.
    pub(crate) fn byte_len(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held.
    #[cfg(test)]
    pub(crate) fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes that `field` and `value` take once stored.
    pub(crate) fn pair_size(field: usize, value: usize) -> usize {
        len_size(field) + field + len_size(value) + value
    }

    /// Makes room for `additional` more bytes, exactly (see [`Listpack::trim`]).
    pub(crate) fn reserve_exact(&mut self, additional: usize) {
        self.buf.reserve_exact(additional);
    }

    /// Gives back spare capacity left by [`Listpack::reserve_exact`] or a shrinking edit.
    pub(crate) fn trim(&mut self) {
        if self.buf.capacity() - self.buf.len() >= SHRINK_SLACK {
            self.buf.shrink_to_fit();
        }
    }

    /// Gives back any spare capacity: the buffer ends exactly sized.
    pub(crate) fn fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    fn find(&self, field: &[u8]) -> Option<Position> {
        let mut pos = 0;
        while pos < self.buf.len() {
            let (f, value_prefix) = entry_at(&self.buf, pos)?;
            let (value, next) = entry_at(&self.buf, value_prefix)?;
            if self.buf[f] == *field {
                return Some(Position {
                    pair: pos,
                    value_prefix,
                    value,
                });
            }
            pos = next;
        }
        None
    }

    /// The value of `field`.
    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|p| &self.buf[p.value])
    }

    /// Sets `field` to `value`; true if the field is new (appended at the end), false
    /// if an existing value was replaced in place.
    pub(crate) fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(p) = self.find(field) {
            let (prefix, prefix_len) = encode_len(value.len());
            let old = p.value_prefix..p.value.end;
            let new_len = prefix_len + value.len();
            if let Some(grow) = new_len.checked_sub(old.len()) {
                self.buf.reserve_exact(grow);
            }
            let bytes = prefix[..prefix_len].iter().chain(value).copied();
            self.buf.splice(old, bytes);
            self.trim();
            return false;
        }
        self.push_pair(field, value);
        true
    }

    /// Appends a pair whose field is not in the listpack (the caller knows).
    pub(crate) fn push_pair(&mut self, field: &[u8], value: &[u8]) {
        self.buf
            .reserve_exact(Self::pair_size(field.len(), value.len()));
        self.push_entry(field);
        self.push_entry(value);
        self.pairs += 1;
    }

    fn push_entry(&mut self, bytes: &[u8]) {
        let (prefix, prefix_len) = encode_len(bytes.len());
        self.buf.extend_from_slice(&prefix[..prefix_len]);
        self.buf.extend_from_slice(bytes);
    }

    /// Deletes `field`; false if it was not there.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        let Some(p) = self.find(field) else {
            return false;
        };
        self.buf.drain(p.pair..p.value.end);
        self.pairs -= 1;
        self.trim();
        true
    }

    /// The pairs, in insertion order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs = self
            .iter()
            .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v)));
        f.debug_map().entries(pairs).finish()
    }
}

/// The pairs of a [`Listpack`] in order.
#[derive(Debug, Clone)]
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let pair = entry_at(self.buf, self.pos)
            .and_then(|(f, v)| entry_at(self.buf, v).map(|(v, next)| (f, v, next)));
        let Some((f, v, next)) = pair else {
            debug_assert!(false, "malformed listpack at {}", self.pos);
            self.pos = self.buf.len();
            return None;
        };
        self.pos = next;
        Some((&self.buf[f], &self.buf[v]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(lp: &Listpack) -> Vec<(Vec<u8>, Vec<u8>)> {
        lp.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn varints_round_trip() {
        for len in [0, 1, 127, 128, 300, 16383, 16384, 1 << 30, usize::MAX] {
            let (buf, n) = encode_len(len);
            assert_eq!(n, len_size(len), "{len}");
            assert_eq!(decode_len(&buf[..n], 0), Some((len, n)));
            assert_eq!(decode_len(&buf[..n - 1], 0), None, "truncated");
        }
        assert_eq!(decode_len(&[0x80; 11], 0), None, "overlong");
    }

    #[test]
    fn insert_update_remove_keep_order() {
        let mut lp = Listpack::default();
        assert!(lp.insert(b"a", b"1"));
        assert!(lp.insert(b"b", b""));
        assert!(lp.insert(b"", b"empty field"));
        assert!(!lp.insert(b"a", &[b'x'; 200]), "update in place");
        assert_eq!(lp.len(), 3);
        assert_eq!(lp.get(b"a"), Some(&[b'x'; 200][..]));
        assert_eq!(lp.get(b""), Some(&b"empty field"[..]));
        assert_eq!(lp.get(b"c"), None);
        assert!(!lp.insert(b"a", b"2"));
        assert_eq!(
            pairs(&lp),
            vec![
                (b"a".to_vec(), b"2".to_vec()),
                (b"b".to_vec(), b"".to_vec()),
                (b"".to_vec(), b"empty field".to_vec())
            ]
        );
        assert!(lp.remove(b"b"));
        assert!(!lp.remove(b"b"));
        assert!(lp.insert(b"b", b"3"), "a re-added field goes to the end");
        let fields: Vec<&[u8]> = lp.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec![&b"a"[..], b"", b"b"]);
        assert_eq!(lp.byte_len(), (2 + 2) + (1 + 12) + (2 + 2));
    }

    #[test]
    fn a_value_is_not_mistaken_for_a_field() {
        let mut lp = Listpack::default();
        lp.insert(b"f", b"g");
        assert_eq!(lp.get(b"g"), None);
        assert!(!lp.remove(b"g"));
    }

    #[test]
    fn the_buffer_stays_exactly_sized() {
        let mut lp = Listpack::default();
        for i in 0..50u32 {
            lp.insert(format!("field{i}").as_bytes(), b"value");
            assert_eq!(lp.allocated(), lp.byte_len());
        }
        lp.insert(b"field3", &[b'v'; 100]);
        lp.insert(b"field3", b"v");
        assert!(lp.allocated() - lp.byte_len() < SHRINK_SLACK);
        for i in 0..50u32 {
            lp.remove(format!("field{i}").as_bytes());
            assert!(lp.allocated() - lp.byte_len() < SHRINK_SLACK);
        }
        assert_eq!((lp.len(), lp.byte_len()), (0, 0));
    }
}
