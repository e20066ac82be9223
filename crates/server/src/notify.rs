//! Publishing keyspace notifications (Redis's `notifyKeyspaceEvent()`): the events the
//! keyspace recorded go out on `__keyspace@<db>__:<key>` (message: the event) and
//! `__keyevent@<db>__:<event>` (message: the key), as `K` and `E` select.
//!
//! Called right after the command (or active expiry round) that raised them, while
//! the keyspace lock is still held: no other command can publish in between, so
//! subscribers see events in the order the writes happened. The lock order keyspace →
//! pub/sub registry is the one PUBLISH inside a batch already uses.

use std::io::Write;

use ferrodis_keyspace::{notify, Keyspace};

use crate::pubsub::{Limits, PubSub};

/// Publishes every notification `keyspace` holds; `limits` are the pub/sub output
/// buffer limits (subscribers pushed past them are closed, as PUBLISH does).
pub fn publish(pubsub: &PubSub, keyspace: &mut Keyspace, limits: Limits) {
    let notes = keyspace.take_notifications();
    let flags = keyspace.tunables().notify_keyspace_events;
    let registry = pubsub.lock();
    let (channels, patterns, _) = registry.sizes();
    if channels == 0 && patterns == 0 {
        return;
    }
    let mut over = Vec::new();
    let mut channel = Vec::new();
    for note in &notes {
        if flags & notify::KEYSPACE != 0 {
            channel_name(&mut channel, b"__keyspace@", note.db, &note.key);
            let (_, full) = registry.publish(false, &channel, note.event.as_bytes(), limits);
            over.extend(full);
        }
        if flags & notify::KEYEVENT != 0 {
            channel_name(&mut channel, b"__keyevent@", note.db, note.event.as_bytes());
            let (_, full) = registry.publish(false, &channel, &note.key, limits);
            over.extend(full);
        }
    }
    drop(registry);
    for sub in over {
        sub.close_for_limits();
    }
}

/// `<prefix><db>__:<suffix>` into `out`.
fn channel_name(out: &mut Vec<u8>, prefix: &[u8], db: usize, suffix: &[u8]) {
    out.clear();
    out.extend_from_slice(prefix);
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{db}");
    out.extend_from_slice(b"__:");
    out.extend_from_slice(suffix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_match_redis() {
        let mut out = Vec::new();
        channel_name(&mut out, b"__keyspace@", 12, b"my key");
        assert_eq!(out, b"__keyspace@12__:my key");
        channel_name(&mut out, b"__keyevent@", 0, b"del");
        assert_eq!(out, b"__keyevent@0__:del");
    }
}
