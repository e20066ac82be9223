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
    backlog_size_of(&shared.config())
}

/// [`backlog_size`] for a caller that already holds the configuration: reading
/// it a second time from the same thread deadlocks when a CONFIG SET is waiting
/// in between (the lock lets no new reader pass a waiting writer).
pub fn backlog_size_of(config: &crate::config::Config) -> usize {
    usize::try_from(config.get_int("repl-backlog-size").max(1)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::replication::{Attached, Outbox, Replication};
    use bytes::Bytes;
    use ferrodis_replication::ReplicaInfo;

    fn effect(db: usize, words: &[&str]) -> Effect {
        Effect {
            db,
            argv: words
                .iter()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect(),
        }
    }

    #[test]
    fn selects_on_db_change_and_feeds_receiving_replicas_only() {
        let r = Replication::default();
        let clients = crate::clients::Clients::default();
        let addr = "127.0.0.1:1".parse().unwrap();
        let mut state = r.state();
        state.history.ensure_backlog(1024);
        let (a, b) = (Arc::new(Outbox::default()), Arc::new(Outbox::default()));
        for (outbox, receiving) in [(&a, true), (&b, false)] {
            state.replicas.push(Attached {
                info: ReplicaInfo::new(1, "x".into(), 0),
                outbox: outbox.clone(),
                receiving,
                client: clients.register(addr, addr, -1),
                soft_since: None,
                sync: Default::default(),
            });
        }
        let mut out = Vec::new();
        encode(
            &mut state,
            &[
                effect(0, &["SET", "a", "1"]),
                effect(0, &["DEL", "a"]),
                effect(2, &["INCR", "n"]),
            ],
            &mut out,
        );
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            text,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n\
             *2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
        );
        state.feed(&out);
        assert_eq!(state.history.offset(), out.len() as u64);
        assert_eq!(&a.take()[..], &out[..]);
        assert!(b.is_empty(), "waiting for its snapshot");
        // A replica far behind is dropped.
        state.obuf_limit = (10, 0, 0);
        state.feed(b"0123456789ab");
        assert!(a.is_closed() && !b.is_closed());
    }

    #[test]
    fn refusals_word_as_redis() {
        let shared = Shared::new(crate::Config::default(), 0);
        let set = ferrodis_keyspace::lookup(b"set").unwrap();
        let get = ferrodis_keyspace::lookup(b"get").unwrap();
        shared.replication.set_min_replicas_failing(true);
        assert_eq!(
            crate::replication::refuse(&shared, set, false),
            Some(ferrodis_resp::Frame::error(
                "NOREPLICAS Not enough good replicas to write."
            ))
        );
        assert_eq!(crate::replication::refuse(&shared, get, false), None);
    }
}
