//! Writing frames as RESP3, or downgraded to RESP2 the way Redis does for RESP2 clients.

use bytes::{BufMut, BytesMut};

use crate::number::{digits, format_double, format_u64, i64_len, DOUBLE_BUF_LEN, INT_BUF_LEN};
use crate::{wire, Frame, Protocol};

/// `$-1\r\n`: the RESP2 null bulk string.
const RESP2_NULL: &[u8] = b"$-1\r\n";
/// `*-1\r\n`: the RESP2 null array.
const RESP2_NULL_ARRAY: &[u8] = b"*-1\r\n";
/// `_\r\n`: the RESP3 null, used for both nulls.
const RESP3_NULL: &[u8] = b"_\r\n";
/// Upper bound of an encoded double in either protocol (`$24\r\n<24 bytes>\r\n`).
const DOUBLE_MAX_ENCODED_LEN: usize = DOUBLE_BUF_LEN + 8;

/// Appends `frame` to `out` as `proto` wants it.
///
/// For [`Protocol::Resp3`] every type is written as itself (both nulls as `_`).
/// For [`Protocol::Resp2`], RESP3-only types are downgraded as Redis 7.0 does
/// (`networking.c`): map → flat array of 2n, set and push → array, double → bulk
/// string formatted like `%.17g` (`inf`, `-inf`), boolean → `:1`/`:0`, big number →
/// bulk string, verbatim → bulk string of its data, null → `$-1`, null array → `*-1`,
/// attribute → only the annotated frame.
///
/// `\r` and `\n` inside simple strings, errors and big numbers would break the
/// stream, so they are written as spaces (as Redis's `addReplyErrorFormat` does).
/// Room for the whole frame is reserved once, up front.
pub fn encode(frame: &Frame, proto: Protocol, out: &mut BytesMut) {
    out.reserve(encoded_len(frame, proto));
    write_frame(frame, proto, out);
}

/// Appends a command as clients send it: an array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut BytesMut) {
    let len = header_len(args.len())
        + args
            .iter()
            .map(|a| bulk_len(a.as_ref().len()))
            .sum::<usize>();
    out.reserve(len);
    put_header(out, wire::ARRAY, args.len());
    for arg in args {
        put_bulk(out, arg.as_ref());
    }
}

/// The exact encoded size of `frame`, except for doubles (an upper bound).
fn encoded_len(frame: &Frame, proto: Protocol) -> usize {
    let resp3 = proto == Protocol::Resp3;
    match frame {
        Frame::Simple(s) | Frame::Error(s) => line_len(s.len()),
        Frame::Integer(n) => line_len(i64_len(*n)),
        Frame::Bulk(b) => bulk_len(b.len()),
        Frame::Null if resp3 => RESP3_NULL.len(),
        Frame::Null => RESP2_NULL.len(),
        Frame::NullArray if resp3 => RESP3_NULL.len(),
        Frame::NullArray => RESP2_NULL_ARRAY.len(),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            header_len(items.len()) + items.iter().map(|f| encoded_len(f, proto)).sum::<usize>()
        }
        Frame::Map(pairs) => {
            let count = if resp3 { pairs.len() } else { pairs.len() * 2 };
            header_len(count) + pairs_len(pairs, proto)
        }
        Frame::Double(_) => DOUBLE_MAX_ENCODED_LEN,
        Frame::Boolean(_) => line_len(1),
        Frame::BigNumber(n) if resp3 => line_len(n.len()),
        Frame::BigNumber(n) => bulk_len(n.len()),
        Frame::Verbatim { data, .. } if resp3 => bulk_len(data.len() + wire::VERBATIM_PREFIX_LEN),
        Frame::Verbatim { data, .. } => bulk_len(data.len()),
        Frame::Attribute { attrs, frame } if resp3 => {
            header_len(attrs.len()) + pairs_len(attrs, proto) + encoded_len(frame, proto)
        }
        Frame::Attribute { frame, .. } => encoded_len(frame, proto),
    }
}

fn pairs_len(pairs: &[(Frame, Frame)], proto: Protocol) -> usize {
    pairs
        .iter()
        .map(|(k, v)| encoded_len(k, proto) + encoded_len(v, proto))
        .sum()
}

/// `<type><payload>\r\n`
fn line_len(payload: usize) -> usize {
    1 + payload + wire::CRLF.len()
}

/// `*<count>\r\n`
fn header_len(count: usize) -> usize {
    line_len(digits(count as u64))
}

/// `$<len>\r\n<data>\r\n`
fn bulk_len(len: usize) -> usize {
    header_len(len) + len + wire::CRLF.len()
}

fn write_frame(frame: &Frame, proto: Protocol, out: &mut BytesMut) {
    let resp3 = proto == Protocol::Resp3;
    match frame {
        Frame::Simple(s) => put_line(out, wire::SIMPLE, s),
        Frame::Error(e) => put_line(out, wire::ERROR, e),
        Frame::Integer(n) => put_integer(out, *n),
        Frame::Bulk(b) => put_bulk(out, b),
        Frame::Null | Frame::NullArray if resp3 => out.put_slice(RESP3_NULL),
        Frame::Null => out.put_slice(RESP2_NULL),
        Frame::NullArray => out.put_slice(RESP2_NULL_ARRAY),
        Frame::Array(items) => put_list(out, wire::ARRAY, items, proto),
        Frame::Set(items) if resp3 => put_list(out, wire::SET, items, proto),
        Frame::Push(items) if resp3 => put_list(out, wire::PUSH, items, proto),
        Frame::Set(items) | Frame::Push(items) => put_list(out, wire::ARRAY, items, proto),
        Frame::Map(pairs) if resp3 => put_pairs(out, wire::MAP, pairs.len(), pairs, proto),
        Frame::Map(pairs) => put_pairs(out, wire::ARRAY, pairs.len() * 2, pairs, proto),
        Frame::Double(d) => {
            let mut buf = [0u8; DOUBLE_BUF_LEN];
            let len = format_double(*d, &mut buf);
            let text = buf.get(..len).unwrap_or_default();
            if resp3 {
                put_line(out, wire::DOUBLE, text);
            } else {
                put_bulk(out, text);
            }
        }
        Frame::Boolean(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Boolean(b) => out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Frame::BigNumber(n) if resp3 => put_line(out, wire::BIG_NUMBER, n),
        Frame::BigNumber(n) => put_bulk(out, n),
        Frame::Verbatim { format, data } if resp3 => {
            put_header(out, wire::VERBATIM, data.len() + wire::VERBATIM_PREFIX_LEN);
            out.put_slice(format);
            out.put_u8(wire::VERBATIM_SEPARATOR);
            out.put_slice(data);
            out.put_slice(wire::CRLF);
        }
        Frame::Verbatim { data, .. } => put_bulk(out, data),
        Frame::Attribute { attrs, frame } => {
            if resp3 {
                put_pairs(out, wire::ATTRIBUTE, attrs.len(), attrs, proto);
            }
            write_frame(frame, proto, out);
        }
    }
}

fn put_list(out: &mut BytesMut, kind: u8, items: &[Frame], proto: Protocol) {
    put_header(out, kind, items.len());
    for item in items {
        write_frame(item, proto, out);
    }
}

fn put_pairs(
    out: &mut BytesMut,
    kind: u8,
    count: usize,
    pairs: &[(Frame, Frame)],
    proto: Protocol,
) {
    put_header(out, kind, count);
    for (k, v) in pairs {
        write_frame(k, proto, out);
        write_frame(v, proto, out);
    }
}

/// `<kind><count>\r\n` in one copy.
fn put_header(out: &mut BytesMut, kind: u8, count: usize) {
    let mut buf = [0u8; INT_BUF_LEN + 3];
    let mut digits = [0u8; INT_BUF_LEN];
    let start = format_u64(count as u64, &mut digits);
    let text = digits.get(start..).unwrap_or_default();
    buf[0] = kind;
    let end = 1 + text.len();
    buf[1..end].copy_from_slice(text);
    buf[end..end + 2].copy_from_slice(wire::CRLF);
    out.put_slice(&buf[..end + 2]);
}

fn put_integer(out: &mut BytesMut, n: i64) {
    let mut digits = [0u8; INT_BUF_LEN];
    let start = format_u64(n.unsigned_abs(), &mut digits);
    out.put_u8(wire::INTEGER);
    if n < 0 {
        out.put_u8(b'-');
    }
    out.put_slice(digits.get(start..).unwrap_or_default());
    out.put_slice(wire::CRLF);
}

fn put_bulk(out: &mut BytesMut, data: &[u8]) {
    put_header(out, wire::BULK, data.len());
    out.put_slice(data);
    out.put_slice(wire::CRLF);
}

/// `<kind><text>\r\n`, with any `\r` or `\n` in `text` written as a space.
fn put_line(out: &mut BytesMut, kind: u8, text: &[u8]) {
    out.put_u8(kind);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(text.iter().map(|&b| match b {
            b'\r' | b'\n' => b' ',
            other => other,
        }));
    } else {
        out.put_slice(text);
    }
    out.put_slice(wire::CRLF);
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn enc(frame: &Frame, proto: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode(frame, proto, &mut out);
        if !matches!(frame, Frame::Double(_)) {
            assert_eq!(out.len(), encoded_len(frame, proto), "{frame:?}");
        }
        out.to_vec()
    }

    fn both(frame: Frame, resp2: &[u8], resp3: &[u8]) {
        assert_eq!(enc(&frame, Protocol::Resp2), resp2, "{frame:?} as RESP2");
        assert_eq!(enc(&frame, Protocol::Resp3), resp3, "{frame:?} as RESP3");
    }

    #[test]
    fn resp2_downgrades_like_redis() {
        both(Frame::ok(), b"+OK\r\n", b"+OK\r\n");
        both(Frame::static_error("ERR x"), b"-ERR x\r\n", b"-ERR x\r\n");
        both(Frame::Integer(-12), b":-12\r\n", b":-12\r\n");
        both(
            Frame::Integer(i64::MIN),
            b":-9223372036854775808\r\n",
            b":-9223372036854775808\r\n",
        );
        both(Frame::bulk("hey"), b"$3\r\nhey\r\n", b"$3\r\nhey\r\n");
        both(Frame::Null, b"$-1\r\n", b"_\r\n");
        both(Frame::NullArray, b"*-1\r\n", b"_\r\n");
        both(
            Frame::Map(vec![(Frame::simple("a"), Frame::Integer(1))]),
            b"*2\r\n+a\r\n:1\r\n",
            b"%1\r\n+a\r\n:1\r\n",
        );
        both(Frame::Set(vec![]), b"*0\r\n", b"~0\r\n");
        both(
            Frame::Push(vec![Frame::Null]),
            b"*1\r\n$-1\r\n",
            b">1\r\n_\r\n",
        );
        both(
            Frame::Double(0.1),
            b"$19\r\n0.10000000000000001\r\n",
            b",0.10000000000000001\r\n",
        );
        both(Frame::Double(f64::INFINITY), b"$3\r\ninf\r\n", b",inf\r\n");
        both(
            Frame::Double(f64::NEG_INFINITY),
            b"$4\r\n-inf\r\n",
            b",-inf\r\n",
        );
        both(Frame::Double(1e20), b"$5\r\n1e+20\r\n", b",1e+20\r\n");
        both(Frame::Boolean(true), b":1\r\n", b"#t\r\n");
        both(Frame::Boolean(false), b":0\r\n", b"#f\r\n");
        both(
            Frame::BigNumber(Bytes::from_static(b"-12345678901234567890")),
            b"$21\r\n-12345678901234567890\r\n",
            b"(-12345678901234567890\r\n",
        );
        both(
            Frame::Verbatim {
                format: *b"txt",
                data: Bytes::from_static(b"hi"),
            },
            b"$2\r\nhi\r\n",
            b"=6\r\ntxt:hi\r\n",
        );
        both(
            Frame::Attribute {
                attrs: vec![(Frame::simple("k"), Frame::Boolean(true))],
                frame: Box::new(Frame::Integer(7)),
            },
            b":7\r\n",
            b"|1\r\n+k\r\n#t\r\n:7\r\n",
        );
    }

    #[test]
    fn newlines_in_lines_become_spaces() {
        both(
            Frame::static_error("ERR a\r\nb"),
            b"-ERR a  b\r\n",
            b"-ERR a  b\r\n",
        );
    }

    #[test]
    fn commands_are_arrays_of_bulks() {
        let mut out = BytesMut::new();
        encode_command(&["SET", "k", ""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        let mut out = BytesMut::new();
        encode_command::<&[u8]>(&[], &mut out);
        assert_eq!(&out[..], b"*0\r\n");
    }
}
