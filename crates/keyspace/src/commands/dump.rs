//! DUMP and RESTORE (cluster.c): a key's value as an opaque payload and back. The
//! payload format comes from the keyspace's [`crate::DumpCodec`] (see dump.rs).

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::dump::{build_value, RestoreError};
use crate::error::{Error, Result};
use crate::notify;
use crate::spec::CommandSpec;
use crate::view::ValueView;

pub(super) const DUMP: CommandSpec = CommandSpec {
    name: "dump",
    arity: 2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@read", "@slow"],
    group: "generic",
    summary: "Return a serialized version of the value stored at the specified key.",
    since: "2.6.0",
    complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
    syntax: "key",
};

/// Redis's reply when no payload format is installed (a keyspace used as a
/// library without the server's codec); Redis itself always has one.
const NO_CODEC: &str = "ERR DUMP and RESTORE need a payload format (Keyspace::set_dump_codec)";

/// DUMP key: the payload, or nil for a missing key (a read lookup: hit/miss stats
/// and access time, as `lookupKeyRead()`).
pub(super) fn dump(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let Some(codec) = ctx.codec else {
        return Ok(Frame::static_error(NO_CODEC));
    };
    let tunables = ctx.tunables;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Null);
    };
    let payload = codec.dump(ValueView::of(entry.value()), &tunables);
    Ok(Frame::Bulk(Bytes::from(payload)))
}

pub(super) const RESTORE: CommandSpec = CommandSpec {
    name: "restore",
    arity: -4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
    group: "generic",
    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
    since: "2.6.0",
    complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
    syntax: "key ttl:integer serialized-value:string [REPLACE] [ABSTTL] [IDLETIME seconds:integer] [FREQ frequency:integer]",
};

/// RESTORE's options (`restoreCommand()`): IDLETIME and FREQ exclude each other.
#[derive(Default)]
struct Options {
    replace: bool,
    absttl: bool,
    idle: Option<u64>,
    freq: Option<u8>,
}

impl Options {
    fn parse(args: &[Bytes]) -> Result<std::result::Result<Options, Frame>> {
        let mut o = Options::default();
        let mut j = 0;
        while j < args.len() {
            let more = args.len() - j - 1;
            let opt = &args[j];
            if opt.eq_ignore_ascii_case(b"replace") {
                o.replace = true;
            } else if opt.eq_ignore_ascii_case(b"absttl") {
                o.absttl = true;
            } else if opt.eq_ignore_ascii_case(b"idletime") && more >= 1 && o.freq.is_none() {
                let idle = parse_int(&args[j + 1])?;
                let Ok(idle) = u64::try_from(idle) else {
                    return Ok(Err(Frame::static_error(
                        "ERR Invalid IDLETIME value, must be >= 0",
                    )));
                };
                o.idle = Some(idle);
                j += 1;
            } else if opt.eq_ignore_ascii_case(b"freq") && more >= 1 && o.idle.is_none() {
                let freq = parse_int(&args[j + 1])?;
                let Ok(freq) = u8::try_from(freq) else {
                    return Ok(Err(Frame::static_error(
                        "ERR Invalid FREQ value, must be >= 0 and <= 255",
                    )));
                };
                o.freq = Some(freq);
                j += 1;
            } else {
                return Err(Error::Syntax);
            }
            j += 1;
        }
        Ok(Ok(o))
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checked in
/// Redis's order: options, an existing key, the TTL, the payload. A relative TTL is
/// propagated as the absolute time with ABSTTL appended; a TTL already past
/// creates nothing (and a replaced key is propagated as deleted).
pub(super) fn restore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let opts = match Options::parse(&argv[4..])? {
        Ok(o) => o,
        Err(reply) => return Ok(reply),
    };
    let key = &argv[1];
    if !opts.replace && ctx.write(key).is_some() {
        return Ok(Frame::static_error(
            "BUSYKEY Target key name already exists.",
        ));
    }
    let ttl = parse_int(&argv[2])?;
    if ttl < 0 {
        return Ok(Frame::static_error("ERR Invalid TTL value, must be >= 0"));
    }
    let Some(codec) = ctx.codec else {
        return Ok(Frame::static_error(NO_CODEC));
    };
    let value = match codec
        .restore(&argv[3])
        .and_then(|cmds| build_value(ctx, &cmds))
    {
        Ok(v) => v,
        Err(RestoreError::VersionOrChecksum) => {
            return Ok(Frame::static_error(
                "ERR DUMP payload version or checksum are wrong",
            ))
        }
        Err(RestoreError::BadFormat) => return Ok(Frame::static_error("ERR Bad data format")),
    };
    let deleted = opts.replace && ctx.write(key).map(|e| e.remove()).is_some();
    let now = ctx.now();
    let when = match (ttl, opts.absttl) {
        (0, _) => None,
        (t, true) => Some(t),
        (t, false) => Some(t.saturating_add(now)),
    };
    if when.is_some_and(|at| at <= now) {
        // `checkAlreadyExpired()`: the key would be gone at once.
        if deleted {
            ctx.propagate_one(&[b"DEL", key]);
            ctx.changed(1);
            ctx.notify(notify::GENERIC, "del", key);
        }
        return Ok(Frame::ok());
    }
    let stamp = ctx.access.restored(&ctx.tunables, opts.freq, opts.idle);
    if let crate::db::Slot::Vacant(slot) = ctx.entry(key) {
        let mut entry = slot.insert(value);
        if let Some(at) = when {
            entry.set_expire(at);
        }
        if let Some(stamp) = stamp {
            entry.set_lru(stamp);
        }
    }
    if let (Some(at), false) = (when, opts.absttl) {
        if ctx.propagating() {
            let mut rewritten = argv.to_vec();
            rewritten[2] = crate::num::i64_to_bytes(at);
            rewritten.push(Bytes::from_static(b"ABSTTL"));
            ctx.propagate_as(vec![rewritten]);
        }
    }
    ctx.changed(1);
    ctx.notify(notify::GENERIC, "restore", key);
    Ok(Frame::ok())
}
