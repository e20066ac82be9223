//! The Redis 7 multi-part AOF manifest (`appendonlydir/appendonly.aof.manifest`).
//!
//! ```text
//! One file per line, '\n'-terminated, words quoted as in quoting.rs:
//!
//!   file <name> seq <n> type <b|h|i>\n
//!
//! Written (getAofManifestAsString): the base first, then history, then incr.
//! Read (aofLoadManifestFromFile), line by line, each at most 1023 bytes plus '\n':
//!   - a line starting with '#' is skipped;
//!   - the line is trimmed of " \t\r\n" and split; it needs an even number of
//!     at least 6 words: key/value pairs, keys case-insensitive, unknown keys
//!     ignored (forward compatibility), the last of a repeated key wins;
//!   - file, seq and type must all be there; seq is above 0;
//!   - at most one base; incr seqs strictly increase in file order.
//! ```
//!
//! Deliberately stricter than Redis, which reads `seq` with `atoll` and `type`
//! by its first character: here `seq` must be decimal digits within 1..=i64::MAX
//! and `type` one character, the only forms Redis writes. Names must also be
//! non-empty UTF-8 without NUL.

use std::fmt;

use crate::quoting::{needs_quotes, push_quoted, split_args};
use crate::{Error, Result};

/// `MANIFEST_MAX_LINE`: Redis's `fgets` buffer holds this many bytes of a line,
/// its `\n` included.
const MAX_LINE: usize = 1024;
/// Keys of a manifest line (`AOF_MANIFEST_KEY_FILE_*`).
const KEY_FILE: &str = "file";
const KEY_SEQ: &str = "seq";
const KEY_TYPE: &str = "type";
/// Redis keeps `seq` in a `long long`.
const MAX_SEQ: u64 = i64::MAX as u64;

/// What an AOF file holds (`AOF_FILE_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `b`: the snapshot of the last rewrite (RDB preamble or commands).
    Base,
    /// `h`: a base or incr file replaced by a rewrite, awaiting deletion.
    History,
    /// `i`: commands since the last rewrite.
    Incr,
}

impl FileKind {
    /// The manifest's letter for this kind.
    pub fn as_char(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }

    fn from_byte(b: u8) -> Option<FileKind> {
        match b {
            b'b' => Some(FileKind::Base),
            b'h' => Some(FileKind::History),
            b'i' => Some(FileKind::Incr),
            _ => None,
        }
    }
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManifestEntry {
    /// The file's name inside the AOF directory.
    pub name: String,
    /// Its sequence number.
    pub seq: u64,
    /// What it holds.
    pub kind: FileKind,
}

/// A parsed manifest, in the order Redis writes it: base, history, incr.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Manifest {
    /// The files, in written order.
    pub files: Vec<ManifestEntry>,
}

impl Manifest {
    /// Parses a manifest as Redis 7.0 loads it, with Redis's error texts.
    ///
    /// The result is in Redis's order (base, history, incr, each keeping its
    /// lines' order), so `to_string()` gives back what Redis would write.
    pub fn parse(text: &str) -> Result<Manifest> {
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(Error::EmptyManifest);
        }
        let (mut base, mut history, mut incr) = (None, Vec::new(), Vec::<ManifestEntry>::new());
        let mut pos = 0;
        let mut line = 0;
        while pos < bytes.len() {
            // fgets: up to and including '\n', at most MAX_LINE bytes.
            let window = &bytes[pos..bytes.len().min(pos + MAX_LINE)];
            let taken = window
                .iter()
                .position(|&b| b == b'\n')
                .map_or(window.len(), |i| i + 1);
            let chunk = &window[..taken];
            pos += taken;
            line += 1;
            if chunk.first() == Some(&b'#') {
                continue;
            }
            // Redis looks for the newline with strchr and builds the line with
            // sdsnew, so both stop at a NUL byte.
            let chunk = chunk.split(|&b| b == 0).next().unwrap_or_default();
            if !chunk.contains(&b'\n') {
                return Err(Error::LineTooLong { line });
            }
            let entry = parse_line(chunk, line)?;
            match entry.kind {
                FileKind::Base => {
                    if base.is_some() {
                        return Err(Error::DuplicateBase { line });
                    }
                    base = Some(entry);
                }
                FileKind::History => history.push(entry),
                FileKind::Incr => {
                    if incr.last().is_some_and(|last| entry.seq <= last.seq) {
                        return Err(Error::NonMonotonicSeq { line });
                    }
                    incr.push(entry);
                }
            }
        }
        let files = base.into_iter().chain(history).chain(incr).collect();
        Ok(Manifest { files })
    }

    /// The base file, if any.
    pub fn base(&self) -> Option<&ManifestEntry> {
        self.files.iter().find(|f| f.kind == FileKind::Base)
    }

    /// The history files, in order.
    pub fn history(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.files.iter().filter(|f| f.kind == FileKind::History)
    }

    /// The incr files, in order.
    pub fn incrs(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.files.iter().filter(|f| f.kind == FileKind::Incr)
    }

    /// Written order: the base (every one, so [`Manifest::validate`] sees
    /// duplicates), then history, then incr files.
    fn written(&self) -> impl Iterator<Item = &ManifestEntry> {
        let bases = self.files.iter().filter(|f| f.kind == FileKind::Base);
        bases.chain(self.history()).chain(self.incrs())
    }

    /// Checks what [`Manifest::parse`] checks, for a manifest built in code,
    /// and that every line fits Redis's line buffer once written. Errors name
    /// the line the entry would be written on.
    pub fn validate(&self) -> Result<()> {
        let mut bases = 0;
        let mut last_incr = None;
        for (i, entry) in self.written().enumerate() {
            let line = i + 1;
            check_name(entry.name.as_bytes(), line)?;
            if entry.seq == 0 || entry.seq > MAX_SEQ {
                return Err(Error::InvalidFormat { line });
            }
            // Redis could not read a longer line back.
            if format_line(entry).len() > MAX_LINE {
                return Err(Error::LineTooLong { line });
            }
            match entry.kind {
                FileKind::Base => {
                    bases += 1;
                    if bases > 1 {
                        return Err(Error::DuplicateBase { line });
                    }
                }
                FileKind::History => {}
                FileKind::Incr => {
                    if last_incr.is_some_and(|last| entry.seq <= last) {
                        return Err(Error::NonMonotonicSeq { line });
                    }
                    last_incr = Some(entry.seq);
                }
            }
        }
        Ok(())
    }
}

/// `aofInfoFormat` for every file, base first, then history, then incr.
impl fmt::Display for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in self.written() {
            f.write_str(&format_line(entry))?;
        }
        Ok(())
    }
}

/// One manifest line, `\n` included (`aofInfoFormat`).
fn format_line(entry: &ManifestEntry) -> String {
    let mut name = String::new();
    if needs_quotes(entry.name.as_bytes()) {
        push_quoted(entry.name.as_bytes(), &mut name);
    } else {
        name.push_str(&entry.name);
    }
    format!(
        "{KEY_FILE} {name} {KEY_SEQ} {} {KEY_TYPE} {}\n",
        entry.seq,
        entry.kind.as_char()
    )
}

/// One non-comment line, `\n` included.
fn parse_line(chunk: &[u8], line: usize) -> Result<ManifestEntry> {
    let trimmed = trim(chunk);
    if trimmed.is_empty() {
        return Err(Error::InvalidFormat { line });
    }
    let words = split_args(trimmed).ok_or(Error::InvalidFormat { line })?;
    // 'argc < 6' in Redis, for forward compatibility with more keys.
    if words.len() < 6 || words.len() % 2 != 0 {
        return Err(Error::InvalidFormat { line });
    }
    let (mut name, mut seq, mut kind) = (None, None, None);
    for pair in words.chunks_exact(2) {
        let [key, value] = pair else { continue };
        if key.eq_ignore_ascii_case(KEY_FILE.as_bytes()) {
            // Redis rejects a path as soon as it reads it.
            check_path(value, line)?;
            name = Some(value);
        } else if key.eq_ignore_ascii_case(KEY_SEQ.as_bytes()) {
            seq = Some(value);
        } else if key.eq_ignore_ascii_case(KEY_TYPE.as_bytes()) {
            kind = Some(value);
        }
    }
    let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
        return Err(Error::InvalidFormat { line });
    };
    check_name(name, line)?;
    let name = String::from_utf8(name.clone()).map_err(|_| Error::InvalidFormat { line })?;
    let seq = parse_seq(seq).ok_or(Error::InvalidFormat { line })?;
    let kind = match kind.as_slice() {
        [] => return Err(Error::InvalidFormat { line }),
        [b] => FileKind::from_byte(*b).ok_or(Error::UnknownFileType { line })?,
        _ => return Err(Error::UnknownFileType { line }),
    };
    Ok(ManifestEntry { name, seq, kind })
}

/// `sdstrim(line, " \t\r\n")`.
fn trim(mut s: &[u8]) -> &[u8] {
    let cut = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while let [first, rest @ ..] = s {
        if !cut(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !cut(last) {
            break;
        }
        s = rest;
    }
    s
}

/// `pathIsBaseName`: no `/` and no `\`.
fn check_path(name: &[u8], line: usize) -> Result<()> {
    if name.iter().any(|&b| b == b'/' || b == b'\\') {
        return Err(Error::FileNameIsPath { line });
    }
    Ok(())
}

fn check_name(name: &[u8], line: usize) -> Result<()> {
    check_path(name, line)?;
    if name.is_empty() || name.contains(&0) {
        return Err(Error::InvalidFormat { line });
    }
    Ok(())
}

fn parse_seq(word: &[u8]) -> Option<u64> {
    if word.is_empty() || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seq: u64 = std::str::from_utf8(word).ok()?.parse().ok()?;
    (1..=MAX_SEQ).contains(&seq).then_some(seq)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(name: &str, seq: u64, kind: FileKind) -> ManifestEntry {
        ManifestEntry {
            name: name.into(),
            seq,
            kind,
        }
    }

    /// The example in aof.c's comment block.
    const REDIS_SAMPLE: &str = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                                file appendonly.aof.1.incr.aof seq 1 type h\n\
                                file appendonly.aof.2.incr.aof seq 2 type h\n\
                                file appendonly.aof.3.incr.aof seq 3 type h\n\
                                file appendonly.aof.4.incr.aof seq 4 type i\n\
                                file appendonly.aof.5.incr.aof seq 5 type i\n";

    #[test]
    fn parses_and_writes_redis_sample() {
        let m = Manifest::parse(REDIS_SAMPLE).unwrap();
        assert_eq!(m.files.len(), 6);
        assert_eq!(
            m.base(),
            Some(&entry("appendonly.aof.2.base.rdb", 2, FileKind::Base))
        );
        assert_eq!(m.history().count(), 3);
        let incr: Vec<u64> = m.incrs().map(|e| e.seq).collect();
        assert_eq!(incr, [4, 5]);
        assert_eq!(m.to_string(), REDIS_SAMPLE);
        m.validate().unwrap();
    }

    #[test]
    fn upgraded_legacy_aof_manifest() {
        // What Redis writes after moving an old appendonly.aof into appendonlydir
        // (aof-multi-part.tcl, "can load data from old version redis").
        let text =
            "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.files,
            [
                entry("appendonly.aof", 1, FileKind::Base),
                entry("appendonly.aof.1.incr.aof", 1, FileKind::Incr)
            ]
        );
        assert_eq!(m.to_string(), text);
    }

    #[test]
    fn writes_in_redis_order_whatever_the_input_order() {
        let text = "file a.incr seq 3 type i\nfile old seq 1 type h\nfile a.base seq 2 type b\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.to_string(),
            "file a.base seq 2 type b\nfile old seq 1 type h\nfile a.incr seq 3 type i\n"
        );
    }

    #[test]
    fn names_with_spaces_are_quoted_like_redis() {
        // aof-multi-part.tcl: appendfilename "\" file seq \\n\\n.aof \"".
        let m = Manifest {
            files: vec![
                entry(" file seq \n\n.aof .2.base.rdb", 2, FileKind::Base),
                entry(" file seq \n\n.aof .2.incr.aof", 2, FileKind::Incr),
            ],
        };
        let text = m.to_string();
        assert_eq!(
            text,
            "file \" file seq \\n\\n.aof .2.base.rdb\" seq 2 type b\n\
             file \" file seq \\n\\n.aof .2.incr.aof\" seq 2 type i\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), m);
    }

    #[test]
    fn accepts_what_redis_accepts() {
        let text = "# a comment\n\
                    FILE x.base SEQ 7 TYPE b extra-key extra-value\n\
                    \t file 'y.incr' seq 8 type i \r\n\
                    file first seq 9 type i file z.incr\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.files,
            [
                entry("x.base", 7, FileKind::Base),
                entry("y.incr", 8, FileKind::Incr),
                entry("z.incr", 9, FileKind::Incr)
            ]
        );
        // Only comments: no files, but not empty either.
        assert_eq!(Manifest::parse("# nothing\n").unwrap(), Manifest::default());
        // A line of exactly 1023 bytes plus its newline fits.
        let name = "n".repeat(MAX_LINE - 1 - "file  seq 1 type b".len());
        let long = format!("file {name} seq 1 type b\n");
        assert_eq!(long.len(), MAX_LINE);
        assert_eq!(Manifest::parse(&long).unwrap().files[0].name, name);
    }

    #[test]
    fn every_error_of_aof_c() {
        let cases: &[(&str, Error)] = &[
            ("", Error::EmptyManifest),
            // Redis's tests: blank line, missing key, too short, odd parameter.
            (
                "file a seq 1 type i\n\nfile b seq 3 type i\n",
                Error::InvalidFormat { line: 2 },
            ),
            (
                "filx a.base seq 1 type b\nfile a seq 1 type i\n",
                Error::InvalidFormat { line: 1 },
            ),
            (
                "file a seq 1 type b\nfile b type i\n",
                Error::InvalidFormat { line: 2 },
            ),
            (
                "file a seq 1 type b\nfile b seq 1 type i newkey\n",
                Error::InvalidFormat { line: 2 },
            ),
            ("file \"a seq 1 type b\n", Error::InvalidFormat { line: 1 }),
            ("file a seq 0 type b\n", Error::InvalidFormat { line: 1 }),
            ("file a seq 1x type b\n", Error::InvalidFormat { line: 1 }),
            ("file a seq -1 type b\n", Error::InvalidFormat { line: 1 }),
            (
                "file a seq 9223372036854775808 type b\n",
                Error::InvalidFormat { line: 1 },
            ),
            ("file a seq 1 type \"\"\n", Error::InvalidFormat { line: 1 }),
            ("file \"\" seq 1 type b\n", Error::InvalidFormat { line: 1 }),
            (
                "file \"\\xff\" seq 1 type b\n",
                Error::InvalidFormat { line: 1 },
            ),
            ("file a seq 1 type b", Error::LineTooLong { line: 1 }),
            ("file a\0 seq 1 type b\n", Error::LineTooLong { line: 1 }),
            (
                "file dir/a seq 1 type b\n",
                Error::FileNameIsPath { line: 1 },
            ),
            (
                "file dir\\a seq 1 type b\n",
                Error::FileNameIsPath { line: 1 },
            ),
            (
                "file a seq 1 type b\nfile b seq 2 type b\n",
                Error::DuplicateBase { line: 2 },
            ),
            (
                "file a seq 2 type i\nfile b seq 2 type i\n",
                Error::NonMonotonicSeq { line: 2 },
            ),
            ("file a seq 1 type x\n", Error::UnknownFileType { line: 1 }),
            (
                "file a seq 1 type base\n",
                Error::UnknownFileType { line: 1 },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                Manifest::parse(text).unwrap_err().to_string(),
                want.to_string(),
                "{text:?}"
            );
        }
        let too_long = format!("file {} seq 1 type b\n", "n".repeat(MAX_LINE));
        assert_eq!(
            Manifest::parse(&too_long).unwrap_err().to_string(),
            Error::LineTooLong { line: 1 }.to_string()
        );
    }

    #[test]
    fn error_texts_start_with_redis_log_lines() {
        assert_eq!(
            Manifest::parse("\n").unwrap_err().to_string(),
            "Invalid AOF manifest file format (manifest line 1)"
        );
        assert_eq!(
            Manifest::parse("").unwrap_err().to_string(),
            "Found an empty AOF manifest"
        );
    }

    #[test]
    fn validate_checks_built_manifests() {
        let ok = Manifest {
            files: vec![
                entry("b", 1, FileKind::Base),
                entry("i1", 1, FileKind::Incr),
                entry("i2", 2, FileKind::Incr),
            ],
        };
        ok.validate().unwrap();
        let bad =
            |files: Vec<ManifestEntry>| Manifest { files }.validate().unwrap_err().to_string();
        assert_eq!(
            bad(vec![
                entry("b", 1, FileKind::Base),
                entry("c", 2, FileKind::Base)
            ]),
            Error::DuplicateBase { line: 2 }.to_string()
        );
        assert_eq!(
            bad(vec![
                entry("i", 2, FileKind::Incr),
                entry("j", 1, FileKind::Incr)
            ]),
            Error::NonMonotonicSeq { line: 2 }.to_string()
        );
        // Lines count in written order: the base goes first.
        assert_eq!(
            bad(vec![
                entry("i", 1, FileKind::Incr),
                entry("a/b", 1, FileKind::Base)
            ]),
            Error::FileNameIsPath { line: 1 }.to_string()
        );
        assert_eq!(
            bad(vec![entry("", 1, FileKind::Base)]),
            Error::InvalidFormat { line: 1 }.to_string()
        );
        assert_eq!(
            bad(vec![entry("a", 0, FileKind::Base)]),
            Error::InvalidFormat { line: 1 }.to_string()
        );
        assert_eq!(
            bad(vec![entry("a", u64::MAX, FileKind::Base)]),
            Error::InvalidFormat { line: 1 }.to_string()
        );
        assert_eq!(
            bad(vec![entry(&"\n".repeat(600), 1, FileKind::Base)]),
            Error::LineTooLong { line: 1 }.to_string()
        );
    }

    fn name() -> impl Strategy<Value = String> {
        // Any UTF-8 without NUL and path separators, including spaces, quotes and
        // control characters that need quoting.
        proptest::string::string_regex("[^\\x00/\\\\]{1,20}").unwrap()
    }

    fn manifest() -> impl Strategy<Value = Manifest> {
        let seq = 1..=MAX_SEQ;
        (
            proptest::option::of((name(), seq.clone())),
            proptest::collection::vec((name(), seq.clone()), 0..4),
            proptest::collection::btree_set(seq, 0..4),
            proptest::collection::vec(name(), 4),
        )
            .prop_map(|(base, history, incr, incr_names)| {
                let mut files = Vec::new();
                if let Some((name, seq)) = base {
                    files.push(ManifestEntry {
                        name,
                        seq,
                        kind: FileKind::Base,
                    });
                }
                for (name, seq) in history {
                    files.push(ManifestEntry {
                        name,
                        seq,
                        kind: FileKind::History,
                    });
                }
                for (seq, name) in incr.into_iter().zip(incr_names) {
                    files.push(ManifestEntry {
                        name,
                        seq,
                        kind: FileKind::Incr,
                    });
                }
                Manifest { files }
            })
    }

    proptest! {
        #[test]
        fn round_trip(m in manifest()) {
            prop_assume!(!m.files.is_empty());
            m.validate().unwrap();
            let text = m.to_string();
            prop_assert_eq!(Manifest::parse(&text).unwrap(), m);
        }

        #[test]
        fn never_panics(text in "(file|seq|type|[ \"'\\\\#\\n\\r\\tabhi0-9x])*") {
            let _ = Manifest::parse(&text);
        }
    }
}
