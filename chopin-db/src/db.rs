//! [`Db`]: the application's database, for handlers, and the error of a database that does not
//! answer.

use std::ops::Deref;
use std::sync::Arc;

use chopin_runtime::ChopinError;
use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::classify::Outage;
use chopin_runtime::config::redact_url;
use chopin_runtime::http::request::Parts;
use chopin_runtime::openapi::{Operation, OperationInput};
use chopin_runtime::service;
use sea_orm::{ConnectOptions, DatabaseConnection};

use crate::config::DbConfig;
use crate::health::{self, Health};

/// The application's database, for handlers: `async fn list(db: Db) -> …`, then
/// `post::Entity::find().all(&*db)`. A pool: cloning it is cheap.
///
/// While the database does not answer, taking a `Db` answers `503 unavailable` at once (see
/// the guide's chapter on configuration: outages and time limits).
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    health: Arc<Health>,
}

impl Db {
    /// Connects to the database `config` names, with its pool settings.
    ///
    /// # Errors
    /// When the database cannot be reached or the URL is not one SeaORM takes.
    pub async fn connect(config: &DbConfig) -> Result<Db, sea_orm::DbErr> {
        let mut options = ConnectOptions::new(seaorm_url(&config.url));
        // An in-memory SQLite database exists once per connection: one connection, kept.
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        options
            .max_connections(if in_memory { 1 } else { config.max_connections })
            .min_connections(if in_memory { 1 } else { config.min_connections })
            // sea-orm's `connect_timeout` is sqlx's acquire timeout; the acquire timeout wins.
            .acquire_timeout(config.acquire_timeout)
            // PostgreSQL cancels a statement that runs longer (sea-orm ignores it elsewhere).
            .statement_timeout(config.statement_timeout)
            .sqlx_logging(false);
        if in_memory {
            options.idle_timeout(None::<std::time::Duration>);
        }
        #[cfg(feature = "mysql")]
        mysql_statement_timeout(&mut options, config.statement_timeout);
        // sqlx turns SQLite's foreign keys on for every connection it opens.
        let connecting = sea_orm::Database::connect(options);
        let conn = match tokio::time::timeout(config.connect_timeout, connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => return Err(root_cause(config, err).await),
            Err(_) => {
                let waited = sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
                return Err(root_cause(config, waited).await);
            }
        };
        Ok(Db::from_connection(conn))
    }

    /// A database over a connection made elsewhere.
    pub fn from_connection(conn: DatabaseConnection) -> Db {
        Db {
            health: Health::watch(conn.clone()),
            conn,
        }
    }

    /// The connection pool.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The outage the database is in, if its last probe found it not answering: what code
    /// that reaches the database without the `Db` extractor (an auth provider) answers with,
    /// at once, instead of waiting for the pool.
    pub fn outage(&self) -> Option<Outage> {
        self.health.is_down().then_some(Outage {
            dependency: "database",
            retry_after: health::RETRY_AFTER,
        })
    }

    /// The database of the request: one put in its extensions, or the application's.
    pub fn of(parts: &Parts) -> Option<Db> {
        service::of::<Db>(parts)
    }
}

impl Deref for Db {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Db {
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let db = Db::of(parts).ok_or_else(|| {
            ChopinError::internal(
                "a handler takes `Db`, but the application has no database: mount a module that declares `models(..)`, or give one with `App::with_db` (`chopin::db::AppDbExt`)",
            )
        })?;
        match db.outage() {
            Some(outage) => Err(ChopinError::unavailable(
                outage.dependency,
                outage.retry_after,
                "the database did not answer its last probe",
            )),
            None => Ok(db),
        }
    }
}

impl OperationInput for Db {
    fn describe(op: &mut Operation<'_>) {
        op.may_be_unavailable("the database");
    }
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

/// `err`, or when it only says that the pool gave up waiting, what one direct connection to the
/// database says: sqlx retries a refused connection until its timeout and then reports only
/// "pool timed out".
async fn root_cause(config: &DbConfig, err: sea_orm::DbErr) -> sea_orm::DbErr {
    let gave_up = match &err {
        sea_orm::DbErr::ConnectionAcquire(_) => true,
        #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
        sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => {
            matches!(**e, sea_orm::sqlx::Error::PoolTimedOut)
        }
        _ => false,
    };
    if !gave_up {
        return err;
    }
    match direct_attempt(&config.url).await {
        Some(cause) => sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(format!(
            "no connection within the timeout; a direct attempt failed: {cause}"
        ))),
        None => err,
    }
}

/// What one connection attempt to `url`, outside the pool, fails with (PostgreSQL and
/// MySQL/MariaDB: SQLite opens a file and says why at once).
async fn direct_attempt(url: &str) -> Option<String> {
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    async fn attempt<C>(url: &str) -> Option<String>
    where
        C: sea_orm::sqlx::ConnectOptions,
        C::Connection: Sized,
    {
        let options: C = url.parse().ok()?;
        match tokio::time::timeout(std::time::Duration::from_secs(2), options.connect()).await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("no answer within 2 s".to_owned()),
        }
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres") {
        return attempt::<sea_orm::sqlx::postgres::PgConnectOptions>(url).await;
    }
    #[cfg(feature = "mysql")]
    if url.starts_with("mysql:") || url.starts_with("mariadb:") {
        return attempt::<sea_orm::sqlx::mysql::MySqlConnectOptions>(url).await;
    }
    let _ = url;
    None
}

/// `url` as SeaORM takes it: SeaORM knows MySQL's backend only by `mysql://`, while sqlx, and
/// `DATABASE_URL`, also take `mariadb://` for the same driver.
pub(crate) fn seaorm_url(url: &str) -> String {
    match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_owned(),
    }
}

/// The statement time limit on MySQL and MariaDB, set on each connection the pool opens (SeaORM
/// sets PostgreSQL's `statement_timeout` itself and ignores it elsewhere). MariaDB's
/// `max_statement_time` (seconds, every statement) first; a server that does not know it
/// (error 1193, unknown system variable) is MySQL, whose `max_execution_time` (milliseconds)
/// bounds only `SELECT`s.
#[cfg(feature = "mysql")]
fn mysql_statement_timeout(options: &mut ConnectOptions, limit: std::time::Duration) {
    use sea_orm::sqlx::{AssertSqlSafe, Executor as _, mysql::MySqlDatabaseError};
    let millis = limit.as_millis();
    options.map_sqlx_mysql_pool_opts(move |pool| {
        pool.after_connect(move |conn, _| {
            Box::pin(async move {
                let mariadb = format!(
                    "SET SESSION max_statement_time = {}.{:03}",
                    millis / 1000,
                    millis % 1000
                );
                // A number this process wrote: no input of anyone's reaches the statement.
                match conn.execute(AssertSqlSafe(mariadb)).await {
                    Ok(_) => Ok(()),
                    Err(sea_orm::sqlx::Error::Database(e))
                        if e.try_downcast_ref::<MySqlDatabaseError>()
                            .is_some_and(|e| e.number() == 1193) =>
                    {
                        let mysql = format!("SET SESSION max_execution_time = {millis}");
                        conn.execute(AssertSqlSafe(mysql)).await.map(|_| ())
                    }
                    Err(e) => Err(e),
                }
            })
        })
    });
}

impl ConnectError {
    /// Connecting to `url` failed with `source`: the message names the URL (its password
    /// redacted) and `DATABASE_URL`.
    pub fn new(url: &str, source: sea_orm::DbErr) -> ConnectError {
        ConnectError {
            url: redact_url(url),
            source,
        }
    }
}
