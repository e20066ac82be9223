//! The crate's own value model: what a decoded RDB file holds, independent of
//! any keyspace. Serializes to JSON with serde (binary-safe, see [`Bin`]).

use bytes::Bytes;
use serde::{Serialize, Serializer};

use crate::packed::{Packed, PackedKind};

use crate::stream::Stream;

/// A value as Redis's data types see it, whatever encoding it was stored in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Value {
    /// A string (integers are their decimal text, as Redis returns them).
    String(#[serde(serialize_with = "bin")] Bytes),
    /// A list, head first.
    List(#[serde(serialize_with = "bin_seq")] Vec<Bytes>),
    /// A set's members, in file order.
    Set(#[serde(serialize_with = "bin_seq")] Vec<Bytes>),
    /// A sorted set's members and scores, in file order (listpacks store them
    /// by score; skiplist dumps do not).
    SortedSet(#[serde(serialize_with = "scored")] Vec<(Bytes, f64)>),
    /// A hash's fields and values, in file order.
    Hash(#[serde(serialize_with = "pairs")] Vec<(Bytes, Bytes)>),
    /// A hash some of whose fields expire (Redis 7.4 / Valkey 9 types).
    HashWithTtl(Vec<HashField>),
    /// A stream with its consumer groups.
    Stream(Box<Stream>),
    /// A module value, kept opaque.
    Module(ModuleValue),
    /// A small list, set, hash or sorted set still in its file encoding: only
    /// from a decoder asked to [keep them packed](crate::Decoder::keep_packed).
    /// Serializes as its content wrapped in `{"type": "packed", "value": ...}`.
    Packed(Packed),
}

impl Value {
    /// The type name `TYPE` returns for it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::SortedSet(_) => "zset",
            Value::Hash(_) | Value::HashWithTtl(_) => "hash",
            Value::Stream(_) => "stream",
            Value::Module(_) => "module",
            Value::Packed(p) => match p.kind() {
                PackedKind::List => "list",
                PackedKind::Set => "set",
                PackedKind::Hash => "hash",
                PackedKind::SortedSet => "zset",
            },
        }
    }
}

/// A hash field that may have its own expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HashField {
    /// The field.
    #[serde(serialize_with = "bin")]
    pub field: Bytes,
    /// Its value.
    #[serde(serialize_with = "bin")]
    pub value: Bytes,
    /// Absolute expiry in Unix milliseconds, if any.
    pub expire_ms: Option<u64>,
}

/// A module value, kept as the bytes the module wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleValue {
    /// The 64-bit module type id: 54 bits of name, 10 bits of encoding version.
    pub id: u64,
    /// The 9-character type name the id encodes (`moduleTypeNameByID`).
    pub name: String,
    /// The encoding version (the id's low 10 bits).
    pub version: u16,
    /// Everything after the id up to and including the module EOF opcode
    /// (a `MODULE_2` value is a self-describing sequence of opcodes).
    #[serde(serialize_with = "bin")]
    pub raw: Bytes,
}

/// A serde adapter for binary strings: valid UTF-8 becomes a JSON string,
/// anything else `{"hex": "..."}`, so JSON output stays lossless.
#[derive(Debug, Clone, Copy)]
pub struct Bin<'a>(pub &'a [u8]);

impl Serialize for Bin<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeMap;
                let hex: String = self.0.iter().map(|b| format!("{b:02x}")).collect();
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("hex", &hex)?;
                map.end()
            }
        }
    }
}

pub(crate) fn bin<S: Serializer>(v: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    Bin(v).serialize(s)
}

pub(crate) fn bin_seq<S: Serializer>(v: &[Bytes], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|b| Bin(b)))
}

fn scored<S: Serializer>(v: &[(Bytes, f64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|(m, score)| (Bin(m), Score(*score))))
}

fn pairs<S: Serializer>(v: &[(Bytes, Bytes)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|(f, val)| (Bin(f), Bin(val))))
}

/// Scores as JSON numbers, with the infinities (which JSON lacks) as strings.
struct Score(f64);

impl Serialize for Score {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else if self.0 > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_is_binary_safe() {
        let v = Value::List(vec![
            Bytes::from_static(b"a"),
            Bytes::from_static(b"\xff\x00"),
        ]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"type":"list","value":["a",{"hex":"ff00"}]}"#
        );
        let z = Value::SortedSet(vec![
            (Bytes::from_static(b"m"), 1.5),
            (Bytes::from_static(b"n"), f64::NEG_INFINITY),
        ]);
        assert_eq!(
            serde_json::to_string(&z).unwrap(),
            r#"{"type":"sorted_set","value":[["m",1.5],["n","-inf"]]}"#
        );
        assert_eq!(z.type_name(), "zset");
    }
}
