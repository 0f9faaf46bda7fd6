//! The live room over HTTP: a simulated session's review against figures computed here from
//! the raw events, the monitor while a session runs, its Server-Sent Events, the CSV and bad
//! input.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, TestApp, spawn_app_at, token_for};

const START: &str = "2026-05-05T12:00:00Z";

fn at(seconds: i64) -> String {
    let t0 = chrono::DateTime::parse_from_rfc3339(START).unwrap().to_utc();
    (t0 + chrono::Duration::seconds(seconds)).to_rfc3339()
}

/// A small deterministic generator (xorshift): the session is the same on every run.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One viewer of the simulated session, as generated: the truth the review must match.
struct Viewer {
    enter: i64,
    leave: i64,
    question: Option<(i64, Option<i64>)>,
    order_fen: Option<i64>,
    liked: bool,
}

async fn put_session(app: &TestApp, id: &str, start: &str, end: Option<String>) {
    let body = json!([{"object": "live_session", "id": id, "title": "早餐好物专场", "topics": ["乳品"], "host": "小鹿",
        "scheduled_start": start, "started_at": start, "ended_at": end}]);
    let r = app.send(reqwest::Method::PUT, "/api/v1/live-sessions", &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn track(user: &str, id: String, event: &str, t: String, properties: Value) -> Value {
    json!({"type": "track", "userId": user, "event": event, "messageId": id, "timestamp": t, "properties": properties})
}

/// Forty viewers over an hour: heartbeats every 30 s, questions answered fast, late or never,
/// likes and orders.
fn simulate(seed: u64) -> (Vec<Viewer>, Vec<Value>) {
    let mut d = Draw(seed);
    let mut viewers = Vec::new();
    let mut events = Vec::new();
    for v in 0..40 {
        let user = format!("viewer-{v}");
        let enter = d.below(40 * 60) as i64;
        let leave = (enter + 60 + d.below(50 * 60) as i64).min(3600);
        let s = json!({"session_id": "s1"});
        events.push(track(&user, format!("{v}-in"), "Live Entered", at(enter), s.clone()));
        let mut t = enter + 30;
        while t < leave {
            events.push(track(
                &user,
                format!("{v}-hb{t}"),
                "Live Watched",
                at(t),
                json!({"session_id": "s1", "seconds": 30}),
            ));
            t += 30;
        }
        events.push(track(&user, format!("{v}-out"), "Live Left", at(leave), s.clone()));
        let question = (d.below(10) < 4 && leave - enter > 90).then(|| {
            let asked = enter + 60;
            let props =
                json!({"session_id": "s1", "comment_id": format!("q{v}"), "text": "保质期多久？", "is_question": true});
            events.push(track(&user, format!("{v}-q"), "Live Commented", at(asked), props));
            let delay = [Some(8), Some(25), Some(30), Some(45), Some(200), None][d.below(6) as usize];
            if let Some(delay) = delay {
                let props = json!({"session_id": "s1", "comment_id": format!("q{v}"), "host": "小鹿"});
                events.push(track(&user, format!("{v}-r"), "Live Replied", at(asked + delay), props));
            }
            (asked, delay)
        });
        let liked = d.below(3) == 0;
        if liked {
            events.push(track(&user, format!("{v}-like"), "Live Liked", at(enter + 10), s.clone()));
        }
        let order_fen = (d.below(4) == 0).then(|| 1990 + 100 * d.below(50) as i64);
        if let Some(fen) = order_fen {
            let yuan = fen as f64 / 100.0;
            let props = json!({"session_id": "s1", "order_id": format!("o{v}"), "revenue": yuan,
                "products": [{"sku": "milk", "name": "鲜牛奶", "price": yuan, "quantity": 1}]});
            events.push(track(&user, format!("{v}-o"), "Order Completed", at(enter + 20), props));
        }
        viewers.push(Viewer { enter, leave, question, order_fen, liked });
    }
    (viewers, events)
}

async fn send_all(app: &TestApp, events: &[Value]) {
    for chunk in events.chunks(400) {
        let r = app.post("/v1/import", &json!({"batch": chunk})).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    app.events().await;
}

#[tokio::test]
async fn the_review_equals_the_figures_of_the_raw_events() {
    let app = spawn_app_at("2026-05-05T15:00:00Z").await;
    put_session(&app, "s1", START, Some(at(3600))).await;
    let (truth, events) = simulate(20261203);
    send_all(&app, &events).await;

    let r = app.api_json("/api/v1/live/sessions/s1/review").await;
    let n = truth.len() as f64;
    assert_eq!(r["viewers"], 40);
    let watch: Vec<i64> = truth.iter().map(|v| v.leave - v.enter).collect();
    let avg = watch.iter().sum::<i64>() as f64 / n;
    assert!(
        (r["average_watch_seconds"].as_f64().unwrap() - avg).abs() < 1e-6,
        "{} vs {avg}",
        r["average_watch_seconds"]
    );
    // In the room during each minute: from the minute they entered to the one they left.
    let by_minute: Vec<u64> =
        (0..=60).map(|m| truth.iter().filter(|v| v.enter / 60 <= m && m <= v.leave / 60).count() as u64).collect();
    let curve: Vec<u64> = r["curve"].as_array().unwrap().iter().map(|p| p["viewers"].as_u64().unwrap()).collect();
    assert_eq!(curve, by_minute);
    assert_eq!(r["peak_concurrent"].as_u64(), by_minute.iter().max().copied());
    let buckets: Vec<u64> =
        r["watch_time"].as_array().unwrap().iter().map(|b| b["viewers"].as_u64().unwrap()).collect();
    let bounds = [(0, 60), (60, 300), (300, 900), (900, 1800), (1800, 3600), (3600, i64::MAX)];
    let expected: Vec<u64> =
        bounds.iter().map(|(a, b)| watch.iter().filter(|&&w| w >= *a && w < *b).count() as u64).collect();
    assert_eq!(buckets, expected);

    let buyers: Vec<i64> = truth.iter().filter_map(|v| v.order_fen).collect();
    assert_eq!(r["buyers"].as_u64(), Some(buyers.len() as u64));
    assert_eq!(r["gmv_fen"].as_i64(), Some(buyers.iter().sum()));
    assert_eq!(r["conversion_rate"].as_f64(), Some(buyers.len() as f64 / n));
    assert_eq!(r["gpm_fen"].as_i64(), Some(buyers.iter().sum::<i64>() * 1000 / 40));
    assert_eq!(r["products"][0]["units"].as_i64(), Some(buyers.len() as i64));
    let interacted = truth.iter().filter(|v| v.liked || v.question.is_some()).count();
    assert_eq!(r["interacted"].as_u64(), Some(interacted as u64));

    let asked: Vec<Option<i64>> = truth.iter().filter_map(|v| v.question.map(|(_, d)| d)).collect();
    let q = &r["questions"];
    assert_eq!(q["asked"].as_u64(), Some(asked.len() as u64));
    assert_eq!(q["answered_fast"].as_u64(), Some(asked.iter().flatten().filter(|&&d| d <= 30).count() as u64));
    assert_eq!(q["unanswered"].as_u64(), Some(asked.iter().filter(|d| d.is_none()).count() as u64));
    let mut replies: Vec<i64> = asked.iter().flatten().copied().collect();
    replies.sort();
    let median = if replies.len() % 2 == 1 {
        replies[replies.len() / 2] as f64
    } else {
        (replies[replies.len() / 2 - 1] + replies[replies.len() / 2]) as f64 / 2.0
    };
    assert_eq!(q["median_reply_seconds"].as_f64(), Some(median));
    assert_eq!(r["new_viewers"], 40, "nobody had been in a session before");
    assert_eq!(r["known_viewers"], buyers.len(), "only the buyers are known: members who ordered");

    // The CSV: figures in Chinese by default, the curve minute by minute in English.
    let csv = app.api("/api/v1/live/sessions/s1/review/export.csv").await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.trim_start_matches('\u{feff}').starts_with("指标,数值,往场中位数,百分位,同时段中位数"), "{text}");
    assert!(text.contains("观看人数,40,"));
    let csv = app.api("/api/v1/live/sessions/s1/review/export.csv?part=curve&lang=en").await;
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("minute,viewers,entered,left"));
    assert_eq!(lines.len(), 62, "a header and 61 minutes");
}

#[tokio::test]
async fn a_later_session_is_compared_with_the_earlier_and_revisits_are_counted() {
    let app = spawn_app_at("2026-05-07T15:00:00Z").await;
    put_session(&app, "s1", START, Some(at(3600))).await;
    let day = 2 * 86_400;
    put_session(&app, "s2", &at(day), Some(at(day + 3600))).await;
    let (_, first) = simulate(7);
    send_all(&app, &first).await;
    // Ten of the first session's viewers come back two days later.
    let again: Vec<Value> = (0..10)
        .flat_map(|v| {
            let user = format!("viewer-{v}");
            [
                track(&user, format!("b{v}-in"), "Live Entered", at(day + 60), json!({"session_id": "s2"})),
                track(&user, format!("b{v}-out"), "Live Left", at(day + 600), json!({"session_id": "s2"})),
            ]
        })
        .collect();
    send_all(&app, &again).await;
    let first = app.api_json("/api/v1/live/sessions/s1/review").await;
    assert_eq!(first["revisit"]["next_session_id"], "s2");
    assert_eq!(first["revisit"]["returned"], 10);
    let second = app.api_json("/api/v1/live/sessions/s2/review").await;
    assert_eq!((second["viewers"].as_u64(), second["returning_viewers"].as_u64()), (Some(10), Some(10)));
    let viewers = second["compared"].as_array().unwrap().iter().find(|c| c["figure"] == "viewers").unwrap().clone();
    assert_eq!((viewers["sessions"].as_u64(), viewers["median"].as_f64()), (Some(1), Some(40.0)));
    assert_eq!(viewers["percentile"].as_f64(), Some(0.0), "fewer viewers than the one before");
    assert_eq!(viewers["same_slot_sessions"], 0, "Tuesday 20:00 and Thursday 20:00 are different slots");
}

#[tokio::test]
async fn the_monitor_shows_who_is_in_the_room_now_and_streams_updates() {
    // Twenty minutes into a running session.
    let app = spawn_app_at(&at(20 * 60)).await;
    put_session(&app, "s1", START, None).await;
    let mut events = Vec::new();
    for v in 0..6 {
        let user = format!("viewer-{v}");
        events.push(track(&user, format!("{v}-in"), "Live Entered", at(60 * v), json!({"session_id": "s1"})));
        events.push(track(
            &user,
            format!("{v}-hb"),
            "Live Watched",
            at(20 * 60 - 5),
            json!({"session_id": "s1", "seconds": 10}),
        ));
    }
    // One left; one went quiet long ago (its heartbeat said 10 s, so 45 s of silence is gone).
    events.push(track("viewer-0", "0-out".into(), "Live Left", at(20 * 60 - 2), json!({"session_id": "s1"})));
    events.push(track("quiet", "q-hb".into(), "Live Watched", at(10 * 60), json!({"session_id": "s1", "seconds": 10})));
    events.push(track(
        "viewer-1",
        "1-q".into(),
        "Live Commented",
        at(19 * 60),
        json!({"session_id": "s1", "comment_id": "c1", "text": "我的手机 13812345678 能包邮吗", "is_question": true}),
    ));
    send_all(&app, &events).await;

    let m = app.api_json("/api/v1/live/sessions/s1/monitor").await;
    assert_eq!((m["concurrent"].as_u64(), m["viewers"].as_u64(), m["minute"].as_u64()), (Some(5), Some(7), Some(20)));
    assert_eq!(m["waiting"][0]["comment_id"], "c1");
    assert_eq!(m["waiting"][0]["age_seconds"], 60);
    let visits = m["composition"].as_array().unwrap().iter().find(|s| s["dimension"] == "visit").unwrap().clone();
    assert_eq!((visits["key"].as_str(), visits["viewers"].as_u64()), (Some("new"), Some(5)));

    // A host sees the question with the phone masked.
    let host = token_for(&app, rekindle_core::access::Role::Host).await;
    let masked: Value = app
        .client
        .get(format!("{}/api/v1/live/sessions/s1/monitor", app.base))
        .bearer_auth(&host)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = masked["waiting"][0]["text"].as_str().unwrap();
    assert!(!text.contains("13812345678") && text.contains("包邮"), "{text}");

    // The stream: the first snapshot at once, the next when the reply arrives.
    let mut stream = app
        .client
        .get(format!("{}/api/v1/live/sessions/s1/monitor/stream", app.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let first = next_monitor(&mut stream).await;
    assert_eq!(first["waiting"].as_array().unwrap().len(), 1);
    let reply = track(
        "viewer-1",
        "1-r".into(),
        "Live Replied",
        at(19 * 60 + 20),
        json!({"session_id": "s1", "comment_id": "c1"}),
    );
    assert_eq!(app.post("/v1/batch", &json!({"batch": [reply]})).await.status(), 200);
    let mut answered = false;
    for _ in 0..10 {
        let m = next_monitor(&mut stream).await;
        if m["waiting"].as_array().unwrap().is_empty() {
            assert_eq!(m["questions"]["answered_fast"], 1);
            answered = true;
            break;
        }
    }
    assert!(answered, "the reply reached the stream");
}

/// The next `monitor` event's data from a Server-Sent Events response.
async fn next_monitor(stream: &mut reqwest::Response) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.contains("event: monitor")
                && let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
            {
                return serde_json::from_str(data).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn unknown_sessions_and_bad_parts_are_refused() {
    let app = spawn_app_at("2026-05-05T15:00:00Z").await;
    for path in [
        "/api/v1/live/sessions/nope/monitor",
        "/api/v1/live/sessions/nope/review",
        "/api/v1/live/sessions/nope/monitor/stream",
    ] {
        let r = app.api(path).await;
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "not_found", "{path}: {body}");
    }
    put_session(&app, "s1", START, Some(at(3600))).await;
    let r = app.api("/api/v1/live/sessions/s1/review/export.csv?part=everything").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["field"], "part", "{body}");
    // An empty session is a review of nobody, not an error.
    let r = app.api_json("/api/v1/live/sessions/s1/review").await;
    assert_eq!((r["viewers"].as_u64(), r["conversion_rate"].is_null()), (Some(0), true));
}

#[tokio::test]
async fn a_question_waiting_carries_the_knowledge_bases_answer_for_the_host_logged_once() {
    let app = spawn_app_at(&at(20 * 60)).await;
    put_session(&app, "s1", START, None).await;
    let entry = json!({"id": "shipping", "category": "配送", "question": "满多少包邮", "alternatives": ["能包邮吗", "运费怎么算"],
        "answer": "满 59 元包邮，不满收 6 元运费。"});
    assert_eq!(app.send(reqwest::Method::PUT, "/api/v1/faq/entries/shipping", &entry).await.status(), 200);
    let events = vec![
        track("viewer-1", "1-in".into(), "Live Entered", at(60), json!({"session_id": "s1"})),
        track(
            "viewer-1",
            "1-q".into(),
            "Live Commented",
            at(19 * 60),
            json!({"session_id": "s1", "comment_id": "c1", "text": "这个能包邮吗", "is_question": true}),
        ),
        track(
            "viewer-1",
            "1-q2".into(),
            "Live Commented",
            at(19 * 60 + 10),
            json!({"session_id": "s1", "comment_id": "c2", "text": "主播今天穿的衣服哪里买的", "is_question": true}),
        ),
    ];
    send_all(&app, &events).await;
    for _ in 0..2 {
        let m = app.api_json("/api/v1/live/sessions/s1/monitor").await;
        let waiting = m["waiting"].as_array().unwrap();
        let by = |id: &str| waiting.iter().find(|w| w["comment_id"] == id).unwrap().clone();
        assert_eq!(by("c1")["suggestion"]["entry_id"], "shipping", "{m}");
        assert!(by("c2")["suggestion"].is_null(), "nothing to suggest: {m}");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    // Each question asked of the assistant once, however often the monitor is built.
    let h = app.api_json("/api/v1/faq/handoffs").await;
    assert_eq!((h["answered"].as_u64(), h["handed_off"].as_u64()), (Some(1), Some(1)), "{h}");
}
