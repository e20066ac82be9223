//! Start-up configuration errors, displayed like redis-server's fatal config errors.

use std::fmt;
use std::path::PathBuf;

use super::value::strerror;

/// The Redis version whose configuration ferrodis follows.
pub const REDIS_COMPAT_VERSION: &str = "7.0.15";

/// Where a config line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A config file (the main one or an `include`d one).
    File(PathBuf),
    /// The config read from standard input (`-` on the command line).
    Stdin,
    /// `--name value` options; line N is the Nth option.
    CommandLine,
    /// Text handed to [`Config::from_text`](super::Config::from_text).
    Text,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Stdin => f.write_str("stdin"),
            ConfigSource::CommandLine => f.write_str("command line"),
            ConfigSource::Text => f.write_str("config text"),
        }
    }
}

/// Why the configuration could not be loaded. `Display` is the whole message
/// for the user, in redis-server's format (the binary prints it and exits 1).
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A bad line, reported like Redis's "FATAL CONFIG FILE ERROR" with the
    /// line it read, plus the file and line number.
    Line {
        /// File, stdin or command line.
        source: ConfigSource,
        /// 1-based line number within `source`.
        line: usize,
        /// The line as read (trimmed).
        text: String,
        /// Redis's message, e.g. "Bad directive or wrong number of arguments".
        message: String,
    },
    /// A check on the loaded configuration as a whole (no line to show).
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// A config file could not be read.
    Open {
        /// The path as given (absolute for the main config file).
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A command-line mode ferrodis does not have (`--sentinel`, `--test-memory` ...).
    Unsupported {
        /// What is not supported.
        message: String,
    },
}

fn header(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(
        f,
        "*** FATAL CONFIG FILE ERROR (ferrodis {}, Redis {} compatible) ***",
        env!("CARGO_PKG_VERSION"),
        REDIS_COMPAT_VERSION
    )
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Line {
                source,
                line,
                text,
                message,
            } => {
                header(f)?;
                writeln!(
                    f,
                    "Reading the configuration file, at line {line} ({source}:{line})"
                )?;
                writeln!(f, ">>> '{text}'")?;
                f.write_str(message)
            }
            ConfigError::Invalid { message } => {
                header(f)?;
                f.write_str(message)
            }
            ConfigError::Open { path, error } => write!(
                f,
                "Fatal error, can't open config file '{}': {}",
                path.display(),
                strerror(error)
            ),
            ConfigError::Unsupported { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Open { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_error_format() {
        let e = ConfigError::Line {
            source: ConfigSource::File(PathBuf::from("/path/redis.conf")),
            line: 2,
            text: "foo bar".to_string(),
            message: "Bad directive or wrong number of arguments".to_string(),
        };
        let want = format!(
            "*** FATAL CONFIG FILE ERROR (ferrodis {}, Redis 7.0.15 compatible) ***\n\
             Reading the configuration file, at line 2 (/path/redis.conf:2)\n\
             >>> 'foo bar'\n\
             Bad directive or wrong number of arguments",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(e.to_string(), want);
    }

    #[test]
    fn open_error_format() {
        let e = ConfigError::Open {
            path: PathBuf::from("/nonexistent.conf"),
            error: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(e
            .to_string()
            .starts_with("Fatal error, can't open config file '/nonexistent.conf': "));
        assert!(std::error::Error::source(&e).is_some());
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&e), "No such file or directory");
    }

    #[test]
    fn invalid_error_format() {
        let e = ConfigError::Invalid {
            message: "boom".to_string(),
        };
        assert!(e.to_string().ends_with("***\nboom"));
        assert_eq!(ConfigSource::CommandLine.to_string(), "command line");
    }
}
