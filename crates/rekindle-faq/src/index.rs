//! Ranked retrieval: BM25 over every phrasing of every entry, an entry scoring as its best
//! phrasing. The confidence is the best score over the most the question's terms could score
//! (each met once, in a phrasing of average length): how much of what was asked the entry
//! covers, weighted by how telling each word is. A word the knowledge base has never seen
//! counts against it, so "能寄到新疆吗" is not answered by an entry that only knows "寄".

use std::collections::HashMap;

use crate::Entry;
use crate::Retriever;
use crate::tokenize::terms;

/// BM25's usual constants: term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One entry found for a question.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// Index into the knowledge base's entries.
    pub entry: usize,
    pub id: String,
    pub score: f64,
    /// 0–1: how much of the question the entry covers.
    pub confidence: f64,
}

struct Doc {
    entry: u32,
    len: f32,
}

/// A knowledge base ready to be asked.
pub struct Index {
    entries: Vec<Entry>,
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<(u32, u16)>>,
    avg_len: f32,
}

impl Index {
    pub fn new(entries: Vec<Entry>) -> Self {
        let mut docs = Vec::new();
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        for (e, entry) in entries.iter().enumerate() {
            for text in entry.phrasings() {
                let d = docs.len() as u32;
                let terms = terms(text);
                let mut tf: HashMap<String, u16> = HashMap::new();
                for t in &terms {
                    *tf.entry(t.clone()).or_default() += 1;
                }
                for (t, n) in tf {
                    postings.entry(t).or_default().push((d, n));
                }
                docs.push(Doc { entry: e as u32, len: terms.len().max(1) as f32 });
            }
        }
        let avg_len = docs.iter().map(|d| d.len).sum::<f32>() / docs.len().max(1) as f32;
        Self { entries, docs, postings, avg_len }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.docs.len() as f32;
        (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln()
    }
}

impl Retriever for Index {
    fn search(&self, question: &str, k: usize) -> Vec<Hit> {
        let mut terms = terms(question);
        terms.sort();
        terms.dedup();
        let mut bound = 0.0f32;
        let mut by_doc: HashMap<u32, f32> = HashMap::new();
        for t in &terms {
            let postings = self.postings.get(t).map_or(&[][..], Vec::as_slice);
            let idf = self.idf(postings.len());
            bound += idf;
            for &(d, tf) in postings {
                let tf = f32::from(tf);
                let len = self.docs[d as usize].len;
                let s = idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.avg_len));
                *by_doc.entry(d).or_default() += s;
            }
        }
        let mut by_entry: HashMap<u32, f32> = HashMap::new();
        for (d, s) in by_doc {
            let best = by_entry.entry(self.docs[d as usize].entry).or_default();
            *best = best.max(s);
        }
        let mut hits: Vec<(u32, f32)> = by_entry.into_iter().collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits.into_iter()
            .map(|(e, s)| Hit {
                entry: e as usize,
                id: self.entries[e as usize].id.clone(),
                score: f64::from(s),
                confidence: if bound > 0.0 { f64::from((s / bound).min(1.0)) } else { 0.0 },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, question: &str, alternatives: &[&str]) -> Entry {
        Entry {
            id: id.into(),
            category: String::new(),
            question: question.into(),
            alternatives: alternatives.iter().map(|s| (*s).to_string()).collect(),
            answer: format!("{id} 的回答"),
        }
    }

    fn kb() -> Index {
        Index::new(vec![
            entry("milk-shelf-life", "鲜牛奶能放几天？", &["牛奶保质期多久", "鲜奶开封后能放多久"]),
            entry("eggs-origin", "鸡蛋是哪里产的？", &["土鸡蛋产地在哪", "鸡蛋是散养的吗"]),
            entry("refund", "收到的菜坏了怎么退款？", &["东西坏了能退钱吗", "变质了怎么售后"]),
        ])
    }

    #[test]
    fn the_entry_that_covers_the_question_ranks_first_and_is_confident() {
        let kb = kb();
        let hits = kb.search("牛奶的保质期是多久呀", 3);
        assert_eq!(hits[0].id, "milk-shelf-life", "{hits:?}");
        assert!(hits[0].confidence > crate::DEFAULT_THRESHOLD, "{hits:?}");
        assert!(hits.get(1).is_none_or(|h| h.confidence < hits[0].confidence / 2.0), "{hits:?}");
        assert_eq!(kb.search("草莓坏了可以退钱吗", 1)[0].id, "refund");
    }

    #[test]
    fn a_question_the_base_does_not_cover_is_not_confident() {
        let kb = kb();
        let off = kb.search("你们招聘团长吗", 1);
        assert!(off.first().is_none_or(|h| h.confidence < 0.3), "{off:?}");
        assert!(kb.search("？！", 3).is_empty());
    }

    proptest::proptest! {
        /// Any text is a question: it gets hits or none, confidences in 0–1, never a panic.
        #[test]
        fn any_text_is_searched_without_panicking(q in "\\PC{0,60}") {
            for h in kb().search(&q, 3) {
                proptest::prop_assert!((0.0..=1.0).contains(&h.confidence));
            }
        }
    }
}
