//! `rekindle`: one binary for the server and every operator command.

mod cli;
mod commands;
mod store;

use clap::Parser;

/// glibc's allocator spent about a quarter of ingest CPU in malloc/free under many threads
/// (perf, `rekindle bench ingest`); mimalloc's per-thread heaps cut that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    // TLS to message providers uses ring; installed before anything builds an HTTP client.
    rekindle_delivery::install_crypto_provider();
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so `rekindle people show … | head` would panic on the closed pipe.
/// A command-line tool should end quietly instead, as Unix tools do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; resetting a signal's
    // disposition to its default has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
