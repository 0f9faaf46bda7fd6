//! Customer service over HTTP (issue 20): the after-sales queue from the store's events and the
//! console's own writes, the 48-hour figures on a fixed clock, conversations waiting with the
//! working-hours clock, the FAQ knowledge base asked and handing off, and who may do what.

use rekindle_core::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_at, token_for};

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn track(app: &TestApp, user: &str, id: &str, at: &str, event: &str, props: Value) {
    let m =
        json!({"type": "track", "userId": user, "messageId": id, "timestamp": at, "event": event, "properties": props});
    assert_eq!(app.post("/v1/import", &json!({"batch": [m]})).await.status(), 200);
}

async fn member(app: &TestApp, user: &str, nickname: &str) {
    let who = json!({"type": "identify", "userId": user, "messageId": format!("id-{user}"), "traits": {"nickname": nickname}});
    assert_eq!(app.post("/v1/identify", &who).await.status(), 200);
    app.events().await;
}

#[tokio::test]
async fn the_queue_follows_the_stores_tickets_and_the_consoles_writes() {
    // Friday 2026-12-04 12:00 in Shanghai.
    let app = spawn_app_at("2026-12-04T04:00:00Z").await;
    member(&app, "u1", "王姐").await;
    member(&app, "u2", "李哥").await;
    // From the store's systems: one resolved in 10 hours, one open for three days (overdue),
    // one opened this morning.
    track(&app, "u1", "t1o", "2026-11-20T02:00:00Z", "Ticket Opened", json!({"ticket_id": "t1", "reason": "spoiled"}))
        .await;
    track(&app, "u1", "t1r", "2026-11-20T12:00:00Z", "Ticket Resolved", json!({"ticket_id": "t1"})).await;
    track(
        &app,
        "u2",
        "t2o",
        "2026-12-01T02:00:00Z",
        "Ticket Opened",
        json!({"ticket_id": "t2", "reason": "late", "order_id": "o9"}),
    )
    .await;
    track(
        &app,
        "u2",
        "t3o",
        "2026-12-04T01:00:00Z",
        "Ticket Opened",
        json!({"ticket_id": "t3", "reason": "short_weight"}),
    )
    .await;
    app.events().await;

    let list = app.api_json("/api/v1/service/tickets").await;
    let ids: Vec<&str> = list["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t2", "t3"], "open, the longest waiting first: {list}");
    assert_eq!((list["open"].as_u64(), list["overdue"].as_u64()), (Some(2), Some(1)));
    let t2 = &list["tickets"][0];
    assert_eq!(
        (t2["name"].as_str(), t2["late"].as_bool(), t2["order_id"].as_str()),
        (Some("李哥"), Some(true), Some("o9"))
    );
    assert_eq!(t2["due_at"], "2026-12-03T02:00:00Z");
    assert_eq!(t2["age_seconds"], 3 * 86_400 + 2 * 3600);
    let overdue = app.api_json("/api/v1/service/tickets?status=overdue").await;
    assert_eq!(overdue["total"], 1);

    // The console opens one for u1 by phone-less user id, assigns it, notes it and resolves it.
    let (status, opened) = answer(
        app.send(
            Method::POST,
            "/api/v1/service/tickets",
            &json!({"person": "u1", "reason": "spoiled", "note": "鸡蛋碎了两个"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let id = opened["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (opened["reason"].as_str(), opened["notes"][0]["text"].as_str()),
        (Some("spoiled"), Some("鸡蛋碎了两个"))
    );
    let path = format!("/api/v1/service/tickets/{id}");
    let (status, t) =
        answer(app.send(Method::POST, &format!("{path}/updates"), &json!({"assignee": "小王"})).await).await;
    assert_eq!((status, t["assignee"].as_str()), (StatusCode::OK, Some("小王")), "{t}");
    let (status, t) =
        answer(app.send(Method::POST, &format!("{path}/resolution"), &json!({"resolution": "已补发"})).await).await;
    assert_eq!((status, t["resolution"].as_str(), t["late"].as_bool()), (StatusCode::OK, Some("已补发"), Some(false)));
    let (status, again) =
        answer(app.send(Method::POST, &format!("{path}/resolution"), &json!({"resolution": "again"})).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    // Each write is an event on the person's timeline.
    let names: Vec<String> = app.events().await.into_iter().filter_map(|e| e.name).collect();
    for n in ["Ticket Opened", "Ticket Updated", "Ticket Resolved"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    let resolved = app.api_json("/api/v1/service/tickets?status=resolved").await;
    let ids: Vec<&str> = resolved["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str(), "t1"], "latest resolved first");

    // Figures of the last 30 days: t1 (in time), t2 (overdue, counted), t3 (open, in time:
    // not yet counted), the console's (in time).
    let f = app.api_json("/api/v1/service/figures?days=30").await;
    let tickets = &f["tickets"];
    assert_eq!(
        (tickets["opened"].as_u64(), tickets["known"].as_u64(), tickets["resolved_in_time"].as_u64()),
        (Some(4), Some(3), Some(2)),
        "{f}"
    );
    assert_eq!(f["settings"]["sla"]["resolve_hours"], 48);

    // The same as CSV for Excel, headed in the reader's language.
    let csv = app.api("/api/v1/service/export.csv?part=tickets&days=30").await.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("工单号,顾客,用户ID,原因"), "{csv}");
    assert_eq!(lines.len(), 5, "a header and four tickets: {csv}");
    assert!(csv.contains("李哥") && csv.contains("已补发"), "{csv}");
    let churn = app.api("/api/v1/service/export.csv?part=churn&lang=en").await.text().await.unwrap();
    assert!(churn.contains("resolved,tickets,churned,churn rate") && churn.contains("within_24h"), "{churn}");
    let (status, b) = answer(app.api("/api/v1/service/export.csv?part=everything").await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("part")));

    for (body, field) in [
        (json!({"person": "u1", "reason": "rude"}), "reason"),
        (json!({"person": "u1", "reason": "late", "note": "x".repeat(2001)}), "note"),
        (json!({"person": "nobody-here", "reason": "late"}), "person"),
        (json!({"person": "u1", "reason": "late", "extra": 1}), "extra"),
    ] {
        let (status, b) = answer(app.send(Method::POST, "/api/v1/service/tickets", &body).await).await;
        assert!(status.is_client_error(), "{body}: {b}");
        assert!(b["field"].as_str().is_none_or(|f| f == field) && b["code"].is_string(), "{body}: {b}");
    }
    let (status, _) =
        answer(app.send(Method::POST, "/api/v1/service/tickets/nope/updates", &json!({"note": "x"})).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn conversations_wait_on_working_hours_and_the_assistant_hands_off_to_them() {
    // Saturday 2026-12-05 10:00 in Shanghai; the default hours are every day 09:00–21:00.
    let app = spawn_app_at("2026-12-05T02:00:00Z").await;
    member(&app, "u1", "王姐").await;
    member(&app, "u2", "李哥").await;
    // u1 wrote at 23:30 last night: ten and a half hours on the wall, one working hour.
    track(
        &app,
        "u1",
        "m1",
        "2026-12-04T15:30:00Z",
        "Message Received",
        json!({"text": "牛奶开了能放多久", "staff_id": "wang"}),
    )
    .await;
    // u2 wrote at 09:55 and was answered at 09:58.
    track(&app, "u2", "m2", "2026-12-05T01:55:00Z", "Message Received", json!({"text": "在吗"})).await;
    track(&app, "u2", "m3", "2026-12-05T01:58:00Z", "Message Replied", json!({"text": "在的", "staff_id": "li"})).await;
    // The knowledge base: one entry.
    let entry = json!({"id": "milk", "category": "保存", "question": "牛奶开封后能放多久", "alternatives": ["鲜奶开了保质期几天"], "answer": "开封后冷藏，2天内喝完。"});
    let (status, b) = answer(app.send(Method::PUT, "/api/v1/faq/entries/milk", &entry).await).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    app.events().await;

    let w = app.api_json("/api/v1/service/conversations").await;
    assert_eq!(w["total"], 1, "{w}");
    let row = &w["waiting"][0];
    assert_eq!((row["name"].as_str(), row["staff"].as_str()), (Some("王姐"), Some("wang")));
    assert_eq!(
        (row["reply"]["working_seconds"].as_i64(), row["reply"]["seconds"].as_i64()),
        (Some(3600), Some(10 * 3600 + 1800))
    );
    assert_eq!(row["reply"]["due"], "2026-12-05T01:15:00Z", "15 working minutes after 09:00");
    assert_eq!(
        (row["reply"]["within_working"].as_bool(), row["reply"]["within_overall"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(row["suggestion"]["entry_id"], "milk", "the knowledge base knows: {row}");

    // A staff reply recorded through the API ends the wait.
    let reply = json!({"person": "u1", "direction": "reply", "text": "开封后冷藏，2天内喝完哦", "staff_id": "wang"});
    assert_eq!(app.send(Method::POST, "/api/v1/service/messages", &reply).await.status(), StatusCode::ACCEPTED);
    assert_eq!(app.api_json("/api/v1/service/conversations").await["total"], 0);
    let thread = app.api_json("/api/v1/service/conversations/u1").await;
    assert_eq!(thread["lines"].as_array().unwrap().len(), 2);
    let f = app.api_json("/api/v1/service/figures?days=7").await;
    let r = &f["replies"];
    assert_eq!(
        (r["asked"].as_u64(), r["answered"].as_u64(), r["within_working"].as_u64(), r["within_overall"].as_u64()),
        (Some(2), Some(2), Some(1), Some(1)),
        "{f}"
    );

    // The assistant answers what it knows and hands off what it does not: a known customer's
    // hand-off is a message waiting for the service; every question is logged.
    let (status, a) =
        answer(app.send(Method::POST, "/api/v1/faq/ask", &json!({"question": "鲜奶开了能放几天"})).await).await;
    assert_eq!(
        (status, a["answered"].as_bool(), a["answer"]["entry_id"].as_str()),
        (StatusCode::OK, Some(true), Some("milk")),
        "{a}"
    );
    let (_, a) = answer(
        app.send(Method::POST, "/api/v1/faq/ask", &json!({"question": "你们老板叫什么名字", "person": "u2"})).await,
    )
    .await;
    assert_eq!((a["answered"].as_bool(), a["handed_off_to_service"].as_bool()), (Some(false), Some(true)), "{a}");
    let w = app.api_json("/api/v1/service/conversations").await;
    assert_eq!(w["waiting"][0]["text"], "你们老板叫什么名字");
    let h = app.api_json("/api/v1/faq/handoffs").await;
    assert_eq!(
        (h["handoffs"][0]["question"].as_str(), h["answered"].as_u64(), h["handed_off"].as_u64()),
        (Some("你们老板叫什么名字"), Some(1), Some(1)),
        "{h}"
    );
}

#[tokio::test]
async fn the_knowledge_base_is_kept_per_store_imported_whole_and_edited_by_service_roles() {
    let app = spawn_app().await;
    let csv = "编号,分类,问题,其他问法,答案\nmilk,保存,牛奶能放多久,鲜奶保质期|开封后能放几天,冷藏7天\negg,保存,鸡蛋怎么放,,冷藏\n";
    let (status, b) = answer(app.send(Method::POST, "/api/v1/faq/import", &json!({"csv": csv})).await).await;
    assert_eq!((status, b["added"].as_u64()), (StatusCode::OK, Some(2)), "{b}");
    // A bad line refuses the whole file.
    let bad = "id,category,question,alternatives,answer\nmilk,保存,牛奶,,改了\nbad id!,,问,,答\n";
    let (status, b) = answer(app.send(Method::POST, "/api/v1/faq/import", &json!({"csv": bad})).await).await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("csv.line[3].id")), "{b}");
    let kb = app.api_json("/api/v1/faq/entries").await;
    assert_eq!(kb["entries"][0]["answer"], "冷藏7天", "nothing of the bad file was written");
    assert_eq!(kb["threshold"].as_f64(), Some(0.36));
    let (status, b) = answer(
        app.send(Method::PUT, "/api/v1/faq/entries/egg", &json!({"id": "other", "question": "q", "answer": "a"})).await,
    )
    .await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("id")));
    assert_eq!(app.send(Method::DELETE, "/api/v1/faq/entries/egg", &json!({})).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.send(Method::DELETE, "/api/v1/faq/entries/egg", &json!({})).await.status(), StatusCode::NOT_FOUND);

    // Another store sees none of it.
    app.store.create_workspace("north", "北店", "Asia/Shanghai").await.unwrap();
    let north = app.api_json("/api/v1/faq/entries?workspace=north").await;
    assert_eq!(north["entries"].as_array().map(Vec::len), Some(0));

    // The service role edits; an analyst and a host read but do not.
    let service = token_for(&app, Role::Service).await;
    let analyst = token_for(&app, Role::Analyst).await;
    let entry = json!({"id": "fish", "question": "鱼怎么解冻", "answer": "冷藏室慢慢解冻"});
    // (Nobody is called u1 in this store: the service role gets as far as looking them up.)
    for (token, expected, ticket) in
        [(&service, StatusCode::OK, StatusCode::NOT_FOUND), (&analyst, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN)]
    {
        let r = app
            .client
            .put(format!("{}/api/v1/faq/entries/fish", app.base))
            .bearer_auth(token)
            .json(&entry)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected);
        let r = app.client.get(format!("{}/api/v1/faq/entries", app.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = app
            .client
            .post(format!("{}/api/v1/service/tickets", app.base))
            .bearer_auth(token)
            .json(&json!({"person": "u1", "reason": "late"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), ticket);
    }
    // Settings are checked by field.
    let (status, b) = answer(
        app.send(
            Method::PUT,
            "/api/v1/service/settings",
            &json!({"sla": {"hours": {"spans": [{"weekdays": [8], "open": "09:00", "close": "18:00"}]}}}),
        )
        .await,
    )
    .await;
    assert_eq!((status, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("sla.hours.spans[0].weekdays")), "{b}");
    let (status, b) =
        answer(app.send(Method::PUT, "/api/v1/service/settings", &json!({"faq_threshold": 0.5})).await).await;
    assert_eq!((status, b["faq_threshold"].as_f64()), (StatusCode::OK, Some(0.5)), "{b}");
    assert_eq!(app.api_json("/api/v1/faq/entries").await["threshold"].as_f64(), Some(0.5));
}

#[tokio::test]
async fn the_desk_follows_a_merge_and_forgets_an_erased_person() {
    let app = spawn_app_at("2026-12-05T02:00:00Z").await;
    // Someone writes in from a device before they are known, and separately a ticket opens on
    // their member id.
    let m = json!({"type": "track", "anonymousId": "dev-9", "messageId": "a1", "timestamp": "2026-12-05T01:00:00Z",
        "event": "Message Received", "properties": {"text": "鸡蛋碎了"}});
    assert_eq!(app.post("/v1/import", &json!({"batch": [m]})).await.status(), 200);
    track(&app, "u9", "k9", "2026-12-05T01:05:00Z", "Ticket Opened", json!({"ticket_id": "k9", "reason": "spoiled"}))
        .await;
    app.events().await;
    assert_eq!(app.api_json("/api/v1/service/conversations").await["total"], 1, "the desk is built");
    // Now they turn out to be one person.
    let alias = json!({"type": "alias", "userId": "u9", "previousId": "dev-9", "messageId": "al9"});
    assert_eq!(app.post("/v1/alias", &alias).await.status(), 200);
    app.events().await;
    let person = app.api_json("/api/v1/people/u9").await["id"].as_str().unwrap().to_owned();
    let w = app.api_json("/api/v1/service/conversations").await;
    assert_eq!((w["total"].as_u64(), w["waiting"][0]["person"].as_str()), (Some(1), Some(person.as_str())), "{w}");
    assert_eq!(w["waiting"][0]["open_ticket"], true, "their ticket and their message are one person's");
    assert_eq!(app.api_json("/api/v1/service/tickets").await["tickets"][0]["person"], person.as_str());

    let r = app
        .client
        .delete(format!("{}/api/v1/people/{person}?confirm={person}", app.base))
        .bearer_auth(crate::helpers::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.api_json("/api/v1/service/tickets?status=all").await["total"], 0);
    assert_eq!(app.api_json("/api/v1/service/conversations").await["total"], 0);
}
