//! Set commands on one set (t_set.c): SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER,
//! SCARD, SMOVE.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{int_reply, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::types::set::{Elem, Set};
use crate::value::Value;

pub(super) const SADD: CommandSpec = CommandSpec {
    name: "sadd",
    arity: -3,
    flags: &["write", "denyoom", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@set", "@fast"],
    group: "set",
    summary: "Add one or more members to a set",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    syntax: "key member...",
};

/// SADD key member [member ...]: how many members were new. A new set takes the
/// encoding its first member allows (`setTypeCreate()`).
pub(super) fn sadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let max = ctx.tunables.set_max_intset_entries;
    let members = &argv[2..];
    let add_all = |set: &mut Set| {
        members
            .iter()
            .filter(|m| set.add(Elem::Bytes(m), max))
            .count()
    };
    let added = match ctx.entry(&argv[1]) {
        Slot::Occupied(mut entry) => add_all(entry.value_mut().set_mut()?),
        Slot::Vacant(slot) => {
            let mut set = Set::for_first(&argv[2]);
            let added = add_all(&mut set);
            slot.insert(Value::Set(set));
            added
        }
    };
    ctx.changed(added);
    if added > 0 {
        ctx.notify(notify::SET, "sadd", &argv[1]);
    }
    Ok(int_reply(added))
}

pub(super) const SREM: CommandSpec = CommandSpec {
    name: "srem",
    arity: -3,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@set", "@fast"],
    group: "set",
    summary: "Remove one or more members from a set",
    since: "1.0.0",
    complexity: "O(N) where N is the number of members to be removed.",
    syntax: "key member...",
};

/// SREM key member [member ...]: how many members were removed; an emptied set is
/// deleted.
pub(super) fn srem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(mut entry) = ctx.write(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let set = entry.value_mut().set_mut()?;
    let mut removed = 0;
    for m in &argv[2..] {
        if set.remove(Elem::Bytes(m)) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if emptied {
        entry.remove();
    }
    ctx.changed(removed);
    if removed > 0 {
        ctx.notify(notify::SET, "srem", &argv[1]);
        if emptied {
            ctx.notify_del(&argv[1]);
        }
    }
    Ok(int_reply(removed))
}

pub(super) const SMEMBERS: CommandSpec = CommandSpec {
    name: "smembers",
    arity: 2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@slow"],
    group: "set",
    summary: "Get all the members in a set",
    since: "1.0.0",
    complexity: "O(N) where N is the set cardinality.",
    syntax: "key",
};

/// SMEMBERS key: a set reply (RESP3 `~`), ascending for an intset. Redis 7.0 runs
/// SINTER on the one key, with the same replies.
pub(super) fn smembers(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Set(Vec::new())),
        Some(entry) => Ok(Frame::Set(entry.value().set()?.frames())),
    }
}

pub(super) const SISMEMBER: CommandSpec = CommandSpec {
    name: "sismember",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@fast"],
    group: "set",
    summary: "Determine if a given value is a member of a set",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key member",
};

/// SISMEMBER key member: 1 or 0.
pub(super) fn sismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let found = match ctx.read(&argv[1]) {
        None => false,
        Some(entry) => entry.value().set()?.contains(Elem::Bytes(&argv[2])),
    };
    Ok(Frame::Integer(i64::from(found)))
}

pub(super) const SMISMEMBER: CommandSpec = CommandSpec {
    name: "smismember",
    arity: -3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@fast"],
    group: "set",
    summary: "Returns the membership associated with the given elements for a set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements being checked for membership",
    syntax: "key member...",
};

/// SMISMEMBER key member [member ...]: 1 or 0 per member; a missing key is an
/// empty set.
pub(super) fn smismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let entry = ctx.read(&argv[1]);
    let set = match &entry {
        Some(entry) => Some(entry.value().set()?),
        None => None,
    };
    let replies = argv[2..]
        .iter()
        .map(|m| Frame::Integer(i64::from(set.is_some_and(|s| s.contains(Elem::Bytes(m))))))
        .collect();
    Ok(Frame::Array(replies))
}

pub(super) const SCARD: CommandSpec = CommandSpec {
    name: "scard",
    arity: 2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@set", "@fast"],
    group: "set",
    summary: "Get the number of members in a set",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "key",
};

/// SCARD key: the number of members, 0 for a missing key.
pub(super) fn scard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    match ctx.read(&argv[1]) {
        None => Ok(Frame::Integer(0)),
        Some(entry) => Ok(int_reply(entry.value().set()?.len())),
    }
}

pub(super) const SMOVE: CommandSpec = CommandSpec {
    name: "smove",
    arity: 4,
    flags: &["write", "fast"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: &["@write", "@set", "@fast"],
    group: "set",
    summary: "Move a member from one set to another",
    since: "1.0.0",
    complexity: "O(1)",
    syntax: "source:key destination:key member",
};

/// SMOVE source destination member: 1 if the member was in `source`, which loses it
/// (and is deleted when emptied) while `destination` gains it.
pub(super) fn smove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let (src, dst, member) = (&argv[1], &argv[2], Elem::Bytes(&argv[3]));
    // Redis looks both keys up first, then answers 0 for a missing source before
    // checking any type.
    let is_set = |v: &Value| matches!(v, Value::Set(_));
    let src_is_set = ctx.write(src).map(|e| is_set(e.value()));
    let dst_is_set = ctx.write(dst).map(|e| is_set(e.value()));
    match (src_is_set, dst_is_set) {
        (None, _) => return Ok(Frame::Integer(0)),
        (Some(false), _) | (_, Some(false)) => return Err(Error::WrongType),
        _ => {}
    }
    let Some(mut entry) = ctx.write(src) else {
        return Ok(Frame::Integer(0));
    };
    let set = entry.value_mut().set_mut()?;
    if src == dst {
        // Moving within one set changes nothing; the reply still says whether the
        // member is there.
        return Ok(Frame::Integer(i64::from(set.contains(member))));
    }
    if !set.remove(member) {
        return Ok(Frame::Integer(0));
    }
    let emptied = set.is_empty();
    if emptied {
        entry.remove();
    }
    ctx.changed(1);
    ctx.notify(notify::SET, "srem", src);
    if emptied {
        ctx.notify_del(src);
    }
    let max = ctx.tunables.set_max_intset_entries;
    let added = match ctx.entry(dst) {
        Slot::Occupied(mut entry) => entry.value_mut().set_mut()?.add(member, max),
        Slot::Vacant(slot) => {
            let mut set = Set::for_first(&argv[3]);
            set.add(member, max);
            slot.insert(Value::Set(set));
            true
        }
    };
    if added {
        ctx.changed(1);
        ctx.notify(notify::SET, "sadd", dst);
    }
    Ok(Frame::Integer(1))
}

#[cfg(test)]
pub(super) mod tests {
    //! Also the helpers of the other set command files' tests.
    use super::super::test_support::{err, int, Harness};
    use ferrodis_resp::Frame;

    use crate::value::Value;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    /// The members of a set reply, sorted, for comparing unordered replies.
    pub(crate) fn sorted(reply: Frame) -> Vec<String> {
        let items = match reply {
            Frame::Set(items) | Frame::Array(items) => items,
            other => panic!("not a collection: {other:?}"),
        };
        let mut out: Vec<String> = items
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("not a bulk string: {other:?}"),
            })
            .collect();
        out.sort();
        out
    }

    pub(crate) fn set_of(items: &[&str]) -> Frame {
        Frame::Set(
            items
                .iter()
                .map(|s| super::super::test_support::bulk(s))
                .collect(),
        )
    }

    /// OBJECT ENCODING of a key.
    pub(crate) fn encoding(h: &mut Harness, key: &str) -> &'static str {
        let db = &h.ks.dbs[h.session.db];
        db.peek(key.as_bytes()).map_or("none", Value::encoding)
    }

    #[test]
    fn sadd_srem_scard() {
        let mut h = Harness::new();
        assert_eq!(h.run("sadd s 3 1 2 1"), int(3));
        assert_eq!(h.run("sadd s 2 4"), int(1));
        assert_eq!(h.run("scard s"), int(4));
        assert_eq!(h.run("scard nope"), int(0));
        assert_eq!(h.run("srem s 1 9 1"), int(1));
        assert_eq!(h.run("srem nope 1"), int(0));
        assert_eq!(h.run("smembers s"), set_of(&["2", "3", "4"]));
        assert_eq!(h.ks.dirty(), 4 + 1);
        assert_eq!(h.run("srem s 2 3 4 5"), int(3));
        assert_eq!(h.run("exists s"), int(0), "an emptied set is deleted");
        assert_eq!(h.run("type s"), Frame::simple("none"));
        h.run("sadd s a");
        assert_eq!(h.run("type s"), Frame::simple("set"));
    }

    #[test]
    fn intset_replies_are_sorted() {
        let mut h = Harness::new();
        h.run("sadd s 10 -5 300000 7 -9223372036854775808");
        assert_eq!(encoding(&mut h, "s"), "intset");
        assert_eq!(
            h.run("smembers s"),
            set_of(&["-9223372036854775808", "-5", "7", "10", "300000"])
        );
        assert_eq!(h.run("smembers nope"), Frame::Set(vec![]));
    }

    #[test]
    fn encoding_follows_redis() {
        let mut h = Harness::new();
        h.run("sadd a x 1");
        assert_eq!(
            encoding(&mut h, "a"),
            "hashtable",
            "the first member decides"
        );
        h.run("sadd b 1 x");
        assert_eq!(encoding(&mut h, "b"), "hashtable");
        h.run("sadd c 1 2");
        h.run("sadd c 01");
        assert_eq!(encoding(&mut h, "c"), "hashtable", "01 is not an integer");
        assert_eq!(h.run("sismember c 1"), int(1));
        assert_eq!(h.run("sismember c 01"), int(1));
        let mut tunables = h.ks.tunables();
        tunables.set_max_intset_entries = 3;
        h.ks.set_tunables(tunables);
        h.run("sadd d 1 2 3");
        assert_eq!(encoding(&mut h, "d"), "intset");
        h.run("sadd d 3");
        assert_eq!(encoding(&mut h, "d"), "intset");
        h.run("sadd d 4");
        assert_eq!(encoding(&mut h, "d"), "hashtable");
        h.run("srem d 4");
        assert_eq!(encoding(&mut h, "d"), "hashtable", "never back to intset");
    }

    #[test]
    fn default_intset_limit_is_512() {
        let mut h = Harness::new();
        let add = |h: &mut Harness, from: i64, to: i64| {
            let mut line = "sadd s".to_string();
            for i in from..to {
                line.push_str(&format!(" {i}"));
            }
            h.run(&line)
        };
        assert_eq!(add(&mut h, 0, 512), int(512));
        assert_eq!(encoding(&mut h, "s"), "intset");
        assert_eq!(add(&mut h, 512, 513), int(1));
        assert_eq!(encoding(&mut h, "s"), "hashtable");
        assert_eq!(h.run("scard s"), int(513));
        assert_eq!(h.run("sismember s 512"), int(1));
    }

    #[test]
    fn membership() {
        let mut h = Harness::new();
        h.run("sadd s 1 a");
        assert_eq!(h.run("sismember s a"), int(1));
        assert_eq!(h.run("sismember s b"), int(0));
        assert_eq!(h.run("sismember nope a"), int(0));
        assert_eq!(
            h.run("smismember s a b 1"),
            Frame::Array(vec![int(1), int(0), int(1)])
        );
        assert_eq!(
            h.run("smismember nope a b"),
            Frame::Array(vec![int(0), int(0)])
        );
        h.run("sadd i 1 2");
        assert_eq!(h.run("sismember i 1"), int(1));
        assert_eq!(h.run("sismember i x"), int(0));
        assert_eq!(h.run("sismember i 1.0"), int(0));
    }

    #[test]
    fn smove() {
        let mut h = Harness::new();
        h.run("sadd src 1 2");
        assert_eq!(h.run("smove src dst 1"), int(1));
        assert_eq!(encoding(&mut h, "dst"), "intset", "created for the member");
        assert_eq!(h.run("smove src dst 9"), int(0));
        assert_eq!(h.run("smove nope dst 1"), int(0));
        assert_eq!(h.ks.dirty(), 2 + 2);
        h.run("sadd dst 2");
        assert_eq!(h.run("smove src dst 2"), int(1), "already in dst");
        assert_eq!(h.run("exists src"), int(0), "the emptied source is deleted");
        assert_eq!(h.ks.dirty(), 2 + 2 + 1 + 1);
        assert_eq!(h.run("smembers dst"), set_of(&["1", "2"]));
        h.run("sadd words w");
        assert_eq!(h.run("smove words dst w"), int(1));
        assert_eq!(encoding(&mut h, "dst"), "hashtable");
        assert_eq!(sorted(h.run("smembers dst")), ["1", "2", "w"]);
    }

    #[test]
    fn smove_within_one_set() {
        let mut h = Harness::new();
        h.run("sadd s 1");
        let dirty = h.ks.dirty();
        assert_eq!(h.run("smove s s 1"), int(1));
        assert_eq!(h.run("smove s s 2"), int(0));
        assert_eq!(h.run("smembers s"), set_of(&["1"]));
        assert_eq!(h.ks.dirty(), dirty);
    }

    #[test]
    fn wrong_types() {
        let mut h = Harness::new();
        h.run("set str v");
        h.run("sadd s 1");
        for line in [
            "sadd str 1",
            "srem str 1",
            "smembers str",
            "sismember str 1",
            "smismember str 1",
            "scard str",
            "smove s str 1",
            "smove str s 1",
            "smove str nope 1",
        ] {
            assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(h.run("smove nope str 1"), int(0), "a missing source wins");
        assert_eq!(h.run("lpush s x"), err(WRONGTYPE));
        assert_eq!(h.run("get s"), err(WRONGTYPE));
        assert_eq!(h.run("smembers s"), set_of(&["1"]));
    }

    #[test]
    fn expired_keys_are_missing() {
        let mut h = Harness::new();
        h.run("sadd s 1");
        h.run("pexpire s 10");
        h.at(1_000_011);
        assert_eq!(h.run("scard s"), int(0));
        h.run("sadd t 1");
        h.run("pexpire t 10");
        h.at(1_000_100);
        assert_eq!(h.run("sadd t 2"), int(1));
        assert_eq!(h.run("smembers t"), set_of(&["2"]));
        assert_eq!(h.run("ttl t"), int(-1));
    }
}
