//! A replica's treatment of expired keys (`Keyspace::set_expiry`): its clients see
//! them as missing, but only the master's DEL removes them; the master's own
//! commands see them live; the active cycle leaves them alone.

use bytes::Bytes;
use ferrodis_keyspace::{Clock, ExpireBudget, Expiry, Keyspace, Session};
use ferrodis_resp::Frame;

fn run(ks: &mut Keyspace, words: &[&str]) -> Frame {
    let argv: Vec<Bytes> = words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    ks.execute(&mut Session::default(), &argv)
        .expect("a keyspace command")
}

#[test]
fn replicas_never_expire_keys_themselves() {
    let mut ks = Keyspace::new(1);
    ks.set_clock(Clock::Fixed(1_000));
    ks.set_propagation(true);
    run(&mut ks, &["SET", "k", "v", "PXAT", "2000"]);
    let _ = ks.take_effects();
    ks.set_clock(Clock::Fixed(5_000));
    ks.set_expiry(Expiry::Replica);

    assert_eq!(run(&mut ks, &["GET", "k"]), Frame::Null, "reads as missing");
    assert_eq!(run(&mut ks, &["EXISTS", "k"]), Frame::Integer(0));
    assert_eq!(
        ks.active_expire_cycle(
            5_000,
            ExpireBudget::Time(std::time::Duration::from_millis(5))
        ),
        0
    );
    assert_eq!(ks.dbsize(0), 1, "still stored");
    assert!(ks.take_effects().is_empty(), "nothing propagated");

    ks.set_expiry(Expiry::MasterLink);
    assert_eq!(
        run(&mut ks, &["GET", "k"]),
        Frame::bulk("v"),
        "live for the master"
    );
    assert_eq!(run(&mut ks, &["DEL", "k"]), Frame::Integer(1));
    assert_eq!(ks.dbsize(0), 0);

    ks.set_expiry(Expiry::Master);
    run(&mut ks, &["SET", "m", "v", "PXAT", "4000"]);
    assert_eq!(run(&mut ks, &["GET", "m"]), Frame::Null);
    assert_eq!(ks.dbsize(0), 0, "a master deletes on access");
}
