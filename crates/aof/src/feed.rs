//! Turning write effects into AOF bytes: RESP multibulk commands, a `SELECT` whenever
//! the database changes, and optional `#TS:` annotations (Redis 7.0's
//! `feedAppendOnlyFile()` and `catAppendOnlyGenericCommand()`).

use bytes::Bytes;

/// `appendfsync`: when appended bytes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fsync {
    /// Before the reply is sent (fsync batched over the writes of one loop turn).
    Always,
    /// About once a second, in the background: at most ~1 s (2 s if the disk
    /// stalls) of acknowledged writes can be lost.
    #[default]
    Everysec,
    /// When the OS decides.
    No,
}

impl Fsync {
    /// The policy of an `appendfsync` value (any case, as Redis's config parser).
    pub fn parse(word: &str) -> Option<Fsync> {
        match word.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::Everysec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// Encodes commands for one AOF file, remembering the database its readers are in.
#[derive(Debug, Clone, Default)]
pub struct Feeder {
    /// The database the file's reader is in after what was fed so far; `None` at
    /// the start of a file (the first command always gets a SELECT, as in Redis).
    selected: Option<usize>,
    /// `aof-timestamp-enabled`.
    timestamps: bool,
    /// The second of the last annotation.
    last_ts: Option<i64>,
}

impl Feeder {
    /// A feeder for a new file.
    pub fn new(timestamps: bool) -> Feeder {
        Feeder {
            timestamps,
            ..Feeder::default()
        }
    }

    /// A new file starts (rewrite, new incr file): the next command selects its db.
    pub fn new_file(&mut self) {
        self.selected = None;
        self.last_ts = None;
    }

    /// Appends `argv`, run in database `db` at Unix second `now_secs`, to `out`.
    pub fn feed(&mut self, out: &mut Vec<u8>, db: usize, argv: &[Bytes], now_secs: i64) {
        if self.timestamps && self.last_ts != Some(now_secs) {
            out.extend_from_slice(format!("#TS:{now_secs}\r\n").as_bytes());
            self.last_ts = Some(now_secs);
        }
        if self.selected != Some(db) {
            let db_text = db.to_string();
            write_command(out, &[b"SELECT", db_text.as_bytes()]);
            self.selected = Some(db);
        }
        write_command(out, argv);
    }
}

/// One command as a RESP multibulk, the only form an AOF holds.
pub fn write_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        let arg = arg.as_ref();
        out.push(b'$');
        out.extend_from_slice(arg.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn selects_once_per_database_change_like_redis() {
        let mut f = Feeder::new(false);
        let mut out = Vec::new();
        f.feed(&mut out, 0, &argv(&["SET", "a", "1"]), 0);
        f.feed(&mut out, 0, &argv(&["DEL", "a"]), 0);
        f.feed(&mut out, 3, &argv(&["SET", "b", ""]), 0);
        // Bytes as redis-server 7.0.15 writes them for the same commands.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n\
             *3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n"
        );
        let mut out = Vec::new();
        f.new_file();
        f.feed(&mut out, 3, &argv(&["PING"]), 0);
        assert!(out.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"));
    }

    #[test]
    fn timestamps_once_per_second() {
        let mut f = Feeder::new(true);
        let mut out = Vec::new();
        f.feed(&mut out, 0, &argv(&["INCR", "n"]), 100);
        f.feed(&mut out, 0, &argv(&["INCR", "n"]), 100);
        f.feed(&mut out, 0, &argv(&["INCR", "n"]), 101);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("#TS:").count(), 2);
        assert!(text.starts_with("#TS:100\r\n*2\r\n$6\r\nSELECT"));
        assert!(text.contains("#TS:101\r\n*2\r\n$4\r\nINCR"));
    }

    #[test]
    fn policies_parse_like_the_config() {
        assert_eq!(Fsync::parse("ALWAYS"), Some(Fsync::Always));
        assert_eq!(Fsync::parse("everysec").map(Fsync::name), Some("everysec"));
        assert_eq!(Fsync::parse("sometimes"), None);
    }
}
