//! Embed the keyspace in a program with no network: typed calls for the common
//! commands, and the generic `execute` for everything else, on the same data.
//!
//! Run: `cargo run -p ferrodis-examples --bin embed_keyspace`

use std::time::Duration;

use ferrodis_keyspace::{Keyspace, Ttl};

fn main() -> Result<(), ferrodis_keyspace::Error> {
    let mut keyspace = Keyspace::new(16);
    let mut db = keyspace.db(0)?;

    db.set("visits", "41")?;
    println!("visits -> {}", db.incr_by("visits", 1)?);

    db.rpush("queue", &["a", "b", "c"])?;
    let queue: Vec<String> = db
        .lrange("queue", 0, -1)?
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    println!("queue -> {queue:?}");

    db.zadd("board", &[(3.5, "ada"), (9.0, "bob")])?;
    println!("board -> {:?}", db.zrange("board", 0, -1)?);

    db.set_ex("session", "token", Duration::from_secs(30))?;
    let expiring = matches!(db.ttl("session")?, Some(Ttl::Expires(_)));
    println!("session expires -> {expiring}");

    println!("missing -> {:?}", db.get("missing")?);
    // Redis's errors come back as values, worded as Redis words them.
    if let Err(e) = db.lpush("visits", &["x"]) {
        println!("wrong type -> {e}");
    }
    // Any other command through the generic form, reply as a RESP3 frame.
    println!(
        "generic -> {:?}",
        db.execute(&["OBJECT", "ENCODING", "queue"])
    );
    Ok(())
}
