//! PING [message]: `+PONG`, or the message as a bulk string.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "ping",
    -1,
    &["fast"],
    &["@fast", "@connection"],
    "connection",
    "Ping the server",
    "1.0.0",
    "O(1)",
    "[message]",
);

pub fn run(_conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    match argv {
        [_] => Frame::simple("PONG"),
        [_, msg] => Frame::Bulk(msg.clone()),
        _ => super::wrong_arity("ping"),
    }
}
