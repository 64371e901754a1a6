//! One module per subcommand, each with `run(&Cli, &Args) -> anyhow::Result<ExitCode>`.

pub mod fields;
pub mod info;
pub mod plugins;
pub mod read;

use std::path::Path;

use anyhow::Context;

/// Open a capture, naming the file in the error.
pub fn open_capture(path: &Path) -> anyhow::Result<scap::Capture> {
    scap::Capture::open(path).with_context(|| format!("cannot open {}", path.display()))
}
