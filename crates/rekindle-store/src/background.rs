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

/// Lower the calling thread to the background's priority: nice 10 on Linux, where each thread
/// has a nice value of its own, and a thread it starts inherits it. There is no way back
/// without privilege, so a thread that will ever hold a writer others wait for must not call
/// this. A failure leaves the thread at normal priority.
#[cfg(target_os = "linux")]
pub fn lower_this_thread() {
    // SAFETY: gettid and setpriority take and return plain integers; raising one's own nice
    // value needs no privilege.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn lower_this_thread() {}

/// The calling thread's nice value (Linux), for tests.
#[cfg(target_os = "linux")]
pub fn nice_of_this_thread() -> i32 {
    // SAFETY: as in lower_this_thread.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) }
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lowered_thread_runs_at_nice_10_and_the_others_do_not() {
        let before = super::nice_of_this_thread();
        let lowered = std::thread::spawn(|| {
            super::lower_this_thread();
            super::nice_of_this_thread()
        });
        assert_eq!(lowered.join().unwrap(), 10);
        assert_eq!(super::nice_of_this_thread(), before);
    }
}
