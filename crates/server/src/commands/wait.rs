//! WAIT numreplicas timeout: block until that many replicas acknowledged every
//! write made so far, or the timeout (ms, 0 = forever) passes; the reply is the
//! number that did (Redis's `waitCommand`).

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::replication::{stream, ConnAction};

pub static SPEC: CommandSpec = super::spec(
    "wait",
    3,
    &["noscript"],
    &["@slow", "@connection"],
    "generic",
    "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    "3.0.0",
    "O(1)",
    "numreplicas:integer timeout:integer",
);

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let int = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
    };
    let Some(wanted) = int(&argv[1]) else {
        return Frame::static_error("ERR value is not an integer or out of range");
    };
    let timeout = match int(&argv[2]) {
        Some(t) if t < 0 => return Frame::static_error("ERR timeout is negative"),
        Some(t) => t as u64,
        None => return Frame::static_error("ERR timeout is not an integer or out of range"),
    };
    let shared = batch.shared();
    if shared.replication.state().master.is_some() {
        return Frame::static_error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
    }
    // This batch's writes enter the stream now, so the offset covers them.
    if let Some(keyspace) = batch.locked_keyspace() {
        shared.propagation.flush(keyspace);
    }
    let (offset, replicas) = {
        let state = shared.replication.state();
        (state.history.offset(), state.replicas.len())
    };
    let acked = {
        let state = shared.replication.state();
        ferrodis_replication::count_acked(state.replicas.iter().map(|r| &r.info), offset)
    };
    // Enough already, or inside EXEC, where nothing blocks: reply at once.
    if acked as i64 >= wanted || conn.deny_blocking {
        return Frame::Integer(acked as i64);
    }
    if replicas > 0 {
        stream::feed_command(&shared.replication, &[b"REPLCONF", b"GETACK", b"*"]);
    }
    conn.repl = Some(ConnAction::Wait {
        offset,
        replicas: usize::try_from(wanted).unwrap_or(0),
        timeout_ms: timeout,
    });
    Frame::Null
}
