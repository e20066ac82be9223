//! A pre-7.0 single-file AOF with an RDB preamble, as Redis's tests ship it.
#![allow(clippy::unwrap_used)]

use ferrodis_rdb::{crc64, opcode, parse_header, Header, Magic};

/// Bytes of the preamble: 108 bytes of records, EOF, then the 8-byte CRC.
const PREAMBLE_LEN: usize = 117;

fn fixture() -> Vec<u8> {
    let path = format!(
        "{}/tests/data/legacy-rdb-preamble-rdb10.aof",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn starts_with_an_rdb_header() {
    let bytes = fixture();
    assert_eq!(
        parse_header(&bytes).unwrap(),
        Some(Header {
            magic: Magic::Redis,
            version: 10
        })
    );
}

#[test]
fn preamble_checksum_then_resp_tail() {
    let bytes = fixture();
    let (preamble, tail) = bytes.split_at(PREAMBLE_LEN);
    let (records, trailer) = preamble.split_at(PREAMBLE_LEN - 8);
    assert_eq!(records.last(), Some(&opcode::EOF));
    assert_eq!(
        crc64(0, records),
        u64::from_le_bytes(trailer.try_into().unwrap())
    );
    assert_eq!(
        tail,
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$2\r\nk3\r\n$2\r\nv3\r\n"
    );
}
