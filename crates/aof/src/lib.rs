//! Redis append-only files: the pieces of Redis 7's multi-part AOF.
//!
//! What it is today: the manifest (`appendonlydir/appendonly.aof.manifest`)
//! read and written exactly as Redis 7.0 does, with Redis's validation and
//! error texts, and the names of base, incr and manifest files.
//!
//! What it is not (yet): an appender with fsync policies, a loader of base and
//! incr files, the rewrite, or the upgrade of a legacy single `appendonly.aof`.
//! No I/O and no tokio: callers read and write the files.
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

mod error;
mod manifest;
mod naming;
mod quoting;

pub use crate::{
    error::{Error, Result},
    manifest::{FileKind, Manifest, ManifestEntry},
    naming::{
        base_name, incr_name, manifest_name, temp_manifest_name, DEFAULT_DIR_NAME,
        DEFAULT_FILE_NAME,
    },
};
