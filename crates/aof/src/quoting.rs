//! Redis's `sdssplitargs` / `sdscatrepr` quoting, as used by manifest lines (the
//! splitting and quoting themselves are `ferrodis_resp`'s; this adds the manifest's rules).
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

/// Splits `line` into words as `sdssplitargs` does; `None` where it returns
/// NULL (unbalanced quotes, or a closing quote glued to more text).
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    ferrodis_resp::split_args(line).map(|args| args.into_iter().map(|a| a.to_vec()).collect())
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
    out.push_str(&ferrodis_resp::repr(word));
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
