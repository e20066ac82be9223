//! The table: every config Redis 7.0.15 (built with TLS, as Debian ships it) accepts.
//!
//! Names, aliases, bounds, defaults and mutability follow the `static_configs`
//! table of Redis 7.0.15's config.c. `implemented()` marks the configs
//! ferrodis acts on today; flip it when a feature lands.

use super::table::{
    ConfigDef as C, NumFormat, Special, INT_MAX, INT_MIN, LONG_MAX, UINT_MAX, ULLONG_MAX,
};

const LLONG_MAX: i128 = LONG_MAX;
const SSIZE_MAX: i128 = LONG_MAX;

pub(crate) const LOGLEVELS: &[(&str, u32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const MAXMEMORY_POLICIES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITIES: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
/// SHUTDOWN_SAVE=1, SHUTDOWN_NOSAVE=2, SHUTDOWN_NOW=4, SHUTDOWN_FORCE=8.
const SHUTDOWN_ON_SIG: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
const REPL_DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
/// "yes" and "relative" are the same value; CONFIG GET prints the first, "yes".
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 8), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
pub(crate) const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPE: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

/// Redis's pathIsBaseName(): no `/` and no `\`.
fn is_base_name(s: &str) -> bool {
    !s.contains(['/', '\\'])
}

fn check_dbfilename(s: &str) -> Result<(), &'static str> {
    if is_base_name(s) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}

fn check_appendfilename(s: &str) -> Result<(), &'static str> {
    match s {
        "" => Err("appendfilename can't be empty"),
        s if !is_base_name(s) => Err("appendfilename can't be a path, just a filename"),
        _ => Ok(()),
    }
}

fn check_appenddirname(s: &str) -> Result<(), &'static str> {
    match s {
        "" => Err("appenddirname can't be empty"),
        s if !is_base_name(s) => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

fn check_hostname(s: &str) -> Result<(), &'static str> {
    // NET_HOST_STR_LEN is 256 in Redis.
    if s.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// Redis validates proc-title-template by expanding it (sdstemplate): `{{` is
/// a literal `{`, `{name}` must be a known variable, and the expansion with an
/// empty title must not be blank.
fn check_proc_title(s: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut rest = s;
    let mut expanded = String::new();
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(ERR);
        }
        if let Some(quoted) = after.strip_prefix('{') {
            expanded.push('{');
            rest = quoted;
            continue;
        }
        let close = after.find('}').ok_or(ERR)?;
        expanded.push_str(match &after[..close] {
            "title" | "server-mode" => "",
            "listen-addr" | "config-file" | "port" | "tls-port" | "unixsocket" => "x",
            _ => return Err(ERR),
        });
        rest = &after[close + 1..];
    }
    expanded.push_str(rest);
    if expanded.trim_matches(' ').is_empty() {
        return Err(ERR);
    }
    Ok(())
}

/// Redis built without its own jemalloc (Debian's package) refuses to turn on
/// active defragmentation; ferrodis has none either.
fn check_activedefrag(on: bool) -> Result<(), &'static str> {
    if on {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution",
        );
    }
    Ok(())
}

fn check_shutdown_flags(flags: u32) -> Result<(), &'static str> {
    if flags & 1 != 0 && flags & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

/// The config table, in Redis's order: bools, strings, enums, numbers, TLS, special.
pub static CONFIGS: &[C] = &[
    C::boolean("rdbchecksum", true).immutable().implemented(),
    C::boolean("daemonize", false).immutable().implemented(),
    C::boolean("io-threads-do-reads", false).immutable(),
    C::boolean("always-show-logo", false).immutable(),
    C::boolean("protected-mode", true).implemented(),
    C::boolean("rdbcompression", true).implemented(),
    C::boolean("rdb-del-sync-files", false),
    C::boolean("activerehashing", true),
    C::boolean("stop-writes-on-bgsave-error", true).implemented(),
    C::boolean("set-proc-title", true).immutable(),
    C::boolean("dynamic-hz", true),
    C::boolean("lazyfree-lazy-eviction", false),
    C::boolean("lazyfree-lazy-expire", false),
    C::boolean("lazyfree-lazy-server-del", false),
    C::boolean("lazyfree-lazy-user-del", false),
    C::boolean("lazyfree-lazy-user-flush", false),
    C::boolean("repl-disable-tcp-nodelay", false),
    C::boolean("repl-diskless-sync", true).implemented(),
    C::boolean("aof-rewrite-incremental-fsync", true).implemented(),
    C::boolean("no-appendfsync-on-rewrite", false).implemented(),
    C::boolean("cluster-require-full-coverage", true),
    C::boolean("rdb-save-incremental-fsync", true).implemented(),
    C::boolean("aof-load-truncated", true).implemented(),
    C::boolean("aof-use-rdb-preamble", true).implemented(),
    C::boolean("aof-timestamp-enabled", false).implemented(),
    C::boolean("cluster-replica-no-failover", false).alias("cluster-slave-no-failover"),
    C::boolean("replica-lazy-flush", false).alias("slave-lazy-flush"),
    C::boolean("replica-serve-stale-data", true)
        .alias("slave-serve-stale-data")
        .implemented(),
    C::boolean("replica-read-only", true)
        .alias("slave-read-only")
        .implemented(),
    C::boolean("replica-ignore-maxmemory", true).alias("slave-ignore-maxmemory"),
    C::boolean("jemalloc-bg-thread", true),
    C::boolean("activedefrag", false).check_bool(check_activedefrag),
    C::boolean("syslog-enabled", false).immutable(),
    C::boolean("cluster-enabled", false).immutable(),
    C::boolean("appendonly", false).deny_loading().implemented(),
    C::boolean("cluster-allow-reads-when-down", false),
    C::boolean("cluster-allow-pubsubshard-when-down", true),
    C::boolean("crash-log-enabled", true),
    C::boolean("crash-memcheck-enabled", true),
    C::boolean("use-exit-on-panic", false).hidden(),
    C::boolean("disable-thp", true).immutable(),
    C::boolean("cluster-allow-replica-migration", true),
    C::boolean("replica-announced", true),
    C::boolean("latency-tracking", true),
    C::boolean("aof-disable-auto-gc", false),
    C::boolean("replica-ignore-disk-write-errors", false).implemented(),
    // Strings.
    C::string("aclfile", "").immutable(),
    C::nullable("unixsocket").immutable(),
    C::nullable("pidfile").immutable().implemented(),
    C::nullable("replica-announce-ip")
        .alias("slave-announce-ip")
        .implemented(),
    C::nullable("masteruser").sensitive().implemented(),
    C::nullable("cluster-announce-ip"),
    C::string("cluster-config-file", "nodes.conf").immutable(),
    C::nullable("cluster-announce-hostname").check_str(check_hostname),
    C::string("syslog-ident", "redis").immutable(),
    C::string("dbfilename", "dump.rdb")
        .protected()
        .check_str(check_dbfilename)
        .implemented(),
    C::string("appendfilename", "appendonly.aof")
        .immutable()
        .check_str(check_appendfilename)
        .implemented(),
    C::string("appenddirname", "appendonlydir")
        .immutable()
        .check_str(check_appenddirname)
        .implemented(),
    C::nullable("server_cpulist").immutable(),
    C::nullable("bio_cpulist").immutable(),
    C::nullable("aof_rewrite_cpulist").immutable(),
    C::nullable("bgsave_cpulist").immutable(),
    C::string("ignore-warnings", ""),
    C::string("proc-title-template", "{title} {listen-addr} {server-mode}")
        .check_str(check_proc_title),
    C::nullable("bind-source-addr"),
    C::string("logfile", "").immutable().implemented(),
    C::nullable("masterauth").sensitive().implemented(),
    C::nullable("requirepass").sensitive().implemented(),
    // Enums.
    C::enumeration("supervised", SUPERVISED, 0).immutable(),
    C::enumeration("syslog-facility", SYSLOG_FACILITIES, 1).immutable(),
    C::enumeration("repl-diskless-load", REPL_DISKLESS_LOAD, 0).deny_loading(),
    C::enumeration("loglevel", LOGLEVELS, 2).implemented(),
    C::enumeration("maxmemory-policy", MAXMEMORY_POLICIES, 7).implemented(),
    C::enumeration("appendfsync", APPENDFSYNC, 0).implemented(),
    C::enumeration("oom-score-adj", OOM_SCORE_ADJ, 0),
    C::enumeration("acl-pubsub-default", ACL_PUBSUB_DEFAULT, 0),
    C::enumeration("sanitize-dump-payload", SANITIZE_DUMP_PAYLOAD, 0),
    C::enumeration("enable-protected-configs", PROTECTED_ACTION, 0)
        .immutable()
        .implemented(),
    C::enumeration("enable-debug-command", PROTECTED_ACTION, 0)
        .immutable()
        .implemented(),
    C::enumeration("enable-module-command", PROTECTED_ACTION, 0).immutable(),
    C::enumeration("cluster-preferred-endpoint-type", ENDPOINT_TYPE, 0),
    C::enumeration("propagation-error-behavior", PROPAGATION_ERROR, 0),
    C::enumeration("shutdown-on-sigint", SHUTDOWN_ON_SIG, 0)
        .flags(check_shutdown_flags)
        .implemented(),
    C::enumeration("shutdown-on-sigterm", SHUTDOWN_ON_SIG, 0)
        .flags(check_shutdown_flags)
        .implemented(),
    // Numbers: int.
    C::int("databases", 1, INT_MAX, 16)
        .immutable()
        .implemented(),
    C::int("port", 0, 65535, 6379).implemented(),
    C::int("io-threads", 1, 128, 1).immutable().implemented(),
    C::int("auto-aof-rewrite-percentage", 0, INT_MAX, 100).implemented(),
    C::int("cluster-replica-validity-factor", 0, INT_MAX, 10)
        .alias("cluster-slave-validity-factor"),
    C::int("list-max-listpack-size", INT_MIN, INT_MAX, -2)
        .alias("list-max-ziplist-size")
        .implemented(),
    C::int("tcp-keepalive", 0, INT_MAX, 300).implemented(),
    C::int("cluster-migration-barrier", 0, INT_MAX, 1),
    C::int("active-defrag-cycle-min", 1, 99, 1),
    C::int("active-defrag-cycle-max", 1, 99, 25),
    C::int("active-defrag-threshold-lower", 0, 1000, 10),
    C::int("active-defrag-threshold-upper", 0, 1000, 100),
    C::int("lfu-log-factor", 0, INT_MAX, 10).implemented(),
    C::int("lfu-decay-time", 0, INT_MAX, 1).implemented(),
    C::int("replica-priority", 0, INT_MAX, 100).alias("slave-priority"),
    C::int("repl-diskless-sync-delay", 0, INT_MAX, 5).implemented(),
    C::int("maxmemory-samples", 1, INT_MAX, 5).implemented(),
    C::int("maxmemory-eviction-tenacity", 0, 100, 10).implemented(),
    C::int("timeout", 0, INT_MAX, 0).implemented(),
    C::int("replica-announce-port", 0, 65535, 0)
        .alias("slave-announce-port")
        .implemented(),
    C::int("tcp-backlog", 0, INT_MAX, 511)
        .immutable()
        .implemented(),
    C::int("cluster-port", 0, 65535, 0).immutable(),
    C::int("cluster-announce-bus-port", 0, 65535, 0),
    C::int("cluster-announce-port", 0, 65535, 0),
    C::int("cluster-announce-tls-port", 0, 65535, 0),
    C::int("repl-timeout", 1, INT_MAX, 60).implemented(),
    C::int("repl-ping-replica-period", 1, INT_MAX, 10)
        .alias("repl-ping-slave-period")
        .implemented(),
    C::int("list-compress-depth", 0, INT_MAX, 0),
    C::int("rdb-key-save-delay", INT_MIN, INT_MAX, 0)
        .hidden()
        .implemented(),
    C::int("key-load-delay", INT_MIN, INT_MAX, 0).hidden(),
    C::int("active-expire-effort", 1, 10, 1),
    C::int("hz", 0, INT_MAX, 10).implemented(),
    C::int("min-replicas-to-write", 0, INT_MAX, 0)
        .alias("min-slaves-to-write")
        .implemented(),
    C::int("min-replicas-max-lag", 0, INT_MAX, 10)
        .alias("min-slaves-max-lag")
        .implemented(),
    C::int("watchdog-period", 0, INT_MAX, 0).hidden(),
    C::int("shutdown-timeout", 0, INT_MAX, 10),
    C::int("repl-diskless-sync-max-replicas", 0, INT_MAX, 0).implemented(),
    // Numbers: unsigned int, long, long long, size_t, time_t, off_t.
    C::int("maxclients", 1, UINT_MAX, 10000).implemented(),
    C::int("unixsocketperm", 0, 0o777, 0)
        .num_format(NumFormat::Octal)
        .immutable(),
    C::int("socket-mark-id", 0, UINT_MAX, 0).immutable(),
    C::int("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    C::int("slowlog-max-len", 0, LONG_MAX, 128),
    C::int("acllog-max-len", 0, LONG_MAX, 128),
    C::int("busy-reply-threshold", 0, LONG_MAX, 5000).alias("lua-time-limit"),
    C::int("cluster-node-timeout", 0, LLONG_MAX, 15000),
    C::int("slowlog-log-slower-than", -1, LLONG_MAX, 10000),
    C::int("latency-monitor-threshold", 0, LLONG_MAX, 0),
    C::memory(
        "proto-max-bulk-len",
        1024 * 1024,
        LONG_MAX,
        512 * 1024 * 1024,
    )
    .implemented(),
    C::int("stream-node-max-entries", 0, LLONG_MAX, 100),
    C::memory("repl-backlog-size", 1, LLONG_MAX, 1024 * 1024).implemented(),
    C::memory("maxmemory", 0, ULLONG_MAX, 0).implemented(),
    C::memory("cluster-link-sendbuf-limit", 0, ULLONG_MAX, 0),
    C::int("hash-max-listpack-entries", 0, LONG_MAX, 512)
        .alias("hash-max-ziplist-entries")
        .implemented(),
    C::int("set-max-intset-entries", 0, LONG_MAX, 512).implemented(),
    C::int("zset-max-listpack-entries", 0, LONG_MAX, 128)
        .alias("zset-max-ziplist-entries")
        .implemented(),
    C::memory("active-defrag-ignore-bytes", 1, LLONG_MAX, 100 << 20),
    C::memory("hash-max-listpack-value", 0, LONG_MAX, 64)
        .alias("hash-max-ziplist-value")
        .implemented(),
    C::memory("stream-node-max-bytes", 0, LONG_MAX, 4096),
    C::memory("zset-max-listpack-value", 0, LONG_MAX, 64)
        .alias("zset-max-ziplist-value")
        .implemented(),
    C::memory("hll-sparse-max-bytes", 0, LONG_MAX, 3000),
    C::int("tracking-table-max-keys", 0, LONG_MAX, 1_000_000),
    C::memory(
        "client-query-buffer-limit",
        1024 * 1024,
        LONG_MAX,
        1024 * 1024 * 1024,
    )
    .implemented(),
    C::memory("maxmemory-clients", -100, SSIZE_MAX, 0).num_format(NumFormat::MemoryOrPercent),
    C::int("repl-backlog-ttl", 0, LONG_MAX, 60 * 60).implemented(),
    C::memory("auto-aof-rewrite-min-size", 0, LLONG_MAX, 64 * 1024 * 1024).implemented(),
    C::int(
        "loading-process-events-interval-bytes",
        1024,
        INT_MAX,
        2 * 1024 * 1024,
    )
    .hidden(),
    // TLS (Debian builds Redis with USE_OPENSSL); ferrodis has no TLS yet.
    C::int("tls-port", 0, 65535, 0),
    C::int("tls-session-cache-size", 0, INT_MAX, 20 * 1024),
    C::int("tls-session-cache-timeout", 0, INT_MAX, 300),
    C::boolean("tls-cluster", false),
    C::boolean("tls-replication", false),
    C::enumeration("tls-auth-clients", TLS_AUTH_CLIENTS, 1),
    C::boolean("tls-prefer-server-ciphers", false),
    C::boolean("tls-session-caching", true),
    C::nullable("tls-cert-file"),
    C::nullable("tls-key-file"),
    C::nullable("tls-key-file-pass"),
    C::nullable("tls-client-cert-file"),
    C::nullable("tls-client-key-file"),
    C::nullable("tls-client-key-file-pass"),
    C::nullable("tls-dh-params-file"),
    C::nullable("tls-ca-cert-file"),
    C::nullable("tls-ca-cert-dir"),
    C::nullable("tls-protocols"),
    C::nullable("tls-ciphers"),
    C::nullable("tls-ciphersuites"),
    // Special.
    C::special("dir", Special::Dir)
        .protected()
        .deny_loading()
        .implemented(),
    C::special("save", Special::Save).implemented(),
    C::special(
        "client-output-buffer-limit",
        Special::ClientOutputBufferLimit,
    )
    .implemented(),
    C::special("oom-score-adj-values", Special::OomScoreAdjValues),
    C::special("notify-keyspace-events", Special::NotifyKeyspaceEvents).implemented(),
    C::special("bind", Special::Bind).implemented(),
    C::special("replicaof", Special::ReplicaOf)
        .alias("slaveof")
        .immutable()
        .implemented(),
    C::special(
        "latency-tracking-info-percentiles",
        Special::LatencyTrackingInfoPercentiles,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table::{lookup, Kind};

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for def in CONFIGS {
            for name in std::iter::once(def.name).chain(def.alias) {
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(seen.insert(name), "duplicate config name {name}");
            }
        }
        // 7.0.15 with TLS: 192 names visible to `CONFIG GET *`, plus 5 hidden.
        assert_eq!(seen.len(), 197);
        assert_eq!(CONFIGS.iter().filter(|d| d.hidden).count(), 5);
    }

    #[test]
    fn defaults_are_within_bounds() {
        for def in CONFIGS {
            if let Kind::Num {
                min, max, default, ..
            } = def.kind
            {
                assert!((min..=max).contains(&default), "{}", def.name);
            }
            if let Kind::Enum {
                values, default, ..
            } = def.kind
            {
                assert!(values.iter().any(|(_, v)| *v == default), "{}", def.name);
            }
        }
    }

    #[test]
    fn implemented_set_is_exactly_the_documented_one() {
        let mut got: Vec<_> = CONFIGS
            .iter()
            .filter(|d| d.implemented)
            .map(|d| d.name)
            .collect();
        got.sort_unstable();
        let mut want = vec![
            // Replication.
            "repl-diskless-sync",
            "replica-serve-stale-data",
            "replica-read-only",
            "replica-announce-ip",
            "repl-diskless-sync-delay",
            "repl-diskless-sync-max-replicas",
            "replica-announce-port",
            "repl-timeout",
            "repl-ping-replica-period",
            "min-replicas-to-write",
            "min-replicas-max-lag",
            "repl-backlog-size",
            "repl-backlog-ttl",
            "masterauth",
            "masteruser",
            "replicaof",
            "port",
            "bind",
            "protected-mode",
            "requirepass",
            "databases",
            "dir",
            "maxclients",
            "timeout",
            "tcp-keepalive",
            "tcp-backlog",
            "proto-max-bulk-len",
            "client-query-buffer-limit",
            "client-output-buffer-limit",
            "loglevel",
            "logfile",
            "pidfile",
            "daemonize",
            "hz",
            "io-threads",
            "enable-debug-command",
            "enable-protected-configs",
            "list-max-listpack-size",
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "set-max-intset-entries",
            "zset-max-listpack-entries",
            "zset-max-listpack-value",
            "lfu-log-factor",
            "lfu-decay-time",
            "maxmemory",
            "maxmemory-policy",
            "maxmemory-samples",
            "maxmemory-eviction-tenacity",
            "notify-keyspace-events",
            "save",
            "dbfilename",
            "rdbcompression",
            "rdbchecksum",
            "stop-writes-on-bgsave-error",
            "rdb-key-save-delay",
            "appendonly",
            "appendfsync",
            "appendfilename",
            "appenddirname",
            "aof-use-rdb-preamble",
            "aof-load-truncated",
            "aof-timestamp-enabled",
            "auto-aof-rewrite-percentage",
            "auto-aof-rewrite-min-size",
            "no-appendfsync-on-rewrite",
            "aof-rewrite-incremental-fsync",
            "rdb-save-incremental-fsync",
            "replica-ignore-disk-write-errors",
            "shutdown-on-sigint",
            "shutdown-on-sigterm",
        ];
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn checks() {
        assert!(check_proc_title("{title} {listen-addr} {server-mode}").is_ok());
        assert!(check_proc_title("{{literal").is_ok());
        assert!(check_proc_title("{title}").is_err());
        assert!(check_proc_title("{nope}").is_err());
        assert!(check_proc_title("x {").is_err());
        assert!(check_hostname("a-b.c1").is_ok());
        assert!(check_hostname("a_b").is_err());
        assert!(check_shutdown_flags(1 | 4).is_ok());
        assert!(check_shutdown_flags(1 | 2).is_err());
        assert!(lookup("SLAVEOF").is_some_and(|d| d.name == "replicaof"));
    }
}
