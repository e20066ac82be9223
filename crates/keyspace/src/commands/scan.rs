//! SCAN (db.c): incremental iteration over the keys of the selected database, plus the
//! cursor and option parsing that HSCAN, SSCAN and ZSCAN share with it.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::glob::glob_match;
use crate::spec::CommandSpec;

pub(super) const SCAN: CommandSpec = CommandSpec {
    name: "scan",
    arity: -2,
    flags: &["readonly"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@keyspace", "@read", "@slow"],
    group: "generic",
    summary: "Incrementally iterate the keys space",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    syntax: "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]",
};

/// Redis's `parseScanCursorOrReply()`: the argument as C's `strtoul()` reads it, base
/// 10. So, like Redis, it accepts a sign (`-1` is `2^64 - 1`), reads up to a NUL byte,
/// takes the empty string as 0, and refuses leading whitespace, trailing garbage and
/// values past `u64::MAX`.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64> {
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (negative, digits) = match arg {
        [] => return Ok(0),
        [b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r', ..] => return Err(Error::InvalidCursor),
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return Err(Error::InvalidCursor);
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(Error::InvalidCursor);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(Error::InvalidCursor)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The options of the SCAN family, parsed as `scanGenericCommand()` does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanOptions<'a> {
    /// COUNT: how much work to do per call (default 10, at least 1).
    pub(crate) count: usize,
    /// MATCH, unless the pattern is `*` (which matches everything).
    pub(crate) pattern: Option<&'a [u8]>,
    /// TYPE (SCAN only), up to its first NUL byte as C's `strcasecmp()` reads it.
    pub(crate) type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses the arguments after the cursor. TYPE is an option of SCAN only
    /// (`with_type`); elsewhere it is a syntax error, as in Redis.
    pub(crate) fn parse(args: &'a [Bytes], with_type: bool) -> Result<ScanOptions<'a>> {
        let mut opts = ScanOptions {
            count: 10,
            pattern: None,
            type_name: None,
        };
        let mut i = 0;
        while i < args.len() {
            let (name, value) = match (&args[i], args.get(i + 1)) {
                (name, Some(value)) => (name, value),
                _ => return Err(Error::Syntax),
            };
            if name.eq_ignore_ascii_case(b"count") {
                let count = parse_int(value)?;
                if count < 1 {
                    return Err(Error::Syntax);
                }
                opts.count = usize::try_from(count).unwrap_or(usize::MAX);
            } else if name.eq_ignore_ascii_case(b"match") {
                opts.pattern = (&value[..] != b"*").then_some(&value[..]);
            } else if name.eq_ignore_ascii_case(b"type") && with_type {
                opts.type_name = value.split(|&b| b == 0).next();
            } else {
                return Err(Error::Syntax);
            }
            i += 2;
        }
        Ok(opts)
    }

    /// Whether `key` passes MATCH.
    pub(crate) fn matches(&self, key: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, key, false))
    }
}

/// `[cursor, [element, ...]]`, the reply of every SCAN command.
pub(crate) fn scan_reply(cursor: u64, elements: Vec<Frame>) -> Frame {
    Frame::Array(vec![
        Frame::Bulk(Bytes::copy_from_slice(cursor.to_string().as_bytes())),
        Frame::Array(elements),
    ])
}

/// A key found by one SCAN call, before the TYPE and expiry filters.
struct Candidate {
    key: Bytes,
    type_name: &'static str,
    expired: bool,
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(super) fn scan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let mut cursor = parse_cursor(&argv[1])?;
    let opts = ScanOptions::parse(&argv[2..], true)?;
    // Like Redis: visit parts of the table until COUNT keys were seen (matching or
    // not) or the iteration ends, visiting at most 10 * COUNT parts (for a table
    // left sparse by deletions), then filter.
    let db = &ctx.dbs[ctx.session.db];
    let now = &mut ctx.now;
    let mut candidates = Vec::new();
    let mut seen = 0;
    let mut parts = opts.count.saturating_mul(10);
    loop {
        cursor = db.scan(cursor, |e| {
            seen += 1;
            if opts.matches(e.key()) {
                candidates.push(Candidate {
                    key: Bytes::copy_from_slice(e.key()),
                    type_name: e.value().type_name(),
                    expired: e.is_expired_lazy(now),
                });
            }
        });
        parts -= 1;
        if cursor == 0 || parts == 0 || seen >= opts.count {
            break;
        }
    }
    let mut keys = Vec::with_capacity(candidates.len());
    for c in candidates {
        if let Some(wanted) = opts.type_name {
            // Redis looks the key up for its type (lookupKeyReadWithFlags(), which
            // counts a hit or miss and deletes an expired key); an expired key is then
            // of type "none", and since it is gone, the expiry check after it passes:
            // `SCAN 0 TYPE none` returns expired keys, as in Redis 7.0.
            let actual = if c.expired {
                ctx.stats.keyspace_misses += 1;
                expire(ctx, &c.key);
                ctx.notify(crate::notify::KEY_MISS, "keymiss", &c.key);
                "none"
            } else {
                ctx.stats.keyspace_hits += 1;
                c.type_name
            };
            if !wanted.eq_ignore_ascii_case(actual.as_bytes()) {
                continue;
            }
        } else if c.expired {
            // expireIfNeeded(): expired keys are deleted, not returned.
            expire(ctx, &c.key);
            continue;
        }
        keys.push(Frame::Bulk(c.key));
    }
    Ok(scan_reply(cursor, keys))
}

/// Deletes a key found expired, as Redis's `deleteExpiredKeyAndPropagate()`.
fn expire(ctx: &mut Ctx<'_>, key: &[u8]) {
    if ctx.db().remove(key).is_some() {
        ctx.stats.expired_keys += 1;
        let db = ctx.session.db;
        ctx.fx.expired(db, key);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::test_support::{err, Harness};
    use super::*;

    /// Runs SCAN calls from cursor 0 to the end; returns every key returned (with
    /// repeats) and the number of calls.
    fn full_scan(h: &mut Harness, options: &str) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        let mut calls = 0;
        loop {
            let reply = h.run(&format!("scan {cursor}{options}"));
            calls += 1;
            let (next, batch) = split(reply);
            keys.extend(batch);
            if next == "0" {
                return (keys, calls);
            }
            cursor = next;
        }
    }

    fn split(reply: Frame) -> (String, Vec<String>) {
        let Frame::Array(parts) = reply else {
            panic!("not an array: {reply:?}")
        };
        let [Frame::Bulk(cursor), Frame::Array(keys)] = &parts[..] else {
            panic!("bad shape: {parts:?}")
        };
        let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
        let keys = keys
            .iter()
            .map(|k| match k {
                Frame::Bulk(b) => text(b),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        (text(cursor), keys)
    }

    fn sorted(keys: Vec<String>) -> Vec<String> {
        keys.into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    #[test]
    fn small_database_in_one_call() {
        let mut h = Harness::new();
        assert_eq!(split(h.run("scan 0")), ("0".into(), vec![]));
        h.run("mset a 1 b 2 c 3");
        let (cursor, keys) = split(h.run("scan 0"));
        assert_eq!(
            (cursor, sorted(keys)),
            ("0".into(), vec!["a".into(), "b".into(), "c".into()])
        );
    }

    #[test]
    fn large_database_over_many_calls() {
        let mut h = Harness::new();
        for i in 0..5000 {
            h.run(&format!("set key:{i} v"));
        }
        let (keys, calls) = full_scan(&mut h, "");
        assert_eq!(keys.len(), 5000, "a quiet scan repeats nothing");
        assert_eq!(sorted(keys).len(), 5000);
        assert!(calls > 10, "{calls} calls");
        // A larger COUNT takes fewer calls.
        let (keys, fewer) = full_scan(&mut h, " count 1000");
        assert_eq!(keys.len(), 5000);
        assert!(fewer < calls / 4, "{fewer} vs {calls}");
    }

    #[test]
    fn match_and_type_filter() {
        let mut h = Harness::new();
        for i in 0..500 {
            h.run(&format!("set s:{i} v"));
            h.run(&format!("rpush l:{i} v"));
        }
        let (keys, _) = full_scan(&mut h, " match s:1?");
        assert_eq!(sorted(keys).len(), 10);
        let (keys, _) = full_scan(&mut h, " type LIST count 100");
        assert_eq!(keys.len(), 500);
        assert!(keys.iter().all(|k| k.starts_with("l:")));
        let (keys, _) = full_scan(&mut h, " match l:4* type string");
        assert!(keys.is_empty());
        let (keys, _) = full_scan(&mut h, " type nosuchtype");
        assert!(keys.is_empty());
        // The last of a repeated option wins, MATCH * is no filter.
        let (keys, _) = full_scan(&mut h, " type hash type list match * count 7");
        assert_eq!(keys.len(), 500);
        assert_eq!(h.ks.stats().keyspace_misses, 0);
    }

    #[test]
    fn expired_keys_are_deleted_not_returned() {
        let mut h = Harness::new();
        h.run("set live v");
        h.run("set gone v px 10");
        h.at(1_000_011);
        assert_eq!(split(h.run("scan 0")), ("0".into(), vec!["live".into()]));
        assert_eq!(h.ks.dbsize(0), 1);
        assert_eq!(h.ks.stats().expired_keys, 1);
        assert_eq!(h.ks.stats().keyspace_hits + h.ks.stats().keyspace_misses, 0);
    }

    #[test]
    fn expired_keys_have_type_none() {
        let mut h = Harness::new();
        h.run("set live v");
        h.run("set gone v px 10");
        h.at(1_000_011);
        // Redis 7.0 looks the key up for TYPE: the expired one is deleted, counted as
        // a miss, and then matches TYPE none.
        assert_eq!(
            split(h.run("scan 0 type none")),
            ("0".into(), vec!["gone".into()])
        );
        let stats = h.ks.stats();
        assert_eq!((stats.keyspace_hits, stats.keyspace_misses), (1, 1));
        assert_eq!((stats.expired_keys, h.ks.dbsize(0)), (1, 1));
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        for ok in [
            "0",
            "+0",
            "-0",
            "",
            "007",
            "18446744073709551615",
            "-1",
            "5\0junk",
        ] {
            assert!(parse_cursor(ok.as_bytes()).is_ok(), "{ok:?}");
        }
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Ok(1));
        for bad in [
            " 1",
            "\t1",
            "1 ",
            "x",
            "1x",
            "+",
            "-",
            "+-1",
            "0x10",
            "18446744073709551616",
        ] {
            assert_eq!(
                parse_cursor(bad.as_bytes()),
                Err(Error::InvalidCursor),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn any_cursor_ends_the_iteration() {
        let mut h = Harness::new();
        for i in 0..2000 {
            h.run(&format!("set k{i} v"));
        }
        for cursor in ["18446744073709551615", "-1", "12345678901234", "3"] {
            let mut cursor = cursor.to_string();
            for _ in 0..10_000 {
                cursor = split(h.run(&format!("scan {cursor}"))).0;
                if cursor == "0" {
                    break;
                }
            }
            assert_eq!(cursor, "0");
        }
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        let syntax = err("ERR syntax error");
        assert_eq!(
            h.run("scan"),
            err("ERR wrong number of arguments for 'scan' command")
        );
        assert_eq!(h.run("scan x"), err("ERR invalid cursor"));
        assert_eq!(h.run("scan 1x count 0"), err("ERR invalid cursor"));
        assert_eq!(h.run("scan 0 count 0"), syntax);
        assert_eq!(h.run("scan 0 count -1"), syntax);
        assert_eq!(
            h.run("scan 0 count x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("scan 0 count 99999999999999999999"),
            err("ERR value is not an integer or out of range")
        );
        for bad in [
            "scan 0 count",
            "scan 0 match",
            "scan 0 type",
            "scan 0 foo bar",
            "scan 0 match a b",
        ] {
            assert_eq!(h.run(bad), syntax, "{bad}");
        }
        assert!(ScanOptions::parse(&[Bytes::from("type"), Bytes::from("set")], false).is_err());
    }

    #[test]
    fn reply_shape() {
        let mut h = Harness::new();
        h.run("set k v");
        assert_eq!(
            h.run("scan 0 count 1"),
            Frame::Array(vec![
                Frame::Bulk(Bytes::from_static(b"0")),
                Frame::Array(vec![Frame::Bulk(Bytes::from_static(b"k"))]),
            ])
        );
    }
}
