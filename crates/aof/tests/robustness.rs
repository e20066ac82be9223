//! Hostile input: arbitrary or mutated AOF bytes and manifests never panic, how the
//! bytes are split into reads never matters, and the prefix `aof-load-truncated`
//! keeps always loads cleanly (checked by `ferrodis_aof::fuzzing::load`, the fuzz
//! target's entry point).
#![allow(clippy::unwrap_used)]

use ferrodis_aof::{fuzzing, write_command, Ending, Loaded, Loader};
use proptest::prelude::*;

/// One thing an AOF holds.
#[derive(Debug, Clone)]
enum Part {
    Command(Vec<Vec<u8>>),
    Transaction(Vec<Vec<Vec<u8>>>),
    Annotation(u32),
}

/// A command that is neither MULTI nor EXEC (transactions are written as such).
fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let name = prop_oneof![
        Just(b"SET".to_vec()),
        Just(b"SELECT".to_vec()),
        Just(b"DEL".to_vec())
    ];
    let arg = prop_oneof![
        Just(b"MULTI".to_vec()),
        Just(b"\r\n$3\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    (name, proptest::collection::vec(arg, 0..3)).prop_map(|(name, args)| {
        let mut argv = vec![name];
        argv.extend(args);
        argv
    })
}

fn parts() -> impl Strategy<Value = Vec<Part>> {
    let part = prop_oneof![
        4 => argv().prop_map(Part::Command),
        1 => proptest::collection::vec(argv(), 0..3).prop_map(Part::Transaction),
        1 => any::<u32>().prop_map(Part::Annotation),
    ];
    proptest::collection::vec(part, 0..8)
}

fn write(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Command(argv) => write_command(&mut out, argv),
            Part::Transaction(queued) => {
                write_command(&mut out, &[b"MULTI"]);
                for argv in queued {
                    write_command(&mut out, argv);
                }
                write_command(&mut out, &[b"EXEC"]);
            }
            Part::Annotation(ts) => out.extend_from_slice(format!("#TS:{ts}\r\n").as_bytes()),
        }
    }
    out
}

/// The fuzz entry point's input: chunk sizes, then the file.
fn framed(sizes: &[u8], file: &[u8]) -> Vec<u8> {
    let n = sizes.len().min(15);
    let mut data = vec![n as u8];
    data.extend_from_slice(&sizes[..n]);
    data.extend_from_slice(file);
    data
}

/// A mutation of a valid file: flip, insert or delete a byte.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn edit(file: &mut Vec<u8>, edit: &Edit) {
    if file.is_empty() {
        return;
    }
    let len = file.len();
    match *edit {
        Edit::Flip(at, mask) => file[at % len] ^= mask.max(1),
        Edit::Insert(at, byte) => file.insert(at % (file.len() + 1), byte),
        Edit::Delete(at) => {
            file.remove(at % file.len());
        }
    }
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let one = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Flip(a, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        any::<usize>().prop_map(Edit::Delete),
    ];
    proptest::collection::vec(one, 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::load(&data);
    }

    #[test]
    fn valid_files_load_back_and_mutations_never_panic(
        parts in parts(),
        sizes in proptest::collection::vec(any::<u8>(), 0..6),
        edits in edits(),
        cut in any::<usize>(),
    ) {
        let file = write(&parts);
        // Unmutated, every part comes back and the file ends cleanly.
        let mut loader = Loader::new();
        let mut buf = bytes::BytesMut::from(&file[..]);
        let mut loaded = Vec::new();
        while let Some(item) = loader.next(&mut buf).unwrap() {
            loaded.push(item);
        }
        prop_assert_eq!(loader.finish(&buf), Ending::Clean);
        let expected: Vec<Loaded> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Command(argv) => Some(Loaded::Command(to_bytes(argv))),
                Part::Transaction(q) => Some(Loaded::Transaction(q.iter().map(|a| to_bytes(a)).collect())),
                Part::Annotation(_) => None,
            })
            .collect();
        prop_assert_eq!(loaded, expected);
        fuzzing::load(&framed(&sizes, &file));
        // Cut anywhere: a truncated or clean ending, never a panic.
        let cut = cut % (file.len() + 1);
        fuzzing::load(&framed(&sizes, &file[..cut]));
        let mut mutated = file.clone();
        for e in &edits {
            edit(&mut mutated, e);
        }
        fuzzing::load(&framed(&sizes, &mutated));
    }

    #[test]
    fn manifest_like_text(lines in proptest::collection::vec(
        proptest::collection::vec(
            (
                prop_oneof![Just("file"), Just("seq"), Just("type"), Just("x")],
                prop_oneof![
                    Just("appendonly.aof.1.incr.aof"), Just("\"a b\""), Just("\"c\\x00d\""),
                    Just("1"), Just("2"), Just("-1"), Just("b"), Just("h"), Just("i"),
                    Just("a/b"), Just("'q'"),
                ],
            ),
            0..5,
        ),
        0..5,
    ), comment in any::<bool>()) {
        let mut text: String = lines
            .iter()
            .map(|pairs| {
                let words: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} {v}")).collect();
                format!("{}\n", words.join(" "))
            })
            .collect();
        if comment {
            text.insert_str(0, "# a comment\n");
        }
        fuzzing::load(&framed(&[], text.as_bytes()));
    }
}

fn to_bytes(argv: &[Vec<u8>]) -> Vec<bytes::Bytes> {
    argv.iter().map(|a| bytes::Bytes::from(a.clone())).collect()
}

/// The manifest round trip inside `fuzzing::load` is exercised on real manifests,
/// not only on text that fails to parse.
#[test]
fn manifests_round_trip_through_the_fuzz_entry_point() {
    let text = "file appendonly.aof.1.base.rdb seq 1 type b\n\
                file \"with space.aof\" seq 2 type h\n\
                file appendonly.aof.1.incr.aof seq 1 type i\n";
    assert!(ferrodis_aof::Manifest::parse(text).is_ok());
    fuzzing::load(&framed(&[], text.as_bytes()));
}
