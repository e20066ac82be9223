//! The serialization behind DUMP and RESTORE, supplied by the keyspace's owner.
//!
//! Redis's DUMP payload is a value in RDB encoding; the RDB format lives in
//! `ferrodis-rdb`, which this crate does not depend on (DESIGN.md: the conversion
//! between keyspace values and the RDB model lives on one side only, the server's
//! adapter). So the owner installs a [`DumpCodec`] with
//! [`Keyspace::set_dump_codec`]: DUMP hands it a read-only view of the value, and
//! RESTORE gets back the commands that rebuild the value (`RPUSH`, `SADD`, ...),
//! which run here on a scratch database, so a restored value gets the keyspace's
//! own encodings and thresholds, exactly as if a client had built it.

use std::sync::Arc;

use bytes::Bytes;

use crate::commands::{self, Ctx};
use crate::db::Db;
use crate::effects::Fx;
use crate::keyspace::{Keyspace, Session};
use crate::stats::Stats;
use crate::tunables::Tunables;
use crate::value::Value;
use crate::view::ValueView;

/// Why RESTORE refuses a payload (the two errors of Redis's `restoreCommand`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// The RDB version is newer than this server's, or the CRC-64 is wrong:
    /// `ERR DUMP payload version or checksum are wrong`.
    VersionOrChecksum,
    /// The value does not decode, or holds a type the keyspace does not have:
    /// `ERR Bad data format`.
    BadFormat,
}

/// Turns values into DUMP payloads and payloads back into values.
pub trait DumpCodec: Send + Sync {
    /// The payload of `value`, with the keyspace's encoding thresholds (the
    /// encoding a payload uses is the value's own in Redis).
    fn dump(&self, value: ValueView<'_>, tunables: &Tunables) -> Vec<u8>;

    /// The commands that rebuild the value of `payload`, each `[name, args...]`
    /// without the key (it is inserted at position 1): e.g. `[RPUSH, a, b]`.
    fn restore(&self, payload: &[u8]) -> Result<Vec<Vec<Bytes>>, RestoreError>;
}

impl Keyspace {
    /// Installs the DUMP/RESTORE payload format. Without one, both commands reply
    /// with an error.
    pub fn set_dump_codec(&mut self, codec: Arc<dyn DumpCodec>) {
        self.dump_codec = Some(codec);
    }
}

/// The scratch key the rebuilding commands write.
const SCRATCH_KEY: &[u8] = b"restore";

/// Builds a detached value by running `commands` on an empty scratch database
/// with the command's time and thresholds; nothing of the real keyspace (stats,
/// effects, notifications, dirty counter) sees them. Any error reply, or commands
/// that leave no key, make the payload `BadFormat`.
pub(crate) fn build_value(ctx: &Ctx<'_>, commands: &[Vec<Bytes>]) -> Result<Value, RestoreError> {
    let mut dbs = [Db::new()];
    let mut session = Session::default();
    let mut stats = Stats::default();
    let mut dirty = 0;
    let mut random = *ctx.random;
    let mut fx = Fx::default();
    let mut scratch = Ctx {
        dbs: &mut dbs,
        session: &mut session,
        stats: &mut stats,
        dirty: &mut dirty,
        random: &mut random,
        now: ctx.now,
        access: ctx.access,
        tunables: ctx.tunables,
        fx: &mut fx,
        codec: None,
    };
    let key = Bytes::from_static(SCRATCH_KEY);
    for cmd in commands {
        let Some((name, args)) = cmd.split_first() else {
            return Err(RestoreError::BadFormat);
        };
        let index = commands::index(name).ok_or(RestoreError::BadFormat)?;
        let mut argv = Vec::with_capacity(cmd.len() + 1);
        argv.push(name.clone());
        argv.push(key.clone());
        argv.extend(args.iter().cloned());
        if !commands::SPECS[index].arity_ok(argv.len()) {
            return Err(RestoreError::BadFormat);
        }
        match (commands::HANDLERS[index])(&mut scratch, &argv) {
            Ok(ferrodis_resp::Frame::Error(_)) | Err(_) => return Err(RestoreError::BadFormat),
            Ok(_) => {}
        }
    }
    dbs[0]
        .remove(SCRATCH_KEY)
        .map(crate::entry::Entry::into_value)
        .ok_or(RestoreError::BadFormat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{bulk, err, int, ok, Harness};
    use ferrodis_resp::Frame;

    /// A toy format for the unit tests: `kind|elem|elem...` with kind s (string)
    /// or l (list); a trailing `!` fakes a bad checksum.
    struct Toy;

    impl DumpCodec for Toy {
        fn dump(&self, value: ValueView<'_>, _: &Tunables) -> Vec<u8> {
            match value {
                ValueView::String(s) => [b"s|".to_vec(), s.to_vec()].concat(),
                ValueView::List(l) => {
                    let mut out = b"l".to_vec();
                    l.for_each(|e| {
                        out.push(b'|');
                        out.extend_from_slice(&e.to_vec());
                    });
                    out
                }
                _ => b"?".to_vec(),
            }
        }

        fn restore(&self, payload: &[u8]) -> Result<Vec<Vec<Bytes>>, RestoreError> {
            if payload.ends_with(b"!") {
                return Err(RestoreError::VersionOrChecksum);
            }
            let mut parts = payload.split(|&b| b == b'|').map(Bytes::copy_from_slice);
            let name = match parts.next().as_deref() {
                Some(b"s") => "SET",
                Some(b"l") => "RPUSH",
                _ => return Err(RestoreError::BadFormat),
            };
            let mut cmd = vec![Bytes::from_static(name.as_bytes())];
            cmd.extend(parts);
            Ok(vec![cmd])
        }
    }

    fn harness() -> Harness {
        let mut h = Harness::new();
        h.ks.set_dump_codec(Arc::new(Toy));
        h
    }

    #[test]
    fn dump_and_restore_round_trip_through_the_codec() {
        let mut h = harness();
        h.run("RPUSH l a b c");
        assert_eq!(h.run("DUMP l"), bulk("l|a|b|c"));
        assert_eq!(h.run("DUMP nosuch"), Frame::Null);
        assert_eq!(h.run("RESTORE l2 0 l|a|b|c"), ok());
        assert_eq!(h.run("LRANGE l2 0 -1"), h.run("LRANGE l 0 -1"));
        assert_eq!(h.run("OBJECT ENCODING l2"), h.run("OBJECT ENCODING l"));
        assert_eq!(h.run("TTL l2"), int(-1));
    }

    #[test]
    fn restore_errors_in_redis_order() {
        let mut h = harness();
        h.run("SET k v");
        assert_eq!(h.run("RESTORE k 0 s|x FOO"), err("ERR syntax error"));
        assert_eq!(
            h.run("RESTORE k 0 s|x IDLETIME -1"),
            err("ERR Invalid IDLETIME value, must be >= 0")
        );
        assert_eq!(
            h.run("RESTORE k 0 s|x FREQ 256"),
            err("ERR Invalid FREQ value, must be >= 0 and <= 255")
        );
        assert_eq!(
            h.run("RESTORE k 0 s|x IDLETIME 1 FREQ 1"),
            err("ERR syntax error"),
            "IDLETIME and FREQ exclude each other"
        );
        assert_eq!(
            h.run("RESTORE k x s|x IDLETIME x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("RESTORE k -1 s|x"),
            err("BUSYKEY Target key name already exists.")
        );
        assert_eq!(
            h.run("RESTORE n -1 s|x"),
            err("ERR Invalid TTL value, must be >= 0")
        );
        assert_eq!(
            h.run("RESTORE n x s|x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run("RESTORE n 0 s|x!"),
            err("ERR DUMP payload version or checksum are wrong")
        );
        assert_eq!(h.run("RESTORE n 0 z|x"), err("ERR Bad data format"));
        assert_eq!(h.run("EXISTS n"), int(0));
    }

    #[test]
    fn restore_ttls_replace_and_access_stamps() {
        let mut h = harness();
        h.run("SET k old");
        assert_eq!(h.run("RESTORE k 5000 s|new REPLACE"), ok());
        assert_eq!(h.run("GET k"), bulk("new"));
        assert_eq!(h.run("PTTL k"), int(5000));
        assert_eq!(h.run("RESTORE a 2000000 s|x ABSTTL"), ok());
        assert_eq!(h.run("PEXPIRETIME a"), int(2_000_000));
        // An absolute TTL already past: nothing created, the replaced key deleted.
        assert_eq!(h.run("RESTORE k 10 s|x ABSTTL REPLACE"), ok());
        assert_eq!(h.run("EXISTS k"), int(0));
        assert_eq!(h.run("RESTORE i 0 s|x IDLETIME 1000"), ok());
        assert_eq!(h.run("OBJECT IDLETIME i"), int(1000));
    }

    #[test]
    fn restore_propagates_an_absolute_ttl_and_expired_replacements_as_del() {
        let mut h = harness();
        h.ks.set_propagation(true);
        h.run("SET k old");
        assert_eq!(h.run("RESTORE t 5000 s|x"), ok());
        assert_eq!(h.run("RESTORE n 0 s|x REPLACE"), ok());
        assert_eq!(h.run("RESTORE k 10 s|x ABSTTL REPLACE"), ok());
        assert_eq!(h.run("RESTORE none 10 s|x ABSTTL"), ok());
        let effects = h.effect_lines();
        // As redis-server 7.0's AOF has them.
        assert_eq!(
            effects,
            [
                "SET k old",
                "RESTORE t 1005000 s|x ABSTTL",
                "RESTORE n 0 s|x REPLACE",
                "DEL k",
            ]
        );
    }

    #[test]
    fn without_a_codec_both_commands_say_so() {
        let mut h = Harness::new();
        h.run("SET k v");
        let Frame::Error(e) = h.run("DUMP k") else {
            panic!("an error")
        };
        assert!(e.starts_with(b"ERR"));
    }
}
