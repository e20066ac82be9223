//! PUBSUB CHANNELS | NUMSUB | NUMPAT | SHARDCHANNELS | SHARDNUMSUB | HELP:
//! introspection of the pub/sub registry.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::shared::Shared;

pub static SPEC: CommandSpec = super::spec(
    "pubsub",
    -2,
    &[],
    &["@slow"],
    "pubsub",
    "A container for Pub/Sub commands",
    "2.8.0",
    "Depends on subcommand.",
    "",
);

const FLAGS: &[&str] = &["pubsub", "loading", "stale"];
const ACL: &[&str] = &["@pubsub", "@slow"];

pub static SUBCOMMANDS: &[&CommandSpec] = &[
    &super::spec(
        "pubsub|channels",
        -2,
        FLAGS,
        ACL,
        "pubsub",
        "List active channels",
        "2.8.0",
        "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        "[pattern:pattern]",
    ),
    &super::spec(
        "pubsub|numsub",
        -2,
        FLAGS,
        ACL,
        "pubsub",
        "Get the count of subscribers for channels",
        "2.8.0",
        "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        "[channel...]",
    ),
    &super::spec(
        "pubsub|numpat",
        2,
        FLAGS,
        ACL,
        "pubsub",
        "Get the count of unique patterns pattern subscriptions",
        "2.8.0",
        "O(1)",
        "",
    ),
    &super::spec(
        "pubsub|shardchannels",
        -2,
        FLAGS,
        ACL,
        "pubsub",
        "List active shard channels",
        "7.0.0",
        "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        "[pattern:pattern]",
    ),
    &super::spec(
        "pubsub|shardnumsub",
        -2,
        FLAGS,
        ACL,
        "pubsub",
        "Get the count of subscribers for shard channels",
        "7.0.0",
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        "[shardchannel...]",
    ),
    &super::spec(
        "pubsub|help",
        2,
        super::LOADING_STALE,
        &["@slow"],
        "pubsub",
        "Show helpful text about the different subcommands",
        "6.2.0",
        "O(1)",
        "",
    ),
];

pub fn run(_conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    let sub = argv[1].to_ascii_lowercase();
    match (sub.as_slice(), argv.len()) {
        (b"channels", 2 | 3) => channels(shared, false, argv.get(2)),
        (b"shardchannels", 2 | 3) => channels(shared, true, argv.get(2)),
        (b"numsub", _) => numsub(shared, false, &argv[2..]),
        (b"shardnumsub", _) => numsub(shared, true, &argv[2..]),
        (b"numpat", _) => {
            let patterns = shared.pubsub.lock().sizes().1;
            Frame::Integer(i64::try_from(patterns).unwrap_or(i64::MAX))
        }
        (b"help", _) => help(),
        // Only CHANNELS and SHARDCHANNELS with too many arguments get here: the
        // dispatcher already rejected unknown subcommands and wrong arities.
        _ => Frame::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            super::lossy(&argv[1], 128)
        )),
    }
}

/// Active channels, in no particular order (Redis walks its dict).
fn channels(shared: &Shared, shard: bool, pattern: Option<&Bytes>) -> Frame {
    let names = shared
        .pubsub
        .lock()
        .channels(shard, pattern.map(|p| &p[..]));
    Frame::Array(names.into_iter().map(Frame::Bulk).collect())
}

/// Channel, count, channel, count...: a flat array in both protocols, as Redis
/// writes it (`addReplyArrayLen`, not a map).
fn numsub(shared: &Shared, shard: bool, channels: &[Bytes]) -> Frame {
    let registry = shared.pubsub.lock();
    let mut out = Vec::with_capacity(channels.len() * 2);
    for c in channels {
        let n = registry.numsub(shard, c);
        out.push(Frame::Bulk(c.clone()));
        out.push(Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    Frame::Array(out)
}

fn help() -> Frame {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::simple(l)).collect())
}
