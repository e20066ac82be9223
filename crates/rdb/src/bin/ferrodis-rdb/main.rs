//! `ferrodis-rdb`: inspect, check, convert and measure Redis RDB files.
//!
//! ```text
//! ferrodis-rdb dump FILE                      one JSON object per key, per line
//! ferrodis-rdb check FILE                     structure and checksum, like redis-check-rdb
//! ferrodis-rdb convert FILE --to-version N -o OUT [--no-compression] [--no-checksum]
//! ferrodis-rdb stats FILE                     keys, bytes and encodings per type, biggest keys
//! ```
//!
//! Arguments are parsed by hand (four subcommands with a couple of flags do
//! not justify a parser dependency in a library crate). Exit status: 0 on
//! success, 1 when the file is bad, 2 on a usage error.

mod check;
mod convert;
mod dump;
mod progress;
mod stats;

use std::process::ExitCode;

const USAGE: &str = "usage:
  ferrodis-rdb dump FILE
  ferrodis-rdb check FILE
  ferrodis-rdb convert FILE --to-version N -o OUT [--no-compression] [--no-checksum]
  ferrodis-rdb stats FILE";

/// What a subcommand failed with.
pub(crate) enum Failure {
    /// Bad arguments: print the usage.
    Usage(String),
    /// The file or the output failed; the message is printed as is.
    Failed(String),
}

impl From<ferrodis_rdb::Error> for Failure {
    fn from(e: ferrodis_rdb::Error) -> Failure {
        Failure::Failed(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Failed(e.to_string())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dump") => one_file(&args[1..]).and_then(dump::run),
        Some("check") => one_file(&args[1..]).and_then(check::run),
        Some("stats") => one_file(&args[1..]).and_then(stats::run),
        Some("convert") => convert::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(Failure::Usage(format!("unknown command {other:?}"))),
        None => Err(Failure::Usage("no command given".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("ferrodis-rdb: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(msg)) => {
            eprintln!("ferrodis-rdb: {msg}");
            ExitCode::from(1)
        }
    }
}

fn one_file(args: &[String]) -> Result<&str, Failure> {
    match args {
        [file] => Ok(file),
        _ => Err(Failure::Usage("expected one FILE argument".into())),
    }
}

/// Opens `path` for decoding, with its size for the progress indicator.
pub(crate) fn open(path: &str) -> Result<(std::fs::File, u64), Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::Failed(format!("{path}: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, size))
}
