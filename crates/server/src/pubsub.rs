//! The pub/sub registry: which client listens to which channel, pattern and shard
//! channel, and the queue through which PUBLISH reaches each subscriber.
//!
//! Redis keeps channel → clients and pattern → clients maps on the server
//! (`server.pubsub_channels`, `server.pubsub_patterns`) and each client's own
//! channels and patterns on the client. Here both sides sit under one mutex
//! ([`PubSub`]), so they never disagree and a client's subscriptions can be dropped
//! by id when its task ends, however it ends.
//!
//! PUBLISH runs on the publisher's task and never writes to a subscriber's socket:
//! it queues a [`Message`] (channel and payload copied once, shared by every
//! receiver) on the subscriber's unbounded channel and adds its encoded size to the
//! subscriber's pending-bytes figure. The subscriber's connection drains its
//! [`Inbox`]. A subscriber whose pending bytes pass `client-output-buffer-limit
//! pubsub` is closed as Redis closes it (`checkClientOutputBufferLimits`), so a
//! client that does not read neither blocks publishers nor grows memory unbounded.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use ferrodis_keyspace::glob_match;
use ferrodis_resp::{encode_command, Frame, Protocol};
use tokio::sync::mpsc;

use crate::clients::Client;

/// What a subscription is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: one channel by name.
    Channel,
    /// PSUBSCRIBE: every channel matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: a shard channel (Redis 7.0; without cluster, one more namespace).
    Shard,
}

/// One delivery to one subscriber.
#[derive(Debug, Clone)]
pub enum Message {
    /// `message <channel> <payload>`.
    Channel { channel: Bytes, payload: Bytes },
    /// `pmessage <pattern> <channel> <payload>`.
    Pattern {
        pattern: Bytes,
        channel: Bytes,
        payload: Bytes,
    },
    /// `smessage <channel> <payload>`.
    Shard { channel: Bytes, payload: Bytes },
}

impl Message {
    /// The elements of the push, and how many of the four are used.
    fn parts(&self) -> ([&[u8]; 4], usize) {
        match self {
            Message::Channel { channel, payload } => ([b"message", channel, payload, b""], 3),
            Message::Pattern {
                pattern,
                channel,
                payload,
            } => ([b"pmessage", pattern, channel, payload], 4),
            Message::Shard { channel, payload } => ([b"smessage", channel, payload, b""], 3),
        }
    }

    /// Appends the message as Redis sends it: a `>` push in RESP3, an array in RESP2
    /// (`addReplyPubsubMessage`). Both are arrays of bulk strings that differ only in
    /// the first byte, so one encoder writes both.
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let (parts, n) = self.parts();
        let start = out.len();
        encode_command(&parts[..n], out);
        if proto == Protocol::Resp3 {
            out[start] = b'>';
        }
    }

    /// The message as a frame, for replies assembled by a command.
    pub fn to_frame(&self) -> Frame {
        let (parts, n) = self.parts();
        Frame::Push(
            parts[..n]
                .iter()
                .map(|p| Frame::Bulk(Bytes::copy_from_slice(p)))
                .collect(),
        )
    }

    /// Encoded size in bytes: what it adds to the subscriber's output buffer.
    fn size(&self) -> u64 {
        let (parts, n) = self.parts();
        let bulk = |len: usize| 1 + digits(len) + 2 + len + 2;
        (4 + parts[..n].iter().map(|p| bulk(p.len())).sum::<usize>()) as u64
    }
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A client's subscription counts, kept on its [`Client`] for CLIENT LIST (`sub=`,
/// `psub=`, `ssub=`, flag `P`) and CLIENT KILL/LIST TYPE PUBSUB.
#[derive(Debug, Default)]
pub struct Counts {
    channels: AtomicU32,
    patterns: AtomicU32,
    shard: AtomicU32,
}

impl Counts {
    /// Channels, patterns and shard channels subscribed to.
    pub fn get(&self) -> (u32, u32, u32) {
        (
            self.channels.load(Ordering::Relaxed),
            self.patterns.load(Ordering::Relaxed),
            self.shard.load(Ordering::Relaxed),
        )
    }

    fn clear(&self) {
        self.channels.store(0, Ordering::Relaxed);
        self.patterns.store(0, Ordering::Relaxed);
        self.shard.store(0, Ordering::Relaxed);
    }

    /// Whether the client is in pub/sub mode (Redis's CLIENT_PUBSUB flag: set while
    /// it has at least one subscription of any kind).
    pub fn active(&self) -> bool {
        self.get() != (0, 0, 0)
    }
}

/// `client-output-buffer-limit pubsub`: hard bytes, soft bytes, soft seconds
/// (0 = no limit).
pub type Limits = (u64, u64, u64);

/// The sending side of a subscribed client, shared by the registry entries.
#[derive(Debug)]
pub struct Subscriber {
    client: Arc<Client>,
    tx: mpsc::UnboundedSender<Message>,
    /// Bytes queued and not yet taken by the connection: the part of Redis's output
    /// buffer that can grow without the client asking for anything.
    queued: AtomicU64,
    /// Unix second when `queued` was first seen over the soft limit; 0 while under.
    soft_since: AtomicU64,
    /// Over a limit: scheduled to close, receives nothing more.
    closing: AtomicBool,
}

impl Subscriber {
    /// Queue `msg`; false when this pushed the client over its output buffer limits
    /// (the message is dropped and the caller closes the client).
    fn offer(&self, msg: Message, limits: Limits) -> bool {
        if self.closing.load(Ordering::Relaxed) {
            return true;
        }
        let size = msg.size();
        let used = self.queued.fetch_add(size, Ordering::Relaxed) + size;
        if self.over_limits(used, limits) {
            self.closing.store(true, Ordering::Relaxed);
            return false;
        }
        // Fails only when the connection is already gone.
        let _ = self.tx.send(msg);
        true
    }

    /// Redis's rule: the hard limit closes at once; the soft one when it has been
    /// exceeded for more than `soft_secs` seconds, as seen at successive writes.
    fn over_limits(&self, used: u64, (hard, soft, soft_secs): Limits) -> bool {
        if hard > 0 && used >= hard {
            return true;
        }
        if soft == 0 || used < soft {
            self.soft_since.store(0, Ordering::Relaxed);
            return false;
        }
        let now = crate::shared::unix_time().as_secs().max(1);
        match self.soft_since.load(Ordering::Relaxed) {
            0 => {
                self.soft_since.store(now, Ordering::Relaxed);
                false
            }
            since => now.saturating_sub(since) > soft_secs,
        }
    }

    /// Close a client that passed its limits, with Redis's log line.
    pub fn close_for_limits(&self) {
        tracing::warn!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            self.client.info_line()
        );
        self.client.kill();
    }
}

/// The receiving side, owned by the connection while it has subscriptions.
#[derive(Debug)]
pub struct Inbox {
    sub: Arc<Subscriber>,
    rx: mpsc::UnboundedReceiver<Message>,
}

impl Inbox {
    /// A new queue for `client`.
    pub fn new(client: Arc<Client>) -> Inbox {
        let (tx, rx) = mpsc::unbounded_channel();
        let sub = Arc::new(Subscriber {
            client,
            tx,
            queued: AtomicU64::new(0),
            soft_since: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        });
        Inbox { sub, rx }
    }

    /// The sending side, for the registry.
    pub fn subscriber(&self) -> &Arc<Subscriber> {
        &self.sub
    }

    /// Wait for the next message.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// Account for a message taken off the queue.
    fn taken(&self, msg: &Message) {
        self.sub.queued.fetch_sub(msg.size(), Ordering::Relaxed);
    }

    /// Encode `msg` (just received) into `out`.
    pub fn write(&self, msg: &Message, proto: Protocol, out: &mut BytesMut) {
        self.taken(msg);
        msg.encode(proto, out);
    }

    /// Encode queued messages into `out` until it holds `budget` bytes or the queue
    /// is empty, so a flood is written in bounded steps.
    pub fn drain_into(&mut self, proto: Protocol, out: &mut BytesMut, budget: usize) {
        while out.len() < budget {
            match self.rx.try_recv() {
                Ok(msg) => self.write(&msg, proto, out),
                Err(_) => break,
            }
        }
    }

    /// Move every queued message into `out` as frames.
    pub fn drain_frames(&mut self, out: &mut Vec<Frame>) {
        while let Ok(msg) = self.rx.try_recv() {
            self.taken(&msg);
            out.push(msg.to_frame());
        }
    }
}

/// The server's registry, behind one lock.
#[derive(Debug, Default)]
pub struct PubSub {
    inner: Mutex<Registry>,
}

impl PubSub {
    /// The registry, locked.
    pub fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Subscribers by channel, pattern and shard channel, and subscriptions by client.
#[derive(Debug, Default)]
pub struct Registry {
    channels: HashMap<Bytes, Vec<Arc<Subscriber>>>,
    patterns: HashMap<Bytes, Vec<Arc<Subscriber>>>,
    shard: HashMap<Bytes, Vec<Arc<Subscriber>>>,
    clients: HashMap<u64, Subscriptions>,
}

/// One client's subscriptions. Patterns are a list in subscription order, as in
/// Redis 7.0 (`c->pubsub_patterns`), which is the order PUNSUBSCRIBE reports them.
#[derive(Debug)]
struct Subscriptions {
    sub: Arc<Subscriber>,
    channels: HashSet<Bytes>,
    patterns: Vec<Bytes>,
    shard: HashSet<Bytes>,
}

impl Subscriptions {
    /// The count a confirmation of `kind` reports: channels plus patterns, or shard
    /// channels alone (`clientSubscriptionsCount`, `clientShardSubscriptionsCount`).
    fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard.len(),
        }
    }

    fn store_counts(&self) {
        let counts = &self.sub.client.pubsub;
        let n = |len: usize| u32::try_from(len).unwrap_or(u32::MAX);
        counts
            .channels
            .store(n(self.channels.len()), Ordering::Relaxed);
        counts
            .patterns
            .store(n(self.patterns.len()), Ordering::Relaxed);
        counts.shard.store(n(self.shard.len()), Ordering::Relaxed);
    }

    fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty()
    }
}

/// Remove `id` from the subscriber list of `name`, dropping the list when empty so
/// that abandoned channels cost nothing (as `pubsubUnsubscribeChannel` does).
fn remove_subscriber(map: &mut HashMap<Bytes, Vec<Arc<Subscriber>>>, name: &[u8], id: u64) {
    if let Some(list) = map.get_mut(name) {
        list.retain(|s| s.client.id != id);
        if list.is_empty() {
            map.remove(name);
        }
    }
}

impl Registry {
    /// Subscribe `sub`'s client to `name`; returns the count for the confirmation.
    /// Subscribing twice to the same name changes nothing (but is still confirmed).
    pub fn subscribe(&mut self, sub: &Arc<Subscriber>, kind: Kind, name: &[u8]) -> usize {
        let entry = self
            .clients
            .entry(sub.client.id)
            .or_insert_with(|| Subscriptions {
                sub: sub.clone(),
                channels: HashSet::new(),
                patterns: Vec::new(),
                shard: HashSet::new(),
            });
        let added = match kind {
            Kind::Channel if !entry.channels.contains(name) => {
                let name = Bytes::copy_from_slice(name);
                entry.channels.insert(name.clone());
                Some((&mut self.channels, name))
            }
            Kind::Pattern if !entry.patterns.iter().any(|p| p == name) => {
                let name = Bytes::copy_from_slice(name);
                entry.patterns.push(name.clone());
                Some((&mut self.patterns, name))
            }
            Kind::Shard if !entry.shard.contains(name) => {
                let name = Bytes::copy_from_slice(name);
                entry.shard.insert(name.clone());
                Some((&mut self.shard, name))
            }
            _ => None,
        };
        if let Some((map, name)) = added {
            map.entry(name).or_default().push(sub.clone());
            entry.store_counts();
        }
        entry.count(kind)
    }

    /// Unsubscribe client `id` from `name`; returns the count for the confirmation.
    pub fn unsubscribe(&mut self, id: u64, kind: Kind, name: &[u8]) -> usize {
        let Some(entry) = self.clients.get_mut(&id) else {
            return 0;
        };
        let removed = match kind {
            Kind::Channel => entry.channels.remove(name),
            Kind::Pattern => match entry.patterns.iter().position(|p| p == name) {
                Some(i) => {
                    entry.patterns.remove(i);
                    true
                }
                None => false,
            },
            Kind::Shard => entry.shard.remove(name),
        };
        let count = entry.count(kind);
        if removed {
            entry.store_counts();
            if entry.is_empty() {
                self.clients.remove(&id);
            }
            let map = match kind {
                Kind::Channel => &mut self.channels,
                Kind::Pattern => &mut self.patterns,
                Kind::Shard => &mut self.shard,
            };
            remove_subscriber(map, name, id);
        }
        count
    }

    /// Client `id`'s subscriptions of `kind`, in the order an argument-less
    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE reports them.
    pub fn names(&self, id: u64, kind: Kind) -> Vec<Bytes> {
        let Some(entry) = self.clients.get(&id) else {
            return Vec::new();
        };
        match kind {
            Kind::Channel => entry.channels.iter().cloned().collect(),
            Kind::Pattern => entry.patterns.clone(),
            Kind::Shard => entry.shard.iter().cloned().collect(),
        }
    }

    /// Client `id`'s count as a confirmation of `kind` reports it.
    pub fn count(&self, id: u64, kind: Kind) -> usize {
        self.clients.get(&id).map_or(0, |e| e.count(kind))
    }

    /// Whether client `id` has any subscription left.
    pub fn is_subscribed(&self, id: u64) -> bool {
        self.clients.contains_key(&id)
    }

    /// Drop every subscription of client `id` (RESET, disconnection).
    pub fn remove_client(&mut self, id: u64) {
        let Some(entry) = self.clients.remove(&id) else {
            return;
        };
        for name in &entry.channels {
            remove_subscriber(&mut self.channels, name, id);
        }
        for name in &entry.patterns {
            remove_subscriber(&mut self.patterns, name, id);
        }
        for name in &entry.shard {
            remove_subscriber(&mut self.shard, name, id);
        }
        entry.sub.client.pubsub.clear();
    }

    /// Deliver `payload` on `channel` (PUBLISH; SPUBLISH when `shard`): to the
    /// channel's subscribers, then, except for shard channels, to every pattern
    /// matching it. Returns the number of receivers (a client counted once per
    /// matching subscription, as in Redis) and the subscribers this pushed over
    /// `limits`, which the caller closes once the lock is released.
    pub fn publish(
        &self,
        shard: bool,
        channel: &[u8],
        payload: &[u8],
        limits: Limits,
    ) -> (usize, Vec<Arc<Subscriber>>) {
        let mut receivers = 0;
        let mut over = Vec::new();
        // Copied once, lazily: argv points into the publisher's read buffer, which a
        // queued message must not keep alive.
        let mut copies: Option<(Bytes, Bytes)> = None;
        let mut copy = || {
            copies
                .get_or_insert_with(|| {
                    (
                        Bytes::copy_from_slice(channel),
                        Bytes::copy_from_slice(payload),
                    )
                })
                .clone()
        };
        let direct = if shard { &self.shard } else { &self.channels };
        if let Some(list) = direct.get(channel) {
            for sub in list {
                let (ch, pl) = copy();
                let msg = if shard {
                    Message::Shard {
                        channel: ch,
                        payload: pl,
                    }
                } else {
                    Message::Channel {
                        channel: ch,
                        payload: pl,
                    }
                };
                if !sub.offer(msg, limits) {
                    over.push(sub.clone());
                }
                receivers += 1;
            }
        }
        if !shard {
            for (pattern, list) in &self.patterns {
                if !glob_match(pattern, channel, false) {
                    continue;
                }
                for sub in list {
                    let (ch, pl) = copy();
                    let msg = Message::Pattern {
                        pattern: pattern.clone(),
                        channel: ch,
                        payload: pl,
                    };
                    if !sub.offer(msg, limits) {
                        over.push(sub.clone());
                    }
                    receivers += 1;
                }
            }
        }
        (receivers, over)
    }

    /// Active channels (or shard channels) matching `pattern`, all when `None`.
    pub fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let map = if shard { &self.shard } else { &self.channels };
        map.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of `channel` (or shard channel), patterns not counted.
    pub fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let map = if shard { &self.shard } else { &self.channels };
        map.get(channel).map_or(0, Vec::len)
    }

    /// Channels, distinct patterns and shard channels with at least one subscriber
    /// (INFO's `pubsub_channels`, `pubsub_patterns`, `pubsubshard_channels`).
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.patterns.len(), self.shard.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clients::Clients;

    const NO_LIMITS: Limits = (0, 0, 0);

    fn inbox(clients: &Clients) -> Inbox {
        let addr = "127.0.0.1:1".parse().unwrap();
        Inbox::new(clients.register(addr, addr, 0))
    }

    fn id(inbox: &Inbox) -> u64 {
        inbox.sub.client.id
    }

    fn received(inbox: &mut Inbox) -> Vec<Frame> {
        let mut out = Vec::new();
        inbox.drain_frames(&mut out);
        out
    }

    fn push(parts: &[&'static str]) -> Frame {
        Frame::Push(parts.iter().map(|p| Frame::bulk(*p)).collect())
    }

    #[test]
    fn confirmation_counts_follow_redis() {
        let clients = Clients::default();
        let a = inbox(&clients);
        let mut r = Registry::default();
        assert_eq!(r.subscribe(&a.sub, Kind::Channel, b"c1"), 1);
        assert_eq!(r.subscribe(&a.sub, Kind::Channel, b"c1"), 1, "no duplicate");
        assert_eq!(r.subscribe(&a.sub, Kind::Pattern, b"p*"), 2);
        // Shard confirmations count shard channels alone.
        assert_eq!(r.subscribe(&a.sub, Kind::Shard, b"s"), 1);
        assert_eq!(a.sub.client.pubsub.get(), (1, 1, 1));
        assert_eq!(r.unsubscribe(id(&a), Kind::Channel, b"never"), 2);
        assert_eq!(r.unsubscribe(id(&a), Kind::Channel, b"c1"), 1);
        assert_eq!(r.sizes(), (0, 1, 1), "an empty channel is forgotten");
        assert_eq!(r.names(id(&a), Kind::Pattern), [Bytes::from("p*")]);
        r.remove_client(id(&a));
        assert_eq!(r.sizes(), (0, 0, 0));
        assert!(!r.is_subscribed(id(&a)));
        assert!(!a.sub.client.pubsub.active());
        assert_eq!(r.unsubscribe(id(&a), Kind::Pattern, b"p*"), 0);
    }

    #[test]
    fn patterns_are_listed_in_subscription_order() {
        let clients = Clients::default();
        let a = inbox(&clients);
        let mut r = Registry::default();
        for p in ["z*", "a*", "m*"] {
            r.subscribe(&a.sub, Kind::Pattern, p.as_bytes());
        }
        assert_eq!(r.names(id(&a), Kind::Pattern), ["z*", "a*", "m*"]);
    }

    #[test]
    fn publish_reaches_channel_then_pattern_subscribers() {
        let clients = Clients::default();
        let (mut a, mut b) = (inbox(&clients), inbox(&clients));
        let mut r = Registry::default();
        r.subscribe(&a.sub, Kind::Channel, b"news");
        r.subscribe(&a.sub, Kind::Pattern, b"n?ws");
        r.subscribe(&b.sub, Kind::Shard, b"news");
        r.subscribe(&b.sub, Kind::Pattern, b"*");
        let (n, over) = r.publish(false, b"news", b"hi", NO_LIMITS);
        assert_eq!((n, over.len()), (3, 0));
        assert_eq!(
            received(&mut a),
            [
                push(&["message", "news", "hi"]),
                push(&["pmessage", "n?ws", "news", "hi"])
            ]
        );
        assert_eq!(received(&mut b), [push(&["pmessage", "*", "news", "hi"])]);
        // Shard channels are their own namespace and ignore patterns.
        assert_eq!(r.publish(true, b"news", b"s", NO_LIMITS).0, 1);
        assert_eq!(received(&mut b), [push(&["smessage", "news", "s"])]);
        // Redis's glob never matches the empty string with `*`.
        assert_eq!(r.publish(false, b"", b"x", NO_LIMITS).0, 0);
        assert_eq!(r.numsub(false, b"news"), 1);
        assert_eq!(r.numsub(true, b"news"), 1);
        assert_eq!(r.channels(false, Some(b"n*")), [Bytes::from("news")]);
        assert!(r.channels(false, Some(b"x*")).is_empty());
    }

    #[test]
    fn encoding_is_redis_and_size_is_exact() {
        let m = Message::Pattern {
            pattern: Bytes::from("p*"),
            channel: Bytes::from("pub"),
            payload: Bytes::from("0123456789"),
        };
        let mut out = BytesMut::new();
        m.encode(Protocol::Resp2, &mut out);
        assert_eq!(
            &out[..],
            b"*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$3\r\npub\r\n$10\r\n0123456789\r\n"
        );
        assert_eq!(m.size(), out.len() as u64);
        out.clear();
        m.encode(Protocol::Resp3, &mut out);
        assert!(out.starts_with(b">4\r\n$8\r\npmessage"));
    }

    #[test]
    fn hard_limit_closes_and_drops_further_messages() {
        let clients = Clients::default();
        let mut a = inbox(&clients);
        let mut r = Registry::default();
        r.subscribe(&a.sub, Kind::Channel, b"c");
        let msg_size = Message::Channel {
            channel: Bytes::from("c"),
            payload: Bytes::from("x"),
        }
        .size();
        let limits = (msg_size * 3, 0, 0);
        for _ in 0..2 {
            assert!(r.publish(false, b"c", b"x", limits).1.is_empty());
        }
        let (n, over) = r.publish(false, b"c", b"x", limits);
        assert_eq!((n, over.len()), (1, 1), "the third reaches the limit");
        // Still a receiver until it is gone, but nothing more is queued.
        let (n, over) = r.publish(false, b"c", b"x", limits);
        assert_eq!((n, over.len()), (1, 0));
        assert_eq!(received(&mut a).len(), 2);
        assert_eq!(a.sub.queued.load(Ordering::Relaxed), msg_size);
    }

    #[test]
    fn soft_limit_closes_only_after_its_seconds() {
        let clients = Clients::default();
        let a = inbox(&clients);
        let limits = (0, 1, 1);
        let msg = || Message::Channel {
            channel: Bytes::from("c"),
            payload: Bytes::from("x"),
        };
        assert!(
            a.sub.offer(msg(), limits),
            "first time over: start counting"
        );
        assert!(a.sub.offer(msg(), limits), "not yet over for a second");
        let now = crate::shared::unix_time().as_secs();
        a.sub.soft_since.store(now - 2, Ordering::Relaxed);
        assert!(!a.sub.offer(msg(), limits));
    }

    #[test]
    fn draining_is_bounded_and_releases_bytes() {
        let clients = Clients::default();
        let mut a = inbox(&clients);
        let mut r = Registry::default();
        r.subscribe(&a.sub, Kind::Channel, b"c");
        for _ in 0..10 {
            r.publish(false, b"c", &[b'x'; 100], NO_LIMITS);
        }
        let mut out = BytesMut::new();
        a.drain_into(Protocol::Resp2, &mut out, 300);
        assert!(out.len() >= 300 && out.len() < 500, "{}", out.len());
        a.drain_into(Protocol::Resp2, &mut out, usize::MAX);
        assert_eq!(a.sub.queued.load(Ordering::Relaxed), 0);
        // `*3`, `$7 message`, `$1 c`, `$100 x...`: 4 + 13 + 7 + 108 bytes each.
        assert_eq!(out.len(), 10 * 132);
    }
}
