//! `dump FILE`: one JSON object per key and line: db, key, expire (Unix ms or
//! null), type and value as the crate's value model serializes them
//! (binary-safe: non-UTF-8 strings become `{"hex": "..."}`).

use std::io::{BufWriter, ErrorKind, Write};

use ferrodis_rdb::{Bin, Decoder, Item, Value};
use serde::Serialize;

use crate::progress::Progress;
use crate::{open, Failure};

#[derive(Serialize)]
struct Line<'a> {
    db: u64,
    key: Bin<'a>,
    expire: Option<i64>,
    #[serde(flatten)]
    value: &'a Value,
}

pub(crate) fn run(path: &str) -> Result<(), Failure> {
    let (file, size) = open(path)?;
    let mut decoder = Decoder::new(file);
    let mut progress = Progress::new("dump", size);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut write = |line: &Line<'_>| -> std::io::Result<()> {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")
    };
    let mut written = Ok(());
    while let Some(item) = decoder
        .next_item()
        .map_err(|e| Failure::Failed(format!("{path}: {e}")))?
    {
        if let Item::Key(key) = item {
            let line = Line {
                db: key.db,
                key: Bin(&key.key),
                expire: key.expire_ms,
                value: &key.value,
            };
            written = write(&line);
            if written.is_err() {
                break;
            }
            progress.update(decoder.offset());
        }
    }
    match written.and_then(|()| out.flush()) {
        // `dump FILE | head` closes the pipe early: not an error.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Failed(format!("writing the dump: {e}"))),
        Ok(()) => Ok(()),
    }
}
