//! Threads doing work that can wait: a refresh reading and folding the log, judging everyone.
//! They run at a lower priority (rekindle-engine's `background`), and a store read asked for
//! on one of them runs there, in line, instead of on the async runtime's blocking pool: on the
//! pool, decoding what the read found (most of a refresh's reading) would run at normal
//! priority and take the cores from the event path. Writes still go to the pool: a
//! low-priority thread holding SQLite's one writer would make the applier wait behind it.
//! They are patient (`crate::urgency`): they wait for the event path's writes instead.

use std::cell::Cell;

thread_local! {
    static BACKGROUND: Cell<bool> = const { Cell::new(false) };
}

/// Mark the calling thread as one of the background's (see the module's note).
pub fn mark_this_thread() {
    BACKGROUND.with(|b| b.set(true));
}

/// Whether the calling thread is one of the background's: a read may block it.
pub fn on_this_thread() -> bool {
    BACKGROUND.with(Cell::get)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_marked_thread_is_the_background_s() {
        assert!(!super::on_this_thread());
        let marked = std::thread::spawn(|| {
            super::mark_this_thread();
            super::on_this_thread()
        });
        assert!(marked.join().unwrap());
        assert!(!super::on_this_thread());
    }
}
