//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and their shard-channel
//! forms SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH (Redis 7.0's `pubsub.c`).
//!
//! Every (un)subscription is confirmed by its own push frame (an array in RESP2)
//! carrying the client's subscription count afterwards; a command naming several
//! channels returns the last confirmation as its reply and queues the others in
//! `Conn::pushes`. Work on the registry happens under its lock together with
//! draining this client's queue, so confirmations and messages reach the client in
//! the order the registry saw them.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::pubsub::{Inbox, Kind};
use crate::shared::Shared;

const PUBSUB_FLAGS: &[&str] = &["pubsub", "noscript", "loading", "stale"];
const PUBLISH_FLAGS: &[&str] = &["pubsub", "loading", "stale", "fast"];
const SLOW: &[&str] = &["@pubsub", "@slow"];
const FAST: &[&str] = &["@pubsub", "@fast"];

pub static SUBSCRIBE: CommandSpec = super::spec(
    "subscribe",
    -2,
    PUBSUB_FLAGS,
    SLOW,
    "pubsub",
    "Listen for messages published to the given channels",
    "2.0.0",
    "O(N) where N is the number of channels to subscribe to.",
    "channel...",
);

pub static UNSUBSCRIBE: CommandSpec = super::spec(
    "unsubscribe",
    -1,
    PUBSUB_FLAGS,
    SLOW,
    "pubsub",
    "Stop listening for messages posted to the given channels",
    "2.0.0",
    "O(N) where N is the number of clients already subscribed to a channel.",
    "[channel...]",
);

pub static PSUBSCRIBE: CommandSpec = super::spec(
    "psubscribe",
    -2,
    PUBSUB_FLAGS,
    SLOW,
    "pubsub",
    "Listen for messages published to channels matching the given patterns",
    "2.0.0",
    "O(N) where N is the number of patterns the client is already subscribed to.",
    "pattern:pattern...",
);

pub static PUNSUBSCRIBE: CommandSpec = super::spec(
    "punsubscribe",
    -1,
    PUBSUB_FLAGS,
    SLOW,
    "pubsub",
    "Stop listening for messages posted to channels matching the given patterns",
    "2.0.0",
    "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
    "[pattern:pattern...]",
);

pub static PUBLISH: CommandSpec = super::spec(
    "publish",
    3,
    PUBLISH_FLAGS,
    FAST,
    "pubsub",
    "Post a message to a channel",
    "2.0.0",
    "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
    "channel message",
);

/// Shard channels are declared as (non-key) keys, for cluster slot routing.
pub static SSUBSCRIBE: CommandSpec = CommandSpec {
    first_key: 1,
    last_key: -1,
    step: 1,
    ..super::spec(
        "ssubscribe",
        -2,
        PUBSUB_FLAGS,
        SLOW,
        "pubsub",
        "Listen for messages published to the given shard channels",
        "7.0.0",
        "O(N) where N is the number of shard channels to subscribe to.",
        "shardchannel...",
    )
};

pub static SUNSUBSCRIBE: CommandSpec = CommandSpec {
    first_key: 1,
    last_key: -1,
    step: 1,
    ..super::spec(
        "sunsubscribe",
        -1,
        PUBSUB_FLAGS,
        SLOW,
        "pubsub",
        "Stop listening for messages posted to the given shard channels",
        "7.0.0",
        "O(N) where N is the number of clients already subscribed to a shard channel.",
        "[shardchannel...]",
    )
};

pub static SPUBLISH: CommandSpec = CommandSpec {
    first_key: 1,
    last_key: 1,
    step: 1,
    ..super::spec(
        "spublish",
        3,
        PUBLISH_FLAGS,
        FAST,
        "pubsub",
        "Post a message to a shard channel",
        "7.0.0",
        "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        "shardchannel message",
    )
};

pub fn subscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    add(conn, shared, argv, Kind::Channel)
}

pub fn unsubscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    remove(conn, shared, argv, Kind::Channel)
}

pub fn psubscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    add(conn, shared, argv, Kind::Pattern)
}

pub fn punsubscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    remove(conn, shared, argv, Kind::Pattern)
}

pub fn ssubscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    add(conn, shared, argv, Kind::Shard)
}

pub fn sunsubscribe(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    remove(conn, shared, argv, Kind::Shard)
}

pub fn publish(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    deliver(conn, shared, argv, false)
}

pub fn spublish(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    deliver(conn, shared, argv, true)
}

/// The commands a RESP2 client with subscriptions may still run.
pub fn allowed_in_context(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Redis 7.0's refusal of other commands in that context; `name` is the full name
/// (`client|list` for a subcommand).
pub fn not_allowed(name: &str) -> Frame {
    Frame::error(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

/// `[subscribe, channel, count]` and the other confirmations.
fn confirmation(word: &'static str, name: Frame, count: usize) -> Frame {
    Frame::Push(vec![
        Frame::bulk(word),
        name,
        Frame::Integer(i64::try_from(count).unwrap_or(i64::MAX)),
    ])
}

/// The last confirmation is the reply; the ones before it go out first.
fn reply(conn: &mut Conn) -> Frame {
    conn.pushes.pop().unwrap_or(Frame::Null)
}

fn add(conn: &mut Conn, shared: &Shared, argv: &[Bytes], kind: Kind) -> Frame {
    let word = match kind {
        Kind::Channel => "subscribe",
        Kind::Pattern => "psubscribe",
        Kind::Shard => "ssubscribe",
    };
    let inbox = conn
        .pubsub
        .get_or_insert_with(|| Inbox::new(conn.client.clone()));
    let mut registry = shared.pubsub.lock();
    inbox.drain_frames(&mut conn.pushes);
    for name in &argv[1..] {
        let count = registry.subscribe(inbox.subscriber(), kind, name);
        conn.pushes
            .push(confirmation(word, Frame::Bulk(name.clone()), count));
    }
    drop(registry);
    reply(conn)
}

fn remove(conn: &mut Conn, shared: &Shared, argv: &[Bytes], kind: Kind) -> Frame {
    let word = match kind {
        Kind::Channel => "unsubscribe",
        Kind::Pattern => "punsubscribe",
        Kind::Shard => "sunsubscribe",
    };
    let id = conn.client.id;
    let mut registry = shared.pubsub.lock();
    if let Some(inbox) = conn.pubsub.as_mut() {
        inbox.drain_frames(&mut conn.pushes);
    }
    let names = match argv {
        [_] => registry.names(id, kind),
        [_, names @ ..] => names.to_vec(),
        [] => Vec::new(),
    };
    if names.is_empty() {
        // Unsubscribing from all when there is nothing: still one confirmation,
        // with a null name (`addReplyPubsubUnsubscribed(c, NULL, ...)`).
        let count = registry.count(id, kind);
        conn.pushes.push(confirmation(word, Frame::Null, count));
    }
    for name in names {
        let count = registry.unsubscribe(id, kind, &name);
        conn.pushes
            .push(confirmation(word, Frame::Bulk(name), count));
    }
    if !registry.is_subscribed(id) {
        // Out of pub/sub mode; nothing can be queued for it any more.
        conn.pubsub = None;
    }
    drop(registry);
    reply(conn)
}

fn deliver(conn: &mut Conn, shared: &Shared, argv: &[Bytes], shard: bool) -> Frame {
    let limits = conn.settings.obuf_pubsub;
    let registry = shared.pubsub.lock();
    let (receivers, over) = registry.publish(shard, &argv[1], &argv[2], limits);
    if let Some(inbox) = conn.pubsub.as_mut() {
        // A RESP3 subscriber publishing to itself gets the message before the
        // reply, as from Redis 7.0, which writes it into the same output buffer.
        inbox.drain_frames(&mut conn.pushes);
    }
    drop(registry);
    for sub in over {
        sub.close_for_limits();
    }
    Frame::Integer(i64::try_from(receivers).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_error_is_redis_text() {
        assert_eq!(
            not_allowed("client|list"),
            Frame::error(
                "ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )
        );
    }

    #[test]
    fn every_command_allowed_in_context_exists() {
        for name in [
            "ping",
            "subscribe",
            "ssubscribe",
            "unsubscribe",
            "sunsubscribe",
            "psubscribe",
            "punsubscribe",
            "quit",
            "reset",
        ] {
            assert!(allowed_in_context(name));
            assert!(super::super::lookup(name.as_bytes()).is_some(), "{name}");
        }
        assert!(!allowed_in_context("publish"));
        assert!(!allowed_in_context("hello"));
    }
}
