//! What the parsers of in-memory blobs (listpack, ziplist, intset, zipmap) share:
//! the element they yield and the nom error that carries a position.
//!
//! Those blobs arrive whole (an RDB string holds each one), which is the case
//! nom's complete parsers are made for; the record-level decoder, which must
//! stream, is hand-written (see `input.rs`).

use bytes::Bytes;
use nom::error::{ErrorKind, ParseError};
use nom::IResult;

use crate::{Error, Result};

/// One element of a listpack or ziplist: both store small integers as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element<'a> {
    /// Bytes, a sub-slice of the blob.
    Str(&'a [u8]),
    /// An integer, which Redis hands out as its decimal text.
    Int(i64),
}

impl Element<'_> {
    /// The element as Redis sees it: the bytes, or the integer's decimal text.
    /// Strings share the blob's allocation.
    pub(crate) fn to_bytes(self, blob: &Bytes) -> Bytes {
        match self {
            Element::Str(s) => blob.slice_ref(s),
            Element::Int(i) => Bytes::from(i.to_string()),
        }
    }

    /// The element as an integer, if it is one or is the text of one (Redis's
    /// `lpGetIntegerIfValid` accepts both).
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Element::Int(i) => Some(i),
            Element::Str(s) => std::str::from_utf8(s).ok()?.parse().ok(),
        }
    }

    /// The element as a sorted-set score (Redis's `zzlGetScore`: integers as
    /// they are, strings through `strtod`).
    pub fn as_score(self) -> Option<f64> {
        match self {
            Element::Int(i) => Some(i as f64),
            Element::Str(s) => parse_double(s),
        }
    }
}

/// Parses a double the way Redis's `strtod`/`%lg` calls accept what Redis
/// writes: decimal and exponent forms, `inf`, `-inf`, `nan`.
pub(crate) fn parse_double(s: &[u8]) -> Option<f64> {
    if let Some(v) = short_decimal(s) {
        return Some(v);
    }
    std::str::from_utf8(s).ok()?.trim_start().parse().ok()
}

/// Powers of ten a double holds exactly.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The common case of scores in listpacks, `[-]digits[.digits]` with at most
/// 15 digits, without the general parser: the digits make an integer below
/// 2^53 and the point a power of ten below 10^16, both exact as doubles, so
/// one division rounds correctly, to the very double the full parser gives
/// (Clinger's fast path). Anything else is `None`.
fn short_decimal(s: &[u8]) -> Option<f64> {
    let (negative, body) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, s),
    };
    if body.len() > 16 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut digits = 0usize;
    let mut point = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(body.len() - 1 - i),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    let value = mantissa as f64 / POW10[point.unwrap_or(0)];
    Some(if negative { -value } else { value })
}

/// A parse failure: where (the unparsed rest of the blob) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlobError<'a> {
    /// The input from the failing position on.
    pub(crate) input: &'a [u8],
    /// What was wrong there.
    pub(crate) what: &'static str,
}

impl<'a> ParseError<&'a [u8]> for BlobError<'a> {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        let what = match kind {
            ErrorKind::Eof | ErrorKind::Complete => "an entry reaches past the end",
            _ => "malformed entry",
        };
        BlobError { input, what }
    }

    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// What the blob parsers return.
pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, BlobError<'a>>;

/// A failure at `input` that no alternative can recover from.
pub(crate) fn fail<'a, T>(input: &'a [u8], what: &'static str) -> PResult<'a, T> {
    Err(nom::Err::Failure(BlobError { input, what }))
}

/// Runs `parser` over a whole blob that starts at stream offset `base`, turning
/// a failure into [`Error::Corrupt`] naming the byte's stream offset and `kind`.
pub(crate) fn run<'a, T>(
    blob: &'a [u8],
    base: u64,
    kind: &str,
    parser: impl FnOnce(&'a [u8]) -> PResult<'a, T>,
) -> Result<T> {
    match parser(blob) {
        Ok((_, value)) => Ok(value),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            let at = blob.len().saturating_sub(e.input.len()) as u64;
            Err(Error::corrupt(
                base.saturating_add(at),
                format!("invalid {kind}: {} (byte {at} of {})", e.what, blob.len()),
            ))
        }
        Err(nom::Err::Incomplete(_)) => Err(Error::corrupt(
            base,
            format!("invalid {kind}: truncated (length {})", blob.len()),
        )),
    }
}

/// A capacity for `claimed` elements that a blob of `len` bytes can really
/// hold, when each takes at least `min_size` bytes.
pub(crate) fn capacity(claimed: usize, len: usize, min_size: usize) -> usize {
    claimed.min(len / min_size.max(1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn elements_as_redis_sees_them() {
        let blob = Bytes::from_static(b"xx12yy");
        let s = Element::Str(&blob[2..4]);
        assert_eq!(s.to_bytes(&blob), Bytes::from_static(b"12"));
        assert_eq!(s.as_i64(), Some(12));
        assert_eq!(Element::Int(-7).to_bytes(&blob), Bytes::from_static(b"-7"));
        assert_eq!(Element::Str(b"1.5").as_score(), Some(1.5));
        assert_eq!(Element::Str(b"inf").as_score(), Some(f64::INFINITY));
        assert_eq!(Element::Str(b"-inf").as_score(), Some(f64::NEG_INFINITY));
        assert!(Element::Str(b"x").as_score().is_none());
        assert_eq!(Element::Str(b"x").as_i64(), None);
    }

    proptest::proptest! {
        #[test]
        fn decimals_parse_like_the_full_parser(text in "-?[0-9]{0,17}(\\.[0-9]{0,17})?") {
            let full: Option<f64> = text.parse().ok();
            proptest::prop_assert_eq!(
                parse_double(text.as_bytes()).map(f64::to_bits),
                full.map(f64::to_bits)
            );
        }
    }

    #[test]
    fn short_decimals_parse_like_the_full_parser() {
        let cases = [
            "0",
            "-0",
            "3.5",
            "-3.5",
            "0.1",
            "0.3",
            "123456789012345",
            "1.23456789012345",
            "99999999999999.9",
            "5.",
            ".5",
            "-.5",
            "1e5",
            "+1",
            " 1",
            "1.2.3",
            "",
            "-",
            ".",
            "1234567890123456",
            "0.000000000000001",
            "inf",
            "nan",
        ];
        for case in cases {
            let full: Option<f64> = case.trim_start().parse().ok();
            let got = parse_double(case.as_bytes());
            assert_eq!(
                got.map(f64::to_bits),
                full.map(f64::to_bits),
                "{case:?}: {got:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_stream_offset() {
        let blob = [1u8, 2, 3];
        let err = run(&blob, 100, "listpack", |i| fail::<()>(&i[2..], "bad")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "corrupt rdb at offset 102: invalid listpack: bad (byte 2 of 3)"
        );
    }
}
