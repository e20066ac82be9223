//! The master's replication stream: write effects as RESP commands, with a SELECT
//! whenever the database changes (Redis's `replicationFeedSlaves()`), appended to
//! the backlog and to every replica's outbox.
//!
//! The sink is registered with [`crate::propagate`] while this server is a master
//! with a backlog (from the first replica on); a replica forwards its master's
//! bytes instead (replica.rs), so the sink ignores effects then.

use std::sync::{Arc, Weak};

use ferrodis_aof::write_command;
use ferrodis_keyspace::{Effect, Keyspace};

use super::{Replication, State};
use crate::propagate::EffectSink;
use crate::shared::Shared;

/// Turns effects into stream bytes.
#[derive(Debug)]
pub struct StreamSink {
    shared: Weak<Shared>,
}

impl EffectSink for StreamSink {
    fn feed(&self, effects: &[Effect]) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut state = shared.replication.state();
        if state.master.is_some() {
            return;
        }
        let mut out = Vec::new();
        encode(&mut state, effects, &mut out);
        state.feed(&out);
    }
}

/// Appends `effects` to `out`, selecting databases as needed.
pub fn encode(state: &mut State, effects: &[Effect], out: &mut Vec<u8>) {
    for e in effects {
        if state.selected_db != Some(e.db) {
            let db = e.db.to_string();
            write_command(out, &[&b"SELECT"[..], db.as_bytes()]);
            state.selected_db = Some(e.db);
        }
        write_command(out, &e.argv);
    }
}

/// Feeds a command that is not a write effect (PING, REPLCONF GETACK) into the
/// stream; no SELECT needed.
pub fn feed_command(replication: &Replication, argv: &[&[u8]]) {
    let mut out = Vec::new();
    write_command(&mut out, argv);
    replication.state().feed(&out);
}

/// Registers the stream sink and creates the backlog if not done yet (the first
/// replica attaches). Called with the keyspace locked.
pub fn ensure_sink(shared: &Arc<Shared>, keyspace: &mut Keyspace) {
    let capacity = backlog_size(shared);
    let registered = {
        let mut state = shared.replication.state();
        state.history.ensure_backlog(capacity);
        state.sink_id.is_some()
    };
    if !registered {
        let sink = Arc::new(StreamSink {
            shared: Arc::downgrade(shared),
        });
        let id = shared.propagation.add(keyspace, sink);
        shared.replication.state().sink_id = Some(id);
    }
}

/// `repl-backlog-size` in bytes.
pub fn backlog_size(shared: &Shared) -> usize {
    usize::try_from(shared.config().get_int("repl-backlog-size").max(1)).unwrap_or(usize::MAX)
}
