//! Listpacks (Redis >= 7.0's compact encoding; `listpack.c`), parsed with nom.
//!
//! ```text
//! <total bytes u32 LE> <element count u16 LE, 65535 = "count it"> <entry>* 0xFF
//! entry = <encoding + data> <backlen>
//!   0xxxxxxx                      7-bit unsigned integer
//!   10xxxxxx <bytes>              string, 6-bit length
//!   110xxxxx yyyyyyyy             13-bit signed integer (x high bits)
//!   1110xxxx yyyyyyyy <bytes>     string, 12-bit length (x high bits)
//!   11110000 <u32 LE> <bytes>     string, 32-bit length
//!   11110001 / 0010 / 0011 / 0100 16 / 24 / 32 / 64-bit signed integer, LE
//!   11111111                      end of the listpack (not an entry)
//! backlen: the length of <encoding + data> in 1..=5 bytes, 7 bits each, read
//!   backwards: the last byte holds the low 7 bits, bit 7 set on all but the
//!   first byte. Its size follows from the length (lpEncodeBacklen).
//! ```
//!
//! Validation is Redis's deep `lpValidateIntegrity`: the header size equals the
//! blob's, every entry lies inside it with a backlen that matches, the end byte
//! is the last byte, and a known count equals the entries found.

use nom::bytes::complete::take;
use nom::number::complete::{le_i16, le_i32, le_i64, le_u16, le_u32, le_u8};

use crate::blob::{capacity, fail, Element, PResult};

/// Size of the header: total bytes and element count.
pub(crate) const HEADER_LEN: usize = 6;
/// The end byte.
pub(crate) const END: u8 = 0xFF;
/// Element count meaning "too many to count in the header".
pub(crate) const COUNT_UNKNOWN: u16 = u16::MAX;

/// Parses a whole listpack into its elements.
pub(crate) fn parse(blob: &[u8]) -> PResult<'_, Vec<Element<'_>>> {
    let claimed = blob
        .get(4..6)
        .map_or(0, |c| usize::from(u16::from_le_bytes([c[0], c[1]])));
    let mut elements = Vec::with_capacity(capacity(claimed, blob.len(), 2));
    let (rest, _) = walk(blob, |e| elements.push(e))?;
    Ok((rest, elements))
}

/// Checks a whole listpack as [`parse`] does, handing each element to `each`
/// instead of collecting them; returns how many there are.
pub(crate) fn walk<'a>(blob: &'a [u8], mut each: impl FnMut(Element<'a>)) -> PResult<'a, usize> {
    let start = blob;
    if blob.len() < HEADER_LEN + 1 {
        return fail(blob, "shorter than a listpack header and end byte");
    }
    let (input, total) = le_u32(blob)?;
    if usize::try_from(total).ok() != Some(start.len()) {
        return fail(start, "the header's size differs from the blob's length");
    }
    let (mut input, count) = le_u16(input)?;
    let mut found = 0usize;
    loop {
        match input.first() {
            None => return fail(input, "no end byte"),
            Some(&END) => {
                if input.len() != 1 {
                    return fail(input, "the end byte is not the last byte");
                }
                break;
            }
            Some(_) => {
                let (rest, element) = entry(input)?;
                each(element);
                found += 1;
                input = rest;
            }
        }
    }
    if count != COUNT_UNKNOWN && usize::from(count) != found {
        return fail(start, "the header's element count differs from the entries");
    }
    Ok((&input[input.len()..], found))
}

/// The elements of a listpack [`walk`] has accepted, one at a time, without
/// allocating. On a listpack it would refuse, it stops at the first bad entry.
#[derive(Debug, Clone)]
pub(crate) struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Entries<'a> {
    pub(crate) fn new(blob: &'a [u8]) -> Entries<'a> {
        Entries {
            rest: blob.get(HEADER_LEN..).unwrap_or_default(),
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        if self.rest.first().is_none_or(|&b| b == END) {
            return None;
        }
        match entry(self.rest) {
            Ok((rest, element)) => {
                self.rest = rest;
                Some(element)
            }
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

/// One entry, its backlen checked.
#[inline]
fn entry(input: &[u8]) -> PResult<'_, Element<'_>> {
    // The usual entries first: a 7-bit integer or a string under 64 bytes, whose
    // one-byte backlen is simply their size (under 128).
    match input.first() {
        Some(&b) if b < 0x80 && input.get(1) == Some(&1) => {
            return Ok((&input[2..], Element::Int(i64::from(b))));
        }
        Some(&b) if b & 0xC0 == 0x80 => {
            let used = 1 + usize::from(b & 0x3F);
            if input
                .get(used)
                .is_some_and(|&back| usize::from(back) == used)
            {
                return Ok((&input[used + 1..], Element::Str(&input[1..used])));
            }
        }
        _ => {}
    }
    let entry_start = input;
    let (input, element) = encoded(input)?;
    let used = entry_start.len() - input.len();
    let size = backlen_size(used);
    let (input, back) = take(size)(input)?;
    if decode_backlen(back) != Some(used as u64) {
        return fail(back, "backlen differs from the entry's length");
    }
    Ok((input, element))
}

/// The encoding byte and the data it announces.
fn encoded(input: &[u8]) -> PResult<'_, Element<'_>> {
    let at = input;
    let (input, first) = le_u8(input)?;
    match first {
        0x00..=0x7F => Ok((input, Element::Int(i64::from(first)))),
        0x80..=0xBF => string(input, usize::from(first & 0x3F)),
        0xC0..=0xDF => {
            let (input, low) = le_u8(input)?;
            let raw = (i64::from(first & 0x1F) << 8) | i64::from(low);
            // Two's complement on 13 bits.
            let value = if raw >= 1 << 12 { raw - (1 << 13) } else { raw };
            Ok((input, Element::Int(value)))
        }
        0xE0..=0xEF => {
            let (input, low) = le_u8(input)?;
            string(input, (usize::from(first & 0x0F) << 8) | usize::from(low))
        }
        0xF0 => {
            let (input, len) = le_u32(input)?;
            match usize::try_from(len) {
                Ok(len) => string(input, len),
                Err(_) => fail(at, "string length does not fit in memory"),
            }
        }
        0xF1 => le_i16(input).map(|(i, v)| (i, Element::Int(i64::from(v)))),
        0xF2 => {
            let (input, b) = take(3usize)(input)?;
            let raw = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
            Ok((input, Element::Int(i64::from(raw))))
        }
        0xF3 => le_i32(input).map(|(i, v)| (i, Element::Int(i64::from(v)))),
        0xF4 => le_i64(input).map(|(i, v)| (i, Element::Int(v))),
        _ => fail(at, "unknown entry encoding"),
    }
}

fn string(input: &[u8], len: usize) -> PResult<'_, Element<'_>> {
    let (input, s) = take(len)(input)?;
    Ok((input, Element::Str(s)))
}

/// How many bytes `lpEncodeBacklen` uses for an entry of `len` bytes.
pub(crate) fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Reads a backlen written forwards in `bytes` (first byte = most significant
/// group, as `lpEncodeBacklen` lays it out).
fn decode_backlen(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate() {
        // Every byte but the first has the continuation bit set.
        if (i == 0) == (b & 0x80 != 0) {
            return None;
        }
        value = (value << 7) | u64::from(b & 0x7F);
    }
    Some(value)
}

/// Appends `len` as a backlen (for tests and, later, the encoder).
#[cfg(test)]
pub(crate) fn encode_backlen(len: usize, out: &mut Vec<u8>) {
    let size = backlen_size(len);
    for i in (0..size).rev() {
        let group = ((len >> (7 * i)) & 0x7F) as u8;
        out.push(if i + 1 == size { group } else { group | 0x80 });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::blob::run;

    /// Builds a listpack from already-encoded entries (encoding + data each).
    pub(crate) fn build(entries: &[&[u8]], count: Option<u16>) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            body.extend_from_slice(e);
            encode_backlen(e.len(), &mut body);
        }
        let total = (HEADER_LEN + body.len() + 1) as u32;
        let mut lp = total.to_le_bytes().to_vec();
        lp.extend_from_slice(&count.unwrap_or(entries.len() as u16).to_le_bytes());
        lp.extend_from_slice(&body);
        lp.push(END);
        lp
    }

    fn elements(lp: &[u8]) -> crate::Result<Vec<Element<'_>>> {
        run(lp, 0, "listpack", parse)
    }

    #[test]
    fn every_encoding() {
        let long = vec![b'x'; 100];
        let mut e12 = vec![0xE0, 100];
        e12.extend_from_slice(&long);
        let mut e32 = vec![0xF0, 3, 0, 0, 0];
        e32.extend_from_slice(b"abc");
        let lp = build(
            &[
                &[0x05],
                b"\x82hi",
                &[0xDF, 0xFF],
                &[0xC0 | 0x0F, 0xFF],
                &e12,
                &e32,
                &[0xF1, 0x00, 0x80],
                &[0xF2, 0xFF, 0xFF, 0x7F],
                &[0xF3, 0x00, 0x00, 0x00, 0x80],
                &[0xF4, 1, 0, 0, 0, 0, 0, 0, 0],
            ],
            None,
        );
        let got = elements(&lp).unwrap();
        assert_eq!(
            got,
            vec![
                Element::Int(5),
                Element::Str(b"hi"),
                Element::Int(-1),
                Element::Int(4095),
                Element::Str(&long),
                Element::Str(b"abc"),
                Element::Int(-32768),
                Element::Int(8388607),
                Element::Int(i64::from(i32::MIN)),
                Element::Int(1),
            ]
        );
    }

    #[test]
    fn backlen_forms() {
        for len in [
            0usize, 1, 127, 128, 16382, 16383, 2097150, 2097151, 268435455,
        ] {
            let mut out = Vec::new();
            encode_backlen(len, &mut out);
            assert_eq!(out.len(), backlen_size(len), "{len}");
            assert_eq!(decode_backlen(&out), Some(len as u64), "{len}");
        }
    }

    #[test]
    fn unknown_count_and_empty() {
        assert_eq!(
            elements(&build(&[&[1], &[2]], Some(u16::MAX)))
                .unwrap()
                .len(),
            2
        );
        assert!(elements(&build(&[], None)).unwrap().is_empty());
    }

    #[test]
    fn corrupt_listpacks() {
        let good = build(&[b"\x82hi", &[7]], None);
        assert!(elements(&good).is_ok());
        // Wrong total size.
        let mut bad = good.clone();
        bad[0] += 1;
        assert!(elements(&bad).is_err());
        // Wrong count.
        let bad = build(&[b"\x82hi"], Some(2));
        assert!(elements(&bad).is_err());
        // Wrong backlen.
        let mut bad = good.clone();
        bad[HEADER_LEN + 3] = 9;
        assert!(elements(&bad).is_err());
        // A string longer than the blob.
        let bad = build(&[b"\x8fhi"], None);
        let err = elements(&bad).unwrap_err().to_string();
        assert!(err.contains("invalid listpack"), "{err}");
        // Unknown encoding, missing end byte, bytes after the end.
        assert!(elements(&build(&[&[0xF5]], None)).is_err());
        let mut bad = good.clone();
        bad.pop();
        assert!(elements(&bad).is_err());
        assert!(elements(&[7, 0, 0, 0, 0, 0, 0xFF]).is_ok());
        assert!(elements(&[8, 0, 0, 0, 0, 0, 0xFF, 0]).is_err());
        assert!(elements(&[]).is_err());
    }
}
