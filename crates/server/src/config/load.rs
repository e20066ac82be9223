//! Loading: redis-server's command line, redis.conf files with `include`, stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::defs::CONFIGS;
use super::error::{ConfigError, ConfigSource, REDIS_COMPAT_VERSION};
use super::table::find;
use super::tokenize::{repr, split_args};
use super::value::{set_value, strerror, SetEnv, Value};
use super::{clamp_hz, glob, Config};

/// What the command line asks for.
#[derive(Debug)]
pub enum Startup {
    /// Run the server with this configuration.
    Run(Config),
    /// `-v` / `--version`: print [`version()`] and exit 0.
    Version,
    /// `-h` / `--help`: print [`usage()`] to stderr and exit 1 (as redis-server does).
    Help,
}

/// The `--version` line.
pub fn version() -> String {
    format!(
        "ferrodis-server v={} (Redis {REDIS_COMPAT_VERSION} compatible) bits={}",
        env!("CARGO_PKG_VERSION"),
        usize::BITS
    )
}

/// The `--help` text, with redis-server's usage lines.
pub fn usage() -> String {
    [
        "Usage: ./ferrodis-server [/path/to/redis.conf] [options] [-]",
        "       ./ferrodis-server - (read config from stdin)",
        "       ./ferrodis-server -v or --version",
        "       ./ferrodis-server -h or --help",
        "",
        "Examples:",
        "       ./ferrodis-server (run the server with default conf)",
        "       echo 'maxmemory 128mb' | ./ferrodis-server -",
        "       ./ferrodis-server /etc/redis/6379.conf",
        "       ./ferrodis-server --port 7777",
        "       ./ferrodis-server --port 7777 --replicaof 127.0.0.1 8888",
        "       ./ferrodis-server /etc/myredis.conf --loglevel verbose -",
        "       ./ferrodis-server /etc/myredis.conf --loglevel verbose",
        "",
    ]
    .join("\n")
}

/// Config lines Redis still accepts and ignores (removed options).
const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];
/// Nested `include`s deeper than this are an error (Redis recurses until it crashes).
const MAX_INCLUDE_DEPTH: usize = 32;

fn unsupported(message: &str) -> ConfigError {
    ConfigError::Unsupported {
        message: message.to_string(),
    }
}

impl Config {
    /// Parses redis-server's command line; `args` are the arguments after the
    /// program name (`std::env::args().skip(1)`). `-` reads config from stdin.
    pub fn from_args(args: &[String]) -> Result<Startup, ConfigError> {
        Config::from_args_with_stdin(args, &mut std::io::stdin())
    }

    /// [`Config::from_args`] with the stream `-` reads from.
    pub fn from_args_with_stdin(
        args: &[String],
        stdin: &mut dyn Read,
    ) -> Result<Startup, ConfigError> {
        match args.first().map(String::as_str) {
            Some("-v" | "--version") => return Ok(Startup::Version),
            Some("-h" | "--help") => return Ok(Startup::Help),
            Some("--test-memory") => {
                return Err(unsupported("ferrodis has no memory test (--test-memory)"))
            }
            Some("--check-system") => return Err(unsupported("ferrodis has no --check-system")),
            _ => {}
        }
        if args.iter().any(|a| a == "--sentinel") {
            return Err(unsupported(
                "ferrodis does not implement sentinel mode (--sentinel)",
            ));
        }
        let mut config = Config::default();
        let mut loader = Loader::new(config.start_dir.clone());
        let mut first_option = 0;
        if let Some(path) = args.first().filter(|a| !a.starts_with('-')) {
            // Like Redis, remember the config file by its absolute path.
            let path = std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path));
            loader.load_file(&mut config, &path, &path, None)?;
            config.config_file = Some(path);
            first_option = 1;
        }
        let (options, from_stdin) = options_text(args, first_option);
        if from_stdin {
            let mut text = Vec::new();
            stdin
                .read_to_end(&mut text)
                .map_err(|error| ConfigError::Open {
                    path: PathBuf::from("-"),
                    error,
                })?;
            loader.load_text(&mut config, &text, &ConfigSource::Stdin)?;
        }
        loader.load_text(&mut config, options.as_bytes(), &ConfigSource::CommandLine)?;
        loader.finish(&mut config)?;
        Ok(Startup::Run(config))
    }

    /// Loads one config file (with its `include`s) over the defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut loader = Loader::new(config.start_dir.clone());
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        loader.load_file(&mut config, &abs, &abs, None)?;
        config.config_file = Some(abs);
        loader.finish(&mut config)?;
        Ok(config)
    }

    /// Loads redis.conf text over the defaults (no config file is remembered).
    pub fn from_text(text: &str) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut loader = Loader::new(config.start_dir.clone());
        loader.load_text(&mut config, text.as_bytes(), &ConfigSource::Text)?;
        loader.finish(&mut config)?;
        Ok(config)
    }
}

/// Turns `--name value...` options into config lines exactly like redis-server's
/// main(): each `--name` starts a line, values are quoted with `repr`, an
/// argument starting with `--` right after a bare `--name` is its value, and
/// `--save` with nothing after it means `save ""`. Also reports a `-` (first or
/// last argument) asking for stdin.
fn options_text(args: &[String], start: usize) -> (String, bool) {
    let mut options = String::new();
    let mut from_stdin = false;
    let mut value_given = true;
    for (j, arg) in args.iter().enumerate().skip(start) {
        let is_last = j + 1 == args.len();
        if arg == "-" && (j == 0 || is_last) {
            from_stdin = true;
        } else if value_given && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            // "--port 6380" as one argument carries its own value.
            let name_only = split_args(arg.as_bytes())
                .map(|v| v.len() == 1)
                .unwrap_or(false);
            value_given = !name_only;
            if name_only && arg.eq_ignore_ascii_case("--save") {
                let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
                if next_is_option || is_last {
                    options.push_str("\"\"");
                    value_given = true;
                }
            }
        } else {
            options.push_str(&repr(arg.as_bytes()));
            options.push(' ');
            value_given = true;
        }
    }
    (options, from_stdin)
}

/// State of one load: the working directory `dir` lines move (Redis chdir()s
/// as it reads them, so later relative `include`s resolve there), the
/// `save` accumulation flag, and the stack of files being read.
#[derive(Debug)]
struct Loader {
    cwd: PathBuf,
    save_loaded: bool,
    reading: Vec<PathBuf>,
}

impl Loader {
    fn new(cwd: PathBuf) -> Loader {
        Loader {
            cwd,
            save_loaded: false,
            reading: Vec::new(),
        }
    }

    /// Reads and loads one file; `shown` is the path for messages, `at` the
    /// including line (for cycle errors).
    fn load_file(
        &mut self,
        config: &mut Config,
        path: &Path,
        shown: &Path,
        at: Option<(&ConfigSource, usize, &str)>,
    ) -> Result<(), ConfigError> {
        let open_error = |error| ConfigError::Open {
            path: shown.to_path_buf(),
            error,
        };
        let resolved = self.cwd.join(path);
        let canonical = std::fs::canonicalize(&resolved).map_err(open_error)?;
        if let Some((source, line, text)) = at {
            let message = if self.reading.contains(&canonical) {
                Some(format!(
                    "include cycle: '{}' is already being read",
                    shown.display()
                ))
            } else if self.reading.len() >= MAX_INCLUDE_DEPTH {
                Some(format!(
                    "includes nested deeper than {MAX_INCLUDE_DEPTH} files"
                ))
            } else {
                None
            };
            if let Some(message) = message {
                let (source, text) = (source.clone(), text.to_string());
                return Err(ConfigError::Line {
                    source,
                    line,
                    text,
                    message,
                });
            }
        }
        let text = std::fs::read(&resolved).map_err(open_error)?;
        self.reading.push(canonical);
        let result = self.load_text(config, &text, &ConfigSource::File(shown.to_path_buf()));
        self.reading.pop();
        result
    }

    /// Redis's loadServerConfigFromString: one directive per line.
    fn load_text(
        &mut self,
        config: &mut Config,
        text: &[u8],
        source: &ConfigSource,
    ) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let shown = String::from_utf8_lossy(line).into_owned();
            let fail = |message: &str| ConfigError::Line {
                source: source.clone(),
                line: i + 1,
                text: shown.clone(),
                message: message.to_string(),
            };
            let args =
                split_args(line).map_err(|_| fail("Unbalanced quotes in configuration line"))?;
            let args: Vec<String> = args
                .into_iter()
                .map(String::from_utf8)
                .collect::<Result<_, _>>()
                .map_err(|_| fail("ferrodis config lines must be valid UTF-8"))?;
            if args.is_empty() {
                continue;
            }
            self.directive(config, &args, source, i + 1, &shown)
                .map_err(|e| match e {
                    Directive::Fail(message) => fail(&message),
                    Directive::Nested(e) => e,
                })?;
        }
        Ok(())
    }

    fn directive(
        &mut self,
        config: &mut Config,
        args: &[String],
        source: &ConfigSource,
        line: usize,
        shown: &str,
    ) -> Result<(), Directive> {
        let name = args[0].to_ascii_lowercase();
        let argc = args.len();
        if let Some(found) = find(name.as_bytes()) {
            let def = &CONFIGS[found.index];
            if !def.multi_arg() && argc != 2 {
                return Err(Directive::Fail("wrong number of arguments".to_string()));
            }
            // A multi-argument config given as one quoted argument is split
            // again, so `--save "60 1 300 10"` works; but not "" (`save ""`).
            let resplit;
            let values = if def.multi_arg() && argc == 2 && !args[1].is_empty() {
                resplit = split_args(args[1].as_bytes())
                    .map_err(|_| Directive::Fail("Unbalanced quotes in configuration line".into()))?
                    .into_iter()
                    .map(|a| String::from_utf8_lossy(&a).into_owned())
                    .collect::<Vec<_>>();
                &resplit[..]
            } else {
                &args[1..]
            };
            let mut env = SetEnv {
                reading_file: true,
                save_loaded: &mut self.save_loaded,
                cwd: &self.cwd,
            };
            set_value(def, &mut config.values[found.index], values, &mut env)
                .map_err(Directive::Fail)?;
            if let Value::Dir(dir) = &config.values[found.index] {
                self.cwd = dir.clone();
            }
            return Ok(());
        }
        if argc == 2 && DEPRECATED.contains(&name.as_str()) {
            return Ok(());
        }
        let fail = |m: &str| Err(Directive::Fail(m.to_string()));
        match name.as_str() {
            "include" if argc == 2 => self.include(config, &args[1], source, line, shown),
            "rename-command" if argc == 3 => fail("rename-command is not supported by ferrodis"),
            "user" if argc >= 2 => fail("ACL users ('user' lines) are not supported by ferrodis"),
            "loadmodule" if argc >= 2 => fail("modules (loadmodule) are not supported by ferrodis"),
            "sentinel" if argc == 1 => Ok(()),
            "sentinel" => fail("sentinel directive while not in sentinel mode"),
            n if n.contains('.') && argc < 2 => fail("Module config specified without value"),
            n if n.contains('.') => fail("module configs are not supported by ferrodis"),
            _ => fail("Bad directive or wrong number of arguments"),
        }
    }

    /// `include <path>`: relative to the current directory; with `*?[` a
    /// glob whose files are read in order (no match is fine), like Redis.
    fn include(
        &mut self,
        config: &mut Config,
        path: &str,
        source: &ConfigSource,
        line: usize,
        shown: &str,
    ) -> Result<(), Directive> {
        let at = Some((source, line, shown));
        if glob::has_glob_chars(path.as_bytes()) {
            for file in glob::expand_path_glob(&self.cwd.join(path)) {
                self.load_file(config, &file, &file, at)
                    .map_err(Directive::Nested)?;
            }
            return Ok(());
        }
        let path = Path::new(path);
        self.load_file(config, path, path, at)
            .map_err(Directive::Nested)
    }

    /// Checks Redis makes once everything is read, plus ferrodis's own.
    fn finish(&self, config: &mut Config) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid { message });
        clamp_hz(&mut config.values);
        let logfile = config.get_str("logfile");
        if !logfile.is_empty() {
            // Redis opens the log file once to fail early (creating it).
            let path = self.cwd.join(logfile);
            if let Err(e) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
            {
                return invalid(format!("Can't open the log file: {}", strerror(&e)));
            }
        }
        if config.get_bool("cluster-enabled") && config.replicaof().is_some() {
            return invalid("replicaof directive not allowed in cluster mode".to_string());
        }
        if config.get_bool("daemonize") {
            return invalid(
                "'daemonize yes' is not supported: ferrodis does not daemonize. Use \
                 'daemonize no' (e.g. --daemonize no) and let a supervisor such as systemd \
                 run it in the background."
                    .to_string(),
            );
        }
        Ok(())
    }
}

/// Redis trims " \t\r\n" from both ends of every line.
pub(crate) fn trim_line(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |e| e + 1);
    &line[start..end]
}

/// A directive's failure: a message for the current line, or an error from
/// an included file (already located there).
#[derive(Debug)]
enum Directive {
    Fail(String),
    Nested(ConfigError),
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
