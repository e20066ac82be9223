//! EXEC: run a queued transaction atomically, unless a WATCHed key changed.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "exec",
    1,
    &["noscript", "loading", "stale", "skip_slowlog"],
    &["@slow", "@transaction"],
    "transactions",
    "Execute all commands issued after MULTI",
    "1.2.0",
    "Depends on commands in the transaction",
    "",
);

/// Like Redis 7.0's `execCommand`: EXECABORT if queueing failed, a null array if a
/// watched key was touched or has expired, otherwise every queued command's reply.
/// The whole block runs inside one batch, under one hold of the keyspace lock, so no
/// other client's command runs in between.
pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    let Some(multi) = conn.multi.take() else {
        return Frame::static_error("ERR EXEC without MULTI");
    };
    let watches = std::mem::take(&mut conn.watches);
    // Without watches the keyspace is not needed to refuse an aborted block
    // (during the start-up load it is held by the loader).
    let intact = watches.is_empty() || {
        let keyspace = batch.keyspace();
        watches.iter().all(|token| keyspace.watch_intact(token))
    };
    super::watch::forget(conn, batch);
    if multi.aborted {
        return Frame::static_error("EXECABORT Transaction discarded because of previous errors.");
    }
    if !intact {
        return Frame::NullArray;
    }
    // One unit of effects: the AOF and replicas get it wrapped in MULTI/EXEC.
    batch.keyspace().begin_transaction();
    batch.in_exec = true;
    // Blocking commands inside the transaction reply at once (Redis's
    // CLIENT_DENY_BLOCKING during EXEC).
    conn.deny_blocking = true;
    let replies = multi
        .queued
        .iter()
        .map(|argv| super::dispatch(conn, batch, argv))
        .collect();
    batch.keyspace().end_transaction();
    batch.in_exec = false;
    conn.deny_blocking = false;
    Frame::Array(replies)
}
