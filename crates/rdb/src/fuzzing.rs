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

use crate::{Decoder, Item, Result, Value};

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
    let mut packed = Decoder::new(payload);
    packed.keep_packed(true);
    let packed: Result<Vec<Item>> = packed.collect();
    assert_eq!(at_once, packed.map(unpack), "packed decoding differs");
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

/// Items with their packed values unpacked.
pub fn unpack(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .map(|item| match item {
            Item::Key(mut key) => {
                if let Value::Packed(p) = &key.value {
                    key.value = p.unpack();
                }
                Item::Key(key)
            }
            other => other,
        })
        .collect()
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

/// Decodes `data`; every key that decodes to a well-formed value (no
/// duplicate members or fields, stream ids ascending: what Redis itself
/// holds) must encode, in version 12, to bytes that decode again and encode
/// to the very same bytes (the encoder is a function of the value's
/// contents). Panics on a violation.
pub fn round_trip(data: &[u8]) {
    let Ok(items) = Decoder::new(data).collect::<Result<Vec<Item>>>() else {
        return;
    };
    let options = crate::Options {
        version: crate::ENCODER_VERSION_MAX,
        ..crate::Options::default()
    };
    for item in items {
        let Item::Key(key) = item else { continue };
        if !well_formed(&key.value) {
            continue;
        }
        let first = match crate::dump_payload(&key.value, &options) {
            Ok(bytes) => bytes,
            Err(e) => panic!("a decoded value does not encode: {e}: {:?}", key.value),
        };
        let file = single_key_file(&first);
        let again = match crate::decode(&file) {
            Ok(items) => items,
            Err(e) => panic!(
                "the encoder wrote what the decoder refuses: {e}: {:?}",
                key.value
            ),
        };
        let Some(Item::Key(decoded)) = again.into_iter().next() else {
            panic!("the re-encoded key is gone: {:?}", key.value);
        };
        let second = crate::dump_payload(&decoded.value, &options).unwrap_or_default();
        assert_eq!(first, second, "encoding is not stable for {:?}", key.value);
    }
}

/// An RDB file holding the key `k` with a `DUMP` payload's value.
fn single_key_file(payload: &[u8]) -> Vec<u8> {
    let mut file = Vec::new();
    crate::write_header(crate::ENCODER_VERSION_MAX, &mut file).unwrap_or_default();
    let (value, _) = payload.split_at(payload.len().saturating_sub(10));
    if let Some((&kind, body)) = value.split_first() {
        file.extend_from_slice(&[kind, 1, b'k']);
        file.extend_from_slice(body);
    }
    file.push(crate::opcode::EOF);
    file.extend_from_slice(&[0; 8]);
    file
}

fn well_formed(value: &crate::Value) -> bool {
    use crate::Value;
    use std::collections::HashSet;
    fn unique<'a>(mut items: impl Iterator<Item = &'a [u8]>) -> bool {
        let mut seen = HashSet::new();
        items.all(|i| seen.insert(i))
    }
    match value {
        Value::Set(m) => unique(m.iter().map(|b| &b[..])),
        Value::SortedSet(z) => unique(z.iter().map(|(m, _)| &m[..])),
        Value::Hash(h) => unique(h.iter().map(|(f, _)| &f[..])),
        Value::HashWithTtl(h) => unique(h.iter().map(|f| &f.field[..])),
        Value::Stream(s) => s.entries.windows(2).all(|w| w[0].id < w[1].id),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_redis_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                round_trip(&bytes);
                files += 1;
            }
        }
        assert!(files > 5);
        round_trip(b"");
    }

    #[test]
    fn runs_on_samples() {
        decode(b"");
        decode(b"\x00REDIS0010\xff");
        decode(b"\x02\x00\x03REDIS0010\xfa\x01a\x01b\xff\x00\x00\x00\x00\x00\x00\x00\x00");
        decode(b"\x01\x00REDIS0004\x00\x01k\xc3\x05\x0a\x00a\xe0\x00\x00\xff");
    }
}
