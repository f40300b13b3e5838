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
    /// A variable that must be set is not.
    #[error("`{name}` is not set: {why}")]
    Missing {
        /// The environment variable.
        name: &'static str,
        /// Why it is needed, and how to set it.
        why: &'static str,
    },
    /// Settings that cannot work together; the message says which and what to change.
    #[error("{0}")]
    Conflict(String),
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

/// Whether the application runs on a developer's machine or for real users.
///
/// Variable `APP_ENV`: `development` or `production`. The default follows the build, as Rocket's
/// profiles do: `development` in a debug build, `production` in a release build. Production is
/// strict where development is convenient: it requires `JWT_SECRET` and a real mailer, and its
/// cookies are `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine: a missing `JWT_SECRET` is generated (with a warning), mail is
    /// printed to standard output, cookies work over plain http.
    Development,
    /// Real users: nothing secret is generated, nothing is sent in the clear.
    Production,
}

impl Environment {
    /// `Development` in a debug build, `Production` in a release build.
    pub const fn of_build() -> Environment {
        if cfg!(debug_assertions) {
            Environment::Development
        } else {
            Environment::Production
        }
    }

    /// Whether this is `Development`.
    pub fn is_development(self) -> bool {
        self == Environment::Development
    }
}

/// A secret value: compared and cloned like a string, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How `AuthModule` signs users in and what it protects them with. Every protection is on unless
/// its `SECURITY_*` variable turns it off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The HS256 key of access tokens, at least 32 bytes. Variable `JWT_SECRET`: required in
    /// production; in development a random one is generated at start-up when it is missing.
    pub jwt_secret: Option<Secret>,
    /// How long an access token is valid. Variable `JWT_ACCESS_TTL_SECS`, default 900.
    pub access_token_ttl: Duration,
    /// How long a session lasts without signing in again; each refresh token lives this long.
    /// Variable `JWT_REFRESH_TTL_SECS`, default 2 592 000 (30 days).
    pub refresh_token_ttl: Duration,
    /// Fewest characters in a password. Variable `PASSWORD_MIN_LENGTH`, default 12.
    pub min_password_length: usize,
    /// TOTP two-factor authentication. Variable `SECURITY_2FA`.
    pub two_factor: bool,
    /// Per-IP rate limiting of signup, login, password reset and verification requests.
    /// Variable `SECURITY_RATE_LIMIT`.
    pub rate_limit: bool,
    /// Requests per window from one IP address to one of those routes.
    /// Variable `RATE_LIMIT_MAX_ATTEMPTS`, default 10.
    pub rate_limit_max_attempts: u32,
    /// The rate limit's window. Variable `RATE_LIMIT_WINDOW_SECS`, default 60.
    pub rate_limit_window: Duration,
    /// Locking an account after failed logins. Variable `SECURITY_LOCKOUT`.
    pub lockout: bool,
    /// Failed logins that lock an account. Variable `LOCKOUT_MAX_ATTEMPTS`, default 5.
    pub lockout_max_attempts: u32,
    /// How long a lock lasts, and the window failures are counted in.
    /// Variable `LOCKOUT_DURATION_SECS`, default 900.
    pub lockout_duration: Duration,
    /// Refresh tokens, rotated on every use. Variable `SECURITY_REFRESH_TOKENS`.
    pub refresh_tokens: bool,
    /// Server-side sessions checked on every request, listed and revoked by their owner.
    /// Variable `SECURITY_SESSIONS`.
    pub sessions: bool,
    /// Password reset by email. Variable `SECURITY_PASSWORD_RESET`.
    pub password_reset: bool,
    /// How long a reset token is valid. Variable `PASSWORD_RESET_EXPIRY_SECS`, default 3600.
    pub password_reset_ttl: Duration,
    /// Email verification, required before signing in. Variable `SECURITY_EMAIL_VERIFICATION`.
    pub email_verification: bool,
    /// How long a verification token is valid.
    /// Variable `EMAIL_VERIFICATION_EXPIRY_SECS`, default 86 400.
    pub email_verification_ttl: Duration,
    /// The double-submit CSRF check on cookie-authenticated requests. Variable `SECURITY_CSRF`.
    pub csrf: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            min_password_length: 12,
            two_factor: true,
            rate_limit: true,
            rate_limit_max_attempts: 10,
            rate_limit_window: Duration::from_secs(60),
            lockout: true,
            lockout_max_attempts: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            refresh_tokens: true,
            sessions: true,
            password_reset: true,
            password_reset_ttl: Duration::from_secs(3600),
            email_verification: true,
            email_verification_ttl: Duration::from_secs(24 * 3600),
            csrf: true,
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
    /// Development or production. Variable `APP_ENV`; see [`Environment`].
    pub environment: Environment,
    /// The Redis server of the cache service, or `None` for the in-memory cache.
    /// Variable `REDIS_URL`, such as `redis://127.0.0.1:6379`.
    pub redis_url: Option<String>,
    /// `AuthModule`'s settings.
    pub auth: AuthConfig,
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
            environment: Environment::of_build(),
            redis_url: None,
            auth: AuthConfig::default(),
        }
    }
}

impl Config {
    /// Where the API description is served and, beside it, the viewer: the viewer reads the
    /// description, so without the description neither is served.
    pub(crate) fn api_paths(&self) -> Option<(&str, Option<&str>)> {
        let spec = self.openapi_path.as_deref()?;
        Some((spec, self.docs_path.as_deref()))
    }

    /// Reads `.env` (if present, without overriding variables already set), then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_with_defaults(Config::default())
    }

    /// As [`Config::from_env`], with an application's own defaults for the variables that are
    /// not set: an example that migrates at start-up unless `AUTO_MIGRATE=false`, say.
    ///
    /// ```
    /// use chopin_runtime::Config;
    ///
    /// let mut defaults = Config::default();
    /// defaults.database.auto_migrate = true;
    /// let config = Config::from_lookup_with_defaults(defaults, |_| None).unwrap();
    /// assert!(config.database.auto_migrate);
    /// ```
    pub fn from_env_with_defaults(defaults: Config) -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        Config::from_lookup_with_defaults(defaults, |name| std::env::var(name).ok())
    }

    /// Builds a configuration from any source of variables, e.g. a map in a test.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::from_lookup_with_defaults(Config::default(), lookup)
    }

    /// As [`Config::from_lookup`], with `defaults` for the variables that are not set.
    pub fn from_lookup_with_defaults(
        defaults: Config,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let d = defaults;
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
            environment: var("APP_ENV").environment()?.unwrap_or(d.environment),
            redis_url: var("REDIS_URL").redis_url()?.or(d.redis_url),
            auth: auth_config(&var, d.auth)?,
        })
    }
}

/// `AuthModule`'s variables.
fn auth_config(
    var: &impl Fn(&'static str) -> Var,
    d: AuthConfig,
) -> Result<AuthConfig, ConfigError> {
    let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        Ok(var(name)
            .ranged(1, 10 * 365 * 24 * 3600, "a number of seconds, at least 1")?
            .map_or(default, |n| Duration::from_secs(n as u64)))
    };
    let on = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
        Ok(var(name).boolean()?.unwrap_or(default))
    };
    let attempts = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
        Ok(var(name)
            .ranged(1, 1_000_000, "a number of attempts from 1 to 1000000")?
            .map_or(default, |n| n as u32))
    };
    Ok(AuthConfig {
        jwt_secret: var("JWT_SECRET")
            .secret(32, "a secret of at least 32 bytes")?
            .or(d.jwt_secret),
        access_token_ttl: secs("JWT_ACCESS_TTL_SECS", d.access_token_ttl)?,
        refresh_token_ttl: secs("JWT_REFRESH_TTL_SECS", d.refresh_token_ttl)?,
        min_password_length: var("PASSWORD_MIN_LENGTH")
            .ranged(8, 128, "a length from 8 to 128")?
            .unwrap_or(d.min_password_length),
        two_factor: on("SECURITY_2FA", d.two_factor)?,
        rate_limit: on("SECURITY_RATE_LIMIT", d.rate_limit)?,
        rate_limit_max_attempts: attempts("RATE_LIMIT_MAX_ATTEMPTS", d.rate_limit_max_attempts)?,
        rate_limit_window: secs("RATE_LIMIT_WINDOW_SECS", d.rate_limit_window)?,
        lockout: on("SECURITY_LOCKOUT", d.lockout)?,
        lockout_max_attempts: attempts("LOCKOUT_MAX_ATTEMPTS", d.lockout_max_attempts)?,
        lockout_duration: secs("LOCKOUT_DURATION_SECS", d.lockout_duration)?,
        refresh_tokens: on("SECURITY_REFRESH_TOKENS", d.refresh_tokens)?,
        sessions: on("SECURITY_SESSIONS", d.sessions)?,
        password_reset: on("SECURITY_PASSWORD_RESET", d.password_reset)?,
        password_reset_ttl: secs("PASSWORD_RESET_EXPIRY_SECS", d.password_reset_ttl)?,
        email_verification: on("SECURITY_EMAIL_VERIFICATION", d.email_verification)?,
        email_verification_ttl: secs("EMAIL_VERIFICATION_EXPIRY_SECS", d.email_verification_ttl)?,
        csrf: on("SECURITY_CSRF", d.csrf)?,
    })
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

    fn environment(&self) -> Result<Option<Environment>, ConfigError> {
        let Some(v) = self.value.as_deref() else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "development" => Ok(Some(Environment::Development)),
            "production" => Ok(Some(Environment::Production)),
            _ => Err(self.invalid("development or production")),
        }
    }

    fn redis_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if v.starts_with("redis://") || v.starts_with("redis+unix://") || v.starts_with("unix://") {
            Ok(Some(v.to_owned()))
        } else {
            Err(self.invalid("a redis:// URL, such as redis://127.0.0.1:6379"))
        }
    }

    /// A secret of at least `min` bytes. The error does not repeat the value.
    fn secret(&self, min: usize, expected: &'static str) -> Result<Option<Secret>, ConfigError> {
        match self.value.as_deref() {
            None => Ok(None),
            Some(v) if v.len() < min => Err(ConfigError::Invalid {
                name: self.name,
                value: format!("{} bytes", v.len()),
                expected,
            }),
            Some(v) => Ok(Some(Secret::new(v))),
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
    fn an_applications_defaults_apply_where_no_variable_is_set() {
        let mut defaults = Config {
            port: 8000,
            redis_url: Some("redis://cache:6379".to_owned()),
            ..Config::default()
        };
        defaults.database.auto_migrate = true;
        defaults.auth.csrf = false;
        let unset = Config::from_lookup_with_defaults(defaults.clone(), |_| None);
        assert_eq!(unset.ok(), Some(defaults.clone()));

        let set = Config::from_lookup_with_defaults(defaults, |name| match name {
            "AUTO_MIGRATE" => Some("false".to_owned()),
            "SECURITY_CSRF" => Some("true".to_owned()),
            _ => None,
        })
        .expect("valid config");
        assert_eq!(set.port, 8000);
        assert!(!set.database.auto_migrate);
        assert!(set.auth.csrf);
        assert_eq!(set.redis_url.as_deref(), Some("redis://cache:6379"));
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
    fn reads_the_environment_the_cache_and_auth() {
        let c = config(&[
            ("APP_ENV", "Production"),
            ("REDIS_URL", "redis://cache:6379/2"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("JWT_ACCESS_TTL_SECS", "60"),
            ("JWT_REFRESH_TTL_SECS", "3600"),
            ("PASSWORD_MIN_LENGTH", "16"),
            ("SECURITY_2FA", "false"),
            ("SECURITY_RATE_LIMIT", "off"),
            ("RATE_LIMIT_MAX_ATTEMPTS", "3"),
            ("RATE_LIMIT_WINDOW_SECS", "30"),
            ("SECURITY_LOCKOUT", "0"),
            ("LOCKOUT_MAX_ATTEMPTS", "2"),
            ("LOCKOUT_DURATION_SECS", "120"),
            ("SECURITY_REFRESH_TOKENS", "no"),
            ("SECURITY_SESSIONS", "false"),
            ("SECURITY_PASSWORD_RESET", "false"),
            ("PASSWORD_RESET_EXPIRY_SECS", "600"),
            ("SECURITY_EMAIL_VERIFICATION", "false"),
            ("EMAIL_VERIFICATION_EXPIRY_SECS", "700"),
            ("SECURITY_CSRF", "false"),
        ])
        .expect("valid config");
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.redis_url.as_deref(), Some("redis://cache:6379/2"));
        let secret = Secret::new("0123456789abcdef0123456789abcdef");
        assert_eq!(
            c.auth,
            AuthConfig {
                jwt_secret: Some(secret.clone()),
                access_token_ttl: Duration::from_secs(60),
                refresh_token_ttl: Duration::from_secs(3600),
                min_password_length: 16,
                two_factor: false,
                rate_limit: false,
                rate_limit_max_attempts: 3,
                rate_limit_window: Duration::from_secs(30),
                lockout: false,
                lockout_max_attempts: 2,
                lockout_duration: Duration::from_secs(120),
                refresh_tokens: false,
                sessions: false,
                password_reset: false,
                password_reset_ttl: Duration::from_secs(600),
                email_verification: false,
                email_verification_ttl: Duration::from_secs(700),
                csrf: false,
            }
        );
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn every_protection_is_on_by_default() {
        let a = AuthConfig::default();
        let switches = [
            a.two_factor,
            a.rate_limit,
            a.lockout,
            a.refresh_tokens,
            a.sessions,
            a.password_reset,
            a.email_verification,
            a.csrf,
        ];
        assert!(switches.iter().all(|on| *on));
        assert_eq!(a.jwt_secret, None);
        assert_eq!(
            Config::default().environment,
            if cfg!(debug_assertions) {
                Environment::Development
            } else {
                Environment::Production
            }
        );
    }

    #[test]
    fn auth_errors_name_the_variable_and_never_echo_a_secret() {
        let cases = [
            (
                "JWT_SECRET",
                "short secret",
                "invalid value for `JWT_SECRET`: `12 bytes` (a secret of at least 32 bytes)",
            ),
            (
                "APP_ENV",
                "staging",
                "invalid value for `APP_ENV`: `staging` (development or production)",
            ),
            (
                "REDIS_URL",
                "localhost:6379",
                "invalid value for `REDIS_URL`: `localhost:6379` (a redis:// URL, such as redis://127.0.0.1:6379)",
            ),
            (
                "PASSWORD_MIN_LENGTH",
                "4",
                "invalid value for `PASSWORD_MIN_LENGTH`: `4` (a length from 8 to 128)",
            ),
            (
                "SECURITY_CSRF",
                "nope",
                "invalid value for `SECURITY_CSRF`: `nope` (one of true, false, 1, 0, yes, no, on, off)",
            ),
            (
                "LOCKOUT_MAX_ATTEMPTS",
                "0",
                "invalid value for `LOCKOUT_MAX_ATTEMPTS`: `0` (a number of attempts from 1 to 1000000)",
            ),
            (
                "JWT_ACCESS_TTL_SECS",
                "0",
                "invalid value for `JWT_ACCESS_TTL_SECS`: `0` (a number of seconds, at least 1)",
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
