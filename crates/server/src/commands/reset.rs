//! RESET: back to a fresh connection's state (db 0, RESP2, no name, no
//! subscriptions, and unauthenticated when a password is set), replying `+RESET`.

use bytes::Bytes;
use ferrodis_keyspace::{CommandSpec, Session};
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "reset",
    1,
    super::NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    "connection",
    "Reset the connection",
    "6.2.0",
    "O(1)",
    "",
);

/// Like Redis's `clearClientConnectionState`.
pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, _argv: &[Bytes]) -> Frame {
    conn.multi = None;
    super::watch::forget(conn, batch);
    // Unsubscribed without confirmations, as `clearClientConnectionState` does.
    batch.shared().pubsub.lock().remove_client(conn.client.id);
    conn.pubsub = None;
    conn.session = Session::default();
    conn.authenticated = conn.settings.requirepass.is_none();
    conn.client.meta().name.clear();
    Frame::simple("RESET")
}
