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
    /// `maxmemory-policy` (noeviction): decides whether keys track their last access
    /// time (OBJECT IDLETIME) or an access frequency (OBJECT FREQ, LFU policies).
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `lfu-log-factor` (10): how slowly the LFU counter grows.
    pub lfu_log_factor: u64,
    /// `lfu-decay-time` (1): minutes for the LFU counter to lose one; 0 never.
    pub lfu_decay_time: u64,
    /// `notify-keyspace-events` (""): the classes of keyspace notifications to raise,
    /// as Redis's bits (see [`crate::notify`]).
    pub notify_keyspace_events: u32,
}

/// The `maxmemory-policy` values of Redis 7.0.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaxmemoryPolicy {
    /// `volatile-lru`
    VolatileLru,
    /// `volatile-lfu`
    VolatileLfu,
    /// `volatile-random`
    VolatileRandom,
    /// `volatile-ttl`
    VolatileTtl,
    /// `allkeys-lru`
    AllkeysLru,
    /// `allkeys-lfu`
    AllkeysLfu,
    /// `allkeys-random`
    AllkeysRandom,
    /// `noeviction`, the default.
    #[default]
    NoEviction,
}

impl MaxmemoryPolicy {
    /// The policy called `name` (a redis.conf value, any case).
    pub fn from_name(name: &str) -> Option<MaxmemoryPolicy> {
        use MaxmemoryPolicy::*;
        let all = [
            ("volatile-lru", VolatileLru),
            ("volatile-lfu", VolatileLfu),
            ("volatile-random", VolatileRandom),
            ("volatile-ttl", VolatileTtl),
            ("allkeys-lru", AllkeysLru),
            ("allkeys-lfu", AllkeysLfu),
            ("allkeys-random", AllkeysRandom),
            ("noeviction", NoEviction),
        ];
        all.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, p)| p)
    }

    /// Whether keys track an access frequency instead of an access time
    /// (`MAXMEMORY_FLAG_LFU`).
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }
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
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            notify_keyspace_events: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_by_name() {
        assert_eq!(
            MaxmemoryPolicy::from_name("ALLKEYS-LFU"),
            Some(MaxmemoryPolicy::AllkeysLfu)
        );
        assert_eq!(MaxmemoryPolicy::from_name("lru"), None);
        assert!(MaxmemoryPolicy::VolatileLfu.is_lfu());
        assert!(!MaxmemoryPolicy::AllkeysLru.is_lfu());
        assert!(!Tunables::default().maxmemory_policy.is_lfu());
    }
}
