//! The baseline retrieval is measured against: character-bigram overlap (Dice) between the
//! question and each phrasing, with no dictionary and no weights.

use std::collections::HashSet;

use crate::Entry;
use crate::Retriever;
use crate::index::Hit;

pub struct Bigrams {
    ids: Vec<String>,
    docs: Vec<(usize, HashSet<(char, char)>)>,
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

impl Bigrams {
    pub fn new(entries: &[Entry]) -> Self {
        let docs = entries.iter().enumerate().flat_map(|(i, e)| e.phrasings().map(move |p| (i, bigrams(p)))).collect();
        Self { ids: entries.iter().map(|e| e.id.clone()).collect(), docs }
    }
}

impl Retriever for Bigrams {
    fn search(&self, question: &str, k: usize) -> Vec<Hit> {
        let q = bigrams(question);
        if q.is_empty() {
            return vec![];
        }
        let mut best = vec![0.0f64; self.ids.len()];
        for (e, d) in &self.docs {
            let shared = q.intersection(d).count();
            let dice = 2.0 * shared as f64 / (q.len() + d.len()) as f64;
            best[*e] = best[*e].max(dice);
        }
        let mut hits: Vec<(usize, f64)> = best.into_iter().enumerate().filter(|(_, s)| *s > 0.0).collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits.into_iter().map(|(e, s)| Hit { entry: e, id: self.ids[e].clone(), score: s, confidence: s }).collect()
    }
}
