//! Reports (docs/reports.md): cohorts, repurchase, churn, wake-up, LTV, referral share,
//! after-sales resolution and the funnel, as JSON for the console and as CSV for Excel. All of
//! them are answered by the engine over the audience it already keeps (one road:
//! `rekindle_engine::measure::answer`), never by a query per report.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use rekindle_core::access::Permission;
use rekindle_core::calendar::Grain;
use rekindle_core::csv_cell;
use rekindle_engine::measure::cohorts::CohortBy;
use rekindle_engine::measure::{Answer, Kind, Query, Window, answer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::{LangParam, UTF8_BOM};
use super::{ApiPath, Lang, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report)).routes(routes!(report_csv))
}

/// The longest window a report covers, and the longest by day.
const MAX_DAYS: i64 = 1_100;
const MAX_DAILY: i64 = 120;

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
    /// N of N-day churn and of waking within N days (default 30, 1 to 365).
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
    /// `churn`, `wakeup`, `referral`, `tickets`, `funnel`.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    /// The same figures as a table, as the CSV has them.
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<Vec<String>>,
}

/// The words of an error, in the operator's language.
fn say(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::En { en.into() } else { zh.into() }
}

fn bad(lang: Lang, field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, say(lang, zh, en))
}

fn parse_kind(text: &str, lang: Lang) -> Result<Kind, ApiError> {
    Kind::parse(text).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        let all = all.join(", ");
        bad(lang, "kind", &format!("没有这种报表，可选：{all}"), &format!("no such report; one of: {all}"))
    })
}

fn query(kind: Kind, p: &ReportParams, today: NaiveDate, lang: Lang) -> Result<Query, ApiError> {
    let day = |field: &str, text: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
        text.as_deref()
            .map(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| bad(lang, field, "日期格式应为 YYYY-MM-DD", "must be a date, YYYY-MM-DD"))
            })
            .transpose()
    };
    let to = day("to", &p.to)?.unwrap_or(today);
    let from = day("from", &p.from)?.unwrap_or(to - Duration::days(89));
    if from > to {
        return Err(bad(lang, "from", "开始日期不能晚于结束日期", "must not be after `to`"));
    }
    let grain = match p.grain.as_deref() {
        None => Grain::Week,
        Some(g) => Grain::parse(g)
            .ok_or_else(|| bad(lang, "grain", "应为 day、week 或 month", "must be day, week or month"))?,
    };
    let span = (to - from).num_days() + 1;
    if span > MAX_DAYS {
        return Err(bad(lang, "from", "时间范围最长 1100 天", "the window is at most 1,100 days"));
    }
    if grain == Grain::Day && span > MAX_DAILY {
        return Err(bad(
            lang,
            "grain",
            "按天统计时范围最长 120 天，请按周或按月",
            "by day, the window is at most 120 days; use week or month",
        ));
    }
    let by = match p.by.as_deref() {
        None => CohortBy::FirstOrder,
        Some(b) => CohortBy::parse(b).ok_or_else(|| {
            bad(
                lang,
                "by",
                "应为 first_order、source、first_live 或 first_category",
                "must be first_order, source, first_live or first_category",
            )
        })?,
    };
    let days = p.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(bad(lang, "days", "天数应在 1 到 365 之间", "must be between 1 and 365"));
    }
    Ok(Query { kind, window: Window { from, to }, grain, by, days })
}

fn by_name(by: CohortBy) -> &'static str {
    match by {
        CohortBy::FirstOrder => "first_order",
        CohortBy::Source => "source",
        CohortBy::FirstLive => "first_live",
        CohortBy::FirstCategory => "first_category",
    }
}

async fn answered(
    access: &Access,
    state: &AppState,
    kind: &str,
    p: &ReportParams,
) -> Result<(Query, Answer, String), ApiError> {
    access.require(Permission::PeopleRead)?;
    let kind = parse_kind(kind, access.lang)?;
    let audience = state.engine.audience(access.ws()).await?;
    let cal = audience.context.calendar;
    let q = query(kind, p, cal.day(audience.now), access.lang)?;
    // A pass over every profile: off the async threads, so a large store's report never holds
    // up requests, ingestion or journeys.
    let answer =
        tokio::task::spawn_blocking(move || answer(&audience, &q)).await.map_err(|e| ApiError::internal(&e))?;
    Ok((q, answer, cal.tz.name().to_string()))
}

/// One report over a window of the store's local days.
#[utoipa::path(get, path = "/api/v1/reports/{kind}", tag = "reports", security(("bearer" = []), ("session" = [])),
    params(("kind" = String, Path, description = "cohorts, repurchase, churn, wakeup, ltv, referral, tickets or funnel"), ReportParams, WorkspaceParam),
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
        by: by_name(q.by).into(),
        days: q.days,
        time_zone,
        answer: serde_json::to_value(&answer).map_err(|e| ApiError::internal(&e))?,
        columns: table
            .columns
            .iter()
            .map(|c| ReportColumn { key: c.key.into(), header: c.header(lang).into() })
            .collect(),
        rows: table.rows,
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
    let bytes = csv_bytes(&answer, lang.unwrap_or(access.lang).rules()).map_err(|e| ApiError::internal(&e))?;
    access.audit(&state, "report.export", q.kind.as_str().to_string()).await;
    let file = format!("attachment; filename=\"{}-{}-{}.csv\"", q.kind.as_str(), q.window.from, q.window.to);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], bytes)
        .into_response())
}

fn csv_bytes(answer: &Answer, lang: rekindle_rules::Lang) -> Result<Vec<u8>, csv::Error> {
    let table = answer.table();
    let mut out = csv::Writer::from_writer(UTF8_BOM.as_bytes().to_vec());
    out.write_record(table.headers(lang))?;
    for row in &table.rows {
        out.write_record(row.iter().map(|c| csv_cell::text(c).into_owned()))?;
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
