//! Errors that stop an application from starting or serving.

use std::net::SocketAddr;

use crate::config::ConfigError;

/// Why an application could not start, or stopped.
///
/// Its `Debug` output is its message, so `fn main() -> Result<(), chopin::Error>` prints
/// `Error: invalid value for `PORT`: ...` rather than a struct dump.
#[derive(thiserror::Error)]
pub enum Error {
    /// The configuration is invalid; the message names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Fast routes were declared wrongly; every mistake is listed.
    #[error("invalid routes:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Routes(Vec<String>),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from `HOST` and `PORT`.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The command line names no command the application has, or gives it wrong arguments.
    #[error("{0}")]
    Usage(String),
    /// A command could not write its output.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A battery failed: a database, a cache server that does not answer, a migration that is
    /// refused. Its message says which and why (`cannot connect to the database at … (DATABASE_URL):
    /// …`); the battery's own error is its source, to downcast.
    #[error("{0}")]
    Battery(Box<dyn std::error::Error + Send + Sync>),
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A battery's error.
    pub fn battery(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Battery(error.into())
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
