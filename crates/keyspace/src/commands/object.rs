//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP (object.c): how a value is stored
//! and how recently or often its key was used.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::Ctx;
use crate::error::{Error, Result};
use crate::spec::CommandSpec;
use crate::value::Value;

pub(super) const OBJECT: CommandSpec = CommandSpec {
    name: "object",
    arity: -2,
    flags: &[],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: &["@slow"],
    group: "generic",
    summary: "A container for object introspection commands",
    since: "2.2.3",
    complexity: "Depends on subcommand.",
    syntax: "",
};

/// A subcommand that looks at one key.
const fn key_subcommand(
    name: &'static str,
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    CommandSpec {
        name,
        arity: 3,
        flags: &["readonly"],
        first_key: 2,
        last_key: 2,
        step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        group: "generic",
        summary,
        since,
        complexity: "O(1)",
        syntax: "key",
    }
}

/// OBJECT's subcommands, as Redis 7.0 reports them (`object|encoding`, ...).
pub(crate) static SUBCOMMANDS: &[&CommandSpec] = &[
    &key_subcommand(
        "object|encoding",
        "Inspect the internal encoding of a Redis object",
        "2.2.3",
    ),
    &key_subcommand(
        "object|freq",
        "Get the logarithmic access frequency counter of a Redis object",
        "4.0.0",
    ),
    &CommandSpec {
        name: "object|help",
        arity: 2,
        flags: &["loading", "stale"],
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories: &["@keyspace", "@slow"],
        group: "generic",
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        complexity: "O(1)",
        syntax: "",
    },
    &key_subcommand(
        "object|idletime",
        "Get the time since a Redis object was last accessed",
        "2.2.3",
    ),
    &key_subcommand(
        "object|refcount",
        "Get the number of references to the value of the key",
        "2.2.3",
    ),
];

/// Redis's `OBJ_SHARED_REFCOUNT`: what REFCOUNT reports for shared objects.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Redis's `OBJ_SHARED_INTEGERS`: integer strings below this are shared objects.
const SHARED_INTEGERS: i64 = 10_000;

/// OBJECT subcommand [key]
pub(super) fn object(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let sub = &argv[1];
    // Redis checks the subcommand and its arity before running the container.
    let spec = SUBCOMMANDS
        .iter()
        .find(|s| s.name.as_bytes()["object|".len()..].eq_ignore_ascii_case(sub))
        .ok_or_else(|| Error::UnknownSubcommand {
            command: "OBJECT",
            sub: sub.clone(),
        })?;
    if !spec.arity_ok(argv.len()) {
        return Err(Error::WrongArity { command: spec.name });
    }
    if spec.name == "object|help" {
        return Ok(help());
    }
    // objectCommandLookup(): a read that leaves the access time alone.
    let lfu = ctx.tunables.maxmemory_policy.is_lfu();
    let (access, tunables) = (ctx.access, ctx.tunables);
    let Some(entry) = ctx.read_nonotify(&argv[2]) else {
        return Ok(Frame::Null);
    };
    Ok(match spec.name {
        "object|encoding" => Frame::Bulk(Bytes::from_static(entry.value().encoding().as_bytes())),
        "object|refcount" => Frame::Integer(match entry.value() {
            // Redis stores the integers 0..9999 as shared objects.
            Value::Int(n) if (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
            _ => 1,
        }),
        "object|idletime" if lfu => return Err(Error::LfuSelected),
        "object|idletime" => {
            Frame::Integer(i64::try_from(access.idle_seconds(entry.lru())).unwrap_or(i64::MAX))
        }
        _ if !lfu => return Err(Error::LfuNotSelected),
        _ => Frame::Integer(i64::from(access.lfu_counter(entry.lru(), &tunables))),
    })
}

fn help() -> Frame {
    let lines = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::simple(l)).collect())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bulk, err, int, Harness};
    use crate::tunables::{MaxmemoryPolicy, Tunables};
    use ferrodis_resp::Frame;

    const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    #[test]
    fn encodings() {
        let mut h = Harness::new();
        h.run("set i 123");
        h.run("set e hello");
        h.run(&format!("set r {}", "x".repeat(45)));
        h.run("rpush l a");
        assert_eq!(h.run("object encoding i"), bulk("int"));
        assert_eq!(h.run("OBJECT Encoding e"), bulk("embstr"));
        assert_eq!(h.run("object encoding r"), bulk("raw"));
        assert_eq!(h.run("object encoding l"), bulk("quicklist"));
        assert_eq!(h.run("object encoding nokey"), Frame::Null);
        assert_eq!(h.ks.stats().keyspace_misses, 1, "a read lookup");
    }

    #[test]
    fn refcounts_like_redis_7() {
        let mut h = Harness::new();
        h.run("mset zero 0 small 9999 big 10000 neg -1 s abc");
        h.run("rpush l a");
        assert_eq!(h.run("object refcount zero"), int(2147483647));
        assert_eq!(h.run("object refcount small"), int(2147483647));
        assert_eq!(h.run("object refcount big"), int(1));
        assert_eq!(h.run("object refcount neg"), int(1));
        assert_eq!(h.run("object refcount s"), int(1));
        assert_eq!(h.run("object refcount l"), int(1));
        assert_eq!(h.run("object refcount nokey"), Frame::Null);
    }

    #[test]
    fn idletime_follows_accesses_but_not_object_itself() {
        let mut h = Harness::new();
        h.run("set a 1");
        h.run("set b 2");
        h.at(1_010_000);
        assert_eq!(h.run("object idletime a"), int(10));
        h.at(1_015_000);
        assert_eq!(h.run("object idletime a"), int(15), "OBJECT does not touch");
        for line in ["exists a", "type a", "ttl a", "pttl a", "object encoding a"] {
            h.run(line);
        }
        assert_eq!(
            h.run("object idletime a"),
            int(15),
            "nor do EXISTS, TYPE, TTL"
        );
        h.run("get a");
        h.run("touch b");
        assert_eq!(h.run("object idletime a"), int(0));
        assert_eq!(h.run("object idletime b"), int(0));
        h.at(1_020_000);
        h.run("rename a c");
        h.at(1_021_000);
        assert_eq!(h.run("object idletime c"), int(1), "RENAME keeps the stamp");
        assert_eq!(h.run("object freq c"), err(LFU_NOT_SELECTED));
        assert_eq!(h.run("object freq nokey"), Frame::Null, "lookup first");
    }

    #[test]
    fn idletime_advances_with_active_expiry() {
        let mut h = Harness::new();
        h.run("set a 1");
        h.ks.active_expire_cycle(1_042_000, crate::ExpireBudget::Keys(10));
        assert_eq!(h.run("object idletime a"), int(42));
    }

    #[test]
    fn freq_under_an_lfu_policy() {
        let mut h = Harness::new();
        h.ks.set_tunables(Tunables {
            maxmemory_policy: MaxmemoryPolicy::AllkeysLfu,
            ..Tunables::default()
        });
        h.run("set a 1");
        assert_eq!(h.run("object freq a"), int(5), "LFU_INIT_VAL");
        assert_eq!(h.run("object idletime a"), err(LFU_SELECTED));
        for _ in 0..2000 {
            h.run("get a");
        }
        let Frame::Integer(freq) = h.run("object freq a") else {
            panic!("an integer")
        };
        assert!((15..=30).contains(&freq), "{freq}");
        h.at(1_000_000 + 10 * 60_000);
        assert_eq!(
            h.run("object freq a"),
            int(freq - 10),
            "one less per minute"
        );
    }

    #[test]
    fn subcommand_errors_and_help() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("object foo"),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert_eq!(
            h.run("object encoding"),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            h.run("object encoding a b"),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            h.run("object help x"),
            err("ERR wrong number of arguments for 'object|help' command")
        );
        assert_eq!(
            h.run("object"),
            err("ERR wrong number of arguments for 'object' command")
        );
        let Frame::Array(lines) = h.run("object HELP") else {
            panic!("an array")
        };
        assert_eq!(lines.len(), 15);
        assert_eq!(lines[14], Frame::simple("    Prints this help."));
    }
}
