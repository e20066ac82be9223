//! ROLE: this server's place in replication.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "role",
    1,
    &["noscript", "loading", "stale", "fast"],
    &["@admin", "@fast", "@dangerous"],
    "server",
    "Return the role of the instance in the context of replication",
    "2.8.12",
    "O(1)",
    "",
);

pub fn run(_conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    crate::replication::info::role(batch.shared())
}
