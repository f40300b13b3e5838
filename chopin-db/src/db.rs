//! [`Db`]: the application's database, for handlers, and the error of a database that does not
//! answer.

use std::ops::Deref;

use chopin_runtime::ChopinError;
use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::config::redact_url;
use chopin_runtime::http::request::Parts;
use chopin_runtime::openapi::{Operation, OperationInput};
use chopin_runtime::service;
use sea_orm::{ConnectOptions, DatabaseConnection};

use crate::config::DbConfig;

/// The application's database, for handlers: `async fn list(db: Db) -> …`, then
/// `post::Entity::find().all(&*db)`. A pool: cloning it is cheap.
#[derive(Clone, Debug)]
pub struct Db(DatabaseConnection);

impl Db {
    /// Connects to the database `config` names, with its pool settings.
    ///
    /// # Errors
    /// When the database cannot be reached or the URL is not one SeaORM takes.
    pub async fn connect(config: &DbConfig) -> Result<Db, sea_orm::DbErr> {
        let mut options = ConnectOptions::new(config.url.clone());
        // An in-memory SQLite database exists once per connection: one connection, kept.
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        options
            .max_connections(if in_memory { 1 } else { config.max_connections })
            .min_connections(if in_memory { 1 } else { config.min_connections })
            .connect_timeout(config.connect_timeout)
            .sqlx_logging(false);
        if in_memory {
            options.idle_timeout(None::<std::time::Duration>);
        }
        // sqlx turns SQLite's foreign keys on for every connection it opens.
        Ok(Db(sea_orm::Database::connect(options).await?))
    }

    /// A database over a connection made elsewhere.
    pub fn from_connection(conn: DatabaseConnection) -> Db {
        Db(conn)
    }

    /// The connection pool.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.0
    }

    /// The database of the request: one put in its extensions, or the application's.
    pub fn of(parts: &Parts) -> Option<Db> {
        service::of::<Db>(parts)
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Db {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Db::of(parts).ok_or_else(|| {
            ChopinError::internal(
                "a handler takes `Db`, but the application has no database: mount a module that declares `models(..)`, or give one with `App::with_db` (`chopin::db::AppDbExt`)",
            )
        })
    }
}

impl OperationInput for Db {
    fn describe(_: &mut Operation<'_>) {}
}

/// The database of `DATABASE_URL` could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to the database at {url} (DATABASE_URL): {source}")]
pub struct ConnectError {
    /// `DATABASE_URL`, its password hidden.
    pub url: String,
    /// What the database or the driver said.
    #[source]
    pub source: sea_orm::DbErr,
}

impl ConnectError {
    pub(crate) fn new(url: &str, source: sea_orm::DbErr) -> ConnectError {
        ConnectError {
            url: redact_url(url),
            source,
        }
    }
}
