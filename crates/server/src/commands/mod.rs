//! The server's own commands (connection, introspection, admin) and the dispatcher
//! that routes every command either here or to the keyspace.
//!
//! One file per command, each exporting `SPEC` (its COMMAND INFO/DOCS metadata, the
//! same struct the keyspace uses) and `run`. The order of checks follows Redis 7.0's
//! `processCommand`: existence, arity, authentication, then execution.

mod auth;
mod bgrewriteaof;
mod client;
mod command;
mod config;
mod debug;
mod docs;
mod echo;
mod exec;
mod hello;
mod info;
mod misconf;
mod multi;
mod oom;
mod ping;
mod pubsub;
mod pubsub_info;
mod quit;
mod replconf;
mod replicaof;
mod reset;
mod role;
mod save;
mod shutdown;
mod sync;
mod time;
mod wait;
mod watch;

use std::sync::{MutexGuard, OnceLock};

use bytes::Bytes;
use ferrodis_keyspace::{CommandSpec, Keyspace, Outcome};
use ferrodis_resp::Frame;

use crate::connection::Conn;
use crate::shared::Shared;

pub use multi::Multi;

/// A server command: its metadata and its handler.
#[derive(Debug)]
pub struct ServerCommand {
    /// COMMAND INFO / DOCS metadata.
    pub spec: &'static CommandSpec,
    /// Subcommands of a container command such as CLIENT (`client|list`, ...).
    pub subcommands: &'static [&'static CommandSpec],
    /// Runs the command; arity is already checked.
    pub run: fn(&mut Conn, &mut Batch<'_>, &[Bytes]) -> Frame,
}

/// Every server command, in no particular order.
pub static SERVER_COMMANDS: &[ServerCommand] = &[
    ServerCommand {
        spec: &auth::SPEC,
        subcommands: &[],
        run: auth::run,
    },
    ServerCommand {
        spec: &bgrewriteaof::SPEC,
        subcommands: &[],
        run: bgrewriteaof::run,
    },
    ServerCommand {
        spec: &client::SPEC,
        subcommands: client::SUBCOMMANDS,
        run: client::run,
    },
    ServerCommand {
        spec: &command::SPEC,
        subcommands: command::SUBCOMMANDS,
        run: command::run,
    },
    ServerCommand {
        spec: &config::SPEC,
        subcommands: config::SUBCOMMANDS,
        run: config::run,
    },
    ServerCommand {
        spec: &debug::SPEC,
        subcommands: &[],
        run: debug::run,
    },
    ServerCommand {
        spec: &echo::SPEC,
        subcommands: &[],
        run: echo::run,
    },
    ServerCommand {
        spec: &hello::SPEC,
        subcommands: &[],
        run: hello::run,
    },
    ServerCommand {
        spec: &info::SPEC,
        subcommands: &[],
        run: info::run,
    },
    ServerCommand {
        spec: &ping::SPEC,
        subcommands: &[],
        run: ping::run,
    },
    ServerCommand {
        spec: &pubsub::SUBSCRIBE,
        subcommands: &[],
        run: pubsub::subscribe,
    },
    ServerCommand {
        spec: &pubsub::UNSUBSCRIBE,
        subcommands: &[],
        run: pubsub::unsubscribe,
    },
    ServerCommand {
        spec: &pubsub::PSUBSCRIBE,
        subcommands: &[],
        run: pubsub::psubscribe,
    },
    ServerCommand {
        spec: &pubsub::PUNSUBSCRIBE,
        subcommands: &[],
        run: pubsub::punsubscribe,
    },
    ServerCommand {
        spec: &pubsub::PUBLISH,
        subcommands: &[],
        run: pubsub::publish,
    },
    ServerCommand {
        spec: &pubsub::SSUBSCRIBE,
        subcommands: &[],
        run: pubsub::ssubscribe,
    },
    ServerCommand {
        spec: &pubsub::SUNSUBSCRIBE,
        subcommands: &[],
        run: pubsub::sunsubscribe,
    },
    ServerCommand {
        spec: &pubsub::SPUBLISH,
        subcommands: &[],
        run: pubsub::spublish,
    },
    ServerCommand {
        spec: &pubsub_info::SPEC,
        subcommands: pubsub_info::SUBCOMMANDS,
        run: pubsub_info::run,
    },
    ServerCommand {
        spec: &quit::SPEC,
        subcommands: &[],
        run: quit::run,
    },
    ServerCommand {
        spec: &reset::SPEC,
        subcommands: &[],
        run: reset::run,
    },
    ServerCommand {
        spec: &save::SAVE_SPEC,
        subcommands: &[],
        run: save::save,
    },
    ServerCommand {
        spec: &save::BGSAVE_SPEC,
        subcommands: &[],
        run: save::bgsave,
    },
    ServerCommand {
        spec: &save::LASTSAVE_SPEC,
        subcommands: &[],
        run: save::lastsave,
    },
    ServerCommand {
        spec: &shutdown::SPEC,
        subcommands: &[],
        run: shutdown::run,
    },
    ServerCommand {
        spec: &time::SPEC,
        subcommands: &[],
        run: time::run,
    },
    ServerCommand {
        spec: &multi::MULTI_SPEC,
        subcommands: &[],
        run: multi::multi,
    },
    ServerCommand {
        spec: &exec::SPEC,
        subcommands: &[],
        run: exec::run,
    },
    ServerCommand {
        spec: &multi::DISCARD_SPEC,
        subcommands: &[],
        run: multi::discard,
    },
    ServerCommand {
        spec: &watch::WATCH_SPEC,
        subcommands: &[],
        run: watch::watch,
    },
    ServerCommand {
        spec: &watch::UNWATCH_SPEC,
        subcommands: &[],
        run: watch::unwatch,
    },
    // Replication.
    ServerCommand {
        spec: &replicaof::SPEC,
        subcommands: &[],
        run: replicaof::run,
    },
    ServerCommand {
        spec: &replicaof::SLAVEOF_SPEC,
        subcommands: &[],
        run: replicaof::run,
    },
    ServerCommand {
        spec: &role::SPEC,
        subcommands: &[],
        run: role::run,
    },
    ServerCommand {
        spec: &sync::SYNC_SPEC,
        subcommands: &[],
        run: sync::sync,
    },
    ServerCommand {
        spec: &sync::PSYNC_SPEC,
        subcommands: &[],
        run: sync::psync,
    },
    ServerCommand {
        spec: &replconf::SPEC,
        subcommands: &[],
        run: replconf::run,
    },
    ServerCommand {
        spec: &wait::SPEC,
        subcommands: &[],
        run: wait::run,
    },
];

/// The server command called `name` (any case).
pub fn lookup(name: &[u8]) -> Option<&'static ServerCommand> {
    // Every command goes through here first, and most are keyspace ones: a filter on
    // (first letter, length) turns nearly all of those away without a scan.
    let first = name.first()?;
    let lengths = name_filter()[usize::from(first & 0x1f)];
    if lengths & (1 << name.len().min(63)) == 0 {
        return None;
    }
    SERVER_COMMANDS
        .iter()
        .find(|c| c.spec.name.as_bytes().eq_ignore_ascii_case(name))
}

/// For each first byte folded to 5 bits (letters ignore case), the set of name
/// lengths (capped at 63) of server commands starting with it.
fn name_filter() -> &'static [u64; 32] {
    static FILTER: OnceLock<[u64; 32]> = OnceLock::new();
    FILTER.get_or_init(|| {
        let mut filter = [0u64; 32];
        for c in SERVER_COMMANDS {
            let name = c.spec.name.as_bytes();
            if let Some(first) = name.first() {
                filter[usize::from(first & 0x1f)] |= 1 << name.len().min(63);
            }
        }
        filter
    })
}

/// What a run of pipelined commands shares: one acquisition of the keyspace lock for
/// all its commands (server commands that need the keyspace use it too, so a MULTI
/// block runs atomically), and one update of the command counter.
pub struct Batch<'a> {
    shared: &'a Shared,
    keyspace: Option<MutexGuard<'a, Keyspace>>,
    commands: u64,
    /// Set while EXEC runs its queue: those commands skip the checks done at EXEC.
    in_exec: bool,
}

impl<'a> Batch<'a> {
    /// A batch on `shared`; takes no lock yet.
    pub fn new(shared: &'a Shared) -> Batch<'a> {
        Batch {
            shared,
            keyspace: None,
            commands: 0,
            in_exec: false,
        }
    }

    /// The server state.
    pub fn shared(&self) -> &'a Shared {
        self.shared
    }

    /// The keyspace if a command of the batch has locked it (nothing can have
    /// changed otherwise).
    pub fn locked_keyspace(&mut self) -> Option<&mut Keyspace> {
        self.keyspace.as_deref_mut()
    }

    /// The keyspace, unless the start-up load holds it: INFO must answer
    /// during the load without waiting for its end.
    pub fn keyspace_unless_loading(&mut self) -> Option<&mut Keyspace> {
        if self.keyspace.is_none() && self.shared.loading.active() {
            return None;
        }
        Some(self.keyspace())
    }

    /// The keyspace, locked for the rest of the batch.
    pub fn keyspace(&mut self) -> &mut Keyspace {
        let shared = self.shared;
        self.keyspace.get_or_insert_with(|| shared.keyspace())
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Some(keyspace) = self.keyspace.as_deref_mut() {
            // The batch's writes leave for the AOF and replicas before the lock goes.
            self.shared.propagation.flush(keyspace);
        }
        self.shared.stats.commands_processed.add(self.commands);
    }
}

/// Run one command for `conn`, returning its reply.
///
/// The checks follow Redis 7.0's `processCommand`: existence, arity, authentication,
/// `maxmemory` (eviction, OOM), then either queueing (inside MULTI, where a failed
/// check aborts the transaction) or execution. An authenticated client outside MULTI
/// skips straight to execution for keyspace commands, whose arity the keyspace checks
/// itself (the hot path; with `maxmemory` set it still evicts first).
pub fn dispatch(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let Some(name) = argv.first() else {
        return Frame::static_error("ERR empty command");
    };
    batch.commands += 1;
    let server = lookup(name);
    // A RESP2 client with subscriptions may only run the pub/sub commands, PING,
    // QUIT and RESET (checked after existence, arity and auth, as in Redis 7.0).
    let pubsub_context = conn.in_pubsub_context();
    let repl_checks = batch.shared.replication.may_refuse() && !conn.master_link;
    let loading = batch.shared.loading.active();
    if conn.multi.is_some()
        || !conn.authenticated
        || server.is_some()
        || pubsub_context
        || repl_checks
        || loading
    {
        let spec = match check(conn, server, argv) {
            Ok(spec) => spec,
            Err(reply) => {
                if let Some(multi) = conn.multi.as_mut() {
                    multi.aborted = true;
                }
                return reply;
            }
        };
        // Evicting needs the keyspace, which the start-up load holds.
        if batch.shared.eviction.maxmemory() > 0 && !batch.in_exec && !loading {
            if let Some(reply) = oom::check(conn, batch, Some(spec), argv) {
                return reply;
            }
        }
        if misconf::possible(batch.shared) {
            if let Some(reply) = misconf::check(conn, batch.shared, spec) {
                if let Some(multi) = conn.multi.as_mut() {
                    multi.aborted = true;
                }
                return reply;
            }
        }
        if repl_checks {
            if let Some(reply) = crate::replication::refuse(batch.shared, spec, pubsub_context) {
                if let Some(multi) = conn.multi.as_mut() {
                    multi.aborted = true;
                }
                return reply;
            }
        }
        if pubsub_context && !server.is_some_and(|c| pubsub::allowed_in_context(c.spec.name)) {
            return pubsub::not_allowed(spec.name);
        }
        // Redis's `processCommand()`: after the replica checks, before queueing.
        if loading && !spec.flags.contains(&"loading") {
            if let Some(multi) = conn.multi.as_mut() {
                multi.aborted = true;
            }
            return Frame::static_error(crate::loading::LOADING_ERR);
        }
        if let Some(multi) = conn.multi.as_mut() {
            let control = server.is_some_and(|c| multi::CONTROL.contains(&c.spec.name));
            if !control {
                multi.queued.push(argv.to_vec());
                return Frame::simple("QUEUED");
            }
        }
    } else {
        if batch.shared.eviction.maxmemory() > 0 && !batch.in_exec {
            if let Some(reply) = oom::check(conn, batch, None, argv) {
                return reply;
            }
        }
        if misconf::possible(batch.shared) {
            if let Some(reply) = ferrodis_keyspace::lookup(name)
                .and_then(|spec| misconf::check(conn, batch.shared, spec))
            {
                return reply;
            }
        }
    }
    let reply = match server {
        Some(cmd) => (cmd.run)(conn, batch, argv),
        // The start-up load holds the keyspace: SELECT answers without it.
        None if loading && argv[0].eq_ignore_ascii_case(b"select") => {
            let databases = batch.shared.config().get_int("databases").max(1) as usize;
            ferrodis_keyspace::select_db(&mut conn.session, databases, &argv[1])
                .unwrap_or_else(|e| e.to_frame())
        }
        None => keyspace_command(conn, batch, argv),
    };
    if let Some(keyspace) = batch.keyspace.as_deref_mut() {
        if keyspace.has_notifications() {
            publish_notifications(conn, batch.shared, keyspace);
        }
    }
    reply
}

/// Publishes the keyspace notifications the command raised. A subscriber that raised
/// them itself (RESP3) gets them before the reply, as Redis writes them into its
/// output buffer while the command runs.
#[cold]
fn publish_notifications(conn: &mut Conn, shared: &Shared, keyspace: &mut Keyspace) {
    crate::notify::publish(&shared.pubsub, keyspace, conn.settings.obuf_pubsub);
    if let Some(inbox) = conn.pubsub.as_mut() {
        inbox.drain_frames(&mut conn.pushes);
    }
}

/// A keyspace command, which may block the client (BLPOP and the like) unless
/// blocking is denied (inside EXEC).
fn keyspace_command(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    let keyspace = batch.keyspace();
    let outcome = if conn.deny_blocking {
        keyspace
            .execute(&mut conn.session, argv)
            .map(Outcome::Reply)
    } else {
        keyspace.execute_blocking(&mut conn.session, argv, conn.client.id)
    };
    match outcome {
        Some(Outcome::Reply(reply)) => {
            if argv[0].eq_ignore_ascii_case(b"flushall") && !reply.is_error() {
                tokio::task::block_in_place(|| crate::save::after_flushall(shared, keyspace));
            }
            reply
        }
        Some(Outcome::Blocked { timeout_ms }) => {
            // Registered while the keyspace is still locked, so no writer can serve
            // the client before its channel exists. The connection writes no reply
            // for now (see `Conn::blocked`).
            conn.blocked = Some(shared.blocking.add(&conn.client, timeout_ms));
            Frame::Null
        }
        None => unknown_command(argv),
    }
}

/// Existence, arity (of the subcommand too), authentication and, inside MULTI, the
/// `no_multi` flag.
fn check(
    conn: &Conn,
    server: Option<&'static ServerCommand>,
    argv: &[Bytes],
) -> Result<&'static CommandSpec, Frame> {
    let spec = match server {
        Some(cmd) => {
            if !arity_ok(cmd.spec.arity, argv.len()) {
                return Err(wrong_arity(cmd.spec.name));
            }
            // Container commands check the subcommand (Redis 7.0 reports its arity
            // errors as 'client|setname').
            match argv.get(1) {
                Some(sub) if !cmd.subcommands.is_empty() => {
                    let Some(sub) = find_sub(cmd, sub) else {
                        return Err(if conn.authenticated {
                            unknown_subcommand(argv)
                        } else {
                            noauth()
                        });
                    };
                    if !arity_ok(sub.arity, argv.len()) {
                        return Err(wrong_arity(sub.name));
                    }
                    sub
                }
                _ => cmd.spec,
            }
        }
        None => match ferrodis_keyspace::lookup(&argv[0]) {
            None => return Err(unknown_command(argv)),
            Some(spec) if !spec.arity_ok(argv.len()) => return Err(wrong_arity(spec.name)),
            Some(spec) => spec,
        },
    };
    if !conn.authenticated && !spec.flags.contains(&"no_auth") {
        return Err(noauth());
    }
    if conn.multi.is_some() && spec.flags.contains(&"no_multi") {
        return Err(Frame::static_error(
            "ERR Command not allowed inside a transaction",
        ));
    }
    Ok(spec)
}

fn noauth() -> Frame {
    Frame::static_error("NOAUTH Authentication required.")
}

/// The subcommand spec `container|sub` of a container command.
fn find_sub(cmd: &ServerCommand, sub: &[u8]) -> Option<&'static CommandSpec> {
    find_sub_in(cmd.subcommands, sub)
}

/// The spec called `container|sub` among a container's subcommands.
fn find_sub_in(
    subcommands: &'static [&'static CommandSpec],
    sub: &[u8],
) -> Option<&'static CommandSpec> {
    subcommands.iter().copied().find(|s| {
        s.name
            .split_once('|')
            .is_some_and(|(_, n)| n.as_bytes().eq_ignore_ascii_case(sub))
    })
}

/// Whether `argc` arguments (including the name) satisfy `arity` (negative = at least).
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    (arity >= 0 && argc == arity) || (arity < 0 && argc >= -arity)
}

/// `ERR wrong number of arguments for 'get' command`.
pub fn wrong_arity(name: &str) -> Frame {
    Frame::error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// Redis's unknown-command error: the name (at most 128 bytes) and the first
/// arguments quoted, their total capped at 128 bytes (`commandCheckExistence`).
pub fn unknown_command(argv: &[Bytes]) -> Frame {
    let name = argv.first().map(|n| lossy(n, 128)).unwrap_or_default();
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&lossy(a, room));
        args.push_str("' ");
    }
    Frame::error(format!(
        "ERR unknown command '{name}', with args beginning with: {args}"
    ))
}

/// `ERR unknown subcommand 'foo'. Try CLIENT HELP.`
pub fn unknown_subcommand(argv: &[Bytes]) -> Frame {
    let cmd = argv.first().map(|n| lossy(n, 128)).unwrap_or_default();
    let sub = argv.get(1).map(|n| lossy(n, 128)).unwrap_or_default();
    Frame::error(format!(
        "ERR unknown subcommand '{sub}'. Try {} HELP.",
        cmd.to_ascii_uppercase()
    ))
}

/// The name CLIENT LIST shows for a command: lowercase, `container|sub` for
/// subcommands. Rewrites `out` only when it changes.
pub fn set_display_name(out: &mut String, argv: &[Bytes]) {
    let Some(name) = argv.first() else { return };
    let subs = lookup(name).map_or_else(
        || ferrodis_keyspace::subcommand_specs(name),
        |c| c.subcommands,
    );
    let sub = argv.get(1).and_then(|s| find_sub_in(subs, s));
    match sub {
        Some(spec) => {
            if out != spec.name {
                spec.name.clone_into(out);
            }
        }
        None => {
            if !out.as_bytes().eq_ignore_ascii_case(name) {
                *out = String::from_utf8_lossy(name).to_ascii_lowercase();
            }
        }
    }
}

/// Up to `max` bytes of `b` as text, with CR and LF replaced by spaces: Redis sanitizes
/// error replies the same way so one error stays one protocol line.
pub fn lossy(b: &[u8], max: usize) -> String {
    let b = &b[..b.len().min(max)];
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// A spec for a server command; keeps the per-command files short.
#[allow(clippy::too_many_arguments)]
pub const fn spec(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    acl_categories: &'static [&'static str],
    group: &'static str,
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
    syntax: &'static str,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        step: 0,
        acl_categories,
        group,
        summary,
        since,
        complexity,
        syntax,
    }
}

/// Flags of connection commands allowed before AUTH (Redis 7.0's AUTH, HELLO, QUIT, RESET).
pub const NO_AUTH_FLAGS: &[&str] = &[
    "noscript",
    "loading",
    "stale",
    "fast",
    "no_auth",
    "allow_busy",
];
/// Flags of admin commands such as CONFIG SET.
pub const ADMIN_FLAGS: &[&str] = &["admin", "noscript", "loading", "stale"];
/// ACL categories of admin commands.
pub const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
/// Flags of introspection commands that work while loading.
pub const LOADING_STALE: &[&str] = &["loading", "stale"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_rules() {
        assert!(arity_ok(2, 2));
        assert!(!arity_ok(2, 3));
        assert!(arity_ok(-2, 5));
        assert!(!arity_ok(-2, 1));
    }

    #[test]
    fn unknown_command_text_matches_redis() {
        let argv = [Bytes::from("foo"), Bytes::from("bar"), Bytes::from("baz")];
        assert_eq!(
            unknown_command(&argv),
            Frame::error("ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ")
        );
        let argv = [Bytes::from("?foo")];
        assert_eq!(
            unknown_command(&argv),
            Frame::error("ERR unknown command '?foo', with args beginning with: ")
        );
    }

    #[test]
    fn lookup_finds_every_server_command_in_any_case() {
        for c in SERVER_COMMANDS {
            let upper = c.spec.name.to_ascii_uppercase();
            assert!(lookup(upper.as_bytes()).is_some(), "{}", c.spec.name);
        }
        assert!(lookup(b"GET").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(&[b'p'; 100]).is_none());
    }

    #[test]
    fn display_names_of_subcommands() {
        let mut s = String::new();
        set_display_name(&mut s, &[Bytes::from("CLIENT"), Bytes::from("List")]);
        assert_eq!(s, "client|list");
        set_display_name(&mut s, &[Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(s, "get");
        let object = [
            Bytes::from("OBJECT"),
            Bytes::from("Encoding"),
            Bytes::from("k"),
        ];
        set_display_name(&mut s, &object);
        assert_eq!(s, "object|encoding", "keyspace containers too");
        set_display_name(&mut s, &[Bytes::from("OBJECT"), Bytes::from("nosuch")]);
        assert_eq!(s, "object");
    }

    #[test]
    fn every_subcommand_is_named_after_its_container() {
        for c in SERVER_COMMANDS {
            for s in c.subcommands {
                assert!(
                    s.name.starts_with(&format!("{}|", c.spec.name)),
                    "{}",
                    s.name
                );
            }
        }
    }
}
