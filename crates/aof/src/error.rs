//! The crate's one error type.

/// Everything that can be wrong with an AOF manifest or an AOF's records.
///
/// Each message starts with the exact text Redis 7.0 logs for the same problem
/// (`aofLoadManifestFromFile` in aof.c), so operators can search for either,
/// followed by the 1-based manifest line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifest has no line at all.
    #[error("Found an empty AOF manifest")]
    EmptyManifest,
    /// A line of 1024 bytes or more, or a last line without its `\n`: Redis
    /// reads lines with `fgets` into a 1025-byte buffer and requires the newline.
    #[error("The AOF manifest file contains too long line (manifest line {line})")]
    LineTooLong {
        /// The 1-based line number.
        line: usize,
    },
    /// A blank line, unbalanced quotes, an odd number or fewer than six words,
    /// or a missing or malformed `file`, `seq` or `type` value.
    #[error("Invalid AOF manifest file format (manifest line {line})")]
    InvalidFormat {
        /// The 1-based line number.
        line: usize,
    },
    /// A file name with `/` or `\` in it.
    #[error("File can't be a path, just a filename (manifest line {line})")]
    FileNameIsPath {
        /// The 1-based line number.
        line: usize,
    },
    /// A second `type b` line.
    #[error("Found duplicate base file information (manifest line {line})")]
    DuplicateBase {
        /// The 1-based line number.
        line: usize,
    },
    /// An incr file whose `seq` is not above the previous incr file's.
    #[error("Found a non-monotonic sequence number (manifest line {line})")]
    NonMonotonicSeq {
        /// The 1-based line number.
        line: usize,
    },
    /// A `type` other than `b`, `h` or `i`.
    #[error("Unknown AOF file type (manifest line {line})")]
    UnknownFileType {
        /// The 1-based line number.
        line: usize,
    },
    /// A record that is not `*<argc>` followed by `$<len>` bulks, or an annotation
    /// (Redis 7.0: "Bad file format reading the append only file").
    #[error("Bad file format reading the append only file (offset {offset})")]
    BadFormat {
        /// Where the bad record or part of it starts.
        offset: u64,
    },
    /// A MULTI inside a MULTI (Redis's fake client gets "MULTI calls can not be
    /// nested" and loading stops).
    #[error("MULTI calls can not be nested (offset {offset})")]
    NestedMulti {
        /// Where the second MULTI starts.
        offset: u64,
    },
    /// A file the manifest names is not in the directory (Redis 7.0's wording).
    #[error("The AOF file {name} doesn't exist")]
    MissingFile {
        /// The file's name.
        name: String,
    },
    /// Reading or writing a file failed.
    #[error("AOF file {path}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A file other than the last ended early, or the last one did with
    /// `aof-load-truncated no` (Redis 7.0's wording).
    #[error("Unexpected end of file reading the append only file {path}")]
    UnexpectedEof {
        /// The file.
        path: String,
    },
    /// The RDB base or preamble of a file is corrupt.
    #[error("Bad RDB preamble in the append only file {path}")]
    Rdb {
        /// The file.
        path: String,
        /// What the RDB decoder found.
        #[source]
        source: ferrodis_rdb::Error,
    },
    /// The caller of a load stopped it (`message` says why).
    #[error("{message}")]
    Apply {
        /// Why.
        message: String,
    },
    /// An EXEC without MULTI.
    #[error("EXEC without MULTI (offset {offset})")]
    ExecWithoutMulti {
        /// Where the EXEC starts.
        offset: u64,
    },
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
