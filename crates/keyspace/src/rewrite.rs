//! The commands that recreate a key, as Redis 7.0's AOF rewrite writes them
//! (`rewriteAppendOnlyFileRio()` in aof.c, checked against a base file written by
//! redis-server 7.0.15 with `aof-use-rdb-preamble no`): `SET` for strings; `RPUSH`,
//! `SADD`, `ZADD` (scores as `%.17g`) and `HMSET` with at most 64 elements per
//! command; then `PEXPIREAT` for a key with a TTL.

use ferrodis_resp::format_g17;

use crate::view::{EntryView, Scalar, ValueView};

/// `AOF_REWRITE_ITEMS_PER_CMD`: elements (or pairs) per command.
pub const REWRITE_ITEMS_PER_CMD: usize = 64;

/// Calls `emit` with each command (name first) that recreates `entry`.
pub fn rewrite_commands(entry: &EntryView<'_>, mut emit: impl FnMut(&[&[u8]])) {
    let key = entry.key;
    match entry.value {
        ValueView::String(s) => s.with_bytes(|v| emit(&[b"SET", key, v])),
        ValueView::List(l) => {
            let mut batch = Batch::new(b"RPUSH", key);
            l.for_each(|e| batch.push(&[e], &mut emit));
            batch.finish(&mut emit);
        }
        ValueView::Set(s) => {
            let mut batch = Batch::new(b"SADD", key);
            s.for_each(|e| batch.push(&[e], &mut emit));
            batch.finish(&mut emit);
        }
        ValueView::SortedSet(z) => {
            let mut batch = Batch::new(b"ZADD", key);
            z.for_each(|member, score| {
                let score = format_g17(score);
                batch.push(
                    &[Scalar::Bytes(score.as_bytes()), Scalar::Bytes(member)],
                    &mut emit,
                );
            });
            batch.finish(&mut emit);
        }
        ValueView::Hash(h) => {
            let mut batch = Batch::new(b"HMSET", key);
            h.for_each(|f, v| batch.push(&[Scalar::Bytes(f), Scalar::Bytes(v)], &mut emit));
            batch.finish(&mut emit);
        }
    }
    if let Some(at) = entry.expire_at {
        emit(&[b"PEXPIREAT", key, at.to_string().as_bytes()]);
    }
}

/// One command being filled: its name, key and up to 64 items of owned bytes.
struct Batch<'k> {
    name: &'static [u8],
    key: &'k [u8],
    args: Vec<Vec<u8>>,
    items: usize,
}

impl<'k> Batch<'k> {
    fn new(name: &'static [u8], key: &'k [u8]) -> Batch<'k> {
        Batch {
            name,
            key,
            args: Vec::new(),
            items: 0,
        }
    }

    fn push(&mut self, item: &[Scalar<'_>], emit: &mut impl FnMut(&[&[u8]])) {
        self.args.extend(item.iter().map(|s| s.to_vec()));
        self.items += 1;
        if self.items == REWRITE_ITEMS_PER_CMD {
            self.finish(emit);
        }
    }

    fn finish(&mut self, emit: &mut impl FnMut(&[&[u8]])) {
        if self.items == 0 {
            return;
        }
        let mut argv: Vec<&[u8]> = Vec::with_capacity(self.args.len() + 2);
        argv.push(self.name);
        argv.push(self.key);
        argv.extend(self.args.iter().map(Vec::as_slice));
        emit(&argv);
        self.args.clear();
        self.items = 0;
    }
}
