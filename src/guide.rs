//! How to build an application with Chopin, from `chopin new` to a server in production.
//!
//! The chapters are the Markdown files of `docs/guide/`, one module each. Every Rust example in
//! them is a doctest of this crate: `cargo test --doc -p chopin` compiles each one, and runs those
//! that neither serve for real nor need a database server, so the guide cannot drift from the code.
//!
//! 1. [Getting started](crate::guide::getting_started): the `chopin` command, a new project, running and
//!    testing it.
//! 2. [Modules](crate::guide::modules): `#[chopin::module]`, its options, composing an application, the
//!    whole-application check, state.
//! 3. [Fast routes](crate::guide::fast_routes): responses computed at compile time, in a module or on
//!    their own.
//! 4. [Dynamic routes](crate::guide::dynamic_routes): route attributes, extractors, responses,
//!    plain axum routes, WebSockets, and the mistakes the macro reports.
//! 5. [The HTTP layer](crate::guide::http_layer): `App::layer`, request ids, compression, the
//!    access log, CORS, metrics, readiness.
//! 6. [Models](crate::guide::models): `#[chopin::model]`, validation, relations, rows that
//!    belong to a user, `migrate`.
//! 7. [Authentication](crate::guide::authentication): `AuthModule`, guarded routes, roles, mail.
//! 8. [Storage](crate::guide::storage): `STORAGE_URL`, uploads checked by their bytes, files kept
//!    in model rows and served back by ranges, orphans, security.
//! 9. [The API description](crate::guide::api_description): OpenAPI from the handlers' types,
//!    `/openapi.json`, `/docs`.
//! 10. [Testing](crate::guide::testing): `TestApp`, test databases, caches and stores, mail,
//!     snapshots.
//! 11. [Configuration](crate::guide::configuration): every variable, `.env`, and the errors.
//! 12. [Deployment](crate::guide::deployment): release builds, workers, production settings, shutdown.

#[doc = include_str!("../docs/guide/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("../docs/guide/modules.md")]
pub mod modules {}

#[doc = include_str!("../docs/guide/fast-routes.md")]
pub mod fast_routes {}

#[doc = include_str!("../docs/guide/dynamic-routes.md")]
pub mod dynamic_routes {}

#[doc = include_str!("../docs/guide/http-layer.md")]
pub mod http_layer {}

#[doc = include_str!("../docs/guide/models.md")]
pub mod models {}

#[doc = include_str!("../docs/guide/authentication.md")]
pub mod authentication {}

#[doc = include_str!("../docs/guide/storage.md")]
pub mod storage {}

#[doc = include_str!("../docs/guide/api-description.md")]
pub mod api_description {}

#[doc = include_str!("../docs/guide/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/guide/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/guide/deployment.md")]
pub mod deployment {}
