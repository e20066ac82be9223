//! Encoding thresholds: when a small collection leaves its compact encoding.

/// The `*-max-listpack-*` / `*-max-intset-*` settings of Redis 7.0, with its
/// defaults. A collection stays in its compact encoding (OBJECT ENCODING `listpack` or
/// `intset`) while it has at most `*_entries` elements and no element longer than
/// `*_value` bytes; past that it converts, once and for good, to the large one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunables {
    /// `hash-max-listpack-entries` (512).
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value` (64).
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries` (512).
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries` (128).
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value` (64).
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size` (-2: 8 KB per node; positive: entries per node).
    pub list_max_listpack_size: i64,
    /// `proto-max-bulk-len`: the largest string a command may build (SETRANGE, APPEND).
    pub proto_max_bulk_len: u64,
}

impl Default for Tunables {
    fn default() -> Tunables {
        Tunables {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            proto_max_bulk_len: 512 * 1024 * 1024,
        }
    }
}
