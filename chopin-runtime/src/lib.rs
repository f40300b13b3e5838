//! The Chopin kernel: the server that runs a Chopin application, and what every battery builds
//! on.
//!
//! Use it through the `chopin` crate. It serves an [`App`]: fast routes, whose complete responses
//! are precomputed and answered straight from the socket buffer, and an axum `Router` for
//! everything else, run by hyper. Connections start on the fast path and move to hyper at the
//! first request the static table does not serve. See the `chopin` crate for the guide.
//!
//! It depends on no database, cache server, password or token crate: batteries (`chopin-db`,
//! `chopin-redis`, `chopin-auth`) sit beside it and plug in through [`plugin::Plugin`] and the
//! application's [`service::Services`]. `ARCHITECTURE.md` at the repository's root maps its
//! modules, bottom to top.

mod app;
pub mod auth;
pub mod cache;
pub mod classify;
mod compression;
pub mod config;
pub mod const_response;
mod date;
mod error;
pub mod extract;
mod fast_route;
pub mod gauges;
pub mod manifest;
mod method;
mod middleware;
pub mod module;
pub mod openapi;
pub mod perfect_hash;
pub mod plugin;
pub mod ready;
mod response;
mod server;
pub mod service;
mod static_table;
#[cfg(feature = "testing")]
pub mod testing;
pub mod worker;

pub use app::{App, RouteInfo, RouteTable, Server, shutdown_signal};
pub use config::{Config, ConfigError, DocsUi, Environment, Limits, Secret};
pub use error::Error;
pub use fast_route::{DeclaredRoute, FastRoute, IntoBody, IntoFastRoute, StaticRoute, Unchecked};
pub use module::{Module, ModuleList, Routes};
pub use response::{ChopinError, Created, FieldError, NoContent};

pub use axum;
/// WebSockets (feature `ws`): axum's [`WebSocketUpgrade`](ws::WebSocketUpgrade) extractor, the
/// [`WebSocket`](ws::WebSocket) it upgrades to and its [`Message`](ws::Message)s. A route whose
/// handler takes a `WebSocketUpgrade` is described with a `101 Switching Protocols` response.
#[cfg(feature = "ws")]
pub use axum::extract::ws;
pub use http;
#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use serde_json;

/// What the code the macros generate refers to, from the kernel. Not a public API: the
/// `chopin` facade re-exports it with the batteries' parts as `chopin::__private`.
#[doc(hidden)]
pub mod __private {
    pub use crate::auth::{Access, AuthProvider, guard};
    pub use crate::axum::Router;
    pub use crate::axum::extract::FromRef;
    pub use crate::axum::middleware::from_fn_with_state;
    pub use crate::axum::routing;
    pub use crate::const_response::{response, response_len};
    pub use crate::manifest::check as check_app;
    pub use crate::manifest::{Manifest, Methods, Package, RouteDecl};
    pub use crate::module::{Module, Routes, check};
    pub use crate::openapi;
    pub use crate::plugin::Mount;
    pub use crate::{ChopinError, serde, serde_json};
    pub use crate::{DeclaredRoute, StaticRoute};

    /// A Cargo variable of the crate being compiled, empty when it is not built by Cargo.
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __chopin_package_var {
        ($name:literal) => {
            match ::core::option_env!($name) {
                ::core::option::Option::Some(v) => v,
                ::core::option::Option::None => "",
            }
        };
    }
    pub use __chopin_package_var as package_var;
}
