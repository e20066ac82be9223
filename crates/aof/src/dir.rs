//! The Redis 7 multi-part AOF directory (`appenddirname` inside `dir`): which files
//! to load, the incr file to append to, a rewrite's switch to a new base, and the
//! upgrade of a legacy single `appendonly.aof`.
//!
//! Crash safety: the manifest is the commit point. It is replaced atomically (temp
//! file, fsync, rename, fsync of the directory); files are created before the
//! manifest names them and deleted only after a manifest no longer does, so a crash
//! at any step leaves a manifest whose files all exist.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::{FileKind, Manifest, ManifestEntry};
use crate::naming::{base_name, incr_name, manifest_name, temp_manifest_name};

/// The format of a file to load, from its first bytes (Redis checks for "REDIS").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An RDB snapshot (a `.base.rdb`, or a legacy file with an RDB preamble), maybe
    /// followed by commands.
    Rdb,
    /// RESP commands only.
    Commands,
}

/// A file to load, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToLoad {
    /// Its path.
    pub path: PathBuf,
    /// Base or incr.
    pub kind: FileKind,
    /// Whether it is the last file (only its tail may be truncated).
    pub last: bool,
}

impl FileToLoad {
    /// Whether the file starts with an RDB preamble.
    pub fn format(&self) -> Result<Format> {
        let mut head = [0u8; 5];
        let mut file = File::open(&self.path).map_err(|e| io(&self.path, e))?;
        let n = std::io::Read::read(&mut file, &mut head).map_err(|e| io(&self.path, e))?;
        Ok(if n == 5 && &head == b"REDIS" {
            Format::Rdb
        } else {
            Format::Commands
        })
    }
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// An AOF directory and its manifest.
#[derive(Debug)]
pub struct AofDir {
    path: PathBuf,
    prefix: String,
    manifest: Manifest,
}

impl AofDir {
    /// Opens the directory `path` if it has a manifest. `prefix` is
    /// `appendfilename` (`appendonly.aof`).
    pub fn open(path: &Path, prefix: &str) -> Result<Option<AofDir>> {
        let manifest_path = path.join(manifest_name(prefix));
        let text = match fs::read(&manifest_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&manifest_path, e)),
        };
        let text = String::from_utf8_lossy(&text);
        let manifest = Manifest::parse(&text)?;
        Ok(Some(AofDir {
            path: path.to_path_buf(),
            prefix: prefix.to_string(),
            manifest,
        }))
    }

    /// Creates the directory (if needed) with an empty base written by `write_base`
    /// and the first incr file, as Redis 7.0 does when AOF starts with no files
    /// ("Creating AOF base file ... on server start").
    pub fn create(
        path: &Path,
        prefix: &str,
        rdb_preamble: bool,
        write_base: impl FnOnce(&mut File) -> std::io::Result<()>,
    ) -> Result<AofDir> {
        fs::create_dir_all(path).map_err(|e| io(path, e))?;
        let base = base_name(prefix, 1, rdb_preamble);
        let incr = incr_name(prefix, 1);
        let base_path = path.join(&base);
        let mut file = File::create(&base_path).map_err(|e| io(&base_path, e))?;
        write_base(&mut file)
            .and_then(|()| file.sync_all())
            .map_err(|e| io(&base_path, e))?;
        let incr_path = path.join(&incr);
        File::create(&incr_path)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(&incr_path, e))?;
        let dir = AofDir {
            path: path.to_path_buf(),
            prefix: prefix.to_string(),
            manifest: Manifest {
                files: vec![
                    ManifestEntry {
                        name: base,
                        seq: 1,
                        kind: FileKind::Base,
                    },
                    ManifestEntry {
                        name: incr,
                        seq: 1,
                        kind: FileKind::Incr,
                    },
                ],
            },
        };
        dir.persist()?;
        Ok(dir)
    }

    /// Moves a legacy single-file AOF (`<data dir>/<prefix>`) into the directory as
    /// its base, as Redis 7.0's `aofUpgradePrepare()`: the manifest naming it is
    /// written first, then the file moves. Also finishes an upgrade a crash
    /// interrupted between the two. Returns the directory if there was anything to
    /// upgrade.
    pub fn upgrade_legacy(data_dir: &Path, path: &Path, prefix: &str) -> Result<Option<AofDir>> {
        let legacy = data_dir.join(prefix);
        if let Some(dir) = AofDir::open(path, prefix)? {
            let inside = path.join(prefix);
            let named = dir.manifest.base().is_some_and(|b| b.name == prefix);
            if named && !inside.exists() && legacy.exists() {
                fs::rename(&legacy, &inside).map_err(|e| io(&legacy, e))?;
                sync_dir(path)?;
            }
            return Ok(Some(dir));
        }
        if !legacy.is_file() {
            return Ok(None);
        }
        fs::create_dir_all(path).map_err(|e| io(path, e))?;
        let dir = AofDir {
            path: path.to_path_buf(),
            prefix: prefix.to_string(),
            manifest: Manifest {
                files: vec![ManifestEntry {
                    name: prefix.to_string(),
                    seq: 1,
                    kind: FileKind::Base,
                }],
            },
        };
        dir.persist()?;
        fs::rename(&legacy, path.join(prefix)).map_err(|e| io(&legacy, e))?;
        sync_dir(path)?;
        sync_dir(data_dir)?;
        Ok(Some(dir))
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The base, then the incr files, in load order. A missing file is an error
    /// naming it (Redis: "The AOF file ... doesn't exist").
    pub fn files_to_load(&self) -> Result<Vec<FileToLoad>> {
        let listed: Vec<(&ManifestEntry, FileKind)> = self
            .manifest
            .base()
            .map(|b| (b, FileKind::Base))
            .into_iter()
            .chain(self.manifest.incrs().map(|i| (i, FileKind::Incr)))
            .collect();
        let count = listed.len();
        listed
            .into_iter()
            .enumerate()
            .map(|(i, (entry, kind))| {
                let path = self.path.join(&entry.name);
                if !path.is_file() {
                    return Err(Error::MissingFile {
                        name: entry.name.clone(),
                    });
                }
                Ok(FileToLoad {
                    path,
                    kind,
                    last: i + 1 == count,
                })
            })
            .collect()
    }

    /// The incr file new writes go to: the last one, or a new one if there is none
    /// (after an upgrade), recorded in the manifest before it is used.
    pub fn current_incr(&mut self) -> Result<PathBuf> {
        if let Some(last) = self.manifest.incrs().last() {
            return Ok(self.path.join(&last.name));
        }
        self.new_incr()
    }

    /// Starts a new incr file (a rewrite begins: writes from now on go there, so
    /// the new base plus this file is the whole dataset).
    pub fn new_incr(&mut self) -> Result<PathBuf> {
        let seq = self.manifest.incrs().map(|i| i.seq).max().unwrap_or(0) + 1;
        let name = incr_name(&self.prefix, seq);
        let path = self.path.join(&name);
        File::create(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(&path, e))?;
        self.manifest.files.push(ManifestEntry {
            name,
            seq,
            kind: FileKind::Incr,
        });
        self.persist()?;
        Ok(path)
    }

    /// Ends a rewrite: `temp_base` (written and fsynced by the caller, holding the
    /// dataset as of when `incr` was started by [`AofDir::new_incr`]) becomes the
    /// base; the old base and the incr files before `incr` become history and are
    /// deleted. Redis 7.0's `backgroundRewriteDoneHandler()`.
    pub fn finish_rewrite(
        &mut self,
        temp_base: &Path,
        incr: &Path,
        rdb_preamble: bool,
    ) -> Result<()> {
        let seq = self.manifest.base().map_or(0, |b| b.seq) + 1;
        let name = base_name(&self.prefix, seq, rdb_preamble);
        let base_path = self.path.join(&name);
        fs::rename(temp_base, &base_path).map_err(|e| io(temp_base, e))?;
        sync_dir(&self.path)?;
        let keep_from = incr.file_name().map(|n| n.to_string_lossy().into_owned());
        let keep_index = self
            .manifest
            .files
            .iter()
            .position(|f| f.kind == FileKind::Incr && Some(&f.name) == keep_from.as_ref())
            .ok_or_else(|| Error::MissingFile {
                name: keep_from.clone().unwrap_or_default(),
            })?;
        let mut files = Vec::with_capacity(self.manifest.files.len() + 1);
        files.push(ManifestEntry {
            name,
            seq,
            kind: FileKind::Base,
        });
        for (i, f) in self.manifest.files.iter().enumerate() {
            let kind = if f.kind == FileKind::History || i < keep_index {
                FileKind::History
            } else {
                f.kind
            };
            files.push(ManifestEntry { kind, ..f.clone() });
        }
        self.manifest = Manifest::parse(&Manifest { files }.to_string())?;
        self.persist()?;
        self.delete_history()
    }

    /// Deletes the history files and drops them from the manifest.
    pub fn delete_history(&mut self) -> Result<()> {
        let history: Vec<String> = self.manifest.history().map(|h| h.name.clone()).collect();
        if history.is_empty() {
            return Ok(());
        }
        for name in &history {
            let path = self.path.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path, e)),
            }
        }
        self.manifest.files.retain(|f| f.kind != FileKind::History);
        self.persist()
    }

    /// Writes the manifest atomically: temp file, fsync, rename, directory fsync.
    fn persist(&self) -> Result<()> {
        let temp = self.path.join(temp_manifest_name(&self.prefix));
        let target = self.path.join(manifest_name(&self.prefix));
        let mut file = File::create(&temp).map_err(|e| io(&temp, e))?;
        file.write_all(self.manifest.to_string().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io(&temp, e))?;
        fs::rename(&temp, &target).map_err(|e| io(&target, e))?;
        sync_dir(&self.path)
    }
}

/// fsync of a directory, so that renames and creations in it are durable.
fn sync_dir(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrodis-aofdir-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &AofDir) -> Vec<String> {
        dir.manifest()
            .to_string()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn create_then_rewrite_switches_base_and_deletes_history() {
        let data = scratch("rewrite");
        let path = data.join("appendonlydir");
        let mut dir = AofDir::create(&path, "appendonly.aof", false, |_| Ok(())).unwrap();
        assert_eq!(
            names(&dir),
            [
                "file appendonly.aof.1.base.aof seq 1 type b",
                "file appendonly.aof.1.incr.aof seq 1 type i"
            ]
        );
        assert_eq!(
            dir.current_incr().unwrap(),
            path.join("appendonly.aof.1.incr.aof")
        );
        let incr = dir.new_incr().unwrap();
        assert_eq!(incr, path.join("appendonly.aof.2.incr.aof"));
        let temp = path.join("temp-rewrite.aof");
        fs::write(&temp, b"*1\r\n$4\r\nPING\r\n").unwrap();
        dir.finish_rewrite(&temp, &incr, false).unwrap();
        assert_eq!(
            names(&dir),
            [
                "file appendonly.aof.2.base.aof seq 2 type b",
                "file appendonly.aof.2.incr.aof seq 2 type i"
            ]
        );
        let mut left: Vec<String> = fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "appendonly.aof.2.base.aof",
                "appendonly.aof.2.incr.aof",
                "appendonly.aof.manifest"
            ]
        );
        // Reopened from disk: the same files, base first, last marked.
        let again = AofDir::open(&path, "appendonly.aof").unwrap().unwrap();
        let files = again.files_to_load().unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!((files[0].kind, files[0].last), (FileKind::Base, false));
        assert_eq!((files[1].kind, files[1].last), (FileKind::Incr, true));
        assert_eq!(files[0].format().unwrap(), Format::Commands);
        fs::remove_dir_all(&data).unwrap();
    }

    #[test]
    fn legacy_file_is_upgraded_and_an_interrupted_upgrade_finished() {
        let data = scratch("legacy");
        let path = data.join("appendonlydir");
        assert!(AofDir::upgrade_legacy(&data, &path, "appendonly.aof")
            .unwrap()
            .is_none());
        fs::write(data.join("appendonly.aof"), b"REDIS0010...").unwrap();
        let mut dir = AofDir::upgrade_legacy(&data, &path, "appendonly.aof")
            .unwrap()
            .unwrap();
        assert_eq!(names(&dir), ["file appendonly.aof seq 1 type b"]);
        assert!(!data.join("appendonly.aof").exists());
        let files = dir.files_to_load().unwrap();
        assert_eq!(files[0].format().unwrap(), Format::Rdb);
        assert!(files[0].last);
        assert_eq!(
            dir.current_incr().unwrap(),
            path.join("appendonly.aof.1.incr.aof")
        );

        // A crash after the manifest but before the move: the next start moves it.
        fs::rename(path.join("appendonly.aof"), data.join("appendonly.aof")).unwrap();
        let dir = AofDir::upgrade_legacy(&data, &path, "appendonly.aof")
            .unwrap()
            .unwrap();
        assert!(path.join("appendonly.aof").exists());
        assert_eq!(dir.files_to_load().unwrap().len(), 2);
        fs::remove_dir_all(&data).unwrap();
    }

    #[test]
    fn a_missing_file_is_named() {
        let data = scratch("missing");
        let path = data.join("appendonlydir");
        AofDir::create(&path, "appendonly.aof", true, |_| Ok(())).unwrap();
        fs::remove_file(path.join("appendonly.aof.1.incr.aof")).unwrap();
        let dir = AofDir::open(&path, "appendonly.aof").unwrap().unwrap();
        assert_eq!(
            dir.files_to_load().unwrap_err().to_string(),
            "The AOF file appendonly.aof.1.incr.aof doesn't exist"
        );
        fs::remove_dir_all(&data).unwrap();
    }
}
