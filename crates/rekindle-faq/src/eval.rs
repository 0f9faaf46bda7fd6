//! Measuring an assistant on questions labelled with the entry that answers them (or none):
//! top-1 accuracy, and at a confidence threshold the precision of what it answers and the share
//! it hands off. The threshold is chosen on a tuning set, never on the set it is reported on.

use serde::{Deserialize, Serialize};

use crate::Retriever;
use crate::index::Hit;

/// A question as a customer put it, and the entry that answers it ("none": no entry does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub question: String,
    pub entry: String,
}

impl Labelled {
    fn answerable(&self) -> bool {
        self.entry != "none"
    }
}

/// Read labelled questions, one JSON object a line; blank lines and `#` comments skipped.
pub fn read(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Each question's best hit.
pub fn best(retriever: &dyn Retriever, set: &[Labelled]) -> Vec<Option<Hit>> {
    set.iter().map(|q| retriever.search(&q.question, 1).into_iter().next()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub questions: usize,
    pub answerable: usize,
    /// Of the answerable questions, how many the best entry answers, whatever the confidence.
    pub top1_accuracy: f64,
    pub threshold: f64,
    /// Answered (confidence at or above the threshold), and of those the right entry.
    pub answered: usize,
    pub correct: usize,
    pub precision: f64,
    /// Handed to a person.
    pub handoff_rate: f64,
    /// Of the answerable questions, how many were answered rightly.
    pub recall: f64,
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

pub fn metrics(set: &[Labelled], hits: &[Option<Hit>], threshold: f64) -> Metrics {
    let right = |q: &Labelled, h: &Option<Hit>| h.as_ref().is_some_and(|h| q.answerable() && h.id == q.entry);
    let answerable = set.iter().filter(|q| q.answerable()).count();
    let top1 = set.iter().zip(hits).filter(|(q, h)| right(q, h)).count();
    let answered: Vec<(&Labelled, &Option<Hit>)> =
        set.iter().zip(hits).filter(|(_, h)| h.as_ref().is_some_and(|h| h.confidence >= threshold)).collect();
    let correct = answered.iter().filter(|(q, h)| right(q, h)).count();
    Metrics {
        questions: set.len(),
        answerable,
        top1_accuracy: share(top1, answerable),
        threshold,
        answered: answered.len(),
        correct,
        precision: share(correct, answered.len()),
        handoff_rate: share(set.len() - answered.len(), set.len()),
        recall: share(correct, answerable),
    }
}

/// What a wrong answer costs against a hand-off: a customer told the wrong thing is worse off
/// than one who waits for a person.
pub const WRONG_COST: f64 = 3.0;

/// The threshold (in steps of 0.01) that does best on `set`: right answers less
/// [`WRONG_COST`] per wrong one; on a tie the lower, which answers more.
pub fn choose_threshold(set: &[Labelled], hits: &[Option<Hit>]) -> f64 {
    let mut best = (f64::MIN, 0.0);
    for step in 0..=100 {
        let t = f64::from(step) / 100.0;
        let m = metrics(set, hits, t);
        let value = m.correct as f64 - WRONG_COST * (m.answered - m.correct) as f64;
        if value > best.0 {
            best = (value, t);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, confidence: f64) -> Option<Hit> {
        Some(Hit { entry: 0, id: id.into(), score: confidence, confidence })
    }

    #[test]
    fn precision_counts_what_is_answered_and_hand_offs_what_is_not() {
        let set = read(
            "{\"question\": \"a\", \"entry\": \"x\"}\n# a comment\n\n{\"question\": \"b\", \"entry\": \"y\"}\n\
             {\"question\": \"c\", \"entry\": \"none\"}\n{\"question\": \"d\", \"entry\": \"x\"}",
        )
        .unwrap();
        let hits = vec![hit("x", 0.9), hit("x", 0.8), hit("x", 0.2), hit("x", 0.4)];
        let m = metrics(&set, &hits, 0.5);
        assert_eq!((m.questions, m.answerable, m.answered, m.correct), (4, 3, 2, 1));
        assert_eq!((m.precision, m.handoff_rate), (0.5, 0.5));
        assert!((m.top1_accuracy - 2.0 / 3.0).abs() < 1e-9);
        // Answering only above 0.85 gives up one right answer to avoid one wrong one: worth it.
        assert_eq!(choose_threshold(&set, &hits), 0.81);
        assert!(read("{\"question\": 1}").unwrap_err().starts_with("line 1"));
    }
}
