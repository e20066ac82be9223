//! `check FILE`: reads every record and the checksum, printing a report in
//! the manner of `redis-check-rdb`; exit status 1 with the offset on error.

use std::collections::BTreeMap;

use ferrodis_rdb::{Checksum, Decoder, Item};

use crate::progress::Progress;
use crate::{open, Failure};

pub(crate) fn run(path: &str) -> Result<(), Failure> {
    let (file, size) = open(path)?;
    println!("[offset 0] Checking RDB file {path}");
    let mut decoder = Decoder::new(file);
    let mut progress = Progress::new("check", size);
    let mut keys = 0u64;
    let mut expires = 0u64;
    let mut per_db: BTreeMap<u64, u64> = BTreeMap::new();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut expired = 0u64;
    let result = (|| -> ferrodis_rdb::Result<()> {
        let header = decoder.header()?;
        println!(
            "[offset 0] {} version {}",
            header.magic.as_bytes().escape_ascii(),
            header.version
        );
        loop {
            // Offsets name where each record starts, as redis-check-rdb's do.
            let at = decoder.offset();
            let Some(item) = decoder.next_item()? else {
                break;
            };
            match item {
                Item::Aux { key, value } => println!(
                    "[offset {at}] AUX FIELD {} = '{}'",
                    key.escape_ascii(),
                    value.escape_ascii()
                ),
                Item::SelectDb { db } => println!("[offset {at}] Selecting DB ID {db}"),
                Item::Key(key) => {
                    keys += 1;
                    *per_db.entry(key.db).or_default() += 1;
                    if let Some(ms) = key.expire_ms {
                        expires += 1;
                        if ms < now_ms {
                            expired += 1;
                        }
                    }
                    progress.update(decoder.offset());
                }
                Item::Eof { checksum } => {
                    progress.done();
                    match checksum {
                        Checksum::Verified(crc) => {
                            println!("[offset {at}] Checksum OK ({crc:016x})")
                        }
                        Checksum::Disabled => {
                            println!("[offset {at}] Checksum disabled (stored as 0), not checked")
                        }
                        Checksum::Absent => println!("[offset {at}] No checksum (version < 5)"),
                    }
                    println!("[offset {at}] \\o/ RDB looks OK! \\o/");
                }
                Item::Function { .. } => println!("[offset {at}] Function library"),
                _ => {}
            }
        }
        Ok(())
    })();
    progress.done();
    if let Err(e) = result {
        println!("--- RDB ERROR DETECTED ---");
        println!("[offset {}] {e}", e.offset());
        println!("[additional info] While doing: reading record {}", keys + 1);
        println!("[info] {keys} keys read");
        return Err(Failure::Failed(format!("{path}: {e}")));
    }
    println!("[info] {keys} keys read");
    println!("[info] {expires} expires");
    println!("[info] {expired} already expired");
    for (db, n) in per_db {
        println!("[info] db{db}: {n} keys");
    }
    Ok(())
}
