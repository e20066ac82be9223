//! redis.conf lines are split and quoted exactly like inline commands, with Redis's
//! `sdssplitargs` and `sdscatrepr`; both live in `ferrodis_resp`, and this module
//! adapts them to the config loader (whose tests below also pin the rules).

pub use ferrodis_resp::repr;

/// The line had an unterminated quote, or a closing quote not followed by a blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits one line into arguments like Redis's `sdssplitargs`.
///
/// Input stops at the first NUL byte, as it does for the C string Redis works on.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    ferrodis_resp::split_args(line)
        .map(|args| args.into_iter().map(|a| a.to_vec()).collect())
        .ok_or(UnbalancedQuotes)
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
