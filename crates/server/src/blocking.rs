//! Connections blocked by BLPOP, BLMOVE, BZPOPMIN and the other blocking commands.
//!
//! The keyspace keeps which client waits for which key and serves them
//! (`Keyspace::serve_blocked`); this module connects that to the connections. A
//! command that blocks registers a one-shot channel here while the keyspace lock is
//! still held; whoever serves or releases the client (a writer's connection after its
//! command, CLIENT UNBLOCK, CLIENT KILL) sends the reply through it, also under the
//! keyspace lock. The blocked connection holds no lock: it waits on its channel, its
//! timeout and its socket (to notice a disconnect, and to keep reading pipelined
//! commands, which run once it is unblocked, as in Redis).
//!
//! Invariant: a client is in [`Waiters`] exactly while the keyspace has it blocked;
//! both change together under the keyspace lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use ferrodis_keyspace::Keyspace;
use ferrodis_resp::Frame;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::clients::Client;
use crate::shared::Shared;

/// The reply CLIENT UNBLOCK ... ERROR gives the released client.
pub const UNBLOCKED_ERROR: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// The blocked connections, by client id.
#[derive(Debug, Default)]
pub struct Waiters {
    map: Mutex<HashMap<u64, Waiter>>,
}

#[derive(Debug)]
struct Waiter {
    reply: oneshot::Sender<Frame>,
    client: Arc<Client>,
    timeout: bool,
}

/// What a connection waits on after its command blocked.
#[derive(Debug)]
pub struct Wait {
    reply: oneshot::Receiver<Frame>,
    timeout_ms: u64,
}

impl Waiters {
    /// Registers `client`, just blocked by the keyspace for `timeout_ms` (0: forever).
    /// Called under the keyspace lock.
    pub fn add(&self, client: &Arc<Client>, timeout_ms: u64) -> Wait {
        let (tx, rx) = oneshot::channel();
        client.set_blocked(true);
        let waiter = Waiter {
            reply: tx,
            client: client.clone(),
            timeout: timeout_ms != 0,
        };
        self.lock().insert(client.id, waiter);
        Wait {
            reply: rx,
            timeout_ms,
        }
    }

    /// Hands `reply` to a client the keyspace no longer has blocked.
    fn deliver(&self, client: u64, reply: Frame) {
        if let Some(waiter) = self.lock().remove(&client) {
            waiter.client.set_blocked(false);
            // The receiver is gone only if the connection is closing: nothing to do.
            let _ = waiter.reply.send(reply);
        }
    }

    /// Number of blocked clients, and of those with a timeout (INFO clients'
    /// `blocked_clients` and `clients_in_timeout_table`).
    pub fn counts(&self) -> (usize, usize) {
        let map = self.lock();
        (map.len(), map.values().filter(|w| w.timeout).count())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Waiter>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// After a command (a whole MULTI/EXEC block counts as one): serve the clients
/// blocked on keys it created, as Redis's `handleClientsBlockedOnKeys()` after
/// `call()`. Free when nobody is blocked.
pub fn serve_ready(shared: &Shared, keyspace: &mut Keyspace) {
    if keyspace.has_ready_keys() {
        for (client, reply) in keyspace.serve_blocked() {
            shared.blocking.deliver(client, reply);
        }
    }
}

/// Releases a blocked client with `reply` (CLIENT UNBLOCK, a timeout) or, with
/// `None`, without one (CLIENT KILL, disconnect). False if it was not blocked.
pub fn release(
    shared: &Shared,
    keyspace: &mut Keyspace,
    client: u64,
    reply: Option<Frame>,
) -> bool {
    if !keyspace.unblock(client) {
        return false;
    }
    match reply {
        Some(reply) => shared.blocking.deliver(client, reply),
        None => {
            if let Some(waiter) = shared.blocking.lock().remove(&client) {
                waiter.client.set_blocked(false);
            }
        }
    }
    true
}

/// How a wait ended.
pub enum Waited {
    /// The command's reply: served, timed out or released.
    Reply(Frame),
    /// The client closed the connection or overran its query buffer: close.
    Gone,
}

/// Waits for a blocked command's reply, reading whatever the client sends meanwhile
/// into `rbuf` (pipelined commands run after the reply, as in Redis). Redis never
/// closes blocked clients for idleness, so `timeout` does not apply here.
pub async fn wait(
    wait: Wait,
    client: &Client,
    shared: &Shared,
    stream: &mut TcpStream,
    rbuf: &mut BytesMut,
    query_buffer_limit: u64,
) -> Waited {
    let Wait {
        reply: mut rx,
        timeout_ms,
    } = wait;
    let sleep = tokio::time::sleep(Duration::from_millis(timeout_ms));
    tokio::pin!(sleep);
    loop {
        if rbuf.capacity() - rbuf.len() < 1024 {
            rbuf.reserve(16 * 1024);
        }
        tokio::select! {
            reply = &mut rx => {
                return Waited::Reply(reply.unwrap_or(Keyspace::TIMED_OUT));
            }
            () = &mut sleep, if timeout_ms > 0 => {
                if time_out(shared, client.id) {
                    return Waited::Reply(Keyspace::TIMED_OUT);
                }
                // Served between the deadline and the lock: the reply is on its way.
                return Waited::Reply(rx.await.unwrap_or(Keyspace::TIMED_OUT));
            }
            read = stream.read_buf(rbuf) => match read {
                Ok(0) | Err(_) => return Waited::Gone,
                Ok(n) => {
                    shared.stats.reads_processed.inc();
                    shared.stats.net_input_bytes.add(n as u64);
                    if rbuf.len() as u64 > query_buffer_limit {
                        return Waited::Gone;
                    }
                }
            },
        }
    }
}

/// The timeout passed: release the client unless it was served first.
fn time_out(shared: &Shared, client: u64) -> bool {
    let mut keyspace = shared.keyspace();
    release(shared, &mut keyspace, client, None)
}

/// A closing connection that is still blocked leaves the keyspace's queues (Redis's
/// `freeClient()` → `unblockClient()`). Never called inside a batch.
pub fn disconnect(shared: &Shared, client: &Client) {
    if client.is_blocked() {
        let mut keyspace = shared.keyspace();
        release(shared, &mut keyspace, client.id, None);
    }
}
