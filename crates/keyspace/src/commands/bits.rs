//! Bitmap commands on strings (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, and the
//! helpers BITOP and BITFIELD share.
//!
//! Bit 0 is the most significant bit of the first byte, as in Redis. Both string
//! encodings work: an int-encoded string is read as its decimal text (formatted on the
//! stack, like `getObjectReadOnlyString()`), and becomes a byte string when a command
//! writes to it, like `dbUnshareStringValue()` does.

use bytes::{Bytes, BytesMut};
use ferrodis_resp::Frame;

use super::{parse_int, Ctx};
use crate::db::Slot;
use crate::error::{Error, Result};
use crate::notify;
use crate::num;
use crate::spec::CommandSpec;
use crate::value::Value;

/// Redis's SDS_MAX_PREALLOC: strings grow by doubling up to 1 MB, then 1 MB at a time.
const MAX_PREALLOC: usize = 1024 * 1024;

/// Runs `f` on the bytes of a string value without allocating: an int-encoded
/// string is formatted on the stack. WRONGTYPE for anything but a string.
pub(super) fn read_string<R>(value: &Value, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
    match value {
        Value::Str(b) => Ok(f(b)),
        Value::Int(n) => {
            let mut buf = [0u8; 20];
            Ok(f(num::format_i64(*n, &mut buf)))
        }
        _ => Err(Error::WrongType),
    }
}

/// Redis's `getBitOffsetFromArgument()`: a bit offset whose byte is below
/// proto-max-bulk-len. With `hash_bits` (BITFIELD), `#N` means the N-th field of that
/// width; the multiplication wraps like Redis's 64-bit arithmetic does.
pub(super) fn parse_bit_offset(
    arg: &[u8],
    max_bulk_len: u64,
    hash_bits: Option<u32>,
) -> Result<u64> {
    let (digits, scale) = match (arg.split_first(), hash_bits) {
        (Some((b'#', rest)), Some(bits)) if bits > 0 => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = num::parse_i64(digits)
        .ok_or(Error::BitOffset)?
        .wrapping_mul(scale);
    match u64::try_from(offset) {
        Ok(offset) if offset >> 3 < max_bulk_len => Ok(offset),
        _ => Err(Error::BitOffset),
    }
}

/// Redis's `lookupStringForBitCommand()`: runs `f` on the string at `key` as a buffer
/// of at least `len` bytes, creating the key or zero-extending the string as needed.
/// `f` learns whether that happened, which Redis counts as a change even when no bit
/// flips.
pub(super) fn edit_bits<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    len: usize,
    f: impl FnOnce(&mut [u8], bool) -> R,
) -> Result<R> {
    match ctx.entry(key) {
        Slot::Vacant(slot) => {
            // An exact allocation, as Redis's sdsnewlen() for a new key.
            let mut buf = BytesMut::zeroed(len);
            let result = f(&mut buf, true);
            slot.insert(Value::Str(buf.freeze()));
            Ok(result)
        }
        Slot::Occupied(mut entry) => entry.value_mut().edit_string(|buf| {
            let grown = buf.len() < len;
            grow_zeroed(buf, len);
            f(buf, grown)
        }),
    }
}

/// Zero-extends `buf` to `len` bytes. Capacity grows like Redis's greedy
/// `sdsMakeRoomFor()` (double below 1 MB, then 1 MB more) rather than Vec's doubling,
/// so a large bitmap built bit by bit carries at most 1 MB of slack.
fn grow_zeroed(buf: &mut BytesMut, len: usize) {
    if len <= buf.len() {
        return;
    }
    if len > buf.capacity() {
        let target = if len < MAX_PREALLOC {
            len * 2
        } else {
            len + MAX_PREALLOC
        };
        // These conversions keep the allocation (the buffer is unique), and
        // reserve_exact lets the allocator extend it in place.
        let mut vec = Vec::from(std::mem::take(buf));
        vec.reserve_exact(target - vec.len());
        *buf = BytesMut::from(Bytes::from(vec));
    }
    buf.resize(len, 0);
}

/// Number of set bits, counted 32 bytes at a time (Redis's `redisPopcount()`).
pub(super) fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(32);
    let mut total = 0u64;
    for chunk in &mut chunks {
        let mut sum = 0;
        for word in chunk.chunks_exact(8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            sum += u64::from_ne_bytes(w).count_ones();
        }
        total += u64::from(sum);
    }
    let tail: u32 = chunks.remainder().iter().map(|b| b.count_ones()).sum();
    total + u64::from(tail)
}

/// Position of the first byte that is not `skip`, skipping 8 bytes at a time.
fn first_byte_not(bytes: &[u8], skip: u8) -> Option<usize> {
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut pos = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if u64::from_ne_bytes(w) != skip_word {
            break;
        }
        pos += 8;
    }
    let rest = bytes.get(pos..)?;
    rest.iter().position(|&b| b != skip).map(|p| pos + p)
}

/// An inclusive range of bits inside a string, as whole bytes plus masks that keep
/// only the range's bits of the first and last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BitRange {
    first: usize,
    last: usize,
    first_mask: u8,
    last_mask: u8,
}

impl BitRange {
    /// Bits `start..=end`; the caller keeps `end` inside the string.
    fn bits(start: u64, end: u64) -> BitRange {
        BitRange {
            first: (start >> 3) as usize,
            last: (end >> 3) as usize,
            first_mask: 0xff >> (start & 7),
            last_mask: 0xff << (7 - (end & 7)),
        }
    }

    /// Bytes `start..=end`.
    fn bytes(start: u64, end: u64) -> BitRange {
        BitRange {
            first: start as usize,
            last: end as usize,
            first_mask: 0xff,
            last_mask: 0xff,
        }
    }

    /// The range's bytes with the out-of-range bits of the edges cleared (when
    /// looking for ones) or set (when looking for zeros), so they never match.
    fn edges(&self, s: &[u8], looking_for_ones: bool) -> (u8, u8) {
        let byte = |i: usize| s.get(i).copied().unwrap_or(0);
        let (mut first, mut last) = (self.first_mask, self.last_mask);
        if self.first == self.last {
            first &= last;
            last = first;
        }
        if looking_for_ones {
            (byte(self.first) & first, byte(self.last) & last)
        } else {
            (byte(self.first) | !first, byte(self.last) | !last)
        }
    }

    /// Number of set bits in the range.
    fn count(&self, s: &[u8]) -> u64 {
        let (first, last) = self.edges(s, true);
        if self.first == self.last {
            return u64::from(first.count_ones());
        }
        let middle = s.get(self.first + 1..self.last).unwrap_or_default();
        u64::from(first.count_ones()) + popcount(middle) + u64::from(last.count_ones())
    }

    /// Position of the first bit equal to `bit` in the range.
    fn find(&self, s: &[u8], bit: bool) -> Option<u64> {
        let (first, last) = self.edges(s, bit);
        let hit = |index: usize, byte: u8| {
            let wanted = if bit { byte } else { !byte };
            (wanted != 0).then(|| index as u64 * 8 + u64::from(wanted.leading_zeros()))
        };
        if let Some(pos) = hit(self.first, first) {
            return Some(pos);
        }
        if self.first == self.last {
            return None;
        }
        let middle = s.get(self.first + 1..self.last).unwrap_or_default();
        let skip = if bit { 0x00 } else { 0xff };
        if let Some(i) = first_byte_not(middle, skip) {
            let index = self.first + 1 + i;
            return hit(index, middle[i]);
        }
        hit(self.last, last)
    }
}

/// Parses BIT or BYTE, the unit of BITCOUNT's and BITPOS's range: true for bits.
fn parse_unit(arg: &[u8]) -> Result<bool> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

/// Redis's conversion of a start/end pair in a string of `total` units: negative
/// indexes count from the end, then both are clamped into the string. An empty
/// range comes out with `start > end`.
fn clamp(start: i64, end: i64, total: i64) -> (i64, i64) {
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }
        .max(0)
        .min(total - 1);
    (start, end)
}

/// A clamped, non-empty range in `unit`s as a [`BitRange`].
fn to_range(start: i64, end: i64, bits: bool) -> BitRange {
    let (start, end) = (start as u64, end as u64);
    if bits {
        BitRange::bits(start, end)
    } else {
        BitRange::bytes(start, end)
    }
}

pub(super) const SETBIT: CommandSpec = CommandSpec {
    name: "setbit",
    arity: 4,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@bitmap", "@slow"],
    group: "bitmap",
    summary: "Sets or clears the bit at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    syntax: "key offset:integer value:integer",
};

/// SETBIT key offset value: the bit's previous value. The string grows, zero-filled,
/// to reach the offset.
pub(super) fn setbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let offset = parse_bit_offset(&argv[2], ctx.tunables.proto_max_bulk_len, None)?;
    let on = match num::parse_i64(&argv[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(Error::BitValue),
    };
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    let (old, changed) = edit_bits(ctx, &argv[1], byte + 1, |buf, grown| {
        let Some(b) = buf.get_mut(byte) else {
            return (false, grown);
        };
        let old = *b & mask != 0;
        if on {
            *b |= mask;
        } else {
            *b &= !mask;
        }
        (old, grown || old != on)
    })?;
    if changed {
        ctx.changed(1);
        ctx.notify(notify::STRING, "setbit", &argv[1]);
    }
    Ok(Frame::Integer(i64::from(old)))
}

pub(super) const GETBIT: CommandSpec = CommandSpec {
    name: "getbit",
    arity: 3,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@bitmap", "@fast"],
    group: "bitmap",
    summary: "Returns the bit value at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    syntax: "key offset:integer",
};

/// GETBIT key offset: 0 past the end of the string.
pub(super) fn getbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let offset = parse_bit_offset(&argv[2], ctx.tunables.proto_max_bulk_len, None)?;
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let bit = read_string(entry.value(), |s| {
        s.get((offset >> 3) as usize)
            .is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
    })?;
    Ok(Frame::Integer(i64::from(bit)))
}

pub(super) const BITCOUNT: CommandSpec = CommandSpec {
    name: "bitcount",
    arity: -2,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@bitmap", "@slow"],
    group: "bitmap",
    summary: "Count set bits in a string",
    since: "2.6.0",
    complexity: "O(N)",
    syntax: "key [start:integer end:integer [BYTE | BIT]]",
};

/// BITCOUNT key [start end [BYTE | BIT]]
pub(super) fn bitcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    // Redis looks the key up before reading the arguments: a missing key is 0
    // whatever follows, and WRONGTYPE wins over a bad range.
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let count = read_string(entry.value(), |s| count_in(s, &argv[2..]))??;
    Ok(Frame::Integer(count as i64))
}

fn count_in(s: &[u8], args: &[Bytes]) -> Result<u64> {
    let (start, end, unit) = match args {
        [] => return Ok(popcount(s)),
        [start, end] => (start, end, None),
        [start, end, unit] => (start, end, Some(unit)),
        _ => return Err(Error::Syntax),
    };
    let (start, end) = (parse_int(start)?, parse_int(end)?);
    // Checked before the unit, so `-1 -5 FOO` is 0 rather than a syntax error.
    if start < 0 && end < 0 && start > end {
        return Ok(0);
    }
    let bits = unit.map_or(Ok(false), |u| parse_unit(u))?;
    let total = s.len() as i64 * if bits { 8 } else { 1 };
    let (start, end) = clamp(start, end, total);
    if start > end {
        return Ok(0);
    }
    Ok(to_range(start, end, bits).count(s))
}

pub(super) const BITPOS: CommandSpec = CommandSpec {
    name: "bitpos",
    arity: -3,
    flags: &["readonly"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@bitmap", "@slow"],
    group: "bitmap",
    summary: "Find first bit set or clear in a string",
    since: "2.8.7",
    complexity: "O(N)",
    syntax: "key bit:integer [start:integer [end:integer [BYTE | BIT]]]",
};

/// BITPOS key bit [start [end [BYTE | BIT]]]
pub(super) fn bitpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    let bit = match parse_int(&argv[2])? {
        0 => false,
        1 => true,
        _ => return Err(Error::BitposBit),
    };
    // A missing key is an endless run of zeros, whatever range was asked for.
    let Some(entry) = ctx.read(&argv[1]) else {
        return Ok(Frame::Integer(if bit { -1 } else { 0 }));
    };
    let pos = read_string(entry.value(), |s| position_in(s, bit, &argv[3..]))??;
    Ok(Frame::Integer(pos))
}

fn position_in(s: &[u8], bit: bool, args: &[Bytes]) -> Result<i64> {
    let (start, end, unit) = match args {
        [] => (None, None, None),
        [start] => (Some(start), None, None),
        [start, end] => (Some(start), Some(end), None),
        [start, end, unit] => (Some(start), Some(end), Some(unit)),
        _ => return Err(Error::Syntax),
    };
    // Redis's order: start, then the unit, then end.
    let start = start.map_or(Ok(0), |a| parse_int(a))?;
    let bits = unit.map_or(Ok(false), |u| parse_unit(u))?;
    let end_given = end.is_some();
    let total = s.len() as i64 * if bits { 8 } else { 1 };
    let end = end.map_or(Ok(total - 1), |a| parse_int(a))?;
    let (start, end) = clamp(start, end, total);
    if start > end {
        // An empty range holds neither a 0 nor a 1.
        return Ok(-1);
    }
    let range = to_range(start, end, bits);
    Ok(match range.find(s, bit) {
        Some(pos) => pos as i64,
        // Without an explicit end the string counts as followed by zeros, so the
        // first clear bit is the one just past it.
        None if !bit && !end_given => (range.last as i64 + 1) * 8,
        None => -1,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, int, Harness};
    use super::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
    const NOT_INT: &str = "ERR value is not an integer or out of range";

    /// A string key holding `bytes`.
    fn with(h: &mut Harness, key: &str, bytes: &[u8]) {
        let argv = [
            Bytes::from_static(b"set"),
            Bytes::copy_from_slice(key.as_bytes()),
            Bytes::copy_from_slice(bytes),
        ];
        h.run_argv(&argv);
    }

    #[test]
    fn offsets() {
        let max = 512 * 1024 * 1024;
        assert_eq!(parse_bit_offset(b"0", max, None), Ok(0));
        assert_eq!(parse_bit_offset(b"4294967295", max, None), Ok(4294967295));
        for bad in [&b"4294967296"[..], b"-1", b"x", b"", b"#1", b"01", b"1.0"] {
            assert_eq!(parse_bit_offset(bad, max, None), Err(Error::BitOffset));
        }
        assert_eq!(parse_bit_offset(b"#3", max, Some(8)), Ok(24));
        assert_eq!(parse_bit_offset(b"#3", max, None), Err(Error::BitOffset));
        assert_eq!(parse_bit_offset(b"#", max, Some(8)), Err(Error::BitOffset));
        assert_eq!(
            parse_bit_offset(b"#-1", max, Some(8)),
            Err(Error::BitOffset)
        );
        // 2^61 + 1 fields of 8 bits wrap around to bit 8 in 64-bit arithmetic.
        assert_eq!(
            parse_bit_offset(b"#2305843009213693953", max, Some(8)),
            Ok(8)
        );
        assert_eq!(parse_bit_offset(b"15", 2, None), Ok(15));
        assert_eq!(parse_bit_offset(b"16", 2, None), Err(Error::BitOffset));
    }

    #[test]
    fn setbit_and_getbit() {
        let mut h = Harness::new();
        assert_eq!(h.run("getbit k 0"), int(0));
        assert_eq!(h.run("setbit k 7 1"), int(0));
        assert_eq!(h.run("get k"), Frame::Bulk(Bytes::from_static(b"\x01")));
        assert_eq!(h.run("setbit k 7 1"), int(1));
        assert_eq!(h.run("getbit k 7"), int(1));
        assert_eq!(h.run("getbit k 6"), int(0));
        assert_eq!(h.run("getbit k 8"), int(0), "past the end");
        assert_eq!(h.run("getbit k 4294967295"), int(0));
        assert_eq!(h.run("setbit k 8 1"), int(0), "grows at a byte boundary");
        assert_eq!(h.run("get k"), Frame::Bulk(Bytes::from_static(b"\x01\x80")));
        assert_eq!(h.run("setbit k 31 0"), int(0), "clearing still grows");
        assert_eq!(
            h.run("get k"),
            Frame::Bulk(Bytes::from_static(b"\x01\x80\0\0"))
        );
        assert_eq!(h.run("setbit k 7 0"), int(1));
        assert_eq!(h.run("getbit k 7"), int(0));
        h.run("expire k 100");
        h.run("setbit k 100 1");
        assert_eq!(h.run("ttl k"), int(100), "writing bits keeps the TTL");
    }

    #[test]
    fn setbit_counts_changes_like_redis() {
        let mut h = Harness::new();
        h.run("setbit k 3 0");
        assert_eq!(h.ks.dirty(), 1, "creating the key is a change");
        h.run("setbit k 3 0");
        assert_eq!(h.ks.dirty(), 1, "nothing changed");
        h.run("setbit k 3 1");
        assert_eq!(h.ks.dirty(), 2);
        h.run("setbit k 20 0");
        assert_eq!(h.ks.dirty(), 3, "growing is a change");
    }

    #[test]
    fn bit_errors() {
        let mut h = Harness::new();
        for cmd in [
            "setbit k -1 1",
            "setbit k x 1",
            "setbit k 4294967296 1",
            "getbit k -1",
        ] {
            assert_eq!(h.run(cmd), err(BAD_OFFSET), "{cmd}");
        }
        assert_eq!(h.run("getbit k 4294967296"), err(BAD_OFFSET));
        for cmd in [
            "setbit k 0 2",
            "setbit k 0 -1",
            "setbit k 0 x",
            "setbit k 0 ",
        ] {
            assert_eq!(
                h.run(cmd),
                err("ERR bit is not an integer or out of range"),
                "{cmd}"
            );
        }
        assert_eq!(h.run("exists k"), int(0));
        h.run("rpush l a");
        assert_eq!(h.run("setbit l 0 1"), err(WRONGTYPE));
        assert_eq!(h.run("getbit l 0"), err(WRONGTYPE));
        assert_eq!(
            h.run("getbit l x"),
            err(BAD_OFFSET),
            "the offset comes first"
        );
        assert_eq!(h.run("bitcount l"), err(WRONGTYPE));
        assert_eq!(
            h.run("bitcount l x y"),
            err(WRONGTYPE),
            "the type comes first"
        );
        assert_eq!(h.run("bitpos l 1"), err(WRONGTYPE));
        assert_eq!(
            h.run("bitpos l 2"),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(h.run("bitpos l x"), err(NOT_INT));
    }

    #[test]
    fn smaller_proto_max_bulk_len_limits_offsets() {
        let mut h = Harness::new();
        let mut t = h.ks.tunables();
        t.proto_max_bulk_len = 4;
        h.ks.set_tunables(t);
        assert_eq!(h.run("setbit k 31 1"), int(0));
        assert_eq!(h.run("setbit k 32 1"), err(BAD_OFFSET));
    }

    #[test]
    fn int_encoded_strings_read_as_text_and_convert_on_write() {
        let mut h = Harness::new();
        h.run("set n 1"); // "1" is 0x31: 0011 0001
        assert_eq!(h.run("getbit n 2"), int(1));
        assert_eq!(h.run("getbit n 1"), int(0));
        assert_eq!(h.run("bitcount n"), int(3));
        assert_eq!(h.run("bitpos n 1"), int(2));
        assert_eq!(h.run("setbit n 6 1"), int(0)); // 0x33 = "3"
        assert_eq!(h.run("get n"), Frame::Bulk(Bytes::from_static(b"3")));
        assert_eq!(h.run("incr n"), int(4), "still a number");
        h.run("set m -12");
        assert_eq!(h.run("bitcount m"), int(4 + 3 + 3), "'-' is 0x2d");
        assert_eq!(h.run("setbit m 0 0"), int(0));
        assert_eq!(h.run("get m"), Frame::Bulk(Bytes::from_static(b"-12")));
    }

    #[test]
    fn bitcount_ranges_and_units() {
        let mut h = Harness::new();
        with(&mut h, "k", b"\xff\xf0\x00\x0f"); // 8 + 4 + 0 + 4
        for (args, want) in [
            ("", 16),
            ("0 -1", 16),
            ("0 0", 8),
            ("1 1", 4),
            ("-1 -1", 4),
            ("-2 -1", 4),
            ("-100 100", 16),
            ("2 1", 0),
            ("-1 -5", 0),
            ("-1 -5 FOO", 0),
            ("4 10", 0),
            ("0 -1 BYTE", 16),
            ("1 1 byte", 4),
            ("0 -1 BIT", 16),
            ("0 7 BIT", 8),
            ("5 10 BIT", 6),
            ("8 11 bit", 4),
            ("12 27 BIT", 0),
            ("12 28 BIT", 1),
            ("-4 -1 BIT", 4),
            ("-5 -1 BIT", 4),
            ("-1 -1 BIT", 1),
            ("31 31 BIT", 1),
            ("32 40 BIT", 0),
            ("3 3 BIT", 1),
            ("-9223372036854775808 9223372036854775807 BIT", 16),
        ] {
            let cmd = format!("bitcount k {args}");
            assert_eq!(h.run(cmd.trim_end()), int(want), "{cmd}");
        }
        assert_eq!(h.run("bitcount k 0"), err("ERR syntax error"));
        assert_eq!(h.run("bitcount k 0 1 FOO"), err("ERR syntax error"));
        assert_eq!(h.run("bitcount k 0 1 BIT x"), err("ERR syntax error"));
        assert_eq!(h.run("bitcount k x 1"), err(NOT_INT));
        assert_eq!(h.run("bitcount k 1 x"), err(NOT_INT));
        assert_eq!(h.run("bitcount missing x"), int(0), "no key, no parsing");
        with(&mut h, "e", b"");
        assert_eq!(h.run("bitcount e 0 -1"), int(0));
        assert_eq!(h.run("bitcount e 0 -1 BIT"), int(0));
    }

    #[test]
    fn bitpos_ranges_and_units() {
        let mut h = Harness::new();
        with(&mut h, "k", b"\xff\xf0\x00");
        for (args, want) in [
            ("1", 0),
            ("0", 12),
            ("1 1", 8),
            ("0 1", 12),
            ("1 2", -1),
            ("0 2", 16),
            ("1 3", -1),
            ("0 3", -1),
            ("1 -1", -1),
            ("0 -2", 12),
            ("1 0 0", 0),
            ("0 0 0", -1),
            ("0 0 -1", 12),
            ("1 2 1", -1),
            ("1 -100 100", 0),
            ("1 7 15 BIT", 7),
            ("0 7 11 BIT", -1),
            ("0 7 12 BIT", 12),
            ("1 12 23 BIT", -1),
            ("0 12 23 bit", 12),
            ("1 3 3 BIT", 3),
            ("0 3 3 BIT", -1),
            ("1 -10 -1 BIT", -1),
            ("0 -13 -1 BIT", 12),
            ("1 -16 -16 BIT", 8),
            ("1 0 -1 BYTE", 0),
            ("0 0 -1 BYTE", 12),
            ("0 0 0 byte", -1),
            ("1 5 4 BIT", -1),
            ("1 24 100 BIT", -1),
        ] {
            assert_eq!(h.run(&format!("bitpos k {args}")), int(want), "{args}");
        }
        assert_eq!(h.run("bitpos k 1 0 1 FOO"), err("ERR syntax error"));
        assert_eq!(h.run("bitpos k 1 0 x FOO"), err("ERR syntax error"));
        assert_eq!(h.run("bitpos k 1 0 1 BIT x"), err("ERR syntax error"));
        assert_eq!(h.run("bitpos k 1 x"), err(NOT_INT));
        assert_eq!(h.run("bitpos k 1 0 x"), err(NOT_INT));
        assert_eq!(h.run("bitpos missing 0 x"), int(0));
        assert_eq!(h.run("bitpos missing 1"), int(-1));
    }

    #[test]
    fn bitpos_clear_bits_past_the_end() {
        let mut h = Harness::new();
        with(&mut h, "ones", b"\xff\xff\xff");
        assert_eq!(
            h.run("bitpos ones 0"),
            int(24),
            "the zero just past the end"
        );
        assert_eq!(h.run("bitpos ones 0 1"), int(24));
        assert_eq!(h.run("bitpos ones 0 -1"), int(24));
        assert_eq!(h.run("bitpos ones 0 0 -1"), int(-1), "an explicit end");
        assert_eq!(h.run("bitpos ones 0 0 100"), int(-1));
        assert_eq!(h.run("bitpos ones 0 5"), int(-1), "start past the end");
        with(&mut h, "e", b"");
        assert_eq!(h.run("bitpos e 0"), int(-1), "an empty string has no bits");
        assert_eq!(h.run("bitpos e 1"), int(-1));
        assert_eq!(h.run("bitpos e 0 0"), int(-1));
    }

    #[test]
    fn long_strings_use_the_word_paths() {
        let mut h = Harness::new();
        let mut bytes = vec![0u8; 100];
        bytes[77] = 0x10;
        with(&mut h, "z", &bytes);
        assert_eq!(h.run("bitpos z 1"), int(77 * 8 + 3));
        assert_eq!(h.run("bitpos z 1 0 -1 BIT"), int(77 * 8 + 3));
        assert_eq!(h.run("bitpos z 1 78"), int(-1));
        assert_eq!(h.run("bitcount z"), int(1));
        let mut ones = vec![0xffu8; 100];
        ones[90] = 0xfe;
        with(&mut h, "o", &ones);
        assert_eq!(h.run("bitpos o 0"), int(90 * 8 + 7));
        assert_eq!(h.run("bitpos o 0 1 89"), int(-1));
        assert_eq!(h.run("bitcount o"), int(799));
        assert_eq!(h.run("bitcount o 3 797 BIT"), int(794));
    }

    #[test]
    fn popcount_matches_a_bytewise_count() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in [0, 1, 7, 8, 31, 32, 33, 100, 1000] {
            let slice = &bytes[..len];
            let want: u64 = slice.iter().map(|b| u64::from(b.count_ones())).sum();
            assert_eq!(popcount(slice), want, "{len}");
        }
    }

    #[test]
    fn growth_follows_redis_preallocation() {
        let mut buf = BytesMut::zeroed(10);
        grow_zeroed(&mut buf, 11);
        assert_eq!(buf.len(), 11);
        assert!(buf.capacity() >= 22);
        assert!(buf.iter().all(|&b| b == 0));
        let mut big = BytesMut::zeroed(MAX_PREALLOC);
        grow_zeroed(&mut big, MAX_PREALLOC + 1);
        assert!(big.capacity() > 2 * MAX_PREALLOC);
        assert!(
            big.capacity() < 3 * MAX_PREALLOC,
            "1 MB of slack, not double"
        );
        grow_zeroed(&mut big, 5);
        assert_eq!(big.len(), MAX_PREALLOC + 1, "never shrinks");
    }
}
