//! The records a [`Decoder`](crate::Decoder) yields, one at a time.

use bytes::Bytes;
use serde::Serialize;

use crate::format::rdb_type;
use crate::header::Magic;
use crate::value::{bin, Value};

/// One record of an RDB file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Item {
    /// An aux field (`redis-ver`, `ctime`, `repl-id`, `lua`, ...).
    Aux {
        /// Its name.
        #[serde(serialize_with = "bin")]
        key: Bytes,
        /// Its value.
        #[serde(serialize_with = "bin")]
        value: Bytes,
    },
    /// The database of the keys that follow.
    SelectDb {
        /// Its number.
        db: u64,
    },
    /// Sizes of the selected database's tables (a hint).
    ResizeDb {
        /// Keys in the database.
        db_size: u64,
        /// Keys with an expire.
        expires_size: u64,
    },
    /// Redis 7.4 cluster mode: key counts of one slot (a hint).
    SlotInfo {
        /// The slot.
        slot: u64,
        /// Keys in it.
        slot_size: u64,
        /// Keys with an expire in it.
        expires_slot_size: u64,
    },
    /// A function library (`FUNCTION2`): its source, shebang line included.
    Function {
        /// The library code.
        #[serde(serialize_with = "bin")]
        code: Bytes,
    },
    /// A function library as Redis 7.0 release candidates wrote it (Redis GA
    /// refuses these; they are decoded for inspection).
    FunctionPreGa {
        /// Library name.
        #[serde(serialize_with = "bin")]
        name: Bytes,
        /// Engine name (`LUA`).
        #[serde(serialize_with = "bin")]
        engine: Bytes,
        /// Description, if one was given.
        description: Option<String>,
        /// Library code.
        #[serde(serialize_with = "bin")]
        code: Bytes,
    },
    /// Module data outside the keyspace, kept opaque.
    ModuleAux {
        /// Module type id.
        module_id: u64,
        /// The 9-character type name the id encodes.
        name: String,
        /// When it was written: 1 before the keys, 2 after.
        when: u64,
        /// The module's opcodes, up to and including the module EOF opcode.
        #[serde(serialize_with = "bin")]
        raw: Bytes,
    },
    /// A key and its value.
    Key(Key),
    /// The end of the file, with what became of the checksum.
    Eof {
        /// The checksum's verdict.
        checksum: Checksum,
    },
}

/// What the end of the file said about the checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    /// The stored CRC-64 matched the computed one.
    Verified(u64),
    /// A stored 0: saved with `rdbchecksum no`, not checked (as Redis does).
    Disabled,
    /// RDB < 5 has no checksum.
    Absent,
}

/// A decoded key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Key {
    /// Database number (the last SELECTDB; 0 before any).
    pub db: u64,
    /// The key.
    #[serde(serialize_with = "bin")]
    pub key: Bytes,
    /// Absolute expiry in Unix milliseconds (EXPIRETIME seconds are converted).
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (`IDLE` opcode).
    pub lru_idle: Option<u64>,
    /// LFU counter (`FREQ` opcode).
    pub lfu_freq: Option<u8>,
    /// The value.
    #[serde(flatten)]
    pub value: Value,
    /// How the value was stored.
    pub encoding: Encoding,
}

/// How a value was stored: the record's type byte, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encoding {
    /// A string, raw, integer or LZF (see [`StringStorage`]).
    String(StringStorage),
    /// List as a sequence of strings (type 1).
    LinkedList,
    /// Set as a sequence of strings (2).
    HashtableSet,
    /// Sorted set with ASCII scores (3).
    SkiplistAsciiScores,
    /// Hash as a sequence of strings (4).
    HashtableHash,
    /// Sorted set with binary scores (5).
    Skiplist,
    /// Module value (7).
    Module,
    /// Hash as a zipmap (9).
    Zipmap,
    /// List as one ziplist (10).
    ListZiplist,
    /// Set as an intset (11).
    Intset,
    /// Sorted set as a ziplist (12).
    ZsetZiplist,
    /// Hash as a ziplist (13).
    HashZiplist,
    /// List as a quicklist of ziplists (14).
    Quicklist,
    /// Stream, first layout (15).
    StreamListpacks,
    /// Hash as a listpack (16).
    HashListpack,
    /// Sorted set as a listpack (17).
    ZsetListpack,
    /// List as a quicklist of listpacks (18).
    Quicklist2,
    /// Stream, second layout (19).
    StreamListpacks2,
    /// Set as a listpack (20).
    SetListpack,
    /// Stream, third layout (21).
    StreamListpacks3,
    /// Redis 7.4 RC hash with field TTLs (22 under `REDIS`).
    HashMetadataPreGa,
    /// Redis 7.4 RC listpack hash with field TTLs (23 under `REDIS`).
    HashListpackExPreGa,
    /// Redis 7.4 hash with field TTLs (24).
    HashMetadata,
    /// Redis 7.4 listpack hash with field TTLs (25).
    HashListpackEx,
    /// Valkey 9 hash with field TTLs (22 under `VALKEY`).
    ValkeyHash2,
}

/// How a string value was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StringStorage {
    /// Length-prefixed bytes.
    Raw,
    /// An integer in 1, 2 or 4 bytes.
    Int,
    /// LZF-compressed.
    Lzf,
}

impl Encoding {
    /// The encoding of a value-type byte, read in a file with `magic`
    /// (`None` for bytes that are not value types: opcodes, 8, above 25).
    pub fn from_type(byte: u8, magic: Magic) -> Option<Encoding> {
        use rdb_type as t;
        Some(match byte {
            t::STRING => Encoding::String(StringStorage::Raw),
            t::LIST => Encoding::LinkedList,
            t::SET => Encoding::HashtableSet,
            t::ZSET => Encoding::SkiplistAsciiScores,
            t::HASH => Encoding::HashtableHash,
            t::ZSET_2 => Encoding::Skiplist,
            t::MODULE_2 => Encoding::Module,
            t::HASH_ZIPMAP => Encoding::Zipmap,
            t::LIST_ZIPLIST => Encoding::ListZiplist,
            t::SET_INTSET => Encoding::Intset,
            t::ZSET_ZIPLIST => Encoding::ZsetZiplist,
            t::HASH_ZIPLIST => Encoding::HashZiplist,
            t::LIST_QUICKLIST => Encoding::Quicklist,
            t::STREAM_LISTPACKS => Encoding::StreamListpacks,
            t::HASH_LISTPACK => Encoding::HashListpack,
            t::ZSET_LISTPACK => Encoding::ZsetListpack,
            t::LIST_QUICKLIST_2 => Encoding::Quicklist2,
            t::STREAM_LISTPACKS_2 => Encoding::StreamListpacks2,
            t::SET_LISTPACK => Encoding::SetListpack,
            t::STREAM_LISTPACKS_3 => Encoding::StreamListpacks3,
            22 if magic == Magic::Valkey => Encoding::ValkeyHash2,
            t::REDIS_HASH_METADATA_PRE_GA => Encoding::HashMetadataPreGa,
            t::REDIS_HASH_LISTPACK_EX_PRE_GA if magic == Magic::Redis => {
                Encoding::HashListpackExPreGa
            }
            t::REDIS_HASH_METADATA if magic == Magic::Redis => Encoding::HashMetadata,
            t::REDIS_HASH_LISTPACK_EX if magic == Magic::Redis => Encoding::HashListpackEx,
            _ => return None,
        })
    }

    /// The name `OBJECT ENCODING` would give a value freshly loaded from this
    /// record by Redis 7.x (before any conversion for size thresholds), or the
    /// storage name where Redis converts on load.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::String(StringStorage::Raw) => "raw",
            Encoding::String(StringStorage::Int) => "int",
            Encoding::String(StringStorage::Lzf) => "lzf",
            Encoding::LinkedList => "linkedlist",
            Encoding::HashtableSet | Encoding::HashtableHash => "hashtable",
            Encoding::SkiplistAsciiScores | Encoding::Skiplist => "skiplist",
            Encoding::Module => "module",
            Encoding::Zipmap => "zipmap",
            Encoding::ListZiplist | Encoding::ZsetZiplist | Encoding::HashZiplist => "ziplist",
            Encoding::Intset => "intset",
            Encoding::Quicklist => "quicklist",
            Encoding::Quicklist2 => "quicklist2",
            Encoding::StreamListpacks | Encoding::StreamListpacks2 | Encoding::StreamListpacks3 => {
                "stream"
            }
            Encoding::HashListpack | Encoding::ZsetListpack | Encoding::SetListpack => "listpack",
            Encoding::HashMetadataPreGa | Encoding::HashMetadata | Encoding::ValkeyHash2 => {
                "hashtable-ttl"
            }
            Encoding::HashListpackExPreGa | Encoding::HashListpackEx => "listpackex",
        }
    }
}
