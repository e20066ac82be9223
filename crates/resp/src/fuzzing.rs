//! Entry points of the fuzz targets in `fuzz/`; not part of the stable API.
//!
//! Input layout, shared by both targets:
//!
//! ```text
//! byte 0        bit 7: (commands) decode as an unauthenticated connection
//!               bits 0..3: n, how many chunk-size bytes follow
//! bytes 1..=n   chunk sizes, each byte b meaning b + 1 bytes, used in a cycle
//! rest          the bytes to decode
//! ```
//!
//! Each target checks that feeding the bytes in those chunks decodes the same as
//! feeding them at once (a "too big" error is the one legitimate difference: it
//! depends on how much was buffered), and never panics.

use bytes::BytesMut;

use crate::{encode, CommandDecoder, Decoder, Error, Frame, Limits, Protocol, Result};

/// Small limits so that fuzz inputs reach every limit error.
const FUZZ_LIMITS: Limits = Limits {
    max_bulk_len: 1 << 20,
    max_multibulk_len: 1 << 20,
    max_inline_len: 256,
    max_depth: 16,
};

/// The layout above, taken apart.
struct Input<'a> {
    flag: bool,
    chunks: Vec<usize>,
    payload: &'a [u8],
}

impl<'a> Input<'a> {
    fn parse(data: &'a [u8]) -> Input<'a> {
        let Some((&first, rest)) = data.split_first() else {
            return Input {
                flag: false,
                chunks: Vec::new(),
                payload: &[],
            };
        };
        let n = usize::from(first & 0x0f).min(rest.len());
        let (sizes, payload) = rest.split_at(n);
        Input {
            flag: first & 0x80 != 0,
            chunks: sizes.iter().map(|&b| usize::from(b) + 1).collect(),
            payload,
        }
    }

    /// Calls `feed` with the growing buffer after each chunk is appended; `feed`
    /// returns `false` to stop.
    fn feed_chunks(&self, mut feed: impl FnMut(&mut BytesMut) -> bool) {
        let mut buf = BytesMut::new();
        let mut rest = self.payload;
        let mut sizes = self.chunks.iter().cycle();
        while !rest.is_empty() {
            let size = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            buf.extend_from_slice(chunk);
            if !feed(&mut buf) {
                return;
            }
        }
    }
}

/// Everything a decoder produced from one input, up to its first error.
#[derive(Debug)]
struct Outcome<T> {
    items: Vec<T>,
    error: Option<Error>,
}

impl<T> Outcome<T> {
    fn new() -> Self {
        Outcome {
            items: Vec::new(),
            error: None,
        }
    }

    /// Drains `next` until it needs more bytes (`true`) or fails (`false`).
    fn drain(&mut self, mut next: impl FnMut() -> Result<Option<T>>) -> bool {
        loop {
            match next() {
                Ok(Some(item)) => self.items.push(item),
                Ok(None) => return true,
                Err(e) => {
                    self.error = Some(e);
                    return false;
                }
            }
        }
    }
}

fn is_buffering_dependent(error: &Option<Error>) -> bool {
    matches!(
        error,
        Some(
            Error::TooBigInlineRequest
                | Error::TooBigMultibulkCount
                | Error::TooBigBulkCount
                | Error::LineTooLong { .. }
        )
    )
}

/// Decodes `data` as client requests, in chunks and at once, and compares.
pub fn command(data: &[u8]) {
    let input = Input::parse(data);
    let run = |chunked: bool| {
        let mut decoder = CommandDecoder::new(FUZZ_LIMITS);
        decoder.set_auth_required(input.flag);
        let mut outcome = Outcome::new();
        let mut step = |buf: &mut BytesMut| {
            let go_on = outcome.drain(|| decoder.decode(buf));
            if let Some(missing) = decoder.pending_bulk() {
                assert!(missing as u64 <= FUZZ_LIMITS.max_bulk_len + 2);
            }
            go_on
        };
        if chunked {
            input.feed_chunks(step);
        } else {
            step(&mut BytesMut::from(input.payload));
        }
        outcome
    };
    let chunked = run(true);
    let whole = run(false);
    assert!(chunked.items.iter().all(|argv| !argv.is_empty()));
    if is_buffering_dependent(&chunked.error) {
        assert!(whole.items.starts_with(&chunked.items));
    } else {
        assert_eq!(chunked.items, whole.items);
        assert_eq!(chunked.error, whole.error);
    }
}

/// Decodes `data` as frames, in chunks and at once, compares, and checks that every
/// decoded frame survives encode → decode in both protocols.
pub fn frame(data: &[u8]) {
    let input = Input::parse(data);
    let run = |chunked: bool| {
        let mut decoder = Decoder::new(FUZZ_LIMITS);
        let mut outcome = Outcome::new();
        let step = |buf: &mut BytesMut| outcome.drain(|| decoder.decode(buf));
        if chunked {
            input.feed_chunks(step);
        } else {
            let mut step = step;
            step(&mut BytesMut::from(input.payload));
        }
        outcome
    };
    let chunked = run(true);
    let whole = run(false);
    let same_items = |a: &[Frame], b: &[Frame]| {
        a.len() <= b.len() && a.iter().zip(b).all(|(x, y)| same_frame(x, y))
    };
    if is_buffering_dependent(&chunked.error) {
        assert!(same_items(&chunked.items, &whole.items));
    } else {
        assert!(chunked.items.len() == whole.items.len());
        assert!(same_items(&chunked.items, &whole.items));
        assert_eq!(chunked.error, whole.error);
    }
    for frame in &chunked.items {
        check_round_trip(frame);
    }
}

/// Encodes `frame` in both protocols and decodes it back.
pub fn check_round_trip(frame: &Frame) {
    for proto in [Protocol::Resp3, Protocol::Resp2] {
        let mut buf = BytesMut::new();
        encode(frame, proto, &mut buf);
        let decoded = Decoder::new(Limits::default()).decode(&mut buf);
        let Ok(Some(decoded)) = decoded else {
            panic!("{proto:?} encoding of {frame:?} does not decode: {decoded:?}");
        };
        assert!(
            buf.is_empty(),
            "{proto:?} encoding of {frame:?} has leftovers"
        );
        if proto == Protocol::Resp3 {
            assert!(
                same_frame(&decoded, &as_resp3_sees_it(frame)),
                "{frame:?} came back as {decoded:?}"
            );
        }
    }
}

/// What a RESP3 peer decodes after `frame` was encoded: both nulls are `_`, and
/// newlines in simple strings and errors were written as spaces.
pub fn as_resp3_sees_it(frame: &Frame) -> Frame {
    let pairs = |pairs: &[(Frame, Frame)]| {
        pairs
            .iter()
            .map(|(k, v)| (as_resp3_sees_it(k), as_resp3_sees_it(v)))
            .collect()
    };
    let list = |items: &[Frame]| items.iter().map(as_resp3_sees_it).collect();
    let scrub = |text: &[u8]| {
        let scrubbed: Vec<u8> = text
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        bytes::Bytes::from(scrubbed)
    };
    match frame {
        Frame::NullArray => Frame::Null,
        Frame::Simple(s) => Frame::Simple(scrub(s)),
        Frame::Error(e) => Frame::Error(scrub(e)),
        Frame::Array(items) => Frame::Array(list(items)),
        Frame::Set(items) => Frame::Set(list(items)),
        Frame::Push(items) => Frame::Push(list(items)),
        Frame::Map(p) => Frame::Map(pairs(p)),
        Frame::Attribute { attrs, frame } => Frame::Attribute {
            attrs: pairs(attrs),
            frame: Box::new(as_resp3_sees_it(frame)),
        },
        other => other.clone(),
    }
}

/// Frame equality where doubles compare by bits and any NaN equals any NaN.
pub fn same_frame(a: &Frame, b: &Frame) -> bool {
    let lists = |x: &[Frame], y: &[Frame]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_frame(p, q))
    };
    let pairs = |x: &[(Frame, Frame)], y: &[(Frame, Frame)]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| same_frame(k1, k2) && same_frame(v1, v2))
    };
    match (a, b) {
        (Frame::Double(x), Frame::Double(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Frame::Array(x), Frame::Array(y))
        | (Frame::Set(x), Frame::Set(y))
        | (Frame::Push(x), Frame::Push(y)) => lists(x, y),
        (Frame::Map(x), Frame::Map(y)) => pairs(x, y),
        (
            Frame::Attribute {
                attrs: a1,
                frame: f1,
            },
            Frame::Attribute {
                attrs: a2,
                frame: f2,
            },
        ) => pairs(a1, a2) && same_frame(f1, f2),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few hand-made inputs through both fuzz entry points, so the code the fuzz
    /// targets run is exercised by `cargo test` too.
    #[test]
    fn fuzz_entry_points_accept_sample_inputs() {
        let payloads: &[&[u8]] = &[
            b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n",
            b"set \"a b\" 'c'\r\n\n*0\r\n",
            b"*1\r\n$-5\r\n",
            b"*99999999999\r\n",
            b"*3\r\n%1\r\n+k\r\n,nan\r\n|1\r\n+a\r\n#t\r\n=6\r\ntxt:hi\r\n_\r\n",
            b"*-1\r\n$-1\r\n+a\nb\r\n!3\r\na\rb\r\n(-12\r\n,-0\r\n,1e400\r\n,-nan\r\n",
            b"\xff\x00garbage",
            b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n",
        ];
        for payload in payloads {
            for header in [&[0u8][..], &[0x83, 0, 1, 6], &[0x01, 2]] {
                let mut data = header.to_vec();
                data.extend_from_slice(payload);
                command(&data);
                frame(&data);
            }
        }
        let mut long = vec![0x01, 0x0f];
        long.extend([b'a'; 600]);
        long.extend(b"\r\n");
        command(&long);
        frame(&long);
    }
}
