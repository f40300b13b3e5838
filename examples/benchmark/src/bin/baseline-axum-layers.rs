//! Baseline of Chopin's dynamic route with the HTTP layer's defaults on: axum 0.8 with the same
//! middleware as an axum user would add it, on one `current_thread` runtime.
//!
//! - `x-request-id`: tower-http's `SetRequestId` (a counter, as cheap as Chopin's ids) and
//!   `PropagateRequestId`;
//! - compression: tower-http's `CompressionLayer` (gzip and brotli, the same size threshold);
//! - the access log: one `info` event per request inside a span with the method, the matched
//!   route and the request id, as `axum::middleware::from_fn` around every route;
//! - the log: `tracing-subscriber`'s formatter on standard error, filtered by `RUST_LOG`, as
//!   Chopin's `hello` installs it.
//!
//! `GET /users/{id}` is the handler `examples/hello` mounts. Listens on `127.0.0.1:$PORT`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, Path, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use http::HeaderValue;
use serde::Serialize;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// A user, as `/users/{id}` returns it (same as `examples/hello`).
#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
}

async fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: format!("user {id}"),
    })
}

/// Request ids from a counter.
#[derive(Clone, Copy)]
struct Counter;

static NEXT: AtomicU64 = AtomicU64::new(0);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:016x}-{n:014x}", 0x5eed_u64))
            .ok()
            .map(RequestId::new)
    }
}

/// The access log: a span with the route and the request id, one event when answered.
async fn access_log(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!("request", method = %method, route = %route, request_id = %id);
    let start = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    tracing::info!(
        target: "access",
        method = %method,
        route = %route,
        status,
        latency_ms = ms,
        request_id = %id,
        "{method} {route} {status} {ms:.3} ms"
    );
    res
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    benchmark::run(|listener| async move {
        let app = Router::new()
            .route("/users/{id}", get(user))
            .layer(middleware::from_fn(access_log))
            .layer(
                ServiceBuilder::new()
                    .layer(SetRequestIdLayer::x_request_id(Counter))
                    .layer(PropagateRequestIdLayer::x_request_id())
                    .layer(
                        CompressionLayer::new().compress_when(
                            SizeAbove::new(1024)
                                .and(NotForContentType::GRPC)
                                .and(NotForContentType::IMAGES)
                                .and(NotForContentType::SSE),
                        ),
                    ),
            );
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                eprintln!("set_nodelay failed: {e}");
            }
        });
        axum::serve(listener, app).await
    })
}
