//! Errors that stop an application from starting or serving.

use std::fmt;
use std::net::SocketAddr;

use crate::config::ConfigError;

/// Why an application could not start, or stopped.
///
/// Its `Debug` output is its message, so `fn main() -> Result<(), chopin::Error>` prints
/// `Error: invalid value for `PORT`: ...` rather than a struct dump.
pub enum Error {
    /// The configuration is invalid; the message names the variable.
    Config(ConfigError),
    /// Fast routes were declared wrongly; every mistake is listed.
    Routes(Vec<String>),
    /// The listening socket could not be opened.
    Bind {
        /// The address from `HOST` and `PORT`.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The command line names no command the application has, or gives it wrong arguments.
    Usage(String),
    /// A command could not write its output.
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A battery failed: a database, a cache server that does not answer, a migration that is
    /// refused. Its message says which and why (`cannot connect to the database at … (DATABASE_URL):
    /// …`); the battery's own error is its source, to downcast.
    Battery(Box<dyn std::error::Error + Send + Sync>),
    /// The server failed while running.
    Io(std::io::Error),
    /// Shutdown waited `SHUTDOWN_TIMEOUT_MS` and closed connections whose requests had not been
    /// answered: the process should exit non-zero, since their clients got no answer.
    ShutdownCutOff {
        /// How many connections were still serving a request.
        cut_off: usize,
        /// `SHUTDOWN_TIMEOUT_MS`.
        timeout: std::time::Duration,
    },
}

impl Error {
    /// A battery's error.
    pub fn battery(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Battery(error.into())
    }
}

// By hand rather than with `thiserror`: the kernel's build is a product target, and its proc
// macro is a second of an application's clean build for three error types.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => fmt::Display::fmt(e, f),
            Error::Routes(errors) => {
                f.write_str("invalid routes:")?;
                for e in errors {
                    write!(f, "\n  - {e}")?;
                }
                Ok(())
            }
            Error::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::Usage(message) => f.write_str(message),
            Error::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Error::Battery(e) => fmt::Display::fmt(e, f),
            Error::Io(e) => write!(f, "server error: {e}"),
            Error::ShutdownCutOff { cut_off, timeout } => write!(
                f,
                "shutdown cut off {cut_off} connection(s) with requests in flight after {} ms (SHUTDOWN_TIMEOUT_MS)",
                timeout.as_millis()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => e.source(),
            Error::Bind { source, .. } | Error::Write { source, .. } => Some(source),
            Error::Io(e) => Some(e),
            Error::Routes(_)
            | Error::Usage(_)
            | Error::Battery(_)
            | Error::ShutdownCutOff { .. } => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
