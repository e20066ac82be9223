//! Glob matching: Redis's `stringmatchlen` (CONFIG GET, KEYS) and `include` wildcards.
//!
//! Pattern syntax, as in Redis: `*` any run, `?` one byte, `[abc]` `[^abc]` `[a-z]`
//! classes (a reversed range `[z-a]` works too), `\x` matches `x` literally.

use std::path::{Component, Path, PathBuf};

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

/// Matches `pattern` against `string` like Redis's `stringmatchlen`.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // A failed `*` tells its callers that trying a longer run cannot help,
    // which keeps patterns like `a*a*a*a*b` from going exponential (as Redis does).
    let mut give_up = false;
    match_from(pattern, string, nocase, &mut give_up)
}

/// Parses the class that starts right after `[` in `pat`; returns whether `c`
/// is in it and how many pattern bytes the class used (including the `]`).
/// An unterminated class ends at the end of the pattern, as in Redis.
fn match_class(pat: &[u8], c: u8, nocase: bool) -> (bool, usize) {
    let mut i = 0;
    let negate = pat.first() == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    loop {
        match pat.get(i) {
            None => break,
            Some(b']') => {
                i += 1;
                break;
            }
            Some(b'\\') if i + 1 < pat.len() => {
                // Redis compares escaped class members case-sensitively.
                if pat[i + 1] == c {
                    matched = true;
                }
                i += 2;
            }
            Some(&start) if pat.get(i + 1) == Some(&b'-') && i + 2 < pat.len() => {
                let end = pat[i + 2];
                let (lo, hi) = if start > end {
                    (end, start)
                } else {
                    (start, end)
                };
                let (lo, hi, c) = (fold(lo, nocase), fold(hi, nocase), fold(c, nocase));
                if (lo..=hi).contains(&c) {
                    matched = true;
                }
                i += 3;
            }
            Some(&member) => {
                if fold(member, nocase) == fold(c, nocase) {
                    matched = true;
                }
                i += 1;
            }
        }
    }
    (matched != negate, i)
}

fn match_from(mut pat: &[u8], mut s: &[u8], nocase: bool, give_up: &mut bool) -> bool {
    while let (Some(&p), Some(&c)) = (pat.first(), s.first()) {
        match p {
            b'*' => {
                while pat.get(1) == Some(&b'*') {
                    pat = &pat[1..];
                }
                if pat.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_from(&pat[1..], s, nocase, give_up) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    s = &s[1..];
                }
                *give_up = true;
                return false;
            }
            b'?' => pat = &pat[1..],
            b'[' => {
                let (ok, used) = match_class(&pat[1..], c, nocase);
                if !ok {
                    return false;
                }
                pat = &pat[1 + used..];
            }
            _ => {
                let literal = if p == b'\\' && pat.len() >= 2 {
                    pat = &pat[1..];
                    pat[0]
                } else {
                    p
                };
                if fold(literal, nocase) != fold(c, nocase) {
                    return false;
                }
                pat = &pat[1..];
            }
        }
        s = &s[1..];
        // Trailing stars match the empty rest, but (as in Redis) only once at
        // least one byte was consumed: `*` does not match an empty string.
        if s.is_empty() {
            while pat.first() == Some(&b'*') {
                pat = &pat[1..];
            }
        }
    }
    pat.is_empty() && s.is_empty()
}

/// Whether `s` has a character that makes Redis treat it as a pattern
/// (CONFIG GET looks names up directly otherwise).
pub fn has_glob_chars(s: &[u8]) -> bool {
    s.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Expands a path with wildcards like glob(3) as Redis's `include` uses it:
/// every component may be a pattern, a leading `.` is only matched by a literal
/// `.`, results are sorted, and no match is an empty list (not an error).
pub fn expand_path_glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in pattern.components() {
        let part = match component {
            Component::Normal(part) => part,
            other => {
                for path in &mut found {
                    path.push(other.as_os_str());
                }
                continue;
            }
        };
        let part_bytes = part.as_encoded_bytes();
        if !has_glob_chars(part_bytes) {
            for path in &mut found {
                path.push(part);
            }
            continue;
        }
        let mut next = Vec::new();
        for base in &found {
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .filter(|name| {
                    let bytes = name.as_encoded_bytes();
                    let hidden_ok = !bytes.starts_with(b".") || part_bytes.starts_with(b".");
                    hidden_ok && string_match(part_bytes, bytes, false)
                })
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|name| base.join(name)));
        }
        found = next;
    }
    found.retain(|p| p.exists());
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "maxmemory"));
        assert!(m("max*", "maxmemory"));
        assert!(m("*memory*", "maxmemory-policy"));
        assert!(m("m?xmemory", "maxmemory"));
        assert!(!m("m?xmemory", "mxmemory"));
        assert!(m("a**b", "axxb"));
        assert!(m("ab*", "ab"));
        assert!(!m("a*b", "axxc"));
        assert!(!m("a*a*a*a*a*a*a*a*a*a*b", &"a".repeat(60)));
    }

    #[test]
    fn classes() {
        assert!(m("[mp]ort", "port"));
        assert!(!m("[^p]ort", "port"));
        assert!(m("[^p]ort", "sort"));
        assert!(m("[a-z]ort", "port"));
        assert!(m("[z-a]ort", "port"));
        assert!(!m("[0-9]ort", "port"));
        assert!(m("[\\]]x", "]x"));
        // Unterminated class: the rest of the pattern is the class.
        assert!(m("po[rt", "por"));
    }

    #[test]
    fn escapes_and_case() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("PORT", "port"));
        assert!(m("[P]ort", "port"));
        assert!(!string_match(b"PORT", b"port", false));
        assert!(m("a\\", "a\\"));
        assert!(!m("*", ""));
        assert!(m("", ""));
    }

    #[test]
    fn glob_chars() {
        assert!(has_glob_chars(b"p*"));
        assert!(has_glob_chars(b"p[a]"));
        assert!(!has_glob_chars(b"port\\"));
    }

    #[test]
    fn path_globs() {
        let dir = std::env::temp_dir().join(format!("ferrodis-glob-{}", std::process::id()));
        let sub = dir.join("conf.d");
        std::fs::create_dir_all(&sub).expect("create temp dir");
        for name in ["b.conf", "a.conf", ".hidden.conf", "c.txt"] {
            std::fs::write(sub.join(name), "").expect("write temp file");
        }
        let got = expand_path_glob(&sub.join("*.conf"));
        assert_eq!(got, vec![sub.join("a.conf"), sub.join("b.conf")]);
        let got = expand_path_glob(&dir.join("conf.?").join("c.*"));
        assert_eq!(got, vec![sub.join("c.txt")]);
        assert!(expand_path_glob(&sub.join("*.none")).is_empty());
        std::fs::remove_dir_all(&dir).expect("remove temp dir");
    }
}
