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
    /// The database could not be reached.
    #[error("cannot connect to the database at {url} (DATABASE_URL): {source}")]
    Database {
        /// `DATABASE_URL`, its password hidden.
        url: String,
        /// What the database or the driver said.
        source: sea_orm::DbErr,
    },
    /// The cache service's Redis could not be reached.
    #[error("the cache service (REDIS_URL): {0}")]
    Cache(#[from] crate::cache::CacheError),
    /// `migrate` refused a change or failed.
    #[error("migrate: {0}")]
    Migrate(#[from] crate::db::MigrateError),
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
