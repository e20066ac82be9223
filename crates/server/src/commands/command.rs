//! COMMAND [COUNT | INFO name... | DOCS name... | LIST | HELP]: the command table, in
//! Redis 7.0's reply shapes, built from the keyspace's specs and the server's own.

use bytes::Bytes;
use ferrodis_keyspace::{command_specs, CommandSpec};
use ferrodis_resp::Frame;

use super::Batch;
use super::SERVER_COMMANDS;
use crate::connection::Conn;

const FLAGS: &[&str] = &["loading", "stale"];
const ACL: &[&str] = &["@slow", "@connection"];

pub static SPEC: CommandSpec = super::spec(
    "command",
    -1,
    FLAGS,
    ACL,
    "server",
    "Get array of Redis command details",
    "2.8.13",
    "O(N) where N is the total number of Redis commands",
    "",
);

pub static SUBCOMMANDS: &[&CommandSpec] = &[
    &super::spec(
        "command|count",
        2,
        FLAGS,
        ACL,
        "server",
        "Get total number of Redis commands",
        "2.8.13",
        "O(1)",
        "",
    ),
    &super::spec(
        "command|info",
        -2,
        FLAGS,
        ACL,
        "server",
        "Get array of specific Redis command details, or all when no argument is given.",
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        "[command-name...]",
    ),
    &super::spec(
        "command|docs",
        -2,
        FLAGS,
        ACL,
        "server",
        "Get array of specific Redis command documentation",
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        "[command-name...]",
    ),
    &super::spec(
        "command|list",
        -2,
        FLAGS,
        ACL,
        "server",
        "Get an array of Redis command names",
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        "[FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern:pattern)]",
    ),
    &super::spec(
        "command|help",
        2,
        FLAGS,
        ACL,
        "server",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
    ),
];

/// A top-level command with its subcommands.
struct Entry {
    spec: &'static CommandSpec,
    subcommands: &'static [&'static CommandSpec],
}

fn all() -> impl Iterator<Item = Entry> {
    let server = SERVER_COMMANDS.iter().map(|c| Entry {
        spec: c.spec,
        subcommands: c.subcommands,
    });
    let keyspace = command_specs().iter().map(|spec| Entry {
        spec,
        subcommands: &[],
    });
    server.chain(keyspace)
}

fn find(name: &[u8]) -> Option<Entry> {
    all().find(|e| e.spec.name.as_bytes().eq_ignore_ascii_case(name))
}

pub fn run(_conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let Some(sub) = argv.get(1) else {
        return Frame::Array(all().map(|e| info(&e)).collect());
    };
    match sub.to_ascii_lowercase().as_slice() {
        b"count" => Frame::Integer(all().count() as i64),
        b"info" if argv.len() == 2 => Frame::Array(all().map(|e| info(&e)).collect()),
        b"info" => Frame::Array(
            argv[2..]
                .iter()
                .map(|n| find(n).map_or(Frame::Null, |e| info(&e)))
                .collect(),
        ),
        b"docs" if argv.len() == 2 => Frame::Map(all().map(|e| docs(&e)).collect()),
        b"docs" => Frame::Map(
            argv[2..]
                .iter()
                .filter_map(|n| find(n))
                .map(|e| docs(&e))
                .collect(),
        ),
        b"list" if argv.len() == 2 => {
            let mut names = Vec::new();
            for e in all() {
                names.push(Frame::bulk(e.spec.name));
                names.extend(e.subcommands.iter().map(|s| Frame::bulk(s.name)));
            }
            Frame::Array(names)
        }
        b"list" => Frame::static_error("ERR syntax error"),
        b"help" => Frame::Array(
            [
                "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
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

fn words(items: &[&'static str]) -> Frame {
    Frame::Set(items.iter().map(|s| Frame::simple(s)).collect())
}

fn kv(k: &'static str, v: Frame) -> (Frame, Frame) {
    (Frame::bulk(k), v)
}

/// One COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL
/// categories, tips, key specs, subcommands.
fn info(e: &Entry) -> Frame {
    info_of(e.spec, e.subcommands)
}

fn info_of(spec: &'static CommandSpec, subcommands: &[&'static CommandSpec]) -> Frame {
    Frame::Array(vec![
        Frame::bulk(spec.name),
        Frame::Integer(spec.arity.into()),
        words(spec.flags),
        Frame::Integer(spec.first_key.into()),
        Frame::Integer(spec.last_key.into()),
        Frame::Integer(spec.step.into()),
        words(spec.acl_categories),
        Frame::Set(vec![]),
        key_specs(spec),
        // Redis writes an empty set when there are no subcommands, an array otherwise.
        if subcommands.is_empty() {
            Frame::Set(vec![])
        } else {
            Frame::Array(subcommands.iter().map(|s| info_of(s, &[])).collect())
        },
    ])
}

/// The 7.0 key specification derived from first/last/step: an index search and a range.
/// Access flags follow the command's read/write flag.
fn key_specs(spec: &CommandSpec) -> Frame {
    if spec.first_key <= 0 {
        return Frame::Set(vec![]);
    }
    let flags: &[&str] = if spec.flags.contains(&"write") {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    let lastkey = if spec.last_key < 0 {
        spec.last_key
    } else {
        spec.last_key - spec.first_key
    };
    Frame::Set(vec![Frame::Map(vec![
        kv("flags", words(flags)),
        kv(
            "begin_search",
            Frame::Map(vec![
                kv("type", Frame::bulk("index")),
                kv(
                    "spec",
                    Frame::Map(vec![kv("index", Frame::Integer(spec.first_key.into()))]),
                ),
            ]),
        ),
        kv(
            "find_keys",
            Frame::Map(vec![
                kv("type", Frame::bulk("range")),
                kv(
                    "spec",
                    Frame::Map(vec![
                        kv("lastkey", Frame::Integer(lastkey.into())),
                        kv("keystep", Frame::Integer(spec.step.into())),
                        kv("limit", Frame::Integer(0)),
                    ]),
                ),
            ]),
        ),
    ])])
}

/// One COMMAND DOCS entry: name → {summary, since, group, complexity[, subcommands]}.
fn docs(e: &Entry) -> (Frame, Frame) {
    (Frame::bulk(e.spec.name), docs_of(e.spec, e.subcommands))
}

fn docs_of(spec: &'static CommandSpec, subcommands: &[&'static CommandSpec]) -> Frame {
    let mut fields = vec![
        kv("summary", Frame::bulk(spec.summary)),
        kv("since", Frame::bulk(spec.since)),
        kv("group", Frame::bulk(spec.group)),
        kv("complexity", Frame::bulk(spec.complexity)),
    ];
    // A syntax that does not parse is caught by this module's tests.
    if let Ok(args) = super::docs::parse(spec.syntax) {
        if !args.is_empty() {
            fields.push(kv("arguments", super::docs::frames(&args)));
        }
    }
    if !subcommands.is_empty() {
        let subs = subcommands
            .iter()
            .map(|s| (Frame::bulk(s.name), docs_of(s, &[])))
            .collect();
        fields.push(kv("subcommands", Frame::Map(subs)));
    }
    Frame::Map(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_syntax_parses() {
        for e in all() {
            for spec in std::iter::once(e.spec).chain(e.subcommands.iter().copied()) {
                if let Err(err) = super::super::docs::parse(spec.syntax) {
                    panic!("{}: {err}", spec.name);
                }
            }
        }
    }
}
