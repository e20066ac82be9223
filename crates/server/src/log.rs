//! Log lines in redis-server's format, so existing log tooling keeps working.
//!
//! Redis writes `pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message`, where the mark is
//! `.` debug, `-` verbose, `*` notice, `#` warning (`serverLogRaw` in server.c). We map
//! tracing levels onto those: TRACE = debug, DEBUG = verbose, INFO = notice, WARN/ERROR =
//! warning, and `loglevel` onto a tracing level filter.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// The current `loglevel` as a rank (0 = debug .. 3 = warning, 4 = nothing); CONFIG
/// SET loglevel changes it while the server runs.
static LEVEL: AtomicU8 = AtomicU8::new(2);

fn rank(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN | Level::ERROR => 3,
    }
}

/// Apply a `loglevel` value (`debug`, `verbose`, `notice`, `warning`, `nothing`).
pub fn set_level(loglevel: &str) {
    let rank = level_for(loglevel).as_ref().map_or(4, rank);
    LEVEL.store(rank, Ordering::Relaxed);
}

/// The Redis log format as a `tracing_subscriber` event formatter.
#[derive(Debug, Clone, Copy)]
pub struct RedisFormat {
    /// `C` before the configuration is loaded, `M` for the running master (Redis's role marks).
    pub role: char,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl<S, N> FormatEvent<S, N> for RedisFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if rank(event.metadata().level()) < LEVEL.load(Ordering::Relaxed) {
            // Below `loglevel`: write nothing.
            return Ok(());
        }
        let mark = match *event.metadata().level() {
            Level::TRACE => '.',
            Level::DEBUG => '-',
            Level::INFO => '*',
            Level::WARN | Level::ERROR => '#',
        };
        write!(
            writer,
            "{}:{} {} {} ",
            std::process::id(),
            self.role,
            timestamp(),
            mark
        )?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// `dd Mon yyyy hh:mm:ss.mmm` in UTC.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The tracing level for a Redis `loglevel` (`debug`, `verbose`, `notice`, `warning`,
/// and 7.0's `nothing`).
pub fn level_for(loglevel: &str) -> Option<Level> {
    match loglevel {
        "debug" => Some(Level::TRACE),
        "verbose" => Some(Level::DEBUG),
        "notice" => Some(Level::INFO),
        "warning" => Some(Level::WARN),
        _ => None,
    }
}

/// Install the global subscriber: Redis's format, to stdout or to `logfile` when set
/// (appending, like Redis). Returns an error message if the file cannot be opened.
pub fn init(loglevel: &str, logfile: &str) -> Result<(), String> {
    set_level(loglevel);
    // Everything reaches the formatter, which filters by the current `loglevel`.
    let builder = tracing_subscriber::fmt()
        .event_format(RedisFormat { role: 'M' })
        .with_max_level(Level::TRACE);
    let result = if logfile.is_empty() {
        builder.with_writer(std::io::stdout).try_init()
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(Path::new(logfile))
            .map_err(|e| format!("Can't open the log file: {e}"))?;
        let file = Mutex::new(LineWriter(file));
        builder.with_writer(file).try_init()
    };
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = result;
    Ok(())
}

/// Writes each formatted line straight through, so a crash loses no log line.
struct LineWriter(std::fs::File);

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_413), (2025, 11, 21));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn levels_follow_redis_names() {
        assert_eq!(level_for("notice"), Some(Level::INFO));
        assert_eq!(level_for("warning"), Some(Level::WARN));
        assert_eq!(level_for("nothing"), None);
    }
}
