//! Reading client requests (multibulk or inline) exactly as Redis 7.0 does.
//!
//! Behaviour restated from Redis 7.0 `networking.c` (`processInputBuffer`,
//! `processMultibulkBuffer`, `processInlineBuffer`):
//! - a request whose first byte is `*` is a multibulk, anything else is inline;
//! - a length line ends at the first `\r`; the byte after it is skipped without
//!   being checked, and so are the two bytes after bulk data (Redis does not verify
//!   that they are `\n` / `\r\n`);
//! - the "too big" errors fire only while no line end is in the buffer at all and
//!   the unparsed bytes exceed the inline limit;
//! - `*<n>` with n <= 0, and an inline line with no arguments, are skipped;
//! - `expected '$'` is only reported once the argument's whole line has arrived.

use std::mem;

use bytes::{Buf, Bytes, BytesMut};

use crate::inline::split_args;
use crate::number::parse_ll;
use crate::{wire, Error, Limits, Result};

/// Most arguments a client may send before it authenticates (Redis `authRequired`).
const UNAUTHENTICATED_MAX_MULTIBULK_LEN: i64 = 10;
/// Longest argument a client may send before it authenticates.
const UNAUTHENTICATED_MAX_BULK_LEN: i64 = 16384;
/// The `argv` capacity reserved up front is capped: a request announcing a
/// million arguments gets them only as they arrive (Redis does the same).
const MAX_PREALLOCATED_ARGS: usize = 1024;

/// Resumable decoder of client requests, the server's side of RESP.
///
/// Feed it the connection's read buffer after every read; each call returns the
/// next complete command's arguments, or `Ok(None)` when more bytes are needed.
/// Arguments are zero-copy [`Bytes`] slices of the read buffer. Progress is kept
/// between calls: completed arguments are split off the buffer and held here, so a
/// large request arriving in small reads costs linear time in total.
///
/// Between calls the caller may only append to the buffer. After an `Err` the
/// decoder's state is unspecified: reply `-ERR {error}` and close the connection,
/// as Redis does.
#[derive(Debug, Default)]
pub struct CommandDecoder {
    limits: Limits,
    auth_required: bool,
    /// Arguments of the multibulk in progress.
    argv: Vec<Bytes>,
    /// Arguments still expected by the multibulk in progress; 0 between requests.
    args_left: usize,
    /// Length of the argument whose `$<len>\r\n` line was consumed but whose data
    /// has not fully arrived.
    bulk_len: Option<usize>,
    /// Bytes still missing for `bulk_len` at the last call (data plus `\r\n`).
    bulk_missing: usize,
    /// How many bytes at the front of the buffer were already searched for the end
    /// of the current line, so that a slowly arriving line is scanned once.
    scanned: usize,
    /// A NUL came before any newline in the inline request in progress. Redis finds
    /// the line end with `strchr`, which stops at NUL, so such a request never ends:
    /// Redis waits for more bytes until the inline limit is passed, and so do we.
    inline_nul: bool,
}

impl CommandDecoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        CommandDecoder {
            limits,
            ..CommandDecoder::default()
        }
    }

    /// Replaces the limits (e.g. after `CONFIG SET proto-max-bulk-len`); they apply
    /// to every length line read from now on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// While `true`, Redis's limits for connections that have not authenticated
    /// apply: at most 10 arguments of at most 16384 bytes each.
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// Bytes still missing to complete the argument being received, including its
    /// trailing `\r\n`; `None` when no argument's data is pending. Only lengths that
    /// passed the limits get here, so it is safe to `reserve` this much.
    pub fn pending_bulk(&self) -> Option<usize> {
        self.bulk_len.map(|_| self.bulk_missing)
    }

    /// Decodes the next command from the front of `buf`, consuming its bytes.
    ///
    /// Returns its arguments (never empty), `Ok(None)` if `buf` holds no complete
    /// command yet, or the protocol error Redis would reply with.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>> {
        loop {
            if self.args_left == 0 {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                if first != wire::ARRAY {
                    match self.inline(buf)? {
                        None => return Ok(None),
                        Some(argv) if argv.is_empty() => continue,
                        Some(argv) => return Ok(Some(argv)),
                    }
                }
                match self.multibulk_count(buf)? {
                    None => return Ok(None),
                    Some(0) => continue,
                    Some(count) => {
                        self.args_left = count;
                        self.argv = Vec::with_capacity(count.min(MAX_PREALLOCATED_ARGS));
                    }
                }
            }
            return self.arguments(buf);
        }
    }

    /// Finds the `\r` ending the line at the front of `buf`, resuming the search
    /// where the previous call stopped.
    fn find_cr(&mut self, buf: &[u8]) -> Option<usize> {
        let start = self.scanned;
        match buf
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\r'))
        {
            Some(offset) => {
                self.scanned = start + offset;
                Some(start + offset)
            }
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }

    /// Consumes the `*<count>\r\n` line; `Some(0)` for a request to skip.
    fn multibulk_count(&mut self, buf: &mut BytesMut) -> Result<Option<usize>> {
        let Some(cr) = self.find_cr(buf) else {
            if buf.len() > self.limits.max_inline_len {
                return Err(Error::TooBigMultibulkCount);
            }
            return Ok(None);
        };
        // Redis wants one more byte after the '\r' and skips it unchecked.
        if cr + 1 >= buf.len() {
            return Ok(None);
        }
        let count = match buf.get(1..cr).and_then(parse_ll) {
            Some(n) if n <= 0 => 0,
            Some(n)
                if n <= i64::from(i32::MAX)
                    && n.unsigned_abs() <= self.limits.max_multibulk_len =>
            {
                n
            }
            _ => return Err(Error::InvalidMultibulkLength),
        };
        if count > UNAUTHENTICATED_MAX_MULTIBULK_LEN && self.auth_required {
            return Err(Error::UnauthenticatedMultibulkLength);
        }
        buf.advance(cr + 2);
        self.scanned = 0;
        usize::try_from(count)
            .map(Some)
            .map_err(|_| Error::InvalidMultibulkLength)
    }

    /// Reads as many arguments of the multibulk in progress as `buf` holds.
    fn arguments(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>> {
        while self.args_left > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => match self.bulk_header(buf)? {
                    Some(len) => len,
                    None => return Ok(None),
                },
            };
            // `len` passed the limit check, so `len + 2` is a sane number.
            let needed = len.saturating_add(wire::CRLF.len());
            if buf.len() < needed {
                self.bulk_missing = needed - buf.len();
                return Ok(None);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(wire::CRLF.len());
            self.argv.push(arg);
            self.bulk_len = None;
            self.args_left -= 1;
        }
        Ok(Some(mem::take(&mut self.argv)))
    }

    /// Consumes a `$<len>\r\n` line and returns the checked length.
    fn bulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<usize>> {
        let Some(cr) = self.find_cr(buf) else {
            if buf.len() > self.limits.max_inline_len {
                return Err(Error::TooBigBulkCount);
            }
            return Ok(None);
        };
        if cr + 1 >= buf.len() {
            return Ok(None);
        }
        match buf.first() {
            Some(&wire::BULK) => {}
            Some(&got) => return Err(Error::ExpectedDollar { got }),
            None => return Ok(None),
        }
        let len = match buf.get(1..cr).and_then(parse_ll) {
            Some(n) if n >= 0 && n.unsigned_abs() <= self.limits.max_bulk_len => n,
            _ => return Err(Error::InvalidBulkLength),
        };
        if len > UNAUTHENTICATED_MAX_BULK_LEN && self.auth_required {
            return Err(Error::UnauthenticatedBulkLength);
        }
        let len = usize::try_from(len).map_err(|_| Error::InvalidBulkLength)?;
        buf.advance(cr + 2);
        self.scanned = 0;
        self.bulk_len = Some(len);
        self.bulk_missing = len.saturating_add(wire::CRLF.len());
        Ok(Some(len))
    }

    /// Consumes one inline request line and splits it into arguments (maybe none).
    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>> {
        let start = self.scanned;
        let found = if self.inline_nul {
            None
        } else {
            buf.get(start..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n' || b == 0))
                .map(|offset| start + offset)
        };
        if found.is_some_and(|at| buf.get(at) == Some(&0)) {
            self.inline_nul = true;
        }
        let Some(newline) = found.filter(|_| !self.inline_nul) else {
            self.scanned = buf.len();
            if buf.len() > self.limits.max_inline_len {
                return Err(Error::TooBigInlineRequest);
            }
            return Ok(None);
        };
        self.scanned = 0;
        let line = buf.split_to(newline + 1);
        let end = match line.get(..newline) {
            Some([.., b'\r']) => newline - 1,
            _ => newline,
        };
        split_args(line.get(..end).unwrap_or_default())
            .map(Some)
            .ok_or(Error::UnbalancedQuotes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<Error>) {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(input);
        let mut commands = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(argv)) => commands.push(argv.iter().map(|a| a.to_vec()).collect()),
                Ok(None) => return (commands, None),
                Err(e) => return (commands, Some(e)),
            }
        }
    }

    fn error_of(input: &[u8]) -> String {
        match decode_all(input).1 {
            Some(e) => e.to_string(),
            None => panic!("no error for {:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn multibulk_and_inline_mix() {
        let (cmds, err) =
            decode_all(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n\r\n*0\r\n*-1\r\nGET k\n");
        assert_eq!(err, None);
        assert_eq!(
            cmds,
            vec![
                vec![b"ECHO".to_vec(), b"hi".to_vec()],
                vec![b"PING".to_vec()],
                vec![b"GET".to_vec(), b"k".to_vec()],
            ]
        );
    }

    #[test]
    fn bytes_after_cr_are_not_checked_like_redis() {
        let (cmds, err) = decode_all(b"*1\rX$1\rY!xy");
        assert_eq!(err, None);
        assert_eq!(cmds, vec![vec![b"!".to_vec()]]);
    }

    #[test]
    fn redis_error_strings() {
        assert_eq!(
            error_of(b"*x\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error_of(b"*2147483648\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error_of(b"*01\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error_of(b"*1\r\n$-1\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            error_of(b"*1\r\n$\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            error_of(b"*1\r\n$536870913\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            error_of(b"*1\r\n:1\r\n"),
            "Protocol error: expected '$', got ':'"
        );
        assert_eq!(
            error_of(b"*1\r\n\r\n"),
            "Protocol error: expected '$', got ' '"
        );
        assert_eq!(
            error_of(b"\"unclosed\r\n"),
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            error_of(&[b'a'; 65537]),
            "Protocol error: too big inline request"
        );
        let mut mbulk = b"*".to_vec();
        mbulk.extend([b'1'; 65536]);
        assert_eq!(
            error_of(&mbulk),
            "Protocol error: too big mbulk count string"
        );
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.extend([b'1'; 65536]);
        assert_eq!(error_of(&bulk), "Protocol error: too big bulk count string");
    }

    #[test]
    fn long_lines_with_an_end_are_parsed_not_rejected() {
        let mut line = vec![b'a'; 70_000];
        line.extend(b"\r\n");
        let (cmds, err) = decode_all(&line);
        assert_eq!(err, None);
        assert_eq!(cmds.len(), 1);
        let mut mbulk = b"*".to_vec();
        mbulk.extend([b'1'; 70_000]);
        mbulk.extend(b"\r\n");
        assert_eq!(error_of(&mbulk), "Protocol error: invalid multibulk length");
    }

    #[test]
    fn expected_dollar_waits_for_the_whole_line() {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*1\r\nX12"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        buf.extend_from_slice(b"\r\n");
        assert_eq!(
            decoder.decode(&mut buf),
            Err(Error::ExpectedDollar { got: b'X' })
        );
    }

    #[test]
    fn unauthenticated_limits() {
        let mut decoder = CommandDecoder::new(Limits::default());
        decoder.set_auth_required(true);
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            decoder.decode(&mut buf).unwrap_err().to_string(),
            "Protocol error: unauthenticated multibulk length"
        );
        let mut decoder = CommandDecoder::new(Limits::default());
        decoder.set_auth_required(true);
        let mut buf = BytesMut::from(&b"*10\r\n$16384\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&[b'x'; 16386]);
        buf.extend_from_slice(b"$16385\r\n");
        assert_eq!(
            decoder.decode(&mut buf).unwrap_err().to_string(),
            "Protocol error: unauthenticated bulk length"
        );
        decoder.set_auth_required(false);
        let mut decoder2 = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*11\r\n$16385\r\n"[..]);
        assert_eq!(decoder2.decode(&mut buf), Ok(None));
        assert_eq!(decoder2.pending_bulk(), Some(16387));
    }

    #[test]
    fn pending_bulk_counts_missing_bytes() {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*1\r\n$10\r\nabcd"[..]);
        assert_eq!(decoder.pending_bulk(), None);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.pending_bulk(), Some(8));
        buf.extend_from_slice(b"efghij\r\n");
        assert_eq!(
            decoder.decode(&mut buf),
            Ok(Some(vec![Bytes::from_static(b"abcdefghij")]))
        );
        assert_eq!(decoder.pending_bulk(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn set_limits_applies_to_the_next_length() {
        let mut decoder = CommandDecoder::new(Limits::default());
        decoder.set_limits(Limits {
            max_bulk_len: 3,
            ..Limits::default()
        });
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nabc\r\n$4\r\nabcd\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf), Err(Error::InvalidBulkLength));
    }

    #[test]
    fn announced_count_is_not_preallocated() {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*2000000000\r\n$1\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.argv.capacity(), MAX_PREALLOCATED_ARGS);
        assert_eq!(decoder.args_left, 2_000_000_000);
    }

    #[test]
    fn slow_line_is_scanned_once() {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::new();
        for _ in 0..1000 {
            buf.extend_from_slice(b"a");
            assert_eq!(decoder.decode(&mut buf), Ok(None));
            assert_eq!(decoder.scanned, buf.len());
        }
    }

    #[test]
    fn nul_before_newline_makes_an_inline_request_wait_like_redis() {
        // Redis looks for the newline with strchr, which stops at the NUL.
        let (commands, err) = decode_all(b"PI\0NG\r\nPING\r\n");
        assert!(commands.is_empty() && err.is_none());
        let mut input = b"A\0\n".to_vec();
        input.extend(std::iter::repeat_n(b'B', 70 * 1024));
        assert_eq!(error_of(&input), "Protocol error: too big inline request");
        // A NUL after the newline belongs to the next line.
        let (commands, _) = decode_all(b"PING\r\nX\0");
        assert_eq!(commands, [[b"PING".to_vec()]]);
    }
}
