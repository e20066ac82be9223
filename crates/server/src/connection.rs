//! One task per client: read, decode commands, run them, write the replies.
//!
//! The loop is Redis's `readQueryFromClient` → `processInputBuffer` → `call` →
//! `writeToClient`, on a tokio task: every complete command in the read buffer runs
//! before the replies are written with one `write` (which is what makes pipelining
//! fast), then the task reads again.
//!
//! Invariant: the keyspace lock is never held across an `.await`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrodis_keyspace::Session;
use ferrodis_resp::{encode, CommandDecoder, Frame, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::blocking::{self, Waited};
use crate::clients::Client;
use crate::commands;
use crate::pubsub::Inbox;
use crate::shared::{Settings, Shared};

/// Replies are written once this many bytes are pending, even in the middle of a
/// pipeline, so a client that sends many commands but reads slowly holds at most this
/// much reply memory plus one reply: the socket pushes back instead of the heap growing.
const FLUSH_AT: usize = 64 * 1024;
/// Read buffer growth step (Redis's PROTO_IOBUF_LEN).
const READ_CHUNK: usize = 16 * 1024;

/// Per-connection state that commands read and change.
#[derive(Debug)]
pub struct Conn {
    /// The registry entry (CLIENT LIST, KILL).
    pub client: Arc<Client>,
    /// Database and protocol, shared with the keyspace.
    pub session: Session,
    /// AUTH done, or no password configured.
    pub authenticated: bool,
    /// Close the connection once the pending replies are written (QUIT, CLIENT KILL of
    /// oneself, protocol errors).
    pub close_after_reply: bool,
    /// The last command produces no reply at all (SHUTDOWN that succeeds).
    pub no_reply: bool,
    /// Cached configuration values.
    pub settings: Settings,
    settings_gen: u64,
    /// The peer is on a loopback address (protected mode, `enable-debug-command local`).
    pub is_local: bool,
    /// The transaction being queued after MULTI.
    pub multi: Option<commands::Multi>,
    /// Keys WATCHed for the next EXEC.
    pub watches: Vec<ferrodis_keyspace::WatchToken>,
    /// Published messages for this client; `Some` exactly while it has subscriptions.
    pub pubsub: Option<Inbox>,
    /// Frames to write before the reply of the command that just ran: the extra
    /// confirmations of a multi-channel SUBSCRIBE, messages a subscriber published
    /// to itself.
    pub pushes: Vec<Frame>,
    /// Blocking commands may not block (set while EXEC runs its queue).
    pub deny_blocking: bool,
    /// The command that just ran blocked: what to wait on instead of replying.
    pub blocked: Option<blocking::Wait>,
    /// This is the link to our master: its commands bypass READONLY and the like.
    pub master_link: bool,
    /// What PSYNC or WAIT asked the connection to do after the batch.
    pub repl: Option<crate::replication::ConnAction>,
}

impl Conn {
    /// The state of a new connection of `client`.
    pub fn new(client: Arc<Client>, shared: &Shared) -> Conn {
        let (settings, gen) = shared.settings();
        let is_local = client.addr.ip().is_loopback();
        Conn {
            client,
            session: Session::default(),
            authenticated: settings.requirepass.is_none(),
            close_after_reply: false,
            no_reply: false,
            settings_gen: gen,
            settings,
            is_local,
            multi: None,
            watches: Vec::new(),
            pubsub: None,
            pushes: Vec::new(),
            deny_blocking: false,
            blocked: None,
            master_link: false,
            repl: None,
        }
    }

    /// A RESP2 client with subscriptions may only run the pub/sub commands, PING,
    /// QUIT and RESET (Redis's `processCommand`); RESP3 ones may run anything.
    pub fn in_pubsub_context(&self) -> bool {
        self.pubsub.is_some() && self.session.protocol == Protocol::Resp2
    }

    fn refresh_settings(&mut self, shared: &Shared, decoder: &mut CommandDecoder) {
        if shared.settings_gen() != self.settings_gen {
            let (settings, gen) = shared.settings();
            decoder.set_limits(settings.limits);
            if settings.requirepass.is_none() {
                // Removing the password authenticates everyone, as in Redis where the
                // default user becomes `nopass`.
                self.authenticated = true;
            }
            decoder.set_auth_required(!self.authenticated);
            self.settings = settings;
            self.settings_gen = gen;
        }
    }
}

/// Serve one accepted connection until it closes, is killed, or breaks the protocol.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>, client: Arc<Client>) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(client, &shared);
    let mut decoder = CommandDecoder::new(conn.settings.limits);
    decoder.set_auth_required(!conn.authenticated);
    // Unregisters the client however the task ends, including when it is aborted.
    let _registration = Registration(&shared, conn.client.clone());
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);

    loop {
        conn.refresh_settings(&shared, &mut decoder);
        // Run every complete command in the buffer, writing whenever 64 KB of
        // replies are pending.
        loop {
            let step = {
                let _batch = crate::aof::ConnectionBatch::enter();
                run_batch(&mut conn, &shared, &mut decoder, &mut rbuf, &mut wbuf)
            };
            // Read on the thread that ran the batch, before any await.
            if let Some(end) = crate::aof::take_batch_end() {
                // No reply before its writes are in the AOF (fsynced with always).
                shared.aof.wait_synced(end).await;
            }
            if !wbuf.is_empty() && !flush(&mut stream, &mut wbuf, &shared, &conn).await {
                return;
            }
            match step {
                Step::Read => break,
                Step::Flushed => continue,
                Step::Close => return,
                Step::Repl => match conn.repl.take() {
                    Some(crate::replication::ConnAction::Feed(request)) => {
                        // The connection is a replica from now on.
                        crate::replication::master::serve(
                            stream,
                            shared.clone(),
                            conn,
                            rbuf,
                            request,
                        )
                        .await;
                        return;
                    }
                    Some(crate::replication::ConnAction::Wait {
                        offset,
                        replicas,
                        timeout_ms,
                    }) => {
                        let reply =
                            crate::replication::master::wait(&shared, offset, replicas, timeout_ms)
                                .await;
                        write_reply(&shared, &reply, conn.session.protocol, &mut wbuf);
                    }
                    None => {}
                },
                Step::Block(wait) => {
                    let limit = conn.settings.query_buffer_limit;
                    let waited =
                        blocking::wait(wait, &conn.client, &shared, &mut stream, &mut rbuf, limit)
                            .await;
                    match waited {
                        Waited::Reply(reply) => {
                            if shared.aof.enabled() {
                                // Served by another client's batch: its pop is
                                // in the AOF before this reply goes out.
                                shared.aof.wait_all_synced().await;
                            }
                            write_reply(&shared, &reply, conn.session.protocol, &mut wbuf);
                        }
                        Waited::Gone => return,
                    }
                }
            }
        }
        if rbuf.len() as u64 > conn.settings.query_buffer_limit {
            // `client-query-buffer-limit`, as in `readQueryFromClient`.
            tracing::warn!(
                "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
                conn.client.id,
                conn.client.addr,
                String::from_utf8_lossy(&rbuf[..rbuf.len().min(64)])
            );
            return;
        }

        // Grow the buffer towards what the argument in progress still needs, at most
        // doubling per read, so a claimed 512 MB bulk costs memory only as it arrives.
        let want = decoder.pending_bulk().map_or(READ_CHUNK, |n| {
            n.clamp(READ_CHUNK, rbuf.capacity().max(READ_CHUNK))
        });
        if rbuf.capacity() - rbuf.len() < want / 2 {
            rbuf.reserve(want);
        }
        let read = if let Some(inbox) = conn.pubsub.as_mut() {
            // Subscribed: a published message wakes the task as well as input does.
            // No idle timeout, as Redis never times out pub/sub clients.
            let proto = conn.session.protocol;
            tokio::select! {
                r = stream.read_buf(&mut rbuf) => r,
                msg = inbox.recv() => {
                    if let Some(msg) = msg {
                        inbox.write(&msg, proto, &mut wbuf);
                    }
                    // Let the other ready tasks (publishers) run first, so that
                    // one write carries all they publish in this round, as Redis
                    // writes a subscriber's buffer once per event loop iteration.
                    tokio::task::yield_now().await;
                    // run_batch drains the rest of the queue and writes it.
                    continue;
                }
            }
        } else if conn.settings.timeout_secs > 0 {
            let limit = Duration::from_secs(conn.settings.timeout_secs);
            match tokio::time::timeout(limit, stream.read_buf(&mut rbuf)).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::debug!("Closing idle client");
                    return;
                }
            }
        } else {
            stream.read_buf(&mut rbuf).await
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                shared.stats.max_input_buffer.fetch_max(rbuf.len() as u64);
                shared.stats.reads_processed.inc();
                shared.stats.net_input_bytes.add(n as u64);
            }
        }
    }
}

/// Where [`run_batch`] stopped.
enum Step {
    /// The buffer holds no complete command: read more.
    Read,
    /// Replies passed [`FLUSH_AT`]: write them, then continue with the buffer.
    Flushed,
    /// Write the pending replies, then close (QUIT, kill, protocol error).
    Close,
    /// The last command blocked: write the pending replies, wait for its reply,
    /// then continue with the buffer.
    Block(blocking::Wait),
    /// PSYNC or WAIT: write the pending replies, then do what `Conn::repl` says.
    Repl,
}

/// Run the complete commands in `rbuf`, encoding replies into `wbuf`, until the
/// buffer is drained, the replies reach [`FLUSH_AT`], or the connection must close.
///
/// Synchronous on purpose: the keyspace lock taken for the batch (one acquisition
/// for a whole pipeline, see [`commands::Batch`]) cannot be held across an `.await`.
fn run_batch(
    conn: &mut Conn,
    shared: &Shared,
    decoder: &mut CommandDecoder,
    rbuf: &mut BytesMut,
    wbuf: &mut BytesMut,
) -> Step {
    let mut batch = commands::Batch::new(shared);
    let mut last_argv: Option<Vec<Bytes>> = None;
    let step = loop {
        if let Some(inbox) = conn.pubsub.as_mut() {
            // Messages published before the next command go out before its reply,
            // in bounded steps.
            inbox.drain_into(conn.session.protocol, wbuf, FLUSH_AT);
            if wbuf.len() >= FLUSH_AT {
                break Step::Flushed;
            }
        }
        match decoder.decode(rbuf) {
            Ok(Some(argv)) => {
                let reply = commands::dispatch(conn, &mut batch, &argv);
                if let Some(keyspace) = batch.locked_keyspace() {
                    blocking::serve_ready(shared, keyspace);
                }
                if let Some(wait) = conn.blocked.take() {
                    last_argv = Some(argv);
                    break Step::Block(wait);
                }
                if conn.repl.is_some() {
                    last_argv = Some(argv);
                    break Step::Repl;
                }
                if !conn.pushes.is_empty() {
                    for push in conn.pushes.drain(..) {
                        encode(&push, conn.session.protocol, wbuf);
                    }
                }
                // Reset per command: REPLCONF ACK from a non-replica gets no reply either.
                if !std::mem::take(&mut conn.no_reply) {
                    write_reply(shared, &reply, conn.session.protocol, wbuf);
                }
                last_argv = Some(argv);
                decoder.set_auth_required(!conn.authenticated);
                if conn.close_after_reply || conn.client.is_killed() {
                    break Step::Close;
                }
                if wbuf.len() >= FLUSH_AT {
                    break Step::Flushed;
                }
            }
            Ok(None) => break Step::Read,
            Err(e) => {
                // Redis replies `-ERR Protocol error: ...` and closes the connection
                // after the reply (`setProtocolError` in networking.c).
                tracing::debug!(
                    "Protocol error ({}) from client: id={} addr={}",
                    e,
                    conn.client.id,
                    conn.client.addr
                );
                write_reply(
                    shared,
                    &Frame::error(format!("ERR {e}")),
                    conn.session.protocol,
                    wbuf,
                );
                break Step::Close;
            }
        }
    };
    drop(batch);
    if last_argv.is_some() {
        update_meta(conn, rbuf, wbuf, last_argv.as_deref());
    }
    step
}

/// Encode a reply, counting error replies for INFO errorstats.
fn write_reply(shared: &Shared, reply: &Frame, proto: Protocol, wbuf: &mut BytesMut) {
    if let Frame::Error(msg) = reply {
        shared.stats.count_error(msg);
    }
    encode(reply, proto, wbuf);
}

/// Write the pending replies; false when the connection is gone or broke its
/// output buffer limits.
async fn flush(stream: &mut TcpStream, wbuf: &mut BytesMut, shared: &Shared, conn: &Conn) -> bool {
    // A client with subscriptions is of class pubsub for all its output.
    let (hard, soft, soft_secs) = if conn.pubsub.is_some() {
        conn.settings.obuf_pubsub
    } else {
        conn.settings.obuf_normal
    };
    let pending = wbuf.len() as u64;
    shared.stats.max_output_buffer.fetch_max(pending);
    if hard > 0 && pending > hard {
        log_obuf_close(conn);
        return false;
    }
    let result = if soft > 0 && pending > soft {
        // Over the soft limit: the client has `soft_secs` to take the replies.
        let limit = Duration::from_secs(soft_secs.max(1));
        match tokio::time::timeout(limit, stream.write_all(wbuf)).await {
            Ok(r) => r,
            Err(_) => {
                log_obuf_close(conn);
                return false;
            }
        }
    } else {
        stream.write_all(wbuf).await
    };
    shared.stats.writes_processed.inc();
    shared.stats.net_output_bytes.add(pending);
    wbuf.clear();
    result.is_ok()
}

fn log_obuf_close(conn: &Conn) {
    tracing::warn!(
        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
        conn.client.id,
        conn.client.addr
    );
}

/// Refresh what CLIENT LIST shows, once per batch.
fn update_meta(conn: &Conn, rbuf: &BytesMut, wbuf: &BytesMut, last_argv: Option<&[Bytes]>) {
    let mut meta = conn.client.meta();
    meta.db = conn.session.db;
    meta.protocol = conn.session.protocol;
    meta.last_interaction = Instant::now();
    meta.qbuf = rbuf.len();
    meta.qbuf_free = rbuf.capacity() - rbuf.len();
    meta.omem = wbuf.len();
    meta.multi = conn.multi.as_ref().map_or(-1, |m| m.queued.len() as i64);
    if let Some(argv) = last_argv {
        commands::set_display_name(&mut meta.last_cmd, argv);
    }
}

struct Registration<'a>(&'a Shared, Arc<Client>);

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        // Never inside a batch, as below.
        blocking::disconnect(self.0, &self.1);
        if self.1.is_watching() {
            // Never inside a batch: the task is between awaits when it ends.
            self.0.keyspace().unwatch_all(self.1.id);
        }
        self.0.clients.unregister(self.1.id);
        self.0.pubsub.lock().remove_client(self.1.id);
    }
}
