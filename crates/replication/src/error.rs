//! The crate's one error type.

/// Everything that can go wrong in this crate.
///
/// PSYNC reply errors carry the master's line (lossily decoded) and word the
/// message after the log line Redis 7.0 writes in the same situation
/// (`slaveTryPartialResynchronization` in replication.c).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A replication id that is not 40 bytes long.
    #[error("invalid replication id: expected 40 hex characters, got {len} bytes")]
    ReplIdLength {
        /// The length found.
        len: usize,
    },
    /// A replication id with a byte that is not a hex digit.
    #[error("invalid replication id: byte 0x{byte:02x} at position {position} is not a hex digit")]
    ReplIdDigit {
        /// Position of the byte, 0-based.
        position: usize,
        /// The byte found.
        byte: u8,
    },
    /// An empty line where the PSYNC reply was expected. Not a reply: masters
    /// send bare newlines as keepalives before answering; keep reading (Redis
    /// returns `PSYNC_WAIT_REPLY`).
    #[error("empty line before the PSYNC reply (a keepalive newline)")]
    KeepAliveNewline,
    /// `+FULLRESYNC` without `<40-char replid> <offset>`.
    #[error("master replied with wrong +FULLRESYNC syntax: {reply}")]
    BadFullResync {
        /// The master's line.
        reply: String,
    },
    /// `-NOMASTERLINK` or `-LOADING`: the master cannot serve PSYNC now but
    /// should later; retry (Redis's `PSYNC_TRY_LATER`).
    #[error("master is currently unable to PSYNC but should be in the future: {reply}")]
    PsyncTryLater {
        /// The master's line.
        reply: String,
    },
    /// `-ERR ...`: the master does not support PSYNC or is in an error state;
    /// Redis falls back to `SYNC` (`PSYNC_NOT_SUPPORTED`).
    #[error("master does not support PSYNC or is in error state (reply: {reply})")]
    PsyncNotSupported {
        /// The master's line.
        reply: String,
    },
    /// Any other line.
    #[error("unexpected reply to PSYNC from master: {reply}")]
    UnexpectedPsyncReply {
        /// The master's line.
        reply: String,
    },
}

impl Error {
    /// Whether the same request should simply be tried again later
    /// ([`Error::PsyncTryLater`], and [`Error::KeepAliveNewline`], after which
    /// the reply is still to come).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::PsyncTryLater { .. } | Error::KeepAliveNewline)
    }
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
