//! The service's figures as spreadsheets for Excel, headed in the operator's language: the
//! tickets of the window, churn by resolution speed, first replies per staff member.

use axum::extract::State;
use axum::response::Response;
use rekindle_core::access::Permission;
use rekindle_core::csv_cell::{number, text};
use rekindle_core::money::yuan_text;
use rekindle_core::service::rows::TicketRow;
use rekindle_engine::service::queue::{self, Status};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::export_words::LangParam;
use super::service::{FiguresParams, ServiceFigures, figures, rows};
use super::{Lang, Params, WorkspaceParam};
use crate::auth::Access;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(service_csv))
}

type Rows = Vec<Vec<String>>;

/// Tickets one CSV holds at most.
const MAX_TICKETS: usize = 50_000;

fn header(lang: Lang, words: &[(&str, &str)]) -> Vec<String> {
    words.iter().map(|(zh, en)| if lang == Lang::Zh { *zh } else { *en }.to_owned()).collect()
}

fn rate(r: Option<f64>) -> String {
    r.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn speed_words(speed: &str, lang: Lang) -> &str {
    match (speed, lang) {
        ("within_24h", Lang::Zh) => "24 小时内",
        ("within_48h", Lang::Zh) => "24–48 小时",
        ("over_48h", Lang::Zh) => "超过 48 小时",
        ("unresolved", Lang::Zh) => "未解决",
        (s, _) => s,
    }
}

fn churn(f: &ServiceFigures, lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[("解决用时", "resolved"), ("工单", "tickets"), ("流失", "churned"), ("流失率", "churn rate")],
    )];
    for s in &f.tickets.churn_by_speed {
        rows.push(vec![speed_words(&s.speed, lang).to_owned(), number(s.tickets), number(s.churned), rate(s.rate)]);
    }
    rows
}

fn staff(f: &ServiceFigures, lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[
            ("客服", "staff"),
            ("咨询", "asked"),
            ("已回复", "answered"),
            ("工作时间15分钟内", "within 15 working minutes"),
            ("15分钟内回复率", "share within 15 working minutes"),
            ("2小时内", "within 2 hours"),
            ("2小时内回复率", "share within 2 hours"),
            ("首次回复中位数（秒）", "median first reply (s)"),
        ],
    )];
    for s in &f.replies.per_staff {
        rows.push(vec![
            text(&s.staff).into_owned(),
            number(s.asked),
            number(s.answered),
            number(s.within_working),
            rate(s.share_working),
            number(s.within_overall),
            rate(s.share_overall),
            s.median_first_reply_seconds.map(|v| format!("{v:.0}")).unwrap_or_default(),
        ]);
    }
    rows
}

fn tickets(list: &[TicketRow], lang: Lang) -> Rows {
    let mut rows = vec![header(
        lang,
        &[
            ("工单号", "ticket"),
            ("顾客", "customer"),
            ("用户ID", "person id"),
            ("原因", "reason"),
            ("订单号", "order"),
            ("创建时间", "opened at"),
            ("解决时间", "resolved at"),
            ("用时（小时）", "hours"),
            ("超时", "late"),
            ("负责人", "assignee"),
            ("处理结果", "resolution"),
            ("累计消费（元）", "spend (yuan)"),
        ],
    )];
    let yes = |b: bool| match (b, lang) {
        (true, Lang::Zh) => "是",
        (false, Lang::Zh) => "否",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    };
    for t in list {
        let cell = |v: &Option<String>| v.as_deref().map(|x| text(x).into_owned()).unwrap_or_default();
        rows.push(vec![
            text(&t.id).into_owned(),
            cell(&t.name),
            t.person.to_string(),
            cell(&t.reason),
            cell(&t.order_id),
            t.opened_at.to_rfc3339(),
            t.resolved_at.map(|r| r.to_rfc3339()).unwrap_or_default(),
            format!("{:.1}", t.age_seconds as f64 / 3600.0),
            yes(t.late).to_owned(),
            cell(&t.assignee),
            cell(&t.resolution),
            yuan_text(t.spend_fen),
        ]);
    }
    rows
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceCsvParams {
    /// `tickets` (default: every ticket opened in the window), `churn` (churn by resolution
    /// speed) or `staff` (first replies per staff member).
    part: Option<String>,
}

/// The service's figures as CSV for Excel: headers in the operator's language, UTF-8 with a
/// BOM; names and notes masked for roles without `pii.read`.
#[utoipa::path(get, path = "/api/v1/service/export.csv", tag = "service", security(("bearer" = []), ("session" = [])),
    params(ServiceCsvParams, FiguresParams, LangParam, WorkspaceParam),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
async fn service_csv(
    access: Access,
    State(state): State<AppState>,
    Params(p): Params<ServiceCsvParams>,
    Params(f): Params<FiguresParams>,
    Params(LangParam { lang }): Params<LangParam>,
) -> Result<Response, ApiError> {
    access.require(Permission::PeopleRead)?;
    let part = p.part.as_deref().unwrap_or("tickets");
    if !["tickets", "churn", "staff"].contains(&part) {
        let why = match access.lang {
            Lang::Zh => "应为 tickets、churn 或 staff",
            Lang::En => "must be tickets, churn or staff",
        };
        return Err(ApiError::field(ErrorCode::InvalidField, "part", why));
    }
    let figures = figures(&state, &access, f.days).await?;
    let lang = lang.unwrap_or(access.lang);
    let table = match part {
        "churn" => churn(&figures, lang),
        "staff" => staff(&figures, lang),
        _ => {
            let settings = figures.settings.clone();
            let now = figures.to;
            let from = figures.from;
            let listed = state
                .desk
                .look(access.ws(), |desk| {
                    let (all, _) = queue::select(desk, &settings, Status::All, None, now, usize::MAX);
                    all.into_iter()
                        .filter(|t| t.opened_at.is_some_and(|o| o >= from))
                        .take(MAX_TICKETS)
                        .cloned()
                        .collect()
                })
                .await?;
            tickets(&rows(&state, &access, listed, &settings).await?, lang)
        }
    };
    let mut w = super::csv_file::writer();
    for row in table {
        w.write_record(&row).map_err(|e| ApiError::internal(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::internal(&e))?;
    access.audit(&state, "service.export", part.to_owned()).await;
    Ok(super::csv_file::response(&format!("service-{part}"), bytes))
}
