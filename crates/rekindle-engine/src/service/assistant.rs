//! The FAQ assistant of each store: its knowledge base indexed once and kept for a little
//! while (a write through this process drops it at once; another node's write is seen within
//! [`FRESH`]), asked by the console, the live monitor and inbound messages. Every question it
//! answers or hands off is logged with its confidence.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rekindle_core::service::faq::{Logged, Suggestion};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_faq::{Index, Retriever};
use rekindle_store::Store;
use serde::Serialize;

/// How long an index is used before the knowledge base is read again.
const FRESH: Duration = Duration::from_secs(10);
/// Longest question looked at, in characters (a question is a sentence, not a letter).
pub const MAX_QUESTION: usize = 500;

struct Loaded {
    at: Instant,
    index: Arc<Index>,
    threshold: f64,
}

/// What the assistant makes of a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// At or above the store's threshold: the best entry answers. Below it: a person should.
    pub answered: bool,
    pub threshold: f64,
    /// The best entries, best first.
    pub candidates: Vec<Suggestion>,
}

impl Answer {
    /// The answer given, if the assistant answers.
    pub fn given(&self) -> Option<&Suggestion> {
        self.candidates.first().filter(|_| self.answered)
    }
}

pub struct Assistant {
    store: Arc<dyn Store>,
    loaded: Mutex<HashMap<WorkspaceId, Arc<Loaded>>>,
}

impl Assistant {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, loaded: Mutex::default() }
    }

    /// The knowledge base changed: index it again when next asked.
    pub fn forget(&self, ws: WorkspaceId) {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).remove(&ws);
    }

    async fn index(&self, ws: WorkspaceId) -> rekindle_store::Result<Arc<Loaded>> {
        if let Some(l) = self.loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&ws)
            && l.at.elapsed() < FRESH
        {
            return Ok(l.clone());
        }
        let entries = self.store.faq_entries(ws).await?;
        let threshold = self.store.service_settings(ws).await?.faq_threshold;
        // Tokenizing is CPU work (jieba loads its dictionary the first time): off the runtime.
        let index = tokio::task::spawn_blocking(move || Index::new(entries))
            .await
            .map_err(|e| rekindle_store::StoreError::backend(std::io::Error::other(e.to_string())))?;
        let loaded = Arc::new(Loaded { at: Instant::now(), index: Arc::new(index), threshold });
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(ws, loaded.clone());
        Ok(loaded)
    }

    /// What the knowledge base says to `question`, logged nowhere: for looking, as the live
    /// monitor suggests answers to the host.
    pub async fn ask(&self, ws: WorkspaceId, question: &str, k: usize) -> rekindle_store::Result<Answer> {
        let loaded = self.index(ws).await?;
        let question: String = question.chars().take(MAX_QUESTION).collect();
        let entries = loaded.index.entries();
        let candidates: Vec<Suggestion> = loaded
            .index
            .search(&question, k.max(1))
            .into_iter()
            .map(|h| {
                let e = &entries[h.entry];
                Suggestion {
                    entry_id: e.id.clone(),
                    category: e.category.clone(),
                    question: e.question.clone(),
                    answer: e.answer.clone(),
                    confidence: h.confidence,
                }
            })
            .collect();
        let answered = candidates.first().is_some_and(|c| c.confidence >= loaded.threshold);
        Ok(Answer { answered, threshold: loaded.threshold, candidates })
    }

    /// Answer `question` or hand it off, and log which with its confidence.
    pub async fn answer(
        &self,
        ws: WorkspaceId,
        question: &str,
        person: Option<PersonId>,
        source: &str,
        at: DateTime<Utc>,
    ) -> rekindle_store::Result<Answer> {
        let answer = self.ask(ws, question, 3).await?;
        let best = answer.candidates.first();
        let logged = Logged {
            at,
            person,
            question: question.chars().take(MAX_QUESTION).collect(),
            entry_id: best.map(|b| b.entry_id.clone()),
            confidence: best.map_or(0.0, |b| b.confidence),
            answered: answer.answered,
            source: source.to_owned(),
        };
        self.store.log_faq(ws, &logged).await?;
        Ok(answer)
    }
}
