//! Test support: a ferrodis server running in-process, a real redis-server started
//! for differential checks, and a raw RESP client.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferrodis_resp::{encode_command, Decoder, Frame, Limits};

/// A ferrodis server on an ephemeral loopback port, in its own runtime thread.
/// Stopped when dropped.
pub struct Ferrodis {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ferrodis {
    /// Start with redis-server style arguments, e.g. `["--requirepass", "x"]`.
    pub fn start(args: &[&str]) -> Ferrodis {
        // No save rules unless the test sets some (Redis's defaults would write
        // dump.rdb into the working directory at shutdown); a later `--save`
        // replaces this one.
        let args: Vec<String> = ["--save", ""]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect();
        let config = match ferrodis_server::Config::from_args(&args) {
            Ok(ferrodis_server::Startup::Run(config)) => config,
            other => panic!("bad test config {args:?}: {other:?}"),
        };
        let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                ferrodis_server::run(vec![listener], config, async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        let server = Ferrodis {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        };
        server.wait_loaded();
        server
    }

    /// Waits out the start-up load: until then commands get `-LOADING` (the
    /// listener accepts from the start). Returns early if the server does not
    /// answer at all (a start-up failure the test looks for).
    fn wait_loaded(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Ok(mut stream) = TcpStream::connect(self.addr) else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
            let mut reply = [0u8; 8];
            if stream.write_all(b"PING\r\n").is_err() || stream.read(&mut reply).is_err() {
                return;
            }
            if !reply.starts_with(b"-LOADING") {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// Whether `run` returned (SHUTDOWN) within `timeout`.
    pub fn stopped_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Ferrodis {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Run `cases` generated command sequences through `run` against both servers, on one
/// connection to each (proptest's runner wants an `Fn`, so they live in a RefCell),
/// panicking with proptest's minimal failing case.
pub fn check_sequences<S: proptest::strategy::Strategy>(
    ferrodis: &Ferrodis,
    redis: &RealRedis,
    cases: u32,
    strategy: S,
    run: impl Fn(&mut Client, &mut Client, S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) {
    let clients = std::cell::RefCell::new((ferrodis.client(), redis.client()));
    let config = proptest::test_runner::Config {
        cases,
        ..proptest::test_runner::Config::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&strategy, |value| {
        let (ours, theirs) = &mut *clients.borrow_mut();
        run(ours, theirs, value)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A free loopback port (bound then released; good enough for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Path of a tool from Debian's redis-server / redis-tools, or a panic that says how
/// to install it: tests that compare with the real thing never pass silently.
pub fn redis_tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin"] {
        let p = format!("{dir}/{name}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!(
        "{name} not found: these tests compare ferrodis with the real Redis 7.0. \
         Install it with `apt-get install -y redis-server redis-tools` (the README's \
         test command, scripts/test.sh, does this)"
    );
}

/// A real redis-server on a free loopback port, killed (by PID) when dropped.
pub struct RealRedis {
    pub addr: SocketAddr,
    child: Child,
    _dir: TempDir,
}

impl RealRedis {
    /// Starts one on a port found free a moment before. Another test of the same
    /// binary may take that port first (its server binding port 0): then this
    /// redis-server exits, and the port answers for someone else. So the server
    /// must be ours (INFO's process_id), else it starts again on another port.
    pub fn start(extra: &[&str]) -> RealRedis {
        let dir = TempDir::new("redis");
        for _ in 0..10 {
            let port = free_port();
            let mut child = Command::new(redis_tool("redis-server"))
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args([
                    "--dir",
                    dir.path.to_str().unwrap(),
                    "--daemonize",
                    "no",
                    "--logfile",
                    "",
                ])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            if serves_as(addr, &mut child) {
                return RealRedis {
                    addr,
                    child,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server never started on a port of its own");
    }

    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `child` (a redis-server) answers on `addr`: false if it exits
/// first or another process answers there.
pub fn serves_as(addr: SocketAddr, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            if stream.write_all(b"INFO server\r\n").is_err() {
                return false;
            }
            // Read until the process_id line is complete (or the peer stops).
            let mut info = Vec::new();
            let mut chunk = [0u8; 4096];
            let pid = loop {
                let text = String::from_utf8_lossy(&info).into_owned();
                if text.starts_with("-NOAUTH") {
                    // requirepass: no INFO; ours if it is still running.
                    std::thread::sleep(Duration::from_millis(50));
                    return child.try_wait().ok().flatten().is_none();
                }
                if let Some(rest) = text.split("process_id:").nth(1) {
                    if let Some((pid, _)) = rest.split_once("\r\n") {
                        break pid.trim().parse::<u32>().ok();
                    }
                }
                match stream.read(&mut chunk) {
                    Ok(n) if n > 0 => info.extend_from_slice(&chunk[..n]),
                    _ => break None,
                }
            };
            return pid == Some(child.id());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Poll until something accepts connections on `addr` (10 s at most).
pub fn wait_for_port(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nothing listening on {addr}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A directory removed when dropped.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ferrodis-test-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What came back on a connection: frames, then whether the server closed it.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub frames: Vec<Frame>,
    pub closed: bool,
}

/// A blocking RESP client for tests.
pub struct Client {
    pub stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(Limits::default()),
        }
    }

    /// Send a command, return its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Frame {
        let mut out = BytesMut::new();
        encode_command(args, &mut out);
        self.stream.write_all(&out).unwrap();
        self.read_frame().expect("a reply")
    }

    /// Send raw bytes.
    pub fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).unwrap();
    }

    /// The next frame, or None if the connection closed first.
    pub fn read_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.decoder.decode(&mut self.buf).unwrap() {
                return Some(f);
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Read frames until the server closes the connection or stays quiet for
    /// `quiet` (then `closed` is false).
    pub fn outcome(&mut self, quiet: Duration) -> Outcome {
        self.stream.set_read_timeout(Some(quiet)).unwrap();
        let mut frames = Vec::new();
        let closed = loop {
            if let Some(f) = self.decoder.decode(&mut self.buf).unwrap() {
                frames.push(f);
                continue;
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => break true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break false
                }
                Err(_) => break true,
            }
        };
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Outcome { frames, closed }
    }
}

/// The text of a bulk/verbatim/simple reply.
pub fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Verbatim { data, .. } => String::from_utf8_lossy(data).into_owned(),
        other => panic!("not a string reply: {other:?}"),
    }
}
