//! BGREWRITEAOF: rewrite the AOF in the background (`bgrewriteaofCommand()` in
//! aof.c): a new base from a point-in-time snapshot, while writes go to a new incr
//! file.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::aof::{start_rewrite, RewriteStart};
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "bgrewriteaof",
    1,
    &["admin", "noscript", "no_async_loading"],
    super::ADMIN_ACL,
    "server",
    "Asynchronously rewrite the append-only file",
    "1.0.0",
    "O(1)",
    "",
);

pub fn run(_conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    if shared.aof.rewrite_running() {
        return Frame::static_error(
            "ERR Background append only file rewriting already in progress",
        );
    }
    if batch.in_exec {
        // Redis schedules it: the effects of the transaction so far are not
        // complete yet, so the switch to a new incr file waits for the cron.
        shared.aof.schedule_rewrite();
        return Frame::simple("Background append only file rewriting scheduled");
    }
    match start_rewrite(shared, batch.keyspace()) {
        RewriteStart::Started => Frame::simple("Background append only file rewriting started"),
        RewriteStart::Scheduled => {
            Frame::simple("Background append only file rewriting scheduled")
        }
        RewriteStart::AlreadyRunning => Frame::static_error(
            "ERR Background append only file rewriting already in progress",
        ),
        RewriteStart::Failed => Frame::static_error(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        ),
    }
}
