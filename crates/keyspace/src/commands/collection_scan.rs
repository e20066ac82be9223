//! HSCAN, SSCAN and ZSCAN (t_hash.c, t_set.c, t_zset.c; `scanGenericCommand()` in
//! db.c): incremental iteration over one collection, with SCAN's cursor and options.
//!
//! As in Redis 7.0, a compact encoding (listpack, intset) is returned whole in one
//! call with cursor 0, whatever cursor was given, since it is small; a hash table is
//! walked with a reverse-binary cursor over its buckets (`types/table_scan.rs`), so
//! that elements present for the whole iteration come back at least once.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::{format_double, Frame, DOUBLE_BUF_LEN};

use super::scan::{parse_cursor, scan_reply, ScanOptions};
use super::Ctx;
use crate::error::Result;
use crate::spec::CommandSpec;
use crate::types::set::Elem;

pub(super) const HSCAN: CommandSpec = CommandSpec {
    name: "hscan",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@hash", "@slow"],
    group: "hash",
    summary: "Incrementally iterate hash fields and associated values",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    syntax: "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
};

pub(super) const SSCAN: CommandSpec = CommandSpec {
    name: "sscan",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Incrementally iterate Set elements",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    syntax: "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
};

pub(super) const ZSCAN: CommandSpec = CommandSpec {
    name: "zscan",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@sortedset", "@slow"],
    group: "sorted-set",
    summary: "Incrementally iterate sorted sets elements and associated scores",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    syntax: "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
};

/// The elements of one reply, as bulk strings sharing one buffer (one allocation
/// for all the text rather than one per element).
struct Collected<'o> {
    opts: ScanOptions<'o>,
    text: BytesMut,
    /// End of each kept element's text in `text`.
    ends: Vec<usize>,
    /// Elements visited, kept or not: Redis's loop counts before filtering.
    seen: usize,
}

impl<'o> Collected<'o> {
    fn new(opts: ScanOptions<'o>) -> Collected<'o> {
        Collected {
            opts,
            text: BytesMut::new(),
            ends: Vec::new(),
            seen: 0,
        }
    }

    /// An element (a member, or a field or member with its value or score), kept if
    /// its first part passes MATCH.
    fn push(&mut self, first: &[u8], second: Option<&[u8]>) {
        self.seen += 1;
        if !self.opts.matches(first) {
            return;
        }
        for part in std::iter::once(first).chain(second) {
            self.text.extend_from_slice(part);
            self.ends.push(self.text.len());
        }
    }

    /// Calls `step` from `cursor` the way `scanGenericCommand()` calls `dictScan()`:
    /// until the iteration ends, COUNT elements were visited, or `10 * COUNT` more
    /// steps were taken (for a table left sparse by deletions). Redis doubles COUNT
    /// for hashes and sorted sets, whose elements it counts as two reply entries,
    /// so they get twice the steps (`pairs`).
    fn walk(
        &mut self,
        mut cursor: u64,
        pairs: bool,
        mut step: impl FnMut(u64, &mut Self) -> u64,
    ) -> u64 {
        let count = self.opts.count;
        let per_element = if pairs { 20 } else { 10 };
        let mut steps_left = count.saturating_mul(per_element);
        loop {
            cursor = step(cursor, self);
            if cursor == 0 || steps_left == 0 {
                return cursor;
            }
            steps_left -= 1;
            if self.seen >= count {
                return cursor;
            }
        }
    }

    fn reply(self, cursor: u64) -> Frame {
        let text = self.text.freeze();
        let mut start = 0;
        let frames = self
            .ends
            .into_iter()
            .map(|end| {
                let frame = Frame::Bulk(text.slice(start..end));
                start = end;
                frame
            })
            .collect();
        scan_reply(cursor, frames)
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: fields and values, flat.
pub(super) fn hscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let cursor = parse_cursor(&argv[2])?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let hash = entry.value().hash()?;
    let opts = ScanOptions::parse(&argv[3..], false)?;
    let mut out = Collected::new(opts);
    let cursor = out.walk(cursor, true, |c, out| {
        hash.scan(c, |(f, v)| out.push(f, Some(v)))
    });
    Ok(out.reply(cursor))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: members.
pub(super) fn sscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let cursor = parse_cursor(&argv[2])?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let set = entry.value().set()?;
    let opts = ScanOptions::parse(&argv[3..], false)?;
    let mut out = Collected::new(opts);
    let cursor = out.walk(cursor, false, |c, out| {
        set.scan(c, |e| match e {
            Elem::Int(v) => out.push(crate::num::format_i64(v, &mut [0; 20]), None),
            Elem::Bytes(b) => out.push(b, None),
        })
    });
    Ok(out.reply(cursor))
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: members and scores, flat, the
/// scores as bulk strings in `%.17g` form in RESP2 and RESP3 alike (Redis builds
/// them as string objects; -0 survives only in the large encoding, since the
/// listpack stores it as the integer 0).
pub(super) fn zscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let cursor = parse_cursor(&argv[2])?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let zset = entry.value().zset()?;
    let opts = ScanOptions::parse(&argv[3..], false)?;
    let mut out = Collected::new(opts);
    let cursor = out.walk(cursor, true, |c, out| {
        zset.scan(c, |member, score| {
            let mut buf = [0u8; DOUBLE_BUF_LEN];
            let len = format_double(score, &mut buf);
            out.push(member, Some(&buf[..len]));
        })
    });
    Ok(out.reply(cursor))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::test_support::{err, Harness};
    use super::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn split(reply: Frame) -> (String, Vec<String>) {
        let Frame::Array(parts) = reply else {
            panic!("not an array: {reply:?}")
        };
        let [Frame::Bulk(cursor), Frame::Array(items)] = &parts[..] else {
            panic!("bad shape: {parts:?}")
        };
        let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
        let items = items
            .iter()
            .map(|f| match f {
                Frame::Bulk(b) => text(b),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        (text(cursor), items)
    }

    /// Every item returned by a full iteration, and the number of calls.
    fn full(h: &mut Harness, command: &str, key: &str, options: &str) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut all = Vec::new();
        for calls in 1.. {
            let (next, items) = split(h.run(&format!("{command} {key} {cursor}{options}")));
            all.extend(items);
            if next == "0" {
                return (all, calls);
            }
            cursor = next;
        }
        unreachable!()
    }

    fn pairs(items: Vec<String>) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for p in items.chunks(2) {
            assert!(
                map.insert(p[0].clone(), p[1].clone()).is_none(),
                "{p:?} twice"
            );
        }
        map
    }

    #[test]
    fn compact_encodings_come_whole_with_cursor_zero() {
        let mut h = Harness::new();
        h.run("hset h a 1 b 2");
        h.run("sadd s 3 1 2");
        h.run("zadd z 1.5 a -0 b 2 c");
        assert_eq!(
            split(h.run("hscan h 0")),
            (
                "0".into(),
                vec!["a".into(), "1".into(), "b".into(), "2".into()]
            )
        );
        assert_eq!(
            split(h.run("sscan s 0")),
            ("0".into(), vec!["1".into(), "2".into(), "3".into()])
        );
        // Any cursor: the whole collection, and 0.
        assert_eq!(split(h.run("sscan s 12345 count 1")).1.len(), 3);
        assert_eq!(
            split(h.run("zscan z 0")),
            (
                "0".into(),
                ["b", "0", "a", "1.5", "c", "2"].map(String::from).to_vec()
            )
        );
        assert_eq!(split(h.run("hscan h 0 match b")).1, vec!["b", "2"]);
        assert_eq!(split(h.run("sscan s 0 match [12]")).1, vec!["1", "2"]);
    }

    #[test]
    fn scores_are_bulk_strings_in_g17_form() {
        let mut h = Harness::new();
        h.ks.set_tunables(crate::Tunables {
            zset_max_listpack_entries: 0,
            ..h.ks.tunables()
        });
        h.run("zadd z 0.1 a -0 b inf c 1e20 d 4503599627370497 e");
        let (items, _) = full(&mut h, "zscan", "z", " count 100");
        let map = pairs(items);
        assert_eq!(map["a"], "0.10000000000000001");
        assert_eq!(map["b"], "-0", "the large encoding keeps -0");
        assert_eq!(map["c"], "inf");
        assert_eq!(map["d"], "1e+20");
        assert_eq!(map["e"], "4503599627370497");
    }

    #[test]
    fn tables_iterate_over_many_calls() {
        let mut h = Harness::new();
        for i in 0..1000 {
            h.run(&format!("hset h f{i} v{i}"));
            h.run(&format!("sadd s m{i}"));
            h.run(&format!("zadd z {i} m{i}"));
        }
        for (command, key) in [("hscan", "h"), ("zscan", "z")] {
            let (items, calls) = full(&mut h, command, key, "");
            assert!(calls > 20, "{command}: {calls} calls");
            let map = pairs(items);
            assert_eq!(map.len(), 1000);
            if command == "hscan" {
                assert_eq!(map["f7"], "v7");
            } else {
                assert_eq!(map["m7"], "7");
            }
        }
        let (items, calls) = full(&mut h, "sscan", "s", " count 100");
        assert!(calls > 3, "{calls} calls");
        let set: std::collections::BTreeSet<_> = items.iter().collect();
        assert_eq!((set.len(), items.len()), (1000, 1000));
        let (items, _) = full(&mut h, "hscan", "h", " match f1?? count 50");
        assert_eq!(pairs(items).len(), 100);
        let (items, _) = full(&mut h, "sscan", "s", " match *99*");
        assert_eq!(items.len(), 19);
    }

    #[test]
    fn count_is_a_number_of_elements() {
        let mut h = Harness::new();
        for i in 0..5000 {
            h.run(&format!("hset h f{i} v"));
        }
        // Each step returns one bucket's elements: a call stops soon after COUNT.
        let (_, items) = split(h.run("hscan h 0 count 100"));
        assert!((200..300).contains(&items.len()), "{} items", items.len());
    }

    #[test]
    fn missing_keys_and_errors() {
        let mut h = Harness::new();
        let empty = Frame::Array(vec![
            Frame::Bulk(Bytes::from_static(b"0")),
            Frame::Array(vec![]),
        ]);
        assert_eq!(h.run("hscan nokey 0"), empty);
        assert_eq!(
            h.run("sscan nokey 0 count 0"),
            empty,
            "options unread for a missing key"
        );
        assert_eq!(h.run("zscan nokey x"), err("ERR invalid cursor"));
        h.run("set str v");
        h.run("sadd s a");
        for c in ["hscan", "sscan", "zscan"] {
            let expected = if c == "sscan" {
                h.run("sscan s 0")
            } else {
                err(WRONGTYPE)
            };
            let key = if c == "sscan" { "s" } else { "str" };
            assert_eq!(h.run(&format!("{c} {key} 0")), expected);
        }
        assert_eq!(
            h.run("sscan str 0 count 0"),
            err(WRONGTYPE),
            "type before options"
        );
        assert_eq!(h.run("sscan s 0 count 0"), err("ERR syntax error"));
        assert_eq!(
            h.run("sscan s 0 count x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(h.run("sscan s 0 type set"), err("ERR syntax error"));
        assert_eq!(h.run("sscan s 0 match"), err("ERR syntax error"));
        h.run("sadd ints 1 2");
        assert_eq!(
            h.run("sscan ints -1"),
            h.run("sscan ints 0"),
            "an intset ignores the cursor"
        );
        assert_eq!(
            h.run("hscan"),
            err("ERR wrong number of arguments for 'hscan' command")
        );
        assert_eq!(
            h.run("hscan h"),
            err("ERR wrong number of arguments for 'hscan' command")
        );
    }
}
