//! Types of the static config table and name lookup (names and aliases, case-insensitive).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::defs::CONFIGS;

/// Redis's C integer limits, used as config bounds in the table.
pub(crate) const INT_MIN: i128 = i32::MIN as i128;
pub(crate) const INT_MAX: i128 = i32::MAX as i128;
pub(crate) const UINT_MAX: i128 = u32::MAX as i128;
pub(crate) const LONG_MAX: i128 = i64::MAX as i128;
pub(crate) const ULLONG_MAX: i128 = u64::MAX as i128;

/// A validity check on a string value; `Err` carries Redis's message.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;
/// A validity check on a yes/no value.
pub type BoolCheck = fn(bool) -> Result<(), &'static str>;
/// A validity check on an enum value (a set of flags for multi-value enums).
pub type EnumCheck = fn(u32) -> Result<(), &'static str>;

/// How a numeric config is written and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFormat {
    /// A plain integer (Redis's `string2ll`: no spaces, no `+`, no leading zeros).
    Integer,
    /// A byte count with optional unit: `k`=1000, `kb`=1024, `m`, `mb`, `g`, `gb`.
    Memory,
    /// A byte count, or `N%` (stored as `-N`, as Redis does for `maxmemory-clients`).
    MemoryOrPercent,
    /// An octal number (`unixsocketperm`).
    Octal,
}

/// The multi-argument and otherwise special configs, each with its own syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `dir <path>`: stored as an absolute, symlink-free path like Redis's getcwd().
    Dir,
    /// `save <seconds> <changes> [...]`, `save ""` for none.
    Save,
    /// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds> [...]`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <class chars>`.
    NotifyKeyspaceEvents,
    /// `bind <addr> [...]`, a leading `-` marks an address as optional.
    Bind,
    /// `replicaof <host> <port>` or `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> [...]`.
    LatencyTrackingInfoPercentiles,
}

/// The type of a config, with its default value and bounds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`.
    Bool {
        default: bool,
        check: Option<BoolCheck>,
    },
    /// A number within `min..=max` (Redis's bounds for the C type it uses).
    Num {
        min: i128,
        max: i128,
        default: i128,
        format: NumFormat,
    },
    /// A string; `empty_is_null` strings are "unset" when empty and then
    /// left out of CONFIG REWRITE (Redis's EMPTY_STRING_IS_NULL).
    Str {
        default: Option<&'static str>,
        empty_is_null: bool,
        check: Option<StrCheck>,
    },
    /// One of `values` (matched case-insensitively), or for `multi` a set of them.
    Enum {
        values: &'static [(&'static str, u32)],
        default: u32,
        multi: bool,
        check: Option<EnumCheck>,
    },
    /// A config with its own syntax.
    Special(Special),
}

/// One entry of the config table.
#[derive(Debug, Clone, Copy)]
pub struct ConfigDef {
    /// The canonical name, as CONFIG GET and CONFIG REWRITE print it.
    pub name: &'static str,
    /// The old name still accepted (`slaveof` for `replicaof`, ...).
    pub alias: Option<&'static str>,
    /// Type, default and bounds.
    pub kind: Kind,
    /// Whether CONFIG SET may change it (not Redis's IMMUTABLE_CONFIG).
    pub mutable: bool,
    /// Whether ferrodis acts on the value yet; the server warns at start-up
    /// about non-default values of configs that are not implemented.
    pub implemented: bool,
    /// Redis's SENSITIVE_CONFIG: the value must be redacted from logs/slowlog.
    pub sensitive: bool,
    /// Redis's PROTECTED_CONFIG: CONFIG SET needs `enable-protected-configs`.
    pub protected: bool,
    /// Redis's DENY_LOADING_CONFIG: CONFIG SET is refused while loading data.
    pub deny_loading: bool,
    /// Redis's HIDDEN_CONFIG: not matched by CONFIG GET patterns, only by name.
    pub hidden: bool,
}

impl ConfigDef {
    const fn new(name: &'static str, kind: Kind) -> Self {
        ConfigDef {
            name,
            alias: None,
            kind,
            mutable: true,
            implemented: false,
            sensitive: false,
            protected: false,
            deny_loading: false,
            hidden: false,
        }
    }

    pub(crate) const fn boolean(name: &'static str, default: bool) -> Self {
        Self::new(
            name,
            Kind::Bool {
                default,
                check: None,
            },
        )
    }

    pub(crate) const fn check_bool(self, check: BoolCheck) -> Self {
        match self.kind {
            Kind::Bool { default, .. } => Self {
                kind: Kind::Bool {
                    default,
                    check: Some(check),
                },
                ..self
            },
            _ => self,
        }
    }

    pub(crate) const fn int(name: &'static str, min: i128, max: i128, default: i128) -> Self {
        let format = NumFormat::Integer;
        Self::new(
            name,
            Kind::Num {
                min,
                max,
                default,
                format,
            },
        )
    }

    pub(crate) const fn memory(name: &'static str, min: i128, max: i128, default: i128) -> Self {
        let format = NumFormat::Memory;
        Self::new(
            name,
            Kind::Num {
                min,
                max,
                default,
                format,
            },
        )
    }

    pub(crate) const fn num_format(self, format: NumFormat) -> Self {
        match self.kind {
            Kind::Num {
                min, max, default, ..
            } => Self {
                kind: Kind::Num {
                    min,
                    max,
                    default,
                    format,
                },
                ..self
            },
            _ => self,
        }
    }

    /// A string config that may be empty (Redis's ALLOW_EMPTY_STRING).
    pub(crate) const fn string(name: &'static str, default: &'static str) -> Self {
        let default = Some(default);
        Self::new(
            name,
            Kind::Str {
                default,
                empty_is_null: false,
                check: None,
            },
        )
    }

    /// A string config that is unset by default and when set to "".
    pub(crate) const fn nullable(name: &'static str) -> Self {
        Self::new(
            name,
            Kind::Str {
                default: None,
                empty_is_null: true,
                check: None,
            },
        )
    }

    pub(crate) const fn check_str(self, check: StrCheck) -> Self {
        match self.kind {
            Kind::Str {
                default,
                empty_is_null,
                ..
            } => Self {
                kind: Kind::Str {
                    default,
                    empty_is_null,
                    check: Some(check),
                },
                ..self
            },
            _ => self,
        }
    }

    pub(crate) const fn enumeration(
        name: &'static str,
        values: &'static [(&'static str, u32)],
        default: u32,
    ) -> Self {
        Self::new(
            name,
            Kind::Enum {
                values,
                default,
                multi: false,
                check: None,
            },
        )
    }

    /// A multi-value (bit flags) enum, checked by `check`.
    pub(crate) const fn flags(self, check: EnumCheck) -> Self {
        match self.kind {
            Kind::Enum {
                values, default, ..
            } => Self {
                kind: Kind::Enum {
                    values,
                    default,
                    multi: true,
                    check: Some(check),
                },
                ..self
            },
            _ => self,
        }
    }

    pub(crate) const fn special(name: &'static str, special: Special) -> Self {
        Self::new(name, Kind::Special(special))
    }

    pub(crate) const fn alias(self, alias: &'static str) -> Self {
        Self {
            alias: Some(alias),
            ..self
        }
    }

    pub(crate) const fn immutable(self) -> Self {
        Self {
            mutable: false,
            ..self
        }
    }

    pub(crate) const fn implemented(self) -> Self {
        Self {
            implemented: true,
            ..self
        }
    }

    pub(crate) const fn sensitive(self) -> Self {
        Self {
            sensitive: true,
            ..self
        }
    }

    pub(crate) const fn protected(self) -> Self {
        Self {
            protected: true,
            ..self
        }
    }

    pub(crate) const fn deny_loading(self) -> Self {
        Self {
            deny_loading: true,
            ..self
        }
    }

    pub(crate) const fn hidden(self) -> Self {
        Self {
            hidden: true,
            ..self
        }
    }

    /// Redis's MULTI_ARG_CONFIG: takes several arguments on a config line, and
    /// CONFIG SET splits its value on spaces.
    pub fn multi_arg(&self) -> bool {
        match self.kind {
            Kind::Enum { multi, .. } => multi,
            Kind::Special(s) => !matches!(s, Special::Dir | Special::NotifyKeyspaceEvents),
            _ => false,
        }
    }
}

/// A name found in the table: the entry's index and the name it matched
/// (the canonical name or the alias, as Redis reports it in errors).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub index: usize,
    pub matched: &'static str,
}

fn index() -> &'static HashMap<&'static str, Found> {
    static INDEX: OnceLock<HashMap<&'static str, Found>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        for (index, def) in CONFIGS.iter().enumerate() {
            map.insert(
                def.name,
                Found {
                    index,
                    matched: def.name,
                },
            );
            if let Some(alias) = def.alias {
                map.insert(
                    alias,
                    Found {
                        index,
                        matched: alias,
                    },
                );
            }
        }
        map
    })
}

/// Looks up a config name or alias, case-insensitively (Redis's config dict
/// hashes and compares names without case).
pub(crate) fn find(name: &[u8]) -> Option<Found> {
    let lower = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    index().get(lower.as_str()).copied()
}

/// The table entry for `name` (canonical name or alias, any case).
pub fn lookup(name: &str) -> Option<&'static ConfigDef> {
    find(name.as_bytes()).and_then(|f| CONFIGS.get(f.index))
}

/// Every (name, entry) pair CONFIG GET patterns are matched against: each
/// canonical name followed by its alias, in table order.
pub(crate) fn all_names() -> impl Iterator<Item = (&'static str, usize)> {
    CONFIGS
        .iter()
        .enumerate()
        .flat_map(|(i, def)| std::iter::once((def.name, i)).chain(def.alias.map(|a| (a, i))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_knows_aliases() {
        assert_eq!(lookup("MaxMemory").map(|d| d.name), Some("maxmemory"));
        let found = find(b"SLAVE-READ-ONLY").map(|f| (CONFIGS[f.index].name, f.matched));
        assert_eq!(found, Some(("replica-read-only", "slave-read-only")));
        assert!(find(b"\xff").is_none());
        assert!(
            lookup("include").is_none(),
            "loader directives are not configs"
        );
        assert_eq!(all_names().count(), 197);
    }

    #[test]
    fn multi_argument_configs() {
        let multi = |name: &str| lookup(name).is_some_and(ConfigDef::multi_arg);
        for name in [
            "save",
            "bind",
            "client-output-buffer-limit",
            "replicaof",
            "oom-score-adj-values",
        ] {
            assert!(multi(name), "{name}");
        }
        for name in ["shutdown-on-sigint", "latency-tracking-info-percentiles"] {
            assert!(multi(name), "{name}");
        }
        for name in [
            "dir",
            "notify-keyspace-events",
            "port",
            "loglevel",
            "requirepass",
        ] {
            assert!(!multi(name), "{name}");
        }
    }

    #[test]
    fn flags() {
        let def = |name: &str| lookup(name).copied();
        assert!(def("requirepass").is_some_and(|d| d.sensitive && d.mutable));
        assert!(def("dir").is_some_and(|d| d.protected && d.deny_loading && d.implemented));
        assert!(def("databases").is_some_and(|d| !d.mutable));
        assert!(
            def("port").is_some_and(|d| d.mutable),
            "port is mutable since Redis 7.0"
        );
        assert!(
            def("bind").is_some_and(|d| d.mutable),
            "bind is mutable since Redis 7.0"
        );
        assert!(def("key-load-delay").is_some_and(|d| d.hidden));
    }
}
