//! The AOF's [`EffectSink`]: write effects become RESP bytes in a shared buffer,
//! under the keyspace lock, so the buffer's order is the commit order.
//!
//! Every byte fed gets a position in one stream that never restarts (not per file):
//! `fed` counts them. A connection remembers where its batch's effects end
//! ([`take_batch_end`]) and, with `appendfsync always`, waits until the writer has
//! fsynced past it before sending the replies (Redis writes and fsyncs `aof_buf` in
//! `beforeSleep()`, before any reply of that event-loop turn goes out).

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};

use ferrodis_aof::Feeder;
use ferrodis_keyspace::Effect;

use crate::propagate::EffectSink;
use crate::shared::unix_time;

thread_local! {
    /// The stream position after the effects fed on this thread since the last
    /// [`take_batch_end`]: the sink runs on the connection's thread when its batch
    /// ends (batches run synchronously, between awaits).
    static BATCH_END: Cell<u64> = const { Cell::new(0) };
    /// Set while a connection runs its batch: with `appendfsync always` that
    /// connection wakes the writer itself, once the other batches of the turn
    /// are fed too ([`super::Aof::wait_synced`]), so one fsync covers them all.
    static IN_CONNECTION_BATCH: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as running a connection's batch until dropped.
pub struct ConnectionBatch(());

impl ConnectionBatch {
    /// Enters the batch.
    pub fn enter() -> ConnectionBatch {
        IN_CONNECTION_BATCH.with(|c| c.set(true));
        ConnectionBatch(())
    }
}

impl Drop for ConnectionBatch {
    fn drop(&mut self) {
        IN_CONNECTION_BATCH.with(|c| c.set(false));
    }
}

/// Where the effects fed on this thread since the last call end, if any were.
pub fn take_batch_end() -> Option<u64> {
    let end = BATCH_END.with(|c| c.replace(0));
    (end > 0).then_some(end)
}

/// What the sink and the writer share.
#[derive(Debug, Default)]
pub struct FeedState {
    /// Turns effects into commands, with SELECT and `#TS:` annotations.
    pub feeder: Feeder,
    /// Bytes not taken by the writer yet (Redis's `aof_buf`).
    pub buf: Vec<u8>,
    /// Bytes fed since the server started: the end of `buf` in the stream.
    pub fed: u64,
    /// The writer sleeps on [`Feed::wake`]; the next feed must wake it.
    pub writer_idle: bool,
    /// `appendfsync always`: the writer does every write and fsync, woken by
    /// feeds outside connection batches and by connections at the end of their
    /// turn; otherwise connections write inline.
    pub wake_writer: bool,
    /// The writer must stop (AOF turned off, shutdown).
    pub stop: bool,
}

/// The buffer between the keyspace and the writer thread.
#[derive(Debug, Default)]
pub struct Feed {
    state: Mutex<FeedState>,
    /// Signalled when bytes arrive for an idle writer, or on stop.
    pub wake: Condvar,
}

impl Feed {
    /// The state, locked.
    pub fn lock(&self) -> MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The registered sink: a handle on the feed.
pub struct AofSink(pub std::sync::Arc<Feed>);

impl EffectSink for AofSink {
    fn feed(&self, effects: &[Effect]) {
        let now = unix_time().as_secs() as i64;
        let mut s = self.0.lock();
        let FeedState {
            feeder, buf, fed, ..
        } = &mut *s;
        let before = buf.len();
        for e in effects {
            feeder.feed(buf, e.db, &e.argv, now);
        }
        *fed += (buf.len() - before) as u64;
        let end = *fed;
        BATCH_END.with(|c| c.set(end));
        // Feeds outside a connection's batch (expiry, a replica applying its
        // master's stream) have nobody to wake the writer later.
        if s.writer_idle && s.wake_writer && !IN_CONNECTION_BATCH.with(Cell::get) {
            s.writer_idle = false;
            self.0.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    #[test]
    fn feeding_advances_the_stream_and_marks_the_batch_end() {
        let feed = Arc::new(Feed::default());
        let sink = AofSink(feed.clone());
        assert_eq!(take_batch_end(), None);
        sink.feed(&[Effect {
            db: 0,
            argv: vec![Bytes::from_static(b"INCR"), Bytes::from_static(b"n")],
        }]);
        let expected = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
        assert_eq!(feed.lock().buf, expected);
        assert_eq!(take_batch_end(), Some(expected.len() as u64));
        assert_eq!(take_batch_end(), None);
    }

    #[test]
    fn only_feeds_outside_connection_batches_wake_the_writer() {
        let feed = Arc::new(Feed::default());
        let sink = AofSink(feed.clone());
        let effect = || Effect {
            db: 0,
            argv: vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"k")],
        };
        let idle_writer = || {
            let mut s = feed.lock();
            s.wake_writer = true;
            s.writer_idle = true;
        };
        idle_writer();
        {
            let _batch = ConnectionBatch::enter();
            sink.feed(&[effect()]);
        }
        // The connection wakes it after its turn (Aof::wait_synced).
        assert!(feed.lock().writer_idle);
        sink.feed(&[effect()]);
        assert!(
            !feed.lock().writer_idle,
            "an expiry's DEL must wake the writer"
        );
        take_batch_end();
    }
}
