//! CLIENT ID | SETNAME | GETNAME | LIST | INFO | KILL | HELP.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::clients::Client;
use crate::connection::Conn;
use crate::shared::Shared;

pub static SPEC: CommandSpec = super::spec(
    "client",
    -2,
    &[],
    &["@slow"],
    "connection",
    "A container for client connection commands",
    "2.4.0",
    "Depends on subcommand.",
    "",
);

const CONN: &[&str] = &["@slow", "@connection"];
const CONN_FLAGS: &[&str] = &["noscript", "loading", "stale"];

pub static SUBCOMMANDS: &[&CommandSpec] = &[
    &super::spec(
        "client|id",
        2,
        CONN_FLAGS,
        CONN,
        "connection",
        "Returns the client ID for the current connection",
        "5.0.0",
        "O(1)",
        "",
    ),
    &super::spec(
        "client|setname",
        3,
        CONN_FLAGS,
        CONN,
        "connection",
        "Set the current connection name",
        "2.6.9",
        "O(1)",
        "connection-name",
    ),
    &super::spec(
        "client|getname",
        2,
        CONN_FLAGS,
        CONN,
        "connection",
        "Get the current connection name",
        "2.6.9",
        "O(1)",
        "",
    ),
    &super::spec(
        "client|list",
        -2,
        super::ADMIN_FLAGS,
        &["@admin", "@slow", "@dangerous", "@connection"],
        "connection",
        "Get the list of client connections",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id:integer...]",
    ),
    &super::spec(
        "client|info",
        2,
        CONN_FLAGS,
        CONN,
        "connection",
        "Returns information about the current client connection.",
        "6.2.0",
        "O(1)",
        "",
    ),
    &super::spec(
        "client|kill",
        -3,
        super::ADMIN_FLAGS,
        &["@admin", "@slow", "@dangerous", "@connection"],
        "connection",
        "Kill the connection of a client",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "(ip:port | ([ID client-id:integer] | [TYPE (NORMAL | MASTER | SLAVE | REPLICA | PUBSUB)] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no])...)",
    ),
    &super::spec(
        "client|unblock",
        -3,
        super::ADMIN_FLAGS,
        &["@admin", "@slow", "@dangerous", "@connection"],
        "connection",
        "Unblock a client blocked in a blocking command from a different connection",
        "5.0.0",
        "O(log N) where N is the number of client connections",
        "client-id:integer [TIMEOUT | ERROR]",
    ),
    &super::spec(
        "client|help",
        2,
        super::LOADING_STALE,
        CONN,
        "connection",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
    ),
];

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let shared = batch.shared();
    let sub = argv[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"id" => Frame::Integer(conn.client.id as i64),
        b"setname" => match set_name(conn, &argv[2]) {
            Ok(()) => Frame::ok(),
            Err(e) => e,
        },
        b"getname" => {
            let name = conn.client.meta().name.clone();
            if name.is_empty() {
                Frame::Null
            } else {
                Frame::Bulk(Bytes::from(name))
            }
        }
        b"info" => {
            sync_meta(conn, "client|info");
            verbatim(format!("{}\n", conn.client.info_line()))
        }
        b"list" => list(conn, shared, &argv[2..]),
        b"kill" => kill(conn, batch, &argv[2..]),
        b"unblock" => unblock(batch, argv),
        b"help" => help(),
        _ => super::unknown_subcommand(argv),
    }
}

/// Set (or with "" clear) the connection name; Redis allows only `!`..`~`.
pub fn set_name(conn: &mut Conn, name: &[u8]) -> Result<(), Frame> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(Frame::static_error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    conn.client.meta().name = String::from_utf8_lossy(name).into_owned();
    Ok(())
}

/// Before listing clients, show this client's current db and command as Redis does
/// (its `lastcmd` is set before the command runs).
fn sync_meta(conn: &Conn, cmd: &str) {
    let mut meta = conn.client.meta();
    meta.db = conn.session.db;
    meta.protocol = conn.session.protocol;
    meta.last_interaction = std::time::Instant::now();
    cmd.clone_into(&mut meta.last_cmd);
}

/// Redis 7 answers CLIENT LIST / INFO with a verbatim `txt` string (a bulk string in RESP2).
fn verbatim(text: String) -> Frame {
    Frame::Verbatim {
        format: *b"txt",
        data: Bytes::from(text),
    }
}

fn list(conn: &Conn, shared: &Shared, args: &[Bytes]) -> Frame {
    sync_meta(conn, "client|list");
    let mut clients = shared.clients.all();
    match args {
        [] => {}
        [opt, ty] if opt.eq_ignore_ascii_case(b"type") => match client_type(ty) {
            Ok(ty) => clients.retain(|c| ty.matches(c)),
            Err(e) => return e,
        },
        [opt, ids @ ..] if opt.eq_ignore_ascii_case(b"id") && !ids.is_empty() => {
            let mut wanted = Vec::with_capacity(ids.len());
            for id in ids {
                match parse_u64(id) {
                    Some(id) if id > 0 => wanted.push(id),
                    _ => return Frame::static_error("ERR Invalid client ID"),
                }
            }
            clients.retain(|c| wanted.contains(&c.id));
        }
        _ => return Frame::static_error("ERR syntax error"),
    }
    let mut out = String::new();
    for c in clients {
        out.push_str(&c.info_line());
        out.push('\n');
    }
    verbatim(out)
}

/// Redis's `getClientType` classes.
#[derive(Clone, Copy)]
enum ClientType {
    Normal,
    /// Has subscriptions (the CLIENT_PUBSUB flag).
    Pubsub,
    /// This server's master link.
    Master,
    /// A replica of this server.
    Replica,
}

impl ClientType {
    fn matches(self, c: &Client) -> bool {
        use crate::clients::Kind;
        match (self, c.kind()) {
            (ClientType::Master, Kind::Master) | (ClientType::Replica, Kind::Replica) => true,
            (ClientType::Normal, Kind::Normal) => !c.pubsub.active(),
            (ClientType::Pubsub, Kind::Normal) => c.pubsub.active(),
            _ => false,
        }
    }
}

fn client_type(ty: &[u8]) -> Result<ClientType, Frame> {
    match ty.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(ClientType::Normal),
        b"pubsub" => Ok(ClientType::Pubsub),
        b"master" => Ok(ClientType::Master),
        b"replica" | b"slave" => Ok(ClientType::Replica),
        _ => Err(Frame::error(format!(
            "ERR Unknown client type '{}'",
            super::lossy(ty, 128)
        ))),
    }
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// CLIENT KILL ip:port (old form: +OK or an error), or filters
/// `ID | TYPE | ADDR | LADDR | USER | SKIPME` (new form: the number killed).
fn kill(conn: &mut Conn, batch: &mut Batch<'_>, args: &[Bytes]) -> Frame {
    let shared = batch.shared();
    if let [addr] = args {
        let found = shared
            .clients
            .all()
            .into_iter()
            .find(|c| c.addr.to_string().as_bytes() == &addr[..]);
        return match found {
            Some(c) => {
                kill_one(conn, batch, &c);
                Frame::ok()
            }
            None => Frame::static_error("ERR No such client"),
        };
    }
    if args.len() % 2 != 0 {
        return Frame::static_error("ERR syntax error");
    }
    let mut filter = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    for pair in args.chunks_exact(2) {
        let (opt, val) = (pair[0].to_ascii_lowercase(), pair[1].clone());
        match opt.as_slice() {
            b"id" => match parse_u64(&val) {
                Some(id) if id > 0 => filter.id = Some(id),
                _ => return Frame::static_error("ERR client-id should be greater than 0"),
            },
            b"type" => match client_type(&val) {
                Ok(ty) => filter.ty = Some(ty),
                Err(e) => return e,
            },
            b"addr" => filter.addr = Some(val),
            b"laddr" => filter.laddr = Some(val),
            b"user" => {
                if &val[..] != b"default" {
                    return Frame::error(format!("ERR No such user '{}'", super::lossy(&val, 128)));
                }
            }
            b"skipme" => match val.to_ascii_lowercase().as_slice() {
                b"yes" => filter.skipme = true,
                b"no" => filter.skipme = false,
                _ => return Frame::static_error("ERR syntax error"),
            },
            _ => return Frame::static_error("ERR syntax error"),
        }
    }
    let mut killed = 0;
    for c in shared.clients.all() {
        if filter.matches(&c, conn.client.id) {
            kill_one(conn, batch, &c);
            killed += 1;
        }
    }
    Frame::Integer(killed)
}

/// The filters of the new CLIENT KILL form; all given ones must match.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    ty: Option<ClientType>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &Client, me: u64) -> bool {
        let addr_is = |want: &Option<Bytes>, have: std::net::SocketAddr| {
            want.as_ref()
                .is_none_or(|w| have.to_string().as_bytes() == &w[..])
        };
        let skipped = self.skipme && c.id == me;
        !skipped
            && self.ty.is_none_or(|ty| ty.matches(c))
            && self.id.is_none_or(|id| c.id == id)
            && addr_is(&self.addr, c.addr)
            && addr_is(&self.laddr, c.laddr)
    }
}

fn kill_one(conn: &mut Conn, batch: &mut Batch<'_>, target: &Client) {
    if target.id == conn.client.id {
        conn.close_after_reply = true;
    } else {
        // Redis frees the client at once: it must not be served after this reply.
        if target.is_blocked() {
            let shared = batch.shared();
            crate::blocking::release(shared, batch.keyspace(), target.id, None);
        }
        target.kill();
    }
}

/// CLIENT UNBLOCK id [TIMEOUT | ERROR]: 1 if the client was blocked and now has the
/// timeout reply (or the UNBLOCKED error), else 0. The reason is checked before the
/// id, as in Redis's clientCommand().
fn unblock(batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let error = match argv.get(3) {
        _ if argv.len() > 4 => {
            return Frame::error(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                super::lossy(&argv[1], 128)
            ))
        }
        None => false,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => false,
        Some(r) if r.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Frame::static_error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        }
    };
    let Some(id) = ferrodis_resp::parse_i64(&argv[2]) else {
        return Frame::static_error("ERR value is not an integer or out of range");
    };
    let reply = if error {
        Frame::static_error(crate::blocking::UNBLOCKED_ERROR)
    } else {
        ferrodis_keyspace::Keyspace::TIMED_OUT
    };
    let shared = batch.shared();
    let released = u64::try_from(id)
        .is_ok_and(|id| crate::blocking::release(shared, batch.keyspace(), id, Some(reply)));
    Frame::Integer(i64::from(released))
}

fn help() -> Frame {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID <client-id>, TYPE (NORMAL|MASTER|REPLICA|PUBSUB),",
        "    USER <username>, ADDR <ip:port>, LADDR <ip:port>, SKIPME (YES|NO).",
        "LIST [options ...]",
        "    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID <client-id> [...].",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "HELP",
        "    Print this help.",
    ];
    Frame::Array(lines.iter().map(|l| Frame::simple(l)).collect())
}
