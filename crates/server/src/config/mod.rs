//! redis-server's configuration: the config table, redis.conf and command-line loading, CONFIG GET/SET/REWRITE.
//!
//! [`Config::from_args`] reads the command line exactly like redis-server 7.0
//! (`ferrodis-server [/path/redis.conf] [--name value ...] [-]`); [`Config`]
//! then answers CONFIG GET ([`Config::get_patterns`]), applies CONFIG SET
//! atomically ([`Config::set`]) and rewrites the file ([`Config::rewrite`]).
//! Every name Redis 7.0.15 accepts is known (see [`CONFIGS`]); those ferrodis
//! does not act on yet are flagged `implemented: false` so the server can warn
//! when one has a non-default value ([`Config::unimplemented_non_defaults`]).

mod defs;
mod error;
mod glob;
mod load;
mod parse;
mod rewrite;
mod special;
mod table;
mod tokenize;
mod value;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use defs::CONFIGS;
pub use error::{ConfigError, ConfigSource, REDIS_COMPAT_VERSION};
pub use glob::string_match;
pub use load::{usage, version, Startup};
pub use special::{ClientClass, ObufLimit};
pub use table::{lookup, ConfigDef, Kind, NumFormat, Special};
pub use tokenize::{repr, split_args, UnbalancedQuotes};

use table::{all_names, find};
use value::{default_value, format_get, set_value, SetEnv, Value};

/// Who is running CONFIG SET, for Redis's protected and loading checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetContext {
    /// The client is connected over loopback or a unix socket (allows
    /// protected configs when `enable-protected-configs` is `local`).
    pub local_client: bool,
    /// The server is loading its dataset (refuses `dir`, `appendonly`, ...).
    pub loading: bool,
}

/// The value of every config, plus the file it was loaded from.
#[derive(Debug, Clone)]
pub struct Config {
    values: Vec<Value>,
    /// The directory at start-up: the default `dir`.
    start_dir: PathBuf,
    config_file: Option<PathBuf>,
}

impl Default for Config {
    /// Every config at its default; `dir` is the current directory.
    fn default() -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        Config::with_start_dir(cwd)
    }
}

/// Redis's addReplyErrorFormat turns newlines into spaces so the reply stays one line.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

impl Config {
    fn with_start_dir(start_dir: PathBuf) -> Config {
        let values = CONFIGS
            .iter()
            .map(|d| default_value(d, &start_dir))
            .collect();
        Config {
            values,
            start_dir,
            config_file: None,
        }
    }

    /// The config file the server was started with (absolute), if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    fn index(&self, name: &str) -> usize {
        match find(name.as_bytes()) {
            Some(found) => found.index,
            None => panic!("no config named {name:?} (a bug in the caller)"),
        }
    }

    fn value(&self, name: &str) -> &Value {
        &self.values[self.index(name)]
    }

    fn default_of(&self, index: usize) -> Value {
        default_value(&CONFIGS[index], &self.start_dir)
    }

    /// The value of any config (name or alias, any case) as CONFIG GET prints it.
    pub fn get(&self, name: &str) -> Option<String> {
        let found = find(name.as_bytes())?;
        Some(format_get(&CONFIGS[found.index], &self.values[found.index]))
    }

    /// A numeric config. Memory sizes are bytes; a `maxmemory-clients`
    /// percentage is negative (-10 for "10%"), as Redis stores it. Values
    /// above `i64::MAX` (only possible for `maxmemory`) saturate; see [`Config::get_u64`].
    ///
    /// # Panics
    /// If `name` is not a numeric config (a bug in the caller, not user input).
    pub fn get_int(&self, name: &str) -> i64 {
        match self.value(name) {
            Value::Num(v) => i64::try_from(*v).unwrap_or(i64::MAX),
            other => panic!("config {name} is not numeric: {other:?}"),
        }
    }

    /// A numeric config that cannot be negative, e.g. `maxmemory`.
    ///
    /// # Panics
    /// If `name` is not a numeric config.
    pub fn get_u64(&self, name: &str) -> u64 {
        match self.value(name) {
            Value::Num(v) => u64::try_from(*v).unwrap_or(0),
            other => panic!("config {name} is not numeric: {other:?}"),
        }
    }

    /// A yes/no config.
    ///
    /// # Panics
    /// If `name` is not a yes/no config.
    pub fn get_bool(&self, name: &str) -> bool {
        match self.value(name) {
            Value::Bool(b) => *b,
            other => panic!("config {name} is not yes/no: {other:?}"),
        }
    }

    /// A string or enum config ("" when unset), e.g. `requirepass`, `loglevel`, `dir`.
    ///
    /// # Panics
    /// If `name` is not a string or single-value enum config.
    pub fn get_str(&self, name: &str) -> &str {
        let index = self.index(name);
        match (&self.values[index], CONFIGS[index].kind) {
            (Value::Str(s), _) => s.as_deref().unwrap_or(""),
            (Value::Dir(p), _) => p.to_str().unwrap_or(""),
            (
                Value::Enum(v),
                Kind::Enum {
                    values,
                    multi: false,
                    ..
                },
            ) => values
                .iter()
                .find(|(_, x)| x == v)
                .map(|(n, _)| *n)
                .unwrap_or("unknown"),
            (other, _) => panic!("config {name} is not a string: {other:?}"),
        }
    }

    /// A multi-value enum's flag bits, e.g. `shutdown-on-sigterm`.
    ///
    /// # Panics
    /// If `name` is not an enum config.
    pub fn get_flags(&self, name: &str) -> u32 {
        match self.value(name) {
            Value::Enum(v) => *v,
            other => panic!("config {name} is not an enum: {other:?}"),
        }
    }

    /// `port`.
    pub fn port(&self) -> u16 {
        u16::try_from(self.get_int("port")).unwrap_or(0)
    }

    /// `bind` addresses as written (a leading `-` marks an optional address);
    /// empty means do not listen on TCP.
    pub fn bind(&self) -> Vec<String> {
        match self.value("bind") {
            Value::Bind(addrs) => addrs.clone(),
            _ => Vec::new(),
        }
    }

    /// `save` rules as `(seconds, changes)`; empty means no snapshotting.
    pub fn save_rules(&self) -> Vec<(u64, u64)> {
        match self.value("save") {
            Value::Save(rules) => rules.clone(),
            _ => Vec::new(),
        }
    }

    /// The `client-output-buffer-limit` of a class.
    pub fn client_output_buffer_limit(&self, class: ClientClass) -> ObufLimit {
        match self.value("client-output-buffer-limit") {
            Value::Obuf(limits) => limits[class.index()],
            _ => special::OBUF_DEFAULTS[class.index()],
        }
    }

    /// `dir`: the absolute working directory the server should chdir() to.
    pub fn dir(&self) -> &Path {
        match self.value("dir") {
            Value::Dir(p) => p,
            _ => &self.start_dir,
        }
    }

    /// `notify-keyspace-events` as Redis's flag bits.
    pub fn notify_keyspace_events(&self) -> u32 {
        match self.value("notify-keyspace-events") {
            Value::Notify(flags) => *flags,
            _ => 0,
        }
    }

    /// `replicaof` host and port, `None` for a master.
    pub fn replicaof(&self) -> Option<(String, u16)> {
        match self.value("replicaof") {
            Value::ReplicaOf(r) => r.clone(),
            _ => None,
        }
    }

    /// Configs ferrodis does not implement yet whose value is not the default,
    /// as (name, CONFIG GET value), for start-up warnings.
    pub fn unimplemented_non_defaults(&self) -> Vec<(&'static str, String)> {
        CONFIGS
            .iter()
            .enumerate()
            .filter(|(i, def)| !def.implemented && self.values[*i] != self.default_of(*i))
            .map(|(i, def)| (def.name, format_get(def, &self.values[i])))
            .collect()
    }

    /// CONFIG GET with one pattern; see [`Config::get_patterns`].
    pub fn get_pattern(&self, pattern: &[u8]) -> Vec<(String, String)> {
        self.get_patterns(&[pattern])
    }

    /// CONFIG GET (7.0: several patterns). Each matching config once, as
    /// (name, value). Like Redis: a pattern without `*?[` is a direct,
    /// case-insensitive lookup that answers with the name as typed and also
    /// finds hidden configs; a glob matches canonical names and aliases
    /// without case, skipping hidden configs.
    pub fn get_patterns<P: AsRef<[u8]>>(&self, patterns: &[P]) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            if !glob::has_glob_chars(pattern) {
                if let Some(found) = find(pattern) {
                    if seen.insert(found.matched) {
                        let name = String::from_utf8_lossy(pattern).into_owned();
                        out.push((
                            name,
                            format_get(&CONFIGS[found.index], &self.values[found.index]),
                        ));
                    }
                }
                continue;
            }
            for (name, index) in all_names() {
                let def = &CONFIGS[index];
                if def.hidden || seen.contains(name) {
                    continue;
                }
                if glob::string_match(pattern, name.as_bytes(), true) {
                    seen.insert(name);
                    out.push((name.to_string(), format_get(def, &self.values[index])));
                }
            }
        }
        out
    }

    /// CONFIG SET name value [name value ...]: all or nothing, as in Redis 7.0.
    ///
    /// Returns the canonical names whose value changed, in order, so the server
    /// can apply side effects (`dir` → chdir, `port`/`bind` → listeners, `hz`,
    /// `proto-max-bulk-len` ...). If applying fails, restore a clone of the
    /// config taken before and reply `ERR CONFIG SET failed (possibly related
    /// to argument '<name>') - <reason>`, as Redis does.
    ///
    /// Errors are Redis's exact replies without the leading `-`, e.g.
    /// `ERR Unknown option or number of arguments for CONFIG SET - 'foo'`.
    pub fn set<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        pairs: &[(N, V)],
        ctx: SetContext,
    ) -> Result<Vec<&'static str>, String> {
        let failed = |name: &str, reason: &str| {
            let name = one_line(name);
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        };
        // Pass 1, like Redis: the first unknown, immutable, protected or
        // repeated name fails the whole command before anything is set.
        let mut targets: Vec<(usize, &'static str, &[u8])> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let name = name.as_ref();
            let typed = String::from_utf8_lossy(name);
            let Some(found) = find(name) else {
                let typed = one_line(&typed);
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{typed}'"
                ));
            };
            let def = &CONFIGS[found.index];
            if !def.mutable {
                return Err(failed(&typed, "can't set immutable config"));
            }
            if def.protected && !self.protected_allowed(ctx) {
                return Err(failed(&typed, "can't set protected config"));
            }
            if ctx.loading && def.deny_loading {
                return Err("LOADING Redis is loading the dataset in memory".to_string());
            }
            // Redis compares table entries, and an alias is an entry of its own:
            // `replica-read-only yes slave-read-only no` is not a duplicate.
            if targets.iter().any(|(_, m, _)| *m == found.matched) {
                return Err(failed(&typed, "duplicate parameter"));
            }
            targets.push((found.index, found.matched, value.as_ref()));
        }
        // Pass 2: set every value on a copy; commit only if all succeed.
        let mut values = self.values.clone();
        let mut save_loaded = false;
        let cwd = self.dir().to_path_buf();
        for (index, matched, raw) in &targets {
            let def = &CONFIGS[*index];
            let Ok(text) = std::str::from_utf8(raw) else {
                return Err(failed(matched, "argument must be valid UTF-8"));
            };
            // Multi-argument configs are split on single spaces (sdssplitlen).
            let args: Vec<String> = if def.multi_arg() {
                if text.is_empty() {
                    Vec::new()
                } else {
                    text.split(' ').map(str::to_string).collect()
                }
            } else {
                vec![text.to_string()]
            };
            let mut env = SetEnv {
                reading_file: false,
                save_loaded: &mut save_loaded,
                cwd: &cwd,
            };
            set_value(def, &mut values[*index], &args, &mut env)
                .map_err(|e| failed(matched, &e))?;
        }
        clamp_hz(&mut values);
        clamp_repl_backlog_size(&mut values);
        let mut changed = Vec::new();
        for (index, _, _) in &targets {
            let name = CONFIGS[*index].name;
            if values[*index] != self.values[*index] && !changed.contains(&name) {
                changed.push(name);
            }
        }
        self.values = values;
        Ok(changed)
    }

    fn protected_allowed(&self, ctx: SetContext) -> bool {
        match self.value("enable-protected-configs") {
            Value::Enum(1) => true,
            Value::Enum(2) => ctx.local_client,
            _ => false,
        }
    }
}

/// Redis accepts any `hz` in range but caps it to 1..=500 (CONFIG_MIN_HZ,
/// CONFIG_MAX_HZ) when loading and on CONFIG SET, and CONFIG GET shows the cap.
fn clamp_hz(values: &mut [Value]) {
    if let Some(found) = find(b"hz") {
        if let Some(Value::Num(hz)) = values.get_mut(found.index) {
            *hz = (*hz).clamp(1, 500);
        }
    }
}

/// On CONFIG SET (not at start-up) Redis raises `repl-backlog-size` to
/// CONFIG_REPL_BACKLOG_MIN_SIZE (16kb) in resizeReplicationBacklog().
fn clamp_repl_backlog_size(values: &mut [Value]) {
    if let Some(found) = find(b"repl-backlog-size") {
        if let Some(Value::Num(size)) = values.get_mut(found.index) {
            *size = (*size).max(16 * 1024);
        }
    }
}

/// A new empty directory for a test's files.
#[cfg(test)]
pub(crate) fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("ferrodis-config-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    std::fs::canonicalize(&dir).expect("canonical scratch dir")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
        c.set(pairs, SetContext::default())
    }

    fn get(c: &Config, patterns: &[&str]) -> Vec<(String, String)> {
        c.get_patterns(patterns)
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn defaults_print_like_redis() {
        let c = Config::default();
        let want = [
            ("save", "3600 1 300 100 60 10000"),
            (
                "client-output-buffer-limit",
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
            ),
            ("bind", "127.0.0.1 -::1"),
            ("maxmemory", "0"),
            ("proto-max-bulk-len", "536870912"),
            ("client-query-buffer-limit", "1073741824"),
            ("protected-mode", "yes"),
            ("appendonly", "no"),
            ("maxmemory-policy", "noeviction"),
            ("unixsocketperm", "0"),
            ("latency-tracking-info-percentiles", "50 99 99.9"),
            ("oom-score-adj-values", "0 200 800"),
            ("shutdown-on-sigint", "default"),
            ("notify-keyspace-events", ""),
            ("replicaof", ""),
            ("requirepass", ""),
            ("proc-title-template", "{title} {listen-addr} {server-mode}"),
            ("list-max-listpack-size", "-2"),
            ("hz", "10"),
        ];
        for (name, value) in want {
            assert_eq!(c.get(name).as_deref(), Some(value), "{name}");
        }
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(c.get("dir"), Some(cwd.to_string_lossy().into_owned()));
        assert!(c.dir().is_absolute());
        assert_eq!(c.get("no-such-config"), None);
        assert!(c.unimplemented_non_defaults().is_empty());
    }

    #[test]
    fn typed_getters() {
        let mut c = Config::default();
        assert_eq!(c.port(), 6379);
        assert_eq!(c.get_int("databases"), 16);
        assert!(c.get_bool("protected-mode"));
        assert_eq!(c.get_str("loglevel"), "notice");
        assert_eq!(c.get_str("dbfilename"), "dump.rdb");
        assert_eq!(c.bind(), vec!["127.0.0.1", "-::1"]);
        assert_eq!(c.replicaof(), None);
        assert_eq!(
            c.client_output_buffer_limit(ClientClass::Normal),
            ObufLimit {
                hard: 0,
                soft: 0,
                soft_seconds: 0
            }
        );
        set(
            &mut c,
            &[
                ("maxmemory", "18446744073709551615"),
                ("maxmemory-clients", "10%"),
            ],
        )
        .expect("ok");
        assert_eq!(c.get_u64("maxmemory"), u64::MAX);
        assert_eq!(c.get_int("maxmemory"), i64::MAX);
        assert_eq!(c.get_int("maxmemory-clients"), -10);
        assert_eq!(c.get("maxmemory-clients").as_deref(), Some("10%"));
    }

    #[test]
    #[should_panic(expected = "no config named")]
    fn typed_getters_panic_on_unknown_names() {
        Config::default().get_int("no-such-config");
    }

    #[test]
    fn get_patterns_like_config_get() {
        let c = Config::default();
        let all = get(&c, &["*"]);
        assert_eq!(all.len(), 192, "every visible name and alias");
        assert!(
            all.iter().any(|(k, _)| k == "slaveof") && all.iter().any(|(k, _)| k == "replicaof")
        );
        assert!(
            !all.iter().any(|(k, _)| k == "rdb-key-save-delay"),
            "hidden configs need an exact name"
        );
        assert_eq!(
            get(&c, &["rdb-key-save-delay"]),
            vec![pair("rdb-key-save-delay", "0")]
        );
        // Exact names answer as typed; patterns without case.
        assert_eq!(get(&c, &["PORT"]), vec![pair("PORT", "6379")]);
        assert_eq!(get(&c, &["PO*"]), vec![pair("port", "6379")]);
        assert_eq!(get(&c, &["pro*"]).len(), 4);
        // Several patterns, each config once.
        assert_eq!(
            get(&c, &["port", "PORT", "p*rt"]),
            vec![pair("port", "6379")]
        );
        let got = get(&c, &["p*", "port"]);
        assert_eq!(got.iter().filter(|(k, _)| k == "port").count(), 1);
        assert_eq!(
            get(&c, &["maxmemory-polic[xy]", "timeou?", "[^a-z]*"]),
            vec![pair("maxmemory-policy", "noeviction"), pair("timeout", "0")]
        );
        assert_eq!(get(&c, &["repl-ping-*-period"]).len(), 2);
        assert_eq!(get(&c, &["hz\\*"]), Vec::new());
        assert_eq!(get(&c, &["h[z]"]), vec![pair("hz", "10")]);
        assert_eq!(get(&c, &["nothing"]), Vec::new());
        assert_eq!(c.get_pattern(b"databases"), vec![pair("databases", "16")]);
    }

    #[test]
    fn set_error_strings() {
        let mut c = Config::default();
        let failed = |name: &str, reason: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        };
        let cases: &[(&[(&str, &str)], String)] = &[
            (&[("foo", "bar")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
            (&[("maxclients", "abc")], failed("maxclients", "argument couldn't be parsed into an integer")),
            (&[("MAXCLIENTS", "0")], failed("maxclients", "argument must be between 1 and 4294967295 inclusive")),
            (&[("daemonize", "yes")], failed("daemonize", "can't set immutable config")),
            (&[("SLAVEOF", "a 1")], failed("SLAVEOF", "can't set immutable config")),
            (&[("port", "1"), ("PORT", "2")], failed("PORT", "duplicate parameter")),
            (&[("protected-mode", "maybe")], failed("protected-mode", "argument must be 'yes' or 'no'")),
            (&[("maxmemory", "1xb")], failed("maxmemory", "argument must be a memory value")),
            (&[("save", "1 2 3")], failed("save", "Invalid save parameters")),
            (&[("save", "10  1")], failed("save", "Invalid save parameters")),
            (&[("dir", "/tmp")], failed("dir", "can't set protected config")),
            (&[("dbfilename", "x.rdb")], failed("dbfilename", "can't set protected config")),
            (
                &[("appendfsync", "")],
                failed("appendfsync", "argument(s) must be one of the following: everysec, always, no"),
            ),
            (&[("hz", " 5")], failed("hz", "argument couldn't be parsed into an integer")),
            (&[("timeout", "-1")], failed("timeout", "argument must be between 0 and 2147483647 inclusive")),
            (
                &[("slave-priority", "x")],
                failed("slave-priority", "argument couldn't be parsed into an integer"),
            ),
            (&[("maxmemory", "1mb"), ("foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
            (&[("foo\r\nbar", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo  bar'".into()),
            (
                &[("activedefrag", "yes")],
                failed(
                    "activedefrag",
                    "Active defragmentation cannot be enabled: it requires a Redis server compiled \
                     with a modified Jemalloc like the one shipped by default with the Redis source \
                     distribution",
                ),
            ),
        ];
        for (pairs, want) in cases {
            assert_eq!(set(&mut c, pairs).as_ref(), Err(want), "{pairs:?}");
        }
        let loading = SetContext {
            local_client: true,
            loading: true,
        };
        assert_eq!(
            c.set(&[("appendonly", "yes")], loading),
            Err("LOADING Redis is loading the dataset in memory".to_string())
        );
        assert_eq!(
            Config::default().get_pattern(b"*"),
            c.get_pattern(b"*"),
            "nothing was set"
        );
    }

    #[test]
    fn set_is_all_or_nothing() {
        let mut c = Config::default();
        let before = c.get_pattern(b"*");
        let err = set(
            &mut c,
            &[("maxmemory", "100mb"), ("timeout", "10"), ("hz", "abc")],
        );
        assert_eq!(err, Err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer".to_string()));
        assert_eq!(c.get_pattern(b"*"), before);
        let changed = set(
            &mut c,
            &[("maxmemory", "100mb"), ("timeout", "10"), ("hz", "10")],
        );
        assert_eq!(changed, Ok(vec!["maxmemory", "timeout"]));
        assert_eq!(
            (c.get_u64("maxmemory"), c.get_int("timeout")),
            (100 << 20, 10)
        );
    }

    #[test]
    fn set_values_and_normalization() {
        let mut c = Config::default();
        let ok = |c: &mut Config, k: &str, v: &str| {
            set(c, &[(k, v)])
                .map(|_| ())
                .map_err(|e| format!("{k}: {e}"))
        };
        ok(&mut c, "protected-mode", "NO").expect("bool");
        assert_eq!(c.get("protected-mode").as_deref(), Some("no"));
        ok(&mut c, "maxmemory", "1GB").expect("memory");
        assert_eq!(c.get("maxmemory").as_deref(), Some("1073741824"));
        ok(&mut c, "maxmemory", "").expect("empty is 0, as in Redis");
        assert_eq!(c.get_u64("maxmemory"), 0);
        ok(&mut c, "maxmemory-policy", "ALLKEYS-LRU").expect("enum");
        assert_eq!(c.get_str("maxmemory-policy"), "allkeys-lru");
        ok(&mut c, "save", "10 1 20 2").expect("save");
        assert_eq!(c.save_rules(), vec![(10, 1), (20, 2)]);
        ok(&mut c, "save", "").expect("no save");
        assert!(c.save_rules().is_empty());
        ok(&mut c, "client-output-buffer-limit", "replica 1mb 1k 5").expect("obuf");
        assert_eq!(
            c.get("client-output-buffer-limit").as_deref(),
            Some("normal 0 0 0 slave 1048576 1000 5 pubsub 33554432 8388608 60")
        );
        ok(&mut c, "bind", "").expect("no bind");
        assert!(c.bind().is_empty());
        ok(&mut c, "bind", "127.0.0.1 ::1").expect("bind");
        assert_eq!(c.bind(), vec!["127.0.0.1", "::1"]);
        ok(&mut c, "hz", "1000").expect("hz");
        assert_eq!(c.get_int("hz"), 500);
        ok(&mut c, "repl-backlog-size", "1kb").expect("backlog");
        assert_eq!(c.get_int("repl-backlog-size"), 16384);
        ok(&mut c, "shutdown-on-sigint", "now save").expect("flags");
        assert_eq!(c.get("shutdown-on-sigint").as_deref(), Some("save now"));
        ok(&mut c, "oom-score-adj", "relative").expect("enum alias value");
        assert_eq!(c.get("oom-score-adj").as_deref(), Some("yes"));
        ok(&mut c, "notify-keyspace-events", "Exg$lshzetdK").expect("notify");
        assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("AKE"));
        ok(&mut c, "notify-keyspace-events", "Ex").expect("notify");
        assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("xE"));
        ok(&mut c, "requirepass", "secret").expect("string");
        assert_eq!(c.get_str("requirepass"), "secret");
        ok(&mut c, "requirepass", "").expect("unset");
        assert_eq!(c.get_str("requirepass"), "");
        ok(&mut c, "replica-read-only", "no").expect("alias pair");
        assert_eq!(
            set(
                &mut c,
                &[("slave-read-only", "no"), ("replica-read-only", "yes")]
            ),
            Ok(vec!["replica-read-only"]),
            "an alias and its name are not duplicates in Redis; the last one wins"
        );
        assert!(c.get_bool("replica-read-only"));
        ok(&mut c, "latency-tracking-info-percentiles", "50 99.99 100").expect("percentiles");
        assert_eq!(
            c.get("latency-tracking-info-percentiles").as_deref(),
            Some("50 99.99 100")
        );
    }

    #[test]
    fn protected_configs() {
        let dir = scratch_dir("protected");
        let local = SetContext {
            local_client: true,
            loading: false,
        };
        let remote = SetContext::default();
        let path = dir.to_string_lossy().into_owned();
        let mut c = Config::from_text("enable-protected-configs local").expect("valid");
        assert!(c.set(&[("dir", path.as_str())], remote).is_err());
        assert_eq!(c.set(&[("dir", path.as_str())], local), Ok(vec!["dir"]));
        assert_eq!(c.dir(), dir.as_path());
        let mut c = Config::from_text("enable-protected-configs yes").expect("valid");
        assert_eq!(
            c.set(&[("dbfilename", "x.rdb")], remote),
            Ok(vec!["dbfilename"])
        );
        let err = c.set(&[("dir", "/nonexistent-ferrodis")], remote);
        assert_eq!(
            err,
            Err("ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory".to_string())
        );
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn unimplemented_values_are_reported() {
        let c =
            Config::from_text("maxmemory 1gb\nport 7000\nappendonly yes\nmaxmemory-clients 1gb")
                .expect("valid");
        assert_eq!(
            c.unimplemented_non_defaults(),
            vec![("maxmemory-clients", "1073741824".to_string())]
        );
    }
}
