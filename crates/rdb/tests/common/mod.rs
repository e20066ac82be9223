//! A real redis-server 7.0 for interop tests: started on a free port in its
//! own directory (optionally with an RDB file to load), killed by PID on drop,
//! and a minimal RESP2 client; and [`normalize`], for comparing decoded values.
#![allow(clippy::unwrap_used, dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A reply, as much of RESP2 as the tests need.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    /// The bulk string's bytes (panics on anything else).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            other => panic!("not a bulk string: {other:?}"),
        }
    }

    /// The integer (panics on anything else).
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
}

pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Sends a command; an error reply panics.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Reply {
        let reply = self.try_cmd(args);
        if let Reply::Error(e) = &reply {
            let shown: Vec<String> = args
                .iter()
                .map(|a| String::from_utf8_lossy(&a[..a.len().min(40)]).into_owned())
                .collect();
            panic!("{shown:?}: {e}");
        }
        reply
    }

    /// Sends a command and returns whatever comes back.
    pub fn try_cmd(&mut self, args: &[&[u8]]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.reader.get_mut().write_all(&out).unwrap();
        self.read()
    }

    pub fn s(&mut self, args: &[&str]) -> Reply {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.cmd(&args)
    }

    fn read(&mut self) -> Reply {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).unwrap();
        assert!(line.len() >= 3, "connection closed: {line:?}");
        let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Int(text.parse().unwrap()),
            b'$' => {
                let len: i64 = text.parse().unwrap();
                if len < 0 {
                    return Reply::Bulk(None);
                }
                let mut buf = vec![0; len as usize + 2];
                std::io::Read::read_exact(&mut self.reader, &mut buf).unwrap();
                buf.truncate(len as usize);
                Reply::Bulk(Some(buf))
            }
            b'*' => {
                let n: i64 = text.parse().unwrap();
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            other => panic!("unexpected reply byte {other}"),
        }
    }
}

/// A real redis-server, killed by PID when dropped, with its own directory.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    pub dir: PathBuf,
}

impl Server {
    /// A server with an empty directory.
    pub fn start() -> Server {
        Server::start_with(None, &["--maxmemory-policy", "allkeys-lru"])
    }

    /// A server that loads `rdb` (as `dump.rdb` in its directory) at start-up,
    /// with `extra` arguments. Panics with Redis's log if it does not come up
    /// (Redis exits when it cannot load the file).
    pub fn start_with(rdb: Option<&[u8]>, extra: &[&str]) -> Server {
        let exe = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!(
                    "redis-server not found: this test checks RDB files against the real Redis 7.0. \
                     Install it with `apt-get install -y redis-server redis-tools`"
                )
            });
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!(
            "ferrodis-rdb-interop-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(rdb) = rdb {
            std::fs::write(dir.join("dump.rdb"), rdb).unwrap();
        }
        let log = dir.join("redis.log");
        let mut child = Command::new(exe)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", dir.to_str().unwrap(), "--dbfilename", "dump.rdb"])
            .args(["--logfile", log.to_str().unwrap(), "--daemonize", "no"])
            .args(["--enable-debug-command", "yes"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("redis-server exited ({status}):\n{log}");
            }
            // -LOADING while the file is being read; a reset if loading fails.
            if ping(addr).is_ok_and(|reply| reply.starts_with(b"+PONG")) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Server { child, addr, dir }
    }

    pub fn client(&self) -> Client {
        Client {
            reader: BufReader::new(TcpStream::connect(self.addr).unwrap()),
        }
    }

    /// Redis's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }
}

/// One PING on a fresh connection, without panicking on I/O errors.
fn ping(addr: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"PING\r\n")?;
    let mut line = Vec::new();
    BufReader::new(stream).read_until(b'\n', &mut line)?;
    Ok(line)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `value` with the order of unordered collections fixed (sets and hash fields
/// sorted, sorted-set members by name), so decoded values compare equal to what
/// was written whatever order the file holds them in.
pub fn normalize(value: &ferrodis_rdb::Value) -> ferrodis_rdb::Value {
    use ferrodis_rdb::Value;
    match value {
        Value::Set(m) => {
            let mut m = m.clone();
            m.sort();
            Value::Set(m)
        }
        Value::Hash(h) => {
            let mut h = h.clone();
            h.sort();
            Value::Hash(h)
        }
        Value::HashWithTtl(h) => {
            let mut h = h.clone();
            h.sort_by(|a, b| a.field.cmp(&b.field));
            Value::HashWithTtl(h)
        }
        Value::SortedSet(z) => {
            let mut z = z.clone();
            z.sort_by(|a, b| a.0.cmp(&b.0));
            Value::SortedSet(z)
        }
        other => other.clone(),
    }
}
