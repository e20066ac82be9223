//! The compact encoding of a small sorted set (OBJECT ENCODING `listpack`): one
//! contiguous buffer of (member, score) entries sorted by score, then member.
//!
//! Like Redis's listpack, every operation is a linear scan, which is fast for the
//! few entries (`zset-max-listpack-entries`, 128) and short members
//! (`zset-max-listpack-value`, 64 bytes) this encoding is used for; past either
//! limit the set converts to [`super::large::Large`].
//!
//! Layout of one entry:
//!
//! ```text
//! member length   LEB128, 1 byte below 128
//! member bytes
//! score           one tag byte, then its payload:
//!                   0x00..=0xF7  the integer tag - 16 (-16..=231), no payload
//!                   0xF8         i16, little-endian
//!                   0xF9         i32, little-endian
//!                   0xFA         f64 bits, little-endian
//! ```
//!
//! Scores that are integers take the integer forms, as Redis stores them as
//! listpack integers; like Redis (`zzlInsertAt()` via `double2ll()`), that turns a
//! score of -0 into 0.

use std::ops::Range;

/// Tags below this are small integers.
const TAG_I16: u8 = 0xF8;
const TAG_I32: u8 = 0xF9;
const TAG_F64: u8 = 0xFA;
/// Small integers are stored as `value + SMALL_BIAS` in the tag byte.
const SMALL_BIAS: i64 = 16;
/// The longest encoded score: tag + f64.
const MAX_SCORE_LEN: usize = 9;
/// The longest LEB128 length of a `u32`... or of a `usize` up to 2^35.
const MAX_VARINT_LEN: usize = 5;

/// A sorted set in one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Listpack {
    buf: Vec<u8>,
    len: usize,
}

/// One decoded entry and where it lies in the buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry<'a> {
    pub(crate) member: &'a [u8],
    pub(crate) score: f64,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The entries in order.
#[derive(Debug, Clone)]
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let entry = decode(self.buf, self.pos)?;
        self.pos = entry.end;
        Some(entry)
    }
}

/// Reads the entry at `pos`; `None` at the end of the buffer.
fn decode(buf: &[u8], pos: usize) -> Option<Entry<'_>> {
    let (member, mut at) = member_at(buf, pos)?;
    let tag = *buf.get(at)?;
    at += 1;
    let (score, payload) = match tag {
        TAG_I16 => (f64::from(i16::from_le_bytes(array(buf, at)?)), 2),
        TAG_I32 => (f64::from(i32::from_le_bytes(array(buf, at)?)), 4),
        TAG_F64 => (f64::from_le_bytes(array(buf, at)?), 8),
        small => ((i64::from(small) - SMALL_BIAS) as f64, 0),
    };
    Some(Entry {
        member,
        score,
        start: pos,
        end: at + payload,
    })
}

/// The member of the entry at `pos` and where its score's tag byte is.
fn member_at(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let mut at = pos;
    let mut len = 0usize;
    for shift in (0..MAX_VARINT_LEN * 7).step_by(7) {
        let b = *buf.get(at)?;
        at += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    Some((buf.get(at..at + len)?, at + len))
}

fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at + N)?.try_into().ok()
}

/// The score's encoding into `out`; returns its length.
fn encode_score(score: f64, out: &mut [u8; MAX_SCORE_LEN]) -> usize {
    // Integral and in range: exact as an integer (a cast saturates, so check back).
    let int = score as i64;
    if int as f64 == score && score.is_finite() {
        if (-SMALL_BIAS..=i64::from(TAG_I16) - 1 - SMALL_BIAS).contains(&int) {
            out[0] = (int + SMALL_BIAS) as u8;
            return 1;
        }
        if let Ok(v) = i16::try_from(int) {
            out[0] = TAG_I16;
            out[1..3].copy_from_slice(&v.to_le_bytes());
            return 3;
        }
        if let Ok(v) = i32::try_from(int) {
            out[0] = TAG_I32;
            out[1..5].copy_from_slice(&v.to_le_bytes());
            return 5;
        }
    }
    out[0] = TAG_F64;
    out[1..9].copy_from_slice(&score.to_le_bytes());
    9
}

/// The LEB128 form of `len` into `out`; returns its length.
fn encode_len(mut len: usize, out: &mut [u8; MAX_VARINT_LEN]) -> usize {
    let mut n = 0;
    loop {
        let low = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 || n == MAX_VARINT_LEN - 1 {
            out[n] = low;
            return n + 1;
        }
        out[n] = low | 0x80;
        n += 1;
    }
}

/// Whether (score, member) sorts before (other_score, other_member).
fn before(score: f64, member: &[u8], other_score: f64, other_member: &[u8]) -> bool {
    score < other_score || (score == other_score && member < other_member)
}

impl Listpack {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes of the buffer.
    #[cfg(test)]
    pub(crate) fn byte_len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// The entry of `member` and its rank.
    pub(crate) fn find(&self, member: &[u8]) -> Option<(usize, Entry<'_>)> {
        self.iter().enumerate().find(|(_, e)| e.member == member)
    }

    /// The entry at `rank`.
    pub(crate) fn get(&self, rank: usize) -> Option<Entry<'_>> {
        self.iter().nth(rank)
    }

    /// Number of leading entries for which `pred` holds.
    pub(crate) fn count_while(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        self.iter().take_while(|e| pred(e.member, e.score)).count()
    }

    /// Inserts a member that is not in the set yet, in order.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) {
        let at = self
            .iter()
            .find(|e| before(score, member, e.score, e.member))
            .map_or(self.buf.len(), |e| e.start);
        self.insert_at(at, member, score);
    }

    /// Makes room for about `additional` more bytes at once (loading), so that
    /// the exact-size growth of inserts does not reallocate per entry; see
    /// [`Listpack::fit`].
    pub(crate) fn reserve_exact(&mut self, additional: usize) {
        self.buf.reserve_exact(additional);
    }

    /// Gives back any spare capacity: the buffer ends exactly sized.
    pub(crate) fn fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Loading in order: appends `member` if it sorts after the entry that
    /// starts at `last` (the previous append; `None` for an empty listpack)
    /// and, when `maybe_present`, a scan of the members does not find it.
    /// Returns where the new entry starts, or `None` with nothing changed.
    pub(crate) fn append_in_order(
        &mut self,
        last: Option<usize>,
        member: &[u8],
        score: f64,
        maybe_present: bool,
    ) -> Option<usize> {
        match last {
            None if !self.buf.is_empty() => return None,
            None => {}
            Some(at) => {
                let e = decode(&self.buf, at)?;
                if e.end != self.buf.len() || !before(e.score, e.member, score, member) {
                    return None;
                }
            }
        }
        if maybe_present && self.iter().any(|e| e.member == member) {
            return None;
        }
        let start = self.buf.len();
        self.push(member, score);
        Some(start)
    }

    /// Appends an entry that sorts after every other one.
    pub(crate) fn push(&mut self, member: &[u8], score: f64) {
        let mut len_buf = [0u8; MAX_VARINT_LEN];
        let mut score_buf = [0u8; MAX_SCORE_LEN];
        let len_len = encode_len(member.len(), &mut len_buf);
        let score_len = encode_score(score, &mut score_buf);
        // Grow exactly, as `insert_at` does, unless room was reserved ahead.
        self.buf.reserve_exact(len_len + member.len() + score_len);
        self.buf.extend_from_slice(&len_buf[..len_len]);
        self.buf.extend_from_slice(member);
        self.buf.extend_from_slice(&score_buf[..score_len]);
        self.len += 1;
    }

    fn insert_at(&mut self, at: usize, member: &[u8], score: f64) {
        let mut len_buf = [0u8; MAX_VARINT_LEN];
        let mut score_buf = [0u8; MAX_SCORE_LEN];
        let len_len = encode_len(member.len(), &mut len_buf);
        let score_len = encode_score(score, &mut score_buf);
        let n = len_len + member.len() + score_len;
        let old = self.buf.len();
        // Grow exactly, as Redis reallocates a listpack to its new size.
        self.buf.reserve_exact(n);
        self.buf.resize(old + n, 0);
        self.buf.copy_within(at..old, at + n);
        let slot = &mut self.buf[at..at + n];
        slot[..len_len].copy_from_slice(&len_buf[..len_len]);
        slot[len_len..len_len + member.len()].copy_from_slice(member);
        slot[len_len + member.len()..].copy_from_slice(&score_buf[..score_len]);
        self.len += 1;
    }

    /// Removes the entries in the byte range `bytes`, which hold `count` entries.
    pub(crate) fn remove_bytes(&mut self, bytes: Range<usize>, count: usize) {
        self.buf.drain(bytes);
        self.len -= count;
        // Give back memory once a quarter of the buffer is unused.
        if self.buf.capacity() - self.buf.len() > self.buf.len() / 4 + 16 {
            self.buf.shrink_to_fit();
        }
    }

    /// Removes `member`; false if it was not there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self.find(member) {
            Some((_, e)) => {
                self.remove_bytes(e.start..e.end, 1);
                true
            }
            None => false,
        }
    }

    /// Removes the entries of ranks `ranks`; returns how many there were.
    pub(crate) fn remove_ranks(&mut self, ranks: Range<usize>) -> usize {
        let mut start = None;
        let mut end = 0;
        let mut count = 0;
        for e in self.iter().skip(ranks.start).take(ranks.len()) {
            start.get_or_insert(e.start);
            end = e.end;
            count += 1;
        }
        if let Some(start) = start {
            self.remove_bytes(start..end, count);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(lp: &Listpack) -> Vec<(Vec<u8>, f64)> {
        lp.iter().map(|e| (e.member.to_vec(), e.score)).collect()
    }

    #[test]
    fn scores_round_trip_in_every_form() {
        let scores = [
            0.0,
            -16.0,
            231.0,
            232.0,
            -17.0,
            32767.0,
            -32768.0,
            32768.0,
            2147483647.0,
            -2147483648.0,
            2147483648.0,
            0.5,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-320,
            9007199254740993.0,
        ];
        let mut lp = Listpack::default();
        for (i, s) in scores.iter().enumerate() {
            lp.insert(format!("m{i}").as_bytes(), *s);
        }
        let mut got: Vec<f64> = lp.iter().map(|e| e.score).collect();
        let mut want = scores.to_vec();
        want.sort_by(|a, b| a.total_cmp(b));
        got.sort_by(|a, b| a.total_cmp(b));
        assert_eq!(got, want);
        assert_eq!(lp.len(), scores.len());
    }

    #[test]
    fn small_integers_take_one_byte() {
        let mut lp = Listpack::default();
        lp.insert(b"abc", 5.0);
        assert_eq!(lp.byte_len(), 1 + 3 + 1);
        lp.insert(b"x", 0.25);
        assert_eq!(lp.byte_len(), 5 + 1 + 1 + 9);
    }

    #[test]
    fn negative_zero_becomes_zero_like_redis() {
        let mut lp = Listpack::default();
        lp.insert(b"a", -0.0);
        assert!(lp
            .iter()
            .all(|e| e.score == 0.0 && e.score.is_sign_positive()));
    }

    #[test]
    fn order_is_score_then_member() {
        let mut lp = Listpack::default();
        for (m, s) in [("b", 1.0), ("a", 1.0), ("c", 0.0), ("aa", 1.0), ("z", -1.0)] {
            lp.insert(m.as_bytes(), s);
        }
        let names: Vec<Vec<u8>> = entries(&lp).into_iter().map(|(m, _)| m).collect();
        assert_eq!(names, [&b"z"[..], b"c", b"a", b"aa", b"b"]);
        assert_eq!(lp.find(b"aa").map(|(r, e)| (r, e.score)), Some((3, 1.0)));
        assert_eq!(lp.count_while(|_, s| s < 1.0), 2);
        assert!(lp.remove(b"a"));
        assert!(!lp.remove(b"a"));
        assert_eq!(lp.remove_ranks(1..3), 2);
        let names: Vec<Vec<u8>> = entries(&lp).into_iter().map(|(m, _)| m).collect();
        assert_eq!(names, [&b"z"[..], b"b"]);
        assert_eq!(lp.len(), 2);
    }

    #[test]
    fn long_members_use_multi_byte_lengths() {
        let mut lp = Listpack::default();
        let long = vec![b'x'; 300];
        lp.insert(&long, 1.0);
        lp.insert(b"a", 2.0);
        assert_eq!(lp.get(0).map(|e| e.member.len()), Some(300));
        assert_eq!(lp.get(1).map(|e| e.member), Some(&b"a"[..]));
        assert_eq!(lp.byte_len(), 2 + 300 + 1 + 1 + 1 + 1);
    }
}
