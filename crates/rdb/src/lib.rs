//! Redis RDB files: the byte format of `dump.rdb`, of the RDB preamble of AOF
//! files and of a full resync's payload; a streaming decoder for all of it and
//! a streaming encoder that writes what Redis 6.x to 7.4 load.
//!
//! What it is today:
//! - [`Decoder`]: reads any [`std::io::Read`] (a file, a socket, a `&[u8]`)
//!   record by record, as [`Item`]s: aux fields, SELECTDB, RESIZEDB, slot
//!   info, function libraries, module aux data (opaque), keys with their
//!   expire, LRU idle time or LFU counter, and a [`Value`] in the crate's own
//!   model (usable without any keyspace, serializable with serde). Every
//!   encoding of RDB versions 1 to 12 and Valkey's 80/81 is read: strings
//!   raw/int/LZF; lists linked/ziplist/quicklist/quicklist 2 (plain and packed
//!   nodes); sets plain/intset/listpack; sorted sets with ASCII or binary
//!   scores, ziplist, listpack; hashes plain/zipmap/ziplist/listpack and with
//!   field TTLs (Redis 7.4, Valkey 9); streams v1-v3 with consumer groups and
//!   PELs; `MODULE_2` values as opaque blobs. The CRC-64 is computed while
//!   reading and checked at the end (a stored 0 skips the check, as Redis does).
//! - Hostile input is an error, never a panic: every length is checked before
//!   allocating (buffers grow as bytes arrive), blobs are validated like
//!   Redis's deep sanitization, and each error names its stream offset and what
//!   was expected ("unexpected end of file at offset 1234 while reading a key").
//! - The format written down once ([`magic`], [`opcode`], [`rdb_type`],
//!   [`length`] constants, with the layout in `format.rs`), the 9-byte header
//!   ([`parse_header`], [`write_header`]), the length encoding, and [`crc64`].
//!
//! - [`Encoder`]: writes to any [`std::io::Write`] an RDB of version 9, 10 (the
//!   default: what redis-server 7.0 writes and loads), 11 or 12, record by
//!   record: aux fields (Redis's standard set with [`AuxFields`]), SELECTDB,
//!   RESIZEDB, function libraries, module aux data, keys with expire/LRU/LFU.
//!   Values get the encoding Redis would give them: integer strings as
//!   integers, LZF (own compressor) for strings over 20 bytes when
//!   `compression` is on and it saves 4 bytes, quicklists of listpacks (v9:
//!   ziplists), intsets, listpacks (v9: ziplists) for collections within the
//!   [`EncodingLimits`] (Redis's `*-max-listpack-*` settings), plain encodings
//!   beyond them, streams re-encoded into listpack nodes, module values as the
//!   opaque blobs they were read as. The CRC-64 is computed on the way out (0
//!   with `checksum: false`, as `rdbchecksum no`). [`dump_payload`] makes a
//!   `DUMP`/`RESTORE` payload. Files it writes load into redis-server 7.0 with
//!   deep sanitization (tests/redis_load.rs).
//! - The `ferrodis-rdb` binary (feature `cli`, on by default): `dump` (JSON
//!   lines), `check`, `convert --to-version N`, `stats`.
//!
//! What it is not: a keyspace (values are the crate's own model, see
//! [`Value`]), nor async (no tokio: wrap it in `spawn_blocking`).
//!
//! The checksum is CRC-64/REDIS (Jones polynomial, reflected, init 0, xorout 0)
//! from the `crc` crate. `crc64fast` computes CRC-64/XZ, a different
//! polynomial, and cannot check a file Redis wrote.
//!
//! Reading a file, record by record:
//!
//! ```
//! use ferrodis_rdb::{crc64, opcode, write_header, write_length, Checksum, Decoder, Item, Value};
//!
//! // A tiny file: header, SELECTDB 0, a string key, EOF, checksum.
//! let mut file = Vec::new();
//! write_header(10, &mut file)?;
//! file.extend_from_slice(&[opcode::SELECTDB, 0, 0]); // SELECTDB 0, then type 0 (string)
//! for s in [&b"greeting"[..], b"hello"] {
//!     write_length(s.len() as u64, &mut file);
//!     file.extend_from_slice(s);
//! }
//! file.push(opcode::EOF);
//! let checksum = crc64(0, &file);
//! file.extend_from_slice(&checksum.to_le_bytes());
//!
//! let mut decoder = Decoder::new(&file[..]); // or a File, a TcpStream...
//! assert_eq!(decoder.header()?.version, 10);
//! assert_eq!(decoder.next_item()?, Some(Item::SelectDb { db: 0 }));
//! match decoder.next_item()? {
//!     Some(Item::Key(key)) => {
//!         assert_eq!(&key.key[..], b"greeting");
//!         assert_eq!(key.value, Value::String("hello".into()));
//!         assert_eq!(key.encoding.name(), "raw");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(decoder.next_item()?, Some(Item::Eof { checksum: Checksum::Verified(checksum) }));
//! assert_eq!(decoder.next_item()?, None);
//!
//! // Or all at once, for a file: ferrodis_rdb::decode_file("dump.rdb")?
//! assert_eq!(ferrodis_rdb::decode(&file)?.len(), 3);
//! # Ok::<(), ferrodis_rdb::Error>(())
//! ```
//!
//! Writing one, with Redis's encoding choices:
//!
//! ```
//! use ferrodis_rdb::{AuxFields, Encoder, Encoding, Item, KeyMeta, Options, Value};
//!
//! let options = Options::default(); // version 10, LZF on, CRC-64 on, Redis's limits
//! let mut encoder = Encoder::new(Vec::new(), options)?; // or a BufWriter<File>
//! encoder.aux_fields(&AuxFields::redis_7_0(0))?;
//! encoder.select_db(0)?;
//! encoder.resize_db(2, 1)?;
//! let session = KeyMeta { expire_ms: Some(4_102_444_800_000), ..KeyMeta::default() };
//! let encoding = encoder.key(b"visits", &Value::String("42".into()), session)?;
//! assert_eq!(encoding.name(), "int");
//! let board = Value::SortedSet(vec![("ada".into(), 3.5), ("bob".into(), 9.0)]);
//! assert_eq!(encoder.key(b"board", &board, KeyMeta::default())?, Encoding::ZsetListpack);
//! let file: Vec<u8> = encoder.finish()?;
//!
//! let items = ferrodis_rdb::decode(&file)?;
//! assert!(matches!(&items[7], Item::Key(k) if k.expire_ms == Some(4_102_444_800_000)));
//! # Ok::<(), ferrodis_rdb::Error>(())
//! ```

mod blob;
mod crc;
mod decoder;
mod encode_value;
mod encoder;
mod error;
mod format;
mod header;
mod input;
mod intset;
mod intset_write;
mod item;
mod length_codec;
mod listpack;
mod listpack_write;
mod lzf;
mod lzf_compress;
mod module;
mod objects;
mod packed;
mod stream;
mod stream_write;
mod value;
mod ziplist;
mod ziplist_write;
mod zipmap;

#[doc(hidden)]
pub mod fuzzing;

pub use crate::{
    blob::Element,
    crc::crc64,
    decoder::{decode, decode_file, Decoder},
    encoder::{
        dump_payload, AuxFields, Encoder, EncodingLimits, KeyMeta, Options, ReplicationAux,
        ENCODER_VERSION_MAX, ENCODER_VERSION_MIN,
    },
    error::{Error, Result},
    format::{length, magic, opcode, rdb_type},
    header::{parse_header, write_header, Header, Magic},
    item::{Checksum, Encoding, Item, Key, StringStorage},
    length_codec::{read_length, write_length, Length, StringEncoding},
    module::module_name,
    packed::{Elements, Packed, PackedKind, PackedNode},
    stream::{Consumer, ConsumerGroup, PendingEntry, Stream, StreamEntry, StreamId},
    value::{Bin, HashField, ModuleValue, Value},
};
