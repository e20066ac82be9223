//! Redis's glob-style pattern matching (`stringmatchlen()` in util.c), for KEYS, SCAN
//! and the server's pub/sub patterns.
//!
//! `*` matches any run of bytes, `?` any one byte, `[abc]`, `[^abc]` and `[a-z]` a
//! byte from a set, and `\x` the byte `x` itself. Matches Redis's quirks too: a
//! reversed range such as `[z-a]` is swapped, range bounds compare as C's signed
//! `char`, an unclosed `[` takes the rest of the pattern as its set, and an empty
//! string matches only the empty pattern (KEYS special-cases `*` before calling this).
//!
//! Redis backtracks recursively; this is the classic single-backtrack-point loop,
//! which gives the same answers (every token but `*` consumes exactly one byte) in
//! O(pattern × string) time and constant stack.

/// Whether `string` matches `pattern`; `nocase` folds ASCII case like `tolower()`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        // Redis's loop does not run at all for an empty string.
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0, 0);
    // Pattern position after the last `*` seen, and the string position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if s == string.len() {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
        } else if p < pattern.len() {
            if pattern[p] == b'*' {
                while pattern.get(p) == Some(&b'*') {
                    p += 1;
                }
                if p == pattern.len() {
                    return true;
                }
                star = Some((p, s));
                continue;
            }
            let (matched, next) = match_one(pattern, p, string[s], nocase);
            if matched {
                p = next;
                s += 1;
                continue;
            }
        }
        // Mismatch: let the last `*` swallow one more byte and retry after it.
        match star {
            Some((sp, ss)) if ss + 1 < string.len() => {
                star = Some((sp, ss + 1));
                p = sp;
                s = ss + 1;
            }
            _ => return false,
        }
    }
}

/// Matches the token at `pattern[p]` (not `*`) against byte `c`; returns whether it
/// matched and where the next token starts.
fn match_one(pattern: &[u8], p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    match pattern[p] {
        b'?' => (true, p + 1),
        b'[' => match_class(pattern, p + 1, c, nocase),
        b'\\' if p + 1 < pattern.len() => (eq(pattern[p + 1], c), p + 2),
        lit => (eq(lit, c), p + 1),
    }
}

/// Matches a `[...]` set starting after the `[`.
fn match_class(pattern: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    // An unclosed set extends to the end of the pattern.
    while let Some(&b) = pattern.get(p) {
        if b == b'\\' && p + 1 < pattern.len() {
            // Escaped bytes compare exactly, even with nocase (as in Redis).
            matched |= pattern[p + 1] == c;
            p += 2;
        } else if b == b']' {
            p += 1;
            break;
        } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' {
            // Redis compares the bounds as (signed) `char`s.
            let (mut lo, mut hi) = (pattern[p] as i8, pattern[p + 2] as i8);
            let mut x = c as i8;
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            if nocase {
                lo = lower(lo);
                hi = lower(hi);
                x = lower(x);
            }
            matched |= lo <= x && x <= hi;
            p += 3;
        } else {
            matched |= if nocase {
                b.eq_ignore_ascii_case(&c)
            } else {
                b == c
            };
            p += 1;
        }
    }
    (matched != negate, p)
}

fn lower(c: i8) -> i8 {
    (c as u8).to_ascii_lowercase() as i8
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn stars_and_questions() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("*a*b*", "xaxxbx"));
        assert!(!m("*a*b", "xaxxbx"));
        assert!(m("a**", "a"));
        assert!(m("a*", "abc"));
        assert!(m("*c", "abc"));
        assert!(!m("*d", "abc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("abc", "abcd"));
        assert!(!m("abcd", "abc"));
    }

    #[test]
    fn empty_string_matches_only_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed ranges are swapped");
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[abc", "b"), "an unclosed set runs to the end");
        assert!(!m("[abc", "bc"));
        assert!(m("[\\]]", "]"));
        // "a-]" is the range a..=] (swapped), and the set is then unclosed.
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "-"));
    }

    #[test]
    fn escapes() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("\\?", "?"));
        assert!(m("a\\", "a\\"), "a trailing backslash is literal");
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"[A-C]x", b"bX", true));
        assert!(!glob_match(b"HeLLo", b"hello", false));
    }

    #[test]
    fn high_bytes_compare_as_signed_char() {
        // In C, [a-\xff] is the range -1..=97 once swapped, so it matches 0xff and '0'.
        assert!(glob_match(b"[a-\xff]", b"\xff", false));
        assert!(glob_match(b"[a-\xff]", b"0", false));
        assert!(!glob_match(b"[a-\xff]", b"b", false));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let pattern = "a*".repeat(50) + "b";
        let string = "a".repeat(5000);
        assert!(!m(&pattern, &string));
    }
}
