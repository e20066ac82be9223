//! The replica's side of the handshake, up to the master's answer to PSYNC.
//!
//! ```text
//! Redis 7.0's syncWithMaster(), one reply awaited after each step:
//!   → PING                              ← +PONG (or -NOAUTH / -NOPERM / -ERR operation
//!                                          not permitted: fine, AUTH follows)
//!   → AUTH [masteruser] masterauth      ← +OK             (only with masterauth)
//!   → REPLCONF listening-port <port>    ← +OK             (an error is only logged)
//!   → REPLCONF ip-address <ip>          ← +OK             (only with replica-announce-ip)
//!   → REPLCONF capa eof capa psync2     ← +OK             (an error is only logged)
//!   → PSYNC <replid> <offset+1> | PSYNC ? -1
//!                                       ← +FULLRESYNC ... / +CONTINUE ... / -ERR ...
//! ```
//!
//! Redis pipelines AUTH and the REPLCONFs after the PONG; so does [`Handshake`]:
//! it hands over every command to send at once and then takes the replies one line
//! at a time.

use crate::{Error, PsyncReply, ReplId, Result};

/// What the replica knows when it connects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HandshakeConfig {
    /// `masteruser` (ACL user) and `masterauth`; `None` without `masterauth`.
    pub auth: Option<(Option<String>, String)>,
    /// The port the replica accepts clients on (`replica-announce-port` or `port`).
    pub listening_port: u16,
    /// `replica-announce-ip`.
    pub announce_ip: Option<String>,
    /// The cached master: its id and the offset of the last byte processed, for
    /// `PSYNC <replid> <offset + 1>`; `None` asks for a full sync (`PSYNC ? -1`).
    pub cached: Option<(ReplId, u64)>,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Write these bytes to the master, then feed it the next reply line.
    Send(Vec<u8>),
    /// Feed the next reply line.
    Wait,
    /// The handshake is over: the master's answer to PSYNC.
    Done(PsyncReply),
}

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// PING sent.
    Pong,
    /// AUTH sent.
    Auth,
    ListeningPort,
    IpAddress,
    Capa,
    /// PSYNC sent.
    Psync,
    Done,
}

/// The handshake state machine (sans-IO: bytes out, lines in).
#[derive(Debug, Clone)]
pub struct Handshake {
    config: HandshakeConfig,
    state: State,
}

/// The handshake failed; the master link is to be dropped and retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// An error reply to PING (Redis: "Error reply to PING from master: '...'").
    #[error("Error reply to PING from master: '{0}'")]
    Ping(String),
    /// AUTH refused (Redis: "Unable to AUTH to MASTER: ...").
    #[error("Unable to AUTH to MASTER: {0}")]
    Auth(String),
    /// The answer to PSYNC.
    #[error(transparent)]
    Psync(#[from] Error),
    /// A line after the handshake is over.
    #[error("handshake already complete")]
    Finished,
}

impl Handshake {
    /// Starts a handshake; the returned bytes (a PING) are the first to send.
    pub fn start(config: HandshakeConfig) -> (Handshake, Vec<u8>) {
        let mut out = Vec::new();
        command(&mut out, &[b"PING"]);
        (
            Handshake {
                config,
                state: State::Pong,
            },
            out,
        )
    }

    /// The PSYNC arguments this handshake sends: the cached id and offset + 1, or
    /// `?` and `-1`.
    pub fn psync_args(&self) -> (String, String) {
        match &self.config.cached {
            Some((id, offset)) => (id.to_string(), (offset + 1).to_string()),
            None => ("?".into(), "-1".into()),
        }
    }

    /// Takes one reply line (with or without its `\r\n`).
    pub fn on_line(&mut self, line: &[u8]) -> Result<Progress, HandshakeError> {
        let line = trim(line);
        let text = || String::from_utf8_lossy(line).into_owned();
        let is_error = line.first() == Some(&b'-');
        match self.state {
            State::Pong => {
                // A master that wants AUTH answers PING with an error the replica
                // accepts (the AUTH that follows will tell).
                if line.is_empty() {
                    return Ok(Progress::Wait);
                }
                if is_error
                    && !line.starts_with(b"-NOAUTH")
                    && !line.starts_with(b"-NOPERM")
                    && !line.starts_with(b"-ERR operation not permitted")
                {
                    return Err(HandshakeError::Ping(text()));
                }
                let mut out = Vec::new();
                if let Some((user, pass)) = &self.config.auth {
                    match user {
                        Some(u) => command(&mut out, &[b"AUTH", u.as_bytes(), pass.as_bytes()]),
                        None => command(&mut out, &[b"AUTH", pass.as_bytes()]),
                    }
                }
                let port = self.config.listening_port.to_string();
                command(&mut out, &[b"REPLCONF", b"listening-port", port.as_bytes()]);
                if let Some(ip) = &self.config.announce_ip {
                    command(&mut out, &[b"REPLCONF", b"ip-address", ip.as_bytes()]);
                }
                command(
                    &mut out,
                    &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"],
                );
                self.state = if self.config.auth.is_some() {
                    State::Auth
                } else {
                    State::ListeningPort
                };
                Ok(Progress::Send(out))
            }
            State::Auth => {
                if is_error {
                    return Err(HandshakeError::Auth(text()));
                }
                self.state = State::ListeningPort;
                Ok(Progress::Wait)
            }
            State::ListeningPort => {
                // Errors are only logged by Redis (old masters lack REPLCONF).
                self.state = if self.config.announce_ip.is_some() {
                    State::IpAddress
                } else {
                    State::Capa
                };
                Ok(Progress::Wait)
            }
            State::IpAddress => {
                self.state = State::Capa;
                Ok(Progress::Wait)
            }
            State::Capa => {
                self.state = State::Psync;
                let (id, offset) = self.psync_args();
                let mut out = Vec::new();
                command(&mut out, &[b"PSYNC", id.as_bytes(), offset.as_bytes()]);
                Ok(Progress::Send(out))
            }
            State::Psync => match PsyncReply::parse(line) {
                Ok(reply) => {
                    self.state = State::Done;
                    Ok(Progress::Done(reply))
                }
                Err(Error::KeepAliveNewline) => Ok(Progress::Wait),
                Err(e) => Err(e.into()),
            },
            State::Done => Err(HandshakeError::Finished),
        }
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Appends one command as a RESP multibulk.
pub fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Splits the first `\n`-terminated line off `buf`: the line (without its
/// terminator) and the number of bytes it took, or `None` if no full line yet.
pub fn split_line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    Some((trim(&buf[..=end]), end + 1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ID: &str = "349eeafec1f98f3f56277e95fc86bc48b30651a2";

    fn text(p: &Progress) -> String {
        match p {
            Progress::Send(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn full_handshake_with_auth_and_cached_master() {
        let config = HandshakeConfig {
            auth: Some((Some("repl".into()), "secret".into())),
            listening_port: 6380,
            announce_ip: None,
            cached: Some((ID.parse().unwrap(), 99)),
        };
        let (mut h, first) = Handshake::start(config);
        assert_eq!(first, b"*1\r\n$4\r\nPING\r\n");
        let p = h.on_line(b"-NOAUTH Authentication required.\r\n").unwrap();
        assert_eq!(
            text(&p),
            "*3\r\n$4\r\nAUTH\r\n$4\r\nrepl\r\n$6\r\nsecret\r\n\
             *3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n\
             *5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
        );
        assert_eq!(h.on_line(b"+OK").unwrap(), Progress::Wait);
        assert_eq!(h.on_line(b"+OK").unwrap(), Progress::Wait);
        let p = h.on_line(b"+OK").unwrap();
        assert_eq!(
            text(&p),
            format!("*3\r\n$5\r\nPSYNC\r\n$40\r\n{ID}\r\n$3\r\n100\r\n")
        );
        assert_eq!(h.on_line(b"\n").unwrap(), Progress::Wait, "keepalive");
        assert_eq!(
            h.on_line(b"+CONTINUE").unwrap(),
            Progress::Done(PsyncReply::Continue { new_replid: None })
        );
        assert_eq!(h.on_line(b"+OK"), Err(HandshakeError::Finished));
    }

    #[test]
    fn first_sync_asks_for_everything() {
        let config = HandshakeConfig {
            listening_port: 1,
            announce_ip: Some("10.0.0.1".into()),
            ..HandshakeConfig::default()
        };
        let (mut h, _) = Handshake::start(config);
        assert!(text(&h.on_line(b"+PONG").unwrap()).contains("ip-address"));
        for _ in 0..2 {
            assert_eq!(h.on_line(b"-ERR unknown").unwrap(), Progress::Wait);
        }
        assert!(text(&h.on_line(b"+OK").unwrap()).ends_with("$1\r\n?\r\n$2\r\n-1\r\n"));
        let done = h
            .on_line(format!("+FULLRESYNC {ID} 7\r\n").as_bytes())
            .unwrap();
        assert_eq!(
            done,
            Progress::Done(PsyncReply::FullResync {
                replid: ID.parse().unwrap(),
                offset: 7
            })
        );
    }

    #[test]
    fn errors_end_the_handshake() {
        let (mut h, _) = Handshake::start(HandshakeConfig::default());
        assert_eq!(
            h.on_line(b"-WRONGPASS x").unwrap_err().to_string(),
            "Error reply to PING from master: '-WRONGPASS x'"
        );
        let config = HandshakeConfig {
            auth: Some((None, "p".into())),
            ..HandshakeConfig::default()
        };
        let (mut h, _) = Handshake::start(config);
        h.on_line(b"+PONG").unwrap();
        assert!(matches!(
            h.on_line(b"-WRONGPASS invalid username-password pair"),
            Err(HandshakeError::Auth(_))
        ));
        let (mut h, _) = Handshake::start(HandshakeConfig::default());
        for line in [&b"+PONG"[..], b"+OK", b"+OK"] {
            h.on_line(line).unwrap();
        }
        assert!(matches!(
            h.on_line(b"garbage"),
            Err(HandshakeError::Psync(Error::UnexpectedPsyncReply { .. }))
        ));
    }

    #[test]
    fn lines() {
        assert_eq!(split_line(b"+OK\r\nrest"), Some((&b"+OK"[..], 5)));
        assert_eq!(split_line(b"\n"), Some((&b""[..], 1)));
        assert_eq!(split_line(b"+OK"), None);
    }
}
