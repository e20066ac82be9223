//! Property tests: frames and commands survive encode → decode, and agree with the
//! independent `redis-protocol` crate on RESP2.
#![allow(clippy::unwrap_used)]

use bytes::{Bytes, BytesMut};
use ferrodis_resp::fuzzing::{as_resp3_sees_it, check_round_trip, same_frame};
use ferrodis_resp::{encode, encode_command, Decoder, Frame, Limits, Protocol};
use proptest::prelude::*;
use redis_protocol::resp2::decode::decode as rp_decode;
use redis_protocol::resp2::types::OwnedFrame;

/// Bytes without `\r` and `\n`, as simple strings and errors carry.
fn line_bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(
        any::<u8>().prop_filter("no newline", |b| *b != b'\r' && *b != b'\n'),
        0..16,
    )
    .prop_map(Bytes::from)
}

fn any_bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

fn leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_bytes().prop_map(Frame::Simple),
        line_bytes().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        any_bytes().prop_map(Frame::Bulk),
        Just(Frame::Null),
        Just(Frame::NullArray),
        any::<f64>().prop_map(Frame::Double),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0)
        ]
        .prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        "-?[0-9]{1,40}".prop_map(|s| Frame::BigNumber(Bytes::from(s))),
        (any::<[u8; 3]>(), any_bytes()).prop_map(|(format, data)| Frame::Verbatim { format, data }),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        let pairs = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attrs, frame)| Frame::Attribute {
                attrs,
                frame: Box::new(frame)
            }),
        ]
    })
}

/// Decodes `bytes` fed in pieces of the sizes in `chunks` (cycled).
fn decode_in_chunks(bytes: &[u8], chunks: &[usize]) -> Vec<Frame> {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = bytes;
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
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
    }
    assert!(buf.is_empty());
    frames
}

/// Our decoded RESP2 frame in `redis-protocol`'s model (it has one null).
fn to_owned_frame(frame: &Frame) -> OwnedFrame {
    match frame {
        Frame::Simple(s) => OwnedFrame::SimpleString(s.to_vec()),
        Frame::Error(e) => OwnedFrame::Error(String::from_utf8_lossy(e).into_owned()),
        Frame::Integer(n) => OwnedFrame::Integer(*n),
        Frame::Bulk(b) => OwnedFrame::BulkString(b.to_vec()),
        Frame::Null | Frame::NullArray => OwnedFrame::Null,
        Frame::Array(items) => OwnedFrame::Array(items.iter().map(to_owned_frame).collect()),
        other => panic!("not a RESP2 frame: {other:?}"),
    }
}

/// Errors as text, since `redis-protocol` keeps them as `String`.
fn utf8_errors_only(frame: &Frame) -> bool {
    match frame {
        Frame::Error(e) => std::str::from_utf8(e).is_ok(),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.iter().all(utf8_errors_only)
        }
        Frame::Map(pairs) => pairs
            .iter()
            .all(|(k, v)| utf8_errors_only(k) && utf8_errors_only(v)),
        Frame::Attribute { attrs, frame } => {
            utf8_errors_only(frame)
                && attrs
                    .iter()
                    .all(|(k, v)| utf8_errors_only(k) && utf8_errors_only(v))
        }
        _ => true,
    }
}

proptest! {
    #[test]
    fn resp3_round_trips(
        frames in prop::collection::vec(frame(), 1..4),
        chunks in prop::collection::vec(1usize..32, 1..8),
    ) {
        let mut bytes = BytesMut::new();
        for f in &frames {
            encode(f, Protocol::Resp3, &mut bytes);
        }
        let decoded = decode_in_chunks(&bytes, &chunks);
        prop_assert_eq!(decoded.len(), frames.len());
        for (got, sent) in decoded.iter().zip(&frames) {
            prop_assert!(same_frame(got, &as_resp3_sees_it(sent)), "{:?} != {:?}", got, sent);
        }
    }

    #[test]
    fn every_frame_survives_both_protocols(f in frame()) {
        check_round_trip(&f);
    }

    #[test]
    fn resp2_encoding_agrees_with_redis_protocol(f in frame()) {
        prop_assume!(utf8_errors_only(&f));
        let mut bytes = BytesMut::new();
        encode(&f, Protocol::Resp2, &mut bytes);
        let ours = decode_in_chunks(&bytes, &[bytes.len()]);
        prop_assert_eq!(ours.len(), 1);
        let (theirs, used) = rp_decode(&bytes).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(to_owned_frame(&ours[0]), theirs);
    }

    #[test]
    fn commands_agree_with_redis_protocol(
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..8)
    ) {
        let mut bytes = BytesMut::new();
        encode_command(&args, &mut bytes);
        let (theirs, used) = rp_decode(&bytes).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        let want = OwnedFrame::Array(args.into_iter().map(OwnedFrame::BulkString).collect());
        prop_assert_eq!(theirs, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        ferrodis_resp::fuzzing::frame(&data);
    }
}
