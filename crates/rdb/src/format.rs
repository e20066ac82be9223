//! The RDB byte layout, written down once, and its named constants.
//!
//! ```text
//! An RDB file (rdb.c: rdbSaveRio writes it, rdbLoadRioWithLoadingCtx reads it):
//!
//!   offset 0  magic+version  9 bytes of ASCII:
//!                            "REDIS" + 4 digits   Redis (all versions), Valkey <= 8.x ("REDIS0011")
//!                            "VALKEY" + 3 digits  Valkey >= 9.0 ("VALKEY080", "VALKEY081")
//!   offset 9  records        each starts with one byte, either an opcode (0xF4..=0xFF,
//!                            operands below) or a value type (0..=25) followed by
//!                            <string key> <value in that type's encoding>
//!             0xFF           EOF opcode
//!             8 bytes        CRC-64 (crate::crc64) of every byte before it, magic through
//!                            EOF, little-endian. Only for version >= 5. A stored 0 means
//!                            "saved with rdbchecksum no": the loader does not check it.
//!
//! Opcode operands:
//!   AUX            <string key> <string value>        (version >= 7)
//!   RESIZEDB       <length db size> <length expires size>  (version >= 7)
//!   EXPIRETIME_MS  8-byte ms unix time, little-endian from version 9 (host order before)
//!   EXPIRETIME     4-byte signed seconds unix time (host order; files were written on LE)
//!   SELECTDB       <length db number>
//!   IDLE           <length seconds idle> (LRU)
//!   FREQ           1 byte LFU counter
//!   MODULE_AUX     <length module id> then module data
//!   FUNCTION2      <string library source>
//!   SLOT_INFO      <length slot> <length slot size> <length expires slot size>  (Redis 7.4)
//!
//! Length encoding (rdbSaveLen / rdbLoadLenByRef): the top two bits of the first byte
//!   00xxxxxx                     6-bit length
//!   01xxxxxx yyyyyyyy            14-bit length, big-endian (x high bits, y low byte)
//!   10000000 + 4 bytes           32-bit length, big-endian
//!   10000001 + 8 bytes           64-bit length, big-endian
//!   11xxxxxx                     not a length: a specially encoded string follows;
//!                                xxxxxx = 0 int8, 1 int16 LE, 2 int32 LE, 3 LZF
//!                                (LZF: <length compressed> <length original> <bytes>)
//!   10000010..=10111111          invalid ("Unknown length encoding")
//! ```
//!
//! Numbers come from Redis's `src/rdb.h` (7.0, 7.2, 7.4 branches) and Valkey's
//! `src/rdb.h` (9.x); where the two forks give one number different meanings,
//! both are listed and named after their fork.

/// The magic strings and versions of the 9-byte header.
pub mod magic {
    /// Length of the header: magic plus version digits, for both magics.
    pub const HEADER_LEN: usize = 9;
    /// Redis's magic, followed by 4 ASCII digits (`"REDIS%04d"` in rdbSaveRio).
    pub const REDIS: &[u8; 5] = b"REDIS";
    /// Number of version digits after [`REDIS`].
    pub const REDIS_DIGITS: usize = 4;
    /// Valkey 9's magic, followed by 3 ASCII digits (`"%s%03d"` with prefix
    /// `"VALKEY"` in Valkey's rdbSaveRio, used when the version is above 79).
    pub const VALKEY: &[u8; 6] = b"VALKEY";
    /// Number of version digits after [`VALKEY`].
    pub const VALKEY_DIGITS: usize = 3;

    /// The oldest version Redis still loads (`rdbver < 1` is refused).
    pub const REDIS_VERSION_MIN: u32 = 1;
    /// Version written by Redis 7.0 (`RDB_VERSION` on the 7.0 branch).
    pub const REDIS_7_0_VERSION: u32 = 10;
    /// Version written by Redis 7.2 and Valkey 7.x/8.x.
    pub const REDIS_7_2_VERSION: u32 = 11;
    /// Version written by Redis 7.4 (`RDB_VERSION` on the 7.4 branch).
    pub const REDIS_7_4_VERSION: u32 = 12;
    /// The newest `REDIS` version this crate knows.
    pub const REDIS_VERSION_MAX: u32 = REDIS_7_4_VERSION;
    /// Valkey reserves 12..=79 for foreign formats (`RDB_FOREIGN_VERSION_MAX`);
    /// versions above it are written with the `VALKEY` magic.
    pub const VALKEY_MAGIC_ABOVE: u32 = 79;
    /// Version written by Valkey 9.0.
    pub const VALKEY_9_0_VERSION: u32 = 80;
    /// Version written by Valkey 9.2 (`RDB_VERSION_MAP`: 81 added in 0x090200).
    pub const VALKEY_9_2_VERSION: u32 = 81;
    /// The oldest `VALKEY` version.
    pub const VALKEY_VERSION_MIN: u32 = VALKEY_9_0_VERSION;
    /// The newest `VALKEY` version this crate knows.
    pub const VALKEY_VERSION_MAX: u32 = VALKEY_9_2_VERSION;
    /// The version this crate writes unless told otherwise: the one
    /// redis-server 7.0 loads.
    pub const DEFAULT_VERSION: u32 = REDIS_7_0_VERSION;
    /// From this version on the file ends with a CRC-64 after the EOF opcode.
    pub const CHECKSUM_SINCE_VERSION: u32 = 5;
    /// Length of the checksum trailer.
    pub const CHECKSUM_LEN: usize = 8;
}

/// Opcodes: record bytes that are not value types (`RDB_OPCODE_*`).
pub mod opcode {
    /// Valkey, from the sources with `RDB_VERSION 81`: an inline replication
    /// command during a forkless save (242).
    pub const VALKEY_UPDATE: u8 = 0xF2;
    /// Valkey 9.0: slot import state (`RDB_OPCODE_SLOT_IMPORT`, 243).
    pub const VALKEY_SLOT_IMPORT: u8 = 0xF3;
    /// Redis 7.4: per-slot key counts in cluster mode (244).
    pub const SLOT_INFO: u8 = 0xF4;
    /// A function library (245), Redis 7.0 GA and later.
    pub const FUNCTION2: u8 = 0xF5;
    /// Function libraries of Redis 7.0 release candidates (246); refused on load.
    pub const FUNCTION_PRE_GA: u8 = 0xF6;
    /// Module auxiliary data (247).
    pub const MODULE_AUX: u8 = 0xF7;
    /// LRU idle time of the next key (248).
    pub const IDLE: u8 = 0xF8;
    /// LFU frequency of the next key (249).
    pub const FREQ: u8 = 0xF9;
    /// An aux field: two strings (250).
    pub const AUX: u8 = 0xFA;
    /// Sizes of the selected database's key and expire tables (251).
    pub const RESIZEDB: u8 = 0xFB;
    /// Expire time of the next key in milliseconds (252).
    pub const EXPIRETIME_MS: u8 = 0xFC;
    /// Expire time of the next key in seconds (253), written by old versions.
    pub const EXPIRETIME: u8 = 0xFD;
    /// The database of the following keys (254).
    pub const SELECTDB: u8 = 0xFE;
    /// End of the records; the checksum follows (255).
    pub const EOF: u8 = 0xFF;
}

/// Value types: the byte before a key (`RDB_TYPE_*`).
pub mod rdb_type {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list, element by element.
    pub const LIST: u8 = 1;
    /// A set, member by member.
    pub const SET: u8 = 2;
    /// A sorted set with scores as length-prefixed ASCII doubles.
    pub const ZSET: u8 = 3;
    /// A hash, field by field.
    pub const HASH: u8 = 4;
    /// A sorted set with binary double scores.
    pub const ZSET_2: u8 = 5;
    /// A module value of Redis 4.0 release candidates; refused on load.
    pub const MODULE_PRE_GA: u8 = 6;
    /// A module value with annotations, parseable without the module.
    pub const MODULE_2: u8 = 7;
    /// A small hash as a zipmap (Redis <= 2.4).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist.
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist.
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist.
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists.
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream of listpacks.
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A hash as a listpack (version 10, Redis 7.0).
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack (version 10).
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpacks (version 10).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream, second layout (version 10).
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// A set as a listpack (version 11, Redis 7.2).
    pub const SET_LISTPACK: u8 = 20;
    /// A stream, third layout (version 11).
    pub const STREAM_LISTPACKS_3: u8 = 21;
    /// Redis 7.4 release candidates: hash with field expiries (absolute TTLs); GA still loads it.
    pub const REDIS_HASH_METADATA_PRE_GA: u8 = 22;
    /// Redis 7.4 release candidates: listpack hash with field expiries.
    pub const REDIS_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
    /// Redis 7.4 (version 12): hash with field expiries.
    pub const REDIS_HASH_METADATA: u8 = 24;
    /// Redis 7.4 (version 12): listpack hash with field expiries.
    pub const REDIS_HASH_LISTPACK_EX: u8 = 25;
    /// Valkey 9.0 (version 80): hash with field expiries. Same number as
    /// [`REDIS_HASH_METADATA_PRE_GA`], different layout: decode by magic.
    pub const VALKEY_HASH_2: u8 = 22;
    /// Valkey 9.2 (version 81): path hash. Same number as
    /// [`REDIS_HASH_LISTPACK_EX_PRE_GA`].
    pub const VALKEY_PATH_HASH: u8 = 23;
}

/// The length encoding's bit patterns (`RDB_6BITLEN` and friends).
pub mod length {
    /// Mask of the two type bits of a length's first byte.
    pub const TYPE_MASK: u8 = 0xC0;
    /// Mask of the six value bits of a length's first byte.
    pub const VALUE_MASK: u8 = 0x3F;
    /// Type bits `00`: the length is the low 6 bits.
    pub const BITS6: u8 = 0x00;
    /// Type bits `01`: 6 bits here plus the next byte.
    pub const BITS14: u8 = 0x40;
    /// The whole first byte of a 32-bit big-endian length.
    pub const BITS32: u8 = 0x80;
    /// The whole first byte of a 64-bit big-endian length.
    pub const BITS64: u8 = 0x81;
    /// Type bits `11`: a special string encoding follows, not a length.
    pub const ENCODED: u8 = 0xC0;
    /// Special encoding: an 8-bit signed integer.
    pub const ENC_INT8: u8 = 0;
    /// Special encoding: a 16-bit little-endian signed integer.
    pub const ENC_INT16: u8 = 1;
    /// Special encoding: a 32-bit little-endian signed integer.
    pub const ENC_INT32: u8 = 2;
    /// Special encoding: an LZF-compressed string.
    pub const ENC_LZF: u8 = 3;
    /// Largest length of the 1-byte form.
    pub const MAX_6BIT: u64 = (1 << 6) - 1;
    /// Largest length of the 2-byte form.
    pub const MAX_14BIT: u64 = (1 << 14) - 1;
    /// Largest length of the 5-byte form.
    pub const MAX_32BIT: u64 = u32::MAX as u64;
}

// Invariants the header and record code rely on, checked at compile time.
const _: () = {
    assert!(magic::REDIS.len() + magic::REDIS_DIGITS == magic::HEADER_LEN);
    assert!(magic::VALKEY.len() + magic::VALKEY_DIGITS == magic::HEADER_LEN);
    // Each version belongs to exactly one magic.
    assert!(magic::REDIS_VERSION_MAX <= magic::VALKEY_MAGIC_ABOVE);
    assert!(magic::VALKEY_VERSION_MIN > magic::VALKEY_MAGIC_ABOVE);
    // Value types and opcodes do not overlap.
    assert!(rdb_type::REDIS_HASH_LISTPACK_EX < opcode::VALKEY_UPDATE);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_are_distinct_and_above_every_type() {
        let ops = [
            opcode::VALKEY_UPDATE,
            opcode::VALKEY_SLOT_IMPORT,
            opcode::SLOT_INFO,
            opcode::FUNCTION2,
            opcode::FUNCTION_PRE_GA,
            opcode::MODULE_AUX,
            opcode::IDLE,
            opcode::FREQ,
            opcode::AUX,
            opcode::RESIZEDB,
            opcode::EXPIRETIME_MS,
            opcode::EXPIRETIME,
            opcode::SELECTDB,
            opcode::EOF,
        ];
        // They count down from 0xFF without gaps (rdb.h: "they start from 255 and grow down").
        for (i, op) in ops.iter().rev().enumerate() {
            assert_eq!(usize::from(*op), 0xFF - i);
        }
    }

    #[test]
    fn length_forms_cover_their_bit_widths() {
        assert_eq!(length::MAX_6BIT, u64::from(length::VALUE_MASK));
        assert_eq!(length::MAX_14BIT, 0x3FFF);
        assert_eq!(length::BITS32 & length::TYPE_MASK, 0x80);
        assert_eq!(length::BITS64 & length::TYPE_MASK, 0x80);
    }
}
