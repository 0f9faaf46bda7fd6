//! How long each step of a refresh took, for the debug log (`refresh phases`): where a slow
//! refresh spends its time (reading and folding the log, resolving invitations, judging,
//! recording).

use std::time::{Duration, Instant};

/// The steps timed so far, each since the one before.
pub(crate) struct Phases {
    last: Instant,
    took: Vec<(&'static str, Duration)>,
}

impl Phases {
    pub(crate) fn start() -> Self {
        Self { last: Instant::now(), took: Vec::new() }
    }

    pub(crate) fn mark(&mut self, step: &'static str) {
        let now = Instant::now();
        self.took.push((step, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (step, took)) in self.took.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{step}={}ms", took.as_millis())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_timed_since_the_one_before_and_named_in_order() {
        let mut phases = Phases::start();
        phases.mark("folded");
        std::thread::sleep(Duration::from_millis(3));
        phases.mark("judged");
        assert!(phases.took[1].1 >= Duration::from_millis(3));
        let shown = phases.to_string();
        assert!(shown.starts_with("folded=") && shown.contains(" judged="), "{shown}");
        assert!(shown.ends_with("ms"), "{shown}");
    }
}
