//! Build a server from the crates: run `ferrodis_server::run` on your own listener,
//! talk to it with a RESP client written with `ferrodis-resp`, then shut it down.
//!
//! Run: `cargo run -p ferrodis-examples --bin custom_server`

use bytes::BytesMut;
use ferrodis_resp::{encode_command, Decoder, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Any listener works: here an ephemeral loopback port.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // The defaults of redis-server, overridden like `--databases 4` on its command
    // line; `--save ""` because redis-server's default save rules would write a
    // dump.rdb into the current directory at shutdown.
    let args = ["--databases", "4", "--save", ""].map(String::from);
    let ferrodis_server::Startup::Run(config) = ferrodis_server::Config::from_args(&args)? else {
        return Err("not a server command line".into());
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ferrodis_server::run(vec![listener], config, async {
        let _ = stop_rx.await;
    }));

    let mut stream = TcpStream::connect(addr).await?;
    for cmd in [
        &["SET", "greeting", "hello"][..],
        &["GET", "greeting"],
        &["CONFIG", "GET", "databases"],
    ] {
        let reply = request(&mut stream, cmd).await?;
        println!("{} -> {:?}", cmd.join(" "), reply);
    }

    let _ = stop_tx.send(());
    server.await?;
    Ok(())
}

/// Send one command and read one reply frame.
async fn request(
    stream: &mut TcpStream,
    cmd: &[&str],
) -> Result<Frame, Box<dyn std::error::Error>> {
    let mut out = BytesMut::new();
    encode_command(cmd, &mut out);
    stream.write_all(&out).await?;
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        if let Some(frame) = decoder.decode(&mut buf)? {
            return Ok(frame);
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Err("connection closed".into());
        }
    }
}
