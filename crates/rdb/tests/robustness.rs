//! Hostile input: arbitrary or mutated bytes never panic, every truncation of a
//! valid file is an error, and how the input is split into reads never matters.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use ferrodis_rdb::{decode, Decoder, Error, Item};
use proptest::prelude::*;

const FILES: [&str; 9] = [
    "rdb10-zset-ziplist.rdb",
    "rdb9-hash-ziplist.rdb",
    "redis-4.0.9-rdb8-quicklist.rdb",
    "rdb4-encodings.rdb",
    "rdb3-hash-zipmap.rdb",
    "rdb10-lua-script-aux.rdb",
    "rdb10-corrupt-empty-keys.rdb",
    "rdb7-corrupt-ziplist-no-crc.rdb",
    "rdb10-preamble.aof",
];

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Bytes of the RDB part of every fixture that decodes.
fn valid_files() -> Vec<(&'static str, Vec<u8>)> {
    FILES
        .iter()
        .filter(|n| !n.contains("corrupt-ziplist"))
        .map(|&n| {
            let mut bytes = data(n);
            let mut decoder = Decoder::new(&bytes[..]);
            for item in decoder.by_ref() {
                item.unwrap();
            }
            bytes.truncate(decoder.offset() as usize);
            (n, bytes)
        })
        .collect()
}

#[test]
fn every_truncation_is_an_error_naming_an_offset() {
    for (name, bytes) in valid_files() {
        for cut in 0..bytes.len() {
            match decode(&bytes[..cut]) {
                Ok(items) => panic!("{name} cut at {cut} decoded: {items:?}"),
                Err(e) => assert!(e.offset() <= cut as u64, "{name} cut at {cut}: {e}"),
            }
        }
    }
}

#[test]
fn truncation_errors_say_what_was_expected() {
    let bytes = data("rdb4-encodings.rdb");
    let err = decode(&bytes[..30]).unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedEof { offset: 30, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("unexpected end of file at offset 30 while reading "));
}

/// Hands out the input in the chunk sizes given, in a cycle.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn decode_chunked(bytes: &[u8], sizes: Vec<usize>) -> Result<Vec<Item>, Error> {
    Decoder::new(Chunked {
        data: bytes,
        sizes,
        next: 0,
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        header in prop_oneof![Just(&b"REDIS0010"[..]), Just(&b"REDIS0004"[..]), Just(&b"VALKEY080"[..]), Just(&b""[..])],
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&body);
        let _ = decode(&bytes);
    }

    #[test]
    fn mutated_files_never_panic(
        file in 0..FILES.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = data(FILES[file]);
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = decode(&bytes);
        // Decoding with values left packed fails and succeeds alike, with the
        // same values once unpacked (the fuzz entry point checks it).
        let mut framed = vec![0u8];
        framed.extend_from_slice(&bytes);
        ferrodis_rdb::fuzzing::decode(&framed);
    }

    #[test]
    fn read_sizes_do_not_matter(
        file in 0..FILES.len(),
        sizes in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let bytes = data(FILES[file]);
        let whole = decode(&bytes);
        let chunked = decode_chunked(&bytes, sizes);
        prop_assert_eq!(whole, chunked);
    }
}
