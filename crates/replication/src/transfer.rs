//! The RDB payload of a full sync, as it travels after `+FULLRESYNC`.
//!
//! ```text
//! disk-based:  $<len>\r\n<len bytes of RDB>           (then the command stream)
//! diskless:    $EOF:<40 random chars>\r\n<RDB><the same 40 chars>
//!              (the master sends nothing more until the replica's first
//!               REPLCONF ACK: replicas are put online on ack)
//! Before the header the master may send bare "\n" keepalives.
//! ```
//!
//! [`BulkHeader`] parses the header line; [`Payload`] splits the bytes that follow
//! into RDB bytes and what comes after, holding back the last 40 bytes of a
//! diskless transfer until it knows they are not the end mark (Redis's
//! `readSyncBulkPayload` compares the last 40 bytes read with the mark).

use std::fmt;

/// Length of the diskless end mark (`RDB_EOF_MARK_SIZE`).
pub const EOF_MARK_LEN: usize = 40;

/// How the payload is delimited.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BulkHeader {
    /// `$<len>`: exactly this many bytes.
    Sized(u64),
    /// `$EOF:<mark>`: until the mark.
    Eof([u8; EOF_MARK_LEN]),
}

impl fmt::Debug for BulkHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BulkHeader::Sized(n) => write!(f, "Sized({n})"),
            BulkHeader::Eof(m) => write!(f, "Eof({})", String::from_utf8_lossy(m)),
        }
    }
}

/// The line is not a payload header (Redis: "Bad protocol from MASTER, the first
/// byte is not '$' (we received '...'), are you sure the host and port are right?").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Bad protocol from MASTER, the first byte is not '$' (we received '{0}'), are you sure the host and port are right?")]
pub struct BadHeader(pub String);

impl BulkHeader {
    /// Parses a header line (without or with `\r\n`). `Ok(None)` for an empty
    /// line: a keepalive, keep reading.
    pub fn parse(line: &[u8]) -> Result<Option<BulkHeader>, BadHeader> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let bad = || BadHeader(String::from_utf8_lossy(line).into_owned());
        if line.is_empty() {
            return Ok(None);
        }
        let rest = line.strip_prefix(b"$").ok_or_else(bad)?;
        if let Some(mark) = rest.strip_prefix(b"EOF:") {
            let mark: [u8; EOF_MARK_LEN] = mark.try_into().map_err(|_| bad())?;
            return Ok(Some(BulkHeader::Eof(mark)));
        }
        if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let len = std::str::from_utf8(rest)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        Ok(Some(BulkHeader::Sized(len)))
    }

    /// The header line as a master sends it, with `\r\n`.
    pub fn to_line(&self) -> Vec<u8> {
        match self {
            BulkHeader::Sized(n) => format!("${n}\r\n").into_bytes(),
            BulkHeader::Eof(mark) => [&b"$EOF:"[..], mark, b"\r\n"].concat(),
        }
    }

    /// A diskless header with a mark made of 20 random bytes, hex-encoded (the
    /// caller supplies the randomness).
    pub fn eof_from_random(bytes: [u8; 20]) -> BulkHeader {
        let id = crate::ReplId::from_random_bytes(bytes);
        BulkHeader::Eof(*id.as_bytes())
    }
}

/// Splits incoming bytes into the payload and what follows it.
#[derive(Debug, Clone)]
pub struct Payload {
    header: BulkHeader,
    /// Sized: bytes still to come. Eof: unused.
    remaining: u64,
    /// Eof: the newest bytes received, not yet released as payload (at most 40).
    held: Vec<u8>,
    done: bool,
    received: u64,
}

/// What one [`Payload::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// Bytes of the input that belonged to the payload (or its mark); the rest
    /// of the input follows the payload.
    pub consumed: usize,
    /// The payload is complete.
    pub done: bool,
}

impl Payload {
    /// A payload delimited as `header` says.
    pub fn new(header: BulkHeader) -> Payload {
        let remaining = match header {
            BulkHeader::Sized(n) => n,
            BulkHeader::Eof(_) => 0,
        };
        Payload {
            header,
            remaining,
            held: Vec::with_capacity(EOF_MARK_LEN),
            done: matches!(header, BulkHeader::Sized(0)),
            received: 0,
        }
    }

    /// Whether the whole payload has arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes of transfer received so far (the mark included), for INFO's
    /// `master_sync_read_bytes`.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes input bytes; appends the RDB bytes among them to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Pushed {
        if self.done {
            return Pushed {
                consumed: 0,
                done: true,
            };
        }
        match self.header {
            BulkHeader::Sized(_) => {
                let n = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                out.extend_from_slice(&input[..n]);
                self.remaining -= n as u64;
                self.received += n as u64;
                self.done = self.remaining == 0;
                Pushed {
                    consumed: n,
                    done: self.done,
                }
            }
            BulkHeader::Eof(mark) => {
                self.received += input.len() as u64;
                // Release everything but the newest 40 bytes.
                let total = self.held.len() + input.len();
                let release = total.saturating_sub(EOF_MARK_LEN);
                let from_held = release.min(self.held.len());
                out.extend_from_slice(&self.held[..from_held]);
                self.held.drain(..from_held);
                let from_input = release - from_held;
                out.extend_from_slice(&input[..from_input]);
                self.held.extend_from_slice(&input[from_input..]);
                self.done = self.held == mark;
                Pushed {
                    consumed: input.len(),
                    done: self.done,
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MARK: &[u8; 40] = b"0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn headers() {
        assert_eq!(
            BulkHeader::parse(b"$123\r\n"),
            Ok(Some(BulkHeader::Sized(123)))
        );
        assert_eq!(BulkHeader::parse(b"\n"), Ok(None));
        let eof = [&b"$EOF:"[..], MARK].concat();
        assert_eq!(BulkHeader::parse(&eof), Ok(Some(BulkHeader::Eof(*MARK))));
        for bad in [&b"+OK"[..], b"$", b"$-1", b"$1x", b"$EOF:short", b"-ERR x"] {
            assert!(BulkHeader::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            BulkHeader::parse(b"hello").unwrap_err().to_string(),
            "Bad protocol from MASTER, the first byte is not '$' (we received 'hello'), are you sure the host and port are right?"
        );
        let h = BulkHeader::eof_from_random([7; 20]);
        assert_eq!(BulkHeader::parse(&h.to_line()), Ok(Some(h)));
    }

    #[test]
    fn sized_payload_leaves_the_stream() {
        let mut p = Payload::new(BulkHeader::Sized(5));
        let mut out = Vec::new();
        assert_eq!(
            p.push(b"abc", &mut out),
            Pushed {
                consumed: 3,
                done: false
            }
        );
        assert_eq!(
            p.push(b"de*1\r\n", &mut out),
            Pushed {
                consumed: 2,
                done: true
            }
        );
        assert_eq!(out, b"abcde");
        assert!(Payload::new(BulkHeader::Sized(0)).is_done());
    }

    proptest! {
        /// However the transfer is cut into reads, the payload comes out whole and
        /// the end is found exactly at the mark.
        #[test]
        fn eof_payload_in_any_chunks(
            rdb in proptest::collection::vec(any::<u8>(), 0..200),
            cuts in proptest::collection::vec(1usize..60, 1..20),
        ) {
            let mut wire = rdb.clone();
            wire.extend_from_slice(MARK);
            let mut p = Payload::new(BulkHeader::Eof(*MARK));
            let mut out = Vec::new();
            let mut at = 0;
            let mut cuts = cuts.into_iter().cycle();
            while at < wire.len() {
                let n = cuts.next().unwrap().min(wire.len() - at);
                let pushed = p.push(&wire[at..at + n], &mut out);
                at += n;
                prop_assert_eq!(pushed.done, at == wire.len() || (rdb.len() + 40 == at));
                if pushed.done { break; }
            }
            prop_assert!(p.is_done());
            prop_assert_eq!(out, rdb);
        }
    }
}
