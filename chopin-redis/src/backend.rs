//! The Redis backend: a [`ConnectionManager`], which multiplexes every caller's commands over one
//! connection and reconnects when it drops.
//!
//! Each operation is one round trip; [`Cache::incr`] is a `MULTI`/`EXEC` transaction, so
//! concurrent increments from any number of processes never lose a count.

use std::future::Future;
use std::io;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncConnectionConfig, Client, RedisError};

#[cfg(doc)]
use chopin_runtime::cache::Cache;
use chopin_runtime::cache::{CacheBackend, CacheError, Op};
use chopin_runtime::classify::Outage;
use chopin_runtime::config::redact_url;

/// At start-up, how long to wait for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// At start-up, how long to wait for the server to answer `PING`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The Redis backend.
pub(crate) struct RedisBackend {
    conn: ConnectionManager,
    /// `REDIS_TIMEOUT_MS`: every operation, reconnecting included, answers within it.
    timeout: Duration,
}

impl RedisBackend {
    /// Connects to `url` and checks that the server answers `PING`.
    pub(crate) async fn connect(url: &str, timeout: Duration) -> Result<RedisBackend, CacheError> {
        chopin_runtime::classify::register(outage);
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

        // Reconnecting goes on in the background, every second at most, as long as the server is
        // away; each operation waits for it no longer than `timeout`.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1))
            .set_number_of_retries(usize::MAX);
        let mut conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| failed(io::Error::from(io::ErrorKind::TimedOut).into()))?
        .map_err(failed)?;
        redis::cmd("PING")
            .query_async::<()>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(RedisBackend { conn, timeout })
    }

    /// `op`, given up after `REDIS_TIMEOUT_MS`: the connection manager's own response timeout
    /// does not hold while it reconnects.
    async fn bounded<T>(
        &self,
        op: impl Future<Output = Result<T, CacheError>>,
    ) -> Result<T, CacheError> {
        match tokio::time::timeout(self.timeout, op).await {
            Ok(result) => result,
            Err(_) => Err(failed(RedisError::from(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no answer within {} ms (REDIS_TIMEOUT_MS)",
                    self.timeout.as_millis()
                ),
            )))),
        }
    }
}

/// How long a client should wait after Redis failed: about the time a reconnect takes.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Redis refusing, dropping the connection or not answering in time is an outage of the cache,
/// a `503`; an error Redis answered with is not.
fn outage(error: &(dyn std::error::Error + 'static)) -> Option<Outage> {
    let error = error.downcast_ref::<RedisError>()?;
    let unreachable = error.is_io_error()
        || error.is_timeout()
        || error.is_connection_refusal()
        || error.is_connection_dropped();
    unreachable.then_some(Outage {
        dependency: "cache",
        retry_after: RETRY_AFTER,
    })
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
        Box::pin(self.bounded(async move {
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<Vec<u8>>>(&mut conn)
                .await
                .map_err(failed)
        }))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> Op<'a, ()> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(key).arg(value);
            if let Some(ttl) = ttl {
                cmd.arg("PX").arg(millis(ttl));
            }
            cmd.query_async::<()>(&mut conn).await.map_err(failed)
        }))
    }

    fn incr<'a>(&'a self, key: &'a str, window: Duration) -> Op<'a, (i64, Duration)> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
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
        }))
    }

    fn ttl<'a>(&'a self, key: &'a str) -> Op<'a, Option<Duration>> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let pttl = redis::cmd("PTTL")
                .arg(key)
                .query_async::<i64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(time_left(pttl))
        }))
    }

    fn del<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let removed = redis::cmd("DEL")
                .arg(key)
                .query_async::<u64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(removed > 0)
        }))
    }

    fn exists<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let found = redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u64>(&mut conn)
                .await
                .map_err(failed)?;
            Ok(found > 0)
        }))
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
