//! Blocking list commands (t_list.c): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! With an element available they behave as LPOP/RPOP/LMOVE/RPOPLPUSH/LMPOP and are
//! propagated as those; otherwise they ask to block (blocking.rs), and where blocking
//! is not allowed (MULTI/EXEC) reply at once as if the timeout had passed: a null
//! array, or a null for BLMOVE and BRPOPLPUSH, as Redis's `CLIENT_DENY_BLOCKING`
//! paths do.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::list::pop_range;
use super::list_move::{move_element, parse_end, parse_mpop};
use super::Ctx;
use crate::blocking::{parse_timeout, BlockRequest, Op};
use crate::error::Result;
use crate::spec::CommandSpec;
use crate::types::quicklist::End;

const BLOCKING_LIST_ACL: &[&str] = &["@write", "@list", "@slow", "@blocking"];

pub(super) const BLPOP: CommandSpec = CommandSpec {
    name: "blpop",
    arity: -3,
    flags: &["write", "noscript", "blocking"],
    first_key: 1,
    last_key: -2,
    step: 1,
    acl_categories: BLOCKING_LIST_ACL,
    group: "list",
    summary: "Remove and get the first element in a list, or block until one is available",
    since: "2.0.0",
    complexity: "O(N) where N is the number of provided keys.",
    syntax: "key... timeout:double",
};

/// BLPOP key [key ...] timeout
pub(super) fn blpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let last = argv.len() - 1;
    blocking_pop(ctx, &argv[1..last], End::Head, &argv[last], None)
}

pub(super) const BRPOP: CommandSpec = CommandSpec {
    name: "brpop",
    arity: -3,
    flags: &["write", "noscript", "blocking"],
    first_key: 1,
    last_key: -2,
    step: 1,
    acl_categories: BLOCKING_LIST_ACL,
    group: "list",
    summary: "Remove and get the last element in a list, or block until one is available",
    since: "2.0.0",
    complexity: "O(N) where N is the number of provided keys.",
    syntax: "key... timeout:double",
};

/// BRPOP key [key ...] timeout
pub(super) fn brpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let last = argv.len() - 1;
    blocking_pop(ctx, &argv[1..last], End::Tail, &argv[last], None)
}

pub(super) const BLMPOP: CommandSpec = CommandSpec {
    name: "blmpop",
    arity: -5,
    flags: &["write", "blocking", "movablekeys"],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: BLOCKING_LIST_ACL,
    group: "list",
    summary: "Pop elements from a list, or block until one is available",
    since: "7.0.0",
    complexity:
        "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    syntax: "timeout:double numkeys:integer key... (LEFT | RIGHT) [COUNT count:integer]",
};

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the arguments
/// after the timeout are checked first, then the timeout (`lmpopGenericCommand()`).
pub(super) fn blmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let (where_at, end, count) = parse_mpop(argv, 2)?;
    blocking_pop(ctx, &argv[3..where_at], end, &argv[1], Some(count))
}

/// Redis's `blockingPopGenericCommand()`: the timeout first, then the first key
/// holding a non-empty list is popped (`count` None: one element, replying
/// `[key, element]`; BLMPOP: up to `count`, replying `[key, [elements]]`). A key of
/// another type before it is WRONGTYPE.
fn blocking_pop(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    timeout: &[u8],
    count: Option<usize>,
) -> Result<Frame> {
    let timeout_ms = parse_timeout(timeout)?;
    for key in keys {
        if let Some(reply) = pop_key(ctx, key, end, count)? {
            return Ok(reply);
        }
    }
    ctx.fx.blocked.request(|| BlockRequest {
        keys: keys.to_vec(),
        op: Op::ListPop { end, count },
        timeout_ms,
    });
    Ok(Frame::NullArray)
}

/// Pops from `key` if it holds elements, with the reply and propagation of a served
/// BLPOP/BRPOP (`LPOP key`, one change) or BLMPOP (`LPOP key n`, n changes).
fn pop_key(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    end: End,
    count: Option<usize>,
) -> Result<Option<Frame>> {
    let Some(mut entry) = ctx.write(key) else {
        return Ok(None);
    };
    let list = entry.value_mut().list_mut()?;
    let n = count.unwrap_or(1).min(list.len());
    if n == 0 {
        return Ok(None);
    }
    let items = pop_range(list, end, n);
    let emptied = list.is_empty();
    if emptied {
        entry.remove();
    }
    // The events LPOP/RPOP raise (serveClientBlockedOnList -> listPopRangeAndReplyWithKey).
    super::list::popped_events(ctx, key, end, emptied);
    let name: &'static [u8] = match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    };
    let mut effect = vec![Bytes::from_static(name), key.clone()];
    let reply = match count {
        None => items.into_iter().next().unwrap_or(Frame::Null),
        Some(_) => {
            effect.push(Bytes::from(n.to_string()));
            Frame::Array(items)
        }
    };
    ctx.propagate_as(vec![effect]);
    ctx.changed(n);
    Ok(Some(Frame::Array(vec![Frame::Bulk(key.clone()), reply])))
}

pub(super) const BLMOVE: CommandSpec = CommandSpec {
    name: "blmove",
    arity: 6,
    flags: &["write", "denyoom", "noscript", "blocking"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: BLOCKING_LIST_ACL,
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "6.2.0",
    complexity: "O(1)",
    syntax: "source:key destination:key (LEFT | RIGHT) (LEFT | RIGHT) timeout:double",
};

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: the directions are
/// checked before the timeout.
pub(super) fn blmove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    let timeout_ms = parse_timeout(&argv[5])?;
    blocking_move(ctx, argv, from, to, timeout_ms, false)
}

pub(super) const BRPOPLPUSH: CommandSpec = CommandSpec {
    name: "brpoplpush",
    arity: 4,
    flags: &["write", "denyoom", "noscript", "blocking"],
    first_key: 1,
    last_key: 2,
    step: 1,
    acl_categories: BLOCKING_LIST_ACL,
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "2.2.0",
    complexity: "O(1)",
    syntax: "source:key destination:key timeout:double",
};

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT.
pub(super) fn brpoplpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let timeout_ms = parse_timeout(&argv[3])?;
    blocking_move(ctx, argv, End::Tail, End::Head, timeout_ms, true)
}

/// Redis's `blmoveGenericCommand()`: a source of the wrong type is WRONGTYPE, a
/// missing one blocks (or replies a null inside MULTI), an existing one is moved by
/// LMOVE's code and propagated as `LMOVE` with the directions as the client wrote
/// them, or as `RPOPLPUSH`.
fn blocking_move(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    from: End,
    to: End,
    timeout_ms: u64,
    rpoplpush: bool,
) -> Result<Frame> {
    let (src, dst) = (&argv[1], &argv[2]);
    // LMOVE's code replies null exactly when the source is missing; a source of the
    // wrong type is WRONGTYPE before the destination is looked at.
    let reply = move_element(ctx, src, dst, from, to)?;
    if reply == Frame::Null {
        ctx.fx.blocked.request(|| BlockRequest {
            keys: vec![src.clone()],
            op: Op::ListMove {
                dst: Bytes::copy_from_slice(dst),
                from,
                to,
                rpoplpush,
            },
            timeout_ms,
        });
        return Ok(Frame::Null);
    }
    let effect = if rpoplpush {
        vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()]
    } else {
        let mut effect = vec![Bytes::from_static(b"LMOVE")];
        effect.extend_from_slice(&argv[1..5]);
        effect
    };
    ctx.propagate_as(vec![effect]);
    Ok(reply)
}

/// Serves a client blocked with a list command from the ready list `key`
/// (`serveClientBlockedOnList()`). BLMOVE's destination is looked up now: if it has
/// become another type the client gets WRONGTYPE and nothing moves.
pub(crate) fn serve(ctx: &mut Ctx<'_>, key: &Bytes, op: &Op) -> Result<Frame> {
    match op {
        Op::ListPop { end, count } => {
            Ok(pop_key(ctx, key, *end, *count)?.unwrap_or(Frame::NullArray))
        }
        Op::ListMove {
            dst,
            from,
            to,
            rpoplpush,
        } => {
            let reply = move_element(ctx, key, dst, *from, *to)?;
            if reply == Frame::Null {
                return Ok(reply);
            }
            let word = |end: &End| match end {
                End::Head => Bytes::from_static(b"left"),
                End::Tail => Bytes::from_static(b"right"),
            };
            let effect = if *rpoplpush {
                vec![Bytes::from_static(b"RPOPLPUSH"), key.clone(), dst.clone()]
            } else {
                vec![
                    Bytes::from_static(b"LMOVE"),
                    key.clone(),
                    dst.clone(),
                    word(from),
                    word(to),
                ]
            };
            ctx.propagate_as(vec![effect]);
            Ok(reply)
        }
        Op::ZPop { .. } => Ok(Frame::NullArray),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arr, bulk, err, int, Harness};
    use ferrodis_resp::Frame;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn pair(k: &str, v: &str) -> Frame {
        Frame::Array(vec![bulk(k), bulk(v)])
    }

    #[test]
    fn pops_from_the_first_non_empty_list() {
        let mut h = Harness::new();
        h.run("rpush b 1 2 3");
        h.run("rpush c 9");
        assert_eq!(h.run("blpop a b c 0"), pair("b", "1"));
        assert_eq!(h.run("brpop a b c 0"), pair("b", "3"));
        assert_eq!(h.run("brpop a b 0.5"), pair("b", "2"));
        assert_eq!(h.run("exists b"), int(0), "an emptied list is deleted");
        assert_eq!(h.run("blpop b c 1"), pair("c", "9"));
        assert_eq!(h.ks.dirty(), 4 + 4);
    }

    #[test]
    fn without_blocking_empty_keys_reply_null() {
        let mut h = Harness::new();
        assert_eq!(h.run("blpop a b 0"), Frame::NullArray);
        assert_eq!(h.run("brpop a 1"), Frame::NullArray);
        assert_eq!(h.run("blmpop 0 2 a b left"), Frame::NullArray);
        assert_eq!(h.run("blmove a b left right 0"), Frame::Null);
        assert_eq!(h.run("brpoplpush a b 0"), Frame::Null);
        assert_eq!(h.ks.dirty(), 0);
    }

    #[test]
    fn wrong_types_and_timeouts() {
        let mut h = Harness::new();
        h.run("set s v");
        h.run("rpush l x");
        assert_eq!(h.run("blpop s l 0"), err(WRONGTYPE));
        assert_eq!(
            h.run("blpop l s 0"),
            pair("l", "x"),
            "stops at the first list"
        );
        assert_eq!(h.run("blpop k -1"), err("ERR timeout is negative"));
        assert_eq!(
            h.run("blpop k x"),
            err("ERR timeout is not a float or out of range")
        );
        assert_eq!(
            h.run("blpop s x"),
            err("ERR timeout is not a float or out of range")
        );
        assert_eq!(h.run("brpoplpush a b -1"), err("ERR timeout is negative"));
        assert_eq!(h.run("blmove s l left left 0"), err(WRONGTYPE));
        assert_eq!(h.run("blmove a b up left x"), err("ERR syntax error"));
        assert_eq!(
            h.run("blmove a b left left x"),
            err("ERR timeout is not a float or out of range")
        );
    }

    #[test]
    fn blmove_moves_like_lmove() {
        let mut h = Harness::new();
        h.run("rpush a 1 2 3");
        assert_eq!(h.run("blmove a b left right 0"), bulk("1"));
        assert_eq!(h.run("brpoplpush a b 0"), bulk("3"));
        assert_eq!(h.run("lrange b 0 -1"), arr(&["3", "1"]));
        h.run("set s v");
        assert_eq!(h.run("blmove a s left left 0"), err(WRONGTYPE));
        assert_eq!(h.run("lrange a 0 -1"), arr(&["2"]));
    }

    #[test]
    fn blmpop_checks_its_arguments_before_the_timeout() {
        let mut h = Harness::new();
        h.run("rpush l a b c");
        assert_eq!(
            h.run("blmpop x 0 l left"),
            err("ERR numkeys should be greater than 0")
        );
        assert_eq!(h.run("blmpop x 1 l foo"), err("ERR syntax error"));
        assert_eq!(
            h.run("blmpop x 1 l left count 0"),
            err("ERR count should be greater than 0")
        );
        assert_eq!(
            h.run("blmpop x 1 l left"),
            err("ERR timeout is not a float or out of range")
        );
        assert_eq!(
            h.run("blmpop 0 1 l left count 1 x"),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run("blmpop 0 2 k l right count 2"),
            Frame::Array(vec![bulk("l"), arr(&["c", "b"])])
        );
    }

    #[test]
    fn propagated_as_the_non_blocking_commands() {
        let mut h = Harness::new();
        h.ks.set_propagation(true);
        h.run("rpush l 1 2 3 4 5");
        h.ks.take_effects();
        h.run("blpop x l 0");
        h.run("brpop l 0");
        h.run("blmpop 0 1 l left count 9");
        h.run("rpush l 1 2");
        h.run("blmove l m Left RIGHT 0");
        h.run("brpoplpush l m 0");
        h.run("blmove nosuch m left right 0");
        let effects = h.effect_lines();
        assert_eq!(
            effects,
            [
                "LPOP l",
                "RPOP l",
                "LPOP l 3",
                "rpush l 1 2",
                "LMOVE l m Left RIGHT",
                "RPOPLPUSH l m"
            ]
        );
    }
}
