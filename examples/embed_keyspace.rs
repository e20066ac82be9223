//! Embed the keyspace in a program with no network: run Redis commands on it
//! directly and read the replies as values.
//!
//! Run: `cargo run -p ferrodis-examples --bin embed_keyspace`

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_resp::Frame;

fn main() {
    let mut keyspace = Keyspace::new(16);
    let mut session = Session::default();
    let mut run = |args: &[&str]| -> Frame {
        let argv: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        keyspace
            .execute(&mut session, &argv)
            .unwrap_or_else(|| Frame::error(format!("ERR unknown command '{}'", args[0])))
    };
    println!("{:?}", run(&["SET", "visits", "41"]));
    println!("{:?}", run(&["INCR", "visits"]));
    println!("{:?}", run(&["RPUSH", "queue", "a", "b", "c"]));
    println!("{:?}", run(&["LRANGE", "queue", "0", "-1"]));
    println!("{:?}", run(&["GET", "missing"]));
}
