//! REPLCONF: a replica's handshake options (listening-port, ip-address, capa),
//! ACK and GETACK (Redis's `replconfCommand`). ACKs from an attached replica are
//! read by its feeder; one arriving here comes from a client that is not a
//! replica and gets no reply, as in Redis.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_replication::Replconf;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::replication::now_ms;

pub static SPEC: CommandSpec = super::spec(
    "replconf",
    -1,
    &["admin", "noscript", "loading", "stale", "allow_busy"],
    super::ADMIN_ACL,
    "server",
    "An internal command for configuring the replication stream",
    "3.0.0",
    "O(1)",
    "",
);

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let args: Vec<&[u8]> = argv[1..].iter().map(|a| &a[..]).collect();
    match Replconf::parse(&args) {
        Err(e) => Frame::error(e),
        Ok(Replconf::Ack(_) | Replconf::GetAck) => {
            conn.no_reply = true;
            Frame::Null
        }
        Ok(Replconf::Options(options)) => {
            let ip = conn.client.addr.ip().to_string();
            let mut state = batch.shared().replication.state();
            state
                .handshake(conn.client.id, ip, now_ms())
                .configure(&options);
            Frame::ok()
        }
    }
}
