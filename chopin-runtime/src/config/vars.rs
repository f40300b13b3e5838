//! Reading variables: where they come from ([`Vars`]), and one reader per kind of value
//! ([`Var`]), each giving an error that names the variable, its value and what was expected.
//! Batteries read their own sections with the same readers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{ConfigError, DocsUi, Environment, Secret};

/// Where a configuration's variables come from: the process's environment (after `.env`), a
/// lookup function (a map, in a test), or nowhere ([`Config::default`](super::Config)).
#[derive(Clone, Default)]
pub struct Vars(Source);

/// A function from a variable's name to its value.
type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

#[derive(Clone, Default)]
enum Source {
    #[default]
    None,
    Env,
    Lookup(Lookup),
}

impl Vars {
    /// No variables: every reader finds its variable unset.
    pub fn none() -> Vars {
        Vars(Source::None)
    }

    /// The process's environment, read when a variable is.
    pub fn env() -> Vars {
        Vars(Source::Env)
    }

    /// Whatever `lookup` gives for a name.
    pub fn lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Vars {
        Vars(Source::Lookup(Arc::new(lookup)))
    }

    /// The variable `name`; a blank value counts as unset.
    pub fn get(&self, name: &'static str) -> Var {
        let value = match &self.0 {
            Source::None => None,
            Source::Env => std::env::var(name).ok(),
            Source::Lookup(lookup) => lookup(name),
        };
        Var {
            name,
            value: value.filter(|v| !v.trim().is_empty()),
        }
    }
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Source::None => "Vars(none)",
            Source::Env => "Vars(env)",
            Source::Lookup(_) => "Vars(lookup)",
        })
    }
}

/// A database or cache server's URL as logs and errors show it: without its password, whether in
/// the authority (`postgres://user:secret@host`) or in a query parameter
/// (`redis+unix:///sock?pass=secret`).
///
/// ```
/// use chopin_runtime::config::redact_url;
///
/// assert_eq!(redact_url("postgres://app:s3cret@db:5432/blog"), "postgres://app:***@db:5432/blog");
/// ```
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        // The last `@` ends the user information: a password may hold an unescaped `@`.
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => base.to_owned(),
            },
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if matches!(name, "pass" | "password") => format!("{name}=***"),
                _ => param.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

/// One variable being read: its name travels with its value into every error. Each reader gives
/// `Ok(None)` when the variable is not set (or blank), the value when it is valid, and a
/// [`ConfigError::Invalid`] naming the variable, its value and `expected` otherwise.
#[derive(Clone, Debug)]
pub struct Var {
    name: &'static str,
    value: Option<String>,
}

impl Var {
    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its value, `None` when it is not set or blank.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The error for a value that is not `expected`.
    pub fn invalid(&self, expected: &'static str) -> ConfigError {
        ConfigError::Invalid {
            name: self.name,
            value: self.value.clone().unwrap_or_default(),
            expected,
        }
    }

    /// The value parsed as a `T`.
    ///
    /// # Errors
    /// When it does not parse.
    pub fn parse<T: std::str::FromStr>(
        &self,
        expected: &'static str,
    ) -> Result<Option<T>, ConfigError> {
        self.value
            .as_deref()
            .map(|v| v.trim().parse().map_err(|_| self.invalid(expected)))
            .transpose()
    }

    /// A whole number from `min` to `max`.
    ///
    /// # Errors
    /// When it is not one.
    pub fn ranged(
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

    /// A duration in milliseconds, at least one.
    ///
    /// # Errors
    /// When it is not one.
    pub fn millis(&self) -> Result<Option<Duration>, ConfigError> {
        let expected = "a duration in milliseconds, at least 1";
        match self.parse::<u64>(expected)? {
            Some(0) => Err(self.invalid(expected)),
            other => Ok(other.map(Duration::from_millis)),
        }
    }

    /// A URL with one of `schemes` (each with its `:` or `://`), as written.
    ///
    /// # Errors
    /// When the value does not start with one of them.
    pub fn url(
        &self,
        schemes: &[&str],
        expected: &'static str,
    ) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.value.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if schemes.iter().any(|scheme| v.starts_with(scheme)) {
            Ok(Some(v.to_owned()))
        } else {
            Err(self.invalid(expected))
        }
    }

    /// A path to serve something at, or `off`: `Some(None)` turns it off.
    pub(crate) fn route_path(&self) -> Result<Option<Option<String>>, ConfigError> {
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

    pub(crate) fn environment(&self) -> Result<Option<Environment>, ConfigError> {
        let Some(v) = self.value.as_deref() else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "development" => Ok(Some(Environment::Development)),
            "production" => Ok(Some(Environment::Production)),
            _ => Err(self.invalid("development or production")),
        }
    }

    pub(crate) fn docs_ui(&self) -> Result<Option<DocsUi>, ConfigError> {
        let Some(v) = self.value.as_deref() else {
            return Ok(None);
        };
        match v.trim().to_ascii_lowercase().as_str() {
            "bundled" => Ok(Some(DocsUi::Bundled)),
            "cdn" => Ok(Some(DocsUi::Cdn)),
            _ => Err(self.invalid("bundled or cdn")),
        }
    }

    /// A secret of at least `min` bytes. The error does not repeat the value.
    ///
    /// # Errors
    /// When it is shorter.
    pub fn secret(
        &self,
        min: usize,
        expected: &'static str,
    ) -> Result<Option<Secret>, ConfigError> {
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

    /// `true`, `false`, `1`, `0`, `yes`, `no`, `on` or `off`, in any case.
    ///
    /// # Errors
    /// When it is none of them.
    pub fn boolean(&self) -> Result<Option<bool>, ConfigError> {
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
