//! SORT and SORT_RO (sort.c): the elements of a list, set or sorted set, ordered by
//! themselves or by weights looked up through a BY pattern, with GET patterns,
//! LIMIT, ASC/DESC, ALPHA and STORE. The comparison and the partial sort that make
//! replies match Redis's exactly are in `sort_order.rs`.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;

use super::sort_order::{pqsort, Item, Order};
use super::{int_reply, parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::num;
use crate::spec::CommandSpec;
use crate::types::quicklist::{End, QuickList};
use crate::types::set::Elem;
use crate::types::zset::parse_sort_weight;
use crate::value::Value;

pub(super) const SORT: CommandSpec = CommandSpec {
    name: "sort",
    arity: -2,
    flags: &["write", "denyoom", "movablekeys"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"],
    group: "generic",
    summary: "Sort the elements in a list, set or sorted set",
    since: "1.0.0",
    complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
    syntax: "key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET pattern:pattern...] [ASC | DESC] [ALPHA] [STORE destination:key]",
};

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
pub(super) fn sort(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    sort_generic(ctx, argv, false)
}

pub(super) const SORT_RO: CommandSpec = CommandSpec {
    name: "sort_ro",
    arity: -2,
    flags: &["readonly", "movablekeys"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"],
    group: "generic",
    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    since: "7.0.0",
    complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
    syntax: "key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET pattern:pattern...] [ASC | DESC] [ALPHA]",
};

/// SORT_RO: SORT without STORE (which is a syntax error here).
pub(super) fn sort_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    sort_generic(ctx, argv, true)
}

/// The options, as `sortCommandGeneric()` parses them: the last of a repeated
/// option wins, GETs accumulate.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a Bytes>,
    by: Option<&'a [u8]>,
    /// BY a pattern without `*`: the weights would all be the same, so no sorting.
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [Bytes], readonly: bool) -> Result<Options<'a>> {
        let mut o = Options {
            desc: false,
            alpha: false,
            limit_start: 0,
            limit_count: -1,
            store: None,
            by: None,
            dontsort: false,
            gets: Vec::new(),
        };
        let mut j = 0;
        while j < args.len() {
            let word = &args[j][..];
            let left = args.len() - j - 1;
            if word.eq_ignore_ascii_case(b"asc") {
                o.desc = false;
            } else if word.eq_ignore_ascii_case(b"desc") {
                o.desc = true;
            } else if word.eq_ignore_ascii_case(b"alpha") {
                o.alpha = true;
            } else if word.eq_ignore_ascii_case(b"limit") && left >= 2 {
                o.limit_start = parse_int(&args[j + 1])?;
                o.limit_count = parse_int(&args[j + 2])?;
                j += 2;
            } else if word.eq_ignore_ascii_case(b"store") && left >= 1 && !readonly {
                o.store = Some(&args[j + 1]);
                j += 1;
            } else if word.eq_ignore_ascii_case(b"by") && left >= 1 {
                let pattern = &args[j + 1][..];
                o.by = Some(pattern);
                // strchr(): a C string, so a `*` after a NUL byte does not count.
                o.dontsort = !c_str(pattern).contains(&b'*');
                j += 1;
            } else if word.eq_ignore_ascii_case(b"get") && left >= 1 {
                o.gets.push(&args[j + 1]);
                j += 1;
            } else {
                return Err(Error::Syntax);
            }
            j += 1;
        }
        Ok(o)
    }
}

/// The bytes a C string function sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or_default()
}

/// Which elements of the sorted vector the reply holds, clamped as Redis clamps
/// LIMIT: `start..=end`, empty when `end < start`.
fn limit_range(start: i64, count: i64, len: i64) -> (i64, i64) {
    let mut start = start.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

fn sort_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], readonly: bool) -> Result<Frame> {
    let mut o = Options::parse(&argv[2..], readonly)?;
    let mut by = o.by;
    let mut entry = ctx.read(&argv[1]);
    if let Some(e) = entry.as_mut() {
        match e.value_mut() {
            Value::List(_) => {}
            // A set has no order of its own: when its result is stored, sort it
            // anyway so that it is the same on replicas (Redis does this for
            // scripts too).
            Value::Set(_) => {
                if o.dontsort && o.store.is_some() {
                    o.dontsort = false;
                    o.alpha = true;
                    by = None;
                }
            }
            // Redis converts a listpack sorted set to its skip list for good, even
            // for SORT_RO: OBJECT ENCODING shows it.
            Value::ZSet(z) => z.convert_to_large(),
            _ => return Err(Error::WrongType),
        }
    }
    let (mut items, start, end) = load(entry.as_ref().map(|e| e.value()), &o);
    let order = Order {
        desc: o.desc,
        alpha: o.alpha,
        by: by.is_some(),
        store: o.store.is_some(),
    };
    let mut bad_weight = false;
    if !o.dontsort {
        for item in &mut items {
            let weight = match by {
                Some(pattern) => match lookup_by_pattern(ctx, pattern, &item.obj) {
                    Some(w) => w,
                    None => continue,
                },
                None => item.obj.clone(),
            };
            if o.alpha {
                if by.is_some() {
                    item.weight = Some(weight);
                }
            } else {
                match parse_sort_weight(&weight) {
                    Some(score) => item.score = score,
                    None => bad_weight = true,
                }
            }
        }
        let len = items.len() as i64;
        let cmp = |a: &Item, b: &Item| order.cmp(a, b);
        if by.is_some() && (start != 0 || end != len - 1) {
            pqsort(&mut items, start, end, &cmp);
        } else {
            items.sort_by(cmp);
        }
    }
    if bad_weight {
        return Err(Error::SortWeightNotDouble);
    }
    let selected = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    match o.store {
        None => Ok(reply(ctx, selected, &o.gets)),
        Some(dest) => Ok(store(ctx, selected, &o.gets, dest)),
    }
}

/// The elements to sort, and the LIMIT range within them (`start..=end`). When
/// nothing is sorted (BY without `*`), a list or sorted set gives only the range, in
/// its own order (reversed for DESC), and the range becomes the whole vector.
fn load(value: Option<&Value>, o: &Options<'_>) -> (Vec<Item>, i64, i64) {
    let len = match value {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    } as i64;
    let (start, end) = limit_range(o.limit_start, o.limit_count, len);
    let mut texts = Texts::default();
    let ranged = o.dontsort && matches!(value, Some(Value::List(_) | Value::ZSet(_)));
    let (first, count) = if ranged {
        (start.max(0) as usize, (end - start + 1).max(0) as usize)
    } else {
        (0, len as usize)
    };
    match value {
        Some(Value::List(l)) if ranged => {
            let (from, forward) = if o.desc {
                ((len - 1 - start).max(0) as usize, false)
            } else {
                (first, true)
            };
            l.for_each_in(from, count, forward, |e| texts.push_with(|t| e.write_to(t)));
        }
        Some(Value::List(l)) => {
            l.for_each_in(0, count, true, |e| texts.push_with(|t| e.write_to(t)))
        }
        Some(Value::Set(s)) => s.iter().for_each(|e| match e {
            Elem::Int(v) => texts.push(num::format_i64(v, &mut [0; 20])),
            Elem::Bytes(b) => texts.push(b),
        }),
        Some(Value::ZSet(z)) if ranged => {
            let n = z.len();
            if count > 0 {
                let ranks = if o.desc {
                    n - first - count..n - first
                } else {
                    first..first + count
                };
                let mut members = Vec::with_capacity(count);
                z.visit(ranks, |m, _| members.push(m));
                if o.desc {
                    members.reverse();
                }
                members.into_iter().for_each(|m| texts.push(m));
            }
        }
        Some(Value::ZSet(z)) => z.for_each(|m, _| texts.push(m)),
        _ => {}
    }
    let items = texts.into_items();
    if ranged {
        // Only the range was loaded: it is the whole vector now.
        (items, 0, count as i64 - 1)
    } else {
        (items, start, end)
    }
}

/// Element texts written into one buffer, then split into shared `Bytes`.
#[derive(Default)]
struct Texts {
    text: BytesMut,
    ends: Vec<usize>,
}

impl Texts {
    fn push(&mut self, b: &[u8]) {
        self.text.extend_from_slice(b);
        self.ends.push(self.text.len());
    }

    fn push_with(&mut self, write: impl FnOnce(&mut BytesMut)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    fn into_items(self) -> Vec<Item> {
        let text = self.text.freeze();
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let obj = text.slice(start..end);
                start = end;
                Item {
                    obj,
                    score: 0.0,
                    weight: None,
                }
            })
            .collect()
    }
}

/// Redis's `lookupKeyByPattern()`: `#` is the element itself; otherwise the first
/// `*` of the pattern is replaced by the element to name a key, read as a string, or
/// as a hash field when `->field` follows the `*`. `None` when the pattern has no
/// `*`, the key is missing or of another type, or the field is missing.
fn lookup_by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], subst: &Bytes) -> Option<Bytes> {
    // Redis reads the pattern as a C string here and there, the way below.
    let c_pattern = c_str(pattern);
    if c_pattern == b"#" {
        return Some(subst.clone());
    }
    let star = c_pattern.iter().position(|&b| b == b'*')?;
    let arrow = c_pattern[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&p| p + 2 < c_pattern.len());
    let (key_end, field) = match arrow {
        Some(p) => (p, Some(&pattern[p + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(key_end + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    let entry = ctx.read(&key)?;
    match (entry.value(), field) {
        (Value::Hash(h), Some(field)) => h.get(field).map(Bytes::copy_from_slice),
        (Value::Str(s), None) => Some(s.clone()),
        (Value::Int(i), None) => Some(num::i64_to_bytes(*i)),
        _ => None,
    }
}

/// The reply without STORE: each element, or for each element the result of every
/// GET pattern (null when it finds nothing).
fn reply(ctx: &mut Ctx<'_>, selected: &[Item], gets: &[&[u8]]) -> Frame {
    if gets.is_empty() {
        return Frame::Array(
            selected
                .iter()
                .map(|i| Frame::Bulk(i.obj.clone()))
                .collect(),
        );
    }
    let mut out = Vec::with_capacity(selected.len() * gets.len());
    for item in selected {
        for pattern in gets {
            out.push(lookup_by_pattern(ctx, pattern, &item.obj).map_or(Frame::Null, Frame::Bulk));
        }
    }
    Frame::Array(out)
}

/// STORE: the result becomes a list at `dest` (an empty result deletes it), and the
/// reply is its length. Each stored element counts as a change, as in Redis.
fn store(ctx: &mut Ctx<'_>, selected: &[Item], gets: &[&[u8]], dest: &Bytes) -> Frame {
    let fill = ctx.tunables.list_max_listpack_size;
    let mut list = QuickList::new();
    if gets.is_empty() {
        for item in selected {
            list.push(End::Tail, &item.obj, fill);
        }
    } else {
        for item in selected {
            for pattern in gets {
                let value = lookup_by_pattern(ctx, pattern, &item.obj).unwrap_or_default();
                list.push(End::Tail, &value, fill);
            }
        }
    }
    let len = list.len();
    let db = ctx.session.db;
    if len > 0 {
        match ctx.entry(dest) {
            Slot::Occupied(entry) => entry.replace(Value::List(list), false),
            Slot::Vacant(slot) => {
                slot.insert(Value::List(list));
            }
        }
        ctx.notify(crate::notify::LIST, "sortstore", dest);
        ctx.changed(len);
        ctx.touch_key(db, dest);
    } else if ctx.db().remove(dest).is_some() {
        // dbDelete(): no expiry check; a deletion counts as one change.
        ctx.notify_del(dest);
        ctx.changed(1);
        ctx.touch_key(db, dest);
    }
    int_reply(len)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn setup() -> Harness {
        let mut h = Harness::new();
        h.run("rpush l 3 1 2 10");
        h.run("sadd s 3 1 2 10");
        h.run("zadd z 30 a 10 b 20 c");
        h.run("mset w_1 40 w_2 30 w_3 20 w_10 10 w_a 3 w_b 1 w_c 2");
        h.run("hset h_1 f one n 4");
        h.run("hset h_2 f two n 3");
        h
    }

    #[test]
    fn numeric_and_alpha() {
        let mut h = setup();
        assert_eq!(h.run("sort l"), arr(&["1", "2", "3", "10"]));
        assert_eq!(h.run("sort s desc"), arr(&["10", "3", "2", "1"]));
        assert_eq!(h.run("sort l alpha"), arr(&["1", "10", "2", "3"]));
        assert_eq!(h.run("sort_ro l alpha desc"), arr(&["3", "2", "10", "1"]));
        assert_eq!(h.run("sort z alpha"), arr(&["a", "b", "c"]));
        assert_eq!(
            h.run("sort z"),
            err("ERR One or more scores can't be converted into double")
        );
        assert_eq!(h.run("sort nokey"), arr(&[]));
    }

    #[test]
    fn limit_clamps_like_redis() {
        let mut h = setup();
        for (limit, expected) in [
            ("-1 2", &["1", "2"][..]),
            ("1 -5", &["2", "3", "10"]),
            ("2 100", &["3", "10"]),
            ("5 1", &[]),
            ("4 1", &[]),
            ("3 1", &["10"]),
            ("0 0", &[]),
            ("9223372036854775807 9223372036854775807", &[]),
        ] {
            assert_eq!(
                h.run(&format!("sort l limit {limit}")),
                arr(expected),
                "{limit}"
            );
        }
        assert_eq!(
            h.run("sort l limit x 1"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(h.run("sort l limit 1"), err("ERR syntax error"));
    }

    #[test]
    fn by_nosort_keeps_native_order() {
        let mut h = setup();
        assert_eq!(h.run("sort l by nosort"), arr(&["3", "1", "2", "10"]));
        assert_eq!(h.run("sort l by nosort desc"), arr(&["10", "2", "1", "3"]));
        assert_eq!(h.run("sort l by nosort limit 1 2 desc"), arr(&["2", "1"]));
        assert_eq!(h.run("sort l by nosort limit -3 2 desc"), arr(&["10", "2"]));
        assert_eq!(h.run("sort l by nosort limit 5 1"), arr(&[]));
        assert_eq!(h.run("sort z by nosort"), arr(&["b", "c", "a"]));
        assert_eq!(h.run("sort z by nosort desc limit 1 5"), arr(&["c", "b"]));
        assert_eq!(h.run("sort z by nosort limit 1 1"), arr(&["c"]));
        // An intset's own order, DESC or not.
        assert_eq!(h.run("sort s by nosort desc"), arr(&["1", "2", "3", "10"]));
        // Stored, a set is sorted (ALPHA) so that replicas agree.
        assert_eq!(h.run("sort s by nosort store d"), int(4));
        assert_eq!(h.run("lrange d 0 -1"), arr(&["1", "10", "2", "3"]));
    }

    #[test]
    fn by_and_get_patterns() {
        let mut h = setup();
        assert_eq!(h.run("sort l by w_*"), arr(&["10", "3", "2", "1"]));
        assert_eq!(h.run("sort z by w_*"), arr(&["b", "c", "a"]));
        assert_eq!(h.run("sort l by h_*->n"), arr(&["10", "3", "2", "1"]));
        assert_eq!(
            h.run("sort l by w_* get # get h_*->f get w_*"),
            Frame::Array(vec![
                bulk("10"),
                Frame::Null,
                bulk("10"),
                bulk("3"),
                Frame::Null,
                bulk("20"),
                bulk("2"),
                bulk("two"),
                bulk("30"),
                bulk("1"),
                bulk("one"),
                bulk("40"),
            ])
        );
        // A pattern without `*` finds nothing.
        assert_eq!(
            h.run("sort l limit 0 1 get nostar"),
            Frame::Array(vec![Frame::Null])
        );
        // Missing weights are 0; ties go by the element.
        assert_eq!(h.run("sort l by nokey_*"), arr(&["1", "10", "2", "3"]));
        assert_eq!(
            h.run("sort l by nokey_* alpha"),
            arr(&["3", "1", "2", "10"])
        );
    }

    #[test]
    fn store_writes_a_list() {
        let mut h = setup();
        h.run("set d old");
        h.run("expire d 100");
        let dirty = h.ks.dirty();
        assert_eq!(h.run("sort l desc store d"), int(4));
        assert_eq!(h.run("lrange d 0 -1"), arr(&["10", "3", "2", "1"]));
        assert_eq!(h.run("ttl d"), int(-1));
        assert_eq!(h.ks.dirty(), dirty + 4);
        assert_eq!(h.run("sort l limit 0 2 get h_*->f store d"), int(2));
        assert_eq!(h.run("lrange d 0 -1"), arr(&["one", "two"]));
        assert_eq!(h.run("sort l get nokey store d"), int(4));
        assert_eq!(h.run("lrange d 0 -1"), arr(&["", "", "", ""]));
        let dirty = h.ks.dirty();
        assert_eq!(h.run("sort nokey store d"), int(0));
        assert_eq!(h.run("exists d"), int(0));
        assert_eq!(h.ks.dirty(), dirty + 1);
        assert_eq!(h.run("sort nokey store d"), int(0));
        assert_eq!(h.ks.dirty(), dirty + 1);
        assert_eq!(h.run("sort_ro l store d"), err("ERR syntax error"));
    }

    #[test]
    fn sorting_a_small_sorted_set_converts_it() {
        let mut h = setup();
        assert_eq!(h.run("object encoding z"), bulk("listpack"));
        h.run("sort_ro z by nosort");
        assert_eq!(h.run("object encoding z"), bulk("skiplist"));
    }

    #[test]
    fn weights_parse_like_strtod() {
        let mut h = Harness::new();
        h.run("rpush l a b c");
        for (ok, weight) in [
            (true, ""),
            (true, "\t1"),
            (true, "+.5"),
            (true, "0x1p-1074"),
            (true, "-INF"),
            (true, "2.2250738585072014e-308"),
            (false, " "),
            (false, "1 "),
            (false, "1e-310"),
            (false, "1e400"),
            (false, "nan"),
            (false, "1e"),
        ] {
            h.run_argv(&[
                "set".into(),
                "w_b".into(),
                bytes::Bytes::copy_from_slice(weight.as_bytes()),
            ]);
            let reply = h.run("sort l by w_*");
            assert_eq!(
                matches!(reply, Frame::Array(_)),
                ok,
                "{weight:?}: {reply:?}"
            );
        }
    }

    #[test]
    fn errors() {
        let mut h = setup();
        h.run("set str v");
        h.run("hset hash f v");
        assert_eq!(h.run("sort str"), err(WRONGTYPE));
        assert_eq!(h.run("sort hash"), err(WRONGTYPE));
        assert_eq!(
            h.run("sort str foo"),
            err("ERR syntax error"),
            "syntax first"
        );
        for bad in [
            "sort l get",
            "sort l store",
            "sort l by",
            "sort l foo",
            "sort l limit 1",
        ] {
            assert_eq!(h.run(bad), err("ERR syntax error"), "{bad}");
        }
        assert_eq!(
            h.run("sort"),
            err("ERR wrong number of arguments for 'sort' command")
        );
    }
}
