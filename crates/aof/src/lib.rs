//! Redis append-only files: the pieces of Redis 7's multi-part AOF.
//!
//! What it is today: the manifest (`appendonlydir/appendonly.aof.manifest`)
//! read and written exactly as Redis 7.0 does, with Redis's validation and
//! error texts, and the names of base, incr and manifest files.
//!
//! Also the bytes of the log itself: [`Feeder`] turns write effects into RESP
//! commands with `SELECT` when the database changes and optional `#TS:`
//! annotations; [`Loader`] reads them back, groups MULTI/EXEC blocks and tells
//! a clean end from a truncated tail or an uncommitted transaction (with the
//! valid prefix `aof-load-truncated` keeps); [`Fsync`] names the policies.
//!
//! [`Appender`] applies the policy to the open file (buffered writes, fsync
//! before replies with `always`, a background fsync thread with `everysec`).
//!
//! [`AofDir`] is the directory with its crash-safe changes (create, new incr file,
//! a rewrite's switch to a new base, legacy upgrade); [`load_files`] loads its files
//! in order (an RDB base through `ferrodis-rdb`) with `aof-load-truncated`'s rules.
//! The `ferrodis-check-aof` binary is redis-check-aof.
//!
//! What it is not: a runtime. No threads beyond everysec's fsync, no tokio: the
//! server owns the writer, the rewrite's snapshot and the fsync waits.
//!
//! ```
//! use ferrodis_aof::{base_name, incr_name, FileKind, Manifest, ManifestEntry};
//!
//! let prefix = "appendonly.aof";
//! let manifest = Manifest {
//!     files: vec![
//!         ManifestEntry { name: base_name(prefix, 1, true), seq: 1, kind: FileKind::Base },
//!         ManifestEntry { name: incr_name(prefix, 1), seq: 1, kind: FileKind::Incr },
//!     ],
//! };
//! manifest.validate()?;
//! let text = manifest.to_string();
//! assert_eq!(
//!     text,
//!     "file appendonly.aof.1.base.rdb seq 1 type b\n\
//!      file appendonly.aof.1.incr.aof seq 1 type i\n"
//! );
//! assert_eq!(Manifest::parse(&text)?, manifest);
//!
//! let err = Manifest::parse("file a seq 1 type b\nfile b seq 2 type b\n").unwrap_err();
//! assert_eq!(err.to_string(), "Found duplicate base file information (manifest line 2)");
//! # Ok::<(), ferrodis_aof::Error>(())
//! ```

mod appender;
mod dir;
mod error;
mod feed;
#[doc(hidden)]
pub mod fuzzing;
mod load;
mod manifest;
mod naming;
mod quoting;
mod reader;

pub use crate::{
    appender::{Appender, Flushed, ShortWrite},
    dir::{AofDir, FileToLoad, Format},
    error::{Error, Result},
    feed::{write_command, Feeder, Fsync},
    load::{load_files, load_files_with, LoadEvent, LoadOptions, LoadReport, Truncation},
    manifest::{FileKind, Manifest, ManifestEntry},
    naming::{
        base_name, incr_name, manifest_name, temp_manifest_name, DEFAULT_DIR_NAME,
        DEFAULT_FILE_NAME,
    },
    reader::{parse_record, Ending, Loaded, Loader, Record},
};
