//! DEBUG SLEEP <seconds>: block the server, like Redis, for tests of timeouts and
//! clients. Guarded by `enable-debug-command` as in Redis 7.0 (default `no`).

use std::time::Duration;

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "debug",
    -2,
    super::ADMIN_FLAGS,
    super::ADMIN_ACL,
    "server",
    "A container for debugging commands",
    "1.0.0",
    "Depends on subcommand.",
    "",
);

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let allowed = match conn.settings.enable_debug.as_str() {
        "yes" => true,
        "local" => conn.is_local,
        _ => false,
    };
    if !allowed {
        return Frame::static_error(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
             \"local\", you can run it from a local connection, otherwise you need to set \
             this option in the configuration file, and then restart the server.",
        );
    }
    let sub = &argv[1];
    if sub.eq_ignore_ascii_case(b"sleep") && argv.len() == 3 {
        // Redis reads the delay with strtod and no error check: text that is not a
        // number sleeps 0 seconds, and so does a negative delay.
        let secs = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(0.0);
        // Redis sleeps in the main thread, so no other command runs meanwhile: sleep
        // holding the keyspace lock (the batch keeps it). block_in_place lets tokio
        // move other tasks (accepting, reading) off this worker thread.
        batch.keyspace();
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_secs_f64(secs)));
        return Frame::ok();
    }
    Frame::error(format!(
        "ERR unknown subcommand '{}'. Try DEBUG HELP.",
        super::lossy(sub, 128)
    ))
}
