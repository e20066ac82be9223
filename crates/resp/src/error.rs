//! The crate's one error type.

/// Everything that can go wrong while decoding RESP.
///
/// The variants produced by [`CommandDecoder`](crate::CommandDecoder) display exactly
/// the text Redis 7.0 replies with (`networking.c`, `processMultibulkBuffer` and
/// `processInlineBuffer`), so a server can answer `-ERR {error}` and close the
/// connection, as Redis does. The variants produced by the generic
/// [`Decoder`](crate::Decoder) are lowercase and name the frame type involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An inline request line grew past the inline limit without a newline.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// An inline request has a quote that is not closed, or a closing quote
    /// directly followed by something other than a space.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A `*<count>` line grew past the inline limit without a `\r`.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `*<count>` that is not an integer or is above the limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A `*<count>` above 10 from a connection that has not authenticated yet.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// An argument of a multibulk request that does not start with `$`.
    ///
    /// Displayed like Redis's `%c` followed by its newline scrubbing: the byte
    /// itself, with `\r` and `\n` shown as a space. A byte above 0x7f is shown
    /// as the Unicode character of the same number (Redis sends the raw byte).
    #[error("Protocol error: expected '$', got '{}'", shown_byte(*got))]
    ExpectedDollar {
        /// The byte found where `$` was expected.
        got: u8,
    },
    /// A `$<length>` line grew past the inline limit without a `\r`.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A `$<length>` that is not an integer, is negative or is above the limit.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A `$<length>` above 16384 from a connection that has not authenticated yet.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,

    /// A frame starts with a byte that is no RESP2/RESP3 type.
    #[error("unknown resp type byte 0x{byte:02x}")]
    UnknownType {
        /// The offending byte.
        byte: u8,
    },
    /// A length or count line that is not an integer, or negative where only
    /// `-1` (null) or nothing is allowed.
    #[error("invalid length in '{kind}' header")]
    InvalidLength {
        /// The frame's type byte.
        kind: char,
    },
    /// A length or count above the configured [`Limits`](crate::Limits).
    #[error("'{kind}' length {len} exceeds the limit of {max}")]
    LengthOverLimit {
        /// The frame's type byte.
        kind: char,
        /// The length announced by the frame.
        len: u64,
        /// The configured maximum.
        max: u64,
    },
    /// Aggregates nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    #[error("aggregates nested deeper than {max} levels")]
    TooDeep {
        /// The configured maximum depth.
        max: usize,
    },
    /// A line grew past its limit without a `\r\n`.
    #[error("'{kind}' line longer than {max} bytes")]
    LineTooLong {
        /// The frame's type byte.
        kind: char,
        /// The configured maximum.
        max: u64,
    },
    /// A `\r` not followed by `\n`, or string data not followed by `\r\n`.
    #[error("missing crlf in '{kind}' frame")]
    MissingCrlf {
        /// The frame's type byte.
        kind: char,
    },
    /// The payload of an integer, double, boolean, null, big number or verbatim
    /// frame is malformed.
    #[error("invalid {what} in '{kind}' frame")]
    InvalidValue {
        /// The frame's type byte.
        kind: char,
        /// What was expected: `integer`, `double`, ...
        what: &'static str,
    },
    /// A RESP3 streamed string or aggregate (`$?`, `*?`, ...), which this crate
    /// does not support (Redis never sends them).
    #[error("streamed '{kind}?' frames are not supported")]
    Streamed {
        /// The frame's type byte.
        kind: char,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How Redis shows a byte formatted with `%c` in an error reply: newlines become
/// spaces (`addReplyErrorFormat` maps `\r` and `\n` to ' ').
fn shown_byte(byte: u8) -> char {
    match byte {
        b'\r' | b'\n' => ' ',
        other => char::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_dollar_shows_the_byte_like_redis() {
        assert_eq!(
            Error::ExpectedDollar { got: b'x' }.to_string(),
            "Protocol error: expected '$', got 'x'"
        );
        assert_eq!(
            Error::ExpectedDollar { got: b'\n' }.to_string(),
            "Protocol error: expected '$', got ' '"
        );
        assert_eq!(
            Error::ExpectedDollar { got: 0 }.to_string(),
            "Protocol error: expected '$', got '\0'"
        );
    }

    #[test]
    fn generic_errors_are_lowercase_with_context() {
        assert_eq!(
            Error::UnknownType { byte: 0xff }.to_string(),
            "unknown resp type byte 0xff"
        );
        assert_eq!(
            Error::LengthOverLimit {
                kind: '$',
                len: 10,
                max: 5
            }
            .to_string(),
            "'$' length 10 exceeds the limit of 5"
        );
    }
}
