//! Entry point of the fuzz target in `fuzz/`; not part of the stable API.
//!
//! Input layout (as in `ferrodis_rdb::fuzzing`):
//!
//! ```text
//! byte 0        bits 0..3: n, how many chunk-size bytes follow
//! bytes 1..=n   chunk sizes, each byte b meaning b + 1 bytes, used in a cycle
//! rest          the AOF bytes
//! ```
//!
//! Checks that loading never panics; that feeding the bytes in those chunks loads
//! exactly as feeding them at once (commands, error text, ending); that the valid
//! prefix `aof-load-truncated yes` keeps loads cleanly to the same commands; and
//! that a manifest parsed from the bytes (naming at least one file, every line
//! fitting once written, see [`Manifest::validate`]) is written back as text that
//! parses to the same manifest.

use bytes::BytesMut;

use crate::{Ending, Loaded, Loader, Manifest};

/// What loading a file gave.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    loaded: Vec<Loaded>,
    end: Result<Ending, String>,
}

/// Loads `data` (layout above) and checks the invariants, panicking on a
/// violation so that the fuzzer reports it.
pub fn load(data: &[u8]) {
    let (sizes, payload) = match data.split_first() {
        Some((&first, rest)) => {
            let n = usize::from(first & 0x0f).min(rest.len());
            let (sizes, payload) = rest.split_at(n);
            let sizes: Vec<usize> = sizes.iter().map(|&b| usize::from(b) + 1).collect();
            (sizes, payload)
        }
        None => (Vec::new(), data),
    };
    let at_once = run(payload, &[payload.len().max(1)]);
    if !sizes.is_empty() {
        assert_eq!(at_once, run(payload, &sizes), "chunked loading differs");
    }
    if let Ok(Ending::Truncated { valid_len } | Ending::IncompleteMulti { valid_len }) = at_once.end
    {
        let kept = usize::try_from(valid_len).unwrap_or(usize::MAX);
        assert!(kept <= payload.len(), "valid prefix past the end");
        let prefix = run(&payload[..kept], &[kept.max(1)]);
        assert_eq!(
            prefix.end,
            Ok(Ending::Clean),
            "the kept prefix is not clean"
        );
        assert_eq!(
            prefix.loaded, at_once.loaded,
            "the kept prefix loads differently"
        );
    }
    if let Some(manifest) = std::str::from_utf8(payload)
        .ok()
        .and_then(|text| Manifest::parse(text).ok())
        // Only comment lines parse to no files (as in Redis), which is written
        // as an empty text that Redis refuses: nothing to write back. Names
        // that fit raw may not fit escaped, which `validate` reports.
        .filter(|m| !m.files.is_empty() && m.validate().is_ok())
    {
        let written = manifest.to_string();
        match Manifest::parse(&written) {
            Ok(again) => assert_eq!(again, manifest, "manifest changed by a write and read"),
            Err(e) => panic!("manifest written as {written:?} does not parse: {e}"),
        }
    }
}

/// Feeds `data` to a [`Loader`] in chunks of `sizes` (in a cycle).
fn run(data: &[u8], sizes: &[usize]) -> Outcome {
    let mut loader = Loader::new();
    let mut buf = BytesMut::new();
    let mut loaded = Vec::new();
    let mut rest = data;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        buf.extend_from_slice(chunk);
        loop {
            match loader.next(&mut buf) {
                Ok(Some(item)) => loaded.push(item),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        loaded,
                        end: Err(e.to_string()),
                    }
                }
            }
        }
    }
    Outcome {
        loaded,
        end: Ok(loader.finish(&buf)),
    }
}
