//! Tests of config loading: files, includes, the command line, Redis's messages.
use super::*;
use crate::config::{scratch_dir, ClientClass};

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn run(v: &[&str]) -> Result<Config, ConfigError> {
    run_with_stdin(v, "")
}

fn run_with_stdin(v: &[&str], stdin: &str) -> Result<Config, ConfigError> {
    match Config::from_args_with_stdin(&args(v), &mut stdin.as_bytes())? {
        Startup::Run(config) => Ok(config),
        other => panic!("expected a config, got {other:?}"),
    }
}

fn line_error(text: &str) -> (usize, String, String) {
    match Config::from_text(text) {
        Err(ConfigError::Line {
            line,
            text,
            message,
            ..
        }) => (line, text, message),
        other => panic!("expected a line error for {text:?}, got {other:?}"),
    }
}

#[test]
fn comments_blanks_case_and_quotes() {
    let c = Config::from_text(
        "# comment\n\n   \n  PORT 6380  \r\nRequirePass \"a b\\x41\"\n  # indented comment\nloglevel 'warning'\n",
    )
    .expect("valid config");
    assert_eq!(c.port(), 6380);
    assert_eq!(c.get_str("requirepass"), "a bA");
    assert_eq!(c.get_str("loglevel"), "warning");
    assert_eq!(c.config_file(), None);
}

#[test]
fn later_lines_override_earlier_ones() {
    let c = Config::from_text("maxmemory 1mb\nmaxmemory 2MB\nslave-read-only no\n").expect("valid");
    assert_eq!(c.get_u64("maxmemory"), 2 * 1024 * 1024);
    assert!(!c.get_bool("replica-read-only"));
}

#[test]
fn redis_error_messages() {
    let cases = [
        ("foo bar", "Bad directive or wrong number of arguments"),
        ("port 1 2", "wrong number of arguments"),
        ("port", "wrong number of arguments"),
        ("port abc", "argument couldn't be parsed into an integer"),
        (
            "port 70000",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "maxclients 0",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        (
            "unixsocketperm 1000",
            "argument must be between 0 and 777 inclusive",
        ),
        (
            "unixsocketperm 9",
            "argument couldn't be parsed as an octal number",
        ),
        ("maxmemory 1xb", "argument must be a memory value"),
        (
            "maxmemory-clients 1x",
            "argument must be a memory or percent value",
        ),
        (
            "maxmemory-clients 200%",
            "percentage argument must be less or equal to 100",
        ),
        ("protected-mode maybe", "argument must be 'yes' or 'no'"),
        ("port \"abc", "Unbalanced quotes in configuration line"),
        ("port \"12\"x", "Unbalanced quotes in configuration line"),
        ("save 1", "Invalid save parameters"),
        ("save 0 1", "Invalid save parameters"),
        ("save 1 -1", "Invalid save parameters"),
        ("save 10 x", "Invalid save parameters"),
        ("dir /nonexistent-ferrodis-dir", "No such file or directory"),
        ("replicaof a b", "Invalid master port"),
        ("replicaof a 70000", "Invalid master port"),
        ("replicaof a", "wrong number of arguments"),
        (
            "client-output-buffer-limit master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit normal 1 2 -1",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "notify-keyspace-events Q",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        (
            "oom-score-adj-values 1 2 3000",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
        ),
        (
            "dbfilename a/b",
            "dbfilename can't be a path, just a filename",
        ),
        (
            "appendfilename a/b",
            "appendfilename can't be a path, just a filename",
        ),
        ("appendfilename \"\"", "appendfilename can't be empty"),
        (
            "appenddirname a/b",
            "appenddirname can't be a path, just a dirname",
        ),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "shutdown-on-sigint save nosave",
            "shutdown options SAVE and NOSAVE can't be used simultaneously",
        ),
        (
            "latency-tracking-info-percentiles 101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        (
            "latency-tracking-info-percentiles x",
            "Invalid latency-tracking-info-percentiles parameters",
        ),
        (
            "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
            "Too many bind addresses specified.",
        ),
        (
            "proc-title-template \"{nope}\"",
            "template format is invalid or contains unknown variables",
        ),
        (
            "cluster-announce-hostname a_b",
            "Hostnames may only contain alphanumeric characters, hyphens or dots",
        ),
        (
            "sentinel monitor x",
            "sentinel directive while not in sentinel mode",
        ),
        ("user", "Bad directive or wrong number of arguments"),
        ("a.b", "Module config specified without value"),
        ("a.b 1", "module configs are not supported by ferrodis"),
        (
            "rename-command FLUSHALL \"\"",
            "rename-command is not supported by ferrodis",
        ),
        (
            "user alice on >pw",
            "ACL users ('user' lines) are not supported by ferrodis",
        ),
        (
            "loadmodule /x.so",
            "modules (loadmodule) are not supported by ferrodis",
        ),
        ("include", "Bad directive or wrong number of arguments"),
    ];
    for (text, want) in cases {
        let (line, shown, message) = line_error(&format!("# first\n{text}"));
        assert_eq!(
            (line, shown.as_str(), message.as_str()),
            (2, text, want),
            "{text}"
        );
    }
}

#[test]
fn deprecated_and_bare_sentinel_lines_are_ignored() {
    let c = Config::from_text("list-max-ziplist-entries 5\nlua-replicate-commands yes\nsentinel\n");
    assert!(c.is_ok());
    assert!(Config::from_text("list-max-ziplist-value").is_err());
}

#[test]
fn save_lines_accumulate_after_the_first() {
    let c = Config::from_text("port 1").expect("valid");
    assert_eq!(c.save_rules(), vec![(3600, 1), (300, 100), (60, 10000)]);
    let c = Config::from_text("save 10 1\nsave 20 2 30 3").expect("valid");
    assert_eq!(c.save_rules(), vec![(10, 1), (20, 2), (30, 3)]);
    let c = Config::from_text("save 10 1\nsave \"\"\nsave 40 4").expect("valid");
    assert_eq!(c.save_rules(), vec![(40, 4)]);
    let c = Config::from_text("save \"60 1 300 10\"").expect("valid");
    assert_eq!(c.save_rules(), vec![(60, 1), (300, 10)]);
    let c = Config::from_text("save \"\"").expect("valid");
    assert_eq!(c.get("save").as_deref(), Some(""));
}

#[test]
fn output_buffer_limits_set_only_the_named_classes() {
    let c = Config::from_text(
        "client-output-buffer-limit normal 1mb 2k 3\nclient-output-buffer-limit PUBSUB 1 2 3 slave 4 5 6",
    )
    .expect("valid");
    let limit = |class| c.client_output_buffer_limit(class);
    assert_eq!(
        limit(ClientClass::Normal),
        ObufLimit {
            hard: 1 << 20,
            soft: 2000,
            soft_seconds: 3
        }
    );
    assert_eq!(
        limit(ClientClass::Replica),
        ObufLimit {
            hard: 4,
            soft: 5,
            soft_seconds: 6
        }
    );
    assert_eq!(
        limit(ClientClass::Pubsub),
        ObufLimit {
            hard: 1,
            soft: 2,
            soft_seconds: 3
        }
    );
    assert_eq!(
        c.get("client-output-buffer-limit").as_deref(),
        Some("normal 1048576 2000 3 slave 4 5 6 pubsub 1 2 3")
    );
}
use crate::config::ObufLimit;

#[test]
fn command_line_like_redis_server() {
    let dir = scratch_dir("cmdline");
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "port 7000\nsave 10 1\nrequirepass secret\n").expect("write");
    let path = conf.to_string_lossy().into_owned();
    let c = run(&[
        &path,
        "--port",
        "6380",
        "--save",
        "",
        "--bind",
        "127.0.0.1",
        "::1",
    ])
    .expect("valid");
    assert_eq!(c.config_file(), Some(conf.as_path()));
    assert_eq!(c.port(), 6380);
    assert!(c.save_rules().is_empty());
    assert_eq!(c.bind(), vec!["127.0.0.1", "::1"]);
    assert_eq!(c.get_str("requirepass"), "secret");
    // `--save` followed by another option, or last, means `save ""`.
    let c = run(&["--save", "--port", "1"]).expect("valid");
    assert!(c.save_rules().is_empty());
    assert_eq!(c.port(), 1);
    assert!(run(&["--save"]).expect("valid").save_rules().is_empty());
    // A value may start with "--" when the option has no value yet.
    let c = run(&["--requirepass", "--x", "--maxmemory", "1mb"]).expect("valid");
    assert_eq!(c.get_str("requirepass"), "--x");
    assert_eq!(c.get_u64("maxmemory"), 1 << 20);
    // "--name value" in one argument, and multi-word values.
    let c = run(&[
        "--port 6390",
        "--replicaof",
        "10.0.0.1",
        "6379",
        "--loglevel",
        "verbose",
    ])
    .expect("valid");
    assert_eq!(c.port(), 6390);
    assert_eq!(c.replicaof(), Some(("10.0.0.1".to_string(), 6379)));
    assert_eq!(c.get_str("loglevel"), "verbose");
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn command_line_errors() {
    match run(&["--port", "abc"]) {
        Err(ConfigError::Line {
            source,
            line,
            text,
            message,
        }) => {
            assert_eq!(source, ConfigSource::CommandLine);
            assert_eq!((line, text.as_str()), (1, "port \"abc\""));
            assert_eq!(message, "argument couldn't be parsed into an integer");
        }
        other => panic!("unexpected {other:?}"),
    }
    match run(&["--port", "1", "--foo"]) {
        Err(e @ ConfigError::Line { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("at line 2 (command line:2)\n>>> 'foo'\n"),
                "{text}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match run(&["/nonexistent-ferrodis/redis.conf"]) {
        Err(e @ ConfigError::Open { .. }) => assert_eq!(
            e.to_string(),
            "Fatal error, can't open config file '/nonexistent-ferrodis/redis.conf': No such file or directory"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        run(&["--port", "1", "--sentinel"]),
        Err(ConfigError::Unsupported { .. })
    ));
    assert!(matches!(
        run(&["--test-memory", "10"]),
        Err(ConfigError::Unsupported { .. })
    ));
}

#[test]
fn version_help_and_defaults() {
    let v = Config::from_args_with_stdin(&args(&["-v"]), &mut "".as_bytes());
    assert!(matches!(v, Ok(Startup::Version)));
    let v = Config::from_args_with_stdin(&args(&["--version"]), &mut "".as_bytes());
    assert!(matches!(v, Ok(Startup::Version)));
    let h = Config::from_args_with_stdin(&args(&["-h"]), &mut "".as_bytes());
    assert!(matches!(h, Ok(Startup::Help)));
    let h = Config::from_args_with_stdin(&args(&["--help"]), &mut "".as_bytes());
    assert!(matches!(h, Ok(Startup::Help)));
    assert!(version().contains("Redis 7.0.15 compatible"));
    assert!(usage().starts_with("Usage: ./ferrodis-server [/path/to/redis.conf] [options] [-]"));
    let c = run(&[]).expect("defaults");
    assert_eq!(c.port(), 6379);
    assert_eq!(c.config_file(), None);
}

#[test]
fn config_from_stdin() {
    let c = run_with_stdin(&["-"], "port 7001\nmaxmemory 1k\n").expect("valid");
    assert_eq!(c.port(), 7001);
    assert_eq!(c.get_u64("maxmemory"), 1000);
    let c = run_with_stdin(&["--port", "7002", "-"], "port 7001\ntimeout 5\n").expect("valid");
    assert_eq!((c.port(), c.get_int("timeout")), (7002, 5));
    match run_with_stdin(&["-"], "port x\n") {
        Err(ConfigError::Line {
            source: ConfigSource::Stdin,
            line: 1,
            ..
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn daemonize_yes_is_refused_unless_overridden() {
    match Config::from_text("daemonize yes") {
        Err(e @ ConfigError::Invalid { .. }) => {
            assert!(e.to_string().contains("ferrodis does not daemonize"), "{e}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let dir = scratch_dir("daemonize");
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "daemonize yes\n").expect("write");
    let path = conf.to_string_lossy().into_owned();
    let c = run(&[&path, "--daemonize", "no"]).expect("overridden");
    assert!(!c.get_bool("daemonize"));
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn post_load_checks() {
    let bad_log = "logfile /nonexistent-ferrodis-dir/x.log";
    match Config::from_text(bad_log) {
        Err(ConfigError::Invalid { message }) => {
            assert_eq!(
                message,
                "Can't open the log file: No such file or directory"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match Config::from_text("cluster-enabled yes\nreplicaof 127.0.0.1 6379") {
        Err(ConfigError::Invalid { message }) => {
            assert_eq!(message, "replicaof directive not allowed in cluster mode");
        }
        other => panic!("unexpected {other:?}"),
    }
    let c = Config::from_text("hz 0").expect("valid");
    assert_eq!(c.get_int("hz"), 1);
    let c = Config::from_text("hz 100000").expect("valid");
    assert_eq!(c.get_int("hz"), 500);
}

#[test]
fn includes_nested_relative_and_globbed() {
    let dir = scratch_dir("include");
    let sub = dir.join("conf.d");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(sub.join("10-a.conf"), "port 7010\ninclude inner.conf\n").expect("write");
    std::fs::write(sub.join("20-b.conf"), "timeout 20\n").expect("write");
    std::fs::write(sub.join("inner.conf"), "maxclients 11\n").expect("write");
    // `dir` moves the directory relative includes are read from, since
    // Redis chdir()s when it reads `dir`.
    let main = dir.join("main.conf");
    std::fs::write(
        &main,
        format!(
            "port 1\ndir {}\ninclude conf.d/[0-9]*.conf\ntimeout 5\n",
            dir.display()
        ),
    )
    .expect("write");
    // "include inner.conf" inside conf.d/ reads dir/inner.conf, not conf.d/inner.conf.
    std::fs::write(dir.join("inner.conf"), "maxclients 77\n").expect("write");
    let c = Config::from_file(&main).expect("valid");
    assert_eq!(
        (c.port(), c.get_int("timeout"), c.get_int("maxclients")),
        (7010, 5, 77)
    );
    assert_eq!(c.dir(), dir.as_path());
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn include_errors_name_the_included_file() {
    let dir = scratch_dir("include-err");
    let inc = dir.join("inc.conf");
    std::fs::write(&inc, "port 1\nfoo\n").expect("write");
    let main = dir.join("main.conf");
    std::fs::write(&main, format!("# x\ninclude {}\n", inc.display())).expect("write");
    match Config::from_file(&main) {
        Err(ConfigError::Line {
            source, line, text, ..
        }) => {
            assert_eq!(source, ConfigSource::File(inc.clone()));
            assert_eq!((line, text.as_str()), (2, "foo"));
        }
        other => panic!("unexpected {other:?}"),
    }
    std::fs::write(&main, "include /nonexistent-ferrodis.conf\n").expect("write");
    match Config::from_file(&main) {
        Err(e @ ConfigError::Open { .. }) => assert_eq!(
            e.to_string(),
            "Fatal error, can't open config file '/nonexistent-ferrodis.conf': No such file or directory"
        ),
        other => panic!("unexpected {other:?}"),
    }
    // A glob that matches nothing is fine.
    std::fs::write(
        &main,
        format!("include {}/none-*.conf\nport 9\n", dir.display()),
    )
    .expect("write");
    assert_eq!(Config::from_file(&main).map(|c| c.port()).ok(), Some(9));
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn include_cycles_are_errors() {
    let dir = scratch_dir("include-cycle");
    let a = dir.join("a.conf");
    let b = dir.join("b.conf");
    std::fs::write(&a, format!("include {}\n", b.display())).expect("write");
    std::fs::write(&b, format!("port 1\ninclude {}\n", a.display())).expect("write");
    match Config::from_file(&a) {
        Err(ConfigError::Line {
            source,
            line,
            message,
            ..
        }) => {
            assert_eq!((source, line), (ConfigSource::File(b.clone()), 2));
            assert!(message.starts_with("include cycle: "), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    std::fs::write(&a, format!("include {}\n", a.display())).expect("write");
    assert!(matches!(
        Config::from_file(&a),
        Err(ConfigError::Line { .. })
    ));
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn debian_style_config_loads() {
    let dir = scratch_dir("debian");
    let text = format!(
        "bind 127.0.0.1 -::1\nprotected-mode yes\nport 6379\ntcp-backlog 511\ntimeout 0\n\
         tcp-keepalive 300\ndaemonize no\npidfile /run/redis/redis-server.pid\nloglevel notice\n\
         logfile \"\"\ndatabases 16\nalways-show-logo no\nset-proc-title yes\n\
         proc-title-template \"{{title}} {{listen-addr}} {{server-mode}}\"\n\
         stop-writes-on-bgsave-error yes\nrdbcompression yes\nrdbchecksum yes\n\
         dbfilename dump.rdb\nrdb-del-sync-files no\ndir {}\nreplica-serve-stale-data yes\n\
         replica-read-only yes\nrepl-diskless-sync yes\nrepl-diskless-sync-delay 5\n\
         repl-diskless-sync-max-replicas 0\nrepl-diskless-load disabled\n\
         repl-disable-tcp-nodelay no\nreplica-priority 100\nacllog-max-len 128\n\
         lazyfree-lazy-eviction no\nlazyfree-lazy-expire no\nlazyfree-lazy-server-del no\n\
         replica-lazy-flush no\nlazyfree-lazy-user-del no\nlazyfree-lazy-user-flush no\n\
         oom-score-adj no\noom-score-adj-values 0 200 800\ndisable-thp yes\nappendonly no\n\
         appendfilename \"appendonly.aof\"\nappenddirname \"appendonlydir\"\n\
         appendfsync everysec\nno-appendfsync-on-rewrite no\nauto-aof-rewrite-percentage 100\n\
         auto-aof-rewrite-min-size 64mb\naof-load-truncated yes\naof-use-rdb-preamble yes\n\
         aof-timestamp-enabled no\nslowlog-log-slower-than 10000\nslowlog-max-len 128\n\
         latency-monitor-threshold 0\nnotify-keyspace-events \"\"\nhash-max-listpack-entries 512\n\
         hash-max-listpack-value 64\nlist-max-listpack-size -2\nlist-compress-depth 0\n\
         set-max-intset-entries 512\nzset-max-listpack-entries 128\nzset-max-listpack-value 64\n\
         hll-sparse-max-bytes 3000\nstream-node-max-bytes 4096\nstream-node-max-entries 100\n\
         activerehashing yes\nclient-output-buffer-limit normal 0 0 0\n\
         client-output-buffer-limit replica 256mb 64mb 60\n\
         client-output-buffer-limit pubsub 32mb 8mb 60\nhz 10\ndynamic-hz yes\n\
         aof-rewrite-incremental-fsync yes\nrdb-save-incremental-fsync yes\njemalloc-bg-thread yes\n",
        dir.display()
    );
    let c = Config::from_text(&text).expect("Debian's settings load");
    assert_eq!(c.get_str("pidfile"), "/run/redis/redis-server.pid");
    assert_eq!(
        c.get("client-output-buffer-limit"),
        Config::default().get("client-output-buffer-limit")
    );
    assert_eq!(c.unimplemented_non_defaults(), Vec::new());
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[test]
fn trims_like_redis() {
    assert_eq!(trim_line(b" \t a b \r\n"), b"a b");
    assert_eq!(trim_line(b" \t\r\n"), b"");
    assert_eq!(trim_line(b"\x0bx"), b"\x0bx");
}
