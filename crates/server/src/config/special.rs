//! The special configs: output buffer limits, save rules, bind, replicaof, notify flags ...

use super::parse::{memtoull, string2d, strtoll_full};
use super::table::Special;
use super::value::{strerror, SetEnv, Value};

/// The output buffer limits of one client class (`client-output-buffer-limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect as soon as the output buffer exceeds this many bytes (0 = no limit).
    pub hard: u64,
    /// Disconnect when the buffer stays above this many bytes ...
    pub soft: u64,
    /// ... for this many seconds.
    pub soft_seconds: u64,
}

/// The client classes `client-output-buffer-limit` configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientClass {
    /// Ordinary clients.
    Normal,
    /// Replicas (`slave` in CONFIG GET, `replica` in CONFIG REWRITE).
    Replica,
    /// Clients subscribed to at least one channel or pattern.
    Pubsub,
}

impl ClientClass {
    /// Redis's getClientTypeByName, without `master` (which has no limits).
    pub fn from_name(name: &str) -> Option<ClientClass> {
        match name.to_ascii_lowercase().as_str() {
            "normal" => Some(ClientClass::Normal),
            "slave" | "replica" => Some(ClientClass::Replica),
            "pubsub" => Some(ClientClass::Pubsub),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            ClientClass::Normal => 0,
            ClientClass::Replica => 1,
            ClientClass::Pubsub => 2,
        }
    }
}

/// Redis's clientBufferLimitsDefaults: normal unlimited, replica 256mb/64mb/60s,
/// pubsub 32mb/8mb/60s.
pub(crate) const OBUF_DEFAULTS: [ObufLimit; 3] = [
    ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];
pub(crate) const OBUF_GET_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];
pub(crate) const OBUF_REWRITE_NAMES: [&str; 3] = ["normal", "replica", "pubsub"];
pub(crate) const SAVE_DEFAULTS: [(u64, u64); 3] = [(3600, 1), (300, 100), (60, 10000)];
pub(crate) const OOM_DEFAULTS: [i32; 3] = [0, 200, 800];
/// ferrodis binds to loopback by default (Redis 7.0 binds "* -::*"); the `-`
/// marks an address that may fail to bind, in Redis's syntax.
pub(crate) const BIND_DEFAULT: [&str; 2] = ["127.0.0.1", "-::1"];
/// CONFIG_BINDADDR_MAX.
const BIND_MAX: usize = 16;

/// `notify-keyspace-events` classes, in the order Redis prints them.
const NOTIFY_CLASSES: [(char, u32); 15] = [
    ('g', 1 << 2),
    ('$', 1 << 3),
    ('l', 1 << 4),
    ('s', 1 << 5),
    ('h', 1 << 6),
    ('z', 1 << 7),
    ('x', 1 << 8),
    ('e', 1 << 9),
    ('t', 1 << 10),
    ('d', 1 << 13),
    ('n', 1 << 14),
    ('K', 1 << 0),
    ('E', 1 << 1),
    ('m', 1 << 11),
    ('A', NOTIFY_ALL),
];
/// NOTIFY_ALL: every type class (g$lshzxetd), not K, E, m or n.
const NOTIFY_ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13);

fn parse_notify(s: &str) -> Option<u32> {
    s.chars().try_fold(0, |flags, c| {
        NOTIFY_CLASSES
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, bit)| flags | bit)
    })
}

/// Redis's keyspaceEventsFlagsToString.
pub(crate) fn format_notify(flags: u32) -> String {
    let mut out = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for (c, bit) in &NOTIFY_CLASSES[..11] {
            if flags & bit != 0 {
                out.push(*c);
            }
        }
    }
    for (c, bit) in &NOTIFY_CLASSES[11..14] {
        if flags & bit != 0 {
            out.push(*c);
        }
    }
    out
}

pub(crate) fn set_special(
    special: Special,
    current: &Value,
    args: &[String],
    env: &mut SetEnv<'_>,
) -> Result<Value, String> {
    const WRONG_ARGS: &str = "wrong number of arguments";
    let single_empty = args.len() == 1 && args[0].is_empty();
    Ok(match special {
        Special::Dir => {
            let [dir] = args else {
                return Err(WRONG_ARGS.to_string());
            };
            if dir.is_empty() {
                // chdir("") fails with ENOENT.
                return Err("No such file or directory".to_string());
            }
            // Redis chdir()s and reports getcwd(): an absolute, resolved path.
            let path = std::fs::canonicalize(env.cwd.join(dir)).map_err(|e| strerror(&e))?;
            if !path.is_dir() {
                return Err("Not a directory".to_string());
            }
            Value::Dir(path)
        }
        Special::Save => {
            const INVALID: &str = "Invalid save parameters";
            let args = if single_empty { &[][..] } else { args };
            if args.len() % 2 != 0 {
                return Err(INVALID.to_string());
            }
            let mut rules = Vec::new();
            for pair in args.chunks_exact(2) {
                let secs = strtoll_full(&pair[0], 10).filter(|v| *v >= 1);
                let changes = strtoll_full(&pair[1], 10).filter(|v| *v >= 0);
                match (secs, changes) {
                    (Some(s), Some(c)) => rules.push((s.unsigned_abs(), c.unsigned_abs())),
                    _ => return Err(INVALID.to_string()),
                }
            }
            // While reading config files, only the first `save` line (or any
            // `save ""`) drops the defaults; later lines add rules.
            let mut all = match current {
                Value::Save(old) if env.reading_file && *env.save_loaded && !single_empty => {
                    old.clone()
                }
                _ => Vec::new(),
            };
            *env.save_loaded = true;
            all.extend(rules);
            Value::Save(all)
        }
        Special::ClientOutputBufferLimit => {
            if args.len() % 4 != 0 {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut limits = match current {
                Value::Obuf(l) => *l,
                _ => OBUF_DEFAULTS,
            };
            for spec in args.chunks_exact(4) {
                let class = ClientClass::from_name(&spec[0])
                    .ok_or("Invalid client class specified in buffer limit configuration.")?;
                let hard = memtoull(&spec[1]);
                let soft = memtoull(&spec[2]);
                let secs = strtoll_full(&spec[3], 10).filter(|v| *v >= 0);
                let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
                    return Err(
                        "Error in hard, soft or soft_seconds setting in buffer limit \
                                configuration."
                            .into(),
                    );
                };
                let soft_seconds = secs.unsigned_abs();
                limits[class.index()] = ObufLimit {
                    hard,
                    soft,
                    soft_seconds,
                };
            }
            Value::Obuf(limits)
        }
        Special::OomScoreAdjValues => {
            let [a, b, c] = args else {
                return Err(WRONG_ARGS.to_string());
            };
            let mut out = [0i32; 3];
            for (slot, s) in out.iter_mut().zip([a, b, c]) {
                *slot = strtoll_full(s, 10)
                    .filter(|v| (-2000..=2000).contains(v))
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
                    )?;
            }
            Value::Oom(out)
        }
        Special::NotifyKeyspaceEvents => {
            let [classes] = args else {
                return Err(WRONG_ARGS.to_string());
            };
            let flags = parse_notify(classes)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Value::Notify(flags)
        }
        Special::Bind => {
            if args.len() > BIND_MAX {
                return Err("Too many bind addresses specified.".to_string());
            }
            Value::Bind(if single_empty {
                Vec::new()
            } else {
                args.to_vec()
            })
        }
        Special::ReplicaOf => {
            let [host, port] = args else {
                return Err(WRONG_ARGS.to_string());
            };
            if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
                Value::ReplicaOf(None)
            } else {
                let port = strtoll_full(port, 10)
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or("Invalid master port")?;
                Value::ReplicaOf(Some((host.clone(), port)))
            }
        }
        Special::LatencyTrackingInfoPercentiles => {
            let args = if single_empty { &[][..] } else { args };
            let mut out = Vec::with_capacity(args.len());
            for a in args {
                let v =
                    string2d(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(
                        "latency-tracking-info-percentiles parameters should sit between \
                                [0.0,100.0]"
                            .to_string(),
                    );
                }
                out.push(v);
            }
            Value::Percentiles(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn apply(
        special: Special,
        current: &Value,
        args: &[&str],
        reading_file: bool,
    ) -> Result<Value, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut save_loaded = true;
        let mut env = SetEnv {
            reading_file,
            save_loaded: &mut save_loaded,
            cwd: Path::new("/"),
        };
        set_special(special, current, &args, &mut env)
    }

    #[test]
    fn notify_flags_round_trip() {
        assert_eq!(parse_notify(""), Some(0));
        assert_eq!(parse_notify("Q"), None);
        for (input, shown) in [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("g$lshzxetdKEm", "AKEm"),
            ("n", "n"),
            ("A", "A"),
        ] {
            let flags = parse_notify(input).unwrap_or(u32::MAX);
            assert_eq!(format_notify(flags), shown, "{input}");
            assert_eq!(parse_notify(shown), Some(flags), "{input}");
        }
        // Redis 7.0 prints no `n` next to `A` (n is not part of A), and so does ferrodis.
        assert_eq!(parse_notify("An").map(format_notify).as_deref(), Some("A"));
    }

    #[test]
    fn save_rules_append_only_while_reading_files() {
        let current = Value::Save(vec![(1, 1)]);
        let got = apply(Special::Save, &current, &["2", "2"], true);
        assert_eq!(got, Ok(Value::Save(vec![(1, 1), (2, 2)])));
        let got = apply(Special::Save, &current, &["2", "2"], false);
        assert_eq!(got, Ok(Value::Save(vec![(2, 2)])));
        let got = apply(Special::Save, &current, &[""], true);
        assert_eq!(got, Ok(Value::Save(Vec::new())));
        let got = apply(Special::Save, &current, &["+5", "0"], false);
        assert_eq!(got, Ok(Value::Save(vec![(5, 0)])), "strtoll accepts a sign");
    }

    #[test]
    fn replicaof_and_bind() {
        let none = Value::ReplicaOf(None);
        assert_eq!(
            apply(Special::ReplicaOf, &none, &["NO", "ONE"], true),
            Ok(none.clone())
        );
        let got = apply(Special::ReplicaOf, &none, &["h", "6380"], true);
        assert_eq!(got, Ok(Value::ReplicaOf(Some(("h".to_string(), 6380)))));
        assert_eq!(
            apply(Special::ReplicaOf, &none, &["h", "-1"], true),
            Err("Invalid master port".into())
        );
        let bind = Value::Bind(Vec::new());
        assert_eq!(
            apply(Special::Bind, &bind, &[], true),
            Ok(Value::Bind(Vec::new()))
        );
        assert_eq!(
            apply(Special::Bind, &bind, &[""], true),
            Ok(Value::Bind(Vec::new()))
        );
        let got = apply(Special::Bind, &bind, &["* -::*"], true);
        assert_eq!(
            got,
            Ok(Value::Bind(vec!["* -::*".to_string()])),
            "callers split the value"
        );
    }

    #[test]
    fn client_classes() {
        assert_eq!(ClientClass::from_name("SLAVE"), Some(ClientClass::Replica));
        assert_eq!(
            ClientClass::from_name("replica"),
            Some(ClientClass::Replica)
        );
        assert_eq!(ClientClass::from_name("master"), None);
    }
}
