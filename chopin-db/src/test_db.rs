//! A fresh, empty database for each test: SQLite in memory by default, PostgreSQL when
//! `CHOPIN_TEST_POSTGRES_URL` names a server, MySQL or MariaDB when `CHOPIN_TEST_MYSQL_URL` does.
//!
//! ```no_run
//! # async fn test() {
//! let db = chopin_db::test_db::test_database().await;
//! // `db.conn` is a connection to a database no other test sees; `db.url` opens another.
//! # }
//! ```
//!
//! On a server, a database is created for the test, with a unique name, and dropped when the
//! [`TestDatabase`] is dropped. A test process killed before that leaves its database behind:
//! the first test of a later run drops every `chopin_test_*` database older than an hour. At
//! most one of the two variables may be set: a run is meant for one server.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// The environment variable that names the PostgreSQL server tests run on, as a URL whose
/// user may create databases (`postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_URL_VAR: &str = "CHOPIN_TEST_POSTGRES_URL";

/// The environment variable that names the MySQL or MariaDB server tests run on, as a URL whose
/// user may create and drop databases (`mysql://root@127.0.0.1:3306/test`; `mariadb://` is the
/// same).
pub const MYSQL_URL_VAR: &str = "CHOPIN_TEST_MYSQL_URL";

/// The prefix of the databases [`test_database`] creates on a server.
const PREFIX: &str = "chopin_test_";

/// How old a leftover test database must be before a later run drops it: older than any test.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// How long to wait for a server before declaring that it does not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Numbers the databases of this process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Whether this process has already dropped the stale databases of earlier runs.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// A database that exists for one test, and goes away with this guard.
#[derive(Debug)]
pub struct TestDatabase {
    /// A connection pool to the database. On SQLite it has exactly one connection.
    pub conn: DatabaseConnection,
    /// A URL that opens another pool to the same database, for code under test that connects
    /// by itself: a shared-cache in-memory URL on SQLite (valid while this guard lives), the
    /// test's own database on PostgreSQL, MySQL and MariaDB.
    pub url: String,
    /// The backend: [`DbBackend::Sqlite`], [`DbBackend::Postgres`] or [`DbBackend::MySql`].
    pub backend: DbBackend,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    /// An in-memory SQLite database lives as long as one connection to it is open: this one,
    /// kept apart from `conn` so that nothing the test does to its pool can close it.
    Sqlite { _keeper: DatabaseConnection },
    /// The test's database on a server, dropped through the server's URL.
    Server {
        server: Server,
        server_url: String,
        name: String,
    },
}

/// A database server tests may run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Server {
    Postgres,
    MySql,
}

impl Server {
    /// The variable that names it.
    fn var(self) -> &'static str {
        match self {
            Server::Postgres => POSTGRES_URL_VAR,
            Server::MySql => MYSQL_URL_VAR,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::MySql => "MySQL/MariaDB",
        }
    }

    fn backend(self) -> DbBackend {
        match self {
            Server::Postgres => DbBackend::Postgres,
            Server::MySql => DbBackend::MySql,
        }
    }

    /// Whether this build of chopin-db has the server's driver, and the feature that adds it.
    fn driver(self) -> (bool, &'static str) {
        match self {
            Server::Postgres => (cfg!(feature = "postgres"), "postgres"),
            Server::MySql => (cfg!(feature = "mysql"), "mysql"),
        }
    }

    /// `CREATE DATABASE` for a test's database. On MySQL and MariaDB, with the collation
    /// `migrate` gives tables (binary, as PostgreSQL and SQLite compare), whatever the server's
    /// default.
    fn create(self, name: &str) -> String {
        match self {
            Server::Postgres => format!("CREATE DATABASE \"{name}\""),
            Server::MySql => {
                format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            }
        }
    }

    /// The query that lists the databases whose names start with [`PREFIX`].
    fn list(self) -> String {
        match self {
            Server::Postgres => {
                format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{PREFIX}%'")
            }
            Server::MySql => format!(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA \
                 WHERE SCHEMA_NAME LIKE '{}%'",
                PREFIX.replace('_', "\\_")
            ),
        }
    }
}

/// A fresh, empty database for one test.
///
/// Without `CHOPIN_TEST_POSTGRES_URL` or `CHOPIN_TEST_MYSQL_URL`, an SQLite database in memory,
/// private to the test. With one of them, a new database on that server, named
/// `chopin_test_<time>_<pid>_<n>`, dropped when the guard is dropped (closing any connection
/// the test left open: PostgreSQL's `WITH (FORCE)`, on MySQL and MariaDB a `KILL` of each
/// connection to it). On MySQL and MariaDB it is created `CHARACTER SET utf8mb4 COLLATE
/// utf8mb4_bin`.
///
/// # Panics
/// When both variables are set (a run is meant for one server: the message names both). When
/// one is set and its server does not answer, or refuses to create the database: the message
/// names the variable and the URL. It never falls back to SQLite, so a test run meant for a
/// server cannot pass on SQLite by mistake. Also when SQLite cannot open a database in memory.
pub async fn test_database() -> TestDatabase {
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let set = |var: &str| std::env::var(var).ok().filter(|url| !url.trim().is_empty());
    match (set(POSTGRES_URL_VAR), set(MYSQL_URL_VAR)) {
        (Some(postgres), Some(mysql)) => panic!(
            "both {POSTGRES_URL_VAR} (`{postgres}`) and {MYSQL_URL_VAR} (`{mysql}`) are set: a \
             test run is meant for one server, unset one of them"
        ),
        (Some(server_url), None) => on_server(Server::Postgres, server_url, seq).await,
        (None, Some(server_url)) => on_server(Server::MySql, server_url, seq).await,
        (None, None) => sqlite(seq).await,
    }
}

impl TestDatabase {
    /// Opens another connection pool to the same database.
    ///
    /// # Panics
    /// When the database does not answer.
    pub async fn connect(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url.clone());
        options
            .connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(CONNECT_TIMEOUT)
            .sqlx_logging(false);
        if self.backend == DbBackend::Sqlite {
            options.max_connections(1);
        }
        Database::connect(options)
            .await
            .unwrap_or_else(|err| panic!("cannot open another pool on `{}`: {err}", self.url))
    }
}

async fn sqlite(seq: u64) -> TestDatabase {
    let url = format!(
        "sqlite:file:{PREFIX}{}_{seq}?mode=memory&cache=shared",
        std::process::id()
    );
    let open = |max: u32| {
        let mut options = ConnectOptions::new(url.clone());
        options
            .max_connections(max)
            .min_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>)
            .sqlx_logging(false);
        Database::connect(options)
    };
    let keeper = open(1)
        .await
        .unwrap_or_else(|err| panic!("cannot open SQLite in memory (`{url}`): {err}"));
    let conn = open(1)
        .await
        .unwrap_or_else(|err| panic!("cannot open SQLite in memory (`{url}`): {err}"));
    TestDatabase {
        conn,
        url,
        backend: DbBackend::Sqlite,
        cleanup: Cleanup::Sqlite { _keeper: keeper },
    }
}

async fn on_server(server: Server, server_url: String, seq: u64) -> TestDatabase {
    let var = server.var();
    // SeaORM knows MySQL only as `mysql://`; sqlx also takes `mariadb://`.
    let server_url = match server_url.trim().strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => server_url.trim().to_owned(),
    };
    let conn = connect_server(server, &server_url).await;
    if !SWEPT.swap(true, Ordering::SeqCst) {
        sweep_stale(server, &conn).await;
    }
    let name = format!(
        "{PREFIX}{}_{}_{seq}",
        unix_seconds(SystemTime::now()),
        std::process::id()
    );
    conn.execute_unprepared(&server.create(&name))
        .await
        .unwrap_or_else(|err| {
            panic!("{var} is `{server_url}`, where creating database `{name}` failed: {err}")
        });
    let _ = conn.close().await;

    let url = with_database(&server_url, &name);
    let mut options = ConnectOptions::new(url.clone());
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .max_connections(5)
        .sqlx_logging(false);
    let conn = match Database::connect(options).await {
        Ok(conn) => conn,
        Err(err) => {
            drop_database(server, server_url.clone(), name.clone());
            panic!("{var} is `{server_url}`, but its new database `{url}` does not answer: {err}")
        }
    };
    TestDatabase {
        conn,
        url,
        backend: server.backend(),
        cleanup: Cleanup::Server {
            server,
            server_url,
            name,
        },
    }
}

/// A single connection to the server's database (the one the variable's URL names).
async fn connect_server(server: Server, server_url: &str) -> DatabaseConnection {
    let (var, name) = (server.var(), server.name());
    let (built, feature) = server.driver();
    if !built {
        panic!(
            "{var} is set, but this build of chopin-db has no {name} driver: build it with its \
             `{feature}` feature (`cargo test -p chopin-db --features {feature}`)"
        );
    }
    let conn = Database::connect(server_options(server_url))
        .await
        .unwrap_or_else(|err| {
            panic!(
                "{var} is `{server_url}`, but {name} does not answer there: {err} (unset the \
                 variable to test on SQLite)"
            )
        });
    if conn.get_database_backend() != server.backend() {
        panic!("{var} is `{server_url}`, which is not a {name} URL");
    }
    conn
}

/// One connection, bounded waits, no statement log.
fn server_options(server_url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(server_url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false);
    options
}

/// Drops the `chopin_test_*` databases that earlier runs left behind more than an hour ago
/// (their names start with their creation time). Failures are reported, not fatal.
async fn sweep_stale(server: Server, conn: &DatabaseConnection) {
    let rows = match conn
        .query_all_raw(sea_orm::Statement::from_string(
            server.backend(),
            server.list(),
        ))
        .await
    {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("test_database: cannot list stale test databases: {err}");
            return;
        }
    };
    let now = unix_seconds(SystemTime::now());
    for row in rows {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs())
            && let Err(err) = drop_now(server, conn, &name).await
        {
            eprintln!("test_database: cannot drop stale test database `{name}`: {err}");
        }
    }
}

/// Drops database `name` through `conn`, closing the connections still open on it first:
/// PostgreSQL's `WITH (FORCE)`; on MySQL and MariaDB, which have none, a `KILL` of each (a
/// connection in a transaction on one of its tables would make `DROP DATABASE` wait).
async fn drop_now(
    server: Server,
    conn: &DatabaseConnection,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    match server {
        Server::Postgres => {
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
        }
        Server::MySql => {
            let others = conn
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    DbBackend::MySql,
                    "SELECT CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST \
                     WHERE DB = ? AND ID <> CONNECTION_ID()",
                    [name.into()],
                ))
                .await?;
            for row in others {
                let id: u64 = row.try_get_by_index(0)?;
                // It may have closed since: a connection that is gone is what was wanted.
                let _ = conn
                    .execute_unprepared(&format!("KILL CONNECTION {id}"))
                    .await;
            }
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
        }
    }
    Ok(())
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Server {
            server,
            server_url,
            name,
        } = &self.cleanup
        {
            drop_database(*server, server_url.clone(), name.clone());
        }
    }
}

/// Drops database `name`, from any context: `Drop` may run inside the test's runtime, where
/// blocking on a future is not allowed, or after it has gone. So a thread of its own, with a
/// runtime of its own, does it, and this waits for that thread. The connections still open on
/// the database, the test's pools among them, are closed first ([`drop_now`]).
fn drop_database(server: Server, server_url: String, name: String) {
    let label = name.clone();
    let thread = std::thread::Builder::new()
        .name("chopin-test-db-drop".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    eprintln!("test_database: cannot drop database `{name}`: {err}");
                    return;
                }
            };
            runtime.block_on(async {
                let result = match Database::connect(server_options(&server_url)).await {
                    Ok(conn) => {
                        let result = drop_now(server, &conn, &name).await;
                        let _ = conn.close().await;
                        result
                    }
                    Err(err) => Err(err),
                };
                if let Err(err) = result {
                    eprintln!(
                        "test_database: cannot drop database `{name}` (a later run drops it): {err}"
                    );
                }
            });
        });
    match thread {
        Ok(thread) => {
            let _ = thread.join();
        }
        Err(err) => eprintln!("test_database: cannot drop database `{label}`: {err}"),
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// `url` with its database replaced by `name`: `postgres://u@h:5432/postgres?sslmode=disable`
/// becomes `postgres://u@h:5432/<name>?sslmode=disable`, `mysql://root@h:3306/test`
/// `mysql://root@h:3306/<name>`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://h:5432/", "t1"),
            "postgres://h:5432/t1"
        );
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test", "t1"),
            "mysql://root@127.0.0.1:3306/t1"
        );
    }
}
