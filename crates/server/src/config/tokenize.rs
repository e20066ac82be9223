//! Line splitting and quoting exactly like Redis's `sdssplitargs` and `sdscatrepr`.
//!
//! Redis splits every redis.conf line (and inline commands) with `sdssplitargs`:
//! blanks separate arguments; `"..."` understands `\n \r \t \b \a \\ \" \xHH`
//! (any other `\c` is `c`); `'...'` understands only `\'`; a closing quote must be
//! followed by a blank or the end of the line, else the whole line is rejected
//! ("Unbalanced quotes in configuration line"). Quotes may also start in the
//! middle of an argument (`foo"bar"` is `foobar`).

/// The line had an unterminated quote, or a closing quote not followed by a blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// C's `isspace()` in the "C" locale, used to skip blanks between arguments.
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

/// Splits one line into arguments like Redis's `sdssplitargs`.
///
/// Input stops at the first NUL byte, as it does for the C string Redis works on.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let line = &line[..end];
    let at = |i: usize| line.get(i).copied();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_c_space) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let Some(c) = at(i) else {
                if in_double || in_single {
                    return Err(UnbalancedQuotes);
                }
                break;
            };
            if in_double {
                if c == b'\\' && at(i + 1) == Some(b'x') {
                    if let (Some(h), Some(l)) =
                        (at(i + 2).and_then(hex_value), at(i + 3).and_then(hex_value))
                    {
                        current.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    let escaped = line[i + 1];
                    current.push(match escaped {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else if in_single {
                if c == b'\\' && at(i + 1) == Some(b'\'') {
                    current.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if at(i + 1).is_some_and(|n| !is_c_space(n)) {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                    i += 1;
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        i += 1;
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
                i += 1;
            }
        }
        args.push(current);
    }
}

/// Quotes `s` like Redis's `sdscatrepr`: always in double quotes, with `\\ \" \n
/// \r \t \a \b` escaped and other non-printable bytes as `\xHH`, so that
/// [`split_args`] reads it back unchanged.
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
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &[&str]) -> Result<Vec<String>, UnbalancedQuotes> {
        Ok(v.iter().map(|s| s.to_string()).collect())
    }

    fn split(s: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(s.as_bytes()).map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
    }

    #[test]
    fn plain_words_and_blanks() {
        assert_eq!(split("  port   6379\t"), ok(&["port", "6379"]));
        assert_eq!(split(""), ok(&[]));
        assert_eq!(split(" \t "), ok(&[]));
    }

    #[test]
    fn double_quote_escapes() {
        let v = split_args(br#"x "a\nb\rc\td\be\af\\g\"h\x41\x7a\q""#).unwrap_or_default();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1], b"a\nb\rc\td\x08e\x07f\\g\"hAzq".to_vec());
    }

    #[test]
    fn bad_hex_escape_is_literal() {
        // `\x` without two hex digits falls back to the generic rule: `\x` -> `x`.
        assert_eq!(split(r#""\xZZ""#), ok(&["xZZ"]));
        assert_eq!(split(r#""\x4""#), ok(&["x4"]));
    }

    #[test]
    fn single_quotes() {
        assert_eq!(split(r"'it\'s' 'a\nb'"), ok(&["it's", r"a\nb"]));
    }

    #[test]
    fn empty_quoted_arguments() {
        assert_eq!(split(r#"save """#), ok(&["save", ""]));
        assert_eq!(split("bind ''"), ok(&["bind", ""]));
    }

    #[test]
    fn quotes_inside_a_word() {
        assert_eq!(split(r#"foo"bar baz" x"#), ok(&["foobar baz", "x"]));
    }

    #[test]
    fn unbalanced_quotes() {
        assert_eq!(split(r#"port "6379"#), Err(UnbalancedQuotes));
        assert_eq!(split("port '6379"), Err(UnbalancedQuotes));
        assert_eq!(split(r#"port "63"79"#), Err(UnbalancedQuotes));
        assert_eq!(split("port '63'79"), Err(UnbalancedQuotes));
        // A trailing backslash inside quotes does not close them.
        assert_eq!(split(r#""abc\"#), Err(UnbalancedQuotes));
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(
            split_args(b"a b\0c"),
            Ok(vec![b"a".to_vec(), b"b".to_vec()])
        );
    }

    #[test]
    fn repr_round_trips() {
        let raw: Vec<u8> = (0u8..=255).collect();
        let quoted = repr(&raw);
        assert_eq!(split_args(quoted.as_bytes()), Ok(vec![raw]));
        assert_eq!(repr(b"a b\"c"), r#""a b\"c""#);
        assert_eq!(repr(b"\x01\xff"), r#""\x01\xff""#);
    }
}
