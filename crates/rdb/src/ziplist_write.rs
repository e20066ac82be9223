//! Builds ziplists (layout in `ziplist.rs`) for RDB version 9, the way Redis
//! 6's `ziplistPush` stores elements: canonical integers as integers.

use crate::listpack_write::{canonical_int, score_repr, Score};
use crate::ziplist::{END, HEADER_LEN};

/// prevlen's marker of the 5-byte form.
const PREVLEN_BIG: u8 = 0xFE;

/// A ziplist under construction.
#[derive(Debug, Clone)]
pub(crate) struct ZiplistWriter {
    buf: Vec<u8>,
    count: usize,
    /// Offset and size of the last entry.
    last: Option<(usize, usize)>,
}

impl Default for ZiplistWriter {
    fn default() -> ZiplistWriter {
        ZiplistWriter {
            buf: vec![0; HEADER_LEN],
            count: 0,
            last: None,
        }
    }
}

impl ZiplistWriter {
    /// Bytes so far, counting the end byte.
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Elements so far.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Appends an element, as an integer if it is a canonical one
    /// (`zipTryEncoding`: strings under 32 bytes).
    pub(crate) fn push(&mut self, s: &[u8]) {
        match canonical_int(s) {
            Some(v) if s.len() < 32 => self.push_int(v),
            _ => self.push_str(s),
        }
    }

    /// Appends a score (see [`score_repr`]).
    pub(crate) fn push_score(&mut self, score: f64) {
        match score_repr(score) {
            Score::Int(v) => self.push_int(v),
            Score::Text(t) => self.push_str(t.as_bytes()),
        }
    }

    fn start_entry(&mut self) -> usize {
        let start = self.buf.len();
        let prev = self.last.map_or(0, |(_, size)| size);
        if prev < usize::from(PREVLEN_BIG) {
            self.buf.push(prev as u8);
        } else {
            self.buf.push(PREVLEN_BIG);
            self.buf.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        start
    }

    fn end_entry(&mut self, start: usize) {
        self.last = Some((start, self.buf.len() - start));
        self.count += 1;
    }

    /// Appends an integer in the smallest encoding.
    pub(crate) fn push_int(&mut self, v: i64) {
        let start = self.start_entry();
        if (0..=12).contains(&v) {
            self.buf.push(0xF1 + v as u8);
        } else if let Ok(v) = i8::try_from(v) {
            self.buf.push(0xFE);
            self.buf.push(v as u8);
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(0xC0);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(0xD0);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            self.buf.push(0xE0);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.end_entry(start);
    }

    /// Appends bytes as a string entry.
    pub(crate) fn push_str(&mut self, s: &[u8]) {
        let start = self.start_entry();
        let len = s.len();
        if len <= 0x3F {
            self.buf.push(len as u8);
        } else if len <= 0x3FFF {
            self.buf.push(0x40 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(len as u32).to_be_bytes());
        }
        self.buf.extend_from_slice(s);
        self.end_entry(start);
    }

    /// The finished ziplist.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let tail = self.last.map_or(HEADER_LEN, |(start, _)| start);
        self.buf.push(END);
        let total = self.buf.len() as u32;
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&c| c < u16::MAX)
            .unwrap_or(u16::MAX);
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        self.buf[8..10].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::blob::{run, Element};
    use crate::ziplist::parse;

    #[test]
    fn every_encoding_reads_back() {
        let ints = [
            0,
            12,
            13,
            -1,
            -128,
            127,
            128,
            -32768,
            32767,
            8_388_607,
            -8_388_608,
            i64::from(i32::MAX),
            i64::from(i32::MAX) + 1,
            i64::MIN,
        ];
        let big = vec![b'z'; 300];
        let huge = vec![b'h'; 20_000];
        let mut zl = ZiplistWriter::default();
        for v in ints {
            zl.push_int(v);
        }
        // A big entry makes the next prevlen take 5 bytes.
        for s in [&b"x"[..], &big, b"after", &huge, b"", b"00"] {
            zl.push(s);
        }
        let blob = zl.finish();
        let got = run(&blob, 0, "ziplist", parse).unwrap();
        let mut want: Vec<Element<'_>> = ints.iter().map(|&v| Element::Int(v)).collect();
        for s in [&b"x"[..], &big, b"after", &huge, b"", b"00"] {
            want.push(Element::Str(s));
        }
        assert_eq!(got, want);
        let empty = ZiplistWriter::default().finish();
        assert_eq!(empty, [11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF]);
    }
}
