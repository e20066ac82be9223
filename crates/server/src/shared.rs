//! State shared by every connection: the keyspace, the configuration, the client
//! and pub/sub registries and the counters INFO reports.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, MaxmemoryPolicy, Tunables};
use ferrodis_resp::Limits;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::clients::Clients;
use crate::config::{ClientClass, Config};
use crate::evict::EvictionState;
use crate::pubsub::PubSub;
use crate::stats::Stats;

/// The configuration values read on hot paths, derived from [`Config`] after every
/// change so connections don't parse config strings per command.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `requirepass`, `None` when empty (the default user has no password).
    pub requirepass: Option<Bytes>,
    /// `maxclients`.
    pub maxclients: u64,
    /// `timeout` in seconds, 0 = never close idle clients.
    pub timeout_secs: u64,
    /// RESP decoder limits (`proto-max-bulk-len`).
    pub limits: Limits,
    /// `client-output-buffer-limit normal`: hard bytes, soft bytes, soft seconds.
    pub obuf_normal: (u64, u64, u64),
    /// `client-output-buffer-limit pubsub`, for clients with subscriptions.
    pub obuf_pubsub: (u64, u64, u64),
    /// `client-query-buffer-limit`.
    pub query_buffer_limit: u64,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `enable-debug-command`: "no", "yes" or "local".
    pub enable_debug: String,
    /// `hz`.
    pub hz: u64,
    /// `tcp-keepalive` in seconds, 0 = off.
    pub tcp_keepalive: u32,
}

impl Settings {
    /// Reads the hot values out of `config`.
    pub fn from_config(config: &Config) -> Settings {
        let pass = config.get_str("requirepass");
        let limits = Limits {
            max_bulk_len: config.get_int("proto-max-bulk-len").max(1) as u64,
            ..Limits::default()
        };
        Settings {
            requirepass: (!pass.is_empty()).then(|| Bytes::copy_from_slice(pass.as_bytes())),
            maxclients: config.get_int("maxclients").max(1) as u64,
            timeout_secs: config.get_int("timeout").max(0) as u64,
            limits,
            obuf_normal: {
                let l = config.client_output_buffer_limit(ClientClass::Normal);
                (l.hard, l.soft, l.soft_seconds)
            },
            obuf_pubsub: {
                let l = config.client_output_buffer_limit(ClientClass::Pubsub);
                (l.hard, l.soft, l.soft_seconds)
            },
            query_buffer_limit: config.get_int("client-query-buffer-limit").max(1) as u64,
            protected_mode: config.get_bool("protected-mode"),
            enable_debug: config.get_str("enable-debug-command").to_string(),
            hz: config.get_int("hz").clamp(1, 500) as u64,
            tcp_keepalive: config
                .get_int("tcp-keepalive")
                .clamp(0, i64::from(u32::MAX)) as u32,
        }
    }
}

/// Why the server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Still running.
    Running,
    /// SHUTDOWN, SIGTERM or SIGINT.
    Shutdown,
}

/// Everything connections share. One per running server.
#[derive(Debug)]
pub struct Shared {
    keyspace: Mutex<Keyspace>,
    config: RwLock<Config>,
    settings: RwLock<Settings>,
    /// Bumped after every configuration change; connections re-read [`Settings`] when
    /// the value they cached is older.
    settings_gen: AtomicU64,
    /// Connected clients.
    pub clients: Clients,
    /// Pub/sub channels, patterns and their subscribers.
    pub pubsub: PubSub,
    /// Connections blocked by BLPOP and the like.
    pub blocking: crate::blocking::Waiters,
    /// Counters for INFO.
    pub stats: Stats,
    /// When the server started, for `uptime_in_seconds`.
    pub started: Instant,
    /// Unix time of the start, seconds.
    pub started_unix: u64,
    /// 40 hex characters, new at every start (Redis's `run_id`).
    pub run_id: String,
    /// TCP port the listeners are bound to (changes with CONFIG SET port).
    port: AtomicU16,
    /// Hands new listeners to `run` after CONFIG SET port/bind.
    rebind: OnceLock<mpsc::UnboundedSender<Vec<TcpListener>>>,
    stop_tx: watch::Sender<StopReason>,
    /// Set while a DEBUG SLEEP holds the keyspace, so INFO can still be served.
    pub sleeping: AtomicBool,
    /// Eviction under `maxmemory`: whether it is still at work, INFO's figures.
    pub eviction: EvictionState,
    /// The consumers of write effects (AOF, replicas).
    pub propagation: crate::propagate::Propagation,
    /// RDB saves: the running BGSAVE, LASTSAVE, INFO persistence (save.rs).
    pub rdb: crate::save::RdbState,
    /// The start-up load in progress (`loading:1`).
    pub loading: crate::loading::Loading,
    /// The cron's active expiry runs (DEBUG SET-ACTIVE-EXPIRE turns it off, as
    /// Redis's `active_expire_enabled`).
    pub active_expire: AtomicBool,
    /// DUMP/RESTORE's payload format, installed in the keyspace.
    dump_codec: std::sync::Arc<crate::dump_codec::RdbDumpCodec>,
    /// The append-only file.
    pub aof: std::sync::Arc<crate::aof::Aof>,
    /// Replication: role, ids, backlog, replicas, the master link.
    pub replication: crate::replication::Replication,
    /// This state's own `Arc`, for commands that start tasks (REPLICAOF).
    me: OnceLock<std::sync::Weak<Shared>>,
}

impl Shared {
    /// A new server state over `config`, bound to `port`.
    pub fn new(config: Config, port: u16) -> Shared {
        let settings = Settings::from_config(&config);
        let databases = config.get_int("databases").max(1) as usize;
        let mut keyspace = Keyspace::new(databases);
        keyspace.set_tunables(tunables(&config));
        let dump_codec = std::sync::Arc::new(crate::dump_codec::RdbDumpCodec::default());
        dump_codec.configure(&config);
        keyspace.set_dump_codec(dump_codec.clone());
        let (stop_tx, _) = watch::channel(StopReason::Running);
        let eviction = EvictionState::default();
        eviction.configure(&config);
        Shared {
            keyspace: Mutex::new(keyspace),
            config: RwLock::new(config),
            settings: RwLock::new(settings),
            settings_gen: AtomicU64::new(1),
            clients: Clients::default(),
            pubsub: PubSub::default(),
            blocking: crate::blocking::Waiters::default(),
            stats: Stats::default(),
            started: Instant::now(),
            started_unix: unix_time().as_secs(),
            run_id: random_hex40(),
            port: AtomicU16::new(port),
            rebind: OnceLock::new(),
            stop_tx,
            sleeping: AtomicBool::new(false),
            eviction,
            propagation: crate::propagate::Propagation::default(),
            rdb: crate::save::RdbState::default(),
            loading: crate::loading::Loading::default(),
            active_expire: AtomicBool::new(true),
            dump_codec,
            aof: std::sync::Arc::default(),
            replication: crate::replication::Replication::default(),
            me: OnceLock::new(),
        }
    }

    /// Remembers the `Arc` this state lives in (set once by `run`).
    pub fn set_self(self: &std::sync::Arc<Shared>) {
        let _ = self.me.set(std::sync::Arc::downgrade(self));
    }

    /// This state's `Arc`, once `run` has set it.
    pub fn self_arc(&self) -> Option<std::sync::Arc<Shared>> {
        self.me.get()?.upgrade()
    }

    /// The keyspace, locked. Commands run one at a time under this lock (DESIGN.md
    /// "Execution model": a total order of writes).
    pub fn keyspace(&self) -> MutexGuard<'_, Keyspace> {
        // A panic while holding the lock must not take the whole server down with
        // poisoned-lock panics in every other connection.
        self.keyspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Read access to the configuration.
    pub fn config(&self) -> std::sync::RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the configuration with `f`, then refresh [`Settings`].
    pub fn update_config<T>(&self, f: impl FnOnce(&mut Config) -> T) -> T {
        let mut config = self.config.write().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut config);
        let settings = Settings::from_config(&config);
        // Read by every command, so kept apart from the per-connection `Settings`
        // cache, which a connection refreshes only between reads.
        self.eviction.configure(&config);
        self.dump_codec.configure(&config);
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
        self.settings_gen.fetch_add(1, Ordering::Release);
        out
    }

    /// The current settings and their generation.
    pub fn settings(&self) -> (Settings, u64) {
        let gen = self.settings_gen.load(Ordering::Acquire);
        let s = self
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        (s, gen)
    }

    /// The generation of the settings, to compare with a cached one.
    pub fn settings_gen(&self) -> u64 {
        self.settings_gen.load(Ordering::Acquire)
    }

    /// The TCP port clients connect to.
    pub fn port(&self) -> u16 {
        self.port.load(Ordering::Relaxed)
    }

    /// Where [`Shared::replace_listeners`] sends new listeners; set once by `run`.
    pub fn set_rebind(&self, tx: mpsc::UnboundedSender<Vec<TcpListener>>) {
        let _ = self.rebind.set(tx);
    }

    /// Serve on `listeners` from now on instead of the current ones (CONFIG SET
    /// port/bind). Returns false when no server loop is running to take them.
    pub fn replace_listeners(&self, listeners: Vec<TcpListener>, port: u16) -> bool {
        let sent = self
            .rebind
            .get()
            .is_some_and(|tx| tx.send(listeners).is_ok());
        if sent {
            self.port.store(port, Ordering::Relaxed);
        }
        sent
    }

    /// Ask the server to stop (SHUTDOWN, signals).
    pub fn request_stop(&self) {
        self.stop_tx.send_replace(StopReason::Shutdown);
    }

    /// A receiver that changes when the server is asked to stop.
    pub fn stop_signal(&self) -> watch::Receiver<StopReason> {
        self.stop_tx.subscribe()
    }
}

/// The keyspace's encoding thresholds and limits from the configuration.
pub fn tunables(config: &Config) -> Tunables {
    let size = |name: &str| config.get_int(name).max(0) as usize;
    Tunables {
        hash_max_listpack_entries: size("hash-max-listpack-entries"),
        hash_max_listpack_value: size("hash-max-listpack-value"),
        set_max_intset_entries: size("set-max-intset-entries"),
        zset_max_listpack_entries: size("zset-max-listpack-entries"),
        zset_max_listpack_value: size("zset-max-listpack-value"),
        list_max_listpack_size: config.get_int("list-max-listpack-size"),
        proto_max_bulk_len: config.get_int("proto-max-bulk-len").max(1) as u64,
        maxmemory_policy: MaxmemoryPolicy::from_name(config.get_str("maxmemory-policy"))
            .unwrap_or_default(),
        lfu_log_factor: config.get_int("lfu-log-factor").max(0) as u64,
        lfu_decay_time: config.get_int("lfu-decay-time").max(0) as u64,
        notify_keyspace_events: config.notify_keyspace_events(),
    }
}

/// Time since the Unix epoch.
pub fn unix_time() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// 40 random hex characters, like Redis's run id and replication id.
pub fn random_hex40() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(40);
    let mut i = 0u64;
    while out.len() < 40 {
        // RandomState is seeded from the OS once per process and then per instance,
        // which is enough for an identifier that only has to differ between runs.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(unix_time().as_nanos());
        out.push_str(&format!("{:016x}", h.finish()));
        i += 1;
    }
    out.truncate(40);
    out
}
