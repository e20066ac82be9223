//! The RESP2/RESP3 byte layout, written down once, with its type bytes as named constants.
//!
//! ```text
//! Every frame is one type byte followed by its payload. A "line" is bytes up to "\r\n"
//! (exclusive); a "length", "count" or "integer" is a line holding a decimal i64, parsed
//! like Redis's string2ll (optional '-', no '+', no leading zeros, at most 20 bytes).
//!
//!   +<line>                          simple string                     RESP2
//!   -<line>                          error (code first: "ERR ...")     RESP2
//!   :<integer line>                  64-bit signed integer             RESP2
//!   $<length>\r\n<length bytes>\r\n  bulk string; "$-1\r\n" = null    RESP2
//!   *<count>\r\n<count frames>       array; "*-1\r\n" = null array     RESP2
//!   _\r\n                            null                              RESP3
//!   ,<double line>                   double: 1.5, 1e-3, inf, -inf, nan RESP3
//!   #t\r\n | #f\r\n                  boolean                           RESP3
//!   !<length>\r\n<bytes>\r\n         blob error                        RESP3
//!   =<length>\r\n<fmt:3>:<bytes>\r\n verbatim string, length >= 4      RESP3
//!   (<['-']digits line>              big number                        RESP3
//!   %<count>\r\n<2*count frames>     map of count key/value pairs      RESP3
//!   ~<count>\r\n<count frames>       set                               RESP3
//!   |<count>\r\n<2*count frames><f>  attribute map annotating frame f  RESP3
//!   ><count>\r\n<count frames>       push (out-of-band data)           RESP3
//!   $?\r\n, *?\r\n, ...              streamed (chunked) types          RESP3, rejected here
//!
//! What a client sends to a server (read by CommandDecoder), as Redis 7.0 reads it:
//!   *<count>\r\n then count times $<length>\r\n<length bytes>\r\n    multibulk request
//!   anything else: one line ending in "\n" (a "\r" before it is dropped), split into
//!   arguments by spaces and quotes like sdssplitargs                  inline request
//! ```

/// `+OK\r\n`
pub(crate) const SIMPLE: u8 = b'+';
/// `-ERR message\r\n`
pub(crate) const ERROR: u8 = b'-';
/// `:42\r\n`
pub(crate) const INTEGER: u8 = b':';
/// `$3\r\nfoo\r\n`
pub(crate) const BULK: u8 = b'$';
/// `*2\r\n...`
pub(crate) const ARRAY: u8 = b'*';
/// `_\r\n`
pub(crate) const NULL: u8 = b'_';
/// `,3.14\r\n`
pub(crate) const DOUBLE: u8 = b',';
/// `#t\r\n`
pub(crate) const BOOLEAN: u8 = b'#';
/// `!21\r\nSYNTAX invalid syntax\r\n`
pub(crate) const BLOB_ERROR: u8 = b'!';
/// `=15\r\ntxt:Some string\r\n`
pub(crate) const VERBATIM: u8 = b'=';
/// `(3492890328409238509324850943850943825024385\r\n`
pub(crate) const BIG_NUMBER: u8 = b'(';
/// `%1\r\n<key><value>`
pub(crate) const MAP: u8 = b'%';
/// `~2\r\n...`
pub(crate) const SET: u8 = b'~';
/// `|1\r\n<key><value><frame>`
pub(crate) const ATTRIBUTE: u8 = b'|';
/// `>3\r\n...`
pub(crate) const PUSH: u8 = b'>';

/// The line terminator.
pub(crate) const CRLF: &[u8; 2] = b"\r\n";
/// The length line of a streamed string or aggregate (`$?\r\n`).
pub(crate) const STREAMED: &[u8] = b"?";
/// The verbatim payload starts with a 3-byte format and this separator.
pub(crate) const VERBATIM_PREFIX_LEN: usize = 4;
/// The separator after the verbatim format (`txt:`).
pub(crate) const VERBATIM_SEPARATOR: u8 = b':';
