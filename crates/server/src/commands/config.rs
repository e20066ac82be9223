//! CONFIG GET pattern... | SET name value [name value ...] | RESETSTAT | REWRITE | HELP.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use crate::config::SetContext;
use crate::connection::Conn;
use crate::shared::Shared;

pub static SPEC: CommandSpec = super::spec(
    "config",
    -2,
    &[],
    &["@slow"],
    "server",
    "A container for server configuration commands",
    "2.0.0",
    "Depends on subcommand.",
);

const FLAGS: &[&str] = super::ADMIN_FLAGS;
const ACL: &[&str] = super::ADMIN_ACL;

pub static SUBCOMMANDS: &[&CommandSpec] = &[
    &super::spec(
        "config|get",
        -3,
        FLAGS,
        ACL,
        "server",
        "Get the values of configuration parameters",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
    ),
    &super::spec(
        "config|set",
        -4,
        FLAGS,
        ACL,
        "server",
        "Set configuration parameters to the given values",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
    ),
    &super::spec(
        "config|resetstat",
        2,
        FLAGS,
        ACL,
        "server",
        "Reset the stats returned by INFO",
        "2.0.0",
        "O(1)",
    ),
    &super::spec(
        "config|rewrite",
        2,
        FLAGS,
        ACL,
        "server",
        "Rewrite the configuration file with the in memory configuration",
        "2.8.0",
        "O(1)",
    ),
    &super::spec(
        "config|help",
        2,
        super::LOADING_STALE,
        &["@slow"],
        "server",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
    ),
];

pub fn run(conn: &mut Conn, shared: &Shared, argv: &[Bytes]) -> Frame {
    match argv[1].to_ascii_lowercase().as_slice() {
        b"get" => get(shared, &argv[2..]),
        b"set" => set(conn, shared, &argv[2..]),
        b"resetstat" => {
            shared.stats.reset();
            shared.keyspace().reset_stats();
            Frame::ok()
        }
        b"rewrite" => rewrite(shared),
        b"help" => Frame::Array(
            [
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "REWRITE",
                "    Rewrite the configuration file.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Frame::simple(l))
            .collect(),
        ),
        _ => super::unknown_subcommand(argv),
    }
}

/// Name/value pairs of every parameter matching any pattern, each once (Redis 7.0
/// accepts several patterns). RESP3 clients get a map.
fn get(shared: &Shared, patterns: &[Bytes]) -> Frame {
    let pairs = shared.config().get_patterns(patterns);
    Frame::Map(
        pairs
            .into_iter()
            .map(|(name, value)| {
                (
                    Frame::Bulk(Bytes::from(name)),
                    Frame::Bulk(Bytes::from(value)),
                )
            })
            .collect(),
    )
}

fn set(conn: &Conn, shared: &Shared, args: &[Bytes]) -> Frame {
    if args.len() % 2 != 0 {
        return Frame::static_error("ERR syntax error");
    }
    let pairs: Vec<(&[u8], &[u8])> = args
        .chunks_exact(2)
        .map(|p| (&p[0][..], &p[1][..]))
        .collect();
    let ctx = SetContext {
        local_client: conn.is_local,
        loading: false,
    };
    match shared.update_config(|c| c.set(&pairs, ctx)) {
        Ok(changed) => {
            apply_side_effects(shared, &changed);
            Frame::ok()
        }
        Err(msg) => Frame::error(msg),
    }
}

/// What a changed parameter does to the running server beyond the value itself.
fn apply_side_effects(shared: &Shared, changed: &[&str]) {
    for name in changed {
        if *name == "dir" {
            let dir = shared.config().get_str("dir").to_string();
            if let Err(e) = std::env::set_current_dir(&dir) {
                tracing::warn!("Can't chdir to '{dir}': {e}");
            }
        }
    }
}

fn rewrite(shared: &Shared) -> Frame {
    match shared.config().rewrite() {
        Ok(()) => {
            tracing::info!("CONFIG REWRITE executed with success.");
            Frame::ok()
        }
        Err(e) => {
            tracing::warn!("CONFIG REWRITE failed: {e}");
            Frame::error(e)
        }
    }
}
