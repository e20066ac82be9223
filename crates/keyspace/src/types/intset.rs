//! [`IntSet`]: Redis's `intset`, a sorted array of distinct integers in one buffer.
//!
//! Layout (as intset.c's `contents`, without its 8-byte header, whose fields are
//! `width` and the buffer's length here):
//!
//! ```text
//! [v0][v1]...[vn-1]    each value little-endian, `width` bytes (2, 4 or 8),
//!                      sorted ascending, no duplicates
//! ```
//!
//! Every value takes the width of the widest one: adding a value that does not fit
//! rewrites the whole buffer at the new width (`intsetUpgradeAndAdd()`); removing it
//! again never narrows it back, as in Redis. The buffer is kept at its exact size
//! (Redis reallocates on every add and remove too), because an intset exists to be
//! small.

/// Bytes per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Width {
    W16 = 2,
    W32 = 4,
    W64 = 8,
}

impl Width {
    /// The narrowest width that holds `v` (`_intsetValueEncoding()`).
    fn of(v: i64) -> Width {
        if i16::try_from(v).is_ok() {
            Width::W16
        } else if i32::try_from(v).is_ok() {
            Width::W32
        } else {
            Width::W64
        }
    }

    fn bytes(self) -> usize {
        self as usize
    }
}

/// A sorted set of distinct `i64`s stored at the narrowest common width.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IntSet {
    width: Width,
    /// `len() * width` bytes, no spare capacity kept on purpose.
    bytes: Vec<u8>,
}

impl IntSet {
    /// An empty intset, 16 bits wide (`intsetNew()`).
    pub(crate) fn new() -> IntSet {
        IntSet {
            width: Width::W16,
            bytes: Vec::new(),
        }
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() / self.width.bytes()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes per value: 2, 4 or 8.
    #[cfg(test)]
    pub(crate) fn width(&self) -> usize {
        self.width.bytes()
    }

    /// The `i`-th smallest value. `i` must be below [`IntSet::len`].
    pub(crate) fn get(&self, i: usize) -> i64 {
        read(&self.bytes, self.width, i)
    }

    /// Whether `v` is present.
    pub(crate) fn contains(&self, v: i64) -> bool {
        Width::of(v) <= self.width && self.search(v).is_ok()
    }

    /// Adds `v`; false if it was already there (`intsetAdd()`).
    pub(crate) fn insert(&mut self, v: i64) -> bool {
        if Width::of(v) > self.width {
            self.upgrade_and_add(v);
            return true;
        }
        let Err(pos) = self.search(v) else {
            return false;
        };
        let w = self.width.bytes();
        let old = self.bytes.len();
        self.bytes.reserve_exact(w);
        self.bytes.resize(old + w, 0);
        self.bytes.copy_within(pos * w..old, pos * w + w);
        write(&mut self.bytes, self.width, pos, v);
        true
    }

    /// Removes `v`; false if it was not there (`intsetRemove()`).
    pub(crate) fn remove(&mut self, v: i64) -> bool {
        if Width::of(v) > self.width {
            return false;
        }
        match self.search(v) {
            Ok(pos) => {
                self.remove_at(pos);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes the `i`-th smallest value. `i` must be below [`IntSet::len`].
    pub(crate) fn remove_at(&mut self, i: usize) {
        let w = self.width.bytes();
        self.bytes.drain(i * w..i * w + w);
        self.bytes.shrink_to_fit();
    }

    /// The values in ascending order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        let width = self.width;
        (0..self.len()).map(move |i| read(&self.bytes, width, i))
    }

    /// Position of `v`, or where it would be inserted (`intsetSearch()`, with its
    /// shortcut for values past either end, the common case of growing sequences).
    fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        if v > self.get(len - 1) {
            return Err(len);
        }
        if v < self.get(0) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Rewrites every value at the width `v` needs and adds `v`, which is then
    /// either smaller or larger than all others (it did not fit the old width).
    fn upgrade_and_add(&mut self, v: i64) {
        let width = Width::of(v);
        let len = self.len();
        let mut bytes = vec![0; (len + 1) * width.bytes()];
        let shift = usize::from(v < 0);
        for i in 0..len {
            write(&mut bytes, width, i + shift, self.get(i));
        }
        write(&mut bytes, width, if v < 0 { 0 } else { len }, v);
        *self = IntSet { width, bytes };
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Value `i` of a buffer of `width`-byte little-endian values.
fn read(bytes: &[u8], width: Width, i: usize) -> i64 {
    let w = width.bytes();
    let at = &bytes[i * w..i * w + w];
    match width {
        Width::W16 => i64::from(i16::from_le_bytes([at[0], at[1]])),
        Width::W32 => i64::from(i32::from_le_bytes([at[0], at[1], at[2], at[3]])),
        Width::W64 => i64::from_le_bytes([at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7]]),
    }
}

/// Writes `v` (which fits `width`) as value `i`.
fn write(bytes: &mut [u8], width: Width, i: usize, v: i64) {
    let w = width.bytes();
    let at = &mut bytes[i * w..i * w + w];
    // `v` fits `width`, so the truncating casts keep its value.
    match width {
        Width::W16 => at.copy_from_slice(&(v as i16).to_le_bytes()),
        Width::W32 => at.copy_from_slice(&(v as i32).to_le_bytes()),
        Width::W64 => at.copy_from_slice(&v.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn keeps_values_sorted_and_distinct() {
        let mut s = IntSet::new();
        for v in [5, -3, 9, 5, 0, -3, 7] {
            s.insert(v);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [-3, 0, 5, 7, 9]);
        assert!(!s.insert(7));
        assert!(s.contains(0) && !s.contains(1));
        assert!(s.remove(0) && !s.remove(0));
        assert_eq!(s.iter().collect::<Vec<_>>(), [-3, 5, 7, 9]);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn widths_upgrade_and_never_narrow() {
        let mut s = IntSet::new();
        s.insert(1);
        assert_eq!((s.width(), s.bytes.len()), (2, 2));
        s.insert(40_000);
        assert_eq!((s.width(), s.bytes.len()), (4, 8));
        s.insert(-5_000_000_000);
        assert_eq!((s.width(), s.bytes.len()), (8, 24));
        assert_eq!(s.iter().collect::<Vec<_>>(), [-5_000_000_000, 1, 40_000]);
        assert!(s.remove(-5_000_000_000));
        assert_eq!(s.width(), 8, "Redis never downgrades an intset");
        assert!(!s.contains(i64::MAX) && !s.remove(i64::MIN));
        assert_eq!(s.bytes.capacity(), s.bytes.len(), "kept at exact size");
    }

    #[test]
    fn upgrade_places_negative_values_first() {
        let mut s = IntSet::new();
        s.insert(3);
        s.insert(i64::from(i16::MIN) - 1);
        assert_eq!(s.iter().collect::<Vec<_>>(), [-32769, 3]);
        let mut s = IntSet::new();
        s.insert(i64::MIN);
        s.insert(i64::MAX);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, i64::MAX]);
    }

    #[test]
    fn width_boundaries() {
        assert_eq!(Width::of(i64::from(i16::MAX)), Width::W16);
        assert_eq!(Width::of(i64::from(i16::MIN)), Width::W16);
        assert_eq!(Width::of(i64::from(i16::MAX) + 1), Width::W32);
        assert_eq!(Width::of(i64::from(i32::MIN)), Width::W32);
        assert_eq!(Width::of(i64::from(i32::MIN) - 1), Width::W64);
    }

    #[test]
    fn matches_a_btreeset() {
        // A deterministic pseudo-random walk over values of every width.
        let mut s = IntSet::new();
        let mut model = BTreeSet::new();
        let mut x: u64 = 0x1234_5678;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match x % 4 {
                0 => (x >> 8) as i64 % 50,
                1 => (x >> 8) as i64 % 100_000,
                2 => (x >> 8) as i64 % 10_000_000_000,
                _ => x as i64,
            };
            let v = if x & 0x100 == 0 { -v } else { v };
            if x & 0x200 == 0 {
                assert_eq!(s.remove(v), model.remove(&v));
            } else {
                assert_eq!(s.insert(v), model.insert(v));
            }
            assert_eq!(s.len(), model.len());
        }
        assert!(s.iter().eq(model.iter().copied()));
        for (i, v) in model.iter().enumerate() {
            assert_eq!(s.get(i), *v);
            assert!(s.contains(*v));
        }
        while let Some(&v) = model.iter().next() {
            model.remove(&v);
            s.remove_at(0);
        }
        assert!(s.is_empty());
    }
}
