//! The 9-byte header: magic and version (layout in `format.rs`).

use std::fmt;

use crate::format::magic::{
    CHECKSUM_SINCE_VERSION, HEADER_LEN, REDIS, REDIS_DIGITS, REDIS_VERSION_MAX, REDIS_VERSION_MIN,
    VALKEY, VALKEY_DIGITS, VALKEY_MAGIC_ABOVE, VALKEY_VERSION_MAX, VALKEY_VERSION_MIN,
};
use crate::{Error, Result};

/// Which fork's magic a file starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Magic {
    /// `REDIS` + 4 digits: every Redis, and Valkey up to 8.x.
    Redis,
    /// `VALKEY` + 3 digits: Valkey 9.0 and later.
    Valkey,
}

impl Magic {
    /// The magic's bytes.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Magic::Redis => REDIS,
            Magic::Valkey => VALKEY,
        }
    }

    /// How many version digits follow the magic.
    fn digits(self) -> usize {
        match self {
            Magic::Redis => REDIS_DIGITS,
            Magic::Valkey => VALKEY_DIGITS,
        }
    }

    /// The versions this crate accepts with this magic.
    fn versions(self) -> (u32, u32) {
        match self {
            Magic::Redis => (REDIS_VERSION_MIN, REDIS_VERSION_MAX),
            Magic::Valkey => (VALKEY_VERSION_MIN, VALKEY_VERSION_MAX),
        }
    }

    /// The magic Valkey writes for `version`: `VALKEY` above the foreign range
    /// (`rdbUseValkeyMagic`), `REDIS` otherwise.
    fn for_version(version: u32) -> Magic {
        if version > VALKEY_MAGIC_ABOVE {
            Magic::Valkey
        } else {
            Magic::Redis
        }
    }
}

impl fmt::Display for Magic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Magic::Redis => "REDIS",
            Magic::Valkey => "VALKEY",
        })
    }
}

/// A parsed RDB header. It is always [`HEADER_LEN`] (9) bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The fork's magic.
    pub magic: Magic,
    /// The format version: 1..=12 with `REDIS`, 80..=81 with `VALKEY`.
    pub version: u32,
}

impl Header {
    /// The header for `version`, with the magic its writer would use.
    ///
    /// Fails for versions this crate does not know (0, 13..=79, above 81).
    pub fn new(version: u32) -> Result<Header> {
        let magic = Magic::for_version(version);
        check_version(magic, version)?;
        Ok(Header { magic, version })
    }

    /// Whether the file ends with a CRC-64 after the EOF opcode (version >= 5;
    /// Redis verifies it only then).
    pub fn has_checksum(&self) -> bool {
        self.version >= CHECKSUM_SINCE_VERSION
    }

    /// Appends the 9 header bytes, `REDIS%04d` or `VALKEY%03d`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.magic.as_bytes());
        let digits = self.magic.digits();
        // Checked versions are below 1000, so they fit 3 or 4 digits.
        let text = format!("{:0width$}", self.version, width = digits);
        out.extend_from_slice(text.as_bytes());
    }
}

fn check_version(magic: Magic, version: u32) -> Result<()> {
    let (min, max) = magic.versions();
    if (min..=max).contains(&version) {
        Ok(())
    } else {
        Err(Error::UnsupportedVersion {
            magic,
            version,
            min,
            max,
        })
    }
}

/// Parses the header at the start of `input`.
///
/// `Ok(None)` means "need more bytes": `input` is shorter than 9 bytes and
/// what there is could still become a valid header. A wrong byte is reported
/// as soon as it is seen, with its offset.
///
/// Unlike Redis, which runs `atoi` over the digits, every version character
/// must be an ASCII digit.
pub fn parse_header(input: &[u8]) -> Result<Option<Header>> {
    let magic = match input.first() {
        None => return Ok(None),
        Some(b'R') => Magic::Redis,
        Some(b'V') => Magic::Valkey,
        Some(&found) => {
            return Err(Error::InvalidMagic {
                offset: 0,
                expected: "\"REDIS\" or \"VALKEY\"",
                found,
            })
        }
    };
    let magic_bytes = magic.as_bytes();
    for (i, (&want, &got)) in magic_bytes.iter().zip(input).enumerate() {
        if want != got {
            return Err(Error::InvalidMagic {
                offset: i as u64,
                expected: match magic {
                    Magic::Redis => "\"REDIS\"",
                    Magic::Valkey => "\"VALKEY\"",
                },
                found: got,
            });
        }
    }
    let digits = input.get(magic_bytes.len()..).unwrap_or_default();
    let mut version = 0u32;
    for (i, &b) in digits.iter().take(magic.digits()).enumerate() {
        if !b.is_ascii_digit() {
            return Err(Error::InvalidVersionDigit {
                offset: (magic_bytes.len() + i) as u64,
                found: b,
            });
        }
        version = version * 10 + u32::from(b - b'0');
    }
    if input.len() < HEADER_LEN {
        return Ok(None);
    }
    check_version(magic, version)?;
    Ok(Some(Header { magic, version }))
}

/// Appends the header for `version` (`REDIS0010` for 10, `VALKEY080` for 80).
///
/// Fails for versions this crate does not know; see [`Header::new`].
pub fn write_header(version: u32, out: &mut Vec<u8>) -> Result<()> {
    Header::new(version)?.write(out);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(bytes: &[u8]) -> Result<Option<Header>> {
        parse_header(bytes)
    }

    #[test]
    fn parses_redis_versions() {
        let h = parse(b"REDIS0010").unwrap().unwrap();
        assert_eq!(
            h,
            Header {
                magic: Magic::Redis,
                version: 10
            }
        );
        assert!(h.has_checksum());
        assert!(!parse(b"REDIS0004").unwrap().unwrap().has_checksum());
        assert_eq!(parse(b"REDIS0001").unwrap().unwrap().version, 1);
        assert_eq!(parse(b"REDIS0012").unwrap().unwrap().version, 12);
    }

    #[test]
    fn parses_valkey_versions() {
        for (bytes, version) in [(b"VALKEY080", 80), (b"VALKEY081", 81)] {
            assert_eq!(
                parse(bytes).unwrap(),
                Some(Header {
                    magic: Magic::Valkey,
                    version
                })
            );
        }
    }

    #[test]
    fn ignores_bytes_after_the_header() {
        assert_eq!(parse(b"REDIS0011\xfa\x09").unwrap().unwrap().version, 11);
    }

    #[test]
    fn every_valid_prefix_needs_more() {
        for full in [&b"REDIS0010"[..], b"VALKEY080"] {
            for len in 0..full.len() {
                assert_eq!(parse(&full[..len]), Ok(None), "prefix {len}");
            }
        }
    }

    #[test]
    fn wrong_magic_names_the_offset() {
        assert_eq!(
            parse(b"XREDIS"),
            Err(Error::InvalidMagic {
                offset: 0,
                expected: "\"REDIS\" or \"VALKEY\"",
                found: b'X'
            })
        );
        assert_eq!(
            parse(b"REDIX"),
            Err(Error::InvalidMagic {
                offset: 4,
                expected: "\"REDIS\"",
                found: b'X'
            })
        );
        // Seen early: no need to wait for the 9th byte.
        assert!(parse(b"VALKEI").is_err());
        let msg = parse(b"redis0010").unwrap_err().to_string();
        assert_eq!(
            msg,
            "invalid rdb magic at offset 0: expected \"REDIS\" or \"VALKEY\", found byte 0x72"
        );
    }

    #[test]
    fn non_digit_version_names_the_offset() {
        assert_eq!(
            parse(b"REDIS00x"),
            Err(Error::InvalidVersionDigit {
                offset: 7,
                found: b'x'
            })
        );
        assert_eq!(
            parse(b"VALKEY 80"),
            Err(Error::InvalidVersionDigit {
                offset: 6,
                found: b' '
            })
        );
    }

    #[test]
    fn unsupported_versions_are_refused() {
        assert_eq!(
            parse(b"REDIS0000"),
            Err(Error::UnsupportedVersion {
                magic: Magic::Redis,
                version: 0,
                min: 1,
                max: 12
            })
        );
        assert!(parse(b"REDIS0013").is_err());
        // Valkey refuses REDIS magic above the foreign range and VALKEY within it.
        assert!(parse(b"REDIS0080").is_err());
        assert!(parse(b"VALKEY011").is_err());
        assert!(parse(b"VALKEY082").is_err());
        assert_eq!(
            parse(b"VALKEY079").unwrap_err().to_string(),
            "unsupported rdb version 79 with magic VALKEY: expected 80..=81"
        );
    }

    #[test]
    fn writes_each_forks_format() {
        let mut out = Vec::new();
        write_header(10, &mut out).unwrap();
        write_header(80, &mut out).unwrap();
        write_header(1, &mut out).unwrap();
        assert_eq!(out, b"REDIS0010VALKEY080REDIS0001");
        for bad in [0, 13, 79, 82, 1000, u32::MAX] {
            let mut out = Vec::new();
            assert!(write_header(bad, &mut out).is_err(), "{bad}");
            assert!(out.is_empty());
        }
    }

    proptest! {
        #[test]
        fn write_then_parse(version in prop_oneof![1u32..=12, 80u32..=81]) {
            let mut out = Vec::new();
            write_header(version, &mut out).unwrap();
            prop_assert_eq!(out.len(), HEADER_LEN);
            prop_assert_eq!(parse(&out).unwrap(), Some(Header::new(version).unwrap()));
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            let _ = parse(&bytes);
        }
    }
}
