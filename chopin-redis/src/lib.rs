//! Chopin's Redis battery: the cache service on a Redis server, shared by every process of the
//! application.
//!
//! Use it through the `chopin` crate (its `redis` feature, on by default): with `REDIS_URL` set,
//! the application's [`Cache`] keeps its values on that server instead of in the process's
//! memory. The kernel's [`Cache`] is the same type either way; this crate gives it a
//! [`CacheBackend`](chopin_runtime::cache::CacheBackend) and a [`Redis`] plugin that connects at
//! start-up.

mod backend;
pub mod test_cache;

use std::sync::Arc;
use std::time::Duration;

use chopin_runtime::Error;
use chopin_runtime::cache::{Cache, CacheError};
use chopin_runtime::config::{ConfigError, Section, Vars};
use chopin_runtime::plugin::{BoxFuture, Plugin, Setup};

pub use test_cache::test_cache;

/// Where the Redis server is: the Redis battery's section of the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    /// The Redis server of the cache service, or `None` for the in-memory cache.
    /// Variable `REDIS_URL`, such as `redis://127.0.0.1:6379`.
    pub url: Option<String>,
    /// The longest any cache operation waits for Redis, reconnecting included: past it the
    /// operation fails, and a handler's `?` answers `503`. Variable `REDIS_TIMEOUT_MS`, default
    /// 1 000.
    pub timeout: Duration,
}

/// `REDIS_TIMEOUT_MS`'s default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl Section for RedisConfig {
    fn read(vars: &Vars, defaults: RedisConfig) -> Result<RedisConfig, ConfigError> {
        Ok(RedisConfig {
            url: vars
                .get("REDIS_URL")
                .url(
                    &["redis://", "redis+unix://", "unix://"],
                    "a redis:// URL, such as redis://127.0.0.1:6379",
                )?
                .or(defaults.url),
            timeout: vars
                .get("REDIS_TIMEOUT_MS")
                .millis()?
                .unwrap_or(defaults.timeout),
        })
    }
}

/// A cache on the Redis server at `url` (`redis://[:password@]host[:port][/db]` or
/// `redis+unix:///path`; TLS, `rediss://`, is not built in).
///
/// It connects and sends `PING` before returning, so a wrong URL or a server that does not
/// answer fails here, not at the first request. Once connected it reconnects by itself, and
/// each operation waits at most [`DEFAULT_TIMEOUT`] (see [`connect_with_timeout`]).
///
/// # Errors
/// [`CacheError::Connect`], naming the URL with its password hidden.
pub async fn connect(url: &str) -> Result<Cache, CacheError> {
    connect_with_timeout(url, DEFAULT_TIMEOUT).await
}

/// [`connect`], each operation (reconnecting included) given up after `timeout`.
///
/// # Errors
/// [`CacheError::Connect`], naming the URL with its password hidden.
pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Cache, CacheError> {
    let backend = backend::RedisBackend::connect(url, timeout).await?;
    Ok(Cache::with_backend(Arc::new(backend)))
}

/// The Redis battery's plugin: when the application starts with `REDIS_URL` set, it connects
/// and gives the application's handlers a [`Cache`] on that server. Without `REDIS_URL` it does
/// nothing, and the application keeps the in-memory cache; a cache given by hand
/// (`App::with_cache`) is kept.
#[derive(Clone, Copy, Debug, Default)]
pub struct Redis;

impl Plugin for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }

    /// `REDIS_URL` and `REDIS_TIMEOUT_MS`, unless a cache was given by hand.
    fn unmet(&self, app: &Setup<'_>) -> Vec<ConfigError> {
        if app.service::<Cache>().is_some() {
            return Vec::new();
        }
        app.config()
            .section::<RedisConfig>()
            .err()
            .into_iter()
            .collect()
    }

    fn start<'a>(&'a mut self, app: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if app.service::<Cache>().is_some() {
                return Ok(());
            }
            let config = app.config().section::<RedisConfig>()?;
            let Some(url) = config.url else {
                return Ok(());
            };
            let cache = connect_with_timeout(&url, config.timeout)
                .await
                .map_err(|e| Error::battery(format!("the cache service (REDIS_URL): {e}")))?;
            app.provide(cache);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use chopin_runtime::Config;

    use super::*;

    #[test]
    fn reads_redis_url() {
        let read = |value: &'static str| {
            Config::from_lookup(move |name| (name == "REDIS_URL").then(|| value.to_owned()))
                .and_then(|c| c.section::<RedisConfig>())
        };
        assert_eq!(
            read("redis://cache:6379/2").ok(),
            Some(RedisConfig {
                url: Some("redis://cache:6379/2".to_owned()),
                timeout: DEFAULT_TIMEOUT,
            })
        );
        assert_eq!(read(" ").ok(), Some(RedisConfig::default()));
        assert_eq!(
            read("localhost:6379")
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some(
                "invalid value for `REDIS_URL`: `localhost:6379` (a redis:// URL, such as redis://127.0.0.1:6379)"
            )
        );
    }
}
