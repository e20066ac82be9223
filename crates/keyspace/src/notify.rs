//! Keyspace notifications (Redis's notify.c): the events commands raise, recorded for
//! the server to publish on `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.
//!
//! Handlers call `Ctx::notify` where Redis calls `notifyKeyspaceEvent()`, with the
//! same class and event name, in the same order. The call costs one branch while
//! `notify-keyspace-events` leaves the class off (the default: everything off); only
//! an enabled event copies its key. The owner drains them with
//! [`crate::Keyspace::take_notifications`] after each command (and after active
//! expiry) and publishes them in order.

use bytes::Bytes;

use crate::commands::Ctx;

/// `K`: publish on `__keyspace@<db>__:<key>` (`NOTIFY_KEYSPACE`).
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>` (`NOTIFY_KEYEVENT`).
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: a key expired (on access or by active expiry).
pub const EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted for `maxmemory`.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: a read found no key (not part of `A`, as in Redis).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events.
pub const MODULE: u32 = 1 << 13;
/// `n`: a key was created (Redis 7.0; not part of `A`).
pub const NEW: u32 = 1 << 14;

/// One event: what [`crate::Keyspace::take_notifications`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The class (one of the constants of this module).
    pub class: u32,
    /// The event name, e.g. `"set"`, `"lpush"`, `"expired"`.
    pub event: &'static str,
    /// The database of the key.
    pub db: usize,
    /// The key.
    pub key: Bytes,
}

/// The `notify-keyspace-events` flags and the events recorded under them.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// The classes to record: the configured flags, or 0 when neither `K` nor `E` is
    /// set (Redis would publish nothing then).
    enabled: u32,
    pending: Vec<Notification>,
}

impl Notes {
    /// Applies the `notify-keyspace-events` flags (Redis's bit values).
    pub(crate) fn set_flags(&mut self, flags: u32) {
        self.enabled = if flags & (KEYSPACE | KEYEVENT) == 0 {
            0
        } else {
            flags & !(KEYSPACE | KEYEVENT)
        };
    }

    /// Whether events of `class` are recorded.
    #[inline]
    pub(crate) fn wants(&self, class: u32) -> bool {
        self.enabled & class != 0
    }

    /// Records one event if its class is enabled.
    #[inline]
    pub(crate) fn push(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        if self.wants(class) {
            self.pending.push(Notification {
                class,
                event,
                db,
                key: Bytes::copy_from_slice(key),
            });
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub(crate) fn take(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.pending)
    }
}

impl Ctx<'_> {
    /// Redis's `notifyKeyspaceEvent(class, event, key, c->db->id)`.
    #[inline]
    pub(crate) fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.session.db;
        self.fx.notes.push(class, event, db, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (MOVE, COPY ... DB).
    #[inline]
    pub(crate) fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        self.fx.notes.push(class, event, db, key);
    }

    /// The `del` event of a key a command emptied and deleted.
    #[inline]
    pub(crate) fn notify_del(&mut self, key: &[u8]) {
        self.notify(GENERIC, "del", key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_recorded_without_k_or_e() {
        let mut n = Notes::default();
        n.push(GENERIC, "del", 0, b"k");
        assert!(n.is_empty());
        n.set_flags(GENERIC | STRING);
        n.push(GENERIC, "del", 0, b"k");
        assert!(n.is_empty(), "no K and no E: nothing is published");
        n.set_flags(GENERIC | KEYEVENT);
        n.push(STRING, "set", 0, b"k");
        n.push(GENERIC, "del", 3, b"k");
        assert_eq!(
            n.take(),
            vec![Notification {
                class: GENERIC,
                event: "del",
                db: 3,
                key: Bytes::from_static(b"k"),
            }]
        );
        assert!(n.is_empty());
    }
}
