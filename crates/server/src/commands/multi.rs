//! MULTI and DISCARD, and the queue of a transaction in progress (EXEC is exec.rs).

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

/// A transaction being queued.
#[derive(Debug, Default)]
pub struct Multi {
    /// Commands to run at EXEC, in order.
    pub queued: Vec<Vec<Bytes>>,
    /// A command was rejected while queueing (unknown, wrong arity, not allowed):
    /// EXEC will fail with EXECABORT (Redis's CLIENT_DIRTY_EXEC).
    pub aborted: bool,
}

/// Commands that act on the transaction itself and run even inside MULTI (Redis 7.0's
/// processCommand list).
pub const CONTROL: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

const TX_FLAGS: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];

pub static MULTI_SPEC: CommandSpec = super::spec(
    "multi",
    1,
    TX_FLAGS,
    &["@fast", "@transaction"],
    "transactions",
    "Mark the start of a transaction block",
    "1.2.0",
    "O(1)",
    "",
);

pub fn multi(conn: &mut Conn, _batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    if conn.multi.is_some() {
        return Frame::static_error("ERR MULTI calls can not be nested");
    }
    conn.multi = Some(Multi::default());
    Frame::ok()
}

pub static DISCARD_SPEC: CommandSpec = super::spec(
    "discard",
    1,
    TX_FLAGS,
    &["@fast", "@transaction"],
    "transactions",
    "Discard all commands issued after MULTI",
    "2.0.0",
    "O(N), when N is the number of queued commands",
    "",
);

pub fn discard(conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    if conn.multi.take().is_none() {
        return Frame::static_error("ERR DISCARD without MULTI");
    }
    super::watch::forget(conn, batch);
    Frame::ok()
}
