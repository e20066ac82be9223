//! Incremental fsync of a file being written in one go (an RDB save, an AOF
//! rewrite's base): `rdb-save-incremental-fsync` and `aof-rewrite-incremental-fsync`,
//! both on by default in Redis 7.0.
//!
//! Redis (`rioFileWrite` with `REDIS_AUTOSYNC_BYTES`) never lets one write cross a
//! 4 MB boundary of the file, and at each boundary starts the writeback of the
//! 4 MB just written and waits for the one before it (`sync_file_range`; a plain
//! fsync where that call does not exist): the kernel never holds more than about
//! 8 MB of dirty pages of the file, so the final fsync does not stall the disk.

#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Write};

/// `REDIS_AUTOSYNC_BYTES`.
pub const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file written sequentially from its start, synced every `every` bytes.
#[derive(Debug)]
pub struct AutoSync {
    file: File,
    /// `None`: the option is off, writes go straight through.
    every: Option<u64>,
    /// Bytes written so far.
    written: u64,
    /// Bytes written since the last boundary.
    since_sync: u64,
    syncs: u64,
}

impl AutoSync {
    /// Wraps a new, empty `file`; `on` is the config's value.
    pub fn new(file: File, on: bool) -> AutoSync {
        AutoSync::every(file, on.then_some(AUTOSYNC_BYTES))
    }

    fn every(file: File, every: Option<u64>) -> AutoSync {
        AutoSync {
            file,
            every: every.filter(|&n| n > 0),
            written: 0,
            since_sync: 0,
            syncs: 0,
        }
    }

    /// The file, for its final fsync.
    pub fn into_inner(self) -> File {
        self.file
    }

    /// Boundaries synced so far.
    #[cfg(test)]
    fn syncs(&self) -> u64 {
        self.syncs
    }

    /// At a boundary: writeback of the last `every` bytes starts, and the block
    /// before it is waited for.
    #[cfg(target_os = "linux")]
    fn sync_boundary(&mut self, every: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = self.file.as_raw_fd();
        let range = |start: u64, flags: libc::c_uint| -> io::Result<()> {
            // SAFETY: `fd` is this open file's descriptor; sync_file_range reads
            // no memory of ours.
            let r = unsafe { libc::sync_file_range(fd, start as i64, every as i64, flags) };
            if r == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        };
        range(self.written - every, libc::SYNC_FILE_RANGE_WRITE)?;
        if self.written >= 2 * every {
            range(
                self.written - 2 * every,
                libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER,
            )?;
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn sync_boundary(&mut self, _every: u64) -> io::Result<()> {
        self.file.sync_data()
    }
}

impl Write for AutoSync {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(every) = self.every else {
            return self.file.write(buf);
        };
        let room = (every - self.since_sync).min(buf.len() as u64) as usize;
        let n = self.file.write(&buf[..room])?;
        self.written += n as u64;
        self.since_sync += n as u64;
        if self.since_sync >= every {
            self.sync_boundary(every)?;
            self.since_sync = 0;
            self.syncs += 1;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ferrodis-autosync-{}-{name}", std::process::id()))
    }

    fn write_in_odd_pieces(out: &mut impl Write, total: usize) -> Vec<u8> {
        let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
        let mut at = 0;
        let mut piece = 1;
        while at < total {
            let end = (at + piece).min(total);
            out.write_all(&data[at..end]).unwrap();
            at = end;
            piece = piece * 3 + 7;
        }
        data
    }

    #[test]
    fn syncs_at_each_boundary_and_writes_everything() {
        let path = temp("on");
        let mut out = AutoSync::every(File::create(&path).unwrap(), Some(1000));
        let data = write_in_odd_pieces(&mut out, 10_500);
        assert_eq!(out.syncs(), 10);
        drop(out.into_inner());
        assert_eq!(std::fs::read(&path).unwrap(), data);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn off_writes_straight_through() {
        let path = temp("off");
        let mut out = AutoSync::new(File::create(&path).unwrap(), false);
        let data = write_in_odd_pieces(&mut out, 10_500);
        assert_eq!(out.syncs(), 0);
        drop(out.into_inner());
        assert_eq!(std::fs::read(&path).unwrap(), data);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn the_default_period_is_redis_autosync_bytes() {
        let path = temp("default");
        let mut out = AutoSync::new(File::create(&path).unwrap(), true);
        out.write_all(&vec![7u8; 9 * 1024 * 1024]).unwrap();
        assert_eq!(out.syncs(), 2);
        std::fs::remove_file(&path).unwrap();
    }
}
