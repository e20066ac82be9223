//! Config values: setting one from arguments, its CONFIG GET text, its CONFIG REWRITE lines.

use std::path::{Path, PathBuf};

use super::parse::{format_memory, format_percentile, memtoull, string2ll, strtoll_full};
use super::special::{
    format_notify, set_special, ObufLimit, BIND_DEFAULT, OBUF_DEFAULTS, OBUF_GET_NAMES,
    OBUF_REWRITE_NAMES, OOM_DEFAULTS, SAVE_DEFAULTS,
};
use super::table::{ConfigDef, Kind, NumFormat, Special};
use super::tokenize::repr;

/// The value of one config.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    Num(i128),
    /// `None` is Redis's NULL string (unset).
    Str(Option<String>),
    Enum(u32),
    Dir(PathBuf),
    Save(Vec<(u64, u64)>),
    Obuf([ObufLimit; 3]),
    Oom([i32; 3]),
    Notify(u32),
    Bind(Vec<String>),
    ReplicaOf(Option<(String, u16)>),
    Percentiles(Vec<f64>),
}

/// The state a value is set in.
#[derive(Debug)]
pub(crate) struct SetEnv<'a> {
    /// Reading config files (Redis's `reading_config_file`), not CONFIG SET.
    pub reading_file: bool,
    /// Whether a `save` line was seen in this load: the first one replaces
    /// the defaults, later ones add to it.
    pub save_loaded: &'a mut bool,
    /// The directory relative `dir` values are resolved against.
    pub cwd: &'a Path,
}

pub(crate) fn default_value(def: &ConfigDef, cwd: &Path) -> Value {
    match def.kind {
        Kind::Bool { default, .. } => Value::Bool(default),
        Kind::Num { default, .. } => Value::Num(default),
        Kind::Str { default, .. } => Value::Str(default.map(str::to_string)),
        Kind::Enum { default, .. } => Value::Enum(default),
        Kind::Special(special) => match special {
            Special::Dir => Value::Dir(cwd.to_path_buf()),
            Special::Save => Value::Save(SAVE_DEFAULTS.to_vec()),
            Special::ClientOutputBufferLimit => Value::Obuf(OBUF_DEFAULTS),
            Special::OomScoreAdjValues => Value::Oom(OOM_DEFAULTS),
            Special::NotifyKeyspaceEvents => Value::Notify(0),
            Special::Bind => Value::Bind(BIND_DEFAULT.iter().map(|s| s.to_string()).collect()),
            Special::ReplicaOf => Value::ReplicaOf(None),
            Special::LatencyTrackingInfoPercentiles => Value::Percentiles(vec![50.0, 99.0, 99.9]),
        },
    }
}

/// Redis's error when an enum value is not one of the allowed ones; Redis
/// copies it into a 256-byte buffer, so it is cut at 255 bytes.
fn enum_error(values: &[(&str, u32)]) -> String {
    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    msg.truncate(255);
    msg
}

fn parse_number(s: &str, format: NumFormat) -> Result<i128, &'static str> {
    if matches!(format, NumFormat::Memory | NumFormat::MemoryOrPercent) {
        if let Some(v) = memtoull(s) {
            return Ok(i128::from(v));
        }
    }
    if format == NumFormat::MemoryOrPercent {
        if let Some(v) = s
            .strip_suffix('%')
            .filter(|p| !p.is_empty())
            .and_then(string2ll)
        {
            if v >= 0 {
                // Percentages are stored negative, as in Redis.
                return Ok(-i128::from(v));
            }
        }
    }
    match format {
        NumFormat::Integer => string2ll(s)
            .map(i128::from)
            .ok_or("argument couldn't be parsed into an integer"),
        NumFormat::Octal => strtoll_full(s, 8)
            .map(i128::from)
            .ok_or("argument couldn't be parsed as an octal number"),
        NumFormat::Memory => Err("argument must be a memory value"),
        NumFormat::MemoryOrPercent => Err("argument must be a memory or percent value"),
    }
}

fn check_bounds(v: i128, min: i128, max: i128, format: NumFormat) -> Result<(), String> {
    if format == NumFormat::MemoryOrPercent && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
        return Ok(());
    }
    if (min..=max).contains(&v) {
        Ok(())
    } else if format == NumFormat::Octal {
        Err(format!(
            "argument must be between {min:o} and {max:o} inclusive"
        ))
    } else {
        Err(format!(
            "argument must be between {min} and {max} inclusive"
        ))
    }
}

fn parse_enum(values: &[(&str, u32)], args: &[String], multi: bool) -> Option<u32> {
    if args.is_empty() || (!multi && args.len() != 1) {
        return None;
    }
    let mut flags = 0;
    for arg in args {
        let (_, v) = values.iter().find(|(n, _)| n.eq_ignore_ascii_case(arg))?;
        flags |= v;
    }
    Some(flags)
}

/// Redis's configEnumGetName: the first name with exactly this value, else for
/// flag sets the names covering it in table order, else "unknown".
pub(crate) fn enum_name(values: &[(&str, u32)], v: u32, multi: bool) -> String {
    if let Some((name, _)) = values.iter().find(|(_, x)| *x == v) {
        return name.to_string();
    }
    let mut names = Vec::new();
    let mut left = v;
    if multi {
        for (name, x) in values {
            if *x != 0 && *x & left == *x {
                names.push(*name);
                left &= !x;
            }
        }
    }
    if names.is_empty() || left != 0 {
        return "unknown".to_string();
    }
    names.join(" ")
}

/// The text of an I/O error without Rust's " (os error N)" suffix, i.e. strerror().
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Sets `value` (of config `def`) from a directive's arguments; the error is
/// Redis's message. `args` has one element unless `def.multi_arg()`.
pub(crate) fn set_value(
    def: &ConfigDef,
    value: &mut Value,
    args: &[String],
    env: &mut SetEnv<'_>,
) -> Result<(), String> {
    let arg = args.first().map(String::as_str).unwrap_or("");
    *value = match def.kind {
        Kind::Bool { check, .. } => {
            let on = match arg.to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err("argument must be 'yes' or 'no'".to_string()),
            };
            if let Some(check) = check {
                check(on)?;
            }
            Value::Bool(on)
        }
        Kind::Num {
            min, max, format, ..
        } => {
            let v = parse_number(arg, format)?;
            check_bounds(v, min, max, format)?;
            Value::Num(v)
        }
        Kind::Str {
            empty_is_null,
            check,
            ..
        } => {
            if let Some(check) = check {
                check(arg)?;
            }
            Value::Str((!(empty_is_null && arg.is_empty())).then(|| arg.to_string()))
        }
        Kind::Enum {
            values,
            multi,
            check,
            ..
        } => {
            let v = parse_enum(values, args, multi).ok_or_else(|| enum_error(values))?;
            if let Some(check) = check {
                check(v)?;
            }
            Value::Enum(v)
        }
        Kind::Special(special) => set_special(special, value, args, env)?,
    };
    Ok(())
}

/// The value as CONFIG GET prints it.
pub(crate) fn format_get(def: &ConfigDef, value: &Value) -> String {
    match (value, def.kind) {
        (Value::Bool(b), _) => if *b { "yes" } else { "no" }.to_string(),
        (
            Value::Num(v),
            Kind::Num {
                format: NumFormat::MemoryOrPercent,
                ..
            },
        ) if *v < 0 => {
            format!("{}%", -v)
        }
        (
            Value::Num(v),
            Kind::Num {
                format: NumFormat::Octal,
                ..
            },
        ) => format!("{v:o}"),
        (Value::Num(v), _) => v.to_string(),
        (Value::Str(s), _) => s.clone().unwrap_or_default(),
        (Value::Enum(v), Kind::Enum { values, multi, .. }) => enum_name(values, *v, multi),
        (Value::Enum(v), _) => v.to_string(),
        (Value::Dir(p), _) => p.to_string_lossy().into_owned(),
        (Value::Save(rules), _) => rules
            .iter()
            .map(|(s, c)| format!("{s} {c}"))
            .collect::<Vec<_>>()
            .join(" "),
        (Value::Obuf(limits), _) => limits
            .iter()
            .zip(OBUF_GET_NAMES)
            .map(|(l, n)| format!("{n} {} {} {}", l.hard, l.soft, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" "),
        (Value::Oom(v), _) => format!("{} {} {}", v[0], v[1], v[2]),
        (Value::Notify(flags), _) => format_notify(*flags),
        (Value::Bind(addrs), _) => addrs.join(" "),
        (Value::ReplicaOf(r), _) => r
            .as_ref()
            .map(|(h, p)| format!("{h} {p}"))
            .unwrap_or_default(),
        (Value::Percentiles(v), _) => v
            .iter()
            .map(|p| format_percentile(*p))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// What CONFIG REWRITE writes for one config: lines with their `force` flag
/// (write even if the file does not mention the option). An empty list only
/// marks the option as processed, which removes its old lines.
pub(crate) fn rewrite_lines(
    def: &ConfigDef,
    value: &Value,
    default: &Value,
) -> Vec<(String, bool)> {
    let name = def.name;
    let changed = value != default;
    let one = |rest: String, force: bool| vec![(format!("{name} {rest}"), force)];
    match (value, def.kind) {
        (Value::Num(v), Kind::Num { format, .. }) => match format {
            NumFormat::MemoryOrPercent if *v < 0 => one(format!("{}%", -v), changed),
            NumFormat::Memory | NumFormat::MemoryOrPercent => one(format_memory(*v), changed),
            NumFormat::Octal => one(format!("{v:o}"), changed),
            NumFormat::Integer => one(v.to_string(), changed),
        },
        // Unset strings must not appear in the file to stay unset after a restart.
        (Value::Str(None), _) => Vec::new(),
        (Value::Str(Some(s)), Kind::Str { default, .. }) => {
            one(repr(s.as_bytes()), default != Some(s.as_str()))
        }
        (Value::Dir(p), _) => one(repr(p.as_os_str().as_encoded_bytes()), true),
        (Value::Save(rules), _) if rules.is_empty() => one("\"\"".to_string(), true),
        (Value::Save(rules), _) => rules
            .iter()
            .map(|(s, c)| (format!("{name} {s} {c}"), true))
            .collect(),
        (Value::Obuf(limits), _) => limits
            .iter()
            .zip(OBUF_DEFAULTS)
            .zip(OBUF_REWRITE_NAMES)
            .map(|((l, d), class)| {
                let line = format!(
                    "{name} {class} {} {} {}",
                    format_memory(i128::from(l.hard)),
                    format_memory(i128::from(l.soft)),
                    l.soft_seconds
                );
                (line, *l != d)
            })
            .collect(),
        (Value::Notify(flags), _) => one(repr(format_notify(*flags).as_bytes()), *flags != 0),
        (Value::Bind(_), _) if !changed => Vec::new(),
        (Value::Bind(addrs), _) if addrs.is_empty() => one("\"\"".to_string(), true),
        (Value::Bind(addrs), _) => one(addrs.join(" "), true),
        (Value::ReplicaOf(None), _) => Vec::new(),
        (Value::ReplicaOf(Some((host, port))), _) => one(format!("{host} {port}"), true),
        (Value::Percentiles(v), _) if v.is_empty() => one("\"\"".to_string(), true),
        (Value::Percentiles(_), _) => one(format_get(def, value), true),
        _ => one(format_get(def, value), changed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lookup;

    #[test]
    fn numbers_parse_like_redis() {
        assert_eq!(parse_number("1kb", NumFormat::Memory), Ok(1024));
        assert_eq!(parse_number("10%", NumFormat::MemoryOrPercent), Ok(-10));
        assert_eq!(
            parse_number("-10%", NumFormat::MemoryOrPercent),
            Err("argument must be a memory or percent value")
        );
        assert_eq!(
            parse_number("%", NumFormat::MemoryOrPercent),
            Err("argument must be a memory or percent value")
        );
        assert_eq!(parse_number("0777", NumFormat::Octal), Ok(0o777));
        assert_eq!(
            parse_number("1k", NumFormat::Integer),
            Err("argument couldn't be parsed into an integer")
        );
        assert_eq!(
            check_bounds(-101, -100, 10, NumFormat::MemoryOrPercent),
            Err("percentage argument must be less or equal to 100".into())
        );
        assert_eq!(
            check_bounds(11, -100, 10, NumFormat::MemoryOrPercent),
            Err("argument must be between -100 and 10 inclusive".into())
        );
    }

    #[test]
    fn enum_names() {
        let values = [
            ("default", 0),
            ("save", 1),
            ("nosave", 2),
            ("now", 4),
            ("force", 8),
        ];
        assert_eq!(enum_name(&values, 0, true), "default");
        assert_eq!(enum_name(&values, 1 | 4 | 8, true), "save now force");
        assert_eq!(enum_name(&values, 16, true), "unknown");
        assert_eq!(enum_name(&values, 5, false), "unknown");
        assert_eq!(
            parse_enum(&values, &["NOW".into(), "save".into()], true),
            Some(5)
        );
        assert_eq!(
            parse_enum(&values, &["now".into(), "save".into()], false),
            None
        );
        assert_eq!(parse_enum(&values, &[], true), None);
        let long = [("a".repeat(300).leak() as &str, 0)];
        assert_eq!(enum_error(&long).len(), 255);
    }

    #[test]
    fn rewrite_formats() {
        let lines = |name: &str, v: Value| {
            let def = lookup(name).expect("known config");
            rewrite_lines(def, &v, &default_value(def, Path::new("/")))
        };
        assert_eq!(
            lines("maxmemory", Value::Num(3 << 30)),
            vec![("maxmemory 3gb".to_string(), true)]
        );
        assert_eq!(
            lines("maxmemory", Value::Num(0)),
            vec![("maxmemory 0".to_string(), false)]
        );
        assert_eq!(
            lines("maxmemory-clients", Value::Num(-5)),
            vec![("maxmemory-clients 5%".to_string(), true)]
        );
        assert_eq!(
            lines("unixsocketperm", Value::Num(0o700)),
            vec![("unixsocketperm 700".to_string(), true)]
        );
        assert_eq!(lines("requirepass", Value::Str(None)), Vec::new());
        assert_eq!(
            lines("logfile", Value::Str(Some(String::new()))),
            vec![("logfile \"\"".to_string(), false)]
        );
        assert_eq!(
            lines("bind", Value::Bind(Vec::new())),
            vec![("bind \"\"".to_string(), true)]
        );
        assert_eq!(
            lines("replicaof", Value::ReplicaOf(Some(("h".into(), 1)))),
            vec![("replicaof h 1".to_string(), true)]
        );
        assert_eq!(
            lines("save", Value::Save(Vec::new())),
            vec![("save \"\"".to_string(), true)]
        );
        assert_eq!(
            lines("slave-read-only", Value::Bool(false)),
            vec![("replica-read-only no".to_string(), true)]
        );
    }

    #[test]
    fn strerror_strips_the_os_error_suffix() {
        assert_eq!(
            strerror(&std::io::Error::from_raw_os_error(13)),
            "Permission denied"
        );
        assert_eq!(strerror(&std::io::Error::other("custom")), "custom");
    }
}
