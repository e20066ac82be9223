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
    /// `getTimeoutFromObjectOrReply()`: not a `long double`.
    #[error("ERR timeout is not a float or out of range")]
    TimeoutNotFloat,
    /// `getTimeoutFromObjectOrReply()`: below zero once in milliseconds.
    #[error("ERR timeout is negative")]
    TimeoutNegative,
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
    /// SORT: a weight `strtod()` does not read whole.
    #[error("ERR One or more scores can't be converted into double")]
    SortWeightNotDouble,
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
    /// A `numkeys` below 1 or not a number (SINTERCARD, LMPOP, ...).
    #[error("ERR numkeys should be greater than 0")]
    NumkeysNotPositive,
    /// SINTERCARD's `numkeys` past the arguments given.
    #[error("ERR Number of keys can't be greater than number of args")]
    NumkeysTooMany,
    /// SINTERCARD's LIMIT below 0 or not a number.
    #[error("ERR LIMIT can't be negative")]
    LimitNegative,
    /// `hincrbyCommand()`: the field's value is not an integer.
    #[error("ERR hash value is not an integer")]
    HashNotInteger,
    /// `hincrbyfloatCommand()`: the field's value is not a float.
    #[error("ERR hash value is not a float")]
    HashNotFloat,
    /// `hincrbyfloatCommand()`: the increment itself is NaN or infinite.
    #[error("ERR value is NaN or Infinity")]
    ValueNanOrInfinity,
    /// `hrandfieldCommand()`: a WITHVALUES count whose reply length would overflow.
    #[error("ERR value is out of range")]
    ValueOutOfRange,
    /// `getBitOffsetFromArgument()` in bitops.c: not an integer, negative, or past
    /// proto-max-bulk-len bytes.
    #[error("ERR bit offset is not an integer or out of range")]
    BitOffset,
    /// `setbitCommand()`: the value is not 0 or 1.
    #[error("ERR bit is not an integer or out of range")]
    BitValue,
    /// `bitposCommand()`: the bit searched for is not 0 or 1.
    #[error("ERR The bit argument must be 1 or 0.")]
    BitposBit,
    /// `bitopCommand()`: NOT with more than one source key.
    #[error("ERR BITOP NOT must be called with a single source key.")]
    BitopNot,
    /// `getBitfieldTypeFromArgument()`.
    #[error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")]
    BitfieldType,
    /// `bitfieldGeneric()`: OVERFLOW followed by something else than WRAP, SAT or FAIL.
    #[error("ERR Invalid OVERFLOW type specified")]
    BitfieldOverflow,
    /// `bitfieldGeneric()` for BITFIELD_RO given SET or INCRBY.
    #[error("ERR BITFIELD_RO only supports the GET subcommand")]
    BitfieldReadOnly,
    /// `lcsCommand()`: a key holds something else than a string.
    #[error("ERR The specified keys must contain string values")]
    LcsWrongType,
    /// `lcsCommand()` given both LEN and IDX.
    #[error("ERR If you want both the length and indexes, please just use IDX.")]
    LcsLenAndIdx,
    /// `lcsCommand()`: a string of 4 GB or more.
    #[error("ERR String too long for LCS")]
    LcsTooLong,
    /// `lcsCommand()`: the dynamic-programming table would pass proto-max-bulk-len.
    #[error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")]
    LcsTableTooLarge,
    /// `lcsCommand()`: the dynamic-programming table could not be allocated.
    #[error("ERR Insufficient memory, failed allocating transient memory for LCS")]
    LcsAllocFailed,
    /// `zaddGenericCommand()`: NX with XX.
    #[error("ERR XX and NX options at the same time are not compatible")]
    ZaddNxXx,
    /// `zaddGenericCommand()`: GT, LT and NX combined.
    #[error("ERR GT, LT, and/or NX options at the same time are not compatible")]
    ZaddGtLtNx,
    /// `zaddGenericCommand()`: INCR with several score-member pairs.
    #[error("ERR INCR option supports a single increment-element pair")]
    ZaddIncrPairs,
    /// `zaddGenericCommand()`: an increment made the score NaN.
    #[error("ERR resulting score is not a number (NaN)")]
    ScoreNan,
    /// A score range bound that `zslParseRange()` refuses.
    #[error("ERR min or max is not a float")]
    MinMaxNotFloat,
    /// A lexicographic bound that `zslParseLexRange()` refuses.
    #[error("ERR min or max not valid string range item")]
    MinMaxNotLex,
    /// `zrangeGenericCommand()`: LIMIT on a range by rank.
    #[error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    )]
    LimitNeedsByscoreOrBylex,
    /// `zrangeGenericCommand()`: WITHSCORES on a range by member.
    #[error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")]
    WithscoresWithBylex,
    /// `zunionInterDiffGenericCommand()`: a WEIGHTS value.
    #[error("ERR weight value is not a float")]
    WeightNotFloat,
    /// A COUNT below 1 (ZMPOP, LMPOP, ...).
    #[error("ERR count should be greater than 0")]
    CountNotPositive,
    /// `zunionInterDiffGenericCommand()` with numkeys below 1; `command` is the
    /// lowercase command name.
    #[error("ERR at least 1 input key is needed for '{command}' command")]
    NoInputKeys {
        /// The command's name.
        command: &'static str,
    },
    /// `shared.nokeyerr`: RENAME, LSET on a missing key.
    #[error("ERR no such key")]
    NoSuchKey,
    /// `shared.outofrangeerr`: LSET past the end.
    #[error("ERR index out of range")]
    IndexOutOfRange,
    /// `shared.sameobjecterr`: MOVE to the same database, COPY onto itself.
    #[error("ERR source and destination objects are the same")]
    SameObject,
    /// `lposCommand()`: RANK 0.
    #[error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")]
    RankZero,
    /// `lposCommand()`: COUNT below 0 or not a number.
    #[error("ERR COUNT can't be negative")]
    CountNegative,
    /// `lposCommand()`: MAXLEN below 0 or not a number.
    #[error("ERR MAXLEN can't be negative")]
    MaxlenNegative,
    /// `swapdbCommand()`: the first index is not an int.
    #[error("ERR invalid first DB index")]
    InvalidFirstDbIndex,
    /// `swapdbCommand()`: the second index is not an int.
    #[error("ERR invalid second DB index")]
    InvalidSecondDbIndex,
    /// OBJECT FREQ without an LFU maxmemory-policy.
    #[error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")]
    LfuNotSelected,
    /// OBJECT IDLETIME with an LFU maxmemory-policy.
    #[error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")]
    LfuSelected,
    /// `addReplySubcommandSyntaxError()`: `command` is the container's name in
    /// uppercase, `sub` what the client sent (at most 128 bytes are echoed).
    #[error("ERR unknown subcommand '{}'. Try {command} HELP.", String::from_utf8_lossy(&.sub[..usize::min(.sub.len(), 128)]))]
    UnknownSubcommand {
        /// The container command, uppercase.
        command: &'static str,
        /// The subcommand given.
        sub: Bytes,
    },
    /// An error reply that has no variant of its own, as the command worded it
    /// (what the typed API of [`crate::Database`] returns for such replies).
    #[error("{0}")]
    Reply(String),
}

/// Shorthand for results whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error reply. Fixed messages are static (no allocation).
    pub fn to_frame(&self) -> Frame {
        let text: &'static str = match self {
            Error::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            Error::Syntax => "ERR syntax error",
            Error::TimeoutNotFloat => "ERR timeout is not a float or out of range",
            Error::TimeoutNegative => "ERR timeout is negative",
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
            Error::SortWeightNotDouble => "ERR One or more scores can't be converted into double",
            Error::ExpireNxConflict => {
                "ERR NX and XX, GT or LT options at the same time are not compatible"
            }
            Error::ExpireGtLtConflict => {
                "ERR GT and LT options at the same time are not compatible"
            }
            Error::HashNotInteger => "ERR hash value is not an integer",
            Error::HashNotFloat => "ERR hash value is not a float",
            Error::ValueNanOrInfinity => "ERR value is NaN or Infinity",
            Error::ZaddNxXx => "ERR XX and NX options at the same time are not compatible",
            Error::ZaddGtLtNx => "ERR GT, LT, and/or NX options at the same time are not compatible",
            Error::ZaddIncrPairs => "ERR INCR option supports a single increment-element pair",
            Error::ScoreNan => "ERR resulting score is not a number (NaN)",
            Error::MinMaxNotFloat => "ERR min or max is not a float",
            Error::MinMaxNotLex => "ERR min or max not valid string range item",
            Error::LimitNeedsByscoreOrBylex => "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
            Error::WithscoresWithBylex => "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
            Error::WeightNotFloat => "ERR weight value is not a float",
            Error::CountNotPositive => "ERR count should be greater than 0",
            Error::ValueOutOfRange => "ERR value is out of range",
            Error::BitOffset => "ERR bit offset is not an integer or out of range",
            Error::BitValue => "ERR bit is not an integer or out of range",
            Error::BitposBit => "ERR The bit argument must be 1 or 0.",
            Error::BitopNot => "ERR BITOP NOT must be called with a single source key.",
            Error::BitfieldType => "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            Error::BitfieldOverflow => "ERR Invalid OVERFLOW type specified",
            Error::BitfieldReadOnly => "ERR BITFIELD_RO only supports the GET subcommand",
            Error::LcsWrongType => "ERR The specified keys must contain string values",
            Error::LcsLenAndIdx => {
                "ERR If you want both the length and indexes, please just use IDX."
            }
            Error::LcsTooLong => "ERR String too long for LCS",
            Error::LcsTableTooLarge => {
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
            }
            Error::LcsAllocFailed => {
                "ERR Insufficient memory, failed allocating transient memory for LCS"
            }
            Error::NoSuchKey => "ERR no such key",
            Error::IndexOutOfRange => "ERR index out of range",
            Error::SameObject => "ERR source and destination objects are the same",
            Error::RankZero => "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
            Error::CountNegative => "ERR COUNT can't be negative",
            Error::MaxlenNegative => "ERR MAXLEN can't be negative",
            Error::InvalidFirstDbIndex => "ERR invalid first DB index",
            Error::InvalidSecondDbIndex => "ERR invalid second DB index",
            Error::LfuNotSelected => "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            Error::LfuSelected => "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            Error::UnknownSubcommand { command, sub } => {
                return unknown_subcommand(command, sub)
            }
            Error::UnsupportedOption(opt) => return unsupported_option(opt),
            Error::NumkeysNotPositive => "ERR numkeys should be greater than 0",
            Error::NumkeysTooMany => "ERR Number of keys can't be greater than number of args",
            Error::LimitNegative => "ERR LIMIT can't be negative",
            Error::OutOfRange { .. }
            | Error::WrongArity { .. }
            | Error::InvalidExpireTime { .. }
            | Error::NoInputKeys { .. }
            | Error::Reply(_) => return Frame::error(self.to_string()),
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

/// `addReplySubcommandSyntaxError()`: `%.128s` of the subcommand (ending at a NUL
/// byte), with CR and LF turned into spaces as for every formatted error.
fn unknown_subcommand(command: &str, sub: &[u8]) -> Frame {
    let sub = sub.split(|&b| b == 0).next().unwrap_or_default();
    let sub = &sub[..sub.len().min(128)];
    let mut out = BytesMut::with_capacity(40 + sub.len());
    out.put_slice(b"ERR unknown subcommand '");
    out.extend(
        sub.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.put_slice(b"'. Try ");
    out.put_slice(command.as_bytes());
    out.put_slice(b" HELP.");
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
            Error::NumkeysNotPositive,
            Error::NumkeysTooMany,
            Error::LimitNegative,
            Error::HashNotInteger,
            Error::HashNotFloat,
            Error::ValueNanOrInfinity,
            Error::ValueOutOfRange,
            Error::BitOffset,
            Error::BitValue,
            Error::BitposBit,
            Error::BitopNot,
            Error::BitfieldType,
            Error::BitfieldOverflow,
            Error::BitfieldReadOnly,
            Error::LcsWrongType,
            Error::LcsLenAndIdx,
            Error::LcsTooLong,
            Error::LcsTableTooLarge,
            Error::LcsAllocFailed,
            Error::ZaddNxXx,
            Error::ZaddGtLtNx,
            Error::ZaddIncrPairs,
            Error::ScoreNan,
            Error::MinMaxNotFloat,
            Error::MinMaxNotLex,
            Error::LimitNeedsByscoreOrBylex,
            Error::WithscoresWithBylex,
            Error::WeightNotFloat,
            Error::CountNotPositive,
            Error::NoInputKeys { command: "zunion" },
            Error::NoSuchKey,
            Error::IndexOutOfRange,
            Error::SameObject,
            Error::RankZero,
            Error::CountNegative,
            Error::MaxlenNegative,
            Error::InvalidFirstDbIndex,
            Error::InvalidSecondDbIndex,
            Error::LfuNotSelected,
            Error::LfuSelected,
            Error::UnknownSubcommand {
                command: "OBJECT",
                sub: Bytes::from_static(b"foo"),
            },
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
    fn unknown_subcommand_is_truncated_and_sanitized() {
        let long = Bytes::from(vec![b'x'; 200]);
        let frame = Error::UnknownSubcommand {
            command: "OBJECT",
            sub: long,
        }
        .to_frame();
        let want = format!(
            "ERR unknown subcommand '{}'. Try OBJECT HELP.",
            "x".repeat(128)
        );
        assert_eq!(text(frame), want.into_bytes());
        let frame = Error::UnknownSubcommand {
            command: "OBJECT",
            sub: Bytes::from_static(b"a\r\nb"),
        }
        .to_frame();
        assert_eq!(
            text(frame),
            b"ERR unknown subcommand 'a  b'. Try OBJECT HELP.".to_vec()
        );
    }

    #[test]
    fn unsupported_option_is_sanitized() {
        let frame = Error::UnsupportedOption(Bytes::from_static(b"a\r\nb\0c")).to_frame();
        assert_eq!(text(frame), b"ERR Unsupported option a  b".to_vec());
    }
}
