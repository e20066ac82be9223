//! Read-only views of stored keys, for code outside the crate that serializes them:
//! RDB snapshots, AOF rewrites, DUMP. The internal encodings stay private; a view
//! says what a value holds, how Redis would name its encoding, and walks its
//! elements without copying them.

use crate::types::hash::Hash;
use crate::types::quicklist::QuickList;
use crate::types::set::{self, Set};
use crate::types::zset::ZSet;
use crate::value::Value;

/// A string or list/set element: bytes, or the integer an int-encoded one holds
/// (its canonical decimal text is the element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar<'a> {
    /// Bytes as stored.
    Bytes(&'a [u8]),
    /// An integer-encoded element.
    Int(i64),
}

impl Scalar<'_> {
    /// Calls `f` with the element's bytes (formatting an integer on the stack).
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Scalar::Bytes(b) => f(b),
            Scalar::Int(n) => {
                use std::io::Write;
                let mut buf = [0u8; 20];
                let mut rest = &mut buf[..];
                // 20 bytes hold any i64 in decimal.
                let _ = write!(rest, "{n}");
                let len = 20 - rest.len();
                f(&buf[..len])
            }
        }
    }

    /// The element's bytes, copied.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }
}

/// One key as a snapshot or a rewrite sees it.
#[derive(Debug, Clone, Copy)]
pub struct EntryView<'a> {
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: ValueView<'a>,
    /// Unix time in ms at which the key expires, if it has a TTL.
    pub expire_at: Option<i64>,
}

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub enum ValueView<'a> {
    /// A string (`int`, `embstr` or `raw` encoded).
    String(Scalar<'a>),
    /// A list.
    List(ListView<'a>),
    /// A set.
    Set(SetView<'a>),
    /// A hash.
    Hash(HashView<'a>),
    /// A sorted set.
    SortedSet(ZSetView<'a>),
}

impl<'a> ValueView<'a> {
    pub(crate) fn of(value: &'a Value) -> ValueView<'a> {
        match value {
            Value::Str(b) => ValueView::String(Scalar::Bytes(b)),
            Value::Int(n) => ValueView::String(Scalar::Int(*n)),
            Value::List(l) => ValueView::List(ListView(l)),
            Value::Set(s) => ValueView::Set(SetView(s)),
            Value::Hash(h) => ValueView::Hash(HashView(h)),
            Value::ZSet(z) => ValueView::SortedSet(ZSetView(z)),
        }
    }

    /// The encoding OBJECT ENCODING reports (Redis 7.0's names).
    pub fn encoding(&self) -> &'static str {
        match self {
            ValueView::String(Scalar::Int(_)) => "int",
            ValueView::String(Scalar::Bytes(b)) if b.len() <= 44 => "embstr",
            ValueView::String(Scalar::Bytes(_)) => "raw",
            ValueView::List(_) => "quicklist",
            ValueView::Set(s) => s.0.encoding(),
            ValueView::Hash(h) => h.0.encoding(),
            ValueView::SortedSet(z) => z.0.encoding(),
        }
    }
}

/// A list, head to tail.
#[derive(Clone, Copy)]
pub struct ListView<'a>(&'a QuickList);

impl<'a> ListView<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty (a stored list never is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Calls `f` with every element, head first.
    pub fn for_each(&self, mut f: impl FnMut(Scalar<'_>)) {
        use crate::types::quicklist::Elem;
        for e in self.0.iter() {
            f(match e {
                Elem::Str(b) => Scalar::Bytes(b),
                Elem::Int(n) => Scalar::Int(n),
            });
        }
    }
}

/// A set.
#[derive(Clone, Copy)]
pub struct SetView<'a>(&'a Set);

impl<'a> SetView<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty (a stored set never is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Calls `f` with every member (an intset's in ascending order).
    pub fn for_each(&self, mut f: impl FnMut(Scalar<'_>)) {
        for e in self.0.iter() {
            f(match e {
                set::Elem::Bytes(b) => Scalar::Bytes(b),
                set::Elem::Int(n) => Scalar::Int(n),
            });
        }
    }
}

/// A hash.
#[derive(Clone, Copy)]
pub struct HashView<'a>(&'a Hash);

impl<'a> HashView<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the hash is empty (a stored hash never is).
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Calls `f` with every field and its value.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        for (field, value) in self.0.iter() {
            f(field, value);
        }
    }
}

/// A sorted set.
#[derive(Clone, Copy)]
pub struct ZSetView<'a>(&'a ZSet);

impl<'a> ZSetView<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the sorted set is empty (a stored one never is).
    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Calls `f` with every member and its score, by ascending score.
    pub fn for_each(&self, f: impl FnMut(&[u8], f64)) {
        self.0.for_each(f);
    }
}

macro_rules! debug_len {
    ($($t:ident),*) => {$(
        impl std::fmt::Debug for $t<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).field("len", &self.len()).finish()
            }
        }
    )*};
}
debug_len!(ListView, SetView, HashView, ZSetView);
