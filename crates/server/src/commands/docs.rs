//! COMMAND DOCS `arguments`, derived from each command's one-line syntax, so that
//! redis-cli 7 can show its argument hints.
//!
//! The syntax notation (`CommandSpec::syntax`) is a compact form of the docs'
//! usage line:
//!
//! ```text
//! key                  a key argument (type "key")
//! name:type            an argument of a type: string, integer, double, pattern, unix-time
//! name                 any other lowercase word: a string argument
//! NX                   an uppercase word: a pure token
//! EX seconds:integer   a token followed by an argument: one argument with that token
//! [ ... ]              optional: one element, or a block of several
//! a | b                alternatives (oneof), inside brackets or parentheses
//! ( ... )              a required group
//! x...                 repeated (flag "multiple"), after an element or a group
//! ```
//!
//! Each argument becomes the map Redis replies with (`name`, `type`, then
//! `key_spec_index`, `token`, `flags`, `arguments` when they apply).

use ferrodis_resp::Frame;

/// One parsed argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    name: String,
    kind: &'static str,
    token: Option<String>,
    optional: bool,
    multiple: bool,
    args: Vec<Arg>,
}

impl Arg {
    fn leaf(name: &str, kind: &'static str) -> Arg {
        Arg {
            name: name.to_string(),
            kind,
            token: None,
            optional: false,
            multiple: false,
            args: vec![],
        }
    }
}

/// Parse a syntax line into arguments. Malformed syntax is a bug in a spec; it is
/// caught by the test that parses every command's syntax.
pub fn parse(syntax: &str) -> Result<Vec<Arg>, String> {
    let tokens = lex(syntax);
    let mut pos = 0;
    let args = sequence(&tokens, &mut pos)?;
    match tokens.get(pos) {
        None => Ok(args),
        Some(t) => Err(format!("unexpected {t:?} in {syntax:?}")),
    }
}

/// Words, brackets, `|` and `...` as separate tokens.
fn lex(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        let w = std::mem::take(word);
        match w.strip_suffix("...") {
            Some(base) => {
                if !base.is_empty() {
                    out.push(base.to_string());
                }
                out.push("...".to_string());
            }
            None if !w.is_empty() => out.push(w),
            None => {}
        }
    };
    for c in s.chars() {
        match c {
            '[' | ']' | '(' | ')' | '|' | ' ' => {
                flush(&mut word, &mut out);
                if c != ' ' {
                    out.push(c.to_string());
                }
            }
            _ => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Alternatives separated by `|`, up to a closing bracket or the end.
fn alternatives(tokens: &[String], pos: &mut usize) -> Result<Vec<Vec<Arg>>, String> {
    let mut alts = vec![sequence(tokens, pos)?];
    while tokens.get(*pos).is_some_and(|t| t == "|") {
        *pos += 1;
        alts.push(sequence(tokens, pos)?);
    }
    Ok(alts)
}

/// Elements up to `|`, a closing bracket, or the end; a token followed by a value
/// argument merges into one argument carrying that token.
fn sequence(tokens: &[String], pos: &mut usize) -> Result<Vec<Arg>, String> {
    let mut out: Vec<Arg> = Vec::new();
    while let Some(t) = tokens.get(*pos) {
        let mut arg = match t.as_str() {
            "|" | "]" | ")" => break,
            "..." => return Err("'...' after nothing".to_string()),
            "[" | "(" => {
                let close = if t == "[" { "]" } else { ")" };
                *pos += 1;
                let alts = alternatives(tokens, pos)?;
                if tokens.get(*pos).map(String::as_str) != Some(close) {
                    return Err(format!("missing {close}"));
                }
                *pos += 1;
                let mut group = group(alts);
                group.optional = close == "]";
                group
            }
            word => {
                *pos += 1;
                word_arg(word)
            }
        };
        if tokens.get(*pos).is_some_and(|t| t == "...") {
            *pos += 1;
            arg.multiple = true;
        }
        // `EX seconds`: the token becomes part of the argument that follows it.
        let merge = out
            .last()
            .is_some_and(|prev| prev.kind == "pure-token" && !prev.optional && !prev.multiple)
            && arg.kind != "pure-token"
            && arg.token.is_none();
        if merge {
            if let Some(prev) = out.pop() {
                arg.token = prev.token;
            }
        }
        out.push(arg);
    }
    Ok(out)
}

fn group(mut alts: Vec<Vec<Arg>>) -> Arg {
    if alts.len() > 1 {
        let args: Vec<Arg> = alts.into_iter().map(block_of).collect();
        let name = args
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join("-");
        return Arg {
            name,
            kind: "oneof",
            token: None,
            optional: false,
            multiple: false,
            args,
        };
    }
    block_of(alts.pop().unwrap_or_default())
}

/// One argument for a sequence: itself when it has one element, else a block.
fn block_of(mut seq: Vec<Arg>) -> Arg {
    if seq.len() == 1 {
        if let Some(only) = seq.pop() {
            return only;
        }
    }
    let name = seq.first().map(|a| a.name.clone()).unwrap_or_default();
    Arg {
        name,
        kind: "block",
        token: None,
        optional: false,
        multiple: false,
        args: seq,
    }
}

fn word_arg(word: &str) -> Arg {
    if let Some((name, kind)) = word.split_once(':') {
        let kind = match kind {
            "integer" => Some("integer"),
            "double" => Some("double"),
            "pattern" => Some("pattern"),
            "unix-time" => Some("unix-time"),
            "key" => Some("key"),
            "string" => Some("string"),
            // Not a type: a name with a colon in it, such as `ip:port`.
            _ => None,
        };
        if let Some(kind) = kind {
            return Arg::leaf(name, kind);
        }
        return Arg::leaf(word, "string");
    }
    if word
        .chars()
        .all(|c| c.is_ascii_uppercase() || c == '-' || c.is_ascii_digit())
    {
        let mut arg = Arg::leaf(&word.to_ascii_lowercase(), "pure-token");
        arg.token = Some(word.to_string());
        return arg;
    }
    Arg::leaf(word, if word == "key" { "key" } else { "string" })
}

/// The RESP3 map Redis replies with for each argument.
pub fn frames(args: &[Arg]) -> Frame {
    Frame::Array(args.iter().map(frame).collect())
}

fn frame(arg: &Arg) -> Frame {
    let kv = |k: &'static str, v: Frame| (Frame::bulk(k), v);
    let mut fields = vec![
        kv("name", Frame::bulk(arg.name.clone())),
        kv("type", Frame::bulk(arg.kind)),
    ];
    if arg.kind == "key" {
        // ferrodis describes each command's keys with one key spec.
        fields.push(kv("key_spec_index", Frame::Integer(0)));
    }
    if let Some(token) = &arg.token {
        fields.push(kv("token", Frame::bulk(token.clone())));
    }
    let mut flags = Vec::new();
    if arg.optional {
        flags.push(Frame::simple("optional"));
    }
    if arg.multiple {
        flags.push(Frame::simple("multiple"));
    }
    if !flags.is_empty() {
        fields.push(kv("flags", Frame::Set(flags)));
    }
    if !arg.args.is_empty() {
        fields.push(kv("arguments", frames(&arg.args)));
    }
    Frame::Map(fields)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Back to a usage line, as redis-cli renders hints.
    fn render(args: &[Arg]) -> String {
        args.iter()
            .map(|a| {
                let mut s = match a.kind {
                    "pure-token" => a.token.clone().unwrap(),
                    "oneof" => a
                        .args
                        .iter()
                        .map(|x| render(std::slice::from_ref(x)))
                        .collect::<Vec<_>>()
                        .join(" | "),
                    "block" => render(&a.args),
                    _ => a.name.clone(),
                };
                if let (Some(t), false) = (&a.token, a.kind == "pure-token") {
                    s = format!("{t} {s}");
                }
                if a.multiple {
                    s.push_str(" ...");
                }
                if a.optional {
                    s = format!("[{s}]");
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn usage_lines_round_trip() {
        for (syntax, usage) in [
            ("key", "key"),
            ("key...", "key ..."),
            ("(key value)...", "key value ..."),
            ("key [count:integer]", "key [count]"),
            (
                "key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer | KEEPTTL]",
                "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]",
            ),
            (
                "[protover:integer [AUTH username password] [SETNAME clientname]]",
                "[protover [AUTH username password] [SETNAME clientname]]",
            ),
            ("[username] password", "[username] password"),
            ("[section...]", "[section ...]"),
        ] {
            assert_eq!(render(&parse(syntax).unwrap()), usage, "{syntax}");
        }
    }

    #[test]
    fn tokens_merge_with_their_value() {
        let args = parse("key [EX seconds:integer]").unwrap();
        assert_eq!(args[1].token.as_deref(), Some("EX"));
        assert_eq!(args[1].kind, "integer");
        assert!(args[1].optional);
        let args = parse("[NX] [GET]").unwrap();
        assert_eq!(
            args.iter().map(|a| a.kind).collect::<Vec<_>>(),
            ["pure-token", "pure-token"]
        );
    }

    #[test]
    fn malformed_syntax_is_an_error() {
        assert!(parse("[key").is_err());
        assert!(parse("key ]").is_err());
    }

    #[test]
    fn get_matches_redis_reply() {
        let f = frames(&parse("key").unwrap());
        assert_eq!(
            f,
            Frame::Array(vec![Frame::Map(vec![
                (Frame::bulk("name"), Frame::bulk("key")),
                (Frame::bulk("type"), Frame::bulk("key")),
                (Frame::bulk("key_spec_index"), Frame::Integer(0)),
            ])])
        );
    }
}
