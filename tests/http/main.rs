//! The server over real sockets: the fast path byte for byte, the handoff to hyper, limits,
//! shutdown, reuseport workers, and modules with their guards.
//!
//! The code `#[chopin::module]` generates here must be as clean as hand-written code: this crate
//! denies every warning, `unused_qualifications` and `clippy::all` (CI runs clippy with
//! `-D warnings` on it).
#![deny(warnings, unused_qualifications, clippy::all)]

mod clashes;
mod compression;
mod fast_path;
mod headers;
mod lifecycle;
mod limits;
mod middleware;
mod modules;
mod openapi;
mod raw;
#[cfg(feature = "ws")]
mod ws;

use std::time::Duration;

use bytes::Bytes;
use chopin::prelude::*;
use chopin::testing::TestApp;

/// The application every test serves: fast routes of each kind and dynamic routes beside them.
fn app(config: Config) -> App {
    App::with_config(config)
        .fast_route(FastRoute::text("/plaintext", "Hello, World!"))
        .fast_route(
            FastRoute::json("/api/status", br#"{"status":"ok"}"#)
                .cors()
                .get_only()
                .cache_control("public, max-age=5")
                .header("x-content-type-options", "nosniff"),
        )
        .fast_route(FastRoute::text("/submit", "accepted").post_only())
        .route(
            "/users/{id}",
            get(|Path(id): Path<u64>| async move { format!("user {id}") }),
        )
        .route("/api/status", post(|| async { "posted status" }))
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "slow done"
            }),
        )
        .route("/panic", get(panics))
        .route(
            "/thread",
            get(|| async {
                std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_owned()
            }),
        )
}

async fn spawn(config: Config) -> TestApp {
    TestApp::spawn(app(config)).await
}

async fn spawn_default() -> TestApp {
    spawn(Config::default()).await
}

async fn panics() -> &'static str {
    panic!("a handler bug")
}
