//! ECHO message: the message as a bulk string.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "echo",
    2,
    &["loading", "stale", "fast"],
    &["@fast", "@connection"],
    "connection",
    "Echo the given string",
    "1.0.0",
    "O(1)",
    "message",
);

pub fn run(_conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    Frame::Bulk(argv[1].clone())
}
