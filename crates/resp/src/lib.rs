//! RESP2/RESP3, the Redis wire protocol: frames, resumable decoders with hard limits,
//! and an encoder.
//!
//! - [`CommandDecoder`] reads client requests (multibulk `*3\r\n$3\r\nSET...` or inline
//!   `SET k v\r\n`) exactly as Redis 7.0 does, including its limits and error texts,
//!   returning each command's arguments as zero-copy [`Bytes`] slices of the read
//!   buffer.
//! - [`Decoder`] reads any RESP2/RESP3 [`Frame`] (replies, replication, tests).
//! - [`encode`] writes a [`Frame`] for a RESP3 connection, or downgraded for a RESP2
//!   one as Redis does; [`encode_command`] writes a request.
//!
//! Both decoders are resumable: feed them the read buffer after every read and they
//! pick up where they stopped, so a large frame arriving in small reads costs linear
//! time. Every length is checked against [`Limits`] before anything is allocated.
//!
//! This crate does no I/O and knows nothing of commands: it works on [`BytesMut`]
//! buffers and leaves sockets, command lookup and execution to its callers. It does
//! not support RESP3 streamed (chunked) strings and aggregates, which Redis never
//! sends.
//!
//! ```
//! use bytes::BytesMut;
//! use ferrodis_resp::{encode, CommandDecoder, Frame, Limits, Protocol};
//!
//! # fn main() -> ferrodis_resp::Result<()> {
//! let mut decoder = CommandDecoder::new(Limits::default());
//! // Two pipelined requests, the second one still incomplete.
//! let mut read_buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPIN"[..]);
//!
//! let argv = decoder.decode(&mut read_buf)?.expect("a whole command");
//! assert_eq!(argv, ["GET", "key"]);
//! assert_eq!(decoder.decode(&mut read_buf)?, None); // needs more bytes
//! read_buf.extend_from_slice(b"G\r\n");
//! assert_eq!(decoder.decode(&mut read_buf)?.expect("inline PING"), ["PING"]);
//!
//! let mut out = BytesMut::new();
//! encode(&Frame::Boolean(true), Protocol::Resp2, &mut out);
//! encode(&Frame::Boolean(true), Protocol::Resp3, &mut out);
//! assert_eq!(&out[..], b":1\r\n#t\r\n");
//! # Ok(())
//! # }
//! ```
//!
//! [`Bytes`]: bytes::Bytes
//! [`BytesMut`]: bytes::BytesMut

mod command;
mod decoder;
mod encode;
mod error;
mod frame;
mod inline;
mod limits;
mod number;
mod wire;

#[doc(hidden)]
pub mod fuzzing;

pub use command::CommandDecoder;
pub use decoder::Decoder;
pub use encode::{encode, encode_command};
pub use error::{Error, Result};
pub use frame::{Frame, Protocol};
pub use inline::{repr, split_args};
pub use limits::Limits;
pub use number::{format_double, format_g17, parse_ll as parse_i64, DOUBLE_BUF_LEN};
