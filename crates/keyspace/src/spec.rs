//! Command metadata (what COMMAND, COMMAND INFO and COMMAND DOCS report) and lookup by name.

use crate::commands;

/// Everything Redis 7.0 reports about a command in COMMAND INFO and COMMAND DOCS
/// (except key specs and tips; arguments come from `syntax`). The values of the keyspace commands are
/// the ones redis-server 7.0.15 reports.
///
/// Public and plainly constructible so that a server can describe its own commands
/// (PING, CLIENT, CONFIG, ...) the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The lowercase name.
    pub name: &'static str,
    /// Number of arguments, the name included; negative means "at least `-arity`".
    pub arity: i32,
    /// COMMAND flag names: `"write"`, `"readonly"`, `"denyoom"`, `"fast"`, ...
    pub flags: &'static [&'static str],
    /// Position of the first key, 0 for none.
    pub first_key: i32,
    /// Position of the last key; negative counts from the end.
    pub last_key: i32,
    /// Step between keys.
    pub step: i32,
    /// ACL categories: `"@string"`, `"@write"`, `"@fast"`, ...
    pub acl_categories: &'static [&'static str],
    /// The COMMAND DOCS group: `"string"`, `"generic"`, `"list"`, ...
    pub group: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// The Redis version that introduced the command.
    pub since: &'static str,
    /// Time complexity, as documented.
    pub complexity: &'static str,
    /// The arguments after the name, in the compact notation the server turns into
    /// COMMAND DOCS `arguments` (for redis-cli hints): `key`, `name:type`, UPPERCASE
    /// tokens, `[optional]`, `a | b`, `(group)`, `repeated...`. Empty: no arguments.
    pub syntax: &'static str,
}

impl CommandSpec {
    /// Whether `argc` arguments (the name included) satisfy the arity, as checked in
    /// Redis's `processCommand()`, or one of the few longer forms a later Redis
    /// added that ferrodis accepts while reporting 7.0's arity (ZRANK ... WITHSCORE).
    pub fn arity_ok(&self, argc: usize) -> bool {
        let Ok(argc) = i64::try_from(argc) else {
            return false;
        };
        let arity = i64::from(self.arity);
        let ok = if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        };
        ok || commands::EXTRA_ARITY
            .iter()
            .any(|&(name, n)| name == self.name && i64::from(n) == argc)
    }
}

/// Every keyspace command, for COMMAND, COMMAND INFO, COMMAND DOCS and COMMAND COUNT.
pub fn command_specs() -> &'static [CommandSpec] {
    commands::SPECS
}

/// The subcommands of the keyspace container command called `name` (OBJECT's
/// `object|encoding`, ...), for COMMAND and COMMAND DOCS; empty for other commands.
pub fn subcommand_specs(name: &[u8]) -> &'static [&'static CommandSpec] {
    commands::subcommands(name)
}

/// The keyspace command called `name`, in any case; `None` for other names. Does not
/// allocate.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    commands::SPECS.get(commands::index(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case() {
        let get = lookup(b"GeT").map(|s| s.name);
        assert_eq!(get, Some("get"));
        assert_eq!(lookup(b"ping"), None);
    }

    #[test]
    fn arity() {
        let get = lookup(b"get").copied();
        let del = lookup(b"del").copied();
        assert_eq!(
            get.map(|s| (s.arity_ok(1), s.arity_ok(2), s.arity_ok(3))),
            Some((false, true, false))
        );
        assert_eq!(
            del.map(|s| (s.arity_ok(1), s.arity_ok(2), s.arity_ok(9))),
            Some((false, true, true))
        );
    }

    #[test]
    fn specs_look_like_redis() {
        let set = lookup(b"set").copied();
        assert_eq!(
            set.map(|s| (s.arity, s.flags, s.first_key)),
            Some((-3, &["write", "denyoom"][..], 1))
        );
        let subs = command_specs()
            .iter()
            .flat_map(|s| subcommand_specs(s.name.as_bytes()).iter().copied());
        for spec in command_specs().iter().chain(subs) {
            // Containers (OBJECT) have no flags of their own; their subcommands do.
            let container = !subcommand_specs(spec.name.as_bytes()).is_empty();
            let help = spec.name.ends_with("|help");
            assert!(
                container
                    || help
                    || spec
                        .flags
                        .iter()
                        .any(|f| *f == "write" || *f == "readonly" || spec.group == "connection"),
                "{}",
                spec.name
            );
            assert!(
                spec.acl_categories.iter().all(|c| c.starts_with('@')),
                "{}",
                spec.name
            );
            assert!(
                !spec.summary.is_empty() && !spec.since.is_empty() && !spec.complexity.is_empty()
            );
        }
    }
}
