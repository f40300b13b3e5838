//! A fresh, empty database for each test: SQLite in memory by default, PostgreSQL when
//! `CHOPIN_TEST_POSTGRES_URL` names a server.
//!
//! ```no_run
//! # async fn test() {
//! let db = chopin_db::test_db::test_database().await;
//! // `db.conn` is a connection to a database no other test sees; `db.url` opens another.
//! # }
//! ```
//!
//! A PostgreSQL database is created for the test, with a unique name, and dropped when the
//! [`TestDatabase`] is dropped. A test process killed before that leaves its database behind:
//! the first test of a later run drops every `chopin_test_*` database older than an hour.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// The environment variable that names the PostgreSQL server tests run on, as a URL whose
/// user may create databases (`postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_URL_VAR: &str = "CHOPIN_TEST_POSTGRES_URL";

/// The prefix of the databases [`test_database`] creates on PostgreSQL.
const PREFIX: &str = "chopin_test_";

/// How old a leftover test database must be before a later run drops it: older than any test.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// How long to wait for PostgreSQL before declaring that it does not answer.
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
    /// test's own database on PostgreSQL.
    pub url: String,
    /// The backend: [`DbBackend::Sqlite`] or [`DbBackend::Postgres`].
    pub backend: DbBackend,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    /// An in-memory SQLite database lives as long as one connection to it is open: this one,
    /// kept apart from `conn` so that nothing the test does to its pool can close it.
    Sqlite { _keeper: DatabaseConnection },
    /// The test's PostgreSQL database, dropped through the server's URL.
    Postgres { server_url: String, name: String },
}

/// A fresh, empty database for one test.
///
/// Without `CHOPIN_TEST_POSTGRES_URL`, an SQLite database in memory, private to the test.
/// With it, a new PostgreSQL database on that server, named `chopin_test_<time>_<pid>_<n>`,
/// dropped (with `WITH (FORCE)`, closing any connection the test left open) when the guard is
/// dropped.
///
/// # Panics
/// When `CHOPIN_TEST_POSTGRES_URL` is set and PostgreSQL does not answer, or refuses to create
/// the database: the message names the variable and the URL. It never falls back to SQLite, so
/// a test run meant for PostgreSQL cannot pass on SQLite by mistake. Also when SQLite cannot
/// open a database in memory.
pub async fn test_database() -> TestDatabase {
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(server_url) if !server_url.trim().is_empty() => postgres(server_url, seq).await,
        _ => sqlite(seq).await,
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

async fn postgres(server_url: String, seq: u64) -> TestDatabase {
    let server = connect_server(&server_url).await;
    if !SWEPT.swap(true, Ordering::SeqCst) {
        sweep_stale(&server).await;
    }
    let name = format!(
        "{PREFIX}{}_{}_{seq}",
        unix_seconds(SystemTime::now()),
        std::process::id()
    );
    server
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|err| {
            panic!(
                "{POSTGRES_URL_VAR} is `{server_url}`, where creating database `{name}` \
                 failed: {err}"
            )
        });
    let _ = server.close().await;

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
            drop_database(server_url.clone(), name.clone());
            panic!(
                "{POSTGRES_URL_VAR} is `{server_url}`, but its new database `{url}` does not \
                 answer: {err}"
            )
        }
    };
    TestDatabase {
        conn,
        url,
        backend: DbBackend::Postgres,
        cleanup: Cleanup::Postgres { server_url, name },
    }
}

/// A single connection to the server's database (the one the variable's URL names).
async fn connect_server(server_url: &str) -> DatabaseConnection {
    if !cfg!(feature = "postgres") {
        panic!(
            "{POSTGRES_URL_VAR} is set, but this build of chopin-db has no PostgreSQL driver: \
             build it with its `postgres` feature (`cargo test -p chopin-db --features postgres`)"
        );
    }
    let mut options = ConnectOptions::new(server_url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false);
    let conn = Database::connect(options).await.unwrap_or_else(|err| {
        panic!(
            "{POSTGRES_URL_VAR} is `{server_url}`, but PostgreSQL does not answer there: {err} \
             (unset the variable to test on SQLite)"
        )
    });
    if conn.get_database_backend() != DbBackend::Postgres {
        panic!("{POSTGRES_URL_VAR} is `{server_url}`, which is not a PostgreSQL URL");
    }
    conn
}

/// Drops the `chopin_test_*` databases that earlier runs left behind more than an hour ago
/// (their names start with their creation time). Failures are reported, not fatal.
async fn sweep_stale(server: &DatabaseConnection) {
    let rows = match server
        .query_all_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
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
            && let Err(err) = server
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
        {
            eprintln!("test_database: cannot drop stale test database `{name}`: {err}");
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { server_url, name } = &self.cleanup {
            drop_database(server_url.clone(), name.clone());
        }
    }
}

/// Drops database `name`, from any context: `Drop` may run inside the test's runtime, where
/// blocking on a future is not allowed, or after it has gone. So a thread of its own, with a
/// runtime of its own, does it, and this waits for that thread. `WITH (FORCE)` closes the
/// connections still open on the database, the test's pools among them.
fn drop_database(server_url: String, name: String) {
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
                let mut options = ConnectOptions::new(server_url);
                options
                    .max_connections(1)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .sqlx_logging(false);
                let result = match Database::connect(options).await {
                    Ok(server) => {
                        let result = server
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = server.close().await;
                        result.map(|_| ())
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
/// becomes `postgres://u@h:5432/<name>?sslmode=disable`.
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
    }
}
