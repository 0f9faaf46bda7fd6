//! An entry of a store's FAQ knowledge base, as the store writes it (retrieval is the
//! `rekindle-faq` crate's; the entry is here so storage and the API share it).

use serde::{Deserialize, Serialize};

/// A question customers ask, the other ways they put it, and the store's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = FaqEntry))]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable and unique in the store: what answers and hand-offs are logged by.
    pub id: String,
    #[serde(default)]
    pub category: String,
    pub question: String,
    #[serde(default)]
    pub alternatives: Vec<String>,
    pub answer: String,
}

/// A problem with an entry, naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub field: String,
    pub reason: String,
}

/// Longest text of any field, in characters.
const MAX_CHARS: usize = 2000;
const MAX_ALTERNATIVES: usize = 50;

impl Entry {
    /// The texts a question is matched against: the question and each alternative.
    pub fn phrasings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.alternatives.iter().map(String::as_str))
    }

    pub fn check(&self) -> Vec<EntryError> {
        let mut out = Vec::new();
        let mut bad = |field: String, reason: &str| out.push(EntryError { field, reason: reason.to_owned() });
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 100
            && self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            bad("id".into(), "1 to 100 letters, digits, - or _");
        }
        for (field, text) in [("question", &self.question), ("answer", &self.answer)] {
            let n = text.trim().chars().count();
            if n == 0 || n > MAX_CHARS {
                bad(field.into(), "must be 1 to 2000 characters");
            }
        }
        if self.alternatives.len() > MAX_ALTERNATIVES {
            bad("alternatives".into(), "at most 50");
        }
        for (i, a) in self.alternatives.iter().enumerate() {
            let n = a.trim().chars().count();
            if n == 0 || n > MAX_CHARS {
                bad(format!("alternatives[{i}]"), "must be 1 to 2000 characters");
            }
        }
        out
    }
}

/// What the assistant did with one question: answered it with an entry, or handed it off to a
/// person. Every question it is asked is logged so (docs/service.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = FaqLogged))]
pub struct Logged {
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who asked, when known (a live viewer, a customer who wrote in).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub person: Option<crate::PersonId>,
    pub question: String,
    /// The best entry, whatever the confidence.
    pub entry_id: Option<String>,
    pub confidence: f64,
    /// Answered (at or above the threshold); otherwise handed off.
    pub answered: bool,
    /// Where the question came from: `console` (tried), `live`, `message`, `api`.
    pub source: String,
}

/// An entry the assistant found for a question, with its confidence (0–1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = FaqSuggestion))]
pub struct Suggestion {
    pub entry_id: String,
    pub category: String,
    pub question: String,
    pub answer: String,
    pub confidence: f64,
}
