//! List elements in Redis's listpack entry format: how quicklist nodes store them.
//!
//! Entry layout (Redis's listpack entry; a node has no listpack header or end byte):
//!
//! ```text
//! <encoding [+ length]> <data> <backlen>
//! 0xxxxxxx                      7-bit unsigned integer (0..=127), no data
//! 10xxxxxx                      string of up to 63 bytes
//! 110xxxxx yyyyyyyy             13-bit signed integer, two's complement
//! 1110xxxx yyyyyyyy             string of up to 4095 bytes (length: 12 bits, high first)
//! 11110000 <u32 LE>             string with a 32-bit length
//! 11110001 <2> | 11110010 <3> | 11110011 <4> | 11110100 <8>
//!                               16/24/32/64-bit signed integer, little endian
//! 11110101 <u64 LE>             ferrodis only: a string of 4 GiB or more
//! ```
//!
//! `backlen` is the length of encoding + data, in 1 to 10 bytes of 7 bits, most
//! significant group first; every byte but the first has the high bit set, so it can
//! be read from right to left when walking backwards. Strings that are the canonical
//! text of an `i64` are stored as integers (Redis's `lpStringToInt64()`), so equal
//! elements always have equal encodings.

use bytes::{BufMut, Bytes};

use crate::num;

const STR6: u8 = 0x80;
const INT13: u8 = 0xC0;
const STR12: u8 = 0xE0;
const STR32: u8 = 0xF0;
const INT16: u8 = 0xF1;
const INT24: u8 = 0xF2;
const INT32: u8 = 0xF3;
const INT64: u8 = 0xF4;
const STR64: u8 = 0xF5;

/// One list element as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// The element's bytes (a fresh allocation).
    pub(crate) fn to_bytes(self) -> Bytes {
        match self {
            Elem::Str(s) => Bytes::copy_from_slice(s),
            Elem::Int(n) => num::i64_to_bytes(n),
        }
    }

    /// Length of the element's text.
    pub(crate) fn text_len(self) -> usize {
        match self {
            Elem::Str(s) => s.len(),
            Elem::Int(n) => num::i64_len(n),
        }
    }

    /// Appends the element's text to `out`.
    pub(crate) fn write_to(self, out: &mut impl BufMut) {
        match self {
            Elem::Str(s) => out.put_slice(s),
            Elem::Int(n) => out.put_slice(num::format_i64(n, &mut [0; 20])),
        }
    }

    /// Whether the element equals the needle (whose text was encoded the same way).
    pub(crate) fn matches(self, needle: Elem<'_>) -> bool {
        match (self, needle) {
            (Elem::Int(a), Elem::Int(b)) => a == b,
            (Elem::Str(a), Elem::Str(b)) => a == b,
            _ => false,
        }
    }

    /// How an argument is stored: as an integer when it is the canonical text of one.
    pub(crate) fn from_arg(arg: &[u8]) -> Elem<'_> {
        if arg.len() <= 20 && matches!(arg.first(), Some(b'-' | b'0'..=b'9')) {
            if let Some(n) = num::parse_i64(arg) {
                return Elem::Int(n);
            }
        }
        Elem::Str(arg)
    }
}

/// An element encoded as an entry, ready to be written.
pub(crate) struct Encoded<'a> {
    head: [u8; 9],
    head_len: u8,
    data: &'a [u8],
    back: [u8; 10],
    back_len: u8,
}

impl<'a> Encoded<'a> {
    pub(crate) fn new(arg: &'a [u8]) -> Encoded<'a> {
        Encoded::from_elem(Elem::from_arg(arg))
    }

    pub(crate) fn from_elem(elem: Elem<'a>) -> Encoded<'a> {
        let mut head = [0u8; 9];
        let (head_len, data): (usize, &[u8]) = match elem {
            Elem::Int(n) => (encode_int(n, &mut head), &[]),
            Elem::Str(s) => (encode_str_len(s.len(), &mut head), s),
        };
        let mut back = [0u8; 10];
        let back_len = encode_backlen(head_len + data.len(), &mut back);
        Encoded {
            head,
            head_len: head_len as u8,
            data,
            back,
            back_len: back_len as u8,
        }
    }

    /// Bytes of the whole entry.
    pub(crate) fn size(&self) -> usize {
        usize::from(self.head_len) + self.data.len() + usize::from(self.back_len)
    }

    /// Writes the entry into `out`, which is exactly [`Encoded::size`] bytes long.
    pub(crate) fn write(&self, out: &mut [u8]) {
        let h = usize::from(self.head_len);
        let d = self.data.len();
        out[..h].copy_from_slice(&self.head[..h]);
        out[h..h + d].copy_from_slice(self.data);
        out[h + d..].copy_from_slice(&self.back[..usize::from(self.back_len)]);
    }
}

fn encode_int(n: i64, out: &mut [u8; 9]) -> usize {
    let le = n.to_le_bytes();
    if (0..=127).contains(&n) {
        out[0] = n as u8;
        1
    } else if (-4096..=4095).contains(&n) {
        let v = (n as u16) & 0x1FFF;
        out[0] = INT13 | (v >> 8) as u8;
        out[1] = v as u8;
        2
    } else {
        let (tag, bytes) = if i16::try_from(n).is_ok() {
            (INT16, 2)
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            (INT24, 3)
        } else if i32::try_from(n).is_ok() {
            (INT32, 4)
        } else {
            (INT64, 8)
        };
        out[0] = tag;
        out[1..=bytes].copy_from_slice(&le[..bytes]);
        1 + bytes
    }
}

fn encode_str_len(len: usize, out: &mut [u8; 9]) -> usize {
    if len < 64 {
        out[0] = STR6 | len as u8;
        1
    } else if len < 4096 {
        out[0] = STR12 | (len >> 8) as u8;
        out[1] = len as u8;
        2
    } else if let Ok(len) = u32::try_from(len) {
        out[0] = STR32;
        out[1..5].copy_from_slice(&len.to_le_bytes());
        5
    } else {
        out[0] = STR64;
        out[1..9].copy_from_slice(&(len as u64).to_le_bytes());
        9
    }
}

/// Number of bytes of the backlen of an entry of `len` bytes.
fn backlen_size(len: usize) -> usize {
    let mut size = 1;
    while size < 10 && len >> (7 * size) != 0 {
        size += 1;
    }
    size
}

fn encode_backlen(len: usize, out: &mut [u8; 10]) -> usize {
    let size = backlen_size(len);
    for (i, b) in out[..size].iter_mut().enumerate() {
        let shift = 7 * (size - 1 - i);
        let group = ((len as u64) >> shift) as u8 & 0x7F;
        *b = if i == 0 { group } else { group | 0x80 };
    }
    size
}

/// The entry starting at `pos`: its element and the position just after it.
/// `data` holds whole entries written by this module.
#[inline]
pub(crate) fn entry_at(data: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let b = data[pos];
    // The common small cases first: a small integer, a short string.
    if b < 0x80 {
        return (Elem::Int(i64::from(b)), pos + 2);
    }
    if b < 0xC0 {
        let len = usize::from(b & 0x3F);
        return (Elem::Str(&data[pos + 1..pos + 1 + len]), pos + 2 + len);
    }
    entry_at_slow(data, pos)
}

fn entry_at_slow(data: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let b = data[pos];
    let uint = |n: usize| {
        let mut raw = [0u8; 8];
        raw[..n].copy_from_slice(&data[pos + 1..pos + 1 + n]);
        u64::from_le_bytes(raw)
    };
    // Sign-extends an n-byte little-endian integer.
    let int = |n: usize| {
        let shift = 64 - 8 * n as u32;
        ((uint(n) << shift) as i64) >> shift
    };
    let (elem, head) = match b {
        0x00..=0x7F => (Elem::Int(i64::from(b)), 1),
        0x80..=0xBF => {
            let len = usize::from(b & 0x3F);
            (Elem::Str(&data[pos + 1..pos + 1 + len]), 1 + len)
        }
        0xC0..=0xDF => {
            let v = (u16::from(b & 0x1F) << 8) | u16::from(data[pos + 1]);
            // Sign-extend from 13 bits.
            (Elem::Int(i64::from(((v << 3) as i16) >> 3)), 2)
        }
        0xE0..=0xEF => {
            let len = (usize::from(b & 0x0F) << 8) | usize::from(data[pos + 1]);
            (Elem::Str(&data[pos + 2..pos + 2 + len]), 2 + len)
        }
        STR32 | STR64 => {
            let n = if b == STR32 { 4 } else { 8 };
            let len = uint(n) as usize;
            (
                Elem::Str(&data[pos + 1 + n..pos + 1 + n + len]),
                1 + n + len,
            )
        }
        INT16 => (Elem::Int(int(2)), 3),
        INT24 => (Elem::Int(int(3)), 4),
        INT32 => (Elem::Int(int(4)), 5),
        _ => (Elem::Int(int(8)), 9),
    };
    (elem, pos + head + backlen_size(head))
}

/// Where the entry that ends at `end` starts.
pub(crate) fn entry_before(data: &[u8], end: usize) -> usize {
    let mut len = 0usize;
    let mut p = end;
    let mut shift = 0;
    loop {
        p -= 1;
        let b = data[p];
        len |= usize::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    p - len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_compact() {
        assert_eq!(Encoded::new(b"5").size(), 2);
        assert_eq!(Encoded::new(b"-100").size(), 3);
        assert_eq!(Encoded::new(b"100000").size(), 5);
        assert_eq!(Encoded::new(b"xxx").size(), 5);
        assert_eq!(Encoded::new(&[b'a'; 200]).size(), 204);
        assert!(Elem::from_arg(b"12").matches(Elem::from_arg(b"12")));
        assert!(!Elem::from_arg(b"12").matches(Elem::from_arg(b"012")));
    }

    #[test]
    fn backlen_groups() {
        for len in [0, 1, 127, 128, 16383, 16384, 1 << 21, (1 << 28) + 5] {
            let mut out = [0u8; 10];
            let n = encode_backlen(len, &mut out);
            assert_eq!(n, backlen_size(len));
            // A fake entry of `len` zero bytes followed by the backlen.
            if len < 100_000 {
                let mut data = vec![0u8; len];
                data.extend_from_slice(&out[..n]);
                assert_eq!(entry_before(&data, data.len()), 0, "len {len}");
            }
        }
    }
}
