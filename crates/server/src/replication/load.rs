//! Loading a master's RDB payload on a replica, off to the side: one thread
//! decodes the bytes as they arrive, another applies the keys to a fresh keyspace
//! (as `load.rs` does at start-up, but keeping keys already expired: a replica
//! keeps them for its master's DEL).

use std::io::Read;
use std::sync::mpsc::sync_channel;

use bytes::Bytes;
use ferrodis_keyspace::Session;
use ferrodis_keyspace::{Expiry, Keyspace};
use ferrodis_rdb::{Item, Key, Value};
use tokio::sync::mpsc::Receiver;

use crate::shared::Shared;

/// Keys per hand-over from the decoder to the applier.
const BATCH: usize = 512;

/// Bytes arriving on a channel, as a `Read` (end of input when the sender is gone).
struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(chunk) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decodes the payload from `rx` and returns it loaded into a new keyspace, or the
/// error (decoding, checksum, a truncated transfer, an unsupported type).
/// What a payload loaded: the data and the `repl-stream-db` aux field.
#[derive(Debug)]
pub struct Loaded {
    /// The dataset.
    pub keyspace: Keyspace,
    /// The database the master's stream continues in.
    pub stream_db: usize,
}

pub fn load(shared: &Shared, rx: Receiver<Vec<u8>>) -> Result<Loaded, String> {
    let (mut keyspace, databases) = {
        let config = shared.config();
        let databases = config.get_int("databases").max(1) as usize;
        let mut ks = Keyspace::new(databases);
        ks.set_tunables(crate::shared::tunables(&config));
        (ks, databases)
    };
    keyspace.set_expiry(Expiry::MasterLink);
    let (keys_tx, keys_rx) = sync_channel::<Vec<Key>>(16);
    let applier = std::thread::spawn(move || -> Result<Keyspace, String> {
        for batch in keys_rx {
            for key in &batch {
                apply_key(&mut keyspace, key)?;
            }
        }
        keyspace.set_expiry(Expiry::Replica);
        Ok(keyspace)
    });
    let stream_db = decode(
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        },
        databases,
        &keys_tx,
    );
    drop(keys_tx);
    let applied = applier
        .join()
        .map_err(|_| "the loading thread panicked".to_string())?;
    let stream_db = stream_db?;
    Ok(Loaded {
        keyspace: applied?,
        stream_db,
    })
}

fn decode(
    input: ChannelReader,
    databases: usize,
    out: &std::sync::mpsc::SyncSender<Vec<Key>>,
) -> Result<usize, String> {
    let fail =
        |e: String| format!("Failed trying to load the MASTER synchronization DB from socket: {e}");
    let mut decoder = ferrodis_rdb::Decoder::new(input);
    let mut batch = Vec::with_capacity(BATCH);
    let mut stream_db = 0;
    loop {
        match decoder.next_item().map_err(|e| fail(e.to_string()))? {
            Some(Item::Key(key)) => {
                if usize::try_from(key.db).map_or(true, |db| db >= databases) {
                    return Err(fail(format!("database {} out of range", key.db)));
                }
                batch.push(key);
                if batch.len() == BATCH {
                    // The applier is gone only after an error, which it returns.
                    if out.send(std::mem::take(&mut batch)).is_err() {
                        return Ok(stream_db);
                    }
                }
            }
            Some(Item::Aux { key, value }) if &key[..] == b"repl-stream-db" => {
                stream_db = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|&db| db < databases)
                    .unwrap_or(0);
            }
            Some(Item::Eof { .. }) => break,
            Some(_) => {}
            None => return Err(fail("the transfer ended before the RDB did".into())),
        }
    }
    if !batch.is_empty() {
        let _ = out.send(batch);
    }
    Ok(stream_db)
}

/// Elements per generated command: large, since the load is one of the costs of a
/// full sync (start-up loading uses AOF-rewrite-sized batches instead).
const ITEMS_PER_COMMAND: usize = 1024;

/// One RDB key into the keyspace with as few commands as possible: strings with
/// their expiry in one SET, scores in their shortest exact form. Expired keys load
/// too (a replica keeps them until its master's DEL).
fn apply_key(ks: &mut Keyspace, key: &Key) -> Result<(), String> {
    let mut session = Session {
        db: usize::try_from(key.db).unwrap_or(usize::MAX),
        ..Session::default()
    };
    let mut run = |argv: Vec<Bytes>| match ks.execute(&mut session, &argv) {
        Some(ferrodis_resp::Frame::Error(e)) => Err(String::from_utf8_lossy(&e).into_owned()),
        _ => Ok(()),
    };
    let k = &key.key;
    let word = Bytes::from_static;
    let mut expire_after = key.expire_ms;
    match &key.value {
        Value::String(v) => {
            let mut argv = vec![word(b"SET"), k.clone(), v.clone()];
            if let Some(at) = expire_after.take() {
                argv.extend([word(b"PXAT"), Bytes::from(at.to_string())]);
            }
            run(argv)?;
        }
        Value::List(items) => each(b"RPUSH", k, items.iter().cloned(), 1, &mut run)?,
        Value::Set(items) => each(b"SADD", k, items.iter().cloned(), 1, &mut run)?,
        Value::SortedSet(pairs) => each(
            b"ZADD",
            k,
            pairs
                .iter()
                .flat_map(|(m, s)| [Bytes::from(score(*s)), m.clone()]),
            2,
            &mut run,
        )?,
        Value::Hash(pairs) => each(
            b"HSET",
            k,
            pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]),
            2,
            &mut run,
        )?,
        Value::HashWithTtl(fields) => each(
            b"HSET",
            k,
            fields
                .iter()
                .flat_map(|f| [f.field.clone(), f.value.clone()]),
            2,
            &mut run,
        )?,
        other => {
            return Err(format!(
                "key {:?} holds a {}, which ferrodis does not support",
                String::from_utf8_lossy(k),
                other.type_name()
            ))
        }
    }
    if let Some(at) = expire_after {
        run(vec![
            word(b"PEXPIREAT"),
            k.clone(),
            Bytes::from(at.to_string()),
        ])?;
    }
    Ok(())
}

/// Runs `name key args...` with at most [`ITEMS_PER_COMMAND`] elements of `per`
/// arguments each per command.
fn each(
    name: &'static [u8],
    key: &Bytes,
    args: impl Iterator<Item = Bytes>,
    per: usize,
    run: &mut impl FnMut(Vec<Bytes>) -> Result<(), String>,
) -> Result<(), String> {
    let mut argv = vec![Bytes::from_static(name), key.clone()];
    for arg in args {
        argv.push(arg);
        if argv.len() - 2 == ITEMS_PER_COMMAND * per {
            run(std::mem::replace(
                &mut argv,
                vec![Bytes::from_static(name), key.clone()],
            ))?;
        }
    }
    if argv.len() > 2 {
        run(argv)?;
    }
    Ok(())
}

/// The shortest text that parses back to exactly `s` (Rust's `Display` for `f64`
/// round-trips; infinities print as ZADD reads them).
fn score(s: f64) -> String {
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip() {
        for s in [
            0.1,
            -2.25,
            1e300,
            5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
            3.0,
        ] {
            let text = score(s);
            let back: f64 = match text.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                t => t.parse().unwrap_or(f64::NAN),
            };
            assert_eq!(back.to_bits(), s.to_bits(), "{text}");
        }
    }

    #[test]
    fn every_type_loads() {
        let mut ks = Keyspace::new(2);
        ks.set_expiry(Expiry::MasterLink);
        let key = |k: &str, value: Value, expire_ms: Option<i64>| Key {
            db: 1,
            key: Bytes::copy_from_slice(k.as_bytes()),
            value,
            expire_ms,
            lru_idle: None,
            lfu_freq: None,
            encoding: ferrodis_rdb::Encoding::LinkedList,
        };
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        let big: Vec<Bytes> = (0..3000).map(|i| Bytes::from(i.to_string())).collect();
        for k in [
            key("s", Value::String(b("v")), Some(1)),
            key("l", Value::List(big.clone()), None),
            key("set", Value::Set(big), Some(10)),
            key(
                "z",
                Value::SortedSet(vec![(b("a"), 0.1), (b("b"), f64::INFINITY)]),
                None,
            ),
            key("h", Value::Hash(vec![(b("f"), b("v"))]), None),
        ] {
            apply_key(&mut ks, &k).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(ks.dbsize(1), 5, "expired keys kept");
        let mut session = Session {
            db: 1,
            ..Session::default()
        };
        let llen = ks.execute(&mut session, &[b("LLEN"), b("l")]);
        assert_eq!(llen, Some(ferrodis_resp::Frame::Integer(3000)));
        let score = ks.execute(&mut session, &[b("ZSCORE"), b("z"), b("a")]);
        assert_eq!(score, Some(ferrodis_resp::Frame::Double(0.1)));
    }
}
