//! Entry point of the fuzz target in `fuzz/`; not part of the stable API.
//!
//! Input layout:
//!
//! ```text
//! byte 0        bits 0..3: n, how many chunk-size bytes follow
//! bytes 1..=n   chunk sizes, each byte b meaning b + 1 bytes, used in a cycle
//! rest          the bytes to decode
//! ```
//!
//! Checks that decoding never panics, that feeding the bytes in those chunks
//! decodes exactly as feeding them at once, and that a successful decode
//! consumed no more than the input.

use std::io::Read;

use crate::{Decoder, Item, Result};

/// Decodes `data` (layout above) and checks the invariants, panicking on a
/// violation so that the fuzzer reports it.
pub fn decode(data: &[u8]) {
    let (sizes, payload) = match data.split_first() {
        Some((&first, rest)) => {
            let n = usize::from(first & 0x0f).min(rest.len());
            let (sizes, payload) = rest.split_at(n);
            (
                sizes
                    .iter()
                    .map(|&b| usize::from(b) + 1)
                    .collect::<Vec<_>>(),
                payload,
            )
        }
        None => (Vec::new(), data),
    };
    let mut whole = Decoder::new(payload);
    let at_once: Result<Vec<Item>> = whole.by_ref().collect();
    if at_once.is_ok() {
        assert!(whole.offset() <= payload.len() as u64);
    }
    if sizes.is_empty() {
        return;
    }
    let chunked: Result<Vec<Item>> = Decoder::new(Chunked {
        data: payload,
        sizes,
        next: 0,
    })
    .collect();
    assert_eq!(at_once, chunked, "chunked decoding differs");
}

struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self
            .sizes
            .get(self.next % self.sizes.len().max(1))
            .copied()
            .unwrap_or(1);
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf.get_mut(..n).unwrap_or_default().copy_from_slice(head);
        self.data = rest;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_samples() {
        decode(b"");
        decode(b"\x00REDIS0010\xff");
        decode(b"\x02\x00\x03REDIS0010\xfa\x01a\x01b\xff\x00\x00\x00\x00\x00\x00\x00\x00");
        decode(b"\x01\x00REDIS0004\x00\x01k\xc3\x05\x0a\x00a\xe0\x00\x00\xff");
    }
}
