//! Sans-IO pieces of Redis replication, to be driven by a server's sockets.
//!
//! What it is today: [`ReplId`] (the 40-hex-character replication id and the
//! all-zero "none" id of `replid2`), the [`Backlog`] ring that answers
//! `PSYNC <replid> <offset>` with the bytes a replica missed, using Redis's
//! offset conventions (`master_repl_offset`, `repl_backlog_first_byte_offset`),
//! and [`PsyncReply`], the master's answer as a replica parses it.
//!
//! The replica's [`Handshake`] (PING, AUTH, REPLCONF, PSYNC), the RDB payload
//! framing of a full sync ([`BulkHeader`], [`Payload`]: `$<len>` and diskless
//! `$EOF:<mark>`), a server's [`History`] (replid, replid2/second offset, backlog,
//! and the PSYNC decision), and the master's view of its replicas
//! ([`ReplicaInfo`], [`Replconf`], WAIT's and min-replicas' counts).
//!
//! What it is not: a transport. No sockets, no tokio, no clock: it works on bytes
//! and times handed to it (ferrodis-server drives it).
//!
//! ```
//! use ferrodis_replication::{Backlog, PsyncReply, ReplId};
//!
//! // The master keeps the newest 8 bytes of its stream.
//! let mut backlog = Backlog::new(8);
//! backlog.append(b"*1\r\n$4\r\nPING\r\n"); // 14 bytes: offsets 1..=14
//! assert_eq!(backlog.master_offset(), 14);
//! assert_eq!(backlog.offset_range(), 7..15);
//!
//! // A replica that processed 10 bytes asks for offset 11 and gets the rest.
//! let (a, b) = backlog.read_from(11).expect("still in the backlog");
//! assert_eq!([a, b].concat(), b"NG\r\n");
//! // One that processed 2 bytes is too far behind: full resync.
//! assert!(backlog.read_from(3).is_none());
//!
//! let replid = ReplId::from_random_bytes([0x5a; 20]);
//! let line = format!("+FULLRESYNC {replid} {}\r\n", backlog.master_offset());
//! assert_eq!(
//!     PsyncReply::parse(line.as_bytes())?,
//!     PsyncReply::FullResync { replid, offset: 14 }
//! );
//! assert!(PsyncReply::parse(b"-LOADING Redis is loading the dataset in memory")
//!     .unwrap_err()
//!     .is_retryable());
//! # Ok::<(), ferrodis_replication::Error>(())
//! ```
//!
//! A master's PSYNC decision, and what a promotion keeps (PSYNC2):
//!
//! ```
//! use ferrodis_replication::{History, PsyncDecision, ReplId};
//!
//! let old = ReplId::from_random_bytes([1; 20]);
//! let mut replica = History::new(ReplId::NONE);
//! replica.reset_to(old, 100, 1 << 20); // full sync from `old` at offset 100
//! replica.append(b"*1\r\n$4\r\nPING\r\n"); // 14 stream bytes: offset 114
//!
//! // REPLICAOF NO ONE: a new id; `old` stays valid up to offset 114.
//! replica.shift(ReplId::from_random_bytes([2; 20]));
//! // A sibling that had everything from `old` continues partially with us.
//! assert_eq!(replica.decide(Some(&old), 115), PsyncDecision::Continue { offset: 115 });
//! ```
//!
//! A replica's handshake, bytes out and lines in:
//!
//! ```
//! use ferrodis_replication::{Handshake, HandshakeConfig, Progress, PsyncReply};
//!
//! let (mut h, ping) = Handshake::start(HandshakeConfig { listening_port: 6380, ..Default::default() });
//! assert_eq!(ping, b"*1\r\n$4\r\nPING\r\n");
//! assert!(matches!(h.on_line(b"+PONG")?, Progress::Send(_))); // REPLCONF x2
//! assert_eq!(h.on_line(b"+OK")?, Progress::Wait);
//! assert!(matches!(h.on_line(b"+OK")?, Progress::Send(_))); // PSYNC ? -1
//! let line = format!("+FULLRESYNC {} 0", "a".repeat(40));
//! assert!(matches!(h.on_line(line.as_bytes())?, Progress::Done(PsyncReply::FullResync { .. })));
//! # Ok::<(), ferrodis_replication::HandshakeError>(())
//! ```

mod backlog;
mod error;
mod handshake;
mod history;
mod psync;
mod replicas;
mod replid;
mod transfer;

pub use crate::{
    backlog::Backlog,
    error::{Error, Result},
    handshake::{command, split_line, Handshake, HandshakeConfig, HandshakeError, Progress},
    history::{FullReason, History, PsyncDecision},
    psync::PsyncReply,
    replicas::{
        count_acked, count_good, parse_psync_args, LinkState, Replconf, ReplconfOption, ReplicaInfo,
    },
    replid::ReplId,
    transfer::{BadHeader, BulkHeader, Payload, Pushed, EOF_MARK_LEN},
};
