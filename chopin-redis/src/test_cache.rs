//! A cache of its own for each test: in memory by default, on Redis when
//! `CHOPIN_TEST_REDIS_URL` names a server.
//!
//! ```no_run
//! # async fn test() {
//! let cache = chopin_redis::test_cache().await;
//! // Its keys live under a prefix no other test uses.
//! assert!(cache.prefix().starts_with("test:"));
//! # }
//! ```
//!
//! On Redis, what a test writes without a time to live stays on the server after it: use a
//! server (or a database number, `redis://127.0.0.1:6379/15`) meant for tests, and delete the
//! `test:*` keys when it matters.

use chopin_runtime::cache::Cache;
use chopin_runtime::config::redact_url;

/// The environment variable that names the Redis server tests run on, as a URL
/// (`redis://127.0.0.1:6379`).
pub const REDIS_URL_VAR: &str = "CHOPIN_TEST_REDIS_URL";

/// A cache for one test, under a fresh random prefix `test:<16 hex digits>:`, so tests that run
/// at once never share a key.
///
/// Without `CHOPIN_TEST_REDIS_URL`, a new in-memory cache. With it, a connection to that Redis
/// server, made in the calling runtime (each `#[tokio::test]` has its own, so each test calls
/// this itself).
///
/// # Panics
/// When `CHOPIN_TEST_REDIS_URL` is set and Redis does not answer there: the message names the
/// variable and the URL. It never falls back to memory, so a test run meant for Redis cannot
/// pass in memory by mistake. Also when the system cannot give random bytes for the prefix.
pub async fn test_cache() -> Cache {
    let mut random = [0u8; 8];
    if let Err(err) = getrandom::fill(&mut random) {
        panic!("test_cache: no random bytes for the key prefix: {err}");
    }
    let prefix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let cache = match std::env::var(REDIS_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => {
            crate::connect(url.trim()).await.unwrap_or_else(|err| {
                panic!(
                    "{REDIS_URL_VAR} is `{}`, but Redis does not answer there: {err} \
                     (unset the variable to test in memory)",
                    redact_url(url.trim())
                )
            })
        }
        _ => Cache::memory(),
    };
    cache.prefixed(&format!("test:{prefix}:"))
}
