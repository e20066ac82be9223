//! `ferrodis-check-aof [--fix] <file.manifest|file.aof|dir>`: checks an AOF like
//! redis-check-aof 7.0 (same input detection, messages and exit codes): a
//! manifest checks its base and incr files, an RDB-preamble file its preamble
//! then its commands; the first bad offset is reported, and `--fix` truncates a
//! bad tail of the last file after a y/N confirmation on stdin.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::exit;
use std::sync::atomic::{AtomicU64, Ordering};

use ferrodis_aof::{parse_record, Error, Manifest, Record};

/// What checking one file found (`AOF_CHECK_*` in redis-check-aof.c).
enum Checked {
    Ok,
    Empty,
    Truncated,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let program = args.first().map_or("ferrodis-check-aof", String::as_str);
    let (fix, target) = match args.as_slice() {
        [_, path] => (false, path.clone()),
        [_, flag, path] if flag == "--fix" => (true, path.clone()),
        _ => {
            println!("Usage: {program} [--fix] <file.manifest|file.aof>");
            exit(1);
        }
    };
    let mut path = PathBuf::from(target);
    if path.is_dir() {
        // A directory: its manifest.
        match find_manifest(&path) {
            Some(m) => path = m,
            None => {
                println!("Cannot find a manifest in {}", path.display());
                exit(1);
            }
        }
    }
    if is_manifest(&path) {
        check_multi_part(&path, fix);
    } else {
        println!("Start checking Old-Style AOF");
        let shown = path.display().to_string();
        let preamble = is_rdb(&path);
        report(
            "AOF",
            &shown,
            check_single(&shown, &path, true, fix, preamble),
        );
    }
}

fn find_manifest(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "manifest")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("temp-"))
        })
}

fn read_or_exit(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        println!("Cannot open file {}: {e}", path.display());
        exit(1);
    })
}

/// Redis's `fileIsManifest()`: a line starting with "file".
fn is_manifest(path: &Path) -> bool {
    let bytes = read_or_exit(path);
    bytes
        .split(|&b| b == b'\n')
        .any(|line| line.first() != Some(&b'#') && line.starts_with(b"file"))
}

/// Redis's `fileIsRDB()`: at least 8 bytes starting with "REDIS".
fn is_rdb(path: &Path) -> bool {
    let mut head = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head.starts_with(b"REDIS")
}

fn report(what: &str, name: &str, checked: Checked) {
    match checked {
        Checked::Ok => println!("{what} {name} is valid"),
        Checked::Empty => println!("{what} {name} is empty"),
        Checked::Truncated => println!("Successfully truncated AOF {name}"),
    }
}

fn check_multi_part(manifest_path: &Path, fix: bool) {
    println!("Start checking Multi Part AOF");
    let text = String::from_utf8_lossy(&read_or_exit(manifest_path)).into_owned();
    let manifest = Manifest::parse(&text).unwrap_or_else(|e| {
        println!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n{e}");
        exit(1);
    });
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
    let files: Vec<_> = manifest
        .base()
        .into_iter()
        .chain(manifest.incrs())
        .cloned()
        .collect();
    let total = files.len();
    for (i, entry) in files.iter().enumerate() {
        let path = dir.join(&entry.name);
        let last = i + 1 == total;
        if manifest.base().is_some() && i == 0 {
            let preamble = is_rdb(&path);
            let format = if preamble { "RDB" } else { "RESP" };
            println!("Start to check BASE AOF ({format} format).");
            let checked = check_single(&entry.name, &path, last, fix, preamble);
            report("BASE AOF", &entry.name, checked);
        } else {
            if i == usize::from(manifest.base().is_some()) {
                println!("Start to check INCR files.");
            }
            let checked = check_single(&entry.name, &path, last, fix, false);
            report("INCR AOF", &entry.name, checked);
        }
    }
    println!("All AOF files and manifest are valid");
}

/// Redis's `checkSingleAof()`.
fn check_single(name: &str, path: &Path, last: bool, fix: bool, preamble: bool) -> Checked {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        println!("Cannot open file {}: {e}, aborting...", path.display());
        exit(1);
    });
    if bytes.is_empty() {
        return Checked::Empty;
    }
    let mut at = 0usize;
    if preamble {
        at = rdb_end(&bytes).unwrap_or_else(|| {
            println!("RDB preamble of AOF file is not sane, aborting.");
            exit(1);
        });
        println!("RDB preamble is OK, proceeding with AOF tail...");
    }
    let (pos, line, error) = scan(&bytes, at, path);
    if let Some(error) = &error {
        println!("{error}");
    }
    let size = bytes.len();
    let diff = size - pos;
    println!(
        "AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={line}, diff={diff}"
    );
    if diff == 0 {
        return Checked::Ok;
    }
    if !fix {
        println!("AOF {name} is not valid. Use the --fix option to try fixing it.");
        exit(1);
    }
    if !last {
        println!("Failed to truncate AOF {name} because it is not the last file");
        exit(1);
    }
    println!(
        "This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes"
    );
    print!("Continue? [y/N]: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if !answer.trim_start().to_ascii_lowercase().starts_with('y') {
        println!("Aborting...");
        exit(1);
    }
    let truncated = OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(pos as u64));
    if truncated.is_err() {
        println!("Failed to truncate AOF {name}");
        exit(1);
    }
    Checked::Truncated
}

/// Where the RDB preamble of `bytes` ends, if it is sane.
fn rdb_end(bytes: &[u8]) -> Option<usize> {
    let mut decoder = ferrodis_rdb::Decoder::new(bytes);
    loop {
        match decoder.next_item() {
            Ok(Some(ferrodis_rdb::Item::Eof { .. })) => break,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
    let offset = usize::try_from(decoder.offset()).ok()?;
    let (_, leftover) = decoder.into_parts();
    offset.checked_sub(leftover.len())
}

/// Walks the commands from `at`: the end of the last complete command outside
/// MULTI, the line reached (Redis counts every CRLF of the headers and bulks) and
/// the error, formatted as redis-check-aof's `0x<offset>: <what>`.
fn scan(bytes: &[u8], at: usize, path: &Path) -> (usize, u64, Option<String>) {
    // Like Redis's static `line`, the count goes on from one file to the next.
    static LINE: AtomicU64 = AtomicU64::new(1);
    let mut line = LINE.load(Ordering::Relaxed);
    let found = scan_from(bytes, at, path, &mut line);
    LINE.store(line, Ordering::Relaxed);
    found
}

fn scan_from(
    bytes: &[u8],
    mut at: usize,
    path: &Path,
    line: &mut u64,
) -> (usize, u64, Option<String>) {
    let mut pos = at;
    let mut multi = false;
    let err = |offset: usize, what: &str| Some(format!("0x{offset:16x}: {what}"));
    loop {
        match parse_record(&bytes[at..], at as u64) {
            Ok(Some((record, used))) => {
                if let Record::Command(argv) = &record {
                    *line += 1 + 2 * argv.len() as u64;
                    let name = &argv[0];
                    if name.eq_ignore_ascii_case(b"MULTI") {
                        if multi {
                            let what = format!("Unexpected MULTI in AOF {}", path.display());
                            return (pos, *line, err(at, &what));
                        }
                        multi = true;
                    } else if name.eq_ignore_ascii_case(b"EXEC") {
                        if !multi {
                            let what = format!("Unexpected EXEC in AOF {}", path.display());
                            return (pos, *line, err(at, &what));
                        }
                        multi = false;
                    }
                } else {
                    *line += 1;
                }
                at += used;
                if !multi {
                    pos = at;
                }
            }
            Ok(None) if at == bytes.len() => {
                let error = multi.then(|| err(at, "Reached EOF before reading EXEC for MULTI"));
                return (pos, *line, error.flatten());
            }
            Ok(None) => {
                // Redis's count includes the lines of the partial record it read.
                *line += crlfs(&bytes[at..]);
                let what = "Reached EOF in the middle of a command (truncated file)";
                return (pos, *line, err(at, what));
            }
            Err(Error::BadFormat { offset }) => {
                let bad = (offset as usize).clamp(at, bytes.len());
                *line += crlfs(&bytes[at..bad]);
                let what = "Bad file format (expected a '*' or '$' header, a bulk or its CRLF)";
                return (pos, *line, err(bad, what));
            }
            Err(e) => return (pos, *line, err(at, &e.to_string())),
        }
    }
}

fn crlfs(bytes: &[u8]) -> u64 {
    bytes.windows(2).filter(|w| w == b"\r\n").count() as u64
}
