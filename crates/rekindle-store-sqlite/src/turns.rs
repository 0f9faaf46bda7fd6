//! SQLite's one writer, handed on by urgency (`rekindle_store::urgency`): at each hand-off the
//! most urgent waiter goes next, and among equals the one that asked first. A waiter that has
//! waited [`OVERDUE`] counts as prompt, so patient writes are never starved by a writer that
//! is always wanted by urgent ones. A mutex cannot do this: parking_lot's fair unlock hands on
//! in arrival order only, and an unfair one to whoever comes back first (issue 24).

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rekindle_store::urgency::Urgency;

/// How long a write waits before it goes ahead of more urgent ones.
pub(crate) const OVERDUE: Duration = Duration::from_millis(200);

#[derive(Default)]
pub(crate) struct Turns {
    state: Mutex<State>,
    handed: Condvar,
}

#[derive(Default)]
struct State {
    held: bool,
    /// The waiter the writer was handed to, until it wakes and takes it.
    handed: Option<u64>,
    tickets: u64,
    waiting: Vec<Waiter>,
}

struct Waiter {
    urgency: Urgency,
    ticket: u64,
    since: Instant,
}

impl Waiter {
    fn rank(&self, now: Instant) -> (Urgency, u64) {
        let urgency = match now.duration_since(self.since) >= OVERDUE {
            true => Urgency::Prompt,
            false => self.urgency,
        };
        (urgency, self.ticket)
    }
}

/// The writer's turn, handed on when dropped.
pub(crate) struct Turn<'a>(&'a Turns);

impl Turns {
    /// Wait for the writer's turn.
    pub(crate) fn take(&self, urgency: Urgency) -> Turn<'_> {
        let mut state = self.state.lock();
        if !state.held {
            state.held = true;
            return Turn(self);
        }
        let ticket = state.tickets;
        state.tickets += 1;
        state.waiting.push(Waiter { urgency, ticket, since: Instant::now() });
        while state.handed != Some(ticket) {
            self.handed.wait(&mut state);
        }
        state.handed = None;
        Turn(self)
    }

    fn hand_on(&self) {
        let mut state = self.state.lock();
        let now = Instant::now();
        let next = state.waiting.iter().enumerate().min_by_key(|(_, w)| w.rank(now)).map(|(i, _)| i);
        match next {
            // Held on: nobody can take it between this hand-off and the waiter waking.
            Some(i) => {
                state.handed = Some(state.waiting.swap_remove(i).ticket);
                drop(state);
                self.handed.notify_all();
            }
            None => state.held = false,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.hand_on();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Start a thread that waits for a turn and says when it got it; returns once it waits.
    fn waiter(
        turns: &Arc<Turns>,
        urgency: Urgency,
        name: &'static str,
        order: &Arc<Mutex<Vec<&'static str>>>,
    ) -> std::thread::JoinHandle<()> {
        let before = turns.state.lock().waiting.len();
        let (turns2, order) = (turns.clone(), order.clone());
        let handle = std::thread::spawn(move || {
            let _turn = turns2.take(urgency);
            order.lock().push(name);
        });
        while turns.state.lock().waiting.len() == before {
            std::thread::yield_now();
        }
        handle
    }

    #[test]
    fn the_most_urgent_waiter_goes_next_and_equals_in_the_order_they_asked() {
        let turns = Arc::new(Turns::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = turns.take(Urgency::Normal);
        let waiters = [
            waiter(&turns, Urgency::Patient, "patient", &order),
            waiter(&turns, Urgency::Normal, "normal 1", &order),
            waiter(&turns, Urgency::Prompt, "prompt 1", &order),
            waiter(&turns, Urgency::Normal, "normal 2", &order),
            waiter(&turns, Urgency::Prompt, "prompt 2", &order),
        ];
        drop(held);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(*order.lock(), ["prompt 1", "prompt 2", "normal 1", "normal 2", "patient"]);
        // Free again: a turn is had at once.
        drop(turns.take(Urgency::Patient));
        assert!(!turns.state.lock().held);
    }

    #[test]
    fn an_overdue_waiter_goes_before_more_urgent_ones() {
        let turns = Arc::new(Turns::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = turns.take(Urgency::Normal);
        let patient = waiter(&turns, Urgency::Patient, "patient", &order);
        std::thread::sleep(OVERDUE);
        let prompt = waiter(&turns, Urgency::Prompt, "prompt", &order);
        drop(held);
        patient.join().unwrap();
        prompt.join().unwrap();
        assert_eq!(*order.lock(), ["patient", "prompt"]);
    }

    #[test]
    fn one_holder_at_a_time_and_nobody_left_waiting() {
        let turns = Arc::new(Turns::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (turns, inside, done) = (turns.clone(), inside.clone(), done.clone());
                std::thread::spawn(move || {
                    let urgency = [Urgency::Prompt, Urgency::Normal, Urgency::Patient][t % 3];
                    for _ in 0..500 {
                        let _turn = turns.take(urgency);
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
                        inside.fetch_sub(1, Ordering::SeqCst);
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 8 * 500);
        let state = turns.state.lock();
        assert!(!state.held && state.waiting.is_empty() && state.handed.is_none());
    }
}
