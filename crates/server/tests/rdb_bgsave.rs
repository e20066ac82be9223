//! BGSAVE while clients keep writing: the file holds exactly the dataset as of the
//! BGSAVE command, whatever the writers did during the save, including while the
//! keyspace grows (and its table splits) under a flood of inserts.
//!
//! Exactness without a pause: every writer step is one MULTI/EXEC (atomic under
//! the keyspace lock) that also bumps the writer's counter `c:<t>`, and each
//! writer's steps are a deterministic function of their number touching keys no
//! other writer touches. The counters in the file say how many steps of each
//! writer happened before the snapshot; replaying exactly those steps on the
//! preloaded dataset gives the only state the file may hold.
#![allow(clippy::unwrap_used)]

mod common;
mod rdb_support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use common::{Client, Ferrodis, TempDir};
use ferrodis_resp::Frame;
use rdb_support::{cmd, file_contents, info_field, wait_info, Contents, Val};

/// Preloaded keys `p:<i>`, split among the writers (p:i belongs to i % WRITERS).
const PRELOAD: usize = 30_000;
const WRITERS: u64 = 3;
/// Keys a bulk step inserts (and never deletes): the table must grow during the save.
const BULK: u64 = 500;

fn preload(c: &mut Client) {
    for chunk in (0..PRELOAD).collect::<Vec<_>>().chunks(1000) {
        let mut args: Vec<Vec<u8>> = vec![b"MSET".to_vec()];
        for i in chunk {
            args.push(format!("p:{i}").into_bytes());
            args.push(format!("init{i}").into_bytes());
        }
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        assert_eq!(cmd(c, &refs), Frame::ok());
    }
    assert_eq!(
        cmd(c, &[b"RPUSH", b"shared-list", b"a", b"b"]),
        Frame::Integer(2)
    );
}

/// Step `i` of writer `t`, as commands (run inside MULTI/EXEC).
fn writer_step(t: u64, i: u64) -> Vec<Vec<Vec<u8>>> {
    let mine = PRELOAD as u64 / WRITERS;
    let p = t + WRITERS * (i % mine);
    let mut cmds = vec![
        vec![
            b"SET".to_vec(),
            format!("w:{t}:{i}").into_bytes(),
            i.to_string().into_bytes(),
        ],
        vec![
            b"SET".to_vec(),
            format!("p:{p}").into_bytes(),
            format!("t{t}i{i}").into_bytes(),
        ],
        vec![
            b"RPUSH".to_vec(),
            format!("l:{t}").into_bytes(),
            i.to_string().into_bytes(),
        ],
        vec![
            b"HSET".to_vec(),
            format!("h:{t}").into_bytes(),
            format!("f{}", i % 50).into_bytes(),
            i.to_string().into_bytes(),
        ],
        vec![b"INCR".to_vec(), format!("c:{t}").into_bytes()],
    ];
    if i >= 10 {
        cmds.push(vec![
            b"DEL".to_vec(),
            format!("w:{t}:{}", i - 10).into_bytes(),
        ]);
    }
    cmds
}

/// Step `i` of the bulk inserter (writer index WRITERS).
fn bulk_step(i: u64) -> Vec<Vec<Vec<u8>>> {
    let mut mset = vec![b"MSET".to_vec()];
    for j in 0..BULK {
        mset.push(format!("b:{i}:{j}").into_bytes());
        mset.push(j.to_string().into_bytes());
    }
    vec![mset, vec![b"INCR".to_vec(), b"c:bulk".to_vec()]]
}

fn run_atomic(c: &mut Client, cmds: &[Vec<Vec<u8>>]) {
    assert_eq!(cmd(c, &[b"MULTI"]), Frame::ok());
    for args in cmds {
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        assert_eq!(cmd(c, &refs), Frame::simple("QUEUED"));
    }
    assert!(matches!(cmd(c, &[b"EXEC"]), Frame::Array(_)));
}

/// The model: applies the commands the steps use to a map of db 0.
fn apply(state: &mut Contents, cmds: &[Vec<Vec<u8>>]) {
    for args in cmds {
        let key = |k: &[u8]| (0u64, k.to_vec());
        match &args[0][..] {
            b"SET" => {
                state.insert(key(&args[1]), (Val::Str(args[2].clone()), -1));
            }
            b"MSET" => {
                for pair in args[1..].chunks(2) {
                    state.insert(key(&pair[0]), (Val::Str(pair[1].clone()), -1));
                }
            }
            b"DEL" => {
                state.remove(&key(&args[1]));
            }
            b"INCR" => {
                let e = state
                    .entry(key(&args[1]))
                    .or_insert((Val::Str(b"0".to_vec()), -1));
                let Val::Str(n) = &e.0 else { panic!() };
                let n: u64 = std::str::from_utf8(n).unwrap().parse().unwrap();
                e.0 = Val::Str((n + 1).to_string().into_bytes());
            }
            b"RPUSH" => {
                let e = state
                    .entry(key(&args[1]))
                    .or_insert((Val::List(vec![]), -1));
                let Val::List(l) = &mut e.0 else { panic!() };
                l.push(args[2].clone());
            }
            b"HSET" => {
                let e = state
                    .entry(key(&args[1]))
                    .or_insert((Val::Hash(vec![]), -1));
                let Val::Hash(h) = &mut e.0 else { panic!() };
                match h.iter_mut().find(|(f, _)| *f == args[2]) {
                    Some(pair) => pair.1 = args[3].clone(),
                    None => h.push((args[2].clone(), args[3].clone())),
                }
                h.sort();
            }
            other => panic!("{other:?}"),
        }
    }
}

fn counter(file: &Contents, name: &str) -> u64 {
    match file.get(&(0, name.as_bytes().to_vec())) {
        Some((Val::Str(n), _)) => std::str::from_utf8(n).unwrap().parse().unwrap(),
        None => 0,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bgsave_under_concurrent_writes_holds_exactly_the_state_at_the_command() {
    let dir = TempDir::new("rdb-bgsave-writes");
    // 20 µs per key: the save of ~30k keys spans well over half a second of writes.
    let ferrodis = Ferrodis::start(&[
        "--dir",
        dir.path.to_str().unwrap(),
        "--rdb-key-save-delay",
        "20",
    ]);
    let mut c = ferrodis.client();
    preload(&mut c);

    let stop = Arc::new(AtomicBool::new(false));
    let steps: Arc<Vec<AtomicU64>> = Arc::new((0..=WRITERS).map(|_| AtomicU64::new(0)).collect());
    let mut threads = Vec::new();
    for t in 0..=WRITERS {
        let (stop, steps, addr) = (stop.clone(), steps.clone(), ferrodis.addr);
        threads.push(std::thread::spawn(move || {
            let mut w = Client::connect(addr);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let cmds = if t == WRITERS {
                    bulk_step(i)
                } else {
                    writer_step(t, i)
                };
                run_atomic(&mut w, &cmds);
                i += 1;
                steps[t as usize].store(i, Ordering::Relaxed);
            }
        }));
    }
    let all_started = || steps.iter().all(|s| s.load(Ordering::Relaxed) >= 20);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !all_started() {
        assert!(std::time::Instant::now() < deadline, "writers stuck");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Steps finished before the command was sent all happened before it; steps
    // seen after its reply may have happened after it (plus one in flight).
    let before: Vec<u64> = steps.iter().map(|s| s.load(Ordering::Relaxed)).collect();
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Frame::simple("Background saving started")
    );
    let at_start: Vec<u64> = steps.iter().map(|s| s.load(Ordering::Relaxed)).collect();
    wait_info(&mut c, "rdb_bgsave_in_progress", "0");
    let at_end: Vec<u64> = steps.iter().map(|s| s.load(Ordering::Relaxed)).collect();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");

    let file = file_contents(&dir.path.join("dump.rdb"));
    let mut expected = Contents::new();
    for i in 0..PRELOAD {
        expected.insert(
            (0, format!("p:{i}").into_bytes()),
            (Val::Str(format!("init{i}").into_bytes()), -1),
        );
    }
    expected.insert(
        (0, b"shared-list".to_vec()),
        (Val::List(vec![b"a".to_vec(), b"b".to_vec()]), -1),
    );
    for t in 0..WRITERS {
        let done = counter(&file, &format!("c:{t}"));
        let t_ = t as usize;
        assert!(
            (before[t_]..=at_start[t_] + 1).contains(&done),
            "writer {t}: {done} steps in the file, {}..{} around BGSAVE",
            before[t_],
            at_start[t_]
        );
        for i in 0..done {
            apply(&mut expected, &writer_step(t, i));
        }
    }
    let bulk = counter(&file, "c:bulk");
    for i in 0..bulk {
        apply(&mut expected, &bulk_step(i));
    }
    let inserted_during = (at_end[WRITERS as usize] - bulk) * BULK;
    let during: u64 = (0..=WRITERS as usize)
        .map(|t| at_end[t] - at_start[t])
        .sum();
    eprintln!("{during} writer steps and {inserted_during} inserts ran during the save");
    assert!(
        during > 50,
        "only {during} writer steps ran during the save"
    );
    assert!(
        inserted_during >= 5_000,
        "only {inserted_during} keys inserted during the save: the table did not grow"
    );
    assert_eq!(file.len(), expected.len());
    if file != expected {
        let diff: Vec<_> = expected
            .iter()
            .filter(|(k, v)| file.get(*k) != Some(*v))
            .take(5)
            .collect();
        panic!("the file differs from the state at BGSAVE: {diff:?}");
    }
}
