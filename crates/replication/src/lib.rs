//! Sans-IO pieces of Redis replication, to be driven by a server's sockets.
//!
//! What it is today: [`ReplId`] (the 40-hex-character replication id and the
//! all-zero "none" id of `replid2`), the [`Backlog`] ring that answers
//! `PSYNC <replid> <offset>` with the bytes a replica missed, using Redis's
//! offset conventions (`master_repl_offset`, `repl_backlog_first_byte_offset`),
//! and [`PsyncReply`], the master's answer as a replica parses it.
//!
//! What it is not (yet): the master and replica state machines (handshake,
//! `REPLCONF`, RDB transfer, `WAIT`), replid2/PSYNC2 bookkeeping. No sockets,
//! no tokio: it works on bytes handed to it.
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

mod backlog;
mod error;
mod psync;
mod replid;

pub use crate::{
    backlog::Backlog,
    error::{Error, Result},
    psync::PsyncReply,
    replid::ReplId,
};
