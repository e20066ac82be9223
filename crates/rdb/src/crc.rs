//! The CRC-64 that guards RDB files (Redis's `crc64.c`).
//!
//! Redis uses the "Jones" polynomial 0xad93d23594c935a9, reflected in and out,
//! init 0, xorout 0; its self-test expects check("123456789") = 0xe9c6d914c4b8d9ca.
//! That is the catalogue's CRC-64/REDIS, which the `crc` crate ships as
//! `CRC_64_REDIS`. `crc64fast` cannot be used: it computes CRC-64/XZ (the
//! ECMA-182 polynomial 0x42f0e1eba9ea3693, init and xorout all ones), which
//! never matches a checksum Redis wrote.

use crc::{Crc, Table, CRC_64_REDIS};

/// Slice-by-16 tables, built at compile time (32 KiB).
const REDIS: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

/// Continues a CRC-64/REDIS over `bytes`, the way Redis's `crc64(crc, s, l)` does.
///
/// Start with `initial = 0`; feeding a file in pieces gives the same value as
/// feeding it whole: `crc64(crc64(0, a), b) == crc64(0, a ++ b)`. An RDB file's
/// stored checksum is `crc64(0, everything before the 8-byte trailer)`.
///
/// ```
/// assert_eq!(ferrodis_rdb::crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
/// let part = ferrodis_rdb::crc64(0, b"1234");
/// assert_eq!(ferrodis_rdb::crc64(part, b"56789"), 0xe9c6d914c4b8d9ca);
/// ```
pub fn crc64(initial: u64, bytes: &[u8]) -> u64 {
    // Redis passes its running register around as is (reflected, xorout 0, so
    // register == result). The `crc` crate takes `initial` in the catalogue's
    // unreflected form and bit-reverses it for reflected algorithms, so hand it
    // the reverse to continue from exactly `initial`.
    let mut digest = REDIS.digest_with_initial(initial.reverse_bits());
    digest.update(bytes);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bit-at-a-time reference straight from the algorithm's definition.
    fn reference(mut crc: u64, bytes: &[u8]) -> u64 {
        const POLY_REFLECTED: u64 = 0xad93d23594c935a9u64.reverse_bits();
        for &b in bytes {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn check_value_matches_redis_self_test() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(reference(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn empty_input_keeps_the_register() {
        assert_eq!(crc64(0, b""), 0);
        assert_eq!(crc64(0xe9c6d914c4b8d9ca, b""), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn differs_from_crc64_xz() {
        // CRC-64/XZ's check value; a crc64fast-style checksum would produce this.
        assert_ne!(crc64(0, b"123456789"), 0x995dc9bbdf1939fa);
    }

    proptest! {
        #[test]
        fn matches_reference(bytes in proptest::collection::vec(any::<u8>(), 0..300), start in any::<u64>()) {
            prop_assert_eq!(crc64(start, &bytes), reference(start, &bytes));
        }

        #[test]
        fn pieces_equal_whole(bytes in proptest::collection::vec(any::<u8>(), 0..300), cut in any::<prop::sample::Index>()) {
            let cut = cut.index(bytes.len() + 1);
            let (a, b) = bytes.split_at(cut);
            prop_assert_eq!(crc64(crc64(0, a), b), crc64(0, &bytes));
        }
    }
}
