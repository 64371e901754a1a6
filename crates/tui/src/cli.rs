//! Command-line arguments (clap), with sysdig's flag names and meanings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// scapkit: read, filter, write and inspect Falco/sysdig capture files.
#[derive(Debug, Parser)]
#[command(name = "scapkit", version, about, long_about = None)]
pub struct Cli {
    /// Never show a progress bar.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Quiet: do not print events (for `read -S`), and no progress bar.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print events, like `sysdig -r` (filters and formats follow sysdig's syntax).
    Read(ReadArgs),
    /// Describe captures: sections, blocks, events, time range, processes.
    Info(InfoArgs),
    /// List the fields usable in filters and formats, like `sysdig -l`.
    Fields(FieldsArgs),
    /// Record the events of source plugins (and captures) into a capture file.
    Record(RecordArgs),
    /// List the available plugins: version, id, event source, capabilities.
    Plugins(PluginsArgs),
}

/// Plugin selection, shared by the commands that use plugins.
#[derive(Debug, Args, Clone, Default)]
pub struct PluginArgs {
    /// Load a plugin: a built-in name (cloudtrail, json) or a path to a `.so`, with an
    /// optional init config after ':' (repeatable).
    #[arg(short = 'H', long = "plugin", value_name = "NAME_OR_PATH[:INIT]")]
    pub plugins: Vec<String>,
    /// Read events from a source plugin, with optional open params after ':' (repeatable;
    /// several sources are merged by timestamp).
    #[arg(short = 'I', long = "input", value_name = "NAME[:OPEN_PARAMS]")]
    pub inputs: Vec<String>,
    /// Falco configuration file: its `plugins:` and `load_plugins:` keys.
    #[arg(short = 'c', long = "config", value_name = "FALCO_YAML")]
    pub config: Option<PathBuf>,
    /// Do not load the built-in plugins (cloudtrail, json) unless named.
    #[arg(long)]
    pub no_builtin_plugins: bool,
    /// Do not start plugins' async events on live sources (they arrive at unpredictable
    /// points of the stream).
    #[arg(long)]
    pub no_async: bool,
    /// Print the plugins' metrics on stderr at the end.
    #[arg(long)]
    pub plugin_metrics: bool,
}

/// `scapkit record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Plugins and sources.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Also read these captures and merge their events (repeatable).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    /// The capture to write.
    #[arg(short = 'w', long = "write", value_name = "OUT", required = true)]
    pub write: PathBuf,
    /// Stop after N events.
    #[arg(short = 'n', long = "numevents", value_name = "N")]
    pub numevents: Option<u64>,
    /// gzip the capture.
    #[arg(short = 'z', long = "compress")]
    pub compress: bool,
    /// Keep only the events matching this filter.
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// `scapkit plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Plugins to load besides the built-ins.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `scapkit read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Plugins and sources.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Capture files to read (repeatable). With -r, every positional argument is the filter.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    /// Output format, with sysdig's syntax: `%field`, `%field[arg]`, leading `*` to print
    /// events even when a field has no value.
    #[arg(short = 'p', long = "print", value_name = "FORMAT")]
    pub print: Option<String>,
    /// Print a summary of event counts per type at the end (sysdig's -S); with -q, only it.
    #[arg(short = 'S', long = "summary")]
    pub summary: bool,
    /// Also show internal events (sysdig's -D).
    #[arg(short = 'D', long = "debug")]
    pub debug: bool,
    /// Stop after N events shown.
    #[arg(short = 'n', long = "numevents", value_name = "N")]
    pub numevents: Option<u64>,
    /// Write the events to a capture file instead of printing them.
    #[arg(short = 'w', long = "write", value_name = "OUT")]
    pub write: Option<PathBuf>,
    /// Compress the file written with -w (gzip).
    #[arg(short = 'z', long = "compress")]
    pub compress: bool,
    /// Time format of %evt.outputtime: h (default), a (absolute), r (relative), d (delta),
    /// D (delta between shown events).
    #[arg(short = 't', long = "timetype", value_name = "MODE")]
    pub timetype: Option<String>,
    /// Print events as JSON, one object per line (sysdig's -j).
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// Print only the text portion of data buffers, echoing line ends.
    #[arg(short = 'A', long = "print-ascii")]
    pub ascii: bool,
    /// Print data buffers in hex.
    #[arg(short = 'x', long = "print-hex")]
    pub hex: bool,
    /// Print data buffers in hex and ASCII.
    #[arg(short = 'X', long = "print-hex-ascii")]
    pub hex_ascii: bool,
    /// Print data buffers in base64.
    #[arg(short = 'b', long = "print-base64")]
    pub base64: bool,
    /// Print buffers in full instead of cutting them at 80 characters.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Capture file (when -r is not used), then the filter words.
    #[arg(value_name = "FILE_OR_FILTER")]
    pub rest: Vec<String>,
}

/// `scapkit info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Capture files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `scapkit fields`.
#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// List the fields of this plugin (built-in name or loaded with -H).
    #[arg(long = "plugin", value_name = "NAME")]
    pub plugin: Option<String>,
    /// Plugins to load.
    #[arg(short = 'H', value_name = "NAME_OR_PATH[:INIT]")]
    pub load: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only the fields whose name contains this text.
    #[arg(value_name = "MATCH")]
    pub filter: Option<String>,
}
