//! The Redis backend: a [`ConnectionManager`], which multiplexes every caller's commands over one
//! connection and reconnects when it drops.
//!
//! Each operation is one round trip; [`Cache::incr`] is a `MULTI`/`EXEC` transaction, so
//! concurrent increments from any number of processes never lose a count.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncConnectionConfig, Client, RedisError};

#[cfg(doc)]
use chopin_runtime::cache::Cache;
use chopin_runtime::cache::{CacheBackend, CacheError, Op};
use chopin_runtime::config::redact_url;

/// How long to wait for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for the server to answer a command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The Redis backend.
pub(crate) struct RedisBackend {
    conn: ConnectionManager,
}

impl RedisBackend {
    /// Connects to `url` and checks that the server answers `PING`.
    pub(crate) async fn connect(url: &str) -> Result<RedisBackend, CacheError> {
        let failed = |source: RedisError| CacheError::Connect {
            backend: "Redis",
            url: redact_url(url),
            source: Box::new(source),
        };
        let client = Client::open(url).map_err(failed)?;
        // The manager retries its first connection with a backoff of several seconds before it
        // gives up: one plain attempt first reports a server that is not there at once.
        let probe_config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let mut probe = client
            .get_multiplexed_async_connection_with_config(&probe_config)
            .await
            .map_err(failed)?;
        redis::cmd("PING")
            .query_async::<()>(&mut probe)
            .await
            .map_err(failed)?;
        drop(probe);

        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let mut conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(failed)?;
        redis::cmd("PING")
            .query_async::<()>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(RedisBackend { conn })
    }
}

/// `ttl` in milliseconds, as `PX` takes it. The cache has bounded it by `MAX_TTL`.
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

/// A `PTTL` reply as a time left: `-2` (no key) and `-1` (no expiry) are `None`.
fn time_left(pttl: i64) -> Option<Duration> {
    u64::try_from(pttl).ok().map(Duration::from_millis)
}

/// A command that failed: the server went away, or answered with an error.
fn failed(source: RedisError) -> CacheError {
    CacheError::Backend {
        backend: "redis",
        source: Box::new(source),
    }
}

/// The position of `INCR` in the `incr` transaction.
const INCR_INDEX: usize = 1;

/// Whether the `incr` transaction failed because of the value at the key: `INCR` answers
/// `ERR value is not an integer or out of range`, `ERR increment or decrement would overflow`,
/// or `WRONGTYPE` for a list or a set. Any other error of `INCR`'s would have failed `SET` first.
fn is_not_a_counter(err: &RedisError) -> bool {
    err.clone().into_server_errors().is_some_and(|errors| {
        errors.iter().any(|(index, error)| {
            *index == INCR_INDEX && matches!(error.code(), "ERR" | "WRONGTYPE")
        })
    })
}

impl CacheBackend for RedisBackend {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn get<'a>(&'a self, key: &'a str) -> Op<'a, Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<Vec<u8>>>(&mut conn)
                .await
                .map_err(failed)
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> Op<'a, ()> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key).arg(value);
            if let Some(ttl) = ttl {
                cmd.arg("PX").arg(millis(ttl));
            }
            cmd.query_async::<()>(&mut conn).await.map_err(failed)
        })
    }

    fn incr<'a>(&'a self, key: &'a str, window: Duration) -> Op<'a, (i64, Duration)> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let window_ms = millis(window);
            let (count, pttl) = redis::pipe()
                .atomic()
                .cmd("SET")
                .arg(key)
                .arg(0)
                .arg("PX")
                .arg(window_ms)
                .arg("NX")
                .ignore()
                .cmd("INCR")
                .arg(key)
                .cmd("PTTL")
                .arg(key)
                .query_async::<(i64, i64)>(&mut conn)
                .await
                .map_err(|err| {
                    if is_not_a_counter(&err) {
                        CacheError::NotACounter {
                            key: key.to_owned(),
                        }
                    } else {
                        failed(err)
                    }
                })?;
            let ttl = match time_left(pttl) {
                Some(ttl) => ttl,
                // The key was written by `set_raw` without expiry: the window starts now. Two
                // callers racing here set windows a round trip apart, which is harmless.
                None => {
                    redis::cmd("PEXPIRE")
                        .arg(key)
                        .arg(window_ms)
                        .query_async::<()>(&mut conn)
                        .await
                        .map_err(failed)?;
                    window
                }
            };
            Ok((count, ttl))
        })
    }

    fn ttl<'a>(&'a self, key: &'a str) -> Op<'a, Option<Duration>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let pttl = redis::cmd("PTTL")
                .arg(key)
                .query_async::<i64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(time_left(pttl))
        })
    }

    fn del<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let removed = redis::cmd("DEL")
                .arg(key)
                .query_async::<u64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(removed > 0)
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let found = redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(found > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pttl_replies() {
        assert_eq!(time_left(-2), None);
        assert_eq!(time_left(-1), None);
        assert_eq!(time_left(0), Some(Duration::ZERO));
        assert_eq!(time_left(1500), Some(Duration::from_millis(1500)));
    }
}
