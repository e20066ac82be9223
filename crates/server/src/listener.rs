//! Binding the configured addresses and accepting connections.

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::connection;
use crate::shared::Shared;

/// Bind every `bind` address on `port`, like Redis: an address written `-addr` is
/// optional (skipped when it cannot be bound, e.g. `::1` without IPv6); a required one
/// that fails is an error. Uses tokio's socket API for `tcp-backlog`, so it must run
/// inside a tokio runtime context (`Runtime::enter`). Returns std listeners, non-blocking,
/// ready for `TcpListener::from_std`.
pub fn bind_all(addresses: &[String], port: u16, backlog: u32) -> io::Result<Vec<StdListener>> {
    let mut listeners = Vec::new();
    for addr in addresses {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let result = host
            .parse::<std::net::IpAddr>()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{host}: {e}")))
            .and_then(|ip| bind_one(SocketAddr::new(ip, port), backlog));
        match result {
            Ok(l) => listeners.push(l),
            Err(e) if optional => tracing::debug!("Skipping optional address {host}:{port}: {e}"),
            Err(e) => {
                tracing::warn!(
                    "Warning: Could not create server TCP listening socket {host}:{port}: {e}"
                );
                return Err(e);
            }
        }
    }
    if listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no address could be bound",
        ));
    }
    Ok(listeners)
}

fn bind_one(addr: SocketAddr, backlog: u32) -> io::Result<StdListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(backlog)?;
    listener.into_std()
}

/// Accept connections on `listener` until the task is dropped.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => accept(stream, addr, &shared).await,
            Err(e) => {
                // EMFILE and friends: Redis logs and keeps serving the clients it has.
                tracing::warn!("Accepting client connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

async fn accept(mut stream: TcpStream, addr: SocketAddr, shared: &Arc<Shared>) {
    shared.stats.connections_received.inc();
    let (settings, _) = shared.settings();
    if shared.clients.len() as u64 >= settings.maxclients {
        // Like Redis's acceptCommonHandler: reply and close; the write may fail.
        shared.stats.rejected_connections.inc();
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    }
    if protected_mode_denies(&settings, addr.ip()) {
        shared.stats.rejected_connections.inc();
        let _ = stream.write_all(PROTECTED_MODE_DENIED).await;
        return;
    }
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = raw_fd(&stream);
    if settings.tcp_keepalive > 0 {
        if let Err(e) = crate::sys::set_keepalive(fd, settings.tcp_keepalive) {
            tracing::debug!("Could not set TCP keepalive for {addr}: {e}");
        }
    }
    let client = shared.clients.register(addr, laddr, fd);
    tracing::debug!("Accepted {addr}");
    let task = tokio::spawn(connection::serve(stream, shared.clone(), client.clone()));
    client.set_task(task.abort_handle());
}

/// Redis 7.0's protected mode: with `protected-mode yes` and no password for the
/// default user, only loopback clients are served.
fn protected_mode_denies(settings: &crate::shared::Settings, ip: std::net::IpAddr) -> bool {
    settings.protected_mode && settings.requirepass.is_none() && !ip.is_loopback()
}

#[cfg(unix)]
fn raw_fd(stream: &TcpStream) -> i32 {
    use std::os::fd::AsRawFd;
    stream.as_raw_fd()
}

#[cfg(not(unix))]
fn raw_fd(_stream: &TcpStream) -> i32 {
    -1
}

/// Redis 7.0's reply to a non-loopback client in protected mode (`networking.c`,
/// `clientAcceptHandler`), with ferrodis's command line.
const PROTECTED_MODE_DENIED: &[u8] =
    b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis you \
may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable \
the protected mode by editing the Redis configuration file, and setting the protected mode option \
to 'no', and then restarting the server. 3) If you started the server manually just for testing, \
restart it with the '--protected-mode no' option. 4) Set up an authentication password for the \
default user. NOTE: You only need to do one of the above things in order for the server to start \
accepting connections from the outside.\r\n";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn optional_addresses_are_skipped() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let _guard = rt.enter();
        // 192.0.2.1 (TEST-NET-1) is never a local address, so binding it fails.
        let l = bind_all(&["127.0.0.1".into(), "-192.0.2.1".into()], 0, 16).unwrap();
        assert_eq!(l.len(), 1);
        assert!(bind_all(&["192.0.2.1".into()], 0, 16).is_err());
    }

    #[test]
    fn protected_mode_only_admits_loopback_without_a_password() {
        let config = crate::config::Config::default();
        let mut settings = crate::shared::Settings::from_config(&config);
        let lan: std::net::IpAddr = "10.1.2.3".parse().unwrap();
        assert!(protected_mode_denies(&settings, lan));
        assert!(!protected_mode_denies(
            &settings,
            "127.0.0.1".parse().unwrap()
        ));
        assert!(!protected_mode_denies(&settings, "::1".parse().unwrap()));
        settings.requirepass = Some(bytes::Bytes::from_static(b"pw"));
        assert!(!protected_mode_denies(&settings, lan));
        settings.requirepass = None;
        settings.protected_mode = false;
        assert!(!protected_mode_denies(&settings, lan));
    }
}
