//! How many connections, and for how long each phase: the configured deadlines and cap, and
//! the open-files limit that bounds the cap.

use std::time::Duration;

use crate::config::HttpConfig;

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
}
