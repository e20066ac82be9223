//! Redis's `sdssplitargs` / `sdscatrepr` quoting, as used by manifest lines.
//!
//! ```text
//! A line is words separated by C isspace bytes (' ' \t \n \v \f \r). A word is
//! bare bytes, "double quoted" or 'single quoted' parts, which may be glued
//! together (ab"cd" is abcd). A closing quote must be followed by a space or the
//! end of the line; an unclosed quote makes the whole line invalid.
//!   in "...":  \xHH (two hex digits) is that byte; \n \r \t \b \a are controls;
//!              \ followed by any other byte is that byte
//!   in '...':  \' is '; everything else is literal
//! Writing (sdscatrepr): "..." with \\ \" \n \r \t \a \b, other bytes outside
//! 0x20..=0x7e as \xHH (lowercase), the rest literal.
//! ```

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `isprint` in the "C" locale.
fn is_c_print(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `line` into words as `sdssplitargs` does; `None` where it returns
/// NULL (unbalanced quotes, or a closing quote glued to more text).
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    let mut p = 0;
    loop {
        while line.get(p).is_some_and(|&b| is_c_space(b)) {
            p += 1;
        }
        if p >= line.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let here = line.get(p).copied();
            let next = line.get(p + 1).copied();
            let mut done = false;
            if in_double {
                match here {
                    Some(b'\\') if next == Some(b'x') => {
                        let hi = line.get(p + 2).and_then(|&b| hex_value(b));
                        let lo = line.get(p + 3).and_then(|&b| hex_value(b));
                        if let (Some(hi), Some(lo)) = (hi, lo) {
                            word.push(hi * 16 + lo);
                            p += 3;
                        } else {
                            // "\x" without two hex digits: an escaped 'x'.
                            word.push(b'x');
                            p += 1;
                        }
                    }
                    Some(b'\\') if next.is_some() => {
                        p += 1;
                        word.push(match next {
                            Some(b'n') => b'\n',
                            Some(b'r') => b'\r',
                            Some(b't') => b'\t',
                            Some(b'b') => 0x08,
                            Some(b'a') => 0x07,
                            Some(other) => other,
                            None => b'\\',
                        });
                    }
                    Some(b'"') => {
                        if next.is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        done = true;
                    }
                    None => return None,
                    Some(b) => word.push(b),
                }
            } else if in_single {
                match here {
                    Some(b'\\') if next == Some(b'\'') => {
                        p += 1;
                        word.push(b'\'');
                    }
                    Some(b'\'') => {
                        if next.is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        done = true;
                    }
                    None => return None,
                    Some(b) => word.push(b),
                }
            } else {
                match here {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => done = true,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(b) => word.push(b),
                }
            }
            if here.is_some() {
                p += 1;
            }
            if done {
                break;
            }
        }
        words.push(word);
    }
}

/// Whether `word` must be written quoted to survive [`split_args`].
///
/// Redis's `sdsneedsrepr` plus one byte: `'`. Redis 7.0 writes a name with a
/// single quote bare and then cannot read it back (the quote opens a quoted
/// part); quoted, Redis and this crate both read it correctly.
pub(crate) fn needs_quotes(word: &[u8]) -> bool {
    word.is_empty()
        || word
            .iter()
            .any(|&b| matches!(b, b'\\' | b'"' | b'\'') || !is_c_print(b) || is_c_space(b))
}

/// Appends `word` in double quotes with `sdscatrepr`'s escapes.
pub(crate) fn push_quoted(word: &[u8], out: &mut String) {
    out.push('"');
    for &b in word {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b if is_c_print(b) => out.push(char::from(b)),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|words| {
            words
                .into_iter()
                .map(|w| String::from_utf8(w).unwrap())
                .collect()
        })
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(
            split("  a  bb\tc "),
            Some(vec!["a".into(), "bb".into(), "c".into()])
        );
        assert_eq!(split(""), Some(vec![]));
        assert_eq!(
            split(r#""a b" 'c d'"#),
            Some(vec!["a b".into(), "c d".into()])
        );
        assert_eq!(split(r#"ab"cd" x"#), Some(vec!["abcd".into(), "x".into()]));
        assert_eq!(split(r#""\x41\n\q\"""#), Some(vec!["A\nq\"".into()]));
        assert_eq!(split(r#""\xZZ""#), Some(vec!["xZZ".into()]));
        assert_eq!(split(r#"'it\'s'"#), Some(vec!["it's".into()]));
        assert_eq!(split(r#"'a\nb'"#), Some(vec!["a\\nb".into()]));
    }

    #[test]
    fn refuses_what_sdssplitargs_refuses() {
        assert_eq!(split(r#""open"#), None);
        assert_eq!(split("'open"), None);
        assert_eq!(split(r#""a"b"#), None);
        assert_eq!(split("'a'b"), None);
        assert_eq!(split(r#""ends in backslash\"#), None);
    }

    #[test]
    fn quotes_like_sdscatrepr() {
        let mut out = String::new();
        push_quoted(b" file seq \n\n.aof ", &mut out);
        assert_eq!(out, r#"" file seq \n\n.aof ""#);
        let mut out = String::new();
        push_quoted(b"\\\"\x07\x08\r\t\x00\xff~", &mut out);
        assert_eq!(out, r#""\\\"\a\b\r\t\x00\xff~""#);
        assert!(!needs_quotes(b"appendonly.aof.1.base.rdb"));
        assert!(needs_quotes(b"a b"));
        assert!(needs_quotes(b"it's"));
        assert!(needs_quotes(b""));
        assert!(needs_quotes("é".as_bytes()));
    }

    proptest! {
        #[test]
        fn quoted_words_split_back(words in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..5)) {
            let mut line = String::new();
            for word in &words {
                if !line.is_empty() {
                    line.push(' ');
                }
                if needs_quotes(word) {
                    push_quoted(word, &mut line);
                } else {
                    line.push_str(std::str::from_utf8(word).unwrap());
                }
            }
            prop_assert_eq!(split_args(line.as_bytes()), Some(words));
        }

        #[test]
        fn never_panics(line in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = split_args(&line);
        }
    }
}
