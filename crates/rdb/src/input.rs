//! The byte source under the decoder: buffering, the stream offset, the running
//! CRC-64, and RDB's primitive reads (lengths, strings, times, doubles).
//!
//! The decoder reads records one at a time from any `Read` (a file, a socket
//! during a full resync, a `&[u8]`), so this is a hand-written resumable reader
//! rather than nom: a record may straddle two reads. The CRC covers every byte
//! consumed so far; it is computed in large pieces when the buffer is compacted,
//! not byte by byte.

use std::io::{ErrorKind, Read};

use bytes::{Bytes, BytesMut};

use crate::length_codec::{read_length, Length, StringEncoding};
use crate::lzf;
use crate::{crc64, Error, Result};

/// Bytes asked of the reader at a time.
const CHUNK: usize = 64 * 1024;
/// Size of the blocks [`Input::string_in`] carves keys out of.
const ARENA: usize = 16 * 1024;
/// Largest allocation made on the word of a length prefix alone; beyond it,
/// buffers grow as bytes really arrive.
const PREALLOC_CAP: usize = 1 << 20;

/// A buffered reader that knows its offset and checksum.
#[derive(Debug)]
pub(crate) struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    /// Next unread byte in `buf`.
    pos: usize,
    /// `buf[crc_from..pos]` is consumed but not yet in `crc`.
    crc_from: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    crc: u64,
    /// When set, consumed bytes are also copied here (module values).
    capture: Option<Vec<u8>>,
}

impl<R: Read> Input<R> {
    pub(crate) fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: Vec::new(),
            pos: 0,
            crc_from: 0,
            base: 0,
            crc: 0,
            capture: None,
        }
    }

    /// Stream offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The reader and the bytes read from it but not consumed.
    pub(crate) fn into_parts(self) -> (R, Vec<u8>) {
        let rest = self.buf.get(self.pos..).unwrap_or_default().to_vec();
        (self.inner, rest)
    }

    /// CRC-64 of every byte consumed so far.
    pub(crate) fn crc(&mut self) -> u64 {
        self.flush_crc();
        self.crc
    }

    fn flush_crc(&mut self) {
        if let Some(pending) = self.buf.get(self.crc_from..self.pos) {
            self.crc = crc64(self.crc, pending);
        }
        self.crc_from = self.pos;
    }

    /// Makes `need` unread bytes available; `Ok(false)` if the stream ends first.
    /// Called for every primitive read: the common case, bytes already there,
    /// is inlined, the refill is not.
    #[inline(always)]
    fn fill(&mut self, need: usize) -> Result<bool> {
        if self.buf.len() - self.pos >= need {
            return Ok(true);
        }
        self.refill(need)
    }

    #[inline(never)]
    fn refill(&mut self, need: usize) -> Result<bool> {
        self.flush_crc();
        self.buf.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        self.crc_from = 0;
        while self.buf.len() < need {
            let old = self.buf.len();
            self.buf.resize(old + CHUNK.max(need - old), 0);
            let read = loop {
                match self.inner.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(Error::Io {
                            offset: self.base + old as u64,
                            kind: e.kind(),
                            message: e.to_string(),
                        });
                    }
                }
            };
            self.buf.truncate(old + read);
            if read == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn eof(&self, expected: &'static str) -> Error {
        Error::UnexpectedEof {
            offset: self.base + self.buf.len() as u64,
            expected,
        }
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        if let (Some(capture), Some(bytes)) =
            (&mut self.capture, self.buf.get(self.pos..self.pos + n))
        {
            capture.extend_from_slice(bytes);
        }
        self.pos += n;
    }

    /// Whether the stream has no byte left.
    pub(crate) fn at_end(&mut self) -> Result<bool> {
        Ok(!self.fill(1)?)
    }

    /// Reads exactly `N` bytes.
    pub(crate) fn array<const N: usize>(&mut self, expected: &'static str) -> Result<[u8; N]> {
        if !self.fill(N)? {
            return Err(self.eof(expected));
        }
        let mut out = [0u8; N];
        out.copy_from_slice(self.buf.get(self.pos..self.pos + N).unwrap_or_default());
        self.consume(N);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, expected: &'static str) -> Result<u8> {
        Ok(self.array::<1>(expected)?[0])
    }

    /// Reads `n` bytes, allocating as they arrive rather than as announced.
    pub(crate) fn bytes(&mut self, n: u64, expected: &'static str) -> Result<Vec<u8>> {
        let n = usize::try_from(n).map_err(|_| self.eof(expected))?;
        let mut out = Vec::with_capacity(n.min(PREALLOC_CAP));
        while out.len() < n {
            let want = (n - out.len()).min(CHUNK);
            if !self.fill(1)? {
                return Err(self.eof(expected));
            }
            let take = want.min(self.buf.len() - self.pos);
            out.extend_from_slice(self.buf.get(self.pos..self.pos + take).unwrap_or_default());
            self.consume(take);
        }
        Ok(out)
    }

    /// Starts copying consumed bytes aside.
    pub(crate) fn start_capture(&mut self) {
        self.capture = Some(Vec::new());
    }

    /// Stops copying and returns what was copied.
    pub(crate) fn take_capture(&mut self) -> Vec<u8> {
        self.capture.take().unwrap_or_default()
    }

    /// An RDB length prefix, which may announce a special string encoding.
    pub(crate) fn length(&mut self, expected: &'static str) -> Result<Length> {
        let offset = self.offset();
        if !self.fill(1)? {
            return Err(self.eof(expected));
        }
        let need = match self.buf.get(self.pos) {
            Some(0x80) => 5,
            Some(0x81) => 9,
            Some(b) if b >> 6 == 1 => 2,
            _ => 1,
        };
        if !self.fill(need)? {
            return Err(self.eof(expected));
        }
        let window = self.buf.get(self.pos..self.pos + need).unwrap_or_default();
        match read_length(window).map_err(|e| e.shifted(offset))? {
            Some((length, used)) => {
                self.consume(used);
                Ok(length)
            }
            None => Err(self.eof(expected)),
        }
    }

    /// A length that must be a plain number.
    pub(crate) fn len(&mut self, expected: &'static str) -> Result<u64> {
        let offset = self.offset();
        match self.length(expected)? {
            Length::Len(n) => Ok(n),
            Length::Encoded(_) => Err(Error::corrupt(
                offset,
                format!("string encoding where {expected} was expected"),
            )),
        }
    }

    /// An RDB string: raw, an integer in 1/2/4 bytes, or LZF-compressed.
    /// Returns it and whether it was stored compressed.
    pub(crate) fn string_with_encoding(
        &mut self,
        expected: &'static str,
    ) -> Result<(Vec<u8>, Option<StringEncoding>)> {
        match self.length(expected)? {
            Length::Len(n) => Ok((self.bytes(n, expected)?, None)),
            Length::Encoded(enc) => {
                let value = match enc {
                    StringEncoding::Int8 => i64::from(self.u8(expected)? as i8),
                    StringEncoding::Int16 => i64::from(i16::from_le_bytes(self.array(expected)?)),
                    StringEncoding::Int32 => i64::from(i32::from_le_bytes(self.array(expected)?)),
                    StringEncoding::Lzf => return Ok((self.lzf(expected)?, Some(enc))),
                };
                Ok((value.to_string().into_bytes(), Some(enc)))
            }
        }
    }

    /// A short-lived string (a key the caller copies and drops): a short raw
    /// one is carved out of `arena`, a shared block refilled every
    /// [`ARENA`] bytes, instead of an allocation of its own; anything else is
    /// [`Input::string`]'s.
    pub(crate) fn string_in(
        &mut self,
        arena: &mut BytesMut,
        expected: &'static str,
    ) -> Result<Bytes> {
        let carved = self.short_raw(|bytes| {
            if arena.capacity() - arena.len() < bytes.len() {
                *arena = BytesMut::with_capacity(ARENA);
            }
            arena.extend_from_slice(bytes);
            arena.split().freeze()
        })?;
        match carved {
            Some(bytes) => Ok(bytes),
            None => self.string(expected).map(Bytes::from),
        }
    }

    /// An RDB string appended to `out` (a short raw one straight from the
    /// buffer).
    pub(crate) fn string_into(&mut self, out: &mut Vec<u8>, expected: &'static str) -> Result<()> {
        if self
            .short_raw(|bytes| out.extend_from_slice(bytes))?
            .is_none()
        {
            out.extend_from_slice(&self.string(expected)?);
        }
        Ok(())
    }

    /// The common case of a string, a raw one with a 6-bit length (one length
    /// byte, then the bytes), handed to `f` from the buffer and consumed;
    /// `None` (nothing consumed) for any other form or at the end of the stream.
    fn short_raw<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>> {
        let Some(&first) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        if first >> 6 != 0 {
            return Ok(None);
        }
        let n = usize::from(first);
        if !self.fill(1 + n)? {
            return Ok(None);
        }
        let out = f(self
            .buf
            .get(self.pos + 1..self.pos + 1 + n)
            .unwrap_or_default());
        self.consume(1 + n);
        Ok(Some(out))
    }

    /// An RDB string, however it is stored.
    pub(crate) fn string(&mut self, expected: &'static str) -> Result<Vec<u8>> {
        self.string_with_encoding(expected).map(|(s, _)| s)
    }

    fn lzf(&mut self, expected: &'static str) -> Result<Vec<u8>> {
        let offset = self.offset();
        let compressed_len = self.len(expected)?;
        let len = self.len(expected)?;
        // Checked before allocating `len`: LZF cannot expand more than this.
        if compressed_len.saturating_mul(lzf::MAX_EXPANSION) < len {
            return Err(Error::corrupt(
                offset,
                format!(
                    "Invalid LZF compressed string: {compressed_len} bytes cannot expand to {len}"
                ),
            ));
        }
        let data_offset = self.offset();
        let len = usize::try_from(len).map_err(|_| self.eof(expected))?;
        let corrupt = |e: lzf::LzfError| {
            Error::corrupt(
                data_offset,
                format!("Invalid LZF compressed string: {}", e.describe()),
            )
        };
        // Usually the compressed bytes fit in the buffer: decompressed from
        // there, without a copy of their own.
        let in_buffer = usize::try_from(compressed_len).ok().filter(|&n| n <= CHUNK);
        if let Some(n) = in_buffer {
            if !self.fill(n)? {
                return Err(self.eof(expected));
            }
            let compressed = self.buf.get(self.pos..self.pos + n).unwrap_or_default();
            let out = lzf::decompress(compressed, len).map_err(corrupt)?;
            self.consume(n);
            return Ok(out);
        }
        let compressed = self.bytes(compressed_len, expected)?;
        lzf::decompress(&compressed, len).map_err(corrupt)
    }

    /// A little-endian i64 (millisecond times; RDB >= 9 writes them LE and
    /// older files come from little-endian hosts in practice).
    pub(crate) fn i64_le(&mut self, expected: &'static str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(expected)?))
    }

    /// A binary little-endian double (ZSET_2 scores, module doubles).
    pub(crate) fn f64_le(&mut self, expected: &'static str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array(expected)?))
    }

    /// A double as a length byte and ASCII text; 253/254/255 are NaN/+inf/-inf
    /// (`rdbLoadDoubleValue`).
    pub(crate) fn ascii_double(&mut self, expected: &'static str) -> Result<f64> {
        let offset = self.offset();
        match self.u8(expected)? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            len => {
                let text = self.bytes(u64::from(len), expected)?;
                crate::blob::parse_double(&text).ok_or_else(|| {
                    Error::corrupt(
                        offset,
                        format!("invalid double {:?}", String::from_utf8_lossy(&text)),
                    )
                })
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, like a slow socket.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn strings_in_every_encoding() {
        let bytes =
            b"\x05hello\xc0\xfe\xc1\x00\x80\xc2\x00\x00\x00\x80\xc3\x05\x0a\x00a\xe0\x00\x00";
        let mut input = Input::new(Trickle(bytes));
        assert_eq!(input.string("s").unwrap(), b"hello");
        assert_eq!(input.string("s").unwrap(), b"-2");
        assert_eq!(input.string("s").unwrap(), b"-32768");
        assert_eq!(input.string("s").unwrap(), b"-2147483648");
        let (lzf, enc) = input.string_with_encoding("s").unwrap();
        assert_eq!(lzf, b"aaaaaaaaaa");
        assert_eq!(enc, Some(StringEncoding::Lzf));
        assert!(input.at_end().unwrap());
        assert_eq!(input.offset(), bytes.len() as u64);
        assert_eq!(input.crc(), crc64(0, bytes));
    }

    #[test]
    fn truncation_names_offset_and_what() {
        let mut input = Input::new(&b"\x40"[..]);
        assert_eq!(
            input.length("a string length").unwrap_err().to_string(),
            "unexpected end of file at offset 1 while reading a string length"
        );
        let mut input = Input::new(&b"\x0aabc"[..]);
        assert_eq!(
            input.string("a key").unwrap_err(),
            Error::UnexpectedEof {
                offset: 4,
                expected: "a key"
            }
        );
    }

    #[test]
    fn huge_claims_do_not_allocate() {
        // A 2^64-1 byte string in a 10-byte input: an error, quickly.
        let mut input = Input::new(&b"\x81\xff\xff\xff\xff\xff\xff\xff\xffab"[..]);
        assert!(input.string("a value").is_err());
        // An LZF string claiming 4 GB from 2 bytes.
        let mut input = Input::new(&b"\xc3\x02\x80\xff\xff\xff\xff\x00a"[..]);
        let err = input.string("a value").unwrap_err().to_string();
        assert!(err.contains("Invalid LZF compressed string"), "{err}");
    }

    #[test]
    fn doubles_and_capture() {
        let mut input = Input::new(&b"\xff\xfe\xfd\x031.5\x04-2e3"[..]);
        assert_eq!(input.ascii_double("d").unwrap(), f64::NEG_INFINITY);
        assert_eq!(input.ascii_double("d").unwrap(), f64::INFINITY);
        assert!(input.ascii_double("d").unwrap().is_nan());
        input.start_capture();
        assert_eq!(input.ascii_double("d").unwrap(), 1.5);
        assert_eq!(input.take_capture(), b"\x031.5");
        assert_eq!(input.ascii_double("d").unwrap(), -2000.0);
        let mut input = Input::new(&b"\x02zz"[..]);
        assert!(input.ascii_double("d").is_err());
    }
}
