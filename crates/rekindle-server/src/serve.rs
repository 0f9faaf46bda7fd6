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

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, header};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use crate::config::HttpConfig;
use crate::error::{ApiError, ErrorCode};

/// File descriptors kept free of connections: the store, its pool, outgoing provider calls.
const RESERVED_FILES: u64 = 256;

/// The deadlines and the cap, as [`HttpConfig`] gives them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header: Duration,
    pub idle: Duration,
    pub body: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, with `max_connections` lowered to what `open_files` leaves room
    /// for: past the cap a client gets a 503; past the open-files limit, nobody gets anything.
    pub fn new(config: &HttpConfig, open_files: u64) -> Self {
        let room = open_files.saturating_sub(RESERVED_FILES).max(16);
        let max_connections = if (config.max_connections as u64) > room {
            tracing::warn!(
                configured = config.max_connections,
                open_files,
                allowed = room,
                "http.max_connections is more than the open-files limit allows; lowered"
            );
            room as usize
        } else {
            config.max_connections.max(1)
        };
        Self {
            header: Duration::from_secs(config.header_timeout_secs.max(1)),
            idle: Duration::from_secs(config.idle_timeout_secs.max(1)),
            body: Duration::from_secs(config.body_timeout_secs.max(1)),
            max_connections,
        }
    }
}

/// Raise the soft limit on open files (RLIMIT_NOFILE) to the hard limit, so the connection
/// cap, not the kernel, decides how many clients are served. Returns the limit in force.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every unix
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given, which lives for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit only reads the struct it is given. It may refuse (macOS does past
        // OPEN_MAX); the soft limit then stays as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(raised.rlim_cur as u64);
        }
    }
    Ok(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_files_limit() -> std::io::Result<u64> {
    Ok(u64::MAX)
}

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
            () = phase.changed.notified() => {}
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

/// Where a connection is, and since when.
#[derive(Debug, Clone, Copy)]
enum State {
    Waiting(Instant),
    Headers(Instant),
    Serving,
}

struct Phase {
    state: Mutex<State>,
    changed: Notify,
}

impl Phase {
    fn new() -> Self {
        Self { state: Mutex::new(State::Waiting(Instant::now())), changed: Notify::new() }
    }

    fn get(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, state: State) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.changed.notify_one();
    }

    /// Bytes arrived: if the connection was waiting, a request has begun.
    fn bytes_read(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let State::Waiting(_) = *state {
            *state = State::Headers(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match self.get() {
            State::Waiting(since) => Some(since + limits.idle),
            State::Headers(since) => Some(since + limits.header),
            State::Serving => None,
        }
    }

    fn name(&self) -> &'static str {
        match self.get() {
            State::Waiting(_) => "idle",
            State::Headers(_) => "headers",
            State::Serving => "serving",
        }
    }
}

/// The socket, telling the connection's [`Phase`] when bytes arrive.
struct Watched {
    inner: TcpStream,
    phase: Arc<Phase>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.phase.bytes_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A request body that must arrive by a deadline; past it, reading fails and `expired` is set.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl TimedBody {
    fn new(inner: Incoming, timeout: Duration, expired: Arc<AtomicBool>) -> Self {
        Self { inner, deadline: Instant::now() + timeout, sleep: None, expired }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err("the request body did not arrive in time".into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that, once sent (or dropped), puts the connection back to waiting.
struct Finished {
    inner: Body,
    phase: Arc<Phase>,
}

impl http_body::Body for Finished {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.phase.set(State::Waiting(Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_connections: usize) -> HttpConfig {
        HttpConfig { max_connections, ..HttpConfig::default() }
    }

    #[test]
    fn the_cap_leaves_room_for_the_store_below_the_open_files_limit() {
        assert_eq!(Limits::new(&config(10_000), 1024).max_connections, 1024 - RESERVED_FILES as usize);
        assert_eq!(Limits::new(&config(500), 1024).max_connections, 500);
        assert_eq!(Limits::new(&config(500), u64::MAX).max_connections, 500);
    }

    #[test]
    #[cfg(unix)]
    #[allow(clippy::unnecessary_cast)]
    fn the_open_files_limit_is_raised_to_the_hard_limit() {
        let now = raise_open_files_limit().unwrap();
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as in raise_open_files_limit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
        assert_eq!(now, limit.rlim_cur as u64);
        assert!(limit.rlim_cur == limit.rlim_max || cfg!(target_os = "macos"));
    }

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

    #[test]
    fn each_phase_has_its_own_deadline() {
        let limits = Limits {
            header: Duration::from_secs(2),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(5),
            max_connections: 1,
        };
        let phase = Phase::new();
        let idle = phase.deadline(&limits).unwrap();
        assert!(idle > Instant::now() + Duration::from_secs(50), "a new connection waits the idle timeout");
        phase.bytes_read();
        let headers = phase.deadline(&limits).unwrap();
        assert!(headers < idle && headers <= Instant::now() + limits.header, "its first byte starts the header clock");
        phase.bytes_read();
        assert_eq!(phase.deadline(&limits), Some(headers), "more header bytes do not push the deadline");
        phase.set(State::Serving);
        assert_eq!(phase.deadline(&limits), None, "a request being served is not timed here");
        phase.set(State::Waiting(Instant::now()));
        assert!(phase.deadline(&limits).unwrap() > headers, "after the response, the idle clock again");
    }
}
