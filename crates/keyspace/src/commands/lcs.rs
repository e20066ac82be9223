//! LCS (t_string.c): the longest common subsequence of two strings, its length, or
//! the matching ranges.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, parse_int, Ctx};
use crate::error::{Error, Result};
use crate::spec::CommandSpec;

pub(super) const LCS: CommandSpec = CommandSpec {
    name: "lcs",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@read", "@string", "@slow"],
    group: "string",
    summary: "Find longest common substring",
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
    syntax: "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]",
};

/// The options after the two keys.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Options {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: i64,
}

impl Options {
    fn parse(args: &[Bytes]) -> Result<Options> {
        let mut opts = Options::default();
        let mut args = args.iter();
        while let Some(opt) = args.next() {
            if opt.eq_ignore_ascii_case(b"idx") {
                opts.idx = true;
            } else if opt.eq_ignore_ascii_case(b"len") {
                opts.len = true;
            } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
                opts.with_match_len = true;
            } else if let (true, Some(n)) = (
                opt.eq_ignore_ascii_case(b"minmatchlen"),
                args.as_slice().first(),
            ) {
                // A negative minimum means no minimum.
                opts.min_match_len = parse_int(n)?.max(0);
                args.next();
            } else {
                return Err(Error::Syntax);
            }
        }
        if opts.len && opts.idx {
            return Err(Error::LcsLenAndIdx);
        }
        Ok(opts)
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the subsequence as a
/// string; with LEN its length; with IDX a map of the matching ranges (`matches`,
/// from the end of the strings backwards) and `len`.
pub(super) fn lcs(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    // Both keys are looked up (and counted as hits or misses) before anything is
    // checked; a missing key is an empty string.
    let a = string_at(ctx, &argv[1]);
    let b = string_at(ctx, &argv[2]);
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Error::LcsWrongType);
    };
    let opts = Options::parse(&argv[3..])?;
    let (alen, blen) = (a.len(), b.len());
    if alen as u64 >= u64::from(u32::MAX - 1) || blen as u64 >= u64::from(u32::MAX - 1) {
        return Err(Error::LcsTooLong);
    }
    // Redis builds a table of (alen + 1) * (blen + 1) u32 counters, and refuses one
    // larger than proto-max-bulk-len; LEN alone needs only two rows of it, but the
    // same limit applies so that the same commands fail.
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    let Some(table_bytes) = cells.checked_mul(4) else {
        return Err(Error::LcsAllocFailed);
    };
    if table_bytes > ctx.tunables.proto_max_bulk_len {
        return Err(Error::LcsTableTooLarge);
    }
    if opts.len {
        return Ok(int_reply(lcs_len(&a, &b)));
    }
    let table = Table::build(&a, &b).ok_or(Error::LcsAllocFailed)?;
    Ok(if opts.idx {
        table.matches(&a, &b, opts)
    } else {
        Frame::Bulk(table.subsequence(&a, &b))
    })
}

/// The string at `key` (empty when missing), or `None` for another type.
fn string_at(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Bytes> {
    match ctx.read(key) {
        None => Some(Bytes::new()),
        Some(entry) => entry.value().string_bytes().ok(),
    }
}

/// The length of the longest common subsequence, keeping two rows of the table.
fn lcs_len(a: &[u8], b: &[u8]) -> usize {
    let mut prev = vec![0u32; b.len() + 1];
    let mut row = vec![0u32; b.len() + 1];
    for &x in a {
        for (j, &y) in b.iter().enumerate() {
            row[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(row[j])
            };
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()] as usize
}

/// The dynamic-programming table: `at(i, j)` is the length of the longest common
/// subsequence of `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Option<Table> {
        let width = b.len() + 1;
        let size = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).ok()?;
        cells.resize(size, 0);
        for (i, &x) in a.iter().enumerate() {
            let (done, rest) = cells.split_at_mut((i + 1) * width);
            let prev = &done[i * width..];
            let row = &mut rest[..width];
            for (j, &y) in b.iter().enumerate() {
                row[j + 1] = if x == y {
                    prev[j] + 1
                } else {
                    prev[j + 1].max(row[j])
                };
            }
        }
        Some(Table { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// The subsequence, walking the table back from its last cell.
    fn subsequence(&self, a: &[u8], b: &[u8]) -> Bytes {
        let mut out = vec![0u8; self.at(a.len(), b.len()) as usize];
        let (mut i, mut j, mut k) = (a.len(), b.len(), out.len());
        while i > 0 && j > 0 {
            if a[i - 1] == b[j - 1] {
                k -= 1;
                out[k] = a[i - 1];
                i -= 1;
                j -= 1;
            } else if self.at(i - 1, j) > self.at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        Bytes::from(out)
    }

    /// The IDX reply: runs of consecutive matches, found walking back the way
    /// `subsequence` does (so the last ones come first), as Redis emits them.
    fn matches(&self, a: &[u8], b: &[u8], opts: Options) -> Frame {
        let total = self.at(a.len(), b.len());
        let mut matches = Vec::new();
        // The run being extended backwards: (a_start, a_end, b_start, b_end).
        let mut run: Option<(usize, usize, usize, usize)> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                match &mut run {
                    None => run = Some((i - 1, i - 1, j - 1, j - 1)),
                    Some(r) if r.0 == i && r.2 == j => {
                        r.0 -= 1;
                        r.2 -= 1;
                    }
                    // Unreachable (a gap always ends the run first); Redis emits.
                    Some(_) => emit = true,
                }
                // A run that reached the start of either string is complete.
                emit |= run.is_some_and(|r| r.0 == 0 || r.2 == 0);
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = run.is_some();
            }
            if !emit {
                continue;
            }
            if let Some((a_start, a_end, b_start, b_end)) = run.take() {
                let len = a_end - a_start + 1;
                if len as i64 >= opts.min_match_len {
                    let pair = |s: usize, e: usize| Frame::Array(vec![int_reply(s), int_reply(e)]);
                    let mut item = vec![pair(a_start, a_end), pair(b_start, b_end)];
                    if opts.with_match_len {
                        item.push(int_reply(len));
                    }
                    matches.push(Frame::Array(item));
                }
            }
        }
        Frame::Map(vec![
            (Frame::bulk("matches"), Frame::Array(matches)),
            (Frame::bulk("len"), Frame::Integer(i64::from(total))),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, Harness};
    use super::*;

    fn pair(s: i64, e: i64) -> Frame {
        Frame::Array(vec![int(s), int(e)])
    }

    fn idx_reply(matches: Vec<Frame>, len: i64) -> Frame {
        Frame::Map(vec![
            (Frame::bulk("matches"), Frame::Array(matches)),
            (Frame::bulk("len"), int(len)),
        ])
    }

    #[test]
    fn subsequence_and_length() {
        let mut h = Harness::new();
        h.run("mset key1 ohmytext key2 mynewtext");
        assert_eq!(h.run("lcs key1 key2"), bulk("mytext"));
        assert_eq!(h.run("lcs key1 key2 LEN"), int(6));
        assert_eq!(h.run("lcs key1 missing"), bulk(""));
        assert_eq!(h.run("lcs missing key2 len"), int(0));
        assert_eq!(h.run("lcs missing other"), bulk(""));
        h.run("set n 12345");
        h.run("set m 1x3y5");
        assert_eq!(h.run("lcs n m"), bulk("135"), "int-encoded strings as text");
        assert_eq!(h.run("lcs key1 key1"), bulk("ohmytext"));
    }

    #[test]
    fn idx_matches_redis() {
        let mut h = Harness::new();
        h.run("mset key1 ohmytext key2 mynewtext");
        // Redis 7.0.15's reply for the documentation's example.
        assert_eq!(
            h.run("lcs key1 key2 IDX"),
            idx_reply(
                vec![
                    Frame::Array(vec![pair(4, 7), pair(5, 8)]),
                    Frame::Array(vec![pair(2, 3), pair(0, 1)]),
                ],
                6
            )
        );
        assert_eq!(
            h.run("lcs key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN"),
            idx_reply(vec![Frame::Array(vec![pair(4, 7), pair(5, 8), int(4)])], 6)
        );
        assert_eq!(
            h.run("lcs key1 key2 idx minmatchlen -5 withmatchlen"),
            idx_reply(
                vec![
                    Frame::Array(vec![pair(4, 7), pair(5, 8), int(4)]),
                    Frame::Array(vec![pair(2, 3), pair(0, 1), int(2)]),
                ],
                6
            )
        );
        assert_eq!(h.run("lcs key1 missing IDX"), idx_reply(vec![], 0));
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        h.run("set s abc");
        h.run("rpush l a");
        let wrong = err("ERR The specified keys must contain string values");
        assert_eq!(h.run("lcs s l"), wrong);
        assert_eq!(h.run("lcs l s foo"), wrong, "the type comes first");
        assert_eq!(h.run("lcs s s foo"), err("ERR syntax error"));
        assert_eq!(h.run("lcs s s MINMATCHLEN"), err("ERR syntax error"));
        assert_eq!(
            h.run("lcs s s MINMATCHLEN x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("lcs s s LEN IDX"),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        let mut t = h.ks.tunables();
        t.proto_max_bulk_len = 4 * 4 * 4; // room for two strings of 3 bytes
        h.ks.set_tunables(t);
        assert_eq!(h.run("lcs s s"), bulk("abc"));
        h.run("set s abcd");
        assert_eq!(
            h.run("lcs s s len"),
            err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        );
    }

    #[test]
    fn two_rows_agree_with_the_table() {
        let words: [&[u8]; 6] = [b"", b"a", b"abcbdab", b"bdcaba", b"xyz", b"aaaaab"];
        for a in words {
            for b in words {
                let table = Table::build(a, b).map(|t| t.at(a.len(), b.len()));
                assert_eq!(table, Some(lcs_len(a, b) as u32));
                let sub = Table::build(a, b).map(|t| t.subsequence(a, b).len());
                assert_eq!(sub, Some(lcs_len(a, b)));
            }
        }
    }
}
