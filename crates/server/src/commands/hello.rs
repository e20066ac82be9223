//! HELLO [protover [AUTH username password] [SETNAME clientname]]: switch protocol
//! (RESP2/RESP3), optionally authenticate and name the connection, and describe the
//! server. The version reported is the Redis version whose behaviour ferrodis
//! matches, because clients gate features on it.

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::{Frame, Protocol};

use super::Batch;
use crate::connection::Conn;
use crate::REDIS_VERSION;

pub static SPEC: CommandSpec = super::spec(
    "hello",
    -1,
    super::NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    "connection",
    "Handshake with Redis",
    "6.0.0",
    "O(1)",
    "[protover:integer [AUTH username password] [SETNAME clientname]]",
);

pub fn run(conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let mut protocol = None;
    if let Some(ver) = argv.get(1) {
        match std::str::from_utf8(ver)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        {
            None => {
                return Frame::static_error(
                    "ERR Protocol version is not an integer or out of range",
                )
            }
            Some(2) => protocol = Some(Protocol::Resp2),
            Some(3) => protocol = Some(Protocol::Resp3),
            Some(_) => return Frame::static_error("NOPROTO unsupported protocol version"),
        }
    }
    let mut auth = None;
    let mut setname = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let opt = &argv[i];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            auth = Some((&argv[i + 1], &argv[i + 2]));
            i += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            setname = Some(&argv[i + 1]);
            i += 2;
        } else {
            return Frame::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                super::lossy(opt, 128)
            ));
        }
    }
    if let Some((user, pass)) = auth {
        if !super::auth::check(conn, Some(user), pass) {
            return super::auth::wrongpass();
        }
    }
    if !conn.authenticated {
        return Frame::static_error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise \
             the HELLO AUTH <user> <pass> option can be used to authenticate the \
             client and select the RESP protocol version at the same time",
        );
    }
    if let Some(name) = setname {
        if let Err(e) = super::client::set_name(conn, name) {
            return e;
        }
    }
    if let Some(p) = protocol {
        conn.session.protocol = p;
    }
    let proto = match conn.session.protocol {
        Protocol::Resp2 => 2,
        Protocol::Resp3 => 3,
    };
    let field = |k: &'static str, v: Frame| (Frame::Bulk(Bytes::from_static(k.as_bytes())), v);
    Frame::Map(vec![
        field("server", Frame::bulk("redis")),
        field("version", Frame::bulk(REDIS_VERSION)),
        field("proto", Frame::Integer(proto)),
        field("id", Frame::Integer(conn.client.id as i64)),
        field("mode", Frame::bulk("standalone")),
        field("role", Frame::bulk("master")),
        field("modules", Frame::Array(vec![])),
    ])
}
