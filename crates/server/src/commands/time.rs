//! TIME: the server's Unix time as [seconds, microseconds], both bulk strings.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::shared::unix_time;

pub static SPEC: CommandSpec = super::spec(
    "time",
    1,
    &["loading", "stale", "fast"],
    &["@fast"],
    "server",
    "Return the current server time",
    "2.6.0",
    "O(1)",
    "",
);

pub fn run(_conn: &mut Conn, _batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    let now = unix_time();
    Frame::Array(vec![
        Frame::Bulk(Bytes::from(now.as_secs().to_string())),
        Frame::Bulk(Bytes::from(now.subsec_micros().to_string())),
    ])
}
