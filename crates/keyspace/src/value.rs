//! The value stored under a key: its Redis type and in-memory encoding.

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::num;
use crate::types::hash::Hash;
use crate::types::quicklist::QuickList;
use crate::types::set::Set;
use crate::types::zset::ZSet;

/// A stored value.
///
/// Strings have two encodings, like Redis's `OBJ_ENCODING_RAW`/`EMBSTR` and
/// `OBJ_ENCODING_INT`: a string that is the canonical text of an `i64` (see
/// [`num::parse_i64`]) is kept as the number, which needs no heap allocation and makes
/// INCR a plain addition. Both encodings read back as the same bytes.
///
/// `Clone` is a deep copy (what COPY needs): collections copy their contents; a
/// string's bytes are immutable and shared until one side edits them, when
/// [`Value::edit_string`] copies them first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string kept as bytes.
    Str(Bytes),
    /// A string kept as the integer it spells.
    Int(i64),
    /// A list: a quicklist of listpack-like nodes.
    List(QuickList),
    /// A set, `intset`- or `hashtable`-encoded.
    Set(Set),
    /// A hash, `listpack` or `hashtable` encoded.
    Hash(Hash),
    /// A sorted set, in its listpack or large encoding.
    ZSet(ZSet),
}

impl Value {
    /// A string value from a command argument, int-encoded when possible
    /// (Redis's `tryObjectEncoding()`).
    ///
    /// Arguments are slices of the client's read buffer; storing one as it is would
    /// keep the whole buffer (often 16 KB or more) alive for as long as the value
    /// lives, so the bytes are copied into an allocation of their own.
    pub(crate) fn string_from_arg(arg: &[u8]) -> Value {
        if arg.len() <= 20 && matches!(arg.first(), Some(b'-' | b'0'..=b'9')) {
            if let Some(n) = num::parse_i64(arg) {
                return Value::Int(n);
            }
        }
        Value::Str(Bytes::copy_from_slice(arg))
    }

    /// The name TYPE replies with.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) | Value::Int(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Hash(_) => "hash",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING replies with, as Redis 7.0 names its encodings.
    // OBJECT (issue 3) is its caller; until it lands only tests use it.
    #[allow(dead_code)]
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            // Redis embeds strings of up to 44 bytes in the object header
            // (OBJ_ENCODING_EMBSTR_SIZE_LIMIT); longer ones are "raw".
            Value::Str(b) if b.len() <= 44 => "embstr",
            Value::Str(_) => "raw",
            Value::Int(_) => "int",
            // Redis 7.0 keeps every list in a quicklist.
            Value::List(_) => "quicklist",
            Value::Set(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// The string's bytes (a reference-count increment for `Str`), or WRONGTYPE.
    pub(crate) fn string_bytes(&self) -> Result<Bytes> {
        match self {
            Value::Str(b) => Ok(b.clone()),
            Value::Int(n) => Ok(num::i64_to_bytes(*n)),
            _ => Err(Error::WrongType),
        }
    }

    /// The string's length in bytes, or WRONGTYPE.
    pub(crate) fn string_len(&self) -> Result<usize> {
        match self {
            Value::Str(b) => Ok(b.len()),
            Value::Int(n) => Ok(num::i64_len(*n)),
            _ => Err(Error::WrongType),
        }
    }

    /// The list, or WRONGTYPE.
    pub(crate) fn list(&self) -> Result<&QuickList> {
        match self {
            Value::List(l) => Ok(l),
            _ => Err(Error::WrongType),
        }
    }

    /// The list, mutably, or WRONGTYPE.
    pub(crate) fn list_mut(&mut self) -> Result<&mut QuickList> {
        match self {
            Value::List(l) => Ok(l),
            _ => Err(Error::WrongType),
        }
    }

    /// The set, or WRONGTYPE.
    pub(crate) fn set(&self) -> Result<&Set> {
        match self {
            Value::Set(s) => Ok(s),
            _ => Err(Error::WrongType),
        }
    }

    /// The set, mutably, or WRONGTYPE.
    pub(crate) fn set_mut(&mut self) -> Result<&mut Set> {
        match self {
            Value::Set(s) => Ok(s),
            _ => Err(Error::WrongType),
        }
    }

    /// The hash, or WRONGTYPE.
    pub(crate) fn hash(&self) -> Result<&Hash> {
        match self {
            Value::Hash(h) => Ok(h),
            _ => Err(Error::WrongType),
        }
    }

    /// The hash, mutably, or WRONGTYPE.
    pub(crate) fn hash_mut(&mut self) -> Result<&mut Hash> {
        match self {
            Value::Hash(h) => Ok(h),
            _ => Err(Error::WrongType),
        }
    }

    /// The sorted set, or WRONGTYPE.
    pub(crate) fn zset(&self) -> Result<&ZSet> {
        match self {
            Value::ZSet(z) => Ok(z),
            _ => Err(Error::WrongType),
        }
    }

    /// The sorted set, mutably, or WRONGTYPE.
    pub(crate) fn zset_mut(&mut self) -> Result<&mut ZSet> {
        match self {
            Value::ZSet(z) => Ok(z),
            _ => Err(Error::WrongType),
        }
    }

    /// Runs `edit` on the string as a growable buffer (Redis's
    /// `dbUnshareStringValue()`); WRONGTYPE for a list. The allocation is reused
    /// unless a reply still shares it, so repeated APPENDs grow it amortized.
    pub(crate) fn edit_string<R>(&mut self, edit: impl FnOnce(&mut BytesMut) -> R) -> Result<R> {
        let mut buf = match self {
            Value::Str(b) => std::mem::take(b)
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..])),
            Value::Int(n) => BytesMut::from(&num::i64_to_bytes(*n)[..]),
            _ => return Err(Error::WrongType),
        };
        let result = edit(&mut buf);
        *self = Value::Str(buf.freeze());
        Ok(result)
    }

    /// Whether this is a string (of either encoding).
    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Int(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named_like_redis() {
        assert_eq!(Value::string_from_arg(b"12").encoding(), "int");
        assert_eq!(Value::string_from_arg(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::string_from_arg(&[b'a'; 45]).encoding(), "raw");
        assert_eq!(Value::List(QuickList::new()).encoding(), "quicklist");
        let tunables = crate::Tunables::default();
        let small = ZSet::new(&tunables, b"member");
        assert_eq!(Value::ZSet(small).encoding(), "listpack");
        let large = ZSet::new(&tunables, &[b'm'; 65]);
        assert_eq!(Value::ZSet(large).encoding(), "skiplist");
    }

    #[test]
    fn int_encoding_only_for_canonical_integers() {
        assert_eq!(Value::string_from_arg(b"123"), Value::Int(123));
        assert_eq!(Value::string_from_arg(b"-5"), Value::Int(-5));
        for raw in [
            &b"0123"[..],
            b"+1",
            b"1.5",
            b"abc",
            b"",
            b"99999999999999999999",
        ] {
            assert_eq!(
                Value::string_from_arg(raw),
                Value::Str(Bytes::copy_from_slice(raw))
            );
        }
    }

    #[test]
    fn both_encodings_read_back_the_same_bytes() {
        for raw in [&b"123"[..], b"-9223372036854775808", b"hello", b""] {
            let v = Value::string_from_arg(raw);
            assert_eq!(v.string_bytes().ok().as_deref(), Some(raw));
            assert_eq!(v.string_len().ok(), Some(raw.len()));
            assert_eq!(v.type_name(), "string");
        }
    }

    #[test]
    fn editing_reuses_the_allocation() {
        let mut v = Value::string_from_arg(b"12");
        assert_eq!(v.edit_string(|b| b.extend_from_slice(b"ab")), Ok(()));
        assert_eq!(v, Value::Str(Bytes::from_static(b"12ab")));
        let mut ptrs = Vec::new();
        for _ in 0..1000 {
            let _ = v.edit_string(|b| {
                b.extend_from_slice(b"x");
                ptrs.push(b.as_ptr());
            });
        }
        ptrs.dedup();
        assert!(
            ptrs.len() < 20,
            "{} reallocations for 1000 appends",
            ptrs.len()
        );
        let shared = v.string_bytes();
        let _ = v.edit_string(|b| b.extend_from_slice(b"y"));
        assert_eq!(
            shared.map(|b| b.len()),
            Ok(1004),
            "a reply keeps the old bytes"
        );
    }

    #[test]
    fn values_stay_small_and_clones_are_independent() {
        assert!(std::mem::size_of::<Value>() <= 40);
        let mut list = QuickList::new();
        list.push(crate::types::quicklist::End::Tail, b"a", -2);
        let original = Value::List(list);
        let mut copy = original.clone();
        assert_eq!(copy, original);
        if let Ok(l) = copy.list_mut() {
            l.push(crate::types::quicklist::End::Tail, b"b", -2);
        }
        assert_eq!(original.list().map(QuickList::len), Ok(1));
        assert_eq!(copy.list().map(QuickList::len), Ok(2));
        let s = Value::string_from_arg(b"abc");
        let mut t = s.clone();
        let _ = t.edit_string(|b| b.extend_from_slice(b"d"));
        assert_eq!(s.string_bytes().ok().as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn lists_are_not_strings() {
        let mut v = Value::List(QuickList::new());
        assert_eq!(v.string_bytes(), Err(Error::WrongType));
        assert_eq!(v.string_len(), Err(Error::WrongType));
        assert_eq!(v.edit_string(|_| ()), Err(Error::WrongType));
        assert!(v.list_mut().is_ok());
        assert_eq!(Value::Int(1).list().err(), Some(Error::WrongType));
        assert_eq!(v.type_name(), "list");
    }

    #[test]
    fn hashes_are_not_strings() {
        let mut v = Value::Hash(Hash::default());
        assert_eq!(v.string_bytes(), Err(Error::WrongType));
        assert_eq!(v.string_len(), Err(Error::WrongType));
        assert_eq!(v.edit_string(|_| ()), Err(Error::WrongType));
        assert!(!v.is_string());
        assert!(v.hash_mut().is_ok());
        assert_eq!(v.list().err(), Some(Error::WrongType));
        assert_eq!(Value::Int(1).hash().err(), Some(Error::WrongType));
        assert_eq!((v.type_name(), v.encoding()), ("hash", "listpack"));
    }
}
