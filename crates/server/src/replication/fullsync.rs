//! A replica's full sync, from its side of a shared job (sync_job.rs).
//!
//! ```text
//! wait      poll the job registry every 100 ms; "\n" keepalives every second
//!           (repl-diskless-sync-delay, another snapshot, a socket job running)
//! joined    +FULLRESYNC <replid> <offset> of the job's snapshot; the outbox has
//!           buffered every write since that offset
//! payload   sockets: $EOF:<mark>, the job's chunks as the snapshot walks, mark
//!           disk: "\n" every second until the BGSAVE ends, then $<len> + file
//! online    after the file (disk) or on the replica's first ACK (sockets)
//! ```

use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodis_replication::{BulkHeader, LinkState, EOF_MARK_LEN};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::socket_sync::Chunk;
use super::sync_job::{self, Payload, Poll, Saved, Slot};
use crate::shared::Shared;

/// How often a waiting feeder looks again.
const POLL: Duration = Duration::from_millis(100);

/// Runs the full sync of replica `id`.
pub async fn run(
    shared: &Arc<Shared>,
    stream: &mut TcpStream,
    id: u64,
    outbox: &super::Outbox,
    psync: bool,
) -> Result<(), String> {
    let mut keepalive = Instant::now();
    let ticket = loop {
        if outbox.is_closed() {
            return Err("replica dropped while waiting for the snapshot".into());
        }
        if let Poll::Go(ticket) = sync_job::poll(shared, id)? {
            break ticket;
        }
        tokio::time::sleep(POLL).await;
        if keepalive.elapsed() >= Duration::from_secs(1) {
            write(stream, b"\n").await?;
            keepalive = Instant::now();
        }
    };
    if psync {
        let line = format!("+FULLRESYNC {} {}\r\n", ticket.replid, ticket.offset);
        write(stream, line.as_bytes()).await?;
    }
    let diskless = matches!(ticket.payload, Payload::Sockets { .. });
    let sent = match ticket.payload {
        Payload::Sockets { mark, chunks } => sockets(stream, mark, chunks).await?,
        Payload::Disk(saved) => disk(shared, stream, id, saved).await?,
    };
    shared.stats.net_repl_output_bytes.add(sent);
    let mut state = shared.replication.state();
    if let Some(r) = state.replica(id) {
        r.sync = Slot::None;
        if !diskless {
            r.info.state = LinkState::Online;
            r.info.ack_time_ms = super::now_ms();
        }
        r.outbox.notify.notify_one();
    }
    if diskless {
        tracing::info!("Streamed RDB transfer with replica succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming");
    } else {
        tracing::info!("Synchronization with replica succeeded");
    }
    Ok(())
}

/// `$EOF:<mark>` and the job's chunks; the bytes sent.
async fn sockets(
    stream: &mut TcpStream,
    mark: [u8; EOF_MARK_LEN],
    mut chunks: mpsc::Receiver<Chunk>,
) -> Result<u64, String> {
    write(stream, &BulkHeader::Eof(mark).to_line()).await?;
    let mut sent = 0;
    loop {
        match chunks.recv().await {
            Some(Chunk::Data(bytes)) => {
                write(stream, &bytes).await?;
                sent += bytes.len() as u64;
            }
            Some(Chunk::End) => return Ok(sent),
            None => return Err("the diskless transfer failed".into()),
        }
    }
}

/// Keepalives until the job's BGSAVE ends, then `$<len>` and the file.
async fn disk(
    shared: &Shared,
    stream: &mut TcpStream,
    id: u64,
    mut saved: watch::Receiver<Saved>,
) -> Result<u64, String> {
    let file = loop {
        if let Some(outcome) = saved.borrow_and_update().clone() {
            break outcome?;
        }
        match tokio::time::timeout(Duration::from_secs(1), saved.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err("SYNC failed. BGSAVE child returned an error".into()),
            // Redis's cron sends a newline to replicas waiting for a disk save.
            Err(_) => write(stream, b"\n").await?,
        }
    };
    if let Some(r) = shared.replication.state().replica(id) {
        r.info.state = LinkState::SendBulk;
    }
    write(stream, &BulkHeader::Sized(file.len).to_line()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = 0;
    while pos < file.len {
        // A positioned read of a local file: page cache, short; this file
        // handle is shared by every member.
        let n = file
            .file
            .read_at(&mut buf, pos)
            .map_err(|e| format!("SYNC failed. Can't read DB after BGSAVE: {e}"))?;
        if n == 0 {
            return Err("SYNC failed. The RDB file is shorter than its size".into());
        }
        let n = n.min((file.len - pos) as usize);
        write(stream, &buf[..n]).await?;
        pos += n as u64;
    }
    Ok(file.len)
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("write to replica: {e}"))
}
