//! Plugin errors: every one names the plugin and what went wrong.

use std::fmt;

/// A plugin return code (`ss_plugin_rc`); unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rc {
    /// 0
    Success,
    /// 1
    Failure,
    /// -1: nothing now, poll again.
    Timeout,
    /// 2: end of stream.
    Eof,
    /// 3
    NotSupported,
    /// Any other value (treated as failure).
    Other(i32),
}

impl From<i32> for Rc {
    fn from(v: i32) -> Self {
        match v {
            0 => Self::Success,
            1 => Self::Failure,
            -1 => Self::Timeout,
            2 => Self::Eof,
            3 => Self::NotSupported,
            v => Self::Other(v),
        }
    }
}

impl fmt::Display for Rc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("SUCCESS"),
            Self::Failure => f.write_str("FAILURE"),
            Self::Timeout => f.write_str("TIMEOUT"),
            Self::Eof => f.write_str("EOF"),
            Self::NotSupported => f.write_str("NOT_SUPPORTED"),
            Self::Other(v) => write!(f, "unknown rc {v}"),
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// dlopen failed.
    #[error("cannot load: {0}")]
    Open(String),
    /// One of the 8 required symbols is missing.
    #[error("not a Falco plugin: missing required symbol plugin_{0}")]
    MissingSymbol(&'static str),
    /// The required API version is incompatible or malformed.
    #[error("requires plugin API version {required:?}, which this host (API {host}) cannot serve")]
    ApiVersion {
        /// What the plugin asked for.
        required: String,
        /// What we provide.
        host: &'static str,
    },
    /// `get_version` is not `x.y.z`.
    #[error("invalid plugin version {0:?} (want x.y.z)")]
    InvalidVersion(String),
    /// A capability is half-exported, or there is none, or the source is reserved.
    #[error("{0}")]
    Capabilities(String),
    /// `get_fields` or another JSON document is malformed.
    #[error("invalid {what}: {msg}")]
    Json {
        /// Which document.
        what: &'static str,
        /// Why.
        msg: String,
    },
    /// Two plugins clash (name or ID).
    #[error("{0}")]
    Duplicate(String),
    /// The config was rejected before calling the plugin.
    #[error("invalid config: {0}")]
    Config(String),
    /// The plugin is not initialised (or init failed).
    #[error("plugin is not initialised")]
    NotInitialised,
    /// The plugin lacks the capability the call needs.
    #[error("plugin has no {0} capability")]
    NotCapable(&'static str),
    /// A call returned a failure code.
    #[error("{func} failed ({rc}): {message}")]
    Call {
        /// The plugin function.
        func: &'static str,
        /// Its return code.
        rc: Rc,
        /// `get_last_error`, or a note when it gave nothing.
        message: String,
    },
    /// The plugin produced a malformed event.
    #[error("malformed plugin event: {0}")]
    Event(String),
    /// A field request is invalid (unknown field, bad argument).
    #[error("{0}")]
    Field(String),
    /// Something is not in the right state (e.g. no open instance).
    #[error("{0}")]
    State(String),
}

/// An error naming the plugin (or its path, before its name is known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin {plugin}: {kind}")]
pub struct PluginError {
    /// The plugin's name or path.
    pub plugin: String,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl PluginError {
    pub(crate) fn new(plugin: impl Into<String>, kind: ErrorKind) -> Self {
        Self {
            plugin: plugin.into(),
            kind,
        }
    }
}

/// Result alias for the plugin host.
pub type Result<T, E = PluginError> = std::result::Result<T, E>;
