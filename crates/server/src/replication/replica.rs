//! The replica role: REPLICAOF, the link to the master (connect, handshake, full or
//! partial sync), applying the master's stream, ACKs, and reconnecting.
//!
//! A supervisor task per REPLICAOF retries once a second (Redis's
//! `replicationCron` → `connectWithMaster`) until the generation changes; each
//! attempt is a link task whose abort handle the master client carries, so
//! CLIENT KILL TYPE master ends the attempt and the supervisor reconnects, with
//! PSYNC from the offset reached (Redis's cached master).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_keyspace::Expiry;
use ferrodis_replication::{
    split_line, BulkHeader, Handshake, HandshakeConfig, Payload, Progress, PsyncReply, ReplId,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::{LinkState, MasterLink};
use crate::shared::Shared;

/// Longest handshake reply line accepted.
const MAX_LINE: usize = 64 * 1024;

/// REPLICAOF host port: become (or switch to being) a replica of `host:port`.
pub fn set_master(shared: &Arc<Shared>, host: String, port: u16) {
    let generation = shared.replication.next_generation();
    {
        let mut keyspace = shared.keyspace();
        keyspace.set_expiry(Expiry::Replica);
        let mut state = shared.replication.state();
        // Our replicas must learn of the change (`replicationSetMaster` →
        // disconnectSlaves); they reconnect and may continue partially.
        state.drop_replicas();
        if let Some(task) = state.master.take().and_then(|m| m.link) {
            // An attempt under way for the old master must not load its data.
            task.abort();
        }
        let now = Instant::now();
        state.master = Some(MasterLink {
            host,
            port,
            state: LinkState::Connect,
            down_since: Some(now),
            last_io: now,
            generation,
            sync_size: -1,
            sync_read: 0,
            sync_started: None,
            link: None,
        });
        refresh(shared, &state);
    }
    kill_master_clients(shared);
    tokio::spawn(supervise(shared.clone(), generation));
}

/// REPLICAOF NO ONE: become a master. The history we had becomes `replid2`, so
/// other replicas of our old master can continue with us (PSYNC2).
pub fn stop_link(shared: &Arc<Shared>) -> bool {
    shared.replication.next_generation();
    {
        let mut keyspace = shared.keyspace();
        keyspace.set_expiry(Expiry::Master);
        {
            let mut state = shared.replication.state();
            let Some(link) = state.master.take() else {
                return false;
            };
            if let Some(task) = link.link {
                task.abort();
            }
            state.history.shift(super::new_replid());
            state.selected_db = None;
            state.drop_replicas();
            refresh(shared, &state);
        }
        // Our writes extend the history from now on: replicas of the old master
        // that come over continue from the backlog, so nothing may be missed.
        super::stream::ensure_sink(shared, &mut keyspace);
    }
    kill_master_clients(shared);
    true
}

/// After start-up loaded an RDB holding `repl-id`, `repl-offset` and
/// `repl-stream-db` (a replica's own save): resume that history, so the link PSYNCs
/// `<repl-id> <repl-offset + 1>` and continues partially (Redis's `rdbLoad` →
/// `replicationCacheMasterUsingMyself`). Call before the link starts.
pub fn restore_history(
    shared: &Shared,
    replid: ferrodis_replication::ReplId,
    offset: u64,
    stream_db: usize,
) {
    let capacity = super::stream::backlog_size(shared);
    let mut state = shared.replication.state();
    state.history.reset_to(replid, offset, capacity);
    state.stream_db = stream_db;
}

/// Shutdown: stop the link but keep the history as it is (the shutdown save
/// records it, so the restarted replica continues with PSYNC).
pub fn halt(shared: &Shared) {
    shared.replication.next_generation();
    if let Some(task) = shared
        .replication
        .state()
        .master
        .as_mut()
        .and_then(|m| m.link.take())
    {
        task.abort();
    }
    kill_master_clients(shared);
}

fn kill_master_clients(shared: &Shared) {
    for c in shared.clients.all() {
        if c.kind() == crate::clients::Kind::Master {
            c.kill();
        }
    }
}

/// Recomputes READONLY / MASTERDOWN flags.
pub fn refresh(shared: &Shared, state: &super::State) {
    let (ro, stale) = {
        let config = shared.config();
        (
            config.get_bool("replica-read-only"),
            config.get_bool("replica-serve-stale-data"),
        )
    };
    shared.replication.refresh_flags(state, ro, stale);
}

/// Sets the link state (if `generation` is still current).
fn set_state(shared: &Shared, generation: u64, f: impl FnOnce(&mut MasterLink)) -> bool {
    let mut state = shared.replication.state();
    let current = match state.master.as_mut() {
        Some(m) if m.generation == generation => {
            f(m);
            true
        }
        _ => false,
    };
    refresh(shared, &state);
    current
}

async fn supervise(shared: Arc<Shared>, generation: u64) {
    loop {
        if shared.replication.generation() != generation {
            return;
        }
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(link(shared.clone(), generation, rx));
        let abort = task.abort_handle();
        let _ = tx.send(abort.clone());
        if !set_state(&shared, generation, |m| m.link = Some(abort.clone())) {
            abort.abort();
            return;
        }
        match task.await {
            Ok(Err(e)) => tracing::warn!("Replication link error: {e}"),
            Ok(Ok(())) => {}
            Err(_) => tracing::info!("Connection with master lost."),
        }
        let now = Instant::now();
        if !set_state(&shared, generation, |m| {
            if m.state == LinkState::Connected {
                m.down_since = Some(now);
            }
            m.state = LinkState::Connect;
            m.link = None;
        }) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads one line (handshake replies, the payload header).
async fn read_line(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    loop {
        if let Some((line, used)) = split_line(buf) {
            let line = line.to_vec();
            let _ = buf.split_to(used);
            return Ok(line);
        }
        if buf.len() > MAX_LINE {
            return Err("reply line too long from master".into());
        }
        read_some(stream, buf, timeout).await?;
    }
}

async fn read_some(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    timeout: Duration,
) -> Result<usize, String> {
    // Large reads during a transfer: fewer wake-ups and hand-overs per MB.
    buf.reserve(256 * 1024);
    match tokio::time::timeout(timeout, stream.read_buf(buf)).await {
        Err(_) => Err("Timeout connecting to the MASTER...".into()),
        Ok(Err(e)) => Err(format!("Error reading from MASTER: {e}")),
        Ok(Ok(0)) => Err("Connection with master lost.".into()),
        Ok(Ok(n)) => Ok(n),
    }
}

fn repl_timeout(shared: &Shared) -> Duration {
    Duration::from_secs(shared.config().get_int("repl-timeout").max(1) as u64)
}

/// One connection to the master: handshake, sync, stream, until it breaks.
async fn link(
    shared: Arc<Shared>,
    generation: u64,
    abort: oneshot::Receiver<tokio::task::AbortHandle>,
) -> Result<(), String> {
    let abort = abort.await.map_err(|_| "supervisor gone".to_string())?;
    let (host, port) = {
        let state = shared.replication.state();
        let m = state.master.as_ref().ok_or("no master")?;
        (m.host.clone(), m.port)
    };
    let timeout = repl_timeout(&shared);
    set_state(&shared, generation, |m| m.state = LinkState::Connecting);
    tracing::info!("Connecting to MASTER {host}:{port}");
    let mut stream = tokio::time::timeout(timeout, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| "Timeout connecting to the MASTER...".to_string())?
        .map_err(|e| format!("Unable to connect to MASTER: {e}"))?;
    let _ = stream.set_nodelay(true);
    set_state(&shared, generation, |m| m.state = LinkState::Handshake);
    tracing::info!("MASTER <-> REPLICA sync started");

    let config = handshake_config(&shared);
    let (mut handshake, first) = Handshake::start(config);
    write(&mut stream, &first).await?;
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let reply = loop {
        let line = read_line(&mut stream, &mut buf, timeout).await?;
        match handshake.on_line(&line).map_err(|e| e.to_string())? {
            Progress::Send(bytes) => write(&mut stream, &bytes).await?,
            Progress::Wait => {}
            Progress::Done(reply) => break reply,
        }
    };
    match reply {
        PsyncReply::FullResync { replid, offset } => {
            tracing::info!("Full resync from master: {replid}:{offset}");
            full_sync(&shared, generation, &mut stream, &mut buf, replid, offset).await?;
        }
        PsyncReply::Continue { new_replid } => {
            tracing::info!("Successful partial resynchronization with master.");
            let mut state = shared.replication.state();
            if let Some(id) = new_replid {
                if id != state.history.replid {
                    // The master was promoted: our id becomes replid2, and our own
                    // replicas must reconnect to learn the new one.
                    state.history.adopt_new_id(id);
                    state.drop_replicas();
                }
            }
        }
        _ => return Err("unexpected PSYNC reply".into()),
    }
    let now = Instant::now();
    set_state(&shared, generation, |m| {
        m.state = LinkState::Connected;
        m.down_since = None;
        m.last_io = now;
    });
    let client = register_master_client(&shared, &stream, abort);
    let _guard = Unregister(&shared, client.clone());
    super::apply::stream(&shared, generation, stream, buf, client, timeout).await
}

fn handshake_config(shared: &Shared) -> HandshakeConfig {
    // Read, then released before the replication state is taken: other paths
    // read the configuration with the state locked, and nesting both ways can
    // deadlock behind a waiting CONFIG SET.
    let (auth, user, announce_ip, announce_port) = {
        let config = shared.config();
        (
            config.get_str("masterauth").to_string(),
            config.get_str("masteruser").to_string(),
            config.get_str("replica-announce-ip").to_string(),
            config.get_int("replica-announce-port"),
        )
    };
    let state = shared.replication.state();
    HandshakeConfig {
        auth: (!auth.is_empty()).then(|| ((!user.is_empty()).then_some(user), auth)),
        listening_port: if announce_port > 0 {
            announce_port as u16
        } else {
            shared.port()
        },
        announce_ip: (!announce_ip.is_empty()).then_some(announce_ip),
        cached: Some((state.history.replid, state.history.offset())),
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("Error writing to MASTER: {e}"))
}

/// Receives the RDB payload while a loader thread decodes it and another applies
/// the keys to a keyspace of their own; only a complete payload (checksum
/// verified) is swapped in for the live data, so a broken transfer leaves the old
/// dataset in place (Redis's `repl-diskless-load swapdb`).
async fn full_sync(
    shared: &Arc<Shared>,
    generation: u64,
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    replid: ReplId,
    offset: u64,
) -> Result<(), String> {
    let timeout = repl_timeout(shared);
    let header = loop {
        let line = read_line(stream, buf, timeout).await?;
        if let Some(h) = BulkHeader::parse(&line).map_err(|e| e.to_string())? {
            break h;
        }
    };
    let started = Instant::now();
    set_state(shared, generation, |m| {
        m.state = LinkState::Transfer;
        m.sync_size = match header {
            BulkHeader::Sized(n) => n as i64,
            BulkHeader::Eof(_) => -1,
        };
        m.sync_read = 0;
        m.sync_started = Some(started);
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let loader = shared.clone();
    let loading = tokio::task::spawn_blocking(move || super::load::load(&loader, rx));
    let mut payload = Payload::new(header);
    let transfer: Result<(), String> = async {
        let mut chunk = Vec::new();
        loop {
            let pushed = payload.push(buf, &mut chunk);
            let _ = buf.split_to(pushed.consumed);
            if !chunk.is_empty() {
                let full = std::mem::take(&mut chunk);
                if tx.send(full).await.is_err() {
                    // The loader stopped: its error says why.
                    return Ok(());
                }
            }
            if pushed.done {
                return Ok(());
            }
            let received = payload.received();
            set_state(shared, generation, |m| m.sync_read = received);
            read_some(stream, buf, timeout).await?;
        }
    }
    .await;
    drop(tx);
    let loaded = loading
        .await
        .map_err(|e| format!("loading task failed: {e}"))?;
    transfer?;
    let super::load::Loaded {
        keyspace: mut fresh,
        stream_db,
    } = loaded?;
    tracing::info!(
        "MASTER <-> REPLICA sync: received and loaded {} bytes from master in {:.3} s",
        payload.received(),
        started.elapsed().as_secs_f64()
    );
    {
        let capacity = super::stream::backlog_size(shared);
        let mut keyspace = shared.keyspace();
        let mut state = shared.replication.state();
        // Our dataset changes under our own replicas: they resync (disconnectSlaves),
        // and are cut off before the swap ends a snapshot one of them may be reading.
        state.drop_replicas();
        keyspace.swap_data(&mut fresh);
        state.history.reset_to(replid, offset, capacity);
        state.stream_db = stream_db;
    }
    // Freeing the old dataset can take a while: not on the runtime.
    tokio::task::spawn_blocking(move || drop(fresh));
    tracing::info!(
        "MASTER <-> REPLICA sync: Finished with success ({:.3} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn register_master_client(
    shared: &Shared,
    stream: &TcpStream,
    abort: tokio::task::AbortHandle,
) -> Arc<crate::clients::Client> {
    let addr = stream
        .peer_addr()
        .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
    let laddr = stream
        .local_addr()
        .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
    #[cfg(unix)]
    let fd = std::os::fd::AsRawFd::as_raw_fd(stream);
    #[cfg(not(unix))]
    let fd = -1;
    let client = shared.clients.register(addr, laddr, fd);
    client.set_kind(crate::clients::Kind::Master);
    client.set_task(abort);
    client
}

struct Unregister<'a>(&'a Shared, Arc<crate::clients::Client>);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.clients.unregister(self.1.id);
    }
}
