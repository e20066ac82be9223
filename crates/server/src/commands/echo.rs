//! ECHO message: the message as a bulk string.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use crate::connection::Conn;
use crate::shared::Shared;

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

pub fn run(_conn: &mut Conn, _shared: &Shared, argv: &[Bytes]) -> Frame {
    Frame::Bulk(argv[1].clone())
}
