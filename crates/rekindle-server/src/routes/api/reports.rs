//! Reports (docs/reports.md): cohorts, repurchase, churn, wake-up, LTV, referral share,
//! after-sales resolution and the funnel, as JSON for the console and as CSV for Excel. All of
//! them are answered by the engine over the audience it already keeps (one road:
//! `rekindle_engine::measure::answer`), never by a query per report.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use rekindle_core::access::Permission;
use rekindle_core::calendar::Grain;
use rekindle_engine::measure::{Answer, Query, Request, answer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::{ApiPath, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report)).routes(routes!(report_csv))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First local day (YYYY-MM-DD); default 89 days before `to`.
    from: Option<String>,
    /// Last local day (YYYY-MM-DD); default today.
    to: Option<String>,
    /// `day`, `week` (default) or `month`.
    grain: Option<String>,
    /// Cohorts and LTV: `first_order` (default), `source`, `first_live` or `first_category`.
    by: Option<String>,
    /// N of N-day churn and of waking within N days (default 30), or journeys' and experiments'
    /// conversion window (default 7); 1 to 365.
    days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportColumn {
    pub key: String,
    /// In the operator's language.
    pub header: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub kind: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grain: Grain,
    pub by: String,
    pub days: i64,
    pub time_zone: String,
    /// The figures, shaped by kind (docs/reports.md): `cohorts` (also for LTV), `repurchase`,
    /// `churn`, `wakeup`, `referral`, `tickets`, `funnel`, `journeys`, `experiments`.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    /// The same figures as a table, as the CSV has them.
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<Vec<String>>,
}

impl ReportParams {
    fn request<'a>(&'a self, kind: &'a str) -> Request<'a> {
        Request {
            kind,
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            grain: self.grain.as_deref(),
            by: self.by.as_deref(),
            days: self.days,
        }
    }
}

async fn answered(
    access: &Access,
    state: &AppState,
    kind: &str,
    p: &ReportParams,
) -> Result<(Query, Answer, String), ApiError> {
    access.require(Permission::PeopleRead)?;
    let audience = state.engine.audience(access.ws()).await?;
    let cal = audience.context.calendar;
    let q = p
        .request(kind)
        .query(cal.day(audience.now))
        .map_err(|r| ApiError::field(ErrorCode::InvalidField, r.field, r.message(access.lang.rules())))?;
    let facts = q.kind.facts(&*state.store, access.ws(), &cal, &q, audience.now).await?;
    // A pass over every profile: off the async threads, so a large store's report never holds
    // up requests, ingestion or journeys.
    let answer =
        tokio::task::spawn_blocking(move || answer(&audience, &q, &facts)).await.map_err(|e| ApiError::internal(&e))?;
    Ok((q, super::redact::for_role(answer, access), cal.tz.name().to_string()))
}

/// One report over a window of the store's local days.
#[utoipa::path(get, path = "/api/v1/reports/{kind}", tag = "reports", security(("bearer" = []), ("session" = [])),
    params(("kind" = String, Path, description = "cohorts, repurchase, churn, wakeup, ltv, referral, tickets, funnel, journeys or experiments"), ReportParams, WorkspaceParam),
    responses((status = 200, body = ReportView), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn report(
    access: Access,
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<String>,
    Params(p): Params<ReportParams>,
) -> Result<Json<ReportView>, ApiError> {
    let (q, answer, time_zone) = answered(&access, &state, &kind, &p).await?;
    let table = answer.table();
    let lang = access.lang.rules();
    Ok(Json(ReportView {
        kind: q.kind.as_str().into(),
        from: q.window.from,
        to: q.window.to,
        grain: q.grain,
        by: q.by.as_str().into(),
        days: q.days,
        time_zone,
        answer: serde_json::to_value(&answer).map_err(|e| ApiError::internal(&e))?,
        columns: table
            .columns
            .iter()
            .map(|c| ReportColumn { key: c.key.into(), header: c.header(lang).into() })
            .collect(),
        rows: table.rows_in(lang),
    }))
}

/// One report as CSV for Excel: headers in the operator's language, UTF-8 with a BOM.
#[utoipa::path(get, path = "/api/v1/reports/{kind}/export.csv", tag = "reports", security(("bearer" = []), ("session" = [])),
    params(("kind" = String, Path, description = "As for the JSON report"), ReportParams, LangParam, WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError)))]
async fn report_csv(
    access: Access,
    State(state): State<AppState>,
    ApiPath(kind): ApiPath<String>,
    Params(p): Params<ReportParams>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    let (q, answer, _) = answered(&access, &state, &kind, &p).await?;
    let mut bytes = super::export_words::UTF8_BOM.as_bytes().to_vec();
    answer.table().write_csv(&mut bytes, lang.unwrap_or(access.lang).rules()).map_err(|e| ApiError::internal(&e))?;
    access.audit(&state, "report.export", q.kind.as_str().to_string()).await;
    Ok(super::csv_file::response(&format!("{}-{}-{}", q.kind.as_str(), q.window.from, q.window.to), bytes))
}
