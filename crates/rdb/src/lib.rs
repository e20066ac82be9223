//! Redis RDB files: the byte format of `dump.rdb`, of the RDB preamble of AOF
//! files and of a full resync's payload.
//!
//! What it is today: the format written down once ([`magic`], [`opcode`],
//! [`rdb_type`], [`length`] constants, with the layout in the source of
//! `format.rs`), the 9-byte header of Redis (`REDIS0001`..`REDIS0012`) and
//! Valkey 9 (`VALKEY080`, `VALKEY081`) files, the length encoding, and
//! [`crc64`], the CRC-64 Redis stores after the EOF opcode. All of it works on
//! `&[u8]`; "need more bytes" is `Ok(None)`, never an error or a panic.
//!
//! What it is not (yet): a reader or writer of records and values (strings,
//! LZF, listpacks, ziplists, intsets, streams, modules). No I/O and no tokio.
//!
//! The checksum is CRC-64/REDIS (Jones polynomial, reflected, init 0, xorout 0)
//! from the `crc` crate. `crc64fast` computes CRC-64/XZ, a different
//! polynomial, and cannot check a file Redis wrote.
//!
//! The smallest file redis-server loads: a header, EOF, and the checksum.
//!
//! ```
//! use ferrodis_rdb::{crc64, opcode, parse_header, write_header, Magic};
//!
//! let mut file = Vec::new();
//! write_header(10, &mut file)?;
//! file.push(opcode::EOF);
//! let checksum = crc64(0, &file);
//! file.extend_from_slice(&checksum.to_le_bytes());
//! assert_eq!(file.len(), 18);
//!
//! let header = parse_header(&file)?.expect("9 bytes are there");
//! assert_eq!((header.magic, header.version), (Magic::Redis, 10));
//! assert_eq!(parse_header(&file[..4])?, None); // a prefix: need more bytes
//!
//! let (body, trailer) = file.split_at(file.len() - 8);
//! assert_eq!(crc64(0, body).to_le_bytes(), trailer);
//! # Ok::<(), ferrodis_rdb::Error>(())
//! ```

mod blob;
mod crc;
mod decoder;
mod error;
mod format;
mod header;
mod input;
mod intset;
mod item;
mod length_codec;
mod listpack;
mod lzf;
mod module;
mod objects;
mod stream;
mod value;
mod ziplist;
mod zipmap;

pub use crate::{
    crc::crc64,
    decoder::{decode, decode_file, Decoder},
    error::{Error, Result},
    format::{length, magic, opcode, rdb_type},
    header::{parse_header, write_header, Header, Magic},
    item::{Checksum, Encoding, Item, Key, StringStorage},
    length_codec::{read_length, write_length, Length, StringEncoding},
    module::module_name,
    stream::{Consumer, ConsumerGroup, PendingEntry, Stream, StreamEntry, StreamId},
    value::{Bin, HashField, ModuleValue, Value},
};
