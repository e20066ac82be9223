//! Applying the master's stream on a replica: its commands run as the master
//! client (no replies, no READONLY, keys live until the master deletes them), the
//! offset counts every byte processed, and the same bytes go on verbatim to our own
//! replicas and backlog, so a chain shares one replication id and offsets.
//!
//! ACKs: `REPLCONF ACK <offset>` every second and in answer to `REPLCONF GETACK`,
//! with the offset before the GETACK itself (Redis updates `reploff` after the
//! command runs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrodis_keyspace::Expiry;
use ferrodis_replication::command;
use ferrodis_resp::CommandDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::clients::Client;
use crate::commands::{self, Batch};
use crate::connection::Conn;
use crate::shared::Shared;

/// Applies the stream until the link breaks (or is killed, or REPLICAOF changes).
pub async fn stream(
    shared: &Arc<Shared>,
    generation: u64,
    mut stream: TcpStream,
    mut rbuf: BytesMut,
    client: Arc<Client>,
    timeout: Duration,
) -> Result<(), String> {
    let mut conn = Conn::new(client, shared);
    // Where the stream continues: the RDB's `repl-stream-db` after a full sync, the
    // database reached before the link broke after a partial one.
    conn.session.db = shared.replication.state().stream_db;
    conn.authenticated = true;
    conn.master_link = true;
    let mut decoder = CommandDecoder::new(conn.settings.limits);
    let mut out = Vec::new();
    // Bytes of a MULTI block not yet closed by EXEC: they count once it is.
    let mut pending = Vec::new();
    // The first ACK goes out at once: a master puts a diskless replica online on it.
    send_ack(shared, &mut out);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        if !rbuf.is_empty() {
            apply(
                shared,
                &mut conn,
                &mut decoder,
                &mut rbuf,
                &mut pending,
                &mut out,
            )?;
        }
        if !out.is_empty() {
            stream
                .write_all(&out)
                .await
                .map_err(|e| format!("Error writing to MASTER: {e}"))?;
            out.clear();
        }
        if shared.replication.generation() != generation {
            return Ok(());
        }
        rbuf.reserve(16 * 1024);
        tokio::select! {
            read = tokio::time::timeout(timeout, stream.read_buf(&mut rbuf)) => match read {
                Err(_) => return Err("MASTER timeout: no data nor PING received...".into()),
                Ok(Err(e)) => return Err(format!("Error reading from MASTER: {e}")),
                Ok(Ok(0)) => return Err("Connection with master lost.".into()),
                Ok(Ok(n)) => {
                    shared.stats.net_repl_input_bytes.add(n as u64);
                    if let Some(m) = shared.replication.state().master.as_mut() {
                        m.last_io = Instant::now();
                    }
                }
            },
            _ = tick.tick() => send_ack(shared, &mut out),
        }
    }
}

fn send_ack(shared: &Shared, out: &mut Vec<u8>) {
    let offset = shared.replication.state().history.offset();
    ack(out, offset);
}

fn ack(out: &mut Vec<u8>, offset: u64) {
    command(out, &[b"REPLCONF", b"ACK", offset.to_string().as_bytes()]);
}

/// Runs every complete command in `rbuf`; the bytes they took are then fed to our
/// history (offset, backlog) and replicas. Inside a MULTI block nothing counts until
/// EXEC (Redis advances the master's `reploff` only outside MULTI), so an
/// interrupted transaction is sent again after PSYNC.
fn apply(
    shared: &Shared,
    conn: &mut Conn,
    decoder: &mut CommandDecoder,
    rbuf: &mut BytesMut,
    pending: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    // One copy of the input, to forward exactly the bytes processed.
    let window: Bytes = Bytes::copy_from_slice(rbuf);
    let mut pos = 0usize;
    let mut done = Vec::new();
    let base = shared.replication.state().history.offset();
    {
        let mut batch = Batch::new(shared);
        batch.keyspace().set_expiry(Expiry::MasterLink);
        let result = loop {
            let before = rbuf.len();
            let decoded = decoder.decode(rbuf);
            // The decoder may take bytes of a command still incomplete: every byte
            // it took belongs to the command in progress.
            let used = before - rbuf.len();
            pending.extend_from_slice(&window[pos..pos + used]);
            pos += used;
            match decoded {
                Ok(Some(argv)) => {
                    if is_getack(&argv) {
                        ack(out, base + done.len() as u64);
                    } else if !argv.is_empty() {
                        let _ = commands::dispatch(conn, &mut batch, &argv);
                        conn.repl = None;
                        conn.blocked = None;
                    }
                    if conn.multi.is_none() {
                        done.append(pending);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(format!("Protocol error from MASTER: {e}")),
            }
        };
        if let Some(keyspace) = batch.locked_keyspace() {
            crate::blocking::serve_ready(shared, keyspace);
            keyspace.set_expiry(Expiry::Replica);
        }
        // Fed while the keyspace is still locked: a sub-replica's snapshot starting
        // now must see these commands' effects and their bytes on the same side of
        // its offset.
        let mut state = shared.replication.state();
        state.feed(&done);
        if conn.multi.is_none() {
            state.stream_db = conn.session.db;
        }
        drop(state);
        drop(batch);
        result
    }
}

fn is_getack(argv: &[Bytes]) -> bool {
    argv.len() >= 2
        && argv[0].eq_ignore_ascii_case(b"replconf")
        && argv[1].eq_ignore_ascii_case(b"getack")
}
