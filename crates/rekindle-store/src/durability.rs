//! Derived writes: what the log's followers write from a durable source they read again after
//! a power cut. The applier appends what the inbox holds and releases it only after
//! [`EventLog::sync`]; the journey runner and the points follower redo what comes after their
//! cursors, which live in the same store and are lost with what they covered (a write-ahead
//! log loses only its newest commits, in order).
//!
//! A backend may commit a derived write without waiting for the disk; every other write still
//! waits for it, and in doing so makes the derived writes before it durable too. On SQLite no
//! commit waits for the disk while it holds the one writer (the fsync was half of an append's
//! hold under 10,000 events/s, issue 24): a write that is not derived waits afterwards, and
//! one fsync covers every commit before it.
//!
//! Marked per task rather than per call, so every store method a follower's pass calls is
//! covered without each capability trait growing a parameter for it.
//!
//! [`EventLog::sync`]: crate::EventLog::sync

use std::future::Future;

tokio::task_local! {
    static DERIVED: ();
}

/// Run `f` with its store writes marked derived (see the module's note).
pub async fn derived<F: Future>(f: F) -> F::Output {
    DERIVED.scope((), f).await
}

/// Whether the running task's writes are derived.
pub fn is_derived() -> bool {
    DERIVED.try_with(|_| ()).is_ok()
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn only_the_scope_s_own_task_is_derived() {
        assert!(!super::is_derived());
        assert!(super::derived(async { super::is_derived() }).await);
        // A task spawned inside is not: what it writes may answer a user, and must be durable.
        let spawned = super::derived(async { tokio::spawn(async { super::is_derived() }).await.unwrap() }).await;
        assert!(!spawned);
        assert!(!super::is_derived());
    }
}
