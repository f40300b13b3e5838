//! Chopin's performance example: three fast routes and one dynamic axum route.
//!
//! `/json`, `/plaintext` and `/api/status` are answered from precomputed bytes; `/users/{id}` is
//! an ordinary axum handler. `examples/benchmark` loads this application against its baselines.

use chopin::prelude::*;
use serde::Serialize;

/// A user, as `/users/{id}` returns it.
#[derive(Serialize)]
pub struct User {
    /// The id from the path.
    pub id: u64,
    /// A name derived from the id.
    pub name: String,
}

async fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: format!("user {id}"),
    })
}

/// The application, on the given configuration.
pub fn app(config: Config) -> App {
    App::with_config(config)
        // Bare: the benchmark endpoints.
        .fast_route(FastRoute::json("/json", br#"{"message":"Hello, World!"}"#).get_only())
        .fast_route(FastRoute::text("/plaintext", b"Hello, World!").get_only())
        // Decorated: CORS with its preflight, and a cache policy; still precomputed.
        .fast_route(
            FastRoute::json("/api/status", br#"{"status":"ok"}"#)
                .cors()
                .get_only()
                .cache_control("public, max-age=5"),
        )
        // Everything else goes through axum.
        .route("/users/{id}", get(user))
}
