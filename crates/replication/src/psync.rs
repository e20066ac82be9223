//! The master's one-line answer to `PSYNC <replid> <offset>`.
//!
//! ```text
//! Lines a master sends (replication.c), each ending in \r\n:
//!   +FULLRESYNC <replid> <offset>   full sync; an RDB payload follows
//!                                   (replicationSetupSlaveForFullResync)
//!   +CONTINUE                       partial sync, same history (replica without psync2)
//!   +CONTINUE <replid>              partial sync; the master's current replid (psync2)
//!   -NOMASTERLINK ... / -LOADING ...  cannot serve now, retry later
//!   -ERR ...                        PSYNC unsupported or master in error: fall back to SYNC
//!   (empty line)                    keepalive newline sent while the reply is pending
//! ```
//!
//! Stricter than Redis on malformed lines: Redis proceeds with a full sync after
//! a `+FULLRESYNC` it cannot parse, and reads any line starting with
//! `+CONTINUE` as a continue; here both are errors.

use std::fmt;

use crate::{Error, ReplId, Result};

const FULLRESYNC: &[u8] = b"+FULLRESYNC";
const CONTINUE: &[u8] = b"+CONTINUE";
/// Prefixes of the retryable errors (`strncmp` in slaveTryPartialResynchronization).
const TRY_LATER: [&[u8]; 2] = [b"-NOMASTERLINK", b"-LOADING"];
const ERR: &[u8] = b"-ERR";
/// Redis keeps offsets in a `long long`.
const MAX_OFFSET: u64 = i64::MAX as u64;

/// A successful answer to PSYNC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PsyncReply {
    /// Full resynchronization: the master's history `replid`, and `offset`,
    /// its `master_repl_offset` when the snapshot was taken. The replica's
    /// stream continues at `offset + 1` once the RDB payload is loaded.
    FullResync {
        /// The master's replication id.
        replid: ReplId,
        /// The offset the snapshot corresponds to.
        offset: u64,
    },
    /// Partial resynchronization: the backlog follows from the requested
    /// offset. `new_replid` is the master's current id when it sent one
    /// (psync2); if it differs from the id asked for, the replica adopts it
    /// and keeps the old one as its `replid2`.
    Continue {
        /// The master's id, if sent.
        new_replid: Option<ReplId>,
    },
}

impl PsyncReply {
    /// Parses one reply line; a trailing `\r\n` (or `\n`) is allowed.
    ///
    /// Errors: [`Error::PsyncTryLater`] for `-NOMASTERLINK`/`-LOADING` and
    /// [`Error::KeepAliveNewline`] for an empty line are retryable
    /// ([`Error::is_retryable`]); `-ERR` is [`Error::PsyncNotSupported`];
    /// anything else is [`Error::BadFullResync`] or [`Error::UnexpectedPsyncReply`].
    pub fn parse(line: &[u8]) -> Result<PsyncReply> {
        let line = line
            .strip_suffix(b"\n")
            .map_or(line, |l| l.strip_suffix(b"\r").unwrap_or(l));
        let reply = || String::from_utf8_lossy(line).into_owned();
        if line.is_empty() {
            return Err(Error::KeepAliveNewline);
        }
        if let Some(rest) = line.strip_prefix(FULLRESYNC) {
            return parse_fullresync(rest).ok_or_else(|| Error::BadFullResync { reply: reply() });
        }
        if let Some(rest) = line.strip_prefix(CONTINUE) {
            return match rest {
                [] => Ok(PsyncReply::Continue { new_replid: None }),
                [b' ', id @ ..] => ReplId::parse(id)
                    .map(|id| PsyncReply::Continue {
                        new_replid: Some(id),
                    })
                    .map_err(|_| Error::UnexpectedPsyncReply { reply: reply() }),
                _ => Err(Error::UnexpectedPsyncReply { reply: reply() }),
            };
        }
        if TRY_LATER.iter().any(|p| line.starts_with(p)) {
            return Err(Error::PsyncTryLater { reply: reply() });
        }
        if line.starts_with(ERR) {
            return Err(Error::PsyncNotSupported { reply: reply() });
        }
        Err(Error::UnexpectedPsyncReply { reply: reply() })
    }
}

/// `" <replid> <offset>"` after `+FULLRESYNC`.
fn parse_fullresync(rest: &[u8]) -> Option<PsyncReply> {
    let rest = rest.strip_prefix(b" ")?;
    let (id, offset) = (rest.get(..ReplId::LEN)?, rest.get(ReplId::LEN..)?);
    let replid = ReplId::parse(id).ok()?;
    let digits = offset.strip_prefix(b" ")?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let offset: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (offset <= MAX_OFFSET).then_some(PsyncReply::FullResync { replid, offset })
}

/// The line a master sends, without its `\r\n`.
impl fmt::Display for PsyncReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PsyncReply::FullResync { replid, offset } => write!(f, "+FULLRESYNC {replid} {offset}"),
            PsyncReply::Continue { new_replid: None } => f.write_str("+CONTINUE"),
            PsyncReply::Continue {
                new_replid: Some(id),
            } => write!(f, "+CONTINUE {id}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "349eeafec1f98f3f56277e95fc86bc48b30651a2";

    fn id() -> ReplId {
        ID.parse().unwrap()
    }

    #[test]
    fn full_resync() {
        let line = format!("+FULLRESYNC {ID} 12345\r\n");
        assert_eq!(
            PsyncReply::parse(line.as_bytes()),
            Ok(PsyncReply::FullResync {
                replid: id(),
                offset: 12345
            })
        );
        assert_eq!(
            PsyncReply::parse(format!("+FULLRESYNC {ID} 0").as_bytes()).unwrap(),
            PsyncReply::FullResync {
                replid: id(),
                offset: 0
            }
        );
    }

    #[test]
    fn bad_full_resync() {
        for line in [
            "+FULLRESYNC".to_string(),
            format!("+FULLRESYNC {ID}"),
            format!("+FULLRESYNC {ID} "),
            format!("+FULLRESYNC {ID} -1"),
            format!("+FULLRESYNC {ID} 12x"),
            format!("+FULLRESYNC {ID} 9223372036854775808"),
            format!("+FULLRESYNC {ID}0 1"),
            format!("+FULLRESYNC  {ID} 1"),
            "+FULLRESYNC 349eeafec1f98f3f56277e95fc86bc48b30651aZ 1".to_string(),
        ] {
            assert_eq!(
                PsyncReply::parse(line.as_bytes()),
                Err(Error::BadFullResync {
                    reply: line.clone()
                }),
                "{line:?}"
            );
        }
    }

    #[test]
    fn continue_with_and_without_id() {
        assert_eq!(
            PsyncReply::parse(b"+CONTINUE\r\n"),
            Ok(PsyncReply::Continue { new_replid: None })
        );
        assert_eq!(
            PsyncReply::parse(format!("+CONTINUE {ID}").as_bytes()),
            Ok(PsyncReply::Continue {
                new_replid: Some(id())
            })
        );
        for line in ["+CONTINUE ", "+CONTINUE abc", "+CONTINUEX"] {
            assert_eq!(
                PsyncReply::parse(line.as_bytes()),
                Err(Error::UnexpectedPsyncReply { reply: line.into() })
            );
        }
    }

    #[test]
    fn retryable_errors() {
        for line in [
            "-NOMASTERLINK Can't SYNC while not connected with my master",
            "-NOMASTERLINK Can't SYNC while failing over",
            "-LOADING Redis is loading the dataset in memory",
        ] {
            let err = PsyncReply::parse(line.as_bytes()).unwrap_err();
            assert_eq!(err, Error::PsyncTryLater { reply: line.into() });
            assert!(err.is_retryable());
        }
        let keepalive = PsyncReply::parse(b"\n").unwrap_err();
        assert_eq!(keepalive, Error::KeepAliveNewline);
        assert!(keepalive.is_retryable());
    }

    #[test]
    fn other_replies_are_errors() {
        let err = PsyncReply::parse(b"-ERR unknown command 'PSYNC'\r\n").unwrap_err();
        assert_eq!(
            err,
            Error::PsyncNotSupported {
                reply: "-ERR unknown command 'PSYNC'".into()
            }
        );
        assert!(!err.is_retryable());
        for line in [
            &b"+OK"[..],
            b"-NOAUTH Authentication required.",
            b"$5",
            b"\xff",
        ] {
            let err = PsyncReply::parse(line).unwrap_err();
            assert!(
                matches!(err, Error::UnexpectedPsyncReply { .. }),
                "{line:?}"
            );
            assert!(!err.is_retryable());
        }
        assert_eq!(
            PsyncReply::parse(b"+OK").unwrap_err().to_string(),
            "unexpected reply to PSYNC from master: +OK"
        );
    }

    proptest! {
        #[test]
        fn display_then_parse(bytes in any::<[u8; 20]>(), offset in 0..=MAX_OFFSET, kind in 0..3u8) {
            let replid = ReplId::from_random_bytes(bytes);
            let reply = match kind {
                0 => PsyncReply::FullResync { replid, offset },
                1 => PsyncReply::Continue { new_replid: None },
                _ => PsyncReply::Continue { new_replid: Some(replid) },
            };
            let line = format!("{reply}\r\n");
            prop_assert_eq!(PsyncReply::parse(line.as_bytes()), Ok(reply));
        }

        #[test]
        fn never_panics(line in proptest::collection::vec(any::<u8>(), 0..60)) {
            let _ = PsyncReply::parse(&line);
        }
    }
}
