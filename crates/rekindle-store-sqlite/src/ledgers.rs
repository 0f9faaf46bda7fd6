//! Message templates, coupon definitions and issued coupons, consent, mini-program
//! subscriptions.

use chrono::{DateTime, Utc};
use rekindle_core::delivery::{ChannelKind, CouponDefinition, MessageTemplate};
use rekindle_core::{PersonId, WorkspaceId};
use rekindle_store::{CouponIssue, IssuedCoupon, Result, StoreError, coupon_code};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Cached;
use crate::codec::{ms, time};
use crate::db_err;
use crate::journeys::to_json;

/// Templates and coupon definitions are kept whole as JSON, by name.
pub(crate) fn put_named(c: &Connection, table: &str, ws: WorkspaceId, name: &str, body: String) -> Result<()> {
    c.cached_execute(
        &format!(
            "INSERT INTO {table} (workspace_id, name, body) VALUES (?1, ?2, ?3)
                  ON CONFLICT (workspace_id, name) DO UPDATE SET body = excluded.body"
        ),
        params![ws.0, name, body],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn named<T: serde::de::DeserializeOwned>(c: &Connection, table: &str, ws: WorkspaceId) -> Result<Vec<T>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT body FROM {table} WHERE workspace_id = ?1 ORDER BY name")).map_err(db_err)?;
    let rows = stmt.query_map([ws.0], |r| r.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|r| serde_json::from_str(&r.map_err(db_err)?).map_err(StoreError::backend)).collect()
}

pub(crate) fn put_template(c: &Connection, ws: WorkspaceId, t: &MessageTemplate) -> Result<()> {
    put_named(c, "message_templates", ws, &t.name, to_json(t)?)
}

pub(crate) fn delete_template(c: &Connection, ws: WorkspaceId, name: &str) -> Result<()> {
    let n = c
        .cached_execute("DELETE FROM message_templates WHERE workspace_id = ?1 AND name = ?2", params![ws.0, name])
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("message template {name}")));
    }
    Ok(())
}

pub(crate) fn put_coupon(c: &Connection, ws: WorkspaceId, d: &CouponDefinition) -> Result<()> {
    put_named(c, "coupon_definitions", ws, &d.name, to_json(d)?)
}

const COUPON_COLUMNS: &str = "code, coupon, person_id, issued_at, expires_at, redeemed_at, order_id";

fn coupon_row(r: &rusqlite::Row) -> rusqlite::Result<IssuedCoupon> {
    Ok(IssuedCoupon {
        code: r.get(0)?,
        coupon: r.get(1)?,
        person: PersonId(r.get(2)?),
        issued_at: time(r.get(3)?),
        expires_at: time(r.get(4)?),
        redeemed_at: r.get::<_, Option<i64>>(5)?.map(time),
        order_id: r.get(6)?,
    })
}

pub(crate) fn issue(
    c: &Connection,
    ws: WorkspaceId,
    coupon: &str,
    person: PersonId,
    issue_key: &str,
    at: DateTime<Utc>,
) -> Result<CouponIssue> {
    let earlier = c
        .cached_row(
            &format!("SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = ?1 AND issue_key = ?2"),
            params![ws.0, issue_key],
            coupon_row,
        )
        .optional()
        .map_err(db_err)?;
    if let Some(c) = earlier {
        return Ok(CouponIssue::Again(c));
    }
    let def: CouponDefinition = c
        .cached_row(
            "SELECT body FROM coupon_definitions WHERE workspace_id = ?1 AND name = ?2",
            params![ws.0, coupon],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db_err)?
        .map(|b| serde_json::from_str(&b).map_err(StoreError::backend))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("coupon {coupon}")))?;
    let held: u32 = c
        .cached_row(
            "SELECT COUNT(*) FROM coupons WHERE workspace_id = ?1 AND person_id = ?2 AND coupon = ?3",
            params![ws.0, person.0, coupon],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if held >= def.per_person_limit {
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
    c.cached_execute(
        "INSERT INTO coupons (workspace_id, code, coupon, person_id, issue_key, issued_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ws.0, issued.code, coupon, person.0, issue_key, ms(at), ms(issued.expires_at)],
    )
    .map_err(db_err)?;
    Ok(CouponIssue::Issued(issued))
}

pub(crate) fn redeem(
    c: &Connection,
    ws: WorkspaceId,
    code: &str,
    order: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let n = c
        .cached_execute(
            "UPDATE coupons SET redeemed_at = ?3, order_id = ?4
             WHERE workspace_id = ?1 AND code = ?2 AND redeemed_at IS NULL AND expires_at > ?3",
            params![ws.0, code, ms(at), order],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

pub(crate) fn of_person(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<IssuedCoupon>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE workspace_id = ?1 AND person_id = ?2 ORDER BY issued_at DESC"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], coupon_row).map_err(db_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_err)
}

pub(crate) fn set_consent(
    c: &Connection,
    ws: WorkspaceId,
    person: PersonId,
    channel: ChannelKind,
    allowed: bool,
    source: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    // The latest statement wins, whatever order they are recorded in.
    c.cached_execute(
        "INSERT INTO consent (workspace_id, person_id, channel, allowed, source, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (workspace_id, person_id, channel) DO UPDATE
         SET allowed = excluded.allowed, source = excluded.source, at = excluded.at WHERE excluded.at >= consent.at",
        params![ws.0, person.0, channel.as_str(), allowed, source, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn opted_out(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<ChannelKind>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT channel FROM consent WHERE workspace_id = ?1 AND person_id = ?2 AND allowed = 0 ORDER BY channel",
        )
        .map_err(db_err)?;
    let rows = stmt.query_map(params![ws.0, person.0], |r| r.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|r| r.map_err(db_err)?.parse::<ChannelKind>().map_err(|e| StoreError::backend(std::io::Error::other(e))))
        .collect()
}

pub(crate) fn add_subscription(
    c: &Connection,
    ws: WorkspaceId,
    person: PersonId,
    template: &str,
    key: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    c.cached_execute(
        "INSERT INTO subscriptions (workspace_id, event_key, person_id, template, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![ws.0, key, person.0, template, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn credits(c: &Connection, ws: WorkspaceId, person: PersonId) -> Result<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT DISTINCT template FROM subscriptions WHERE workspace_id = ?1 AND person_id = ?2 ORDER BY 1",
        )
        .map_err(db_err)?;
    let templates: Vec<String> = stmt
        .query_map(params![ws.0, person.0], |r| r.get(0))
        .map_err(db_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err)?;
    templates
        .into_iter()
        .map(|t| {
            let n = crate::outbox::credits(c, ws, person, Some(&t))?;
            Ok((t, n))
        })
        .collect()
}
