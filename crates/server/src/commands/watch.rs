//! WATCH key... and UNWATCH: optimistic locking for MULTI/EXEC.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

const FLAGS: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];

pub static WATCH_SPEC: ferrodis_keyspace::CommandSpec = CommandSpec {
    first_key: 1,
    last_key: -1,
    step: 1,
    ..super::spec(
        "watch",
        -2,
        FLAGS,
        &["@fast", "@transaction"],
        "transactions",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        "2.2.0",
        "O(1) for every key.",
        "key...",
    )
};

pub fn watch(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    if conn.multi.is_some() {
        return Frame::static_error("ERR WATCH inside MULTI is not allowed");
    }
    let (client, db) = (conn.client.id, conn.session.db);
    let keyspace = batch.keyspace();
    for key in &argv[1..] {
        let token = keyspace.watch(client, db, key);
        if !conn.watches.contains(&token) {
            conn.watches.push(token);
        }
    }
    conn.client.set_watching(true);
    Frame::ok()
}

pub static UNWATCH_SPEC: CommandSpec = super::spec(
    "unwatch",
    1,
    FLAGS,
    &["@fast", "@transaction"],
    "transactions",
    "Forget about all watched keys",
    "2.2.0",
    "O(1)",
    "",
);

pub fn unwatch(conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    forget(conn, batch);
    Frame::ok()
}

/// Drop every watch of `conn` (UNWATCH, EXEC, DISCARD, RESET).
pub fn forget(conn: &mut Conn, batch: &mut Batch<'_>) {
    if conn.client.is_watching() {
        batch.keyspace().unwatch_all(conn.client.id);
        conn.client.set_watching(false);
    }
    conn.watches.clear();
}
