//! DEBUG SLEEP <seconds>: block the server, like Redis, for tests of timeouts and
//! clients; DEBUG SET-ACTIVE-EXPIRE <0|1>: stop or restart active expiry; DEBUG
//! RELOAD: save, flush and load the RDB file back. Guarded by
//! `enable-debug-command` as in Redis 7.0 (default `no`).

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
    if sub.eq_ignore_ascii_case(b"set-active-expire") && argv.len() == 3 {
        // Redis reads the flag with atoi: anything but a non-zero number is 0.
        let on = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .is_some_and(|n| n != 0);
        batch
            .shared()
            .active_expire
            .store(on, std::sync::atomic::Ordering::Relaxed);
        return Frame::ok();
    }
    if sub.eq_ignore_ascii_case(b"reload") {
        return reload(batch, &argv[2..]);
    }
    Frame::error(format!(
        "ERR unknown subcommand '{}'. Try DEBUG HELP.",
        super::lossy(sub, 128)
    ))
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB file, empty the keyspace
/// and load the file back (Redis's debug.c), all under the batch's hold of the
/// keyspace. The load is not propagated: replicas and the AOF have the data.
fn reload(batch: &mut Batch<'_>, options: &[Bytes]) -> Frame {
    let (mut flush, mut save) = (true, true);
    for opt in options {
        if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else if !opt.eq_ignore_ascii_case(b"merge") {
            // Loading applies each key over what exists, so MERGE is what it does.
            return Frame::static_error(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            );
        }
    }
    let shared = batch.shared();
    let path = {
        let config = shared.config();
        config.dir().join(config.get_str("dbfilename"))
    };
    let keyspace = batch.keyspace();
    tokio::task::block_in_place(|| {
        if save && crate::save::save_now(shared, keyspace).is_err() {
            return Frame::static_error("ERR");
        }
        // What the batch's commands wrote so far leaves first; then the load's
        // commands are dropped instead of propagated.
        shared.propagation.flush(keyspace);
        if flush {
            keyspace.flushall();
        }
        let loaded = crate::load::load_rdb(keyspace, &path, keyspace.now_ms(), &shared.loading);
        let _ = keyspace.take_effects();
        let _ = keyspace.take_notifications();
        match loaded {
            Ok(keys) => {
                shared.rdb.note_load(keys, 0);
                shared.rdb.reset_dirty(keyspace.dirty());
                tracing::warn!("DB reloaded by DEBUG RELOAD");
                Frame::ok()
            }
            Err(e) => {
                tracing::warn!("{e}");
                Frame::static_error("ERR Error trying to load the RDB dump")
            }
        }
    })
}
