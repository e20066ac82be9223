//! SYNC and PSYNC: the connection asks to become a replica (Redis's `syncCommand`).
//! The checks run here; the connection then hands itself to the replication
//! feeder (`replication::master::serve`), which answers +FULLRESYNC or +CONTINUE.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_replication::parse_psync_args;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::replication::{master::PsyncRequest, ConnAction, LinkState};

const FLAGS: &[&str] = &["admin", "noscript", "no_async_loading", "no_multi"];

pub static SYNC_SPEC: CommandSpec = super::spec(
    "sync",
    1,
    FLAGS,
    super::ADMIN_ACL,
    "server",
    "Internal command used for replication",
    "1.0.0",
    "",
    "",
);

pub static PSYNC_SPEC: CommandSpec = super::spec(
    "psync",
    -3,
    FLAGS,
    super::ADMIN_ACL,
    "server",
    "Internal command used for replication",
    "2.8.0",
    "",
    "replicationid:string offset:integer",
);

pub fn sync(conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    start(conn, batch, None, -1, false)
}

pub fn psync(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    match parse_psync_args(&argv[1], &argv[2]) {
        Ok((id, offset)) => start(conn, batch, id, offset, true),
        Err(e) => Frame::error(e),
    }
}

fn start(
    conn: &mut Conn,
    batch: &mut Batch<'_>,
    replid: Option<ferrodis_replication::ReplId>,
    offset: i64,
    psync: bool,
) -> Frame {
    if conn.master_link {
        return Frame::Null;
    }
    let down = batch
        .shared()
        .replication
        .state()
        .master
        .as_ref()
        .is_some_and(|m| m.state != LinkState::Connected);
    if down {
        return Frame::static_error("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    conn.repl = Some(ConnAction::Feed(PsyncRequest {
        replid,
        offset,
        psync,
    }));
    Frame::Null
}
