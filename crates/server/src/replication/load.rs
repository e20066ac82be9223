//! Loading a master's RDB payload on a replica, off to the side: a blocking
//! thread decodes the bytes as they arrive and builds the keys in a fresh
//! keyspace (with `load.rs`'s `store_rdb_key`, as at start-up, but keeping keys
//! already expired: a replica keeps them for its master's DEL).

use std::io::Read;

use ferrodis_keyspace::{Expiry, Keyspace};
use ferrodis_rdb::Item;
use tokio::sync::mpsc::Receiver;

use crate::load::RdbHints;
use crate::shared::Shared;

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

/// What a payload loaded: the data and the `repl-stream-db` aux field.
#[derive(Debug)]
pub struct Loaded {
    /// The dataset.
    pub keyspace: Keyspace,
    /// The database the master's stream continues in.
    pub stream_db: usize,
}

/// Decodes the payload from `rx` and returns it loaded into a new keyspace, or the
/// error (decoding, checksum, a truncated transfer, an unsupported type).
pub fn load(shared: &Shared, rx: Receiver<Vec<u8>>) -> Result<Loaded, String> {
    let (mut keyspace, databases) = {
        let config = shared.config();
        let databases = config.get_int("databases").max(1) as usize;
        let mut ks = Keyspace::new(databases);
        ks.set_tunables(crate::shared::tunables(&config));
        (ks, databases)
    };
    keyspace.set_expiry(Expiry::MasterLink);
    let input = ChannelReader {
        rx,
        chunk: Vec::new(),
        pos: 0,
    };
    let stream_db = decode_into(&mut keyspace, input, databases)?;
    keyspace.set_expiry(Expiry::Replica);
    Ok(Loaded {
        keyspace,
        stream_db,
    })
}

/// Decodes the payload and builds its keys in `keyspace` as they come, on this
/// one thread (a second thread to build keys was measured slower: every value
/// allocated on one thread and freed or kept on the other contends in malloc).
/// Returns the `repl-stream-db` aux field.
fn decode_into(
    keyspace: &mut Keyspace,
    input: ChannelReader,
    databases: usize,
) -> Result<usize, String> {
    let fail =
        |e: String| format!("Failed trying to load the MASTER synchronization DB from socket: {e}");
    let mut decoder = ferrodis_rdb::Decoder::new(input);
    decoder.keep_packed(true);
    // RESIZEDB sizes the tables up front, as at start-up. A socket has no
    // length to bound the hint by: at most 16M keys (~150 MB of table) on a
    // master's word alone.
    let mut hints = RdbHints::for_len(2 << 24);
    let mut stream_db = 0;
    loop {
        match decoder.next_item().map_err(|e| fail(e.to_string()))? {
            Some(Item::Key(key)) => {
                if usize::try_from(key.db).map_or(true, |db| db >= databases) {
                    return Err(fail(format!("database {} out of range", key.db)));
                }
                crate::load::store_rdb_key(keyspace, key)?;
            }
            Some(Item::Aux { key, value }) if &key[..] == b"repl-stream-db" => {
                stream_db = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|&db| db < databases)
                    .unwrap_or(0);
            }
            Some(Item::Eof { .. }) => break,
            Some(other) => hints.apply(keyspace, &other),
            None => return Err(fail("the transfer ended before the RDB did".into())),
        }
    }
    Ok(stream_db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use ferrodis_keyspace::Session;
    use ferrodis_rdb::{Key, Value};

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
            crate::load::store_rdb_key(&mut ks, k).unwrap_or_else(|e| panic!("{e}"));
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
