//! [`Db`]: the application's database, for handlers, and the error of a database that does not
//! answer.

use std::future::Future as _;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

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
///
/// With `REUSEPORT=true` an application's `Db` on PostgreSQL or MySQL keeps one pool per worker
/// runtime ([`Db::per_worker`]): a socket is driven by the runtime that opened it, and a pool
/// opened on the main runtime would wake that runtime's thread for every reply the database
/// sends. Each worker's pool opens its connections on the worker, as its requests need them,
/// up to its share of `DB_MAX_CONNECTIONS`.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    health: Arc<Health>,
    workers: Option<Arc<Workers>>,
}

/// The pools of the worker runtimes, each opened by the first request on its worker.
#[derive(Debug)]
struct Workers {
    config: DbConfig,
    pools: Box<[OnceLock<DatabaseConnection>]>,
}

impl Db {
    /// Connects to the database `config` names, with its pool settings.
    ///
    /// # Errors
    /// When the database cannot be reached or the URL is not one SeaORM takes.
    pub async fn connect(config: &DbConfig) -> Result<Db, sea_orm::DbErr> {
        // An in-memory SQLite database exists once per connection: one connection, kept.
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        let options = if in_memory {
            let mut kept = pool_options(config, 1, 1);
            kept.idle_timeout(None::<std::time::Duration>);
            kept
        } else {
            pool_options(config, config.max_connections, config.min_connections)
        };
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

    /// Connects as [`Db::connect`] does, for an application that serves on `workers` runtimes
    /// ([`chopin_runtime::worker::count`]): on PostgreSQL and MySQL, with one pool per worker
    /// ([`Db::per_worker`]) and a small one, of at most two connections, for the main runtime
    /// (start-up, migrations, the health probe). On SQLite, or with no workers, it is
    /// [`Db::connect`].
    ///
    /// # Errors
    /// As [`Db::connect`].
    pub async fn connect_for(config: &DbConfig, workers: usize) -> Result<Db, sea_orm::DbErr> {
        if workers == 0 || !networked(&config.url) {
            return Db::connect(config).await;
        }
        let main = DbConfig {
            max_connections: config.max_connections.min(2),
            min_connections: config.min_connections.min(1),
            ..config.clone()
        };
        Ok(Db::connect(&main).await?.per_worker(config, workers))
    }

    /// This database with one pool per worker runtime, `workers` of them, each of
    /// `DB_MAX_CONNECTIONS / workers` connections at most (rounded up) and opened by the first
    /// request on its worker: its connections are then driven by the runtime that uses them. Off
    /// the workers (the main runtime, a command, a test) the database is the pool it was.
    /// SQLite's connections each run on a thread of their own, so a SQLite database, or
    /// `workers == 0`, is returned as it is.
    #[must_use]
    pub fn per_worker(mut self, config: &DbConfig, workers: usize) -> Db {
        if workers == 0 || !networked(&config.url) {
            return self;
        }
        self.workers = Some(Arc::new(Workers {
            config: config.clone(),
            pools: (0..workers).map(|_| OnceLock::new()).collect(),
        }));
        self
    }

    /// A database over a connection made elsewhere.
    pub fn from_connection(conn: DatabaseConnection) -> Db {
        Db {
            health: Health::watch(conn.clone()),
            conn,
            workers: None,
        }
    }

    /// The connection pool: on a worker runtime of an application that keeps one per worker,
    /// that worker's ([`Db::per_worker`]).
    pub fn conn(&self) -> &DatabaseConnection {
        match (&self.workers, chopin_runtime::worker::current()) {
            (Some(workers), Some(i)) => workers.pool(i).unwrap_or(&self.conn),
            _ => &self.conn,
        }
    }

    /// Every pool this database has opened: the main one, then each worker's.
    pub(crate) fn pools(&self) -> impl Iterator<Item = &DatabaseConnection> {
        let workers = self
            .workers
            .iter()
            .flat_map(|w| w.pools.iter().filter_map(OnceLock::get));
        std::iter::once(&self.conn).chain(workers)
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
        self.conn()
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

impl Workers {
    /// Worker `i`'s pool, opened now if this is its first use. `None` when `i` is not one of
    /// the workers, or when the pool could not be made at once (it is made without connecting,
    /// so only an unforeseen driver change would do that): the caller then uses the main pool.
    fn pool(&self, i: usize) -> Option<&DatabaseConnection> {
        let slot = self.pools.get(i)?;
        if let Some(pool) = slot.get() {
            return Some(pool);
        }
        let share = |n: u32| n.div_ceil(u32::try_from(self.pools.len()).unwrap_or(u32::MAX));
        let mut options = pool_options(
            &self.config,
            share(self.config.max_connections).max(1),
            share(self.config.min_connections),
        );
        // Made now, on this worker: its upkeep runs here, and its connections are opened here
        // when the worker's requests ask for them.
        options.connect_lazy(true);
        let mut connecting = std::pin::pin!(sea_orm::Database::connect(options));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match connecting.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Ok(pool)) => Some(slot.get_or_init(|| pool)),
            std::task::Poll::Ready(Err(e)) => {
                tracing::warn!(error = %e, worker = i, "database: the worker's pool could not be made; it uses the main pool");
                None
            }
            std::task::Poll::Pending => None,
        }
    }
}

/// Whether `url` is a database server's (PostgreSQL, MySQL, MariaDB), reached over sockets:
/// every backend `DbConfig` takes but SQLite's file.
fn networked(url: &str) -> bool {
    !url.starts_with("sqlite:")
}

/// SeaORM's options for a pool of `config`'s database, of `max` connections kept down to `min`.
fn pool_options(config: &DbConfig, max: u32, min: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(seaorm_url(&config.url));
    options
        .max_connections(max)
        .min_connections(min)
        // sea-orm's `connect_timeout` is sqlx's acquire timeout; the acquire timeout wins.
        .acquire_timeout(config.acquire_timeout)
        // PostgreSQL cancels a statement that runs longer (sea-orm ignores it elsewhere).
        .statement_timeout(config.statement_timeout)
        // A connection used within the last half second is handed out as it is; one idle for
        // longer is pinged first, and replaced if the server or a proxy dropped it. sqlx's
        // default pings before every acquire: a round trip more for every query (HikariCP
        // skips its check the same way, within 500 ms of the last use).
        .test_before_acquire_if_idle_for(IDLE_PING)
        .sqlx_logging(false);
    #[cfg(feature = "mysql")]
    mysql_statement_timeout(&mut options, config.statement_timeout);
    options
}

/// How long a pooled connection may have been idle and still be handed out without a ping.
const IDLE_PING: std::time::Duration = std::time::Duration::from_millis(500);

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
