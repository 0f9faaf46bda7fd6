//! The event log's monthly partitions (migration 0027): before a batch is appended, every month
//! of arrival it holds, and the month after, has its partition. A node remembers the months it
//! has seen, so this asks PostgreSQL once a month per node, not once a batch.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Months, Utc};
use rekindle_core::Message;
use sqlx_postgres::PgPool;

use crate::sql;

#[derive(Default)]
pub(crate) struct Partitions {
    /// `year * 12 + month0` of each month whose partition this node has made or found.
    seen: Mutex<HashSet<i32>>,
}

fn month(t: DateTime<Utc>) -> i32 {
    t.year() * 12 + t.month0() as i32
}

impl Partitions {
    pub(crate) async fn ensure(&self, pool: &PgPool, messages: &[Message]) -> Result<(), sqlx_core::error::Error> {
        let missing: Vec<DateTime<Utc>> = {
            let seen = self.seen.lock().expect("partition set poisoned");
            let mut months = HashSet::new();
            messages
                .iter()
                .flat_map(|m| [Some(m.received_at), m.received_at.checked_add_months(Months::new(1))])
                .flatten()
                .filter(|t| !seen.contains(&month(*t)) && months.insert(month(*t)))
                .collect()
        };
        for at in missing {
            // NULL when the default partition already holds that month: it is still read and
            // written there, so the month counts as seen.
            sql("SELECT rekindle_event_partition($1)").bind(at).execute(pool).await?;
            self.seen.lock().expect("partition set poisoned").insert(month(at));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;
    use rekindle_core::WorkspaceId;
    use rekindle_core::identity::IdentityPolicy;
    use rekindle_core::message::Arrival;
    use rekindle_store::prelude::*;
    use rekindle_store::{DEFAULT_WORKSPACE, Source};
    use sqlx_core::row::Row;
    use sqlx_postgres::{PgConnectOptions, PgPoolOptions};

    use super::*;
    use crate::test_db::{schema, url};
    use crate::{PostgresStore, migrate, sql_owned};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    /// A track received at `received`, with its own message id.
    fn track(id: &str, received: DateTime<Utc>) -> Message {
        let json = format!(r#"{{"type":"track","event":"Live Watched","userId":"u-{id}","messageId":"{id}"}}"#);
        Message::parse(&json, None, &Arrival::live(received)).unwrap()
    }

    /// `(partition, message id)` of every event, in id order.
    async fn placed(pool: &PgPool) -> Vec<(String, String)> {
        sql("SELECT tableoid::regclass::text, message_id FROM events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
            .collect()
    }

    async fn append(store: &PostgresStore, messages: Vec<Message>) -> u64 {
        let ws = store.workspace_by_slug(DEFAULT_WORKSPACE).await.unwrap().unwrap().id;
        append_to(store, ws, messages).await
    }

    async fn append_to(store: &PostgresStore, ws: WorkspaceId, messages: Vec<Message>) -> u64 {
        store.append(ws, messages, &Source::write_key("test"), &IdentityPolicy::default()).await.unwrap().stored
    }

    #[tokio::test]
    async fn events_land_in_their_month_and_a_detached_month_still_deduplicates() {
        let schema = schema("parts");
        let store = PostgresStore::connect_in_schema(&url(), &schema).await.unwrap();
        let stored =
            append(&store, vec![track("a", at(2024, 2, 10)), track("b", at(2024, 3, 31)), track("c", at(2024, 2, 29))])
                .await;
        assert_eq!(stored, 3);
        assert_eq!(
            placed(&store.pool).await,
            [("events_2024_02", "a"), ("events_2024_03", "b"), ("events_2024_02", "c")]
                .map(|(p, m)| (p.to_string(), m.to_string()))
        );
        // The month after the newest one is made ahead, so a month's first batch waits on nothing.
        let april: Option<String> =
            sql("SELECT to_regclass('events_2024_04')::text").fetch_one(&store.pool).await.unwrap().get(0);
        assert_eq!(april.as_deref(), Some("events_2024_04"));

        // February is taken out of the log; its message ids still keep a resend out.
        sql("ALTER TABLE events DETACH PARTITION events_2024_02").execute(&store.pool).await.unwrap();
        assert_eq!(placed(&store.pool).await, [("events_2024_03".to_string(), "b".to_string())]);
        assert_eq!(append(&store, vec![track("a", at(2024, 5, 1)), track("d", at(2024, 5, 1))]).await, 1);

        // Another node appending to the same months makes nothing twice.
        let other = PostgresStore::connect_in_schema(&url(), &schema).await.unwrap();
        assert_eq!(append(&other, vec![track("e", at(2024, 3, 1)), track("f", at(2024, 5, 2))]).await, 2);
        drop((store, other));
        PostgresStore::drop_schema(&url(), &schema).await.unwrap();
    }

    /// A month whose rows already sit in the default partition gets no partition (PostgreSQL
    /// would refuse it); its events are still stored and read there.
    #[tokio::test]
    async fn a_month_held_by_the_default_partition_stays_there() {
        let schema = schema("parts");
        let store = PostgresStore::connect_in_schema(&url(), &schema).await.unwrap();
        sql("INSERT INTO events (workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload)
             VALUES (1, gen_random_uuid(), 'early', 'track', 'Live Watched', now(), '2023-07-04', '{}')")
        .execute(&store.pool)
        .await
        .unwrap();
        assert_eq!(append(&store, vec![track("late", at(2023, 7, 20))]).await, 1);
        let places = placed(&store.pool).await;
        assert_eq!(places[1], ("events_default".to_string(), "late".to_string()), "{places:?}");
        drop(store);
        PostgresStore::drop_schema(&url(), &schema).await.unwrap();
    }

    /// Migration 0027 on a store that already has events: each moves to its month with its id,
    /// its message id still de-duplicates, and new events continue the id sequence.
    #[tokio::test]
    async fn the_migration_moves_a_grown_log_into_months() {
        let schema = schema("parts");
        let url = url();
        let options = PgConnectOptions::from_str(&url).unwrap().options([("search_path", schema.as_str())]);
        let admin = PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
        sql_owned(format!("CREATE SCHEMA \"{schema}\"")).execute(&admin).await.unwrap();
        let pool = PgPoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
        migrate::run_upto(&pool, 26).await.unwrap();
        let ws: i64 = sql("SELECT id FROM workspaces ORDER BY id LIMIT 1").fetch_one(&pool).await.unwrap().get(0);
        for (id, received) in
            [("old", "2025-01-15T08:00:00Z"), ("older", "2024-11-30T23:59:59Z"), ("mid", "2025-03-02T00:00:00Z")]
        {
            sql_owned(format!(
                "INSERT INTO events (workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload)
                 VALUES ({ws}, gen_random_uuid(), '{id}', 'track', 'Live Watched', '{received}', '{received}', '{{}}')"
            ))
            .execute(&pool)
            .await
            .unwrap();
        }
        let before: Vec<i64> =
            sql("SELECT id FROM events ORDER BY id").fetch_all(&pool).await.unwrap().iter().map(|r| r.get(0)).collect();
        drop(pool);

        let store = PostgresStore::connect_in_schema(&url, &schema).await.unwrap();
        let after: Vec<(i64, String)> = sql("SELECT id, tableoid::regclass::text FROM events ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(
            after,
            vec![
                (before[0], "events_2025_01".to_string()),
                (before[1], "events_2024_11".to_string()),
                (before[2], "events_2025_03".to_string())
            ]
        );
        let now = Utc::now();
        assert_eq!(append_to(&store, WorkspaceId(ws), vec![track("old", now), track("new", now)]).await, 1);
        let newest: i64 =
            sql("SELECT id FROM events WHERE message_id = 'new'").fetch_one(&store.pool).await.unwrap().get(0);
        assert!(newest > before[2], "the sequence goes on: {newest} after {before:?}");
        drop(store);
        PostgresStore::drop_schema(&url, &schema).await.unwrap();
        drop(admin);
    }
}
