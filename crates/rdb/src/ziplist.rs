//! Ziplists (the compact encoding of Redis < 7.0; `ziplist.c`), parsed with nom.
//!
//! ```text
//! <zlbytes u32 LE> <zltail u32 LE: offset of the last entry> <zllen u16 LE, 65535 = "count it">
//! <entry>* 0xFF
//! entry = <prevlen> <encoding> <data>
//!   prevlen: the previous entry's size; 1 byte if < 254, else 0xFE + u32 LE
//!   00xxxxxx                       string, 6-bit length
//!   01xxxxxx yyyyyyyy              string, 14-bit length, big-endian
//!   10xxxxxx + 4 bytes             string, 32-bit length, big-endian
//!   11000000 / 11010000 / 11100000 int16 / int32 / int64, LE
//!   11110000                       int24, LE
//!   11111110                       int8
//!   1111xxxx (0001..=1101)         immediate 0..=12 (xxxx - 1)
//! ```
//!
//! Validation is Redis's deep `ziplistValidateIntegrity`: header size, end byte,
//! every entry inside the blob, each prevlen equal to the previous entry's size,
//! zltail pointing at the last entry, and a known count matching.

use nom::bytes::complete::take;
use nom::number::complete::{be_u32, le_i16, le_i32, le_i64, le_u16, le_u32, le_u8};

use crate::blob::{capacity, fail, Element, PResult};

/// Size of the header.
pub(crate) const HEADER_LEN: usize = 10;
/// The end byte.
pub(crate) const END: u8 = 0xFF;
/// prevlen's marker of the 5-byte form.
const PREVLEN_BIG: u8 = 0xFE;

/// Parses a whole ziplist into its elements.
pub(crate) fn parse(blob: &[u8]) -> PResult<'_, Vec<Element<'_>>> {
    let start = blob;
    if blob.len() < HEADER_LEN + 1 {
        return fail(blob, "shorter than a ziplist header and end byte");
    }
    let (input, zlbytes) = le_u32(blob)?;
    if usize::try_from(zlbytes).ok() != Some(start.len()) {
        return fail(start, "the header's size differs from the blob's length");
    }
    let (input, zltail) = le_u32(input)?;
    let zltail = usize::try_from(zltail).unwrap_or(usize::MAX);
    if zltail > start.len() - 1 {
        return fail(start, "the tail offset points past the end");
    }
    let (mut input, count) = le_u16(input)?;
    let mut elements = Vec::with_capacity(capacity(usize::from(count), start.len(), 2));
    let mut prev_size = 0usize;
    let mut last_entry = None;
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
                let entry_start = input;
                let (rest, (prevlen, element)) = entry(input)?;
                if prevlen != prev_size {
                    return fail(
                        entry_start,
                        "prevlen differs from the previous entry's size",
                    );
                }
                prev_size = entry_start.len() - rest.len();
                last_entry = Some(start.len() - entry_start.len());
                elements.push(element);
                input = rest;
            }
        }
    }
    if let Some(last) = last_entry {
        if last != zltail {
            return fail(start, "the tail offset does not point at the last entry");
        }
    }
    if count != u16::MAX && usize::from(count) != elements.len() {
        return fail(start, "the header's entry count differs from the entries");
    }
    Ok((&input[input.len()..], elements))
}

/// One entry: its prevlen and element.
fn entry(input: &[u8]) -> PResult<'_, (usize, Element<'_>)> {
    let (input, first) = le_u8(input)?;
    let (input, prevlen) = match first {
        PREVLEN_BIG => {
            let (input, len) = le_u32(input)?;
            (input, usize::try_from(len).unwrap_or(usize::MAX))
        }
        END => return fail(input, "prevlen byte 0xff"),
        small => (input, usize::from(small)),
    };
    let at = input;
    let (input, enc) = le_u8(input)?;
    let (input, element) = match enc >> 6 {
        0 => string(input, usize::from(enc & 0x3F))?,
        1 => {
            let (input, low) = le_u8(input)?;
            string(input, (usize::from(enc & 0x3F) << 8) | usize::from(low))?
        }
        2 => {
            let (input, len) = be_u32(input)?;
            match usize::try_from(len) {
                Ok(len) => string(input, len)?,
                Err(_) => return fail(at, "string length does not fit in memory"),
            }
        }
        _ => match enc {
            0xC0 => le_i16(input).map(|(i, v)| (i, Element::Int(i64::from(v))))?,
            0xD0 => le_i32(input).map(|(i, v)| (i, Element::Int(i64::from(v))))?,
            0xE0 => le_i64(input).map(|(i, v)| (i, Element::Int(v)))?,
            0xF0 => {
                let (input, b) = take(3usize)(input)?;
                let raw = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                (input, Element::Int(i64::from(raw)))
            }
            0xFE => {
                let (input, v) = le_u8(input)?;
                (input, Element::Int(i64::from(v as i8)))
            }
            0xF1..=0xFD => (input, Element::Int(i64::from(enc & 0x0F) - 1)),
            _ => return fail(at, "unknown entry encoding"),
        },
    };
    Ok((input, (prevlen, element)))
}

fn string(input: &[u8], len: usize) -> PResult<'_, Element<'_>> {
    let (input, s) = take(len)(input)?;
    Ok((input, Element::Str(s)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::blob::run;

    /// Builds a ziplist from encoded entries (encoding + data each).
    pub(crate) fn build(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER_LEN;
        for e in entries {
            tail = HEADER_LEN + body.len();
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(PREVLEN_BIG);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            body.extend_from_slice(e);
            prev = body.len() - start;
        }
        let total = (HEADER_LEN + body.len() + 1) as u32;
        let mut zl = total.to_le_bytes().to_vec();
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(END);
        zl
    }

    fn elements(zl: &[u8]) -> crate::Result<Vec<Element<'_>>> {
        run(zl, 0, "ziplist", parse)
    }

    #[test]
    fn every_encoding() {
        let long = vec![b'y'; 300];
        let mut e14 = vec![0x41, 0x2C];
        e14.extend_from_slice(&long);
        let zl = build(&[
            b"\x02hi",
            &e14,
            &[0x80, 0, 0, 0, 1, b'z'],
            &[0xC0, 0x00, 0x80],
            &[0xD0, 0xA0, 0x86, 0x01, 0x00],
            &[0xE0, 0x00, 0xBC, 0xA0, 0x65, 0x01, 0, 0, 0],
            &[0xF0, 0xFF, 0xFF, 0xFF],
            &[0xFE, 0x80],
            &[0xF1],
            &[0xFD],
        ]);
        assert_eq!(
            elements(&zl).unwrap(),
            vec![
                Element::Str(b"hi"),
                Element::Str(&long),
                Element::Str(b"z"),
                Element::Int(-32768),
                Element::Int(100000),
                Element::Int(6000000000),
                Element::Int(-1),
                Element::Int(-128),
                Element::Int(0),
                Element::Int(12),
            ]
        );
    }

    #[test]
    fn corrupt_ziplists() {
        let good = build(&[b"\x02hi", &[0xF2]]);
        assert_eq!(elements(&good).unwrap().len(), 2);
        // corrupt_ziplist.rdb's blob.
        assert!(elements(b"xxxxx").is_err());
        let mut bad = good.clone();
        bad[4] = 0; // zltail no longer at the last entry
        assert!(elements(&bad).is_err());
        let mut bad = good.clone();
        bad[8] = 3; // count
        assert!(elements(&bad).is_err());
        let mut bad = good.clone();
        bad[HEADER_LEN + 4] = 9; // second entry's prevlen
        assert!(elements(&bad).is_err());
        let mut bad = good.clone();
        bad[HEADER_LEN + 1] = 0x3F; // string past the end
        assert!(elements(&bad).is_err());
        let mut bad = good;
        bad[HEADER_LEN + 5] = 0xC5; // unknown encoding
        assert!(elements(&bad).is_err());
        assert!(elements(&build(&[])).unwrap().is_empty());
    }
}
