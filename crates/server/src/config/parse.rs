//! Number parsers with the exact acceptance rules of Redis's util.c.

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros
/// ("0" alone is fine); no spaces, no `+`, no overflow.
pub fn string2ll(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis's `memtoull`: digits followed by an optional unit (`b`, `k`=1000,
/// `kb`=1024, `m`, `mb`, `g`, `gb`, any case). Like Redis, an empty number
/// ("" or "kb") reads as 0. Unlike Redis, which wraps around silently, values
/// that overflow 64 bits are rejected.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut v: u64 = 0;
    for d in digits.bytes() {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    v.checked_mul(mul)
}

/// C's `strtoll(s, &end, base)` where the caller requires `*end == '\0'`:
/// leading blanks and a sign are allowed, "" reads as 0 (no digits but the end
/// is reached), and overflow saturates like strtoll does.
pub fn strtoll_full(s: &str, radix: u32) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        // Blanks only: strtoll leaves `end` at the start, which is a blank.
        return if s.is_empty() { Some(0) } else { None };
    }
    let (negative, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mut v: i128 = 0;
    for c in digits.chars() {
        let d = i128::from(c.to_digit(radix)?);
        v = (v * i128::from(radix) + d).min(i128::from(u64::MAX));
    }
    let v = if negative { -v } else { v };
    Some(i64::try_from(v).unwrap_or(if negative { i64::MIN } else { i64::MAX }))
}

/// Redis's `string2d`-style float parsing: no blanks, no trailing junk, no NaN.
pub fn string2d(s: &str) -> Option<f64> {
    if s.is_empty() || s.starts_with(char::is_whitespace) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// Formats a byte count the way CONFIG REWRITE does: `Ngb`, `Nmb`, `Nkb` when
/// it divides evenly, else plain bytes.
pub fn format_memory(bytes: i128) -> String {
    const KB: i128 = 1024;
    const MB: i128 = 1024 * 1024;
    const GB: i128 = 1024 * 1024 * 1024;
    match bytes {
        0 => "0".to_string(),
        b if b % GB == 0 => format!("{}gb", b / GB),
        b if b % MB == 0 => format!("{}mb", b / MB),
        b if b % KB == 0 => format!("{}kb", b / KB),
        b => b.to_string(),
    }
}

/// `%f` followed by Redis's trimDoubleString: "99.900000" -> "99.9", "50.000000" -> "50".
pub fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(string2ll("0"), Some(0));
        assert_eq!(string2ll("-2"), Some(-2));
        assert_eq!(string2ll("9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "-",
            "+5",
            " 5",
            "5 ",
            "05",
            "-0",
            "9223372036854775808",
            "1k",
            "0x10",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("100"), Some(100));
        assert_eq!(memtoull("1b"), Some(1));
        assert_eq!(memtoull("1k"), Some(1000));
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("1KB"), Some(1024));
        assert_eq!(memtoull("2m"), Some(2_000_000));
        assert_eq!(memtoull("2mB"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull("3g"), Some(3_000_000_000));
        assert_eq!(memtoull("3Gb"), Some(3 * 1024 * 1024 * 1024));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("gb"), Some(0));
        assert_eq!(memtoull("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "-1",
            "1xb",
            "1.5g",
            " 1",
            "1 ",
            "1tb",
            "18446744073709551616",
            "20000000000gb",
        ] {
            assert_eq!(memtoull(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strtoll_rules() {
        assert_eq!(strtoll_full("", 10), Some(0));
        assert_eq!(strtoll_full("+5", 10), Some(5));
        assert_eq!(strtoll_full(" -5", 10), Some(-5));
        assert_eq!(strtoll_full("777", 8), Some(511));
        assert_eq!(strtoll_full("99999999999999999999", 10), Some(i64::MAX));
        for bad in [" ", "5 ", "x", "-", "1.5"] {
            assert_eq!(strtoll_full(bad, 10), None, "{bad:?}");
        }
        assert_eq!(strtoll_full("8", 8), None);
    }

    #[test]
    fn floats_and_formats() {
        assert_eq!(string2d("99.9"), Some(99.9));
        assert_eq!(string2d(" 1"), None);
        assert_eq!(string2d("nan"), None);
        assert_eq!(string2d("x"), None);
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(0.5), "0.5");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1024 * 1024 * 1024), "1gb");
        assert_eq!(format_memory(64 * 1024 * 1024), "64mb");
        assert_eq!(format_memory(3 * 1024), "3kb");
        assert_eq!(format_memory(1000), "1000");
    }
}
