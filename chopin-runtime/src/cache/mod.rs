//! The cache service: bytes, JSON values and counters under string keys, each with an optional
//! time to live.
//!
//! A [`Cache`] stores its values in a [`CacheBackend`]: in memory by default (one store shared by
//! every worker thread of the process), or on a server shared by every process that uses it (the
//! `chopin-redis` battery: Redis, when `REDIS_URL` is set). Every backend behaves alike: a value
//! written with a time to live is gone once it has passed, a counter written by [`Cache::incr`]
//! reads back as its decimal text, and [`Cache::incr`] is atomic across concurrent callers (and,
//! on a server, across processes), which is what rate limits and lockouts need.
//!
//! Handlers take it as an extractor: `async fn view(cache: Cache) -> …`; the application gives
//! its cache to every request its server handles (a service, see [`crate::service`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), chopin_runtime::cache::CacheError> {
//! use std::time::Duration;
//! use chopin_runtime::cache::Cache;
//!
//! let cache = Cache::memory().prefixed("blog:");
//! cache.set_json("post:7", &["draft", "rust"], Some(Duration::from_secs(60))).await?;
//! let tags: Option<Vec<String>> = cache.get_json("post:7").await?;
//! assert_eq!(tags.as_deref(), Some(&["draft".to_owned(), "rust".to_owned()][..]));
//!
//! // Five attempts a minute, counted from the first.
//! let attempts = cache.incr("login:alice", Duration::from_secs(60)).await?;
//! assert_eq!(attempts.count, 1);
//! # Ok(())
//! # }
//! ```
//!
//! Times to live are whole milliseconds: a [`Duration`] is rounded up to the next millisecond,
//! at least one, and capped at [`MAX_TTL`].

mod local;
mod memory;

pub use local::Local;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::openapi::{Operation, OperationInput};
use crate::response::ChopinError;
use crate::service;

/// The longest time to live the cache keeps: about a hundred years. Longer ones are cut to it,
/// so that both backends can represent the moment a value expires.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A cache: cheap to clone, shared. Clones use the same store and the same key prefix.
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    prefix: Arc<str>,
}

/// The value of a counter after [`Cache::incr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// The number of increments in the current window, this one included.
    pub count: u64,
    /// The time left in the window, rounded up to whole milliseconds.
    pub ttl: Duration,
}

/// Why a cache operation failed.
///
/// In a handler, `?` turns it into a [`ChopinError`] (by its blanket `From` for errors): a `503
/// unavailable` naming the `cache` when the backend's classifier recognises an outage in its
/// source (Redis refusing, resetting or not answering in time), a `500` otherwise. Either way the
/// error is logged, and the client is not told its insides.
#[derive(Debug)]
pub enum CacheError {
    /// The backend's server could not be reached, or did not answer.
    Connect {
        /// The backend, as [`CacheBackend::name`] says it.
        backend: &'static str,
        /// The server's URL, its password hidden.
        url: String,
        /// What the client or the server said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A command of the backend failed: the server went away, or answered with an error.
    Backend {
        /// The backend, as [`CacheBackend::name`] says it.
        backend: &'static str,
        /// What the client or the server said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A value could not be written as JSON, or what was read is not the JSON of the type asked
    /// for.
    Json(serde_json::Error),
    /// [`Cache::incr`] found a value at the key that is not a counter: not the decimal text of
    /// a non-negative integer, or one that would overflow.
    NotACounter {
        /// The key, its prefix included.
        key: String,
    },
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::Connect {
                backend,
                url,
                source,
            } => write!(f, "cannot connect to {backend} at {url}: {source}"),
            CacheError::Backend { backend, source } => write!(f, "{backend}: {source}"),
            CacheError::Json(e) => write!(f, "cache value is not the JSON expected: {e}"),
            CacheError::NotACounter { key } => write!(f, "cache value at `{key}` is not a counter"),
        }
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CacheError::Connect { source, .. } | CacheError::Backend { source, .. } => {
                Some(&**source)
            }
            CacheError::Json(e) => Some(e),
            CacheError::NotACounter { .. } => None,
        }
    }
}

impl From<serde_json::Error> for CacheError {
    fn from(e: serde_json::Error) -> CacheError {
        CacheError::Json(e)
    }
}

/// What a backend's operations return.
pub type Op<'a, T> = Pin<Box<dyn Future<Output = Result<T, CacheError>> + Send + 'a>>;

/// A store the cache keeps its values in: the in-memory one, or a battery's (`chopin-redis`).
/// Keys arrive with their prefix; times to live arrive as whole milliseconds between one and
/// [`MAX_TTL`]. Every backend passes the same suite (`chopin-redis/tests/cache.rs`).
pub trait CacheBackend: Send + Sync + 'static {
    /// Its name, for messages and [`Cache::backend_name`]: `"memory"`, `"redis"`.
    fn name(&self) -> &'static str;
    /// The bytes at `key`; a counter's are its decimal text.
    fn get<'a>(&'a self, key: &'a str) -> Op<'a, Option<Vec<u8>>>;
    /// Writes `value` at `key`, replacing what was there and its expiry.
    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> Op<'a, ()>;
    /// Adds one to the counter at `key` (zero if there is none, then expiring after `window`),
    /// giving the new count and the time left. A key without expiry gets `window`.
    fn incr<'a>(&'a self, key: &'a str, window: Duration) -> Op<'a, (i64, Duration)>;
    /// The time `key` has left: `None` if there is no such key, or it never expires.
    fn ttl<'a>(&'a self, key: &'a str) -> Op<'a, Option<Duration>>;
    /// Removes `key`, saying whether it was there.
    fn del<'a>(&'a self, key: &'a str) -> Op<'a, bool>;
    /// Whether there is a value at `key`.
    fn exists<'a>(&'a self, key: &'a str) -> Op<'a, bool>;
}

impl Cache {
    /// A cache in this process's memory, empty. Clones share it; a second call makes another.
    pub fn memory() -> Cache {
        Cache::with_backend(Arc::new(memory::Memory::new()))
    }

    /// A cache over `backend`, without a prefix.
    pub fn with_backend(backend: Arc<dyn CacheBackend>) -> Cache {
        Cache {
            backend,
            prefix: Arc::from(""),
        }
    }

    /// The same store, with `prefix` in front of every key (after this cache's own prefix), to
    /// keep a part of the application apart from the others: the auth module uses `"auth:"`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), chopin_runtime::cache::CacheError> {
    /// use chopin_runtime::cache::Cache;
    ///
    /// let cache = Cache::memory();
    /// cache.prefixed("a:").set_raw("k", b"1", None).await?;
    /// assert_eq!(cache.get_raw("a:k").await?, Some(b"1".to_vec()));
    /// assert_eq!(cache.prefixed("b:").get_raw("k").await?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn prefixed(&self, prefix: &str) -> Cache {
        Cache {
            backend: Arc::clone(&self.backend),
            prefix: Arc::from(format!("{}{prefix}", self.prefix)),
        }
    }

    /// The prefix this cache puts in front of keys (empty unless made by [`Cache::prefixed`]).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The backend's name: `"memory"`, `"redis"`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    fn key(&self, key: &str) -> String {
        let mut full = String::with_capacity(self.prefix.len() + key.len());
        full.push_str(&self.prefix);
        full.push_str(key);
        full
    }

    /// The bytes at `key`, or `None` if there are none (or they have expired).
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn get_raw(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.backend.get(&self.key(key)).await
    }

    /// Writes `value` at `key`, replacing any value and its expiry. With `ttl` it expires after
    /// that long; without, it stays until deleted.
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn set_raw(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.backend
            .set(&self.key(key), value, ttl.map(whole_ms))
            .await
    }

    /// The JSON value at `key`, or `None` if there is none.
    ///
    /// # Errors
    /// [`CacheError::Json`] when the value there is not the JSON of a `T`; when the backend fails.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, CacheError> {
        match self.get_raw(key).await? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Writes `value` as JSON at `key`, as [`Cache::set_raw`].
    ///
    /// # Errors
    /// [`CacheError::Json`] when `value` cannot be written as JSON (a map whose keys are not
    /// strings); when the backend fails.
    pub async fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let bytes = serde_json::to_vec(value)?;
        self.set_raw(key, &bytes, ttl).await
    }

    /// Adds one to the counter at `key`, creating it with `window` to live if it does not exist
    /// (a fixed window that starts at the first increment; later increments do not extend it).
    /// Atomic across concurrent callers and, on Redis, across processes.
    ///
    /// The counter reads back through [`Cache::get_raw`] as its decimal text. A value written
    /// by [`Cache::set_raw`] that is the decimal text of an integer counts on from it; if it
    /// has no expiry, it gets `window`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), chopin_runtime::cache::CacheError> {
    /// use std::time::Duration;
    /// use chopin_runtime::cache::Cache;
    ///
    /// let cache = Cache::memory();
    /// let window = Duration::from_secs(60);
    /// assert_eq!(cache.incr("hits", window).await?.count, 1);
    /// let second = cache.incr("hits", window).await?;
    /// assert_eq!(second.count, 2);
    /// assert!(second.ttl <= window);
    /// assert_eq!(cache.get_raw("hits").await?, Some(b"2".to_vec()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CacheError::NotACounter`] when the value at `key` is not a non-negative integer's
    /// decimal text; when the backend fails.
    pub async fn incr(&self, key: &str, window: Duration) -> Result<Counter, CacheError> {
        let key = self.key(key);
        let (count, ttl) = self.backend.incr(&key, whole_ms(window)).await?;
        let count = u64::try_from(count).map_err(|_| CacheError::NotACounter { key })?;
        Ok(Counter { count, ttl })
    }

    /// The time `key` has left, rounded up to whole milliseconds: `None` when there is no such
    /// key, or it never expires.
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        self.backend.ttl(&self.key(key)).await
    }

    /// Removes the value at `key`, saying whether there was one.
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn del(&self, key: &str) -> Result<bool, CacheError> {
        self.backend.del(&self.key(key)).await
    }

    /// Whether there is a value at `key`.
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn exists(&self, key: &str) -> Result<bool, CacheError> {
        self.backend.exists(&self.key(key)).await
    }
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("backend", &self.backend_name())
            .field("prefix", &&*self.prefix)
            .finish()
    }
}

impl Cache {
    /// The cache of the request: one put in its extensions, or the application's.
    pub fn of(parts: &Parts) -> Option<Cache> {
        service::of::<Cache>(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Cache {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Cache::of(parts).ok_or_else(|| {
            ChopinError::internal(
                "no cache service: a handler takes `Cache`, and the request did not come through an application's server (nor holds one in its extensions)",
            )
        })
    }
}

/// With Redis (`REDIS_URL`) the cache can be away: a `503`.
impl OperationInput for Cache {
    fn describe(op: &mut Operation<'_>) {
        op.may_be_unavailable("the cache");
    }
}

/// `ttl` as whole milliseconds, rounded up, between one millisecond and [`MAX_TTL`].
fn whole_ms(ttl: Duration) -> Duration {
    let ms = ttl.as_nanos().div_ceil(1_000_000);
    let max = MAX_TTL.as_millis();
    // At most MAX_TTL's milliseconds, which fit in a u64.
    Duration::from_millis(u64::try_from(ms.clamp(1, max)).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_ttls_up_to_whole_milliseconds() {
        assert_eq!(whole_ms(Duration::ZERO), Duration::from_millis(1));
        assert_eq!(whole_ms(Duration::from_nanos(1)), Duration::from_millis(1));
        assert_eq!(
            whole_ms(Duration::from_micros(1500)),
            Duration::from_millis(2)
        );
        assert_eq!(
            whole_ms(Duration::from_millis(300)),
            Duration::from_millis(300)
        );
        assert_eq!(whole_ms(Duration::MAX), MAX_TTL);
    }

    #[test]
    fn debug_shows_backend_and_prefix() {
        let cache = Cache::memory().prefixed("auth:").prefixed("login:");
        assert_eq!(
            format!("{cache:?}"),
            r#"Cache { backend: "memory", prefix: "auth:login:" }"#
        );
    }
}
