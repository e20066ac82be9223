//! Replication ids: 40 hex characters naming a history of the replication stream.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A replication id (`CONFIG_RUN_ID_SIZE` = 40 characters of `[0-9a-f]`).
///
/// Parsing accepts upper-case digits and stores them lower-case: Redis
/// generates lower-case ids and compares PSYNC ids case-insensitively.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplId([u8; ReplId::LEN]);

impl ReplId {
    /// Length of an id in characters.
    pub const LEN: usize = 40;

    /// The all-`'0'` id Redis puts in `replid2` when there is no previous
    /// history (`clearReplicationId2`), shown as `master_replid2` in INFO.
    pub const NONE: ReplId = ReplId([b'0'; ReplId::LEN]);

    /// Validates `bytes` as an id.
    pub fn parse(bytes: &[u8]) -> Result<ReplId> {
        let mut id = [0u8; ReplId::LEN];
        if bytes.len() != ReplId::LEN {
            return Err(Error::ReplIdLength { len: bytes.len() });
        }
        for (position, (slot, &byte)) in id.iter_mut().zip(bytes).enumerate() {
            if !byte.is_ascii_hexdigit() {
                return Err(Error::ReplIdDigit { position, byte });
            }
            *slot = byte.to_ascii_lowercase();
        }
        Ok(ReplId(id))
    }

    /// An id from 20 random bytes, hex-encoded. Redis draws ids with
    /// `getRandomHexChars`; the caller supplies the randomness (this crate has
    /// no random source of its own).
    pub fn from_random_bytes(bytes: [u8; 20]) -> ReplId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = [0u8; ReplId::LEN];
        for (pair, byte) in id.chunks_exact_mut(2).zip(bytes) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0x0f)];
        }
        ReplId(id)
    }

    /// Whether this is [`ReplId::NONE`].
    pub fn is_none(&self) -> bool {
        *self == ReplId::NONE
    }

    /// The id's characters.
    pub fn as_bytes(&self) -> &[u8; ReplId::LEN] {
        &self.0
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Always ASCII hex: built only by `parse`, `from_random_bytes` and `NONE`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplId({})", self.as_str())
    }
}

impl FromStr for ReplId {
    type Err = Error;

    fn from_str(s: &str) -> Result<ReplId> {
        ReplId::parse(s.as_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The repl-id aux field of Redis's scriptbackup.rdb test asset.
    const REAL: &str = "349eeafec1f98f3f56277e95fc86bc48b30651a2";

    #[test]
    fn parses_and_displays() {
        let id: ReplId = REAL.parse().unwrap();
        assert_eq!(id.to_string(), REAL);
        assert_eq!(format!("{id:?}"), format!("ReplId({REAL})"));
        assert!(!id.is_none());
        let upper = ReplId::parse(REAL.to_uppercase().as_bytes()).unwrap();
        assert_eq!(upper, id);
    }

    #[test]
    fn none_is_forty_zeros() {
        assert_eq!(ReplId::NONE.as_str(), "0".repeat(40));
        assert!(ReplId::parse("0".repeat(40).as_bytes()).unwrap().is_none());
    }

    #[test]
    fn refuses_bad_ids() {
        assert_eq!(ReplId::parse(b"abc"), Err(Error::ReplIdLength { len: 3 }));
        assert_eq!(ReplId::parse(b"?"), Err(Error::ReplIdLength { len: 1 }));
        let mut bad = REAL.as_bytes().to_vec();
        bad[7] = b'g';
        assert_eq!(
            ReplId::parse(&bad),
            Err(Error::ReplIdDigit {
                position: 7,
                byte: b'g'
            })
        );
        assert_eq!(
            ReplId::parse(&bad).unwrap_err().to_string(),
            "invalid replication id: byte 0x67 at position 7 is not a hex digit"
        );
    }

    #[test]
    fn random_bytes_are_hex_encoded() {
        let mut bytes = [0u8; 20];
        bytes[0] = 0xab;
        bytes[19] = 0x0f;
        let id = ReplId::from_random_bytes(bytes);
        assert_eq!(id.as_str(), format!("ab{}0f", "0".repeat(36)));
    }

    proptest! {
        #[test]
        fn random_ids_round_trip(bytes in any::<[u8; 20]>()) {
            let id = ReplId::from_random_bytes(bytes);
            prop_assert_eq!(ReplId::parse(id.as_bytes()), Ok(id));
        }
    }
}
