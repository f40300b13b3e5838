//! Server configuration read from the environment (and `.env`, when present).
//!
//! Every variable has a default that works on a laptop. A value that does not parse stops start-up
//! with a [`ConfigError`] naming the variable, the value and what was expected: a server that
//! silently falls back to a default on a typo is a server that runs with the wrong limits.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroUsize;
use std::time::Duration;

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable is set to a value that does not parse or is out of range.
    #[error("invalid value for `{name}`: `{value}` ({expected})")]
    Invalid {
        /// The environment variable.
        name: &'static str,
        /// The value it holds.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// `.env` exists but cannot be read or parsed.
    #[error("cannot read `.env`: {0}")]
    DotEnv(String),
}

/// Limits applied to every connection, on the fast path and on the hyper path alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line and headers) in bytes; larger gets `431`.
    /// Variable `MAX_HEAD_BYTES`, default 16 KiB.
    pub max_head_bytes: usize,
    /// Most header fields in one request; more gets `431`. Variable `MAX_HEADERS`, default 100.
    pub max_headers: usize,
    /// Largest request body in bytes; larger gets `413`. Variable `MAX_BODY_BYTES`, default 2 MiB.
    pub max_body_bytes: usize,
    /// How long a client may take to send a complete request head, and how long an idle
    /// keep-alive connection is kept open; a partial head that times out gets `408`.
    /// Variable `READ_TIMEOUT_MS`, default 30 000.
    pub read_timeout: Duration,
}

/// Where the database is and how its connection pool behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// The database's URL: `sqlite://file.db?mode=rwc`, `sqlite::memory:` or
    /// `postgres://user@host:5432/name`. Variable `DATABASE_URL`, default
    /// `sqlite://chopin.db?mode=rwc` (a file beside the process, created if missing).
    pub url: String,
    /// Most connections in the pool. Variable `DB_MAX_CONNECTIONS`, default 10 (1 for an
    /// in-memory SQLite database, which is one database per connection).
    pub max_connections: u32,
    /// Connections kept open when idle. Variable `DB_MIN_CONNECTIONS`, default 0.
    pub min_connections: u32,
    /// How long to wait for a connection. Variable `DB_CONNECT_TIMEOUT_MS`, default 5 000.
    pub connect_timeout: Duration,
    /// Run `migrate` when the server starts. Variable `AUTO_MIGRATE`, default `false`.
    pub auto_migrate: bool,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            url: "sqlite://chopin.db?mode=rwc".to_owned(),
            max_connections: 10,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            auto_migrate: false,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            max_body_bytes: 2 * 1024 * 1024,
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on. Variable `HOST`, default `127.0.0.1`.
    pub host: IpAddr,
    /// Port to listen on; `0` picks a free one. Variable `PORT`, default `3000`.
    pub port: u16,
    /// One SO_REUSEPORT listener and one single-threaded runtime per worker.
    /// Variable `REUSEPORT`, default `false` (one listener on the caller's runtime).
    pub reuseport: bool,
    /// Number of workers in reuseport mode. Variable `WORKERS`, default the number of cores.
    pub workers: NonZeroUsize,
    /// How long shutdown waits for in-flight requests before it gives up on them.
    /// Variable `SHUTDOWN_TIMEOUT_MS`, default 30 000.
    pub shutdown_timeout: Duration,
    /// Per-connection limits.
    pub limits: Limits,
    /// Where the API description is served, or `None` not to serve it.
    /// Variable `OPENAPI_PATH`, default `/openapi.json`; `off` turns it off.
    pub openapi_path: Option<String>,
    /// Where the interactive API viewer is served, or `None` not to serve it.
    /// Variable `DOCS_PATH`, default `/docs`; `off` turns it off (as does turning the
    /// description off, which it reads).
    pub docs_path: Option<String>,
    /// The database of the application's models.
    pub database: DbConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 3000,
            reuseport: false,
            workers: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            shutdown_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            openapi_path: Some("/openapi.json".to_owned()),
            docs_path: Some("/docs".to_owned()),
            database: DbConfig::default(),
        }
    }
}

impl Config {
    /// Reads `.env` (if present, without overriding variables already set), then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from any source of variables, e.g. a map in a test.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let d = Config::default();
        let var = |name: &'static str| Var {
            name,
            value: lookup(name).filter(|v| !v.trim().is_empty()),
        };
        Ok(Config {
            host: var("HOST")
                .parse("an IP address such as 127.0.0.1 or ::")?
                .unwrap_or(d.host),
            port: var("PORT")
                .parse("a port number from 0 to 65535")?
                .unwrap_or(d.port),
            reuseport: var("REUSEPORT").boolean()?.unwrap_or(d.reuseport),
            workers: var("WORKERS")
                .parse("a whole number of workers, at least 1")?
                .unwrap_or(d.workers),
            shutdown_timeout: var("SHUTDOWN_TIMEOUT_MS")
                .millis()?
                .unwrap_or(d.shutdown_timeout),
            limits: Limits {
                max_head_bytes: var("MAX_HEAD_BYTES")
                    .ranged(1024, 1024 * 1024, "a byte count from 1024 to 1048576")?
                    .unwrap_or(d.limits.max_head_bytes),
                max_headers: var("MAX_HEADERS")
                    .ranged(1, 256, "a header count from 1 to 256")?
                    .unwrap_or(d.limits.max_headers),
                max_body_bytes: var("MAX_BODY_BYTES")
                    .parse("a byte count")?
                    .unwrap_or(d.limits.max_body_bytes),
                read_timeout: var("READ_TIMEOUT_MS")
                    .millis()?
                    .unwrap_or(d.limits.read_timeout),
            },
            openapi_path: var("OPENAPI_PATH").route_path()?.unwrap_or(d.openapi_path),
            docs_path: var("DOCS_PATH").route_path()?.unwrap_or(d.docs_path),
            database: DbConfig {
                url: var("DATABASE_URL")
                    .database_url()?
                    .unwrap_or(d.database.url),
                max_connections: var("DB_MAX_CONNECTIONS")
                    .ranged(1, 10_000, "a connection count from 1 to 10000")?
                    .map_or(d.database.max_connections, |n| n as u32),
                min_connections: var("DB_MIN_CONNECTIONS")
                    .ranged(0, 10_000, "a connection count from 0 to 10000")?
                    .map_or(d.database.min_connections, |n| n as u32),
                connect_timeout: var("DB_CONNECT_TIMEOUT_MS")
                    .millis()?
                    .unwrap_or(d.database.connect_timeout),
                auto_migrate: var("AUTO_MIGRATE")
                    .boolean()?
                    .unwrap_or(d.database.auto_migrate),
            },
        })
    }
}

/// One variable being read: its name travels with its value into every error.
struct Var {
    name: &'static str,
    value: Option<String>,
}

impl Var {
    fn invalid(&self, expected: &'static str) -> ConfigError {
        ConfigError::Invalid {
            name: self.name,
            value: self.value.clone().unwrap_or_default(),
            expected,
        }
    }

    fn parse<T: std::str::FromStr>(
        &self,
        expected: &'static str,
    ) -> Result<Option<T>, ConfigError> {
        self.value
            .as_deref()
            .map(|v| v.trim().parse().map_err(|_| self.invalid(expected)))
            .transpose()
    }

    fn ranged(
        &self,
        min: usize,
        max: usize,
        expected: &'static str,
    ) -> Result<Option<usize>, ConfigError> {
        match self.parse::<usize>(expected)? {
            Some(n) if !(min..=max).contains(&n) => Err(self.invalid(expected)),
            other => Ok(other),
        }
    }

    fn millis(&self) -> Result<Option<Duration>, ConfigError> {
        let expected = "a duration in milliseconds, at least 1";
        match self.parse::<u64>(expected)? {
            Some(0) => Err(self.invalid(expected)),
            other => Ok(other.map(Duration::from_millis)),
        }
    }

    /// A database URL of a backend Chopin connects to.
    fn database_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let known = ["sqlite:", "postgres://", "postgresql://"];
        if known.iter().any(|scheme| v.starts_with(scheme)) {
            Ok(Some(v.to_owned()))
        } else {
            Err(self.invalid("a sqlite:// or postgres:// URL, such as sqlite://app.db?mode=rwc"))
        }
    }

    /// A path to serve something at, or `off`: `Some(None)` turns it off.
    fn route_path(&self) -> Result<Option<Option<String>>, ConfigError> {
        let Some(v) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let expected = "a path such as /openapi.json, or off";
        if v.eq_ignore_ascii_case("off") {
            return Ok(Some(None));
        }
        let plain = v.starts_with('/')
            && v.bytes()
                .all(|b| b.is_ascii_graphic() && !b"?#{}".contains(&b));
        if plain {
            Ok(Some(Some(v.to_owned())))
        } else {
            Err(self.invalid(expected))
        }
    }

    fn boolean(&self) -> Result<Option<bool>, ConfigError> {
        let Some(v) = self.value.as_deref() else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(self.invalid("one of true, false, 1, 0, yes, no, on, off")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(config(&[]).ok(), Some(Config::default()));
    }

    #[test]
    fn reads_every_variable() {
        let c = config(&[
            ("HOST", "0.0.0.0"),
            ("PORT", "8080"),
            ("REUSEPORT", "TRUE"),
            ("WORKERS", "3"),
            ("SHUTDOWN_TIMEOUT_MS", "1500"),
            ("MAX_HEAD_BYTES", "9000"),
            ("MAX_HEADERS", "10"),
            ("MAX_BODY_BYTES", "100"),
            ("READ_TIMEOUT_MS", "250"),
            ("OPENAPI_PATH", "/api/openapi.json"),
            ("DOCS_PATH", "off"),
            ("DATABASE_URL", "postgres://app@db:5432/blog"),
            ("DB_MAX_CONNECTIONS", "32"),
            ("DB_MIN_CONNECTIONS", "2"),
            ("DB_CONNECT_TIMEOUT_MS", "750"),
            ("AUTO_MIGRATE", "yes"),
        ])
        .expect("valid config");
        assert_eq!(c.host.to_string(), "0.0.0.0");
        assert_eq!(c.port, 8080);
        assert!(c.reuseport);
        assert_eq!(c.workers.get(), 3);
        assert_eq!(c.shutdown_timeout, Duration::from_millis(1500));
        assert_eq!(
            c.limits,
            Limits {
                max_head_bytes: 9000,
                max_headers: 10,
                max_body_bytes: 100,
                read_timeout: Duration::from_millis(250),
            }
        );
        assert_eq!(c.openapi_path.as_deref(), Some("/api/openapi.json"));
        assert_eq!(c.docs_path, None);
        assert_eq!(
            c.database,
            DbConfig {
                url: "postgres://app@db:5432/blog".to_owned(),
                max_connections: 32,
                min_connections: 2,
                connect_timeout: Duration::from_millis(750),
                auto_migrate: true,
            }
        );
    }

    #[test]
    fn errors_name_the_variable_and_the_value() {
        let cases = [
            (
                "PORT",
                "http",
                "invalid value for `PORT`: `http` (a port number from 0 to 65535)",
            ),
            (
                "PORT",
                "70000",
                "invalid value for `PORT`: `70000` (a port number from 0 to 65535)",
            ),
            (
                "HOST",
                "localhost:1",
                "invalid value for `HOST`: `localhost:1` (an IP address such as 127.0.0.1 or ::)",
            ),
            (
                "REUSEPORT",
                "maybe",
                "invalid value for `REUSEPORT`: `maybe` (one of true, false, 1, 0, yes, no, on, off)",
            ),
            (
                "WORKERS",
                "0",
                "invalid value for `WORKERS`: `0` (a whole number of workers, at least 1)",
            ),
            (
                "MAX_HEAD_BYTES",
                "100",
                "invalid value for `MAX_HEAD_BYTES`: `100` (a byte count from 1024 to 1048576)",
            ),
            (
                "MAX_HEADERS",
                "0",
                "invalid value for `MAX_HEADERS`: `0` (a header count from 1 to 256)",
            ),
            (
                "READ_TIMEOUT_MS",
                "0",
                "invalid value for `READ_TIMEOUT_MS`: `0` (a duration in milliseconds, at least 1)",
            ),
            (
                "MAX_BODY_BYTES",
                "-1",
                "invalid value for `MAX_BODY_BYTES`: `-1` (a byte count)",
            ),
            (
                "OPENAPI_PATH",
                "openapi.json",
                "invalid value for `OPENAPI_PATH`: `openapi.json` (a path such as /openapi.json, or off)",
            ),
            (
                "DATABASE_URL",
                "mysql://db/blog",
                "invalid value for `DATABASE_URL`: `mysql://db/blog` (a sqlite:// or postgres:// URL, such as sqlite://app.db?mode=rwc)",
            ),
            (
                "DB_MAX_CONNECTIONS",
                "0",
                "invalid value for `DB_MAX_CONNECTIONS`: `0` (a connection count from 1 to 10000)",
            ),
            (
                "DOCS_PATH",
                "/docs?x",
                "invalid value for `DOCS_PATH`: `/docs?x` (a path such as /openapi.json, or off)",
            ),
        ];
        for (name, value, message) in cases {
            let err = config(&[(name, value)]).expect_err(name);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn blank_values_mean_unset() {
        assert_eq!(config(&[("PORT", "  ")]).ok(), Some(Config::default()));
    }
}
