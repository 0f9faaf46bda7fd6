//! Hostile input: connections. Idle sockets by the thousand, headers trickled a line at a
//! time, a body that stops halfway, more connections than the server takes: each is closed
//! or answered within its configured deadline, and the server keeps serving everyone else.
//! Loopback only, with deadlines of a second or two so the whole module runs in seconds.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::helpers::{TestApp, spawn_app_with};

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Wait until the server closes `stream`: `true` if it did within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Read a whole `Connection: close` response: its status and JSON body.
async fn read_response(stream: &mut TcpStream, within: Duration) -> (u16, Value) {
    let mut bytes = Vec::new();
    timeout(within, stream.read_to_end(&mut bytes)).await.expect("a response within the deadline").unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no complete response: {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{body:?}: {e}")))
}

#[tokio::test]
async fn two_thousand_idle_connections_neither_block_health_nor_ingestion_and_are_closed_in_time() {
    const IDLE: u64 = 2;
    let app = spawn_app_with(|c| {
        c.http.idle_timeout_secs = IDLE;
        c.http.max_connections = 2_100;
    })
    .await;
    let started = Instant::now();
    let mut idle = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        idle.push(TcpStream::connect(addr(&app)).await.unwrap());
    }

    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let track = app.post("/v1/track", &json!({"userId": "u1", "event": "Live Entered"})).await;
    assert_eq!(track.status(), 200);
    assert_eq!(app.events().await.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(IDLE), "too slow to show the idle sockets were still held");
    let mut buf = [0u8; 1];
    for s in &idle {
        let still_open = matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(still_open, "an idle connection was closed before its timeout");
    }

    // Every idle socket is closed once the idle timeout has passed, not later.
    let mut waits = tokio::task::JoinSet::new();
    let deadline = Duration::from_secs(IDLE + 3).saturating_sub(started.elapsed());
    for mut s in idle {
        waits.spawn(async move { closed_within(&mut s, deadline).await });
    }
    let mut closed = 0;
    while let Some(r) = waits.join_next().await {
        closed += usize::from(r.unwrap());
    }
    assert_eq!(closed, 2_000, "idle connections closed within {IDLE} s (+ slack)");
    assert!(started.elapsed() >= Duration::from_secs(IDLE), "closed before the idle timeout");
}

#[tokio::test]
async fn headers_trickled_a_line_at_a_time_are_cut_off_by_the_header_timeout() {
    let app = spawn_app_with(|c| {
        c.http.header_timeout_secs = 1;
        c.http.idle_timeout_secs = 30;
    })
    .await;
    let stream = TcpStream::connect(addr(&app)).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        write.write_all(b"GET /healthz HTTP/1.1\r\nHost: rekindle\r\n").await?;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            write.write_all(b"X-Slow: 1\r\n").await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
    let mut buf = [0u8; 512];
    let answer = timeout(Duration::from_secs(6), read.read(&mut buf)).await;
    trickle.abort();
    assert!(matches!(answer, Ok(Ok(0)) | Ok(Err(_))), "the server hung up: {answer:?}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(4), "closed after {took:?}");
    // Everyone else is still served.
    assert_eq!(app.client.get(format!("{}/healthz", app.base)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_body_that_stops_halfway_is_answered_408_by_the_body_timeout() {
    let app = spawn_app_with(|c| c.http.body_timeout_secs = 1).await;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:", app.key));
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    let head = format!(
        "POST /v1/track HTTP/1.1\r\nHost: rekindle\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"userId\": "
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (status, body) = read_response(&mut stream, Duration::from_secs(6)).await;
    assert_eq!((status, &body["code"], &body["field"]), (408, &json!("request_timeout"), &json!("body")));
    assert!(started.elapsed() < Duration::from_secs(4), "answered after {:?}", started.elapsed());
    assert!(app.events().await.is_empty());
}

#[tokio::test]
async fn a_connection_past_the_cap_gets_a_json_503_and_the_others_keep_working() {
    let app = spawn_app_with(|c| c.http.max_connections = 2).await;
    // Two kept-alive connections, each having had an answer: both are surely being served.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: rekindle\r\n\r\n").await.unwrap();
        let mut buf = vec![0u8; 1024];
        let n = timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }

    let refused = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");

    // A held connection still answers; one closed frees its place.
    let s = &mut held[0];
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: rekindle\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = timeout(Duration::from_secs(5), s.read(&mut buf)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    held.pop();
    let freed = timeout(Duration::from_secs(5), async {
        loop {
            let client = reqwest::Client::new();
            if client.get(format!("{}/healthz", app.base)).send().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(freed.is_ok(), "a closed connection gives its place back");
}
