//! SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stop the server. On success there is no
//! reply: the connection closes, as with Redis.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "shutdown",
    -1,
    &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    super::ADMIN_ACL,
    "server",
    "Synchronously save the dataset to disk and then shut down the server",
    "1.0.0",
    "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
    "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
);

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for arg in &argv[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"abort" => abort = true,
            // NOW and FORCE only change how Redis waits for lagging replicas and
            // treats save errors; without replicas or persistence they change nothing.
            b"now" | b"force" => {}
            _ => return Frame::static_error("ERR syntax error"),
        }
    }
    if (save && nosave) || (abort && argv.len() > 2) {
        return Frame::static_error("ERR syntax error");
    }
    if abort {
        // Shutdown here is immediate, so there is never one in progress to abort.
        return Frame::static_error("ERR No shutdown in progress.");
    }
    if save {
        // RDB persistence is not part of ferrodis yet (it is the RDB issue): saving
        // cannot succeed, so refuse the way Redis does when its save fails.
        tracing::warn!(
            "Error trying to save the DB, can't exit: RDB persistence is not implemented yet."
        );
        return Frame::static_error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    tracing::warn!("User requested shutdown...");
    shared.request_stop();
    conn.no_reply = true;
    conn.close_after_reply = true;
    Frame::ok()
}
