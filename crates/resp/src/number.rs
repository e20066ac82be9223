//! Integer parsing and integer/double formatting without allocation.

use std::fmt::Write as _;

/// The longest text [`parse_ll`] accepts plus one (Redis's `LONG_STR_SIZE`).
const LONG_STR_SIZE: usize = 21;

/// Parses a decimal `i64` exactly like Redis's `string2ll` (`util.c`): an optional
/// `-`, then `0` alone or a non-zero digit followed by digits; no `+`, no spaces, no
/// leading zeros, no `-0`, at most 20 bytes, no overflow.
///
/// Public because every layer above needs the same rule (the keyspace for numeric
/// arguments and integer-encoded strings, the server for options):
///
/// ```
/// assert_eq!(ferrodis_resp::parse_i64(b"-42"), Some(-42));
/// assert_eq!(ferrodis_resp::parse_i64(b"+1"), None);
/// assert_eq!(ferrodis_resp::parse_i64(b"007"), None);
/// ```
pub fn parse_ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &b in rest {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    if negative {
        // -(2^63) is the one value whose magnitude does not fit in i64.
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// Two ASCII digits for every value 0..100, for [`format_u64`].
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Room for any `u64` (20 digits) or `i64` with its sign.
pub(crate) const INT_BUF_LEN: usize = 20;

/// Writes `v` in decimal at the end of `buf` and returns where the digits start.
pub(crate) fn format_u64(mut v: u64, buf: &mut [u8; INT_BUF_LEN]) -> usize {
    let mut pos = INT_BUF_LEN;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        pos -= 1;
        buf[pos] = b'0' + v as u8;
    }
    pos
}

/// How many decimal digits `v` has.
pub(crate) fn digits(v: u64) -> usize {
    match v.checked_ilog10() {
        Some(log) => log as usize + 1,
        None => 1,
    }
}

/// How many bytes `v` takes in decimal, sign included.
pub(crate) fn i64_len(v: i64) -> usize {
    usize::from(v < 0) + digits(v.unsigned_abs())
}

/// Room for any double formatted by [`format_double`]: `-1.2345678901234567e-308`.
pub const DOUBLE_BUF_LEN: usize = 32;

/// A `fmt::Write` into a fixed stack buffer; formatting a double never needs more.
struct StackWriter<'a> {
    buf: &'a mut [u8; DOUBLE_BUF_LEN],
    len: usize,
}

impl std::fmt::Write for StackWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `d` as C's `printf("%.17g")` prints it with glibc (what Redis 7.0 writes for
/// scores in replies and AOF rewrites), as a `String`.
pub fn format_g17(d: f64) -> String {
    let mut buf = [0u8; DOUBLE_BUF_LEN];
    let len = format_double(d, &mut buf);
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Formats `d` like C's `printf("%.17g")` with glibc, as Redis's `addReplyDouble`
/// does: 17 significant digits, trailing zeros dropped, exponent form (`1e+20`) when
/// the exponent is below -4 or at least 17; `inf`, `-inf`, `nan`, `-nan`.
/// Returns the number of bytes written to `buf`.
pub fn format_double(d: f64, buf: &mut [u8; DOUBLE_BUF_LEN]) -> usize {
    let special: Option<&[u8]> = if d.is_nan() {
        Some(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        })
    } else if d.is_infinite() {
        Some(if d > 0.0 { b"inf" } else { b"-inf" })
    } else {
        None
    };
    if let Some(text) = special {
        buf[..text.len()].copy_from_slice(text);
        return text.len();
    }

    // Rust's `{:.16e}` is exactly rounded, as glibc's printf is: both give the same
    // 17 significant digits; only the layout differs. "-1.2345678901234567e-5".
    let mut sci = [0u8; DOUBLE_BUF_LEN];
    let mut w = StackWriter {
        buf: &mut sci,
        len: 0,
    };
    if write!(w, "{d:.16e}").is_err() {
        return 0;
    }
    let sci_len = w.len;
    let text = &sci[..sci_len];
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let Some(e_at) = text.iter().position(|&b| b == b'e') else {
        return 0;
    };
    let (mantissa, exp_text) = text.split_at(e_at);
    let exp: i32 = std::str::from_utf8(exp_text.get(1..).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut digit_buf = [0u8; 17];
    let mut n = 0;
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        if let Some(slot) = digit_buf.get_mut(n) {
            *slot = b;
            n += 1;
        }
    }
    // Significant digits without trailing zeros ("%g" drops them), at least one.
    let mut sig = n;
    while sig > 1 && digit_buf[sig - 1] == b'0' {
        sig -= 1;
    }
    let digits = &digit_buf[..sig];

    let mut out = Out { buf, len: 0 };
    if negative {
        out.push(b'-');
    }
    if (-4..17).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for i in 0..int_len {
                out.push(digits.get(i).copied().unwrap_or(b'0'));
            }
            if let Some(frac) = digits.get(int_len..).filter(|f| !f.is_empty()) {
                out.push(b'.');
                out.extend(frac);
            }
        } else {
            out.extend(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend(digits);
        }
    } else {
        out.extend(&digits[..1]);
        if let Some(frac) = digits.get(1..).filter(|f| !f.is_empty()) {
            out.push(b'.');
            out.extend(frac);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let mag = exp.unsigned_abs();
        if mag < 10 {
            out.push(b'0');
        }
        let mut ibuf = [0u8; INT_BUF_LEN];
        let start = format_u64(u64::from(mag), &mut ibuf);
        out.extend(&ibuf[start..]);
    }
    out.len
}

/// Appends to a fixed buffer, dropping what does not fit (nothing, for a double).
struct Out<'a> {
    buf: &'a mut [u8; DOUBLE_BUF_LEN],
    len: usize,
}

impl Out<'_> {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g17(d: f64) -> String {
        let mut buf = [0u8; DOUBLE_BUF_LEN];
        let n = format_double(d, &mut buf);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn parse_ll_matches_string2ll() {
        assert_eq!(parse_ll(b"0"), Some(0));
        assert_eq!(parse_ll(b"3"), Some(3));
        assert_eq!(parse_ll(b"-1"), Some(-1));
        assert_eq!(parse_ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999",
            b"000000000000000000001",
        ] {
            assert_eq!(parse_ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn format_u64_writes_every_width() {
        let mut buf = [0u8; INT_BUF_LEN];
        for v in [0, 7, 10, 99, 100, 12345, u64::MAX] {
            let start = format_u64(v, &mut buf);
            assert_eq!(&buf[start..], v.to_string().as_bytes());
            assert_eq!(digits(v), v.to_string().len());
        }
        assert_eq!(i64_len(i64::MIN), i64::MIN.to_string().len());
        assert_eq!(i64_len(-5), 2);
    }

    #[test]
    fn doubles_format_like_printf_17g() {
        // Expected values are glibc's printf("%.17g") output.
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.1, "0.10000000000000001"),
            (2.675, "2.6749999999999998"),
            (100.0, "100"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1.5e17, "1.5e+17"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1e-300, "1e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(d, want) in cases {
            assert_eq!(g17(d), want, "{d:e}");
        }
    }
}
