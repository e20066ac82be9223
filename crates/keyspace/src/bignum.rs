//! A minimal unsigned big integer: just what exact decimal/binary float conversion needs.

use std::cmp::Ordering;

/// An unsigned integer of any size: little-endian 32-bit limbs, no high zero limbs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub(crate) fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    /// `10^n`.
    pub(crate) fn pow10(n: u64) -> Big {
        let mut b = Big::from_u128(1);
        b.mul_pow10(n);
        b
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Number of significant bits (0 for zero).
    pub(crate) fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
        }
    }

    /// `self = self * m + a`.
    pub(crate) fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= 10^n`.
    pub(crate) fn mul_pow10(&mut self, mut n: u64) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        if n > 0 {
            self.mul_add_small(10u32.pow(n as u32), 0);
        }
    }

    /// `self <<= bits`.
    pub(crate) fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let (words, rest) = ((bits / 32) as usize, (bits % 32) as u32);
        if rest != 0 {
            let mut carry = 0u32;
            for limb in &mut self.limbs {
                let v = (*limb << rest) | carry;
                carry = *limb >> (32 - rest);
                *limb = v;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if words > 0 {
            let mut shifted = vec![0; words];
            shifted.extend_from_slice(&self.limbs);
            self.limbs = shifted;
        }
    }

    /// `self >>= 1`.
    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.limbs.iter_mut().rev() {
            let v = (*limb >> 1) | carry;
            carry = *limb << 31;
            *limb = v;
        }
        self.trim();
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let o = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut v = i64::from(*limb) - o - borrow;
            borrow = i64::from(v < 0);
            if v < 0 {
                v += 1 << 32;
            }
            *limb = v as u32;
        }
        debug_assert_eq!(borrow, 0, "subtraction underflow");
        self.trim();
    }

    /// `self /= d`, returning the remainder.
    fn div_rem_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// The top bits: `(top, shift, sticky)` with `self = top * 2^shift + rest`, where
    /// `top` has at most 128 bits and `sticky` tells whether `rest` is non-zero.
    pub(crate) fn top_u128(&self) -> (u128, u64, bool) {
        let bits = self.bit_len();
        let shift = bits.saturating_sub(128);
        let mut top = 0u128;
        for i in (0..bits - shift).rev() {
            top = (top << 1) | u128::from(self.bit(i + shift));
        }
        let sticky = (0..shift).any(|i| self.bit(i));
        (top, shift, sticky)
    }

    fn bit(&self, i: u64) -> bool {
        let limb = self.limbs.get((i / 32) as usize).copied().unwrap_or(0);
        (limb >> (i % 32)) & 1 == 1
    }

    /// `(self / den, self % den != 0)` for a quotient known to fit in 127 bits.
    pub(crate) fn div_small_quotient(mut self, den: &Big) -> (u128, bool) {
        let (nb, db) = (self.bit_len(), den.bit_len());
        if nb < db {
            return (0, !self.is_zero());
        }
        let shift = nb - db;
        debug_assert!(shift < 127, "quotient too large");
        let mut d = den.clone();
        d.shl(shift);
        let mut q = 0u128;
        for _ in 0..=shift {
            q <<= 1;
            if self >= d {
                self.sub_assign(&d);
                q |= 1;
            }
            d.shr1();
        }
        (q, !self.is_zero())
    }

    /// Decimal digits, most significant first ("0" for zero).
    pub(crate) fn to_decimal(&self) -> Vec<u8> {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_rem_small(1_000_000_000));
        }
        let mut out = match chunks.pop() {
            None => return b"0".to_vec(),
            Some(top) => top.to_string().into_bytes(),
        };
        for chunk in chunks.iter().rev() {
            out.extend_from_slice(format!("{chunk:09}").as_bytes());
        }
        out
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_powers() {
        assert_eq!(Big::pow10(0).to_decimal(), b"1");
        assert_eq!(
            Big::pow10(30).to_decimal(),
            format!("1{}", "0".repeat(30)).as_bytes()
        );
        assert_eq!(Big::default().to_decimal(), b"0");
        let mut b = Big::from_u128(1);
        b.shl(100);
        assert_eq!(b.to_decimal(), b"1267650600228229401496703205376");
        assert_eq!(b.bit_len(), 101);
    }

    #[test]
    fn top_bits_and_sticky() {
        let mut b = Big::from_u128(0b1011);
        b.shl(200);
        assert_eq!(b.top_u128(), (0b1011 << 124, 76, false));
        b.mul_add_small(1, 1);
        assert_eq!(b.top_u128(), (0b1011 << 124, 76, true));
        assert_eq!(Big::from_u128(5).top_u128(), (5, 0, false));
    }

    #[test]
    fn division() {
        let num = Big::pow10(40);
        let den = Big::pow10(25);
        assert_eq!(num.div_small_quotient(&den), (10u128.pow(15), false));
        let (q, sticky) = Big::from_u128(100).div_small_quotient(&Big::from_u128(7));
        assert_eq!((q, sticky), (14, true));
        assert_eq!(
            Big::from_u128(3).div_small_quotient(&Big::from_u128(7)),
            (0, true)
        );
    }

    #[test]
    fn ordering() {
        assert!(Big::pow10(20) > Big::pow10(19));
        assert!(Big::from_u128(u128::MAX) < Big::pow10(39));
        assert_eq!(Big::from_u128(7).cmp(&Big::from_u128(7)), Ordering::Equal);
    }
}
