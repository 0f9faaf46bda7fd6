//! The plans PostgreSQL settles on for the hot statements. A prepared statement runs on a
//! generic plan after five executions, chosen from whatever statistics the tables have; where
//! autovacuum is off or behind, those describe a much smaller table. Each statement here was
//! once slow that way on a grown store (found in `rekindle bench ingest`, issue 25): its
//! generic plan over a table filled without analyzing must use the index that answers it.

use sqlx_core::row::Row;

use crate::{PostgresStore, sql, sql_owned};

/// The generic plan of `statement` called with `args` (SQL literals), in a fresh schema whose
/// `events`, `identities` and `points_entries` got 20,000 rows after their last analysis.
async fn generic_plan(statement: &str, args: &str) -> String {
    let (url, schema) = (crate::test_db::url(), crate::test_db::schema("plan"));
    let store = PostgresStore::connect_in_schema(&url, &schema).await.unwrap();
    let mut c = store.conn().await.unwrap();
    for fill in [
        "INSERT INTO events (workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload)
         SELECT 1, gen_random_uuid(), 'm' || n, 'track', 'E' || (n % 7), now(), now(), '{}'
         FROM generate_series(1, 20000) AS n",
        "INSERT INTO identities (workspace_id, kind, value, person_id, linked_at, message_id)
         SELECT 1, (ARRAY['user_id', 'anonymous_id', 'phone'])[1 + n % 3], 'v' || n, gen_random_uuid(), now(), 'm'
         FROM generate_series(1, 20000) AS n",
        "INSERT INTO points_entries (workspace_id, person_id, kind, points, source, reason, at)
         SELECT 1, gen_random_uuid(), 'earn', 10, 's' || n, '', now() FROM generate_series(1, 20000) AS n",
    ] {
        sql_owned(fill.to_owned()).execute(&mut *c).await.unwrap();
    }
    sql_owned(format!("PREPARE hot AS {statement}")).execute(&mut *c).await.unwrap();
    sql("SET plan_cache_mode = force_generic_plan").execute(&mut *c).await.unwrap();
    let plan: Vec<String> = sql_owned(format!("EXPLAIN EXECUTE hot({args})"))
        .fetch_all(&mut *c)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    drop(c);
    PostgresStore::drop_schema(&url, &schema).await.unwrap();
    plan.join("\n")
}

/// Found on main: 8.5 ms against 0.08 ms at 500k identities, when `kind = ANY($3)` left
/// `kind` out of the key.
#[tokio::test]
async fn an_owner_is_looked_up_by_the_whole_key() {
    let plan = generic_plan(crate::people::OWNER_OF_KIND, "1, 'user_id', 'v1'").await;
    assert!(plan.contains("Index Cond: ((workspace_id = $1) AND (kind = $2) AND (value = $3))"), "{plan}");
    assert!(!plan.contains("Filter"), "{plan}");
}

/// Found on main: 264 ms for a page of 2,000 at a million events, when the id key and the
/// time index were combined as bitmaps and the whole range sorted.
#[tokio::test]
async fn a_page_of_the_log_is_read_in_order_without_sorting() {
    let plan = generic_plan(crate::event_log::LOG_PAGE, "0, 20000, 1, 2000").await;
    // Each month's partition is read through its copy of `events_log` (`events_<month>_
    // workspace_id_id_idx`), merged in id order: no scan by another index, no sort of the range.
    let scans: Vec<&str> = plan.lines().filter(|l| l.contains("Scan")).collect();
    assert!(scans.len() >= 2, "one scan per month: {plan}");
    assert!(scans.iter().all(|l| l.contains("Index Scan using") && l.contains("_workspace_id_id_idx")), "{plan}");
    assert!(plan.contains("Merge Append") || scans.len() == 1, "{plan}");
    let sorts = plan.lines().filter(|l| l.trim_start().trim_start_matches("->").trim_start().starts_with("Sort  ("));
    assert_eq!(sorts.count(), 0, "{plan}");
    assert!(!plan.contains("Bitmap"), "{plan}");
}

/// Found on main: 4.4 ms a person at 60k entries, when the merged people were a semi-join
/// that hashed the whole workspace's ledger.
#[tokio::test]
async fn a_ledger_is_read_by_the_person_index() {
    let plan = generic_plan(&crate::points::ledger_of(), "1, gen_random_uuid()").await;
    assert!(plan.contains("points_entries_person"), "{plan}");
    assert!(plan.contains("person_id = ANY"), "{plan}");
    assert!(!plan.contains("Hash"), "{plan}");
}
