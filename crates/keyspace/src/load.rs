//! Building keys straight from decoded data — RDB loading at start-up, a replica's
//! full sync, RESTORE — instead of replaying commands: no argument vectors, no
//! dispatch, no effects, notifications or statistics, as Redis's `rdbLoadObject()`
//! builds objects directly. Values get the encoding their size calls for under the
//! current thresholds, as if written by commands.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::keyspace::Keyspace;
use crate::types::hash::Hash;
use crate::types::quicklist::{End, QuickList};
use crate::types::set::{Elem, Set};
use crate::types::zset::{AddFlags, ZSet};
use crate::value::Value;

/// A value to load, in the shapes decoders produce.
#[derive(Debug, Clone)]
pub enum LoadValue<'a> {
    /// A string.
    String(&'a [u8]),
    /// A string in an allocation of its own, kept as it is (no copy) unless it is
    /// an integer. Only for bytes that are not a slice of a larger buffer, which
    /// they would keep alive.
    OwnedString(Bytes),
    /// List elements, head first.
    List(&'a [Bytes]),
    /// Set members (duplicates are kept once).
    Set(&'a [Bytes]),
    /// Hash fields and values (a repeated field keeps its last value).
    Hash(&'a [(Bytes, Bytes)]),
    /// Sorted-set members and scores, in any order.
    SortedSet(&'a [(Bytes, f64)]),
}

impl Keyspace {
    /// Stores `key` in database `db` with `value` and, if given, the expiry time
    /// `expire_at` (Unix ms), replacing any key of that name. An empty collection
    /// stores nothing (Redis skips empty keys on load) and returns false. A NaN
    /// score is an error and stores nothing.
    pub fn load_key(
        &mut self,
        db: usize,
        key: &[u8],
        value: LoadValue<'_>,
        expire_at: Option<i64>,
    ) -> Result<bool> {
        if db >= self.dbs.len() {
            return Err(Error::DbIndexOutOfRange);
        }
        let Some(value) = self.build(value)? else {
            return Ok(false);
        };
        let mut now = self.load_now();
        let (slot, _) = self.dbs[db].entry(key, &mut now);
        match slot {
            crate::db::Slot::Vacant(vacant) => {
                let mut entry = vacant.insert(value);
                if let Some(at) = expire_at {
                    entry.set_expire(at);
                }
            }
            crate::db::Slot::Occupied(mut entry) => {
                *entry.value_mut() = value;
                match expire_at {
                    Some(at) => entry.set_expire(at),
                    None => {
                        entry.persist();
                    }
                }
            }
        }
        Ok(true)
    }

    /// Makes room for `keys` more keys in database `db` (an RDB's RESIZEDB hint),
    /// so that loading them does not grow the table step by step. Ignored for a
    /// database that does not exist.
    pub fn reserve(&mut self, db: usize, keys: usize) {
        if let Some(d) = self.dbs.get_mut(db) {
            d.reserve(keys);
        }
    }

    fn build(&self, value: LoadValue<'_>) -> Result<Option<Value>> {
        let t = self.tunables();
        Ok(Some(match value {
            LoadValue::String(s) => Value::string_from_arg(s),
            // Short ones may be integers (stored as numbers) and cost little to copy.
            LoadValue::OwnedString(s) if s.len() <= 20 => Value::string_from_arg(&s),
            LoadValue::OwnedString(s) => Value::Str(s),
            LoadValue::List(items) => {
                if items.is_empty() {
                    return Ok(None);
                }
                let mut list = QuickList::new();
                for e in items {
                    list.push(End::Tail, e, t.list_max_listpack_size);
                }
                Value::List(list)
            }
            LoadValue::Set(members) => {
                let Some(first) = members.first() else {
                    return Ok(None);
                };
                let mut set = Set::for_first(first);
                for m in members {
                    set.add(Elem::Bytes(m), t.set_max_intset_entries);
                }
                Value::Set(set)
            }
            LoadValue::Hash(pairs) => {
                if pairs.is_empty() {
                    return Ok(None);
                }
                let mut hash = Hash::default();
                for (f, v) in pairs {
                    hash.set(f, v, &t);
                }
                Value::Hash(hash)
            }
            LoadValue::SortedSet(pairs) => {
                let Some((first, _)) = pairs.first() else {
                    return Ok(None);
                };
                let mut zset = ZSet::new(&t, first);
                for (m, s) in pairs {
                    zset.add(m, *s, AddFlags::default(), &t)?;
                }
                Value::ZSet(zset)
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::commands::test_support::{arr, bulk, int, Harness};

    fn b(items: &[&str]) -> Vec<Bytes> {
        items
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn loaded_keys_read_like_written_ones() {
        let mut h = Harness::new();
        let ks = &mut h.ks;
        assert!(ks
            .load_key(0, b"s", LoadValue::String(b"12"), None)
            .unwrap());
        assert!(ks
            .load_key(0, b"l", LoadValue::List(&b(&["a", "b"])), None)
            .unwrap());
        assert!(ks
            .load_key(0, b"i", LoadValue::Set(&b(&["3", "1", "3"])), None)
            .unwrap());
        let pairs = vec![(Bytes::from_static(b"f"), Bytes::from_static(b"v"))];
        assert!(ks.load_key(0, b"h", LoadValue::Hash(&pairs), None).unwrap());
        let scores = vec![
            (Bytes::from_static(b"m"), 2.0),
            (Bytes::from_static(b"n"), 1.0),
        ];
        let far = 99_999_999_999_999;
        assert!(ks
            .load_key(0, b"z", LoadValue::SortedSet(&scores), Some(far))
            .unwrap());
        assert!(!ks.load_key(0, b"e", LoadValue::List(&[]), None).unwrap());
        let nan = vec![(Bytes::from_static(b"m"), f64::NAN)];
        assert!(ks
            .load_key(0, b"bad", LoadValue::SortedSet(&nan), None)
            .is_err());
        assert!(ks
            .load_key(99, b"x", LoadValue::String(b"1"), None)
            .is_err());

        assert_eq!(h.run("object encoding s"), bulk("int"));
        assert_eq!(h.run("lrange l 0 -1"), arr(&["a", "b"]));
        assert_eq!(h.run("object encoding i"), bulk("intset"));
        assert_eq!(h.run("scard i"), int(2));
        assert_eq!(h.run("hget h f"), bulk("v"));
        assert_eq!(h.run("zrange z 0 -1"), arr(&["n", "m"]));
        assert_eq!(h.run("pexpiretime z"), int(far));
        assert_eq!(h.run("exists e bad"), int(0));
        // Loading replaces a key of another type.
        h.ks.load_key(0, b"l", LoadValue::String(b"x"), None)
            .unwrap();
        assert_eq!(
            h.run("type l"),
            Frame::Simple(Bytes::from_static(b"string"))
        );
        assert_eq!(h.run("dbsize"), int(5));
    }

    #[test]
    fn encodings_follow_the_thresholds() {
        let mut h = Harness::new();
        let many: Vec<Bytes> = (0..600).map(|i| Bytes::from(i.to_string())).collect();
        h.ks.load_key(0, b"big", LoadValue::Set(&many), None)
            .unwrap();
        assert_eq!(h.run("object encoding big"), bulk("hashtable"));
        let pairs: Vec<(Bytes, f64)> = many.iter().map(|m| (m.clone(), 1.0)).collect();
        h.ks.load_key(0, b"bz", LoadValue::SortedSet(&pairs), None)
            .unwrap();
        assert_eq!(h.run("object encoding bz"), bulk("skiplist"));
        assert_eq!(h.run("zcard bz"), int(600));
    }

    use ferrodis_resp::Frame;
}
