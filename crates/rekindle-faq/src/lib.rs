//! The FAQ assistant (issue 20; docs/service.md, "FAQ assistant"): a store's knowledge base of
//! questions, their other phrasings and answers; Chinese tokenization (jieba, its dictionary
//! loaded once per process); ranked retrieval by BM25 over every phrasing, with a confidence
//! that says how much of the question the best entry covers; an answer only above the store's
//! threshold, a hand-off to a person below it. Pure: no IO beyond reading what it is given.
//!
//! BM25 is written here rather than taken from tantivy: a store's knowledge base is thousands
//! of short phrasings held in memory, and an inverted index of them is a page of code where
//! tantivy would bring a disk index, its own tokenizer pipeline and a long build.

mod baseline;
pub mod eval;
mod index;
mod tokenize;

pub use baseline::Bigrams;
pub use index::{Hit, Index};
pub use rekindle_core::service::faq::{Entry, EntryError};
pub use tokenize::tokens;

/// The confidence at or above which the starter knowledge base answers (a store may set its own).
pub use rekindle_core::service::settings::DEFAULT_FAQ_THRESHOLD as DEFAULT_THRESHOLD;

/// The demo store's starter knowledge base: shelf life, storage, origin, shipping, pickup,
/// after-sales, cooking, orders, points, live streams and products.
pub fn starter() -> Vec<Entry> {
    serde_json::from_str(include_str!("../data/starter.json")).expect("the starter knowledge base is well-formed")
}

/// What answers a question: the knowledge base's retrieval, or the baseline it is compared with.
pub trait Retriever {
    /// The best entries for `question`, best first, at most `k`, each with its confidence (0–1).
    fn search(&self, question: &str, k: usize) -> Vec<Hit>;
}
