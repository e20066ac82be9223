//! Replication, both roles, driving the sans-IO `ferrodis-replication` crate.
//!
//! ```text
//! master side                                   replica side (replica.rs)
//! ───────────                                   ────────────
//! writes → effects → StreamSink (stream.rs)     link task: connect, Handshake, PSYNC
//!   RESP + SELECT → State::feed                   +FULLRESYNC: payload → decode → flush+load
//!     → History (backlog, offset)                 +CONTINUE: keep the dataset
//!     → each replica's Outbox                     stream: apply as the master client,
//! PSYNC/SYNC (commands) → the connection            offset += bytes, forward verbatim
//!   becomes a replica feeder (master.rs):           to our own replicas (State::feed)
//!   +CONTINUE + backlog, or +FULLRESYNC +         REPLCONF ACK every second / on GETACK
//!   snapshot RDB (fullsync.rs; one snapshot pass
//!   shared by the replicas syncing together:
//!   sync_job.rs, socket_sync.rs), then the stream
//! ```
//!
//! Lock order: keyspace, then [`Replication::state`]; the state lock is never held
//! across an `.await`.

pub mod apply;
pub mod cron;
pub mod fullsync;
pub mod info;
pub mod load;
pub mod master;
pub mod replica;
pub mod socket_sync;
pub mod stream;
pub mod sync_job;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::BytesMut;
use ferrodis_replication::{History, ReplId, ReplicaInfo};
use tokio::sync::Notify;

use crate::shared::{random_hex40, unix_time, Shared};

/// Where the replica's link to its master is (INFO's `master_link_status` is "up"
/// only when connected; ROLE names every state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting to (re)connect.
    Connect,
    /// TCP connect under way.
    Connecting,
    /// Handshake.
    Handshake,
    /// Receiving the RDB payload.
    Transfer,
    /// Streaming.
    Connected,
}

impl LinkState {
    /// ROLE's word (`replstateToString` order of names).
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// This server as a replica.
#[derive(Debug, Clone)]
pub struct MasterLink {
    /// `masterhost`.
    pub host: String,
    /// `masterport`.
    pub port: u16,
    /// Link state.
    pub state: LinkState,
    /// When the link went down (for `master_link_down_since_seconds`); `None` if up.
    pub down_since: Option<Instant>,
    /// Last byte received from the master.
    pub last_io: Instant,
    /// Bumped by every REPLICAOF: link tasks of an older generation stop.
    pub generation: u64,
    /// Payload bytes expected (-1 for a diskless transfer) and received so far.
    pub sync_size: i64,
    /// Payload bytes received.
    pub sync_read: u64,
    /// When the transfer started.
    pub sync_started: Option<Instant>,
    /// The current connection attempt, to abort it.
    pub link: Option<tokio::task::AbortHandle>,
}

/// A replica's output: what the master has for it and has not written yet.
#[derive(Debug, Default)]
pub struct Outbox {
    buf: Mutex<BytesMut>,
    /// Wakes the feeder when bytes arrive or the replica must go.
    pub notify: Notify,
    closed: AtomicBool,
}

impl Outbox {
    /// Queues stream bytes.
    pub fn push(&self, data: &[u8]) {
        self.lock().extend_from_slice(data);
        self.notify.notify_one();
    }

    /// Queues a copy of what `other` holds (a replica attaching to a save
    /// another one started gets the writes since its offset: Redis's
    /// `copyReplicaOutputBuffer`).
    pub fn copy_from(&self, other: &Outbox) {
        let data = other.lock().clone();
        self.push(&data);
    }

    /// Takes everything queued.
    pub fn take(&self) -> BytesMut {
        self.lock().split()
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Asks the feeder to drop the replica.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    /// Whether the replica is to be dropped.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, BytesMut> {
        self.buf.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One attached replica: the sans-IO accounting and its output.
#[derive(Debug)]
pub struct Attached {
    /// State, capabilities, acks.
    pub info: ReplicaInfo,
    /// Its queued stream.
    pub outbox: Arc<Outbox>,
    /// The stream reaches it (false while waiting for its snapshot to start).
    pub receiving: bool,
    /// Its connection, to close it (output buffer limits, timeouts).
    pub client: Arc<crate::clients::Client>,
    /// Since when its outbox is over the soft limit.
    pub soft_since: Option<Instant>,
    /// Where it is in a full sync (sync_job.rs).
    pub sync: sync_job::Slot,
}

/// Everything replication keeps, under one lock.
#[derive(Debug)]
pub struct State {
    /// Ids, offset, backlog.
    pub history: History,
    /// `Some` while this server is a replica.
    pub master: Option<MasterLink>,
    /// Our replicas.
    pub replicas: Vec<Attached>,
    /// The database the stream's readers are in (`slaveseldb`); `None` makes the
    /// next command select its database.
    pub selected_db: Option<usize>,
    /// INFO stats.
    pub sync_full: u64,
    /// INFO stats.
    pub sync_partial_ok: u64,
    /// INFO stats.
    pub sync_partial_err: u64,
    /// When the last replica left (for `repl-backlog-ttl`).
    pub no_replicas_since: Option<Instant>,
    /// The effect sink's registration id, while registered.
    pub sink_id: Option<u64>,
    /// REPLCONF options of connections that have not sent PSYNC yet.
    pub handshakes: Vec<ReplicaInfo>,
    /// `client-output-buffer-limit replica`: hard bytes, soft bytes, soft seconds
    /// (refreshed by the cron).
    pub obuf_limit: (u64, u64, u64),
    /// On a replica: the database our master's stream has selected, as of the
    /// offset reached. A sub-replica's RDB carries it (`repl-stream-db`), since the
    /// forwarded stream will not select it again.
    pub stream_db: usize,
    /// The snapshot pass running for replicas, if any (sync_job.rs).
    pub job: Option<sync_job::Job>,
}

impl State {
    /// Appends stream bytes: to the backlog (offset) and to every replica receiving.
    pub fn feed(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.history.append(data);
        let (hard, soft, soft_secs) = self.obuf_limit;
        for r in &mut self.replicas {
            if !r.receiving {
                continue;
            }
            r.outbox.push(data);
            let pending = r.outbox.len() as u64;
            // Redis's checkClientOutputBufferLimits for a replica: a replica that
            // falls this far behind is dropped (it will resync).
            let soft_over = soft > 0 && pending > soft;
            if !soft_over {
                r.soft_since = None;
            }
            let soft_expired = soft_over
                && r.soft_since
                    .get_or_insert_with(Instant::now)
                    .elapsed()
                    .as_secs()
                    >= soft_secs;
            if (hard > 0 && pending > hard) || soft_expired {
                if !r.outbox.is_closed() {
                    tracing::warn!(
                        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                        r.client.id,
                        r.client.addr
                    );
                }
                r.outbox.close();
                r.client.kill();
            }
        }
    }

    /// Disconnects every replica (after our dataset or history changed under them).
    pub fn drop_replicas(&mut self) {
        for r in self.replicas.drain(..) {
            r.outbox.close();
            r.client.kill();
        }
        self.no_replicas_since = Some(Instant::now());
    }

    /// The handshake options client `id` sent, if any.
    pub fn take_handshake(&mut self, id: u64) -> Option<ReplicaInfo> {
        let i = self.handshakes.iter().position(|h| h.id == id)?;
        Some(self.handshakes.swap_remove(i))
    }

    /// Records handshake options of client `id` (REPLCONF before PSYNC).
    pub fn handshake(&mut self, id: u64, ip: String, now_ms: i64) -> &mut ReplicaInfo {
        if let Some(i) = self.handshakes.iter().position(|h| h.id == id) {
            return &mut self.handshakes[i];
        }
        // Connections that never PSYNC leave an entry: keep the list bounded.
        if self.handshakes.len() >= 1024 {
            self.handshakes.remove(0);
        }
        self.handshakes.push(ReplicaInfo::new(id, ip, now_ms));
        let last = self.handshakes.len() - 1;
        &mut self.handshakes[last]
    }

    /// The replica with client id `id`.
    pub fn replica(&mut self, id: u64) -> Option<&mut Attached> {
        self.replicas.iter_mut().find(|r| r.info.id == id)
    }
}

/// Replication state shared by every connection.
#[derive(Debug)]
pub struct Replication {
    state: Mutex<State>,
    /// A replica with `replica-read-only`: refuse writes from clients (read on every
    /// command, without the lock).
    read_only: AtomicBool,
    /// A replica whose link is not up, with `replica-serve-stale-data no`.
    stale_denied: AtomicBool,
    /// `min-replicas-to-write` is set and not met.
    min_replicas_failing: AtomicBool,
    /// Wakes WAIT callers when an ACK arrives.
    pub acks: Notify,
    /// Generations of REPLICAOF (see [`MasterLink::generation`]).
    generation: AtomicU64,
}

impl Default for Replication {
    fn default() -> Self {
        let id: ReplId = random_hex40().parse().unwrap_or(ReplId::NONE);
        Replication {
            state: Mutex::new(State {
                history: History::new(id),
                master: None,
                replicas: Vec::new(),
                selected_db: None,
                sync_full: 0,
                sync_partial_ok: 0,
                sync_partial_err: 0,
                no_replicas_since: Some(Instant::now()),
                sink_id: None,
                handshakes: Vec::new(),
                obuf_limit: (256 << 20, 64 << 20, 60),
                stream_db: 0,
                job: None,
            }),
            read_only: AtomicBool::new(false),
            stale_denied: AtomicBool::new(false),
            min_replicas_failing: AtomicBool::new(false),
            acks: Notify::new(),
            generation: AtomicU64::new(0),
        }
    }
}

impl Replication {
    /// The state, locked (never across an await; after the keyspace lock if both).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether writes from clients are refused (READONLY).
    #[inline]
    pub fn read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    /// Whether commands without the `stale` flag are refused (MASTERDOWN).
    #[inline]
    pub fn stale_denied(&self) -> bool {
        self.stale_denied.load(Ordering::Relaxed)
    }

    /// Whether writes are refused for lack of good replicas (NOREPLICAS).
    #[inline]
    pub fn min_replicas_failing(&self) -> bool {
        self.min_replicas_failing.load(Ordering::Relaxed)
    }

    /// Any of the three checks may refuse a command.
    #[inline]
    pub fn may_refuse(&self) -> bool {
        self.read_only() || self.stale_denied() || self.min_replicas_failing()
    }

    /// Recomputes the fast flags from the state and the configuration.
    pub fn refresh_flags(&self, state: &State, read_only: bool, serve_stale: bool) {
        let replica = state.master.as_ref();
        self.read_only
            .store(replica.is_some() && read_only, Ordering::Relaxed);
        let down = replica.is_some_and(|m| m.state != LinkState::Connected);
        self.stale_denied
            .store(down && !serve_stale, Ordering::Relaxed);
    }

    /// Sets the min-replicas flag (cron).
    pub fn set_min_replicas_failing(&self, failing: bool) {
        self.min_replicas_failing.store(failing, Ordering::Relaxed);
    }

    /// A new REPLICAOF generation.
    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// Milliseconds since the Unix epoch (ack times).
pub fn now_ms() -> i64 {
    unix_time().as_millis() as i64
}

/// A fresh random replication id.
pub fn new_replid() -> ReplId {
    random_hex40().parse().unwrap_or(ReplId::NONE)
}

/// What a command asks its connection to do after the batch (PSYNC, WAIT).
#[derive(Debug)]
pub enum ConnAction {
    /// The connection becomes a replica feeder.
    Feed(master::PsyncRequest),
    /// WAIT: reply once `replicas` acknowledged `offset`, or at the timeout.
    Wait {
        /// Offset to reach.
        offset: u64,
        /// Replicas wanted.
        replicas: usize,
        /// Milliseconds, 0 = forever.
        timeout_ms: u64,
    },
}

/// Redis's `processCommand` replication checks, in its order: NOREPLICAS for
/// writes when `min-replicas-to-write` is not met, READONLY for writes on a
/// read-only replica, then (after the pub/sub context check) MASTERDOWN for
/// commands without the `stale` flag while the link is down and
/// `replica-serve-stale-data` is off.
pub fn refuse(
    shared: &Shared,
    spec: &ferrodis_keyspace::CommandSpec,
    pubsub_context: bool,
) -> Option<ferrodis_resp::Frame> {
    use ferrodis_resp::Frame;
    let write = spec.flags.contains(&"write");
    let r = &shared.replication;
    if write && r.min_replicas_failing() {
        return Some(Frame::static_error(
            "NOREPLICAS Not enough good replicas to write.",
        ));
    }
    if write && r.read_only() {
        return Some(Frame::static_error(
            "READONLY You can't write against a read only replica.",
        ));
    }
    if !pubsub_context && r.stale_denied() && !spec.flags.contains(&"stale") {
        return Some(Frame::static_error(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        ));
    }
    None
}

/// The replication aux fields of an RDB save (Redis's `rdbPopulateSaveInfo`): a
/// master with a backlog, or a replica that has synced, records its id, offset and
/// the database its stream has selected; otherwise none. Call with the keyspace
/// locked (the dataset and the offset as of the same instant).
pub fn rdb_aux(shared: &Shared) -> Option<ferrodis_rdb::ReplicationAux> {
    let state = shared.replication.state();
    let h = &state.history;
    let stream_db = match &state.master {
        None if h.backlog().is_some() => state.selected_db.unwrap_or(0),
        Some(_) if h.offset() > 0 => state.stream_db,
        _ => return None,
    };
    Some(ferrodis_rdb::ReplicationAux {
        stream_db: stream_db as i64,
        id: h.replid.to_string(),
        offset: h.offset() as i64,
    })
}

/// After start-up loaded `path`: a replica resumes the history the file records
/// (`repl-id`, `repl-offset`, `repl-stream-db`), so its first PSYNC can continue
/// partially (Redis's `loadDataFromDisk` → `replicationCacheMasterUsingMyself`).
pub fn restore_from_rdb(shared: &Shared, path: &std::path::Path) {
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let mut decoder = ferrodis_rdb::Decoder::new(std::io::BufReader::new(file));
    let (mut id, mut offset, mut db) = (None, None, 0usize);
    // Aux fields come first: stop at the first record that is not one.
    while let Ok(Some(ferrodis_rdb::Item::Aux { key, value })) = decoder.next_item() {
        let text = String::from_utf8_lossy(&value).into_owned();
        match &key[..] {
            b"repl-id" => id = text.parse::<ReplId>().ok(),
            b"repl-offset" => offset = text.parse::<u64>().ok(),
            b"repl-stream-db" => db = text.parse().unwrap_or(0),
            _ => {}
        }
    }
    if let (Some(id), Some(offset)) = (id, offset) {
        tracing::info!("Restoring replication history {id}:{offset} from the RDB file");
        replica::restore_history(shared, id, offset, db);
    }
}
