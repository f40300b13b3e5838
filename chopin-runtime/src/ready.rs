//! Readiness: whether the application can serve now, as a load balancer asks at `READY_PATH`.
//!
//! `/health` (a fast route an application declares) says the process is up; readiness says its
//! dependencies answer. Each battery adds a check when it starts ([`Setup::ready_check`](
//! crate::plugin::Setup::ready_check): the database battery pings its pool; the kernel checks
//! the cache), and the route runs them all at once, each within [`CHECK_TIMEOUT`], answering
//! `200` when all pass and `503` naming those that failed. What failed is logged with its
//! cause; the answer says only which dependency, not why (its address or error could help an
//! attacker).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// How long one check may take before it counts as failed: a load balancer's own probe usually
/// gives up after a few seconds, and a dependency that slow is not ready.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A check's answer: `Err` with why it failed, for the log.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One dependency's check.
#[derive(Clone)]
pub struct Check {
    name: &'static str,
    run: Arc<dyn Fn() -> CheckFuture + Send + Sync>,
}

impl Check {
    /// A check called `name` (`database`, `cache`), that `run` performs.
    pub fn new(name: &'static str, run: impl Fn() -> CheckFuture + Send + Sync + 'static) -> Check {
        Check {
            name,
            run: Arc::new(run),
        }
    }
}

/// The application's checks, as the plugins added them: a service in the application's
/// [`Services`](crate::service::Services).
#[derive(Clone, Default)]
pub struct Checks(pub(crate) Vec<Check>);

impl Checks {
    /// The names of the checks, in the order they were added.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|c| c.name).collect()
    }

    /// Runs every check at once: the name of each with whether it passed.
    pub async fn run(&self) -> Vec<(&'static str, bool)> {
        let runs = self.0.iter().map(|check| async move {
            let passed = match tokio::time::timeout(CHECK_TIMEOUT, (check.run)()).await {
                Ok(Ok(())) => true,
                Ok(Err(why)) => {
                    tracing::warn!(check = check.name, error = %why, "not ready: {} failed", check.name);
                    false
                }
                Err(_) => {
                    tracing::warn!(
                        check = check.name,
                        "not ready: {} did not answer within {} ms",
                        check.name,
                        CHECK_TIMEOUT.as_millis()
                    );
                    false
                }
            };
            (check.name, passed)
        });
        futures_util::future::join_all(runs).await
    }

    /// The route's answer: `200 {"status": "ready", "checks": {"database": "ok"}}`, or `503`
    /// with `"status": "unavailable"` and `"failed"` for each check that did not pass.
    pub(crate) async fn answer(self) -> Response {
        let results = self.run().await;
        let ready = results.iter().all(|(_, passed)| *passed);
        let checks: Map<String, Value> = results
            .into_iter()
            .map(|(name, passed)| (name.to_owned(), json!(if passed { "ok" } else { "failed" })))
            .collect();
        let (status, word) = if ready {
            (StatusCode::OK, "ready")
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        };
        let mut res = (status, Json(json!({ "status": word, "checks": checks }))).into_response();
        res.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        res
    }
}
