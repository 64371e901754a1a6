//! `scapkit`: the command-line front-end.

mod cli;
mod cmd;
mod plugins;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Every section of a capture builds its process and fd tables afresh and frees the last
/// ones: thousands of small allocations at a time, which mimalloc serves with fewer
/// instructions than the system allocator (about 7% of the session thread's on the
/// benchmark's fd filters). Without transparent huge pages (feature `no_thp`): zeroing 2 MB
/// pages on first touch cost more than it saved.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, as sysdig uses them.
const EXIT_ERROR: u8 = 1;

/// Log lines of the plugins linked into the binary (they log through the `log` crate):
/// warnings and errors on stderr, like the host's messages for loaded plugins.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        // Our own threshold: plugins may raise `log::max_level` when they start.
        let max = if VERBOSE.load(std::sync::atomic::Ordering::Relaxed) {
            log::Level::Debug
        } else {
            log::Level::Warn
        };
        m.level() <= max
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let level = r.level().as_str().to_ascii_lowercase();
            eprintln!("scapkit: plugin {level}: {}", r.args());
        }
    }
    fn flush(&self) {}
}

static LOGGER: StderrLog = StderrLog;
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Installed before any plugin starts, so the plugins' own logger setup finds it taken.
    if log::set_logger(&LOGGER).is_ok() {
        let verbose = std::env::var("SCAPKIT_LOG").is_ok_and(|v| v == "debug");
        VERBOSE.store(verbose, std::sync::atomic::Ordering::Relaxed);
        log::set_max_level(if verbose {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Warn
        });
        if verbose {
            engine::plugin::set_log_threshold(7);
        }
    }
    let result = match &cli.command {
        cli::Command::Read(args) => cmd::read::run(&cli, args),
        cli::Command::Info(args) => cmd::info::run(&cli, args),
        cli::Command::Fields(args) => cmd::fields::run(args),
        cli::Command::Record(args) => cmd::read::record(&cli, args),
        cli::Command::Plugins(args) => cmd::plugins::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("scapkit: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `scapkit read ... | head` must end quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
