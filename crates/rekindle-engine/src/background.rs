//! CPU work that can wait: judging everyone, fitting the models, freeing what a refresh
//! replaced. At a million people it keeps a core busy for seconds; on its own thread at a
//! lower priority (nice 10 on Linux), it yields that core whenever the event path or a
//! request wants it, and still runs at full speed when nothing else does.

use std::sync::OnceLock;

use tokio::sync::oneshot;

/// Run `f` on a low-priority thread of its own; `Err` if it panicked.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, oneshot::error::RecvError> {
    let (tx, rx) = oneshot::channel();
    spawn(move || {
        let _ = tx.send(f());
    });
    rx.await
}

/// Run the future `f` makes on a low-priority thread of its own, its timers and IO driven by
/// the calling runtime: its CPU, and that of the store reads it makes
/// (rekindle_store::background), waits its turn behind the event path's. `Err` if it
/// panicked. Without a thread to be had, it runs here.
pub async fn run_async<T, F, Fut>(f: F) -> Result<T, oneshot::error::RecvError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
{
    use tracing::Instrument;
    let (tx, rx) = oneshot::channel();
    let (runtime, span) = (tokio::runtime::Handle::current(), tracing::Span::current());
    let job = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
    let theirs = job.clone();
    let started = start(move || {
        if let Some(f) = take(&theirs) {
            let _ = tx.send(runtime.block_on(f().instrument(span)));
        }
    });
    // No thread to be had: here rather than not at all, as `spawn` does.
    if !started && let Some(f) = take(&job) {
        return Ok(f().await);
    }
    rx.await
}

/// Free `value` on a low-priority thread: a million-member audience or membership set takes
/// a few hundred milliseconds to free, too long for an async thread and not urgent.
pub fn drop_later<T: Send + 'static>(value: T) {
    spawn(move || drop(value));
}

/// Run `f` with its parallel iterators on the judging threads: one per core, each at the
/// background's low priority, started on first use and kept (a refresh every few seconds
/// does not start threads each time). `threads` asks for a pool of its own that size (tests
/// judge on one to three). Without threads to be had, `f` runs on rayon's global pool.
pub(crate) fn judging<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let build = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("rekindle-judge-{i}"))
            .start_handler(|_| lower_priority())
            .build()
            .ok()
    };
    let own;
    let pool = match threads {
        Some(n) => {
            own = build(n.max(1));
            own.as_ref()
        }
        None => POOL.get_or_init(|| build(0)).as_ref(),
    };
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

fn spawn(f: impl FnOnce() + Send + 'static) {
    let job = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
    let mine = job.clone();
    let started = start(move || {
        if let Some(f) = take(&mine) {
            f();
        }
    });
    // No thread to be had (the process is at its limit): do it here rather than not at all.
    if !started && let Some(f) = take(&job) {
        f();
    }
}

/// Start `f` on a new low-priority background thread; `false` if no thread could be had.
fn start(f: impl FnOnce() + Send + 'static) -> bool {
    std::thread::Builder::new()
        .name("rekindle-background".into())
        .spawn(move || {
            lower_priority();
            rekindle_store::background::mark_this_thread();
            f();
        })
        .is_ok()
}

/// The job in `slot`, if nobody took it yet: whichever of the thread and its starter gets it
/// runs it, so a thread that failed to start does not lose it.
fn take<F>(slot: &std::sync::Mutex<Option<F>>) -> Option<F> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: gettid and setpriority take and return plain integers; raising one's own nice
    // value needs no privilege. A failure leaves the thread at normal priority.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_the_work_and_hands_back_its_result() {
        assert_eq!(run(|| 6 * 7).await.unwrap(), 42);
        assert!(run(|| -> u8 { panic!("a panicking job") }).await.is_err());
    }

    /// The calling thread's nice value.
    #[cfg(target_os = "linux")]
    fn nice() -> i32 {
        // SAFETY: as in lower_priority.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_judging_threads_run_at_a_lower_priority() {
        let nices: Vec<i32> = judging(Some(2), || rayon::broadcast(|_| nice()));
        assert_eq!(nices, [10, 10]);
    }

    #[tokio::test]
    async fn a_future_runs_on_a_background_thread_driven_by_the_caller_s_runtime() {
        let here = std::thread::current().id();
        let (there, background, slept) = run_async(move || async move {
            // A timer of the calling runtime fires on the background thread's future.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            (std::thread::current().id(), rekindle_store::background::on_this_thread(), true)
        })
        .await
        .unwrap();
        assert_ne!(there, here);
        assert!(background && slept);
        assert!(!rekindle_store::background::on_this_thread());
        assert!(run_async(|| async { panic!("a panicking future") }).await.is_err());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_work_runs_at_a_lower_priority() {
        assert_eq!(run(nice).await.unwrap(), 10);
    }
}
