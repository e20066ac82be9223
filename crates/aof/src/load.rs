//! Loading the files of an AOF directory in order — an RDB base through
//! `ferrodis-rdb`, commands through [`Loader`] — with Redis 7.0's rules for their
//! ends (`loadSingleAppendOnlyFile()`): only the last file may end early, and then
//! only with `aof-load-truncated yes`, in which case it is cut back to its last
//! complete command and loading goes on; an uncommitted MULTI at the very end is
//! dropped the same way.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use ferrodis_rdb::{Decoder, Item};

use crate::dir::{FileToLoad, Format};
use crate::error::{Error, Result};
use crate::reader::{Ending, Loaded, Loader};

/// How much of a file is read at a time.
const CHUNK: usize = 256 * 1024;

/// One thing to apply to the keyspace, in file order.
#[derive(Debug)]
pub enum LoadEvent {
    /// A record of an RDB base or preamble.
    Rdb(Item),
    /// A command outside a transaction.
    Command(Vec<Bytes>),
    /// A committed transaction's commands.
    Transaction(Vec<Vec<Bytes>>),
}

/// What loading found at the end of the last file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file.
    pub path: PathBuf,
    /// Its size before.
    pub size: u64,
    /// The length it was cut to (the end of its last committed command).
    pub valid_len: u64,
    /// Whether the cut dropped an uncommitted MULTI rather than a partial command.
    pub incomplete_multi: bool,
}

/// A summary of a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Files loaded.
    pub files: usize,
    /// Commands applied (transactions count their commands).
    pub commands: u64,
    /// RDB keys applied.
    pub rdb_keys: u64,
    /// Set when the last file was cut back (`aof-load-truncated yes`).
    pub truncated: Option<Truncation>,
}

/// Loads `files` in order, handing every record to `apply`. `truncated_ok` is
/// `aof-load-truncated`. An error from `apply` stops the load and is returned.
pub fn load_files(
    files: &[FileToLoad],
    truncated_ok: bool,
    apply: impl FnMut(LoadEvent) -> Result<()>,
) -> Result<LoadReport> {
    let options = LoadOptions {
        truncated_ok,
        keep_packed: false,
    };
    load_files_with(files, options, apply)
}

/// How [`load_files_with`] loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `aof-load-truncated`: a cut last file loads up to its last whole command.
    pub truncated_ok: bool,
    /// RDB bases hand small collections over still packed
    /// ([`Decoder::keep_packed`](ferrodis_rdb::Decoder::keep_packed)).
    pub keep_packed: bool,
}

/// [`load_files`] with every option.
pub fn load_files_with(
    files: &[FileToLoad],
    options: LoadOptions,
    mut apply: impl FnMut(LoadEvent) -> Result<()>,
) -> Result<LoadReport> {
    let mut report = LoadReport::default();
    for file in files {
        load_file(file, options, &mut apply, &mut report)?;
        report.files += 1;
    }
    Ok(report)
}

fn load_file(
    file: &FileToLoad,
    options: LoadOptions,
    apply: &mut impl FnMut(LoadEvent) -> Result<()>,
    report: &mut LoadReport,
) -> Result<()> {
    let truncated_ok = options.truncated_ok;
    let path = &file.path;
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut reader = File::open(path).map_err(io)?;
    let size = reader.metadata().map_err(io)?.len();
    let mut buf = BytesMut::new();
    let mut loader = Loader::new();
    if file.format()? == Format::Rdb {
        let mut decoder = Decoder::new(reader);
        decoder.keep_packed(options.keep_packed);
        loop {
            match decoder.next_item() {
                Ok(Some(item)) => {
                    let eof = matches!(item, Item::Eof { .. });
                    if matches!(item, Item::Key(_)) {
                        report.rdb_keys += 1;
                    }
                    apply(LoadEvent::Rdb(item))?;
                    if eof {
                        break;
                    }
                }
                Ok(None) => break,
                Err(source) => {
                    return Err(Error::Rdb {
                        path: path.display().to_string(),
                        source,
                    })
                }
            }
        }
        let offset = decoder.offset();
        let (rest, leftover) = decoder.into_parts();
        reader = rest;
        buf.extend_from_slice(&leftover);
        loader = Loader::at(offset.saturating_sub(leftover.len() as u64));
    }
    let mut chunk = vec![0u8; CHUNK];
    loop {
        while let Some(event) = loader.next(&mut buf)? {
            report.commands += match &event {
                Loaded::Command(_) => 1,
                Loaded::Transaction(cmds) => cmds.len() as u64,
            };
            apply(match event {
                Loaded::Command(argv) => LoadEvent::Command(argv),
                Loaded::Transaction(cmds) => LoadEvent::Transaction(cmds),
            })?;
        }
        let n = reader.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let (valid_len, incomplete_multi) = match loader.finish(&buf) {
        Ending::Clean => return Ok(()),
        Ending::Truncated { valid_len } => (valid_len, false),
        Ending::IncompleteMulti { valid_len } => (valid_len, true),
    };
    if !file.last || !truncated_ok {
        return Err(Error::UnexpectedEof {
            path: path.display().to_string(),
        });
    }
    // Redis truncates the file so that appends continue after valid data.
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| {
            f.set_len(valid_len)?;
            f.sync_all()
        })
        .map_err(io)?;
    report.truncated = Some(Truncation {
        path: path.clone(),
        size,
        valid_len,
        incomplete_multi,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::manifest::FileKind;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrodis-aofload-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn file(path: PathBuf, last: bool) -> FileToLoad {
        FileToLoad {
            path,
            kind: if last { FileKind::Incr } else { FileKind::Base },
            last,
        }
    }

    fn names(events: &[LoadEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                LoadEvent::Rdb(Item::Key(k)) => format!("rdb {}", String::from_utf8_lossy(&k.key)),
                LoadEvent::Rdb(_) => "rdb".into(),
                LoadEvent::Command(argv) => String::from_utf8_lossy(&argv[0]).into_owned(),
                LoadEvent::Transaction(c) => format!("tx {}", c.len()),
            })
            .collect()
    }

    const CMDS: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n\
*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n";

    #[test]
    fn base_then_incr_in_order() {
        let dir = scratch("order");
        let base = dir.join("b.aof");
        let incr = dir.join("i.aof");
        std::fs::write(&base, CMDS).unwrap();
        std::fs::write(&incr, b"*2\r\n$3\r\nDEL\r\n$1\r\na\r\n").unwrap();
        let mut events = Vec::new();
        let report = load_files(&[file(base, false), file(incr, true)], false, |e| {
            events.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&events), ["SET", "tx 1", "DEL"]);
        assert_eq!(
            (report.files, report.commands, report.truncated),
            (2, 3, None)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_truncated_last_file_is_cut_back_only_when_allowed() {
        let dir = scratch("cut");
        let base = dir.join("b.aof");
        std::fs::write(&base, CMDS).unwrap();
        let incr = dir.join("i.aof");
        // A whole SET, then half of another.
        std::fs::write(
            &incr,
            b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*3\r\n$3\r\nSE",
        )
        .unwrap();
        let files = [file(base.clone(), false), file(incr.clone(), true)];
        let err = load_files(&files, false, |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::UnexpectedEof { .. }), "{err}");
        let report = load_files(&files, true, |_| Ok(())).unwrap();
        assert_eq!(
            report.truncated,
            Some(Truncation {
                path: incr.clone(),
                size: 37,
                valid_len: 27,
                incomplete_multi: false
            })
        );
        assert_eq!(std::fs::metadata(&incr).unwrap().len(), 27);
        // The same early end in a file that is not the last is never accepted.
        std::fs::write(&base, &CMDS[..CMDS.len() - 3]).unwrap();
        let err = load_files(&files, true, |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::UnexpectedEof { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_uncommitted_multi_at_the_end_is_dropped() {
        let dir = scratch("multi");
        let incr = dir.join("i.aof");
        std::fs::write(&incr, &CMDS[..CMDS.len() - 14]).unwrap();
        let mut events = Vec::new();
        let report = load_files(&[file(incr.clone(), true)], true, |e| {
            events.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&events), ["SET"]);
        let cut = report.truncated.unwrap();
        assert!(cut.incomplete_multi);
        assert_eq!(cut.valid_len, 27);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_rdb_preamble_then_commands() {
        let dir = scratch("preamble");
        let path = dir.join("appendonly.aof");
        let mut bytes = Vec::new();
        ferrodis_rdb::write_header(10, &mut bytes).unwrap();
        bytes.push(ferrodis_rdb::opcode::EOF);
        let crc = ferrodis_rdb::crc64(0, &bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes.extend_from_slice(CMDS);
        std::fs::write(&path, &bytes).unwrap();
        let mut events = Vec::new();
        let report = load_files(&[file(path, true)], false, |e| {
            events.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&events), ["rdb", "SET", "tx 1"]);
        assert_eq!(report.commands, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
