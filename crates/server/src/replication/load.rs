//! Loading a master's RDB payload on a replica, off to the side: one thread
//! decodes the bytes as they arrive, another applies the keys to a fresh keyspace
//! (as `load.rs` does at start-up, but keeping keys already expired: a replica
//! keeps them for its master's DEL).

use std::io::Read;
use std::sync::mpsc::sync_channel;

use ferrodis_keyspace::{Expiry, Keyspace};
use ferrodis_rdb::{Item, Key};
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
pub fn load(shared: &Shared, rx: Receiver<Vec<u8>>) -> Result<Keyspace, String> {
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
                crate::load::apply_rdb_key(&mut keyspace, key, i64::MIN)?;
            }
        }
        keyspace.set_expiry(Expiry::Replica);
        Ok(keyspace)
    });
    let decoded = decode(
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
    decoded?;
    applied
}

fn decode(
    input: ChannelReader,
    databases: usize,
    out: &std::sync::mpsc::SyncSender<Vec<Key>>,
) -> Result<(), String> {
    let fail =
        |e: String| format!("Failed trying to load the MASTER synchronization DB from socket: {e}");
    let mut decoder = ferrodis_rdb::Decoder::new(input);
    let mut batch = Vec::with_capacity(BATCH);
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
                        return Ok(());
                    }
                }
            }
            Some(Item::Eof { .. }) => break,
            Some(_) => {}
            None => return Err(fail("the transfer ended before the RDB did".into())),
        }
    }
    if !batch.is_empty() {
        let _ = out.send(batch);
    }
    Ok(())
}
