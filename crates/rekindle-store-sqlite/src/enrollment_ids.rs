//! Enrollment ids handed out before their rows are written
//! (`Enrollments::reserve_enrollment_ids`). SQLite has no sequence: an insert without an id takes
//! the largest rowid plus one, which could be an id handed out and not yet written. So every
//! enrollment this store writes takes its id from here: the largest written, read once, then
//! counted on in memory.
//!
//! Another process writing enrollments to the same file (a CLI beside `serve`) counts on its
//! own; a clash fails that write with a unique-key error, wrote nothing, and the write's caller
//! [`EnrollmentIds::forget`]s, so the next id is read from the file again.

use rekindle_store::Result;
use rusqlite::Connection;

use crate::db_err;

#[derive(Default)]
pub(crate) struct EnrollmentIds {
    counter: parking_lot::Mutex<Counter>,
}

#[derive(Default)]
struct Counter {
    /// The next id to hand out; `None` until the file has been read.
    next: Option<i64>,
    /// A write failed since the file was last read: read it again before counting on.
    doubted: bool,
}

impl EnrollmentIds {
    /// `n` ids, none written yet nor handed out before, in ascending order. `c` reads the
    /// largest written when this store has not yet, or doubts its count (any connection: each
    /// of ours takes its ids here, so none is being written without them).
    pub(crate) fn take(&self, c: &Connection, n: usize) -> Result<std::ops::Range<i64>> {
        let mut counter = self.counter.lock();
        if counter.next.is_none() || counter.doubted {
            let largest: i64 =
                c.query_row("SELECT COALESCE(MAX(id), 0) FROM enrollments", [], |r| r.get(0)).map_err(db_err)?;
            // Never back: ids handed out and not yet written are above what the file holds.
            counter.next = Some(counter.next.unwrap_or(0).max(largest + 1));
            counter.doubted = false;
        }
        Ok(counter.hand_out(n))
    }

    /// [`EnrollmentIds::take`] without a connection, when the count is known and not doubted:
    /// `None` otherwise.
    pub(crate) fn take_counted(&self, n: usize) -> Option<std::ops::Range<i64>> {
        let mut counter = self.counter.lock();
        (counter.next.is_some() && !counter.doubted).then(|| counter.hand_out(n))
    }

    /// A write with ids from here failed, perhaps on one another process wrote meanwhile: the
    /// largest written is read again before the next id is handed out.
    pub(crate) fn forget(&self) {
        self.counter.lock().doubted = true;
    }
}

impl Counter {
    fn hand_out(&mut self, n: usize) -> std::ops::Range<i64> {
        let first = self.next.unwrap_or(1);
        let end = first + n as i64;
        self.next = Some(end);
        first..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE enrollments (id INTEGER PRIMARY KEY); INSERT INTO enrollments VALUES (7);")
            .unwrap();
        c
    }

    #[test]
    fn ids_follow_the_largest_written_and_are_never_handed_out_twice() {
        let c = file();
        let ids = EnrollmentIds::default();
        assert_eq!(ids.take(&c, 3).unwrap(), 8..11);
        // Written meanwhile by this store: counted on, not read again.
        c.execute("INSERT INTO enrollments VALUES (9)", []).unwrap();
        assert_eq!(ids.take(&c, 1).unwrap(), 11..12);
        assert_eq!(ids.take(&c, 0).unwrap(), 12..12);
        assert_eq!(ids.take_counted(2), Some(12..14), "counted on without the file");
        assert_eq!(ids.take(&c, 1).unwrap(), 14..15);
    }

    #[test]
    fn nothing_is_counted_before_the_file_is_read() {
        let c = file();
        let ids = EnrollmentIds::default();
        assert_eq!(ids.take_counted(1), None);
        assert_eq!(ids.take(&c, 1).unwrap(), 8..9);
        ids.forget();
        assert_eq!(ids.take_counted(1), None, "doubted: read again first");
    }

    #[test]
    fn reading_again_never_hands_out_an_id_twice() {
        let c = file();
        let ids = EnrollmentIds::default();
        // Handed out, not yet written; then another write fails.
        assert_eq!(ids.take(&c, 5).unwrap(), 8..13);
        ids.forget();
        assert_eq!(ids.take(&c, 1).unwrap(), 13..14, "the file holds only 7: counted on, not back");
    }

    #[test]
    fn after_a_failed_write_the_largest_is_read_again() {
        let c = file();
        let ids = EnrollmentIds::default();
        assert_eq!(ids.take(&c, 1).unwrap(), 8..9);
        // Another process wrote 8 to 20.
        c.execute("INSERT INTO enrollments VALUES (20)", []).unwrap();
        ids.forget();
        assert_eq!(ids.take(&c, 2).unwrap(), 21..23);
    }
}
