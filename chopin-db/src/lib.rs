//! Chopin's database battery: SeaORM on SQLite (embedded, the default), PostgreSQL and
//! MySQL/MariaDB.
//!
//! Use it through the `chopin` crate (its `db`, `sqlite`, `postgres` and `mysql` features):
//! `#[chopin::model]` declares a model, a module lists its models with `models(..)`, and
//! handlers take the [`Db`] extractor. What is here:
//!
//! - [`Db`], the application's database for handlers, and [`DbConfig`], its section of the
//!   configuration (`DATABASE_URL`, the pool, `AUTO_MIGRATE`);
//! - [`Model`], what `#[chopin::model]` implements, and [`ModelDecl`], a module's declaration of
//!   one;
//! - [`Owned`], the rows of a model that belong to a user (`#[model(owner)]`), and [`Bypass`],
//!   who else reaches them;
//! - [`Pagination`] and [`Page`];
//! - [`migrate`]: migration files (`makemigrations` writes them from the models, `migrate`
//!   applies them with checksums, `showmigrations` lists them) on SQLite, PostgreSQL and
//!   MySQL/MariaDB, and the earlier model-diffing `migrate` for models without files;
//! - [`Database`], the plugin that connects at start-up and adds the `migrate`,
//!   `makemigrations` and `showmigrations` commands, and [`AppDbExt`], what it adds to `App`
//!   (`with_db`, `with_migrations`, `db`, `models`, `migrate`);
//! - [`test_db`], a fresh database for each test.
//!
//! It plugs into the kernel (`chopin-runtime`) through its plugin mechanism; the kernel does not
//! know it exists.

mod config;
mod db;
mod health;
pub mod migrate;
mod model;
mod owned;
mod page;
mod plugin;
mod rules;
pub mod test_db;

pub use config::DbConfig;
pub use db::{ConnectError, Db};
pub use migrate::{MigrateError, Migrations, Report, TableDef};
pub use model::{Model, ModelDecl};
pub use owned::{Bypass, KeyOf, Owned, owner_id};
pub use page::{Page, Pagination};
pub use plugin::{AppDbExt, Database, register_migrations, register_models};
pub use rules::{
    FieldRules, check_email, check_len, check_range, check_text, date_schema, field_schema,
    invalid_if_any, present, present_whole, timestamp_schema, whole, whole_or_null,
};

pub use chrono;
pub use sea_orm;

/// What the code the macros generate refers to, from the database battery. Not a public API:
/// the `chopin` facade re-exports it beside the kernel's as `chopin::__private`.
#[doc(hidden)]
pub mod __private {
    pub use sea_orm;

    /// The rules, deserializers and declarations of `#[chopin::model]`'s expansion, and the
    /// registration of a module's `models(..)`.
    pub mod db {
        pub use crate::chrono;
        pub use crate::register_migrations as migrations;
        pub use crate::register_models as models;
        pub use crate::rules::record_itself;
        pub use crate::{
            FieldRules, Migrations, Model, ModelDecl, Owned, check_email, check_len, check_range,
            check_text, date_schema, field_schema, invalid_if_any, owner_id, present,
            present_whole, timestamp_schema, whole, whole_or_null,
        };
        pub use chopin_runtime::auth::AuthUser;
    }

    /// Expands to its input: where the database battery is built, the code of `#[chopin::model]`
    /// and of a module's `models(..)` compiles as written.
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __chopin_with_db {
        ($($tokens:tt)*) => { $($tokens)* };
    }
    pub use __chopin_with_db as with_db;
}
