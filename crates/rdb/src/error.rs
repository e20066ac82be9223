//! The crate's one error type.

use crate::header::Magic;

/// Everything that can be wrong with RDB bytes.
///
/// Offsets are byte positions in the slice handed to the function that failed
/// (for [`parse_header`](crate::parse_header) that is the file's start; for the
/// [`Decoder`](crate::Decoder) it is always the position in the whole stream).
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
    /// The input ended inside a record (Redis: "Short read or OOM loading DB").
    #[error("unexpected end of file at offset {offset} while reading {expected}")]
    UnexpectedEof {
        /// Position where more bytes were needed.
        offset: u64,
        /// What was being read.
        expected: &'static str,
    },
    /// A record byte that is neither a known value type nor an opcode (Redis:
    /// "Unknown RDB encoding type %d").
    #[error("unknown rdb value type or opcode 0x{byte:02x} at offset {offset}")]
    UnknownType {
        /// Position of the byte.
        offset: u64,
        /// The byte found.
        byte: u8,
    },
    /// Well-framed bytes whose content breaks the format: a ziplist with a
    /// wrong size, an intset out of order, a duplicate set member, a NaN score
    /// (Redis reports these through `rdbReportCorruptRDB`).
    #[error("corrupt rdb at offset {offset}: {reason}")]
    Corrupt {
        /// Position of the record (or of the byte inside a blob) at fault.
        offset: u64,
        /// What is wrong, in Redis's words where it has some.
        reason: String,
    },
    /// Something valid that this crate cannot decode, such as a module value of
    /// Redis 4.0 release candidates, which cannot be skipped without the module.
    #[error("unsupported rdb content at offset {offset}: {what}")]
    Unsupported {
        /// Position of the record.
        offset: u64,
        /// What it is.
        what: String,
    },
    /// The CRC-64 computed over the file differs from the stored one (Redis:
    /// "Wrong RDB checksum expected: (%llx) but got (%llx)").
    #[error("rdb checksum mismatch at offset {offset}: computed 0x{computed:016x}, stored 0x{stored:016x}")]
    ChecksumMismatch {
        /// Position of the 8-byte trailer.
        offset: u64,
        /// CRC-64 of every byte before the trailer.
        computed: u64,
        /// The trailer's value.
        stored: u64,
    },
    /// The underlying reader failed.
    #[error("i/o error at offset {offset}: {message}")]
    Io {
        /// Position of the next byte that was to be read.
        offset: u64,
        /// The error's kind.
        kind: std::io::ErrorKind,
        /// The error's text.
        message: String,
    },
}

impl Error {
    /// The stream position the error names, if it names one.
    pub fn offset(&self) -> u64 {
        match self {
            Error::InvalidMagic { offset, .. }
            | Error::InvalidVersionDigit { offset, .. }
            | Error::InvalidLengthEncoding { offset, .. }
            | Error::UnknownStringEncoding { offset, .. }
            | Error::UnexpectedEof { offset, .. }
            | Error::UnknownType { offset, .. }
            | Error::Corrupt { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::ChecksumMismatch { offset, .. }
            | Error::Io { offset, .. } => *offset,
            Error::UnsupportedVersion { .. } => 0,
        }
    }

    /// The same error with its offset moved by `base` (for errors found in a
    /// sub-slice that starts at `base`).
    pub(crate) fn shifted(mut self, base: u64) -> Error {
        match &mut self {
            Error::InvalidMagic { offset, .. }
            | Error::InvalidVersionDigit { offset, .. }
            | Error::InvalidLengthEncoding { offset, .. }
            | Error::UnknownStringEncoding { offset, .. }
            | Error::UnexpectedEof { offset, .. }
            | Error::UnknownType { offset, .. }
            | Error::Corrupt { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::ChecksumMismatch { offset, .. }
            | Error::Io { offset, .. } => *offset = offset.saturating_add(base),
            Error::UnsupportedVersion { .. } => {}
        }
        self
    }

    pub(crate) fn corrupt(offset: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            offset,
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
