//! Keyspace notifications as the keyspace records them ([`Keyspace::take_notifications`]):
//! the event names, classes, databases and order of Redis 7.0, and nothing at all
//! while `notify-keyspace-events` leaves a class (or both K and E) off.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ferrodis_keyspace::notify::{self, Notification};
use ferrodis_keyspace::{Clock, ExpireBudget, Keyspace, Session, Tunables};

const ALL: u32 = notify::GENERIC
    | notify::STRING
    | notify::LIST
    | notify::SET
    | notify::HASH
    | notify::ZSET
    | notify::EXPIRED
    | notify::KEY_MISS
    | notify::NEW
    | notify::KEYEVENT;

struct Ks {
    ks: Keyspace,
    session: Session,
}

impl Ks {
    fn new(flags: u32) -> Ks {
        let mut ks = Keyspace::new(16);
        ks.set_clock(Clock::Fixed(1_000_000));
        ks.set_tunables(Tunables {
            notify_keyspace_events: flags,
            ..Tunables::default()
        });
        Ks {
            ks,
            session: Session::default(),
        }
    }

    fn run(&mut self, line: &str) {
        let argv: Vec<Bytes> = line
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        self.ks.execute(&mut self.session, &argv).unwrap();
    }

    /// The events since the last call, as `event key` (and `@db` outside db 0).
    fn events(&mut self) -> Vec<String> {
        self.ks
            .take_notifications()
            .into_iter()
            .map(|n| {
                let key = String::from_utf8_lossy(&n.key);
                match n.db {
                    0 => format!("{} {key}", n.event),
                    db => format!("{} {key}@{db}", n.event),
                }
            })
            .collect()
    }

    /// Runs `line`, returning its events.
    fn events_of(&mut self, line: &str) -> Vec<String> {
        self.run(line);
        self.events()
    }
}

#[test]
fn nothing_is_recorded_by_default() {
    let mut k = Ks::new(0);
    for line in ["set a 1", "del a", "get a", "rpush l x", "lpop l"] {
        k.run(line);
        assert!(!k.ks.has_notifications(), "{line}");
    }
    // Classes without K or E publish nothing, so nothing is recorded either.
    let mut k = Ks::new(ALL & !notify::KEYEVENT);
    k.run("set a 1");
    assert!(k.events().is_empty());
}

#[test]
fn strings() {
    let mut k = Ks::new(ALL);
    assert_eq!(k.events_of("set a 1 ex 10"), ["new a", "set a", "expire a"]);
    assert_eq!(k.events_of("set a 1 nx"), Vec::<String>::new());
    assert_eq!(k.events_of("getset b 2"), ["keymiss b", "new b", "set b"]);
    assert_eq!(k.events_of("mset a 1 c 2"), ["set a", "new c", "set c"]);
    assert_eq!(k.events_of("incrby n 2"), ["new n", "incrby n"]);
    assert_eq!(k.events_of("incrbyfloat n 2"), ["incrbyfloat n"]);
    assert_eq!(k.events_of("append a x"), ["append a"]);
    assert_eq!(k.events_of("setrange a 0 y"), ["setrange a"]);
    assert_eq!(k.events_of("setbit a 0 1"), ["setbit a"]);
    assert_eq!(k.events_of("getex a persist"), Vec::<String>::new());
    assert_eq!(k.events_of("getex a ex 100"), ["expire a"]);
    assert_eq!(k.events_of("getex a persist"), ["persist a"]);
    assert_eq!(k.events_of("getdel a"), ["del a"]);
    assert_eq!(
        k.events_of("bitop and d a c"),
        ["keymiss a", "new d", "set d"]
    );
    assert_eq!(k.events_of("incr b"), ["incrby b"]);
}

#[test]
fn lists() {
    let mut k = Ks::new(ALL);
    assert_eq!(k.events_of("rpush l a b"), ["new l", "rpush l"]);
    assert_eq!(k.events_of("lpushx nol a"), Vec::<String>::new());
    assert_eq!(k.events_of("linsert l before a x"), ["linsert l"]);
    assert_eq!(k.events_of("lset l 0 y"), ["lset l"]);
    assert_eq!(k.events_of("lrem l 0 y"), ["lrem l"]);
    assert_eq!(
        k.events_of("lmove l m right left"),
        ["new m", "lpush m", "rpop l"]
    );
    assert_eq!(k.events_of("ltrim l 0 -1"), ["ltrim l"]);
    assert_eq!(k.events_of("lpop l 5"), ["lpop l", "del l"]);
    assert_eq!(k.events_of("lmpop 2 l m right"), ["rpop m", "del m"]);
}

#[test]
fn hashes_sets_and_sorted_sets() {
    let mut k = Ks::new(ALL);
    assert_eq!(k.events_of("hset h f 1"), ["new h", "hset h"]);
    assert_eq!(k.events_of("hsetnx h f 1"), Vec::<String>::new());
    assert_eq!(k.events_of("hincrby h f 1"), ["hincrby h"]);
    assert_eq!(k.events_of("hdel h f"), ["hdel h", "del h"]);
    assert_eq!(k.events_of("sadd s a b"), ["new s", "sadd s"]);
    assert_eq!(k.events_of("smove s t a"), ["srem s", "new t", "sadd t"]);
    assert_eq!(k.events_of("sunionstore u s t"), ["new u", "sunionstore u"]);
    assert_eq!(k.events_of("sinterstore u s t"), ["del u"]);
    assert_eq!(k.events_of("spop s 9"), ["spop s", "del s"]);
    assert_eq!(k.events_of("zadd z 1 a 2 b"), ["new z", "zadd z"]);
    assert_eq!(k.events_of("zadd z 1 a"), Vec::<String>::new());
    assert_eq!(k.events_of("zincrby z 1 a"), ["zincr z"]);
    assert_eq!(
        k.events_of("zrangestore y z 0 0"),
        ["new y", "zrangestore y"]
    );
    assert_eq!(
        k.events_of("zremrangebyrank y 0 -1"),
        ["zremrangebyrank y", "del y"]
    );
    assert_eq!(k.events_of("zpopmax z"), ["zpopmax z"]);
    assert_eq!(k.events_of("zrem z a"), ["zrem z", "del z"]);
}

#[test]
fn generic_commands_and_other_databases() {
    let mut k = Ks::new(ALL);
    k.run("set a 1");
    k.events();
    assert_eq!(k.events_of("expire a 100"), ["expire a"]);
    assert_eq!(k.events_of("persist a"), ["persist a"]);
    assert_eq!(
        k.events_of("rename a b"),
        ["new b", "rename_from a", "rename_to b"]
    );
    assert_eq!(k.events_of("copy b c db 2"), ["new c@2", "copy_to c@2"]);
    assert_eq!(
        k.events_of("move b 3"),
        ["new b@3", "move_from b", "move_to b@3"]
    );
    assert_eq!(k.events_of("exists b"), ["keymiss b"]);
    assert_eq!(k.events_of("object encoding b"), Vec::<String>::new());
    k.run("set d 1");
    k.events();
    assert_eq!(k.events_of("expire d -1"), ["del d"]);
    assert_eq!(k.events_of("del d"), Vec::<String>::new());
    assert_eq!(k.events_of("flushall"), Vec::<String>::new());
}

#[test]
fn classes_filter_events() {
    let mut k = Ks::new(notify::KEYSPACE | notify::LIST | notify::GENERIC);
    assert_eq!(k.events_of("rpush l a"), ["rpush l"]);
    assert_eq!(k.events_of("set s 1"), Vec::<String>::new());
    assert_eq!(k.events_of("lpop l"), ["lpop l", "del l"]);
    let n =
        k.ks.execute(&mut k.session, &[Bytes::from("get"), Bytes::from("x")]);
    assert!(n.is_some());
    assert!(!k.ks.has_notifications(), "keymiss is its own class");
}

#[test]
fn lazy_and_active_expiry() {
    let mut k = Ks::new(ALL);
    k.run("set a 1 px 10");
    k.run("set b 1 px 10");
    k.events();
    k.ks.set_clock(Clock::Fixed(1_000_100));
    assert_eq!(k.events_of("get a"), ["expired a", "keymiss a"]);
    assert_eq!(
        k.ks.active_expire_cycle(1_000_100, ExpireBudget::Keys(100)),
        1
    );
    let got = k.ks.take_notifications();
    assert_eq!(
        got,
        [Notification {
            class: notify::EXPIRED,
            event: "expired",
            db: 0,
            key: Bytes::from("b"),
        }]
    );
}
