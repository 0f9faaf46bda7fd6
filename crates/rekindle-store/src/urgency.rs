//! How soon a write should have the store's writer, where writes take turns (SQLite's one
//! writer). Under 10,000 events/s of ingestion the writer is busy half the time, and the
//! journey runner's entries and walks, which put a customer's message in the outbox, queued
//! behind whatever asked first: the points follower's many small writes, the dispatcher's
//! claims, a refresh's recordings (issue 24). Those can wait; a triggered message should not.
//!
//! - [`Urgency::Prompt`]: the runner reading the log, between an event and its message.
//! - [`Urgency::Normal`]: everything not marked: appends, requests, leases.
//! - [`Urgency::Patient`]: loops that catch up in their own time, and background threads
//!   (`crate::background`).
//!
//! A backend without one writer ignores it. Marked per task, as `crate::durability` is, so a
//! loop's every store call is covered without the capability traits growing a parameter.

use std::future::Future;

/// Ordered: the most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Prompt,
    Normal,
    Patient,
}

tokio::task_local! {
    static URGENCY: Urgency;
}

/// Run `f` with its store writes marked [`Urgency::Prompt`].
pub async fn prompt<F: Future>(f: F) -> F::Output {
    URGENCY.scope(Urgency::Prompt, f).await
}

/// Run `f` with its store writes marked [`Urgency::Patient`].
pub async fn patient<F: Future>(f: F) -> F::Output {
    URGENCY.scope(Urgency::Patient, f).await
}

/// The running task's urgency; a background thread's is patient.
pub fn current() -> Urgency {
    URGENCY.try_with(|u| *u).unwrap_or(match crate::background::on_this_thread() {
        true => Urgency::Patient,
        false => Urgency::Normal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_marks_its_own_task_and_a_background_thread_is_patient() {
        assert_eq!(current(), Urgency::Normal);
        assert_eq!(prompt(async { current() }).await, Urgency::Prompt);
        assert_eq!(patient(prompt(async { current() })).await, Urgency::Prompt, "the innermost scope wins");
        // A task spawned inside is not marked: it may answer a user.
        let spawned = patient(async { tokio::spawn(async { current() }).await.unwrap() }).await;
        assert_eq!(spawned, Urgency::Normal);
        let on_background = std::thread::spawn(|| {
            crate::background::mark_this_thread();
            current()
        });
        assert_eq!(on_background.join().unwrap(), Urgency::Patient);
        assert!(Urgency::Prompt < Urgency::Normal && Urgency::Normal < Urgency::Patient);
    }
}
