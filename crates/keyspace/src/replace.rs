//! Replacing the whole dataset at once: a replica that loaded its master's RDB
//! into a keyspace of its own, off to the side, swaps the data in (Redis's
//! `repl-diskless-load swapdb` keeps the old data until the new one is complete,
//! so a broken transfer leaves the old dataset intact).

use crate::keyspace::Keyspace;

impl Keyspace {
    /// Trades every database's data with `other`'s; afterwards `other` holds the old
    /// data (drop it wherever freeing it costs least). Blocked clients stay with
    /// their database and wake for keys that arrived, as after SWAPDB; every
    /// WATCHed key counts as touched, as after FLUSHALL. A running snapshot is
    /// ended first: its keys are gone.
    pub fn swap_data(&mut self, other: &mut Keyspace) {
        if self.snapshot_running() {
            self.end_snapshot();
        }
        let n = self.dbs.len().min(other.dbs.len());
        let extra = other.dbs.len() - n;
        // Side by side in one slice, so SWAPDB's own swap (data and waits) applies.
        self.dbs.extend(other.dbs.drain(..n));
        let total = self.dbs.len();
        for i in 0..n {
            crate::blocking::swap_databases(&mut self.dbs, i, total - n + i);
        }
        let mut old = self.dbs.split_off(total - n);
        old.append(&mut other.dbs);
        other.dbs = old;
        debug_assert_eq!(other.dbs.len(), n + extra);
        self.fx.watched.touch_db(None);
        self.dirty += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Session;
    use bytes::Bytes;

    fn run(ks: &mut Keyspace, db: usize, words: &[&str]) -> ferrodis_resp::Frame {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        let mut session = Session {
            db,
            ..Session::default()
        };
        ks.execute(&mut session, &argv).expect("a command")
    }

    #[test]
    fn swaps_every_database_and_touches_watches() {
        let mut live = Keyspace::new(4);
        run(&mut live, 0, &["SET", "old", "1"]);
        let token = live.watch(7, 0, b"old");
        let mut fresh = Keyspace::new(4);
        run(&mut fresh, 0, &["SET", "new", "1"]);
        run(&mut fresh, 3, &["RPUSH", "l", "a"]);
        live.swap_data(&mut fresh);
        assert_eq!(
            run(&mut live, 0, &["EXISTS", "old", "new"]),
            ferrodis_resp::Frame::Integer(1)
        );
        assert_eq!(
            run(&mut live, 3, &["LLEN", "l"]),
            ferrodis_resp::Frame::Integer(1)
        );
        assert_eq!(fresh.dbsize(0), 1, "the old data");
        assert!(!live.watch_intact(&token));
    }
}
