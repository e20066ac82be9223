//! Record types that redis-server 7.0 does not write (Redis 7.2/7.4, Valkey 9,
//! modules, release-candidate formats), built byte by byte from the layouts in
//! Redis's and Valkey's rdb.c, plus checksum and error behaviour.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_rdb::{
    crc64, decode, opcode, write_header, write_length, Checksum, Encoding, Error, HashField, Item,
    StreamId, Value,
};

/// A test-side RDB writer.
struct Rdb(Vec<u8>);

impl Rdb {
    fn new(version: u32) -> Rdb {
        let mut out = Vec::new();
        write_header(version, &mut out).unwrap();
        Rdb(out)
    }
    fn byte(mut self, b: u8) -> Rdb {
        self.0.push(b);
        self
    }
    fn len(mut self, n: u64) -> Rdb {
        write_length(n, &mut self.0);
        self
    }
    fn str(self, s: &[u8]) -> Rdb {
        let mut r = self.len(s.len() as u64);
        r.0.extend_from_slice(s);
        r
    }
    fn raw(mut self, bytes: &[u8]) -> Rdb {
        self.0.extend_from_slice(bytes);
        self
    }
    fn finish(self) -> Vec<u8> {
        let mut out = self.byte(opcode::EOF).0;
        let crc = crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// A listpack element to build.
enum E<'a> {
    S(&'a str),
    I(i64),
}

fn listpack(elements: &[E<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in elements {
        let mut enc = Vec::new();
        match e {
            E::S(s) if s.len() < 64 => {
                enc.push(0x80 | s.len() as u8);
                enc.extend_from_slice(s.as_bytes());
            }
            E::S(s) => {
                enc.push(0xE0 | (s.len() >> 8) as u8);
                enc.push(s.len() as u8);
                enc.extend_from_slice(s.as_bytes());
            }
            E::I(i) if (0..128).contains(i) => enc.push(*i as u8),
            E::I(i) => {
                enc.push(0xF4);
                enc.extend_from_slice(&i.to_le_bytes());
            }
        }
        let n = enc.len();
        body.extend_from_slice(&enc);
        // Entries here stay under 128 bytes: a 1-byte backlen.
        assert!(n < 128);
        body.push(n as u8);
    }
    let mut lp = ((6 + body.len() + 1) as u32).to_le_bytes().to_vec();
    lp.extend_from_slice(&(elements.len() as u16).to_le_bytes());
    lp.extend_from_slice(&body);
    lp.push(0xFF);
    lp
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn only_key(items: &[Item]) -> &ferrodis_rdb::Key {
    let keys: Vec<_> = items
        .iter()
        .filter_map(|i| if let Item::Key(k) = i { Some(k) } else { None })
        .collect();
    assert_eq!(keys.len(), 1, "{items:?}");
    keys[0]
}

#[test]
fn set_listpack_of_redis_7_2() {
    let lp = listpack(&[E::S("a"), E::I(1), E::S("b")]);
    let file = Rdb::new(11).byte(20).str(b"s").str(&lp).finish();
    let items = decode(&file).unwrap();
    let k = only_key(&items);
    assert_eq!(k.value, Value::Set(vec![b("a"), b("1"), b("b")]));
    assert_eq!(k.encoding, Encoding::SetListpack);
}

#[test]
fn hashes_with_field_ttls_of_redis_7_4() {
    // HASH_METADATA: min expiry 1000, TTLs relative to it (+1), 0 = none.
    let file = Rdb::new(12)
        .byte(24)
        .str(b"h")
        .raw(&1000i64.to_le_bytes())
        .len(2)
        .len(0)
        .str(b"f1")
        .str(b"v1")
        .len(5)
        .str(b"f2")
        .str(b"v2")
        .finish();
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.encoding, Encoding::HashMetadata);
    assert_eq!(
        k.value,
        Value::HashWithTtl(vec![
            HashField {
                field: b("f1"),
                value: b("v1"),
                expire_ms: None
            },
            HashField {
                field: b("f2"),
                value: b("v2"),
                expire_ms: Some(1004)
            },
        ])
    );
    // HASH_LISTPACK_EX: min expiry, then (field, value, absolute ttl or 0) triples.
    let lp = listpack(&[
        E::S("f"),
        E::S("v"),
        E::I(0),
        E::S("g"),
        E::I(7),
        E::I(1_700_000_000_000),
    ]);
    let file = Rdb::new(12)
        .byte(25)
        .str(b"h")
        .raw(&0i64.to_le_bytes())
        .str(&lp)
        .finish();
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.encoding, Encoding::HashListpackEx);
    assert_eq!(
        k.value,
        Value::HashWithTtl(vec![
            HashField {
                field: b("f"),
                value: b("v"),
                expire_ms: None
            },
            HashField {
                field: b("g"),
                value: b("7"),
                expire_ms: Some(1_700_000_000_000)
            },
        ])
    );
    // The release candidates' forms: absolute TTLs, no minimum.
    let file = Rdb::new(12)
        .byte(22)
        .str(b"h")
        .len(1)
        .len(42)
        .str(b"f")
        .str(b"v")
        .finish();
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.encoding, Encoding::HashMetadataPreGa);
    assert_eq!(
        k.value,
        Value::HashWithTtl(vec![HashField {
            field: b("f"),
            value: b("v"),
            expire_ms: Some(42)
        }])
    );
    let lp = listpack(&[E::S("f"), E::S("v"), E::I(9)]);
    let file = Rdb::new(12).byte(23).str(b"h").str(&lp).finish();
    assert_eq!(
        only_key(&decode(&file).unwrap()).encoding,
        Encoding::HashListpackExPreGa
    );
    // An expiry beyond Redis's 48-bit limit is corrupt.
    let file = Rdb::new(12)
        .byte(22)
        .str(b"h")
        .len(1)
        .len(1 << 50)
        .str(b"f")
        .str(b"v")
        .finish();
    assert!(decode(&file)
        .unwrap_err()
        .to_string()
        .contains("invalid expireAt time"));
}

#[test]
fn valkey_9_hash_2_and_unknown_valkey_records() {
    let file = Rdb::new(80)
        .byte(22)
        .str(b"h")
        .len(2)
        .str(b"f")
        .str(b"v")
        .raw(&(-1i64).to_le_bytes())
        .str(b"g")
        .str(b"w")
        .raw(&5000i64.to_le_bytes())
        .finish();
    assert!(file.starts_with(b"VALKEY080"));
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.encoding, Encoding::ValkeyHash2);
    assert_eq!(
        k.value,
        Value::HashWithTtl(vec![
            HashField {
                field: b("f"),
                value: b("v"),
                expire_ms: None
            },
            HashField {
                field: b("g"),
                value: b("w"),
                expire_ms: Some(5000)
            },
        ])
    );
    let file = Rdb::new(81).byte(23).str(b"h").finish();
    assert!(matches!(
        decode(&file),
        Err(Error::Unsupported { offset: 9, .. })
    ));
    let file = Rdb::new(80).byte(opcode::VALKEY_SLOT_IMPORT).finish();
    assert!(matches!(
        decode(&file),
        Err(Error::Unsupported { offset: 9, .. })
    ));
    // Under REDIS magic those bytes are nothing.
    let file = Rdb::new(11).byte(opcode::VALKEY_SLOT_IMPORT).finish();
    assert_eq!(
        decode(&file).unwrap_err().to_string(),
        "unknown rdb value type or opcode 0xf3 at offset 9"
    );
}

#[test]
fn stream_v3_with_active_times() {
    // Master entry: count 2, deleted 0, fields [a], 0; entry 1: SAMEFIELDS, id
    // +0/+0, value; entry 2: own fields, id +1/-3.
    let lp = listpack(&[
        E::I(2),
        E::I(0),
        E::I(1),
        E::S("a"),
        E::I(0),
        E::I(2),
        E::I(0),
        E::I(0),
        E::S("x"),
        E::I(4),
        E::I(0),
        E::I(1),
        E::I(-3),
        E::I(1),
        E::S("b"),
        E::S("y"),
        E::I(6),
    ]);
    let mut master = 10u64.to_be_bytes().to_vec();
    master.extend_from_slice(&3u64.to_be_bytes());
    let mut pel_id = 11u64.to_be_bytes().to_vec();
    pel_id.extend_from_slice(&0u64.to_be_bytes());
    let file = Rdb::new(11)
        .byte(21)
        .str(b"s")
        .len(1)
        .str(&master)
        .str(&lp)
        .len(2) // length
        .len(11)
        .len(0) // last id
        .len(10)
        .len(3) // first id
        .len(0)
        .len(0) // max deleted
        .len(2) // entries added
        .len(1) // groups
        .str(b"g")
        .len(11)
        .len(0)
        .len(2) // entries read
        .len(1)
        .raw(&pel_id)
        .raw(&123i64.to_le_bytes())
        .len(2)
        .len(1) // consumers
        .str(b"c")
        .raw(&100i64.to_le_bytes())
        .raw(&90i64.to_le_bytes())
        .len(1)
        .raw(&pel_id)
        .finish();
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.encoding, Encoding::StreamListpacks3);
    let Value::Stream(s) = k.value else { panic!() };
    let id = |ms, seq| StreamId { ms, seq };
    assert_eq!(s.entries[0].id, id(10, 3));
    assert_eq!(s.entries[0].fields, vec![(b("a"), b("x"))]);
    assert_eq!(s.entries[1].id, id(11, 0));
    assert_eq!(s.entries[1].fields, vec![(b("b"), b("y"))]);
    let g = &s.groups[0];
    assert_eq!(
        (
            g.entries_read,
            g.pending[0].delivery_time_ms,
            g.pending[0].delivery_count
        ),
        (Some(2), 123, 2)
    );
    assert_eq!(g.consumers[0].active_time_ms, Some(90));
    assert_eq!(g.consumers[0].pending, vec![id(11, 0)]);
}

#[test]
fn modules_functions_and_key_opcodes() {
    let module_body = b"\x02\x05\x05\x03abc\x00";
    let file = Rdb::new(10)
        .byte(opcode::MODULE_AUX)
        .len(0xABCD << 10)
        .len(2)
        .len(1)
        .raw(b"\x02\x07\x00")
        .byte(opcode::FUNCTION2)
        .str(b"#!lua name=lib\n")
        .byte(opcode::FUNCTION_PRE_GA)
        .str(b"lib")
        .str(b"LUA")
        .len(1)
        .str(b"desc")
        .str(b"code")
        .byte(opcode::SLOT_INFO)
        .len(7)
        .len(2)
        .len(1)
        .byte(opcode::SELECTDB)
        .len(3)
        .byte(opcode::EXPIRETIME)
        .raw(&1_700_000_000i32.to_le_bytes())
        .byte(opcode::FREQ)
        .byte(5)
        .byte(7)
        .str(b"m")
        .len((0x1234 << 10) | 3)
        .raw(module_body)
        .byte(opcode::IDLE)
        .len(60)
        .byte(0)
        .str(b"plain")
        .str(b"v")
        .finish();
    let items = decode(&file).unwrap();
    assert!(
        matches!(&items[0], Item::ModuleAux { module_id, when: 1, raw, .. } if *module_id == 0xABCD << 10 && &raw[..] == b"\x02\x07\x00")
    );
    assert_eq!(
        items[1],
        Item::Function {
            code: b("#!lua name=lib\n")
        }
    );
    assert_eq!(
        items[2],
        Item::FunctionPreGa {
            name: b("lib"),
            engine: b("LUA"),
            description: Some("desc".into()),
            code: b("code")
        }
    );
    assert_eq!(
        items[3],
        Item::SlotInfo {
            slot: 7,
            slot_size: 2,
            expires_slot_size: 1
        }
    );
    assert_eq!(items[4], Item::SelectDb { db: 3 });
    let Item::Key(m) = &items[5] else { panic!() };
    assert_eq!(
        (m.db, m.expire_ms, m.lfu_freq, m.lru_idle),
        (3, Some(1_700_000_000_000), Some(5), None)
    );
    let Value::Module(v) = &m.value else { panic!() };
    assert_eq!(
        (v.id, v.version, &v.raw[..]),
        ((0x1234 << 10) | 3, 3, &module_body[..])
    );
    let Item::Key(p) = &items[6] else { panic!() };
    assert_eq!(
        (p.expire_ms, p.lfu_freq, p.lru_idle),
        (None, None, Some(60))
    );
    // A pre-GA module value cannot be skipped.
    let file = Rdb::new(10).byte(6).str(b"m").finish();
    assert!(decode(&file)
        .unwrap_err()
        .to_string()
        .contains("cannot be skipped"));
}

#[test]
fn quicklist_2_plain_and_packed_nodes() {
    let lp = listpack(&[E::S("a"), E::I(-5)]);
    let file = Rdb::new(10)
        .byte(18)
        .str(b"l")
        .len(2)
        .len(2)
        .str(&lp)
        .len(1)
        .str(b"big plain")
        .finish();
    let k = only_key(&decode(&file).unwrap()).clone();
    assert_eq!(k.value, Value::List(vec![b("a"), b("-5"), b("big plain")]));
    let file = Rdb::new(10)
        .byte(18)
        .str(b"l")
        .len(1)
        .len(3)
        .str(&lp)
        .finish();
    assert!(decode(&file)
        .unwrap_err()
        .to_string()
        .contains("Quicklist integrity check failed"));
}

#[test]
fn checksums() {
    let good = Rdb::new(10).byte(0).str(b"k").str(b"v").finish();
    assert!(matches!(
        decode(&good).unwrap().last(),
        Some(Item::Eof {
            checksum: Checksum::Verified(_)
        })
    ));
    // A stored 0 is not checked.
    let mut disabled = good.clone();
    let n = disabled.len();
    disabled[n - 8..].fill(0);
    assert_eq!(
        decode(&disabled).unwrap().last(),
        Some(&Item::Eof {
            checksum: Checksum::Disabled
        })
    );
    // A wrong one names both values.
    let mut wrong = good.clone();
    wrong[n - 1] ^= 1;
    let computed = crc64(0, &good[..n - 8]);
    let stored = u64::from_le_bytes(wrong[n - 8..].try_into().unwrap());
    assert_eq!(
        decode(&wrong).unwrap_err().to_string(),
        format!("rdb checksum mismatch at offset {}: computed 0x{computed:016x}, stored 0x{stored:016x}", n - 8)
    );
    // A flipped data bit is caught by the checksum.
    let mut flipped = good.clone();
    flipped[n - 10] ^= 0x20; // 'v' -> 'V'
    assert!(matches!(
        decode(&flipped),
        Err(Error::ChecksumMismatch { .. })
    ));
}

#[test]
fn hostile_lengths() {
    // A list claiming 2^64-1 elements, a string claiming 4 GB: errors, fast.
    let file = Rdb::new(10)
        .byte(1)
        .str(b"l")
        .len(u64::MAX)
        .str(b"x")
        .finish();
    assert!(matches!(
        decode(&file),
        Err(Error::UnexpectedEof { .. }) | Err(Error::UnknownStringEncoding { .. })
    ));
    let file = Rdb::new(10)
        .byte(0)
        .str(b"k")
        .len(u64::from(u32::MAX))
        .finish();
    assert!(matches!(
        decode(&file),
        Err(Error::UnexpectedEof {
            expected: "a string value",
            ..
        })
    ));
    // Duplicate members.
    let file = Rdb::new(10)
        .byte(2)
        .str(b"s")
        .len(2)
        .str(b"a")
        .str(b"a")
        .finish();
    assert!(decode(&file)
        .unwrap_err()
        .to_string()
        .contains("Duplicate set members detected"));
    // Left packed, the same error at the same offset, also when the stream
    // breaks off after the repeat.
    let packed = |bytes: &[u8]| {
        let mut d = ferrodis_rdb::Decoder::new(bytes);
        d.keep_packed(true);
        d.collect::<Result<Vec<_>, _>>()
    };
    assert_eq!(packed(&file).unwrap_err(), decode(&file).unwrap_err());
    let cut = Rdb::new(10)
        .byte(2)
        .str(b"s")
        .len(3)
        .str(b"b")
        .str(b"b")
        .finish();
    // Without the EOF opcode and checksum: the third member never comes.
    let cut = &cut[..cut.len() - 9];
    let err = decode(cut).unwrap_err();
    assert!(err.to_string().contains("Duplicate set members"), "{err}");
    assert_eq!(packed(cut).unwrap_err(), err);
    // NaN scores.
    let file = Rdb::new(10)
        .byte(5)
        .str(b"z")
        .len(1)
        .str(b"a")
        .raw(&f64::NAN.to_le_bytes())
        .finish();
    assert!(decode(&file).unwrap_err().to_string().contains("NAN"));
}
