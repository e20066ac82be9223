//! RDB's variable-length integers (layout in `format.rs`, "Length encoding").

use crate::format::length::{
    BITS14, BITS32, BITS64, ENCODED, ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, MAX_14BIT, MAX_32BIT,
    MAX_6BIT, TYPE_MASK, VALUE_MASK,
};
use crate::{Error, Result};

/// What a length prefix says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Length {
    /// A plain length or count.
    Len(u64),
    /// Not a length: a specially encoded string follows (only valid where a
    /// string is expected).
    Encoded(StringEncoding),
}

/// The special string encodings of a `11xxxxxx` prefix (`RDB_ENC_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringEncoding {
    /// One signed byte follows.
    Int8,
    /// A little-endian `i16` follows.
    Int16,
    /// A little-endian `i32` follows.
    Int32,
    /// `<length compressed> <length original>` and the LZF bytes follow.
    Lzf,
}

/// Reads one length prefix from the start of `input`.
///
/// Returns what it says and how many bytes it took (1, 2, 5 or 9), or
/// `Ok(None)` if `input` ends inside it. Accepts non-shortest forms, as Redis
/// does (a 32-bit form holding 5 is 5). The value is not checked against any
/// limit: callers compare it with what they are willing to allocate.
pub fn read_length(input: &[u8]) -> Result<Option<(Length, usize)>> {
    let Some(&first) = input.first() else {
        return Ok(None);
    };
    let read = match first & TYPE_MASK {
        0x00 => Some((Length::Len(u64::from(first & VALUE_MASK)), 1)),
        BITS14 => input.get(1).map(|&low| {
            let len = (u64::from(first & VALUE_MASK) << 8) | u64::from(low);
            (Length::Len(len), 2)
        }),
        ENCODED => {
            let encoding = match first & VALUE_MASK {
                ENC_INT8 => StringEncoding::Int8,
                ENC_INT16 => StringEncoding::Int16,
                ENC_INT32 => StringEncoding::Int32,
                ENC_LZF => StringEncoding::Lzf,
                value => return Err(Error::UnknownStringEncoding { offset: 0, value }),
            };
            Some((Length::Encoded(encoding), 1))
        }
        _ => match first {
            BITS32 => input
                .get(1..5)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|b| (Length::Len(u64::from(u32::from_be_bytes(b))), 5)),
            BITS64 => input
                .get(1..9)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(|b| (Length::Len(u64::from_be_bytes(b)), 9)),
            byte => return Err(Error::InvalidLengthEncoding { offset: 0, byte }),
        },
    };
    Ok(read)
}

/// Appends `len` in the shortest form, as `rdbSaveLen` does.
pub fn write_length(len: u64, out: &mut Vec<u8>) {
    if len <= MAX_6BIT {
        out.push(len as u8);
    } else if len <= MAX_14BIT {
        out.push(BITS14 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= MAX_32BIT {
        out.push(BITS32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(BITS64);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(len: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_length(len, &mut out);
        out
    }

    #[test]
    fn each_form_at_its_boundaries() {
        assert_eq!(written(0), [0x00]);
        assert_eq!(written(63), [0x3F]);
        assert_eq!(written(64), [0x40, 0x40]);
        assert_eq!(written(16383), [0x7F, 0xFF]);
        assert_eq!(written(16384), [0x80, 0x00, 0x00, 0x40, 0x00]);
        assert_eq!(written(u64::from(u32::MAX)), [0x80, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(
            written(1 << 32),
            [0x81, 0, 0, 0, 1, 0, 0, 0, 0],
            "64-bit form is big-endian"
        );
    }

    #[test]
    fn reads_the_special_encodings() {
        for (byte, enc) in [
            (0xC0, StringEncoding::Int8),
            (0xC1, StringEncoding::Int16),
            (0xC2, StringEncoding::Int32),
            (0xC3, StringEncoding::Lzf),
        ] {
            assert_eq!(read_length(&[byte]), Ok(Some((Length::Encoded(enc), 1))));
        }
        assert_eq!(
            read_length(&[0xC4]),
            Err(Error::UnknownStringEncoding {
                offset: 0,
                value: 4
            })
        );
        assert_eq!(
            read_length(&[0xFF]).unwrap_err().to_string(),
            "unknown rdb string encoding 63 at offset 0"
        );
    }

    #[test]
    fn refuses_unknown_10_forms() {
        for byte in 0x82..=0xBF {
            assert_eq!(
                read_length(&[byte, 0, 0, 0, 0, 0, 0, 0, 0]),
                Err(Error::InvalidLengthEncoding { offset: 0, byte })
            );
        }
    }

    #[test]
    fn accepts_non_shortest_forms() {
        assert_eq!(
            read_length(&[0x80, 0, 0, 0, 5]),
            Ok(Some((Length::Len(5), 5)))
        );
        assert_eq!(read_length(&[0x40, 0x05]), Ok(Some((Length::Len(5), 2))));
    }

    #[test]
    fn truncated_input_needs_more() {
        assert_eq!(read_length(&[]), Ok(None));
        assert_eq!(read_length(&[0x40]), Ok(None));
        assert_eq!(read_length(&[0x80, 0, 0, 0]), Ok(None));
        assert_eq!(read_length(&[0x81, 0, 0, 0, 0, 0, 0, 0]), Ok(None));
    }

    #[test]
    fn lengths_in_real_files() {
        // zset-ziplist.rdb: "redis-ver" aux key is 9 bytes, then "255.255.255" (11).
        assert_eq!(read_length(b"\x09redis-ver"), Ok(Some((Length::Len(9), 1))));
        // rdb-preamble.aof: ctime aux value c2 d6 10 cb 61 is an int32 string.
        assert_eq!(
            read_length(&[0xC2, 0xD6, 0x10, 0xCB, 0x61]),
            Ok(Some((Length::Encoded(StringEncoding::Int32), 1)))
        );
    }

    proptest! {
        #[test]
        fn round_trip(len in prop_oneof![
            0u64..=70,
            16_000u64..=17_000,
            any::<u32>().prop_map(u64::from),
            any::<u64>(),
        ], tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut bytes = written(len);
            let used = bytes.len();
            bytes.extend_from_slice(&tail);
            prop_assert_eq!(read_length(&bytes), Ok(Some((Length::Len(len), used))));
            for cut in 0..used {
                prop_assert_eq!(read_length(&bytes[..cut]), Ok(None));
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..10)) {
            if let Ok(Some((_, used))) = read_length(&bytes) {
                prop_assert!(used <= bytes.len());
            }
        }
    }
}
