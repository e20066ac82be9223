//! Process and machine figures for INFO: RSS, CPU time, total memory, OS name.
#![allow(unsafe_code)]

/// Resident set size in bytes, from `/proc/self/status` (0 where unavailable).
pub fn rss_bytes() -> u64 {
    proc_status_kb("/proc/self/status", "VmRSS:") * 1024
}

/// Total physical memory in bytes, from `/proc/meminfo`.
pub fn total_memory_bytes() -> u64 {
    proc_status_kb("/proc/meminfo", "MemTotal:") * 1024
}

fn proc_status_kb(path: &str, field: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (system, user) of this process and of its waited-for children.
pub fn cpu_times() -> ((f64, f64), (f64, f64)) {
    (rusage(libc::RUSAGE_SELF), rusage(libc::RUSAGE_CHILDREN))
}

fn rusage(who: libc::c_int) -> (f64, f64) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a plain-data struct into the pointer we own; on failure
    // it leaves it untouched, and the zeroed value is a valid rusage.
    let ru = unsafe {
        libc::getrusage(who, ru.as_mut_ptr());
        ru.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_stime), secs(ru.ru_utime))
}

/// `Linux 6.1.0 x86_64`, like Redis's `os` field (uname sysname, release, machine).
pub fn os_name() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

/// Redis's `bytesToHuman`: 1023B, 1.00K, 3.50M, ...
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    const UNITS: [(f64, &str); 5] = [
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0, "M"),
        (1024.0, "K"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.2}{unit}", n / size);
        }
    }
    format!("{}B", n as u64)
}

/// TCP keepalive like Redis's `anetKeepAlive`: probes after `interval` idle seconds,
/// then every `interval / 3` seconds, giving up after 3 unanswered probes.
pub fn set_keepalive(fd: i32, interval: u32) -> std::io::Result<()> {
    let idle = interval.max(1) as libc::c_int;
    let intvl = (interval / 3).max(1) as libc::c_int;
    set_sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1)?;
    set_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle)?;
    set_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, intvl)?;
    set_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)
}

fn set_sockopt(
    fd: i32,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> std::io::Result<()> {
    // SAFETY: setsockopt reads `size_of::<c_int>()` bytes from a live local; a bad fd
    // is reported as an error, not undefined behaviour.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Read back an integer socket option (for tests).
#[cfg(test)]
fn get_sockopt(fd: i32, level: libc::c_int, name: libc::c_int) -> libc::c_int {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into the local it points to.
    unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    value
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_options_are_set() {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let fd = stream.as_raw_fd();
        set_keepalive(fd, 300).unwrap();
        assert_eq!(get_sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
        assert_eq!(get_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 300);
        assert_eq!(get_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 100);
        assert_eq!(get_sockopt(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 3);
    }

    #[test]
    fn human() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(916_944), "895.45K");
        assert_eq!(human_bytes(11_972_608), "11.42M");
    }

    #[test]
    fn process_figures_are_read() {
        assert!(rss_bytes() > 0);
        assert!(total_memory_bytes() > rss_bytes());
        let ((sys, user), _) = cpu_times();
        assert!(sys >= 0.0 && user >= 0.0);
    }
}
