//! Module values and module aux data, kept as opaque bytes.
//!
//! ```text
//! MODULE_2 value:   <length module id> <opcode body>
//! MODULE_AUX:       <length module id> <length 2 (UINT)> <length when> <opcode body>
//! opcode body: (<length opcode> <operand>)* <length 0 (EOF)>
//!   1 SINT, 2 UINT   <length>
//!   3 FLOAT          4 bytes
//!   4 DOUBLE         8 bytes
//!   5 STRING         <string>
//! module id: 9 characters of 6 bits each (charset below), then 10 bits of
//! encoding version (moduleTypeNameByID).
//! ```
//!
//! Only `MODULE_2` values can be skipped without the module: a `MODULE_PRE_GA`
//! value (Redis 4.0 release candidates) has no such framing.

use std::io::Read;

use bytes::Bytes;

use crate::input::Input;
use crate::value::ModuleValue;
use crate::{Error, Result};

/// The module type name alphabet (`ModuleTypeNameCharSet`).
const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const OP_EOF: u64 = 0;
const OP_SINT: u64 = 1;
const OP_UINT: u64 = 2;
const OP_FLOAT: u64 = 3;
const OP_DOUBLE: u64 = 4;
const OP_STRING: u64 = 5;

/// The 9-character type name a module id encodes.
pub fn module_name(id: u64) -> String {
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = CHARSET.get((id & 63) as usize).copied().unwrap_or(b'?');
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Reads a `MODULE_2` value (after its type byte and key).
pub(crate) fn read_value<R: Read>(input: &mut Input<R>) -> Result<ModuleValue> {
    let id = input.len("a module id")?;
    let raw = read_body(input)?;
    Ok(ModuleValue {
        id,
        name: module_name(id),
        version: (id & 1023) as u16,
        raw,
    })
}

/// Reads the operands of a `MODULE_AUX` opcode: id, when, body.
pub(crate) fn read_aux<R: Read>(input: &mut Input<R>) -> Result<(u64, u64, Bytes)> {
    let id = input.len("a module id")?;
    let at = input.offset();
    let when_opcode = input.len("a module aux when-opcode")?;
    if when_opcode != OP_UINT {
        return Err(Error::corrupt(at, "bad when_opcode"));
    }
    let when = input.len("a module aux when")?;
    Ok((id, when, read_body(input)?))
}

/// Skips a module opcode body, returning its bytes (EOF opcode included).
fn read_body<R: Read>(input: &mut Input<R>) -> Result<Bytes> {
    input.start_capture();
    let walked = walk(input);
    let raw = input.take_capture();
    walked?;
    Ok(Bytes::from(raw))
}

fn walk<R: Read>(input: &mut Input<R>) -> Result<()> {
    loop {
        let at = input.offset();
        match input.len("a module opcode")? {
            OP_EOF => return Ok(()),
            OP_SINT | OP_UINT => {
                input.len("a module integer")?;
            }
            OP_FLOAT => {
                input.array::<4>("a module float")?;
            }
            OP_DOUBLE => {
                input.array::<8>("a module double")?;
            }
            OP_STRING => {
                input.string("a module string")?;
            }
            other => {
                return Err(Error::corrupt(at, format!("unknown module opcode {other}")));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn id_of(name: &str, version: u64) -> u64 {
        let mut id = 0u64;
        for b in name.bytes() {
            let pos = CHARSET.iter().position(|&c| c == b).unwrap() as u64;
            id = (id << 6) | pos;
        }
        (id << 10) | version
    }

    #[test]
    fn names_from_ids() {
        assert_eq!(module_name(id_of("ReJSON-RL", 3)), "ReJSON-RL");
        assert_eq!(module_name(id_of("MBbloom--", 0)), "MBbloom--");
    }

    #[test]
    fn value_bodies_are_kept_whole() {
        let id = id_of("hellotype", 1);
        let mut bytes = vec![0x81];
        bytes.extend_from_slice(&id.to_be_bytes());
        let body =
            b"\x02\x05\x05\x03abc\x04\x00\x00\x00\x00\x00\x00\xf0\x3f\x03\x00\x00\x80\x3f\x00";
        bytes.extend_from_slice(body);
        bytes.push(0x42);
        let mut input = Input::new(&bytes[..]);
        let value = read_value(&mut input).unwrap();
        assert_eq!(value.name, "hellotype");
        assert_eq!(value.version, 1);
        assert_eq!(&value.raw[..], body);
        assert_eq!(input.u8("next").unwrap(), 0x42);
    }

    #[test]
    fn bad_bodies() {
        let mut input = Input::new(&b"\x01\x09"[..]);
        assert!(read_value(&mut input)
            .unwrap_err()
            .to_string()
            .contains("unknown module opcode 9"));
        let mut input = Input::new(&b"\x01\x05\x05ab"[..]);
        assert!(matches!(
            read_value(&mut input),
            Err(Error::UnexpectedEof { .. })
        ));
        let mut input = Input::new(&b"\x01\x01\x00\x00"[..]);
        assert!(read_aux(&mut input)
            .unwrap_err()
            .to_string()
            .contains("bad when_opcode"));
    }
}
