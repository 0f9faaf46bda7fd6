//! Message templates, coupon definitions and issued coupons, consent, mini-program
//! subscriptions. Same answers as SQLite's ledgers.rs; issuing locks (workspace, person,
//! coupon) first so two nodes cannot both issue past the per-person limit.

use chrono::{DateTime, Utc};
use rekindle_core::delivery::{ChannelKind, CouponDefinition, MessageTemplate};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{CouponIssue, IssuedCoupon, Result, StoreError, coupon_code};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx_core::error::Error;
use sqlx_core::row::Row;
use sqlx_core::types::Json;
use sqlx_postgres::{PgConnection, PgRow};

use crate::codec::parse;
use crate::journey_lock::{self, Key};
use crate::outbox::NOT_COUNTED;
use crate::{db_err, sql, sql_owned};

/// The tables kept whole as JSON by name. A closed set, so the name is safe to splice into SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named {
    Templates,
    Coupons,
}

impl Named {
    fn table(self) -> &'static str {
        match self {
            Self::Templates => "message_templates",
            Self::Coupons => "coupon_definitions",
        }
    }
}

async fn put_named<T: Serialize + Sync>(
    c: &mut PgConnection,
    what: Named,
    ws: WorkspaceId,
    name: &str,
    body: &T,
) -> Result<()> {
    sql_owned(format!(
        "INSERT INTO {} (workspace_id, name, body) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, name) DO UPDATE SET body = EXCLUDED.body",
        what.table()
    ))
    .bind(ws.0)
    .bind(name)
    .bind(Json(body))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn named<T: DeserializeOwned>(c: &mut PgConnection, what: Named, ws: WorkspaceId) -> Result<Vec<T>> {
    // Byte order, as SQLite sorts, whatever the database's collation.
    let rows =
        sql_owned(format!("SELECT body FROM {} WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"", what.table()))
            .bind(ws.0)
            .fetch_all(&mut *c)
            .await
            .map_err(db_err)?;
    rows.iter().map(|r| r.try_get::<Json<T>, _>(0).map(|Json(t)| t)).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn put_template(c: &mut PgConnection, ws: WorkspaceId, t: &MessageTemplate) -> Result<()> {
    put_named(c, Named::Templates, ws, &t.name, t).await
}

pub(crate) async fn delete_template(c: &mut PgConnection, ws: WorkspaceId, name: &str) -> Result<()> {
    let done = sql("DELETE FROM message_templates WHERE workspace_id = $1 AND name = $2")
        .bind(ws.0)
        .bind(name)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("message template {name}")));
    }
    Ok(())
}

pub(crate) async fn put_coupon(c: &mut PgConnection, ws: WorkspaceId, d: &CouponDefinition) -> Result<()> {
    put_named(c, Named::Coupons, ws, &d.name, d).await
}

const COUPON_COLUMNS: &str = "code, coupon, person_id, issued_at, expires_at, redeemed_at, order_id";

fn coupon_row(r: &PgRow) -> Result<IssuedCoupon, Error> {
    Ok(IssuedCoupon {
        code: r.try_get(0)?,
        coupon: r.try_get(1)?,
        person: PersonId(r.try_get(2)?),
        issued_at: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        redeemed_at: r.try_get(5)?,
        order_id: r.try_get(6)?,
    })
}

async fn issued_under(c: &mut PgConnection, ws: WorkspaceId, issue_key: &str) -> Result<Option<IssuedCoupon>> {
    let row = sql_owned(format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = $1 AND issue_key = $2"))
        .bind(ws.0)
        .bind(issue_key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.as_ref().map(coupon_row).transpose().map_err(db_err)
}

pub(crate) async fn issue(
    c: &mut PgConnection,
    ws: WorkspaceId,
    coupon: &str,
    person: PersonId,
    issue_key: &str,
    at: DateTime<Utc>,
) -> Result<CouponIssue> {
    // A node issuing this coupon to this person waits here until we commit, then counts ours.
    journey_lock::lock(c, &[Key::coupon_issues(ws, person, coupon)]).await.map_err(db_err)?;
    if let Some(earlier) = issued_under(c, ws, issue_key).await? {
        return Ok(CouponIssue::Again(earlier));
    }
    let def: CouponDefinition = sql("SELECT body FROM coupon_definitions WHERE workspace_id = $1 AND name = $2")
        .bind(ws.0)
        .bind(coupon)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| r.try_get::<Json<CouponDefinition>, _>(0).map(|Json(d)| d))
        .transpose()
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("coupon {coupon}")))?;
    let held: i64 = sql("SELECT COUNT(*) FROM coupons WHERE workspace_id = $1 AND person_id = $2 AND coupon = $3")
        .bind(ws.0)
        .bind(person.0)
        .bind(coupon)
        .fetch_one(&mut *c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
    if held >= i64::from(def.per_person_limit) {
        return Ok(CouponIssue::LimitReached);
    }
    let issued = IssuedCoupon {
        code: coupon_code(ws, issue_key),
        coupon: coupon.to_owned(),
        person,
        issued_at: at,
        expires_at: at + chrono::Duration::days(i64::from(def.valid_days)),
        redeemed_at: None,
        order_id: None,
    };
    // The same issue key taken meanwhile for another person or coupon (not under our lock):
    // that issue stands, and this one is it again.
    let inserted = sql("INSERT INTO coupons (workspace_id, code, coupon, person_id, issue_key, issued_at, expires_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
    .bind(ws.0)
    .bind(&issued.code)
    .bind(coupon)
    .bind(person.0)
    .bind(issue_key)
    .bind(at)
    .bind(issued.expires_at)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    if inserted.rows_affected() == 0 {
        let earlier = issued_under(c, ws, issue_key).await?;
        return earlier.map(CouponIssue::Again).ok_or_else(|| {
            StoreError::backend(std::io::Error::other(format!("coupon code {} is taken", issued.code)))
        });
    }
    Ok(CouponIssue::Issued(issued))
}

pub(crate) async fn redeem(
    c: &mut PgConnection,
    ws: WorkspaceId,
    code: &str,
    order: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    // One statement: of two redemptions racing, the row lock lets one through and the other
    // finds the coupon redeemed.
    let done = sql("UPDATE coupons SET redeemed_at = $3, order_id = $4
                    WHERE workspace_id = $1 AND code = $2 AND redeemed_at IS NULL AND expires_at > $3")
    .bind(ws.0)
    .bind(code)
    .bind(at)
    .bind(order)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn of_person(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
    let rows = sql_owned(format!(
        "SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = $1 AND person_id = $2 ORDER BY issued_at DESC"
    ))
    .bind(ws.0)
    .bind(person.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(coupon_row).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn set_consent(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    channel: ChannelKind,
    allowed: bool,
    source: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    // The latest statement wins, whatever order they are recorded in, on whichever node.
    sql("INSERT INTO consent (workspace_id, person_id, channel, allowed, source, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (workspace_id, person_id, channel) DO UPDATE
         SET allowed = EXCLUDED.allowed, source = EXCLUDED.source, at = EXCLUDED.at WHERE EXCLUDED.at >= consent.at")
    .bind(ws.0)
    .bind(person.0)
    .bind(channel.as_str())
    .bind(allowed)
    .bind(source)
    .bind(at)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn opted_out(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
    let rows = sql("SELECT channel FROM consent WHERE workspace_id = $1 AND person_id = $2 AND NOT allowed
                    ORDER BY channel COLLATE \"C\"")
    .bind(ws.0)
    .bind(person.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| parse::<ChannelKind>(r.try_get(0)?)).collect::<Result<_, _>>().map_err(db_err)
}

pub(crate) async fn add_subscription(
    c: &mut PgConnection,
    ws: WorkspaceId,
    person: PersonId,
    template: &str,
    key: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sql("INSERT INTO subscriptions (workspace_id, event_key, person_id, template, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING")
    .bind(ws.0)
    .bind(key)
    .bind(person.0)
    .bind(template)
    .bind(at)
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn credits(c: &mut PgConnection, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
    // Every template at once, from one snapshot; the same subtraction as the outbox's check.
    let rows = sql_owned(format!(
        "SELECT t.template,
                (SELECT COUNT(*) FROM subscriptions s
                 WHERE s.workspace_id = $1 AND s.person_id = $2 AND s.template = t.template)
              - (SELECT COUNT(*) FROM outbox o
                 WHERE o.workspace_id = $1 AND o.person_id = $2 AND o.channel = 'miniprogram'
                 AND o.template = t.template AND o.state NOT IN {NOT_COUNTED})
         FROM (SELECT DISTINCT template FROM subscriptions WHERE workspace_id = $1 AND person_id = $2) AS t
         ORDER BY t.template COLLATE \"C\""
    ))
    .bind(ws.0)
    .bind(person.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, Error>>().map_err(db_err)
}
