//! The Chopin runtime: the server that runs a Chopin application.
//!
//! Use it through the `chopin` crate. It serves an [`App`]: fast routes, whose complete responses
//! are precomputed and answered straight from the socket buffer, and an axum `Router` for
//! everything else, run by hyper. Connections start on the fast path and move to hyper at the
//! first request the static table does not serve. See the `chopin` crate for the guide.

mod app;
pub mod auth;
pub mod cache;
mod config;
pub mod const_response;
mod date;
pub mod db;
mod error;
pub mod extract;
mod fast_route;
pub mod manifest;
pub mod module;
pub mod openapi;
pub mod perfect_hash;
mod response;
mod server;
mod static_table;
pub mod testing;

pub use app::{App, Server, shutdown_signal};
pub use config::{AuthConfig, Config, ConfigError, DbConfig, Environment, Limits, Secret};
pub use error::Error;
pub use fast_route::{FastRoute, IntoBody, StaticRoute};
pub use module::{Module, ModuleList, RouteInfo, RouteTable, Routes};
pub use response::{ChopinError, Created, FieldError, NoContent};

pub use axum;
pub use http;
#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use serde_json;
