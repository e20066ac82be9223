//! Encode → decode round trips: arbitrary values of every type, in every
//! version the encoder writes, with compression on and off; whole files with
//! several databases, aux fields, expires, LRU/LFU, functions and module data.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use ferrodis_rdb::{
    decode, dump_payload, AuxFields, Checksum, Consumer, ConsumerGroup, Decoder, Encoder, Encoding,
    EncodingLimits, HashField, Item, KeyMeta, ModuleValue, Options, PendingEntry, ReplicationAux,
    Stream, StreamEntry, StreamId, Value,
};
use proptest::prelude::*;

const VERSIONS: [u32; 4] = [9, 10, 11, 12];

fn options(version: u32, compression: bool) -> Options {
    Options {
        version,
        compression,
        ..Options::default()
    }
}

/// Strings that exercise every storage: integers of each width, non-canonical
/// numbers, empty, binary, compressible and incompressible long ones.
fn element() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        any::<i64>().prop_map(|i| Bytes::from(i.to_string())),
        (-200i64..200).prop_map(|i| Bytes::from(i.to_string())),
        Just(Bytes::new()),
        Just(Bytes::from_static(b"007")),
        Just(Bytes::from_static(b"-0")),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(Bytes::from),
        ("[a-c]{1,4}", 5usize..200).prop_map(|(s, n)| Bytes::from(s.repeat(n))),
        proptest::collection::vec(any::<u8>(), 100..3000).prop_map(Bytes::from),
    ]
}

/// Short elements, so that big collections stay cheap.
fn small_element() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(|i| Bytes::from(i.to_string())),
        "[a-z]{0,12}".prop_map(Bytes::from),
    ]
}

fn elements(max: usize) -> impl Strategy<Value = Vec<Bytes>> {
    prop_oneof![
        proptest::collection::vec(element(), 1..20),
        proptest::collection::vec(small_element(), 1..max),
    ]
}

fn unique(v: Vec<Bytes>) -> Vec<Bytes> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|b| seen.insert(b.clone())).collect()
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        (-1000i32..1000).prop_map(f64::from),
        any::<f64>().prop_filter("no NaN", |f| !f.is_nan()),
        (-1e6f64..1e6),
    ]
}

fn stream() -> impl Strategy<Value = Stream> {
    let entries = proptest::collection::vec(
        (
            0u64..3,
            0u64..3,
            proptest::collection::vec(("[a-d]{1,3}", small_element()), 1..4),
        ),
        0..300,
    );
    (entries, 0usize..3, any::<u64>()).prop_map(|(raw, groups, seed)| {
        let mut id = StreamId { ms: 1, seq: 0 };
        let mut out = Vec::new();
        for (dms, dseq, fields) in raw {
            id = StreamId {
                ms: id.ms + dms,
                seq: if dms == 0 { id.seq + 1 + dseq } else { dseq },
            };
            let fields = fields
                .into_iter()
                .map(|(f, v)| (Bytes::from(f), v))
                .collect();
            out.push(StreamEntry { id, fields });
        }
        let last = out
            .last()
            .map(|e| e.id)
            .unwrap_or(StreamId { ms: 5, seq: 5 });
        let groups = (0..groups)
            .map(|g| {
                // Every third entry pending, split between two consumers.
                let pending: Vec<PendingEntry> = out
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i + g) % 3 == 0)
                    .map(|(i, e)| PendingEntry {
                        id: e.id,
                        delivery_time_ms: 1_700_000_000_000 + i as i64,
                        delivery_count: (seed >> (i % 64)) & 7,
                    })
                    .collect();
                let consumers = ["alice", "bob"]
                    .iter()
                    .enumerate()
                    .map(|(c, name)| Consumer {
                        name: Bytes::from_static(name.as_bytes()),
                        seen_time_ms: 1_700_000_000_000 + c as i64,
                        active_time_ms: Some(1_600_000_000_000 + c as i64),
                        pending: pending
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| i % 2 == c)
                            .map(|(_, p)| p.id)
                            .collect(),
                    })
                    .collect();
                ConsumerGroup {
                    name: Bytes::from(format!("group{g}")),
                    last_id: last,
                    entries_read: Some(if g == 1 { -1 } else { out.len() as i64 }),
                    pending,
                    consumers,
                }
            })
            .collect();
        Stream {
            length: out.len() as u64,
            last_id: last,
            first_id: out.first().map(|e| e.id).unwrap_or_default(),
            max_deleted_entry_id: StreamId { ms: 1, seq: 0 },
            entries_added: out.len() as u64 + 3,
            entries: out,
            groups,
        }
    })
}

fn module() -> impl Strategy<Value = ModuleValue> {
    let op = prop_oneof![
        any::<u8>().prop_map(|b| vec![2, b & 0x3F]),
        any::<[u8; 4]>().prop_map(|f| [&[3u8][..], &f].concat()),
        any::<[u8; 8]>().prop_map(|d| [&[4u8][..], &d].concat()),
        "[a-z]{0,20}".prop_map(|s| [&[5u8, s.len() as u8][..], s.as_bytes()].concat()),
    ];
    proptest::collection::vec(op, 0..6).prop_map(|ops| {
        let mut raw: Vec<u8> = ops.concat();
        raw.push(0);
        let id = (0x1234_5678_9abc_u64 << 10) | 3;
        ModuleValue {
            id,
            name: ferrodis_rdb::module_name(id),
            version: 3,
            raw: Bytes::from(raw),
        }
    })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        element().prop_map(Value::String),
        elements(3000).prop_map(Value::List),
        elements(1500).prop_map(|v| Value::Set(unique(v))),
        proptest::collection::vec(
            (-5000i64..5000).prop_map(|i| Bytes::from(i.to_string())),
            1..700
        )
        .prop_map(|v| Value::Set(unique(v))),
        (elements(400), proptest::collection::vec(score(), 400))
            .prop_map(|(m, s)| { Value::SortedSet(unique(m).into_iter().zip(s).collect()) }),
        (elements(1000), proptest::collection::vec(element(), 1000))
            .prop_map(|(f, v)| { Value::Hash(unique(f).into_iter().zip(v).collect()) }),
        (
            elements(800),
            proptest::collection::vec(
                proptest::option::of(1_000_000_000_000u64..(1 << 48) - 1),
                800
            )
        )
            .prop_map(|(f, e)| {
                Value::HashWithTtl(
                    unique(f)
                        .into_iter()
                        .zip(e)
                        .map(|(field, expire_ms)| HashField {
                            value: field.slice(..field.len() / 2),
                            field,
                            expire_ms,
                        })
                        .collect(),
                )
            }),
        stream().prop_map(|s| Value::Stream(Box::new(s))),
        module().prop_map(Value::Module),
    ]
}

/// What a decoder gives back for `value` written in `version`: collections in
/// a canonical order, and what older layouts cannot hold filled in as the
/// decoder fills it.
fn expected(value: &Value, version: u32) -> Value {
    match value {
        Value::HashWithTtl(h) if h.iter().all(|f| f.expire_ms.is_none()) => {
            common::normalize(&Value::Hash(
                h.iter()
                    .map(|f| (f.field.clone(), f.value.clone()))
                    .collect(),
            ))
        }
        Value::Stream(s) => {
            let mut s = (**s).clone();
            if version < 10 {
                s.first_id = s.entries.first().map(|e| e.id).unwrap_or_default();
                s.max_deleted_entry_id = StreamId::default();
                s.entries_added = s.length;
            }
            for g in &mut s.groups {
                if version < 10 {
                    g.entries_read = None;
                }
                for c in &mut g.consumers {
                    if version < 11 {
                        c.active_time_ms = None;
                    }
                }
            }
            Value::Stream(Box::new(s))
        }
        other => common::normalize(other),
    }
}

fn has_field_ttl(value: &Value) -> bool {
    matches!(value, Value::HashWithTtl(h) if h.iter().any(|f| f.expire_ms.is_some()))
}

fn one_key(value: &Value, options: Options) -> ferrodis_rdb::Result<(Vec<u8>, Encoding)> {
    let mut enc = Encoder::new(Vec::new(), options)?;
    let encoding = enc.key(b"k", value, KeyMeta::default())?;
    Ok((enc.finish()?, encoding))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn values_round_trip(value in value(), version in 0usize..4, compression in any::<bool>()) {
        let version = VERSIONS[version];
        let result = one_key(&value, options(version, compression));
        if has_field_ttl(&value) && version < 12 {
            let err = result.unwrap_err().to_string();
            prop_assert!(err.contains("hash field expiry"), "{}", err);
            return Ok(());
        }
        let (file, encoding) = result.unwrap();
        let items = decode(&file).unwrap();
        let Some(Item::Key(key)) = items.first() else { panic!("{items:?}") };
        prop_assert_eq!(key.encoding, encoding);
        prop_assert_eq!(common::normalize(&key.value), expected(&value, version));
        let verified = matches!(items.last(), Some(Item::Eof { checksum: Checksum::Verified(_) }));
        prop_assert!(verified);
        // Left packed, the value unpacks to the same.
        let mut packed = Decoder::new(&file[..]);
        packed.keep_packed(true);
        let packed: Vec<Item> = packed.collect::<Result<_, _>>().unwrap();
        let packable = matches!(
            encoding,
            Encoding::Quicklist2
                | Encoding::SetListpack
                | Encoding::HashListpack
                | Encoding::ZsetListpack
                | Encoding::HashtableSet
        );
        let Some(Item::Key(first)) = packed.first() else { panic!("{packed:?}") };
        prop_assert_eq!(matches!(first.value, Value::Packed(_)), packable);
        prop_assert_eq!(ferrodis_rdb::fuzzing::unpack(packed), items.clone());

        // The DUMP payload holds the same value bytes.
        let payload = dump_payload(&value, &options(version, compression)).unwrap();
        let body = &payload[..payload.len() - 10];
        prop_assert_eq!(&file[9..9 + 1], &body[..1]);
        prop_assert_eq!(&file[12..12 + body.len() - 1], &body[1..]);
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[test]
fn encodings_follow_redis_per_version() {
    let small_list = Value::List(vec![b("a"), b("1")]);
    let ints = Value::Set(vec![b("3"), b("-1"), b("70000")]);
    let words = Value::Set(vec![b("a"), b("b")]);
    let zset = Value::SortedSet(vec![(b("a"), 1.0), (b("b"), f64::INFINITY)]);
    let hash = Value::Hash(vec![(b("f"), b("v"))]);
    let ttl_hash = Value::HashWithTtl(vec![HashField {
        field: b("f"),
        value: b("v"),
        expire_ms: Some(1_900_000_000_000),
    }]);
    let stream = Value::Stream(Box::default());
    use Encoding as E;
    let cases: [(&Value, [Option<Encoding>; 4]); 7] = [
        (
            &small_list,
            [
                Some(E::Quicklist),
                Some(E::Quicklist2),
                Some(E::Quicklist2),
                Some(E::Quicklist2),
            ],
        ),
        (&ints, [Some(E::Intset); 4]),
        (
            &words,
            [
                Some(E::HashtableSet),
                Some(E::HashtableSet),
                Some(E::SetListpack),
                Some(E::SetListpack),
            ],
        ),
        (
            &zset,
            [
                Some(E::ZsetZiplist),
                Some(E::ZsetListpack),
                Some(E::ZsetListpack),
                Some(E::ZsetListpack),
            ],
        ),
        (
            &hash,
            [
                Some(E::HashZiplist),
                Some(E::HashListpack),
                Some(E::HashListpack),
                Some(E::HashListpack),
            ],
        ),
        (&ttl_hash, [None, None, None, Some(E::HashListpackEx)]),
        (
            &stream,
            [
                Some(E::StreamListpacks),
                Some(E::StreamListpacks2),
                Some(E::StreamListpacks3),
                Some(E::StreamListpacks3),
            ],
        ),
    ];
    for (value, per_version) in cases {
        for (version, want) in VERSIONS.into_iter().zip(per_version) {
            let got = one_key(value, options(version, true)).ok().map(|(_, e)| e);
            assert_eq!(got, want, "{value:?} in v{version}");
        }
    }
}

#[test]
fn thresholds_are_parameters() {
    let limits = EncodingLimits {
        hash_max_listpack_entries: 2,
        zset_max_listpack_value: 3,
        set_max_intset_entries: 1,
        ..EncodingLimits::default()
    };
    let opts = Options {
        limits,
        ..Options::default()
    };
    let enc = |v: &Value| one_key(v, opts.clone()).unwrap().1;
    assert_eq!(
        enc(&Value::Hash(vec![(b("a"), b("1")), (b("b"), b("2"))])),
        Encoding::HashListpack
    );
    assert_eq!(
        enc(&Value::Hash(vec![
            (b("a"), b("1")),
            (b("b"), b("2")),
            (b("c"), b("3"))
        ])),
        Encoding::HashtableHash
    );
    assert_eq!(
        enc(&Value::SortedSet(vec![(b("abcd"), 1.0)])),
        Encoding::Skiplist
    );
    assert_eq!(enc(&Value::Set(vec![b("1")])), Encoding::Intset);
    assert_eq!(
        enc(&Value::Set(vec![b("1"), b("2")])),
        Encoding::HashtableSet
    );
    // 64-byte values are still listpack; 65 are not (hash-max-listpack-value 64).
    let default = |v: &Value| one_key(v, Options::default()).unwrap().1;
    assert_eq!(
        default(&Value::Hash(vec![(b("f"), Bytes::from(vec![b'x'; 64]))])),
        Encoding::HashListpack
    );
    assert_eq!(
        default(&Value::Hash(vec![(b("f"), Bytes::from(vec![b'x'; 65]))])),
        Encoding::HashtableHash
    );
    let members: Vec<Bytes> = (0..513).map(|i| Bytes::from(i.to_string())).collect();
    assert_eq!(
        default(&Value::Set(members[..512].to_vec())),
        Encoding::Intset
    );
    assert_eq!(default(&Value::Set(members)), Encoding::HashtableSet);
}

#[test]
fn strings_are_stored_as_redis_stores_them() {
    let storage = |s: &[u8], compression: bool| {
        one_key(
            &Value::String(Bytes::copy_from_slice(s)),
            options(10, compression),
        )
        .unwrap()
        .1
        .name()
    };
    assert_eq!(storage(b"-128", true), "int");
    assert_eq!(storage(b"2147483647", true), "int");
    assert_eq!(storage(b"2147483648", true), "raw");
    assert_eq!(storage(b"007", true), "raw");
    assert_eq!(storage(&[b'a'; 20], true), "raw");
    assert_eq!(storage(&[b'a'; 21], true), "lzf");
    assert_eq!(storage(&[b'a'; 21], false), "raw");
    // Exact bytes: "-1" as int8, as Redis writes it.
    let (file, _) = one_key(&Value::String(b("-1")), options(10, true)).unwrap();
    assert_eq!(&file[9..13], &[0, 1, b'k', 0xC0]);
    assert_eq!(file[13], 0xFF);
}

#[test]
fn what_a_version_cannot_hold_is_an_error() {
    let err = one_key(&Value::List(vec![]), Options::default()).unwrap_err();
    assert!(err.to_string().contains("empty list"), "{err}");
    let err = one_key(
        &Value::SortedSet(vec![(b("a"), f64::NAN)]),
        Options::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    let late = Value::HashWithTtl(vec![HashField {
        field: b("f"),
        value: b("v"),
        expire_ms: Some(1 << 48),
    }]);
    let err = one_key(&late, options(12, true)).unwrap_err();
    assert!(err.to_string().contains("Redis's limit"), "{err}");
    let err = Encoder::new(Vec::new(), options(8, true)).unwrap_err();
    assert!(
        err.to_string().contains("unsupported rdb version 8"),
        "{err}"
    );
    let mut enc = Encoder::new(Vec::new(), options(9, true)).unwrap();
    let err = enc.function(b"#!lua name=x\n").unwrap_err();
    assert!(err.to_string().contains("needs 10"), "{err}");
}

fn full_file(version: u32, compression: bool, checksum: bool) -> (Vec<u8>, Vec<Item>) {
    let opts = Options {
        version,
        compression,
        checksum,
        ..Options::default()
    };
    let mut enc = Encoder::new(Vec::new(), opts).unwrap();
    enc.aux_fields(&AuxFields {
        redis_ver: "7.0.15".into(),
        redis_bits: 64,
        ctime: 1_700_000_000,
        used_mem: 123_456_789,
        replication: Some(ReplicationAux {
            stream_db: 0,
            id: "a".repeat(40),
            offset: 12345,
        }),
        aof_base: false,
    })
    .unwrap();
    if version >= 10 {
        enc.function(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)")
            .unwrap();
    }
    enc.module_aux((77 << 10) | 1, 2, &[2, 5, 0]).unwrap();
    let mut keys = Vec::new();
    for db in [0u64, 3, 15] {
        enc.select_db(db).unwrap();
        enc.resize_db(200, 50).unwrap();
        for i in 0..200u64 {
            let meta = KeyMeta {
                expire_ms: (i % 4 == 0).then_some(1_900_000_000_000 + i as i64),
                lru_idle: (i % 3 == 0).then_some(i * 10),
                lfu_freq: (i % 5 == 0).then_some((i % 256) as u8),
            };
            let key = Bytes::from(format!("key:{db}:{i}\x00\u{ff}"));
            let value = match i % 4 {
                0 => Value::String(Bytes::from(format!("{}", i * 1000))),
                1 => Value::String(Bytes::from("value ".repeat(i as usize))),
                2 => Value::List((0..i).map(|j| Bytes::from(j.to_string())).collect()),
                _ => Value::Hash(vec![(b("field"), Bytes::from(i.to_string()))]),
            };
            if matches!(&value, Value::List(l) if l.is_empty()) {
                continue;
            }
            enc.key(&key, &value, meta).unwrap();
            keys.push((db, key, meta, value));
        }
    }
    let file = enc.finish().unwrap();
    let items = decode(&file).unwrap();
    let decoded: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Key(k) => Some((
                k.db,
                k.key.clone(),
                KeyMeta {
                    expire_ms: k.expire_ms,
                    lru_idle: k.lru_idle,
                    lfu_freq: k.lfu_freq,
                },
                k.value.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(decoded, keys);
    (file, items)
}

#[test]
fn whole_files_round_trip() {
    for version in VERSIONS {
        for (compression, checksum) in [(true, true), (false, false)] {
            let (file, items) = full_file(version, compression, checksum);
            assert_eq!(&file[..9], format!("REDIS{version:04}").as_bytes());
            let aux: Vec<(String, String)> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Aux { key, value } => Some((
                        String::from_utf8_lossy(key).into_owned(),
                        String::from_utf8_lossy(value).into_owned(),
                    )),
                    _ => None,
                })
                .collect();
            let names: Vec<&str> = aux.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                names,
                [
                    "redis-ver",
                    "redis-bits",
                    "ctime",
                    "used-mem",
                    "repl-stream-db",
                    "repl-id",
                    "repl-offset",
                    "aof-base"
                ]
            );
            assert_eq!(aux[3].1, "123456789");
            assert!(items.contains(&Item::SelectDb { db: 15 }));
            assert!(items.contains(&Item::ResizeDb {
                db_size: 200,
                expires_size: 50
            }));
            assert!(items
                .iter()
                .any(|i| matches!(i, Item::ModuleAux { when: 2, .. })));
            assert_eq!(
                items.iter().any(|i| matches!(i, Item::Function { .. })),
                version >= 10
            );
            let want = if checksum {
                Checksum::Verified(ferrodis_rdb::crc64(0, &file[..file.len() - 8]))
            } else {
                Checksum::Disabled
            };
            assert_eq!(items.last(), Some(&Item::Eof { checksum: want }));
            // Re-encoding the decoded items reproduces the file byte for byte.
            let opts = Options {
                version,
                compression,
                checksum,
                ..Options::default()
            };
            let mut enc = Encoder::new(Vec::new(), opts).unwrap();
            for item in &items {
                enc.item(item).unwrap();
            }
            assert_eq!(enc.finish().unwrap(), file);
        }
    }
}

#[test]
fn offsets_and_io_errors() {
    struct Failing(usize);
    impl std::io::Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let opts = Options {
        compression: false,
        ..Options::default()
    };
    let mut enc = Encoder::new(Failing(100_000), opts).unwrap();
    assert_eq!(enc.offset(), 9);
    enc.select_db(0).unwrap();
    assert_eq!(enc.offset(), 11);
    let big = Value::String(Bytes::from(vec![7u8; 200_000]));
    let err = enc.key(b"big", &big, KeyMeta::default()).map(|_| ());
    let err = err.and_then(|()| enc.finish().map(|_| ())).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
}
