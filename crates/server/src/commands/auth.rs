//! AUTH [username] password, against `requirepass` (the `default` user).

use bytes::Bytes;
use ferrodis_keyspace::CommandSpec;
use ferrodis_resp::Frame;

use super::Batch;
use crate::connection::Conn;

pub static SPEC: CommandSpec = super::spec(
    "auth",
    -2,
    super::NO_AUTH_FLAGS,
    &["@fast", "@connection"],
    "connection",
    "Authenticate to the server",
    "1.0.0",
    "O(N) where N is the number of passwords defined for the user",
    "[username] password",
);

pub fn run(conn: &mut Conn, _batch: &mut Batch<'_>, argv: &[Bytes]) -> Frame {
    let (user, pass) = match argv {
        [_, pass] => (None, pass),
        [_, user, pass] => (Some(user), pass),
        _ => return Frame::static_error("ERR syntax error"),
    };
    if user.is_none() && conn.settings.requirepass.is_none() {
        return Frame::static_error(
            "ERR AUTH <password> called without any password configured for the default \
             user. Are you sure your configuration is correct?",
        );
    }
    match check(conn, user.map(|u| &u[..]), pass) {
        true => Frame::ok(),
        false => wrongpass(),
    }
}

/// Check credentials for the only user ferrodis has, `default`; on success the
/// connection is authenticated. Shared with HELLO's AUTH option.
pub fn check(conn: &mut Conn, user: Option<&[u8]>, pass: &[u8]) -> bool {
    if user.is_some_and(|u| u != b"default") {
        return false;
    }
    let ok = match &conn.settings.requirepass {
        // With no password, the default user is `nopass`: any password works.
        None => true,
        Some(expected) => constant_time_eq(expected, pass),
    };
    if ok {
        conn.authenticated = true;
    }
    ok
}

/// Redis's reply to bad credentials.
pub fn wrongpass() -> Frame {
    Frame::static_error("WRONGPASS invalid username-password pair or user is disabled.")
}

/// Compare without an early exit on the first differing byte, as Redis's
/// `time_independent_strcmp` does, so timing does not leak the password prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compare() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret1"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
