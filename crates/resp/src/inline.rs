//! Redis's text arguments: `sdssplitargs` (inline requests, and also redis.conf lines
//! and AOF manifests, which Redis splits the same way) and `sdscatrepr`, its inverse.
//!
//! Rules (Redis 7.0 `sds.c`), restated:
//! - the line is a C string: it ends at the first NUL byte;
//! - arguments are separated by runs of C `isspace` bytes (space, `\t`, `\n`, `\v`,
//!   `\f`, `\r`), but inside an unquoted argument only space, `\t`, `\n`, `\r` end it;
//! - `"` starts a double-quoted part with escapes `\xHH` (two hex digits), `\n`, `\r`,
//!   `\t`, `\b`, `\a`, and `\<any>` = `<any>`;
//! - `'` starts a single-quoted part where only `\'` is an escape;
//! - a quote may start in the middle of an argument (`a"b c"` is `ab c`), but a
//!   closing quote must be followed by a space or the end of the line, and a quote
//!   must be closed: otherwise the whole line is rejected.

use bytes::Bytes;

/// The bytes C's `isspace` accepts in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Splits `line` into arguments like Redis's `sdssplitargs`; `None` means unbalanced
/// quotes. The same rules split inline requests, redis.conf lines and AOF manifests.
///
/// ```
/// let args = ferrodis_resp::split_args(br#"SET "a b" 'it\'s' \x41"#).unwrap();
/// assert_eq!(args, ["SET", "a b", "it's", "\\x41"]);
/// assert_eq!(ferrodis_resp::split_args(b"SET \"a"), None);
/// ```
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => line.get(..nul).unwrap_or_default(),
        None => line,
    };
    // Reads like the C code's `*p`: the end of the line reads as NUL.
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while is_c_space(at(i)) {
            i += 1;
        }
        if at(i) == 0 {
            return Some(args);
        }
        let mut arg = Vec::new();
        let mut quote = Quote::None;
        loop {
            let c = at(i);
            match quote {
                Quote::Double => match c {
                    b'\\' if at(i + 1) == b'x' => {
                        if let (Some(hi), Some(lo)) = (hex_value(at(i + 2)), hex_value(at(i + 3))) {
                            arg.push(hi * 16 + lo);
                            i += 4;
                        } else {
                            arg.push(b'x');
                            i += 2;
                        }
                    }
                    b'\\' if at(i + 1) != 0 => {
                        arg.push(match at(i + 1) {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                        i += 2;
                    }
                    b'"' => {
                        if at(i + 1) != 0 && !is_c_space(at(i + 1)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    0 => return None,
                    other => {
                        arg.push(other);
                        i += 1;
                    }
                },
                Quote::Single => match c {
                    b'\\' if at(i + 1) == b'\'' => {
                        arg.push(b'\'');
                        i += 2;
                    }
                    b'\'' => {
                        if at(i + 1) != 0 && !is_c_space(at(i + 1)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    0 => return None,
                    other => {
                        arg.push(other);
                        i += 1;
                    }
                },
                Quote::None => match c {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        i += 1;
                        break;
                    }
                    0 => break,
                    b'"' => {
                        quote = Quote::Double;
                        i += 1;
                    }
                    b'\'' => {
                        quote = Quote::Single;
                        i += 1;
                    }
                    other => {
                        arg.push(other);
                        i += 1;
                    }
                },
            }
        }
        args.push(Bytes::from(arg));
    }
}

/// Quotes `s` like Redis's `sdscatrepr`: in double quotes, with `\\ \" \n \r \t \a \b`
/// escaped and other non-printable bytes as `\xHH`, so that [`split_args`] reads it
/// back as one argument equal to `s`.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            other => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(other >> 4)]));
                out.push(char::from(HEX[usize::from(other & 0xf)]));
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(line).map(|v| v.into_iter().map(|b| b.to_vec()).collect())
    }

    fn ok(line: &[u8], want: &[&[u8]]) {
        let want: Vec<Vec<u8>> = want.iter().map(|a| a.to_vec()).collect();
        assert_eq!(
            split(line),
            Some(want),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }

    #[test]
    fn plain_words() {
        ok(b"", &[]);
        ok(b"   \t ", &[]);
        ok(b"PING", &[b"PING"]);
        ok(b"  set  k   v ", &[b"set", b"k", b"v"]);
        ok(b"a\x0bb", &[b"a\x0bb"]);
        ok(b"\x0ba", &[b"a"]);
        ok(b"a\rb", &[b"a", b"b"]);
    }

    #[test]
    fn double_quotes_and_escapes() {
        ok(b"set \"a b\" c", &[b"set", b"a b", b"c"]);
        ok(b"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", &[b"\n\r\t\x08\x07\\\"q"]);
        ok(b"\"\\x41\\x7a\\xff\"", &[b"Az\xff"]);
        ok(b"\"\\x4g\"", &[b"x4g"]);
        ok(b"a\"b c\"", &[b"ab c"]);
        ok(b"\"\"", &[b""]);
        ok(b"\"a\"\tb", &[b"a", b"b"]);
    }

    #[test]
    fn single_quotes() {
        ok(b"'a b' 'it\\'s' '\\n'", &[b"a b", b"it's", b"\\n"]);
    }

    #[test]
    fn unbalanced_quotes_are_rejected() {
        for bad in [
            &b"\"abc"[..],
            b"'abc",
            b"\"a\"b",
            b"'a'b",
            b"\"abc\\",
            b"\"a\0\"",
        ] {
            assert_eq!(split(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn nul_ends_the_line() {
        ok(b"get k\0 trailing \"", &[b"get", b"k"]);
    }
}
