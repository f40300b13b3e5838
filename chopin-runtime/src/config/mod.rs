//! Server configuration read from the environment (and `.env`, when present).
//!
//! Every variable has a default that works on a laptop. A value that does not parse stops start-up
//! with a [`ConfigError`] naming the variable, the value and what was expected: a server that
//! silently falls back to a default on a typo is a server that runs with the wrong limits.
//!
//! [`Config`] holds what the kernel reads itself (the server's address, workers, limits, where the
//! API description is served, the environment) and keeps the source of its variables, from which
//! each battery reads its own [`Section`]: `DATABASE_URL` is `chopin-db`'s, `JWT_SECRET`
//! `chopin-auth`'s. A new battery adds a section without touching this file.

mod http;
mod section;
#[cfg(test)]
mod tests;
mod vars;

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroUsize;
use std::time::Duration;

pub use http::{Cors, Http};
pub(crate) use http::{canonical, trusted};
pub use section::{Section, Sections};
pub use vars::{Var, Vars, redact_url};

/// A configuration value that could not be used.
#[derive(Clone, Debug)]
pub enum ConfigError {
    /// A variable is set to a value that does not parse or is out of range.
    Invalid {
        /// The environment variable.
        name: &'static str,
        /// The value it holds.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// `.env` exists but cannot be read or parsed.
    DotEnv(String),
    /// A variable that must be set is not.
    Missing {
        /// The environment variable.
        name: &'static str,
        /// Why it is needed, and how to set it.
        why: &'static str,
    },
    /// Settings that cannot work together; the message says which and what to change.
    Conflict(String),
    /// Several of the above, found together: what serving needs and does not have, all at once
    /// rather than one per restart ([`ConfigError::all`]).
    Several(Vec<ConfigError>),
}

impl ConfigError {
    /// `problems` as one error: none is `Ok`, one is itself, more are [`ConfigError::Several`].
    ///
    /// ```
    /// use chopin_runtime::ConfigError;
    ///
    /// assert!(ConfigError::all(Vec::new()).is_ok());
    /// let two = ConfigError::all(vec![
    ///     ConfigError::Missing { name: "JWT_SECRET", why: "it signs tokens" },
    ///     ConfigError::Missing { name: "SMTP_URL", why: "mail must leave" },
    /// ])
    /// .unwrap_err();
    /// assert_eq!(
    ///     two.to_string(),
    ///     "2 settings are missing or wrong:\n  - `JWT_SECRET` is not set: it signs tokens\n  - \
    ///      `SMTP_URL` is not set: mail must leave"
    /// );
    /// ```
    ///
    /// # Errors
    /// When there is a problem.
    pub fn all(problems: Vec<ConfigError>) -> Result<(), ConfigError> {
        let mut flat = Vec::with_capacity(problems.len());
        for problem in problems {
            match problem {
                ConfigError::Several(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Ok(()),
            1 => Err(flat.remove(0)),
            _ => Err(ConfigError::Several(flat)),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Invalid {
                name,
                value,
                expected,
            } => write!(f, "invalid value for `{name}`: `{value}` ({expected})"),
            ConfigError::DotEnv(e) => write!(f, "cannot read `.env`: {e}"),
            ConfigError::Missing { name, why } => write!(f, "`{name}` is not set: {why}"),
            ConfigError::Conflict(message) => f.write_str(message),
            ConfigError::Several(problems) => {
                write!(f, "{} settings are missing or wrong:", problems.len())?;
                for problem in problems {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

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
    /// How long a dynamic route's handler may take to answer; past it the request gets `504
    /// timeout` and the handler is dropped (a statement it was waiting on is abandoned). The
    /// bound on everything a handler waits for, even where that dependency has none of its own.
    /// Fast routes answer at once and are not timed. Variable `HANDLER_TIMEOUT_MS`, default
    /// 60 000.
    pub handler_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 100,
            max_body_bytes: 2 * 1024 * 1024,
            read_timeout: Duration::from_secs(30),
            handler_timeout: Duration::from_secs(60),
        }
    }
}

/// Whether the application runs on a developer's machine or for real users.
///
/// Variable `APP_ENV`: `development` or `production`. The default follows the build, as Rocket's
/// profiles do: `development` in a debug build, `production` in a release build. Production is
/// strict where development is convenient: `AuthModule` then requires `JWT_SECRET` and a real
/// mailer, and its cookies are `Secure`.
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

/// Where the API viewer at `DOCS_PATH` loads its script (Scalar's API reference) from.
///
/// Variable `DOCS_UI`: `bundled` (the default) or `cdn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DocsUi {
    /// From the application itself: the script is built into the kernel and served beside the
    /// page, so the viewer works in a browser that reaches nothing but the application.
    #[default]
    Bundled,
    /// From the jsDelivr CDN, in the browser that opens the page (the page's content security
    /// policy allows that origin): the application serves no script.
    Cdn,
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

/// Everything the server needs to start, and where the batteries read their settings.
#[derive(Debug, Clone)]
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
    /// What the server does around every request: request ids, compression, the access log,
    /// CORS, metrics, readiness, trusted proxies.
    pub http: Http,
    /// Where the API description is served, or `None` not to serve it.
    /// Variable `OPENAPI_PATH`, default `/openapi.json`; `off` turns it off.
    pub openapi_path: Option<String>,
    /// Where the interactive API viewer is served, or `None` not to serve it.
    /// Variable `DOCS_PATH`, default `/docs`; `off` turns it off (as does turning the
    /// description off, which it reads).
    pub docs_path: Option<String>,
    /// Where the viewer's script comes from. Variable `DOCS_UI`, default `bundled`; see
    /// [`DocsUi`].
    pub docs_ui: DocsUi,
    /// Development or production. Variable `APP_ENV`; see [`Environment`].
    pub environment: Environment,
    /// Where the variables come from, for the batteries' sections: the environment, a lookup,
    /// or none ([`Config::default`]).
    pub vars: Vars,
    /// The batteries' sections given in code ([`Config::set`]), under the variables.
    pub sections: Sections,
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
            http: Http::default(),
            openapi_path: Some("/openapi.json".to_owned()),
            docs_path: Some("/docs".to_owned()),
            docs_ui: DocsUi::Bundled,
            environment: Environment::of_build(),
            vars: Vars::none(),
            sections: Sections::default(),
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
    /// not set: an example that migrates at start-up unless `AUTO_MIGRATE=false`, say (see
    /// [`Config::set`] for a battery's section).
    ///
    /// ```
    /// use chopin_runtime::Config;
    ///
    /// let mut defaults = Config::default();
    /// defaults.port = 8000;
    /// let config = Config::from_lookup_with_defaults(defaults, |_| None).unwrap();
    /// assert_eq!(config.port, 8000);
    /// ```
    pub fn from_env_with_defaults(defaults: Config) -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        Config::read(defaults, Vars::env())
    }

    /// Builds a configuration from any source of variables, e.g. a map in a test.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Config, ConfigError> {
        Config::from_lookup_with_defaults(Config::default(), lookup)
    }

    /// As [`Config::from_lookup`], with `defaults` for the variables that are not set.
    pub fn from_lookup_with_defaults(
        defaults: Config,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Config, ConfigError> {
        Config::read(defaults, Vars::lookup(lookup))
    }

    /// The kernel's variables from `vars`, over `defaults`; the sections stay to be read.
    fn read(defaults: Config, vars: Vars) -> Result<Config, ConfigError> {
        let d = defaults;
        let var = |name: &'static str| vars.get(name);
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
                handler_timeout: var("HANDLER_TIMEOUT_MS")
                    .millis()?
                    .unwrap_or(d.limits.handler_timeout),
            },
            http: Http::read(&vars, d.http)?,
            openapi_path: var("OPENAPI_PATH").route_path()?.unwrap_or(d.openapi_path),
            docs_path: var("DOCS_PATH").route_path()?.unwrap_or(d.docs_path),
            docs_ui: var("DOCS_UI").docs_ui()?.unwrap_or(d.docs_ui),
            environment: var("APP_ENV").environment()?.unwrap_or(d.environment),
            sections: d.sections,
            vars,
        })
    }

    /// A battery's section: its variables, read now, over the section given in code with
    /// [`Config::set`] (or its default). A variable that is set has the last word, as for the
    /// kernel's own.
    ///
    /// # Errors
    /// When one of its variables is set to a value the section does not accept; the message
    /// names the variable.
    pub fn section<T: Section>(&self) -> Result<T, ConfigError> {
        T::read(&self.vars, self.sections.get::<T>().unwrap_or_default())
    }

    /// Gives a battery's section in code: the defaults its variables are read over.
    pub fn set<T: Section>(&mut self, section: T) -> &mut Config {
        self.sections.insert(section);
        self
    }

    /// As [`Config::set`], by value.
    pub fn with<T: Section>(mut self, section: T) -> Config {
        self.set(section);
        self
    }
}
