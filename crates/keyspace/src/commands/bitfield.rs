//! BITFIELD and BITFIELD_RO (bitops.c): signed and unsigned integers of 1 to 64 bits
//! at any bit offset of a string.

use bytes::Bytes;
use ferrodis_resp::Frame;

use super::bits::{edit_bits, parse_bit_offset, read_string};
use super::{parse_int, Ctx};
use crate::error::{Error, Result};
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
        Kind::Set(v) => i128::from(v),
        Kind::IncrBy(by) => i128::from(old) + i128::from(by),
    };
    let Some(new) = fit(op.field, target, op.overflow) else {
        return (Frame::Null, false);
    };
    write_field(buf, op.field, new);
    let reply = if matches!(op.kind, Kind::Set(_)) { old } else { new };
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
    summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
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
    ctx.changed(changes);
    Ok(Frame::Array(replies))
}
