//! One snapshot pass shared by every replica that Redis 7.0 would feed from the
//! same child (`syncCommand`, `shouldStartChildReplication`,
//! `startBgsaveForReplication`).
//!
//! ```text
//! PSYNC needs a full sync ─▶ Slot::Waiting (WAIT_BGSAVE_START)
//!   a job for disk runs ─▶ attach: copy a member's outbox, same replid/offset
//!   a job for sockets runs ─▶ wait for the next one
//!   none runs, no other snapshot, and: disk-based, or a waiting replica
//!   without `capa eof`, or repl-diskless-sync-max-replicas waiting, or the
//!   oldest waited repl-diskless-sync-delay ─▶ start one for ALL waiting
//!     sockets: RdbSink snapshot, socket_sync.rs fans each step out
//!     disk: a BGSAVE (save.rs) to dbfilename, its file sent to each member
//! ─▶ Slot::Joined with a Ticket: +FULLRESYNC <replid> <offset> of the job
//! ```
//!
//! The feeders poll [`poll`] (fullsync.rs) instead of Redis's cron; whichever
//! sees the start condition first starts the job for all waiting replicas.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ferrodis_replication::{BulkHeader, LinkState, ReplId, EOF_MARK_LEN};
use tokio::sync::{mpsc, watch};

use ferrodis_rdb::{AuxFields, ReplicationAux};

use super::socket_sync::{Chunk, Member};
use super::{Outbox, State};
use crate::rdb_snapshot::{self, RdbSink};
use crate::save::{self, BgStart};
use crate::shared::Shared;

/// Chunks a diskless member may lag behind the job before the job waits for it
/// (Redis waits for every replica's write before reading the child's pipe on).
const CHUNKS_AHEAD: usize = 4;

/// Where a replica is in a full sync.
#[derive(Debug, Default)]
pub enum Slot {
    /// No full sync (partial resync, or done).
    #[default]
    None,
    /// Waiting for a job to start (WAIT_BGSAVE_START), since `since`.
    Waiting {
        /// When the replica asked (Redis's `lastinteraction`, for the delay).
        since: Instant,
        /// Why it waits was logged.
        logged: bool,
    },
    /// Member of job `job` (WAIT_BGSAVE_END); the ticket until its feeder takes it.
    Joined {
        /// The job's id.
        job: u64,
        /// Not yet taken by the feeder.
        ticket: Option<Ticket>,
    },
}

/// The payload's target (`RDB_CHILD_TYPE_DISK` / `_SOCKET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A BGSAVE to `dbfilename`, then the file to each member.
    Disk,
    /// Streamed to the members' sockets as the snapshot walks.
    Sockets,
}

/// The job running for replicas.
#[derive(Debug)]
pub struct Job {
    /// Its id.
    pub id: u64,
    /// Disk or sockets.
    pub target: Target,
    /// What +FULLRESYNC says: the history and offset as of the snapshot.
    pub replid: ReplId,
    /// See `replid`.
    pub offset: u64,
    /// Disk: the save's outcome, for replicas attaching later.
    saved: Option<watch::Receiver<Saved>>,
}

/// A disk job's outcome: `None` while the save runs.
pub type Saved = Option<Result<Arc<SavedFile>, String>>;

/// The saved RDB, opened once as soon as the save ended (a later save may rename
/// another file over the path; members read this one).
#[derive(Debug)]
pub struct SavedFile {
    /// Read with positioned reads by every member.
    pub file: std::fs::File,
    /// Its length.
    pub len: u64,
}

/// What a member's feeder needs: the +FULLRESYNC values and the payload.
#[derive(Debug)]
pub struct Ticket {
    /// The job's id.
    pub job: u64,
    /// +FULLRESYNC's id.
    pub replid: ReplId,
    /// +FULLRESYNC's offset.
    pub offset: u64,
    /// Where the RDB comes from.
    pub payload: Payload,
}

impl Slot {
    /// Joined to job `job`, its ticket ready: +FULLRESYNC `replid` `offset`,
    /// then the payload from `payload`.
    fn joined(job: u64, replid: ReplId, offset: u64, payload: Payload) -> Slot {
        Slot::Joined {
            job,
            ticket: Some(Ticket {
                job,
                replid,
                offset,
                payload,
            }),
        }
    }
}

/// A member's payload source.
#[derive(Debug)]
pub enum Payload {
    /// `$EOF:<mark>`, then the chunks.
    Sockets {
        /// The job's EOF mark.
        mark: [u8; EOF_MARK_LEN],
        /// The RDB as the job encodes it, ending with the mark.
        chunks: mpsc::Receiver<Chunk>,
    },
    /// `$<len>` and the file once saved.
    Disk(watch::Receiver<Saved>),
}

/// What [`poll`] found.
#[derive(Debug)]
pub enum Poll {
    /// The replica is a member: go.
    Go(Ticket),
    /// Keep waiting (and the link alive).
    Wait,
}

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// Where replica `id` stands: joins or starts a job when Redis would.
pub fn poll(shared: &Arc<Shared>, id: u64) -> Result<Poll, String> {
    let (diskless, delay, max_replicas) = {
        let c = shared.config();
        (
            c.get_bool("repl-diskless-sync"),
            c.get_int("repl-diskless-sync-delay").max(0) as u64,
            c.get_int("repl-diskless-sync-max-replicas").max(0) as usize,
        )
    };
    let mut keyspace = shared.keyspace();
    // Effects of writes before the snapshot belong to the stream before its offset.
    shared.propagation.flush(&mut keyspace);
    // Before the replication lock: a BGSAVE takes the save state, then this one.
    // (A diskless job counts as a BGSAVE too, but is handled first below.)
    let user_bgsave = shared.rdb.bgsave_running();
    let mut state = shared.replication.state();
    let r = state.replica(id).ok_or("replica gone")?;
    let first = match &mut r.sync {
        Slot::Joined { ticket, .. } => {
            return ticket
                .take()
                .map(Poll::Go)
                .ok_or_else(|| "no ticket".into())
        }
        Slot::Waiting { logged, .. } => !std::mem::replace(logged, true),
        Slot::None => return Err("not waiting for a full sync".into()),
    };
    if let Some(job) = &state.job {
        if job.target == Target::Sockets {
            if first {
                tracing::info!(
                    "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
                );
            }
            return Ok(Poll::Wait);
        }
        return Ok(attach(&mut state, id, first));
    }
    if keyspace.snapshot_running() {
        if first && user_bgsave {
            // A BGSAVE not for replication: nobody buffers writes since its start.
            tracing::info!(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
            );
        } else if first {
            tracing::info!("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
        }
        return Ok(Poll::Wait);
    }
    let waiting = waiting(&state);
    let all_eof = waiting.iter().all(|&(_, eof)| eof);
    let oldest = waiting
        .iter()
        .filter_map(|&(i, _)| match state.replicas[i].sync {
            Slot::Waiting { since, .. } => Some(since.elapsed().as_secs()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let go = should_start(
        diskless && all_eof,
        waiting.len(),
        max_replicas,
        oldest,
        delay,
    );
    if !go {
        if first {
            tracing::info!("Delay next BGSAVE for diskless SYNC");
        }
        return Ok(Poll::Wait);
    }
    let sockets = diskless && all_eof;
    tracing::info!(
        "Starting BGSAVE for SYNC with target: {}",
        if sockets { "replicas sockets" } else { "disk" }
    );
    if sockets {
        start_sockets(shared, &mut keyspace, &mut state)?;
    } else {
        drop(state);
        // The save's aux fields read the replication state: not locked here.
        start_disk(shared, &mut keyspace)?;
        state = shared.replication.state();
    }
    match state.replica(id).map(|r| &mut r.sync) {
        Some(Slot::Joined { ticket, .. }) => ticket.take().map(Poll::Go).ok_or("no ticket".into()),
        _ => Err("the replica left".into()),
    }
}

/// Redis's `shouldStartChildReplication` once no snapshot runs: a disk-based
/// sync (by configuration, or because a waiting replica lacks `capa eof`)
/// starts at once; a diskless one when `max_replicas` (if set) are waiting or
/// the oldest has waited `delay` seconds.
fn should_start(
    diskless: bool,
    waiting: usize,
    max_replicas: usize,
    oldest_secs: u64,
    delay_secs: u64,
) -> bool {
    waiting > 0
        && (!diskless || (max_replicas > 0 && waiting >= max_replicas) || oldest_secs >= delay_secs)
}

/// Replicas waiting for a job, and whether each takes a diskless payload.
fn waiting(state: &State) -> Vec<(usize, bool)> {
    state
        .replicas
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.sync, Slot::Waiting { .. }) && !r.outbox.is_closed())
        .map(|(i, r)| (i, r.info.capa_eof))
        .collect()
}

/// Redis's CASE 1: a disk save for replication runs; the replica attaches if it
/// has every capability of a member, copying that member's buffered writes.
fn attach(state: &mut State, id: u64, first: bool) -> Poll {
    let Some(job) = &state.job else {
        return Poll::Wait;
    };
    let (job_id, replid, offset) = (job.id, job.replid, job.offset);
    let Some(saved) = job.saved.clone() else {
        return Poll::Wait;
    };
    let member = state.replicas.iter().find(|r| {
        matches!(r.sync, Slot::Joined { job, .. } if job == job_id) && !r.outbox.is_closed()
    });
    let Some(r) = state.replicas.iter().find(|r| r.info.id == id) else {
        return Poll::Wait;
    };
    let fits = member.filter(|m| {
        (r.info.capa_eof || !m.info.capa_eof) && (r.info.capa_psync2 || !m.info.capa_psync2)
    });
    let Some(source): Option<Arc<Outbox>> = fits.map(|m| m.outbox.clone()) else {
        if first {
            tracing::info!(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
            );
        }
        return Poll::Wait;
    };
    let Some(r) = state.replica(id) else {
        return Poll::Wait;
    };
    r.outbox.copy_from(&source);
    r.receiving = true;
    r.sync = Slot::Joined {
        job: job_id,
        ticket: None,
    };
    tracing::info!("Waiting for end of BGSAVE for SYNC");
    Poll::Go(Ticket {
        job: job_id,
        replid,
        offset,
        payload: Payload::Disk(saved),
    })
}

/// Starts a diskless job for every waiting replica (`rdbSaveToSlavesSockets`).
fn start_sockets(
    shared: &Arc<Shared>,
    keyspace: &mut ferrodis_keyspace::Keyspace,
    state: &mut State,
) -> Result<(), String> {
    let (replid, offset, stream_db) = fullresync_point(state);
    let mut aux = AuxFields::redis_7_0(crate::alloc::allocated().unwrap_or(0));
    aux.replication = Some(ReplicationAux {
        stream_db: stream_db as i64,
        id: replid.to_string(),
        offset: offset as i64,
    });
    let mut writer = RdbSink::new(rdb_snapshot::options(&shared.config()), &aux)?;
    writer.note_sizes(keyspace);
    let writer = Arc::new(Mutex::new(writer));
    if !keyspace.begin_snapshot(writer.clone()) {
        return Err("another snapshot is in progress".into());
    }
    shared.stats.forks.inc();
    shared.rdb.set_to_replicas(true);
    // The stream selects its database again after the snapshot
    // (`server.slaveseldb = -1`).
    state.selected_db = None;
    let job = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    let mut random = [0u8; 20];
    random.copy_from_slice(&super::new_replid().as_bytes()[..20]);
    let BulkHeader::Eof(mark) = BulkHeader::eof_from_random(random) else {
        return Err("no EOF mark".into());
    };
    let mut members = Vec::new();
    for (i, _) in waiting(state) {
        let r = &mut state.replicas[i];
        let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
        members.push(Member {
            outbox: r.outbox.clone(),
            tx,
        });
        r.receiving = true;
        r.info.state = LinkState::SendBulk;
        r.sync = Slot::joined(job, replid, offset, Payload::Sockets { mark, chunks: rx });
    }
    state.job = Some(Job {
        id: job,
        target: Target::Sockets,
        replid,
        offset,
        saved: None,
    });
    tracing::info!(
        "Background RDB transfer started by pid {}",
        std::process::id()
    );
    let key_delay_us = shared.config().get_int("rdb-key-save-delay").max(0) as u64;
    tokio::spawn(super::socket_sync::drive(
        shared.clone(),
        job,
        writer,
        members,
        mark,
        key_delay_us,
    ));
    Ok(())
}

/// Starts a BGSAVE for every waiting replica; each gets the file once saved.
fn start_disk(
    shared: &Arc<Shared>,
    keyspace: &mut ferrodis_keyspace::Keyspace,
) -> Result<(), String> {
    let job = NEXT_JOB.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = watch::channel::<Saved>(None);
    let owner = shared.clone();
    let done: save::SaveDone = Box::new(move |outcome: Result<PathBuf, ()>| {
        let saved = outcome
            .map_err(|()| "SYNC failed. BGSAVE child returned an error".to_string())
            .and_then(|path| {
                let file = std::fs::File::open(&path)
                    .map_err(|e| format!("SYNC failed. Can't open/stat DB after BGSAVE: {e}"))?;
                let len = file.metadata().map_err(|e| e.to_string())?.len();
                Ok(Arc::new(SavedFile { file, len }))
            });
        {
            let mut state = owner.replication.state();
            if state.job.as_ref().is_some_and(|j| j.id == job) {
                state.job = None;
            }
        }
        let _ = tx.send(Some(saved));
    });
    if save::start_bgsave_then(shared, keyspace, Some(done)) != BgStart::Started {
        tracing::warn!("BGSAVE for replication failed");
        let mut state = shared.replication.state();
        for (i, _) in waiting(&state) {
            let r = &state.replicas[i];
            r.outbox.close();
            r.client.kill();
        }
        state.no_replicas_since.get_or_insert_with(Instant::now);
        return Err("BGSAVE failed, replication can't continue".into());
    }
    let mut state = shared.replication.state();
    let (replid, offset, _) = fullresync_point(&state);
    state.selected_db = None;
    for (i, _) in waiting(&state) {
        let r = &mut state.replicas[i];
        r.receiving = true;
        r.sync = Slot::joined(job, replid, offset, Payload::Disk(rx.clone()));
    }
    state.job = Some(Job {
        id: job,
        target: Target::Disk,
        replid,
        offset,
        saved: Some(rx),
    });
    Ok(())
}

/// The +FULLRESYNC values and the database a sub-replica starts in: a replica
/// forwards its master's stream as is, so its own replicas start in the database
/// that stream has selected (`rsi->repl_stream_db`); a master's stream selects
/// again after the snapshot.
fn fullresync_point(state: &State) -> (ReplId, u64, usize) {
    let stream_db = if state.master.is_some() {
        state.stream_db
    } else {
        0
    };
    (state.history.replid, state.history.offset(), stream_db)
}

/// Ends job `id` in the state (its last byte went out, or it failed).
pub fn finished(state: &mut State, id: u64) {
    if state.job.as_ref().is_some_and(|j| j.id == id) {
        state.job = None;
    }
}

#[cfg(test)]
mod tests {
    use super::should_start;

    #[test]
    fn a_diskless_job_waits_for_the_delay_or_enough_replicas() {
        // Disk-based: at once.
        assert!(should_start(false, 1, 0, 0, 5));
        // Diskless: the delay from the oldest arrival...
        assert!(!should_start(true, 2, 0, 4, 5));
        assert!(should_start(true, 2, 0, 5, 5));
        assert!(should_start(true, 1, 0, 0, 0));
        // ...or as soon as max-replicas wait (0: no such limit).
        assert!(!should_start(true, 2, 3, 0, 5));
        assert!(should_start(true, 3, 3, 0, 5));
        // Nobody waiting: nothing to start.
        assert!(!should_start(false, 0, 0, 9, 0));
    }
}
