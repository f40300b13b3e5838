//! Chopin: a Rust web framework whose application structure is checked by the compiler.
//!
//! An application is an [`App`]: fast routes, whose complete HTTP responses are computed before
//! the server starts and answered straight from the socket buffer, and axum routes for everything
//! dynamic, served by hyper. The server runs one listener on a multi-thread runtime, or with
//! `REUSEPORT=true` one SO_REUSEPORT listener and one single-threaded runtime per core.
//!
//! ```no_run
//! use chopin::prelude::*;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), chopin::Error> {
//!     App::new()
//!         .await?
//!         .fast_route(FastRoute::json("/json", br#"{"message":"Hello, World!"}"#).get_only())
//!         .route("/users/{id}", get(|Path(id): Path<u64>| async move { format!("user {id}") }))
//!         .run()
//!         .await
//! }
//! ```
//!
//! Configuration comes from the environment (and `.env`): see [`Config`]. Tests start the app on
//! a free port with [`testing::TestApp`] and talk to it over real HTTP.

pub use chopin_runtime::{
    App, Config, ConfigError, Error, FastRoute, IntoBody, Limits, Server, axum, http, manifest,
    shutdown_signal, testing,
};

/// What most applications import: `use chopin::prelude::*;`.
pub mod prelude {
    pub use crate::axum::extract::{Path, Query, State};
    pub use crate::axum::routing::{any, delete, get, head, options, patch, post, put};
    pub use crate::axum::{Json, Router};
    pub use crate::http::{Method, StatusCode, header};
    pub use crate::{App, Config, FastRoute};
}
