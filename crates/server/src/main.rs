//! The `ferrodis-server` binary: redis-server's command line, then [`ferrodis_server::run`].

use std::process::ExitCode;

use ferrodis_server::config::{usage, version};
use ferrodis_server::{
    bind_all, Config, CountingAlloc, Signals, Startup, FERRODIS_VERSION, REDIS_VERSION,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_args(&args) {
        Ok(Startup::Run(config)) => config,
        Ok(Startup::Version) => {
            println!("{}", version());
            return ExitCode::SUCCESS;
        }
        Ok(Startup::Help) => {
            // redis-server prints its usage to stderr and exits 1.
            eprint!("{}", usage());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("\n{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) =
        ferrodis_server::log::init(config.get_str("loglevel"), config.get_str("logfile"))
    {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    tracing::warn!("oO0OoO0OoO0Oo ferrodis is starting oO0OoO0OoO0Oo");
    tracing::warn!(
        "ferrodis version={FERRODIS_VERSION}, Redis compatibility={REDIS_VERSION}, bits={}, pid={}, just started",
        usize::BITS,
        std::process::id()
    );
    match config.config_file() {
        Some(path) => tracing::info!("Configuration file: {}", path.display()),
        None => tracing::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use ferrodis-server /path/to/redis.conf"
        ),
    }
    tracing::warn!("Configuration loaded");
    for (name, value) in config.unimplemented_non_defaults() {
        tracing::warn!("Config '{name} {value}' is accepted but not implemented yet by ferrodis; it has no effect.");
    }
    let maxmemory = config.get_u64("maxmemory");
    if maxmemory > 0 && maxmemory < 1024 * 1024 {
        tracing::warn!("WARNING: You specified a maxmemory value that is less than 1MB (current value is {maxmemory} bytes). Are you sure this is what you really want?");
    }
    let dir = config.dir().to_path_buf();
    if let Err(e) = std::env::set_current_dir(&dir) {
        tracing::warn!("Can't chdir to '{}': {e}", dir.display());
        return ExitCode::FAILURE;
    }
    // Redis 7 writes the pid file whenever `pidfile` is set, and removes it on exit.
    // After the chdir, as in Redis, a relative path is inside `dir`; kept absolute so
    // the removal at exit finds it even after CONFIG SET dir.
    let pidfile = Some(config.get_str("pidfile"))
        .filter(|p| !p.is_empty())
        .map(|p| dir.join(p));
    if let Some(path) = &pidfile {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            tracing::warn!("Failed to write PID file: {e}");
        }
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads(&config))
        .thread_name("ferrodis-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!("Failed creating the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = config.port();
    if port == 0 {
        // In Redis port 0 means "unix socket only"; ferrodis has no unix socket yet.
        tracing::warn!(
            "port 0 would leave no way to connect: ferrodis has no unix socket support yet"
        );
        return ExitCode::FAILURE;
    }
    let _context = runtime.enter();
    let listeners = match bind_all(
        &config.bind(),
        port,
        config.get_int("tcp-backlog").max(1) as u32,
    ) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("Failed listening on port {port} (tcp), aborting: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        let mut tokio_listeners = Vec::new();
        for l in listeners {
            match tokio::net::TcpListener::from_std(l) {
                Ok(l) => tokio_listeners.push(l),
                Err(e) => {
                    tracing::warn!("Failed listening on port {port} (tcp), aborting: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        tracing::info!("Running mode=standalone, port={port}.");
        tracing::warn!("Server initialized");
        // Install the handlers before serving: a SIGTERM right after "Ready to accept
        // connections" must shut down gracefully, not kill the process.
        let signals = match Signals::install() {
            Ok(signals) => signals,
            Err(e) => {
                tracing::warn!("Could not install signal handlers: {e}");
                return ExitCode::FAILURE;
            }
        };
        if ferrodis_server::try_run_with_signals(tokio_listeners, config, signals)
            .await
            .is_err()
        {
            // Logged already; Redis exits with status 1 when it cannot load.
            return ExitCode::FAILURE;
        }
        tracing::warn!("ferrodis is now ready to exit, bye bye...");
        ExitCode::SUCCESS
    });
    if let Some(path) = &pidfile {
        tracing::info!("Removing the pid file.");
        let _ = std::fs::remove_file(path);
    }
    code
}

/// Tokio worker threads: Redis's `io-threads` (default 1, like redis-server's single
/// main thread). ARCHITECTURE.md has the measurements behind that default.
fn worker_threads(config: &Config) -> usize {
    config.get_int("io-threads").clamp(1, 128) as usize
}
