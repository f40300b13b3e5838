//! Chopin's performance example: one module with three fast routes and one dynamic route.
//!
//! `/json`, `/plaintext` and `/api/status` are answered from bytes computed at compile time;
//! `/users/{id}` is an ordinary axum handler. `examples/benchmark` loads this application against
//! its baselines.

use chopin::prelude::*;
use serde::Serialize;

/// A user, as `/users/{id}` returns it.
#[derive(Serialize, ToSchema)]
pub struct User {
    /// The id from the path.
    #[schema(format = "uint64")]
    pub id: u64,
    /// A name derived from the id.
    pub name: String,
}

/// The module: every route of the application.
pub struct Hello;

#[chopin::module(name = "hello")]
impl Hello {
    /// The benchmark's JSON response.
    #[fast_route("/json", json)]
    pub const JSON: &'static str = r#"{"message":"Hello, World!"}"#;

    /// The benchmark's plain-text response.
    #[fast_route("/plaintext", text)]
    pub const PLAINTEXT: &'static str = "Hello, World!";

    /// Decorated: CORS with its preflight, and a cache policy; still computed at compile time.
    #[fast_route("/api/status", json, cors, cache_control = "public, max-age=5")]
    pub const STATUS: &'static [u8] = br#"{"status":"ok"}"#;

    /// One user, by id.
    ///
    /// Everything that is not a fast route goes through axum.
    #[get("/users/{id}")]
    async fn user(Path(id): Path<u64>) -> Json<User> {
        Json(User {
            id,
            name: format!("user {id}"),
        })
    }
}

chopin::modules! {
    /// The application's modules, declared once: checked together where `cargo check` (and an
    /// editor) sees it, and by `App::bind` when the application is built.
    pub type Modules = [Hello];
}

/// The application, on the given configuration.
pub fn app(config: Config) -> App<(), Modules> {
    App::with_config(config).mount_module(Hello)
}
