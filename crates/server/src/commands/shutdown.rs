//! SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stop the server. On success there is no
//! reply: the connection closes, as with Redis.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::save::{self, ShutdownSave};

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
    let (mut save, mut nosave, mut abort, mut force) = (false, false, false, false);
    for arg in &argv[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"abort" => abort = true,
            b"force" => force = true,
            // NOW only changes how Redis waits for lagging replicas.
            b"now" => {}
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
    if shared.loading.active() {
        // Redis 7.0 makes it SHUTDOWN NOSAVE while loading: the load stops and
        // the server exits without touching its files (see `serve` in lib.rs).
        shared.loading.abort();
        conn.no_reply = true;
        conn.close_after_reply = true;
        return Frame::ok();
    }
    tracing::warn!("User requested shutdown...");
    let mode = match (save, nosave) {
        (true, _) => ShutdownSave::Save,
        (_, true) => ShutdownSave::NoSave,
        _ => ShutdownSave::Default,
    };
    // The save runs here, holding the keyspace (the batch), so no write slips in
    // between the file and the stop; a failure keeps the server running.
    let keyspace = batch.keyspace();
    let saved = tokio::task::block_in_place(|| save::shutdown_save(shared, keyspace, mode, force));
    if saved.is_err() {
        return Frame::static_error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    shared.request_stop();
    conn.no_reply = true;
    conn.close_after_reply = true;
    Frame::ok()
}
