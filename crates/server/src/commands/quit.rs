//! QUIT: reply `+OK`, then close the connection once the reply is written.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "quit",
    -1,
    super::NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    "connection",
    "Close the connection",
    "1.0.0",
    "O(1)",
    "",
);

pub fn run(conn: &mut Conn, _batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    conn.close_after_reply = true;
    Frame::ok()
}
