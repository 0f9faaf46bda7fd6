use serde_json::json;

use super::*;

fn written(messages: Vec<Value>) -> (String, usize) {
    let events = stored_events(messages).unwrap();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let orders = write_events(&mut csv, 42, &events).unwrap();
    (String::from_utf8(csv.into_inner().unwrap()).unwrap(), orders)
}

#[test]
fn events_are_rows_in_utc_with_order_revenue_in_fen() {
    let (text, orders) = written(vec![
        json!({"type": "identify", "userId": "u1", "timestamp": "2026-01-31T23:30:00+08:00",
               "traits": {"phone": "13812345678"}}),
        // 23:30 on January 31st in Shanghai is 15:30 UTC: the row keeps the instant, the SQL
        // finds the local month.
        json!({"type": "track", "userId": "u1", "event": "Order Completed",
               "timestamp": "2026-01-31T23:30:00.250+08:00",
               "properties": {"order_id": "o1", "revenue": 59.9}}),
        json!({"type": "track", "userId": "u1", "event": "Live Watched, again",
               "timestamp": "2026-02-01T12:00:00Z", "properties": {"session_id": "s1", "seconds": 30}}),
    ]);
    assert_eq!(orders, 1);
    assert_eq!(
        text,
        "42,2026-01-31T15:30:00Z,identify,\n\
         42,2026-01-31T15:30:00.250Z,Order Completed,5990\n\
         42,2026-02-01T12:00:00Z,\"Live Watched, again\",\n"
    );
}

fn cell(cohort: &str, period: u32, ordered: u64) -> Cell {
    (cohort.to_string(), period, 10, ordered, 10, 1000)
}

#[test]
fn matrices_agree_only_cell_for_cell() {
    let ours = vec![cell("2026-01-01", 0, 10), cell("2026-01-01", 1, 3), cell("2026-02-01", 0, 10)];
    agree(&ours, &ours.clone()).unwrap();

    let mut other = ours.clone();
    other[1].3 = 4;
    let e = agree(&ours, &other).unwrap_err().to_string();
    assert!(e.contains("\"2026-01-01\", 1, 10, 3,") && e.contains("\"2026-01-01\", 1, 10, 4,"), "{e}");

    let e = agree(&ours, &ours[..2]).unwrap_err().to_string();
    assert!(e.contains("3 cells, DuckDB 2"), "{e}");
    assert!(agree(&ours[..2], &ours).is_err(), "a cell only DuckDB has");
}

#[test]
fn duckdb_cells_are_read_whole_or_refused() {
    let v = json!([["2026-01-01", 0, 10, 10, 10, 1000], ["2026-01-01", 1, 10, 3, 10, 1000]]);
    assert_eq!(their_cells(&v).unwrap(), [cell("2026-01-01", 0, 10), cell("2026-01-01", 1, 3)]);
    assert!(their_cells(&json!([["2026-01-01", 0, 10, 10, 10]])).is_err(), "five fields");
    assert!(their_cells(&json!([["2026-01-01", 0, 10.5, 10, 10, 1000]])).is_err(), "a fraction");
    assert!(their_cells(&json!([["2026-01-01", -1, 10, 10, 10, 1000]])).is_err(), "a negative period");
}
