//! Scores and ranges read the way Redis reads them: `strtod()` for scores, `(` for
//! exclusive score bounds, and `[`, `(`, `-`, `+` for lexicographic bounds.
//!
//! Redis parses a score argument with `string2d()` (util.c): glibc's `strtod()` must
//! consume the whole argument, which may not start with a space, and a result that
//! overflows to infinity or underflows to zero is refused, as is NaN. A range bound
//! (`zslParseRange()` in t_zset.c) calls `strtod()` directly and only requires that it
//! stops at the end of the string (or at a NUL byte, where C strings end): leading
//! spaces, an empty string (which reads as 0) and overflow are accepted there.

use std::cmp::Ordering;

use crate::error::{Error, Result};

/// What `strtod()` makes of the beginning of a byte string.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Strtod {
    value: f64,
    /// Bytes consumed, leading white space included; 0 when nothing converted.
    end: usize,
    /// glibc's `ERANGE` for a finite number that became infinite or zero.
    out_of_range: bool,
}

/// `isspace()` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// glibc's `strtod()`: white space, a sign, then `inf`/`infinity`/`nan[(...)]`, a
/// `0x` hexadecimal float with an optional `p` exponent, or a decimal float with an
/// optional `e` exponent. Decimal values are correctly rounded, as glibc's are.
fn strtod(s: &[u8]) -> Strtod {
    let none = Strtod {
        value: 0.0,
        end: 0,
        out_of_range: false,
    };
    let start = s.iter().position(|&b| !is_c_space(b)).unwrap_or(s.len());
    let mut pos = start;
    let neg = match s.get(pos) {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    let sign = if neg { -1.0 } else { 1.0 };
    let rest = &s[pos..];
    let starts_with =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts_with(b"infinity") || starts_with(b"inf") {
        let len = if starts_with(b"infinity") { 8 } else { 3 };
        return Strtod {
            value: sign * f64::INFINITY,
            end: pos + len,
            out_of_range: false,
        };
    }
    if starts_with(b"nan") {
        let mut end = pos + 3;
        if s.get(end) == Some(&b'(') {
            let inner = s[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if s.get(end + 1 + inner) == Some(&b')') {
                end += inner + 2;
            }
        }
        return Strtod {
            value: f64::NAN,
            end,
            out_of_range: false,
        };
    }
    let is_hex_start = rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && (rest[2].is_ascii_hexdigit()
            || (rest[2] == b'.' && rest.get(3).is_some_and(u8::is_ascii_hexdigit)));
    if is_hex_start {
        let (value, len, out_of_range) = hex(&rest[2..]);
        return Strtod {
            value: sign * value,
            end: pos + 2 + len,
            out_of_range,
        };
    }
    // Decimal: digits with at most one point, at least one digit, then an exponent
    // that counts only if it has digits.
    let int_digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut len = int_digits;
    let mut frac_digits = 0;
    if rest.get(len) == Some(&b'.') {
        frac_digits = rest[len + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return none;
    }
    let nonzero = rest[..len].iter().any(|b| (b'1'..=b'9').contains(b));
    if matches!(rest.get(len), Some(b'e' | b'E')) {
        let sign_len = usize::from(matches!(rest.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = rest[(len + 1 + sign_len).min(rest.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if exp_digits > 0 {
            len += 1 + sign_len + exp_digits;
        }
    }
    // The text is now exactly Rust's float grammar, also correctly rounded.
    let text = std::str::from_utf8(&s[start..pos + len]).unwrap_or("");
    let value: f64 = text.parse().unwrap_or(0.0);
    Strtod {
        value,
        end: pos + len,
        out_of_range: value.is_infinite() || (value == 0.0 && nonzero),
    }
}

/// The magnitude of a hexadecimal float after its `0x`: (value, bytes consumed,
/// overflowed or underflowed to zero), rounded to nearest-even like glibc.
fn hex(s: &[u8]) -> (f64, usize, bool) {
    // Up to 16 significant hex digits (64 bits) are kept; the others only tell
    // whether the value lies above the kept bits (`sticky`) and shift the exponent.
    let (mut mant, mut exp, mut sticky) = (0u64, 0i64, false);
    let mut kept = 0;
    let mut len = 0;
    let mut in_frac = false;
    while let Some(&c) = s.get(len) {
        if let Some(d) = (c as char).to_digit(16) {
            if mant == 0 && d == 0 {
                exp -= 4 * i64::from(in_frac);
            } else if kept < 16 {
                mant = mant << 4 | u64::from(d);
                kept += 1;
                exp -= 4 * i64::from(in_frac);
            } else {
                sticky |= d != 0;
                exp += 4 * i64::from(!in_frac);
            }
        } else if c == b'.' && !in_frac {
            in_frac = true;
        } else {
            break;
        }
        len += 1;
    }
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let sign_len = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let digits = s[(len + 1 + sign_len).min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 {
            let from = len + 1 + sign_len;
            let e = s[from..from + digits].iter().fold(0i64, |acc, &c| {
                (acc * 10 + i64::from(c - b'0')).min(1 << 40)
            });
            exp += if s[len + 1] == b'-' { -e } else { e };
            len = from + digits;
        }
    }
    if mant == 0 {
        return (0.0, len, false);
    }
    let value = round_to_f64(mant, exp, sticky);
    (value, len, value.is_infinite() || value == 0.0)
}

/// `mant * 2^exp` (plus a little more when `sticky`) rounded to the nearest `f64`,
/// ties to even, with subnormals.
fn round_to_f64(mant: u64, exp: i64, sticky: bool) -> f64 {
    let lz = mant.leading_zeros();
    let m = mant << lz;
    // The value is m * 2^e with m in [2^63, 2^64); its top bit weighs 2^top.
    let e = exp - i64::from(lz);
    let top = e + 63;
    if top > 1023 {
        return f64::INFINITY;
    }
    // A normal double keeps 53 bits; a subnormal fewer.
    let shift = if top >= -1022 { 11 } else { 11 + (-1022 - top) };
    let (mut q, rem, half) = if shift >= 64 {
        let half_exceeded = shift == 64 && (m > 1 << 63 || (m == 1 << 63 && sticky));
        return if half_exceeded {
            f64::from_bits(1)
        } else {
            0.0
        };
    } else {
        (m >> shift, m & ((1u64 << shift) - 1), 1u64 << (shift - 1))
    };
    if rem > half || (rem == half && (sticky || q & 1 == 1)) {
        q += 1;
    }
    if top >= -1022 {
        let mut biased = top + 1023;
        if q == 1 << 53 {
            q >>= 1;
            biased += 1;
        }
        if biased >= 2047 {
            return f64::INFINITY;
        }
        f64::from_bits((biased as u64) << 52 | (q & ((1 << 52) - 1)))
    } else {
        // A carry into bit 52 gives the smallest normal's bit pattern, as it should.
        f64::from_bits(q)
    }
}

/// A score argument, as `getDoubleFromObjectOrReply()` reads it: the whole argument
/// must be a number, with no leading space, no overflow or underflow to zero, no NaN.
pub(crate) fn parse_score(s: &[u8]) -> Option<f64> {
    let r = strtod(s);
    let ok = !s.is_empty()
        && !is_c_space(s[0])
        && r.end == s.len()
        && !r.out_of_range
        && !r.value.is_nan();
    ok.then_some(r.value)
}

/// A SORT weight, as `sortCommandGeneric()` reads one with `strtod()`: it must stop
/// at the end or at a NUL byte (so the empty string is 0 and leading white space is
/// fine), without `ERANGE` and not NaN. glibc also raises `ERANGE` for a decimal that
/// lands below the smallest normal double (inexact there), but not for an exact
/// hexadecimal one such as `0x1p-1074`, as redis-server 7.0 shows.
pub(crate) fn parse_sort_weight(s: &[u8]) -> Option<f64> {
    let r = strtod(s);
    let stopped_at_end = matches!(s.get(r.end), None | Some(0));
    let mut digits = s
        .iter()
        .skip_while(|&&b| is_c_space(b) || b == b'+' || b == b'-');
    let hex = digits.next() == Some(&b'0') && matches!(digits.next(), Some(b'x' | b'X'));
    let tiny = r.value != 0.0 && r.value.abs() < f64::MIN_POSITIVE && !hex;
    (stopped_at_end && !r.out_of_range && !tiny && !r.value.is_nan()).then_some(r.value)
}

/// A range bound without its `(`: `strtod()` must stop at the end or at a NUL byte.
fn parse_bound(s: &[u8]) -> Option<f64> {
    let r = strtod(s);
    let stopped_at_end = matches!(s.get(r.end), None | Some(0));
    (stopped_at_end && !r.value.is_nan()).then_some(r.value)
}

/// A score interval (Redis's `zrangespec`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoreRange {
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) min_ex: bool,
    pub(crate) max_ex: bool,
}

impl ScoreRange {
    /// `zslParseRange()`: `(` before a bound makes it exclusive.
    pub(crate) fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange> {
        let side = |s: &[u8]| match s.split_first() {
            Some((b'(', rest)) => parse_bound(rest).map(|v| (v, true)),
            _ => parse_bound(s).map(|v| (v, false)),
        };
        match (side(min), side(max)) {
            (Some((min, min_ex)), Some((max, max_ex))) => Ok(ScoreRange {
                min,
                max,
                min_ex,
                max_ex,
            }),
            _ => Err(Error::MinMaxNotFloat),
        }
    }

    /// Whether `score` comes before the range (Redis's `!zslValueGteMin()`).
    pub(crate) fn below(&self, score: f64) -> bool {
        if self.min_ex {
            score <= self.min
        } else {
            score < self.min
        }
    }

    /// Whether `score` is not past the end of the range (`zslValueLteMax()`).
    pub(crate) fn not_above(&self, score: f64) -> bool {
        if self.max_ex {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One end of a lexicographic range (Redis's `zlexrangespec` items).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexBound<'a> {
    /// `-`: before every string.
    Min,
    /// `+`: after every string.
    Max,
    /// `[value`
    Incl(&'a [u8]),
    /// `(value`
    Excl(&'a [u8]),
}

impl LexBound<'_> {
    /// `zslParseLexRangeItem()`.
    fn parse(s: &[u8]) -> Option<LexBound<'_>> {
        match s.split_first()? {
            (b'+', []) => Some(LexBound::Max),
            (b'-', []) => Some(LexBound::Min),
            (b'[', rest) => Some(LexBound::Incl(rest)),
            (b'(', rest) => Some(LexBound::Excl(rest)),
            _ => None,
        }
    }

    /// How `value` compares with the bound (`sdscmplex()`), and whether the bound
    /// is exclusive (`-` and `+` are, in Redis).
    fn compare(&self, value: &[u8]) -> (Ordering, bool) {
        match self {
            LexBound::Min => (Ordering::Greater, true),
            LexBound::Max => (Ordering::Less, true),
            LexBound::Incl(b) => (value.cmp(b), false),
            LexBound::Excl(b) => (value.cmp(b), true),
        }
    }
}

/// A lexicographic interval over members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexRange<'a> {
    pub(crate) min: LexBound<'a>,
    pub(crate) max: LexBound<'a>,
}

impl LexRange<'_> {
    /// `zslParseLexRange()`.
    pub(crate) fn parse<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>> {
        match (LexBound::parse(min), LexBound::parse(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(Error::MinMaxNotLex),
        }
    }

    /// Whether no string can be in the range, whatever the set holds (the first test
    /// of `zslIsInLexRange()`).
    pub(crate) fn is_empty(&self) -> bool {
        use LexBound::{Excl, Incl, Max, Min};
        let order = match (self.min, self.max) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (Incl(a) | Excl(a), Incl(b) | Excl(b)) => a.cmp(b),
        };
        let exclusive = |b: LexBound<'_>| !matches!(b, Incl(_));
        order == Ordering::Greater
            || (order == Ordering::Equal && (exclusive(self.min) || exclusive(self.max)))
    }

    /// Whether `member` comes before the range (`!zslLexValueGteMin()`).
    pub(crate) fn below(&self, member: &[u8]) -> bool {
        match self.min.compare(member) {
            (o, true) => o != Ordering::Greater,
            (o, false) => o == Ordering::Less,
        }
    }

    /// Whether `member` is not past the end of the range (`zslLexValueLteMax()`).
    pub(crate) fn not_above(&self, member: &[u8]) -> bool {
        match self.max.compare(member) {
            (o, true) => o == Ordering::Less,
            (o, false) => o != Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_string2d() {
        for (text, value) in [
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+2", 2.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("+INF", f64::INFINITY),
            ("0x10", 16.0),
            ("0x1.8p1", 3.0),
            ("-0x.8", -0.5),
            ("0X1P-2", 0.25),
            ("1e-320", 1e-320),
            ("0e999999", 0.0),
            ("0.1", 0.1),
            ("1.7976931348623157e308", f64::MAX),
        ] {
            assert_eq!(parse_score(text.as_bytes()), Some(value), "{text}");
        }
        assert!(parse_score(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
        for bad in [
            "",
            " 1",
            "1 ",
            "abc",
            "1e",
            "1e+",
            "nan",
            "-nan",
            "NaN(123)",
            "1e400",
            "-1e400",
            "1e-400",
            "0x",
            "0x1p",
            "infinit",
            "1.2.3",
            "--1",
            ".",
            "1\0",
            "0x1p99999",
            "0x1p-99999",
        ] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_rounding_matches_glibc() {
        // 2^53 + 1 rounds to even (down), 2^53 + 3 rounds up.
        assert_eq!(parse_score(b"0x20000000000001"), Some(9007199254740992.0));
        assert_eq!(parse_score(b"0x20000000000003"), Some(9007199254740996.0));
        // More than 16 digits: the ones past the kept bits still break a tie.
        assert_eq!(
            parse_score(b"0x200000000000010000"),
            Some(590295810358705651712.0)
        );
        assert_eq!(
            parse_score(b"0x200000000000010001"),
            Some(590295810358705782784.0)
        );
        assert_eq!(parse_score(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_score(b"0x1p-1075"), None, "rounds to zero");
        assert_eq!(parse_score(b"0x1.8p-1075"), Some(f64::from_bits(1)));
        assert_eq!(parse_score(b"0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(parse_score(b"0x1.fffffffffffff8p1023"), None, "overflows");
    }

    #[test]
    fn score_ranges() {
        let r = ScoreRange::parse(b"(1", b"5").ok();
        assert_eq!(
            r,
            Some(ScoreRange {
                min: 1.0,
                max: 5.0,
                min_ex: true,
                max_ex: false
            })
        );
        // strtod() skips leading spaces, reads "" as 0, and stops at a NUL.
        for (min, max) in [(&b" 1"[..], &b"2"[..]), (b"", b"("), (b"1\0x", b"1e400")] {
            assert!(ScoreRange::parse(min, max).is_ok(), "{min:?} {max:?}");
        }
        for (min, max) in [
            (&b"1 "[..], &b"2"[..]),
            (b"a", b"1"),
            (b"1", b"nan"),
            (b"((1", b"2"),
            (b" ", b"1"),
        ] {
            assert_eq!(ScoreRange::parse(min, max), Err(Error::MinMaxNotFloat));
        }
        let r = ScoreRange::parse(b"(1", b"(3").unwrap_or(ScoreRange {
            min: 0.0,
            max: 0.0,
            min_ex: false,
            max_ex: false,
        });
        assert!(r.below(1.0) && !r.below(1.5));
        assert!(r.not_above(2.9) && !r.not_above(3.0));
    }

    #[test]
    fn lex_ranges() {
        assert_eq!(
            LexRange::parse(b"-", b"+"),
            Ok(LexRange {
                min: LexBound::Min,
                max: LexBound::Max
            })
        );
        for (min, max) in [
            (&b"a"[..], &b"+"[..]),
            (b"", b"+"),
            (b"-x", b"+"),
            (b"[a", b"++"),
        ] {
            assert_eq!(LexRange::parse(min, max), Err(Error::MinMaxNotLex));
        }
        let Ok(r) = LexRange::parse(b"(b", b"[d") else {
            panic!("valid range")
        };
        assert!(r.below(b"a") && r.below(b"b") && !r.below(b"ba"));
        assert!(r.not_above(b"d") && !r.not_above(b"da"));
        let Ok(all) = LexRange::parse(b"[", b"+") else {
            panic!("valid range")
        };
        assert!(!all.below(b"") && all.not_above(b"\xff"));
        let empty = |min: &[u8], max: &[u8]| LexRange::parse(min, max).map(|r| r.is_empty());
        assert_eq!(empty(b"[a", b"[a"), Ok(false));
        assert_eq!(empty(b"[a", b"(a"), Ok(true));
        assert_eq!(empty(b"[b", b"[a"), Ok(true));
        assert_eq!(empty(b"-", b"+"), Ok(false));
        assert_eq!(empty(b"+", b"+"), Ok(true));
        assert_eq!(empty(b"-", b"-"), Ok(true));
        assert_eq!(empty(b"+", b"[a"), Ok(true));
        assert_eq!(empty(b"[a", b"-"), Ok(true));
    }
}
