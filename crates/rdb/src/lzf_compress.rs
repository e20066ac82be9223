//! LZF compression, producing what liblzf's `lzf_decompress` (Redis's `lzf_d.c`)
//! and this crate's `lzf.rs` read back (format in `lzf.rs`).
//!
//! The algorithm is the classic one-pass LZ77 of liblzf: a hash table maps each
//! 3-byte sequence to its last position; a hit within 8 KiB whose bytes really
//! match becomes a back-reference of up to 264 bytes, anything else goes into
//! literal runs of up to 32 bytes. Written from the format, in safe Rust.
//!
//! The table is kept between calls (a [`Compressor`] is reused for every
//! string of a file) and never cleared: positions are stored relative to a
//! running base, so entries left by earlier inputs are recognisably stale.
//! Zeroing 64 KiB per string would cost more than compressing a short one.

/// Longest literal run one control byte announces.
const MAX_LITERAL: usize = 32;
/// Longest back-reference: 7 + 255 extra + 2.
const MAX_REF: usize = 264;
/// Farthest back a reference reaches (13 bits of distance - 1).
const MAX_DISTANCE: usize = 1 << 13;
/// Hash table size, log2 (liblzf uses 13..16; 14 keeps the table in L2).
const HLOG: u32 = 14;

/// A reusable LZF compressor.
#[derive(Debug, Clone)]
pub(crate) struct Compressor {
    /// Per hash, `base + position` of the last sequence seen (0: none).
    table: Vec<u32>,
    /// Added to positions of the current input; grows by each input's length.
    base: u32,
    /// The output, reused from call to call.
    out: Vec<u8>,
}

impl Default for Compressor {
    fn default() -> Compressor {
        Compressor {
            table: vec![0; 1 << HLOG],
            base: 1,
            out: Vec::new(),
        }
    }
}

fn hash(bytes: [u8; 3]) -> usize {
    let v = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

impl Compressor {
    /// Compresses `input` into at most `limit` bytes, or returns `None` if the
    /// output would be longer (as `lzf_compress` returns 0 when its output
    /// buffer is too small; Redis then stores the string verbatim).
    pub(crate) fn compress(&mut self, input: &[u8], limit: usize) -> Option<&[u8]> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let fits = self.compress_into(input, limit, &mut out);
        self.out = out;
        fits.then_some(&self.out[..])
    }

    fn compress_into(&mut self, input: &[u8], limit: usize, out: &mut Vec<u8>) -> bool {
        let n = input.len();
        if n == 0 {
            return true;
        }
        // Positions are u32 offsets from `base`: start over before they wrap.
        let Ok(needed) = u32::try_from(n) else {
            return false;
        };
        if self.base.checked_add(needed).is_none() {
            self.table.iter_mut().for_each(|e| *e = 0);
            self.base = 1;
        }
        let base = self.base;
        self.base += needed;

        out.reserve(limit.min(n + n / 32 + 1));
        let mut lit_start = 0usize;
        let mut ip = 0usize;
        while ip + 2 < n {
            let seq = [input[ip], input[ip + 1], input[ip + 2]];
            let slot = &mut self.table[hash(seq)];
            let prev = *slot;
            *slot = base + ip as u32;
            // A usable reference: from this input, within reach, same 3 bytes.
            let candidate = prev
                .checked_sub(base)
                .map(|p| p as usize)
                .filter(|&p| p < ip && ip - p <= MAX_DISTANCE)
                .filter(|&p| input[p..p + 3] == seq);
            let Some(reference) = candidate else {
                ip += 1;
                continue;
            };
            // Extend the match as far as allowed.
            let max = MAX_REF.min(n - ip);
            let mut len = 3;
            while len < max && input[reference + len] == input[ip + len] {
                len += 1;
            }
            flush_literals(&input[lit_start..ip], out);
            let distance = ip - reference - 1;
            let stored_len = len - 2;
            if stored_len < 7 {
                out.push(((stored_len as u8) << 5) | (distance >> 8) as u8);
            } else {
                out.push((7 << 5) | (distance >> 8) as u8);
                out.push((stored_len - 7) as u8);
            }
            out.push(distance as u8);
            if out.len() > limit {
                return false;
            }
            // Index the positions inside the match too (liblzf does the same
            // for its last two; all of them finds more matches later on).
            let end = ip + len;
            let mut p = ip + 1;
            while p < end && p + 2 < n {
                let seq = [input[p], input[p + 1], input[p + 2]];
                self.table[hash(seq)] = base + p as u32;
                p += 1;
            }
            ip = end;
            lit_start = ip;
        }
        flush_literals(&input[lit_start..], out);
        out.len() <= limit
    }
}

/// Appends `bytes` as literal runs of at most 32 bytes each.
fn flush_literals(bytes: &[u8], out: &mut Vec<u8>) {
    for run in bytes.chunks(MAX_LITERAL) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lzf::decompress;
    use proptest::prelude::*;

    fn round_trip(c: &mut Compressor, input: &[u8]) -> usize {
        let packed = c.compress(input, usize::MAX).unwrap();
        assert_eq!(decompress(packed, input.len()).unwrap(), input);
        packed.len()
    }

    #[test]
    fn repetitive_input_shrinks() {
        let mut c = Compressor::default();
        let input = b"abcdefgh".repeat(2000);
        let size = round_trip(&mut c, &input);
        assert!(size < input.len() / 50, "{size}");
        // Long runs of one byte: overlapping references.
        let size = round_trip(&mut c, &[b'a'; 10_000]);
        assert!(size < 200, "{size}");
    }

    #[test]
    fn limits_and_edges() {
        let mut c = Compressor::default();
        assert_eq!(c.compress(b"", 0), Some(&[][..]));
        // Incompressible input does not fit in len - 4.
        let mut seed = 7u64;
        let noise: Vec<u8> = (0..1000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 33) as u8
            })
            .collect();
        assert_eq!(c.compress(&noise, noise.len() - 4), None);
        assert_eq!(round_trip(&mut c, b"ab"), 3);
        assert_eq!(round_trip(&mut c, b"abc"), 4);
        // Literal runs split at 32.
        let packed = c.compress(&noise[..40], usize::MAX).unwrap();
        assert_eq!(packed[0], 31);
        assert_eq!(decompress(packed, 40).unwrap(), &noise[..40]);
    }

    #[test]
    fn stale_entries_from_earlier_inputs_are_ignored() {
        let mut c = Compressor::default();
        round_trip(&mut c, &b"xyz".repeat(100));
        // Same hashes, different input: references must not point into it.
        round_trip(&mut c, b"xyzxyz-different-tail-xyz");
        c.base = u32::MAX - 10;
        round_trip(&mut c, &b"wrap around ".repeat(10));
        assert!(c.base < 1000);
    }

    #[test]
    fn references_reach_8k_back_and_no_further() {
        let mut c = Compressor::default();
        let block: Vec<u8> = (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        let mut input = block.clone();
        input.extend_from_slice(&block);
        let size = round_trip(&mut c, &input);
        assert!(size < block.len() + block.len() / 20, "{size}");
    }

    proptest! {
        #[test]
        fn decompresses_to_the_input(
            parts in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..40), 1usize..30), 0..20)
        ) {
            let mut input = Vec::new();
            for (bytes, times) in parts {
                for _ in 0..times {
                    input.extend_from_slice(&bytes);
                }
            }
            let mut c = Compressor::default();
            let packed = c.compress(&input, usize::MAX).unwrap().to_vec();
            prop_assert_eq!(decompress(&packed, input.len()).unwrap(), input.clone());
            let limit = input.len().saturating_sub(4);
            if let Some(limited) = c.compress(&input, limit).filter(|_| input.len() > 4) {
                prop_assert!(limited.len() + 4 <= input.len());
                prop_assert_eq!(decompress(limited, input.len()).unwrap(), input);
            }
        }
    }
}
