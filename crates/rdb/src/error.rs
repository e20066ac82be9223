//! The crate's one error type.

use crate::header::Magic;

/// Everything that can be wrong with RDB bytes.
///
/// Offsets are byte positions in the slice handed to the function that failed
/// (for [`parse_header`](crate::parse_header) that is the file's start).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first bytes are neither `REDIS` nor `VALKEY` (Redis logs "Wrong
    /// signature trying to load DB from file").
    #[error("invalid rdb magic at offset {offset}: expected {expected}, found byte 0x{found:02x}")]
    InvalidMagic {
        /// Position of the first byte that fits no magic.
        offset: u64,
        /// What would have been accepted there.
        expected: &'static str,
        /// The byte found.
        found: u8,
    },
    /// A version character that is not an ASCII digit.
    #[error(
        "invalid rdb version at offset {offset}: expected an ASCII digit, found byte 0x{found:02x}"
    )]
    InvalidVersionDigit {
        /// Position of the offending byte.
        offset: u64,
        /// The byte found.
        found: u8,
    },
    /// A well-formed header whose version this crate cannot read or write
    /// (Redis logs "Can't handle RDB format version %d").
    #[error("unsupported rdb version {version} with magic {magic}: expected {min}..={max}")]
    UnsupportedVersion {
        /// The magic the version goes with.
        magic: Magic,
        /// The version asked for or found.
        version: u32,
        /// The oldest version accepted with this magic.
        min: u32,
        /// The newest version accepted with this magic.
        max: u32,
    },
    /// A length whose first byte is `10xxxxxx` but neither 0x80 nor 0x81
    /// (Redis: "Unknown length encoding %d in rdbLoadLen()").
    #[error("invalid rdb length encoding 0x{byte:02x} at offset {offset}")]
    InvalidLengthEncoding {
        /// Position of the byte.
        offset: u64,
        /// The byte found.
        byte: u8,
    },
    /// A `11xxxxxx` length byte naming a string encoding above LZF (Redis:
    /// "Unknown RDB string encoding type %d").
    #[error("unknown rdb string encoding {value} at offset {offset}")]
    UnknownStringEncoding {
        /// Position of the byte.
        offset: u64,
        /// Its low six bits.
        value: u8,
    },
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
