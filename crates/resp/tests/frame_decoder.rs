//! Public-API tests of the generic `Decoder`: chunked input, limits, hostile input.
#![allow(clippy::unwrap_used)]

use bytes::{Bytes, BytesMut};
use ferrodis_resp::fuzzing::same_frame;
use ferrodis_resp::{Decoder, Error, Frame, Limits};

/// One of each frame type, with nesting.
const STREAM: &[u8] = b"+OK\r\n-ERR no\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n_\r\n\
,3.5\r\n,-inf\r\n#f\r\n!3\r\nbad\r\n=7\r\nmkd:# x\r\n(123456789012345678901234567890\r\n\
*2\r\n%1\r\n$1\r\nk\r\n~2\r\n:1\r\n:2\r\n>1\r\n+msg\r\n|1\r\n+ttl\r\n:9\r\n*0\r\n";

fn stream_frames() -> Vec<Frame> {
    vec![
        Frame::ok(),
        Frame::static_error("ERR no"),
        Frame::Integer(-7),
        Frame::bulk("hello"),
        Frame::Null,
        Frame::NullArray,
        Frame::Null,
        Frame::Double(3.5),
        Frame::Double(f64::NEG_INFINITY),
        Frame::Boolean(false),
        Frame::static_error("bad"),
        Frame::Verbatim {
            format: *b"mkd",
            data: Bytes::from_static(b"# x"),
        },
        Frame::BigNumber(Bytes::from_static(b"123456789012345678901234567890")),
        Frame::Array(vec![
            Frame::Map(vec![(
                Frame::bulk("k"),
                Frame::Set(vec![Frame::Integer(1), Frame::Integer(2)]),
            )]),
            Frame::Push(vec![Frame::simple("msg")]),
        ]),
        Frame::Attribute {
            attrs: vec![(Frame::simple("ttl"), Frame::Integer(9))],
            frame: Box::new(Frame::Array(vec![])),
        },
    ]
}

fn decode_in(input: &[u8], chunks: &[usize], limits: Limits) -> (Vec<Frame>, Option<Error>) {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = input;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let size = sizes
            .next()
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        let (piece, tail) = rest.split_at(size);
        rest = tail;
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

#[test]
fn every_type_decodes() {
    assert_eq!(
        decode_in(STREAM, &[STREAM.len()], Limits::default()),
        (stream_frames(), None)
    );
}

#[test]
fn every_split_point() {
    for split in 0..=STREAM.len() {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&STREAM[..split]);
        let mut frames = Vec::new();
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        buf.extend_from_slice(&STREAM[split..]);
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert_eq!(frames, stream_frames(), "split at {split}");
        assert!(buf.is_empty());
    }
}

#[test]
fn one_byte_at_a_time() {
    assert_eq!(
        decode_in(STREAM, &[1], Limits::default()),
        (stream_frames(), None)
    );
}

#[test]
fn nan_and_special_doubles() {
    let (frames, err) = decode_in(b",nan\r\n,inf\r\n,-0\r\n,1e3\r\n", &[3], Limits::default());
    assert_eq!(err, None);
    let want = [
        Frame::Double(f64::NAN),
        Frame::Double(f64::INFINITY),
        Frame::Double(-0.0),
        Frame::Double(1000.0),
    ];
    assert_eq!(frames.len(), want.len());
    for (got, want) in frames.iter().zip(&want) {
        assert!(same_frame(got, want), "{got:?} != {want:?}");
    }
}

#[test]
fn nesting_1000_deep_is_rejected() {
    let deep = b"*1\r\n".repeat(1000);
    for chunk in [1, 13, deep.len()] {
        let (frames, err) = decode_in(&deep, &[chunk], Limits::default());
        assert!(frames.is_empty());
        assert_eq!(
            err,
            Some(Error::TooDeep {
                max: Limits::DEFAULT_MAX_DEPTH
            })
        );
    }
    // Exactly at the limit is fine.
    let mut at_limit = b"*1\r\n".repeat(Limits::DEFAULT_MAX_DEPTH);
    at_limit.extend_from_slice(b":1\r\n");
    let (frames, err) = decode_in(&at_limit, &[5], Limits::default());
    assert_eq!((frames.len(), err), (1, None));
}

#[test]
fn hostile_inputs_error_without_panicking() {
    let hostile: &[&[u8]] = &[
        b"*99999999999\r\n",
        b"%99999999999\r\n",
        b"$600000000\r\nabc",
        b"$-5\r\n",
        b"*-2\r\n",
        b"~-1\r\n",
        b"=2\r\nab\r\n",
        b"$?\r\n",
        b"\x00",
        b"\xff\xfe",
        b":\r\n",
        b"+abc\rx",
    ];
    for input in hostile {
        for chunk in [1, 2, input.len()] {
            let (_, err) = decode_in(input, &[chunk], Limits::default());
            assert!(
                err.is_some(),
                "{:?} in {chunk}",
                String::from_utf8_lossy(input)
            );
        }
    }
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let garbage: Vec<u8> = (0..50_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let alphabet = b"*$%~|>+-:,#_=(!\r\n0123456789-?tf.inax";
            alphabet[(state % alphabet.len() as u64) as usize]
        })
        .collect();
    for chunk in [1, 5, 100, garbage.len()] {
        decode_in(&garbage, &[chunk], Limits::default());
    }
}

#[test]
fn long_array_and_big_bulk_in_chunks() {
    let count = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };
    let mut stream = format!("*{count}\r\n").into_bytes();
    for i in 0..count {
        stream.extend_from_slice(format!(":{i}\r\n").as_bytes());
    }
    let size: usize = if cfg!(debug_assertions) {
        8 << 20
    } else {
        64 << 20
    };
    stream.extend_from_slice(format!("${size}\r\n").as_bytes());
    stream.resize(stream.len() + size, b'v');
    stream.extend_from_slice(b"\r\n");
    let (frames, err) = decode_in(&stream, &[4096], Limits::default());
    assert_eq!(err, None);
    assert_eq!(frames.len(), 2);
    match &frames[0] {
        Frame::Array(items) => {
            assert_eq!(items.len(), count);
            assert_eq!(items.last(), Some(&Frame::Integer(count as i64 - 1)));
        }
        other => panic!("not an array: {other:?}"),
    }
    assert!(matches!(&frames[1], Frame::Bulk(b) if b.len() == size));
}
