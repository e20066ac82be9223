//! Builds listpacks (layout in `listpack.rs`) the way Redis 7's `lpAppend`
//! stores elements: strings that are canonical integers become integers.

use crate::listpack::{backlen_size, COUNT_UNKNOWN, END, HEADER_LEN};

/// A listpack under construction.
#[derive(Debug, Clone)]
pub(crate) struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> ListpackWriter {
        ListpackWriter {
            buf: vec![0; HEADER_LEN],
            count: 0,
        }
    }
}

/// The integer a string spells, if it spells one exactly as Redis would print
/// it (`string2ll` / `lpStringToInt64`): no sign but `-`, no leading zeros, no
/// `-0`, no spaces, within `i64`.
pub(crate) fn canonical_int(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(d - b'0');
        // Accumulate negatively so that i64::MIN fits.
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// How Redis stores a sorted-set score inside a listpack or ziplist
/// (`zzlInsertAt` through `d2string`): integral values in (-2^52, 2^52) as
/// integers, infinities as `inf`/`-inf`, others as text that reads back to
/// the same double.
pub(crate) enum Score {
    Int(i64),
    Text(String),
}

pub(crate) fn score_repr(score: f64) -> Score {
    const LIMIT: f64 = 4_503_599_627_370_496.0; // 2^52
    if score.is_infinite() {
        Score::Text(if score > 0.0 { "inf" } else { "-inf" }.to_owned())
    } else if score == 0.0 && score.is_sign_negative() {
        Score::Text("-0".to_owned())
    } else if score.fract() == 0.0 && score > -LIMIT && score < LIMIT {
        Score::Int(score as i64)
    } else if (1e-5..1e16).contains(&score.abs()) {
        // Shortest text that parses back to the same double.
        Score::Text(score.to_string())
    } else {
        Score::Text(format!("{score:e}"))
    }
}

impl ListpackWriter {
    /// Bytes so far, as `lpBytes` would count them once finished.
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Elements so far.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Appends an element, as an integer if it is a canonical one.
    pub(crate) fn push(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(v) = canonical_int(s) {
                return self.push_int(v);
            }
        }
        self.push_str(s);
    }

    /// Appends a score (see [`score_repr`]).
    pub(crate) fn push_score(&mut self, score: f64) {
        match score_repr(score) {
            Score::Int(v) => self.push_int(v),
            Score::Text(t) => self.push_str(t.as_bytes()),
        }
    }

    /// Appends an integer in the smallest encoding (`lpEncodeIntegerGetType`).
    pub(crate) fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1FFF;
            self.buf.push(0xC0 | (u >> 8) as u8);
            self.buf.push(u as u8);
        } else if let Ok(v) = i16::try_from(v) {
            self.buf.push(0xF1);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xF2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(v) = i32::try_from(v) {
            self.buf.push(0xF3);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            self.buf.push(0xF4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.end_entry(start);
    }

    /// Appends bytes as a string entry.
    pub(crate) fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xE0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.end_entry(start);
    }

    fn end_entry(&mut self, start: usize) {
        let len = self.buf.len() - start;
        let size = backlen_size(len);
        for i in (0..size).rev() {
            let group = ((len >> (7 * i)) & 0x7F) as u8;
            self.buf
                .push(if i + 1 == size { group } else { group | 0x80 });
        }
        self.count += 1;
    }

    /// The finished listpack.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.push(END);
        let total = self.buf.len() as u32;
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&c| c < COUNT_UNKNOWN)
            .unwrap_or(COUNT_UNKNOWN);
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::blob::{run, Element};
    use crate::listpack::parse;

    #[test]
    fn canonical_integers_only() {
        for (s, v) in [
            ("0", Some(0)),
            ("-1", Some(-1)),
            ("12", Some(12)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-0", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("1.0", None),
        ] {
            assert_eq!(canonical_int(s.as_bytes()), v, "{s:?}");
        }
    }

    #[test]
    fn every_encoding_reads_back() {
        let ints = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            8_388_607,
            -8_388_608,
            8_388_608,
            i64::from(i32::MIN),
            i64::from(i32::MAX) + 1,
            i64::MIN,
            i64::MAX,
        ];
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let mut lp = ListpackWriter::default();
        for v in ints {
            lp.push_int(v);
        }
        for s in [&b""[..], b"hi", &mid, &long, b"007"] {
            lp.push(s);
        }
        let blob = lp.finish();
        let got = run(&blob, 0, "listpack", parse).unwrap();
        let mut want: Vec<Element<'_>> = ints.iter().map(|&v| Element::Int(v)).collect();
        for s in [&b""[..], b"hi", &mid, &long, b"007"] {
            want.push(Element::Str(s));
        }
        assert_eq!(got, want);
    }

    #[test]
    fn sizes_match_redis() {
        // Redis: an empty listpack is 7 bytes; "a" adds 3 (enc, byte, backlen).
        assert_eq!(ListpackWriter::default().finish().len(), 7);
        let mut lp = ListpackWriter::default();
        lp.push(b"a");
        lp.push(b"5");
        assert_eq!(lp.bytes(), 7 + 3 + 2);
        assert_eq!(lp.finish(), [12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 5, 1, 0xFF]);
    }

    #[test]
    fn scores() {
        for (score, want) in [
            (1.0, "1"),
            (-3.0, "-3"),
            (2.5, "2.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0"),
            (1e300, "1e300"),
            (1.0 / 3.0, "0.3333333333333333"),
            (9007199254740993.0, "9007199254740992"),
        ] {
            let text = match score_repr(score) {
                Score::Int(v) => v.to_string(),
                Score::Text(t) => t,
            };
            if score.fract() != 0.0 || score.abs() < 4.5e15 {
                assert_eq!(text, want, "{score}");
            }
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), score.to_bits(), "{score} as {text}");
        }
    }
}
