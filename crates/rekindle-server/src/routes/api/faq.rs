//! The FAQ assistant for operators (docs/service.md, "FAQ assistant"): the store's knowledge
//! base (entries added, replaced and deleted one by one, or imported from a CSV), a question
//! asked of it (the console's "try a question", a chat bridge), and the questions it handed off
//! (offered as new entries). A question from a known customer that is handed off becomes a
//! message waiting for the service role.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rekindle_core::access::Permission;
use rekindle_core::events;
use rekindle_core::service::faq::{Entry, Suggestion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::people::find;
use super::redact::shown_text;
use super::{ApiPath, Body, Params, WorkspaceParam};
use crate::auth::{Access, Can, perm};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries))
        .routes(routes!(put_entry, delete_entry))
        .routes(routes!(import_entries))
        .routes(routes!(ask))
        .routes(routes!(handoffs))
}

/// Entries a knowledge base may hold.
const MAX_ENTRIES: usize = 20_000;
/// Rows of one CSV import.
const MAX_IMPORT: usize = 5_000;

#[derive(Serialize, ToSchema)]
pub struct EntryList {
    pub entries: Vec<Entry>,
    /// Answer at or above this confidence.
    pub threshold: f64,
}

/// The store's knowledge base, in the order entries were added.
#[utoipa::path(get, path = "/api/v1/faq/entries", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), responses((status = 200, body = EntryList), (status = 403, body = ApiError)))]
async fn list_entries(access: Access, State(state): State<AppState>) -> Result<Json<EntryList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let entries = state.store.faq_entries(access.ws()).await?;
    let threshold = state.store.service_settings(access.ws()).await?.faq_threshold;
    Ok(Json(EntryList { entries, threshold }))
}

fn checked(e: &Entry, at: &str) -> Result<(), ApiError> {
    match e.check().into_iter().next() {
        Some(err) => Err(ApiError::field(ErrorCode::InvalidField, format!("{at}{}", err.field), err.reason)),
        None => Ok(()),
    }
}

async fn room_for(state: &AppState, access: &Access, adding: usize) -> Result<(), ApiError> {
    let held = state.store.faq_entries(access.ws()).await?.len();
    if held + adding > MAX_ENTRIES {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "entries",
            format!("a knowledge base holds at most {MAX_ENTRIES} entries"),
        ));
    }
    Ok(())
}

/// Add an entry, or replace the one with this id.
#[utoipa::path(put, path = "/api/v1/faq/entries/{id}", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Entry id"), WorkspaceParam), request_body = Entry,
    responses((status = 200, body = Entry), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn put_entry(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    Body(entry): Body<Entry>,
) -> Result<Json<Entry>, ApiError> {
    if entry.id != id {
        return Err(ApiError::field(ErrorCode::InvalidField, "id", "must be the id in the path"));
    }
    checked(&entry, "")?;
    room_for(&state, &access, 1).await?;
    state.store.put_faq_entries(access.ws(), std::slice::from_ref(&entry), state.engine.now()).await?;
    state.assistant.forget(access.ws());
    access.audit(&state, "faq.entry.put", id).await;
    Ok(Json(entry))
}

/// Delete an entry.
#[utoipa::path(delete, path = "/api/v1/faq/entries/{id}", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path, description = "Entry id"), WorkspaceParam),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn delete_entry(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_faq_entry(access.ws(), &id).await?;
    state.assistant.forget(access.ws());
    access.audit(&state, "faq.entry.delete", id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    /// A CSV with the header `id,category,question,alternatives,answer`; alternatives are
    /// separated by `|` (a header in Chinese, `编号,分类,问题,其他问法,答案`, is read too).
    pub csv: String,
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    pub added: usize,
    pub replaced: usize,
}

/// The header's columns, English or Chinese.
const HEADER: [(&str, &str); 5] =
    [("id", "编号"), ("category", "分类"), ("question", "问题"), ("alternatives", "其他问法"), ("answer", "答案")];

/// Entries from a CSV; the first problem named by its line and column.
pub fn read_csv(text: &str) -> Result<Vec<Entry>, ApiError> {
    let bad = |field: String, reason: String| ApiError::field(ErrorCode::InvalidField, field, reason);
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().map_err(|e| bad("csv".into(), e.to_string()))?.clone();
    let column = |name: (&str, &str)| header.iter().position(|h| h.trim() == name.0 || h.trim() == name.1);
    let mut at = [0usize; 5];
    for (i, name) in HEADER.iter().enumerate() {
        at[i] = column(*name).ok_or_else(|| bad("csv".into(), format!("the header has no {} column", name.0)))?;
    }
    let mut out: Vec<Entry> = Vec::new();
    for (n, row) in reader.records().enumerate() {
        let line = n + 2;
        let row = row.map_err(|e| bad(format!("csv.line[{line}]"), e.to_string()))?;
        if out.len() == MAX_IMPORT {
            return Err(bad("csv".into(), format!("at most {MAX_IMPORT} rows at once")));
        }
        let cell = |i: usize| row.get(at[i]).unwrap_or("").trim().to_owned();
        let entry = Entry {
            id: cell(0),
            category: cell(1),
            question: cell(2),
            alternatives: cell(3).split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            answer: cell(4),
        };
        checked(&entry, &format!("csv.line[{line}]."))?;
        if out.iter().any(|e| e.id == entry.id) {
            return Err(bad(format!("csv.line[{line}].id"), format!("{} appears twice", entry.id)));
        }
        out.push(entry);
    }
    if out.is_empty() {
        return Err(bad("csv".into(), "holds no entries".into()));
    }
    Ok(out)
}

/// Add or replace entries from a CSV, all or none: a file with a bad line changes nothing.
#[utoipa::path(post, path = "/api/v1/faq/import", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = ImportInput,
    responses((status = 200, body = Imported), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn import_entries(
    access: Can<perm::ServiceManage>,
    State(state): State<AppState>,
    Body(input): Body<ImportInput>,
) -> Result<Json<Imported>, ApiError> {
    let entries = read_csv(&input.csv)?;
    room_for(&state, &access, entries.len()).await?;
    let added = state.store.put_faq_entries(access.ws(), &entries, state.engine.now()).await?;
    state.assistant.forget(access.ws());
    access.audit(&state, "faq.import", format!("{} entries", entries.len())).await;
    Ok(Json(Imported { added, replaced: entries.len() - added }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskInput {
    pub question: String,
    /// Who asked, when known (a person id or identifier): a hand-off becomes their message
    /// waiting for the service.
    pub person: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AskAnswer {
    /// The knowledge base answers (the best entry's confidence reaches the threshold);
    /// otherwise a person should.
    pub answered: bool,
    pub threshold: f64,
    /// The answer given, when answered.
    pub answer: Option<Suggestion>,
    /// The best entries, best first, whatever their confidence.
    pub candidates: Vec<Suggestion>,
    /// A person who asked and was handed off now has a message waiting.
    pub handed_off_to_service: bool,
}

/// Ask the knowledge base a question: its answer above the threshold, a hand-off below it.
/// Every question is logged with its confidence.
#[utoipa::path(post, path = "/api/v1/faq/ask", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(WorkspaceParam), request_body = AskInput,
    responses((status = 200, body = AskAnswer), (status = 400, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn ask(
    access: Access,
    State(state): State<AppState>,
    Body(input): Body<AskInput>,
) -> Result<Json<AskAnswer>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let n = input.question.trim().chars().count();
    let max = rekindle_engine::service::MAX_QUESTION;
    if n == 0 || n > max {
        return Err(ApiError::field(ErrorCode::InvalidField, "question", format!("must be 1 to {max} characters")));
    }
    let person = match &input.person {
        Some(who) => {
            access.require(Permission::ServiceManage)?;
            Some(find(&state, &access, who).await?)
        }
        None => None,
    };
    let now = state.engine.now();
    let source = if person.is_some() { "api" } else { "console" };
    let answer =
        state.assistant.answer(access.ws(), &input.question, person.as_ref().map(|p| p.id), source, now).await?;
    let mut handed = false;
    if let (Some(p), false) = (&person, answer.answered) {
        let props = serde_json::json!({"text": input.question, "channel": "faq"});
        let key = rekindle_core::ids::Uuid::now_v7().simple().to_string();
        let id = format!("rekindle:message-received:{key}");
        super::service::record(&state, &access, p, events::MESSAGE_RECEIVED, &id, props).await?;
        handed = true;
    }
    Ok(Json(AskAnswer {
        answered: answer.answered,
        threshold: answer.threshold,
        answer: answer.given().cloned(),
        candidates: answer.candidates,
        handed_off_to_service: handed,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Handoff {
    pub question: String,
    /// How often it was asked (the same words, spaces aside).
    pub count: usize,
    pub last_at: chrono::DateTime<chrono::Utc>,
    /// The nearest entry and its confidence: an alternative phrasing to add there, or a new entry.
    pub nearest_entry_id: Option<String>,
    pub confidence: f64,
}

#[derive(Serialize, ToSchema)]
pub struct HandoffList {
    pub handoffs: Vec<Handoff>,
    /// Of the latest questions logged, how many were answered and handed off.
    pub answered: usize,
    pub handed_off: usize,
}

/// The questions the assistant handed off lately, the most asked first: each a knowledge-base
/// entry waiting to be written.
#[utoipa::path(get, path = "/api/v1/faq/handoffs", tag = "faq", security(("bearer" = []), ("session" = [])),
    params(super::Limit, WorkspaceParam),
    responses((status = 200, body = HandoffList), (status = 403, body = ApiError)))]
async fn handoffs(
    access: Access,
    State(state): State<AppState>,
    Params(limit): Params<super::Limit>,
) -> Result<Json<HandoffList>, ApiError> {
    access.require(Permission::PeopleRead)?;
    let log = state.store.faq_log(access.ws(), false, 2000).await?;
    let answered = log.iter().filter(|l| l.answered).count();
    let mut grouped: Vec<Handoff> = Vec::new();
    for l in log.iter().filter(|l| !l.answered) {
        let key: String = l.question.split_whitespace().collect();
        match grouped.iter_mut().find(|h| h.question.split_whitespace().collect::<String>() == key) {
            Some(h) => h.count += 1,
            None => grouped.push(Handoff {
                question: l.question.clone(),
                count: 1,
                last_at: l.at,
                nearest_entry_id: l.entry_id.clone(),
                confidence: l.confidence,
            }),
        }
    }
    let handed_off = log.len() - answered;
    grouped.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_at.cmp(&a.last_at)));
    grouped.truncate(limit.get() as usize);
    for h in &mut grouped {
        h.question = shown_text(&access, std::mem::take(&mut h.question));
    }
    Ok(Json(HandoffList { handoffs: grouped, answered, handed_off }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_read_whole_or_refused_by_line() {
        let ok = "\u{feff}编号,分类,问题,其他问法,答案\nmilk,保存,牛奶能放多久,鲜奶保质期|开封后能放几天,冷藏7天\n";
        let entries = read_csv(ok).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].alternatives, ["鲜奶保质期", "开封后能放几天"]);
        let bad = "id,category,question,alternatives,answer\nmilk,,牛奶,,冷藏\n,,蛋,,常温\n";
        let e = read_csv(bad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("csv.line[3].id"));
        let twice = "id,category,question,alternatives,answer\nmilk,,牛奶,,冷藏\nmilk,,蛋,,常温\n";
        assert_eq!(read_csv(twice).unwrap_err().field.as_deref(), Some("csv.line[3].id"));
        assert_eq!(read_csv("id,question\nmilk,牛奶\n").unwrap_err().field.as_deref(), Some("csv"));
        assert_eq!(read_csv("id,category,question,alternatives,answer\n").unwrap_err().field.as_deref(), Some("csv"));
    }
}
