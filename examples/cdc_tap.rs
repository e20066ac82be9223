//! A change-data-capture tap: connects to any Redis-compatible master as a replica
//! (the handshake and payload framing of `ferrodis-replication`, the snapshot read
//! with `ferrodis-rdb`'s decoder) and prints the snapshot's keys, then every change
//! the master streams, one line each.
//!
//! ```text
//! cdc_tap <host> <port> [--max-changes N] [--masterauth PASS]
//! snapshot <db> <type> <key>
//! synced <replid> <offset> <keys>
//! change <db> <COMMAND> <args...>      (SELECT and PINGs are folded away)
//! ```
//!
//! Blocking std I/O keeps it small; it acknowledges its offset every second as a
//! replica must (REPLCONF ACK), so the master keeps it online.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_replication::{
    command, split_line, BulkHeader, Handshake, HandshakeConfig, Payload, Progress, PsyncReply,
};
use ferrodis_resp::{CommandDecoder, Limits};

fn main() {
    if let Err(e) = run() {
        eprintln!("cdc_tap: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(host), Some(port)) = (args.first(), args.get(1)) else {
        return Err("usage: cdc_tap <host> <port> [--max-changes N] [--masterauth PASS]".into());
    };
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let max_changes: Option<u64> = option("--max-changes").and_then(|n| n.parse().ok());
    let mut stream =
        TcpStream::connect(format!("{host}:{port}")).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    let config = HandshakeConfig {
        auth: option("--masterauth").map(|p| (None, p)),
        listening_port: 0,
        ..HandshakeConfig::default()
    };
    let (mut handshake, first) = Handshake::start(config);
    send(&mut stream, &first)?;
    let mut buf = BytesMut::new();
    let reply = loop {
        let line = read_line(&mut stream, &mut buf)?;
        match handshake.on_line(&line).map_err(|e| e.to_string())? {
            Progress::Send(bytes) => send(&mut stream, &bytes)?,
            Progress::Wait => {}
            Progress::Done(reply) => break reply,
        }
    };
    let PsyncReply::FullResync { replid, offset } = reply else {
        return Err("expected a full resync".into());
    };
    let header = loop {
        let line = read_line(&mut stream, &mut buf)?;
        if let Some(h) = BulkHeader::parse(&line).map_err(|e| e.to_string())? {
            break h;
        }
    };
    let mut payload = Payload::new(header);
    let mut rdb = Vec::new();
    loop {
        let pushed = payload.push(&buf, &mut rdb);
        let _ = buf.split_to(pushed.consumed);
        if pushed.done {
            break;
        }
        fill(&mut stream, &mut buf)?;
    }
    let mut keys = 0;
    let mut decoder = ferrodis_rdb::Decoder::new(&rdb[..]);
    while let Some(item) = decoder.next_item().map_err(|e| e.to_string())? {
        if let ferrodis_rdb::Item::Key(k) = item {
            keys += 1;
            println!(
                "snapshot {} {} {}",
                k.db,
                k.value.type_name(),
                String::from_utf8_lossy(&k.key)
            );
        }
    }
    println!("synced {replid} {offset} {keys}");
    stream_changes(&mut stream, buf, offset, max_changes)
}

/// Prints the stream's commands, acknowledging the offset every second.
fn stream_changes(
    stream: &mut TcpStream,
    mut buf: BytesMut,
    mut offset: u64,
    max_changes: Option<u64>,
) -> Result<(), String> {
    let mut decoder = CommandDecoder::new(Limits::default());
    let (mut db, mut changes) = (0usize, 0u64);
    let mut last_ack = Instant::now() - Duration::from_secs(1);
    loop {
        if last_ack.elapsed() >= Duration::from_secs(1) {
            let mut ack = Vec::new();
            command(
                &mut ack,
                &[b"REPLCONF", b"ACK", offset.to_string().as_bytes()],
            );
            send(stream, &ack)?;
            last_ack = Instant::now();
        }
        loop {
            let before = buf.len();
            let Some(argv) = decoder.decode(&mut buf).map_err(|e| e.to_string())? else {
                offset += (before - buf.len()) as u64;
                break;
            };
            offset += (before - buf.len()) as u64;
            let words: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            match words[0].to_ascii_uppercase().as_str() {
                "SELECT" => db = words.get(1).and_then(|d| d.parse().ok()).unwrap_or(0),
                "PING" | "REPLCONF" => {}
                _ => {
                    println!("change {db} {}", words.join(" "));
                    changes += 1;
                    if max_changes.is_some_and(|m| changes >= m) {
                        return Ok(());
                    }
                }
            }
        }
        let _ = std::io::stdout().flush();
        match fill(stream, &mut buf) {
            Ok(()) => {}
            Err(e) if e == "timeout" => {}
            Err(e) => return Err(e),
        }
    }
}

fn send(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream.write_all(bytes).map_err(|e| format!("write: {e}"))
}

/// Reads more bytes; "timeout" after a second without any.
fn fill(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(), String> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk) {
        Ok(0) => Err("the master closed the connection".into()),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err("timeout".into())
        }
        Err(e) => Err(format!("read: {e}")),
    }
}

fn read_line(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<Vec<u8>, String> {
    loop {
        if let Some((line, used)) = split_line(buf) {
            let line = line.to_vec();
            let _ = buf.split_to(used);
            return Ok(line);
        }
        match fill(stream, buf) {
            Ok(()) => {}
            Err(e) if e == "timeout" => {}
            Err(e) => return Err(e),
        }
    }
}
