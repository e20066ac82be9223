//! Strict integer parsing and formatting, as Redis's `string2ll()` and `ll2string()` in util.c.

use bytes::Bytes;

/// Parses a signed 64-bit integer the way `string2ll()` does (`ferrodis_resp`'s
/// implementation): optional `-`, then digits without leading zeros, nothing else.
///
/// Because of these rules, the accepted text is exactly what [`format_i64`] prints
/// for the result, which lets a string value be stored as an integer losslessly.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    ferrodis_resp::parse_i64(s)
}

/// Writes the decimal form of `v` into `buf` and returns the used tail.
pub(crate) fn format_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// The decimal form of `v` as a fresh `Bytes`.
pub(crate) fn i64_to_bytes(v: i64) -> Bytes {
    let mut buf = [0u8; 20];
    Bytes::copy_from_slice(format_i64(v, &mut buf))
}

/// Number of bytes of the decimal form of `v` (Redis's `sdigits10()`).
pub(crate) fn i64_len(v: i64) -> usize {
    let mut buf = [0u8; 20];
    format_i64(v, &mut buf).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_canonical_integers_only() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
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
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn formats_round_trip() {
        for v in [0, 1, -1, 42, i64::MAX, i64::MIN, 1000, -1000] {
            let b = i64_to_bytes(v);
            assert_eq!(b, v.to_string().as_bytes());
            assert_eq!(parse_i64(&b), Some(v));
            assert_eq!(i64_len(v), b.len());
        }
    }
}
