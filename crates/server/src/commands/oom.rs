//! The `maxmemory` step of Redis 7.0's `processCommand()`: evict first (see
//! `evict.rs`), then refuse with `-OOM` a command that may use more memory when
//! nothing could be evicted.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::{lookup, Batch};
use crate::connection::Conn;
use crate::evict::{self, Outcome};

/// Redis's `shared.oomerr`.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Commands a client inside MULTI may still send when out of memory: queueing
/// anything else could use memory without bound.
const MULTI_ALLOWED: &[&str] = &["exec", "discard", "quit", "reset"];

/// Runs eviction before a command and returns the rejection, if any. `spec` is the
/// command's (or subcommand's) spec when the dispatcher already looked it up;
/// commands on the fast path are looked up only when memory is out.
///
/// Only called with `maxmemory` set and not for the commands EXEC runs: Redis
/// checks a transaction once, at EXEC.
pub fn check(
    conn: &mut Conn,
    batch: &mut Batch<'_>,
    spec: Option<&'static CommandSpec>,
    argv: &[Bytes],
) -> Option<Frame> {
    let shared = batch.shared();
    let outcome = evict::perform(&shared.eviction, || batch.keyspace());
    if outcome != Outcome::Fail {
        return None;
    }
    let spec = match spec {
        Some(spec) => spec,
        // Unknown commands and wrong arities get their own errors first, as in
        // Redis, where those checks come before this one.
        None => ferrodis_keyspace::lookup(argv.first()?).filter(|s| s.arity_ok(argv.len()))?,
    };
    let name = spec.name;
    if name == "exec" {
        let multi = conn.multi.as_ref()?;
        if !multi.queued.iter().any(|argv| denyoom(argv)) {
            return None;
        }
        // Redis's `execCommandAbort()`: the transaction is discarded.
        conn.multi = None;
        super::watch::forget(conn, batch);
        return Some(Frame::error(format!(
            "EXECABORT Transaction discarded because of: {OOM}"
        )));
    }
    let in_multi = conn.multi.is_some() && !MULTI_ALLOWED.contains(&name);
    if !(in_multi || spec.flags.contains(&"denyoom")) {
        return None;
    }
    if let Some(multi) = conn.multi.as_mut() {
        multi.aborted = true;
    }
    Some(Frame::static_error(OOM))
}

/// Whether a queued command has the `denyoom` flag.
fn denyoom(argv: &[Bytes]) -> bool {
    let Some(name) = argv.first() else {
        return false;
    };
    let spec = match lookup(name) {
        Some(cmd) => cmd.spec,
        None => match ferrodis_keyspace::lookup(name) {
            Some(spec) => spec,
            None => return false,
        },
    };
    spec.flags.contains(&"denyoom")
}
