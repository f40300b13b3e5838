//! The log: `tracing`'s events on standard error, filtered by `RUST_LOG`, as text or as JSON
//! lines (`LOG_FORMAT`).
//!
//! ```no_run
//! # async fn run() -> Result<(), chopin::Error> {
//! let config = chopin::Config::from_env()?;
//! chopin::log::init(&config)?;
//! # Ok(())
//! # }
//! ```
//!
//! Standard error, because standard output is the management commands' (`openapi` prints the
//! description there) and, in development, the mail's. With `LOG_FORMAT=json` every event is
//! one JSON object a line, its fields (the access log's `method`, `route`, `status`,
//! `latency_ms`, `request_id`) as keys, and the spans it happened in (`request`, with the
//! request id) under `spans`: what a log pipeline indexes without parsing text.

use chopin_runtime::ConfigError;
use tracing_subscriber::EnvFilter;

use crate::Config;

/// How log lines are written. Variable `LOG_FORMAT`: `text` (the default) or `json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// For people: a timestamp, the level, the target, the message and its fields.
    #[default]
    Text,
    /// For machines: one JSON object a line.
    Json,
}

impl LogFormat {
    /// The format `LOG_FORMAT` names in `config`'s variables.
    ///
    /// # Errors
    /// When it is set to something else than `text` or `json`.
    pub fn of(config: &Config) -> Result<LogFormat, ConfigError> {
        let var = config.vars.get("LOG_FORMAT");
        match var
            .value()
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err(var.invalid("text or json")),
        }
    }
}

/// Installs the process's log: `RUST_LOG`'s filter (`info` when it is not set), in
/// `LOG_FORMAT`'s format, on standard error. Does nothing if the process has a log already (a
/// test's, say).
///
/// # Errors
/// When `LOG_FORMAT` or `RUST_LOG` is set to something that does not parse; the message names
/// the variable.
pub fn init(config: &Config) -> Result<(), ConfigError> {
    let format = LogFormat::of(config)?;
    let rust_log = config.vars.get("RUST_LOG");
    let filter = match rust_log.value() {
        None => EnvFilter::new("info"),
        Some(directives) => EnvFilter::try_new(directives)
            .map_err(|_| rust_log.invalid("directives such as info or warn,chopin::access=info"))?,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    // `try_init` fails only when a log is installed already: that one stays.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
    Ok(())
}
