//! Reading an AOF's commands: a sans-IO parser of its RESP records and a loader that
//! groups MULTI ... EXEC blocks and tells a clean end from a truncated one.
//!
//! The format, as Redis 7.0's `loadSingleAppendOnlyFile()` accepts it:
//!
//! ```text
//! #TS:1700000000\r\n                       an annotation: a line starting with '#'
//! *<argc>\r\n                              a command: argc >= 1 ...
//! $<len>\r\n<len bytes>\r\n                ... then argc bulk strings
//! ```
//!
//! Anything else where a record starts (an inline command, a RESP type other than
//! `*`, a bulk header without `$`, a bulk without its CRLF) is "Bad file format".
//! A file that ends in the middle of a record is truncated; one that ends inside
//! MULTI is a transaction that never committed. Both leave a valid prefix, which
//! `aof-load-truncated yes` keeps (Redis truncates the file to it).
//!
//! No I/O: the caller appends the file's bytes to a [`BytesMut`] and calls
//! [`Loader::next`] until it returns `Ok(None)`, then [`Loader::finish`] at the end.
//! Nothing is allocated for a length before its bytes are in the buffer.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, Result};

/// The longest header line (`*<argc>` / `$<len>` / an annotation) before the parser
/// calls the file corrupt instead of waiting for its CRLF.
const MAX_LINE: usize = 64 * 1024;

/// One record of an AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A command, name first.
    Command(Vec<Bytes>),
    /// An annotation line without its `#` and CRLF (`TS:1700000000`).
    Annotation(Bytes),
}

/// What a [`Loader`] yields: what to apply to the keyspace, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// A command outside any transaction.
    Command(Vec<Bytes>),
    /// The commands between a MULTI and its EXEC (neither included).
    Transaction(Vec<Vec<Bytes>>),
}

/// How an AOF ended, from [`Loader::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// After a complete record, outside a transaction.
    Clean,
    /// In the middle of a record: only the first `valid_len` bytes hold complete
    /// commands (Redis: "short read while loading the AOF file").
    Truncated {
        /// Length of the valid prefix.
        valid_len: u64,
    },
    /// After a MULTI whose EXEC never came: the transaction is dropped and the
    /// file is valid up to the MULTI (Redis: "Revert incomplete MULTI/EXEC
    /// transaction in AOF file").
    IncompleteMulti {
        /// Length of the valid prefix.
        valid_len: u64,
    },
}

/// Parses one record at the start of `buf`: `Ok(None)` if it is not complete yet.
/// `offset` is `buf`'s position in the file, for error messages.
pub fn parse_record(buf: &[u8], offset: u64) -> Result<Option<(Record, usize)>> {
    let bad = |at: usize| Error::BadFormat {
        offset: offset + at as u64,
    };
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let Some(line_end) = find_crlf(buf, 0) else {
        return if buf.len() > MAX_LINE {
            Err(bad(0))
        } else {
            Ok(None)
        };
    };
    if first == b'#' {
        let text = Bytes::copy_from_slice(&buf[1..line_end]);
        return Ok(Some((Record::Annotation(text), line_end + 2)));
    }
    if first != b'*' {
        return Err(bad(0));
    }
    let argc = parse_len(&buf[1..line_end])
        .filter(|&n| n >= 1)
        .ok_or(bad(0))?;
    let mut at = line_end + 2;
    // Grows with the arguments actually present: a huge argc allocates nothing.
    let mut argv = Vec::with_capacity(argc.min(16));
    for _ in 0..argc {
        let Some(&dollar) = buf.get(at) else {
            return Ok(None);
        };
        if dollar != b'$' {
            return Err(bad(at));
        }
        let Some(end) = find_crlf(buf, at) else {
            return if buf.len() - at > MAX_LINE {
                Err(bad(at))
            } else {
                Ok(None)
            };
        };
        let len = parse_len(&buf[at + 1..end]).ok_or(bad(at))?;
        let data = end + 2;
        let Some(stop) = data
            .checked_add(len)
            .filter(|s| s.saturating_add(2) <= buf.len())
        else {
            return Ok(None);
        };
        if &buf[stop..stop + 2] != b"\r\n" {
            return Err(bad(stop));
        }
        argv.push(Bytes::copy_from_slice(&buf[data..stop]));
        at = stop + 2;
    }
    Ok(Some((Record::Command(argv), at)))
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    let limit = rest.len().min(MAX_LINE + 2);
    rest[..limit]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| from + p)
}

/// A decimal length: digits only (Redis uses `strtol` and rejects what is left over
/// or negative; a sign or space here is corruption just the same).
fn parse_len(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(usize::from(d - b'0')))
            .flatten()
    })
}

/// Reads the commands of one AOF (a `.base.aof` or `.incr.aof` file, or a legacy
/// `appendonly.aof` after its RDB preamble), grouping transactions.
#[derive(Debug, Default)]
pub struct Loader {
    /// The file offset of the buffer's first byte.
    offset: u64,
    /// The end of the last command that committed (outside MULTI or its EXEC).
    valid_len: u64,
    /// The open transaction's commands.
    multi: Option<Vec<Vec<Bytes>>>,
}

impl Loader {
    /// A loader at the start of a file.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// A loader for bytes that start at `offset` of the file (after an RDB preamble).
    pub fn at(offset: u64) -> Loader {
        Loader {
            offset,
            valid_len: offset,
            multi: None,
        }
    }

    /// The next thing to apply, consuming its bytes from `buf`; `Ok(None)` when
    /// `buf` holds no complete record (append more, or call [`Loader::finish`]).
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Loaded>> {
        loop {
            let Some((record, used)) = parse_record(buf, self.offset)? else {
                return Ok(None);
            };
            buf.advance(used);
            self.offset += used as u64;
            let Record::Command(argv) = record else {
                if self.multi.is_none() {
                    self.valid_len = self.offset;
                }
                continue;
            };
            let name = &argv[0];
            if name.eq_ignore_ascii_case(b"MULTI") {
                if self.multi.is_some() {
                    // Redis's fake client replies "MULTI calls can not be nested"
                    // and loading fails on that error reply.
                    return Err(Error::NestedMulti {
                        offset: self.offset - used as u64,
                    });
                }
                self.multi = Some(Vec::new());
                continue;
            }
            if name.eq_ignore_ascii_case(b"EXEC") {
                let Some(queued) = self.multi.take() else {
                    return Err(Error::ExecWithoutMulti {
                        offset: self.offset - used as u64,
                    });
                };
                self.valid_len = self.offset;
                return Ok(Some(Loaded::Transaction(queued)));
            }
            match &mut self.multi {
                Some(queued) => queued.push(argv),
                None => {
                    self.valid_len = self.offset;
                    return Ok(Some(Loaded::Command(argv)));
                }
            }
        }
    }

    /// How the file ended, given what is left in `buf` once the whole file was fed.
    pub fn finish(&self, buf: &[u8]) -> Ending {
        if !buf.is_empty() {
            Ending::Truncated {
                valid_len: self.valid_len,
            }
        } else if self.multi.is_some() {
            Ending::IncompleteMulti {
                valid_len: self.valid_len,
            }
        } else {
            Ending::Clean
        }
    }

    /// Bytes consumed so far (the offset of the next record).
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn load_all(file: &[u8]) -> (Result<Vec<Loaded>>, Ending) {
        let mut loader = Loader::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        // Feed a few bytes at a time: the loader must resume anywhere.
        for chunk in file.chunks(3) {
            buf.extend_from_slice(chunk);
            loop {
                match loader.next(&mut buf) {
                    Ok(Some(item)) => out.push(item),
                    Ok(None) => break,
                    Err(e) => return (Err(e), loader.finish(&buf)),
                }
            }
        }
        (Ok(out), loader.finish(&buf))
    }

    fn cmd(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    const FILE: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n\
*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n\
*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n*1\r\n$4\r\nEXEC\r\n";

    #[test]
    fn commands_annotations_and_transactions() {
        let (items, end) = load_all(FILE);
        assert_eq!(end, Ending::Clean);
        assert_eq!(
            items.unwrap(),
            [
                Loaded::Command(cmd(&["SELECT", "0"])),
                Loaded::Command(cmd(&["SET", "a", "1"])),
                Loaded::Transaction(vec![cmd(&["SET", "b", ""]), cmd(&["INCR", "c"])]),
            ]
        );
    }

    #[test]
    fn every_cut_is_truncated_or_an_incomplete_multi_never_an_error() {
        let (full, _) = load_all(FILE);
        let full = full.unwrap();
        let boundaries = [0, 23, 39, 66, 81, 107, 128, FILE.len()];
        for cut in 0..=FILE.len() {
            let (items, end) = load_all(&FILE[..cut]);
            let items = items.unwrap();
            let valid = match end {
                Ending::Clean => cut as u64,
                Ending::Truncated { valid_len } | Ending::IncompleteMulti { valid_len } => {
                    valid_len
                }
            };
            // The valid prefix is the last committed boundary at or before the cut,
            // and loading it gives exactly the items before it.
            let last = *boundaries.iter().filter(|&&b| b <= cut).max().unwrap();
            let committed = [0, 23, 39, 66, FILE.len()];
            let want_valid = *committed.iter().filter(|&&b| b <= last).max().unwrap();
            assert_eq!(valid, want_valid as u64, "cut at {cut}");
            let (again, end) = load_all(&FILE[..want_valid]);
            assert_eq!(end, Ending::Clean, "cut at {cut}");
            assert_eq!(again.unwrap(), items, "cut at {cut}");
            assert!(full.starts_with(&items));
        }
    }

    #[test]
    fn corruption_is_reported_with_its_offset() {
        let cases: &[(&[u8], u64)] = &[
            (b"SET a 1\r\n", 0),
            (b"*1\r\n$4\r\nPING\r\n+OK\r\n", 14),
            (b"*0\r\n", 0),
            (b"*-1\r\n", 0),
            (b"*1\r\n:4\r\nPING\r\n", 4),
            (b"*1\r\n$4\r\nPINGXX", 12),
            (b"*1\r\n$x\r\nPING\r\n", 4),
            (b"*99999999999999999999\r\n", 0),
        ];
        for (file, offset) in cases {
            let (items, _) = load_all(file);
            assert_eq!(
                items.unwrap_err().to_string(),
                Error::BadFormat { offset: *offset }.to_string(),
                "{:?}",
                String::from_utf8_lossy(file)
            );
        }
        let (items, _) = load_all(b"*1\r\n$4\r\nEXEC\r\n");
        assert!(matches!(items, Err(Error::ExecWithoutMulti { offset: 0 })));
        let (items, _) = load_all(b"*1\r\n$5\r\nMULTI\r\n*1\r\n$5\r\nMULTI\r\n");
        assert!(matches!(items, Err(Error::NestedMulti { offset: 15 })));
    }

    #[test]
    fn absurd_lengths_wait_for_bytes_instead_of_allocating() {
        let file = b"*2147483647\r\n$4294967296\r\nab";
        let (items, end) = load_all(file);
        assert!(items.unwrap().is_empty());
        assert_eq!(end, Ending::Truncated { valid_len: 0 });
        let endless = vec![b'*'; MAX_LINE + 10];
        assert!(matches!(
            load_all(&endless).0,
            Err(Error::BadFormat { offset: 0 })
        ));
    }
}
