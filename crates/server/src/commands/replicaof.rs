//! REPLICAOF / SLAVEOF host port | NO ONE (Redis's `replicaofCommand`).

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;
use crate::replication::replica;

const FLAGS: &[&str] = &["admin", "noscript", "stale", "no_async_loading"];
const SYNTAX: &str = "(host:string port:integer | NO ONE)";

pub static SPEC: CommandSpec = super::spec(
    "replicaof",
    3,
    FLAGS,
    super::ADMIN_ACL,
    "server",
    "Make the server a replica of another instance, or promote it as master.",
    "5.0.0",
    "O(1)",
    SYNTAX,
);

pub static SLAVEOF_SPEC: CommandSpec = super::spec(
    "slaveof",
    3,
    FLAGS,
    super::ADMIN_ACL,
    "server",
    "Make the server a replica of another instance, or promote it as master.",
    "1.0.0",
    "O(1)",
    SYNTAX,
);

pub fn run(conn: &mut Conn, batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    if conn.master_link {
        // Redis: "Command is not valid when client is a replica." for its own
        // replicas; a master's stream never carries REPLICAOF.
        return Frame::static_error("ERR Command is not valid when client is a replica.");
    }
    let shared = batch.shared();
    let Some(shared) = shared.self_arc() else {
        return Frame::static_error("ERR server is shutting down");
    };
    if argv[1].eq_ignore_ascii_case(b"no") && argv[2].eq_ignore_ascii_case(b"one") {
        if replica::stop_link(&shared) {
            tracing::info!(
                "MASTER MODE enabled (user request from '{}')",
                conn.client.addr
            );
        }
        return Frame::ok();
    }
    let port = match std::str::from_utf8(&argv[2])
        .ok()
        .and_then(|p| p.parse::<i64>().ok())
    {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        Some(_) => return Frame::static_error("ERR Invalid master port"),
        None => return Frame::static_error("ERR value is not an integer or out of range"),
    };
    let host = String::from_utf8_lossy(&argv[1]).into_owned();
    let same = shared
        .replication
        .state()
        .master
        .as_ref()
        .is_some_and(|m| m.host.eq_ignore_ascii_case(&host) && m.port == port);
    if same {
        tracing::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        return Frame::simple("OK Already connected to specified master");
    }
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        conn.client.addr
    );
    replica::set_master(&shared, host, port);
    Frame::ok()
}
