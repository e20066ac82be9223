//! Public-API tests of `CommandDecoder`: Redis's errors, chunked input, hostile input.
#![allow(clippy::unwrap_used)]

use bytes::{Bytes, BytesMut};
use ferrodis_resp::{encode_command, CommandDecoder, Error, Limits};
use proptest::prelude::*;

type Argv = Vec<Vec<u8>>;

/// Feeds `input` in pieces of the sizes in `chunks` (cycled), decoding after each,
/// until an error.
fn decode_in(input: &[u8], chunks: &[usize], limits: Limits) -> (Vec<Argv>, Option<Error>) {
    let mut decoder = CommandDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut commands = Vec::new();
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
                Ok(Some(argv)) => commands.push(argv.iter().map(|a| a.to_vec()).collect()),
                Ok(None) => break,
                Err(e) => return (commands, Some(e)),
            }
        }
    }
    (commands, None)
}

fn decode_at_once(input: &[u8]) -> (Vec<Argv>, Option<Error>) {
    decode_in(input, &[input.len()], Limits::default())
}

fn error_of(input: &[u8]) -> String {
    decode_at_once(input).1.expect("an error").to_string()
}

fn argv(args: &[&str]) -> Argv {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

/// A pipeline mixing every request shape the decoder accepts.
const PIPELINE: &[u8] = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n\
*0\r\n*-1\r\nPING\r\n\r\n  \r\nset \"a b\" 'c d' \"\\x41\\n\"\n\
*1\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";

fn pipeline_commands() -> Vec<Argv> {
    vec![
        argv(&["SET", "key", "value"]),
        argv(&["PING"]),
        argv(&["set", "a b", "c d", "A\n"]),
        argv(&[""]),
        argv(&["GET", "0123456789"]),
    ]
}

#[test]
fn pipeline_decodes_at_once() {
    assert_eq!(decode_at_once(PIPELINE), (pipeline_commands(), None));
}

#[test]
fn pipeline_decodes_split_at_every_point() {
    for split in 0..=PIPELINE.len() {
        let mut decoder = CommandDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&PIPELINE[..split]);
        let mut commands = Vec::new();
        while let Some(argv) = decoder.decode(&mut buf).unwrap() {
            commands.push(argv.iter().map(|a| a.to_vec()).collect::<Argv>());
        }
        buf.extend_from_slice(&PIPELINE[split..]);
        while let Some(argv) = decoder.decode(&mut buf).unwrap() {
            commands.push(argv.iter().map(|a| a.to_vec()).collect::<Argv>());
        }
        assert_eq!(commands, pipeline_commands(), "split at {split}");
        assert!(buf.is_empty());
    }
}

#[test]
fn pipeline_decodes_one_byte_at_a_time() {
    assert_eq!(
        decode_in(PIPELINE, &[1], Limits::default()),
        (pipeline_commands(), None)
    );
}

#[test]
fn every_redis_error_text() {
    let cases: &[(&[u8], &str)] = &[
        (b"*abc\r\n", "Protocol error: invalid multibulk length"),
        (
            b"*2147483648\r\n",
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*99999999999\r\n",
            "Protocol error: invalid multibulk length",
        ),
        (b"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"),
        (
            b"*1\r\n$600000000\r\nabc",
            "Protocol error: invalid bulk length",
        ),
        (b"*1\r\n$1x\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n+OK\r\n", "Protocol error: expected '$', got '+'"),
        (
            b"*2\r\n$1\r\na\r\n*1\r\n",
            "Protocol error: expected '$', got '*'",
        ),
        (
            b"GET \"key\r\n",
            "Protocol error: unbalanced quotes in request",
        ),
        (
            b"GET 'a'b\r\n",
            "Protocol error: unbalanced quotes in request",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            error_of(input),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let no_newline = vec![b'x'; Limits::DEFAULT_MAX_INLINE_LEN + 1];
    assert_eq!(
        error_of(&no_newline),
        "Protocol error: too big inline request"
    );
    let mut count = b"*".to_vec();
    count.resize(Limits::DEFAULT_MAX_INLINE_LEN + 1, b'9');
    assert_eq!(
        error_of(&count),
        "Protocol error: too big mbulk count string"
    );
    let mut len = b"*1\r\n$".to_vec();
    // The limit counts from the start of the argument's line, as Redis's qb_pos does.
    len.resize(4 + Limits::DEFAULT_MAX_INLINE_LEN + 1, b'9');
    assert_eq!(error_of(&len), "Protocol error: too big bulk count string");
}

#[test]
fn limits_at_their_edges() {
    // Exactly the inline limit without a newline still waits for more.
    let at_limit = vec![b'x'; Limits::DEFAULT_MAX_INLINE_LEN];
    assert_eq!(decode_at_once(&at_limit), (vec![], None));
    let limits = Limits {
        max_bulk_len: 5,
        max_multibulk_len: 2,
        ..Limits::default()
    };
    let ok = b"*2\r\n$5\r\nhello\r\n$0\r\n\r\n";
    assert_eq!(
        decode_in(ok, &[ok.len()], limits),
        (vec![argv(&["hello", ""])], None)
    );
    let too_many = b"*3\r\n";
    assert_eq!(
        decode_in(too_many, &[4], limits).1,
        Some(Error::InvalidMultibulkLength)
    );
    let too_long = b"*1\r\n$6\r\n";
    assert_eq!(
        decode_in(too_long, &[8], limits).1,
        Some(Error::InvalidBulkLength)
    );
}

#[test]
fn unauthenticated_connections_get_small_limits() {
    let mut decoder = CommandDecoder::new(Limits::default());
    decoder.set_auth_required(true);
    let mut ok = BytesMut::new();
    encode_command(&["AUTH", "secret"], &mut ok);
    assert_eq!(
        decoder.decode(&mut ok).unwrap().unwrap(),
        ["AUTH", "secret"]
    );
    let mut many = BytesMut::from(&b"*11\r\n"[..]);
    assert_eq!(
        decoder.decode(&mut many).unwrap_err().to_string(),
        "Protocol error: unauthenticated multibulk length"
    );

    let mut decoder = CommandDecoder::new(Limits::default());
    decoder.set_auth_required(true);
    let mut big = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
    assert_eq!(
        decoder.decode(&mut big).unwrap_err().to_string(),
        "Protocol error: unauthenticated bulk length"
    );
    let mut decoder = CommandDecoder::new(Limits::default());
    decoder.set_auth_required(true);
    decoder.set_auth_required(false);
    let mut big = BytesMut::from(&b"*11\r\n$16385\r\n"[..]);
    assert_eq!(decoder.decode(&mut big), Ok(None));
}

#[test]
fn hostile_inputs_error_without_panicking() {
    let hostile: &[&[u8]] = &[
        b"*99999999999\r\n",
        b"*9223372036854775808\r\n",
        b"*-9223372036854775809\r\n",
        b"*1\r\n$99999999999999999999\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$600000000\r\nab",
        b"*\r\n",
        b"*1\r\n$\r\n",
        b"\"\\x\r\n",
        b"'\r\n",
    ];
    for input in hostile {
        for chunk in [1, 2, 3, input.len()] {
            let (_, err) = decode_in(input, &[chunk], Limits::default());
            assert!(
                err.is_some(),
                "{:?} in {chunk}",
                String::from_utf8_lossy(input)
            );
        }
    }
    // Garbage never panics, whatever it decodes to.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let garbage: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let alphabet = b"*$\r\n-0123456789 \"'\\xab";
            alphabet[(state % alphabet.len() as u64) as usize]
        })
        .collect();
    for chunk in [1, 7, 64, 4096] {
        decode_in(&garbage, &[chunk], Limits::default());
    }
}

#[test]
fn announced_sizes_are_not_allocated() {
    // A huge announced bulk that never arrives: the decoder waits, holding nothing
    // but the bytes that did arrive, and hints the missing amount.
    let mut decoder = CommandDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*2000000000\r\n$500000000\r\nabc"[..]);
    let capacity = buf.capacity();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.pending_bulk(), Some(500_000_002 - 3));
    assert_eq!(
        buf.capacity(),
        capacity - b"*2000000000\r\n$500000000\r\n".len()
    );
}

#[test]
fn million_argument_command_in_small_chunks() {
    let args: Vec<Bytes> = (0..1_000_000u32)
        .map(|i| Bytes::from(format!("{}", i % 1000)))
        .collect();
    let mut stream = BytesMut::new();
    encode_command(&args, &mut stream);
    let mut decoder = CommandDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut decoded = None;
    for piece in stream.chunks(1024) {
        buf.extend_from_slice(piece);
        if let Some(argv) = decoder.decode(&mut buf).unwrap() {
            decoded = Some(argv);
        }
    }
    assert_eq!(decoded.unwrap(), args);
}

#[test]
fn big_bulk_in_small_chunks() {
    // 64 MiB with optimizations; 8 MiB keeps debug test runs fast.
    let size = if cfg!(debug_assertions) {
        8 << 20
    } else {
        64 << 20
    };
    let value: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let mut stream = BytesMut::new();
    encode_command(&[&b"SET"[..], b"k", &value], &mut stream);
    let mut decoder = CommandDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut decoded = None;
    for piece in stream.chunks(4096) {
        buf.extend_from_slice(piece);
        if let Some(argv) = decoder.decode(&mut buf).unwrap() {
            decoded = Some(argv);
        } else if buf.len() > 4096 {
            let missing = decoder.pending_bulk().unwrap();
            assert_eq!(missing, size + 2 - buf.len());
        }
    }
    let decoded = decoded.unwrap();
    assert_eq!(decoded.len(), 3);
    assert!(decoded[2] == value);
}

fn arb_argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..12)
}

proptest! {
    #[test]
    fn encoded_commands_decode_in_any_chunking(
        commands in prop::collection::vec(arb_argv(), 1..6),
        chunks in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut stream = BytesMut::new();
        for argv in &commands {
            encode_command(argv, &mut stream);
        }
        let (decoded, err) = decode_in(&stream, &chunks, Limits::default());
        prop_assert_eq!(err, None);
        prop_assert_eq!(decoded, commands);
    }

    #[test]
    fn inline_words_decode_like_multibulk(
        words in prop::collection::vec("[a-zA-Z0-9:_.-]{1,12}", 1..8),
        chunks in prop::collection::vec(1usize..16, 1..4),
    ) {
        let line = format!("{}\r\n", words.join(" "));
        let (decoded, err) = decode_in(line.as_bytes(), &chunks, Limits::default());
        prop_assert_eq!(err, None);
        let want: Vec<Argv> = vec![words.iter().map(|w| w.as_bytes().to_vec()).collect()];
        prop_assert_eq!(decoded, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        ferrodis_resp::fuzzing::command(&data);
    }
}
