//! Where write effects leave the keyspace (DESIGN.md "Execution model"): when a
//! batch of commands ends, and after each cron step that may write (active expiry,
//! eviction), the effects are taken once, still under the keyspace lock, and handed
//! to every consumer — the AOF and the replication stream — in commit order.
//!
//! With no consumer the keyspace records nothing (`set_propagation(false)`), so a
//! server without AOF or replicas pays nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use ferrodis_keyspace::{Effect, Keyspace};

/// A consumer of effects.
pub trait EffectSink: Send + Sync {
    /// Receives the effects of one batch, in commit order. Called under the
    /// keyspace lock: it must not block on I/O (queue, and write elsewhere).
    fn feed(&self, effects: &[Effect]);
}

/// The registered consumers.
#[derive(Default)]
pub struct Propagation {
    sinks: RwLock<Vec<(u64, Arc<dyn EffectSink>)>>,
    /// Whether any sink is registered (read on every batch, without the lock).
    active: AtomicBool,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Propagation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Propagation")
            .field("active", &self.active.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Propagation {
    /// Registers `sink` (with the keyspace locked, so that it sees every effect from
    /// the next write on); returns its id for [`Propagation::remove`].
    pub fn add(&self, keyspace: &mut Keyspace, sink: Arc<dyn EffectSink>) -> u64 {
        // Effects recorded before anyone listened belong to no one.
        self.flush(keyspace);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        sinks.push((id, sink));
        keyspace.set_propagation(true);
        self.active.store(true, Ordering::Release);
        id
    }

    /// Unregisters a sink; propagation stops when none is left.
    pub fn remove(&self, keyspace: &mut Keyspace, id: u64) {
        self.flush(keyspace);
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        sinks.retain(|(i, _)| *i != id);
        if sinks.is_empty() {
            keyspace.set_propagation(false);
            self.active.store(false, Ordering::Release);
        }
    }

    /// Hands the effects recorded since the last call to every sink. Call it with
    /// the keyspace still locked, after anything that may have written.
    #[inline]
    pub fn flush(&self, keyspace: &mut Keyspace) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        let effects = keyspace.take_effects();
        if effects.is_empty() {
            return;
        }
        let sinks = self.sinks.read().unwrap_or_else(|e| e.into_inner());
        for (_, sink) in sinks.iter() {
            sink.feed(&effects);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use ferrodis_keyspace::Session;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl EffectSink for Record {
        fn feed(&self, effects: &[Effect]) {
            let mut seen = self.0.lock().unwrap();
            for e in effects {
                let words: Vec<_> = e.argv.iter().map(|a| String::from_utf8_lossy(a)).collect();
                seen.push(format!("{} {}", e.db, words.join(" ")));
            }
        }
    }

    fn run(ks: &mut Keyspace, words: &[&str]) {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        ks.execute(&mut Session::default(), &argv).unwrap();
    }

    #[test]
    fn every_sink_gets_every_effect_once_while_registered() {
        let p = Propagation::default();
        let mut ks = Keyspace::new(16);
        run(&mut ks, &["SET", "before", "1"]);
        let (a, b) = (Arc::new(Record::default()), Arc::new(Record::default()));
        let ida = p.add(&mut ks, a.clone());
        run(&mut ks, &["SET", "k", "1"]);
        p.flush(&mut ks);
        let idb = p.add(&mut ks, b.clone());
        run(&mut ks, &["DEL", "k"]);
        p.flush(&mut ks);
        p.remove(&mut ks, ida);
        run(&mut ks, &["SET", "k", "2"]);
        p.flush(&mut ks);
        p.remove(&mut ks, idb);
        run(&mut ks, &["SET", "k", "3"]);
        p.flush(&mut ks);
        assert_eq!(*a.0.lock().unwrap(), ["0 SET k 1", "0 DEL k"]);
        assert_eq!(*b.0.lock().unwrap(), ["0 DEL k", "0 SET k 2"]);
        assert!(
            ks.take_effects().is_empty(),
            "nothing recorded without sinks"
        );
    }
}
