//! Headers, lengths and checksums of RDB files written by real Redis servers.
#![allow(clippy::unwrap_used)]

use ferrodis_rdb::{
    crc64, magic, opcode, parse_header, read_length, Header, Length, Magic, StringEncoding,
};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (file, version written in its header).
const FILES: [(&str, u32); 3] = [
    ("rdb10-zset-ziplist.rdb", 10),
    ("rdb9-hash-ziplist.rdb", 9),
    ("redis-4.0.9-rdb8-quicklist.rdb", 8),
];

#[test]
fn headers_of_real_files() {
    for (name, version) in FILES {
        let bytes = data(name);
        let header = parse_header(&bytes).unwrap().unwrap();
        assert_eq!(
            header,
            Header {
                magic: Magic::Redis,
                version
            },
            "{name}"
        );
        assert!(header.has_checksum(), "{name}");
        // The first record after the header of these files is an AUX field.
        assert_eq!(bytes[magic::HEADER_LEN], opcode::AUX, "{name}");
    }
}

/// The CRC choice, proven against files Redis wrote: CRC-64/REDIS of every byte
/// before the trailer equals the stored little-endian value.
#[test]
fn checksums_of_real_files() {
    for (name, _) in FILES {
        let bytes = data(name);
        let (body, trailer) = bytes.split_at(bytes.len() - magic::CHECKSUM_LEN);
        assert_eq!(body.last(), Some(&opcode::EOF), "{name}");
        let stored = u64::from_le_bytes(trailer.try_into().unwrap());
        assert_ne!(stored, 0, "{name} was saved with a checksum");
        assert_eq!(crc64(0, body), stored, "{name}");
        // Fed in small pieces, as a streaming reader would.
        let pieced = body.chunks(7).fold(0, crc64);
        assert_eq!(pieced, stored, "{name}");
    }
}

#[test]
fn a_flipped_bit_breaks_the_checksum() {
    let mut bytes = data("rdb10-zset-ziplist.rdb");
    let (body_len, stored) = {
        let (body, trailer) = bytes.split_at(bytes.len() - 8);
        (body.len(), u64::from_le_bytes(trailer.try_into().unwrap()))
    };
    bytes[20] ^= 0x01;
    assert_ne!(crc64(0, &bytes[..body_len]), stored);
}

#[test]
fn first_aux_field_lengths_of_a_real_file() {
    // REDIS0010, AUX, then <len 9> "redis-ver" <len 11> "255.255.255".
    let bytes = data("rdb10-zset-ziplist.rdb");
    let mut pos = magic::HEADER_LEN + 1;
    let (key_len, used) = read_length(&bytes[pos..]).unwrap().unwrap();
    assert_eq!((key_len, used), (Length::Len(9), 1));
    pos += used;
    assert_eq!(&bytes[pos..pos + 9], b"redis-ver");
    pos += 9;
    let (value_len, used) = read_length(&bytes[pos..]).unwrap().unwrap();
    assert_eq!(value_len, Length::Len(11));
    pos += used;
    assert_eq!(&bytes[pos..pos + 11], b"255.255.255");
    pos += 11;
    // Second AUX: "redis-bits" = 64, stored as an int8-encoded string (c0 40).
    assert_eq!(bytes[pos], opcode::AUX);
    pos += 1;
    let (key_len, used) = read_length(&bytes[pos..]).unwrap().unwrap();
    assert_eq!(key_len, Length::Len(10));
    pos += used;
    assert_eq!(&bytes[pos..pos + 10], b"redis-bits");
    pos += 10;
    assert_eq!(
        read_length(&bytes[pos..]).unwrap(),
        Some((Length::Encoded(StringEncoding::Int8), 1))
    );
    assert_eq!(bytes[pos + 1], 64);
}
