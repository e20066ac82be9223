//! INCRBYFLOAT against results recorded from redis-server 7.0.15 on x86-64.
//!
//! Each line of `data/redis-7.0-incrbyfloat.tsv` is `initial<TAB>increment<TAB>reply`
//! for `SET x initial` followed by `INCRBYFLOAT x increment`; error replies are
//! stored without the leading `-`.

use bytes::Bytes;
use ferrodis_keyspace::{Keyspace, Session};
use ferrodis_resp::Frame;

#[test]
fn matches_recorded_redis_replies() {
    let data = include_str!("data/redis-7.0-incrbyfloat.tsv");
    let mut keyspace = Keyspace::new(1);
    let mut session = Session::default();
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in data.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [initial, increment, reply] = fields[..] else {
            panic!("bad line: {line:?}")
        };
        let argv = |words: &[&str]| {
            words
                .iter()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect::<Vec<_>>()
        };
        keyspace.execute(&mut session, &argv(&["SET", "x", initial]));
        let got = keyspace.execute(&mut session, &argv(&["INCRBYFLOAT", "x", increment]));
        let want = if reply.starts_with("ERR ") {
            Frame::Error(Bytes::copy_from_slice(reply.as_bytes()))
        } else {
            Frame::Bulk(Bytes::copy_from_slice(reply.as_bytes()))
        };
        if got.as_ref() != Some(&want) {
            failures.push(format!(
                "{initial} + {increment}: got {got:?}, want {reply}"
            ));
        }
        cases += 1;
    }
    assert!(cases >= 1000, "only {cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
