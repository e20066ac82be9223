//! BITFIELD and BITFIELD_RO (bitops.c): signed and unsigned integers of 1 to 64 bits
//! at any bit offset of a string.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::bits::{edit_bits, parse_bit_offset, read_string};
use super::{parse_int, Ctx};
use crate::error::{Error, Result};
use crate::notify;
use crate::num;
use crate::spec::CommandSpec;

/// What SET and INCRBY do with a result that does not fit the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Keep the low bits (two's complement wrap-around); the default.
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Leave the field alone and reply null.
    Fail,
}

/// A field: its signedness, width and first bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    signed: bool,
    bits: u32,
    offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One GET, SET or INCRBY with the OVERFLOW mode in force at its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FieldOp {
    field: Field,
    kind: Kind,
    overflow: Overflow,
}

/// The operations of a BITFIELD command line, parsed one at a time so that the
/// command can validate them all, then run them, without storing them.
struct Ops<'a> {
    args: &'a [Bytes],
    overflow: Overflow,
    max_bulk_len: u64,
}

impl<'a> Ops<'a> {
    fn new(args: &'a [Bytes], max_bulk_len: u64) -> Ops<'a> {
        Ops {
            args,
            overflow: Overflow::Wrap,
            max_bulk_len,
        }
    }

    fn parse(&mut self, name: &[u8], rest: &'a [Bytes]) -> Result<Option<FieldOp>> {
        // A subcommand without enough arguments left is a syntax error, as in Redis.
        let (arity, get) = if name.eq_ignore_ascii_case(b"get") && rest.len() >= 2 {
            (2, true)
        } else if (name.eq_ignore_ascii_case(b"set") || name.eq_ignore_ascii_case(b"incrby"))
            && rest.len() >= 3
        {
            (3, false)
        } else if name.eq_ignore_ascii_case(b"overflow") && !rest.is_empty() {
            let mode = &rest[0];
            self.overflow = if mode.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if mode.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if mode.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(Error::BitfieldOverflow);
            };
            self.args = &rest[1..];
            return Ok(None);
        } else {
            return Err(Error::Syntax);
        };
        let (signed, bits) = parse_type(&rest[0])?;
        let offset = parse_bit_offset(&rest[1], self.max_bulk_len, Some(bits))?;
        let kind = match get {
            true => Kind::Get,
            false if name.eq_ignore_ascii_case(b"set") => Kind::Set(parse_int(&rest[2])?),
            false => Kind::IncrBy(parse_int(&rest[2])?),
        };
        self.args = &rest[arity..];
        Ok(Some(FieldOp {
            field: Field {
                signed,
                bits,
                offset,
            },
            kind,
            overflow: self.overflow,
        }))
    }
}

impl Iterator for Ops<'_> {
    type Item = Result<FieldOp>;

    fn next(&mut self) -> Option<Result<FieldOp>> {
        loop {
            let (name, rest) = self.args.split_first()?;
            match self.parse(name, rest) {
                Ok(Some(op)) => return Some(Ok(op)),
                Ok(None) => {}
                Err(e) => {
                    self.args = &[];
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Redis's `getBitfieldTypeFromArgument()`: `i1`..`i64` or `u1`..`u63` (a u64 could
/// not be replied as a RESP integer). Redis reads the width as a C string, so it
/// ends at a NUL byte.
fn parse_type(arg: &[u8]) -> Result<(bool, u32)> {
    let (signed, width) = match arg.split_first() {
        Some((b'i', width)) => (true, width),
        Some((b'u', width)) => (false, width),
        _ => return Err(Error::BitfieldType),
    };
    let width = width.split(|&b| b == 0).next().unwrap_or_default();
    match num::parse_i64(width) {
        Some(bits @ 1..=64) if signed => Ok((true, bits as u32)),
        Some(bits @ 1..=63) => Ok((false, bits as u32)),
        _ => Err(Error::BitfieldType),
    }
}

/// A mask of the low `bits` bits (1..=64).
fn low_mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// Up to 72 bits from the byte holding `offset`, zero-padded past the end of `buf`,
/// as the top bits of a u128 (the bitmap's bit order is big-endian), plus how many
/// bytes of `buf` they came from.
fn window(buf: &[u8], offset: u64) -> (u128, usize) {
    let avail = buf.get((offset >> 3) as usize..).unwrap_or_default();
    let n = avail.len().min(9);
    let mut bytes = [0u8; 16];
    bytes[..n].copy_from_slice(&avail[..n]);
    (u128::from_be_bytes(bytes), n)
}

/// The shift that brings a field to the bottom of its [`window`].
fn shift(field: Field) -> u32 {
    128 - (field.offset & 7) as u32 - field.bits
}

/// The field's value; bits past the end of `buf` read as zeros.
fn read_field(buf: &[u8], field: Field) -> i64 {
    let (w, _) = window(buf, field.offset);
    let raw = (w >> shift(field)) as u64 & low_mask(field.bits);
    if field.signed {
        // Sign-extend from the field's top bit.
        let unused = 64 - field.bits;
        ((raw << unused) as i64) >> unused
    } else {
        raw as i64
    }
}

/// Stores the low bits of `value` in the field; the caller has grown `buf` to hold it.
fn write_field(buf: &mut [u8], field: Field, value: i64) {
    let (w, n) = window(buf, field.offset);
    let mask = u128::from(low_mask(field.bits)) << shift(field);
    let bits = u128::from(value as u64 & low_mask(field.bits)) << shift(field);
    let bytes = ((w & !mask) | bits).to_be_bytes();
    let start = (field.offset >> 3) as usize;
    if let Some(dest) = buf.get_mut(start..start + n) {
        dest.copy_from_slice(&bytes[..n]);
    }
}

/// Redis's `check{Signed,Unsigned}BitfieldOverflow()`: the value to store for
/// `target`, or `None` when it does not fit and the mode is FAIL.
fn fit(field: Field, target: i128, overflow: Overflow) -> Option<i64> {
    let span = 1i128 << field.bits;
    let (min, max) = if field.signed {
        (-(span / 2), span / 2 - 1)
    } else {
        (0, span - 1)
    };
    if (min..=max).contains(&target) {
        return Some(target as i64);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if target > max { max } else { min } as i64),
        Overflow::Wrap => {
            let low = target.rem_euclid(span);
            Some(if low > max { low - span } else { low } as i64)
        }
    }
}

/// Whether a signed SET under OVERFLOW SAT hits a quirk of Redis's
/// `checkSignedBitfieldOverflow()`: it computes `max - value` in 64 bits, which for a
/// value at or below `max - 2^63` wraps negative, and then takes the value for an
/// overflow upwards, so the field saturates to its maximum, not its minimum. (WRAP
/// and FAIL come out the same either way; an i64 field is never out of range.)
fn sat_quirk(op: FieldOp, value: i64) -> bool {
    let bits = op.field.bits;
    let max = (1i128 << (bits - 1)) - 1;
    op.overflow == Overflow::Sat && bits < 64 && i128::from(value) <= max - (1i128 << 63)
}

/// Runs one operation on `buf`: its reply, and whether it counts as a change (Redis
/// counts every SET or INCRBY that ran once the string was created or grown, and
/// otherwise those that changed the field; one that failed under OVERFLOW FAIL never,
/// even though the key was created for it).
fn run_op(buf: &mut [u8], op: FieldOp, grown: bool) -> (Frame, bool) {
    let old = read_field(buf, op.field);
    let target = match op.kind {
        Kind::Get => return (Frame::Integer(old), false),
        // An unsigned field takes the value's 64 bits as unsigned, as Redis casts it
        // to uint64_t: -1 is past the maximum of any width.
        Kind::Set(v) if !op.field.signed => i128::from(v as u64),
        Kind::Set(v) if sat_quirk(op, v) => i128::MAX,
        Kind::Set(v) => i128::from(v),
        Kind::IncrBy(by) => i128::from(old) + i128::from(by),
    };
    let Some(new) = fit(op.field, target, op.overflow) else {
        return (Frame::Null, false);
    };
    write_field(buf, op.field, new);
    let reply = if matches!(op.kind, Kind::Set(_)) {
        old
    } else {
        new
    };
    (Frame::Integer(reply), grown || old != new)
}

pub(super) const BITFIELD: CommandSpec = CommandSpec {
    name: "bitfield",
    arity: -2,
    flags: &["write", "denyoom"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@write", "@bitmap", "@slow"],
    group: "bitmap",
    summary: "Perform arbitrary bitfield integer operations on strings",
    since: "3.2.0",
    complexity: "O(1) for each subcommand specified",
    syntax: "key [GET encoding offset:integer | [OVERFLOW WRAP | SAT | FAIL] (SET encoding offset:integer value:integer | INCRBY encoding offset:integer increment:integer)]...",
};

/// BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
/// INCRBY type offset increment]...: one reply per GET, SET (the old value) and
/// INCRBY (the new value); null for a SET or INCRBY that failed under OVERFLOW FAIL.
pub(super) fn bitfield(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    bitfield_generic(ctx, argv, false)
}

pub(super) const BITFIELD_RO: CommandSpec = CommandSpec {
    name: "bitfield_ro",
    arity: -2,
    flags: &["readonly", "fast"],
    first_key: 1,
    last_key: 1,
    step: 1,
    acl_categories: &["@read", "@bitmap", "@fast"],
    group: "bitmap",
    summary:
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    since: "6.0.0",
    complexity: "O(1) for each subcommand specified",
    syntax: "key [GET encoding offset:integer]...",
};

/// BITFIELD_RO key [GET type offset]...
pub(super) fn bitfield_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame> {
    bitfield_generic(ctx, argv, true)
}

/// Redis's `bitfieldGeneric()`: every operation is checked before any runs.
fn bitfield_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], read_only: bool) -> Result<Frame> {
    let max_bulk_len = ctx.tunables.proto_max_bulk_len;
    let ops = || Ops::new(&argv[2..], max_bulk_len);
    let mut count = 0;
    // The last bit a SET or INCRBY touches, if any.
    let mut highest: Option<u64> = None;
    for op in ops() {
        let op = op?;
        count += 1;
        if op.kind != Kind::Get {
            let last = op.field.offset.saturating_add(u64::from(op.field.bits) - 1);
            highest = highest.max(Some(last));
        }
    }
    let mut replies = Vec::with_capacity(count);
    let Some(highest) = highest else {
        // Only GETs: a read, and a missing key reads as zeros.
        let gets = ops().filter_map(Result::ok);
        match ctx.read(&argv[1]) {
            None => replies.extend(gets.map(|_| Frame::Integer(0))),
            Some(entry) => read_string(entry.value(), |s| {
                replies.extend(gets.map(|op| Frame::Integer(read_field(s, op.field))));
            })?,
        }
        return Ok(Frame::Array(replies));
    };
    if read_only {
        return Err(Error::BitfieldReadOnly);
    }
    let len = (highest >> 3) as usize + 1;
    let changes = edit_bits(ctx, &argv[1], len, |buf, grown| {
        let mut changes = 0;
        for op in ops().filter_map(Result::ok) {
            let (reply, changed) = run_op(buf, op, grown);
            changes += usize::from(changed);
            replies.push(reply);
        }
        changes
    })?;
    if changes > 0 {
        ctx.changed(changes);
        ctx.notify(notify::STRING, "setbit", &argv[1]);
    }
    Ok(Frame::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, int, Harness};
    use super::*;

    fn ints(items: &[Option<i64>]) -> Frame {
        Frame::Array(
            items
                .iter()
                .map(|i| i.map_or(Frame::Null, Frame::Integer))
                .collect(),
        )
    }

    /// Overflow handling as plainly as it can be said: wrap by adding or removing
    /// 2^bits until the value fits; saturate by clamping; fail by giving up.
    fn reference(signed: bool, bits: u32, target: i128, overflow: Overflow) -> Option<i64> {
        let span = 1i128 << bits;
        let (min, max) = if signed {
            (-span / 2, span / 2 - 1)
        } else {
            (0, span - 1)
        };
        let mut v = target;
        if v < min || v > max {
            match overflow {
                Overflow::Fail => return None,
                Overflow::Sat => v = v.clamp(min, max),
                Overflow::Wrap => {
                    while v > max {
                        v -= span;
                    }
                    while v < min {
                        v += span;
                    }
                }
            }
        }
        Some(v as i64)
    }

    #[test]
    fn overflow_modes_match_the_reference() {
        let modes = [Overflow::Wrap, Overflow::Sat, Overflow::Fail];
        for bits in 1..=9 {
            for signed in [true, false] {
                let field = Field {
                    signed,
                    bits,
                    offset: 0,
                };
                for target in -1100i128..1100 {
                    for mode in modes {
                        assert_eq!(
                            fit(field, target, mode),
                            reference(signed, bits, target, mode),
                            "{signed} {bits} {target} {mode:?}"
                        );
                    }
                }
            }
        }
        // Wide fields, around their limits and far past them.
        for (signed, bits) in [(true, 64), (true, 63), (true, 33), (false, 63), (false, 32)] {
            let field = Field {
                signed,
                bits,
                offset: 0,
            };
            let span = 1i128 << bits;
            let bases = [0, span / 2, span, -span / 2, -span, 3 * span, -3 * span];
            for base in bases {
                for delta in -3..=3 {
                    let target = base + delta;
                    for mode in modes {
                        assert_eq!(
                            fit(field, target, mode),
                            reference(signed, bits, target, mode),
                            "{signed} {bits} {target} {mode:?}"
                        );
                    }
                }
            }
        }
    }

    /// Redis's bit-at-a-time `getUnsignedBitfield()`.
    fn read_slowly(buf: &[u8], offset: u64, bits: u32) -> u64 {
        (0..u64::from(bits)).fold(0, |acc, i| {
            let at = offset + i;
            let byte = buf.get((at >> 3) as usize).copied().unwrap_or(0);
            (acc << 1) | u64::from((byte >> (7 - (at & 7))) & 1)
        })
    }

    #[test]
    fn fields_at_any_offset_match_a_bit_by_bit_reading() {
        let buf: Vec<u8> = (0..24u32).map(|i| (i * 89 + 17) as u8).collect();
        for bits in 1..=64 {
            for offset in 0..(24 * 8 - u64::from(bits)) {
                let raw = read_slowly(&buf, offset, bits);
                let unsigned = Field {
                    signed: false,
                    bits,
                    offset,
                };
                let signed = Field {
                    signed: true,
                    ..unsigned
                };
                assert_eq!(read_field(&buf, unsigned) as u64, raw);
                let sign_extended = ((raw << (64 - bits)) as i64) >> (64 - bits);
                assert_eq!(read_field(&buf, signed), sign_extended);
                let mut copy = buf.clone();
                write_field(&mut copy, unsigned, !raw as i64);
                assert_eq!(
                    read_slowly(&copy, offset, bits),
                    !raw & low_mask(bits),
                    "{offset} {bits}"
                );
                // The bits around the field are untouched.
                let before = offset.min(64);
                let (start, after) = (offset - before, offset + u64::from(bits));
                assert_eq!(
                    read_slowly(&copy, start, before as u32),
                    read_slowly(&buf, start, before as u32)
                );
                assert_eq!(read_slowly(&copy, after, 64), read_slowly(&buf, after, 64));
            }
        }
    }

    #[test]
    fn reads_past_the_end_are_zeros() {
        let buf = [0xffu8; 3];
        let field = |offset, bits| Field {
            signed: false,
            bits,
            offset,
        };
        assert_eq!(read_field(&buf, field(20, 8)), 0xf0);
        assert_eq!(read_field(&buf, field(24, 8)), 0);
        assert_eq!(read_field(&buf, field(1000, 64)), 0);
    }

    #[test]
    fn types() {
        assert_eq!(parse_type(b"i1"), Ok((true, 1)));
        assert_eq!(parse_type(b"i64"), Ok((true, 64)));
        assert_eq!(parse_type(b"u63"), Ok((false, 63)));
        assert_eq!(parse_type(b"u8\0junk"), Ok((false, 8)), "a C string");
        for bad in [
            &b"u64"[..],
            b"i65",
            b"i0",
            b"u0",
            b"x8",
            b"I8",
            b"i",
            b"",
            b"i08",
            b"i-1",
            b"i+8",
        ] {
            assert_eq!(parse_type(bad), Err(Error::BitfieldType));
        }
    }

    // The expected replies below are redis-server 7.0.15's.

    #[test]
    fn signed_overflow_modes() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("bitfield k set i8 0 100 incrby i8 0 100 overflow sat incrby i8 0 -300 incrby i8 0 -1 overflow fail incrby i8 0 -1 incrby i8 0 255 get i8 0"),
            ints(&[Some(0), Some(-56), Some(-128), Some(-128), None, Some(127), Some(127)])
        );
        assert_eq!(
            h.run("bitfield k set i64 16 9223372036854775807 incrby i64 16 1 overflow sat incrby i64 16 -1 incrby i64 16 -9223372036854775808 overflow wrap incrby i64 16 -1"),
            ints(&[Some(0), Some(i64::MIN), Some(i64::MIN), Some(i64::MIN), Some(i64::MAX)])
        );
        assert_eq!(
            h.run("bitfield k set i1 150 1 get i1 150 get u1 150 overflow sat set i1 150 5 set u1 150 -2 incrby i1 150 -3 get i1 150"),
            ints(&[Some(0), Some(-1), Some(1), Some(-1), Some(0), Some(-1), Some(-1)])
        );
    }

    #[test]
    fn saturating_a_very_negative_set_matches_redis() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("bitfield q overflow sat set i3 0 -9223372036854775808 get i3 0 set i3 0 -9223372036854775805 get i3 0 set i3 0 -9223372036854775804 get i3 0 set i63 8 -9223372036854775808 get i63 8 set i63 8 -9223372036854775807 get i63 8 overflow wrap set i3 0 -9223372036854775808 get i3 0 overflow fail set i3 0 -9223372036854775808"),
            ints(&[Some(0), Some(3), Some(3), Some(3), Some(3), Some(-4), Some(0), Some(4611686018427387903), Some(4611686018427387903), Some(4611686018427387903), Some(-4), Some(0), None])
        );
        assert_eq!(
            h.run("bitfield q overflow sat set i64 0 -9223372036854775808 get i64 0"),
            ints(&[Some(36028797018963967), Some(i64::MIN)])
        );
    }

    #[test]
    fn unsigned_overflow_modes() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("bitfield k set u8 8 -1 overflow sat set u8 8 -1 overflow fail set u8 8 -1 get u8 8"),
            ints(&[Some(0), Some(255), None, Some(255)])
        );
        assert_eq!(
            h.run("bitfield k set u63 80 9223372036854775807 incrby u63 80 1 set u63 80 -1 get u63 80 overflow sat incrby u63 80 -5"),
            ints(&[Some(0), Some(0), Some(0), Some(i64::MAX), Some(i64::MAX - 5)])
        );
    }

    #[test]
    fn unaligned_fields_and_hash_offsets() {
        let mut h = Harness::new();
        // bitops.c's own example: 23 in 5 bits at offset 7 is 00000001|01110000.
        assert_eq!(h.run("bitfield k set u5 7 23"), ints(&[Some(0)]));
        assert_eq!(h.run("get k"), Frame::Bulk(Bytes::from_static(b"\x01\x70")));
        assert_eq!(
            h.run("bitfield k get u4 #1 get u4 #2 get i4 #3 get u16 #0 get u63 0 get i64 3 get u8 100"),
            ints(&[Some(1), Some(7), Some(0), Some(368), Some(51791395714760704), Some(828662331436171264), Some(0)])
        );
        h.run("set txt hello");
        assert_eq!(
            h.run("bitfield_ro txt get u8 0 get i5 37 overflow fail get u16 #1"),
            ints(&[Some(104), Some(-4), Some(27756)])
        );
    }

    #[test]
    fn reads_need_no_key() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("bitfield_ro none get u8 0 get i64 #7"),
            ints(&[Some(0), Some(0)])
        );
        assert_eq!(h.run("bitfield none"), ints(&[]));
        assert_eq!(
            h.run("bitfield none overflow sat get u8 0"),
            ints(&[Some(0)])
        );
        assert_eq!(h.run("exists none"), int(0));
        assert_eq!(h.ks.dirty(), 0);
        h.run("set n 12");
        assert_eq!(
            h.run("bitfield n get u16 0"),
            ints(&[Some(0x3132)]),
            "int-encoded as text"
        );
    }

    #[test]
    fn writes_grow_the_string_and_count_changes_like_redis() {
        let mut h = Harness::new();
        // The FAIL leaves the field alone but the key is still created (13 bytes,
        // up to bit 102), and Redis counts only the SET as a change.
        assert_eq!(
            h.run("bitfield s overflow fail incrby u4 3 20 set i3 100 3"),
            ints(&[None, Some(0)])
        );
        assert_eq!(h.run("strlen s"), int(13));
        assert_eq!(
            h.run("getrange s 12 12"),
            Frame::Bulk(Bytes::from_static(b"\x06"))
        );
        assert_eq!(h.ks.dirty(), 1);
        h.run("bitfield s set u8 0 0 incrby u8 0 0");
        assert_eq!(h.ks.dirty(), 1, "nothing changed");
        h.run("bitfield s set u8 0 1 get u8 0");
        assert_eq!(h.ks.dirty(), 2);
        h.run("bitfield s set u8 104 0 set u8 0 1");
        assert_eq!(h.ks.dirty(), 4, "after growing, every write counts");
        h.run("bitfield f overflow fail incrby u2 0 10");
        assert_eq!(h.run("get f"), Frame::Bulk(Bytes::from_static(b"\0")));
        assert_eq!(h.ks.dirty(), 4);
        h.run("expire s 100");
        h.run("bitfield s incrby u8 200 1");
        assert_eq!(h.run("ttl s"), int(100), "writing fields keeps the TTL");
        h.run("set n 7");
        assert_eq!(h.run("bitfield n incrby u8 0 1"), ints(&[Some(0x38)]));
        assert_eq!(h.run("get n"), Frame::Bulk(Bytes::from_static(b"8")));
    }

    #[test]
    fn errors() {
        let mut h = Harness::new();
        let bad_type = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
        let bad_offset = "ERR bit offset is not an integer or out of range";
        for (cmd, want) in [
            ("bitfield k get u64 0", bad_type),
            ("bitfield k set i65 0 1", bad_type),
            ("bitfield k get x8 0", bad_type),
            ("bitfield k get i8 -1", bad_offset),
            ("bitfield k get i8 #-1", bad_offset),
            ("bitfield k get i8 4294967296", bad_offset),
            ("bitfield k get i8 #536870912", bad_offset),
            ("bitfield k get i8 #9223372036854775807", bad_offset),
            (
                "bitfield k set i8 0 x",
                "ERR value is not an integer or out of range",
            ),
            (
                "bitfield k incrby i8 0 1.5",
                "ERR value is not an integer or out of range",
            ),
            (
                "bitfield k overflow foo",
                "ERR Invalid OVERFLOW type specified",
            ),
            ("bitfield k overflow", "ERR syntax error"),
            ("bitfield k foo", "ERR syntax error"),
            ("bitfield k get i8", "ERR syntax error"),
            ("bitfield k set i8 0", "ERR syntax error"),
            ("bitfield k get i8 0 incrby i8 0", "ERR syntax error"),
            (
                "bitfield_ro k set i8 0 1",
                "ERR BITFIELD_RO only supports the GET subcommand",
            ),
            (
                "bitfield_ro k get i8 0 incrby i8 0 1",
                "ERR BITFIELD_RO only supports the GET subcommand",
            ),
            (
                "bitfield_ro k set i8 0 x",
                "ERR value is not an integer or out of range",
            ),
            (
                "bitfield_ro k overflow foo",
                "ERR Invalid OVERFLOW type specified",
            ),
        ] {
            assert_eq!(h.run(cmd), err(want), "{cmd}");
        }
        assert_eq!(h.run("exists k"), int(0), "nothing ran");
        assert_eq!(
            h.run("bitfield k get i8 #2305843009213693953"),
            ints(&[Some(0)]),
            "wraps to bit 8"
        );
        h.run("rpush l a");
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(h.run("bitfield l get i8 0"), wrongtype);
        assert_eq!(h.run("bitfield l set i8 0 1"), wrongtype);
        assert_eq!(h.run("bitfield_ro l get i8 0"), wrongtype);
        assert_eq!(h.run("bitfield l"), wrongtype);
        assert_eq!(
            h.run("bitfield l get i8 x"),
            err(bad_offset),
            "arguments first"
        );
        assert_eq!(
            h.run("bitfield_ro l set i8 0 1"),
            err("ERR BITFIELD_RO only supports the GET subcommand")
        );
    }
}
