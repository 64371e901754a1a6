//! `scapkit`: the command-line front-end.

mod cli;
mod cmd;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as sysdig uses them.
const EXIT_ERROR: u8 = 1;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Read(args) => cmd::read::run(&cli, args),
        cli::Command::Info(args) => cmd::info::run(&cli, args),
        cli::Command::Fields(args) => cmd::fields::run(args),
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
