//! The generic resumable decoder for any RESP2/RESP3 frame.

use std::mem;

use bytes::{Buf, BytesMut};

use crate::number::parse_ll;
use crate::{wire, Error, Frame, Limits, Result};

/// The capacity reserved up front for an aggregate is capped: a header announcing
/// a billion elements gets them only as they arrive.
const MAX_PREALLOCATED_ITEMS: usize = 1024;

/// Resumable decoder of any RESP2/RESP3 frame, for clients, replication and tests.
///
/// Aggregates under construction live on an explicit stack, so a deep or long frame
/// arriving in small reads is decoded in linear time and without recursion. Nesting
/// deeper than [`Limits::max_depth`] and counts or lengths over the limits are
/// errors, raised before anything is allocated for them.
///
/// Between calls the caller may only append to the buffer. After an `Err` the
/// decoder's state is unspecified: drop it along with the connection.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    /// Aggregates still waiting for elements, outermost first.
    stack: Vec<Partial>,
    /// The type byte and length of a string whose header was consumed but whose
    /// data has not fully arrived.
    pending_string: Option<(u8, usize)>,
    /// How many bytes at the front of the buffer were already searched for the end
    /// of the current line.
    scanned: usize,
}

/// An aggregate waiting for more elements.
#[derive(Debug)]
enum Partial {
    /// An array, set or push (told apart by `kind`, the type byte).
    List {
        kind: u8,
        items: Vec<Frame>,
        left: usize,
    },
    /// A map or attribute map (`kind`), collecting `left` more pairs.
    Pairs {
        kind: u8,
        items: Vec<(Frame, Frame)>,
        key: Option<Frame>,
        left: usize,
    },
    /// A complete attribute map waiting for the frame it annotates.
    Annotating { attrs: Vec<(Frame, Frame)> },
}

/// What one step of decoding produced.
enum Token {
    Frame(Frame),
    Open(Partial),
}

impl Partial {
    fn new(kind: u8, count: usize) -> Partial {
        let capacity = count.min(MAX_PREALLOCATED_ITEMS);
        match kind {
            wire::MAP | wire::ATTRIBUTE => Partial::Pairs {
                kind,
                items: Vec::with_capacity(capacity),
                key: None,
                left: count,
            },
            _ => Partial::List {
                kind,
                items: Vec::with_capacity(capacity),
                left: count,
            },
        }
    }

    /// If this aggregate needs nothing more, what it becomes: a finished frame, or
    /// (for an attribute map) the wait for the annotated frame.
    fn finish(&mut self) -> Option<Token> {
        match self {
            Partial::List {
                kind,
                items,
                left: 0,
            } => {
                let items = mem::take(items);
                Some(Token::Frame(match *kind {
                    wire::SET => Frame::Set(items),
                    wire::PUSH => Frame::Push(items),
                    _ => Frame::Array(items),
                }))
            }
            Partial::Pairs {
                kind,
                items,
                left: 0,
                ..
            } => {
                let items = mem::take(items);
                Some(if *kind == wire::ATTRIBUTE {
                    Token::Open(Partial::Annotating { attrs: items })
                } else {
                    Token::Frame(Frame::Map(items))
                })
            }
            _ => None,
        }
    }

    /// Adds one complete element.
    fn push(&mut self, frame: Frame) -> Option<Token> {
        match self {
            Partial::List { items, left, .. } => {
                items.push(frame);
                *left -= 1;
            }
            Partial::Pairs {
                items, key, left, ..
            } => match key.take() {
                None => *key = Some(frame),
                Some(k) => {
                    items.push((k, frame));
                    *left -= 1;
                }
            },
            Partial::Annotating { attrs } => {
                return Some(Token::Frame(Frame::Attribute {
                    attrs: mem::take(attrs),
                    frame: Box::new(frame),
                }));
            }
        }
        self.finish()
    }
}

impl Decoder {
    /// A decoder enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            ..Decoder::default()
        }
    }

    /// Decodes the next frame from the front of `buf`, consuming its bytes.
    ///
    /// Returns `Ok(None)` if `buf` does not hold a complete frame yet; the part
    /// already seen is kept, and the next call continues from there.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>> {
        loop {
            let mut token = match self.next_token(buf)? {
                Some(token) => token,
                None => return Ok(None),
            };
            // Fold the finished frame into the aggregates waiting for it.
            loop {
                match token {
                    Token::Open(mut partial) => {
                        // Checked before the empty-aggregate shortcut, so `*0` nested
                        // too deep is as much an error as `*1`.
                        if self.stack.len() >= self.limits.max_depth {
                            return Err(Error::TooDeep {
                                max: self.limits.max_depth,
                            });
                        }
                        match partial.finish() {
                            Some(next) => token = next,
                            None => {
                                self.stack.push(partial);
                                break;
                            }
                        }
                    }
                    Token::Frame(frame) => match self.stack.pop() {
                        None => return Ok(Some(frame)),
                        Some(mut top) => match top.push(frame) {
                            Some(next) => token = next,
                            None => {
                                self.stack.push(top);
                                break;
                            }
                        },
                    },
                }
            }
        }
    }

    /// Reads one scalar frame or aggregate header from the front of `buf`.
    fn next_token(&mut self, buf: &mut BytesMut) -> Result<Option<Token>> {
        if let Some((kind, len)) = self.pending_string {
            return self.string_data(buf, kind, len);
        }
        let Some(&kind) = buf.first() else {
            return Ok(None);
        };
        let line_max = match kind {
            wire::SIMPLE | wire::ERROR | wire::BIG_NUMBER => self.limits.max_bulk_len,
            wire::INTEGER
            | wire::DOUBLE
            | wire::BOOLEAN
            | wire::NULL
            | wire::BULK
            | wire::BLOB_ERROR
            | wire::VERBATIM
            | wire::ARRAY
            | wire::MAP
            | wire::SET
            | wire::PUSH
            | wire::ATTRIBUTE => self.limits.max_inline_len as u64,
            byte => return Err(Error::UnknownType { byte }),
        };
        let Some(end) = self.find_line(buf, kind, line_max)? else {
            return Ok(None);
        };
        self.scanned = 0;
        // Consume "<type><line>\r\n"; `line` is the part between.
        buf.advance(1);
        let line = buf.split_to(end - 1);
        buf.advance(wire::CRLF.len());
        let ch = char::from(kind);
        let invalid = |what| Error::InvalidValue { kind: ch, what };
        let frame = match kind {
            wire::SIMPLE => Frame::Simple(line.freeze()),
            wire::ERROR => Frame::Error(line.freeze()),
            wire::INTEGER => Frame::Integer(parse_ll(&line).ok_or(invalid("integer"))?),
            wire::DOUBLE => Frame::Double(parse_double(&line).ok_or(invalid("double"))?),
            wire::BOOLEAN => match &line[..] {
                b"t" => Frame::Boolean(true),
                b"f" => Frame::Boolean(false),
                _ => return Err(invalid("boolean")),
            },
            wire::NULL if line.is_empty() => Frame::Null,
            wire::NULL => return Err(invalid("null")),
            wire::BIG_NUMBER if is_big_number(&line) => Frame::BigNumber(line.freeze()),
            wire::BIG_NUMBER => return Err(invalid("big number")),
            _ => return self.header(buf, kind, &line),
        };
        Ok(Some(Token::Frame(frame)))
    }

    /// Handles a length line: strings go on to their data, aggregates open.
    fn header(&mut self, buf: &mut BytesMut, kind: u8, line: &[u8]) -> Result<Option<Token>> {
        let ch = char::from(kind);
        if line == wire::STREAMED {
            return Err(Error::Streamed { kind: ch });
        }
        let n = parse_ll(line).ok_or(Error::InvalidLength { kind: ch })?;
        if n == -1 && kind == wire::BULK {
            return Ok(Some(Token::Frame(Frame::Null)));
        }
        if n == -1 && kind == wire::ARRAY {
            return Ok(Some(Token::Frame(Frame::NullArray)));
        }
        let len = u64::try_from(n).map_err(|_| Error::InvalidLength { kind: ch })?;
        let string = matches!(kind, wire::BULK | wire::BLOB_ERROR | wire::VERBATIM);
        let max = if string {
            self.limits.max_bulk_len
        } else {
            self.limits.max_multibulk_len
        };
        if len > max {
            return Err(Error::LengthOverLimit { kind: ch, len, max });
        }
        let len =
            usize::try_from(len).map_err(|_| Error::LengthOverLimit { kind: ch, len, max })?;
        if string {
            self.pending_string = Some((kind, len));
            return self.string_data(buf, kind, len);
        }
        Ok(Some(Token::Open(Partial::new(kind, len))))
    }

    /// Reads the `len` bytes and `\r\n` of a string whose header was consumed.
    fn string_data(&mut self, buf: &mut BytesMut, kind: u8, len: usize) -> Result<Option<Token>> {
        let ch = char::from(kind);
        let needed = len.saturating_add(wire::CRLF.len());
        if buf.len() < needed {
            return Ok(None);
        }
        if buf.get(len..needed) != Some(&wire::CRLF[..]) {
            return Err(Error::MissingCrlf { kind: ch });
        }
        self.pending_string = None;
        let data = buf.split_to(len).freeze();
        buf.advance(wire::CRLF.len());
        let frame = match kind {
            wire::BLOB_ERROR => Frame::Error(data),
            wire::VERBATIM => match data.get(..wire::VERBATIM_PREFIX_LEN) {
                Some(&[a, b, c, wire::VERBATIM_SEPARATOR]) => Frame::Verbatim {
                    format: [a, b, c],
                    data: data.slice(wire::VERBATIM_PREFIX_LEN..),
                },
                _ => {
                    return Err(Error::InvalidValue {
                        kind: ch,
                        what: "verbatim format",
                    })
                }
            },
            _ => Frame::Bulk(data),
        };
        Ok(Some(Token::Frame(frame)))
    }

    /// Finds the end of the line that starts after the type byte at `buf[0]`:
    /// the index of its `\r`, once the `\n` after it has arrived too.
    fn find_line(&mut self, buf: &[u8], kind: u8, max: u64) -> Result<Option<usize>> {
        let start = self.scanned.max(1);
        let found = buf
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\r'))
            .map(|offset| start + offset);
        let Some(cr) = found else {
            self.scanned = buf.len();
            if (buf.len() as u64).saturating_sub(1) > max {
                return Err(Error::LineTooLong {
                    kind: char::from(kind),
                    max,
                });
            }
            return Ok(None);
        };
        self.scanned = cr;
        match buf.get(cr + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(cr)),
            Some(_) => Err(Error::MissingCrlf {
                kind: char::from(kind),
            }),
        }
    }
}

/// Parses a RESP3 double: decimal or exponent notation, `inf`, `-inf`, `nan`.
fn parse_double(line: &[u8]) -> Option<f64> {
    // Rust's parser also accepts "infinity" and "+1"; neither is harmful.
    std::str::from_utf8(line).ok()?.parse().ok()
}

/// An optional `-` followed by at least one digit.
fn is_big_number(line: &[u8]) -> bool {
    let digits = line.strip_prefix(b"-").unwrap_or(line);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn one(input: &[u8]) -> Result<Option<Frame>> {
        Decoder::new(Limits::default()).decode(&mut BytesMut::from(input))
    }

    fn bulk(s: &'static [u8]) -> Frame {
        Frame::Bulk(Bytes::from_static(s))
    }

    #[test]
    fn scalars() {
        assert_eq!(one(b"+OK\r\n"), Ok(Some(Frame::ok())));
        assert_eq!(one(b"-ERR x\r\n"), Ok(Some(Frame::static_error("ERR x"))));
        assert_eq!(one(b":-42\r\n"), Ok(Some(Frame::Integer(-42))));
        assert_eq!(one(b"$3\r\nfoo\r\n"), Ok(Some(bulk(b"foo"))));
        assert_eq!(one(b"$0\r\n\r\n"), Ok(Some(bulk(b""))));
        assert_eq!(one(b"$-1\r\n"), Ok(Some(Frame::Null)));
        assert_eq!(one(b"*-1\r\n"), Ok(Some(Frame::NullArray)));
        assert_eq!(one(b"_\r\n"), Ok(Some(Frame::Null)));
        assert_eq!(one(b"#t\r\n"), Ok(Some(Frame::Boolean(true))));
        assert_eq!(one(b"#f\r\n"), Ok(Some(Frame::Boolean(false))));
        assert_eq!(one(b",1.5\r\n"), Ok(Some(Frame::Double(1.5))));
        assert_eq!(one(b",inf\r\n"), Ok(Some(Frame::Double(f64::INFINITY))));
        assert_eq!(
            one(b",-inf\r\n"),
            Ok(Some(Frame::Double(f64::NEG_INFINITY)))
        );
        assert!(matches!(one(b",nan\r\n"), Ok(Some(Frame::Double(d))) if d.is_nan()));
        assert_eq!(
            one(b"(-123456789012345678901234567890\r\n"),
            Ok(Some(Frame::BigNumber(Bytes::from_static(
                b"-123456789012345678901234567890"
            ))))
        );
        assert_eq!(
            one(b"=8\r\ntxt:abcd\r\n"),
            Ok(Some(Frame::Verbatim {
                format: *b"txt",
                data: Bytes::from_static(b"abcd")
            }))
        );
        assert_eq!(
            one(b"!5\r\nERR x\r\n"),
            Ok(Some(Frame::static_error("ERR x")))
        );
    }

    #[test]
    fn aggregates_and_attributes() {
        let input = b"*3\r\n%1\r\n+k\r\n~1\r\n:1\r\n>0\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n";
        let want = Frame::Array(vec![
            Frame::Map(vec![(
                Frame::simple("k"),
                Frame::Set(vec![Frame::Integer(1)]),
            )]),
            Frame::Push(vec![]),
            Frame::Attribute {
                attrs: vec![(Frame::simple("ttl"), Frame::Integer(3))],
                frame: Box::new(bulk(b"v")),
            },
        ]);
        assert_eq!(one(input), Ok(Some(want)));
        assert_eq!(
            one(b"|0\r\n*0\r\n"),
            Ok(Some(Frame::Attribute {
                attrs: vec![],
                frame: Box::new(Frame::Array(vec![]))
            }))
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let err = |input: &[u8]| one(input).unwrap_err().to_string();
        assert_eq!(err(b"@x\r\n"), "unknown resp type byte 0x40");
        assert_eq!(err(b"$-2\r\n"), "invalid length in '$' header");
        assert_eq!(err(b"%-1\r\n"), "invalid length in '%' header");
        assert_eq!(err(b"*x\r\n"), "invalid length in '*' header");
        assert_eq!(err(b"$?\r\n"), "streamed '$?' frames are not supported");
        assert_eq!(err(b"~?\r\n"), "streamed '~?' frames are not supported");
        assert_eq!(err(b"$1\r\nab\r\n"), "missing crlf in '$' frame");
        assert_eq!(err(b"+a\rb\r\n"), "missing crlf in '+' frame");
        assert_eq!(err(b":1.5\r\n"), "invalid integer in ':' frame");
        assert_eq!(err(b",x\r\n"), "invalid double in ',' frame");
        assert_eq!(err(b"#x\r\n"), "invalid boolean in '#' frame");
        assert_eq!(err(b"_x\r\n"), "invalid null in '_' frame");
        assert_eq!(err(b"(12a\r\n"), "invalid big number in '(' frame");
        assert_eq!(err(b"(\r\n"), "invalid big number in '(' frame");
        assert_eq!(
            err(b"=3\r\ntxt\r\n"),
            "invalid verbatim format in '=' frame"
        );
        assert_eq!(
            err(b"=4\r\ntxt-\r\n"),
            "invalid verbatim format in '=' frame"
        );
        assert_eq!(
            err(b"$536870913\r\n"),
            "'$' length 536870913 exceeds the limit of 536870912"
        );
        assert_eq!(
            err(b"*2147483648\r\n"),
            "'*' length 2147483648 exceeds the limit of 2147483647"
        );
        let mut long = b":".to_vec();
        long.extend([b'1'; 65537]);
        assert_eq!(err(&long), "':' line longer than 65536 bytes");
    }

    #[test]
    fn depth_limit() {
        let limits = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        let ok = Decoder::new(limits).decode(&mut BytesMut::from(&b"*1\r\n*1\r\n:1\r\n"[..]));
        assert!(matches!(ok, Ok(Some(_))));
        let deep = Decoder::new(limits).decode(&mut BytesMut::from(&b"*1\r\n*1\r\n*1\r\n"[..]));
        assert_eq!(deep, Err(Error::TooDeep { max: 2 }));
    }

    #[test]
    fn announced_count_is_not_preallocated() {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"%2000000000\r\n"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        match decoder.stack.last() {
            Some(Partial::Pairs { items, left, .. }) => {
                assert_eq!(items.capacity(), MAX_PREALLOCATED_ITEMS);
                assert_eq!(*left, 2_000_000_000);
            }
            other => panic!("unexpected stack top {other:?}"),
        }
    }

    #[test]
    fn slow_line_is_scanned_once() {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"+"[..]);
        for _ in 0..1000 {
            buf.extend_from_slice(b"a");
            assert_eq!(decoder.decode(&mut buf), Ok(None));
            assert_eq!(decoder.scanned, buf.len());
        }
        buf.extend_from_slice(b"\r\n");
        assert!(matches!(decoder.decode(&mut buf), Ok(Some(Frame::Simple(s))) if s.len() == 1000));
    }

    #[test]
    fn resumes_between_calls() {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let input = b"*2\r\n$5\r\nhello\r\n+world\r\n";
        for &b in &input[..input.len() - 1] {
            buf.extend_from_slice(&[b]);
            assert_eq!(decoder.decode(&mut buf), Ok(None));
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(
            decoder.decode(&mut buf),
            Ok(Some(Frame::Array(vec![
                bulk(b"hello"),
                Frame::simple("world")
            ])))
        );
        assert!(buf.is_empty());
        assert!(decoder.stack.is_empty());
    }
}
