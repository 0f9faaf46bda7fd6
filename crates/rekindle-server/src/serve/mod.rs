//! Serving connections: HTTP/1.1 with a deadline for every phase of a connection and a cap on
//! how many are open, so idle, slow or stalled clients cannot hold the server's sockets.
//!
//! A connection is always in one of three phases:
//! - **waiting** for a request (just accepted, or kept alive after a response): closed after
//!   `idle_timeout`;
//! - **receiving headers**, from the request's first byte: closed after `header_timeout` (a
//!   slow-loris client trickling headers);
//! - **serving** a request: its body must arrive within `body_timeout` of its headers, else the
//!   answer is `408 request_timeout` and the connection is closed. The handler and the
//!   response are not timed.
//!
//! Past `max_connections` open at once, a new connection is answered `503 unavailable` and
//! closed, rather than left unanswered in the accept queue.

mod bodies;
mod limits;
mod phase;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower_service::Service;

use crate::error::{ApiError, ErrorCode};
use bodies::{Finished, TimedBody};
pub use limits::{Limits, raise_open_files_limit};
use phase::{Phase, State, Watched};

/// Accept and serve connections until `stop` resolves; then stop accepting, let requests in
/// flight finish and close connections as their responses are sent.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a client gone before it was accepted: the
                    // listener is fine, so pause (for the first) and go on.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(serve_connection(stream, peer, router.clone(), limits, stop_rx.clone(), permit));
            }
            Err(_) => {
                tracing::debug!(%peer, max = limits.max_connections, "refusing a connection past the cap");
                tokio::spawn(refuse(stream));
            }
        }
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let phase = Arc::new(Phase::new());
    let io = TokioIo::new(Watched { inner: stream, phase: phase.clone() });
    let service = hyper::service::service_fn({
        let phase = phase.clone();
        move |req| handle(req, peer, router.clone(), limits.body, phase.clone())
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = phase.deadline(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                return;
            }
            () = phase.changed() => {}
            () = sleep_until(deadline) => {
                if phase.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(%peer, phase = phase.name(), "closing a connection past its deadline");
                    return;
                }
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Serve one request: the client's address for `ConnectInfo`, the body under its deadline,
/// and the connection back to waiting once the response is sent.
async fn handle(
    mut req: Request<Incoming>,
    peer: SocketAddr,
    mut router: Router,
    body_timeout: Duration,
    phase: Arc<Phase>,
) -> Result<Response<Finished>, Infallible> {
    phase.set(State::Serving);
    let expired = Arc::new(AtomicBool::new(false));
    req.extensions_mut().insert(ConnectInfo(peer));
    let req = req.map(|body| Body::new(TimedBody::new(body, body_timeout, expired.clone())));
    let Ok(mut response) = router.call(req).await;
    if expired.load(Ordering::Relaxed) {
        // Whatever the handler made of a body cut short, the cause is the client's slowness.
        response = ApiError::field(
            ErrorCode::RequestTimeout,
            "body",
            format!("the request body did not arrive within {} s", body_timeout.as_secs()),
        )
        .into_response();
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response.map(|inner| Finished { inner, phase }))
}

/// Answer a connection past the cap with a 503 and close it.
async fn refuse(mut stream: TcpStream) {
    let error =
        ApiError::new(ErrorCode::Unavailable, "the server has as many connections open as it allows; retry shortly");
    let body = serde_json::to_vec(&error).unwrap_or_default();
    let status = error.code.status();
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        // Wait for the request's headers: an answer that comes before the request is one a
        // client cannot match to it. At most 16 KB of them are read.
        let mut request = Vec::with_capacity(1024);
        let mut chunk = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            request.extend_from_slice(&chunk[..n]);
        }
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await?;
        // Read what the client sends until it hangs up: closing with its request unread would
        // reset the connection and could lose the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::Notify;

    use super::*;

    #[tokio::test]
    async fn stopping_lets_a_request_in_flight_finish_and_closes_idle_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Arc::new(Notify::new());
        let router = Router::new().route(
            "/slow",
            axum::routing::get({
                let started = started.clone();
                move || async move {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    "done"
                }
            }),
        );
        let limits = Limits {
            header: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            max_connections: 10,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut busy = TcpStream::connect(addr).await.unwrap();
        busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        started.notified().await;
        stop.send(()).unwrap();

        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), busy.read_to_string(&mut answer)).await.unwrap().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("done"), "{answer}");
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest)).await;
        assert!(closed.is_ok() && rest.is_empty(), "the idle connection is closed, unanswered");
        tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    }
}
