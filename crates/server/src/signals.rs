//! SIGTERM and SIGINT in the binary, as Redis 7.0: the handler logs "Received
//! SIGTERM scheduling shutdown..." (`sigShutdownHandler()`), then the shutdown it
//! schedules (`prepareForShutdown()` from the cron) runs while clients are still
//! served. A final save that fails cancels it (`finishShutdown()`'s error path):
//! the server keeps serving and a later signal tries again.

use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::save::{self, ShutdownSave};
use crate::shared::Shared;

/// SHUTDOWN's flags as `shutdown-on-sigterm` and `shutdown-on-sigint` hold them
/// (SHUTDOWN_SAVE, SHUTDOWN_NOSAVE, SHUTDOWN_FORCE in server.h). NOW (4) only stops
/// Redis waiting for lagging replicas, which a shutdown here never does.
const SAVE: u32 = 1;
const NOSAVE: u32 = 2;
const FORCE: u32 = 8;

/// The binary's SIGTERM and SIGINT handlers; see [`crate::try_run_with_signals`].
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
}

/// Which signal arrived (Redis's `last_sig_received`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sig {
    Term,
    Int,
}

impl Signals {
    /// Installs both handlers. Call it before serving: a SIGTERM right after
    /// "Ready to accept connections" must shut down gracefully, not kill the process.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The next signal.
    pub(crate) async fn recv(&mut self) -> Sig {
        tokio::select! {
            _ = self.term.recv() => Sig::Term,
            _ = self.int.recv() => Sig::Int,
        }
    }
}

impl Sig {
    /// Redis's handler's line for a signal that schedules a shutdown.
    fn log_received(self) {
        let name = match self {
            Sig::Term => "SIGTERM",
            Sig::Int => "SIGINT",
        };
        tracing::warn!("Received {name} scheduling shutdown...");
    }
}

/// While the start-up load runs (on the serving task's thread), a SIGTERM or
/// SIGINT stops it: Redis logs this line from its handler and exits without
/// saving at the next chance its load loop gives (`whileBlockedCron()`).
pub(crate) async fn stop_loading_on_signal(shared: Arc<Shared>) {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::warn!("Received shutdown signal during loading, scheduling shutdown.");
    shared.loading.abort();
}

/// The shutdown `sig` asks for (`shutdown-on-sigterm` / `shutdown-on-sigint`,
/// SHUTDOWN's flags; "default" is a plain SHUTDOWN). Clients keep being served
/// while it saves (each waits for the keyspace, as behind a SAVE). Ok: the server
/// may stop; Err: the save failed, which `shutdown_save` logged, and the server
/// keeps serving.
pub(crate) async fn shutdown(
    shared: &Arc<Shared>,
    sig: Sig,
    signals: &mut Signals,
) -> Result<(), ()> {
    let name = match sig {
        Sig::Term => "shutdown-on-sigterm",
        Sig::Int => "shutdown-on-sigint",
    };
    sig.log_received();
    let flags = shared.config().get_flags(name);
    let mode = if flags & SAVE != 0 {
        ShutdownSave::Save
    } else if flags & NOSAVE != 0 {
        ShutdownSave::NoSave
    } else {
        ShutdownSave::Default
    };
    tracing::warn!("User requested shutdown...");
    let owned = shared.clone();
    // On a blocking thread, so that this task still sees a second signal.
    let mut save = tokio::task::spawn_blocking(move || {
        let mut keyspace = owned.keyspace();
        save::shutdown_save(&owned, &mut keyspace, mode, flags & FORCE != 0)
    });
    loop {
        tokio::select! {
            done = &mut save => return done.unwrap_or(Err(())),
            sig = signals.recv() => match sig {
                Sig::Int => insist(shared),
                // Only logged: Redis's cancelled shutdown forgets it.
                Sig::Term => sig.log_received(),
            },
        }
    }
}

/// A SIGINT while a signal's shutdown is pending: Redis takes it as the user
/// wanting out at once, without the save: its temp file is removed and the
/// process exits with status 1, since this is not a clean shutdown.
fn insist(shared: &Shared) -> ! {
    tracing::warn!("You insist... exiting now.");
    let temp = format!("temp-{}.rdb", std::process::id());
    let _ = std::fs::remove_file(shared.config().dir().join(temp));
    std::process::exit(1)
}
