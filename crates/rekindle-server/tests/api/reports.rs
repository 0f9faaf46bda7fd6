//! Reports over HTTP: the figures, the table in the operator's language and the CSV.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, spawn_app_at};

fn order(user: &str, id: &str, at: &str, yuan: f64) -> Value {
    json!({"type": "track", "userId": user, "event": "Order Completed", "messageId": id, "timestamp": at,
        "properties": {"order_id": id, "revenue": yuan, "products": [{"sku": "milk", "category": "乳品", "price": yuan}]}})
}

#[tokio::test]
async fn cohorts_repurchase_and_csv_come_from_the_events() {
    let app = spawn_app_at("2026-06-15T04:00:00Z").await;
    let batch = vec![
        json!({"type": "track", "userId": "a", "event": "Contact Added", "messageId": "c-a", "timestamp": "2026-04-01T01:00:00Z", "properties": {"source": "referral"}}),
        order("a", "a1", "2026-04-01T02:00:00Z", 10.0),
        // 23:30 on April 5th in Shanghai: a repurchase on the 5th local day.
        order("a", "a2", "2026-04-05T15:30:00Z", 20.0),
        order("b", "b1", "2026-04-02T02:00:00Z", 30.0),
        order("b", "b2", "2026-05-20T02:00:00Z", 40.0),
    ];
    assert_eq!(app.post("/v1/import", &json!({"batch": batch})).await.status(), 200);
    app.events().await;

    let r = app.api_json("/api/v1/reports/cohorts?from=2026-04-01&to=2026-06-15&grain=month").await;
    assert_eq!((r["kind"].as_str(), r["time_zone"].as_str()), (Some("cohorts"), Some("Asia/Shanghai")));
    let april = &r["answer"]["cohorts"][0];
    assert_eq!((april["key"].as_str(), april["buyers"].as_u64()), (Some("2026-04-01"), Some(2)));
    let ordered: Vec<u64> = april["cells"].as_array().unwrap().iter().map(|c| c["ordered"].as_u64().unwrap()).collect();
    assert_eq!(ordered, [2, 1, 0], "April, May, June");
    assert_eq!(april["cells"][0]["revenue_fen"], 6000);
    assert_eq!(r["columns"][0]["header"], "同期群", "headers in Chinese by default");
    assert_eq!(r["rows"][0][0], "2026-04-01");

    let r = app.api_json("/api/v1/reports/repurchase?from=2026-04-01&to=2026-04-30&grain=month").await;
    let total = &r["answer"]["total"];
    assert_eq!(
        (total["new_buyers"].as_u64(), total["repurchased_7d"].as_u64(), total["repurchased_30d"].as_u64()),
        (Some(2), Some(1), Some(1))
    );

    let r = app.api_json("/api/v1/reports/referral?from=2026-04-01&to=2026-04-30&grain=month").await;
    assert_eq!(
        (r["answer"]["rows"][0]["new_buyers"].as_u64(), r["answer"]["rows"][0]["referred"].as_u64()),
        (Some(2), Some(1))
    );

    let csv = app.api("/api/v1/reports/repurchase/export.csv?from=2026-04-01&to=2026-04-30&grain=month&lang=en").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("repurchase-2026-04-01-2026-04-30.csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "period,new_buyers,matured_7d,repurchased_7d,rate_7d,matured_30d,repurchased_30d,rate_30d");
    assert_eq!(lines[1], "2026-04-01,2,2,1,0.5000,2,1,0.5000");
    assert_eq!(lines.last().unwrap(), &"total,2,2,1,0.5000,2,1,0.5000");

    let english = app
        .client
        .get(format!("{}/api/v1/reports/funnel", app.base))
        .bearer_auth(ADMIN)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(english["columns"][0]["header"], "stage");
    for kind in ["churn", "wakeup", "ltv", "tickets"] {
        let r = app.api_json(&format!("/api/v1/reports/{kind}")).await;
        assert!(r["rows"].is_array(), "{kind}: {r}");
    }
}
