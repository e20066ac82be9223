//! Counters for INFO: the keyspace's part of `# Stats` and the `# Keyspace` lines.

/// Keyspace statistics, named after the INFO stats fields they feed.
#[derive(Debug, Default, Clone, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// Keys deleted because their TTL passed, lazily or by active expiry.
    pub expired_keys: u64,
    /// Running estimate of the share of sampled keys found expired by active expiry,
    /// in percent (Redis keeps a 5% weighted moving average).
    pub expired_stale_perc: f64,
    /// Active expiry cycles that stopped because their budget ran out.
    pub expired_time_cap_reached_count: u64,
    /// Time spent in active expiry, in ms.
    pub expire_cycle_cpu_milliseconds: u64,
    /// Keys deleted to get under `maxmemory` (see [`crate::Keyspace::evict_one`]).
    pub evicted_keys: u64,
    /// Read lookups that found their key (Redis's `lookupKeyRead()`).
    pub keyspace_hits: u64,
    /// Read lookups that did not.
    pub keyspace_misses: u64,
}

/// One database's line in INFO keyspace: `db0:keys=1,expires=0,avg_ttl=0`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DbInfo {
    /// Number of keys (expired ones not yet reclaimed included, as in Redis).
    pub keys: usize,
    /// Number of keys with a TTL.
    pub expires: usize,
    /// Estimated average TTL of the keys with one, in ms, as sampled by active expiry.
    pub avg_ttl: i64,
}
