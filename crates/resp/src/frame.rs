//! The RESP2/RESP3 value model shared by the decoder and the encoder.

use bytes::Bytes;

/// Which protocol a connection speaks; decides how RESP3-only frames are encoded.
///
/// Redis downgrades RESP3 types for RESP2 clients (`addReplyMap` and friends in
/// `networking.c`): maps and sets become flat arrays, doubles become bulk strings,
/// booleans become integers, and null becomes `$-1` or `*-1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// RESP2, the default of every new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// One RESP value, of any RESP2 or RESP3 type.
///
/// String payloads are [`Bytes`] so that decoded frames share the read buffer
/// instead of copying it.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+OK\r\n`
    Simple(Bytes),
    /// `-ERR message\r\n`; the payload includes the error code (`ERR`, `WRONGTYPE`, ...).
    Error(Bytes),
    /// `:42\r\n`
    Integer(i64),
    /// `$3\r\nfoo\r\n`
    Bulk(Bytes),
    /// The null bulk string: `$-1\r\n` in RESP2, `_\r\n` in RESP3.
    Null,
    /// The null array: `*-1\r\n` in RESP2, `_\r\n` in RESP3.
    NullArray,
    /// `*2\r\n...`
    Array(Vec<Frame>),
    /// `%1\r\n<key><value>` (RESP3); a flat array of 2n elements in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// `~2\r\n...` (RESP3); an array in RESP2.
    Set(Vec<Frame>),
    /// `,3.14\r\n` (RESP3); a bulk string in RESP2.
    Double(f64),
    /// `#t\r\n` (RESP3); the integer 1 or 0 in RESP2.
    Boolean(bool),
    /// `(3492890328409238509324850943850943825024385\r\n` (RESP3); a bulk string in RESP2.
    BigNumber(Bytes),
    /// `=15\r\ntxt:Some string\r\n` (RESP3); a bulk string of `data` in RESP2.
    Verbatim {
        /// The three-byte format, such as `txt` or `mkd`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        data: Bytes,
    },
    /// `>3\r\n...` (RESP3 out-of-band data such as pub/sub messages); an array in RESP2.
    Push(Vec<Frame>),
    /// `|1\r\n<key><value>` followed by the frame it annotates (RESP3).
    /// Dropped when encoding for RESP2, where only `frame` is written.
    Attribute {
        /// The attribute map.
        attrs: Vec<(Frame, Frame)>,
        /// The frame the attributes describe.
        frame: Box<Frame>,
    },
}

impl Frame {
    /// `+OK`, the most common reply.
    pub const fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string from static text.
    pub const fn simple(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An error reply; `msg` starts with the error code, e.g. `"ERR syntax error"`.
    pub fn error(msg: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(msg.into()))
    }

    /// An error reply from static text.
    pub const fn static_error(msg: &'static str) -> Frame {
        Frame::Error(Bytes::from_static(msg.as_bytes()))
    }

    /// A bulk string copied from `data`.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::Bulk(data.into())
    }

    /// Whether this is an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }
}
