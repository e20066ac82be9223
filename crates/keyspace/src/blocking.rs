//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...) and serving them when a key
//! becomes ready: Redis 7.0's blocked.c, without the network.
//!
//! The keyspace keeps the registry because serving a client is a keyspace operation
//! that must run under the same hold of the data as the write that made the key ready.
//! The owner (a server) asks [`Keyspace::execute_blocking`] to run a command that may
//! block, calls [`Keyspace::serve_blocked`] after every command (or MULTI/EXEC block)
//! when [`Keyspace::has_ready_keys`], and hands the replies it returns to the waiting
//! connections; it calls [`Keyspace::unblock`] on timeouts, CLIENT UNBLOCK and
//! disconnects.
//!
//! As in Redis, a key is signalled ready only when it is *created* holding a list or a
//! sorted set (`dbAdd()` calls `signalKeyAsReady()`), and by SWAPDB for the keys that
//! exist after the swap: a blocked key is missing, so the write that can serve it is
//! the one that creates it. Overwriting an existing key (a string turned into a sorted
//! set by ZUNIONSTORE) does not signal, and a key that is no longer a list or set
//! when the ready keys are handled (MULTI; RPUSH k; SET k; EXEC) serves nobody.

use std::collections::{HashMap, HashSet, VecDeque};

use bytes::Bytes;
use ferrodis_resp::Frame;

use crate::commands;
use crate::error::{Error, Result};
use crate::keyspace::{Keyspace, Session};
use crate::ldouble::LongDouble;
use crate::types::quicklist::End;
use crate::value::Value;

/// What [`Keyspace::execute_blocking`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The command ran; this is its reply.
    Reply(Frame),
    /// The client is now blocked. Its reply comes from [`Keyspace::serve_blocked`], or
    /// is the timeout reply ([`Keyspace::TIMED_OUT`]) once the owner gives up after
    /// `timeout_ms` milliseconds (0: never) and [`Keyspace::unblock`] confirms it was
    /// still blocked.
    Blocked {
        /// Milliseconds to wait; 0 waits forever.
        timeout_ms: u64,
    },
}

/// What a blocked command does once one of its keys is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// BLPOP/BRPOP (`count` None) and BLMPOP.
    ListPop { end: End, count: Option<usize> },
    /// BLMOVE and BRPOPLPUSH (`rpoplpush`): one source key, pushed to `dst`.
    ListMove {
        dst: Bytes,
        from: End,
        to: End,
        rpoplpush: bool,
    },
    /// BZPOPMIN/BZPOPMAX (`count` None) and BZMPOP.
    ZPop { max: bool, count: Option<usize> },
}

impl Op {
    /// Whether a key holding `value` can serve this command (Redis serves list
    /// clients from lists and sorted-set clients from sorted sets only).
    fn served_by(&self, value: &Value) -> bool {
        match self {
            Op::ListPop { .. } | Op::ListMove { .. } => matches!(value, Value::List(_)),
            Op::ZPop { .. } => matches!(value, Value::ZSet(_)),
        }
    }
}

/// A blocking command that found nothing to pop, as its handler describes it.
#[derive(Debug)]
pub(crate) struct BlockRequest {
    /// The keys in argument order (repeats allowed; they are removed when blocking).
    pub(crate) keys: Vec<Bytes>,
    pub(crate) op: Op,
    /// Milliseconds, 0 = forever.
    pub(crate) timeout_ms: u64,
}

/// Whether the running command may block, and its request if it wants to.
#[derive(Debug, Default)]
enum Slot {
    /// Plain [`Keyspace::execute`], or inside MULTI/EXEC (Redis's
    /// `CLIENT_DENY_BLOCKING`): the handler's null reply stands.
    #[default]
    Denied,
    Allowed,
    Requested(Box<BlockRequest>),
}

/// One blocked client.
#[derive(Debug)]
struct Waiter {
    /// Its database and protocol when it blocked (the reply's shape depends on it).
    session: Session,
    /// Distinct keys, in argument order.
    keys: Vec<Bytes>,
    op: Op,
    timeout: bool,
}

/// The blocked clients of a keyspace (Redis's `c->bpop` of every client), kept in
/// [`crate::effects::Fx`] next to the WATCHed keys.
#[derive(Debug, Default)]
pub(crate) struct Blocked {
    clients: HashMap<u64, Waiter>,
    slot: Slot,
}

impl Blocked {
    /// Called by a blocking command that has nothing to pop: the client blocks if the
    /// caller allows it; otherwise the handler's null reply is the answer, as in
    /// Redis inside MULTI. `request` runs only when blocking is allowed.
    pub(crate) fn request(&mut self, request: impl FnOnce() -> BlockRequest) {
        if matches!(self.slot, Slot::Allowed) {
            self.slot = Slot::Requested(Box::new(request()));
        }
    }
}

/// One database's side (Redis's `db->blocking_keys` and `db->ready_keys`): which keys
/// clients wait for, in arrival order, and which of them were created since the last
/// round of serving. Kept by [`crate::db::Db`] so that creating a key can signal it
/// without a second lookup elsewhere; SWAPDB leaves it with its database index.
#[derive(Debug, Default)]
pub(crate) struct Waits {
    keys: HashMap<Bytes, VecDeque<u64>>,
    ready: Vec<Bytes>,
    signaled: HashSet<Bytes>,
}

impl Waits {
    /// `key` was just created holding `value` (Redis's `dbAdd()`): free when nobody
    /// is blocked in this database.
    #[inline]
    pub(crate) fn created(&mut self, key: &[u8], value: &Value) {
        if !self.keys.is_empty() && matches!(value, Value::List(_) | Value::ZSet(_)) {
            self.signal(key);
        }
    }

    /// `signalKeyAsReady()`: queue `key` once until it is served.
    fn signal(&mut self, key: &[u8]) {
        if self.keys.contains_key(key) && !self.signaled.contains(key) {
            let key = Bytes::copy_from_slice(key);
            self.signaled.insert(key.clone());
            self.ready.push(key);
        }
    }
}

/// SWAPDB's part (`dbSwapDatabases()`): the data of `a` and `b` trade places but the
/// blocked clients stay with their database index, and every key they wait for that
/// now exists holding a list or sorted set is ready (`scanDatabaseForReadyKeys()`).
pub(crate) fn swap_databases(dbs: &mut [crate::db::Db], a: usize, b: usize) {
    if a == b {
        return;
    }
    dbs.swap(a, b);
    let (low, high) = (a.min(b), a.max(b));
    let (left, right) = dbs.split_at_mut(high);
    std::mem::swap(&mut left[low].waits, &mut right[0].waits);
    for i in [a, b] {
        let db = &mut dbs[i];
        let keys: Vec<Bytes> = db.waits.keys.keys().cloned().collect();
        for key in keys {
            if matches!(db.peek(&key), Some(Value::List(_) | Value::ZSet(_))) {
                db.waits.signal(&key);
            }
        }
    }
}

/// `getTimeoutFromObjectOrReply(..., UNIT_SECONDS)`: seconds as a `long double`,
/// times 1000 rounded up to whole milliseconds, then converted to `long long` the
/// way x86-64 does it (anything out of range, infinities included, becomes
/// `LLONG_MIN`, hence "timeout is negative" for `inf` or `1e16`).
pub(crate) fn parse_timeout(arg: &[u8]) -> Result<u64> {
    let ms = LongDouble::parse(arg)
        .and_then(ceil_millis)
        .ok_or(Error::TimeoutNotFloat)?;
    u64::try_from(ms).map_err(|_| Error::TimeoutNegative)
}

/// `(long long) ceill(v * 1000.0)` in x87 arithmetic; `None` for NaN.
fn ceil_millis(v: LongDouble) -> Option<i64> {
    let (neg, mant, exp) = match v {
        LongDouble::Nan => return None,
        LongDouble::Inf { .. } => return Some(i64::MIN),
        LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
    };
    if mant == 0 {
        return Some(0);
    }
    // The product has at most 74 bits: round it to a 64-bit significand, nearest-even,
    // as the FPU does before ceill() sees it.
    let product = u128::from(mant) * 1000;
    let bits = 128 - product.leading_zeros();
    let (m, e) = if bits > 64 {
        let shift = bits - 64;
        let kept = product >> shift;
        let rest = product & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rest > half || (rest == half && kept & 1 == 1);
        (kept + u128::from(up), exp + i64::from(shift))
    } else {
        (product, exp)
    };
    // ceill(), then the conversion: |value| = m * 2^e.
    let magnitude = if e >= 0 {
        u32::try_from(e)
            .ok()
            .filter(|&e| e < 64)
            .and_then(|e| m.checked_shl(e))
            .filter(|v| v >> 64 == 0)
    } else if e <= -128 {
        Some(u128::from(!neg))
    } else {
        let shift = (-e) as u32;
        let whole = m >> shift;
        let fraction = m & ((1u128 << shift) - 1) != 0;
        // Rounding up: away from zero for positives, towards it for negatives.
        Some(whole + u128::from(fraction && !neg))
    };
    Some(match magnitude {
        Some(v) if neg && v <= 1u128 << 63 => (v as i128).wrapping_neg() as i64,
        Some(v) if !neg && v < 1u128 << 63 => v as i64,
        _ => i64::MIN,
    })
}

impl Keyspace {
    /// The reply of a blocked command whose timeout passed or that CLIENT UNBLOCK
    /// released (`replyToBlockedClientTimedOut()`): a null array for every list and
    /// sorted-set command, BLMOVE included.
    pub const TIMED_OUT: Frame = Frame::NullArray;

    /// [`Keyspace::execute`] for a client that may block: a blocking command (BLPOP,
    /// BLMOVE, BZPOPMIN, ...) that finds all its keys empty registers `client` as
    /// blocked on them instead of replying. Every other command runs as usual.
    /// Inside MULTI/EXEC use [`Keyspace::execute`], where they reply null at once.
    pub fn execute_blocking(
        &mut self,
        session: &mut Session,
        argv: &[Bytes],
        client: u64,
    ) -> Option<Outcome> {
        self.fx.blocked.slot = Slot::Allowed;
        let reply = self.execute(session, argv);
        let slot = std::mem::take(&mut self.fx.blocked.slot);
        let reply = reply?;
        Some(match slot {
            Slot::Requested(request) => {
                let timeout_ms = request.timeout_ms;
                self.block(client, session, *request);
                Outcome::Blocked { timeout_ms }
            }
            _ => Outcome::Reply(reply),
        })
    }

    /// Registers `client` on its keys, last in each key's queue (`blockForKeys()`).
    fn block(&mut self, client: u64, session: &Session, request: BlockRequest) {
        self.unblock(client);
        let mut keys: Vec<Bytes> = Vec::with_capacity(request.keys.len());
        let waits = &mut self.dbs[session.db].waits;
        for key in request.keys {
            if keys.contains(&key) {
                continue;
            }
            // Copied: the argument is a slice of the client's read buffer.
            let key = Bytes::copy_from_slice(&key);
            waits.keys.entry(key.clone()).or_default().push_back(client);
            keys.push(key);
        }
        let waiter = Waiter {
            session: session.clone(),
            keys,
            op: request.op,
            timeout: request.timeout_ms != 0,
        };
        self.fx.blocked.clients.insert(client, waiter);
    }

    /// Releases a blocked client (timeout, CLIENT UNBLOCK, disconnect, kill); false if
    /// it was not blocked (it may have just been served).
    pub fn unblock(&mut self, client: u64) -> bool {
        let Some(waiter) = self.fx.blocked.clients.remove(&client) else {
            return false;
        };
        let waits = &mut self.dbs[waiter.session.db].waits;
        for key in &waiter.keys {
            if let Some(queue) = waits.keys.get_mut(key) {
                queue.retain(|&c| c != client);
                if queue.is_empty() {
                    waits.keys.remove(key);
                }
            }
        }
        if self.fx.blocked.clients.is_empty() {
            // Nobody left to serve: forget pending signals, so that has_ready_keys()
            // can stay a check of one map.
            for db in &mut self.dbs {
                db.waits.ready.clear();
                db.waits.signaled.clear();
            }
        }
        true
    }

    /// Whether `client` is blocked.
    pub fn is_blocked(&self, client: u64) -> bool {
        self.fx.blocked.clients.contains_key(&client)
    }

    /// Number of blocked clients, and how many of them have a timeout (INFO's
    /// `blocked_clients` and `clients_in_timeout_table`).
    pub fn blocked_clients(&self) -> (usize, usize) {
        let clients = &self.fx.blocked.clients;
        (
            clients.len(),
            clients.values().filter(|w| w.timeout).count(),
        )
    }

    /// Whether a key some client waits for was created since the last
    /// [`Keyspace::serve_blocked`]. Free when nobody is blocked.
    pub fn has_ready_keys(&self) -> bool {
        !self.fx.blocked.clients.is_empty() && self.dbs.iter().any(|db| !db.waits.ready.is_empty())
    }

    /// `handleClientsBlockedOnKeys()`: for each ready key, in the order the keys became
    /// ready, serve the clients blocked on it in the order they blocked, while it
    /// holds elements; repeat while serving made more keys ready (BLMOVE pushing to a
    /// key another client waits for). Returns each served client with its reply.
    ///
    /// Each service is propagated as Redis propagates it: `LPOP key`, `LPOP key n`
    /// (BLMPOP), `LMOVE src dst left right`, `RPOPLPUSH src dst`, `ZPOPMIN key`,
    /// `ZPOPMAX key n` (BZMPOP).
    pub fn serve_blocked(&mut self) -> Vec<(u64, Frame)> {
        let mut served = Vec::new();
        loop {
            let mut ready = Vec::new();
            for (index, db) in self.dbs.iter_mut().enumerate() {
                ready.extend(db.waits.ready.drain(..).map(|key| (index, key)));
            }
            if ready.is_empty() {
                return served;
            }
            for (db, key) in ready {
                self.serve_key(db, &key, &mut served);
            }
        }
    }

    /// Serves the clients blocked on one ready key.
    fn serve_key(&mut self, db: usize, key: &Bytes, served: &mut Vec<(u64, Frame)>) {
        self.dbs[db].waits.signaled.remove(key);
        let Some(queue) = self.dbs[db].waits.keys.get(key) else {
            return;
        };
        let queue: Vec<u64> = queue.iter().copied().collect();
        // Looked up once, as lookupKeyReadWithFlags(): an expired key is deleted
        // (and its DEL propagated) and serves nobody.
        let mut session = Session {
            db,
            ..Session::default()
        };
        if self.ctx(&mut session).write(key).is_none() {
            return;
        }
        for client in queue {
            let Some(waiter) = self.fx.blocked.clients.get(&client) else {
                continue;
            };
            match self.dbs[db].peek(key) {
                Some(value) if waiter.op.served_by(value) => {}
                Some(_) => continue,
                None => return,
            }
            let mut session = waiter.session.clone();
            let op = waiter.op.clone();
            let reply = self.serve_one(&mut session, key, &op);
            self.unblock(client);
            served.push((client, reply));
        }
    }

    /// Runs `op` against `key` for a blocked client and records its effects.
    fn serve_one(&mut self, session: &mut Session, key: &Bytes, op: &Op) -> Frame {
        let db = session.db;
        let dirty = self.dirty;
        let reply = {
            let mut ctx = self.ctx(session);
            let result = match op {
                Op::ListPop { .. } | Op::ListMove { .. } => commands::serve_list(&mut ctx, key, op),
                Op::ZPop { .. } => commands::serve_zset(&mut ctx, key, op),
            };
            result.unwrap_or_else(|e| e.to_frame())
        };
        // Redis serves BLPOP, BRPOP, BLMOVE and BRPOPLPUSH without `server.dirty++`
        // (serveClientBlockedOnList() only propagates); BLMPOP and the sorted-set
        // commands go through code that counts.
        if matches!(op, Op::ListPop { count: None, .. } | Op::ListMove { .. }) {
            self.dirty = dirty;
        }
        if let Some(effects) = self.fx.replaced.take() {
            self.record_write(db, &[], Some(effects), &[]);
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Result<u64> {
        parse_timeout(s.as_bytes())
    }

    #[test]
    fn timeouts_round_up_to_milliseconds() {
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("1"), Ok(1000));
        assert_eq!(ms("0.1"), Ok(100));
        assert_eq!(ms("0.0001"), Ok(1));
        assert_eq!(ms("0.5e-3"), Ok(1));
        assert_eq!(ms("1.5"), Ok(1500));
        assert_eq!(ms("0x10"), Ok(16000));
        assert_eq!(ms("1e15"), Ok(1_000_000_000_000_000_000));
        assert_eq!(ms("9223372036854775.807"), Ok(i64::MAX as u64));
        // ceill() of a small negative is -0: block forever, as Redis does.
        assert_eq!(ms("-0"), Ok(0));
        assert_eq!(ms("-0.0001"), Ok(0));
        assert_eq!(ms("-0.001"), Ok(0));
    }

    #[test]
    fn timeout_errors_match_redis() {
        for bad in ["abc", "", " 1", "nan", "1x"] {
            assert_eq!(ms(bad), Err(Error::TimeoutNotFloat), "{bad:?}");
        }
        for negative in [
            "-1",
            "-0.002",
            "inf",
            "-inf",
            "1e300",
            "1e16",
            "9223372036854776",
        ] {
            assert_eq!(ms(negative), Err(Error::TimeoutNegative), "{negative:?}");
        }
    }
}
