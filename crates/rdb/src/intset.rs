//! Intsets (`intset.c`: a sorted array of integers of one width), parsed with nom.
//!
//! ```text
//! <encoding u32 LE: 2, 4 or 8 bytes per integer> <length u32 LE> <integers, LE, ascending>
//! ```
//!
//! Validation is Redis's deep `intsetValidateIntegrity`: a known width, a size
//! that is exactly header + length x width, not empty, strictly ascending (so
//! no duplicates).

use nom::multi::count;
use nom::number::complete::{le_i16, le_i32, le_i64, le_u32};

use crate::blob::{fail, PResult};

/// Size of the header.
const HEADER_LEN: usize = 8;

/// Parses a whole intset into its integers.
pub(crate) fn parse(blob: &[u8]) -> PResult<'_, Vec<i64>> {
    let start = blob;
    let (input, width) = le_u32(blob)?;
    let (input, len) = le_u32(input)?;
    let width = match width {
        2 | 4 | 8 => width as usize,
        _ => return fail(start, "unknown integer width"),
    };
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len
        .checked_mul(width)
        .and_then(|n| n.checked_add(HEADER_LEN))
        != Some(start.len())
    {
        return fail(start, "the size differs from header + length x width");
    }
    if len == 0 {
        return fail(start, "empty intset");
    }
    // `count` pre-allocates `len`, which the size check above bounds by the blob.
    let (rest, values) = match width {
        2 => count(nom::combinator::map(le_i16, i64::from), len)(input)?,
        4 => count(nom::combinator::map(le_i32, i64::from), len)(input)?,
        _ => count(le_i64, len)(input)?,
    };
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return fail(input, "integers out of order or duplicated");
    }
    Ok((rest, values))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::blob::run;

    fn build(width: u32, values: &[i64]) -> Vec<u8> {
        let mut out = width.to_le_bytes().to_vec();
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values {
            out.extend_from_slice(&v.to_le_bytes()[..width as usize]);
        }
        out
    }

    fn values(blob: &[u8]) -> crate::Result<Vec<i64>> {
        run(blob, 0, "intset", parse)
    }

    #[test]
    fn each_width() {
        assert_eq!(values(&build(2, &[-3, 1, 2])).unwrap(), vec![-3, 1, 2]);
        assert_eq!(
            values(&build(4, &[100000, 400000])).unwrap(),
            vec![100000, 400000]
        );
        assert_eq!(
            values(&build(8, &[1_000_000_000, 6_000_000_000])).unwrap(),
            vec![1_000_000_000, 6_000_000_000]
        );
    }

    #[test]
    fn corrupt_intsets() {
        assert!(values(&build(3, &[1])).is_err());
        assert!(values(&build(2, &[])).is_err());
        assert!(values(&build(2, &[2, 1])).is_err());
        assert!(values(&build(2, &[1, 1])).is_err());
        let mut short = build(4, &[1, 2]);
        short.pop();
        assert!(values(&short).is_err());
        // A claimed 4 G entries in a 12-byte blob.
        let mut huge = build(2, &[1, 2]);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(values(&huge).is_err());
        assert!(values(&[]).is_err());
    }
}
