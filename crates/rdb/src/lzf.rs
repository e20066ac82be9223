//! LZF decompression (liblzf's format, which Redis uses for strings over 20 bytes).
//!
//! ```text
//! A stream of runs, each starting with a control byte c:
//!   c < 0x20         literal run: the next c + 1 bytes are copied as they are
//!   c >= 0x20        back-reference: n = c >> 5 (1..=7); if n == 7, n += next byte;
//!                    distance = ((c & 0x1f) << 8) + next byte + 1;
//!                    copy n + 2 bytes starting `distance` bytes back in the output
//!                    (the source may overlap the bytes being written: a run)
//! ```
//!
//! No header, no checksum: the RDB record gives both lengths. Written from the
//! format (liblzf's `lzf_d.c` behaviour), without `unsafe` and with every index
//! checked.

/// How much output one input byte can produce at most: a 3-byte back-reference
/// (control, extra length 255, offset) copies 7 + 255 + 2 = 264 bytes.
pub(crate) const MAX_EXPANSION: u64 = 88;

/// Why a compressed buffer cannot be decompressed to the announced length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LzfError {
    /// A run needs more input than there is.
    TruncatedInput,
    /// The output would exceed the announced length.
    OutputOverflow,
    /// A back-reference points before the start of the output.
    BadReference,
    /// The input ended before the output reached the announced length.
    ShortOutput,
}

impl LzfError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            LzfError::TruncatedInput => "a run reaches past the compressed bytes",
            LzfError::OutputOverflow => "the output exceeds the announced length",
            LzfError::BadReference => "a back-reference points before the output's start",
            LzfError::ShortOutput => "the output is shorter than the announced length",
        }
    }
}

/// Decompresses `input` into exactly `out_len` bytes.
///
/// Redis treats any other outcome as "Invalid LZF compressed string".
pub(crate) fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while let Some(&ctrl) = input.get(ip) {
        let ctrl = usize::from(ctrl);
        ip += 1;
        if ctrl < 0x20 {
            let run = ctrl + 1;
            let literal = input.get(ip..ip + run).ok_or(LzfError::TruncatedInput)?;
            if out.len() + run > out_len {
                return Err(LzfError::OutputOverflow);
            }
            out.extend_from_slice(literal);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::TruncatedInput)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(LzfError::TruncatedInput)?);
            ip += 1;
            let distance = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            let start = out
                .len()
                .checked_sub(distance)
                .ok_or(LzfError::BadReference)?;
            if out.len() + len > out_len {
                return Err(LzfError::OutputOverflow);
            }
            if distance >= len {
                // No overlap: one copy.
                out.extend_from_within(start..start + len);
            } else {
                // The source overlaps what is being written: the output repeats
                // with period `distance` from `start`. Copy whole periods of the
                // already-written run, which doubles each time (liblzf copies
                // byte by byte; same bytes, fewer steps).
                let mut copied = 0;
                while copied < len {
                    let periods = (out.len() - start) / distance * distance;
                    let n = periods.min(len - copied);
                    out.extend_from_within(start..start + n);
                    copied += n;
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::ShortOutput);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn literal_and_back_reference() {
        // "abc" as a literal, then 6 bytes copied from distance 3: "abcabcabc".
        let input = [0x02, b'a', b'b', b'c', 0x80, 0x02];
        assert_eq!(decompress(&input, 9).unwrap(), b"abcabcabc");
    }

    #[test]
    fn long_overlapping_run() {
        // "a", then a run of 7 + 255 + 2 = 264 copies of the previous byte.
        let input = [0x00, b'a', 0xE0, 0xFF, 0x00];
        let out = decompress(&input, 265).unwrap();
        assert_eq!(out, vec![b'a'; 265]);
        assert_eq!(265 / input.len() as u64, 53);
        const { assert!(264 / 3 <= MAX_EXPANSION) };
    }

    #[test]
    fn redis_file_sample() {
        // encodings.rdb's "compressible": 130 x 'a', compressed by Redis to
        // 01 61 61 e0 ff 01 e0 4a 01 ... this is the same shape.
        let input = [0x01, b'a', b'a', 0xE0, 0xFF, 0x01, 0xE0, 0x5C, 0x01];
        let out = decompress(&input, 2 + 264 + 7 + 0x5C + 2).unwrap();
        assert!(out.iter().all(|&b| b == b'a'));
    }

    #[test]
    fn errors() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::TruncatedInput));
        assert_eq!(
            decompress(&[0x01, b'a', b'b'], 1),
            Err(LzfError::OutputOverflow)
        );
        assert_eq!(decompress(&[0x20, 0x00], 3), Err(LzfError::BadReference));
        assert_eq!(
            decompress(&[0x00, b'a', 0x20], 4),
            Err(LzfError::TruncatedInput)
        );
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError::ShortOutput));
        assert_eq!(decompress(&[], 0), Ok(Vec::new()));
    }

    /// liblzf's byte-by-byte copy, the reference for overlapping runs.
    fn reference(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut ip = 0;
        while ip < input.len() {
            let ctrl = usize::from(input[ip]);
            ip += 1;
            if ctrl < 32 {
                out.extend_from_slice(input.get(ip..ip + ctrl + 1)?);
                ip += ctrl + 1;
            } else {
                let mut len = ctrl >> 5;
                if len == 7 {
                    len += usize::from(*input.get(ip)?);
                    ip += 1;
                }
                let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(ip)?) + 1;
                ip += 1;
                let r = out.len().checked_sub(back)?;
                for i in r..r + len + 2 {
                    out.push(out[i]);
                }
            }
            if out.len() > out_len {
                return None;
            }
        }
        (out.len() == out_len).then_some(out)
    }

    proptest! {
        #[test]
        fn matches_reference(
            literal in proptest::collection::vec(any::<u8>(), 1..33),
            refs in proptest::collection::vec((0u8..8, any::<u8>(), 0u8..4), 0..8),
        ) {
            let mut input = vec![(literal.len() - 1) as u8];
            input.extend_from_slice(&literal);
            for (len, extra, back) in refs {
                let ctrl = len.max(1) << 5;
                input.push(ctrl);
                if len.max(1) == 7 {
                    input.push(extra);
                }
                input.push(back);
            }
            let want = reference(&input, 100_000).map(|v| v.len());
            if let Some(n) = want {
                prop_assert_eq!(decompress(&input, n).ok(), reference(&input, n));
            }
        }

        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..2000) {
            if let Ok(out) = decompress(&input, len) {
                prop_assert_eq!(out.len(), len);
                prop_assert!(len as u64 <= input.len() as u64 * MAX_EXPANSION);
            }
        }
    }
}
