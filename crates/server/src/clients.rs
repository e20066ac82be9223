//! The registry of connected clients behind CLIENT LIST / KILL / INFO and `maxclients`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use ferrodis_resp::Protocol;
use tokio::task::AbortHandle;

/// What CLIENT LIST shows of one client, updated by its connection after each batch
/// of commands (one lock per batch, not per command).
#[derive(Debug, Clone)]
pub struct ClientMeta {
    /// CLIENT SETNAME.
    pub name: String,
    /// Selected database.
    pub db: usize,
    /// Last command, lowercase, `client|list` for subcommands (as Redis shows it).
    pub last_cmd: String,
    /// Time of the last command.
    pub last_interaction: Instant,
    /// RESP version.
    pub protocol: Protocol,
    /// Bytes in the query buffer and its capacity.
    pub qbuf: usize,
    /// Free bytes of the query buffer.
    pub qbuf_free: usize,
    /// Bytes of replies not yet written.
    pub omem: usize,
    /// Commands queued in MULTI, -1 outside a transaction.
    pub multi: i64,
}

/// One connected client.
#[derive(Debug)]
pub struct Client {
    /// CLIENT ID: unique, increasing.
    pub id: u64,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// Socket descriptor number.
    pub fd: i32,
    /// Connection time.
    pub created: Instant,
    /// Mutable fields.
    pub meta: Mutex<ClientMeta>,
    /// Pub/sub subscription counts, kept by the registry (`crate::pubsub`).
    pub pubsub: crate::pubsub::Counts,
    killed: AtomicBool,
    /// The client WATCHes keys (so closing it must release them).
    watching: AtomicBool,
    /// Blocked by BLPOP or the like (CLIENT LIST flag `b`).
    blocked: AtomicBool,
    /// Cancels the connection task; set right after the task is spawned.
    task: OnceLock<AbortHandle>,
    /// [`Kind`] as a byte: a normal client, our master's link, or a replica.
    kind: AtomicU8,
}

/// What a connection is to replication (CLIENT LIST flags M and S, CLIENT KILL TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A client.
    Normal = 0,
    /// The link to this server's master.
    Master = 1,
    /// A replica of this server.
    Replica = 2,
}

impl Client {
    /// Close another client's connection: its task is cancelled at its next await
    /// (it never holds the keyspace lock across one), which drops the socket. A client
    /// killing itself uses `Conn::close_after_reply` instead so its reply is sent.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }

    /// Attach the connection task, so that [`Client::kill`] can cancel it.
    pub fn set_task(&self, task: AbortHandle) {
        let _ = self.task.set(task);
        if self.is_killed() {
            // Killed between registration and spawn.
            if let Some(task) = self.task.get() {
                task.abort();
            }
        }
    }

    /// Marks the connection as a master link or a replica.
    pub fn set_kind(&self, kind: Kind) {
        self.kind.store(kind as u8, Ordering::Relaxed);
    }

    /// What the connection is to replication.
    pub fn kind(&self) -> Kind {
        match self.kind.load(Ordering::Relaxed) {
            1 => Kind::Master,
            2 => Kind::Replica,
            _ => Kind::Normal,
        }
    }

    /// Record whether the client WATCHes keys.
    pub fn set_watching(&self, on: bool) {
        self.watching.store(on, Ordering::Relaxed);
    }

    /// Whether the client WATCHes keys.
    pub fn is_watching(&self) -> bool {
        self.watching.load(Ordering::Relaxed)
    }

    /// Record whether the client is blocked (crate::blocking keeps it current).
    pub fn set_blocked(&self, on: bool) {
        self.blocked.store(on, Ordering::Relaxed);
    }

    /// Whether the client is blocked by BLPOP or the like.
    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Relaxed)
    }

    /// Whether CLIENT KILL was applied to this client.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// The fields of the client, locked.
    pub fn meta(&self) -> std::sync::MutexGuard<'_, ClientMeta> {
        self.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's field names and order
    /// (`catClientInfoString` in networking.c). Fields for features ferrodis does not
    /// have yet (MULTI) show their idle values, which is what they are.
    pub fn info_line(&self) -> String {
        let m = self.meta().clone();
        let now = Instant::now();
        let (sub, psub, ssub) = self.pubsub.get();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 \
             oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            m.name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(m.last_interaction).as_secs(),
            flags(
                self.kind(),
                self.pubsub.active(),
                m.multi >= 0,
                self.is_blocked()
            ),
            m.db,
            sub,
            psub,
            ssub,
            m.multi,
            m.qbuf,
            m.qbuf_free,
            m.qbuf + m.qbuf_free,
            m.qbuf,
            m.omem,
            m.qbuf + m.qbuf_free + m.omem,
            if m.last_cmd.is_empty() {
                "NULL"
            } else {
                &m.last_cmd
            },
            match m.protocol {
                Protocol::Resp2 => 2,
                Protocol::Resp3 => 3,
            },
        )
    }
}

/// Redis's flag letters, in `catClientInfoString()`'s order: S = replica, M =
/// master, P = pub/sub, x = in MULTI, b = blocked, N = none.
fn flags(kind: Kind, pubsub: bool, multi: bool, blocked: bool) -> &'static str {
    match kind {
        Kind::Replica => return "S",
        Kind::Master if multi => return "Mx",
        Kind::Master => return "M",
        Kind::Normal => {}
    }
    match (pubsub, multi, blocked) {
        (false, false, false) => "N",
        (true, false, false) => "P",
        (false, true, false) => "x",
        (false, false, true) => "b",
        (true, true, false) => "Px",
        (true, false, true) => "Pb",
        (false, true, true) => "xb",
        (true, true, true) => "Pxb",
    }
}

/// All connected clients, by id.
#[derive(Debug, Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<Client>>>,
}

impl Clients {
    /// Register a new connection. Ids start at 1 like Redis's.
    pub fn register(&self, addr: SocketAddr, laddr: SocketAddr, fd: i32) -> Arc<Client> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let client = Arc::new(Client {
            id,
            addr,
            laddr,
            fd,
            created: now,
            meta: Mutex::new(ClientMeta {
                name: String::new(),
                db: 0,
                last_cmd: String::new(),
                last_interaction: now,
                protocol: Protocol::Resp2,
                qbuf: 0,
                qbuf_free: 0,
                omem: 0,
                multi: -1,
            }),
            pubsub: crate::pubsub::Counts::default(),
            killed: AtomicBool::new(false),
            watching: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            task: OnceLock::new(),
            kind: AtomicU8::new(Kind::Normal as u8),
        });
        self.lock().insert(id, client.clone());
        client
    }

    /// Remove a closed connection.
    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of all clients, in id order.
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.lock().values().cloned().collect()
    }

    /// Kill every client (shutdown).
    pub fn kill_all(&self) {
        for c in self.all() {
            c.kill();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Client>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}
