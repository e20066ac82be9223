//! A full sync from the fork-free snapshot (DESIGN.md "Snapshots without fork").
//!
//! ```text
//! wait_bgsave   repl-diskless-sync-delay (diskless), "\n" keepalives every second;
//!               wait for any other snapshot to end (one at a time)
//! under the keyspace lock, then the replication lock:
//!               begin_snapshot, offset = master_repl_offset, the replica starts
//!               receiving the stream (buffered in its outbox), next command SELECTs
//! send_bulk     +FULLRESYNC <replid> <offset>
//!               diskless ($EOF:<mark>): snapshot steps streamed as encoded, mark
//!               disk-based ($<len>): the whole RDB encoded first, then sent
//! online        after the payload (disk-based) or the replica's first ACK (diskless)
//! ```
//!
//! The RDB holds exactly the keys as of the offset in +FULLRESYNC, and the outbox
//! every write after it, so the replica's offset accounting lines up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrodis_replication::{BulkHeader, LinkState};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::rdb_out::{options, RdbWriter, Sink};
use crate::shared::Shared;

/// Segments walked per step (a few hundred keys each) between writes.
const STEP_SEGMENTS: usize = 16;

/// Runs the full sync of replica `id`.
pub async fn run(
    shared: &Arc<Shared>,
    stream: &mut TcpStream,
    id: u64,
    outbox: &super::Outbox,
    capa_eof: bool,
    psync: bool,
) -> Result<(), String> {
    let (diskless, delay) = {
        let c = shared.config();
        (
            c.get_bool("repl-diskless-sync") && capa_eof,
            c.get_int("repl-diskless-sync-delay").max(0) as u64,
        )
    };
    if diskless && delay > 0 {
        for _ in 0..delay {
            tokio::time::sleep(Duration::from_secs(1)).await;
            write(stream, b"\n").await?;
        }
    }
    let sink = Sink::default();
    let (writer, replid, offset) = loop {
        if let Some(started) = begin(shared, id, &sink)? {
            break started;
        }
        // Another snapshot (a save, another sync) is running: keep the link alive.
        tokio::time::sleep(Duration::from_millis(100)).await;
        write(stream, b"\n").await?;
    };
    let _end = EndSnapshot(shared);
    if psync {
        write(
            stream,
            format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes(),
        )
        .await?;
    }
    let header = if diskless {
        let mut mark = [0u8; 20];
        mark.copy_from_slice(&super::new_replid().as_bytes()[..20]);
        let header = BulkHeader::eof_from_random(mark);
        write(stream, &header.to_line()).await?;
        Some(header)
    } else {
        None
    };
    let mut disk = Vec::new();
    loop {
        let done = shared.keyspace().snapshot_step(STEP_SEGMENTS);
        if outbox.is_closed() {
            // Dropped (our dataset was replaced, limits): the snapshot may have been
            // ended under us, so never finish the RDB as if it were whole.
            return Err("replica dropped during the full sync".into());
        }
        let bytes = sink.take();
        if diskless {
            write(stream, &bytes).await?;
        } else {
            disk.extend_from_slice(&bytes);
        }
        if done {
            break;
        }
        tokio::task::yield_now().await;
    }
    writer.lock().unwrap_or_else(|e| e.into_inner()).finish()?;
    let tail = sink.take();
    match header {
        Some(BulkHeader::Eof(mark)) => {
            write(stream, &tail).await?;
            write(stream, &mark).await?;
        }
        _ => {
            disk.extend_from_slice(&tail);
            write(stream, &BulkHeader::Sized(disk.len() as u64).to_line()).await?;
            write(stream, &disk).await?;
        }
    }
    shared.stats.net_repl_output_bytes.add(0);
    let mut state = shared.replication.state();
    if let Some(r) = state.replica(id) {
        if !diskless {
            r.info.state = LinkState::Online;
            r.info.ack_time_ms = super::now_ms();
        }
        r.outbox.notify.notify_one();
    }
    tracing::info!("Synchronization with replica succeeded");
    Ok(())
}

type Started = (Arc<Mutex<RdbWriter>>, ferrodis_replication::ReplId, u64);

/// Starts the snapshot if none runs; the replica starts receiving the stream.
fn begin(shared: &Arc<Shared>, id: u64, sink: &Sink) -> Result<Option<Started>, String> {
    let opts = options(&shared.config());
    let mut keyspace = shared.keyspace();
    if keyspace.snapshot_running() {
        return Ok(None);
    }
    // Effects of writes before the snapshot belong to the stream before the offset.
    shared.propagation.flush(&mut keyspace);
    let mut state = shared.replication.state();
    let replid = state.history.replid;
    let offset = state.history.offset();
    // A replica forwards its master's stream as is: the sub-replica must start in
    // the database that stream has selected (`rsi->repl_stream_db`). A master's own
    // stream selects again after the snapshot (`selected_db = None` below).
    let stream_db = if state.master.is_some() {
        state.stream_db
    } else {
        0
    };
    let writer = Arc::new(Mutex::new(RdbWriter::new(
        sink.clone(),
        opts,
        replid.as_str(),
        offset,
        stream_db,
    )?));
    if !keyspace.begin_snapshot(writer.clone()) {
        return Ok(None);
    }
    state.selected_db = None;
    let r = state.replica(id).ok_or("replica gone")?;
    r.receiving = true;
    r.info.state = LinkState::SendBulk;
    Ok(Some((writer, replid, offset)))
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("write to replica: {e}"))
}

/// Ends the snapshot however the sync ends.
struct EndSnapshot<'a>(&'a Shared);

impl Drop for EndSnapshot<'_> {
    fn drop(&mut self) {
        self.0.keyspace().end_snapshot();
    }
}
