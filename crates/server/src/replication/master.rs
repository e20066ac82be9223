//! The master role: a connection that sent SYNC/PSYNC becomes a feeder for that
//! replica (+CONTINUE and the backlog, or a full sync, then the stream), reads its
//! REPLCONF ACKs, and enforces `client-output-buffer-limit replica`. Also WAIT.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_replication::{LinkState, PsyncDecision, ReplId, Replconf, ReplicaInfo};
use ferrodis_resp::{CommandDecoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{now_ms, Attached, Outbox};
use crate::connection::Conn;
use crate::shared::Shared;

/// SYNC or PSYNC's arguments.
#[derive(Debug, Clone)]
pub struct PsyncRequest {
    /// `None` for `?` (or an id that is not one).
    pub replid: Option<ReplId>,
    /// The first offset the replica lacks (-1 with `?`).
    pub offset: i64,
    /// PSYNC (false: the old SYNC, which gets the payload without +FULLRESYNC).
    pub psync: bool,
}

/// Feeds one replica until it disconnects or is dropped.
pub async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    conn: Conn,
    mut rbuf: BytesMut,
    request: PsyncRequest,
) {
    let client = conn.client.clone();
    client.set_kind(crate::clients::Kind::Replica);
    let outbox = Arc::new(Outbox::default());
    let partial = attach(&shared, &client, &outbox, &request);
    let _detach = Detach(&shared, client.id);
    if !partial {
        if let Err(e) =
            super::fullsync::run(&shared, &mut stream, client.id, &outbox, request.psync).await
        {
            tracing::warn!("Full sync of replica {} failed: {e}", client.addr);
            return;
        }
    }
    let mut decoder = CommandDecoder::new(conn.settings.limits);
    loop {
        let online = shared
            .replication
            .state()
            .replica(client.id)
            .is_some_and(|r| r.info.state == LinkState::Online);
        if outbox.is_closed() {
            return;
        }
        let pending = outbox.len();
        if online && pending > 0 {
            // Let the other ready tasks (writers) run first, so one write carries
            // what they add in this round, as Redis writes a replica's buffer once
            // per event loop iteration.
            tokio::task::yield_now().await;
            let data = outbox.take();
            if stream.write_all(&data).await.is_err() {
                return;
            }
            shared.stats.net_repl_output_bytes.add(data.len() as u64);
            continue;
        }
        rbuf.reserve(4096);
        tokio::select! {
            () = outbox.notify.notified() => {}
            read = stream.read_buf(&mut rbuf) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if !on_input(&shared, client.id, &mut decoder, &mut rbuf) {
                        return;
                    }
                }
            },
        }
    }
}

/// Registers the replica and answers PSYNC: true for a partial resync (the
/// +CONTINUE line and the backlog are already queued in `outbox`).
fn attach(
    shared: &Arc<Shared>,
    client: &Arc<crate::clients::Client>,
    outbox: &Arc<Outbox>,
    request: &PsyncRequest,
) -> bool {
    let mut keyspace = shared.keyspace();
    super::stream::ensure_sink(shared, &mut keyspace);
    let mut state = shared.replication.state();
    let now = now_ms();
    let mut info = state
        .take_handshake(client.id)
        .unwrap_or_else(|| ReplicaInfo::new(client.id, client.addr.ip().to_string(), now));
    let decision = if request.psync {
        state
            .history
            .decide(request.replid.as_ref(), request.offset)
    } else {
        PsyncDecision::Full(ferrodis_replication::FullReason::Requested)
    };
    state.no_replicas_since = None;
    let partial = match decision {
        PsyncDecision::Continue { offset } => {
            let line = if info.capa_psync2 {
                format!("+CONTINUE {}\r\n", state.history.replid)
            } else {
                "+CONTINUE\r\n".to_string()
            };
            outbox.push(line.as_bytes());
            if let Some((a, b)) = state.history.backlog().and_then(|b| b.read_from(offset)) {
                outbox.push(a);
                outbox.push(b);
            }
            info.state = LinkState::Online;
            info.ack_time_ms = now;
            state.sync_partial_ok += 1;
            tracing::info!(
                "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {offset}.",
                client.addr,
                state.history.offset() + 1 - offset
            );
            true
        }
        PsyncDecision::Full(reason) => {
            if request.replid.is_some() {
                state.sync_partial_err += 1;
            }
            state.sync_full += 1;
            tracing::info!(
                "Full resync requested by replica {} ({reason:?})",
                client.addr
            );
            info.state = LinkState::WaitBgsave;
            false
        }
    };
    state.replicas.push(Attached {
        info,
        outbox: outbox.clone(),
        receiving: partial,
        client: client.clone(),
        soft_since: None,
        sync: if partial {
            super::sync_job::Slot::None
        } else {
            super::sync_job::Slot::Waiting {
                since: Instant::now(),
                logged: false,
            }
        },
    });
    partial
}

/// REPLCONF ACK from the replica (the only thing it sends once attached).
fn on_input(shared: &Shared, id: u64, decoder: &mut CommandDecoder, rbuf: &mut BytesMut) -> bool {
    loop {
        match decoder.decode(rbuf) {
            Ok(Some(argv)) => {
                let is_replconf = argv
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case(b"replconf"));
                if !is_replconf {
                    continue;
                }
                let args: Vec<&[u8]> = argv[1..].iter().map(|a| &a[..]).collect();
                if let Ok(Replconf::Ack(offset)) = Replconf::parse(&args) {
                    let mut state = shared.replication.state();
                    if let Some(r) = state.replica(id) {
                        r.info.ack(offset, now_ms());
                        // A diskless payload is followed by nothing until the
                        // replica acks: then it is online (`repl_put_online_on_ack`).
                        if r.info.state == LinkState::SendBulk && r.receiving {
                            r.info.state = LinkState::Online;
                            r.outbox.notify.notify_one();
                        }
                    }
                    drop(state);
                    shared.replication.acks.notify_waiters();
                }
            }
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// Removes the replica from the state when its feeder ends.
struct Detach<'a>(&'a Shared, u64);

impl Drop for Detach<'_> {
    fn drop(&mut self) {
        let mut state = self.0.replication.state();
        state.replicas.retain(|r| r.info.id != self.1);
        if state.replicas.is_empty() {
            state.no_replicas_since = Some(Instant::now());
        }
    }
}

/// WAIT: the number of replicas that acknowledged `offset`, once `wanted` did or
/// the timeout passed (Redis's `waitCommand`).
pub async fn wait(shared: &Shared, offset: u64, wanted: usize, timeout_ms: u64) -> Frame {
    let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms));
    loop {
        let notified = shared.replication.acks.notified();
        let acked = {
            let state = shared.replication.state();
            ferrodis_replication::count_acked(state.replicas.iter().map(|r| &r.info), offset)
        };
        if acked >= wanted {
            return Frame::Integer(acked as i64);
        }
        let sleep = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        if deadline.is_some() && sleep.is_zero() {
            return Frame::Integer(acked as i64);
        }
        // Ask again now and then, in case an ACK was lost.
        let _ = tokio::time::timeout(sleep.min(Duration::from_millis(100)), notified).await;
    }
}
