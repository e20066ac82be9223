//! File names inside the AOF directory (aof.c's "naming rules").
//!
//! ```text
//!   <appendfilename>.<seq>.base.rdb     base with an RDB preamble (aof-use-rdb-preamble yes)
//!   <appendfilename>.<seq>.base.aof     base as commands
//!   <appendfilename>.<seq>.incr.aof     commands since the last rewrite
//!   <appendfilename>.manifest           the manifest
//!   temp-<appendfilename>.manifest      the manifest being written, renamed over it
//! ```

/// Default `appenddirname`.
pub const DEFAULT_DIR_NAME: &str = "appendonlydir";
/// Default `appendfilename`, the prefix of every file name.
pub const DEFAULT_FILE_NAME: &str = "appendonly.aof";
/// `BASE_FILE_SUFFIX`.
const BASE_SUFFIX: &str = ".base";
/// `INCR_FILE_SUFFIX`.
const INCR_SUFFIX: &str = ".incr";
/// `RDB_FORMAT_SUFFIX`.
const RDB_SUFFIX: &str = ".rdb";
/// `AOF_FORMAT_SUFFIX`.
const AOF_SUFFIX: &str = ".aof";
/// `MANIFEST_NAME_SUFFIX`.
const MANIFEST_SUFFIX: &str = ".manifest";
/// `TEMP_FILE_NAME_PREFIX`.
const TEMP_PREFIX: &str = "temp-";

/// The name of base file `seq`: `appendonly.aof.1.base.rdb` with an RDB
/// preamble, `appendonly.aof.1.base.aof` without
/// (`getNewBaseFileNameAndMarkPreAsHistory`).
pub fn base_name(prefix: &str, seq: u64, rdb_preamble: bool) -> String {
    let format = if rdb_preamble { RDB_SUFFIX } else { AOF_SUFFIX };
    format!("{prefix}.{seq}{BASE_SUFFIX}{format}")
}

/// The name of incr file `seq`: `appendonly.aof.1.incr.aof` (`getNewIncrAofName`).
pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}{INCR_SUFFIX}{AOF_SUFFIX}")
}

/// The manifest's name: `appendonly.aof.manifest` (`getAofManifestFileName`).
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}{MANIFEST_SUFFIX}")
}

/// The name a new manifest is written under before it is renamed over the
/// old one: `temp-appendonly.aof.manifest` (`getTempAofManifestFileName`).
pub fn temp_manifest_name(prefix: &str) -> String {
    format!("{TEMP_PREFIX}{prefix}{MANIFEST_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_default_names() {
        let p = DEFAULT_FILE_NAME;
        assert_eq!(base_name(p, 1, true), "appendonly.aof.1.base.rdb");
        assert_eq!(base_name(p, 2, false), "appendonly.aof.2.base.aof");
        assert_eq!(incr_name(p, 1), "appendonly.aof.1.incr.aof");
        assert_eq!(
            incr_name(p, 12345678901),
            "appendonly.aof.12345678901.incr.aof"
        );
        assert_eq!(manifest_name(p), "appendonly.aof.manifest");
        assert_eq!(temp_manifest_name(p), "temp-appendonly.aof.manifest");
    }

    #[test]
    fn names_from_aof_multi_part_tcl() {
        // appendfilename " file seq \n\n.aof " in the whitespace test.
        let p = " file seq \n\n.aof ";
        assert_eq!(base_name(p, 2, true), " file seq \n\n.aof .2.base.rdb");
        assert_eq!(incr_name(p, 2), " file seq \n\n.aof .2.incr.aof");
    }
}
