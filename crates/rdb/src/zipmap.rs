//! Zipmaps (the small-hash encoding of Redis <= 2.4; `zipmap.c`), parsed with nom.
//!
//! ```text
//! <count u8, 254 = "count it"> (<len> <field> <len> <free u8> <value> <free bytes>)* 0xFF
//! len: 1 byte if < 254, else 0xFE + u32 LE (0xFF where a length is due ends the map)
//! ```
//!
//! Validation is Redis's `zipmapValidateIntegrity` (deep): every entry inside the
//! blob, the last byte the end byte, not empty, a known count matching; and, as
//! the loader's conversion does, no duplicate fields.

use std::collections::HashSet;

use nom::bytes::complete::take;
use nom::number::complete::{le_u32, le_u8};

use crate::blob::{fail, PResult};

/// The end byte.
const END: u8 = 0xFF;
/// Length byte announcing a u32 length; as a count, "count it".
const BIGLEN: u8 = 0xFE;

/// Field-value pairs of a zipmap.
pub(crate) type Pairs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Parses a whole zipmap into its field-value pairs.
pub(crate) fn parse(blob: &[u8]) -> PResult<'_, Pairs<'_>> {
    let start = blob;
    if blob.len() < 2 || blob.last() != Some(&END) {
        return fail(blob, "no end byte");
    }
    let (mut input, count) = le_u8(blob)?;
    let mut pairs = Vec::new();
    let mut seen = HashSet::new();
    while input.first() != Some(&END) {
        let at = input;
        let (rest, field) = length_prefixed(input)?;
        let (rest, value_len) = length(rest)?;
        let (rest, free) = le_u8(rest)?;
        let (rest, value) = take(value_len)(rest)?;
        let (rest, _) = take(usize::from(free))(rest)?;
        if !seen.insert(field) {
            return fail(at, "duplicate field");
        }
        pairs.push((field, value));
        input = rest;
    }
    if pairs.is_empty() {
        return fail(start, "empty zipmap");
    }
    if count != BIGLEN && usize::from(count) != pairs.len() {
        return fail(start, "the header's count differs from the entries");
    }
    Ok((input, pairs))
}

fn length(input: &[u8]) -> PResult<'_, usize> {
    let (rest, first) = le_u8(input)?;
    match first {
        BIGLEN => {
            let (rest, len) = le_u32(rest)?;
            Ok((rest, usize::try_from(len).unwrap_or(usize::MAX)))
        }
        END => fail(input, "end byte where a length is due"),
        len => Ok((rest, usize::from(len))),
    }
}

fn length_prefixed(input: &[u8]) -> PResult<'_, &[u8]> {
    let (rest, len) = length(input)?;
    take(len)(rest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::blob::run;

    fn pairs(blob: &[u8]) -> crate::Result<Pairs<'_>> {
        run(blob, 0, "zipmap", parse)
    }

    #[test]
    fn redis_2_4_zipmap() {
        // hash-zipmap.rdb's blob: {f1: v1, f2: v2}.
        let blob = b"\x02\x02f1\x02\x00v1\x02f2\x02\x00v2\xff";
        assert_eq!(
            pairs(blob).unwrap(),
            vec![(&b"f1"[..], &b"v1"[..]), (&b"f2"[..], &b"v2"[..])]
        );
        // Free bytes after a value are skipped.
        let blob = b"\x01\x01a\x01\x02bzz\xff";
        assert_eq!(pairs(blob).unwrap(), vec![(&b"a"[..], &b"b"[..])]);
        // A big length.
        let blob = b"\xfe\xfe\x01\x00\x00\x00a\x00\x00\xff";
        assert_eq!(pairs(blob).unwrap(), vec![(&b"a"[..], &b""[..])]);
    }

    #[test]
    fn corrupt_zipmaps() {
        assert!(pairs(b"\x00\xff").is_err(), "empty");
        assert!(pairs(b"\x02\x01a\x01\x00b\xff").is_err(), "count");
        assert!(
            pairs(b"\x02\x01a\x01\x00b\x01a\x01\x00c\xff").is_err(),
            "dup"
        );
        assert!(
            pairs(b"\x01\x05a\x01\x00b\xff").is_err(),
            "field past the end"
        );
        assert!(pairs(b"\x01\x01a\x01\x00b").is_err(), "no end");
        assert!(pairs(b"").is_err());
    }
}
