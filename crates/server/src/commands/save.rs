//! SAVE, BGSAVE [SCHEDULE] and LASTSAVE (rdb.c): the replies and errors of Redis
//! 7.0; the work is in `save.rs`.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::save::{self, BgStart};

pub static SAVE_SPEC: CommandSpec = super::spec(
    "save",
    1,
    &["admin", "noscript", "no_async_loading", "no_multi"],
    super::ADMIN_ACL,
    "server",
    "Synchronously save the dataset to disk",
    "1.0.0",
    "O(N) where N is the total number of keys in all databases",
    "",
);

const IN_PROGRESS: &str = "ERR Background save already in progress";

/// SAVE: writes the file now, every other client waiting (the batch holds the
/// keyspace), as Redis's main thread does.
pub fn save(_conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    if shared.rdb.bgsave_running() {
        return Frame::static_error(IN_PROGRESS);
    }
    shared.rdb.count_save();
    let keyspace = batch.keyspace();
    match tokio::task::block_in_place(|| save::save_now(shared, keyspace)) {
        Ok(_) => Frame::ok(),
        Err(()) => Frame::static_error("ERR"),
    }
}

pub static BGSAVE_SPEC: CommandSpec = super::spec(
    "bgsave",
    -1,
    &["admin", "noscript", "no_async_loading"],
    super::ADMIN_ACL,
    "server",
    "Asynchronously save the dataset to disk",
    "1.0.0",
    "O(1)",
    "[SCHEDULE]",
);

/// BGSAVE [SCHEDULE]: inside EXEC, or with SCHEDULE while another snapshot (an AOF
/// rewrite) runs, the save waits for the cron, as Redis schedules it.
pub fn bgsave(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let schedule = match argv.get(1) {
        None => false,
        Some(a) if argv.len() == 2 && a.eq_ignore_ascii_case(b"schedule") => true,
        Some(_) => return Frame::static_error("ERR syntax error"),
    };
    let shared = batch.shared();
    if shared.rdb.bgsave_running() {
        return Frame::static_error(IN_PROGRESS);
    }
    let in_exec = conn.deny_blocking;
    let other = batch.keyspace().snapshot_running();
    if other || in_exec {
        if schedule || in_exec {
            shared.rdb.schedule();
            return Frame::simple("Background saving scheduled");
        }
        return Frame::static_error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. \
             Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        );
    }
    match save::start_bgsave(shared, batch.keyspace()) {
        BgStart::Started => Frame::simple("Background saving started"),
        BgStart::AlreadyRunning => Frame::static_error(IN_PROGRESS),
        BgStart::OtherSnapshot => Frame::static_error(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. \
             Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ),
        BgStart::Failed => Frame::static_error("ERR"),
    }
}

pub static LASTSAVE_SPEC: CommandSpec = super::spec(
    "lastsave",
    1,
    &["loading", "stale", "fast"],
    &["@admin", "@fast", "@dangerous"],
    "server",
    "Get the UNIX time stamp of the last successful save to disk",
    "1.0.0",
    "O(1)",
    "",
);

/// LASTSAVE: Unix time of the last successful save (the start, before any).
pub fn lastsave(_conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    Frame::Integer(batch.shared().rdb.lastsave() as i64)
}
