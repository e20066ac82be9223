//! PING [message]: `+PONG`, or the message as a bulk string; `["pong", message]` for
//! a RESP2 client with subscriptions.

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

pub fn run(conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    if conn.in_pubsub_context() {
        // Redis's `pingCommand`: a subscribed RESP2 client cannot tell a reply from
        // a message unless it has the same shape.
        let msg = argv.get(1).cloned().unwrap_or_default();
        return match argv.len() {
            1 | 2 => Frame::Array(vec![Frame::bulk("pong"), Frame::Bulk(msg)]),
            _ => super::wrong_arity("ping"),
        };
    }
    match argv {
        [_] => Frame::simple("PONG"),
        [_, msg] => Frame::Bulk(msg.clone()),
        _ => super::wrong_arity("ping"),
    }
}
