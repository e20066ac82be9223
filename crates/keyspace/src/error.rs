//! The errors a keyspace command can reply with, worded exactly as Redis 7.0 words them.

use bytes::{BufMut, Bytes, BytesMut};
use ferrodis_resp::Frame;

/// A command error. `Display` is the exact Redis error reply text, code included
/// (`ERR ...`, `WRONGTYPE ...`), because clients match on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `checkType()` in object.c.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// `shared.syntaxerr`.
    #[error("ERR syntax error")]
    Syntax,
    /// `getLongLongFromObjectOrReply()` with the default message.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// `getLongDoubleFromObjectOrReply()` with the default message.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// `incrDecrCommand()` in t_string.c.
    #[error("ERR increment or decrement would overflow")]
    IncrOverflow,
    /// `decrbyCommand()` when the decrement is `LLONG_MIN`.
    #[error("ERR decrement would overflow")]
    DecrOverflow,
    /// `incrbyfloatCommand()`.
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    /// `setrangeCommand()` with a negative offset.
    #[error("ERR offset is out of range")]
    OffsetOutOfRange,
    /// `checkStringLength()`: the result would pass proto-max-bulk-len (512 MB).
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    /// `getPositiveLongFromObjectOrReply()`.
    #[error("ERR value is out of range, must be positive")]
    NotPositive,
    /// `getRangeLongFromObjectOrReply()` with the default message (Redis's own grammar).
    #[error("ERR value is out of range, value must between {min} and {max}")]
    OutOfRange {
        /// The smallest accepted value.
        min: i64,
        /// The largest accepted value.
        max: i64,
    },
    /// `selectCommand()`.
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// `parseScanCursorOrReply()`.
    #[error("ERR invalid cursor")]
    InvalidCursor,
    /// `addReplyErrorArity()`; `command` is the lowercase command name.
    #[error("ERR wrong number of arguments for '{command}' command")]
    WrongArity {
        /// The command's name.
        command: &'static str,
    },
    /// `addReplyErrorExpireTime()`; `command` is the lowercase command name.
    #[error("ERR invalid expire time in '{command}' command")]
    InvalidExpireTime {
        /// The command's name.
        command: &'static str,
    },
    /// `parseExtendedExpireArgumentsOrReply()`: NX with XX, GT or LT.
    #[error("ERR NX and XX, GT or LT options at the same time are not compatible")]
    ExpireNxConflict,
    /// `parseExtendedExpireArgumentsOrReply()`: GT with LT.
    #[error("ERR GT and LT options at the same time are not compatible")]
    ExpireGtLtConflict,
    /// `parseExtendedExpireArgumentsOrReply()`: an unknown option, echoed back.
    #[error("ERR Unsupported option {}", String::from_utf8_lossy(.0))]
    UnsupportedOption(Bytes),
}

/// Shorthand for results whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error reply. Fixed messages are static (no allocation).
    pub fn to_frame(&self) -> Frame {
        let text: &'static str = match self {
            Error::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            Error::Syntax => "ERR syntax error",
            Error::NotInteger => "ERR value is not an integer or out of range",
            Error::NotFloat => "ERR value is not a valid float",
            Error::IncrOverflow => "ERR increment or decrement would overflow",
            Error::DecrOverflow => "ERR decrement would overflow",
            Error::NanOrInfinity => "ERR increment would produce NaN or Infinity",
            Error::OffsetOutOfRange => "ERR offset is out of range",
            Error::StringTooLong => "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            Error::NotPositive => "ERR value is out of range, must be positive",
            Error::DbIndexOutOfRange => "ERR DB index is out of range",
            Error::InvalidCursor => "ERR invalid cursor",
            Error::ExpireNxConflict => {
                "ERR NX and XX, GT or LT options at the same time are not compatible"
            }
            Error::ExpireGtLtConflict => {
                "ERR GT and LT options at the same time are not compatible"
            }
            Error::UnsupportedOption(opt) => return unsupported_option(opt),
            Error::OutOfRange { .. }
            | Error::WrongArity { .. }
            | Error::InvalidExpireTime { .. } => return Frame::error(self.to_string()),
        };
        Frame::static_error(text)
    }
}

/// Redis formats the option with `%s` (so it ends at a NUL byte) and
/// `addReplyErrorFormat()` turns CR and LF into spaces to keep the protocol valid.
fn unsupported_option(opt: &[u8]) -> Frame {
    let opt = opt.split(|&b| b == 0).next().unwrap_or_default();
    let mut out = BytesMut::with_capacity(23 + opt.len());
    out.put_slice(b"ERR Unsupported option ");
    out.extend(
        opt.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    Frame::Error(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(frame: Frame) -> Vec<u8> {
        match frame {
            Frame::Error(b) => b.to_vec(),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn static_frames_match_display() {
        let all = [
            Error::WrongType,
            Error::Syntax,
            Error::NotInteger,
            Error::NotFloat,
            Error::IncrOverflow,
            Error::DecrOverflow,
            Error::NanOrInfinity,
            Error::OffsetOutOfRange,
            Error::StringTooLong,
            Error::NotPositive,
            Error::OutOfRange {
                min: -2147483648,
                max: 2147483647,
            },
            Error::DbIndexOutOfRange,
            Error::InvalidCursor,
            Error::WrongArity { command: "get" },
            Error::InvalidExpireTime { command: "set" },
            Error::ExpireNxConflict,
            Error::ExpireGtLtConflict,
            Error::UnsupportedOption(Bytes::from_static(b"foo")),
        ];
        for e in all {
            assert_eq!(text(e.to_frame()), e.to_string().into_bytes(), "{e:?}");
        }
    }

    #[test]
    fn formatted_messages() {
        assert_eq!(
            Error::WrongArity { command: "get" }.to_string(),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(
            Error::OutOfRange {
                min: -2147483648,
                max: 2147483647
            }
            .to_string(),
            "ERR value is out of range, value must between -2147483648 and 2147483647"
        );
    }

    #[test]
    fn unsupported_option_is_sanitized() {
        let frame = Error::UnsupportedOption(Bytes::from_static(b"a\r\nb\0c")).to_frame();
        assert_eq!(text(frame), b"ERR Unsupported option a  b".to_vec());
    }
}
