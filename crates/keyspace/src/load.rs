//! Building keys straight from decoded data — RDB loading at start-up, a replica's
//! full sync, RESTORE — instead of replaying commands: no argument vectors, no
//! dispatch, no effects, notifications or statistics, as Redis's `rdbLoadObject()`
//! builds objects directly. Values get the encoding their size calls for under the
//! current thresholds, as if written by commands.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::keyspace::Keyspace;
use crate::tunables::Tunables;
use crate::types::hash::Hash;
use crate::types::quicklist::{End, QuickList};
use crate::types::set::{Elem, Set};
use crate::types::zset::ZSet;
use crate::value::Value;
use crate::view::Scalar;

/// A value to load, in the shapes decoders produce.
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
    /// List elements, head first, handed one at a time to the callback `each`
    /// is given (e.g. by walking an RDB listpack in place): no buffer of
    /// elements in between.
    ListOf {
        each: &'a mut EachScalar<'a>,
        bytes_hint: usize,
    },
    /// Set members, one at a time (duplicates are kept once); `len_hint`: about
    /// how many, to size a table once.
    SetOf {
        each: &'a mut EachScalar<'a>,
        len_hint: usize,
    },
    /// Hash fields and values, one pair at a time (a repeated field keeps its
    /// last value). `bytes_hint`: about how many bytes they take (an encoded
    /// blob's length will do), to size a compact buffer once; only a hint.
    HashOf {
        each: &'a mut EachPair<'a>,
        bytes_hint: usize,
    },
    /// Sorted-set members and scores, one at a time, in any order (lowest
    /// first is the fastest).
    SortedSetOf {
        each: &'a mut EachScored<'a>,
        bytes_hint: usize,
    },
}

/// Calls the sink it is given with every element of a collection, in order.
pub type EachScalar<'a> = dyn FnMut(&mut dyn FnMut(Scalar<'_>)) + 'a;
/// Calls the sink it is given with every (field, value) pair, in order.
pub type EachPair<'a> = dyn FnMut(&mut dyn FnMut(Scalar<'_>, Scalar<'_>)) + 'a;
/// Calls the sink it is given with every (member, score) pair, in order.
pub type EachScored<'a> = dyn FnMut(&mut dyn FnMut(Scalar<'_>, f64)) + 'a;

impl std::fmt::Debug for LoadValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadValue::String(s) => f.debug_tuple("String").field(s).finish(),
            LoadValue::OwnedString(s) => f.debug_tuple("OwnedString").field(s).finish(),
            LoadValue::List(v) => f.debug_tuple("List").field(v).finish(),
            LoadValue::Set(v) => f.debug_tuple("Set").field(v).finish(),
            LoadValue::Hash(v) => f.debug_tuple("Hash").field(v).finish(),
            LoadValue::SortedSet(v) => f.debug_tuple("SortedSet").field(v).finish(),
            LoadValue::ListOf { .. } => f.write_str("ListOf"),
            LoadValue::SetOf { .. } => f.write_str("SetOf"),
            LoadValue::HashOf { .. } => f.write_str("HashOf"),
            LoadValue::SortedSetOf { .. } => f.write_str("SortedSetOf"),
        }
    }
}

/// The most reserved on the word of a `bytes_hint` (bytes) or `len_hint`
/// (members): compact encodings stay well under it, and a wrong hint costs no
/// more than this.
const HINT_CAP: usize = 1 << 16;

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
        Ok(match value {
            LoadValue::String(s) => Some(Value::string_from_arg(s)),
            // Short ones may be integers (stored as numbers) and cost little to copy.
            LoadValue::OwnedString(s) if s.len() <= 20 => Some(Value::string_from_arg(&s)),
            LoadValue::OwnedString(s) => Some(Value::Str(s)),
            LoadValue::List(items) => {
                list(&mut |sink| items.iter().for_each(|e| sink(bytes(e))), &t)
            }
            LoadValue::ListOf { each, .. } => list(each, &t),
            LoadValue::Set(members) => set(
                &mut |sink| members.iter().for_each(|m| sink(bytes(m))),
                members.len(),
                &t,
            ),
            LoadValue::SetOf { each, len_hint } => set(each, len_hint, &t),
            LoadValue::Hash(pairs) => hash(
                &mut |sink| pairs.iter().for_each(|(f, v)| sink(bytes(f), bytes(v))),
                0,
                &t,
            ),
            LoadValue::HashOf { each, bytes_hint } => hash(each, bytes_hint, &t),
            LoadValue::SortedSet(pairs) => zset(
                &mut |sink| pairs.iter().for_each(|(m, s)| sink(bytes(m), *s)),
                0,
                &t,
            )?,
            LoadValue::SortedSetOf { each, bytes_hint } => zset(each, bytes_hint, &t)?,
        })
    }
}

/// Which members a collection being loaded may hold already: a 64-bit filter
/// (one bit per member), so that the search for a repeated member, which files
/// written by Redis never hold, runs only for the few that share a bit.
#[derive(Default)]
struct Seen(u64);

impl Seen {
    /// Adds `member`; false when it certainly was not there before.
    fn insert(&mut self, member: &[u8]) -> bool {
        // A multiplicative hash of the length and up to 16 bytes at both ends:
        // cheap, and members that differ only in the middle just share a bit.
        let mut head = [0u8; 8];
        let mut tail = [0u8; 8];
        let n = member.len().min(8);
        head[..n].copy_from_slice(&member[..n]);
        tail[..n].copy_from_slice(&member[member.len() - n..]);
        let mixed = (u64::from_le_bytes(head) ^ u64::from_le_bytes(tail).rotate_left(29))
            .wrapping_add(member.len() as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let bit = 1u64 << (mixed >> 58);
        let present = self.0 & bit != 0;
        self.0 |= bit;
        present
    }
}

/// A slice of bytes as a load element.
fn bytes(b: &Bytes) -> Scalar<'_> {
    Scalar::Bytes(b)
}

fn list(each: &mut EachScalar<'_>, t: &Tunables) -> Option<Value> {
    let mut list = QuickList::new();
    let fill = t.list_max_listpack_size;
    each(&mut |e| match e {
        Scalar::Int(n) => list.push_int(End::Tail, n, fill),
        Scalar::Bytes(b) => list.push(End::Tail, b, fill),
    });
    (!list.is_empty()).then_some(Value::List(list))
}

fn set(each: &mut EachScalar<'_>, len_hint: usize, t: &Tunables) -> Option<Value> {
    let mut set: Option<Set> = None;
    each(&mut |m| {
        let set = set.get_or_insert_with(|| {
            let mut set = match m {
                Scalar::Int(_) => Set::new(),
                Scalar::Bytes(b) => Set::for_first(b),
            };
            set.reserve(len_hint.min(HINT_CAP));
            set
        });
        let elem = match m {
            Scalar::Int(n) => Elem::Int(n),
            Scalar::Bytes(b) => Elem::Bytes(b),
        };
        set.add(elem, t.set_max_intset_entries);
    });
    set.map(Value::Set)
}

fn hash(each: &mut EachPair<'_>, bytes_hint: usize, t: &Tunables) -> Option<Value> {
    let mut hash = Hash::default();
    if let Hash::Listpack(lp) = &mut hash {
        lp.reserve_exact(bytes_hint.min(HINT_CAP));
    }
    let mut seen = Seen::default();
    each(&mut |f, v| {
        f.with_bytes(|f| v.with_bytes(|v| hash.load_set(f, v, seen.insert(f), t)));
    });
    if hash.len() == 0 {
        return None;
    }
    if let Hash::Listpack(lp) = &mut hash {
        lp.fit();
    }
    Some(Value::Hash(hash))
}

fn zset(each: &mut EachScored<'_>, bytes_hint: usize, t: &Tunables) -> Result<Option<Value>> {
    let mut zset: Option<ZSet> = None;
    let mut failed = None;
    let mut seen = Seen::default();
    let mut last = None;
    each(&mut |m, s| {
        if failed.is_some() {
            return;
        }
        m.with_bytes(|m| {
            let zset = zset.get_or_insert_with(|| {
                let mut z = ZSet::new(t, m);
                if let ZSet::Listpack(lp) = &mut z {
                    // Our entries can outgrow an RDB listpack's (a fractional
                    // score takes 9 bytes here, "3.5" 5 there): twice its size,
                    // trimmed once full.
                    lp.reserve_exact(bytes_hint.saturating_mul(2).min(HINT_CAP));
                }
                z
            });
            if let Err(e) = zset.load_push(m, s, &mut last, seen.insert(m), t) {
                failed = Some(e);
            }
        });
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(zset.map(|mut z| {
        if let ZSet::Listpack(lp) = &mut z {
            lp.fit();
        }
        Value::ZSet(z)
    }))
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

    #[test]
    fn one_pass_sources_load_like_slices() {
        let mut h = Harness::new();
        // A hash with a repeated field (last value wins) and one too long for a listpack.
        let fields: Vec<(Scalar<'_>, Scalar<'_>)> = vec![
            (Scalar::Bytes(b"a"), Scalar::Int(1)),
            (Scalar::Bytes(b"b"), Scalar::Bytes(b"x")),
            (Scalar::Bytes(b"a"), Scalar::Bytes(b"2")),
        ];
        let each = &mut |sink: &mut dyn FnMut(Scalar<'_>, Scalar<'_>)| {
            fields.iter().for_each(|(f, v)| sink(*f, *v));
        };
        let value = LoadValue::HashOf {
            each,
            bytes_hint: 1 << 40,
        };
        assert!(h.ks.load_key(0, b"h", value, None).unwrap());
        assert_eq!(h.run("hlen h"), int(2));
        assert_eq!(h.run("hget h a"), bulk("2"));
        assert_eq!(h.run("object encoding h"), bulk("listpack"));
        let long = vec![b'v'; 100];
        let each = &mut |sink: &mut dyn FnMut(Scalar<'_>, Scalar<'_>)| {
            sink(Scalar::Bytes(b"f"), Scalar::Bytes(b"1"));
            sink(Scalar::Bytes(b"g"), Scalar::Bytes(&long));
        };
        let value = LoadValue::HashOf {
            each,
            bytes_hint: 0,
        };
        assert!(h.ks.load_key(0, b"big", value, None).unwrap());
        assert_eq!(h.run("object encoding big"), bulk("hashtable"));
        assert_eq!(h.run("hlen big"), int(2));

        // Sorted sets: in order, out of order, a repeated member, many members.
        let load_zset = |h: &mut Harness, key: &[u8], members: &[(&[u8], f64)]| {
            let each = &mut |sink: &mut dyn FnMut(Scalar<'_>, f64)| {
                members.iter().for_each(|(m, s)| sink(Scalar::Bytes(m), *s));
            };
            h.ks.load_key(
                0,
                key,
                LoadValue::SortedSetOf {
                    each,
                    bytes_hint: 64,
                },
                None,
            )
        };
        load_zset(&mut h, b"z", &[(b"a", 1.0), (b"b", 1.0), (b"c", 2.5)]).unwrap();
        assert_eq!(h.run("zrange z 0 -1"), arr(&["a", "b", "c"]));
        load_zset(
            &mut h,
            b"z2",
            &[(b"c", 3.0), (b"a", 1.0), (b"b", 2.0), (b"a", 4.0)],
        )
        .unwrap();
        assert_eq!(h.run("zrange z2 0 -1"), arr(&["b", "c", "a"]));
        assert_eq!(h.run("zcard z2"), int(3));
        assert_eq!(h.run("zscore z2 a"), Frame::Double(4.0));
        let nan: &[(&[u8], f64)] = &[(b"a", 1.0), (b"b", f64::NAN)];
        assert!(load_zset(&mut h, b"z3", nan).is_err());
        assert_eq!(h.run("exists z3"), int(0));
        let names: Vec<String> = (0..200).map(|i| format!("m{i:03}")).collect();
        let many: Vec<(&[u8], f64)> = names.iter().map(|n| (n.as_bytes(), 1.0)).collect();
        load_zset(&mut h, b"z4", &many).unwrap();
        assert_eq!(h.run("object encoding z4"), bulk("skiplist"));
        assert_eq!(h.run("zcard z4"), int(200));
        assert_eq!(h.run("zrank z4 m150"), int(150));

        // Lists and sets, integers included.
        let each = &mut |sink: &mut dyn FnMut(Scalar<'_>)| {
            [Scalar::Int(7), Scalar::Bytes(b"x"), Scalar::Bytes(b"12")]
                .into_iter()
                .for_each(&mut *sink);
        };
        assert!(h
            .ks
            .load_key(
                0,
                b"l",
                LoadValue::ListOf {
                    each,
                    bytes_hint: 0
                },
                None
            )
            .unwrap());
        assert_eq!(h.run("lrange l 0 -1"), arr(&["7", "x", "12"]));
        let each = &mut |sink: &mut dyn FnMut(Scalar<'_>)| {
            [Scalar::Int(3), Scalar::Bytes(b"1"), Scalar::Int(3)]
                .into_iter()
                .for_each(&mut *sink);
        };
        assert!(h
            .ks
            .load_key(0, b"s", LoadValue::SetOf { each, len_hint: 0 }, None)
            .unwrap());
        assert_eq!(h.run("object encoding s"), bulk("intset"));
        assert_eq!(h.run("scard s"), int(2));
        let each = &mut |_: &mut dyn FnMut(Scalar<'_>)| {};
        assert!(!h
            .ks
            .load_key(0, b"e", LoadValue::SetOf { each, len_hint: 0 }, None)
            .unwrap());
    }

    #[test]
    fn the_member_filter_never_forgets() {
        let mut seen = Seen::default();
        let members: Vec<Vec<u8>> = (0..300)
            .map(|i| format!("member-{i}").into_bytes())
            .collect();
        for m in &members {
            seen.insert(m);
        }
        assert!(members.iter().all(|m| seen.insert(m)));
        assert!(!Seen::default().insert(b""));
    }

    use ferrodis_resp::Frame;
}
