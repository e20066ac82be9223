//! Exact emulation of x86-64 `long double` arithmetic, for INCRBYFLOAT.
//!
//! Redis computes INCRBYFLOAT in `long double`: `strtold()` on both operands, one
//! addition, then `"%.17Lf"` with trailing zeros removed (`string2ld()` and
//! `ld2string(..., LD_STR_HUMAN)` in util.c). On x86-64 that type is the x87 80-bit
//! format: a 64-bit significand and exponents down to 2^-16445 (subnormals) and up to
//! just below 2^16384. `f64` would give visibly different answers (0.1 + 0.2 would
//! print as 0.30000000000000004 where Redis prints 0.3), so this module reproduces
//! the format exactly: correctly rounded parsing of decimal and hex input, addition
//! rounded to nearest-even, and exact decimal output.

use crate::bignum::Big;

/// Weight of the lowest significand bit of the smallest subnormal: 2^(-16382-63).
const MIN_EXP: i64 = -16445;
/// Largest `exp` of a finite value: the biggest is (2^64-1) * 2^16320.
const MAX_EXP: i64 = 16320;
/// `MAX_LONG_DOUBLE_CHARS`: string2ld() rejects inputs of this length or more.
const MAX_CHARS: usize = 5 * 1024;
/// Digits after the point in `"%.17Lf"`, and 10 to that power.
const FRAC_DIGITS: usize = 17;
const FRAC_SCALE: u128 = 100_000_000_000_000_000;

/// An extended-precision value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum LongDouble {
    /// `(-1)^neg * mant * 2^exp`. Invariant: `mant` has bit 63 set, or `exp` is
    /// `MIN_EXP` (subnormals and zero).
    Finite {
        neg: bool,
        mant: u64,
        exp: i64,
    },
    Inf {
        neg: bool,
    },
    Nan,
}

use LongDouble::{Finite, Inf, Nan};

fn zero(neg: bool) -> LongDouble {
    Finite {
        neg,
        mant: 0,
        exp: MIN_EXP,
    }
}

impl LongDouble {
    /// Redis's `string2ld()`: the whole input must be one number as `strtold()` reads
    /// it (decimal or `0x` hex, `inf`/`infinity`), with no leading space, no NaN, and
    /// no overflow or underflow to zero. Subnormal results are accepted.
    pub(crate) fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Inf { neg });
        }
        match body {
            [b'0', b'x' | b'X', hex @ ..] => parse_hex(neg, hex),
            _ => parse_decimal(neg, body),
        }
    }

    /// The exact value of an integer (every `i64` fits in 64 significand bits).
    pub(crate) fn from_i64(v: i64) -> LongDouble {
        round(v < 0, u128::from(v.unsigned_abs()), 0, false)
    }

    pub(crate) fn is_finite(self) -> bool {
        matches!(self, Finite { .. })
    }

    /// `self + other`, rounded to nearest-even as the x87 FPU does.
    pub(crate) fn add(self, other: LongDouble) -> LongDouble {
        let (a, b) = match (self, other) {
            (Nan, _) | (_, Nan) => return Nan,
            (Inf { neg: x }, Inf { neg: y }) => return if x == y { self } else { Nan },
            (Inf { .. }, _) => return self,
            (_, Inf { .. }) => return other,
            (
                Finite { neg, mant, exp },
                Finite {
                    neg: n2,
                    mant: m2,
                    exp: e2,
                },
            ) => ((neg, mant, exp), (n2, m2, e2)),
        };
        match (a.1, b.1) {
            (0, 0) => return zero(a.0 && b.0),
            (0, _) => return other,
            (_, 0) => return self,
            _ => {}
        }
        // With the invariant, the larger exponent has the larger (or equal) top bit.
        let ((xn, xm, xe), (yn, ym, ye)) = if a.2 >= b.2 { (a, b) } else { (b, a) };
        let d = xe - ye;
        // 62 guard bits below the 64 significand bits; what is shifted out of `y`
        // beyond them only matters as a sticky bit.
        let x = u128::from(xm) << 62;
        let y_full = u128::from(ym) << 62;
        let (y, sticky) = if d >= 126 {
            (0, true)
        } else {
            (y_full >> d, y_full & ((1u128 << d) - 1) != 0)
        };
        let e = xe - 62;
        if xn == yn {
            round(xn, x + y, e, sticky)
        } else if x > y {
            // The true `y` is a fraction above the truncated one: borrow one unit and
            // keep the sticky bit (exact while at least two guard bits remain).
            round(xn, x - y - u128::from(sticky), e, sticky)
        } else if y > x {
            round(yn, y - x, e, false)
        } else {
            zero(false)
        }
    }

    /// `"%.17Lf"` with trailing zeros (and a trailing point) removed, and `-0` as
    /// `0`: the text INCRBYFLOAT stores and replies with. Infinities print as
    /// `inf`/`-inf` like ld2string().
    pub(crate) fn to_human(self) -> Vec<u8> {
        let (neg, mant, exp) = match self {
            Finite { neg, mant, exp } => (neg, mant, exp),
            Inf { neg } => {
                return if neg {
                    b"-inf".to_vec()
                } else {
                    b"inf".to_vec()
                }
            }
            Nan => return b"nan".to_vec(),
        };
        let mut out = Vec::new();
        if neg {
            out.push(b'-');
        }
        if exp >= 0 {
            let mut n = Big::from_u128(u128::from(mant));
            n.shl(exp as u64);
            out.extend_from_slice(&n.to_decimal());
        } else {
            let f = exp.unsigned_abs();
            let (int_part, frac) = if f < 64 {
                (mant >> f, mant & ((1u64 << f) - 1))
            } else {
                (0, mant)
            };
            // frac < 2^64 and 10^17 < 2^57, so this fits.
            let scaled = u128::from(frac) * FRAC_SCALE;
            let mut digits = 0u128;
            if f < 128 {
                digits = scaled >> f;
                let rem = scaled & ((1u128 << f) - 1);
                let half = 1u128 << (f - 1);
                if rem > half || (rem == half && digits & 1 == 1) {
                    digits += 1;
                }
            }
            // (With f >= 128, scaled < 2^121 is below half a unit: it rounds to 0.)
            let mut int_part = u128::from(int_part);
            if digits == FRAC_SCALE {
                digits = 0;
                int_part += 1;
            }
            out.extend_from_slice(int_part.to_string().as_bytes());
            if digits != 0 {
                let text = format!("{digits:0width$}", width = FRAC_DIGITS);
                out.push(b'.');
                out.extend_from_slice(text.trim_end_matches('0').as_bytes());
            }
        }
        if out == b"-0" {
            out.remove(0);
        }
        out
    }
}

/// Rounds `m * 2^e` (plus something below its last bit when `sticky`) to the
/// format, nearest-even. When `sticky`, `m` must have at least 66 bits so that the
/// rounding bit is inside `m`.
fn round(neg: bool, m: u128, e: i64, sticky: bool) -> LongDouble {
    if m == 0 {
        return zero(neg);
    }
    let bits = i64::from(128 - m.leading_zeros());
    let lsb = (e + bits - 64).max(MIN_EXP);
    let shift = lsb - e;
    let mut mant = if shift <= 0 {
        m << (-shift)
    } else if shift > 128 {
        0 // below half of the smallest subnormal
    } else {
        let q = if shift == 128 { 0 } else { m >> shift };
        let rem = if shift == 128 {
            m
        } else {
            m & ((1u128 << shift) - 1)
        };
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || q & 1 == 1));
        q + u128::from(up)
    };
    let mut exp = lsb;
    if mant == 1 << 64 {
        mant >>= 1;
        exp += 1;
    }
    if exp > MAX_EXP {
        return Inf { neg };
    }
    Finite {
        neg,
        mant: mant as u64,
        exp,
    }
}

/// Decimal `strtold()` input after the sign: digits, optional point and digits
/// (at least one digit in all), optional exponent.
fn parse_decimal(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut digits = Big::default();
    let (mut seen_digit, mut significant, mut frac_digits) = (false, 0u64, 0i64);
    let mut i = 0;
    let mut in_frac = false;
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                if significant > 0 || c != b'0' {
                    digits.mul_add_small(10, u32::from(c - b'0'));
                    significant += 1;
                }
                frac_digits += i64::from(in_frac);
            }
            b'.' if !in_frac => in_frac = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    let exp10 = parse_exponent(&s[i..], b'e')? - frac_digits;
    if digits.is_zero() {
        return Some(zero(neg));
    }
    // The value lies in [10^(mag-1), 10^mag). The largest finite value is about
    // 1.19e4932 and half the smallest subnormal about 1.8e-4951.
    let mag = significant as i64 + exp10;
    if !(-4950..=4933).contains(&mag) {
        return None;
    }
    if exp10 >= 0 {
        digits.mul_pow10(exp10 as u64);
        return in_range(round_big(neg, &digits, 0));
    }
    // digits / 10^-exp10: scale so the quotient has 68 or 69 bits, plus a sticky bit.
    let mut den = Big::pow10(exp10.unsigned_abs());
    let k = 68 + den.bit_len() as i64 - digits.bit_len() as i64;
    if k >= 0 {
        digits.shl(k as u64);
    } else {
        den.shl(k.unsigned_abs());
    }
    let (q, sticky) = digits.div_small_quotient(&den);
    in_range(round(neg, q, -k, sticky))
}

/// A non-zero input that rounded to infinity or zero is out of range: `strtold()`
/// sets ERANGE and returns HUGE_VALL or 0, which string2ld() rejects.
fn in_range(v: LongDouble) -> Option<LongDouble> {
    match v {
        Finite { mant: 0, .. } | Inf { .. } | Nan => None,
        v => Some(v),
    }
}

/// Hex `strtold()` input after `0x`: hex digits with an optional point, then an
/// optional binary exponent `p[+-]digits`.
fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let mut digits = Big::default();
    let (mut seen_digit, mut frac_digits, mut in_frac) = (false, 0i64, false);
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if let Some(v) = (c as char).to_digit(16) {
            seen_digit = true;
            digits.mul_add_small(16, v);
            frac_digits += i64::from(in_frac);
        } else if c == b'.' && !in_frac {
            in_frac = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    let exp2 = parse_exponent(&s[i..], b'p')? - 4 * frac_digits;
    if digits.is_zero() {
        return Some(zero(neg));
    }
    let top = digits.bit_len() as i64 - 1 + exp2;
    if !(-16447..=16383).contains(&top) {
        return None;
    }
    in_range(round_big(neg, &digits, exp2))
}

/// An optional exponent introduced by `marker` (either case) that must end the input;
/// absurd exponents saturate, which still overflows or underflows as it should.
fn parse_exponent(s: &[u8], marker: u8) -> Option<i64> {
    let Some((&m, rest)) = s.split_first() else {
        return Some(0);
    };
    if m.to_ascii_lowercase() != marker {
        return None;
    }
    let (neg, rest) = match rest.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, rest),
    };
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = rest.iter().fold(0i64, |acc, &c| {
        (acc * 10 + i64::from(c - b'0')).min(1_000_000_000)
    });
    Some(if neg { -v } else { v })
}

/// Rounds the big integer `n * 2^e`.
fn round_big(neg: bool, n: &Big, e: i64) -> LongDouble {
    let (top, shift, sticky) = n.top_u128();
    round(neg, top, e + shift as i64, sticky)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> Option<String> {
        let a = LongDouble::parse(a.as_bytes())?;
        let b = LongDouble::parse(b.as_bytes())?;
        let sum = a.add(b);
        sum.is_finite()
            .then(|| String::from_utf8_lossy(&sum.to_human()).into_owned())
    }

    /// Results of `SET x a; INCRBYFLOAT x b` on redis-server 7.0.15 (x86-64).
    #[test]
    fn matches_redis() {
        let cases = [
            ("0.1", "0.2", "0.3"),
            ("10.5", "0.1", "10.6"),
            ("5.0e3", "2.0e2", "5200"),
            ("1", "1.1", "2.1"),
            ("-0", "0", "0"),
            ("-0.0000000000000000001", "0", "0"),
            ("0.000003814697265625", "0", "0.00000381469726562"),
            ("0.000003814697265626", "0", "0.00000381469726563"),
            ("0x1p3", "0", "8"),
            ("0X1.8P1", "0", "3"),
            ("+1", ".5", "1.5"),
            ("5.", "0", "5"),
            ("00012", "0", "12"),
            ("1e+2", "1E-2", "100.01"),
            ("1e-4940", "0", "0"),
            ("9223372036854775808", "0", "9223372036854775808"),
            ("0xbb1818e811.1dbp29", "0.16", "431409691825030955008"),
            ("-7.413e+19", "0.6712768426846", "-74130000000000000000"),
            ("0x85d86f40f6.bbcp-58", "1.1", "1.10000199445258972"),
            ("-8.282e+19", "-314.72832", "-82820000000000000312"),
            (
                "0.11440242646288975140261401419",
                "0.417",
                "0.53140242646288975",
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(incr(a, b).as_deref(), Some(want), "{a} + {b}");
        }
    }

    #[test]
    fn huge_values_print_every_digit() {
        let want = concat!(
            "1000000000000000000028188068394758651458645343362905203862591069353968553400862986203936",
            "3994848324160522094053927317616200295822777259255734023828976593340661017797447434546173",
            "9178624481166749717237789438243915933380474706750262466844013592375136038303437354855052",
            "4495596497902182503828009106841494740245689865304095101751265809261582758892018347251164",
            "3316591362664138176309734806343732497430221946880",
        );
        assert_eq!(incr("5200", "1e400").as_deref(), Some(want));
        let got = incr("0", "1.1e4932").unwrap_or_default();
        assert_eq!(got.len(), 4933);
        assert!(got.starts_with(concat!(
            "1099999999999999999974373107528241817659030869279043407734988001817024145106513112504247",
            "5079893348785202483082813610394780329348832653068742475582191802966326158797692844261444",
        )));
    }

    #[test]
    fn rejects_what_string2ld_rejects() {
        for bad in [
            "",
            " 1",
            "1 ",
            "1e",
            "1e+",
            "nan",
            "NaN",
            "-nan",
            "0x",
            "0x.p1",
            "1_0",
            ".",
            "-",
            "e5",
            "1.2e4932",
            "1e-4960",
            "1e-5000",
            "0x1p16384",
            "0x1p-16500",
            "1..2",
            "1e5.5",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(LongDouble::parse("1".repeat(MAX_CHARS).as_bytes()), None);
        let long_one = format!("1.{}", "0".repeat(MAX_CHARS - 3));
        assert_eq!(
            LongDouble::parse(long_one.as_bytes()),
            LongDouble::parse(b"1")
        );
    }

    #[test]
    fn infinities_parse_but_do_not_add_up() {
        for inf in ["inf", "-INF", "infinity", "+Infinity"] {
            assert!(
                matches!(LongDouble::parse(inf.as_bytes()), Some(Inf { .. })),
                "{inf}"
            );
        }
        assert_eq!(incr("inf", "1"), None);
        assert_eq!(incr("1e4932", "1e4932"), None, "overflow");
        assert_eq!(incr("inf", "-inf"), None);
        assert_eq!(
            LongDouble::parse(b"inf").map(|v| v.to_human()),
            Some(b"inf".to_vec())
        );
    }

    #[test]
    fn zeros_and_exact_cancellation() {
        assert_eq!(incr("0e-99999", "0").as_deref(), Some("0"));
        assert_eq!(incr("1.5", "-1.5").as_deref(), Some("0"));
        assert_eq!(incr("-0", "-0").as_deref(), Some("0"));
        assert_eq!(LongDouble::from_i64(0).to_human(), b"0");
    }

    #[test]
    fn integers_are_exact() {
        for v in [i64::MIN, i64::MAX, -1, 1, 1 << 62, 123456789] {
            assert_eq!(
                LongDouble::from_i64(v).to_human(),
                v.to_string().into_bytes()
            );
        }
        assert_eq!(
            incr("9223372036854775807", "1").as_deref(),
            Some("9223372036854775808")
        );
    }

    #[test]
    fn subnormals_survive_addition() {
        let tiny = LongDouble::parse(b"0x1p-16445").unwrap_or(Nan);
        assert_eq!(
            tiny,
            Finite {
                neg: false,
                mant: 1,
                exp: MIN_EXP
            }
        );
        assert_eq!(
            tiny.add(tiny),
            Finite {
                neg: false,
                mant: 2,
                exp: MIN_EXP
            }
        );
        let min_normal = LongDouble::parse(b"0x1p-16382").unwrap_or(Nan);
        assert_eq!(
            min_normal,
            Finite {
                neg: false,
                mant: 1 << 63,
                exp: MIN_EXP
            }
        );
    }
}
