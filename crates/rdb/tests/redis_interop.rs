//! Files written by a real redis-server 7.0 decode to exactly what was written:
//! every type in its small and large encoding, expires, several databases,
//! binary keys, big values (LZF-compressible and not), a stream with groups.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use common::{Client, Reply, Server};
use ferrodis_rdb::{decode_file, Checksum, Encoding, Item, Key, StreamId, Value};

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

/// What the test wrote, per (db, key), normalized for comparison.
type Model = BTreeMap<(u64, Vec<u8>), Value>;

fn fill(c: &mut Client, model: &mut Model) {
    let mut put = |db: u64, key: &[u8], v: Value| {
        model.insert((db, key.to_vec()), common::normalize(&v));
    };
    // Strings: raw, int-encoded, too big for an int, LZF-compressible, not.
    for (k, v) in [
        ("str:raw", "hello"),
        ("str:int", "12345"),
        ("str:neg", "-7"),
        ("str:big-int", "12345678901"),
    ] {
        c.s(&["SET", k, v]);
        put(0, k.as_bytes(), Value::String(b(v)));
    }
    let compressible = "abcdefgh".repeat(2000);
    c.s(&["SET", "str:lzf", &compressible]);
    put(0, b"str:lzf", Value::String(b(&compressible)));
    let random = noise(20_000, 7);
    c.cmd(&[b"SET", b"str:noise", &random]);
    put(0, b"str:noise", Value::String(Bytes::from(random)));
    let binary_key: &[u8] = b"bin\x00\xff\r\nkey";
    c.cmd(&[b"SET", binary_key, b"\x00\x01\xfe\xff"]);
    put(
        0,
        binary_key,
        Value::String(Bytes::from_static(b"\x00\x01\xfe\xff")),
    );

    // Lists: one listpack node; many nodes; a PLAIN node.
    c.s(&["RPUSH", "list:small", "a", "1", "-2", "b"]);
    put(
        0,
        b"list:small",
        Value::List(vec![b("a"), b("1"), b("-2"), b("b")]),
    );
    let big: Vec<String> = (0..3000).map(|i| format!("element-{i}")).collect();
    for chunk in big.chunks(500) {
        let mut args = vec!["RPUSH", "list:big"];
        args.extend(chunk.iter().map(String::as_str));
        c.s(&args);
    }
    put(
        0,
        b"list:big",
        Value::List(big.iter().map(|s| b(s)).collect()),
    );
    c.s(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]);
    let huge = "p".repeat(500);
    c.s(&["RPUSH", "list:plain", "x", &huge, "y"]);
    put(
        0,
        b"list:plain",
        Value::List(vec![b("x"), b(&huge), b("y")]),
    );

    // Sets: intset, hashtable (7.0 has no set listpack), big intset -> hashtable.
    c.s(&["SADD", "set:int", "1", "2", "3", "-5"]);
    put(
        0,
        b"set:int",
        Value::Set(["1", "2", "3", "-5"].map(b).to_vec()),
    );
    c.s(&["SADD", "set:str", "a", "b", "c"]);
    put(0, b"set:str", Value::Set(["a", "b", "c"].map(b).to_vec()));
    let ints: Vec<String> = (0..600).map(|i| (i * 7).to_string()).collect();
    let mut args = vec!["SADD", "set:big"];
    args.extend(ints.iter().map(String::as_str));
    c.s(&args);
    put(
        0,
        b"set:big",
        Value::Set(ints.iter().map(|s| b(s)).collect()),
    );

    // Sorted sets: listpack; skiplist (size), scores incl. infinities.
    c.s(&[
        "ZADD",
        "zset:small",
        "1",
        "a",
        "2.5",
        "b",
        "-inf",
        "c",
        "inf",
        "d",
    ]);
    put(
        0,
        b"zset:small",
        Value::SortedSet(vec![
            (b("a"), 1.0),
            (b("b"), 2.5),
            (b("c"), f64::NEG_INFINITY),
            (b("d"), f64::INFINITY),
        ]),
    );
    let mut args = vec!["ZADD".to_owned(), "zset:big".to_owned()];
    let mut members = Vec::new();
    for i in 0..200 {
        let score = f64::from(i) / 3.0;
        args.push(format!("{score}"));
        args.push(format!("m{i}"));
        members.push((
            b(&format!("m{i}")),
            format!("{score}").parse::<f64>().unwrap(),
        ));
    }
    c.s(&args.iter().map(String::as_str).collect::<Vec<_>>());
    put(0, b"zset:big", Value::SortedSet(members));

    // Hashes: listpack; hashtable by size; hashtable by value length.
    c.s(&["HSET", "hash:small", "f1", "v1", "f2", "2"]);
    put(
        0,
        b"hash:small",
        Value::Hash(vec![(b("f1"), b("v1")), (b("f2"), b("2"))]),
    );
    let mut args = vec!["HSET".to_owned(), "hash:big".to_owned()];
    let mut fields = Vec::new();
    for i in 0..600 {
        args.push(format!("field{i}"));
        args.push(format!("{}", i * 11));
        fields.push((b(&format!("field{i}")), b(&format!("{}", i * 11))));
    }
    c.s(&args.iter().map(String::as_str).collect::<Vec<_>>());
    put(0, b"hash:big", Value::Hash(fields));
    let long = "v".repeat(100);
    c.s(&["HSET", "hash:long", "f", &long]);
    put(0, b"hash:long", Value::Hash(vec![(b("f"), b(&long))]));

    // Other databases.
    c.s(&["SELECT", "1"]);
    c.s(&["SET", "k", "in db 1"]);
    put(1, b"k", Value::String(b("in db 1")));
    c.s(&["SELECT", "5"]);
    c.s(&["RPUSH", "k", "in db 5"]);
    put(5, b"k", Value::List(vec![b("in db 5")]));
    c.s(&["SELECT", "0"]);
}

#[test]
fn files_written_by_redis_7_0_decode_to_what_was_written() {
    let server = Server::start();
    let mut c = server.client();
    let mut model = Model::new();
    fill(&mut c, &mut model);

    // Expires, in seconds and milliseconds.
    c.s(&["SET", "exp:s", "x", "EX", "100000"]);
    c.s(&["SET", "exp:ms", "y"]);
    c.s(&["PEXPIREAT", "exp:ms", "4102444800123"]);
    model.insert((0, b"exp:s".to_vec()), Value::String(b("x")));
    model.insert((0, b"exp:ms".to_vec()), Value::String(b("y")));

    // A stream with explicit ids, a deleted entry, two groups, PELs.
    c.s(&["XADD", "stream", "1-1", "name", "a", "n", "1"]);
    c.s(&["XADD", "stream", "1-2", "name", "b", "n", "2"]);
    c.s(&["XADD", "stream", "2-0", "other", "c"]);
    c.s(&["XADD", "stream", "3-5", "name", "d", "n", "4"]);
    c.s(&["XDEL", "stream", "1-2"]);
    c.s(&["XGROUP", "CREATE", "stream", "g1", "0"]);
    c.s(&["XGROUP", "CREATE", "stream", "g2", "$"]);
    c.s(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "alice",
        "COUNT",
        "2",
        "STREAMS",
        "stream",
        ">",
    ]);
    c.s(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "bob",
        "COUNT",
        "1",
        "STREAMS",
        "stream",
        ">",
    ]);
    c.s(&["XACK", "stream", "g1", "1-1"]);
    c.s(&["XGROUP", "CREATECONSUMER", "stream", "g2", "carol"]);

    // A function library.
    let library = "#!lua name=mylib\nredis.register_function('myfunc', function() return 1 end)";
    c.s(&["FUNCTION", "LOAD", library]);

    assert_eq!(c.s(&["SAVE"]), Reply::Status("OK".into()));
    let items = decode_file(server.dir.join("dump.rdb")).unwrap();

    let aux: BTreeMap<Bytes, Bytes> = items
        .iter()
        .filter_map(|i| match i {
            Item::Aux { key, value } => Some((key.clone(), value.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(aux[&b("redis-ver")], b("7.0.15"));
    assert!(items.contains(&Item::Function { code: b(library) }));
    assert!(matches!(
        items.last(),
        Some(Item::Eof {
            checksum: Checksum::Verified(_)
        })
    ));

    let mut decoded: BTreeMap<(u64, Vec<u8>), &Key> = BTreeMap::new();
    for item in &items {
        if let Item::Key(k) = item {
            assert!(
                decoded.insert((k.db, k.key.to_vec()), k).is_none(),
                "key twice"
            );
            assert!(k.lru_idle.is_some(), "allkeys-lru saves IDLE for every key");
        }
    }
    let stream = decoded
        .remove(&(0, b"stream".to_vec()))
        .expect("the stream");
    let got: Vec<_> = decoded.keys().cloned().collect();
    let want: Vec<_> = model.keys().cloned().collect();
    assert_eq!(got, want);
    for (id, want) in &model {
        let key = decoded[id];
        assert_eq!(
            &common::normalize(&key.value),
            want,
            "{:?}",
            String::from_utf8_lossy(&id.1)
        );
    }

    // Encodings, as Redis 7.0 chose them.
    let enc = |k: &str| decoded[&(0, k.as_bytes().to_vec())].encoding;
    assert_eq!(enc("str:raw").name(), "raw");
    assert_eq!(enc("str:int").name(), "int");
    assert_eq!(enc("str:lzf").name(), "lzf");
    assert_eq!(enc("str:noise").name(), "raw");
    assert_eq!(enc("list:small"), Encoding::Quicklist2);
    assert_eq!(enc("set:int"), Encoding::Intset);
    assert_eq!(enc("set:str"), Encoding::HashtableSet);
    assert_eq!(enc("set:big"), Encoding::HashtableSet);
    assert_eq!(enc("zset:small"), Encoding::ZsetListpack);
    assert_eq!(enc("zset:big"), Encoding::Skiplist);
    assert_eq!(enc("hash:small"), Encoding::HashListpack);
    assert_eq!(enc("hash:big"), Encoding::HashtableHash);
    assert_eq!(enc("hash:long"), Encoding::HashtableHash);

    // Expires.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let exp_s = decoded[&(0, b"exp:s".to_vec())].expire_ms.unwrap();
    assert!((exp_s - now_ms - 100_000_000).abs() < 60_000, "{exp_s}");
    assert_eq!(
        decoded[&(0, b"exp:ms".to_vec())].expire_ms,
        Some(4102444800123)
    );
    assert_eq!(decoded[&(0, b"str:raw".to_vec())].expire_ms, None);

    // The stream.
    let Value::Stream(s) = &stream.value else {
        panic!("{:?}", stream.value)
    };
    let id = |ms, seq| StreamId { ms, seq };
    let ids: Vec<_> = s.entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, [id(1, 1), id(2, 0), id(3, 5)]);
    assert_eq!(s.entries[1].fields, vec![(b("other"), b("c"))]);
    assert_eq!(
        s.entries[2].fields,
        vec![(b("name"), b("d")), (b("n"), b("4"))]
    );
    assert_eq!((s.length, s.last_id, s.first_id), (3, id(3, 5), id(1, 1)));
    assert_eq!((s.max_deleted_entry_id, s.entries_added), (id(1, 2), 4));
    assert_eq!(stream.encoding, Encoding::StreamListpacks2);
    // entries_read counts the deleted entry too (XINFO GROUPS says 4).
    let g1 = &s.groups[0];
    assert_eq!(
        (g1.name.as_ref(), g1.last_id, g1.entries_read),
        (&b"g1"[..], id(3, 5), Some(4))
    );
    let pending: Vec<_> = g1
        .pending
        .iter()
        .map(|p| (p.id, p.delivery_count))
        .collect();
    assert_eq!(pending, [(id(2, 0), 1), (id(3, 5), 1)]);
    let consumers: Vec<_> = g1
        .consumers
        .iter()
        .map(|c| (c.name.clone(), c.pending.clone()))
        .collect();
    assert_eq!(
        consumers,
        [(b("alice"), vec![id(2, 0)]), (b("bob"), vec![id(3, 5)])]
    );
    let g2 = &s.groups[1];
    assert_eq!((g2.name.as_ref(), g2.last_id), (&b"g2"[..], id(3, 5)));
    assert!(g2.pending.is_empty());
    assert_eq!(g2.consumers[0].name, b("carol"));
}
