//! The bitmap commands and LCS against the real redis-server: the same pseudo-random
//! command sequence (valid and invalid arguments, both string encodings, wrong
//! types) must give the same replies, in RESP2 and RESP3, and move the same counters.

#![allow(clippy::unwrap_used)]

mod common;

use bytes::BytesMut;
use common::{text, Client, Ferrodis, RealRedis};
use ferrodis_resp::Frame;

const KEYS: [&[u8]; 3] = [b"a", b"b", b"c"];

/// A splitmix64 sequence: deterministic, so a failure names a reproducible step.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn key(&mut self) -> Vec<u8> {
        self.pick(&KEYS).to_vec()
    }

    /// An index or value: small, byte-sized steps, or an extreme.
    fn int(&mut self) -> Vec<u8> {
        let n = match self.below(6) {
            0 => self.range(-20, 20),
            1 => self.range(-200, 200),
            2 => self.range(-5, 5) * 8,
            3 => i64::MIN,
            4 => i64::MAX,
            _ => self.range(0, 100),
        };
        n.to_string().into_bytes()
    }

    fn unit(&mut self, args: &mut Vec<Vec<u8>>) {
        if self.chance(50) {
            args.push(
                self.pick(&[&b"BIT"[..], b"byte", b"bit", b"BYTE", b"bits"])
                    .to_vec(),
            );
        }
    }
}

fn s(x: impl ToString) -> Vec<u8> {
    x.to_string().into_bytes()
}

fn command(r: &mut Rng) -> Vec<Vec<u8>> {
    let values: [&[u8]; 10] = [
        b"",
        b"1",
        b"-12",
        b"abc",
        b"\xff\xff",
        b"\x00\x80\x01",
        b"1234567890",
        b"ohmytext",
        &[0xff; 40],
        b"mynewtext",
    ];
    match r.below(14) {
        0 => vec![b"SET".to_vec(), r.key(), r.pick(&values).to_vec()],
        1 => vec![b"GET".to_vec(), r.key()],
        2 => {
            let offset = if r.chance(70) {
                r.range(0, 100)
            } else {
                r.range(0, 400)
            };
            let bit = r.pick(&[&b"0"[..], b"1", b"1", b"2"]).to_vec();
            vec![b"SETBIT".to_vec(), r.key(), s(offset), bit]
        }
        3 => vec![b"GETBIT".to_vec(), r.key(), s(r.range(-1, 120))],
        4 => {
            let mut a = vec![b"BITCOUNT".to_vec(), r.key()];
            let n = r.below(4);
            if n >= 1 {
                a.extend([r.int(), r.int()]);
            }
            if n >= 2 {
                r.unit(&mut a);
            }
            if n == 3 {
                a.push(r.int());
            }
            a
        }
        5 => {
            let bit = r.pick(&[&b"0"[..], b"1", b"0", b"1", b"2"]).to_vec();
            let mut a = vec![b"BITPOS".to_vec(), r.key(), bit];
            let n = r.below(5);
            for _ in 0..n.min(2) {
                a.push(r.int());
            }
            if n >= 3 {
                r.unit(&mut a);
            }
            a
        }
        6 => {
            let op = r.pick(&[&b"AND"[..], b"or", b"XOR", b"not", b"NOT", b"nand"]);
            let mut a = vec![b"BITOP".to_vec(), op.to_vec(), r.key()];
            for _ in 0..r.range(1, 3) {
                a.push(r.key());
            }
            a
        }
        7..=9 => {
            let name = r.pick(&[&b"BITFIELD"[..], b"BITFIELD", b"BITFIELD_RO"]);
            let mut a = vec![name.to_vec(), r.key()];
            for _ in 0..r.below(5) {
                if r.chance(30) {
                    a.push(b"OVERFLOW".to_vec());
                    a.push(r.pick(&[&b"WRAP"[..], b"sat", b"FAIL", b"fail"]).to_vec());
                }
                let sign = r.pick(&["i", "u"]);
                let bits = r.pick(&[1, 2, 3, 5, 8, 13, 16, 31, 32, 33, 63, 64]);
                let offset = if r.chance(20) {
                    format!("#{}", r.range(0, 10))
                } else {
                    r.range(0, 90).to_string()
                };
                let sub = r.pick(&[&b"GET"[..], b"SET", b"INCRBY", b"get"]);
                a.extend([sub.to_vec(), s(format!("{sign}{bits}")), s(offset)]);
                if !sub.eq_ignore_ascii_case(b"get") {
                    a.push(r.int());
                }
            }
            a
        }
        10 => {
            let mut a = vec![b"LCS".to_vec(), r.key(), r.key()];
            for _ in 0..r.below(4) {
                match r.below(5) {
                    0 => a.push(b"LEN".to_vec()),
                    1 => a.push(b"IDX".to_vec()),
                    2 => a.push(b"withmatchlen".to_vec()),
                    3 => a.extend([b"MINMATCHLEN".to_vec(), s(r.range(-1, 4))]),
                    _ => a.push(b"idx".to_vec()),
                }
            }
            a
        }
        11 => vec![b"RPUSH".to_vec(), r.key(), b"x".to_vec()],
        12 => vec![b"DEL".to_vec(), r.key()],
        _ => vec![b"STRLEN".to_vec(), r.key()],
    }
}

fn run(c: &mut Client, argv: &[Vec<u8>]) -> Frame {
    let mut out = BytesMut::new();
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    c.send(&out);
    c.read_frame().expect("a reply")
}

/// The counters bit commands move: hits, misses and changes.
fn counters(c: &mut Client) -> Vec<String> {
    let info = text(&c.cmd(&["INFO"]));
    info.lines()
        .filter(|l| {
            l.starts_with("keyspace_hits:")
                || l.starts_with("keyspace_misses:")
                || l.starts_with("rdb_changes_since_last_save:")
        })
        .map(str::to_string)
        .collect()
}

fn compare(seed: u64, resp3: bool, steps: usize) {
    let ferrodis = Ferrodis::start(&[]);
    let redis = RealRedis::start(&[]);
    let mut ours = ferrodis.client();
    let mut theirs = redis.client();
    for c in [&mut ours, &mut theirs] {
        if resp3 {
            c.cmd(&["HELLO", "3"]);
        }
        c.cmd(&["CONFIG", "RESETSTAT"]);
    }
    let mut r = Rng(seed);
    for step in 0..steps {
        let argv = command(&mut r);
        let (a, b) = (run(&mut ours, &argv), run(&mut theirs, &argv));
        let shown: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        assert_eq!(a, b, "step {step}: {shown:?}");
        if step % 50 == 49 {
            assert_eq!(counters(&mut ours), counters(&mut theirs), "by step {step}");
        }
    }
    for key in KEYS {
        let get = [b"GET".to_vec(), key.to_vec()];
        assert_eq!(run(&mut ours, &get), run(&mut theirs, &get));
    }
}

#[test]
fn bit_commands_match_redis_in_resp2() {
    compare(1, false, 5000);
}

#[test]
fn bit_commands_match_redis_in_resp3() {
    compare(2, true, 5000);
}
