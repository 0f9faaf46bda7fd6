//! Where a connection is (waiting, receiving headers, being served) and since when, told by
//! the socket as bytes arrive and by the response as it is sent.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Instant;

use super::Limits;

/// Where a connection is, and since when.
#[derive(Debug, Clone, Copy)]
pub(super) enum State {
    Waiting(Instant),
    Headers(Instant),
    Serving,
}

pub(super) struct Phase {
    state: Mutex<State>,
    changed: Notify,
}

impl Phase {
    pub(super) fn new() -> Self {
        Self { state: Mutex::new(State::Waiting(Instant::now())), changed: Notify::new() }
    }

    pub(super) fn get(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set(&self, state: State) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.changed.notify_one();
    }

    /// Bytes arrived: if the connection was waiting, a request has begun.
    pub(super) fn bytes_read(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let State::Waiting(_) = *state {
            *state = State::Headers(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    pub(super) fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match self.get() {
            State::Waiting(since) => Some(since + limits.idle),
            State::Headers(since) => Some(since + limits.header),
            State::Serving => None,
        }
    }

    /// Resolves when the state changes (a permit is kept if nobody was waiting).
    pub(super) fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    pub(super) fn name(&self) -> &'static str {
        match self.get() {
            State::Waiting(_) => "idle",
            State::Headers(_) => "headers",
            State::Serving => "serving",
        }
    }
}

/// The socket, telling the connection's [`Phase`] when bytes arrive.
pub(super) struct Watched {
    pub(super) inner: TcpStream,
    pub(super) phase: Arc<Phase>,
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
