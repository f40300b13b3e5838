//! Chopin: a Rust web framework whose application structure is checked by the compiler.
//!
//! An application is an [`App`] of modules. A module is an `impl` block annotated with
//! [`#[chopin::module]`](macro@module): its handlers are plain axum handlers declared with route
//! attributes, and its `#[fast_route]` constants are responses whose every byte is computed at
//! compile time and answered straight from the socket buffer. Mounting modules records them in the
//! application's type, and building the application checks them together: two routes that claim
//! one request, a required module that is not mounted, an `auth` route without an auth provider
//! or two modules with one name are compile errors naming both sides.
//!
//! ```no_run
//! use chopin::prelude::*;
//!
//! #[derive(Default)]
//! pub struct Blog;
//!
//! #[chopin::module(name = "blog", prefix = "/blog")]
//! impl Blog {
//!     #[fast_route("/health", text, cache_control = "no-cache")]
//!     const HEALTH: &'static str = "OK";
//!
//!     #[get("/posts/{id}")]
//!     async fn show(Path(id): Path<u64>) -> String {
//!         format!("post {id}")
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), chopin::Error> {
//!     App::new().await?.mount_module(Blog).run().await
//! }
//! ```
//!
//! Accounts come from [`auth::AuthModule`], a module like any other that provides `auth`: signup,
//! sign-in with argon2id passwords and HS256 access tokens, rotated refresh tokens, sessions,
//! roles, TOTP, password reset and email verification, each protection on by default.
//!
//! The server runs one listener on a multi-thread runtime, or with `REUSEPORT=true` one
//! SO_REUSEPORT listener and one single-threaded runtime per core. Configuration comes from the
//! environment (and `.env`): see [`Config`]. Tests start the app on a free port with
//! [`testing::TestApp`] and talk to it over real HTTP.

pub mod auth {
    //! Authentication and authorization: the `auth` capability, and with the `auth` feature
    //! [`AuthModule`], the module that provides it with accounts, passwords, tokens and sessions.
    //!
    //! The capability is the kernel's: [`AuthUser`] and [`OptionalAuthUser`] read the user,
    //! routes declared `auth` or `auth(role = "…")` are guarded, and any module that declares
    //! `provides(auth)` and implements [`Authenticate`] can provide it.

    pub use chopin_runtime::auth::*;

    #[cfg(feature = "auth")]
    #[doc(inline)]
    pub use chopin_auth::*;
}

pub mod cache {
    //! The cache service: in memory by default, on Redis at `REDIS_URL` with the `redis`
    //! feature.

    pub use chopin_runtime::cache::*;

    #[cfg(feature = "redis")]
    pub use chopin_redis::{Redis, RedisConfig, connect as redis, test_cache};
}

#[cfg(feature = "db")]
pub mod db {
    //! The database battery (the `db` feature): [`Db`], models, pagination, `migrate`.

    #[doc(inline)]
    pub use chopin_db::*;
}

#[cfg(feature = "storage")]
pub mod storage {
    //! File storage (the `storage` feature): [`Storage`] on local disk, in memory or (feature
    //! `s3`) in an S3-compatible bucket, [`Upload`] for `multipart/form-data` files, and
    //! [`Download`] to serve them back. The guide's storage chapter shows the whole path.

    #[doc(inline)]
    pub use chopin_storage::*;
}

#[cfg(feature = "ws")]
pub mod ws {
    //! WebSockets (the `ws` feature, on by default): a route whose handler takes a
    //! [`WebSocketUpgrade`] answers `101 Switching Protocols` and continues as a [`WebSocket`]
    //! exchanging [`Message`]s. These are axum's; the guide's dynamic routes chapter shows a
    //! route, and what the handler's time limit and shutdown do to an open socket.

    pub use chopin_runtime::ws::*;
}

/// The user guide, one chapter a module, every example compiled.
#[cfg(all(
    feature = "auth",
    feature = "testing",
    feature = "sqlite",
    feature = "storage",
    feature = "ws"
))]
pub mod guide;
#[cfg(feature = "log")]
pub mod log;

#[cfg(feature = "auth")]
pub use chopin_auth::AuthConfig;
#[cfg(feature = "db")]
pub use chopin_db::DbConfig;
#[cfg(feature = "testing")]
pub use chopin_runtime::testing;
pub use chopin_runtime::{
    App, ChopinError, Config, ConfigError, Created, DocsUi, Environment, Error, FastRoute,
    FieldError, IntoBody, Limits, Module, ModuleList, NoContent, RouteInfo, RouteTable, Routes,
    Secret, Server, StaticRoute, axum, config, extract, http, manifest, openapi, plugin, service,
    shutdown_signal,
};

/// utoipa, whose `#[derive(ToSchema)]` describes the types handlers take and return. Its derive
/// refers to `utoipa::…`, which `use chopin::prelude::*` brings into scope.
pub use chopin_runtime::openapi::utoipa;

/// Declares a feature module on an `impl` block.
///
/// ```text
/// #[chopin::module(name = "blog", prefix = "/blog", requires(Auth), provides(auth), crate = "…")]
/// ```
///
/// Every option is optional: `name` defaults to the type's name in snake case, `prefix` to the
/// root; `requires(..)` lists module types that must be mounted beside this one; `provides(auth)`
/// makes the module the application's auth provider (it then implements
/// [`auth::Authenticate`]); `crate` says where generated code finds Chopin when it is re-exported.
///
/// Inside the block:
/// - `#[get("/posts/{id}")]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`, `#[head]`,
///   `#[options]`, `#[any]` on `async fn` handlers without `self`: any axum extractors and
///   response types. Options: `auth` (a signed-in user) or `auth(role = "admin")`, which layer
///   the guard on the route (`401`/`403` before the handler runs) and let the handler take
///   [`auth::AuthUser`]; `name = "…"` and `tag = "…"` for the API description.
/// - `#[fast_route("/health", text)]` on a `&str` or `&[u8]` constant, with `json`, `text`,
///   `html` or `content_type = "…"`, and `cors`, `cache_control = "…"`, `header("name", "value")`,
///   `methods(GET, HEAD, ..)`.
///
/// Inside the block the route attributes need no import: the module reads them off its items.
///
/// Mistakes inside the block (two routes for one request, a path parameter without a `Path`
/// extractor, a handler that reads the user on a route not declared `auth`, an unknown option…)
/// are reported together, each at its token.
pub use chopin_macros::module;

/// A response computed at compile time, on a crate-level constant that becomes a
/// [`StaticRoute`], mounted with [`App::fast_route`]:
///
/// ```no_run
/// use chopin::prelude::*;
///
/// #[fast_route("/json", json)]
/// const JSON: &str = r#"{"message":"Hello, World!"}"#;
///
/// # async fn run() -> Result<(), chopin::Error> {
/// App::new().await?.fast_route(JSON).run().await
/// # }
/// ```
///
/// Inside a [`#[chopin::module]`](macro@module) block it declares one of the module's routes.
pub use chopin_macros::fast_route;

pub use chopin_macros::{any, delete, get, head, options, patch, post, put};

/// Declares a database model on a struct: the struct is the API's read schema (serde and an
/// OpenAPI schema), and the expansion adds its SeaORM entity module, the `NewX` and `XPatch` a
/// client sends, with their validation, and its table for `migrate`.
///
/// ```text
/// #[chopin::model(table = "posts")]
/// pub struct Post {
///     #[model(primary_key)] pub id: i64,
///     #[model(max_len = 200)] pub title: String,
///     #[model(belongs_to = User, on_delete = "cascade")] pub author_id: i64,
///     #[model(default = false)] pub published: bool,
///     #[model(created_at)] pub created_at: DateTimeUtc,
/// }
/// ```
///
/// Field keys: `primary_key` (an `i32` or `i64` the database assigns), `max_len`, `min_len`,
/// `email` (on `String`s), `range(min = .., max = ..)` (on numbers), `belongs_to = Model` with
/// `on_delete = "cascade" | "restrict" | "set_null" | "no_action"`, `default = literal`,
/// `unique`, `indexed`, `created_at`, `updated_at` (on `DateTimeUtc`, set by the model).
/// `private` keeps a column (a password hash) in the entity and its table but out of the struct,
/// its schema, `NewX` and `XPatch`; `NewX::into_active_model` leaves it unset, so code sets one
/// that is neither an `Option` nor has a `default` on the returned `ActiveModel` before inserting
/// (else the insert fails on `NOT NULL`), and it does not go with `primary_key`, `created_at`,
/// `updated_at`, `email`, `min_len` or `range`.
/// `owner` marks the `i64` or `i32` field that holds the id of the user a row belongs to: it is
/// shown but not in `NewX` nor `XPatch`, `NewX::into_active_model_for(&user)` (instead of
/// `into_active_model`) sets it, and the entity implements `db::Owned` (`find_for`,
/// `delete_for`, `find_owned_by`: a row only for its owner, or a `db::Bypass` role).
/// `renamed_from = "old_name"` on a field says its column had that name: `makemigrations`
/// writes a rename, which keeps the values, rather than a dropped column and a new one.
/// Model options: `table = "…"` (default: the type's name in snake case, plus `s`),
/// `has_many(Comment, ..)` (the reverse of `Comment`'s `belongs_to`), `renamed_from = "…"`
/// (the table's former name, renamed the same way), `crate = "…"`. A module declares its models
/// with `models(Post, ..)`; `makemigrations` writes their tables' migration files and `migrate`
/// applies them.
pub use chopin_macros::model;

/// The application's migration files, embedded in its binary: the `.toml` files of
/// `migrations/` beside its `Cargo.toml` (or of the directory given, `migrations!("db")`), read
/// when the crate is compiled, so that a deployed binary migrates without its source tree.
/// Give them to the application with `App::with_migrations`:
///
/// ```
/// use chopin::prelude::*;
///
/// # fn main() {
/// let app = App::with_config(Config::default()).with_migrations(chopin::migrations!());
/// # let _ = app;
/// # }
/// ```
///
/// `app makemigrations` writes the next file there, `app migrate` applies the pending ones and
/// `app showmigrations` lists them. Cargo rebuilds the crate when an embedded file changes; for
/// it to notice a file added, the crate's `build.rs` says `cargo::rerun-if-changed=migrations`
/// (`chopin new` writes it).
#[cfg(feature = "db")]
pub use chopin_macros::migrations;

/// Declares an application's modules once: the type of its module list, checked where `cargo
/// check` (and so an editor) sees it.
///
/// ```
/// use chopin::prelude::*;
///
/// pub struct Blog;
///
/// #[chopin::module(prefix = "/blog")]
/// impl Blog {
///     #[get("/posts")]
///     async fn list() -> &'static str {
///         "[]"
///     }
/// }
///
/// #[fast_route("/health", text)]
/// const HEALTH: &str = "ok";
///
/// chopin::modules! {
///     /// The application's modules and crate-level fast routes, in mount order.
///     pub type Modules = [Blog, HEALTH];
/// }
///
/// // The return type holds only if the chain mounts exactly these, in this order.
/// pub fn app(config: Config) -> App<(), Modules> {
///     App::with_config(config).mount_module(Blog).fast_route(HEALTH)
/// }
/// # fn main() { let _ = app(Config::default()); }
/// ```
///
/// It expands to the type `mount_module` and `fast_route` build (`((), (Blog, HEALTH))`: a
/// crate-level fast route is listed by its constant's name) and a `const` item that runs the
/// whole-application check on it, which `cargo check` evaluates; `App::bind` runs the same check
/// when the application is built. The chain and the list cannot drift apart: a mismatch is a type
/// error at the function's return.
pub use chopin_macros::modules;

/// Checks that these modules make a valid application where `cargo check` sees it.
///
/// [`modules!`] does this and also names the list's type, which the application's function
/// returns; prefer it, so that the list is written once.
///
/// [`App::bind`] checks the mounted modules in constant evaluation, which `cargo build` and
/// `cargo test` run and `cargo check` (and so an editor) does not (rust #99682). This macro runs
/// the same check in a `const` item, which `cargo check` evaluates:
///
/// ```
/// # use chopin::prelude::*;
/// # pub struct Blog;
/// # #[chopin::module]
/// # impl Blog {}
/// chopin::assert_app!(Blog);
/// ```
#[macro_export]
macro_rules! assert_app {
    ($($module:ty),+ $(,)?) => {
        const _: () = $crate::manifest::check(&[
            $(&<$module as $crate::Module>::MANIFEST),+
        ]);
    };
}

/// What most applications import: `use chopin::prelude::*;`.
pub mod prelude {
    pub use crate::auth::{AuthUser, OptionalAuthUser};
    pub use crate::axum::Router;
    pub use crate::axum::extract::State;
    pub use crate::axum::routing::{any, delete, get, head, options, patch, post, put};
    pub use crate::cache::Cache;
    #[cfg(feature = "db")]
    pub use crate::db::sea_orm::prelude::{Date, DateTimeUtc};
    #[cfg(feature = "db")]
    pub use crate::db::sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder,
    };
    #[cfg(feature = "db")]
    pub use crate::db::{AppDbExt, Bypass, Db, Owned, Page, Pagination};
    pub use crate::extract::{Json, Path, Query};
    pub use crate::http::{Method, StatusCode, header};
    pub use crate::openapi::ToSchema;
    #[cfg(feature = "storage")]
    pub use crate::storage::{Download, Storage, StoredFile, Upload};
    pub use crate::utoipa;
    pub use crate::{App, ChopinError, Config, Created, FastRoute, NoContent};
    pub use chopin_macros::{any, delete, fast_route, get, head, options, patch, post, put};
}

/// What the code the macros generate refers to: the kernel's table, and the batteries' parts
/// where their features are on. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use chopin_runtime::__private::*;

    #[cfg(feature = "db")]
    pub use chopin_db::__private::*;

    /// Where the database battery is not built, the code of `#[chopin::model]` and of a
    /// module's `models(..)` is one error, at the attribute, naming the feature.
    #[cfg(not(feature = "db"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __chopin_without_db {
        ($($tokens:tt)*) => {
            ::core::compile_error!(
                "models need chopin's `db` feature (and a driver, `sqlite`, `postgres` or `mysql`): \
                 `chopin = { version = \"…\", features = [\"sqlite\"] }`"
            );
        };
    }
    #[cfg(not(feature = "db"))]
    pub use __chopin_without_db as with_db;

    /// What every application of modules carries, by the features `chopin` is built with: each
    /// mounted module calls this, and the first call adds the plugins.
    pub fn batteries(app: &mut crate::plugin::Mount<'_>) {
        #[cfg(feature = "redis")]
        app.plugin::<chopin_redis::Redis>();
        #[cfg(feature = "storage")]
        app.plugin::<chopin_storage::StoragePlugin>();
        #[cfg(not(any(feature = "redis", feature = "storage")))]
        let _ = app;
    }
}
