//! Model-based test of the bitmap commands: random SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP and BITFIELD sequences run against the keyspace and against each key modelled
//! as a `Vec<bool>` of bits; every reply must match.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_resp::Frame;
use proptest::prelude::*;

const KEYS: [&str; 3] = ["a", "b", "c"];
/// Values SET can store: int-encoded ones among them, so that both encodings meet
/// every command.
const VALUES: [&[u8]; 7] = [
    b"",
    b"1",
    b"-12",
    b"abc",
    b"\xff\xff",
    b"\x00\x80\x01",
    b"1234567890",
];
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Default,
    Byte,
    Bit,
}

#[derive(Clone, Copy, Debug)]
enum FieldKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy, Debug)]
struct FieldOp {
    /// 0 WRAP, 1 SAT, 2 FAIL, 3 none (keep the previous mode).
    overflow: u8,
    signed: bool,
    bits: u32,
    offset: u64,
    kind: FieldKind,
}

#[derive(Clone, Debug)]
enum Op {
    Set(usize, usize),
    Get(usize),
    Del(usize),
    Push(usize),
    SetBit(usize, u64, bool),
    GetBit(usize, u64),
    BitCount(usize, Option<(i64, i64, Unit)>),
    BitPos {
        key: usize,
        bit: bool,
        start: Option<i64>,
        end: Option<i64>,
        unit: Unit,
    },
    Bitop(u8, usize, Vec<usize>),
    BitField(usize, Vec<FieldOp>, bool),
}

fn field_op() -> impl Strategy<Value = FieldOp> {
    let kind = prop_oneof![
        Just(FieldKind::Get),
        (-300i64..300).prop_map(FieldKind::Set),
        (-300i64..300).prop_map(FieldKind::IncrBy),
    ];
    (0u8..6, any::<bool>(), 1u32..17, 0u64..70, kind).prop_map(
        |(overflow, signed, bits, offset, kind)| FieldOp {
            overflow: overflow.min(3),
            signed,
            bits,
            offset,
            kind,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let offset = prop_oneof![4 => 0u64..80, 1 => 0u64..300];
    let unit = prop_oneof![Just(Unit::Default), Just(Unit::Byte), Just(Unit::Bit)];
    let index = prop_oneof![-12i64..12, -90i64..90];
    prop_oneof![
        2 => (key.clone(), 0..VALUES.len()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::Del),
        1 => key.clone().prop_map(Op::Push),
        6 => (key.clone(), offset.clone(), any::<bool>()).prop_map(|(k, o, b)| Op::SetBit(k, o, b)),
        3 => (key.clone(), offset).prop_map(|(k, o)| Op::GetBit(k, o)),
        3 => (key.clone(), prop::option::of((index.clone(), index.clone(), unit.clone())))
            .prop_map(|(k, r)| Op::BitCount(k, r)),
        4 => (key.clone(), any::<bool>(), prop::option::of(index.clone()), prop::option::of(index), unit)
            .prop_map(|(key, bit, start, end, unit)| {
                // BITPOS takes an end only after a start, and a unit only after an end.
                let end = start.and(end);
                let unit = if end.is_some() { unit } else { Unit::Default };
                Op::BitPos { key, bit, start, end, unit }
            }),
        2 => (0u8..4, key.clone(), prop::collection::vec(key.clone(), 1..4))
            .prop_map(|(o, d, s)| Op::Bitop(o, d, if o == 3 { s[..1].to_vec() } else { s })),
        3 => (key, prop::collection::vec(field_op(), 0..5), prop::bool::weighted(0.2))
            .prop_map(|(k, ops, ro)| Op::BitField(k, ops, ro)),
    ]
}

fn words(op: &Op) -> Vec<Vec<u8>> {
    let k = |i: &usize| KEYS[*i].as_bytes().to_vec();
    let s = |x: &dyn ToString| x.to_string().into_bytes();
    let unit = |u: &Unit| match u {
        Unit::Default => None,
        Unit::Byte => Some(b"BYTE".to_vec()),
        Unit::Bit => Some(b"bit".to_vec()),
    };
    match op {
        Op::Set(key, v) => vec![b"SET".to_vec(), k(key), VALUES[*v].to_vec()],
        Op::Get(key) => vec![b"GET".to_vec(), k(key)],
        Op::Del(key) => vec![b"DEL".to_vec(), k(key)],
        Op::Push(key) => vec![b"RPUSH".to_vec(), k(key), b"x".to_vec()],
        Op::SetBit(key, o, b) => vec![b"SETBIT".to_vec(), k(key), s(o), s(&u8::from(*b))],
        Op::GetBit(key, o) => vec![b"GETBIT".to_vec(), k(key), s(o)],
        Op::BitCount(key, range) => {
            let mut w = vec![b"BITCOUNT".to_vec(), k(key)];
            if let Some((start, end, u)) = range {
                w.extend([s(start), s(end)]);
                w.extend(unit(u));
            }
            w
        }
        Op::BitPos {
            key,
            bit,
            start,
            end,
            unit: u,
        } => {
            let mut w = vec![b"BITPOS".to_vec(), k(key), s(&u8::from(*bit))];
            w.extend(start.map(|x| s(&x)));
            w.extend(end.map(|x| s(&x)));
            w.extend(unit(u));
            w
        }
        Op::Bitop(o, dest, srcs) => {
            let name = ["AND", "or", "Xor", "NOT"][usize::from(*o)];
            let mut w = vec![b"BITOP".to_vec(), name.as_bytes().to_vec(), k(dest)];
            w.extend(srcs.iter().map(k));
            w
        }
        Op::BitField(key, ops, ro) => {
            let name: &[u8] = if *ro { b"BITFIELD_RO" } else { b"BITFIELD" };
            let mut w = vec![name.to_vec(), k(key)];
            for f in ops {
                if f.overflow < 3 {
                    w.push(b"OVERFLOW".to_vec());
                    w.push([&b"WRAP"[..], b"sat", b"Fail"][usize::from(f.overflow)].to_vec());
                }
                let ty = format!("{}{}", if f.signed { 'i' } else { 'u' }, f.bits).into_bytes();
                match f.kind {
                    FieldKind::Get => w.extend([b"GET".to_vec(), ty, s(&f.offset)]),
                    FieldKind::Set(v) => w.extend([b"SET".to_vec(), ty, s(&f.offset), s(&v)]),
                    FieldKind::IncrBy(v) => w.extend([b"INCRBY".to_vec(), ty, s(&f.offset), s(&v)]),
                }
            }
            w
        }
    }
}

#[derive(Clone, Debug)]
enum MValue {
    Bits(Vec<bool>),
    /// A list of that many elements.
    List(i64),
}

fn to_bits(bytes: &[u8]) -> Vec<bool> {
    bytes
        .iter()
        .flat_map(|b| (0..8).map(move |i| b & (0x80 >> i) != 0))
        .collect()
}

fn to_bytes(bits: &[bool]) -> Vec<u8> {
    bits.chunks(8)
        .map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | u8::from(b)))
        .collect()
}

fn wrongtype() -> Frame {
    Frame::Error(Bytes::from_static(WRONGTYPE.as_bytes()))
}

/// Redis's range rules, in units of `total`; `None` for an empty range.
fn normalize(start: i64, end: i64, total: i64) -> Option<(i64, i64)> {
    let fix = |x: i64| if x < 0 { (total + x).max(0) } else { x };
    let (start, end) = (fix(start), fix(end).min(total - 1));
    (start <= end).then_some((start, end))
}

/// A range in `unit`s as an inclusive range of bits.
fn bit_range(range: (i64, i64), unit: Unit) -> (usize, usize) {
    match unit {
        Unit::Bit => (range.0 as usize, range.1 as usize),
        _ => (range.0 as usize * 8, range.1 as usize * 8 + 7),
    }
}

fn total(bits: &[bool], unit: Unit) -> i64 {
    if unit == Unit::Bit {
        bits.len() as i64
    } else {
        bits.len() as i64 / 8
    }
}

/// What a BITFIELD SET or INCRBY stores: `None` when it does not fit under FAIL.
fn fit(signed: bool, bits: u32, target: i128, mode: u8) -> Option<i128> {
    let span = 1i128 << bits;
    let (min, max) = if signed {
        (-span / 2, span / 2 - 1)
    } else {
        (0, span - 1)
    };
    let mut v = target;
    if v < min || v > max {
        match mode {
            2 => return None,
            1 => v = v.clamp(min, max),
            // Wrap: the value in range that is congruent modulo 2^bits.
            _ => v = min + (v - min).rem_euclid(span),
        }
    }
    Some(v)
}

fn read_field(bits: &[bool], f: &FieldOp) -> i128 {
    let raw = (0..f.bits as usize).fold(0i128, |acc, i| {
        let bit = bits.get(f.offset as usize + i).copied().unwrap_or(false);
        (acc << 1) | i128::from(bit)
    });
    if f.signed && raw >= 1i128 << (f.bits - 1) {
        raw - (1i128 << f.bits)
    } else {
        raw
    }
}

fn write_field(bits: &mut [bool], f: &FieldOp, value: i128) {
    for i in 0..f.bits as usize {
        bits[f.offset as usize + i] = (value >> (f.bits as usize - 1 - i)) & 1 == 1;
    }
}

#[derive(Default)]
struct Model {
    keys: HashMap<usize, MValue>,
}

impl Model {
    /// The bits of a string key (empty when missing), or WRONGTYPE.
    fn bits(&self, key: usize) -> Result<Option<&Vec<bool>>, Frame> {
        match self.keys.get(&key) {
            None => Ok(None),
            Some(MValue::Bits(b)) => Ok(Some(b)),
            Some(MValue::List(_)) => Err(wrongtype()),
        }
    }

    /// The bits of a string key for writing, created if missing and grown with
    /// zeros to hold `len` bits (a whole number of bytes).
    fn grow(&mut self, key: usize, len: usize) -> Result<&mut Vec<bool>, Frame> {
        let value = self.keys.entry(key).or_insert(MValue::Bits(Vec::new()));
        let MValue::Bits(bits) = value else {
            return Err(wrongtype());
        };
        if bits.len() < len {
            bits.resize(len.div_ceil(8) * 8, false);
        }
        Ok(bits)
    }

    fn apply(&mut self, op: &Op) -> Frame {
        match op {
            Op::Set(key, v) => {
                self.keys.insert(*key, MValue::Bits(to_bits(VALUES[*v])));
                Frame::ok()
            }
            Op::Get(key) => match self.bits(*key) {
                Err(e) => e,
                Ok(b) => b.map_or(Frame::Null, |b| Frame::Bulk(to_bytes(b).into())),
            },
            Op::Del(key) => Frame::Integer(i64::from(self.keys.remove(key).is_some())),
            Op::Push(key) => match self.keys.entry(*key).or_insert(MValue::List(0)) {
                MValue::Bits(_) => wrongtype(),
                MValue::List(n) => {
                    *n += 1;
                    Frame::Integer(*n)
                }
            },
            Op::SetBit(key, offset, bit) => {
                let offset = *offset as usize;
                match self.grow(*key, offset + 1) {
                    Err(e) => e,
                    Ok(bits) => {
                        let old = std::mem::replace(&mut bits[offset], *bit);
                        Frame::Integer(i64::from(old))
                    }
                }
            }
            Op::GetBit(key, offset) => match self.bits(*key) {
                Err(e) => e,
                Ok(b) => {
                    let bit = b.and_then(|b| b.get(*offset as usize).copied());
                    Frame::Integer(i64::from(bit.unwrap_or(false)))
                }
            },
            Op::BitCount(key, range) => match self.bits(*key) {
                Err(e) => e,
                Ok(None) => Frame::Integer(0),
                Ok(Some(bits)) => {
                    let (lo, hi) = match range {
                        None if bits.is_empty() => return Frame::Integer(0),
                        None => (0, bits.len() - 1),
                        Some((s, e, _)) if *s < 0 && *e < 0 && s > e => return Frame::Integer(0),
                        Some((s, e, unit)) => match normalize(*s, *e, total(bits, *unit)) {
                            None => return Frame::Integer(0),
                            Some(r) => bit_range(r, *unit),
                        },
                    };
                    Frame::Integer(bits[lo..=hi].iter().filter(|&&b| b).count() as i64)
                }
            },
            Op::BitPos {
                key,
                bit,
                start,
                end,
                unit,
            } => match self.bits(*key) {
                Err(e) => e,
                Ok(None) => Frame::Integer(if *bit { -1 } else { 0 }),
                Ok(Some(bits)) => {
                    let t = total(bits, *unit);
                    let range = normalize(start.unwrap_or(0), end.unwrap_or(t - 1), t);
                    let Some(range) = range else {
                        return Frame::Integer(-1);
                    };
                    let (lo, hi) = bit_range(range, *unit);
                    match (lo..=hi).find(|&i| bits[i] == *bit) {
                        Some(pos) => Frame::Integer(pos as i64),
                        // Without an end, the string is followed by zeros.
                        None if !*bit && end.is_none() => Frame::Integer(bits.len() as i64),
                        None => Frame::Integer(-1),
                    }
                }
            },
            Op::Bitop(o, dest, srcs) => {
                let mut values = Vec::new();
                for src in srcs {
                    match self.bits(*src) {
                        Err(e) => return e,
                        Ok(b) => values.push(b.cloned().unwrap_or_default()),
                    }
                }
                let len = values.iter().map(Vec::len).max().unwrap_or(0);
                if len == 0 {
                    self.keys.remove(dest);
                    return Frame::Integer(0);
                }
                let at = |v: &Vec<bool>, i: usize| v.get(i).copied().unwrap_or(false);
                let result = (0..len)
                    .map(|i| {
                        let mut it = values.iter().map(|v| at(v, i));
                        let first = it.next().unwrap_or(false);
                        match o {
                            0 => it.fold(first, |a, b| a & b),
                            1 => it.fold(first, |a, b| a | b),
                            2 => it.fold(first, |a, b| a ^ b),
                            _ => !first,
                        }
                    })
                    .collect();
                self.keys.insert(*dest, MValue::Bits(result));
                Frame::Integer(len as i64 / 8)
            }
            Op::BitField(key, ops, ro) => self.bitfield(*key, ops, *ro),
        }
    }

    fn bitfield(&mut self, key: usize, ops: &[FieldOp], ro: bool) -> Frame {
        let writes = ops.iter().filter(|f| !matches!(f.kind, FieldKind::Get));
        let highest = writes.map(|f| f.offset as usize + f.bits as usize).max();
        let mut mode = 0;
        let mut replies = Vec::new();
        let Some(highest) = highest else {
            let bits = match self.bits(key) {
                Err(e) => return e,
                Ok(b) => b.cloned().unwrap_or_default(),
            };
            for f in ops {
                replies.push(Frame::Integer(read_field(&bits, f) as i64));
            }
            return Frame::Array(replies);
        };
        if ro {
            return Frame::Error(Bytes::from_static(
                b"ERR BITFIELD_RO only supports the GET subcommand",
            ));
        }
        let bits = match self.grow(key, highest) {
            Err(e) => return e,
            Ok(bits) => bits,
        };
        for f in ops {
            if f.overflow < 3 {
                mode = f.overflow;
            }
            let old = read_field(bits, f);
            let (target, reply_old) = match f.kind {
                FieldKind::Get => {
                    replies.push(Frame::Integer(old as i64));
                    continue;
                }
                FieldKind::Set(v) if !f.signed => (i128::from(v as u64), true),
                FieldKind::Set(v) => (i128::from(v), true),
                FieldKind::IncrBy(v) => (old + i128::from(v), false),
            };
            match fit(f.signed, f.bits, target, mode) {
                None => replies.push(Frame::Null),
                Some(new) => {
                    write_field(bits, f, new);
                    replies.push(Frame::Integer(if reply_old { old } else { new } as i64));
                }
            }
        }
        Frame::Array(replies)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn bit_commands_match_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut keyspace = Keyspace::new(1);
        let mut session = Session::default();
        let mut model = Model::default();
        for (i, op) in ops.iter().enumerate() {
            let argv: Vec<Bytes> = words(op).into_iter().map(Bytes::from).collect();
            let got = keyspace.execute(&mut session, &argv);
            let want = model.apply(op);
            prop_assert_eq!(got, Some(want), "step {}: {:?}", i, op);
        }
    }
}
