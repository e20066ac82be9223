//! The master's view of its replicas: each one's state, capabilities and
//! acknowledged offset, REPLCONF parsing, and what WAIT and `min-replicas-*` count.
//!
//! ```text
//! states (INFO: state=...):
//!   wait_bgsave  full sync asked, the snapshot for it has not started
//!   send_bulk    the RDB payload is being sent
//!   online       streaming (after the payload, or at once after +CONTINUE)
//! lag = now - time of the last REPLCONF ACK, in seconds
//! a replica is "good" for min-replicas-to-write iff online and lag <= max-lag
//! WAIT n: replicas whose acked offset >= the offset of the client's last write
//! ```
//!
//! Times are plain milliseconds supplied by the caller (sans-IO).

use crate::ReplId;

/// A replica's replication state, named as INFO names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for a snapshot to start.
    WaitBgsave,
    /// Receiving the RDB payload.
    SendBulk,
    /// Receiving the stream.
    Online,
}

impl LinkState {
    /// INFO's word.
    pub fn name(self) -> &'static str {
        match self {
            LinkState::WaitBgsave => "wait_bgsave",
            LinkState::SendBulk => "send_bulk",
            LinkState::Online => "online",
        }
    }
}

/// One `REPLCONF` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replconf {
    /// Options set during the handshake (several pairs in one command).
    Options(Vec<ReplconfOption>),
    /// `ACK <offset> [FACK <aofoffset>]`: no reply.
    Ack(u64),
    /// `GETACK *`: the master asks for an ACK (sent to replicas, in the stream).
    GetAck,
}

/// A handshake option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplconfOption {
    /// `listening-port <port>`.
    ListeningPort(u16),
    /// `ip-address <ip>`.
    IpAddress(String),
    /// `capa <word>` (eof, psync2; others are ignored by Redis).
    Capa(String),
    /// `rdb-only`, `rdb-filter-only` and other options Redis accepts.
    Other(String, String),
}

impl Replconf {
    /// Parses the arguments after `REPLCONF`. Errors are Redis's replies:
    /// "ERR syntax error" for an odd count, "ERR Unrecognized REPLCONF option: x".
    pub fn parse(args: &[&[u8]]) -> Result<Replconf, String> {
        if args.len() % 2 == 1 {
            return Err("ERR syntax error".into());
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if let [opt, val, ..] = args {
            if opt.eq_ignore_ascii_case(b"ack") {
                // Redis ignores malformed ACKs (getLongLongFromObject fails: return).
                return Ok(Replconf::Ack(
                    std::str::from_utf8(val)
                        .ok()
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0),
                ));
            }
            if opt.eq_ignore_ascii_case(b"getack") {
                return Ok(Replconf::GetAck);
            }
        }
        let mut options = Vec::new();
        for pair in args.chunks_exact(2) {
            let (opt, val) = (pair[0].to_ascii_lowercase(), pair[1]);
            options.push(match opt.as_slice() {
                b"listening-port" => {
                    let port = std::str::from_utf8(val)
                        .ok()
                        .and_then(|v| v.parse::<i64>().ok())
                        .ok_or_else(|| "ERR value is not an integer or out of range".to_string())?;
                    ReplconfOption::ListeningPort(u16::try_from(port).unwrap_or(0))
                }
                b"ip-address" => ReplconfOption::IpAddress(text(val)),
                b"capa" => ReplconfOption::Capa(text(val).to_ascii_lowercase()),
                b"rdb-only" | b"rdb-filter-only" => ReplconfOption::Other(text(&opt), text(val)),
                _ => {
                    return Err(format!(
                        "ERR Unrecognized REPLCONF option: {}",
                        text(pair[0])
                    ))
                }
            });
        }
        Ok(Replconf::Options(options))
    }
}

/// One attached replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// Its client id.
    pub id: u64,
    /// Its address as seen by the master (or `ip-address`).
    pub ip: String,
    /// `listening-port` (0 until sent).
    pub port: u16,
    /// `capa eof`: can take a diskless payload.
    pub capa_eof: bool,
    /// `capa psync2`: understands `+CONTINUE <replid>`.
    pub capa_psync2: bool,
    /// Where it is.
    pub state: LinkState,
    /// The last offset it acknowledged.
    pub ack_offset: u64,
    /// When it last acknowledged (ms).
    pub ack_time_ms: i64,
}

impl ReplicaInfo {
    /// A client that has just sent its first REPLCONF (or PSYNC directly).
    pub fn new(id: u64, ip: String, now_ms: i64) -> ReplicaInfo {
        ReplicaInfo {
            id,
            ip,
            port: 0,
            capa_eof: false,
            capa_psync2: false,
            state: LinkState::WaitBgsave,
            ack_offset: 0,
            ack_time_ms: now_ms,
        }
    }

    /// Applies handshake options.
    pub fn configure(&mut self, options: &[ReplconfOption]) {
        for o in options {
            match o {
                ReplconfOption::ListeningPort(p) => self.port = *p,
                ReplconfOption::IpAddress(ip) => self.ip.clone_from(ip),
                ReplconfOption::Capa(c) if c == "eof" => self.capa_eof = true,
                ReplconfOption::Capa(c) if c == "psync2" => self.capa_psync2 = true,
                _ => {}
            }
        }
    }

    /// Records `REPLCONF ACK <offset>` at `now_ms`; offsets never go back.
    pub fn ack(&mut self, offset: u64, now_ms: i64) {
        self.ack_offset = self.ack_offset.max(offset);
        self.ack_time_ms = now_ms;
    }

    /// Seconds since the last ACK (INFO's `lag`).
    pub fn lag_secs(&self, now_ms: i64) -> i64 {
        (now_ms - self.ack_time_ms).max(0) / 1000
    }

    /// The `slaveN:` line of INFO replication (without the `slaveN:` prefix).
    pub fn info_line(&self, now_ms: i64) -> String {
        format!(
            "ip={},port={},state={},offset={},lag={}",
            self.ip,
            self.port,
            self.state.name(),
            self.ack_offset,
            self.lag_secs(now_ms)
        )
    }
}

/// Replicas acknowledging at least `offset` (WAIT's count, `replicationCountAcksByOffset`).
pub fn count_acked<'a>(replicas: impl IntoIterator<Item = &'a ReplicaInfo>, offset: u64) -> usize {
    replicas
        .into_iter()
        .filter(|r| r.state == LinkState::Online && r.ack_offset >= offset)
        .count()
}

/// Online replicas with a lag of at most `max_lag_secs` (`refreshGoodSlavesCount`).
pub fn count_good<'a>(
    replicas: impl IntoIterator<Item = &'a ReplicaInfo>,
    now_ms: i64,
    max_lag_secs: i64,
) -> usize {
    replicas
        .into_iter()
        .filter(|r| r.state == LinkState::Online && r.lag_secs(now_ms) <= max_lag_secs)
        .count()
}

/// What a server answers to `PSYNC <id> <offset>` arguments (`?` is no id).
pub fn parse_psync_args(id: &[u8], offset: &[u8]) -> Result<(Option<ReplId>, i64), String> {
    let offset = std::str::from_utf8(offset)
        .ok()
        .and_then(|o| o.parse::<i64>().ok())
        .ok_or_else(|| "ERR value is not an integer or out of range".to_string())?;
    if id == b"?" {
        return Ok((None, offset));
    }
    // An id that is not one of ours never matches: any bytes are accepted.
    Ok((ReplId::parse(id).ok(), offset))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn replconf_forms() {
        assert_eq!(
            Replconf::parse(&[b"listening-port", b"6380", b"capa", b"EOF"]),
            Ok(Replconf::Options(vec![
                ReplconfOption::ListeningPort(6380),
                ReplconfOption::Capa("eof".into())
            ]))
        );
        assert_eq!(Replconf::parse(&[b"ACK", b"42"]), Ok(Replconf::Ack(42)));
        assert_eq!(
            Replconf::parse(&[b"ack", b"42", b"fack", b"7"]),
            Ok(Replconf::Ack(42))
        );
        assert_eq!(Replconf::parse(&[b"GETACK", b"*"]), Ok(Replconf::GetAck));
        assert_eq!(Replconf::parse(&[b"x"]), Err("ERR syntax error".into()));
        assert_eq!(
            Replconf::parse(&[b"foo", b"1"]),
            Err("ERR Unrecognized REPLCONF option: foo".into())
        );
        assert_eq!(Replconf::parse(&[]), Ok(Replconf::Options(vec![])));
    }

    #[test]
    fn acks_lag_and_counts() {
        let mut a = ReplicaInfo::new(1, "127.0.0.1".into(), 0);
        a.configure(&[
            ReplconfOption::ListeningPort(7000),
            ReplconfOption::Capa("psync2".into()),
        ]);
        assert!(a.capa_psync2 && !a.capa_eof);
        let mut b = a.clone();
        b.id = 2;
        assert_eq!(count_acked([&a, &b], 0), 0, "not online yet");
        a.state = LinkState::Online;
        b.state = LinkState::Online;
        a.ack(100, 1_000);
        b.ack(50, 3_000);
        b.ack(40, 3_500);
        assert_eq!(b.ack_offset, 50, "never backwards");
        assert_eq!(count_acked([&a, &b], 60), 1);
        assert_eq!(count_acked([&a, &b], 50), 2);
        assert_eq!(count_good([&a, &b], 12_500, 10), 1);
        assert_eq!(
            a.info_line(12_500),
            "ip=127.0.0.1,port=7000,state=online,offset=100,lag=11"
        );
    }

    #[test]
    fn psync_args() {
        assert_eq!(parse_psync_args(b"?", b"-1"), Ok((None, -1)));
        let id = "349eeafec1f98f3f56277e95fc86bc48b30651a2";
        assert_eq!(
            parse_psync_args(id.as_bytes(), b"5"),
            Ok((Some(id.parse().unwrap()), 5))
        );
        assert_eq!(parse_psync_args(b"junk", b"5"), Ok((None, 5)));
        assert!(parse_psync_args(b"?", b"x").is_err());
    }
}
