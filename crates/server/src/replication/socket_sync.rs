//! A diskless job (`repl-diskless-sync yes`): one snapshot walked step by step,
//! each step's RDB bytes handed to every member's feeder, which writes them to
//! its socket (Redis's `rdbPipeReadHandler` feeding every replica connection
//! from the one child). The job goes at the pace of its slowest member, as
//! Redis's does, and stops when the last member is gone ("Diskless rdb
//! transfer, last replica dropped, killing fork child.").

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferrodis_replication::EOF_MARK_LEN;
use tokio::sync::mpsc;

use super::Outbox;
use crate::rdb_snapshot::RdbSink;
use crate::shared::Shared;

/// Segments walked per step (a few hundred keys each) between sends.
const STEP_SEGMENTS: usize = 16;

/// What a member's feeder receives.
#[derive(Debug, Clone)]
pub enum Chunk {
    /// RDB bytes (the last one ends with the EOF mark).
    Data(Bytes),
    /// The payload is complete. A channel closed without it means the job failed.
    End,
}

/// A member as the job sees it.
#[derive(Debug)]
pub struct Member {
    /// Closed when the replica is dropped (limits, our dataset replaced).
    pub outbox: Arc<Outbox>,
    /// Its feeder's chunks.
    pub tx: mpsc::Sender<Chunk>,
}

/// Runs job `job` to its end, then frees the snapshot and the job's place.
pub async fn drive(
    shared: Arc<Shared>,
    job: u64,
    writer: Arc<Mutex<RdbSink>>,
    mut members: Vec<Member>,
    mark: [u8; EOF_MARK_LEN],
    key_delay_us: u64,
) {
    let ended = EndJob(&shared, job, writer.clone());
    let result = walk(&shared, &writer, &mut members, key_delay_us).await;
    let result = match result {
        Ok(()) => finish(&writer, &mut members, mark).await,
        Err(e) => Err(e),
    };
    drop(ended);
    match result {
        Ok(()) => tracing::info!(
            "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
            members.len()
        ),
        Err(e) => tracing::warn!("{e}"),
    }
}

async fn walk(
    shared: &Shared,
    writer: &Arc<Mutex<RdbSink>>,
    members: &mut Vec<Member>,
    key_delay_us: u64,
) -> Result<(), String> {
    let mut last_keys = 0;
    loop {
        let done = {
            let mut keyspace = shared.keyspace();
            if !installed(writer) {
                // Our dataset was replaced (a replica's full sync), which ended the
                // snapshot and dropped every replica: a walk cut short must never
                // reach anyone as a whole RDB.
                return Err("the snapshot ended under the diskless transfer".into());
            }
            members.retain(|m| !m.outbox.is_closed());
            keyspace.snapshot_step(STEP_SEGMENTS)
        };
        if members.is_empty() {
            return Err("Diskless rdb transfer, last replica dropped, killing fork child.".into());
        }
        let bytes = writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        send_all(members, Chunk::Data(Bytes::from(bytes))).await;
        if done {
            return Ok(());
        }
        if key_delay_us > 0 {
            // `rdb-key-save-delay`: microseconds per key, a test knob of Redis's.
            let keys = writer.lock().unwrap_or_else(|e| e.into_inner()).keys();
            let us = key_delay_us.saturating_mul(keys - last_keys);
            last_keys = keys;
            tokio::time::sleep(Duration::from_micros(us)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// EOF, checksum and mark to everyone, then the end.
async fn finish(
    writer: &Mutex<RdbSink>,
    members: &mut Vec<Member>,
    mark: [u8; EOF_MARK_LEN],
) -> Result<(), String> {
    let mut tail = writer.lock().unwrap_or_else(|e| e.into_inner()).finish()?;
    tail.extend_from_slice(&mark);
    send_all(members, Chunk::Data(Bytes::from(tail))).await;
    send_all(members, Chunk::End).await;
    Ok(())
}

/// Hands `chunk` to every member; members whose feeder is gone leave.
async fn send_all(members: &mut Vec<Member>, chunk: Chunk) {
    if matches!(&chunk, Chunk::Data(b) if b.is_empty()) {
        return;
    }
    let mut gone = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if m.tx.send(chunk.clone()).await.is_err() {
            gone.push(i);
        }
    }
    for i in gone.into_iter().rev() {
        members.swap_remove(i);
    }
}

/// Handles on the writer the job itself holds (`drive`'s and its guard's).
const JOB_HANDLES: usize = 2;

/// Whether the keyspace still runs the snapshot into `writer`: it holds clones
/// of the sink until the snapshot ends (call with the keyspace locked).
fn installed(writer: &Arc<Mutex<RdbSink>>) -> bool {
    Arc::strong_count(writer) > JOB_HANDLES
}

/// Ends the snapshot (if still ours) and frees the job's place however the job
/// ends.
struct EndJob<'a>(&'a Shared, u64, Arc<Mutex<RdbSink>>);

impl Drop for EndJob<'_> {
    fn drop(&mut self) {
        let mut keyspace = self.0.keyspace();
        if installed(&self.2) {
            keyspace.end_snapshot();
        }
        self.0.rdb.set_to_replicas(false);
        super::sync_job::finished(&mut self.0.replication.state(), self.1);
    }
}
