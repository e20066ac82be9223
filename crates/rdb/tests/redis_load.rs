//! Files ferrodis's encoder writes load into a real redis-server 7.0 (with
//! `sanitize-dump-payload yes`, so Redis deep-checks every listpack, ziplist
//! and intset) with identical contents, checked key by key; DUMP payloads
//! RESTORE; and a file Redis wrote, decoded and re-encoded, loads back.
//!
//! Contents are compared two ways: a few commands per key (GET, LRANGE,
//! ZRANGE, HGETALL, PTTL, OBJECT ENCODING/FREQ/IDLETIME, XINFO), and the file
//! Redis itself SAVEs after loading, decoded, against the model.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use common::{Reply, Server};
use ferrodis_rdb::{
    decode_file, dump_payload, AuxFields, Consumer, ConsumerGroup, Encoder, EncodingLimits, Item,
    KeyMeta, Options, PendingEntry, Stream, StreamEntry, StreamId, Value,
};

/// Deterministic incompressible bytes.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn strs<const N: usize>(items: [&str; N]) -> Vec<Bytes> {
    items.into_iter().map(b).collect()
}

type Model = BTreeMap<(u64, Vec<u8>), (KeyMeta, Value)>;
/// What a server saved: (db, key) → (expire, value).
type Saved = BTreeMap<(u64, Vec<u8>), (Option<i64>, Value)>;

fn stream_value() -> Stream {
    let id = |ms, seq| StreamId { ms, seq };
    let mut entries = Vec::new();
    for i in 0..250u64 {
        // Mostly the same fields (SAMEFIELDS entries), some different.
        let fields = if i % 7 == 0 {
            vec![(b("other"), Bytes::from(i.to_string()))]
        } else {
            vec![
                (b("name"), Bytes::from(format!("n{i}"))),
                (b("n"), Bytes::from(i.to_string())),
            ]
        };
        entries.push(StreamEntry {
            id: id(1_700_000_000_000 + i / 3, i % 3),
            fields,
        });
    }
    let last = entries.last().unwrap().id;
    let pending = vec![
        PendingEntry {
            id: entries[3].id,
            delivery_time_ms: 1_700_000_000_500,
            delivery_count: 2,
        },
        PendingEntry {
            id: entries[200].id,
            delivery_time_ms: 1_700_000_000_600,
            delivery_count: 1,
        },
    ];
    Stream {
        length: entries.len() as u64,
        last_id: last,
        first_id: entries[0].id,
        max_deleted_entry_id: id(1, 0),
        entries_added: entries.len() as u64 + 1,
        groups: vec![
            ConsumerGroup {
                name: b("g1"),
                last_id: entries[200].id,
                entries_read: Some(201),
                consumers: vec![
                    Consumer {
                        name: b("alice"),
                        seen_time_ms: 1_700_000_001_000,
                        active_time_ms: None,
                        pending: vec![entries[3].id],
                    },
                    Consumer {
                        name: b("bob"),
                        seen_time_ms: 1_700_000_002_000,
                        active_time_ms: None,
                        pending: vec![entries[200].id],
                    },
                ],
                pending,
            },
            ConsumerGroup {
                name: b("g2"),
                last_id: id(0, 0),
                entries_read: Some(0),
                pending: vec![],
                consumers: vec![],
            },
        ],
        entries,
    }
}

/// Every type in its small and large encoding, integers, binary keys and
/// values, big compressible and incompressible strings, expires, LFU counters
/// and LRU idle times, three databases.
fn dataset() -> Model {
    let mut m = Model::new();
    let mut put = |db: u64, key: &[u8], meta: KeyMeta, v: Value| {
        m.insert((db, key.to_vec()), (meta, v));
    };
    let none = KeyMeta::default();
    for (k, v) in [
        ("str:raw", "hello"),
        ("str:int8", "-7"),
        ("str:int16", "12345"),
        ("str:int32", "-2147483648"),
        ("str:big-int", "12345678901"),
        ("str:not-int", "0012"),
        ("str:empty", ""),
    ] {
        put(0, k.as_bytes(), none, Value::String(b(v)));
    }
    put(
        0,
        b"str:lzf",
        none,
        Value::String(b(&"abcdefgh".repeat(20_000))),
    );
    put(
        0,
        b"str:noise",
        none,
        Value::String(Bytes::from(noise(50_000, 7))),
    );
    put(
        0,
        b"bin\x00\xff\r\nkey",
        none,
        Value::String(Bytes::from_static(b"\x00\x01\xfe\xff")),
    );

    put(
        0,
        b"list:small",
        none,
        Value::List(strs(["a", "1", "-2", "", "b"])),
    );
    let big: Vec<Bytes> = (0..5000)
        .map(|i| Bytes::from(format!("element-{i}")))
        .collect();
    put(0, b"list:big", none, Value::List(big));
    let mixed = vec![
        b("x"),
        Bytes::from(noise(20_000, 3)),
        b("y"),
        b(&"z".repeat(9000)),
    ];
    put(0, b"list:huge-elements", none, Value::List(mixed));

    put(
        0,
        b"set:int",
        none,
        Value::Set(strs(["1", "2", "3", "-5", "100000", "-9000000000"])),
    );
    put(
        0,
        b"set:str",
        none,
        Value::Set(strs(["a", "b", "c", "007"])),
    );
    let ints: Vec<Bytes> = (0..600).map(|i| Bytes::from((i * 7).to_string())).collect();
    put(0, b"set:big-ints", none, Value::Set(ints));
    let words: Vec<Bytes> = (0..300).map(|i| Bytes::from(format!("w{i}"))).collect();
    put(0, b"set:big-words", none, Value::Set(words));

    let small_z = vec![
        (b("a"), 1.0),
        (b("b"), 2.5),
        (b("c"), f64::NEG_INFINITY),
        (b("d"), f64::INFINITY),
        (b("e"), -0.125),
        (b("f"), 1e300),
        (b("g"), 1.0 / 3.0),
    ];
    put(0, b"zset:small", none, Value::SortedSet(small_z));
    let big_z: Vec<(Bytes, f64)> = (0..400)
        .map(|i| (Bytes::from(format!("m{i}")), f64::from(i) / 7.0 - 20.0))
        .collect();
    put(0, b"zset:big", none, Value::SortedSet(big_z));
    put(
        0,
        b"zset:long-member",
        none,
        Value::SortedSet(vec![(b(&"m".repeat(100)), 5.0)]),
    );

    put(
        0,
        b"hash:small",
        none,
        Value::Hash(vec![(b("f1"), b("v1")), (b("f2"), b("2"))]),
    );
    let fields: Vec<(Bytes, Bytes)> = (0..1000)
        .map(|i| {
            (
                Bytes::from(format!("field{i}")),
                Bytes::from((i * 11).to_string()),
            )
        })
        .collect();
    put(0, b"hash:big", none, Value::Hash(fields));
    put(
        0,
        b"hash:long",
        none,
        Value::Hash(vec![(b("f"), b(&"v".repeat(100)))]),
    );

    put(0, b"stream", none, Value::Stream(Box::new(stream_value())));

    // Expires, LFU counters and LRU idle times.
    for i in 0..20u64 {
        let meta = KeyMeta {
            expire_ms: Some(4_102_444_800_000 + i as i64),
            lru_idle: Some(1000 + i),
            lfu_freq: Some(i as u8 * 10),
        };
        put(
            0,
            format!("meta:{i}").as_bytes(),
            meta,
            Value::String(Bytes::from(i.to_string())),
        );
    }

    put(1, b"k", none, Value::String(b("in db 1")));
    put(5, b"k", none, Value::List(strs(["in db 5"])));
    put(5, b"\xff", none, Value::Hash(vec![(b("\x00"), b("\x01"))]));
    m
}

fn write_file(model: &Model, options: Options) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::new(), options).unwrap();
    enc.aux_fields(&AuxFields::redis_7_0(1_000_000)).unwrap();
    let dbs: std::collections::BTreeSet<u64> = model.keys().map(|(db, _)| *db).collect();
    for db in dbs {
        let keys = || model.iter().filter(move |((d, _), _)| *d == db);
        enc.select_db(db).unwrap();
        let expires = keys().filter(|(_, (m, _))| m.expire_ms.is_some()).count();
        enc.resize_db(keys().count() as u64, expires as u64)
            .unwrap();
        for ((_, key), (meta, value)) in keys() {
            enc.key(key, value, *meta).unwrap();
        }
    }
    enc.finish().unwrap()
}

fn normalize(value: &Value, version: u32) -> Value {
    match value {
        // A v9 stream lacks the v2 metadata: Redis 7.0 derives it on load.
        Value::Stream(s) if version < 10 => {
            let mut s = (**s).clone();
            s.first_id = StreamId::default();
            s.max_deleted_entry_id = StreamId::default();
            s.entries_added = 0;
            s.groups.iter_mut().for_each(|g| g.entries_read = None);
            Value::Stream(Box::new(s))
        }
        other => common::normalize(other),
    }
}

/// Saves and decodes what the server holds: (db, key) → (expire, value).
fn saved(server: &Server) -> Saved {
    assert_eq!(server.client().s(&["SAVE"]), Reply::Status("OK".into()));
    let mut out = BTreeMap::new();
    for item in decode_file(server.dir.join("dump.rdb")).unwrap() {
        if let Item::Key(k) = item {
            out.insert((k.db, k.key.to_vec()), (k.expire_ms, k.value));
        }
    }
    out
}

fn assert_same(model: &Model, got: &Saved, version: u32) {
    let want_keys: Vec<_> = model.keys().collect();
    let got_keys: Vec<_> = got.keys().collect();
    assert_eq!(got_keys, want_keys);
    for (id, (meta, value)) in model {
        let (expire, got_value) = &got[id];
        assert_eq!(*expire, meta.expire_ms, "{id:?}");
        assert_eq!(
            normalize(got_value, version),
            normalize(value, version),
            "{:?}",
            String::from_utf8_lossy(&id.1)
        );
    }
}

fn args<'a>(a: &'a [&'a str]) -> Vec<&'a [u8]> {
    a.iter().map(|s| s.as_bytes()).collect()
}

#[test]
fn files_written_by_ferrodis_load_into_redis_7_0() {
    let model = dataset();
    // v10 with LFU, v9 (ziplists, stream v1) with LRU; compression on and off;
    // PLAIN quicklist nodes for elements of 10 KB and more.
    for (version, compression, policy) in [(10, true, "allkeys-lfu"), (9, false, "allkeys-lru")] {
        let limits = EncodingLimits {
            list_packed_threshold: 10_000,
            ..EncodingLimits::default()
        };
        let options = Options {
            version,
            compression,
            limits,
            ..Options::default()
        };
        let file = write_file(&model, options);
        let server = Server::start_with(
            Some(&file),
            &[
                "--sanitize-dump-payload",
                "yes",
                "--maxmemory-policy",
                policy,
            ],
        );
        let log = server.log();
        assert!(log.contains("DB loaded from disk"), "{log}");
        let mut c = server.client();

        // A few keys read back with commands.
        assert_eq!(
            c.cmd(&[b"GET", b"bin\x00\xff\r\nkey"]).bytes(),
            b"\x00\x01\xfe\xff"
        );
        assert_eq!(
            c.s(&["GET", "str:lzf"]).bytes(),
            "abcdefgh".repeat(20_000).as_bytes()
        );
        assert_eq!(c.s(&["GET", "str:noise"]).bytes(), noise(50_000, 7));
        assert_eq!(c.s(&["LLEN", "list:big"]).int(), 5000);
        assert_eq!(
            c.s(&["LINDEX", "list:big", "4321"]).bytes(),
            b"element-4321"
        );
        assert_eq!(
            c.s(&["LINDEX", "list:huge-elements", "1"]).bytes(),
            noise(20_000, 3)
        );
        assert_eq!(
            c.s(&["ZRANGE", "zset:small", "0", "-1", "WITHSCORES"]),
            Reply::Array(
                [
                    "c",
                    "-inf",
                    "e",
                    "-0.125",
                    "g",
                    "0.33333333333333331",
                    "a",
                    "1",
                    "b",
                    "2.5"
                ]
                .into_iter()
                .chain(["f", "1.0000000000000001e+300", "d", "inf"])
                .map(|s| Reply::Bulk(Some(s.as_bytes().to_vec())))
                .collect()
            )
        );
        assert_eq!(c.s(&["ZSCORE", "zset:big", "m399"]).bytes(), b"37");
        assert_eq!(c.s(&["HGET", "hash:big", "field999"]).bytes(), b"10989");
        assert_eq!(c.s(&["SISMEMBER", "set:int", "-9000000000"]).int(), 1);
        assert_eq!(c.s(&["PEXPIRETIME", "meta:3"]).int(), 4_102_444_800_003);
        assert_eq!(c.s(&["PTTL", "str:raw"]).int(), -1);
        assert_eq!(c.s(&["XLEN", "stream"]).int(), 250);
        let pending = c.s(&["XPENDING", "stream", "g1"]);
        assert!(
            matches!(&pending, Reply::Array(a) if a[0] == Reply::Int(2)),
            "{pending:?}"
        );
        let encoding = |c: &mut common::Client, k: &str| c.s(&["OBJECT", "ENCODING", k]).bytes();
        for (key, want) in [
            ("str:int16", "int"),
            ("list:small", "quicklist"),
            ("set:int", "intset"),
            ("set:str", "hashtable"),
            ("zset:small", "listpack"),
            ("zset:big", "skiplist"),
            ("zset:long-member", "skiplist"),
            ("hash:small", "listpack"),
            ("hash:big", "hashtable"),
            ("hash:long", "hashtable"),
        ] {
            assert_eq!(
                encoding(&mut c, key),
                want.as_bytes(),
                "{key} in v{version}"
            );
        }
        if policy == "allkeys-lfu" {
            assert_eq!(c.s(&["OBJECT", "FREQ", "meta:7"]).int(), 70);
        } else {
            let idle = c.s(&["OBJECT", "IDLETIME", "meta:7"]).int();
            assert!((1007..1100).contains(&idle), "{idle}");
        }
        c.s(&["SELECT", "5"]);
        assert_eq!(c.cmd(&[b"HGET", b"\xff", b"\x00"]).bytes(), b"\x01");
        assert_eq!(c.s(&["DBSIZE"]).int(), 2);

        // Everything, through Redis's own SAVE.
        assert_same(&model, &saved(&server), version);
    }
}

#[test]
fn dump_payloads_restore_into_redis_7_0() {
    let server = Server::start_with(None, &["--sanitize-dump-payload", "yes"]);
    let mut c = server.client();
    let model = dataset();
    let options = Options::default();
    for ((db, key), (_, value)) in &model {
        if *db != 0 {
            continue;
        }
        let payload = dump_payload(value, &options).unwrap();
        c.cmd(&[b"RESTORE", key, b"0", &payload]);
        // For short strings (no LZF, whose output differs between
        // compressors) Redis's own DUMP is byte-identical to ours.
        let theirs = c.cmd(&[b"DUMP", key]).bytes();
        if matches!(value, Value::String(s) if s.len() <= 20) {
            assert_eq!(theirs, payload, "{:?}", String::from_utf8_lossy(key));
        }
    }
    let got = saved(&server);
    let want: Model = model
        .into_iter()
        .filter(|((db, _), _)| *db == 0)
        .map(|(k, (_, v))| (k, (KeyMeta::default(), v)))
        .collect();
    assert_same(&want, &got, 10);
    let err = c.try_cmd(&args(&["RESTORE", "x", "0", "\x00\x01hi\x0a\x00garbage!"]));
    assert!(matches!(err, Reply::Error(e) if e.contains("payload version or checksum are wrong")));
}

#[test]
fn a_redis_file_reencoded_by_ferrodis_loads_back() {
    // Redis writes a file from commands (including what only Redis makes:
    // a stream with deleted entries and tombstones, a function library).
    let a = Server::start_with(None, &[]);
    let mut c = a.client();
    c.s(&["SET", "s", "text"]);
    c.s(&["SET", "n", "42"]);
    c.s(&["SET", "big", &"compress me ".repeat(1000)]);
    c.s(&["PEXPIREAT", "big", "4102444800123"]);
    let items: Vec<String> = (0..2000).map(|i| format!("item{i}")).collect();
    let mut cmd = vec!["RPUSH", "list"];
    cmd.extend(items.iter().map(String::as_str));
    c.s(&cmd);
    c.s(&["SADD", "ints", "1", "2", "3"]);
    c.s(&["SADD", "words", "x", "y"]);
    c.s(&["ZADD", "z", "1", "a", "2", "b"]);
    c.s(&["HSET", "h", "f", "v"]);
    for i in 0..300 {
        c.s(&["XADD", "st", "*", "k", &i.to_string()]);
    }
    c.s(&["XTRIM", "st", "MAXLEN", "250"]);
    c.s(&["XGROUP", "CREATE", "st", "grp", "0"]);
    c.s(&[
        "XREADGROUP",
        "GROUP",
        "grp",
        "c1",
        "COUNT",
        "5",
        "STREAMS",
        "st",
        ">",
    ]);
    let library = "#!lua name=mylib\nredis.register_function('myfunc', function() return 1 end)";
    c.s(&["FUNCTION", "LOAD", library]);
    c.s(&["SELECT", "2"]);
    c.s(&["SET", "other", "db"]);
    assert_eq!(c.s(&["SAVE"]), Reply::Status("OK".into()));
    let original = decode_file(a.dir.join("dump.rdb")).unwrap();

    for (compression, checksum) in [(true, true), (false, false)] {
        let options = Options {
            compression,
            checksum,
            ..Options::default()
        };
        let mut enc = Encoder::new(Vec::new(), options).unwrap();
        for item in &original {
            enc.item(item).unwrap();
        }
        let file = enc.finish().unwrap();
        let server_b = Server::start_with(Some(&file), &["--sanitize-dump-payload", "yes"]);
        let mut c = server_b.client();
        assert_eq!(c.s(&["FCALL", "myfunc", "0"]).int(), 1);
        assert_eq!(c.s(&["XLEN", "st"]).int(), 250);
        let back = {
            assert_eq!(c.s(&["SAVE"]), Reply::Status("OK".into()));
            decode_file(server_b.dir.join("dump.rdb")).unwrap()
        };
        let keys = |items: &[Item]| -> Vec<(u64, Bytes, Option<i64>, Value)> {
            items
                .iter()
                .filter_map(|i| match i {
                    Item::Key(k) => {
                        Some((k.db, k.key.clone(), k.expire_ms, normalize(&k.value, 10)))
                    }
                    _ => None,
                })
                .collect()
        };
        let (mut want, mut got) = (keys(&original), keys(&back));
        want.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
        got.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
        assert_eq!(got, want);
        assert!(back.contains(&Item::Function { code: b(library) }));
    }
}
